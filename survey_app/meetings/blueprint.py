from flask import Blueprint

from . import controllers as c

bp = Blueprint("meetings", __name__, url_prefix="/admin/meetings")
bp.add_url_rule("/new", "new", c.new_meeting, methods=["GET", "POST"])
bp.add_url_rule("/<id:campaign_id>/edit", "edit", c.edit_meeting, methods=["GET", "POST"])
bp.add_url_rule("/<id:campaign_id>/minutes.pdf", "minutes", c.minutes_pdf)
