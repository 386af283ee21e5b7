"""Language choice: a cookie set by the switch on every page, else the browser's preference."""
from datetime import date, datetime, timezone
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from flask import Blueprint, current_app, has_request_context, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from .labels import in_language

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


#: Babel locales for dates: English pages print day-month-year and a 24-hour clock (en_GB), never
#: the US month-first form a reader in China would misread.
DATE_LOCALES = {"en": "en_GB", "zh_CN": "zh_Hans_CN"}


def time_zone() -> ZoneInfo:
    """The campaigns' time zone (BABEL_DEFAULT_TIMEZONE, Asia/Shanghai unless told otherwise)."""
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")


def to_utc(local: datetime | None) -> datetime | None:
    """A time typed in the campaigns' time zone as the naive UTC every model keeps."""
    if local is None:
        return None
    return local.replace(tzinfo=time_zone()).astimezone(timezone.utc).replace(tzinfo=None)


def to_local(utc: datetime | None) -> datetime | None:
    """A stored naive UTC time in the campaigns' time zone, for a form's field."""
    if utc is None:
        return None
    return utc.replace(tzinfo=timezone.utc).astimezone(time_zone()).replace(tzinfo=None)


def zone_label() -> str:
    zone = time_zone()
    return _("Beijing time") if zone.key in ("Asia/Shanghai", "Asia/Chongqing", "PRC") else zone.key


def local_time(moment: datetime | None, fmt: str = "medium", zone: bool = True) -> str:
    """A stored UTC time (naive, as every model keeps it) in the campaigns' time zone, worded
    for the page's language, with the zone named so that no reader takes it for UTC."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(time_zone())
    pattern = {"short": "yyyy-MM-dd HH:mm", "seconds": "yyyy-MM-dd HH:mm:ss"}.get(fmt)
    locale = DATE_LOCALES.get(current_language(), "zh_Hans_CN")
    if pattern is None:
        pattern = "d MMM y, HH:mm" if locale == "en_GB" else "y年M月d日 HH:mm"
    text = format_datetime(moment, pattern, locale=locale)
    if not zone:
        return text
    return f"{text} ({zone_label()})" if locale == "en_GB" else f"{text}（{zone_label()}）"


def local_date(day: date | datetime | None, fmt: str = "medium") -> str:
    if day is None:
        return "—"
    if isinstance(day, datetime):
        day = (day.replace(tzinfo=timezone.utc) if day.tzinfo is None else day).astimezone(time_zone()).date()
    return format_date(day, fmt, locale=DATE_LOCALES.get(current_language(), "zh_Hans_CN"))


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

    app.add_template_filter(local_time, "localtime")
    app.add_template_global(zone_label, "zone_label")
    app.add_template_filter(local_date, "localdate")

    @app.context_processor
    def _language():
        # Babel may name the Chinese locale zh_Hans_CN: the switch compares with the codes it offers.
        lang = in_language(current_language(), "zh_CN", "en")
        return {"lang": lang, "is_en": lang == "en",
                "languages": [("zh_CN", "中文"), ("en", "English")]}
