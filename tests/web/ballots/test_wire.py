"""`ballots.wire`: prepared statements in one round trip on psycopg's libpq connection."""
import os

import pytest

from survey_app.ballots import wire
from survey_app.extensions import db

INSERT = wire.statement("test_wire_insert", "INSERT INTO wire_rows (id, payload) VALUES (%(id)s, %(payload)s)"
                        " RETURNING id, length(payload)", [("id", "int4"), ("payload", "bytea")])


@pytest.fixture
def raw(app, backend):
    if backend != "postgresql":
        pytest.skip("psycopg's connection: PostgreSQL's")
    with app.app_context():
        fairy = db.engine.raw_connection()
        connection = fairy.driver_connection
        connection.autocommit = True
        connection.execute("CREATE TABLE wire_rows (id int PRIMARY KEY, payload bytea)")
        connection.autocommit = False
        yield connection
        fairy.close()


def rows(connection):
    with connection.cursor() as cursor:
        found = cursor.execute("SELECT id, payload FROM wire_rows ORDER BY id").fetchall()
    connection.rollback()
    return found


def test_steps_run_in_one_transaction_with_binary_parameters(raw):
    prepared = set()
    payload = os.urandom(12 * 1024)
    results = wire.run(raw, ["BEGIN", (INSERT, [1, payload]), (INSERT, [2, b""]), "COMMIT"], prepared)
    assert results == [None, [(b"1", b"12288")], [(b"2", b"0")], None]
    assert prepared == {INSERT.name}
    assert rows(raw) == [(1, payload), (2, b"")]


def test_statements_deallocated_behind_its_back_are_prepared_again(raw):
    """psycopg sends DEALLOCATE ALL after a rollback once it has prepared statements of its own."""
    prepared = set()
    wire.run(raw, ["BEGIN", (INSERT, [1, b"a"]), "COMMIT"], prepared)
    raw.autocommit = True
    raw.execute("DEALLOCATE ALL")
    raw.autocommit = False
    assert wire.run(raw, ["BEGIN", (INSERT, [2, b"b"]), "COMMIT"], prepared)[1] == [(b"2", b"1")]
    assert rows(raw) == [(1, b"a"), (2, b"b")]


SELECT_ONE = wire.statement("test_wire_one", "SELECT 1 + %(n)s", [("n", "int4")])


def test_a_statement_prepared_since_a_deallocation_is_not_prepared_twice(raw):
    """After psycopg's DEALLOCATE ALL, a step prepared anew beside one that was prepared before
    it: the run that needs both finds the old one gone, and asks the server what it holds
    rather than preparing both again (the new one would then be prepared twice)."""
    prepared = set()
    wire.run(raw, ["BEGIN", (INSERT, [1, b"a"]), "COMMIT"], prepared)
    raw.autocommit = True
    raw.execute("DEALLOCATE ALL")
    raw.autocommit = False
    assert wire.run(raw, [(SELECT_ONE, [1])], prepared)[0] == [(b"2",)]  # prepared anew; INSERT is gone
    results = wire.run(raw, ["BEGIN", (INSERT, [2, b"b"]), (SELECT_ONE, [2]), "COMMIT"], prepared)
    assert results[1:3] == [[(b"2", b"1")], [(b"3",)]]
    assert prepared == {INSERT.name, SELECT_ONE.name}
    assert rows(raw) == [(1, b"a"), (2, b"b")]


def test_a_failing_step_stops_the_rest_and_leaves_the_transaction_to_roll_back(raw):
    import psycopg
    prepared = set()
    with pytest.raises(psycopg.errors.UniqueViolation):
        wire.run(raw, ["BEGIN", (INSERT, [1, b"a"]), (INSERT, [1, b"b"]), "COMMIT"], prepared)
    assert not wire.idle(raw)
    raw.rollback()
    assert rows(raw) == []


def test_a_connection_inside_a_transaction_is_refused(raw):
    """Preparing a statement inside a transaction would hold its tables' locks until the end."""
    import psycopg
    raw.execute("SELECT 1")
    with pytest.raises(psycopg.ProgrammingError):
        wire.run(raw, [(INSERT, [1, b"a"])], set())
    raw.rollback()
    assert rows(raw) == []


def test_a_statement_names_every_parameter():
    with pytest.raises(ValueError):
        wire.statement("test_wire_bad", "SELECT %(a)s, %(b)s", [("a", "int4")])


def test_a_connection_lost_in_a_round_trip_is_reported_unreachable_whatever_libpq_says(app, backend):
    """A server gone in the middle of a submission's round trip: libpq's words for it may end in
    "cannot exit pipeline mode while busy"; the error pages must still say the database cannot be
    reached (what /health says), not that it is busy."""
    if backend != "postgresql":
        pytest.skip("psycopg's connection: PostgreSQL's")
    import psycopg
    from sqlalchemy import exc as sa_exc

    from survey_app.ballots.operations import driver_errors
    from survey_app.errors import outage
    words = ("server closed the connection unexpectedly\n\tThis probably means the server terminated"
             " abnormally\n\tbefore or while processing the request.\ncannot exit pipeline mode while busy")
    with app.app_context():
        fairy = db.engine.raw_connection()
        connection = fairy.driver_connection
        connection.close()  # as libpq leaves it once the server is gone
        with pytest.raises(sa_exc.OperationalError) as lost:
            with driver_errors("SELECT 1", connection):
                raise psycopg.OperationalError(words)
        assert lost.value.connection_invalidated and outage(lost.value) == "unavailable"
        fairy.invalidate()
        # an error on a connection still up keeps its own words
        fairy = db.engine.raw_connection()
        with pytest.raises(sa_exc.OperationalError) as busy:
            with driver_errors("SELECT 1", fairy.driver_connection):
                raise psycopg.OperationalError("database is busy")
        assert not busy.value.connection_invalidated and outage(busy.value) == "busy"
        fairy.close()
