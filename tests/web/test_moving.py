"""`flask move-to`: a demo installation on SQLite moved whole into a fresh PostgreSQL database —
every row, the audit chain, open boxes still countable by their officers and codes still
valid — with nothing in the new files that pairs a code with an envelope; refused while a
count runs and into a database that holds anything."""
import random

import pytest
from sqlalchemy import create_engine, func, inspect, select, text

from survey_app import audit, demo
from survey_app.admin.operations import close_campaign
from survey_app.ballots import operations as ballots
from survey_app.extensions import db
from survey_app.models import AuditEntry, Campaign, CountingRun, Envelope, InboxEnvelope
from survey_app.models._types import utcnow

from tests.web.helpers import make_app, submit_ballot
from tests.web.ballots.test_forensics import _raw_pages, pairable_through_xmin

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def empty_pg():
    """A new, empty PostgreSQL database for this test alone (the suite's own is shared)."""
    from tests.web.conftest import PG_URL, temporary_pg_database
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    with temporary_pg_database(PG_URL, "minping_move_") as url:
        yield url


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                for t in db.metadata.sorted_tables if t.name != "counting_runs"}


def _results(campaign_code: str) -> dict:
    from survey_app.results import adapter
    campaign = db.session.execute(select(Campaign).where(Campaign.code == campaign_code)).scalar_one()
    close_campaign(campaign)
    opened = ballots.count(campaign, demo.COUNTING)
    return opened, adapter.compute(db.session.get(Campaign, campaign.id))


def test_a_demo_installation_moves_to_postgresql_whole(app, runner, empty_pg, tmp_path, full_answers):
    with app.app_context():
        demo.load(echo=lambda _m: None, scale=0.1)
        report = db.session.execute(select(Campaign).where(Campaign.code == "report-2026")).scalar_one()
        # More ballots into the open campaign, so that its box holds mixed batches.
        rng = random.Random(7)
        demo._simulate(report, rng, {ct.target.code: 0.4 for ct in report.campaign_targets},
                       {"public": 40, "staff": 25}, utcnow(), 1, {"staff"})
        [later] = ballots.issue_codes(report, report.group("staff"), 1)
        report_id = report.id
        before = _counts(db.engine)
        box = {bytes(s) for s in db.session.execute(select(Envelope.sealed)).scalars()}
        box |= {bytes(s) for s in db.session.execute(select(InboxEnvelope.sealed)).scalars()}
    assert before["envelopes"] >= 20 and before["ballots"] > 50 and len(box) == before["envelopes"] + before["envelope_inbox"]

    moved = runner.invoke(args=["move-to", empty_pg])
    assert moved.exit_code == 0, moved.output
    assert "verifies on the target" in moved.output

    target = make_app(empty_pg, tmp_path / "target")
    with target.app_context():
        after = _counts(db.engine)
        assert after == {**before, "audit_log": before["audit_log"] + 1}, "every row of every table"
        assert audit.verify() == []
        last = db.session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).scalar_one()
        assert last.action == "database.moved"
        # What a copy of the new files shows: one transaction wrote everything (codes and
        # envelopes alike), in the order of the random keys, and no envelope twice.
        assert pairable_through_xmin(db.session, 2) == 0
        xmins = db.session.execute(text(
            "SELECT count(DISTINCT xmin::text) FROM (SELECT xmin FROM envelopes UNION ALL SELECT xmin FROM "
            "envelope_inbox UNION ALL SELECT xmin FROM access_codes UNION ALL SELECT xmin FROM ballots) x")).scalar()
        assert xmins == 1
        # Within each page, rows sit in the order they were written. Across pages PostgreSQL may put a
        # small row into room an earlier page was found to have (its free space map), so the order of
        # the pages alone is not the order of writing when rows differ in size (ballots do).
        for table, key in (("envelopes", "id"), ("envelope_inbox", "id"), ("ballots", "id"), ("comments", "id")):
            rows = db.session.execute(text(f"SELECT (ctid::text::point)[0], {key} FROM {table} ORDER BY ctid")).all()
            pages: dict = {}
            for page, value in rows:
                pages.setdefault(page, []).append(value)
            assert all(keys == sorted(keys) for keys in pages.values()), f"{table}: written in the order of its random key"
            assert sum(map(len, pages.values())) == len(rows) and len(pages) >= 1
        db.session.rollback()
        with db.engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        with db.engine.connect() as conn:
            pages = _raw_pages(conn)
        assert all(pages.count(s[:16]) == 1 and pages.count(s[-16:]) == 1 for s in box)
        db.session.rollback()
        # The next id of a table with an integer key follows the moved rows.
        audit.record("test.after_move", "")
        db.session.commit()

    # A code issued before the move still opens the ballot, on the new database.
    respondent = target.test_client()
    assert submit_ballot(respondent, full_answers(target, report_id, "staff"), code=later).status_code == 302
    # The open campaign's box is counted by its officers on the new database, and gives what
    # the same box gives on the old one.
    with target.app_context():
        opened, moved_results = _results("report-2026")
    with app.app_context():
        assert _results("report-2026")[0] == opened - 1  # the one ballot sent after the move
    assert opened == len(box) + 1 and moved_results["targets"]
    with target.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_move_is_refused_while_a_count_runs_and_into_a_database_that_holds_anything(
        app, runner, campaign_id, empty_pg, tmp_path):
    with app.app_context():
        db.session.add(CountingRun(campaign_id=campaign_id, started_at=utcnow(), updated_at=utcnow()))
        db.session.commit()
    refused = runner.invoke(args=["move-to", empty_pg])
    assert refused.exit_code == 2 and "a count is running (c1)" in refused.output
    nothing = create_engine(empty_pg)
    assert inspect(nothing).get_table_names() == []
    nothing.dispose()
    with app.app_context():
        db.session.execute(CountingRun.__table__.delete())
        db.session.commit()
    assert runner.invoke(args=["move-to", empty_pg]).exit_code == 0
    again = runner.invoke(args=["move-to", empty_pg])
    assert again.exit_code == 2 and "not empty" in again.output
    wrong = runner.invoke(args=["move-to", f"sqlite:///{tmp_path / 'other.sqlite3'}"])
    assert wrong.exit_code == 2 and "must be a PostgreSQL database" in wrong.output
    unreachable = runner.invoke(args=["move-to", "postgresql://postgres@127.0.0.1:1/none"])
    assert unreachable.exit_code == 2 and "cannot reach the target" in unreachable.output
