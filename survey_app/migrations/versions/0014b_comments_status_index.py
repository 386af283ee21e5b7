"""An index of the comments by campaign, status and target

Revision ID: 0014b
Revises: 0013
Create Date: 2026-12-07 12:50:00

A report page reads its target's published comments and the dashboard counts the campaign's
pending ones on every view; with only the campaign's index, each read every comment of the
campaign (a lookup by its random id apiece). The index holds no text and no order of arrival
beyond the campaign's own index: its entries sort by campaign, status, target and random id.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014b'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_comments_campaign_status_target', 'comments', ['campaign_id', 'status', 'target_id'])


def downgrade():
    op.drop_index('ix_comments_campaign_status_target', table_name='comments')
