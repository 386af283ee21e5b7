"""A small world for the commitments tests: two leaders with accounts, a unit, a campaign scope,
staff (one scoped to a campaign holding leader A only), an auditor, and a maker of commitments."""
from datetime import date

import pytest

from survey_app.extensions import db

from tests.web.helpers import PASSWORD


@pytest.fixture
def target_ids(app):
    """Ids by code of the targets `la`, `lb` (leaders) and `unit`, and of the campaign `scope`
    whose only target is `la`. No accounts: hashing their passwords is the slow part."""
    from survey_app.admin import operations
    from survey_app.designer.operations import save_questionnaire
    from survey_app.models import Target
    import questionnaires

    with app.app_context():
        targets = {code: Target(code=code, kind=kind, name_zh=zh, name_en=en)
                   for code, kind, zh, en in (("la", "leader", "张局长", "Director Zhang"),
                                              ("lb", "leader", "李局长", "Director Li"),
                                              ("unit", "unit", "市教育局", "Education Bureau"))}
        db.session.add_all(targets.values())
        db.session.flush()
        version = save_questionnaire(questionnaires.template("work_style"), publish=True)
        campaign = operations.create_campaign(code="scope", kind="work_style", title_zh="范围", title_en="Scope",
                                              version=version)
        operations.set_targets(campaign, [targets["la"]])
        ids = {code: t.id for code, t in targets.items()}
        ids["scope"] = campaign.id
        db.session.commit()
    return ids


@pytest.fixture
def people(app, users, target_ids):
    """`target_ids` with the accounts leader-a, leader-b and staff-a (scoped to the campaign `scope`)
    besides the fixture `users`' accounts."""
    from survey_app.auth.operations import create_user

    ids = target_ids
    with app.app_context():
        create_user("leader-a", PASSWORD, "leader", target_id=ids["la"])
        create_user("leader-b", PASSWORD, "leader", target_id=ids["lb"])
        create_user("staff-a", PASSWORD, "staff", campaign_ids=[ids["scope"]])
    return ids


@pytest.fixture
def make_commitment(app, target_ids):
    """make_commitment(target="la", state="published", **fields) → the id of a new commitment."""
    from survey_app.commitments import operations
    from survey_app.models import Target

    def make(target="la", state="published", **fields):
        values = {"text_zh": "新建幼儿园5所", "text_en": "Build five nurseries", "measure_zh": "5所",
                  "deadline": date(2026, 12, 31), "announced_on": date(2026, 1, 15),
                  "announced_where": "《日报》", "category": "livelihood"}
        values.update(fields)
        with app.app_context():
            commitment = operations.create_commitment(db.session.get(Target, target_ids[target]), values, "staff",
                                                      state=state)
            return commitment.id
    return make


@pytest.fixture
def commitment_id(make_commitment):
    """A published commitment of leader A."""
    return make_commitment()

