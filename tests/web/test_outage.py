"""The database stopped mid-use: a PostgreSQL instance of this test's own (initdb + pg_ctl in a
temporary folder on a free port, never the shared server) is stopped under the app, every page
answers a styled 503 with Retry-After and /health says so; started again, the app recovers by
itself and the respondent's answers, sent again, are stored once."""
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Campaign, Envelope, InboxEnvelope

from .test_error_pages import page, start_public_ballot

BIN = Path("/usr/lib/postgresql/15/bin")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """One throw-away cluster; run as the `postgres` account when the tests run as root."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "data"
        self.port = _free_port()
        self.as_user = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no postgres account for initdb")
            runuser = shutil.which("runuser")
            if runuser is None:
                pytest.skip("running as root without runuser: initdb refuses root")
            self.as_user = [runuser, "-u", "postgres", "--"]
            shutil.chown(folder, "postgres")
            folder.chmod(0o700)
            # pytest's tmp folders are private to root; the postgres account must reach this one.
            for parent in folder.parents:
                if parent == Path("/"):
                    break
                parent.chmod(parent.stat().st_mode | 0o011)

    def run(self, *args, check=True):
        return subprocess.run([*self.as_user, *map(str, args)], capture_output=True, text=True,
                              check=check, timeout=120)

    def init(self):
        self.run(BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync",
                 "-E", "UTF8", "--locale=C")

    @property
    def options(self) -> str:
        return (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c shared_buffers=16MB -c max_connections=20")

    def start(self):
        self.run(BIN / "pg_ctl", "-D", self.data, "-w", "-t", "60", "-l", self.folder / "log", "start",
                 "-o", self.options)

    def stop(self):
        self.run(BIN / "pg_ctl", "-D", self.data, "-w", "-t", "60", "-m", "fast", "stop", check=False)

    @property
    def url(self):
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def own_postgres():
    if not (BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL 15 binaries in {BIN}")
    # Not under pytest's temporary folder: another pytest session on the machine resets its
    # parent to mode 0700, which the postgres account could then no longer pass through.
    folder = Path(tempfile.mkdtemp(prefix="minping-own-postgres-"))
    pg = Postgres(folder)
    try:
        pg.init()
        pg.start()
    except subprocess.CalledProcessError as error:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"cannot start a PostgreSQL of the test's own: {error.stderr[-500:]}")
    yield pg
    pg.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def app_on_own_postgres(own_postgres, tmp_path):
    from tests.web.helpers import make_app
    app = make_app(own_postgres.url, tmp_path)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_database_stopped_then_started_again(app_on_own_postgres, own_postgres, full_answers):
    app = app_on_own_postgres
    from tests.web.helpers import PASSPHRASE
    import questionnaires
    from survey_app.admin import operations
    from survey_app.designer.operations import save_questionnaire
    from survey_app.models import Target
    with app.app_context():
        version = save_questionnaire(questionnaires.template("sector_style"), publish=True)
        campaign = operations.create_campaign(code="out", kind="sector_style", title_zh="停机", title_en="Outage",
                                              version=version, min_group_size=1, hotline="12388")
        operations.add_group(campaign, code="public", name_zh="公众", name_en="Public", weight=1.0, access="public")
        target = Target(code="u1", kind="unit", name_zh="单位", name_en="Unit")
        db.session.add(target)
        db.session.flush()
        operations.set_targets(campaign, [target])
        operations.open_campaign(campaign, PASSPHRASE)
        campaign_id = campaign.id

    client, data = start_public_ballot(app, campaign_id, full_answers, "zh_CN")
    assert client.get("/health").json == {"status": "ok", "database": "ok"}

    own_postgres.stop()
    for url in ("/", "/answer/questionnaire", "/results/out"):
        response = client.get(url)
        body = page(response, 503, "zh_CN")
        assert int(response.headers["Retry-After"]) > 0 and 'data-state="unavailable"' in body
    english = app.test_client()
    english.set_cookie("lang", "en")
    page(english.get("/"), 503, "en")
    page(english.post("/answer", data={"code": "ACDE-FGHJ-KM"}), 503, "en")
    submit = client.post("/answer/questionnaire", data=data)
    body = page(submit, 503, "zh_CN")
    assert "仍保存在此浏览器" in body
    health = client.get("/health")
    assert health.status_code == 503 and health.json == {"status": "unavailable", "database": "unavailable"}
    assert health.headers["Retry-After"]

    own_postgres.start()
    deadline = time.monotonic() + 30
    while client.get("/health").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert client.get("/health").json == {"status": "ok", "database": "ok"}
    assert client.get("/").status_code == 200
    again = client.post("/answer/questionnaire", data=data)
    assert again.status_code == 302 and again.headers["Location"].endswith("/answer/done")
    with app.app_context():
        assert sum(db.session.execute(select(func.count()).select_from(m)).scalar_one() for m in (Envelope, InboxEnvelope)) == 1
        assert db.session.get(Campaign, campaign_id).status == "open"


# -- stopped under load, again and again, behind gunicorn ------------------------------------------

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
STYLED = '<link rel="stylesheet" href="/static/app.css">'


def _gunicorn(own_postgres, tmp_path, port):
    env = {**os.environ, "DATABASE_URL": own_postgres.url, "INSTANCE_PATH": str(tmp_path / "served"),
           "SECRET_KEY": "test-secret", "ACCESS_CODE_KEY": "test-code-key", "KDF_STRENGTH": "interactive",
           "LOGIN_RATE_LIMIT": "100000 per minute", "PUBLIC_RATE_LIMIT": "100000 per minute",
           "GUNICORN_WORKERS": "2", "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_LOG_LEVEL": "critical"}
    with open(tmp_path / "gunicorn.log", "w") as log:  # a pipe nobody reads would fill and stop the workers
        return subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                                cwd=Path(__file__).resolve().parents[2], env=env, start_new_session=True,
                                stdout=log, stderr=subprocess.STDOUT)


def _respondent(base, codes, answers, seen, stop):
    """What phones do meanwhile: enter a code, answer, submit; and open the home page."""
    import requests
    for code in codes:
        if stop.is_set():
            return
        with requests.Session() as s:
            try:
                steps = [s.get(f"{base}/answer", timeout=20)]
                token = TOKEN.search(steps[0].text)
                if token:
                    steps.append(s.post(f"{base}/answer", data={"csrf_token": token.group(1), "code": code},
                                        allow_redirects=False, timeout=20))
                    if steps[-1].status_code == 302:
                        steps.append(s.post(f"{base}/answer/questionnaire",
                                            data={**answers, "csrf_token": token.group(1), "action": "submit"},
                                            allow_redirects=False, timeout=20))
                steps.append(s.get(f"{base}/", timeout=20))
            except requests.RequestException as error:  # the server itself is never stopped: worth knowing
                seen.append(("no answer", None, repr(error)))
                continue
        for response in steps:
            acknowledged = response.status_code == 302 and response.headers.get("Location", "").endswith("/answer/done")
            seen.append((response.status_code, code if acknowledged else None, response.text))


def test_database_stopped_under_load_again_and_again_never_gives_a_bare_500(own_postgres, tmp_path, full_answers):
    """Two gunicorn workers take ballots from six phones while the database is stopped four
    times (fast and immediate shutdowns, mid-request and mid-commit): every answer is the app's
    own page or redirect — 503 naming the state /health reports, never the server's bare 500 —
    and every acknowledged ballot is stored, its code burnt."""
    import threading

    import questionnaires
    import requests
    from survey_app.admin import operations
    from survey_app.ballots import operations as ballots
    from survey_app.designer.operations import save_questionnaire
    from survey_app.models import AccessCode, Target
    from tests.web.helpers import PASSPHRASE, make_app

    app = make_app(own_postgres.url, tmp_path)
    with app.app_context():
        db.create_all()
        version = save_questionnaire(questionnaires.template("sector_style"), publish=True)
        campaign = operations.create_campaign(code="load", kind="sector_style", title_zh="停机", title_en="Outage",
                                              version=version, min_group_size=1, hotline="12388")
        operations.add_group(campaign, code="staff", name_zh="干部", name_en="Staff", weight=1.0)
        target = Target(code="u1", kind="unit", name_zh="单位", name_en="Unit")
        db.session.add(target)
        db.session.flush()
        operations.set_targets(campaign, [target])
        operations.open_campaign(campaign, PASSPHRASE)
        codes = ballots.issue_codes(campaign, campaign.group("staff"), 600)
        campaign_id = campaign.id
    answers = full_answers(app, campaign_id, "staff")
    with app.app_context():
        db.engine.dispose()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _gunicorn(own_postgres, tmp_path, port)
    seen, stop = [], threading.Event()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        phones = [threading.Thread(target=_respondent, args=(base, codes[i::6], answers, seen, stop))
                  for i in range(6)]
        for phone in phones:
            phone.start()
        health_while_down = []
        for cycle in range(4):
            time.sleep(1.5)
            own_postgres.run(BIN / "pg_ctl", "-D", own_postgres.data, "-w", "-t", "60",
                             "-m", ("fast", "immediate")[cycle % 2], "stop", check=False)
            health_while_down.append(requests.get(f"{base}/health", timeout=20).json())
            time.sleep(1.0)
            started = own_postgres.run(BIN / "pg_ctl", "-D", own_postgres.data, "-w", "-t", "60", "-l",
                                       own_postgres.folder / "log", "start", "-o", own_postgres.options, check=False)
            assert started.returncode == 0, (started.stdout, started.stderr)
        time.sleep(1.5)
        stop.set()
        for phone in phones:
            phone.join(timeout=120)
        final = requests.get(f"{base}/health", timeout=20)
        for _ in range(50):
            if final.ok:
                break
            time.sleep(0.2)
            final = requests.get(f"{base}/health", timeout=20)
    finally:
        stop.set()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert final.json() == {"status": "ok", "database": "ok"}
    assert all(h == {"status": "unavailable", "database": "unavailable"} for h in health_while_down)
    statuses = sorted({s for s, _c, _t in seen}, key=str)
    refused = [(s, t) for s, _c, t in seen if s not in (200, 302)]
    print(f"{len(seen)} responses ({statuses}), {len(refused)} refused while the database was away")
    assert refused, "the database did go away under load"
    for status, body in refused:
        assert status == 503 and STYLED in body, (status, body[:300])
        assert 'data-state="unavailable"' in body  # what /health said meanwhile
    acknowledged = {c for _s, c, _t in seen if c}
    assert len(acknowledged) > 20
    with app.app_context():
        from survey_app.ballots.operations import hash_code
        burnt = set(db.session.execute(select(AccessCode.code_hash).where(AccessCode.state == "used")).scalars())
        acknowledged_hashes = {hash_code(c) for c in acknowledged}
        stored = sum(db.session.execute(select(func.count()).select_from(m)).scalar_one()
                     for m in (Envelope, InboxEnvelope))
        db.session.remove()
        db.engine.dispose()
    assert acknowledged_hashes <= burnt  # every acknowledged ballot's code is burnt ...
    assert stored == len(burnt)  # ... and every burnt code has its envelope stored
