"""Who may reach which endpoint, decided in one place, plus headers and error pages."""
from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db, login

PUBLIC = "public"
ANY_USER = frozenset({"admin", "staff", "clerk", "leader", "auditor"})
#: read views of the commission's work
STAFF_READ = frozenset({"admin", "staff", "auditor"})
#: actions that change campaigns
STAFF_WRITE = frozenset({"admin", "staff"})
ADMIN = frozenset({"admin"})
PAPER = frozenset({"admin", "staff", "clerk"})
REPORT_READERS = frozenset({"admin", "staff", "auditor", "leader"})

#: Every endpoint must be listed here; one that is not is refused (fail closed), and a
#: test walks the URL map to keep this table complete.
ENDPOINTS: dict[str, object] = {
    "static": PUBLIC,
    "i18n.set_language": PUBLIC,
    "public.index": PUBLIC,
    "public.campaign": PUBLIC,
    "public.receipts": PUBLIC,
    "public.health": PUBLIC,
    "respond.enter": PUBLIC,
    "respond.public_link": PUBLIC,
    "respond.questionnaire": PUBLIC,
    "respond.report_pdf": PUBLIC,
    "respond.done": PUBLIC,
    "respond.leave": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": ANY_USER,
    "auth.password": ANY_USER,
    "admin.index": STAFF_READ,
    "admin.campaign": STAFF_READ,
    "admin.campaign_new": STAFF_WRITE,
    "admin.campaign_edit": STAFF_WRITE,
    "admin.group_new": STAFF_WRITE,
    "admin.group_edit": STAFF_WRITE,
    "admin.targets": STAFF_WRITE,
    "admin.open_campaign": STAFF_WRITE,
    "admin.close_campaign": STAFF_WRITE,
    "admin.count_campaign": STAFF_WRITE,
    "admin.publish_campaign": STAFF_WRITE,
    "admin.issue_codes": STAFF_WRITE,
    "admin.revoke_codes": STAFF_WRITE,
    "admin.turnout": STAFF_READ,
    "admin.results": STAFF_READ,
    "admin.method_json": STAFF_READ,
    "admin.questionnaires": STAFF_READ,
    "admin.questionnaire_upload": STAFF_WRITE,
    "admin.questionnaire_version": STAFF_READ,
    "admin.questionnaire_yaml": STAFF_READ,
    "admin.questionnaire_publish": STAFF_WRITE,
    "reports.index": REPORT_READERS,
}


def role_allows(rule, role: str | None, method: str) -> bool:
    if rule == PUBLIC:
        return True
    if role is None or role not in rule:
        return False
    # Auditors read everything they are shown and change nothing.
    return role != "auditor" or method in ("GET", "HEAD")


def _check_access():
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no route: let the 404 happen
    rule = ENDPOINTS.get(endpoint)
    if rule is None:
        abort(403)
    if rule == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not role_allows(rule, current_user.role, request.method):
        abort(403)
    return None


def init_app(app) -> None:
    login.login_view = "auth.login"
    login.login_message = _l("Please log in to see this page.")
    login.session_protection = "strong"

    @login.user_loader
    def _load_user(user_id: str):
        from .models import User
        if not user_id.isdigit():
            return None
        return db.session.get(User, int(user_id))

    app.before_request(_check_access)

    @app.after_request
    def _headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; frame-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if getattr(g, "no_store", False) or request.blueprint == "respond":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def _csrf(error):
        return render_template("error.html", code=400,
                               message=_l("The form expired or was sent twice. Go back, reload the page and try again.")), 400

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        messages = {
            400: _l("The request could not be understood."),
            403: _l("You are not allowed to see this page."),
            404: _l("There is no such page."),
            405: _l("This page does not accept that kind of request."),
            413: _l("The file is too large."),
            429: _l("Too many requests from here. Please wait a while and try again."),
        }
        custom = error.description != type(error).description
        message = error.description if custom else messages.get(error.code, error.name)
        return render_template("error.html", code=error.code, message=message), error.code
