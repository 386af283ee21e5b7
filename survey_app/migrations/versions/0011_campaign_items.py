"""Target-specific items of a campaign (the public rating's commitments, the rectification follow-up)

Revision ID: 0011
Revises: 0010f
Create Date: 2026-12-07 09:00:00

One new table, nothing else touched: `campaign_items`, the items a campaign asks of one target
only, frozen from its targets' data when it opens (a leader's published commitments; later a
unit's rectification items).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('text_zh', sa.Text(), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=64), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'code')
    )
    op.create_index(op.f('ix_campaign_items_campaign_id'), 'campaign_items', ['campaign_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_campaign_items_campaign_id'), table_name='campaign_items')
    op.drop_table('campaign_items')
