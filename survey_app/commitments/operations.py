"""What changes commitments and their progress (亮诺 · 践诺), each change in the audit log, and
the flags (overdue, stale) computed from a given day so that tests and pages agree."""
import functools
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select

from .. import audit
from ..extensions import commit, db
from ..labels import label
from ..models import Commitment, ProgressEntry, Target
from ..models._types import utcnow
from ..models.commitment import CATEGORIES, FINAL, NEEDS_REASON, STATUSES
from ..security import commitment_target_ids

#: the columns of a commitment that its form and the import set
FIELDS = ("text_zh", "text_en", "measure_zh", "measure_en", "deadline", "announced_on", "announced_where", "category")
#: the first bytes of each attachment type a progress entry takes
SIGNATURES = {"pdf": (b"%PDF-",), "png": (b"\x89PNG\r\n\x1a\n",), "jpeg": (b"\xff\xd8\xff",)}
MEDIA_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}


class CommitmentError(ValueError):
    """A change the commitment's state does not allow; the message is for the user."""


def _check_fields(fields: dict) -> None:
    if not (fields.get("text_zh") or "").strip():
        raise CommitmentError(_l("Say what is promised."))
    if not isinstance(fields.get("deadline"), date):
        raise CommitmentError(_l("A commitment needs a deadline."))
    if fields.get("category", "other") not in CATEGORIES:
        raise CommitmentError(_l("Unknown category."))


def create_commitment(target: Target, fields: dict, actor: str, state: str = "draft") -> Commitment:
    """A new commitment of a target, a draft unless staff import it published."""
    _check_fields(fields)
    commitment = Commitment(target_id=target.id, created_by=actor, state=state,
                            **{k: fields.get(k) if k in ("deadline", "announced_on") else (fields.get(k) or "")
                               for k in FIELDS})
    if not commitment.category:
        commitment.category = "other"
    if state == "published":
        commitment.published_at = utcnow()
    db.session.add(commitment)
    db.session.flush()
    audit.record("commitment.create", f"commitment:{commitment.id}", actor=actor, target=target.code, state=state)
    commit()
    return commitment


def update_commitment(commitment: Commitment, fields: dict, actor: str) -> None:
    _check_fields(fields)
    changed = sorted(k for k in FIELDS if getattr(commitment, k) != fields.get(k))
    for k in FIELDS:
        setattr(commitment, k, fields.get(k) if k in ("deadline", "announced_on") else (fields.get(k) or ""))
    audit.record("commitment.edit", f"commitment:{commitment.id}", actor=actor, fields=changed)
    commit()


def submit_commitment(commitment: Commitment, actor: str) -> None:
    """A draft goes to staff for approval."""
    if commitment.state != "draft":
        raise CommitmentError(_l("Only a draft can be submitted."))
    commitment.state = "submitted"
    audit.record("commitment.submit", f"commitment:{commitment.id}", actor=actor)
    commit()


def publish_commitment(commitment: Commitment, actor: str) -> None:
    """Staff approve a draft or a submitted commitment: from now on the public sees it."""
    if commitment.state == "published":
        raise CommitmentError(_l("This commitment is published already."))
    commitment.state, commitment.published_at, commitment.staff_note = "published", utcnow(), ""
    audit.record("commitment.publish", f"commitment:{commitment.id}", actor=actor)
    commit()


def send_back(commitment: Commitment, note: str, actor: str) -> None:
    """Staff return a submitted commitment to its author as a draft, saying why."""
    if commitment.state != "submitted":
        raise CommitmentError(_l("Only a submitted commitment can be sent back."))
    commitment.state, commitment.staff_note = "draft", note.strip()
    audit.record("commitment.send_back", f"commitment:{commitment.id}", actor=actor, note=note[:500])
    commit()


def set_status(commitment: Commitment, status: str, reason: str, actor: str) -> None:
    """Kept, in progress, stalled, broken or withdrawn; all but the first two say why."""
    if status not in STATUSES:
        raise CommitmentError(_l("Unknown status."))
    if commitment.state != "published":
        raise CommitmentError(_l("Only a published commitment has a status to change."))
    reason = (reason or "").strip()
    if status in NEEDS_REASON and not reason:
        raise CommitmentError(_l("Say why: the public reads the reason next to the status."))
    if status == commitment.status and reason == commitment.status_reason:
        raise CommitmentError(_l("The status is unchanged."))
    audit.record("commitment.status", f"commitment:{commitment.id}", actor=actor,
                 previous=commitment.status, status=status, reason=reason[:500])
    commitment.status, commitment.status_reason = status, reason
    commit()


def attachment_type(data: bytes, max_bytes: int) -> str:
    """The type of an evidence file told by its first bytes (the name proves nothing), or a
    CommitmentError naming what is wrong."""
    if not data:
        raise CommitmentError(_l("The attached file is empty."))
    if len(data) > max_bytes:
        raise CommitmentError(_l("The attached file is larger than %(n)d MB.", n=max(1, max_bytes // (1024 * 1024))))
    for kind, signatures in SIGNATURES.items():
        if data.startswith(signatures):
            return kind
    raise CommitmentError(_l("Attach a PDF, PNG or JPEG file; this file is none of them."))


def progress_fields(*, on: date, done: str, actor: str, percent: int | None = None, milestone: str = "",
                    evidence: str = "", attachment: bytes | None = None, filename: str = "",
                    max_bytes: int = 5 * 1024 * 1024) -> dict:
    """The columns of a new progress entry (`models.commitment.ProgressFields`), checked: what was
    done, a percentage or a milestone, an attachment that is a PDF or an image within `max_bytes`.
    Raises CommitmentError before anything is stored. Shared by commitments and rectification items."""
    if not (done or "").strip():
        raise CommitmentError(_l("Say what was done."))
    if percent is not None and not 0 <= percent <= 100:
        raise CommitmentError(_l("The percentage lies between 0 and 100."))
    if percent is None and not (milestone or "").strip():
        raise CommitmentError(_l("Give a percentage or a milestone."))
    kind = attachment_type(attachment, max_bytes) if attachment else ""
    return {"on": on, "done": done.strip(), "percent": percent, "milestone": (milestone or "").strip(),
            "evidence": (evidence or "").strip(), "attachment": attachment or None, "attachment_type": kind,
            "attachment_name": (filename or "")[-200:] if attachment else "", "entered_by": actor}


def add_progress(commitment: Commitment, *, on: date, done: str, actor: str, **fields) -> ProgressEntry:
    """A dated progress entry, pending until staff review it. A file that is not a PDF or an
    image, or too big, is refused before anything is stored (`progress_fields`)."""
    if commitment.state != "published":
        raise CommitmentError(_l("Progress is reported on a published commitment."))
    if commitment.status in FINAL:
        raise CommitmentError(_l("This commitment is closed: no more progress is reported on it."))
    entry = ProgressEntry(commitment=commitment, **progress_fields(on=on, done=done, actor=actor, **fields))
    db.session.add(entry)
    db.session.flush()
    audit.record("progress.add", f"progress:{entry.id}", actor=actor, commitment=commitment.id,
                 on=on.isoformat(), attachment=entry.attachment_type or None)
    commit()
    return entry


def apply_review(entry, decision: str, note: str, actor: str) -> tuple[str, str]:
    """Check a review of any progress entry (`ProgressFields`) and record it on the entry, uncommitted:
    approved, or rejected saying why. Returns (previous review, note) for the caller's audit entry."""
    if decision not in ("approved", "rejected"):
        raise CommitmentError(_l("Approve or reject."))
    note = (note or "").strip()
    if decision == "rejected" and not note:
        raise CommitmentError(_l("Say why the entry is rejected: its author reads it."))
    if entry.review == decision:
        raise CommitmentError(_l("The entry is %(state)s already.", state=label("progress_review", decision)))
    previous = entry.review
    entry.review, entry.review_note, entry.reviewed_by, entry.reviewed_at = decision, note, actor, utcnow()
    return previous, note


def review_progress(entry: ProgressEntry, decision: str, note: str, actor: str) -> None:
    """Staff approve an entry (the public sees it from now on) or reject it, saying why."""
    previous, note = apply_review(entry, decision, note, actor)
    audit.record("progress.review", f"progress:{entry.id}", actor=actor, commitment=entry.commitment_id,
                 previous=previous, outcome=decision, note=note[:500])
    commit()


# -- flags --------------------------------------------------------------------------------------

def open_flags(*, active: bool, deadline: date | None, last_progress: date | None, since: date | None,
               today: date, stale_days: int | None) -> tuple[str, ...]:
    """("overdue", "stale") as they apply to something still to be done (`active`): past its
    deadline; or no reviewed progress for more than `stale_days` (counted from the last reviewed
    entry, else from `since`; None: never stale). Shared by commitments and rectification items."""
    if not active:
        return ()
    found = []
    if deadline is not None and today > deadline:
        found.append("overdue")
    start = last_progress or since
    if stale_days is not None and start is not None and (today - start).days > stale_days:
        found.append("stale")
    return tuple(found)


def flags_for(*, status: str, state: str, deadline: date, last_progress: date | None, since: date | None,
              today: date, stale_days: int) -> tuple[str, ...]:
    """A commitment's flags (`open_flags`), counted from the announcement or the publication.
    A draft, or a kept, broken or withdrawn commitment, has none."""
    return open_flags(active=state == "published" and status not in FINAL, deadline=deadline,
                      last_progress=last_progress, since=since, today=today, stale_days=stale_days)


def flags(commitment: Commitment, today: date, stale_days: int) -> tuple[str, ...]:
    public = commitment.public_progress
    since = commitment.announced_on or (commitment.published_at.date() if commitment.published_at else None)
    return flags_for(status=commitment.status, state=commitment.state, deadline=commitment.deadline,
                     last_progress=public[0].on if public else None, since=since, today=today, stale_days=stale_days)


def today() -> date:
    """The day flags are computed for (UTC)."""
    return utcnow().date()


# -- lists ---------------------------------------------------------------------------------------

def visible_commitments(user, target_id: int | None = None, state: str | None = None) -> list[Commitment]:
    """The commitments `user` reaches (see security.commitment_target_ids), by target and deadline."""
    query = select(Commitment).join(Target).order_by(Target.code, Commitment.deadline, Commitment.id)
    reached = commitment_target_ids(user)
    if reached is not None:
        query = query.where(Commitment.target_id.in_(reached or {-1}))
    if target_id is not None:
        query = query.where(Commitment.target_id == target_id)
    if state:
        query = query.where(Commitment.state == state)
    return list(db.session.execute(query).scalars())


def targets_for_new(user) -> list[Target]:
    """The leaders and units `user` may enter a commitment for."""
    query = select(Target).where(Target.kind.in_(("leader", "unit"))).order_by(Target.code)
    reached = commitment_target_ids(user)
    if reached is not None:
        query = query.where(Target.id.in_(reached or {-1}))
    return list(db.session.execute(query).scalars())


def pending_progress(user) -> list[ProgressEntry]:
    """Progress entries waiting for review among the commitments `user` reaches, oldest first."""
    query = (select(ProgressEntry).join(Commitment).where(ProgressEntry.review == "pending")
             .order_by(ProgressEntry.created_at, ProgressEntry.id))
    reached = commitment_target_ids(user)
    if reached is not None:
        query = query.where(Commitment.target_id.in_(reached or {-1}))
    return list(db.session.execute(query).scalars())


def public_commitments(target_id: int) -> list[Commitment]:
    """A target's published commitments, by deadline: what its public page shows."""
    return list(db.session.execute(_public_commitments(), {"target_id": target_id}).scalars())


@functools.cache
def _public_commitments():
    """(built once: a report page reads them on every view)"""
    return (select(Commitment).where(Commitment.target_id == bindparam("target_id"), Commitment.state == "published")
            .order_by(Commitment.deadline, Commitment.id))


def public_targets() -> list[tuple[Target, int]]:
    """The targets with published commitments and how many, by code."""
    rows = db.session.execute(
        select(Target, func.count(Commitment.id)).join(Commitment, Commitment.target_id == Target.id)
        .where(Commitment.state == "published").group_by(Target.id).order_by(Target.code)).all()
    return [(target, n) for target, n in rows]


def evidence_file(entry) -> dict:
    """How an entry's attached evidence is sent (`flask.send_file`'s arguments but the bytes): a PDF
    as a download, an image shown; shared by the commitments' and the ledger's progress."""
    return {"mimetype": MEDIA_TYPES[entry.attachment_type], "as_attachment": entry.attachment_type == "pdf",
            "download_name": entry.attachment_name or f"evidence-{entry.id}.{entry.attachment_type}"}


def public_attachment(progress_id: int) -> ProgressEntry | None:
    """An entry's attachment when the public may see it: reviewed and approved, on a published commitment."""
    entry = db.session.get(ProgressEntry, progress_id)
    if entry is None or not entry.has_attachment or entry.review != "approved" \
            or entry.commitment.state != "published":
        return None
    return entry


def report_rows(target_id: int, today: date, stale_days: int, latest: int = 3) -> list[dict]:
    """A target's published commitments for its feedback report, as the public sees them: each with
    its flags and its `latest` reviewed progress entries, newest first."""
    rows = []
    for commitment in public_commitments(target_id):
        shown = commitment.public_progress
        rows.append({"commitment": commitment, "flags": flags(commitment, today, stale_days),
                     "progress": shown[:latest], "more": max(0, len(shown) - latest)})
    return rows
