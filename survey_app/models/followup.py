"""The follow-up of alerts (预防 · 警示): a case per target in prevention or warning after a
campaign's results are published, the measures staff take and the leader's answers.

A case rests on the published, aggregated figures of its target (`AlertCase.basis`) and on
the moderated comments its report shows; nothing of a ballot is stored here. Cases are never public."""
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from ..extensions import db
from ._types import utcnow

#: the alert levels a case follows up (the engine's `alert` codes)
LEVELS = ("prevention", "warning")
#: where a case came from: a campaign's publication, or staff opening it by hand from a note
SOURCES = ("publication", "manual")
#: how a closed case ended
OUTCOMES = ("corrected", "watch", "referred", "unfounded")
#: what staff record on a case, and what the leader files
STAFF_STEPS = ("reminder_talk", "letter", "admonishing_talk")
LEADER_STEPS = ("reply", "self_correction")
STEP_KINDS = STAFF_STEPS + LEADER_STEPS
#: the figures of a target's published entry that a case keeps: aggregates only
BASIS_KEYS = ("score", "ci95", "rank", "grade", "alert", "alert_status", "dissatisfaction",
              "dissatisfaction_ci95", "dimensions")


class AlertCase(db.Model):
    """One target's follow-up of an alert: open until staff close it with an outcome."""
    __tablename__ = "alert_cases"
    # one case per (campaign, target): opening them twice, or from two processes at once, adds nothing
    __table_args__ = (UniqueConstraint("campaign_id", "target_id", name="uq_alert_cases_campaign_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"), index=True)
    #: the published campaign whose alert opened it; None for a case opened by hand
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    #: one of LEVELS
    level: Mapped[str] = mapped_column(String(16))
    #: one of SOURCES
    source: Mapped[str] = mapped_column(String(16), default="publication")
    #: the target's published figures (BASIS_KEYS) when opened from a publication
    basis: Mapped[dict | None] = mapped_column(JSON)
    #: why staff opened it by hand: a note that names no informant
    note: Mapped[str] = mapped_column(Text, default="")
    #: "open" or "closed"; a closed case has one of OUTCOMES and says why
    status: Mapped[str] = mapped_column(String(16), default="open")
    outcome: Mapped[str] = mapped_column(String(16), default="")
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    opened_by: Mapped[str] = mapped_column(String(64), default="")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by: Mapped[str] = mapped_column(String(64), default="")
    closed_at: Mapped[datetime | None]

    target: Mapped["Target"] = relationship()  # noqa: F821
    campaign: Mapped["Campaign | None"] = relationship()  # noqa: F821
    steps: Mapped[list["CaseStep"]] = relationship(
        back_populates="case", order_by="(CaseStep.on, CaseStep.id)", cascade="all, delete-orphan",
        foreign_keys="CaseStep.case_id")

    def __repr__(self):
        return f"<AlertCase {self.id} t={self.target_id} c={self.campaign_id} {self.level} {self.status}>"


class CaseStep(db.Model):
    """A dated measure or answer on a case: a reminder talk, a letter of inquiry (with the day its
    reply is due), an admonishing talk (who, when, where), the leader's reply to a letter, or the
    leader's self-correction report (自查自纠); optionally with a PDF or image attached."""
    __tablename__ = "alert_case_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("alert_cases.id"), index=True)
    #: one of STEP_KINDS
    kind: Mapped[str] = mapped_column(String(24))
    #: the day it took place (a talk), was sent (a letter) or was filed (a reply, a report)
    on: Mapped[date]
    #: who held the talk or signed the letter, and where a talk took place
    held_by: Mapped[str] = mapped_column(String(200), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    #: what was said, asked, answered or reported
    text: Mapped[str] = mapped_column(Text, default="")
    #: a letter's reply is due on this day (working days after `on`)
    reply_due: Mapped[date | None]
    #: a reply: the letter it answers
    answers_id: Mapped[int | None] = mapped_column(ForeignKey("alert_case_steps.id"))
    #: an attached PDF or image, checked by its first bytes; deferred: read only when downloaded
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    has_attachment: Mapped[bool] = column_property(attachment.is_not(None))
    attachment_type: Mapped[str] = mapped_column(String(8), default="")
    attachment_name: Mapped[str] = mapped_column(String(200), default="")
    entered_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[AlertCase] = relationship(back_populates="steps", foreign_keys=[case_id])
    answers: Mapped["CaseStep | None"] = relationship(remote_side=[id])

    def __repr__(self):
        return f"<CaseStep {self.id} case={self.case_id} {self.kind} {self.on}>"
