"""Counting officers k of n through the web and the CLI: opening, counting, re-sharing, sheets, secrets."""
import logging

import pytest
from Crypto.Protocol.SecretSharing import Shamir
from sqlalchemy import MetaData, func, select

from survey_app.ballots import keys
from survey_app.extensions import db
from survey_app.models import (AuditEntry, Ballot, Campaign, CountingOfficer, CountingPanel, Envelope,
                               InboxEnvelope)

OFFICERS = [("Wang Shouzheng", "first officer's passphrase"), ("Liu Qingyuan", "second officer's passphrase"),
            ("Chen Gongming", "third officer's passphrase")]
ZH = {"Accept-Language": "zh-CN"}


def _count(app, model):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _received(app):
    return _count(app, Envelope) + _count(app, InboxEnvelope)


def _entries(app, action):
    with app.app_context():
        return [e.details for e in db.session.execute(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).scalars()]


def _close(app, campaign_id):
    from survey_app.admin.operations import close_campaign
    with app.app_context():
        close_campaign(db.session.get(Campaign, campaign_id))


@pytest.fixture
def panel_campaign(app, make_campaign, login, open_form):
    """A campaign opened through the web with three officers, two of whom open its box."""
    cid = make_campaign(status="draft")
    staff = login("staff")
    response = staff.post(f"/admin/campaigns/{cid}/open", data=open_form(OFFICERS, threshold=2))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/admin/campaigns/{cid}/officers")
    return cid


def test_open_with_three_officers_count_with_two(app, panel_campaign, login, submit_ballots, count_form):
    cid, staff = panel_campaign, login("staff")
    page = staff.get(f"/admin/campaigns/{cid}/officers").get_data(as_text=True)
    assert all(name in page for name, _p in OFFICERS) and "Any 2 of these 3 officers" in page
    with app.app_context():
        assert db.session.get(CountingPanel, cid).threshold == 2
    opened = _entries(app, "campaign.open")[-1]
    assert opened["panel"]["threshold"] == 2
    assert [o["name"] for o in opened["panel"]["officers"]] == [n for n, _p in OFFICERS]
    submit_ballots(cid, n=2)
    _close(app, cid)
    form = staff.get(f"/admin/campaigns/{cid}/count").get_data(as_text=True)
    assert form.count('name="officers-') == 4  # two rows: officer and passphrase each
    # one officer alone is refused and nothing changes
    alone = staff.post(f"/admin/campaigns/{cid}/count", data=count_form([(1, OFFICERS[0][1])]))
    assert alone.status_code == 400
    assert "needs the passphrases of 2 officers; 1 given" in alone.get_data(as_text=True)
    # a blank second row counts as no officer
    blank = staff.post(f"/admin/campaigns/{cid}/count", data=count_form([(1, OFFICERS[0][1]), (2, "")]))
    assert blank.status_code == 400
    # a wrong passphrase names its officer and nothing changes
    wrong = staff.post(f"/admin/campaigns/{cid}/count", data=count_form([(1, OFFICERS[0][1]), (3, OFFICERS[1][1])]))
    assert wrong.status_code == 400 and "This is not the passphrase of Chen Gongming" in wrong.get_data(as_text=True)
    # the same officer twice is refused
    twice = staff.post(f"/admin/campaigns/{cid}/count", data=count_form([(1, OFFICERS[0][1]), (1, OFFICERS[0][1])]))
    assert twice.status_code == 400 and "once" in twice.get_data(as_text=True)
    assert _received(app) == 2 and _count(app, Ballot) == 0 and _count(app, CountingOfficer) == 3
    with app.app_context():
        assert db.session.get(Campaign, cid).counted_at is None
    assert not _entries(app, "campaign.count")
    done = staff.post(f"/admin/campaigns/{cid}/count", data=count_form([(3, OFFICERS[2][1]), (1, OFFICERS[0][1])]))
    assert done.status_code == 302 and done.headers["Location"].endswith("/results")
    assert _count(app, Ballot) == 2 and _received(app) == 0
    assert _count(app, CountingOfficer) == 0 and _count(app, CountingPanel) == 0
    [counted] = _entries(app, "campaign.count")
    assert counted["officers"] == [{"position": 1, "name": OFFICERS[0][0]}, {"position": 3, "name": OFFICERS[2][0]}]


@pytest.mark.parametrize("change, problem", [
    ({"threshold": 4}, "At most 3"), ({"threshold": 0}, "Number must be between"),
    ({"officers-1-name": "wang shouzheng"}, "same name"),
    ({"officers-2-passphrase": "short", "officers-2-repeat": "short"}, "At least 12"),
    ({"officers-2-repeat": "another passphrase"}, "differ"),
])
def test_a_panel_that_cannot_be_made_opens_nothing(app, make_campaign, login, open_form, change, problem):
    cid = make_campaign(status="draft")
    response = login("staff").post(f"/admin/campaigns/{cid}/open", data={**open_form(OFFICERS, threshold=2), **change})
    assert response.status_code == 400 and problem in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Campaign, cid).status == "draft"
    assert _count(app, CountingPanel) == 0 and _count(app, CountingOfficer) == 0


def test_the_open_page_shows_as_many_rows_as_asked(app, make_campaign, login):
    cid = make_campaign(status="draft")
    staff = login("staff")
    assert staff.get(f"/admin/campaigns/{cid}/open").get_data(as_text=True).count("officers-2-name") >= 1
    page = staff.get(f"/admin/campaigns/{cid}/open?officers=5").get_data(as_text=True)
    assert 'name="officers-4-name"' in page and 'name="officers-5-name"' not in page
    one = staff.get(f"/admin/campaigns/{cid}/open?officers=1").get_data(as_text=True)
    assert 'name="officers-1-name"' not in one
    assert staff.get(f"/admin/campaigns/{cid}/open?officers=99").status_code == 200


def test_one_of_one_through_the_web(app, make_campaign, login, open_form, count_form, submit_ballots):
    cid = make_campaign(status="draft")
    staff = login("staff")
    assert staff.post(f"/admin/campaigns/{cid}/open",
                      data=open_form([("Solo", "the only passphrase")], threshold=1)).status_code == 302
    submit_ballots(cid)
    _close(app, cid)
    assert staff.post(f"/admin/campaigns/{cid}/count",
                      data=count_form([(1, "the only passphrase")])).status_code == 302
    assert _count(app, Ballot) == 1


def test_reshare_then_old_passphrases_fail_and_new_ones_work(app, panel_campaign, login, open_form, count_form,
                                                              submit_ballots):
    cid, staff = panel_campaign, login("staff")
    submit_ballots(cid, n=2)
    new = [("Zhao Min", "new first passphrase"), ("Liu Qingyuan", "new second passphrase")]
    data = {**count_form([(1, OFFICERS[0][1]), (2, OFFICERS[1][1])], prefix="current"), **open_form(new, threshold=2)}
    # the re-share page proposes the current officers
    page = staff.get(f"/admin/campaigns/{cid}/officers/reshare").get_data(as_text=True)
    assert 'value="Chen Gongming"' in page and 'name="current-1-passphrase"' in page
    # one current officer alone cannot re-share; a wrong one is named; nothing changes
    with app.app_context():
        before = [o.sealed_share for o in keys.officers(db.session.get(Campaign, cid))]
    alone = staff.post(f"/admin/campaigns/{cid}/officers/reshare",
                       data={**data, "current-1-passphrase": ""})
    assert alone.status_code == 400 and "needs the passphrases of 2 officers" in alone.get_data(as_text=True)
    wrong = staff.post(f"/admin/campaigns/{cid}/officers/reshare",
                       data={**data, "current-1-passphrase": "not the passphrase"})
    assert wrong.status_code == 400 and "not the passphrase of Liu Qingyuan" in wrong.get_data(as_text=True)
    with app.app_context():
        assert [o.sealed_share for o in keys.officers(db.session.get(Campaign, cid))] == before
    done = staff.post(f"/admin/campaigns/{cid}/officers/reshare", data=data)
    assert done.status_code == 302, done.get_data(as_text=True)
    [entry] = _entries(app, "campaign.reshare")
    assert [o["name"] for o in entry["by"]] == [OFFICERS[0][0], OFFICERS[1][0]]
    assert len(entry["before"]["officers"]) == 3 and [o["name"] for o in entry["after"]["officers"]] == [n for n, _ in new]
    _close(app, cid)
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        assert [o.name for o in keys.officers(campaign)] == ["Zhao Min", "Liu Qingyuan"]
        with pytest.raises(keys.WrongOfficerPassphrase):
            keys.unlock_private_key(campaign, {1: OFFICERS[0][1], 2: OFFICERS[1][1]})
    old = staff.post(f"/admin/campaigns/{cid}/count", data=count_form([(1, OFFICERS[0][1]), (2, OFFICERS[1][1])]))
    assert old.status_code == 400 and _count(app, Ballot) == 0
    counted = staff.post(f"/admin/campaigns/{cid}/count", data=count_form([(1, new[0][1]), (2, new[1][1])]))
    assert counted.status_code == 302 and _count(app, Ballot) == 2
    assert staff.get(f"/admin/campaigns/{cid}/officers/reshare").status_code == 409


def _database_bytes(app, tmp_path) -> bytes:
    with app.app_context():
        db.session.remove()
        url = db.engine.url
    if url.get_backend_name() != "sqlite":
        return b""
    path = tmp_path / "test.sqlite3"
    blobs = [path.read_bytes()]
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        blobs.append(wal.read_bytes())
    return b"".join(blobs)


def _all_rows(app) -> bytes:
    """Every value of every row of every table."""
    with app.app_context():
        meta = MetaData()
        meta.reflect(bind=db.engine)
        out = []
        for table in meta.sorted_tables:
            for row in db.session.execute(table.select()):
                for value in row:
                    out.append(bytes(value) if isinstance(value, (bytes, memoryview)) else str(value).encode())
        return b"\n".join(out)


def test_shares_and_passphrases_are_never_stored_or_logged_in_the_clear(app, make_campaign, login, open_form,
                                                                       count_form, submit_ballots, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    cid = make_campaign(status="draft")
    staff = login("staff")
    assert staff.post(f"/admin/campaigns/{cid}/open", data=open_form(OFFICERS, threshold=2)).status_code == 302
    submit_ballots(cid, n=2)
    with app.app_context():
        panel = keys.load_panel(db.session.get(Campaign, cid))
    shares = [keys.open_share(o, p) for o, (_n, p) in zip(panel.officers, OFFICERS)]
    secret = Shamir.combine([(o.share_index, s) for o, s in zip(panel.officers, shares)][:2])
    private = bytes(keys.recover(panel, {1: OFFICERS[0][1], 2: OFFICERS[1][1]}))
    needles = [p.encode() for _n, p in OFFICERS] + shares + [secret, private]
    needles += [n.hex().encode() for n in shares + [secret, private]]
    stored = _all_rows(app) + _database_bytes(app, tmp_path)
    logs = caplog.text.encode() + b"".join(str(e).encode() for e in _entries(app, "campaign.open"))
    for needle in needles:
        assert needle not in stored, needle
        assert needle not in logs, needle
    _close(app, cid)
    assert staff.post(f"/admin/campaigns/{cid}/count",
                      data=count_form([(2, OFFICERS[1][1]), (3, OFFICERS[2][1])])).status_code == 302
    stored = _all_rows(app) + _database_bytes(app, tmp_path)
    logs = caplog.text.encode() + _all_rows(app)
    for needle in needles + [o.sealed_share for o in panel.officers] + [panel.sealed_private_key]:
        assert needle not in stored and needle not in logs


def test_officer_sheets_in_both_languages_and_as_pdf(app, panel_campaign, login):
    cid, staff = panel_campaign, login("staff")
    en = staff.get(f"/admin/campaigns/{cid}/officers/2/sheet")
    text = en.get_data(as_text=True)
    assert en.status_code == 200
    assert "Liu Qingyuan" in text and "Officer 2 of 3" in text and "2 of the 3 officers" in text
    assert "learn nothing of any ballot" in text and "counting day" in text
    assert all(p not in text for _n, p in OFFICERS)
    zh = staff.get(f"/admin/campaigns/{cid}/officers/2/sheet", headers=ZH).get_data(as_text=True)
    assert "Liu Qingyuan" in zh and "计票" in zh and "Officer 2 of 3" not in zh
    pdf = staff.get(f"/admin/campaigns/{cid}/officers/1/sheet.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert staff.get(f"/admin/campaigns/{cid}/officers/4/sheet").status_code == 404


def test_an_officer_account_reads_its_own_sheet_only(app, make_campaign, login, open_form):
    from survey_app.models import User
    cid = make_campaign(status="draft")
    with app.app_context():
        officer_id = db.session.execute(select(User.id).where(User.username == "officer")).scalar_one()
    staff = login("staff")
    page = staff.get(f"/admin/campaigns/{cid}/open").get_data(as_text=True)
    assert f'<option value="{officer_id}">officer' in page
    data = {**open_form(OFFICERS, threshold=2), "officers-1-account": officer_id}
    assert staff.post(f"/admin/campaigns/{cid}/open", data=data).status_code == 302
    officer = login("officer")
    mine = officer.get("/admin/officer").get_data(as_text=True)
    assert f"/admin/campaigns/{cid}/officers/2/sheet" in mine and "/officers/1/sheet" not in mine
    assert officer.get(f"/admin/campaigns/{cid}/officers/2/sheet").status_code == 200
    assert officer.get(f"/admin/campaigns/{cid}/officers/1/sheet").status_code == 404
    assert officer.get(f"/admin/campaigns/{cid}/count").status_code == 403
    assert officer.get(f"/admin/campaigns/{cid}").status_code == 403


def test_cli_open_and_count_with_officers(runner, app, make_campaign, submit_ballots):
    make_campaign(code="cli", status="draft")
    bad = runner.invoke(args=["campaign", "open", "cli", "--officer", "A=passphrase of A", "--threshold", "2"])
    assert bad.exit_code == 2 and "between 1 and 1" in bad.output
    result = runner.invoke(args=["campaign", "open", "cli", "--officer", "Ann=passphrase of Ann",
                                 "--officer", "Bob", "--officer", "Cai=passphrase of Cai", "--threshold", "2"],
                           input="passphrase of Bob\npassphrase of Bob\n")
    assert result.exit_code == 0, result.output
    assert "2 of 3" in result.output and "passphrase of" not in result.output.replace("Passphrase of Bob", "")
    with app.app_context():
        cid = db.session.execute(select(Campaign.id).where(Campaign.code == "cli")).scalar_one()
    submit_ballots(cid)
    assert runner.invoke(args=["campaign", "close", "cli"]).exit_code == 0
    one = runner.invoke(args=["campaign", "count", "cli", "--passphrase", "Ann=passphrase of Ann"])
    assert one.exit_code == 2 and "needs the passphrases of 2 officers; 1 given" in one.output
    wrong = runner.invoke(args=["campaign", "count", "cli", "--passphrase", "Ann=passphrase of Ann",
                                "--passphrase", "Bob=passphrase of Cai"])
    assert wrong.exit_code == 2 and "not the passphrase of Bob" in wrong.output
    nobody = runner.invoke(args=["campaign", "count", "cli", "--passphrase", "Dan=x", "--passphrase", "Ann=y"])
    assert nobody.exit_code == 2 and "no counting officer is called 'Dan'" in nobody.output
    assert _count(app, Ballot) == 0
    done = runner.invoke(args=["campaign", "count", "cli", "--passphrase", "bob=passphrase of Bob",
                               "--passphrase", "Cai=passphrase of Cai"])
    assert done.exit_code == 0, done.output
    assert _count(app, Ballot) == 1
    assert [o["name"] for o in _entries(app, "campaign.count")[0]["officers"]] == ["Bob", "Cai"]


def test_cli_count_prompts_for_officers(runner, app, make_campaign, full_answers):
    make_campaign(code="cli2", status="draft")
    assert runner.invoke(args=["campaign", "open", "cli2", "--officer", "Ann=passphrase of Ann",
                               "--officer", "Bob=passphrase of Bob", "--officer", "Cai=passphrase of Cai"]).exit_code == 0
    assert runner.invoke(args=["campaign", "close", "cli2"]).exit_code == 0
    # Ann is away (empty), Bob and Cai type theirs
    done = runner.invoke(args=["campaign", "count", "cli2"], input="\npassphrase of Bob\npassphrase of Cai\n")
    assert done.exit_code == 0, done.output


def test_demo_panel_is_two_of_three(app):
    from survey_app import demo
    assert demo.THRESHOLD == 2 and len(demo.OFFICERS) == 3 and len(demo.COUNTING) == 2
