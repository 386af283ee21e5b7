"""`security.can`: the one policy that routes, lists, views and templates ask, by role, action and object."""
import pathlib
import re

import pytest
from flask_login import AnonymousUserMixin

from survey_app import security
from survey_app.extensions import db

TEMPLATES = pathlib.Path(security.__file__).parent / "templates"
MODELS = pathlib.Path(security.__file__).parent / "models"

#: action -> the roles that may do it with no object in view, written out by hand
EXPECTED = {
    "campaign.read": {"admin", "staff", "auditor"},
    "campaign.write": {"admin", "staff"},
    "questionnaire.write": {"admin", "staff"},
    "comments.moderate": {"admin", "staff"},
    "paper.enter": {"admin", "staff", "clerk"},
    "paper.manage": {"admin", "staff"},
    "reports.read": {"admin", "staff", "auditor", "leader"},
    "report.read": {"admin", "staff", "auditor", "leader"},
    "officer_sheet.read": {"admin", "staff", "auditor", "officer"},
    "own_sheets.read": {"officer"},
    "accounts.manage": {"admin"},
    "audit.read": {"admin", "auditor"},
    "commitments.read": {"admin", "staff", "auditor", "leader"},
    "commitments.manage": {"admin", "staff"},
    "commitment.new": {"admin", "staff", "leader"},
    "commitment.read": {"admin", "staff", "auditor", "leader"},
    "commitment.edit": {"admin", "staff", "leader"},
    "commitment.progress": {"admin", "staff", "leader"},
    "commitment.manage": {"admin", "staff"},
    "ledger.read": {"admin", "staff", "auditor", "leader"},
    "ledger.manage": {"admin", "staff"},
    "rectification.read": {"admin", "staff", "auditor", "leader"},
    "rectification.plan": {"admin", "staff", "leader"},
    "rectification.progress": {"admin", "staff", "leader"},
    "rectification.manage": {"admin", "staff"},
    "cases.read": {"admin", "staff", "auditor", "leader"},
    "cases.manage": {"admin", "staff"},
    "case.read": {"admin", "staff", "auditor", "leader"},
    "case.manage": {"admin", "staff"},
    "case.answer": {"leader"},
}
USERNAMES = {"admin": "admin", "staff": "staff", "clerk": "clerk", "auditor": "auditor", "officer": "officer",
             "leader": "leader"}


def _user(username):
    from sqlalchemy import select

    from survey_app.models import User
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def test_every_action_is_in_the_table():
    assert set(security.ACTIONS) == set(EXPECTED)


def test_roles_by_action(app, world):
    """The whole table in one test: building the world is slow."""
    with app.app_context():
        wrong = [f"{role} {action}" for role in USERNAMES for action in EXPECTED
                 if security.can(action, user=_user(USERNAMES[role])) is not (role in EXPECTED[action])]
    assert not wrong


def test_auditors_change_nothing(app, world):
    from survey_app.models import Campaign
    with app.app_context():
        auditor, campaign = _user("auditor"), db.session.get(Campaign, world["campaign_a"])
        for action in EXPECTED:
            expected = action.endswith(".read") and "auditor" in EXPECTED[action]
            assert security.can(action, campaign, user=auditor) is expected, action
        assert not any("auditor" in roles for action, roles in EXPECTED.items() if not action.endswith(".read"))


#: (user name, action, object key in `world`, allowed); campaign A is published, B is open,
#: staff-a is scoped to A, the leader owns target_a (in A), leader-b owns target_b (in B)
OBJECT_CASES = [
    ("staff-a", "campaign.read", "campaign_a", True),
    ("staff-a", "campaign.read", "campaign_b", False),
    ("staff-a", "campaign.write", "campaign_b", False),
    ("staff-a", "paper.manage", "campaign_b", False),
    ("staff-a", "report.read", "link_b", False),
    ("staff-a", "report.read", "link_a", True),
    ("staff", "campaign.write", "campaign_b", True),
    ("staff", "report.read", "link_b", True),
    ("admin", "campaign.write", "campaign_b", True),
    ("auditor", "campaign.read", "campaign_b", True),
    ("auditor", "campaign.write", "campaign_a", False),
    ("auditor", "comments.moderate", "campaign_a", False),
    ("auditor", "report.read", "link_a2", True),
    ("clerk", "paper.enter", "campaign_b", True),
    ("clerk", "paper.manage", "campaign_b", False),
    ("leader", "report.read", "link_a", True),
    ("leader", "report.read", "campaign_a", True),
    ("leader", "report.read", "link_a2", False),
    ("leader", "report.read", "campaign_b", False),
    ("leader", "campaign.read", "campaign_a", False),
    # before publication even the leader's own target's report stays closed
    ("leader-b", "report.read", "link_b", False),
    ("leader-b", "report.read", "campaign_b", False),
    ("leader-b", "report.read", "link_a", False),
]


def _object(world, key):
    from survey_app.models import Campaign, CampaignTarget
    model = Campaign if key.startswith("campaign") else CampaignTarget
    return db.session.get(model, world[key])


def test_objects_apply_scopes_and_the_leader_rule(app, world):
    with app.app_context():
        wrong = [case for case in OBJECT_CASES
                 if security.can(case[1], _object(world, case[2]), user=_user(case[0])) is not case[3]]
    assert not wrong


#: (user name, action, whose commitment: "a" of target_a in campaign A, "b" of target_b in B, its state, allowed)
COMMITMENT_CASES = [
    ("leader", "commitment.read", "a", "published", True),
    ("leader", "commitment.edit", "a", "draft", True),
    ("leader", "commitment.edit", "a", "submitted", False),  # the leader edits only a draft
    ("leader", "commitment.edit", "a", "published", False),
    ("leader", "commitment.progress", "a", "published", True),
    ("leader", "commitment.manage", "a", "submitted", False),
    ("leader", "commitment.read", "b", "published", False),
    ("leader", "commitment.edit", "b", "draft", False),
    ("leader", "commitment.progress", "b", "published", False),
    ("staff-a", "commitment.manage", "a", "submitted", True),
    ("staff-a", "commitment.read", "b", "published", False),
    ("staff-a", "commitment.manage", "b", "submitted", False),
    ("staff", "commitment.manage", "b", "submitted", True),
    ("staff", "commitment.edit", "b", "published", True),
    ("auditor", "commitment.read", "b", "draft", True),
    ("auditor", "commitment.manage", "b", "submitted", False),
    ("clerk", "commitment.read", "a", "published", False),
]


def test_commitments_follow_the_target_scope_and_the_leader_rule(app, world):
    from datetime import date

    from survey_app.models import Commitment, ProgressEntry
    with app.app_context():
        wrong = []
        for username, action, whose, state, allowed in COMMITMENT_CASES:
            commitment = Commitment(target_id=world["target_" + whose], text_zh="x", deadline=date(2026, 1, 1),
                                    state=state)
            entry = ProgressEntry(commitment=commitment, on=date(2026, 1, 1), done="x")
            user = _user(username)
            for obj in (commitment, entry):
                if security.can(action, obj, user=user) is not allowed:
                    wrong.append((username, action, whose, state, type(obj).__name__))
        db.session.rollback()
    assert not wrong


#: (user name, action, whose case: "a" of target_a in campaign A, "b" of target_b in B, allowed)
CASE_CASES = [
    ("leader", "case.read", "a", True), ("leader", "case.answer", "a", True), ("leader", "case.manage", "a", False),
    ("leader", "case.read", "b", False), ("leader", "case.answer", "b", False),
    ("staff-a", "case.manage", "a", True), ("staff-a", "case.answer", "a", False), ("staff-a", "case.read", "b", False),
    ("staff", "case.manage", "b", True), ("auditor", "case.read", "b", True), ("auditor", "case.manage", "b", False),
    ("clerk", "case.read", "a", False), ("officer", "case.read", "a", False),
]


def test_alert_cases_follow_the_target_scope_and_only_the_leader_answers(app, world):
    from datetime import date

    from survey_app.models import AlertCase, CaseStep
    with app.app_context():
        wrong = []
        for username, action, whose, allowed in CASE_CASES:
            case = AlertCase(target_id=world["target_" + whose], level="warning")
            step = CaseStep(case=case, kind="letter", on=date(2026, 1, 1))
            for obj in (case, step):
                if security.can(action, obj, user=_user(username)) is not allowed:
                    wrong.append((username, action, whose, type(obj).__name__))
        db.session.rollback()
    assert not wrong


def test_leader_reads_own_target_once_published(app, world):
    """The same leader and link: closed while the campaign is counted, open once it is published."""
    from survey_app.models import Campaign
    with app.app_context():
        leader, link = _user("leader"), _object(world, "link_a")
        assert security.can("report.read", link, user=leader)
        db.session.get(Campaign, world["campaign_a"]).status = "counted"
        assert not security.can("report.read", link, user=leader)
        db.session.rollback()


def test_officer_reads_only_their_own_sheet(app, world):
    from survey_app.models import CountingOfficer
    with app.app_context():
        officer, staff_a = _user("officer"), _user("staff-a")
        own = CountingOfficer(campaign_id=world["campaign_b"], position=1, user_id=officer.id)
        other = CountingOfficer(campaign_id=world["campaign_b"], position=2, user_id=None)
        assert security.can("officer_sheet.read", own, user=officer)
        assert not security.can("officer_sheet.read", other, user=officer)
        assert security.can("officer_sheet.read", other, user=_user("auditor"))
        assert not security.can("officer_sheet.read", other, user=staff_a)


def test_nobody_logged_in_can_nothing(app, world):
    with app.test_request_context():
        for action in EXPECTED:
            assert not security.can(action)
            assert not security.can(action, user=AnonymousUserMixin())


def test_unknown_actions_and_objects_are_errors(app, world):
    with app.app_context():
        admin = _user("admin")
        with pytest.raises(KeyError):
            security.can("campaign.delete", user=admin)
        with pytest.raises(TypeError):
            security.can("campaign.read", admin, user=admin)


def test_scoped_auditor_lists_only_their_campaign(app, world, client_as):
    from survey_app.auth.operations import create_user
    with app.app_context():
        create_user("auditor-a", "test-password-123", "auditor", campaign_ids=[world["campaign_a"]])
    client = client_as("auditor-a")
    page = client.get("/admin/").get_data(as_text=True)
    assert f"/admin/campaigns/{world['campaign_a']}\"" in page
    assert f"/admin/campaigns/{world['campaign_b']}\"" not in page
    assert f"/reports/{world['campaign_a']}/dashboard" in client.get("/reports/").get_data(as_text=True)
    assert client.get(f"/admin/campaigns/{world['campaign_b']}").status_code == 403


def test_scopes_limit_only_the_scoped_roles_in_every_list(app, world, client_as):
    """An administrator's account left with a campaign row is not limited by it, in lists as in views.

    The campaign list, the reports list and the dashboard used to filter on the rows
    themselves, whatever the role, while the URL check let the administrator through.
    """
    from survey_app.models import User, UserCampaign
    with app.app_context():
        admin = _user("admin")
        db.session.add(UserCampaign(user_id=admin.id, campaign_id=world["campaign_b"]))
        db.session.commit()
        assert security.scoped_campaign_ids(db.session.get(User, admin.id)) is None
    client = client_as("admin")
    page = client.get("/admin/").get_data(as_text=True)
    for which in ("campaign_a", "campaign_b"):
        assert f"/admin/campaigns/{world[which]}\"" in page
    assert f"/reports/{world['campaign_a']}/dashboard" in client.get("/reports/").get_data(as_text=True)
    assert client.get(f"/reports/{world['campaign_a']}/dashboard").status_code == 200


def test_leader_index_lists_own_published_report(app, world, client_as):
    page = client_as("leader").get("/reports/").get_data(as_text=True)
    assert f"/reports/{world['campaign_a']}/targets/{world['target_a']}\"" in page
    assert "/dashboard" not in page


ROLE_TEST = re.compile(r"current_user\.role|\.role\s*(==|!=|\bin\b|\bnot in\b)")


def test_templates_ask_can_never_a_role():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ROLE_TEST.search(line):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}")
    assert not found, "templates test a role; use can(...):\n" + "\n".join(found)
    assert "current_user.role" not in "".join(p.read_text(encoding="utf-8") for p in TEMPLATES.rglob("*.html"))


def test_models_do_not_import_security():
    for path in MODELS.glob("*.py"):
        assert not re.search(r"from \.\.security|survey_app\.security|from \.\. import security",
                             path.read_text(encoding="utf-8")), path.name


def test_reach_words_what_an_account_reaches_as_the_policy_decides():
    from types import SimpleNamespace

    from survey_app.security import reach
    cases = [("admin", 0, "everything"), ("admin", 1, "everything"), ("leader", 0, "own_target"),
             ("staff", 0, "all_campaigns"), ("staff", 1, "campaigns"), ("auditor", 1, "campaigns"),
             ("clerk", 0, "all_campaigns"), ("officer", 0, "all_campaigns")]
    for role, scoped, expected in cases:
        scopes = [SimpleNamespace(campaign_id=7)] if scoped else []
        assert reach(SimpleNamespace(role=role, scopes=scopes)) == expected, role
