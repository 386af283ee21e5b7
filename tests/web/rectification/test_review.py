"""The review (回头看): staff set up a follow-up campaign from a ledger; opening it freezes each
target's own approved measures as target-specific items (source "rectification") beside the overall
change; the feedback report shows a published review beside the original result."""
from datetime import timedelta

from survey_app.extensions import db
from survey_app.models import AuditEntry, Campaign, CampaignItem, RectificationItem

from tests.web.helpers import PASSPHRASE


def test_a_review_asks_each_targets_own_approved_measures(app, world, make_item, as_user):
    from survey_app.admin import operations
    a1 = make_item("a", measures_zh="增设窗口", measures_en="More counters")
    a2 = make_item("a", measures_zh="网上预约", measures_en="Online appointments")
    b1 = make_item("b", measures_zh="公示收费", measures_en="Publish the fees")
    make_item("b", approved=False, measures_zh="草稿措施", measures_en="A draft measure")
    url = f"/rectification/campaign/{world['campaign']}/review"
    assert as_user("auditor").post(url, data={"code": "rv"}).status_code == 403
    assert as_user("leader-a").post(url, data={"code": "rv"}).status_code == 403
    staff = as_user("staff")
    assert staff.post(url, data={"code": "bad code!"}).status_code == 400
    assert staff.post(url, data={"code": world["code"]}).status_code == 400  # taken
    with app.app_context():
        assert db.session.query(Campaign).count() == 2
    response = staff.post(url, data={"code": "rep-review"})
    assert response.status_code == 302
    with app.app_context():
        review = db.session.query(Campaign).filter_by(code="rep-review").one()
        original = db.session.get(Campaign, world["campaign"])
        assert review.status == "draft" and review.kind == original.kind
        assert [t.id for t in review.targets] == [world["a"], world["b"]]  # c has no approved plan
        assert [g.code for g in review.groups] == [g.code for g in original.groups]
        operations.open_campaign(review, PASSPHRASE)
        items = db.session.query(CampaignItem).filter_by(campaign_id=review.id).order_by(CampaignItem.position).all()
        assert [(i.source, i.code, i.target_id, i.text_en) for i in items] == [
            ("rectification", f"r.{a1}", world["a"], "More counters"),
            ("rectification", f"r.{a2}", world["a"], "Online appointments"),
            ("rectification", f"r.{b1}", world["b"], "Publish the fees")]
        asked = [i.code for i in review.questionnaire.items_for_target("public", original.targets[0].code)]
        assert sorted(asked) == sorted([f"r.{a1}", f"r.{a2}", "rv01"])  # its own measures and the overall change
        assert db.session.query(AuditEntry).filter_by(action="rectification.review_campaign").count() == 1


def test_the_report_shows_a_published_review_beside_the_original_result(app, world, make_item):
    """The review's figures are read from its published results (here a document in the engine's shape:
    counting target-specific items end to end belongs to issue 31's ballot and engine work)."""
    from survey_app.admin import operations
    from survey_app.rectification import review as reviews
    a1 = make_item("a", measures_en="More counters")
    with app.app_context():
        original = db.session.get(Campaign, world["campaign"])
        review = reviews.create_review(original, "rep-review", "staff")
        operations.open_campaign(review, PASSPHRASE)
        code = original.targets[0].code
        review.status, review.published_at = "published", original.published_at + timedelta(days=200)
        review.published_results = {"ballots": 9, "targets": [{"target": code, "score": 88.0, "groups": {
            "public": {"n": 8, "items": {f"r.{a1}": {"n": 8, "mean": 90.0}, "rv01": {"n": 8, "mean": 86.0}}},
            "staff": {"n": 1, "suppressed": True}}}]}
        db.session.commit()
        rows = reviews.review_rows(world["a"])
        assert [(r["original"].id, r["score"], r["overall"]) for r in rows] == [(original.id, 88.0, 86.0)]
        assert [(i.code, mean) for i, mean in rows[0]["measures"]] == [(f"r.{a1}", 90.0)]
        assert reviews.review_rows(world["a"], until=original.published_at) == []  # not before it was published
        assert db.session.get(RectificationItem, a1).campaign_id == original.id
    # the next report's section (a report of a campaign published after the review)
    from types import SimpleNamespace

    from flask import render_template
    with app.test_request_context():
        from survey_app.models import Target
        later = SimpleNamespace(campaign=SimpleNamespace(published_at=None), target=db.session.get(Target, world["a"]))
        html = render_template("rectification/_report.html", r=later, locale="en")
    assert "Review of the rectification" in html and "More counters" in html and "88.0" in html and "86.0" in html
