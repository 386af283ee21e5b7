"""A counted campaign with known ballots: three units, a public group of 8 and a staff group of 2
(below the minimum of 3, so suppressed), and comments from both groups."""
import pytest

from survey_app.extensions import db

PASSPHRASE = "correct horse battery staple"
#: public ballots: one option per target (t1, t2, t3) for every rating item
PUBLIC = [("A", "A", "A"), ("A", "B", "A"), ("B", "B", "C"), ("A", "A", "B"), ("C", "B", "A"),
          ("A", "DK", "A"), ("B", "A", "A"), ("A", "A", "A")]


def _fill(q, group_code, targets, options):
    from survey_app.ballots.validation import BallotContent
    content = BallotContent()
    for target, option in zip(targets, options):
        for item in q.items_for(group_code):
            if item.per_target and item.type == "rating":
                content.answers.append((target, item.code, option))
    return content


@pytest.fixture
def counted_campaign(app, make_campaign):
    """The id of a closed and counted campaign (min_group_size 3)."""
    from survey_app.admin import operations
    from survey_app.ballots import operations as ballots
    from survey_app.models import Campaign, Comment
    campaign_id = make_campaign(code="rep", min_group_size=3)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        q = campaign.questionnaire_version.parsed
        codes = [t.code for t in campaign.targets]
        public, staff = campaign.group("public"), campaign.group("staff")
        for i, options in enumerate(PUBLIC):
            content = _fill(q, "public", codes, options)
            if i < 2:
                content.comments.append((codes[0], _text_item(q), f"public comment {i}"))
            ballots.submit(campaign, public, content)
        plain = ballots.issue_codes(campaign, staff, 2)
        for code in plain:
            content = _fill(q, "staff", codes, ["C", "C", "C"])
            content.comments.append((codes[0], _text_item(q), "staff secret comment"))
            ballots.submit(campaign, staff, content, code=code)
        operations.close_campaign(campaign)
        ballots.count(campaign, PASSPHRASE)
        for comment in db.session.query(Comment).all():
            comment.status = "published" if comment.text != "public comment 1" else "pending"
        db.session.commit()
    return campaign_id


def _text_item(q):
    return next(item.code for item in q.items() if item.type == "text" and item.per_target)


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
