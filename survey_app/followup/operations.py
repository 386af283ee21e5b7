"""The follow-up of alerts (预防 · 警示): opening a case for every target in prevention or warning
when a campaign's results are published, the measures staff record, the leader's answers and the
closing, each in the audit log; and the flags and lists the board, the dashboard and the report show.

A case keeps the target's published, aggregated figures (`BASIS_KEYS` of its results entry) and
nothing else of the campaign: no ballot, code, receipt, time of answering or answer reaches it."""
import functools
from datetime import date, timedelta

import chinese_calendar
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

from .. import audit
from ..commitments.operations import CommitmentError, attachment_type
from ..extensions import commit, db
from ..labels import in_language
from ..models import AlertCase, Campaign, CampaignTarget, CaseStep, Target
from ..models._types import utcnow
from ..models.followup import BASIS_KEYS, LEVELS, OUTCOMES, STEP_KINDS
from ..results.alerts import RAISED
from ..security import commitment_target_ids


#: the audit log's action for each kind of step
STEP_ACTIONS = {"reminder_talk": "case.reminder_talk", "letter": "case.letter",
                "admonishing_talk": "case.admonishing_talk", "reply": "case.reply",
                "self_correction": "case.self_correction"}


class CaseError(ValueError):
    """A change the case's state does not allow, or bad input; the message is for the user."""


def today() -> date:
    """The day flags are computed for (UTC)."""
    return utcnow().date()


def is_working_day(day: date, holidays=(), makeup_days=()) -> bool:
    """A working day in mainland China: the State Council's public holidays are off and its make-up
    days (调休) worked, as the chinesecalendar package knows them; for a year it does not know yet,
    Monday to Friday. `holidays` and `makeup_days` add days (the configuration's PUBLIC_HOLIDAYS
    and MAKEUP_WORKING_DAYS, for a year published after the package)."""
    if day in makeup_days:
        return True
    if day in holidays:
        return False
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package's calendar does not cover
        return day.weekday() < 5


def working_days_after(start: date, n: int, holidays=(), makeup_days=()) -> date:
    """The day `n` working days (`is_working_day`) after `start`."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    while n:
        day += timedelta(days=1)
        if is_working_day(day, holidays, makeup_days):
            n -= 1
    return day


def reply_due(on: date, working_days: int) -> date:
    """A letter's reply day under this installation's calendar."""
    config = current_app.config
    return working_days_after(on, working_days, config.get("PUBLIC_HOLIDAYS", ()),
                              config.get("MAKEUP_WORKING_DAYS", ()))


# -- opening cases ----------------------------------------------------------------------------------

def _basis(entry: dict) -> dict:
    """The aggregated figures of a target's published entry that a case keeps."""
    return {key: entry.get(key) for key in BASIS_KEYS if key in entry}


def _insert(dialect: str):
    return (postgresql if dialect == "postgresql" else sqlite).insert


def open_cases_for(campaign: Campaign, actor: str) -> list[int]:
    """Open a case for each target the campaign's published results put in prevention or warning,
    in the caller's transaction; returns the new cases' ids.

    Idempotent, also from two processes at once: each (campaign, target) has one case at most
    (a unique constraint), and the rows are inserted with ON CONFLICT DO NOTHING, so a second
    run, or a run racing another, adds nothing and logs nothing. On PostgreSQL the audit log's
    lock is taken first, in the order `audit.record` takes it, so two runs cannot deadlock."""
    data = campaign.published_results
    if campaign.status != "published" or not data or campaign.is_decision:
        return []
    ids = {ct.target.code: ct.target_id for ct in campaign.campaign_targets}
    raised = [t for t in data.get("targets", []) if t.get("alert") in RAISED and t.get("target") in ids]
    if not raised:
        return []
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(audit.APPEND_LOCK)))
    insert, opened = _insert(dialect), []
    now = utcnow()
    for entry in raised:
        statement = (insert(AlertCase.__table__)
                     .values(target_id=ids[entry["target"]], campaign_id=campaign.id, level=entry["alert"],
                             source="publication", basis=_basis(entry), note="", status="open", outcome="",
                             outcome_note="", opened_by=actor, opened_at=now, closed_by="")
                     .on_conflict_do_nothing(index_elements=["campaign_id", "target_id"])
                     .returning(AlertCase.__table__.c.id))
        case_id = db.session.execute(statement).scalar_one_or_none()
        if case_id is not None:
            opened.append(case_id)
            audit.record("case.open", f"case:{case_id}", actor=actor, campaign=campaign.code,
                         target=entry["target"], level=entry["alert"], opened="publication")
    return opened


def open_published_cases(actor: str, campaigns=None) -> int:
    """Open the missing cases of published campaigns (all, or `campaigns`): for campaigns
    published before this existed, or a publication whose cases failed. Returns how many."""
    if campaigns is None:
        campaigns = db.session.execute(select(Campaign).where(Campaign.status == "published")
                                       .order_by(Campaign.published_at)).scalars().all()
    n = sum(len(open_cases_for(campaign, actor)) for campaign in campaigns)
    commit()
    return n


def open_case_by_hand(target: Target, level: str, note: str, actor: str, *, names_no_informant: bool) -> AlertCase:
    """A case staff open from a note of their own, which must name no informant (信访举报 are out of scope)."""
    if level not in LEVELS:
        raise CaseError(_l("Choose prevention or warning."))
    note = (note or "").strip()
    if not note:
        raise CaseError(_l("Say why the case is opened."))
    if not names_no_informant:
        raise CaseError(_l("A case rests on results, not on reports about a person: confirm that the note names no informant."))
    if target.kind not in ("leader", "unit"):
        raise CaseError(_l("A case follows up a leader or a unit."))
    case = AlertCase(target_id=target.id, campaign_id=None, level=level, source="manual", basis=None, note=note,
                     opened_by=actor)
    db.session.add(case)
    db.session.flush()
    audit.record("case.open", f"case:{case.id}", actor=actor, target=target.code, level=level, opened="manual")
    commit()
    return case


# -- measures and answers -------------------------------------------------------------------------------

def unanswered_letters(case: AlertCase) -> list[CaseStep]:
    """The case's letters of inquiry that have no reply yet, oldest first."""
    return _unanswered(case.steps)


def _unanswered(steps) -> list:
    """The letters among `steps` (anything with `id`, `kind` and `answers_id`) that no reply answers."""
    answered = {s.answers_id for s in steps if s.kind == "reply"}
    return [s for s in steps if s.kind == "letter" and s.id not in answered]


def _overdue(steps, day: date) -> bool:
    """Whether an open case with these steps has a letter whose reply is past due on `day`."""
    return any(s.reply_due is not None and day > s.reply_due for s in _unanswered(steps))


def _check_step(case: AlertCase, kind: str, on, held_by: str, place: str, text: str,
                answers: CaseStep | None) -> None:
    if case.status != "open":
        raise CaseError(_l("This case is closed: nothing more is recorded on it."))
    if kind not in STEP_KINDS:
        raise CaseError(_l("Unknown kind of measure."))
    if not isinstance(on, date):
        raise CaseError(_l("Enter a date."))
    if on > today():
        raise CaseError(_l("The date lies in the future."))
    if kind in ("reminder_talk", "admonishing_talk") and not held_by:
        raise CaseError(_l("Say who held the talk."))
    if kind == "admonishing_talk" and not place:
        raise CaseError(_l("Say where the talk took place."))
    if kind != "reminder_talk" and not text:
        raise CaseError(_l("Say what was asked, answered or reported."))
    if kind == "reply":
        if answers is None or answers.case_id != case.id or answers.kind != "letter":
            raise CaseError(_l("Choose the letter this reply answers."))
        if answers not in unanswered_letters(case):
            raise CaseError(_l("This letter has been answered already."))
        if on < answers.on:
            raise CaseError(_l("The reply is dated before its letter."))


def add_step(case: AlertCase, kind: str, *, on: date, actor: str, held_by: str = "", place: str = "",
             text: str = "", answers: CaseStep | None = None, attachment: bytes | None = None,
             filename: str = "", max_bytes: int = 5 * 1024 * 1024, reply_working_days: int = 10) -> CaseStep:
    """Record a measure (staff: STAFF_STEPS) or an answer (the leader: LEADER_STEPS) on an open case.
    A letter's reply is due `reply_working_days` working days after it is sent. A file that is not
    a PDF or an image, or too big, is refused before anything is stored."""
    held_by, place, text = (held_by or "").strip(), (place or "").strip(), (text or "").strip()
    _check_step(case, kind, on, held_by, place, text, answers)
    try:
        file_kind = attachment_type(attachment, max_bytes) if attachment else ""
    except CommitmentError as error:  # the evidence check of the commitments, shared
        raise CaseError(str(error)) from None
    step = CaseStep(case=case, kind=kind, on=on, held_by=held_by, place=place, text=text,
                    reply_due=reply_due(on, reply_working_days) if kind == "letter" else None,
                    answers=answers if kind == "reply" else None, attachment=attachment or None,
                    attachment_type=file_kind, attachment_name=(filename or "")[-200:] if attachment else "",
                    entered_by=actor)
    db.session.add(step)
    db.session.flush()
    details = {"due": step.reply_due.isoformat() if step.reply_due else None,
               "letter": answers.id if kind == "reply" else None, "attachment": file_kind or None}
    audit.record(STEP_ACTIONS[kind], f"case:{case.id}", actor=actor, step=step.id, on=on.isoformat(),
                 **{k: v for k, v in details.items() if v is not None})
    commit()
    return step


def close_case(case: AlertCase, outcome: str, note: str, actor: str) -> None:
    """Staff close a case with its outcome, saying why; a letter still waiting for its reply must be
    answered first, or the outcome must say the case was referred."""
    if case.status != "open":
        raise CaseError(_l("This case is closed already."))
    if outcome not in OUTCOMES:
        raise CaseError(_l("Choose an outcome."))
    note = (note or "").strip()
    if not note:
        raise CaseError(_l("Say how the case ended."))
    if outcome != "referred" and unanswered_letters(case):
        raise CaseError(_l("A letter of inquiry still waits for its reply."))
    case.status, case.outcome, case.outcome_note = "closed", outcome, note
    case.closed_by, case.closed_at = actor, utcnow()
    audit.record("case.close", f"case:{case.id}", actor=actor, case_outcome=outcome)
    commit()


# -- flags and lists -------------------------------------------------------------------------------------

def overdue_letters(case: AlertCase, day: date) -> list[CaseStep]:
    """An open case's letters whose reply is past due."""
    if case.status != "open":
        return []
    return [s for s in unanswered_letters(case) if s.reply_due is not None and day > s.reply_due]


def flags(case: AlertCase, day: date) -> tuple[str, ...]:
    """("overdue",) when a letter's reply is past due on an open case."""
    return ("overdue",) if overdue_letters(case, day) else ()


def _reached(query, user):
    reached = commitment_target_ids(user)
    if reached is not None:
        query = query.where(AlertCase.target_id.in_(reached or {-1}))
    return query


def visible_cases(user, status: str | None = None) -> list[AlertCase]:
    """The cases `user` reaches (security.commitment_target_ids: a leader their own target's, a
    scoped account its campaigns' targets), open ones first, by target and date."""
    query = _reached(select(AlertCase).join(Target, Target.id == AlertCase.target_id)
                     .order_by(AlertCase.status.desc(), Target.code, AlertCase.opened_at, AlertCase.id), user)
    if status in ("open", "closed"):
        query = query.where(AlertCase.status == status)
    return list(db.session.execute(query).scalars())


def counts_per_target(target_ids, day: date) -> dict[int, dict[str, int]]:
    """Per target id: its open, overdue (open with a reply past due) and closed cases."""
    counts = {tid: {"open": 0, "overdue": 0, "closed": 0} for tid in target_ids}
    cases = db.session.execute(select(AlertCase.id, AlertCase.target_id, AlertCase.status)
                               .where(AlertCase.target_id.in_(list(counts) or [-1]))).all()
    _count(cases, counts, day)
    return counts


def _count(cases, counts: dict, day: date) -> None:
    """Adds `cases` (rows of id, target_id, status) to `counts`; the open cases' steps are read in
    one query of the columns `flags` looks at (no case or step loaded whole)."""
    open_ids = [case.id for case in cases if case.status == "open"]
    steps: dict[int, list] = {}
    if open_ids:
        for step in db.session.execute(_case_statements()[1], {"case_ids": open_ids}):
            steps.setdefault(step.case_id, []).append(step)
    for case in cases:
        row = counts[case.target_id]
        row[case.status] += 1
        if case.status == "open" and _overdue(steps.get(case.id, []), day):
            row["overdue"] += 1


@functools.cache
def _case_statements() -> tuple:
    """(built once: the dashboard counts the cases on every view)"""
    return (select(AlertCase.id, AlertCase.target_id, AlertCase.status, Target.code, Target.name_zh, Target.name_en)
            .join(Target, Target.id == AlertCase.target_id)
            .join(CampaignTarget, CampaignTarget.target_id == AlertCase.target_id)
            .where(CampaignTarget.campaign_id == bindparam("campaign_id")),
            select(CaseStep.case_id, CaseStep.id, CaseStep.kind, CaseStep.reply_due, CaseStep.answers_id)
            .where(CaseStep.case_id.in_(bindparam("case_ids", expanding=True))).order_by(CaseStep.on, CaseStep.id))


def campaign_case_counts(campaign_id: int, day: date) -> list[tuple]:
    """The dashboard's follow-up of alerts: (target, counts) for each of the campaign's targets that has
    cases (of any campaign), by target code; `target` has `id`, `code` and `name(locale)`, counts as
    `counts_per_target`'s. Two queries of a few columns, whatever the number of targets."""
    rows = db.session.execute(_case_statements()[0], {"campaign_id": campaign_id}).all()
    counts = {row.target_id: {"open": 0, "overdue": 0, "closed": 0} for row in rows}
    _count(rows, counts, day)
    targets = {row.target_id: _TargetName(row.target_id, row.code, row.name_zh, row.name_en) for row in rows}
    return [(t, counts[t.id]) for t in sorted(targets.values(), key=lambda t: t.code)]


class _TargetName:
    __slots__ = ("id", "code", "name_zh", "name_en")

    def __init__(self, id: int, code: str, name_zh: str, name_en: str):
        self.id, self.code, self.name_zh, self.name_en = id, code, name_zh, name_en

    def name(self, locale: str) -> str:
        return in_language(locale, self.name_zh, self.name_en)


def report_rows(target_id: int, campaign: Campaign) -> list[AlertCase]:
    """The target's case history for a campaign's feedback report: the cases opened before this
    campaign's results (its publication, or now), other than those its own alerts opened."""
    until = campaign.published_at or utcnow()
    return list(db.session.execute(_report_cases(), {"target_id": target_id, "until": until,
                                                     "campaign_id": campaign.id}).scalars())


@functools.cache
def _report_cases():
    """(built once: a report page reads them on every view)"""
    return (select(AlertCase).where(AlertCase.target_id == bindparam("target_id"),
                                    AlertCase.opened_at < bindparam("until", type_=AlertCase.opened_at.type),
                                    (AlertCase.campaign_id.is_(None)) | (AlertCase.campaign_id != bindparam("campaign_id")))
            .order_by(AlertCase.opened_at, AlertCase.id))

