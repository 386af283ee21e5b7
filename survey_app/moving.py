"""Moving a whole installation to another database (`flask move-to DATABASE_URL`): an
embedded SQLite that a commission outgrows goes to PostgreSQL with everything it holds.

The target gets the schema from the migrations, then every table's rows in one transaction,
each table in the order of its key. That order is the anonymity of the move: envelopes,
ballots and comments have random keys, so their physical order (`ctid`) on the target
follows nothing about when they came; and every row of the move carries the move's one
`xmin`, so no burnt code shares a transaction with fewer envelopes than the whole box. The
source is only read (a SQLite source is held with its write lock for the copy, so a
submission waits instead of landing after the snapshot); refused while a count runs, or
when the target holds any row.
"""
import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Integer, create_engine, func, insert, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from . import audit
from .clitools import fail as _fail
from .config import database_driver_url
from .extensions import db
from .models import Campaign, CountingRun
from .models._types import utcnow

#: rows fetched and written at a time (an envelope is about 12 KB)
CHUNK = 500
#: tables not moved: a count's progress is meaningful only to the database it runs on, and
#: the target's migrations write their own version
NOT_MOVED = {CountingRun.__tablename__, "alembic_version"}


class MoveError(Exception):
    """A refused move; the message says why, and the target holds nothing of it."""


def _counts_running(conn) -> list[str]:
    """Codes of the campaigns being counted right now (a run not yet counted, still alive)."""
    from .ballots.counting import _stale_after  # the one rule of a live count, counting's own
    return list(conn.execute(
        select(Campaign.code).join(CountingRun, CountingRun.campaign_id == Campaign.id)
        .where(Campaign.counted_at.is_(None), CountingRun.updated_at >= utcnow() - _stale_after())).scalars())


def _rows_in(engine) -> list[str]:
    """The application's tables on `engine` that hold a row."""
    existing = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return [t.name for t in db.metadata.sorted_tables if t.name in existing
                and conn.execute(select(func.count()).select_from(t)).scalar()]


def _target_app(url: str):
    """The same application on the target database (same keys: codes stay valid)."""
    from . import create_app  # the factory imports this module (through the commands)
    config = {key: current_app.config[key] for key in ("SECRET_KEY", "ACCESS_CODE_KEY", "KDF_STRENGTH")}
    return create_app({**config, "SQLALCHEMY_DATABASE_URI": url})


def _sequences(conn) -> None:
    """Integer keys continue after the moved rows (PostgreSQL's identity sequences)."""
    for table in db.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if table.name in NOT_MOVED or len(keys) != 1 or not isinstance(keys[0].type, Integer) \
                or keys[0].autoincrement is False:
            continue
        sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                {"t": table.name, "c": keys[0].name}).scalar()
        if sequence:
            conn.execute(text(f"SELECT setval(:s, coalesce((SELECT max({keys[0].name}) FROM {table.name}), 0) + 1, "
                              "false)"), {"s": sequence})


def move_to(target_url: str, echo=lambda message: None) -> dict[str, int]:
    """Copy every table of this installation into the empty database at `target_url`;
    returns the rows moved per table. Raises MoveError with nothing written to the target."""
    target_url = database_driver_url(target_url)
    if not target_url.startswith("postgresql"):
        raise MoveError("the target must be a PostgreSQL database (postgresql://user@host/name)")
    source = db.engine
    if str(source.url) == str(create_engine(target_url).url):
        raise MoveError("the target is the database this installation already uses")
    try:
        target = create_engine(target_url, hide_parameters=True)
        with target.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        raise MoveError(f"cannot reach the target database: {error.__class__.__name__}") from None
    try:
        filled = _rows_in(target)
        if filled:
            raise MoveError(f"the target database is not empty (rows in {', '.join(filled[:5])}): "
                            "move into a new, empty database")
        problems = audit.verify()
        if problems:
            raise MoveError(f"the audit log does not verify here: {problems[0]}")
        db.session.rollback()
        moved: dict[str, int] = {}
        with source.connect() as src:
            if source.dialect.name == "sqlite":
                # The write lock for the whole copy: a submission waits (and is told the
                # database is busy) instead of landing in the old file after the snapshot.
                src.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                src.execution_options(isolation_level="REPEATABLE READ")
            running = _counts_running(src)
            if running:
                raise MoveError(f"a count is running ({', '.join(running)}): move once it is done")
            import flask_migrate  # Alembic: the command line's, not a web worker's
            app = _target_app(target_url)
            with app.app_context():
                flask_migrate.upgrade(directory=str(current_app.extensions["migrate"].directory))
                db.engine.dispose()
            with target.begin() as dst:
                boxes = src.execute(select(Campaign.id).where(Campaign.counted_at.is_(None),
                                                              Campaign.status != "draft")).scalars().all()
                for campaign_id in boxes:  # every box still to be counted gets its partition
                    dst.execute(text(f"CREATE TABLE IF NOT EXISTS envelopes_c{int(campaign_id)} "
                                     f"PARTITION OF envelopes FOR VALUES IN ({int(campaign_id)})"))
                for table in db.metadata.sorted_tables:
                    if table.name in NOT_MOVED:
                        continue
                    # In the order of the key: for envelopes, ballots and comments a random one.
                    result = src.execution_options(yield_per=CHUNK).execute(
                        select(table).order_by(*table.primary_key.columns))
                    n = 0
                    for rows in result.partitions():
                        dst.execute(insert(table), [dict(r._mapping) for r in rows])
                        n += len(rows)
                    moved[table.name] = n
                    if n:
                        echo(f"  {table.name}: {n} rows")
                _sequences(dst)
            src.rollback()
    except MoveError:
        raise
    finally:
        target.dispose()
    app = _target_app(target_url)
    with app.app_context():
        problems = audit.verify()
        if problems:
            raise MoveError(f"the moved audit log does not verify: {problems[0]} (drop the target and try again)")
        audit.record("database.moved", "", actor="cli", source=source.dialect.name,
                     rows=sum(moved.values()))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return moved


@click.command("move-to")
@with_appcontext
@click.argument("database_url")
def move_to_command(database_url: str):
    """Move this installation into the empty PostgreSQL database at DATABASE_URL.

    Stop the application first; then set DATABASE_URL to the target and start it again.
    """
    try:
        moved = move_to(database_url, echo=click.echo)
    except MoveError as error:
        _fail(str(error))
    click.echo(f"{sum(moved.values())} rows of {sum(1 for n in moved.values() if n)} tables moved; the audit log "
               "verifies on the target. Set DATABASE_URL to the target (keep SECRET_KEY and ACCESS_CODE_KEY, or "
               "the instance folder's secrets.json) and start the application again.")


def init_app(app) -> None:
    app.cli.add_command(move_to_command)
