"""The inbox marks the envelopes a mix has rewritten

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 06:20:00

A submission counts, under the inbox's lock, the envelopes of its campaign that no mix has
rewritten yet (`mixed` false: each still shares its transaction's traces with its code), and
mixes in its own transaction when it would make k of them (`ballots.mixing`). The flag tells
a copy of the database nothing it did not show already (a rewritten row has the mixer's
`xmin`). Envelopes already waiting count as not rewritten: the next submission mixes them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on both engines (SQLite keeps the inbox a WITHOUT ROWID table).
    op.add_column("envelope_inbox", sa.Column("mixed", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    op.execute("ALTER TABLE envelope_inbox DROP COLUMN mixed")
