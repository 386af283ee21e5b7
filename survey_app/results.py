"""The one adapter from the database to the scoring engine, with a per-campaign cache."""
import hashlib
import json

import numpy as np
import questionnaires
import scoring
from sqlalchemy import func, select

from .extensions import db
from .models import Answer, Ballot, Campaign, RespondentGroup, Target


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
