"""A campaign's target-specific items (`CampaignItem`), frozen when it opens.

A questionnaire's `target_specific` section says where such items go and what they look like
(a rating template with `{title}`); the campaign supplies them from its targets' data at the
moment it opens. One entry point, `freeze_campaign_items(campaign, source, rows)`, makes them
for any source; `ROWS` says where each source's rows come from (the public rating's: the
targets' published commitments; the rectification follow-up adds its own reader there).
"""
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import questionnaires
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import Campaign, CampaignItem, Commitment, RectificationItem, Target


class ItemsRefused(Exception):
    """Target-specific items that cannot be frozen as given; the message says why."""


@dataclass(frozen=True)
class Row:
    """One row of a source: the target it belongs to, its id there, and its words (the `{title}`)."""
    target: Target
    source_id: int
    title_zh: str
    title_en: str


def commitment_rows(campaign: Campaign) -> list[Row]:
    """The published commitments of the campaign's targets, by target in campaign order, then as
    entered. A withdrawn commitment is not rated: nothing is left to keep."""
    ids = [t.id for t in campaign.targets]
    if not ids:
        return []
    found = db.session.scalars(
        db.select(Commitment).where(Commitment.target_id.in_(ids), Commitment.state == "published",
                                    Commitment.status != "withdrawn").order_by(Commitment.id)).all()
    order = {target_id: n for n, target_id in enumerate(ids)}
    found.sort(key=lambda c: order[c.target_id])
    return [Row(c.target, c.id, c.text_zh, c.text_en) for c in found]


def rectification_rows(campaign: Campaign) -> list[Row]:
    """The review's (回头看) rows: each target's rectification measures the commission approved, from the
    latest published campaign that has a ledger for it (published before this one), by target in
    campaign order, then as entered. The `{title}` is the measures, as the public ledger shows them."""
    rows = []
    for target in campaign.targets:
        query = (db.select(RectificationItem).join(Campaign, Campaign.id == RectificationItem.campaign_id)
                 .where(RectificationItem.target_id == target.id, RectificationItem.plan_state == "approved",
                        Campaign.status == "published", Campaign.id != campaign.id))
        found = db.session.scalars(query.order_by(Campaign.published_at.desc(), RectificationItem.id)).all()
        latest = [i for i in found if i.campaign_id == found[0].campaign_id] if found else []
        rows += [Row(target, i.id, i.measures_zh, i.measures_en) for i in sorted(latest, key=lambda i: i.id)]
    return rows


#: where each source's rows come from when a campaign opens
ROWS: dict[str, Callable[[Campaign], Iterable[Row]]] = {"commitments": commitment_rows,
                                                        "rectification": rectification_rows}


def freeze_campaign_items(campaign: Campaign, source: str, rows: Iterable[Row]) -> list[CampaignItem]:
    """Make the campaign's items of one source from `rows` (replacing any made before, while it is a
    draft): each is the template of the questionnaire's section for that source with the row's
    words, code `<prefix>.<source id>`, asked of the row's target only. Flushed, not committed."""
    if campaign.status != "draft":
        raise ItemsRefused(_l("the questions of a campaign are fixed once it is open"))
    section = next((s for s in campaign.questionnaire_version.parsed.specific_sections() if s.source == source), None)
    if section is None:
        raise ItemsRefused(_l("the questionnaire has no section for questions from %(source)s", source=source))
    position = {t.id: n for n, t in enumerate(campaign.targets)}
    for old in [i for i in campaign.items if i.source == source]:
        campaign.items.remove(old)
    db.session.flush()
    made, seen = [], set()
    for row in rows:
        if row.target.id not in position:
            raise ItemsRefused(_l("%(target)s is not a target of this campaign", target=row.target.code))
        code = f"{questionnaires.SOURCES[source]}.{row.source_id}"
        if code in seen:
            raise ItemsRefused(_l("the question %(code)s is given twice", code=code))
        seen.add(code)
        item = section.specific_item(code, row.target.code, row.title_zh, row.title_en)
        made.append(CampaignItem(target=row.target, code=code, text_zh=item.text.zh, text_en=item.text.en,
                                 source=source, source_id=row.source_id, dimension=item.dimension,
                                 weight=item.weight))
    campaign.items.extend(made)
    # Targets in campaign order, each target's items section by section, each source's rows as given.
    sections = [s.source for s in campaign.questionnaire_version.parsed.specific_sections()]
    ordered = sorted(enumerate(campaign.items),
                     key=lambda pair: (position[pair[1].target.id], sections.index(pair[1].source), pair[0]))
    for n, (_, item) in enumerate(ordered):
        item.position = n
    campaign.items.sort(key=lambda i: i.position)
    db.session.flush()
    return made


def freeze_for_opening(campaign: Campaign) -> None:
    """Freeze every source the campaign's questionnaire takes items from, from its data right now."""
    for section in campaign.questionnaire_version.parsed.specific_sections():
        reader = ROWS.get(section.source)
        if reader is None:
            raise ItemsRefused(_l("questions from %(source)s cannot be made yet", source=section.source))
        freeze_campaign_items(campaign, section.source, reader(campaign))


def preview(campaign: Campaign) -> list[tuple[Target, str, questionnaires.Item]]:
    """What opening the campaign now would freeze, as (target, source, item), changing nothing; a source
    that cannot be read yet gives nothing."""
    out = []
    for section in campaign.questionnaire_version.parsed.specific_sections():
        reader = ROWS.get(section.source)
        for row in reader(campaign) if reader else ():
            code = f"{questionnaires.SOURCES[section.source]}.{row.source_id}"
            out.append((row.target, section.source,
                        section.specific_item(code, row.target.code, row.title_zh, row.title_en)))
    return out
