"""CSRF on every form, cookies, headers and the Content-Security-Policy, open redirects, login
throttling and lockout, sessions that end with a password change or a deactivation."""
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import AuditEntry, Campaign, User

from tests.web.helpers import PASSWORD

TEMPLATES = Path(__file__).resolve().parents[3] / "survey_app" / "templates"


def table_counts(app):
    with app.app_context():
        return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar()
                for t in db.metadata.sorted_tables}


def test_post_without_csrf_token_is_refused_and_changes_nothing(app, world):
    app.config["WTF_CSRF_ENABLED"] = True  # after the world was built through the forms
    client = app.test_client()
    # logging in needs the token too
    assert client.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": "admin", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    before = table_counts(app)
    b = world["campaign_b"]
    attempts = [
        ("/admin/campaigns/new", {"code": "evil", "title_zh": "x", "title_en": "x", "kind": "sector_style",
                                  "questionnaire_version": world["version"], "min_group_size": "5"}),
        (f"/admin/campaigns/{b}/close", {}),
        (f"/admin/campaigns/{b}/codes", {"group": world["group_b"], "count": "5", "format": "csv"}),
        ("/admin/users/new", {"username": "mallory", "role": "admin", "target": "0",
                              "password": "mallory-password", "repeat": "mallory-password"}),
        (f"/admin/users/{world['scoped_staff']}/deactivate", {"confirm": "y"}),
        (f"/admin/users/{world['scoped_staff']}/password", {"password": "attacker-pass-1", "repeat": "attacker-pass-1"}),
        ("/password", {"current": PASSWORD, "new": "attacker-pass-1", "repeat": "attacker-pass-1"}),
        ("/logout", {}),
    ]
    for url, data in attempts:
        response = client.post(url, data=data)
        assert response.status_code == 400, url
        assert "reload the page" in response.get_data(as_text=True) or "重新" in response.get_data(as_text=True)
    assert table_counts(app) == before
    with app.app_context():
        assert db.session.get(Campaign, b).status == "open"
        assert db.session.get(User, world["scoped_staff"]).active
        assert db.session.execute(select(User).where(User.username == "admin")).scalar_one().check_password(PASSWORD)
    # still logged in: the logout without a token did nothing
    assert client.get("/admin/").status_code == 200


def test_session_cookie_flags(app, users):
    client = app.test_client()
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["REMEMBER_COOKIE_HTTPONLY"]


def test_secure_cookie_from_environment(tmp_path, monkeypatch):
    from survey_app import create_app
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app({"SECRET_KEY": "k", "ACCESS_CODE_KEY": "c",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/language/en")
    assert "Secure" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("path", ["/", "/login", "/answer", "/no-such-page"])
def test_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and "frame-ancestors" in directives
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_templates_have_no_inline_script_or_style():
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b([^>]*)>", text, re.I):
            if "src=" not in match.group(1):
                problems.append(f"{path.relative_to(TEMPLATES)}: inline <script>")
        if re.search(r"\sstyle\s*=", text, re.I):
            problems.append(f"{path.relative_to(TEMPLATES)}: style= attribute")
        if re.search(r"<style\b", text, re.I) and "pdf" not in path.name and "print" not in str(path):
            problems.append(f"{path.relative_to(TEMPLATES)}: <style> element")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text):
            problems.append(f"{path.relative_to(TEMPLATES)}: inline event handler")
    assert len(list(TEMPLATES.rglob("*.html"))) > 10
    assert not problems, "\n".join(problems)


EVIL = ["https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", "http:evil.example",
        "javascript:alert(1)", " //evil.example", "https:/evil.example", "/\t/evil.example", "/\n/evil.example",
        "/\r\n/evil.example", "\t//evil.example"]


@pytest.mark.parametrize("target", EVIL)
def test_login_next_is_no_open_redirect(app, users, target):
    client = app.test_client()
    response = client.post("/login", query_string={"next": target}, data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


@pytest.mark.parametrize("target", EVIL)
def test_language_switch_is_no_open_redirect(client, target):
    response = client.get("/language/en", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_login_next_keeps_a_local_path(app, users):
    client = app.test_client()
    response = client.post("/login?next=/designer/questionnaires", data={"username": "admin", "password": PASSWORD})
    assert response.headers["Location"] == "/designer/questionnaires"


@pytest.mark.parametrize("app", [{"LOGIN_RATE_LIMIT": "3 per minute"}], indirect=True)
def test_login_is_throttled_per_address(app, users):
    client = app.test_client()
    codes = [client.post("/login", data={"username": "nobody", "password": "x"},
                         environ_base={"REMOTE_ADDR": "192.0.2.9"}).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    # another address is not held back
    assert client.post("/login", data={"username": "admin", "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 302


def test_lockout_after_five_failures(app, users):
    client = app.test_client()
    for _ in range(5):
        assert client.post("/login", data={"username": "staff", "password": "wrong-password"}).status_code == 400
    response = client.post("/login", data={"username": "staff", "password": PASSWORD})
    assert response.status_code == 400 and "15" in response.get_data(as_text=True)
    with app.app_context():
        actions = db.session.execute(select(AuditEntry.action)).scalars().all()
        assert "user.locked" in actions


def test_password_change_ends_other_sessions(app, users):
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        assert c.post("/login", data={"username": "staff", "password": PASSWORD}).status_code == 302
    response = first.post("/password", data={"current": PASSWORD, "new": "another-password-9",
                                             "repeat": "another-password-9"})
    assert response.status_code == 302
    assert first.get("/admin/").status_code == 200
    assert second.get("/admin/").status_code == 302  # back to the login


def test_deactivation_ends_open_sessions(app, world, client_as):
    staff = client_as("staff-a")
    admin = client_as("admin")
    assert staff.get("/admin/").status_code == 200
    assert admin.post(f"/admin/users/{world['scoped_staff']}/deactivate", data={"confirm": "y"}).status_code == 302
    assert staff.get("/admin/").status_code == 302
    assert app.test_client().post("/login", data={"username": "staff-a", "password": PASSWORD}).status_code == 400


def test_nul_characters_are_refused(app, users):
    client = app.test_client()
    response = client.post("/login", data={"username": "ad\x00min", "password": PASSWORD})
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    assert client.get("/results/x\x00y/receipts?r=a%00b").status_code in (400, 404)
