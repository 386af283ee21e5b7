"""Accounts: creation, authentication with lockout, password change and reset, deactivation, scopes."""
import functools
import secrets
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..errors import unless_read_only
from ..extensions import db
from ..models import Campaign, Target, User, UserCampaign
from ..models._types import utcnow
from ..models.user import ROLES
from ..security import SCOPED_ROLES

#: failed attempts before an account is locked, and for how long
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD = 10


class AccountError(Exception):
    """A refused account change; the message says why (translated when shown on the web)."""


@contextmanager
def _undone_when_refused():
    """A refused change leaves nothing behind: what it had flushed before the refusal is rolled back."""
    try:
        yield
    except AccountError:
        db.session.rollback()
        raise


def check_password_policy(password: str, username: str = "") -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(_l("The password needs at least %(n)d characters.", n=MIN_PASSWORD))
    if username and password.strip().lower() == username.strip().lower():
        raise AccountError(_l("The password must differ from the user name."))


def _target_for(role: str, target_id: int | None) -> int | None:
    if role != "leader":
        return None
    if target_id is None:
        raise AccountError(_l("A leader account needs the target whose reports it reads."))
    if db.session.get(Target, target_id) is None:
        raise AccountError(_l("There is no such target."))
    return target_id


def _set_scopes(user: User, campaign_ids) -> list[int]:
    ids = sorted({int(i) for i in campaign_ids or ()}) if user.role in SCOPED_ROLES else []
    known = set(db.session.execute(select(Campaign.id).where(Campaign.id.in_(ids))).scalars()) if ids else set()
    if set(ids) - known:
        raise AccountError(_l("There is no such campaign."))
    user.scopes = [UserCampaign(user_id=user.id, campaign_id=i) for i in ids]
    return ids


@_undone_when_refused()
def create_user(username: str, password: str, role: str, display_name: str = "",
                target_id: int | None = None, campaign_ids=(), temporary: bool = False) -> User:
    """Make an account; `temporary` forces a password change at the first login."""
    username = username.strip()
    if role not in ROLES:
        raise AccountError(_l("Unknown role %(role)s; choose one of %(roles)s.", role=role, roles=", ".join(ROLES)))
    if not username or len(username) > 64:
        raise AccountError(_l("A user name has 1 to 64 characters."))
    check_password_policy(password, username)
    if db.session.execute(select(User).where(func.lower(User.username) == username.lower())).scalar_one_or_none():
        raise AccountError(_l("The user %(name)s exists already.", name=username))
    user = User(username=username, role=role, display_name=display_name.strip(),
                target_id=_target_for(role, target_id), must_change_password=temporary)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    scopes = _set_scopes(user, campaign_ids)
    audit.record("user.create", f"user:{user.id}", username=username, role=role, target=user.target_id,
                 campaigns=scopes)
    db.session.commit()
    return user


def authenticate(username: str, password: str) -> tuple[User | None, str | None]:
    """(user, None) on success, else (None, reason) with reason "invalid" or "locked"."""
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    now = utcnow()
    if user is None or not user.active:
        # Spend the time of a hash check anyway, so timing does not tell which names exist.
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None, "invalid"
    if user.locked_until and user.locked_until > now:
        return None, "locked"
    if not user.check_password(password):
        locked = user.failed_logins + 1 >= MAX_FAILURES

        def count_the_failure():
            if locked:
                user.locked_until, user.failed_logins = now + LOCK_FOR, 0
                audit.record("user.locked", f"user:{user.id}", actor="system", username=username)
            else:
                user.failed_logins += 1

        # On a read-only database the failure cannot be counted; the login rate limit still holds.
        unless_read_only(count_the_failure)
        return None, ("locked" if locked else "invalid")
    user_id = user.id

    def record_the_login():
        user.failed_logins, user.locked_until = 0, None
        audit.record("user.login", f"user:{user.id}", actor=username)

    if not unless_read_only(record_the_login):  # staff can log in and read; the login is not recorded
        user = db.session.get(User, user_id)
    return user, None


def record_logout(user: User) -> None:
    unless_read_only(lambda: audit.record("user.logout", f"user:{user.id}", actor=user.username))


def change_password(user: User, new_password: str) -> None:
    check_password_policy(new_password, user.username)
    user.set_password(new_password)
    user.must_change_password = False
    audit.record("user.password", f"user:{user.id}")
    db.session.commit()


@_undone_when_refused()
def reset_password(user: User, temporary_password: str) -> None:
    """An administrator gives a temporary password; the account must change it at the next login."""
    check_password_policy(temporary_password, user.username)
    user.set_password(temporary_password)
    user.must_change_password = True
    user.failed_logins, user.locked_until = 0, None
    audit.record("user.reset_password", f"user:{user.id}", username=user.username)
    db.session.commit()


def _active_admins() -> int:
    return db.session.execute(select(func.count()).select_from(User)
                              .where(User.role == "admin", User.active.is_(True))).scalar_one()


@_undone_when_refused()
def set_active(user: User, active: bool, by: User | None = None) -> None:
    if user.active == active:
        return
    if not active:
        if by is not None and by.id == user.id:
            raise AccountError(_l("You cannot deactivate your own account."))
        if user.role == "admin" and _active_admins() <= 1:
            raise AccountError(_l("The last active administrator cannot be deactivated."))
    user.active = active
    audit.record("user.activate" if active else "user.deactivate", f"user:{user.id}", username=user.username)
    db.session.commit()


@_undone_when_refused()
def update_user(user: User, *, display_name: str, campaign_ids=()) -> None:
    before = sorted(s.campaign_id for s in user.scopes)
    user.display_name = display_name.strip()
    after = _set_scopes(user, campaign_ids)
    audit.record("user.update", f"user:{user.id}", username=user.username, campaigns_before=before,
                 campaigns=after)
    db.session.commit()


@functools.cache
def _dummy_hash(method: str) -> str:
    """A hash of the method real passwords get, so an unknown name costs what a known one does."""
    return generate_password_hash(secrets.token_hex(16), method=method)
