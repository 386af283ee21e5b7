"""The application factory: configuration, no side effects, secrets never in code."""
import json
import sys

from survey_app import create_app


def test_testing_config(app):
    assert app.testing
    assert app.config["SECRET_KEY"] == "test-secret"


def test_defaults_from_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ACCESS_CODE_KEY", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("minping.sqlite3")
    secrets_file = tmp_path / "inst" / "secrets.json"
    stored = json.loads(secrets_file.read_text())
    assert app.config["SECRET_KEY"] == stored["SECRET_KEY"] and len(stored["SECRET_KEY"]) == 64
    assert (secrets_file.stat().st_mode & 0o777) == 0o600
    # A second app reads the same secret instead of making a new one.
    assert create_app().config["SECRET_KEY"] == stored["SECRET_KEY"]


def test_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/appraisal")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("ACCESS_CODE_KEY", "code-key-from-env")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/appraisal"
    assert app.config["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "inst" / "secrets.json").exists()


def test_production_keeps_its_hashing_and_cannot_choose_the_tests_kdf(tmp_path, monkeypatch):
    """The tests' cheap settings (scrypt at n=2^10, argon2id's least work) are given to
    create_app by the tests; a deployment gets werkzeug's scrypt and cannot ask for "minimal"."""
    import pytest
    from werkzeug.security import check_password_hash

    from survey_app.auth.operations import create_user
    from survey_app.extensions import db
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    monkeypatch.delenv("KDF_STRENGTH", raising=False)
    app = create_app()
    assert app.config["KDF_STRENGTH"] == "moderate" and app.config["PASSWORD_HASH_METHOD"] == "scrypt"
    with app.app_context():
        db.create_all()
        user = create_user("someone", "a-long-password-1", "staff")
        assert user.password_hash.startswith("scrypt:32768:8:1$")
        assert check_password_hash(user.password_hash, "a-long-password-1")
        db.session.remove()
        db.engine.dispose()
    monkeypatch.setenv("KDF_STRENGTH", "minimal")
    with pytest.raises(ValueError, match="KDF_STRENGTH must be 'moderate' or 'interactive'"):
        create_app()


def test_no_secret_in_code():
    from survey_app import config
    assert "SECRET_KEY" not in config.DEFAULTS


def test_pure_packages_import_no_web_stack():
    import subprocess
    code = ("import scoring, questionnaires, sys; "
            "bad = [m for m in ('flask', 'sqlalchemy', 'flask_babel', 'survey_app', 'babel') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_health(client):
    assert client.get("/health").get_json() == {"status": "ok", "database": "ok"}


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_language_switch(app, client):
    app.config["DEFAULT_LANGUAGE"] = "zh_CN"
    zh = client.get("/").get_data(as_text=True)
    assert "民主评议" in zh
    response = client.get("/language/en?next=/")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    en = client.get("/").get_data(as_text=True)
    assert "Democratic appraisal" in en and "民主评议" not in en.split("<main")[1].split("</main>")[0]


def test_language_switch_refuses_open_redirect(client):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.get("/language/en", query_string={"next": target})
        assert response.headers["Location"] == "/"


def test_browser_language_is_followed(client):
    assert "民主评议" in client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "Democratic appraisal" in client.get("/", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)


def test_a_web_worker_starts_without_the_heavy_libraries(tmp_path):
    """What gunicorn's worker builds (`wsgi.py`) imports no chart, PDF, spreadsheet,
    statistics or migration library: each is imported where it is used, so a worker starts
    fast (`bench.collect` times it). The command line still has `flask db`."""
    import subprocess
    import os
    heavy = ("matplotlib", "weasyprint", "scipy", "openpyxl", "alembic", "flask_migrate", "pandas", "numpy",
             "pypdf", "qrcode", "PIL", "Crypto", "survey_app.cli", "survey_app.backup", "survey_app.moving")
    script = ("import sys, wsgi; print(','.join(m for m in %r if m in sys.modules))" % (heavy,))
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path / "inst"), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    loaded = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "", f"imported at start: {loaded}"
    commands = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "--help"], cwd=root, env=env,
                              capture_output=True, text=True)
    assert commands.returncode == 0 and "upgrade" in commands.stdout
    listed = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "--help"], cwd=root, env=env,
                            capture_output=True, text=True)
    for command in ("campaign", "backup", "move-to", "report"):  # and the platform's own commands
        assert command in listed.stdout, listed.stdout + listed.stderr
