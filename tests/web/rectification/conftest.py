"""A small world for the ledger tests: the counted campaign of tests/web/conftest.py published (three
units; a public group of 8 shown, a staff group of 2 suppressed; comments published, pending or from the
suppressed group), leader accounts of its first two units, staff scoped to another campaign, an auditor."""
import pytest

from survey_app.extensions import db

from tests.web.helpers import PASSWORD

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(app, users, counted_campaign, make_campaign):
    """{"campaign": id, "code": its code, "a", "b", "c": target ids} with the accounts leader-a,
    leader-b (units 1 and 2) and staff-x (scoped to another campaign)."""
    from survey_app.admin import operations
    from survey_app.auth.operations import create_user
    from survey_app.models import Campaign
    other = make_campaign(code="other", status="draft", n_targets=1)
    with app.app_context():
        campaign = db.session.get(Campaign, counted_campaign)
        operations.publish_campaign(campaign)
        a, b, c = (t.id for t in campaign.targets)
        create_user("leader-a", PASSWORD, "leader", target_id=a)
        create_user("leader-b", PASSWORD, "leader", target_id=b)
        create_user("staff-x", PASSWORD, "staff", campaign_ids=[other])
        return {"campaign": campaign.id, "code": campaign.code, "a": a, "b": b, "c": c}


@pytest.fixture
def candidates(app, world):
    """candidates(target key="a", locale="en") → the published figures and comments a problem may rest on."""
    from survey_app.models import Campaign, Target
    from survey_app.rectification import operations

    def get(target="a", locale="en"):
        with app.test_request_context():
            return operations.candidates(db.session.get(Campaign, world["campaign"]),
                                         db.session.get(Target, world[target]), locale)
    return get


@pytest.fixture
def make_item(app, world, candidates):
    """make_item(target="a", origin=None (the first candidate), approved=True, **plan) → a new item's id."""
    from datetime import date

    from survey_app.models import Campaign, RectificationItem, Target
    from survey_app.rectification import operations

    def make(target="a", origin=None, approved=True, **plan):
        key = origin or candidates(target)[0].key
        values = {"measures_zh": "每周接访日", "measures_en": "A weekly open day", "responsible": "王副局长",
                  "deadline": date(2026, 12, 31), **plan}
        with app.test_request_context():
            item = operations.create_item(db.session.get(Campaign, world["campaign"]),
                                          db.session.get(Target, world[target]), key, "窗口排队时间长",
                                          "Long queues at the counter", "staff", "en", values)
            if approved:
                operations.approve_plan(item, "staff")
            return db.session.get(RectificationItem, item.id).id
    return make
