"""Language choice: a cookie set by the switch on every page, else the browser's preference."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, has_request_context, redirect, request, url_for
from flask_babel import get_locale

COOKIE = "lang"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return "en"  # the command line speaks English, like its messages
    chosen = request.cookies.get(COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages, default=current_app.config["DEFAULT_LANGUAGE"])


def current_language() -> str:
    return str(get_locale() or "zh_CN")


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Only a path on this site: never an open redirect."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return fallback
    return target


bp = Blueprint("i18n", __name__)


@bp.get("/language/<code>")
def set_language(code: str):
    response = redirect(safe_next(request.args.get("next"), url_for("public.index")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def init_app(app) -> None:
    app.register_blueprint(bp)

    from flask_babel import lazy_gettext as _l
    kinds = {"work_style": _l("Work-style appraisal"), "sector_style": _l("Sector-style appraisal"),
             "integrity_report": _l("Integrity-report evaluation"),
             "integrity_assessment": _l("Integrity assessment"), "decision": _l("Decision ballot")}
    app.add_template_global(lambda kind: kinds.get(kind, kind), "kind_label")

    @app.context_processor
    def _language():
        lang = current_language()
        return {"lang": lang, "is_en": lang.startswith("en"),
                "languages": [("zh_CN", "中文"), ("en", "English")]}
