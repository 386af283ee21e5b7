"""The follow-up of alerts: a case per target in prevention or warning, and its steps

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 09:00:00

`alert_cases` holds one case per (campaign, target) — the unique constraint that makes opening
them on publication idempotent, also from two processes at once — or a case opened by hand (no
campaign). It keeps the target's published, aggregated figures only. `alert_case_steps` holds
the talks, letters of inquiry (with the day the reply is due), replies and self-correction reports.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alert_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('basis', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('outcome_note', sa.Text(), nullable=False),
    sa.Column('opened_by', sa.String(length=64), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('closed_by', sa.String(length=64), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'target_id', name='uq_alert_cases_campaign_target')
    )
    op.create_index(op.f('ix_alert_cases_campaign_id'), 'alert_cases', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_alert_cases_target_id'), 'alert_cases', ['target_id'], unique=False)
    op.create_table('alert_case_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('held_by', sa.String(length=200), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('reply_due', sa.Date(), nullable=True),
    sa.Column('answers_id', sa.Integer(), nullable=True),
    sa.Column('attachment', sa.LargeBinary(), nullable=True),
    sa.Column('attachment_type', sa.String(length=8), nullable=False),
    sa.Column('attachment_name', sa.String(length=200), nullable=False),
    sa.Column('entered_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['answers_id'], ['alert_case_steps.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['alert_cases.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_alert_case_steps_case_id'), 'alert_case_steps', ['case_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_alert_case_steps_case_id'), table_name='alert_case_steps')
    op.drop_table('alert_case_steps')
    op.drop_index(op.f('ix_alert_cases_target_id'), table_name='alert_cases')
    op.drop_index(op.f('ix_alert_cases_campaign_id'), table_name='alert_cases')
    op.drop_table('alert_cases')
