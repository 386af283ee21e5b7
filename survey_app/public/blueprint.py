from flask import Blueprint

from . import controllers

bp = Blueprint("public", __name__)
bp.add_url_rule("/", "index", controllers.index)
bp.add_url_rule("/results/<code:code>", "campaign", controllers.campaign)
bp.add_url_rule("/results/<code:code>/receipts", "receipts", controllers.receipts)
bp.add_url_rule("/results/<code:code>/bundle.zip", "bundle", controllers.bundle)
bp.add_url_rule("/health", "health", controllers.health)
bp.add_url_rule("/favicon.ico", "favicon", controllers.favicon)
bp.add_app_template_global(controllers.open_hotlines, "open_hotlines")
