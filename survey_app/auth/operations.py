"""Accounts: creation, authentication with lockout, password change."""
from datetime import timedelta

from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import User
from ..models._types import utcnow
from ..models.user import ROLES

#: failed attempts before an account is locked, and for how long
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)


class AccountError(Exception):
    pass


def create_user(username: str, password: str, role: str, display_name: str = "",
                target_id: int | None = None) -> User:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise AccountError("the password needs at least 10 characters")
    if db.session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise AccountError(f"user {username!r} exists already")
    user = User(username=username, role=role, display_name=display_name, target_id=target_id)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", f"user:{user.id}", username=username, role=role)
    db.session.commit()
    return user


def authenticate(username: str, password: str) -> tuple[User | None, str | None]:
    """(user, None) on success, else (None, reason) with reason "invalid" or "locked"."""
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    now = utcnow()
    if user is None or not user.active:
        return None, "invalid"
    if user.locked_until and user.locked_until > now:
        return None, "locked"
    if not user.check_password(password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until, user.failed_logins = now + LOCK_FOR, 0
            audit.record("user.locked", f"user:{user.id}", actor="system", username=username)
        db.session.commit()
        return None, ("locked" if user.locked_until and user.locked_until > now else "invalid")
    user.failed_logins, user.locked_until = 0, None
    audit.record("user.login", f"user:{user.id}", actor=username)
    db.session.commit()
    return user, None


def change_password(user: User, new_password: str) -> None:
    user.set_password(new_password)
    audit.record("user.password", f"user:{user.id}")
    db.session.commit()
