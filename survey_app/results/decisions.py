"""The decision tally of a decision ballot (重大事项表决): votes per matter and whether it passed."""
from sqlalchemy import select

from ..ballots.operations import turnout
from ..extensions import db
from ..models import Campaign, CampaignTarget
from .adapter import ballot_count, option_counts


def decision_tally(campaign: Campaign) -> list[dict]:
    """Votes per matter of a decision ballot (重大事项表决), and whether it passed.

    A matter passes with the agreement of more than half of all members, or of at least two
    thirds for an especially major one (the seed document's rule); "all members" are the
    members entitled to vote (codes issued and not withdrawn, plus those planned otherwise),
    so an abstention or a missing vote counts against.
    """
    q = campaign.questionnaire_version.parsed
    item = q.rating_items()[0].code
    agree, disagree = set(q.scale.satisfied), set(q.scale.dissatisfied)
    members = sum(row.expected for row in turnout(campaign))
    counts: dict[tuple[str, str], int] = {}
    ballots = 0
    if campaign.counted_at is not None:  # the option counts kept with the results, all groups
        for (target, _group, asked, option), n in option_counts(campaign).items():
            if asked == item:
                counts[(target, option)] = counts.get((target, option), 0) + n
        ballots = ballot_count(campaign)
    rows = []
    for ct in db.session.execute(select(CampaignTarget).where(CampaignTarget.campaign_id == campaign.id)
                                 .order_by(CampaignTarget.position)).scalars():
        votes = {option: n for (target, option), n in counts.items() if target == ct.target.code}
        yes = sum(n for option, n in votes.items() if option in agree)
        no = sum(n for option, n in votes.items() if option in disagree)
        # "Two thirds or more" of all members, or "more than half" of them.
        needed = -(-2 * members // 3) if ct.special_majority else members // 2 + 1
        rows.append({"target": ct.target, "agree": yes, "disagree": no,
                     "abstain": sum(votes.values()) - yes - no, "not_voted": max(members - ballots, 0),
                     "members": members, "needed": needed, "special_majority": ct.special_majority,
                     "passed": members > 0 and yes >= needed})
    return rows
