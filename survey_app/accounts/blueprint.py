"""URLs of the account administration and the audit log."""
from flask import Blueprint

from ..models._types import utcnow
from . import controllers as c

bp = Blueprint("accounts", __name__, url_prefix="/admin")
bp.add_url_rule("/users", "users", c.users)
bp.add_url_rule("/users/new", "user_new", c.user_new, methods=["GET", "POST"])
bp.add_url_rule("/users/<id:user_id>", "user", c.user, methods=["GET", "POST"])
bp.add_url_rule("/users/<id:user_id>/deactivate", "deactivate", c.deactivate, methods=["POST"])
bp.add_url_rule("/users/<id:user_id>/activate", "activate", c.activate, methods=["POST"])
bp.add_url_rule("/users/<id:user_id>/password", "reset_password", c.reset_password, methods=["POST"])
bp.add_url_rule("/audit", "audit_log", c.audit_log)
bp.add_app_template_global(utcnow, "now_utc")
