"""Every error answers with the app's own page in the visitor's language; the database away,
read-only or full answers a 503 with Retry-After, and a respondent's answers go through once
it is back."""
import json

import pytest
from sqlalchemy import event, func, select

from survey_app import security
from survey_app.extensions import db
from survey_app.models import Campaign, Envelope, InboxEnvelope

STYLED = '<link rel="stylesheet" href="/static/app.css">'
#: Chinese and English words each error page must show (from the catalogs, not from Werkzeug)
WORDS = {
    400: ("请求有误", "Bad request"),
    403: ("无权", "not allowed"),
    404: ("页面不存在", "no such page"),
    405: ("不接受", "does not accept"),
    413: ("过大", "too large"),
    429: ("请求过多", "Too many requests"),
    500: ("出错", "went wrong"),
    503: ("暂时无法使用", "Temporarily unavailable"),
}


def page(response, code, lang):
    body = response.get_data(as_text=True)
    assert response.status_code == code, body[:500]
    assert response.mimetype == "text/html"
    assert STYLED in body and f"<h1>{code}</h1>" in body
    assert "Traceback" not in body and "Werkzeug" not in body and "sqlalchemy" not in body.lower()
    zh, en = WORDS[code]
    assert (zh if lang == "zh_CN" else en) in body, body[:2000]
    assert f'lang="{"zh-CN" if lang == "zh_CN" else "en"}"' in body
    return body


@pytest.fixture
def boom(app, monkeypatch):
    """A route that fails with a bug, for the 500 page."""
    def fail():
        raise RuntimeError("a bug")
    app.add_url_rule("/boom", "boom", fail, methods=["GET"])
    monkeypatch.setitem(security.ENDPOINTS, "boom", security.PUBLIC)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return "/boom"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("app", [{"LOGIN_RATE_LIMIT": "1 per minute", "MAX_CONTENT_LENGTH": 1000}], indirect=True)
def test_every_error_page_is_styled_and_translated(app, users, boom, lang):
    client = app.test_client()
    client.set_cookie("lang", lang)
    page(client.get("/admin/campaigns/99999999999999999999"), 404, lang)
    page(client.get("/no-such-page"), 404, lang)
    page(client.delete("/login"), 405, lang)
    page(client.post("/login", data={"username": "x" * 5000}), 413, lang)
    page(client.get("/boom"), 500, lang)
    client.post("/login", data={"username": "admin", "password": "wrong"})
    limited = client.post("/login", data={"username": "admin", "password": "wrong"})
    page(limited, 429, lang)
    assert int(limited.headers["Retry-After"]) > 0
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    clerk = app.test_client()
    clerk.set_cookie("lang", lang)
    assert clerk.post("/login", data={"username": "clerk", "password": users}).status_code == 302
    page(clerk.get("/admin/users"), 403, lang)
    page(client.get("/admin/campaigns/1/turnout.json", query_string={"x": "a\x00b"}), 400, lang)


def test_405_keeps_allow(client):
    response = client.delete("/login")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_csrf_error_page(app, users, lang):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    client.set_cookie("lang", lang)
    body = page(client.post("/login", data={"username": "admin", "password": users}), 400, lang)
    assert ("刷新页面" in body) if lang == "zh_CN" else ("reload the page" in body)


# -- the database away ----------------------------------------------------------------------------

@pytest.fixture
def database_trouble(app):
    """Make every new connection fail a write ("full") or all writes ("read_only"), or undo it."""
    state = {}

    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        if state.get("mode") == "read_only":
            cursor.execute("PRAGMA query_only = ON")
        elif state.get("mode") == "full":
            # No page may be added: the next write that needs one fails with SQLITE_FULL.
            pages = cursor.execute("PRAGMA page_count").fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    def set_mode(mode):
        state["mode"] = mode
        with app.app_context():
            db.engine.dispose()  # the pooled connections were made before

    with app.app_context():
        event.listen(db.engine, "connect", on_connect)
    yield set_mode
    with app.app_context():
        event.remove(db.engine, "connect", on_connect)
        db.engine.dispose()


def envelope_count(app):
    with app.app_context():
        return sum(db.session.execute(select(func.count()).select_from(m)).scalar_one() for m in (Envelope, InboxEnvelope))


def start_public_ballot(app, campaign_id, full_answers, lang="en"):
    with app.app_context():
        token = db.session.get(Campaign, campaign_id).group("public").public_token
    client = app.test_client()
    client.set_cookie("lang", lang)
    assert client.get(f"/answer/link/{token}").status_code == 302
    assert client.get("/answer/questionnaire").status_code == 200
    data = {**full_answers(app, campaign_id, "public"), "action": "submit"}
    return client, data


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("mode, lang", [("read_only", "zh_CN"), ("full", "en")])
def test_submit_refused_with_503_then_accepted_once_the_database_is_back(
        app, campaign_id, full_answers, database_trouble, mode, lang):
    client, data = start_public_ballot(app, campaign_id, full_answers, lang)
    database_trouble(mode)
    response = client.post("/answer/questionnaire", data=data)
    body = page(response, 503, lang)
    assert int(response.headers["Retry-After"]) > 0
    assert f'data-state="{mode}"' in body
    assert ("仍保存在此浏览器" in body) if lang == "zh_CN" else ("still kept in this browser" in body)
    assert envelope_count(app) == 0
    health = client.get("/health")
    if mode == "read_only":
        assert health.status_code == 503 and health.json == {"status": "unavailable", "database": "read_only"}
        assert health.headers["Retry-After"]
    database_trouble(None)
    again = client.post("/answer/questionnaire", data=data)
    assert again.status_code == 302 and again.headers["Location"].endswith("/answer/done")
    assert envelope_count(app) == 1
    assert client.get("/health").json == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_read_only_database_file(app, campaign_id, tmp_path):
    """A database opened read-only (mode=ro): pages that read work, /health says read_only."""
    from tests.web.helpers import make_app
    url = app.config["SQLALCHEMY_DATABASE_URI"].replace("sqlite:///", "sqlite:///file:") + "?mode=ro&uri=true"
    ro = make_app(url, tmp_path / "ro")
    client = ro.test_client()
    assert client.get("/").status_code == 200
    health = client.get("/health")
    assert health.status_code == 503 and health.json["database"] == "read_only"
    response = client.post("/login", data={"username": "nobody", "password": "x" * 12})
    assert response.status_code in (200, 400, 503)
    with ro.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_database_unreachable_answers_503_everywhere(tmp_path, lang):
    from tests.web.helpers import make_app
    gone = make_app(f"sqlite:///{tmp_path / 'no-such-folder' / 'x.sqlite3'}", tmp_path)
    client = gone.test_client()
    client.set_cookie("lang", lang)
    for url in ("/", "/results/abc", "/results/abc/receipts"):
        response = client.get(url)
        body = page(response, 503, lang)
        assert response.headers["Retry-After"] and 'data-state="unavailable"' in body
    # Pages that need no database still work: the code form, the login form.
    assert client.get("/answer").status_code == 200 and client.get("/login").status_code == 200
    page(client.post("/answer", data={"code": "ACDE-FGHJ-KM"}), 503, lang)
    page(client.post("/login", data={"username": "admin", "password": "x" * 12}), 503, lang)
    health = client.get("/health")
    assert health.status_code == 503 and json.loads(health.data) == {"status": "unavailable",
                                                                        "database": "unavailable"}


# -- a read-only database: staff still log in and read; every message names /health's state -------

@pytest.fixture
def read_only(app, backend):
    """Turn the database read-only for every new connection (PostgreSQL: the database's
    default_transaction_read_only, as a standby or a full-disk guard would have it; SQLite:
    query_only), and back."""
    state = {"on": False}

    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    def set_read_only(on: bool):
        if on == state["on"]:
            return
        state["on"] = on
        with app.app_context():
            if backend == "postgresql":
                name = db.engine.url.database
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("SET default_transaction_read_only = off")
                    conn.exec_driver_sql(f'ALTER DATABASE "{name}" {"SET default_transaction_read_only = on" if on else "RESET default_transaction_read_only"}')
            elif on:
                event.listen(db.engine, "connect", on_connect)
            else:
                event.remove(db.engine, "connect", on_connect)
            db.session.remove()
            db.engine.dispose()

    yield set_read_only
    set_read_only(False)


def test_staff_log_in_and_read_on_a_read_only_database(app, campaign_id, users, read_only, full_answers):
    from survey_app.errors import OUTAGES
    from survey_app.models import AuditEntry, User
    client, ballot = start_public_ballot(app, campaign_id, full_answers, "en")
    with app.app_context():
        entries = db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    read_only(True)
    health = client.get("/health")
    assert health.status_code == 503 and health.json == {"status": "unavailable", "database": "read_only"}
    # A wrong password is refused as usual (the failure cannot be counted), the right one logs in.
    wrong = client.post("/login", data={"username": "staff", "password": "not-the-password"})
    assert wrong.status_code == 400 and "Wrong user name or password" in wrong.get_data(as_text=True)
    staff = app.test_client()
    staff.set_cookie("lang", "en")
    assert staff.post("/login", data={"username": "staff", "password": users}).status_code == 302
    assert staff.get("/admin/").status_code == 200
    assert staff.get(f"/admin/campaigns/{campaign_id}").status_code == 200
    # What needs a write answers 503 naming the state /health reports, in the page and its words.
    refused = client.post("/answer/questionnaire", data=ballot)
    body = page(refused, 503, "en")
    assert 'data-state="read_only"' in body and str(OUTAGES["read_only"]) in body
    assert staff.post("/logout").status_code == 302
    read_only(False)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == entries
        assert db.session.execute(select(User.failed_logins).where(User.username == "staff")).scalar_one() == 0
    assert envelope_count(app) == 0
    again = client.post("/answer/questionnaire", data=ballot)
    assert again.status_code == 302 and envelope_count(app) == 1


def test_the_response_goes_out_when_the_database_goes_away_as_the_request_ends(app, campaign_id, full_answers,
                                                                               monkeypatch):
    """Closing the request's session on a connection the server has just dropped fails after
    the response is made: the stored ballot's redirect still goes out, not a bare 500."""
    from sqlalchemy import exc as sa_exc
    from sqlalchemy.orm import Session
    client, ballot = start_public_ballot(app, campaign_id, full_answers, "en")
    real_close, failures = Session.close, []

    def close_on_a_dead_connection(self):
        real_close(self)
        if not failures:
            failures.append(1)
            raise sa_exc.OperationalError("ROLLBACK", {}, Exception("server closed the connection unexpectedly"),
                                          connection_invalidated=True)

    monkeypatch.setattr(Session, "close", close_on_a_dead_connection)
    response = client.post("/answer/questionnaire", data=ballot)
    assert failures and response.status_code == 302 and response.headers["Location"].endswith("/answer/done")
    monkeypatch.undo()
    assert envelope_count(app) == 1
    assert client.get("/answer/done").status_code == 200
