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


def test_a_review_is_answered_counted_published_and_shown_beside_the_original(app, world, make_item, submit_ballots,
                                                                            as_user):
    from survey_app.admin import operations
    from survey_app.rectification import review as reviews
    from survey_app.results.adapter import results
    from tests.web.helpers import close_and_count
    a1 = make_item("a", measures_zh="增设窗口", measures_en="More counters")
    with app.app_context():
        original = db.session.get(Campaign, world["campaign"])
        review = reviews.create_review(original, "rep-review", "staff")
        operations.open_campaign(review, PASSPHRASE)
        review_id, published_before = review.id, original.published_at
    submit_ballots(review_id, "public", n=4, option="A")
    submit_ballots(review_id, "staff", n=3, option="B")
    with app.app_context():
        review = db.session.get(Campaign, review_id)
        close_and_count(review)
        operations.publish_campaign(review)
        entry = next(t for t in results(review)["targets"] if t["target"] == review.targets[0].code)
        rows = reviews.review_rows(world["a"])
        assert [(r["original"].id, r["score"]) for r in rows] == [(world["campaign"], entry["score"])]
        assert rows[0]["original_score"] is not None and rows[0]["overall"] is not None
        assert [(i.code, round(mean, 1)) for i, mean in rows[0]["measures"]] == [(f"r.{a1}", rows[0]["overall"] and
                                                                                  round(rows[0]["overall"], 1))]
        assert reviews.review_rows(world["a"], until=published_before) == []  # not in the original's own report
        assert db.session.get(RectificationItem, a1).campaign_id == world["campaign"]
    # the review's own report shows the section beside the original result (as the next campaign's would)
    staff = as_user("staff")
    staff.set_cookie("lang", "en")
    page = staff.get(f"/reports/{review_id}/targets/{world['a']}").get_data(as_text=True)
    assert "Review of the rectification" in page and "More counters" in page and "Long queues" in page
