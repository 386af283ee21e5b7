"""The follow-up's URLs, under /cases: staff, auditors and each leader for their own target; nothing public."""
from flask import Blueprint

from . import controllers as c

bp = Blueprint("followup", __name__, url_prefix="/cases")
bp.add_url_rule("/", "board", c.board)
bp.add_url_rule("/new", "new", c.new, methods=["GET", "POST"])
bp.add_url_rule("/open-published", "sync", c.sync, methods=["POST"])
bp.add_url_rule("/<id:case_id>", "case", c.case)
bp.add_url_rule("/<id:case_id>/measure", "step", c.step, methods=["POST"])
bp.add_url_rule("/<id:case_id>/answer", "answer", c.answer, methods=["POST"])
bp.add_url_rule("/<id:case_id>/close", "close", c.close, methods=["POST"])
bp.add_url_rule("/steps/<id:step_id>/file", "attachment", c.attachment)
