from flask import Blueprint

from . import controllers

bp = Blueprint("auth", __name__)
bp.add_url_rule("/login", "login", controllers.login, methods=["GET", "POST"])
bp.add_url_rule("/logout", "logout", controllers.logout, methods=["POST"])
bp.add_url_rule("/password", "password", controllers.password, methods=["GET", "POST"])
