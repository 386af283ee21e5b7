"""A small world for the follow-up tests: a campaign published with two alerts (its first unit in
warning, its second in prevention, its third in none), ballots from a public link and from access
codes, comments (one left pending), and leader accounts for the first two units."""
from datetime import date

import pytest

from survey_app.extensions import db

from tests.web.conftest import _fill, _text_item
from tests.web.helpers import PASSWORD, close_and_count

#: public ballots: one option per target (t1, t2, t3); t1 has 4 of 8 dissatisfied (warning),
#: t2 2 of 8 (prevention), t3 none
BALLOTS = [("C", "C", "A"), ("C", "C", "A"), ("C", "A", "A"), ("C", "A", "A"),
           ("A", "A", "A"), ("A", "A", "A"), ("B", "A", "A"), ("A", "B", "A")]


@pytest.fixture
def alert_world(app, make_campaign):
    """{"campaign": id, "targets": [ids], "codes": [plain codes used], "receipts": [...], "comments": [...]}"""
    from survey_app.admin import operations
    from survey_app.ballots import operations as ballots
    from survey_app.models import Campaign, Comment
    campaign_id = make_campaign(code="alr", min_group_size=3)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        q = campaign.questionnaire_version.parsed
        codes = [t.code for t in campaign.targets]
        receipts, used = [], []
        for i, options in enumerate(BALLOTS):
            content = _fill(q, "public", codes, options)
            if i < 2:
                content.comments.append((codes[0], _text_item(q), f"moderated comment {i}"))
            receipts.append(ballots.submit(campaign, campaign.group("public"), content))
        staff = campaign.group("staff")
        for code in ballots.issue_codes(campaign, staff, 3):
            content = _fill(q, "staff", codes, ["C", "B", "A"])
            content.comments.append((codes[0], _text_item(q), "unmoderated staff remark"))
            receipts.append(ballots.submit(campaign, staff, content, code=code))
            used.append(code)
        close_and_count(campaign)
        for comment in db.session.query(Comment).all():
            comment.status = "published" if comment.text.startswith("moderated") else "pending"
        db.session.commit()
        operations.publish_campaign(db.session.get(Campaign, campaign_id))
        campaign = db.session.get(Campaign, campaign_id)
        target_ids = [t.id for t in campaign.targets]
    return {"campaign": campaign_id, "targets": target_ids, "codes": used, "receipts": receipts}


#: the published entries of `quick_world`, as the engine writes them (figures made up)
QUICK_RESULTS = {"ballots": 40, "targets": [
    {"target": "q-t1", "score": 61.0, "ci95": [55.0, 67.0], "rank": 3, "grade": "fair", "alert": "warning",
     "dissatisfaction": 0.35, "dissatisfaction_ci95": [0.31, 0.39], "dimensions": {"d1": 60.0},
     "groups": {"public": {"n": 40, "score": 61.0}}},
    {"target": "q-t2", "score": 74.0, "ci95": [70.0, 78.0], "rank": 2, "grade": "good", "alert": "prevention",
     "dissatisfaction": 0.2, "dissatisfaction_ci95": [0.17, 0.23], "dimensions": {"d1": 73.0}},
    {"target": "q-t3", "score": 90.0, "ci95": [88.0, 92.0], "rank": 1, "grade": "excellent", "alert": "none",
     "dissatisfaction": 0.0, "dissatisfaction_ci95": [0.0, 0.01], "dimensions": {"d1": 90.0}}]}


@pytest.fixture
def quick_world(app, make_campaign):
    """A campaign whose results are published as QUICK_RESULTS without ballots (no counting: the
    operations read only the published results), its cases opened as publication opens them.
    {"campaign": id, "targets": [ids]}"""
    from survey_app.followup import operations
    from survey_app.models import Campaign
    from survey_app.models._types import utcnow
    campaign_id = make_campaign(code="q", status="draft")
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        campaign.status, campaign.published_at, campaign.published_results = "published", utcnow(), QUICK_RESULTS
        operations.open_cases_for(campaign, "staff")
        db.session.commit()
        return {"campaign": campaign_id, "targets": [t.id for t in campaign.targets]}


@pytest.fixture
def people(app, users, quick_world, make_campaign):
    """`quick_world` with the accounts of `users`, leader-1 and leader-2 (of the first two units) and
    staff-other, scoped to another campaign."""
    from survey_app.auth.operations import create_user
    other = make_campaign(code="other", status="draft", n_targets=1)
    with app.app_context():
        create_user("leader-1", PASSWORD, "leader", target_id=quick_world["targets"][0])
        create_user("leader-2", PASSWORD, "leader", target_id=quick_world["targets"][1])
        create_user("staff-other", PASSWORD, "staff", campaign_ids=[other])
    return quick_world


@pytest.fixture
def cases(app, quick_world):
    """Case ids by target index (0: warning, 1: prevention)."""
    from survey_app.models import AlertCase
    with app.app_context():
        found = {c.target_id: c.id for c in db.session.query(AlertCase).all()}
    return {i: found[t] for i, t in enumerate(quick_world["targets"]) if t in found}


@pytest.fixture
def letter(app, cases):
    """A letter of inquiry on the warning case, sent on Friday 2026-11-06; returns its step id."""
    from survey_app.followup import operations
    from survey_app.models import AlertCase
    with app.app_context():
        step = operations.add_step(db.session.get(AlertCase, cases[0]), "letter", on=date(2026, 11, 6),
                                   actor="staff", held_by="市纪委监委", text="请就群众不满意率较高作出说明",
                                   reply_working_days=10)
        return step.id
