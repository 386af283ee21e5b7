from flask import Blueprint

from . import controllers as c

bp = Blueprint("paper", __name__, url_prefix="/paper")
bp.add_url_rule("/", "index", c.index)
bp.add_url_rule("/<id:campaign_id>", "campaign", c.campaign)
bp.add_url_rule("/<id:campaign_id>/enter", "enter", c.enter, methods=["GET", "POST"])
bp.add_url_rule("/<id:campaign_id>/sheets/<id:number>", "sheet", c.sheet, methods=["GET", "POST"])
bp.add_url_rule("/<id:campaign_id>/print", "print_sheets", c.print_sheets, methods=["POST"])
bp.add_url_rule("/<id:campaign_id>/batches/<id:batch_id>/pdf", "batch_pdf", c.batch_pdf, methods=["POST"])
bp.add_url_rule("/<id:campaign_id>/rules", "rules", c.rules, methods=["POST"])
bp.add_url_rule("/<id:campaign_id>/check/<id:number>", "check", c.check, methods=["GET", "POST"])
bp.add_url_rule("/<id:campaign_id>/import", "import_answers", c.import_answers, methods=["GET", "POST"])
bp.add_url_rule("/<id:campaign_id>/reconciliation", "reconciliation", c.reconciliation)
