"""A small world for the security tests: a published campaign with ballots, a second
campaign, leader accounts for targets of each, staff scoped to one campaign, and a
logged-in client per role."""
import pytest

from survey_app.extensions import db

from tests.web.helpers import PASSWORD, close_and_count

ROLES = ("admin", "staff", "clerk", "leader", "auditor", "officer")


@pytest.fixture
def world(app, make_campaign, users, submit_ballots):
    """Ids of real objects: campaign A published with ballots, campaign B open, their targets,
    groups and links, leaders of A's first target and of B's first target, staff scoped to A."""
    from survey_app.admin import operations
    from survey_app.auth.operations import create_user
    from survey_app.models import AuditEntry, Campaign, QuestionnaireVersion

    a = make_campaign(code="ca", groups=[("public", 1.0, "public"), ("staff", 0.5, "code")], min_group_size=1)
    b = make_campaign(code="cb", groups=[("public", 1.0, "public"), ("staff", 0.5, "code")], min_group_size=1)
    submit_ballots(a, "public", n=3)
    with app.app_context():
        campaign = db.session.get(Campaign, a)
        close_and_count(campaign)
        operations.publish_campaign(campaign)
        a_obj, b_obj = db.session.get(Campaign, a), db.session.get(Campaign, b)
        ids = {
            "campaign_a": a, "campaign_b": b, "code_a": a_obj.code, "code_b": b_obj.code,
            "target_a": a_obj.campaign_targets[0].target_id, "target_a2": a_obj.campaign_targets[1].target_id,
            "target_b": b_obj.campaign_targets[0].target_id,
            "link_a": a_obj.campaign_targets[0].id, "link_a2": a_obj.campaign_targets[1].id,
            "link_b": b_obj.campaign_targets[0].id,
            "group_a": a_obj.groups[0].id, "group_b": b_obj.groups[0].id,
            "token_a": a_obj.group("public").public_token, "token_b": b_obj.group("public").public_token,
            "version": db.session.query(QuestionnaireVersion.id).first()[0],
        }
        leader = create_user("leader", PASSWORD, "leader", target_id=ids["target_a"])
        other = create_user("leader-b", PASSWORD, "leader", target_id=ids["target_b"])
        scoped = create_user("staff-a", PASSWORD, "staff", campaign_ids=[a])
        ids.update(leader_user=leader.id, other_leader_user=other.id, scoped_staff=scoped.id,
                   audit_entry=db.session.query(AuditEntry.id).first()[0])
    return ids


@pytest.fixture
def client_as(world, as_user):
    """A fresh logged-in test client for a user name of the world."""
    return as_user
