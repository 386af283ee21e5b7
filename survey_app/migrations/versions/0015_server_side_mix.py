"""The mix a submission makes due, run by PostgreSQL itself

Revision ID: 0015
Revises: 0014b
Create Date: 2026-12-07 22:40:00

Two PL/pgSQL functions (`ballots.mixing.install_functions`): `minping_store` stores a
submission that makes a mix due and `minping_mix` mixes, inside the server, so the envelopes'
bytes never travel to the web worker and back. Nothing on SQLite.
"""
from alembic import op

from survey_app.ballots import mixing

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014b'
branch_labels = None
depends_on = None


def upgrade():
    mixing.install_functions(op.get_bind())


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for statement in mixing._PG_DROP_FUNCTIONS:
            op.execute(statement)
