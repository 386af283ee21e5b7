"""Decision meetings in their own words, and results signed by the counting officers

Revision ID: 0010
Revises: 0009c
Create Date: 2026-12-07 06:00:00

A campaign gets a decision meeting's body, members (N, and their names when the body
names them) and quorums; each matter its kind (ordinary, especially major, personnel)
instead of the `special_majority` flag, which becomes `especially_major`. Every campaign
keeps the results its officers signed at counting (`counted_results`, `results_sha256`);
every officer gets a sealed signing key beside their share, and `result_signers` keeps
the public keys and signatures for good. Campaigns opened or counted before this have no
keys and no signatures: they say "unsigned".
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009c'
branch_labels = None
depends_on = None


def _campaign_columns() -> list:
    """The columns `campaigns` gets, in order (fresh objects: a Column belongs to one table)."""
    return [
    sa.Column('body_zh', sa.String(length=200), nullable=False, server_default=''),
    sa.Column('body_en', sa.String(length=200), nullable=False, server_default=''),
    sa.Column('members', sa.Integer(), nullable=True),
    sa.Column('member_names', sa.JSON(), nullable=True),
    sa.Column('quorum', sa.String(length=16), nullable=False, server_default='more_than_half'),
    sa.Column('personnel_quorum', sa.String(length=16), nullable=False, server_default='two_thirds'),
    sa.Column('counted_results', sa.JSON(), nullable=True),
    sa.Column('results_sha256', sa.String(length=64), nullable=True),
    sa.Column('signatures_needed', sa.Integer(), nullable=True),
    ]


def _drop(table: str, column: str) -> None:
    # Native DROP COLUMN (SQLite 3.35+): a batch copy of `campaigns` or `campaign_targets`
    # would trip the foreign keys that point at them.
    op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def upgrade():
    for column in _campaign_columns():
        op.add_column('campaigns', column)
    op.add_column('campaign_targets', sa.Column('matter_kind', sa.String(length=24), nullable=False,
                                                server_default='ordinary'))
    op.execute("UPDATE campaign_targets SET matter_kind = 'especially_major' WHERE special_majority")
    _drop('campaign_targets', 'special_majority')
    # A decision ballot set up before meetings had N takes the members the old rule counted:
    # codes issued and not withdrawn plus the respondents planned otherwise. Its body is unnamed.
    op.execute("UPDATE campaigns SET members = "
               "(SELECT count(*) FROM access_codes WHERE access_codes.campaign_id = campaigns.id "
               "AND access_codes.state <> 'revoked') + "
               "(SELECT coalesce(sum(expected), 0) FROM respondent_groups "
               "WHERE respondent_groups.campaign_id = campaigns.id) WHERE kind = 'decision'")
    op.add_column('counting_officers', sa.Column('sealed_signing_key', sa.LargeBinary(), nullable=True))
    op.create_table('result_signers',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('verify_key', sa.LargeBinary(), nullable=False),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ),
    sa.PrimaryKeyConstraint('campaign_id', 'position')
    )


def downgrade():
    op.drop_table('result_signers')
    _drop('counting_officers', 'sealed_signing_key')
    op.add_column('campaign_targets', sa.Column('special_majority', sa.Boolean(), nullable=False,
                                                server_default=sa.false()))
    # A personnel matter was decided by a simple majority: it goes back as an ordinary one.
    op.execute("UPDATE campaign_targets SET special_majority = (matter_kind = 'especially_major')")
    _drop('campaign_targets', 'matter_kind')
    for column in reversed(_campaign_columns()):
        _drop('campaigns', column.name)
