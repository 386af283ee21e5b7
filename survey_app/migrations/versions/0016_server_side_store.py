"""Every submission stored by PostgreSQL itself

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 01:50:00

`minping_store` (`ballots.mixing._PG_STORE_FUNCTION`) now stores every submission, not only
the one that makes a mix due: it counts the unmixed envelopes before it burns the code, and with
no k given it leaves a due mix to the caller. Made again with the same signature; nothing on
SQLite. The downgrade keeps it: the code of 0015 calls it only for a submission that makes a
mix due, with k given, which it stores and mixes as before.
"""
from alembic import op

from survey_app.ballots import mixing

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    mixing.install_functions(op.get_bind())


def downgrade():
    pass
