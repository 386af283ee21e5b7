"""The rectification ledger (整改台账): the problems a published result shows for a target, the
measures its leader or unit plans, the progress reported on them and the commission's closing check."""
from datetime import date, datetime

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..labels import in_language
from ._types import utcnow
from .commitment import ProgressFields

#: where a problem comes from: a low dimension or item of the published results, a moderated
#: comment, or the commission's own finding. Never a ballot: `source_ref` names a published figure
#: (a dimension or item code) or a published comment's id, and `source_score` copies the published figure.
SOURCES = ("dimension", "item", "comment", "finding")
#: where the plan (the measures) stands: the leader's or unit's draft, submitted to staff, approved
PLAN_STATES = ("draft", "submitted", "approved")
#: the closing check: open; the leader asks for the check; staff close it, or do not accept the
#: rectification (with a reason: the item stays open and is worked on again)
STATUSES = ("open", "check_requested", "closed", "not_accepted")


class RectificationItem(db.Model):
    """One problem of a target's ledger with its measures, responsible person and deadline."""
    __tablename__ = "rectification_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the published campaign whose results show the problem
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"), index=True)
    #: one of SOURCES, what it refers to (a dimension or item code, a comment id; "" for a finding)
    source: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str] = mapped_column(String(64), default="")
    #: the published score of the dimension or item when the problem was recorded
    source_score: Mapped[float | None] = mapped_column(Float)
    #: the problem in words
    problem_zh: Mapped[str] = mapped_column(Text)
    problem_en: Mapped[str] = mapped_column(Text, default="")
    #: the plan: the measures, who answers for them, by when
    measures_zh: Mapped[str] = mapped_column(Text, default="")
    measures_en: Mapped[str] = mapped_column(Text, default="")
    responsible: Mapped[str] = mapped_column(String(200), default="")
    deadline: Mapped[date | None]
    #: one of PLAN_STATES, and what staff asked to change when they sent the plan back
    plan_state: Mapped[str] = mapped_column(String(16), default="draft")
    staff_note: Mapped[str] = mapped_column(Text, default="")
    #: one of STATUSES, with the reason of a check that did not accept the rectification
    status: Mapped[str] = mapped_column(String(16), default="open")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    checked_by: Mapped[str] = mapped_column(String(64), default="")
    checked_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    campaign: Mapped["Campaign"] = relationship()  # noqa: F821
    target: Mapped["Target"] = relationship()  # noqa: F821
    progress: Mapped[list["RectificationProgress"]] = relationship(
        back_populates="item", order_by="(RectificationProgress.on.desc(), RectificationProgress.id.desc())",
        cascade="all, delete-orphan")

    def problem(self, locale: str) -> str:
        return in_language(locale, self.problem_zh, self.problem_en or self.problem_zh)

    def measures(self, locale: str) -> str:
        return in_language(locale, self.measures_zh, self.measures_en or self.measures_zh)

    @property
    def public_progress(self) -> list["RectificationProgress"]:
        """The entries staff approved, newest first."""
        return [p for p in self.progress if p.review == "approved"]

    def __repr__(self):
        return f"<RectificationItem {self.id} c={self.campaign_id} t={self.target_id} {self.plan_state}/{self.status}>"


class RectificationProgress(ProgressFields, db.Model):
    """A dated report of what was done on a rectification item, with evidence, reviewed by staff."""
    __tablename__ = "rectification_progress"

    item_id: Mapped[int] = mapped_column(ForeignKey("rectification_items.id"), index=True)

    item: Mapped[RectificationItem] = relationship(back_populates="progress")

    def __repr__(self):
        return f"<RectificationProgress {self.id} i={self.item_id} {self.on} {self.review}>"
