from flask import Blueprint

from . import controllers as c
from . import officers as o

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.add_url_rule("/", "index", c.index)
bp.add_url_rule("/campaigns/new", "campaign_new", c.campaign_new, methods=["GET", "POST"])
bp.add_url_rule("/campaigns/<id:campaign_id>", "campaign", c.campaign)
bp.add_url_rule("/campaigns/<id:campaign_id>/edit", "campaign_edit", c.campaign_edit, methods=["GET", "POST"])
bp.add_url_rule("/campaigns/<id:campaign_id>/groups/new", "group_new", c.group_new, methods=["GET", "POST"])
bp.add_url_rule("/campaigns/<id:campaign_id>/groups/<id:group_id>", "group_edit", c.group_edit,
                methods=["GET", "POST"])
bp.add_url_rule("/campaigns/<id:campaign_id>/targets", "targets", c.targets, methods=["GET", "POST"])
bp.add_url_rule("/campaigns/<id:campaign_id>/open", "open_campaign", o.open_campaign, methods=["GET", "POST"])
bp.add_url_rule("/campaigns/<id:campaign_id>/close", "close_campaign", c.close_campaign, methods=["GET", "POST"])
bp.add_url_rule("/campaigns/<id:campaign_id>/count", "count_campaign", o.count_campaign, methods=["GET", "POST"])
bp.add_url_rule("/campaigns/<id:campaign_id>/count/progress.json", "count_progress", c.count_progress)
bp.add_url_rule("/campaigns/<id:campaign_id>/officers", "officers", o.officers)
bp.add_url_rule("/campaigns/<id:campaign_id>/officers/reshare", "reshare_officers", o.reshare_officers,
                methods=["GET", "POST"])
bp.add_url_rule("/campaigns/<id:campaign_id>/officers/<id:position>/sheet", "officer_sheet", o.officer_sheet)
bp.add_url_rule("/campaigns/<id:campaign_id>/officers/<id:position>/sheet.pdf", "officer_sheet_pdf",
                o.officer_sheet_pdf)
bp.add_url_rule("/officer", "my_sheets", o.my_sheets)
bp.add_url_rule("/campaigns/<id:campaign_id>/publish", "publish_campaign", c.publish_campaign, methods=["GET", "POST"])
bp.add_url_rule("/campaigns/<id:campaign_id>/codes", "issue_codes", c.issue_codes, methods=["GET", "POST"])
bp.add_url_rule("/campaigns/<id:campaign_id>/codes/revoke", "revoke_codes", c.revoke_codes, methods=["POST"])
bp.add_url_rule("/campaigns/<id:campaign_id>/groups/<id:group_id>/poster.pdf", "poster", c.poster)
bp.add_url_rule("/campaigns/<id:campaign_id>/targets/<id:campaign_target_id>/report", "target_report",
                c.target_report, methods=["GET", "POST"])
bp.add_url_rule("/campaigns/<id:campaign_id>/turnout.json", "turnout", c.turnout)
bp.add_url_rule("/campaigns/<id:campaign_id>/results", "results", c.results)
bp.add_url_rule("/campaigns/<id:campaign_id>/method.json", "method_json", c.method_json)
bp.add_url_rule("/campaigns/<id:campaign_id>/targets/import", "import_targets", c.import_targets,
                methods=["GET", "POST"])
bp.add_url_rule("/campaigns/<id:campaign_id>/copy", "copy_setup", c.copy_setup, methods=["GET", "POST"])
