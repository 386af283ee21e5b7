"""Fixtures shared by the web tests: an app on SQLite and, when TEST_DATABASE_URL is set,
on PostgreSQL; a ready-made open campaign; logged-in clients per role; submitted ballots and a
counted campaign."""
import os
from contextlib import contextmanager
import shutil
import uuid
from pathlib import Path

import pytest
import questionnaires
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from survey_app.extensions import db
from tests.web.helpers import PASSPHRASE, PASSWORD, close_and_count, issue_codes, make_app, submit_ballot

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


def _pg_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@contextmanager
def temporary_pg_database(url: str, prefix: str):
    """A new, empty PostgreSQL database on the server of `url` (any driver prefix), named
    `prefix` + a random suffix; yields its SQLAlchemy URL and drops it (WITH FORCE) afterwards."""
    base = _pg_url(url)
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database():
    """A PostgreSQL database for this run with the schema made once, dropped at the end. Tests
    that want it empty take `fresh_database` (the `app` fixture does)."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    with temporary_pg_database(PG_URL, "minping_test_") as url:
        yield url
        _PgSchema.dispose(url)


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


#: everything of the schema in `public` a test could change: columns and their defaults,
#: constraints, indexes, triggers (and whether they are enabled), functions, relations
_PG_SCHEMA = """SELECT md5(coalesce(string_agg(x, ',' ORDER BY x), '')) FROM (
  SELECT 'col:' || c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
         || a.attnotnull::text || coalesce(pg_get_expr(d.adbin, d.adrelid), '') AS x
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL SELECT 'con:' || conrelid::regclass::text || '.' || conname || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT 'idx:' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'public'::regnamespace
  UNION ALL SELECT 'trg:' || t.tgrelid::regclass::text || '.' || t.tgname || t.tgenabled::text
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
   WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
  UNION ALL SELECT 'fn:' || proname || md5(prosrc) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
  UNION ALL SELECT 'rel:' || relname || relkind::text FROM pg_class WHERE relnamespace = 'public'::regnamespace
  UNION ALL SELECT 'ext:' || extname FROM pg_extension WHERE extname <> 'plpgsql'
) s"""


class _PgSchema:
    """The session's PostgreSQL database, emptied for each test instead of rebuilt: the models'
    schema is made once; before a test, the ballot-box partitions earlier tests made are dropped,
    every table is emptied with triggers off (the audit log's guard refuses DELETE) and every
    sequence restarts, so ids start at 1 as in a new database. A test that changed the schema
    itself (migrations, a disabled trigger, a restore, an extension) is seen by its fingerprint
    and the schema is made again from nothing."""
    _known: dict = {}

    def __init__(self, url: str):
        self.engine = create_engine(url, poolclass=NullPool)
        self.rebuild()

    @classmethod
    def of(cls, url: str) -> "_PgSchema":
        if url not in cls._known:
            cls._known[url] = cls(url)
        return cls._known[url]

    @classmethod
    def dispose(cls, url: str) -> None:
        known = cls._known.pop(url, None)
        if known is not None:
            known.engine.dispose()

    def rebuild(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            db.metadata.create_all(conn)
            self.fingerprint = conn.execute(text(_PG_SCHEMA)).scalar_one()
            self.tables = set(conn.execute(text(
                "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                "AND relkind IN ('r', 'p')")).scalars())
            self.sequences = conn.execute(text(
                "SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = 'public'")).scalars().all()

    def empty_it(self) -> None:
        with self.engine.begin() as conn:
            extra = set(conn.execute(text(
                "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                "AND relkind IN ('r', 'p')")).scalars()) - self.tables
            if extra:  # the ballot-box partitions of campaigns opened by earlier tests
                conn.execute(text("DROP TABLE IF EXISTS " + ", ".join(f'"{t}"' for t in sorted(extra)) + " CASCADE"))
            changed = conn.execute(text(_PG_SCHEMA)).scalar_one() != self.fingerprint
            if not changed:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                conn.execute(text("; ".join(f'DELETE FROM "{t}"' for t in sorted(self.tables))))
                if self.sequences:
                    conn.execute(text("SELECT " + ", ".join(f"setval('{s}', 1, false)" for s in self.sequences)))
        if changed:
            self.rebuild()


_SQLITE_TEMPLATE = {}


def _sqlite_template(tmp_path_factory) -> Path:
    """An SQLite file with the models' schema, made once (as the app makes it: in WAL mode) and
    copied for each test: a copy is the same file create_all would have made, with its own WAL."""
    if "path" not in _SQLITE_TEMPLATE:
        path = tmp_path_factory.mktemp("schema") / "template.sqlite3"
        template = make_app(f"sqlite:///{path}", path.parent)
        with template.app_context():
            db.create_all()
            db.session.remove()
            db.engine.dispose()  # the last connection checkpoints and removes the -wal file
        assert not Path(f"{path}-wal").exists()
        _SQLITE_TEMPLATE["path"] = path
    return _SQLITE_TEMPLATE["path"]


@pytest.fixture
def fresh_database(backend, request, tmp_path, tmp_path_factory):
    """fresh_database(name="test.sqlite3") → the URL of a database with the models' schema and no
    rows: a new SQLite file under tmp_path, or the session's PostgreSQL database emptied."""
    def make(name="test.sqlite3"):
        if backend == "postgresql":
            url = request.getfixturevalue("pg_database")
            _PgSchema.of(url).empty_it()
            return url
        path = tmp_path / name
        shutil.copyfile(_sqlite_template(tmp_path_factory), path)
        return f"sqlite:///{path}"
    return make


@pytest.fixture
def app(request, tmp_path, fresh_database):
    url = fresh_database()
    extra = getattr(request, "param", None) or {}
    app = make_app(url, tmp_path, **extra)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def make_campaign(app):
    """Build a campaign: sector-style template, groups and targets; open unless told otherwise."""
    from survey_app.admin import operations
    from survey_app.designer.operations import save_questionnaire
    from survey_app.models import Target

    def make(code="c1", status="open", groups=None, n_targets=3, kind="sector_style", min_group_size=5):
        with app.app_context():
            version = save_questionnaire(questionnaires.template(kind), publish=True)
            campaign = operations.create_campaign(code=code, kind=kind, title_zh="测试评议", title_en="Test appraisal",
                                                  version=version, min_group_size=min_group_size,
                                                  hotline="12388")
            for gcode, weight, access in groups or [("public", 0.6, "public"), ("staff", 0.4, "code")]:
                operations.add_group(campaign, code=gcode, name_zh=gcode, name_en=gcode.title(),
                                     weight=weight, access=access)
            targets = []
            for i in range(n_targets):
                t = Target(code=f"{code}-t{i + 1}", kind="unit", name_zh=f"单位{i + 1}", name_en=f"Unit {i + 1}")
                db.session.add(t)
                targets.append(t)
            db.session.flush()
            operations.set_targets(campaign, targets)
            if status != "draft":
                operations.open_campaign(campaign, PASSPHRASE)
            if status in ("closed", "published"):
                operations.close_campaign(campaign)
            return campaign.id
    return make


@pytest.fixture
def campaign_id(make_campaign):
    return make_campaign()


#: public ballots of the counted campaign: one option per target (t1, t2, t3) for every rating item
PUBLIC = [("A", "A", "A"), ("A", "B", "A"), ("B", "B", "C"), ("A", "A", "B"), ("C", "B", "A"),
          ("A", "DK", "A"), ("B", "A", "A"), ("A", "A", "A")]


def _fill(q, group_code, targets, options):
    from survey_app.ballots.validation import BallotContent
    content = BallotContent()
    for target, option in zip(targets, options):
        for item in q.items_for(group_code):
            if item.per_target and item.type == "rating":
                content.answers.append((target, item.code, option))
    return content


@pytest.fixture
def counted_campaign(app, make_campaign):
    """The id of a closed and counted campaign with known ballots: three units, a public group of
    8 and a staff group of 2 (below the minimum of 3, so suppressed), and comments from both
    groups, all published but "public comment 1"."""
    from survey_app.ballots import operations as ballots
    from survey_app.models import Campaign, Comment
    campaign_id = make_campaign(code="rep", min_group_size=3)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        q = campaign.questionnaire_version.parsed
        codes = [t.code for t in campaign.targets]
        public, staff = campaign.group("public"), campaign.group("staff")
        for i, options in enumerate(PUBLIC):
            content = _fill(q, "public", codes, options)
            if i < 2:
                content.comments.append((codes[0], _text_item(q), f"public comment {i}"))
            ballots.submit(campaign, public, content)
        plain = ballots.issue_codes(campaign, staff, 2)
        for code in plain:
            content = _fill(q, "staff", codes, ["C", "C", "C"])
            content.comments.append((codes[0], _text_item(q), "staff secret comment"))
            ballots.submit(campaign, staff, content, code=code)
        close_and_count(campaign)
        for comment in db.session.query(Comment).all():
            comment.status = "published" if comment.text != "public comment 1" else "pending"
        db.session.commit()
    return campaign_id


def _text_item(q):
    return next(item.code for item in q.items() if item.type == "text" and item.per_target)


@pytest.fixture
def users(app):
    """One account per role; leader accounts for the first two targets made later get ids by name."""
    from survey_app.auth.operations import create_user
    with app.app_context():
        for role in ("admin", "staff", "clerk", "auditor", "officer"):
            create_user(role, PASSWORD, role)
    return PASSWORD


@pytest.fixture
def login(client, users):
    def do(username):
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return do


@pytest.fixture
def as_user(app):
    """A fresh logged-in test client for a username (several users act in one test)."""
    def make(username):
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:1000]
        return client
    return make


@pytest.fixture
def submit_ballots(app, full_answers):
    """Submit `n` full ballots of a group through the web, every rating `option`: with fresh
    access codes where the group answers with codes, through its public link otherwise; each
    from a client and an address of its own, as respondents come. Returns the responses."""
    from survey_app.models import Campaign

    def submit(campaign_id, group="staff", n=1, option="A"):
        with app.app_context():
            respondents = db.session.get(Campaign, campaign_id).group(group)
            token = respondents.public_token if respondents.access == "public" else None
        codes = [None] * n if token else issue_codes(app, campaign_id, group, n)
        data = full_answers(app, campaign_id, group, option)
        responses = []
        for i, code in enumerate(codes):
            env = {"REMOTE_ADDR": f"198.51.100.{i % 250 + 1}"}
            response = submit_ballot(app.test_client(), data, code=code, token=token, environ_base=env)
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
            responses.append(response)
        return responses
    return submit


@pytest.fixture
def full_answers():
    return _full_answers


def _full_answers(app, campaign_id, group_code, option="A"):
    """Form data answering every question of the group with `option` (rating) or the first choice."""
    from survey_app.ballots.validation import asked, field_name
    from survey_app.models import Campaign
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        q = campaign.questionnaire  # with its target-specific items
        codes = [t.code for t in campaign.targets]
        data = {}
        for item, target in asked(q, group_code, codes):
            name = field_name(item.code, target)
            if item.type == "rating":
                data[name] = option
            elif item.type in ("single", "multiple"):
                data[name] = item.options[0].code
            elif item.required:
                data[name] = "ok"
        return data


@pytest.fixture
def open_form():
    return _open_form


def _open_form(officers=(("Officer", PASSPHRASE),), threshold=1, **extra):
    """Form data of the opening page for a panel of (name, passphrase) officers."""
    data = {"threshold": threshold, **extra}
    for i, (name, passphrase) in enumerate(officers):
        data.update({f"officers-{i}-name": name, f"officers-{i}-account": 0,
                     f"officers-{i}-passphrase": passphrase, f"officers-{i}-repeat": passphrase})
    return data


@pytest.fixture
def count_form():
    return _count_form


def _count_form(turns=((1, PASSPHRASE),), prefix="officers"):
    """Form data of the counting page: (officer position, passphrase) one row each."""
    data = {}
    for i, (position, passphrase) in enumerate(turns):
        data.update({f"{prefix}-{i}-officer": position, f"{prefix}-{i}-passphrase": passphrase})
    return data
