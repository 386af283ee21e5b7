"""Public commitments of leaders and units, and the progress reported on them

Revision ID: 0009c
Revises: 0008
Create Date: 2026-12-07 07:00:00

Two new tables, nothing else touched: `commitments` (亮诺: the promise, its measurable
target, deadline, announcement, category, status and approval state) and
`commitment_progress` (践诺: dated entries with evidence and an optional attachment, each
reviewed by staff before it is public).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009c'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('commitments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('text_zh', sa.Text(), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('measure_zh', sa.Text(), nullable=False),
    sa.Column('measure_en', sa.Text(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('announced_on', sa.Date(), nullable=True),
    sa.Column('announced_where', sa.String(length=300), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('staff_note', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_commitments_target_id'), 'commitments', ['target_id'], unique=False)
    op.create_table('commitment_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commitment_id', sa.Integer(), nullable=False),
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
    sa.ForeignKeyConstraint(['commitment_id'], ['commitments.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_commitment_progress_commitment_id'), 'commitment_progress', ['commitment_id'],
                    unique=False)


def downgrade():
    op.drop_index(op.f('ix_commitment_progress_commitment_id'), table_name='commitment_progress')
    op.drop_table('commitment_progress')
    op.drop_index(op.f('ix_commitments_target_id'), table_name='commitments')
    op.drop_table('commitments')
