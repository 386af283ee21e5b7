"""Staff accounts and their roles."""
import hashlib
import hmac
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ._types import utcnow

ROLES = ("admin", "staff", "clerk", "leader", "auditor", "officer")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    #: scrypt hash (werkzeug), never the password
    password_hash: Mapped[str] = mapped_column(String(255))
    #: one of ROLES
    role: Mapped[str] = mapped_column(String(16))
    #: for a leader account: the target whose reports it may read
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id"))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    #: set when an administrator gives a temporary password: the next login must change it
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    target: Mapped["Target | None"] = relationship()  # noqa: F821
    scopes: Mapped[list["UserCampaign"]] = relationship(cascade="all, delete-orphan")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """The id kept in the session: it changes with the password, so a reset ends every other session."""
        key = current_app.config["SECRET_KEY"]
        key = key.encode() if isinstance(key, str) else key
        mac = hmac.new(key, self.password_hash.encode(), hashlib.sha256).hexdigest()[:20]
        return f"{self.id}:{mac}"

    def __repr__(self):
        return f"<User {self.username!r} {self.role}>"


class UserCampaign(db.Model):
    """Limits a staff, clerk or auditor account to some campaigns (none = all)."""
    __tablename__ = "user_campaigns"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)

    def __repr__(self):
        return f"<UserCampaign u={self.user_id} c={self.campaign_id}>"
