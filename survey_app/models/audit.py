"""The append-only, hash-chained log of administrative actions."""
from datetime import datetime

from sqlalchemy import JSON, String, event, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: who acted (username, kept even if the account goes), or "cli"/"system"
    actor: Mapped[str] = mapped_column(String(64))
    #: a stable action code, e.g. "campaign.open"
    action: Mapped[str] = mapped_column(String(64))
    #: what it acted on, e.g. "campaign:3"
    subject: Mapped[str] = mapped_column(String(128), default="")
    #: parameters of the action; never anything of respondents
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    #: SHA-256 of the previous entry's hash and this entry's content
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self):
        return f"<AuditEntry {self.id} {self.action} {self.subject}>"


_GUARDS = (
    """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END $$""",
    "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
)


def install_guards(connection) -> None:
    """Triggers that make audit_log append-only on PostgreSQL; nothing on other databases."""
    if connection.dialect.name != "postgresql":
        return
    for statement in _GUARDS:
        connection.execute(text(statement))


@event.listens_for(AuditEntry.__table__, "after_create")
def _after_create(_table, connection, **_kw):
    install_guards(connection)
