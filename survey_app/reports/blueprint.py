"""Feedback reports for leaders and units, and the commission's dashboard (URLs only)."""
from flask import Blueprint

from . import controllers as c

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.add_url_rule("/", "index", c.index)
bp.add_url_rule("/<id:campaign_id>/targets/<id:target_id>", "report", c.report)
bp.add_url_rule("/<id:campaign_id>/targets/<id:target_id>.pdf", "report_pdf", c.report_pdf)
bp.add_url_rule("/<id:campaign_id>/dashboard", "dashboard", c.dashboard)
bp.add_url_rule("/<id:campaign_id>/targets/<id:target_id>/alert", "drilldown", c.drilldown)
bp.add_url_rule("/<id:campaign_id>/comments", "comments", c.comments)
bp.add_url_rule("/<id:campaign_id>/comments/bulk", "moderate_many", c.moderate_many, methods=["POST"])
bp.add_url_rule("/<id:campaign_id>/comments/<code:comment_id>", "moderate", c.moderate, methods=["POST"])
bp.add_url_rule("/<id:campaign_id>/results.xlsx", "export_xlsx", c.export_xlsx)
bp.add_url_rule("/<id:campaign_id>/results.csv", "export_csv", c.export_csv)
