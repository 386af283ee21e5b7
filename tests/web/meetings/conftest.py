"""Decision meetings made through their own operations, opened with a panel of two of three officers."""
import pytest

from survey_app.extensions import db
from survey_app.models import Campaign

#: the officers of every meeting these tests open: (name, passphrase); two of them count
OFFICERS = [("王守正", "officer one passphrase"), ("刘清源", "officer two passphrase"),
            ("陈公明", "officer three passphrase")]
#: the positions and passphrases of the two officers who count
COUNTING = {1: OFFICERS[0][1], 2: OFFICERS[1][1]}
#: one matter of each kind
MATTERS = [("ordinary", "关于年度工作方案", "Annual plan"), ("especially_major", "关于机构改革", "Reform"),
           ("personnel", "关于干部任免", "Appointment")]


def setup(members=9, matters=MATTERS, names=None, quorum="more_than_half", personnel_quorum="two_thirds",
          title="市纪委常委会表决"):
    from survey_app.meetings.operations import Matter, Setup
    return Setup(title, "Vote of the standing committee", "市纪委常委会", "Standing committee", members,
                 tuple(names) if names else None, tuple(Matter(zh, en, kind) for kind, zh, en in matters),
                 quorum, personnel_quorum)


@pytest.fixture
def make_meeting(app):
    """A decision meeting; opened (with codes for every member) unless `status="draft"`.
    Returns (campaign id, codes)."""
    from survey_app.admin import operations
    from survey_app.ballots import keys
    from survey_app.ballots import operations as ballots
    from survey_app.meetings.operations import create_meeting

    def make(code="vote", status="open", **options):
        with app.app_context():
            campaign = create_meeting(code, setup(**options))
            codes = []
            if status != "draft":
                operations.open_campaign(campaign, [keys.Officer(n, p) for n, p in OFFICERS], 2)
                codes = ballots.issue_codes(campaign, campaign.group("members"), campaign.members)
            return campaign.id, codes
    return make


def vote(app, campaign_id, code, votes):
    """Cast one member's ballot: `votes` is one of agree / disagree / abstain / None (blank) per matter."""
    from survey_app.ballots import operations as ballots
    from survey_app.ballots.validation import BallotContent
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        answers = [(ct.target.code, "q01", v) for ct, v in zip(campaign.campaign_targets, votes) if v]
        return ballots.submit(campaign, campaign.group("members"), BallotContent(answers=answers), code=code)


def close_and_count(app, campaign_id, passphrases=None):
    from survey_app.admin import operations
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        operations.close_campaign(campaign)
        operations.count_campaign(campaign, passphrases or COUNTING)
