"""Opened ballots packed into one row each; the answers table goes; counting runs

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00

Campaigns already counted keep their results: every ballot's answers rows become its
packed rating vector and its choices (`survey_app.ballots.packing`, the one definition of
the layout), in a new `ballots` table that replaces the old one, and `answers` is dropped.
Copying into a new table rather than updating the old one leaves no dead row versions of
it on PostgreSQL. The downgrade unpacks the ballots into answers rows again.
"""
import json
import secrets

from alembic import op
import sqlalchemy as sa

import questionnaires
from survey_app.ballots import packing

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

CHUNK = 5000


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _create_ballots(name: str, packed: bool) -> None:
    columns = [
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('questionnaire_version_id', sa.Integer(), nullable=False),
    ]
    if packed:
        columns += [sa.Column('ratings', sa.LargeBinary(), nullable=False),
                    sa.Column('choices', sa.Text(), nullable=True)]
    op.create_table(name, *columns,
                    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=f'{name}_campaign_id_fkey'),
                    sa.ForeignKeyConstraint(['group_id'], ['respondent_groups.id'], name=f'{name}_group_id_fkey'),
                    sa.ForeignKeyConstraint(['questionnaire_version_id'], ['questionnaire_versions.id'],
                                            name=f'{name}_questionnaire_version_id_fkey'),
                    sa.PrimaryKeyConstraint('id', name=f'{name}_pkey'),
                    sqlite_with_rowid=False)


def _swap(new: str) -> None:
    """Replace `ballots` by the table `new`, with the names the models' schema has."""
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_index('ix_ballots_campaign_id')
    op.drop_table('ballots')
    op.rename_table(new, 'ballots')
    if _postgres():
        op.execute(f"ALTER INDEX {new}_pkey RENAME TO ballots_pkey")
        for column in ('campaign_id', 'group_id', 'questionnaire_version_id'):
            op.execute(f"ALTER TABLE ballots RENAME CONSTRAINT {new}_{column}_fkey TO ballots_{column}_fkey")
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.create_index('ix_ballots_campaign_id', ['campaign_id'], unique=False)


def _layouts(conn) -> dict[int, packing.Layout]:
    """campaign id -> the layout of its ballots (pinned version × targets in order)."""
    out = {}
    for cid, definition in conn.execute(sa.text(
            "SELECT c.id, v.definition FROM campaigns c "
            "JOIN questionnaire_versions v ON v.id = c.questionnaire_version_id "
            "WHERE EXISTS (SELECT 1 FROM ballots b WHERE b.campaign_id = c.id)")).all():
        if isinstance(definition, str):
            definition = json.loads(definition)
        targets = conn.execute(sa.text(
            "SELECT t.code FROM campaign_targets ct JOIN targets t ON t.id = ct.target_id "
            "WHERE ct.campaign_id = :c ORDER BY ct.position, ct.id"), {"c": cid}).scalars().all()
        out[cid] = packing.layout(questionnaires.from_dict(definition), targets)
    return out


def upgrade():
    op.create_table('counting_runs',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('phase', sa.String(length=16), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ),
    sa.PrimaryKeyConstraint('campaign_id')
    )
    _create_ballots('ballots_packed', packed=True)
    conn = op.get_bind()
    new = sa.table('ballots_packed', sa.column('id'), sa.column('campaign_id'), sa.column('group_id'),
                   sa.column('questionnaire_version_id'), sa.column('ratings', sa.LargeBinary()),
                   sa.column('choices'))
    for cid, lay in _layouts(conn).items():
        answers: dict[str, list] = {}
        for ballot_id, target, item, option in conn.execute(sa.text(
                "SELECT a.ballot_id, t.code, a.item_code, a.option FROM answers a "
                "JOIN ballots b ON b.id = a.ballot_id LEFT JOIN targets t ON t.id = a.target_id "
                "WHERE b.campaign_id = :c"), {"c": cid}):
            answers.setdefault(ballot_id, []).append((target, item, option))
        rows = []
        for ballot_id, group_id, version_id in conn.execute(sa.text(
                "SELECT id, group_id, questionnaire_version_id FROM ballots WHERE campaign_id = :c ORDER BY id"),
                {"c": cid}):
            ratings, choices = packing.pack(lay, answers.get(ballot_id, []))
            rows.append({"id": ballot_id, "campaign_id": cid, "group_id": group_id,
                         "questionnaire_version_id": version_id, "ratings": ratings, "choices": choices})
            if len(rows) >= CHUNK:
                conn.execute(new.insert(), rows)
                rows = []
        if rows:
            conn.execute(new.insert(), rows)
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index('ix_answers_ballot_id')
    op.drop_table('answers')
    _swap('ballots_packed')


def downgrade():
    _create_ballots('ballots_long', packed=False)
    op.create_table('answers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('ballot_id', sa.String(length=32), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('item_code', sa.String(length=64), nullable=False),
    sa.Column('option', sa.String(length=400), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots_long.id'], name='answers_ballot_id_fkey', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_with_rowid=False
    )
    conn = op.get_bind()
    long = sa.table('ballots_long', sa.column('id'), sa.column('campaign_id'), sa.column('group_id'),
                    sa.column('questionnaire_version_id'))
    answers = sa.table('answers', sa.column('id'), sa.column('ballot_id'), sa.column('target_id'),
                       sa.column('item_code'), sa.column('option'))
    for cid, lay in _layouts(conn).items():
        target_ids = dict(conn.execute(sa.text("SELECT code, id FROM targets")).all())
        ballots, rows = [], []
        for ballot_id, group_id, version_id, ratings, choices in conn.execute(sa.text(
                "SELECT id, group_id, questionnaire_version_id, ratings, choices FROM ballots "
                "WHERE campaign_id = :c ORDER BY id"), {"c": cid}):
            ballots.append({"id": ballot_id, "campaign_id": cid, "group_id": group_id,
                            "questionnaire_version_id": version_id})
            rows += [{"id": secrets.token_hex(16), "ballot_id": ballot_id,
                      "target_id": target_ids.get(t) if t else None, "item_code": item, "option": option}
                     for t, item, option in packing.unpack(lay, bytes(ratings), choices)]
        for start in range(0, len(ballots), CHUNK):
            conn.execute(long.insert(), ballots[start:start + CHUNK])
        for start in range(0, len(rows), CHUNK):
            conn.execute(answers.insert(), rows[start:start + CHUNK])
    _swap('ballots_long')
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index('ix_answers_ballot_id', ['ballot_id'], unique=False)
    op.drop_table('counting_runs')
