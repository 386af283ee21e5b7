"""A campaign's target-specific items: frozen from its targets' published commitments when it opens,
never changed afterwards, and shown on its set-up page."""
from datetime import date

import pytest

from survey_app.extensions import db
from tests.web.rating import make_rating_campaign


def _items(campaign):
    return [(i.code, i.target.code, i.text_zh, i.source, i.dimension, i.position) for i in campaign.items]


def test_opening_freezes_each_leaders_published_commitments(app):
    from survey_app.models import AuditEntry, Campaign
    campaign_id, ids = make_rating_campaign(app)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert _items(campaign) == [
            (f"p.{ids['a1']}", "pr-a", "新建幼儿园5所", "commitments", "kept", 0),
            (f"p.{ids['a2']}", "pr-a", "改造老旧小区20个", "commitments", "kept", 1),
            (f"p.{ids['b1']}", "pr-b", "治理黑臭水体3处", "commitments", "kept", 2)]  # B's draft is not asked
        q = campaign.questionnaire
        assert [i.code for i in q.items_for_target("public", "pr-b") if i.is_rating] == ["q01", "q02", "q03",
                                                                                         f"p.{ids['b1']}"]
        assert q.item(f"p.{ids['a1']}").target == "pr-a"
        opened = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "campaign.open")).one()
        assert opened.details["items"] == [f"p.{ids[n]}" for n in ("a1", "a2", "b1")]


def test_a_commitment_published_after_opening_is_not_asked(app):
    from survey_app.commitments import operations as commitments
    from survey_app.models import Campaign, Commitment, Target
    campaign_id, ids = make_rating_campaign(app)
    with app.app_context():
        leader = db.session.scalars(db.select(Target).where(Target.code == "pr-b")).one()
        commitments.create_commitment(leader, {"text_zh": "晚来的承诺", "text_en": "A late promise",
                                               "deadline": date(2026, 12, 31)}, "staff", state="published")
        commitments.publish_commitment(db.session.get(Commitment, ids["b-draft"]), "staff")
        campaign = db.session.get(Campaign, campaign_id)
        db.session.expire_all()
        assert [i.code for i in campaign.items] == [f"p.{ids[n]}" for n in ("a1", "a2", "b1")]
        assert [i.code for i in campaign.questionnaire.items_for_target("public", "pr-b") if i.is_rating][-1] \
            == f"p.{ids['b1']}"


def test_the_items_of_an_open_campaign_cannot_change(app):
    from survey_app.admin import items
    from survey_app.models import Campaign, CampaignItem
    from survey_app.models.campaign import ItemsFrozen
    campaign_id, ids = make_rating_campaign(app)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        with pytest.raises(items.ItemsRefused):
            items.freeze_campaign_items(campaign, "commitments", [])
        campaign.items[0].text_zh = "改过的问题"
        with pytest.raises(ItemsFrozen):
            db.session.flush()
        db.session.rollback()
        db.session.delete(campaign.items[0])
        with pytest.raises(ItemsFrozen):
            db.session.flush()
        db.session.rollback()
        db.session.add(CampaignItem(campaign_id=campaign_id, target_id=campaign.targets[0].id, code="p.999",
                                    text_zh="x", text_en="x", source="commitments", source_id=999,
                                    dimension="kept", weight=1.0))
        with pytest.raises(ItemsFrozen):
            db.session.flush()
        db.session.rollback()
        assert [i.text_zh for i in db.session.get(Campaign, campaign_id).items][0] == "新建幼儿园5所"


def test_a_draft_freezes_again_and_refuses_a_stranger(app):
    from survey_app.admin import items
    from survey_app.models import Campaign, Target
    campaign_id, ids = make_rating_campaign(app, status="draft")
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.items == [] and campaign.questionnaire.specific_sections()[0].items == ()
        [a, b] = campaign.targets
        items.freeze_campaign_items(campaign, "commitments", [items.Row(b, 5, "乙", "B"), items.Row(a, 7, "甲", "")])
        assert [(i.code, i.target.code, i.text_en, i.position) for i in campaign.items] == [
            ("p.7", "pr-a", "甲", 0), ("p.5", "pr-b", "B", 1)]  # targets in campaign order
        stranger = Target(code="x", kind="leader", name_zh="外人", name_en="Stranger")
        db.session.add(stranger)
        with pytest.raises(items.ItemsRefused):
            items.freeze_campaign_items(campaign, "commitments", [items.Row(stranger, 1, "x", "x")])
        db.session.rollback()
        with pytest.raises(items.ItemsRefused):  # the questionnaire has no rectification section
            items.freeze_campaign_items(campaign, "rectification", [])


def test_the_set_up_page_shows_the_items(app, login):
    from survey_app.models import Campaign
    draft_id, ids = make_rating_campaign(app, code="pr0", status="draft")
    client = login("admin")
    page = client.get(f"/admin/campaigns/{draft_id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'id="specific-items"' in page and "新建幼儿园5所" in page and "草稿承诺" not in page
    with app.app_context():
        assert db.session.get(Campaign, draft_id).items == []  # shown, not made
    page = client.get(f"/admin/campaigns/{draft_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'data-item="p.{ids["b1"]}" data-target="pr-b"' in page and "Clean up three black" in page
