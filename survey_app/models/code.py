"""One-time access codes, stored only as keyed hashes."""
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

CODE_STATES = ("unused", "used", "revoked")


class AccessCode(db.Model):
    """"This code was used" lives here, with no key to any ballot or envelope."""
    __tablename__ = "access_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_groups.id"))
    #: HMAC-SHA256 of the normalised code under ACCESS_CODE_KEY, hex
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: unused, used or revoked; no time is kept
    state: Mapped[str] = mapped_column(String(8), default="unused")
    #: the issuing batch, so unused codes of one print run can be revoked together
    batch: Mapped[int] = mapped_column(default=1)

    group: Mapped["RespondentGroup"] = relationship()  # noqa: F821

    def __repr__(self):
        return f"<AccessCode {self.id} {self.state}>"
