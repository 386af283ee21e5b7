"""Fixtures shared by the web tests: an app on SQLite and, when TEST_DATABASE_URL is set,
on PostgreSQL; a ready-made open campaign; logged-in clients per role; submitted ballots and a
counted campaign."""
import os
import uuid

import pytest
import questionnaires
from sqlalchemy import create_engine, text

from survey_app.extensions import db
from tests.web.helpers import PASSPHRASE, PASSWORD, close_and_count, issue_codes, make_app, submit_ballot

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


def _pg_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@pytest.fixture(scope="session")
def pg_database():
    """A fresh PostgreSQL database for this run, dropped at the end."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    base = _pg_url(PG_URL)
    name = f"minping_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def app(backend, request, tmp_path):
    if backend == "postgresql":
        url = request.getfixturevalue("pg_database")
    else:
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    extra = getattr(request, "param", None) or {}
    app = make_app(url, tmp_path, **extra)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
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
