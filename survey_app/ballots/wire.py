"""Prepared statements sent in one round trip on psycopg's libpq connection (`psycopg.pq`).

A ballot's submission on PostgreSQL is a fixed run of statements (`operations._put_postgresql`).
psycopg's pipeline mode sends them in one round trip too, but its Python side (cursors,
adapters, the pipeline's queue) cost a submission 0.30 ms of CPU against 0.05 ms for the same
messages written here through libpq's own pipeline calls: the extended protocol as psycopg
speaks it, with each statement prepared once per connection and its parameters sent apart
from the statement (never spelled into a query text that an error would log).
"""
import select
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime


#: libpq's result states (`psycopg.pq.ExecStatus`) and the idle transaction state
#: (`psycopg.pq.TransactionStatus`) that this module tells apart
_FATAL_ERROR, _PIPELINE_SYNC, _IDLE = 7, 10, 0

#: parameter types by the name a statement gives them (PostgreSQL type OIDs)
TYPES = {"text": 25, "int4": 23, "int8": 20, "date": 1082, "timestamp": 1114, "bytea": 17, "bool": 16}


@dataclass(frozen=True)
class Statement:
    """A statement to prepare once per connection under `name`, its parameters `$1`... typed `types`."""
    name: bytes
    text: bytes
    types: tuple[int, ...]
    param_names: tuple[str, ...]


def statement(name: str, text: str, params: Sequence[tuple[str, str]]) -> Statement:
    """A Statement from `text` written with `%(param)s` placeholders; `params` are (name, type)."""
    for position, (param, _kind) in enumerate(params, 1):
        text = text.replace(f"%({param})s", f"${position}::{_kind}")
    if "%(" in text:
        raise ValueError(f"statement {name} has a parameter not declared")
    return Statement(name.encode(), text.encode(), tuple(TYPES[kind] for _param, kind in params),
                     tuple(param for param, _kind in params))


def idle(connection) -> bool:
    """Whether the psycopg Connection is outside any transaction."""
    return connection.pgconn.transaction_status == _IDLE


def _value(value) -> tuple[bytes | None, int]:
    """A parameter as (bytes, format): binary for bytes, text for the rest."""
    if value is None:
        return None, 0
    if isinstance(value, bytes):
        return value, 1
    if isinstance(value, bool):
        return (b"t" if value else b"f"), 0
    if isinstance(value, datetime):
        return value.isoformat(" ").encode(), 0
    if isinstance(value, (int, str, date)):
        return str(value).encode(), 0
    raise TypeError(f"no wire format for {type(value).__name__}")


#: the statements prepared on the connection, by name, as the server knows them
_PREPARED_NAMES = "SELECT name FROM pg_prepared_statements"


def run(connection, steps: Sequence[tuple], prepared: set) -> list:
    """Send `steps` in one round trip and return each one's result (rows as tuples of bytes,
    None for a command) once every result is in.

    A step is `(Statement, params)` (params in the statement's order) or a plain statement
    text. `prepared` holds the names this connection has prepared: statements not in it are
    prepared first, in a round trip of their own (a statement prepared in the same round trip
    as a failing step would be left prepared, or not, by the failure); when it proves wrong (a
    statement gone, or there already), it is set to what the server holds and the steps sent
    once more. `connection` is a psycopg
    Connection outside any pipeline and transaction (preparing a statement locks the tables
    it names until the transaction ends). Raises the first error as psycopg raises it; the
    connection is then left as the error left it (in a failed transaction block when the
    steps began one: roll back)."""
    from psycopg import errors  # the driver of a PostgreSQL database: loaded already where this runs

    if connection.pgconn.transaction_status != _IDLE:
        raise errors.ProgrammingError("wire.run needs a connection outside any transaction")
    for attempt in range(2):
        missing = {step[0] for step in steps if not isinstance(step, str) and step[0].name not in prepared}
        try:
            if missing:
                _round_trip(connection, [("prepare", stmt) for stmt in missing])
                prepared.update(stmt.name for stmt in missing)
            results = _round_trip(connection, [("execute", step) for step in steps])
            break
        except (errors.InvalidSqlStatementName, errors.DuplicatePreparedStatement):
            # `prepared` was wrong: psycopg deallocates every statement of the connection
            # (DEALLOCATE ALL) after a rollback, so a statement this module prepared before may
            # be gone while one prepared since is there. Nothing of the steps ran but what
            # precedes the first missing one, in the transaction that failed: roll it back, ask
            # the server what it holds, prepare the rest and send the steps again.
            if attempt:
                raise
            if connection.pgconn.transaction_status != _IDLE:
                _round_trip(connection, [("execute", "ROLLBACK")])
            [held] = _round_trip(connection, [("execute", _PREPARED_NAMES)])
            prepared.clear()
            prepared.update(held.get_value(row, 0) for row in range(held.ntuples))
    return [[tuple(r.get_value(row, col) for col in range(r.nfields)) for row in range(r.ntuples)]
            if r.nfields else None for r in results]


def _round_trip(connection, messages: list) -> list:
    from psycopg import errors  # the driver of a PostgreSQL database: loaded already where this runs

    pgconn = connection.pgconn
    with connection.lock:
        pgconn.enter_pipeline_mode()
        try:
            for kind, step in messages:
                if kind == "prepare":
                    pgconn.send_prepare(step.name, step.text, param_types=step.types)
                elif isinstance(step, str):
                    pgconn.send_query_params(step.encode(), None)
                else:
                    stmt, params = step
                    values, formats = zip(*(_value(v) for v in params)) if params else ((), ())
                    pgconn.send_query_prepared(stmt.name, list(values), param_formats=list(formats))
            pgconn.pipeline_sync()
            while pgconn.flush():
                select.select([], [pgconn.socket], [])
            results = _collect(pgconn)
        finally:
            pgconn.exit_pipeline_mode()
    error = next((r for r in results if r.status == _FATAL_ERROR), None)
    if error is not None:
        raise errors.error_from_result(error, encoding=connection.info.encoding)
    if len(results) != len(messages):
        raise errors.InternalError(f"expected {len(messages)} results, got {len(results)}")
    return results


def _collect(pgconn) -> list:
    """Every result up to the pipeline's sync, waiting on the socket as they come."""
    results = []
    while True:
        pgconn.consume_input()
        while not pgconn.is_busy():
            result = pgconn.get_result()
            if result is None:
                continue  # between two statements' results
            if result.status == _PIPELINE_SYNC:
                return results
            results.append(result)
        select.select([pgconn.socket], [], [])
