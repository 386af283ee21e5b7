"""The box and the inbox carry each envelope's receipt; SQLite's box becomes a rowid table

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 22:45:00

Every envelope gets its receipt (`sealing.fingerprint`, which the respondent was shown and
which any holder of the envelope can compute, so it tells nothing more): counting then
lists the receipts in SQL instead of hashing 10.8 KB an envelope in its workers (a sixth of
opening one). Computed here for the envelopes already received.

SQLite: as a table WITHOUT ROWID, the box was one B-tree whose every cell, interior ones
too, held about 1 KB of its 10.8 KB envelope: four to seven entries a page, a deep tree, and
listing or finding envelopes read most of the box. A rowid table keeps the envelopes in a
tree of rowids and its key in an index of small entries: listing 20,000 envelopes takes
0.011 s instead of 0.053, reading one by its id 6 µs instead of 16 (measured here,
envelopes of 10.8 KB). Both tables are rebuilt, their rows copied in the order of their key
(that of their random ids); the inbox stays WITHOUT ROWID. The old tables' pages are zeroed
as they are dropped (the app's connections keep secure_delete on), and the WAL is
checkpointed when the migration's connection closes.
"""
import hashlib

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_BATCH = 1000
_COLUMNS = {
    "envelopes": ("campaign_id", "id", "group_id", "sealed"),
    "envelope_inbox": ("id", "campaign_id", "group_id", "sealed"),
}
_KEYS = {"envelopes": "campaign_id, id", "envelope_inbox": "id"}


def _ddl(table: str, name: str, receipt: bool, rowid: bool) -> str:
    columns = {"campaign_id": "campaign_id INTEGER NOT NULL", "id": "id VARCHAR(32) NOT NULL",
               "group_id": "group_id INTEGER NOT NULL", "sealed": "sealed BLOB NOT NULL"}
    lines = [columns[c] for c in _COLUMNS[table]] + (["receipt VARCHAR(19) NOT NULL"] if receipt else [])
    lines += [f"PRIMARY KEY ({_KEYS[table]})", "FOREIGN KEY(campaign_id) REFERENCES campaigns (id)",
              "FOREIGN KEY(group_id) REFERENCES respondent_groups (id)"]
    body = ", \n\t".join(lines)
    return f"CREATE TABLE {name} (\n\t{body}\n)" + ("" if rowid else " WITHOUT ROWID")


def fingerprint(sealed: bytes) -> str:
    """`sealing.fingerprint` as of this revision (a migration keeps its own copy)."""
    digits = hashlib.sha256(sealed).hexdigest()[:16].upper()
    return "-".join(digits[i:i + 4] for i in range(0, 16, 4))


def _rebuild_sqlite(table: str, receipt: bool, rowid: bool) -> None:
    bind = op.get_bind()
    columns = _COLUMNS[table]
    names = ", ".join(columns)
    bind.exec_driver_sql(_ddl(table, f"{table}_rebuilt", receipt, rowid))
    if receipt:
        rows = bind.exec_driver_sql(f"SELECT {names} FROM {table} ORDER BY {_KEYS[table]}")
        place = ", ".join("?" * (len(columns) + 1))
        while batch := rows.fetchmany(_BATCH):
            bind.exec_driver_sql(f"INSERT INTO {table}_rebuilt ({names}, receipt) VALUES ({place})",
                                 [tuple(r) + (fingerprint(bytes(r[-1])),) for r in batch])
    else:
        bind.exec_driver_sql(f"INSERT INTO {table}_rebuilt ({names}) SELECT {names} FROM {table} "
                             f"ORDER BY {_KEYS[table]}")
    bind.exec_driver_sql(f"DROP TABLE {table}")
    bind.exec_driver_sql(f"ALTER TABLE {table}_rebuilt RENAME TO {table}")
    if table == "envelope_inbox":
        bind.exec_driver_sql("CREATE INDEX ix_envelope_inbox_campaign_id ON envelope_inbox (campaign_id)")


#: sealing.fingerprint in SQL: the first 16 hex digits of the SHA-256, upper case, in fours
_FINGERPRINT_SQL = " || '-' || ".join(
    f"upper(substr(encode(sha256(sealed), 'hex'), {at}, 4))" for at in (1, 5, 9, 13))


def _sqlite(upgraded: bool) -> bool:
    """On SQLite, rebuild both tables as of 0006 (`upgraded`) or of 0005; False elsewhere."""
    if op.get_bind().dialect.name != "sqlite":
        return False
    _rebuild_sqlite("envelopes", receipt=upgraded, rowid=upgraded)
    _rebuild_sqlite("envelope_inbox", receipt=upgraded, rowid=False)
    return True


def upgrade():
    if _sqlite(upgraded=True):
        return
    for table in ("envelopes", "envelope_inbox"):
        op.add_column(table, sa.Column("receipt", sa.String(length=19), nullable=True))
        op.execute(f"UPDATE {table} SET receipt = {_FINGERPRINT_SQL}")
        op.alter_column(table, "receipt", nullable=False)


def downgrade():
    if _sqlite(upgraded=False):
        return
    for table in ("envelopes", "envelope_inbox"):
        op.drop_column(table, "receipt")
