"""Account changes live in `auth.operations` (the CLI uses them too); this reads the audit log."""
from sqlalchemy import select

from ..extensions import db
from ..models import AuditEntry

PER_PAGE = 50


def audit_query(action: str = "", actor: str = ""):
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if action:
        # "campaign" matches every campaign.* action
        query = query.where((AuditEntry.action == action) | AuditEntry.action.startswith(action + ".", autoescape=True))
    if actor:
        query = query.where(AuditEntry.actor == actor)
    return query


def audit_page(page: int, action: str = "", actor: str = ""):
    return db.paginate(audit_query(action, actor), page=page, per_page=PER_PAGE, error_out=False, count=True)


def audit_actions() -> list[str]:
    return list(db.session.execute(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).scalars())


def audit_actors() -> list[str]:
    return list(db.session.execute(select(AuditEntry.actor).distinct().order_by(AuditEntry.actor)).scalars())
