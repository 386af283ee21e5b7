"""What changes the rectification ledger (整改台账), each change in the audit log.

A problem rests on what was published and nothing else: a dimension or an item of the
campaign's published results (the figure is copied from them), a comment the commission
published after moderation, from a group shown for the target, or the commission's own finding
in words. `candidates` lists exactly those; `create_item` takes nothing else.
The plan (measures, responsible person, deadline) is drafted by the leader or unit, or staff,
and approved by staff; progress is reported and reviewed as a commitment's is
(`commitments.operations.progress_fields`, `apply_review`); staff close an item or do not
accept its rectification, saying why.
"""
import functools
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from .. import audit
from ..commitments.operations import CommitmentError, apply_review, open_flags, progress_fields, today
from ..extensions import commit as _commit
from ..extensions import db
from ..models import Campaign, CampaignTarget, Comment, RectificationItem, RectificationProgress, RespondentGroup, Target
from ..models._types import utcnow
from ..models.rectification import SOURCES
from ..results.adapter import results
from ..security import can

#: the plan's columns its form sets
PLAN_FIELDS = ("measures_zh", "measures_en", "responsible", "deadline")
#: how many of the lowest items `candidates` offers
LOW_ITEMS = 5

__all__ = ["LedgerError", "today"]


class LedgerError(CommitmentError):
    """A change the ledger does not allow; the message is for the user."""


# -- where a problem comes from: published figures and moderated comments only ---------------------

@dataclass(frozen=True)
class Candidate:
    #: "dimension:<code>", "item:<code>", "comment:<id>" or "finding"
    key: str
    source: str
    ref: str
    #: the published figure (a dimension's score, an item's mean), None for a comment or a finding
    score: float | None
    #: what the figure or comment is, in the page's language
    words: str


def target_entry(data: dict | None, code: str) -> dict | None:
    """A target's entry of a campaign's results."""
    return next((t for t in (data or {}).get("targets", []) if t["target"] == code), None)


def item_mean(entry: dict | None, code: str) -> float | None:
    """An item's mean over the groups shown for the target (unweighted), from the published figures."""
    values = [cell["items"][code]["mean"] for cell in ((entry or {}).get("groups") or {}).values()
              if not cell.get("suppressed") and (cell.get("items") or {}).get(code, {}).get("mean") is not None]
    return sum(values) / len(values) if values else None


def candidates(campaign: Campaign, target: Target, locale: str) -> list[Candidate]:
    """What the published results of `campaign` show for `target` that a problem may rest on:
    its dimensions below the campaign's mean, its lowest items (the mean of the groups shown),
    its published comments from groups shown for it, and a finding of the commission's own.
    Empty (but for the finding) before publication."""
    found = [Candidate("finding", "finding", "", None, str(_l("The commission's own finding")))]
    if campaign.status != "published":
        return found
    data = results(campaign)
    entry = target_entry(data, target.code)
    if entry is None or entry.get("score") is None:
        return found
    q = campaign.questionnaire_version.parsed
    names = {d.code: d.name.get(locale) for d in q.dimensions}
    means: dict[str, list[float]] = {}
    for other in data["targets"]:
        for code, value in (other.get("dimensions") or {}).items():
            if value is not None and other.get("score") is not None:
                means.setdefault(code, []).append(value)
    dims = [(value, code) for code, value in (entry.get("dimensions") or {}).items()
            if value is not None and means.get(code) and value < sum(means[code]) / len(means[code])]
    out = [Candidate(f"dimension:{code}", "dimension", code, round(value, 1),
                     str(_l("Dimension %(name)s: %(score).1f, below the campaign's mean",
                            name=names.get(code, code), score=value))) for value, code in sorted(dims)]
    visible = {g for g, cell in (entry.get("groups") or {}).items() if not cell.get("suppressed")}
    texts = {i.code: i.text.get(locale) for i in q.rating_items()}
    item_means = [(item_mean(entry, code), code) for code in texts if item_mean(entry, code) is not None]
    out += [Candidate(f"item:{code}", "item", code, round(value, 2),
                      str(_l("Item %(code)s %(text)s: mean %(score).2f", code=code, text=texts[code], score=value)))
            for value, code in sorted(item_means)[:LOW_ITEMS]]
    comments = db.session.execute(
        select(Comment.id, Comment.text).join(RespondentGroup, RespondentGroup.id == Comment.group_id)
        .where(Comment.campaign_id == campaign.id, Comment.target_id == target.id, Comment.status == "published",
               RespondentGroup.code.in_(set(visible) or {""})).order_by(Comment.id)).all()
    out += [Candidate(f"comment:{cid}", "comment", cid, None,
                      str(_l("Published comment: %(text)s", text=text[:200]))) for cid, text in comments]
    return out + found


def comment_text(item: RectificationItem) -> str:
    """The words of the published comment a problem rests on ("" when it is not, or no longer, published)."""
    if item.source != "comment":
        return ""
    comment = db.session.get(Comment, item.source_ref)
    return comment.text if comment is not None and comment.status == "published" else ""


# -- the ledger's steps -------------------------------------------------------------------------

def _check_plan(fields: dict, required: bool) -> None:
    if fields.get("deadline") is not None and not isinstance(fields["deadline"], date):
        raise LedgerError(_l("Enter a date."))
    if required:
        if not (fields.get("measures_zh") or "").strip():
            raise LedgerError(_l("Say which measures will be taken."))
        if not (fields.get("responsible") or "").strip():
            raise LedgerError(_l("Name who is responsible."))
        if fields.get("deadline") is None:
            raise LedgerError(_l("A plan needs a deadline."))


def _plan_values(fields: dict) -> dict:
    return {k: fields.get(k) if k == "deadline" else (fields.get(k) or "").strip() for k in PLAN_FIELDS}


def create_item(campaign: Campaign, target: Target, key: str, problem_zh: str, problem_en: str, actor: str,
                locale: str = "zh_CN", plan: dict | None = None) -> RectificationItem:
    """A problem of `target` from the published results of `campaign`, resting on one of
    `candidates` (chosen by its key); the plan may come with it (a draft until staff approve it)."""
    if campaign.status != "published":
        raise LedgerError(_l("A ledger starts once the campaign's results are published."))
    if not db.session.execute(select(CampaignTarget.id).where(CampaignTarget.campaign_id == campaign.id,
                                                              CampaignTarget.target_id == target.id)).first():
        raise LedgerError(_l("This target is not appraised in this campaign."))
    chosen = next((c for c in candidates(campaign, target, locale) if c.key == key), None)
    if chosen is None or chosen.source not in SOURCES:
        raise LedgerError(_l("Choose what the problem rests on among the published figures and comments."))
    if not (problem_zh or "").strip():
        raise LedgerError(_l("Describe the problem."))
    plan = _plan_values(plan or {})
    _check_plan(plan, required=False)
    item = RectificationItem(campaign_id=campaign.id, target_id=target.id, source=chosen.source,
                             source_ref=chosen.ref, source_score=chosen.score, problem_zh=problem_zh.strip(),
                             problem_en=(problem_en or "").strip(), created_by=actor, **plan)
    db.session.add(item)
    db.session.flush()
    audit.record("rectification.create", f"rectification:{item.id}", actor=actor, campaign=campaign.id,
                 target=target.code, origin=chosen.key)
    _commit()
    return item


def update_plan(item: RectificationItem, fields: dict, actor: str) -> None:
    """The measures, the responsible person and the deadline; a changed approved plan goes back to
    staff (submitted), so that what the public and the report show is always approved."""
    if item.status == "closed":
        raise LedgerError(_l("This item is closed."))
    values = _plan_values(fields)
    _check_plan(values, required=False)
    changed = sorted(k for k in PLAN_FIELDS if getattr(item, k) != values[k])
    if not changed:
        raise LedgerError(_l("Nothing changed."))
    for k in PLAN_FIELDS:
        setattr(item, k, values[k])
    previous = item.plan_state
    if previous == "approved":
        item.plan_state = "submitted"
    audit.record("rectification.plan", f"rectification:{item.id}", actor=actor, fields=changed,
                 previous=previous, state=item.plan_state)
    _commit()


def submit_plan(item: RectificationItem, actor: str) -> None:
    if item.plan_state != "draft":
        raise LedgerError(_l("Only a draft plan can be submitted."))
    _check_plan(_plan_values({k: getattr(item, k) for k in PLAN_FIELDS}), required=True)
    item.plan_state = "submitted"
    audit.record("rectification.submit", f"rectification:{item.id}", actor=actor)
    _commit()


def approve_plan(item: RectificationItem, actor: str) -> None:
    """Staff approve the plan: from now on progress is reported on it and its deadline counts."""
    if item.plan_state == "approved":
        raise LedgerError(_l("This plan is approved already."))
    _check_plan(_plan_values({k: getattr(item, k) for k in PLAN_FIELDS}), required=True)
    item.plan_state, item.staff_note = "approved", ""
    audit.record("rectification.approve", f"rectification:{item.id}", actor=actor)
    _commit()


def send_back(item: RectificationItem, note: str, actor: str) -> None:
    if item.plan_state != "submitted":
        raise LedgerError(_l("Only a submitted plan can be sent back."))
    item.plan_state, item.staff_note = "draft", (note or "").strip()
    audit.record("rectification.send_back", f"rectification:{item.id}", actor=actor, note=item.staff_note[:500])
    _commit()


def _check_working(item: RectificationItem) -> None:
    if item.plan_state != "approved":
        raise LedgerError(_l("Progress is reported on an approved plan."))
    if item.status == "closed":
        raise LedgerError(_l("This item is closed."))


def add_progress(item: RectificationItem, *, on: date, done: str, actor: str, **fields) -> RectificationProgress:
    """A dated progress entry with its evidence, pending until staff review it (the checks of a
    commitment's progress: `commitments.operations.progress_fields`)."""
    _check_working(item)
    entry = RectificationProgress(item=item, **progress_fields(on=on, done=done, actor=actor, **fields))
    db.session.add(entry)
    db.session.flush()
    audit.record("rectification.progress", f"rectification_progress:{entry.id}", actor=actor,
                 rectification=item.id, on=on.isoformat(), attachment=entry.attachment_type or None)
    _commit()
    return entry


def review_progress(entry: RectificationProgress, decision: str, note: str, actor: str) -> None:
    previous, note = apply_review(entry, decision, note, actor)
    audit.record("rectification.review", f"rectification_progress:{entry.id}", actor=actor,
                 rectification=entry.item_id, previous=previous, outcome=decision, note=note[:500])
    _commit()


def ask_check(item: RectificationItem, actor: str) -> None:
    """The leader or unit says the rectification is done and asks for the closing check."""
    _check_working(item)
    if item.status == "check_requested":
        raise LedgerError(_l("The closing check is asked for already."))
    if not item.public_progress:
        raise LedgerError(_l("Ask for the closing check once staff have reviewed some progress."))
    previous, item.status = item.status, "check_requested"
    audit.record("rectification.ask_check", f"rectification:{item.id}", actor=actor, previous=previous)
    _commit()


def check(item: RectificationItem, outcome: str, reason: str, actor: str) -> None:
    """Staff's closing check: closed, or not accepted with the reason (the item stays open)."""
    if outcome not in ("closed", "not_accepted"):
        raise LedgerError(_l("Close the item or do not accept the rectification."))
    _check_working(item)
    reason = (reason or "").strip()
    if outcome == "not_accepted" and not reason:
        raise LedgerError(_l("Say why the rectification is not accepted: the leader reads it."))
    previous = item.status
    item.status, item.status_reason, item.checked_by, item.checked_at = outcome, reason, actor, utcnow()
    audit.record("rectification.check", f"rectification:{item.id}", actor=actor, previous=previous,
                 outcome=outcome, reason=reason[:500])
    _commit()


def set_public(campaign: Campaign, public: bool, actor: str) -> None:
    """The campaign's choice: its ledger's problems, measures and statuses on a public page, or not."""
    if campaign.status != "published":
        raise LedgerError(_l("A ledger starts once the campaign's results are published."))
    if campaign.ledger_public == public:
        raise LedgerError(_l("Nothing changed."))
    campaign.ledger_public = public
    audit.record("rectification.public", f"campaign:{campaign.id}", actor=actor, campaign=campaign.id,
                 published=public)
    _commit()


# -- flags and lists ------------------------------------------------------------------------------

def flags(item: RectificationItem, on: date) -> tuple[str, ...]:
    """("overdue",) when the approved plan's deadline has passed and the item is not closed."""
    return open_flags(active=item.plan_state == "approved" and item.status != "closed", deadline=item.deadline,
                      last_progress=None, since=None, today=on, stale_days=None)


def visible_items(user, campaign_id: int | None = None, target_id: int | None = None) -> list[RectificationItem]:
    """The items `user` reaches (security: the campaign's scope; a leader their own target's), by
    campaign, target and deadline."""
    query = (select(RectificationItem).join(Target, Target.id == RectificationItem.target_id)
             .order_by(RectificationItem.campaign_id.desc(), Target.code, RectificationItem.deadline,
                       RectificationItem.id))
    if campaign_id is not None:
        query = query.where(RectificationItem.campaign_id == campaign_id)
    if target_id is not None:
        query = query.where(RectificationItem.target_id == target_id)
    return [item for item in db.session.execute(query).scalars() if can("rectification.read", item, user)]


def pending_progress(user) -> list[RectificationProgress]:
    query = (select(RectificationProgress).where(RectificationProgress.review == "pending")
             .order_by(RectificationProgress.created_at, RectificationProgress.id))
    return [p for p in db.session.execute(query).scalars() if can("rectification.read", p, user)]


def published_campaigns() -> list[Campaign]:
    """The published campaigns, newest first: where a ledger may start."""
    return list(db.session.execute(select(Campaign).where(Campaign.status == "published", Campaign.kind != "decision")
                                   .order_by(Campaign.published_at.desc())).scalars())


def counts(campaign_id: int, on: date) -> dict[int, dict[str, int]]:
    """Per target id of a campaign's ledger: items open (not closed), overdue, closed, and all."""
    out: dict[int, dict[str, int]] = {}
    for item in db.session.execute(_counted_items(), {"campaign_id": campaign_id}):  # the columns `flags` reads
        row = out.setdefault(item.target_id, {"open": 0, "overdue": 0, "closed": 0, "all": 0})
        row["all"] += 1
        row["closed" if item.status == "closed" else "open"] += 1
        row["overdue"] += "overdue" in flags(item, on)
    return out


@functools.cache
def _counted_items():
    """(built once: the dashboard counts the ledger on every view)"""
    return select(RectificationItem.target_id, RectificationItem.status, RectificationItem.plan_state,
                  RectificationItem.deadline).where(RectificationItem.campaign_id == bindparam("campaign_id"))


def report_rows(campaign: Campaign, target: Target, on: date) -> list[dict]:
    """A target's approved ledger items of this campaign and the earlier ones, for its feedback
    report: each with its campaign, flags and latest reviewed progress."""
    query = (select(RectificationItem).join(Campaign, Campaign.id == RectificationItem.campaign_id)
             .where(RectificationItem.target_id == target.id, RectificationItem.plan_state == "approved"))
    if campaign.published_at is not None:
        query = query.where(Campaign.published_at <= campaign.published_at)
    items = db.session.execute(query.order_by(Campaign.published_at, RectificationItem.id)).scalars()
    return [{"item": item, "flags": flags(item, on), "progress": item.public_progress[:1]} for item in items]


def public_items(campaign: Campaign) -> list[RectificationItem]:
    """What a public ledger shows: the approved plans of a campaign that chose to publish its ledger."""
    if not campaign.ledger_public or campaign.status != "published":
        return []
    return list(db.session.execute(
        select(RectificationItem).join(Target, Target.id == RectificationItem.target_id)
        .where(RectificationItem.campaign_id == campaign.id, RectificationItem.plan_state == "approved")
        .order_by(Target.code, RectificationItem.deadline, RectificationItem.id)).scalars())


def public_campaigns() -> list[Campaign]:
    return [c for c in published_campaigns() if c.ledger_public]
