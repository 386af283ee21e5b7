"""The commitments' URLs: staff and leaders under /commitments, the public under /promises."""
from flask import Blueprint

from . import controllers as c

bp = Blueprint("commitments", __name__)
bp.add_url_rule("/commitments/", "board", c.board)
bp.add_url_rule("/commitments/new", "new", c.new, methods=["GET", "POST"])
bp.add_url_rule("/commitments/import", "import_commitments", c.import_commitments, methods=["GET", "POST"])
bp.add_url_rule("/commitments/<id:commitment_id>", "commitment", c.commitment)
bp.add_url_rule("/commitments/<id:commitment_id>/edit", "edit", c.edit, methods=["GET", "POST"])
bp.add_url_rule("/commitments/<id:commitment_id>/submit", "submit", c.submit, methods=["POST"])
bp.add_url_rule("/commitments/<id:commitment_id>/publish", "publish", c.publish, methods=["POST"])
bp.add_url_rule("/commitments/<id:commitment_id>/send-back", "send_back", c.send_back, methods=["POST"])
bp.add_url_rule("/commitments/<id:commitment_id>/status", "status", c.status, methods=["POST"])
bp.add_url_rule("/commitments/<id:commitment_id>/progress/new", "progress_new", c.progress_new,
                methods=["GET", "POST"])
bp.add_url_rule("/commitments/progress/<id:progress_id>/review", "review", c.review, methods=["POST"])
bp.add_url_rule("/commitments/progress/<id:progress_id>/file", "attachment", c.attachment)
bp.add_url_rule("/promises/", "public_index", c.public_index)
bp.add_url_rule("/promises/<code:target_code>", "public_target", c.public_target)
bp.add_url_rule("/promises/evidence/<id:progress_id>", "public_attachment", c.public_attachment)
