"""Counting officers: a panel of k of n officers per open campaign instead of one passphrase

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:00:00

A box sealed under one passphrase becomes a panel of one officer (1 of 1) whose sealed share
is the old sealed private key itself (`counting_panels.sealed_private_key` is NULL for it):
the same passphrase still opens it, and its officers can re-share it to a real panel before
counting. `ballot_box_keys` is dropped (on PostgreSQL with its file, leaving no dead tuple).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('counting_panels',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('sealed_private_key', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ),
    sa.PrimaryKeyConstraint('campaign_id')
    )
    op.create_table('counting_officers',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('share_index', sa.Integer(), nullable=False),
    sa.Column('sealed_share', sa.LargeBinary(), nullable=False),
    sa.Column('kdf_salt', sa.LargeBinary(), nullable=False),
    sa.Column('kdf_opslimit', sa.Integer(), nullable=False),
    sa.Column('kdf_memlimit', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('campaign_id', 'position')
    )
    op.execute("INSERT INTO counting_panels (campaign_id, threshold, sealed_private_key) "
               "SELECT campaign_id, 1, NULL FROM ballot_box_keys")
    op.execute("INSERT INTO counting_officers (campaign_id, position, name, user_id, share_index, sealed_share, "
               "kdf_salt, kdf_opslimit, kdf_memlimit) SELECT campaign_id, 1, '计票人 counting officer', NULL, 1, "
               "sealed_private_key, kdf_salt, kdf_opslimit, kdf_memlimit FROM ballot_box_keys")
    op.drop_table('ballot_box_keys')


def downgrade():
    op.create_table('ballot_box_keys',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('sealed_private_key', sa.LargeBinary(), nullable=False),
    sa.Column('kdf_salt', sa.LargeBinary(), nullable=False),
    sa.Column('kdf_opslimit', sa.Integer(), nullable=False),
    sa.Column('kdf_memlimit', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ),
    sa.PrimaryKeyConstraint('campaign_id')
    )
    # Only a box that one passphrase opens fits the old table; a k-of-n panel cannot go back.
    panels = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM counting_panels WHERE sealed_private_key IS NOT NULL")).scalar()
    if panels:
        raise RuntimeError("open campaigns have k-of-n counting panels, which the old schema cannot hold; "
                           "count them before downgrading")
    op.execute("INSERT INTO ballot_box_keys (campaign_id, sealed_private_key, kdf_salt, kdf_opslimit, kdf_memlimit) "
               "SELECT campaign_id, sealed_share, kdf_salt, kdf_opslimit, kdf_memlimit FROM counting_officers")
    op.drop_table('counting_officers')
    op.drop_table('counting_panels')
