from flask import Blueprint

from . import controllers as c

bp = Blueprint("designer", __name__, url_prefix="/designer")
bp.add_url_rule("/", "index", c.index)
bp.add_url_rule("/questionnaires", "questionnaires", c.library)
bp.add_url_rule("/questionnaires/upload", "upload", c.upload, methods=["POST"])
bp.add_url_rule("/questionnaires/versions/<id:version_id>", "version", c.version)
bp.add_url_rule("/questionnaires/versions/<id:version_id>.yaml", "version_yaml", c.version_yaml)
bp.add_url_rule("/questionnaires/versions/<id:version_id>/publish", "version_publish", c.version_publish,
                methods=["POST"])
bp.add_url_rule("/start", "start", c.start, methods=["POST"])
bp.add_url_rule("/import", "import_yaml", c.import_yaml, methods=["POST"])
bp.add_url_rule("/versions/<id:version_id>", "edit", c.edit)
bp.add_url_rule("/versions/<id:version_id>/preview", "preview", c.preview)
bp.add_url_rule("/versions/<id:version_id>/header", "header", c.header, methods=["GET", "POST"])
bp.add_url_rule("/versions/<id:version_id>/scale", "scale", c.scale, methods=["GET", "POST"])
bp.add_url_rule("/versions/<id:version_id>/dimensions", "dimensions", c.dimensions, methods=["GET", "POST"])
bp.add_url_rule("/versions/<id:version_id>/sections/new", "section_new", c.section_new, methods=["GET", "POST"])
bp.add_url_rule("/versions/<id:version_id>/sections/<code:section_code>", "section", c.section, methods=["GET", "POST"])
bp.add_url_rule("/versions/<id:version_id>/sections/<code:section_code>/items/new", "item_new", c.item_new,
                methods=["GET", "POST"])
bp.add_url_rule("/versions/<id:version_id>/items/<code:item_code>", "item", c.item, methods=["GET", "POST"])
bp.add_url_rule("/versions/<id:version_id>/structure", "structure", c.structure, methods=["POST"])
bp.add_url_rule("/versions/<id:version_id>/publish", "publish", c.publish, methods=["POST"])
bp.add_url_rule("/versions/<id:version_id>/new-draft", "new_draft", c.new_draft, methods=["POST"])

#: The questionnaire library's pages lived under /admin until the designer took them over: their
#: old addresses (bookmarks, links in saved documents) answer with a 308, which keeps the method.
MOVED = [("/questionnaires", "/questionnaires", ["GET"]),
         ("/questionnaires/upload", "/questionnaires/upload", ["POST"]),
         ("/questionnaires/versions/<id:version_id>", "/questionnaires/versions/<version_id>", ["GET"]),
         ("/questionnaires/versions/<id:version_id>.yaml", "/questionnaires/versions/<version_id>.yaml", ["GET"]),
         ("/questionnaires/versions/<id:version_id>/publish", "/questionnaires/versions/<version_id>/publish",
          ["POST"])]


@bp.record_once
def _redirect_moved_pages(state) -> None:
    for old, new, methods in MOVED:
        state.app.add_url_rule("/admin" + old, "designer.moved", redirect_to=bp.url_prefix + new, methods=methods)
