"""Secret ballots on major matters: more than half of all members, or two thirds for especially major ones."""
import pytest
from sqlalchemy import select

from survey_app.admin import operations
from survey_app.ballots import operations as ballots
from survey_app.ballots.validation import BallotContent
from survey_app.extensions import db
from survey_app.models import Campaign, CampaignTarget
from survey_app.results.decisions import decision_tally

from tests.web.helpers import PASSPHRASE, close_and_count


@pytest.mark.parametrize("members, agree, special, passed", [
    (7, 4, False, True),    # 4 > 3.5
    (8, 4, False, False),   # 4 is half of 8, not more
    (7, 4, True, False),    # two thirds of 7 is 4.67: 5 needed
    (9, 6, True, True),     # exactly two thirds passes
])
def test_pass_rule(app, make_campaign, login, members, agree, special, passed):
    cid = make_campaign(code="vote", status="draft", kind="decision", groups=[("members", 1.0, "code")],
                        n_targets=1)
    with app.app_context():
        link = db.session.execute(select(CampaignTarget)).scalar_one()
        link_id = link.id
    staff = login("staff")
    r = staff.post(f"/admin/campaigns/{cid}/targets/{link_id}/report",
                   data={"report_zh": "议题", "report_en": "Matter", "special_majority": "y" if special else ""})
    assert r.status_code == 302
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        operations.open_campaign(campaign, PASSPHRASE)
        group = campaign.group("members")
        codes = ballots.issue_codes(campaign, group, members)
        matter = campaign.targets[0].code
        # agree votes, then one disagree and abstentions for the rest of those who vote; one member stays away
        votes = ["agree"] * agree + ["disagree"] + ["abstain"] * (members - agree - 2)
        for code, vote in zip(codes, votes):
            ballots.submit(campaign, group, BallotContent(answers=[(matter, "q01", vote)]), code=code)
        close_and_count(campaign)
        [row] = decision_tally(db.session.get(Campaign, cid))
    assert (row["agree"], row["disagree"], row["members"], row["not_voted"]) == (agree, 1, members, 1)
    assert row["special_majority"] is special and row["passed"] is passed
    page = staff.get(f"/admin/campaigns/{cid}/results").get_data(as_text=True)
    assert f'data-result="{"passed" if passed else "rejected"}"' in page


def test_rule_is_fixed_once_voting_starts(app, make_campaign, login):
    cid = make_campaign(code="vote2", status="open", kind="decision", groups=[("members", 1.0, "code")],
                        n_targets=1)
    with app.app_context():
        link_id = db.session.execute(select(CampaignTarget.id)).scalar_one()
    login("staff").post(f"/admin/campaigns/{cid}/targets/{link_id}/report",
                        data={"report_zh": "议题", "report_en": "Matter", "special_majority": "y"})
    with app.app_context():
        assert db.session.get(CampaignTarget, link_id).special_majority is False
