"""Paper ballots: printed sheets, the two clerks' blind entries, and imported ballot files.

A sheet number says which sheet was printed and what became of it (a ballot, blank,
spoiled, ...), never which ballot it became: envelopes carry no sheet number, and an
entry's answers are wiped as soon as its sheet is resolved (see `paper.entry`).
"""
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import utcnow

#: printed -> entered (one entry) -> mismatch (two differing entries, awaiting the third
#: check) -> one of the final states ballot, blank, invalid, spoiled
SHEET_STATES = ("printed", "entered", "mismatch", "ballot", "blank", "invalid", "spoiled")
FINAL_STATES = ("ballot", "blank", "invalid", "spoiled")


class PaperRules(db.Model):
    """The commission's rules for judging a paper sheet, one row per campaign."""
    __tablename__ = "paper_rules"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    #: a sheet with more than this share of its rating boxes blank (or marked twice) is invalid
    max_blank_share: Mapped[float] = mapped_column(Float, default=0.5)

    def __repr__(self):
        return f"<PaperRules c={self.campaign_id} max_blank={self.max_blank_share}>"


class PaperBatch(db.Model):
    """One print run of numbered sheets for a group."""
    __tablename__ = "paper_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_groups.id"))
    #: sheet numbers first_number .. first_number + count - 1
    first_number: Mapped[int]
    count: Mapped[int]
    printed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: username of the staff member who printed it
    printed_by: Mapped[str] = mapped_column(String(64))
    #: how many times the PDF was produced (a reprint is audited)
    downloads: Mapped[int] = mapped_column(default=0)

    group: Mapped["RespondentGroup"] = relationship()  # noqa: F821

    @property
    def last_number(self) -> int:
        return self.first_number + self.count - 1

    def __repr__(self):
        return f"<PaperBatch {self.id} g={self.group_id} {self.first_number}+{self.count}>"


class PaperSheet(db.Model):
    """A printed questionnaire with its number; knows its fate, not its answers."""
    __tablename__ = "paper_sheets"
    __table_args__ = (UniqueConstraint("campaign_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_groups.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("paper_batches.id"))
    #: 1, 2, 3 ... within the campaign; printed with a check digit
    number: Mapped[int]
    #: one of SHEET_STATES
    status: Mapped[str] = mapped_column(String(16), default="printed")
    #: whether the two entries differed and a third person decided
    third_checked: Mapped[bool] = mapped_column(default=False)
    #: who made the third check (never one of the two clerks)
    checked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    group: Mapped["RespondentGroup"] = relationship()  # noqa: F821
    entries: Mapped[list["PaperEntry"]] = relationship(order_by="PaperEntry.slot", cascade="all, delete-orphan")

    def __repr__(self):
        return f"<PaperSheet {self.number} {self.status}>"


class PaperEntry(db.Model):
    """One clerk's keying of one sheet. The answers live here only until the sheet is resolved."""
    __tablename__ = "paper_entries"
    __table_args__ = (UniqueConstraint("sheet_id", "slot"), UniqueConstraint("sheet_id", "clerk_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("paper_sheets.id"), index=True)
    #: 1 for the first entry, 2 for the second; there is no third
    slot: Mapped[int]
    clerk_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: HMAC-SHA256 of the canonical keyed content (for blind matching); wiped on resolution
    digest: Mapped[str | None] = mapped_column(String(64))
    #: the keyed content, encrypted under a key derived from ACCESS_CODE_KEY; wiped on resolution
    content: Mapped[bytes | None] = mapped_column(LargeBinary)

    clerk: Mapped["User"] = relationship()  # noqa: F821

    def __repr__(self):
        return f"<PaperEntry sheet={self.sheet_id} slot={self.slot}>"


class PaperImport(db.Model):
    """A file of ballots gathered elsewhere (answers.csv), imported once."""
    __tablename__ = "paper_imports"
    __table_args__ = (UniqueConstraint("campaign_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    #: SHA-256 of the file, so the same file cannot be imported twice
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255), default="")
    #: ballots sealed per group code
    ballots: Mapped[dict] = mapped_column(JSON, default=dict)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(64))

    def __repr__(self):
        return f"<PaperImport {self.id} c={self.campaign_id} {self.sha256[:8]}>"
