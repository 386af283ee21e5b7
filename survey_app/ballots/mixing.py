"""The mixer and the shredder: what keeps the database files from telling who sent which envelope.

A submission writes its envelope into the inbox in the transaction that burns the code, so
for a while the two share that transaction's traces: PostgreSQL stamps both rows with the
same `xmin`, SQLite's WAL holds both pages in one commit. The mixer ends that: it writes
the envelopes waiting for a campaign back under fresh ids, in random order, marked `mixed`,
and once 2k wait (k = `MIX_BATCH`) moves all but k of them, chosen at random, into the box
in random order. Every envelope thus leaves the inbox in a batch of at least k, and the k
kept back make sure the last batch at closing (everything left) has at least k too.

A mix is due when k of a campaign's envelopes wait unmixed (k - 1 on SQLite, see
`threshold`), and the submission that brings them runs it in its own transaction
(`admit`): every writer of the inbox takes one lock first (`lock_inbox`) and counts under
it, so the count misses nothing in flight, and at no moment more than k - 1 envelopes of a
campaign share a code's traces, however many submissions arrive together.

The mixer leaves no trace of the rows it removes:
- PostgreSQL: the inbox is emptied with `TRUNCATE` (transactional, and it gives the table
  and its TOAST a new, empty file) and everything still waiting is written back, so no dead
  tuple carrying a submission's `xmin` or bytes survives; the box is partitioned by campaign.
  A submission is stored by the server (`_PG_STORE_FUNCTION`, from
  `operations._put_postgresql`), and the mix it makes due runs there too (`_PG_MIX_FUNCTION`);
  `_mix` is the same mix driven from Python, for closing, counting, paper and the long way.
- SQLite: every connection has `secure_delete` on (deleted cells and freed pages are
  zeroed), and after each mix the WAL is checkpointed and truncated, so no frame pairing a
  burnt code with its envelope survives.

After counting, `destroy_box` drops the campaign's partition (PostgreSQL) or deletes its
envelopes (SQLite: the file is rebuilt without them after the commit), and destroys the
sealed half of its key and the counting officers' sealed shares the same way
(`rewrite_without`: a rewrite of those small tables on PostgreSQL).
"""
import logging
import secrets
import time
from collections import namedtuple
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import delete, event, func, insert, select, text
from sqlalchemy.exc import OperationalError

from ..extensions import db
from ..models import Campaign, CountingOfficer, CountingPanel, CountingRun, Envelope, InboxEnvelope
from ..models._types import random_id, random_ids

log = logging.getLogger(__name__)

#: Key of the PostgreSQL advisory lock that every writer of the inbox holds until its commit.
_MIX_LOCK = LOCK_KEY = 0x6D6978  # "mix"


class BoxNotEmptied(Exception):
    """Envelopes of the campaign arrived in the inbox while it was being counted."""


def _dialect() -> str:
    return db.engine.dialect.name


def partition_name(campaign_id: int) -> str:
    return f"envelopes_c{int(campaign_id)}"


def prepare_box(campaign_id: int, connection=None) -> None:
    """Make the campaign's partition of the box on PostgreSQL (nothing to do on SQLite)."""
    if _dialect() != "postgresql":
        return
    run = (connection or db.session).execute
    name = partition_name(campaign_id)
    # CREATE … PARTITION OF locks the parent table: only when the partition is missing.
    if run(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is None:
        run(text(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF envelopes FOR VALUES IN ({int(campaign_id)})"))


def waiting(campaign_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(InboxEnvelope)
                              .where(InboxEnvelope.campaign_id == campaign_id)).scalar_one()


def threshold(k: int, postgres: bool) -> int:
    """How many unmixed envelopes of a campaign (the arriving one included) make a mix due.

    PostgreSQL: k. The submission that brings the k-th mixes in its own transaction, so its
    code's `xmin` marks at least k envelopes (those k, and any kept back), never one: at
    most k - 1 are pairable. SQLite: k - 1. There the arriving envelope's bytes are new in
    the mixing commit's WAL frames until the checkpoint that follows that commit, beside the
    k - 2 waiting before it: again at most k - 1."""
    return max(1, k if postgres else k - 1)


def lock_inbox() -> None:
    """Take the inbox writers' lock until the caller's transaction ends.

    Every writer of the inbox takes it before touching the inbox (submissions after burning
    their code, paper entries, the mixer), so a submission's count of unmixed envelopes sees
    every other envelope that will ever be committed before its own, and no mix waits for a
    writer that waits for it. PostgreSQL: an advisory lock; SQLite: its own write lock, which
    the caller's first write (the burnt code, the turnout tick) already holds."""
    if _dialect() == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIX_LOCK})


def lock_expression():
    """PostgreSQL: the inbox writers' lock as an SQL expression, for the RETURNING clause of a
    writer's first statement (then it costs no round trip of its own, and is taken once that
    statement's row is locked, as `lock_inbox` would be after it); None on SQLite."""
    if _dialect() != "postgresql":
        return None
    return func.pg_advisory_xact_lock(_MIX_LOCK)


def unmixed_expression(campaign_id: int):
    """How many envelopes of the campaign wait unmixed, as a scalar subquery: a writer that
    holds the inbox's lock can ask it in the RETURNING clause of its next statement."""
    return (select(func.count()).select_from(InboxEnvelope)
            .where(InboxEnvelope.campaign_id == campaign_id, InboxEnvelope.mixed.is_(False)).scalar_subquery())


#: one envelope into the inbox (built once: a submission runs it with new values)
_INBOX_INSERT = insert(InboxEnvelope.__table__)


def admit(campaign_id: int, group_id: int, sealed: bytes, receipt: str, unmixed: int | None = None) -> bool:
    """Put one envelope into the inbox in the caller's transaction, which holds `lock_inbox`;
    when it makes `threshold` envelopes of its campaign waiting unmixed, that transaction
    mixes, and the arriving envelope is written only by the mix, shuffled among the others
    (never before them: until the box is written, a copy of the files would show it alone
    beside its code's `xmin`). `unmixed` is `unmixed_expression` asked under the lock, if the
    caller has it. Returns whether it mixed (then call `scrub_files` after the commit).
    (PostgreSQL's submissions put the envelope themselves when no mix is due, in the
    statement that counts under the lock: `operations._put_postgresql`.)"""
    conn = db.session.connection()
    arriving = SimpleNamespace(id=random_id(), campaign_id=campaign_id, group_id=group_id, sealed=sealed,
                               receipt=receipt)
    if unmixed is None:
        unmixed = conn.execute(select(unmixed_expression(campaign_id))).scalar_one()
    postgres = _dialect() == "postgresql"
    if unmixed + 1 >= threshold(current_app.config["MIX_BATCH"], postgres):
        _mix(conn, postgres, arriving=arriving)
        return True
    conn.execute(_INBOX_INSERT, {**vars(arriving), "mixed": False})
    return False


def waiting_unmixed(campaign_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(InboxEnvelope).where(
        InboxEnvelope.campaign_id == campaign_id, InboxEnvelope.mixed.is_(False))).scalar_one()


def _to_move(n: int, k: int) -> int:
    """How many of a due campaign's n waiting envelopes go into the box: all but k once 2k
    wait (every batch has at least k, and the k kept back make the last one at closing at
    least k too); before that none, the inbox is only rewritten."""
    return n - k if n >= 2 * k else 0


def mix_if_due(campaign_id: int) -> int:
    """After a commit that put envelopes into the inbox outside `admit` (paper sheets and
    imports): mix when due; never fails the caller."""
    try:
        k = current_app.config["MIX_BATCH"]
        due = waiting_unmixed(campaign_id) >= threshold(k, _dialect() == "postgresql")
        db.session.rollback()  # end the read transaction before the mixer takes its locks
        if not due:
            return 0
        return mix(wait=False)
    except Exception:  # the ballot is in; the next submission or `flask campaign mix` mixes
        log.warning("mixing the inbox failed; it is retried at the next submission", exc_info=False)
        db.session.rollback()
        return 0


def mix(final: int | None = None, wait: bool = True) -> int:
    """Move due inbox envelopes into the box, in a transaction of its own; returns how many were moved.

    A campaign is due when `threshold` of its envelopes wait unmixed; `final` (a campaign
    id, at closing and counting) moves all of that campaign's envelopes whatever their
    number. `wait=False` gives up at once when another writer holds the inbox.
    """
    postgres = _dialect() == "postgresql"
    with db.engine.connect() as conn:
        if postgres:
            # The mix's commit need not wait for its WAL to reach the disk: lost in a crash,
            # the whole mix is undone and every envelope is back in the inbox (no submission
            # was acknowledged on it: a later commit flushes the WAL up to and past the mix).
            conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
            lock = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
            got = conn.execute(text(f"SELECT {lock}(:k)"), {"k": _MIX_LOCK}).scalar()
            if got is False:
                conn.rollback()
                return 0
        else:
            # BEGIN IMMEDIATE takes SQLite's write lock now, so two mixers queue instead of
            # both reading the same inbox; the driver's own BEGIN is deferred.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        moved = _mix(conn, postgres, final)
        if moved is None:
            owed = not postgres and _rebuild_owed(conn)
            conn.rollback()
            if owed:  # a count could not rebuild the file: this mix does
                scrub_files(attempts=3, wait_ms=300)
            return 0
        conn.commit()
    # Within a request: a short wait; counting, and the next mix, try again if readers were busy.
    scrub_files(attempts=3, wait_ms=300)
    return moved


def plan_moves(counts: dict, arriving, final: int | None, k: int, due_at: int) -> dict:
    """How many envelopes each due campaign sends into the box, from its (waiting, unmixed)
    counts, the arriving envelope counted in: all of `final`'s, `_to_move` of the others."""
    if arriving is not None:
        n, unmixed = counts.get(arriving.campaign_id, (0, 0))
        counts[arriving.campaign_id] = (n + 1, unmixed + 1)
    return {c: n if c == final else _to_move(n, k) for c, (n, unmixed) in counts.items()
            if c == final or unmixed >= due_at}


def deal(rows: list, plan: dict, final: int | None, rng) -> tuple[list, list]:
    """The waiting rows shuffled within each campaign and dealt: (into the box, shuffled, and
    kept back in the inbox). A campaign in `plan` sends that many into the box and keeps the
    rest back (rows that arrived after its count are kept back too); `final` sends all; any
    other campaign's rows go back (PostgreSQL rewrites the whole inbox)."""
    to_box, to_inbox = [], []
    by_campaign: dict[int, list] = {}
    for row in rows:
        by_campaign.setdefault(row.campaign_id, []).append(row)
    for campaign_id, group in by_campaign.items():
        rng.shuffle(group)
        if campaign_id == final:
            to_box += group
        elif campaign_id in plan:
            keep = len(group) - plan[campaign_id]
            to_box += group[keep:]
            to_inbox += group[:keep]
        else:
            to_inbox += group
    rng.shuffle(to_box)
    return to_box, to_inbox


def _mix(conn, postgres: bool, final: int | None = None, arriving=None) -> int | None:
    """The mix itself, in `conn`'s transaction, which holds the inbox writers' lock; returns
    how many envelopes went into the box, or None when no campaign was due. `arriving` is an
    envelope not yet written, which the mix writes with the others of its campaign."""
    k = current_app.config["MIX_BATCH"]
    rng = secrets.SystemRandom()
    due_at = threshold(k, postgres)
    if postgres:
        # Ids only, the envelopes' bytes stay in the server (`_mix_postgresql`); the counts
        # come from the same rows. Read without blocking readers; the inbox is locked later.
        driver = conn.connection.driver_connection
        with driver.cursor() as waiting_rows, driver.cursor() as missing:
            with driver.pipeline():
                waiting_rows.execute(_PG_WAITING, prepare=True)
                missing.execute(_PG_MISSING, {"c": arriving.campaign_id if arriving is not None else None},
                                prepare=True)
            rows = [_Waiting(*row) for row in waiting_rows.fetchall()]
            unboxed = set(missing.fetchone()[0] or ())
        counts: dict[int, tuple[int, int]] = {}
        for row in rows:
            n, unmixed = counts.get(row.campaign_id, (0, 0))
            counts[row.campaign_id] = (n + 1, unmixed + (not row.mixed))
    else:
        counts = {c: (n, unmixed) for c, n, unmixed in conn.execute(
            select(InboxEnvelope.campaign_id, func.count(), func.count().filter(InboxEnvelope.mixed.is_(False)))
            .group_by(InboxEnvelope.campaign_id)).all()}
    plan = plan_moves(counts, arriving, final, k, due_at)
    if not plan:
        return None
    due = set(plan)
    if not postgres:
        rows = conn.execute(select(InboxEnvelope.id, InboxEnvelope.campaign_id, InboxEnvelope.group_id,
                                   InboxEnvelope.sealed, InboxEnvelope.receipt)
                            .where(InboxEnvelope.campaign_id.in_(due))).all()
    if arriving is not None:
        rows.append(arriving)
    to_box, to_inbox = deal(rows, plan, final, rng)
    if postgres:
        return _mix_postgresql(conn, rng, rows, to_box, final, arriving, unboxed)
    conn.execute(delete(InboxEnvelope).where(InboxEnvelope.campaign_id.in_(due)))
    rng.shuffle(to_inbox)
    for model, batch in ((InboxEnvelope, to_inbox), (Envelope, to_box)):
        _write(conn, model, batch)
    return len(to_box)


#: PostgreSQL: what the mixer reads of the inbox first (no envelope bytes), and its rows
_PG_WAITING = "SELECT id, campaign_id, mixed FROM envelope_inbox"
_Waiting = namedtuple("_Waiting", "id campaign_id mixed")
#: PostgreSQL: the campaigns with envelopes waiting (or arriving: `c`) whose partition of the
#: box is missing (`prepare_box` makes it)
_PG_MISSING = ("SELECT array_agg(c) FROM (SELECT campaign_id FROM envelope_inbox UNION SELECT %(c)s::int) AS w (c)"
               " WHERE c IS NOT NULL AND to_regclass('envelopes_c' || c) IS NULL")

#: PostgreSQL: the batch into the box, copied by the server from the inbox under fresh ids and
#: in the shuffled order (`ord`), the arriving envelope (not in the inbox) among them when
#: `{arriving}` is filled in. The rows are appended in the order they are inserted: the sort
#: is the physical order (the forensic tests read it page by page).
_PG_BOX = """INSERT INTO envelopes (id, campaign_id, group_id, sealed, receipt)
SELECT id, campaign_id, group_id, sealed, receipt FROM (
    SELECT m.new AS id, i.campaign_id, i.group_id, i.sealed, i.receipt, m.ord
    FROM unnest(%(old)s::text[], %(new)s::text[], %(ord)s::int[]) AS m (old, new, ord)
    JOIN envelope_inbox i ON i.id = m.old{arriving}) AS batch
ORDER BY ord"""
_PG_BOX_ARRIVING = ("\n    UNION ALL SELECT %(a_id)s::text, %(a_campaign)s::int, %(a_group)s::int, %(a_sealed)s::bytea,"
                    " %(a_receipt)s::text, %(a_ord)s::int")
#: PostgreSQL: batches up to this size are sorted within the smallest work_mem there is (64 kB,
#: about 200 bytes a row and the arriving envelope); a larger one (closing, a large k) gets
#: 1 kB a row for its transaction. A sort that spilled to a temporary file would write the fresh
#: ids beside the envelopes' TOAST pointers in the inbox, which are numbered in the order the
#: envelopes were written there: a deleted file that the disk may keep.
_SORTED_IN_ANY_WORK_MEM = 100
_PG_LOCK_INBOX = "LOCK TABLE envelope_inbox IN ACCESS EXCLUSIVE MODE"
#: PostgreSQL: every envelope still in the inbox once the batch is boxed and the inbox locked
#: (those kept back, and any that arrived after `_PG_WAITING`), with its bytes
_PG_STAYING = ("SELECT id, campaign_id, group_id, sealed, receipt FROM envelope_inbox"
               " WHERE id <> ALL(%(boxed)s::text[])")
_Staying = namedtuple("_Staying", "id campaign_id group_id sealed receipt")


def _mix_postgresql(conn, rng, rows: list, to_box: list, final: int | None, arriving, unboxed: set) -> int:
    """`_mix`'s writes on PostgreSQL, once `to_box` is drawn from `rows` (the inbox as first
    read, and `arriving`); `unboxed`: the campaigns whose partition of the box is missing.

    The batch goes from the inbox into the box inside the server, in the shuffled order; only
    the envelopes that stay in the inbox travel, out and back in, in binary (they must outlive
    the TRUNCATE that leaves no dead tuple behind). The arriving envelope, not yet written, is
    written only here: into the box among the batch, or into the inbox among those kept back.
    The box, the inbox's lock, the read of what stays and the TRUNCATE go in one round trip."""
    for campaign_id in unboxed & {r.campaign_id for r in to_box}:
        prepare_box(campaign_id, conn)
    params, statement = {"old": [], "new": [], "ord": []}, _PG_BOX.format(arriving="")
    for at, (row, new_id) in enumerate(zip(to_box, random_ids(len(to_box)))):
        if row is arriving:
            params.update(a_id=new_id, a_campaign=row.campaign_id, a_group=row.group_id, a_sealed=row.sealed,
                          a_receipt=row.receipt, a_ord=at)
            statement = _PG_BOX.format(arriving=_PG_BOX_ARRIVING)
        else:
            params["old"].append(row.id)
            params["new"].append(new_id)
            params["ord"].append(at)
    driver = conn.connection.driver_connection
    # binary: a bytea as text is hex, twice its size
    with driver.cursor() as cursor, driver.cursor(binary=True) as staying_rows:
        with driver.pipeline():
            if len(to_box) > _SORTED_IN_ANY_WORK_MEM:
                cursor.execute(f"SET LOCAL work_mem = '{1024 + len(to_box)}kB'")
            if to_box:
                cursor.execute(statement, params)
            # From here on only the inbox's own rewrite. Every writer of the inbox holds the
            # writers' lock (`lock_inbox`), so none is in flight; the exclusive lock is for
            # readers and for a writer that did not take it (its rows are then kept back too).
            cursor.execute(_PG_LOCK_INBOX)
            staying_rows.execute(_PG_STAYING, {"boxed": params["old"]}, prepare=True)
            cursor.execute("TRUNCATE envelope_inbox")
        staying = [_Staying(*row) for row in staying_rows.fetchall()]
    seen = {r.id for r in rows}
    to_inbox = [r for r in staying if r.id in seen]
    if arriving is not None and "a_id" not in params:
        to_inbox.append(arriving)
    late = [r for r in staying if r.id not in seen]
    if late:
        closing = [r for r in late if r.campaign_id == final]  # the last batch takes all
        rng.shuffle(closing)
        _write(conn, Envelope, closing)
        to_inbox += [r for r in late if r.campaign_id != final]
        to_box = to_box + closing
    rng.shuffle(to_inbox)
    _write(conn, InboxEnvelope, to_inbox)
    return len(to_box)


#: PostgreSQL: the columns `_write` copies, with their types in COPY's binary format
_COPY_COLUMNS = (("id", "text"), ("campaign_id", "int4"), ("group_id", "int4"), ("sealed", "bytea"),
                 ("receipt", "text"))


def _write(conn, model, batch: list) -> None:
    """Rows written in list order, with fresh ids, so the physical order is the shuffled one;
    the forensic tests check it. PostgreSQL: one binary COPY (the envelopes' bytes travel as
    they are, and the server appends the rows in order); SQLite: one executemany."""
    if not batch:
        return
    inbox = model is InboxEnvelope
    ids = random_ids(len(batch))
    if conn.dialect.name == "postgresql":
        columns = _COPY_COLUMNS + ((("mixed", "bool"),) if inbox else ())
        with conn.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY {model.__tablename__} ({', '.join(name for name, _type in columns)})"
                             " FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types([kind for _name, kind in columns])
                for id_, r in zip(ids, batch):
                    copy.write_row((id_, r.campaign_id, r.group_id, r.sealed, r.receipt, True) if inbox
                                   else (id_, r.campaign_id, r.group_id, r.sealed, r.receipt))
        return
    mixed = {"mixed": True} if inbox else {}
    conn.execute(insert(model), [{"id": id_, "campaign_id": r.campaign_id, "group_id": r.group_id,
                                  "sealed": r.sealed, "receipt": r.receipt, **mixed} for id_, r in zip(ids, batch)])


#: PostgreSQL: a fresh id made by the server, as `random_id` makes them (128 bits that say
#: nothing of when or in which order the row was written): two random UUIDs' 244 random bits
#: (PostgreSQL's strong random source) hashed to 32 hex digits
_PG_NEW_ID = "left(encode(sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())), 'hex'), 32)"

#: PostgreSQL: the mix as the server runs it, for the submission that makes a mix due
#: (`minping_store`, from `operations._put_postgresql`), so that the envelopes' bytes never
#: leave the server and the mix costs the submission no round trip of its own. The same mix as `_mix` with `arriving`:
#: - which envelopes go into the box: of each due campaign (`p_due` unmixed waiting, the
#:   arriving one counted), all but `p_k`, drawn at random, once 2k wait (`_to_move`);
#: - the batch goes into the box under fresh ids in a random order (the order of the rows in
#:   its file); a missing partition of the box is made first (`prepare_box`); more than
#:   `_SORTED_IN_ANY_WORK_MEM` waiting get work_mem for the sorts, as `_mix_postgresql` does;
#: - then the inbox is locked, everything that stays is read into memory (its bytes in arrays,
#:   never in a sort that could spill to a temporary file: the aggregate sorts the rows'
#:   TOAST pointers only), the inbox truncated (new, empty files, no dead tuple) and written
#:   back under fresh ids in a random order, marked mixed;
#: - the arriving envelope is written only there: into the box among the batch, or into the
#:   inbox among those kept back, never alone.
#: The random orders are drawn by `gen_random_uuid()` (PostgreSQL's strong random source:
#: OpenSSL's); the caller holds the inbox writers' lock. Returns how many went into the box.
_PG_MIX_FUNCTION = f"""
CREATE OR REPLACE FUNCTION minping_mix(p_c int, p_g int, p_i text, p_s bytea, p_r text, p_due int, p_k int)
RETURNS int LANGUAGE plpgsql VOLATILE AS $mix$
DECLARE
    boxed text[];
    waiting int;
    missing int;
    camp int[];
    grp int[];
    env bytea[];
    rec text[];
BEGIN
    -- every sort below (the draw, the batch, what stays) in memory whatever the server's work_mem
    SELECT count(*) + 1 INTO waiting FROM envelope_inbox;
    IF waiting > {_SORTED_IN_ANY_WORK_MEM} THEN
        PERFORM set_config('work_mem', (1024 + waiting) || 'kB', true);
    END IF;
    WITH w AS (SELECT id, campaign_id, mixed FROM envelope_inbox UNION ALL SELECT p_i, p_c, false),
    plan AS (SELECT campaign_id, CASE WHEN count(*) >= 2 * p_k THEN count(*) - p_k ELSE 0 END AS move
             FROM w GROUP BY campaign_id HAVING count(*) FILTER (WHERE NOT mixed) >= p_due),
    drawn AS (SELECT w.id, plan.move,
                     row_number() OVER (PARTITION BY w.campaign_id ORDER BY gen_random_uuid()) AS r
              FROM w JOIN plan USING (campaign_id))
    SELECT coalesce(array_agg(id), '{{}}') INTO boxed FROM drawn WHERE r <= move;
    IF cardinality(boxed) > 0 THEN
        FOR missing IN SELECT DISTINCT b.c FROM (
                SELECT campaign_id FROM envelope_inbox WHERE id = ANY(boxed)
                UNION ALL SELECT p_c WHERE p_i = ANY(boxed)) AS b (c)
            WHERE to_regclass('envelopes_c' || b.c) IS NULL LOOP
            EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF envelopes FOR VALUES IN (%s)',
                           'envelopes_c' || missing, missing);
        END LOOP;
        INSERT INTO envelopes (id, campaign_id, group_id, sealed, receipt)
        SELECT {_PG_NEW_ID}, b.campaign_id, b.group_id, b.sealed, b.receipt FROM (
            SELECT campaign_id, group_id, sealed, receipt FROM envelope_inbox WHERE id = ANY(boxed)
            UNION ALL SELECT p_c, p_g, p_s, p_r WHERE p_i = ANY(boxed)) AS b
        ORDER BY gen_random_uuid();
    END IF;
    LOCK TABLE envelope_inbox IN ACCESS EXCLUSIVE MODE;
    SELECT array_agg(t.campaign_id ORDER BY t.o), array_agg(t.group_id ORDER BY t.o),
           array_agg(t.sealed ORDER BY t.o), array_agg(t.receipt ORDER BY t.o)
    INTO camp, grp, env, rec FROM (
        SELECT campaign_id, group_id, sealed, receipt, gen_random_uuid() AS o
        FROM envelope_inbox WHERE id <> ALL(boxed)
        UNION ALL SELECT p_c, p_g, p_s, p_r, gen_random_uuid() WHERE p_i <> ALL(boxed)) AS t;
    TRUNCATE envelope_inbox;
    INSERT INTO envelope_inbox (id, campaign_id, group_id, sealed, receipt, mixed)
    SELECT {_PG_NEW_ID}, u.c, u.g, u.s, u.r, true FROM unnest(camp, grp, env, rec) AS u (c, g, s, r);
    RETURN cardinality(boxed);
END
$mix$"""

#: PostgreSQL: a submission stored by the server in one call (`operations._put_postgresql`,
#: which holds the code's row and the inbox writers' lock): the campaign's state checked (open,
#: under the key the ballot was sealed for `p_pk`, within its window at `p_now`), the
#: campaign's envelopes waiting unmixed counted, the code burnt (`p_h`; none for a public
#: ballot), turnout ticked, and the envelope put into the inbox or, when it makes `p_due`
#: unmixed, written by the mix it brings (`minping_mix`, k = `p_k`). With `p_k` null a due mix
#: is left to the caller (Python's mixer: the baseline of `bench.collect --python-mixer`) and
#: nothing is written. Returns (burnt, put, ticked, open, boxed): nothing is written unless the
#: campaign is open and the code unused; `boxed` is how many the mix moved into the box, null
#: when none ran. One statement for the caller, so a change to the inbox's files (every mix's
#: TRUNCATE) re-plans only the small statements in here that read or write it.
_PG_STORE_FUNCTION = """
CREATE OR REPLACE FUNCTION minping_store(p_c int, p_g int, p_pk bytea, p_now timestamp, p_d date, p_i text,
                                         p_s bytea, p_r text, p_due int, p_k int, p_h text,
                                         OUT burnt int, OUT put int, OUT ticked int, OUT open boolean,
                                         OUT boxed int)
LANGUAGE plpgsql VOLATILE AS $store$
DECLARE
    waiting int;
BEGIN
    burnt := 0; put := 0; ticked := 0; boxed := NULL;
    SELECT EXISTS (SELECT 1 FROM campaigns WHERE id = p_c AND status = 'open' AND public_key = p_pk
                   AND (opens_at IS NULL OR opens_at <= p_now) AND (closes_at IS NULL OR p_now < closes_at))
    INTO open;
    IF NOT open THEN
        RETURN;
    END IF;
    SELECT count(*) INTO waiting FROM envelope_inbox WHERE campaign_id = p_c AND NOT mixed;
    IF waiting + 1 >= p_due AND p_k IS NULL THEN  -- a mix is due, and the caller makes it
        RETURN;
    END IF;
    IF p_h IS NULL THEN
        burnt := 1;
    ELSE
        UPDATE access_codes SET state = 'used'
        WHERE code_hash = p_h AND campaign_id = p_c AND group_id = p_g AND state = 'unused';
        GET DIAGNOSTICS burnt = ROW_COUNT;
        IF burnt = 0 THEN
            RETURN;
        END IF;
    END IF;
    INSERT INTO turnout_days (campaign_id, group_id, day, count) VALUES (p_c, p_g, p_d, 1)
    ON CONFLICT (campaign_id, group_id, day) DO UPDATE SET count = turnout_days.count + 1;
    GET DIAGNOSTICS ticked = ROW_COUNT;
    IF waiting + 1 < p_due THEN
        INSERT INTO envelope_inbox (id, campaign_id, group_id, sealed, receipt, mixed)
        VALUES (p_i, p_c, p_g, p_s, p_r, false);
        put := 1;
    ELSE
        boxed := minping_mix(p_c, p_g, p_i, p_s, p_r, p_due, p_k);
    END IF;
END
$store$"""

#: what `install_functions` makes, and what removes it
_PG_FUNCTIONS = (_PG_MIX_FUNCTION, _PG_STORE_FUNCTION)
_PG_DROP_FUNCTIONS = (
    "DROP FUNCTION IF EXISTS minping_store(int, int, bytea, timestamp, date, text, bytea, text, int, int, text)",
    "DROP FUNCTION IF EXISTS minping_mix(int, int, text, bytea, text, int, int)",
)


def install_functions(connection) -> None:
    """PostgreSQL: make (or make again) the server-side mixer and store (`_PG_MIX_FUNCTION`,
    `_PG_STORE_FUNCTION`); nothing on other databases. `create_all` calls it through an event,
    the migration that brought them with `op.get_bind()`."""
    if connection.dialect.name != "postgresql":
        return
    for statement in _PG_FUNCTIONS:
        connection.execute(text(statement))


@event.listens_for(InboxEnvelope.__table__, "after_create")
def _after_create(_table, connection, **_kw):
    install_functions(connection)


def destroy_box(campaign_id: int) -> None:
    """Remove every envelope and the secret key of a counted campaign, in the caller's transaction.

    Call it when the opened ballots are stored, just before the commit (on PostgreSQL it
    briefly locks the box's parent table and the key table), and `scrub_files()` after the
    commit. Raises BoxNotEmptied if envelopes of the campaign still wait in the inbox.
    """
    if _dialect() == "postgresql":
        # Dropping the partition removes its file: no dead tuple or free space is left.
        db.session.execute(text(f"DROP TABLE IF EXISTS {partition_name(campaign_id)}"))
    else:
        empty_box(campaign_id)
    rewrite_without(CountingOfficer, campaign_id)
    rewrite_without(CountingPanel, campaign_id)
    # Checked last: reading the inbox before locking the box could deadlock with a mixer that
    # has read the box and waits for the inbox.
    if waiting(campaign_id):
        raise BoxNotEmptied()
    db.session.expire_all()


def empty_box(campaign_id: int, expected: int | None = None) -> int:
    """SQLite: delete the campaign's envelopes in the caller's transaction; returns how many
    there were.

    Without `secure_delete`: zeroing a box in place writes every one of its pages twice (to
    the WAL, then back into the main file), 4.3 GB for 200,000 envelopes of 10.8 KB, which
    made counting wait on the disk. Their freed pages keep the envelopes' bytes instead until
    `scrub_files` rebuilds the file after the commit (`VACUUM`: it writes only the live
    rows); the campaign's counting run stays recorded until then, so that a rebuild missed
    by a crash or by busy readers is done by the next scrub (`_rebuild_owed`).

    Counting calls it before its last chunks are opened: the workers' connections read the
    last commit, which still holds the box, while this transaction empties it. It then knows
    how many envelopes the box holds (`expected`), and when no other campaign has any there it
    empties the whole table, which SQLite does without rebalancing the B-tree after every row
    (0.13 s against 0.21 s for 20,000 envelopes); an envelope of another campaign mixed in
    meanwhile would make the count differ from `expected`, and the caller then rolls back.
    """
    whole = expected is not None and _alone_in_box(campaign_id)
    db.session.execute(text("PRAGMA secure_delete = OFF"))
    try:
        statement = delete(Envelope) if whole else delete(Envelope).where(Envelope.campaign_id == campaign_id)
        return db.session.execute(statement).rowcount
    finally:
        db.session.execute(text("PRAGMA secure_delete = ON"))


def _alone_in_box(campaign_id: int) -> bool:
    """Whether the box holds no other campaign's envelopes (two seeks in its key, not a scan)."""
    return not any(db.session.execute(select(Envelope.id).where(other).limit(1)).first()
                   for other in (Envelope.campaign_id < campaign_id, Envelope.campaign_id > campaign_id))


def rewrite_without(model, campaign_id: int) -> None:
    """Remove a campaign's rows from a small table of key material, in the caller's transaction.

    On PostgreSQL deleting a row would leave it as a dead tuple until a vacuum: the table is
    locked, emptied with TRUNCATE (a new, empty file) and the other campaigns' rows written
    back. On SQLite `secure_delete` zeroes the deleted cells and the WAL is scrubbed after
    the commit (`scrub_files`).
    """
    column = model.__table__.c.campaign_id
    if _dialect() == "postgresql":
        name = model.__tablename__
        db.session.execute(text(f"LOCK TABLE {name} IN ACCESS EXCLUSIVE MODE"))
        others = [dict(r._mapping) for r in db.session.execute(
            select(model.__table__).where(column != campaign_id)).all()]
        db.session.execute(text(f"TRUNCATE {name}"))
        if others:
            db.session.execute(insert(model), others)
    else:
        db.session.execute(delete(model).where(column == campaign_id))


def scrub_files(attempts: int = 5, wait_ms: int = 2000) -> bool:
    """SQLite: rebuild the file if a counted box left its pages (`empty_box`), then copy the
    WAL into the main file and truncate it to zero bytes.

    Returns False when a writer or readers kept it from completing every attempt (the next
    mix tries again). PostgreSQL keeps its WAL itself; see the README on what that means.
    """
    if _dialect() != "sqlite" or ":memory:" in str(db.engine.url):
        return True
    with db.engine.connect() as conn:
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait_ms)}")
        try:
            owed = _rebuild_owed(conn)
            if owed:
                # The copy VACUUM builds is kept in memory, not in a temporary file beside
                # the database (it holds the live rows only: the ballots, never the box).
                conn.exec_driver_sql("PRAGMA temp_store = MEMORY")
                try:
                    conn.exec_driver_sql("VACUUM")
                except OperationalError:  # another writer held the file: the next scrub rebuilds
                    log.warning("rebuilding the database file after counting waits for the next scrub")
                    return False
                finally:
                    conn.exec_driver_sql("PRAGMA temp_store = DEFAULT")
                conn.execute(delete(CountingRun).where(CountingRun.campaign_id.in_(owed)))
                conn.commit()
            for attempt in range(attempts):
                busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                if not busy:
                    return True
                time.sleep(0.05 * (attempt + 1))
            return False
        finally:
            conn.exec_driver_sql("PRAGMA busy_timeout = 30000")
            conn.rollback()


def _rebuild_owed(conn) -> list[int]:
    """The counted campaigns whose emptied box may still lie in the file's free pages: a
    count keeps its run recorded until the file is rebuilt."""
    return list(conn.execute(select(CountingRun.campaign_id).join(Campaign, Campaign.id == CountingRun.campaign_id)
                             .where(Campaign.counted_at.is_not(None))).scalars())
