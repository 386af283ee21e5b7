"""The rectification ledger's URLs: staff, leaders and auditors under /rectification, the public under /ledger."""
from flask import Blueprint

from . import controllers as c
from . import operations, review

bp = Blueprint("rectification", __name__)
bp.add_url_rule("/rectification/", "board", c.board)
bp.add_url_rule("/rectification/campaign/<id:campaign_id>", "ledger", c.ledger)
bp.add_url_rule("/rectification/campaign/<id:campaign_id>/target/<id:target_id>/new", "new", c.new,
                methods=["GET", "POST"])
bp.add_url_rule("/rectification/campaign/<id:campaign_id>/public", "publicity", c.publicity, methods=["POST"])
bp.add_url_rule("/rectification/campaign/<id:campaign_id>/review", "start_review", c.start_review, methods=["POST"])
bp.add_url_rule("/rectification/<id:rectification_id>", "item", c.item)
bp.add_url_rule("/rectification/<id:rectification_id>/plan", "plan", c.plan, methods=["GET", "POST"])
bp.add_url_rule("/rectification/<id:rectification_id>/submit", "submit", c.submit, methods=["POST"])
bp.add_url_rule("/rectification/<id:rectification_id>/approve", "approve", c.approve, methods=["POST"])
bp.add_url_rule("/rectification/<id:rectification_id>/send-back", "send_back", c.send_back, methods=["POST"])
bp.add_url_rule("/rectification/<id:rectification_id>/ask-check", "ask_check", c.ask_check, methods=["POST"])
bp.add_url_rule("/rectification/<id:rectification_id>/check", "check", c.check, methods=["POST"])
bp.add_url_rule("/rectification/<id:rectification_id>/progress/new", "progress_new", c.progress_new,
                methods=["GET", "POST"])
bp.add_url_rule("/rectification/progress/<id:rectification_progress_id>/review", "review", c.review,
                methods=["POST"])
bp.add_url_rule("/rectification/progress/<id:rectification_progress_id>/file", "attachment", c.attachment)
bp.add_url_rule("/ledger/", "public_index", c.public_index)
bp.add_url_rule("/ledger/<code:campaign_code>", "public_campaign", c.public_campaign)


@bp.app_template_global()
def ledger_counts(campaign_id: int) -> dict:
    """The dashboard's open / overdue / closed items per target id (`rectification/_dashboard.html`)."""
    return operations.counts(campaign_id, operations.today())


@bp.app_template_global()
def ledger_report_rows(campaign, target) -> list[dict]:
    """A feedback report's ledger section (`rectification/_report.html`)."""
    return operations.report_rows(campaign, target, operations.today())


@bp.app_template_global()
def ledger_review_rows(campaign, target) -> list[dict]:
    """A feedback report's reviews (回头看) of the target, published up to this campaign (`rectification/_report.html`)."""
    return review.review_rows(target.id, campaign.published_at)
