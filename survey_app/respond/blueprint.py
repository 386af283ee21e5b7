from flask import Blueprint

from . import controllers

bp = Blueprint("respond", __name__, url_prefix="/answer")
bp.add_url_rule("", "enter", controllers.enter, methods=["GET", "POST"])
bp.add_url_rule("/link/<code:token>", "public_link", controllers.public_link)
bp.add_url_rule("/questionnaire", "questionnaire", controllers.questionnaire, methods=["GET", "POST"])
bp.add_url_rule("/done", "done", controllers.done)
bp.add_url_rule("/leave", "leave", controllers.leave, methods=["POST"])
bp.add_url_rule("/report/<id:campaign_target_id>.pdf", "report_pdf", controllers.report_pdf)
