"""The demo's ledgers: last year's closed (one after a check that did not accept it), this year's under
way with an overdue item, a plan waiting for approval and progress waiting for review; public."""
from datetime import date, timedelta

from survey_app.extensions import db
from survey_app.models import AuditEntry, Campaign, RectificationItem, RectificationProgress


def test_the_demo_ledgers(app, world):
    from survey_app.rectification import demo, operations
    with app.test_request_context():
        campaign = db.session.get(Campaign, world["campaign"])
        campaign.closes_at = campaign.published_at - timedelta(days=30)
        db.session.commit()
        today = campaign.published_at.date()
        # the test world has one published campaign: it stands for last year's and this year's
        assert demo.load(campaign, campaign, campaign.targets, today) == 8
        items = db.session.query(RectificationItem).order_by(RectificationItem.id).all()
        assert {i.target_id for i in items} == {world["a"], world["b"]}
        assert [i.status for i in items[:4]] == ["closed"] * 4
        assert [i.plan_state for i in items[4:]] == ["approved", "approved", "approved", "submitted"]
        assert sum("overdue" in operations.flags(i, today) for i in items) == 2  # the hotline item of each unit
        assert db.session.query(RectificationProgress).filter_by(review="pending").count() == 1
        assert db.session.query(AuditEntry).filter_by(action="rectification.check").count() == 6
        assert all(i.source in ("dimension", "item", "comment", "finding") for i in items)
        assert campaign.ledger_public
        review = db.session.query(Campaign).filter_by(code=f"{campaign.code}-review").one()  # the draft review
        assert review.status == "draft" and {t.id for t in review.targets} == {world["a"], world["b"]}
    page = app.test_client().get(f"/ledger/{world['code']}").get_data(as_text=True)
    assert "A line of the 12345 hotline" in page and "Review the list of services" in page
