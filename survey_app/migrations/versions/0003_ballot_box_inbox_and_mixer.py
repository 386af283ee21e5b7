"""Ballot box in the files: an inbox mixed into the box in batches; keys in a table of their own

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 21:50:00

Envelopes already in the box were written in the transactions that burnt their codes, so
they go into the inbox and the mixer moves them into the new box in shuffled batches (at
the next submission, `flask campaign mix`, closing or counting). On PostgreSQL the box is
partitioned by campaign, and `campaigns` is rewritten (VACUUM FULL) once its key columns
are gone, so that no dead row version keeps a sealed private key.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    op.create_table('envelope_inbox',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ),
    sa.ForeignKeyConstraint(['group_id'], ['respondent_groups.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('envelope_inbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_envelope_inbox_campaign_id'), ['campaign_id'], unique=False)
    op.execute("INSERT INTO envelope_inbox (id, campaign_id, group_id, sealed) "
               "SELECT id, campaign_id, group_id, sealed FROM envelopes")
    with op.batch_alter_table('envelopes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_envelopes_campaign_id'))
    op.drop_table('envelopes')
    op.create_table('envelopes',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ),
    sa.ForeignKeyConstraint(['group_id'], ['respondent_groups.id'], ),
    sa.PrimaryKeyConstraint('campaign_id', 'id'),
    sqlite_with_rowid=False,
    postgresql_partition_by='LIST (campaign_id)'
    )

    op.create_table('ballot_box_keys',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('sealed_private_key', sa.LargeBinary(), nullable=False),
    sa.Column('kdf_salt', sa.LargeBinary(), nullable=False),
    sa.Column('kdf_opslimit', sa.Integer(), nullable=False),
    sa.Column('kdf_memlimit', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ),
    sa.PrimaryKeyConstraint('campaign_id')
    )
    # Counted campaigns keep no key: they had no use for it, and now nothing can reopen them.
    op.execute("INSERT INTO ballot_box_keys (campaign_id, sealed_private_key, kdf_salt, kdf_opslimit, kdf_memlimit) "
               "SELECT id, sealed_private_key, kdf_salt, kdf_opslimit, kdf_memlimit FROM campaigns "
               "WHERE sealed_private_key IS NOT NULL AND counted_at IS NULL")
    # Native DROP COLUMN (SQLite 3.35+): a batch copy of `campaigns` would trip the foreign
    # keys that point at it.
    for column in ('kdf_memlimit', 'kdf_opslimit', 'kdf_salt', 'sealed_private_key'):
        op.execute(f"ALTER TABLE campaigns DROP COLUMN {column}")
    if _postgres():
        with op.get_context().autocommit_block():
            op.execute("VACUUM FULL campaigns")


def downgrade():
    op.add_column('campaigns', sa.Column('sealed_private_key', sa.LargeBinary(), nullable=True))
    op.add_column('campaigns', sa.Column('kdf_salt', sa.LargeBinary(), nullable=True))
    op.add_column('campaigns', sa.Column('kdf_opslimit', sa.Integer(), nullable=True))
    op.add_column('campaigns', sa.Column('kdf_memlimit', sa.Integer(), nullable=True))
    for column in ('sealed_private_key', 'kdf_salt', 'kdf_opslimit', 'kdf_memlimit'):
        op.execute(f"UPDATE campaigns SET {column} = (SELECT {column} FROM ballot_box_keys k "
                   f"WHERE k.campaign_id = campaigns.id)")
    op.drop_table('ballot_box_keys')

    op.create_table('envelopes_old',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ),
    sa.ForeignKeyConstraint(['group_id'], ['respondent_groups.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_with_rowid=False
    )
    op.execute("INSERT INTO envelopes_old (id, campaign_id, group_id, sealed) "
               "SELECT id, campaign_id, group_id, sealed FROM envelopes")
    op.execute("INSERT INTO envelopes_old (id, campaign_id, group_id, sealed) "
               "SELECT id, campaign_id, group_id, sealed FROM envelope_inbox")
    op.drop_table('envelopes')  # on PostgreSQL with its partitions
    op.rename_table('envelopes_old', 'envelopes')
    with op.batch_alter_table('envelopes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_envelopes_campaign_id'), ['campaign_id'], unique=False)
    with op.batch_alter_table('envelope_inbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_envelope_inbox_campaign_id'))
    op.drop_table('envelope_inbox')
