from flask import Blueprint

from . import controllers

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.add_url_rule("/", "index", controllers.index)
