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


#: (name, type) in table order; every column is NOT NULL but those in OPTIONAL
COMMITMENTS = [
    ('text_zh', sa.Text), ('text_en', sa.Text), ('measure_zh', sa.Text), ('measure_en', sa.Text),
    ('deadline', sa.Date), ('announced_on', sa.Date), ('announced_where', sa.String(length=300)),
    ('category', sa.String(length=32)), ('status', sa.String(length=16)), ('status_reason', sa.Text),
    ('state', sa.String(length=16)), ('staff_note', sa.Text), ('created_by', sa.String(length=64)),
    ('created_at', sa.DateTime), ('published_at', sa.DateTime)]
PROGRESS = [
    ('on', sa.Date), ('done', sa.Text), ('percent', sa.Integer), ('milestone', sa.String(length=300)),
    ('evidence', sa.Text), ('attachment', sa.LargeBinary), ('attachment_type', sa.String(length=8)),
    ('attachment_name', sa.String(length=200)), ('review', sa.String(length=16)), ('review_note', sa.Text),
    ('reviewed_by', sa.String(length=64)), ('reviewed_at', sa.DateTime), ('entered_by', sa.String(length=64)),
    ('created_at', sa.DateTime)]
OPTIONAL = {'announced_on', 'published_at', 'percent', 'attachment', 'reviewed_at'}
#: table -> (its column that refers to the table it belongs to, that table), indexed; its columns
TABLES = {'commitments': ('target_id', 'targets', COMMITMENTS),
          'commitment_progress': ('commitment_id', 'commitments', PROGRESS)}


def _create(table: str) -> None:
    """`table` with an id, its (indexed) reference to the table it belongs to, then its columns."""
    parent_column, parent, columns = TABLES[table]
    op.create_table(table,
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column(parent_column, sa.Integer(), nullable=False),
                    *[sa.Column(name, kind() if isinstance(kind, type) else kind, nullable=name in OPTIONAL)
                      for name, kind in columns],
                    sa.ForeignKeyConstraint([parent_column], [f'{parent}.id'], ),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index(op.f(f'ix_{table}_{parent_column}'), table, [parent_column], unique=False)


def upgrade():
    for table in TABLES:  # commitments first: the progress refers to it
        _create(table)


def downgrade():
    for table in reversed(list(TABLES)):
        parent_column = TABLES[table][0]
        op.drop_index(op.f(f'ix_{table}_{parent_column}'), table_name=table)
        op.drop_table(table)
