"""The database stopped mid-use: a PostgreSQL instance of this test's own (initdb + pg_ctl in a
temporary folder on a free port, never the shared server) is stopped under the app, every page
answers a styled 503 with Retry-After and /health says so; started again, the app recovers by
itself and the respondent's answers, sent again, are stored once."""
import os
import pwd
import shutil
import socket
import subprocess
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

    def start(self):
        self.run(BIN / "pg_ctl", "-D", self.data, "-w", "-t", "60", "-l", self.folder / "log", "start",
                 "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                       f"-c shared_buffers=16MB -c max_connections=20")

    def stop(self):
        self.run(BIN / "pg_ctl", "-D", self.data, "-w", "-t", "60", "-m", "fast", "stop", check=False)

    @property
    def url(self):
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def own_postgres(tmp_path_factory):
    if not (BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL 15 binaries in {BIN}")
    folder = tmp_path_factory.mktemp("own-postgres")
    pg = Postgres(folder)
    try:
        pg.init()
        pg.start()
    except subprocess.CalledProcessError as error:
        pytest.skip(f"cannot start a PostgreSQL of the test's own: {error.stderr[-500:]}")
    yield pg
    pg.stop()


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
