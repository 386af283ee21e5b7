"""What a ledger item rests on: published aggregates and moderated comments, nothing of a ballot;
bad input is refused and changes nothing; the overdue flag of a given day."""
import io
from datetime import date

import pytest
from sqlalchemy import inspect

from survey_app.extensions import db
from survey_app.models import AuditEntry, Campaign, Comment, RectificationItem, RectificationProgress

from .conftest import PDF


def test_nothing_of_a_ballot_but_published_aggregates_and_moderated_comments_reaches_an_item(
        app, world, candidates, make_item):
    from survey_app.results.adapter import results
    offered = candidates()
    for item in offered:  # every candidate of target a becomes an item
        make_item("a", origin=item.key)
    with app.app_context():
        campaign = db.session.get(Campaign, world["campaign"])
        q = campaign.questionnaire_version.parsed
        entry = next(t for t in results(campaign)["targets"] if t["target"] == campaign.targets[0].code)
        published = {c.id for c in db.session.query(Comment).filter_by(status="published")}
        suppressed_or_pending = {c.text for c in db.session.query(Comment) if c.id not in published
                                 or c.text == "staff secret comment"}
        items = db.session.query(RectificationItem).all()
        assert {i.source for i in items} == {"dimension", "item", "comment", "finding"}
        for item in items:
            if item.source == "dimension":
                assert item.source_score == round(entry["dimensions"][item.source_ref], 1)
            elif item.source == "item":
                assert item.source_ref in {i.code for i in q.rating_items()}
                groups = [g for g in entry["groups"].values() if not g.get("suppressed")]
                assert item.source_score == round(sum(g["items"][item.source_ref]["mean"] for g in groups)
                                                  / len(groups), 2)
            elif item.source == "comment":
                comment = db.session.get(Comment, item.source_ref)
                assert comment.status == "published" and comment.text == "public comment 0"
            else:
                assert (item.source_ref, item.source_score) == ("", None)
        # a comment still pending, and one from the suppressed staff group (2 < 3 responses), are not offered
        assert not any(text in c.words for c in offered for text in suppressed_or_pending)
        # the ledger's tables point at campaigns, targets and each other only: never at a ballot, envelope or code
        inspector = inspect(db.engine)
        referred = {fk["referred_table"] for table in ("rectification_items", "rectification_progress")
                    for fk in inspector.get_foreign_keys(table)}
        assert referred == {"campaigns", "targets", "rectification_items"}


def _state(app):
    with app.app_context():
        return (db.session.query(RectificationItem).count(), db.session.query(RectificationProgress).count(),
                db.session.query(AuditEntry).filter(AuditEntry.action.like("rectification.%")).count(),
                [(i.plan_state, i.status, i.measures_zh) for i in db.session.query(RectificationItem)])


def test_bad_input_is_refused_and_changes_nothing(app, world, make_item, as_user):
    with app.app_context():
        pending = db.session.query(Comment).filter_by(text="public comment 1").one().id
        secret = db.session.query(Comment).filter_by(text="staff secret comment").first().id
    item_id = make_item("a")
    before = _state(app)
    staff = as_user("staff")
    new = f"/rectification/campaign/{world['campaign']}/target/{world['a']}/new"
    for origin in (f"comment:{pending}", f"comment:{secret}", "ballot:1", "item:nope", "dimension:"):
        assert staff.post(new, data={"origin": origin, "problem_zh": "x"}).status_code == 400, origin
    assert staff.post(new, data={"origin": "finding", "problem_zh": ""}).status_code == 400
    assert staff.post(new, data={"origin": "finding", "problem_zh": "x", "deadline": "99999-01-01"}).status_code == 400
    assert staff.post(f"/rectification/campaign/{world['campaign']}/target/999/new",
                      data={"origin": "finding", "problem_zh": "x"}).status_code == 404
    assert staff.post(f"/rectification/{item_id}/check", data={"outcome": "reopened"}).status_code == 400
    assert staff.post(f"/rectification/{item_id}/check", data={"outcome": "not_accepted"}).status_code == 400
    assert staff.post(f"/rectification/{item_id}/approve").status_code == 409  # approved already
    assert staff.post(f"/rectification/{item_id}/send-back", data={"note": "x"}).status_code == 409
    assert staff.post(f"/rectification/{item_id}/plan", data={"deadline": "not a date"}).status_code == 400
    leader = as_user("leader-a")
    for data, name, message in [(b"MZ\x90\x00 not a pdf", "evidence.pdf", "none of them"),
                                (PDF, "evidence.exe", "A PDF, PNG or JPEG file, please.")]:
        response = leader.post(f"/rectification/{item_id}/progress/new", data={
            "on": "2026-03-01", "done": "x", "percent": "10", "attachment": (io.BytesIO(data), name)},
            content_type="multipart/form-data")
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert leader.post(f"/rectification/{item_id}/progress/new", data={"on": "2026-03-01", "done": "x"}).status_code == 400
    assert leader.post(f"/rectification/{item_id}/progress/new",
                       data={"on": "2026-03-01", "done": "", "percent": "500"}).status_code == 400
    assert staff.post("/rectification/progress/999/review", data={"r999-decision": "approved"}).status_code == 404
    assert staff.get("/rectification/2147483648").status_code == 404
    assert _state(app) == before


def test_no_ledger_before_publication(app, users, make_campaign, as_user):
    from survey_app.models import Target
    from survey_app.rectification import operations
    campaign_id = make_campaign(code="early", status="closed")
    with app.test_request_context():
        campaign = db.session.get(Campaign, campaign_id)
        target = db.session.get(Target, campaign.targets[0].id)
        assert [c.key for c in operations.candidates(campaign, target, "en")] == ["finding"]
        with pytest.raises(operations.LedgerError):
            operations.create_item(campaign, target, "finding", "x", "", "staff")
        target_id = target.id
    assert as_user("staff").post(f"/rectification/campaign/{campaign_id}/target/{target_id}/new",
                                 data={"origin": "finding", "problem_zh": "x"}).status_code == 404
    with app.app_context():
        assert db.session.query(RectificationItem).count() == 0


@pytest.mark.parametrize(("on", "plan_state", "status", "expected"), [
    (date(2026, 12, 31), "approved", "open", ()),                   # on the deadline: not yet overdue
    (date(2027, 1, 1), "approved", "open", ("overdue",)),
    (date(2027, 1, 1), "approved", "not_accepted", ("overdue",)),  # not accepted: still to be done
    (date(2027, 1, 1), "approved", "check_requested", ("overdue",)),
    (date(2027, 1, 1), "approved", "closed", ()),
    (date(2027, 1, 1), "submitted", "open", ()),                   # no approved deadline yet
])
def test_the_overdue_flag_of_a_given_day(on, plan_state, status, expected):
    from survey_app.rectification import operations
    item = RectificationItem(deadline=date(2026, 12, 31), plan_state=plan_state, status=status)
    assert operations.flags(item, on) == expected
