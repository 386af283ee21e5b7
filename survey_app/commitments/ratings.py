"""The public's rating of commitments (评诺): each commitment's figures from a counted campaign that
asked about it (its `CampaignItem` of source "commitments"), for the feedback report and the public
page (the dashboard and the results page list them all with `_specific_results.html`). Only read
here; the figures are the engine's (`results.json`, scoring rule 14)."""
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Campaign, CampaignItem, Target
from ..results.adapter import results

SOURCE = "commitments"


@dataclass(frozen=True)
class Rating:
    """One commitment's rating in one campaign: its score (0–100) with its 95% interval, the share
    of satisfied answers and how many answered it; `None` where the engine shows no figure (too
    few answers, every group suppressed)."""
    campaign: Campaign
    code: str
    score: float | None
    ci95: list | None
    satisfaction: float | None
    n: int


def _entry(data: dict | None, target_code: str) -> dict | None:
    return next((t for t in (data or {}).get("targets", []) if t["target"] == target_code), None)


def item_figures(entry: dict | None, code: str) -> dict:
    """The engine's figures of one target-specific item in its target's results entry (scoring rule 14),
    {} when there are none."""
    return ((entry or {}).get("items") or {}).get(code) or {}


def _rating(campaign: Campaign, item: CampaignItem, entry: dict | None) -> Rating:
    figures = item_figures(entry, item.code)
    return Rating(campaign, item.code, figures.get("score"), figures.get("ci95"), figures.get("satisfaction"),
                  int(figures.get("n") or 0))


def _asked(campaign: Campaign, target: Target) -> list[CampaignItem]:
    """The campaign's items on the target's commitments."""
    return list(db.session.execute(select(CampaignItem).where(
        CampaignItem.campaign_id == campaign.id, CampaignItem.source == SOURCE, CampaignItem.target_id == target.id)
        .order_by(CampaignItem.position, CampaignItem.id)).scalars())


def rated_in(campaign: Campaign, target: Target) -> dict[int, Rating]:
    """commitment id -> its rating in `campaign` (a counted one), for the target's commitments it asked."""
    data = results(campaign)
    if data is None:
        return {}
    entry = _entry(data, target.code)
    return {item.source_id: _rating(campaign, item, entry) for item in _asked(campaign, target)}


def rating_campaign(target: Target, campaign: Campaign | None = None) -> Campaign | None:
    """The campaign whose rating of the target's commitments is shown: `campaign` itself when it asked
    about them and is counted (a report of the rating campaign), else the latest published one that did."""
    if campaign is not None and campaign.counted_at is not None and _asked(campaign, target):
        return campaign
    return db.session.execute(
        select(Campaign).join(CampaignItem, CampaignItem.campaign_id == Campaign.id)
        .where(CampaignItem.target_id == target.id, CampaignItem.source == SOURCE,
               Campaign.status == "published")
        .order_by(Campaign.published_at.desc(), Campaign.id.desc()).limit(1)).scalar_one_or_none()
