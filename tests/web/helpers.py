"""What the web tests share by import: the test passphrase and password, an app made for a
database URL, and the steps of the commission, the respondents and the counting officers."""
import threading

from werkzeug.serving import make_server

from survey_app import create_app
from survey_app.extensions import db
from survey_app.models import Campaign

#: the counting officer's passphrase of every campaign the fixtures open
PASSPHRASE = "correct horse battery staple"
#: the password of every account the fixtures make
PASSWORD = "test-password-123"


#: the password hash of the tests' apps (see make_app)
TEST_PASSWORD_HASH = "scrypt:1024:8:1"


def make_app(database_url: str, tmp_path, **extra):
    config = {
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret",
        "ACCESS_CODE_KEY": "test-code-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        # argon2id's least work for the officers' passphrases (the suite opens and counts
        # thousands of ballot boxes); production's strength is only chosen from the environment
        "KDF_STRENGTH": "minimal",
        #: scrypt as in production, at n = 2^10 instead of 2^15: accounts are made and signed in
        #: thousands of times over the suite (the method itself is what is tested, not its cost)
        "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH,
        "RATELIMIT_STORAGE_URI": "memory://",
        "PUBLIC_BASE_URL": "http://testserver",
        # Assertions read English messages; the tests of Chinese pages ask for zh_CN.
        "DEFAULT_LANGUAGE": "en",
        "PUBLIC_RATE_LIMIT": "1000 per hour",
        "LOGIN_RATE_LIMIT": "1000 per minute",
    }
    config.update(extra)
    app = create_app(config)
    app.instance_path = str(tmp_path / "instance")
    return app


def issue_codes(app, campaign_id, group="staff", n=1) -> list[str]:
    """`n` fresh access codes for a group of a campaign."""
    from survey_app.ballots import operations as ballots
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        return ballots.issue_codes(campaign, campaign.group(group), n)


def submit_ballot(client, data, code=None, token=None, environ_base=None):
    """Come in with an access `code` (or a group's public link `token`) and submit the form
    data `data`; returns the response to the submission."""
    environ_base = environ_base or {}
    if code is not None:
        entry = client.post("/answer", data={"code": code}, environ_base=environ_base)
    else:
        entry = client.get(f"/answer/link/{token}", environ_base=environ_base)
    assert entry.status_code == 302, entry.get_data(as_text=True)[:2000]
    return client.post("/answer/questionnaire", data={**data, "action": "submit"}, environ_base=environ_base)


def close_and_count(campaign, passphrase=PASSPHRASE) -> int:
    """Close an open campaign and count its ballot box (inside an app context); returns how many
    envelopes were opened."""
    from survey_app.admin.operations import close_campaign, count_campaign
    close_campaign(campaign)
    return count_campaign(campaign, passphrase)


def _body_closed_here(app):
    """The app as WSGI, each response read whole and its body closed before the server sends it.

    werkzeug's development server closes a body only if reading what is left of the request
    succeeds: when Chromium resets a connection (an icon it no longer wants), a sent file stays
    open until the garbage collector finds it, and the ResourceWarning lands in whichever test
    runs then. No page streams, so reading the body here costs nothing."""
    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()
    return wsgi


def serve_in_thread(app):
    """A werkzeug server for `app` on a free local port, in a daemon thread: (server, url);
    the caller calls server.shutdown()."""
    server = make_server("127.0.0.1", 0, _body_closed_here(app), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"
