"""Public commitments (承诺事项) of leaders and units, and the progress reported on them (践诺)."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, column_property, declared_attr, mapped_column, relationship

from ..extensions import db
from ..labels import in_language
from ._types import utcnow

#: where a commitment stands in its approval: the leader's draft, submitted to staff, published
STATES = ("draft", "submitted", "published")
#: how far a commitment is kept; "in_progress" until staff set another
STATUSES = ("in_progress", "kept", "stalled", "broken", "withdrawn")
#: statuses whose change must say why
NEEDS_REASON = ("stalled", "broken", "withdrawn")
#: statuses that end a commitment: no longer overdue or stale
FINAL = ("kept", "broken", "withdrawn")
CATEGORIES = ("economy", "livelihood", "environment", "governance", "integrity", "other")
#: a progress entry is public only once staff approved it
REVIEWS = ("pending", "approved", "rejected")
#: the attachments a progress entry takes, told by their first bytes
ATTACHMENT_TYPES = ("pdf", "png", "jpeg")


class Commitment(db.Model):
    """One promise a leader or a unit made in public, with its measurable target and deadline."""
    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the leader or unit that made the promise
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"), index=True)
    #: what is promised
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text, default="")
    #: the measurable target (e.g. "2,000 new nursery places")
    measure_zh: Mapped[str] = mapped_column(Text, default="")
    measure_en: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date]
    #: when and where it was announced (a newspaper, a broadcast, a meeting)
    announced_on: Mapped[date | None]
    announced_where: Mapped[str] = mapped_column(String(300), default="")
    #: one of CATEGORIES
    category: Mapped[str] = mapped_column(String(32), default="other")
    #: one of STATUSES, and why it was set when it is not plain progress
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    #: one of STATES; only "published" is shown to the public
    state: Mapped[str] = mapped_column(String(16), default="draft")
    #: what staff asked to change when they sent it back (shown to its author until it is published)
    staff_note: Mapped[str] = mapped_column(Text, default="")
    #: username of whoever entered it
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]

    target: Mapped["Target"] = relationship()  # noqa: F821
    progress: Mapped[list["ProgressEntry"]] = relationship(
        back_populates="commitment", order_by="(ProgressEntry.on.desc(), ProgressEntry.id.desc())",
        cascade="all, delete-orphan")

    def text(self, locale: str) -> str:
        return in_language(locale, self.text_zh, self.text_en or self.text_zh)

    def measure(self, locale: str) -> str:
        return in_language(locale, self.measure_zh, self.measure_en or self.measure_zh)

    @property
    def public_progress(self) -> list["ProgressEntry"]:
        """The entries staff approved, newest first: the only ones anyone outside sees."""
        return [p for p in self.progress if p.review == "approved"]

    def __repr__(self):
        return f"<Commitment {self.id} t={self.target_id} {self.state}/{self.status}>"


class ProgressFields:
    """The shape of a dated progress entry with its evidence and review, shared by the progress of a
    commitment (践诺) and of a rectification item (整改): the same columns, checks and page macro."""
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the day the work reported was done or reached
    on: Mapped[date]
    #: what was done
    done: Mapped[str] = mapped_column(Text)
    #: how far the measurable target is reached (0-100), or a milestone in words, or both
    percent: Mapped[int | None] = mapped_column(Integer)
    milestone: Mapped[str] = mapped_column(String(300), default="")
    #: the evidence in words (a document's number, a site, a figure's source)
    evidence: Mapped[str] = mapped_column(Text, default="")
    #: an attached PDF or image, checked by its first bytes; deferred: read only when downloaded
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    #: one of ATTACHMENT_TYPES, and the file's name as uploaded
    attachment_type: Mapped[str] = mapped_column(String(8), default="")
    attachment_name: Mapped[str] = mapped_column(String(200), default="")
    #: one of REVIEWS, with the reviewer's note
    review: Mapped[str] = mapped_column(String(16), default="pending")
    review_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str] = mapped_column(String(64), default="")
    reviewed_at: Mapped[datetime | None]
    entered_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @declared_attr
    def has_attachment(cls) -> Mapped[bool]:
        return column_property(cls.attachment.is_not(None))


class ProgressEntry(ProgressFields, db.Model):
    """A dated report of what was done on a commitment (践诺), public once staff approve it."""
    __tablename__ = "commitment_progress"

    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id"), index=True)

    commitment: Mapped[Commitment] = relationship(back_populates="progress")

    def __repr__(self):
        return f"<ProgressEntry {self.id} c={self.commitment_id} {self.on} {self.review}>"
