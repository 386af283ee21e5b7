"""Fixtures of the report tests: the counted campaign (see tests/web/conftest.py) published,
leader accounts, and the ids of a campaign's targets."""
import pytest

from survey_app.extensions import db


@pytest.fixture
def published_campaign(app, counted_campaign):
    from survey_app.admin import operations
    from survey_app.models import Campaign
    with app.app_context():
        operations.publish_campaign(db.session.get(Campaign, counted_campaign))
    return counted_campaign


@pytest.fixture
def leader_login(app, client):
    """Log in as a leader account for the n-th target (0-based) of a campaign."""
    from survey_app.auth.operations import create_user
    from survey_app.models import Campaign

    def do(campaign_id, index=0):
        with app.app_context():
            target = db.session.get(Campaign, campaign_id).targets[index]
            create_user(f"leader{index}", "leader-password-123", "leader", target.name_zh, target.id)
        response = client.post("/login", data={"username": f"leader{index}", "password": "leader-password-123"})
        assert response.status_code == 302
        return client
    return do


@pytest.fixture
def ids(app):
    """(campaign id, [target ids]) of a campaign."""
    from survey_app.models import Campaign

    def get(campaign_id):
        with app.app_context():
            return [t.id for t in db.session.get(Campaign, campaign_id).targets]
    return get
