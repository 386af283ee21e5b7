"""The review (回头看): a follow-up campaign that asks the public to rate each target's own
rectification measures (target-specific items, source "rectification", frozen when it opens by
`admin.items.freeze_campaign_items` through `admin.items.ROWS`) and the overall change; it is
counted, scored and published like any campaign, and its result is shown beside the original one.
"""
import questionnaires
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit
from ..admin import imports as admin_imports
from ..admin import operations as admin
from ..designer.operations import save_questionnaire
from ..extensions import db
from ..models import Campaign, CampaignItem, RectificationItem
from ..results.adapter import results
from .operations import LedgerError, item_mean, target_entry

#: the dimension of the review's items: how far the problems were rectified
DIMENSION = "rectified"
#: the per-target item of the overall change
OVERALL = "rv01"


def review_questionnaire(base: questionnaires.Questionnaire) -> questionnaires.Questionnaire:
    """The review's questionnaire from the original one: its scale and kind, one dimension, each
    target's own measures (a target-specific section) and the overall change."""
    data = questionnaires.to_dict(base)
    data.update({
        "code": f"{base.code}-review"[:64],
        "title": {"zh": f"{base.title.zh}（整改回头看）", "en": f"{base.title.en} (review of the rectification)"},
        "dimensions": [{"code": DIMENSION, "name": {"zh": "整改成效", "en": "Rectification"}, "weight": 1}],
        "sections": [
            {"code": "measures", "title": {"zh": "整改措施落实情况", "en": "The rectification measures"},
             "kind": "target_specific", "source": "rectification",
             "template": {"type": "rating", "text": {"zh": "{title}", "en": "{title}"}, "dimension": DIMENSION,
                          "weight": 1, "required": True, "per_target": True}},
            {"code": "change", "title": {"zh": "总体变化", "en": "The overall change"},
             "items": [{"code": OVERALL, "type": "rating", "dimension": DIMENSION,
                        "text": {"zh": "与上次评议相比，您对其整改后的总体变化是否满意",
                                 "en": "Since the last appraisal, are you satisfied with how it has changed"}}]},
        ]})
    return questionnaires.from_dict(data)


def create_review(original: Campaign, code: str, actor: str) -> Campaign:
    """A draft review campaign of `original`'s targets that have an approved plan, with its groups and
    settings (`admin.imports.copy_setup`); staff check it and open it as any campaign."""
    if original.status != "published":
        raise LedgerError(_l("A ledger starts once the campaign's results are published."))
    with_plans = set(db.session.execute(select(RectificationItem.target_id).where(
        RectificationItem.campaign_id == original.id, RectificationItem.plan_state == "approved")).scalars())
    if not with_plans:
        raise LedgerError(_l("No target of this campaign has an approved plan to review."))
    if db.session.execute(select(Campaign.id).where(Campaign.code == code)).first():
        raise LedgerError(_l("A campaign with this code exists already."))
    version = save_questionnaire(review_questionnaire(original.questionnaire_version.parsed), publish=True)
    review = admin.create_campaign(code=code, kind=original.kind, title_zh=f"{original.title_zh}整改回头看",
                                   title_en=f"{original.title_en}: review of the rectification", version=version,
                                   min_group_size=original.min_group_size)
    admin_imports.copy_setup(review, original, actor)
    admin.set_targets(review, [t for t in original.targets if t.id in with_plans])
    audit.record("rectification.review_campaign", f"campaign:{review.id}", actor=actor, campaign=review.code,
                 **{"from": original.code})
    db.session.commit()
    return review


def review_rows(target_id: int, until=None) -> list[dict]:
    """The published reviews of a target (campaigns that asked its rectification measures), oldest first,
    published up to `until` when given: each with the target's score, the overall change's and each
    measure's mean from the published results, beside the original campaign's score."""
    asked = select(CampaignItem.campaign_id).where(CampaignItem.target_id == target_id,
                                                   CampaignItem.source == "rectification")
    query = select(Campaign).where(Campaign.id.in_(asked), Campaign.status == "published")
    if until is not None:
        query = query.where(Campaign.published_at <= until)
    out = []
    for review in sorted(db.session.execute(query).scalars(), key=lambda c: c.published_at):
        items = [i for i in review.items if i.target_id == target_id and i.source == "rectification"]
        entry = target_entry(results(review), items[0].target.code)
        originals = {db.session.get(RectificationItem, i.source_id).campaign for i in items}
        original = next(iter(originals))
        before = target_entry(results(original), items[0].target.code)
        out.append({"review": review, "original": original, "score": (entry or {}).get("score"),
                    "original_score": (before or {}).get("score"),
                    "overall": item_mean(entry, OVERALL), "measures": [(i, item_mean(entry, i.code)) for i in items]})
    return out
