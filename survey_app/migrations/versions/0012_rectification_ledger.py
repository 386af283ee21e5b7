"""The rectification ledger (整改台账) and the campaign's choice to make it public

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 09:00:00

Two new tables: `rectification_items` (a problem a published result shows for a target, its
source as a reference to a published figure or a moderated comment, the measures, the
responsible person, the deadline, the plan's approval and the closing check) and
`rectification_progress` (dated progress with evidence, the columns of `commitment_progress`).
Campaigns get `ledger_public` (false: nothing of the ledger is public until staff choose it).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('campaigns', sa.Column('ledger_public', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table('rectification_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_ref', sa.String(length=64), nullable=False),
    sa.Column('source_score', sa.Float(), nullable=True),
    sa.Column('problem_zh', sa.Text(), nullable=False),
    sa.Column('problem_en', sa.Text(), nullable=False),
    sa.Column('measures_zh', sa.Text(), nullable=False),
    sa.Column('measures_en', sa.Text(), nullable=False),
    sa.Column('responsible', sa.String(length=200), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('plan_state', sa.String(length=16), nullable=False),
    sa.Column('staff_note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('checked_by', sa.String(length=64), nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_rectification_items_campaign_id'), 'rectification_items', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_rectification_items_target_id'), 'rectification_items', ['target_id'], unique=False)
    op.create_table('rectification_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('done', sa.Text(), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('milestone', sa.String(length=300), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('attachment', sa.LargeBinary(), nullable=True),
    sa.Column('attachment_type', sa.String(length=8), nullable=False),
    sa.Column('attachment_name', sa.String(length=200), nullable=False),
    sa.Column('review', sa.String(length=16), nullable=False),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('reviewed_by', sa.String(length=64), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('entered_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['rectification_items.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_rectification_progress_item_id'), 'rectification_progress', ['item_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_rectification_progress_item_id'), table_name='rectification_progress')
    op.drop_table('rectification_progress')
    op.drop_index(op.f('ix_rectification_items_target_id'), table_name='rectification_items')
    op.drop_index(op.f('ix_rectification_items_campaign_id'), table_name='rectification_items')
    op.drop_table('rectification_items')
    # Native DROP COLUMN (SQLite 3.35+), as in 0010: a batch copy of `campaigns` trips the keys that point at it.
    op.execute("ALTER TABLE campaigns DROP COLUMN ledger_public")
