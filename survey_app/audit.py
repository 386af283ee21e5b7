"""Writing and verifying the hash-chained audit log."""
import hashlib

from flask import has_request_context
from flask_login import current_user
from scoring import canonical_json
from sqlalchemy import func, select, text

from .extensions import db
from .models import AuditEntry
from .models._types import utcnow
from .models.audit import install_guards

GENESIS = "0" * 64
#: key of the PostgreSQL advisory lock that queues appenders (any fixed 64-bit number)
APPEND_LOCK = 0x4D494E50494E47  # "MINPING"


def _digest(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256(canonical_json([prev_hash, entry.at.isoformat(timespec="microseconds"), entry.actor,
                                          entry.action, entry.subject, entry.details])).hexdigest()


def current_actor() -> str:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.username
    return "cli"


def record(action: str, subject: str = "", actor: str | None = None, **details) -> AuditEntry:
    """Append an entry in the caller's transaction (committed with the action it logs).

    On PostgreSQL a transaction-level advisory lock queues concurrent appenders: a row
    lock on the last entry is not enough, since a waiter would then read the same last
    entry again and fork the chain (and an empty log has no row to lock). The lock is
    held until the caller commits, so each appender sees the one before it. On SQLite the
    database's single write lock does the same once taken.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(APPEND_LOCK)))
    elif dialect == "sqlite":
        # pysqlite opens a transaction only at the first write: a write that touches no
        # row takes the database's write lock first, so the last entry read below stays last.
        db.session.execute(text("UPDATE audit_log SET id = id WHERE 0"))
    last = db.session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)
                              .with_for_update()).scalar_one_or_none()
    prev_hash = last.hash if last else GENESIS
    entry = AuditEntry(at=utcnow(), actor=actor or current_actor(), action=action,
                       subject=subject, details=details, prev_hash=prev_hash)
    entry.hash = _digest(prev_hash, entry)
    db.session.add(entry)
    db.session.flush()
    return entry


def verify() -> list[str]:
    """Problems found in the chain: an edited, inserted or deleted entry breaks it."""
    problems, prev_hash, prev_id = [], GENESIS, 0
    for entry in db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
        if entry.prev_hash != prev_hash:
            problems.append(f"entry {entry.id}: chain broken after entry {prev_id} "
                            "(an entry was deleted or inserted)")
        if _digest(entry.prev_hash, entry) != entry.hash:
            problems.append(f"entry {entry.id}: content does not match its hash (edited)")
        prev_hash, prev_id = entry.hash, entry.id
    return problems


def install_audit_guards(bind) -> None:
    """On PostgreSQL, refuse UPDATE, DELETE and TRUNCATE of audit_log by trigger (no-op elsewhere).

    Call it once the table exists (`create_all` does it through an event; a migration
    calls it with `op.get_bind()`). The hash chain still catches whoever disables it.
    """
    if hasattr(bind, "connect") and not hasattr(bind, "execute"):
        with bind.begin() as connection:
            install_guards(connection)
    else:
        install_guards(bind)
