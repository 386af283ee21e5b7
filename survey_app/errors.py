"""Every error answered with the app's own page in the visitor's language, and a 503 when the database is away.

A page shown because something failed must not fail itself: it never needs the database
(the navigation is drawn for an anonymous visitor when the database is the problem), and
if the template cannot be drawn at all a plain page in the same words is sent instead.
"""
import logging
import os

from flask import current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy import exc as sa_exc, text
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db, login

log = logging.getLogger(__name__)

#: seconds a client is asked to wait before trying again after a 503 or a 429
RETRY_AFTER = 30

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You are not allowed to see this page."),
    404: _l("There is no such page."),
    405: _l("This page does not accept that kind of request."),
    409: _l("This cannot be done in the campaign's present state."),
    413: _l("The file or form is too large."),
    429: _l("Too many requests from here. Please wait a while and try again."),
    500: _l("Something went wrong on our side. The error has been logged; please try again later."),
}
TITLES = {
    400: _l("Bad request"), 403: _l("Not allowed"), 404: _l("Not found"), 405: _l("Method not allowed"),
    409: _l("Not now"), 413: _l("Too large"), 429: _l("Too many requests"), 500: _l("Server error"),
    503: _l("Temporarily unavailable"),
}
#: what a 503 says, by the state of the database
OUTAGES = {
    "unavailable": _l("The database cannot be reached just now."),
    "read_only": _l("The database accepts no changes just now (it is read-only)."),
    "full": _l("The server's disk is full, so nothing new can be saved just now."),
    "busy": _l("The database is too busy just now."),
}


def outage(error: BaseException) -> str | None:
    """The database state an exception reveals ("unavailable", "read_only", "full", "busy"), or None for a bug."""
    if isinstance(error, sa_exc.TimeoutError):  # no free connection in the pool
        return "busy"
    if not isinstance(error, sa_exc.DBAPIError):
        return None
    if error.connection_invalidated or isinstance(error, sa_exc.InterfaceError):
        return "unavailable"
    sqlstate = getattr(error.orig, "sqlstate", None) or ""  # PostgreSQL (psycopg)
    if sqlstate == "25006":
        return "read_only"
    if sqlstate == "53100":
        return "full"
    if sqlstate.startswith(("53", "55P03", "57014")):
        return "busy"
    if not isinstance(error, sa_exc.OperationalError):
        return None
    words = str(error.orig).lower()  # SQLite says it only in words
    if "readonly" in words or "read-only" in words or "read only" in words:
        return "read_only"
    if "disk is full" in words or "database or disk is full" in words:
        return "full"
    if "locked" in words or "busy" in words:
        return "busy"
    return "unavailable"


def database_state() -> str:
    """"ok", or what keeps the database from taking ballots; for /health, cheap and without writing."""
    try:
        db.session.execute(text("SELECT 1"))
        if db.engine.dialect.name == "postgresql":
            read_only = db.session.execute(text("SHOW transaction_read_only")).scalar() == "on"
        else:
            read_only = bool(db.session.execute(text("PRAGMA query_only")).scalar()) or _sqlite_file_read_only()
        db.session.rollback()
        return "read_only" if read_only else "ok"
    except sa_exc.SQLAlchemyError as error:
        _forget_session()
        return outage(error) or "unavailable"


def _sqlite_file_read_only() -> bool:
    url = db.engine.url
    if "mode=ro" in str(url):
        return True
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return False
    folder = os.path.dirname(os.path.abspath(path))
    # WAL mode writes beside the file too, so the folder must take new files.
    return not os.access(path, os.W_OK) or not os.access(folder, os.W_OK)


def _forget_session() -> None:
    """Drop the failed transaction; a dead connection may refuse even that."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the page must still be drawn
        pass
    try:
        db.session.remove()
    except Exception:  # noqa: BLE001
        pass


def render_error(code: int, message, *, state: str | None = None, headers=None):
    """The app's error page; if it cannot be drawn, a plain page with the same words."""
    context = {"code": code, "title": TITLES.get(code, str(code)), "message": message, "state": state,
               "respondent": request.blueprint == "respond"}
    try:
        body = render_template("error.html", **context)
    except Exception:  # noqa: BLE001 - e.g. the navigation needed the database after all
        log.exception("the error page could not be drawn")
        g._login_user = login.anonymous_user()
        try:
            body = render_template("error.html", **context)
        except Exception:  # noqa: BLE001
            body = (f"<!doctype html><meta charset=utf-8><title>{code}</title>"
                    f"<h1>{code}</h1><p>{escape(str(message))}</p>")
    response = current_app.make_response((body, code))
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _http(error: HTTPException):
    code = error.code or 500
    if code == 429 and getattr(error, "response", None) is not None:
        return error.response  # a limit's own page (`respond.throttle`): keeps what was typed
    custom = error.description != type(error).description and code != 429
    message = error.description if custom else MESSAGES.get(code, error.name)
    # Keep what the protocol needs (Allow on a 405), not Werkzeug's content type.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    if code == 429:
        headers.setdefault("Retry-After", str(RETRY_AFTER * 2))
    return render_error(code, message, headers=headers)


def _csrf(_error: CSRFError):
    return render_error(400, _l("The form expired or was sent twice. Go back, reload the page and try again."))


def unless_read_only(write) -> bool:
    """Run `write()` and commit; on a database that accepts no changes, drop them and return False.

    For writes that only keep a record of reading (a login, a logout, a failed attempt):
    staff can still log in and read while the database is read-only. Any other failure is
    raised as usual."""
    try:
        write()
        db.session.commit()
        return True
    except sa_exc.DBAPIError as error:
        if outage(error) != "read_only":
            _forget_session()
            if database_state() != "read_only":
                raise
        _forget_session()
        log.warning("database read_only: a record of reading was not written")
        return False


def _database(error: sa_exc.SQLAlchemyError):
    state = outage(error)
    if state is None:
        raise error  # a bug, not an outage: the 500 handler logs it
    _forget_session()
    # The words of the error are not always the state: a SQLite folder that takes no new file
    # says it cannot open the database, a read-only server may drop the connection. The page
    # names what /health would say now, unless that sees nothing wrong (e.g. a full disk).
    if state in ("unavailable", "read_only"):  # a busy pool would make the probe wait too
        probed = database_state()
        if probed != "ok":
            state = probed
    log.warning("database %s: %s %s", state, request.method, request.endpoint, exc_info=error)
    # The user was loaded from the database that just failed: draw the page for an anonymous visitor.
    g._login_user = login.anonymous_user()
    return render_error(503, OUTAGES[state], state=state, headers={"Retry-After": str(RETRY_AFTER)})


def _internal(error: InternalServerError):
    original = getattr(error, "original_exception", None)
    if original is not None and outage(original):
        return _database(original)
    _forget_session()  # the page is drawn in a clean session; render_error falls back if that fails too
    return render_error(500, MESSAGES[500])


def _end_session(_error=None) -> None:
    """The request's session is closed after its response is made; if the database went away
    in between, closing it fails, and the response (a stored ballot's redirect, a page) must
    still go out instead of the server's bare 500. The dead connection is thrown away."""
    try:
        db.session.remove()
    except Exception:  # noqa: BLE001 - the response is made; nothing of it depends on this
        log.warning("database connection lost while the request ended", exc_info=False)
        try:
            db.session.registry.clear()
        except Exception:  # noqa: BLE001
            pass


def init_app(app) -> None:
    # Registered after Flask-SQLAlchemy's own teardown, so it runs first (teardowns run in
    # reverse); Flask-SQLAlchemy's then finds no session left to close.
    app.teardown_appcontext(_end_session)
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(sa_exc.DBAPIError, _database)
    app.register_error_handler(sa_exc.TimeoutError, _database)
    app.register_error_handler(InternalServerError, _internal)
