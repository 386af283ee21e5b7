"""Drawn charts are kept in the database, each drawn once per change of what it shows

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 06:00:00

Every app server reads a chart another one drew (`reports.drawn`): a report page or the
dashboard no longer draws its charts on every view.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('drawn_charts',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('svg', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('drawn_charts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drawn_charts_campaign_id'), ['campaign_id'], unique=False)


def downgrade():
    with op.batch_alter_table('drawn_charts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drawn_charts_campaign_id'))
    op.drop_table('drawn_charts')
