"""The one adapter from the database to the scoring engine, with a per-campaign cache."""
import hashlib
import json

import numpy as np
import questionnaires
import scoring
from sqlalchemy import func, select

from .extensions import db
from .models import Answer, Ballot, Campaign, CampaignTarget, RespondentGroup, Target


def method_dict(campaign: Campaign) -> dict:
    q = campaign.questionnaire_version.parsed
    return questionnaires.method_for(
        q, [(g.code, float(g.weight)) for g in campaign.groups],
        min_group_size=campaign.min_group_size, trim=campaign.trim)


def answer_columns(campaign: Campaign) -> dict[str, np.ndarray]:
    """Long-form answers of the campaign's opened ballots, rating items only."""
    rating = [item.code for item in campaign.questionnaire_version.parsed.rating_items()]
    rows = db.session.execute(
        select(Answer.ballot_id, RespondentGroup.code, Target.code, Answer.item_code, Answer.option)
        .join(Ballot, Ballot.id == Answer.ballot_id)
        .join(RespondentGroup, RespondentGroup.id == Ballot.group_id)
        .join(Target, Target.id == Answer.target_id)
        .where(Ballot.campaign_id == campaign.id, Answer.item_code.in_(rating))).all()
    columns = list(zip(*rows)) if rows else [(), (), (), (), ()]
    names = ("ballot", "group", "target", "item", "option")
    return {name: np.array(col, dtype=object) for name, col in zip(names, columns)}


def ballot_count(campaign: Campaign) -> int:
    return db.session.execute(select(func.count()).select_from(Ballot)
                              .where(Ballot.campaign_id == campaign.id)).scalar_one()


def compute(campaign: Campaign, **method_options) -> dict:
    method = scoring.Method.from_dict(method_dict(campaign), source="method.json")
    if method_options:
        method = method.replace(**method_options)
    return scoring.score(scoring.Answers.from_columns(**answer_columns(campaign)), method)


def results(campaign: Campaign) -> dict | None:
    """The campaign's results, or None before counting; frozen once published."""
    if campaign.published_results is not None:
        return campaign.published_results
    if campaign.counted_at is None:
        return None
    method = method_dict(campaign)
    key = "|".join([campaign.counted_at.isoformat(), str(ballot_count(campaign)),
                    hashlib.sha256(json.dumps(method, sort_keys=True).encode()).hexdigest()])
    if campaign.results_cache_key != key:
        campaign.results_cache = compute(campaign)
        campaign.results_cache_key = key
        db.session.commit()
    return campaign.results_cache


def decision_tally(campaign: Campaign) -> list[dict]:
    """Votes per matter of a decision ballot (重大事项表决), and whether it passed.

    A matter passes with the agreement of more than half of all members, or of at least two
    thirds for an especially major one (the seed document's rule); "all members" are the
    members entitled to vote (codes issued and not withdrawn, plus those planned otherwise),
    so an abstention or a missing vote counts against.
    """
    from .ballots.operations import turnout

    q = campaign.questionnaire_version.parsed
    item = q.rating_items()[0].code
    agree, disagree = set(q.scale.satisfied), set(q.scale.dissatisfied)
    members = sum(row.expected for row in turnout(campaign))
    counts: dict[tuple[int, str], int] = {}
    for target_id, option, n in db.session.execute(
            select(Answer.target_id, Answer.option, func.count())
            .join(Ballot, Ballot.id == Answer.ballot_id)
            .where(Ballot.campaign_id == campaign.id, Answer.item_code == item)
            .group_by(Answer.target_id, Answer.option)):
        counts[(target_id, option)] = n
    ballots = ballot_count(campaign)
    rows = []
    for ct in db.session.execute(select(CampaignTarget).where(CampaignTarget.campaign_id == campaign.id)
                                 .order_by(CampaignTarget.position)).scalars():
        votes = {option: n for (target_id, option), n in counts.items() if target_id == ct.target_id}
        yes = sum(n for option, n in votes.items() if option in agree)
        no = sum(n for option, n in votes.items() if option in disagree)
        # "Two thirds or more" of all members, or "more than half" of them.
        needed = -(-2 * members // 3) if ct.special_majority else members // 2 + 1
        rows.append({"target": ct.target, "agree": yes, "disagree": no,
                     "abstain": sum(votes.values()) - yes - no, "not_voted": max(members - ballots, 0),
                     "members": members, "needed": needed, "special_majority": ct.special_majority,
                     "passed": members > 0 and yes >= needed})
    return rows
