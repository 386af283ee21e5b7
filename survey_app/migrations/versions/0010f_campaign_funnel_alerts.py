"""A campaign's funnel alerts: raise an alert beyond the funnel plot's 95% or 99.8% limit

Revision ID: 0010f
Revises: 0010
Create Date: 2026-12-07 09:00:00

`campaigns.funnel_alerts` is the scoring method's `funnel_alerts` (scoring-method.md, rule F):
null (no funnel alerts, as every campaign before this), 0.95 or 0.998.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010f'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('campaigns', sa.Column('funnel_alerts', sa.Float(), nullable=True))


def downgrade():
    # Native DROP COLUMN (SQLite 3.35+), as 0010: a batch copy of `campaigns` would trip
    # the foreign keys that point at it.
    op.execute("ALTER TABLE campaigns DROP COLUMN funnel_alerts")
