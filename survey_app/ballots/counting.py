"""Opening envelopes in bulk, in parallel, and the counting run that locks and reports a count.

`open_box` opens a campaign's sealed envelopes into packed ballots (`packing`), in a
process pool when there are many (`Openers`: started as the count begins, it gets the
private key's bytes with each chunk once the key is unlocked, and each worker reads its
share of the envelopes from the database itself), in process when there are few. The
`counting_runs` row of a campaign is written in short transactions of its own: it refuses
a second count of the same campaign while one runs, and tells the web page and the command
line how far the count is.
"""
from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import current_app
from nacl.public import PrivateKey, SealedBox
from sqlalchemy import create_engine, delete, event, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import CountingRun, Envelope
from ..models._types import utcnow
from . import packing, sealing
from .mixing import partition_name

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger(__name__)


class CountRunning(Exception):
    """Another count of this campaign is running."""


# -- the run: lock and progress ---------------------------------------------------------------

def _stale_after() -> timedelta:
    return timedelta(seconds=current_app.config.get("COUNT_STALE_SECONDS", 300))


def start_run(campaign_id: int, total: int = 0) -> None:
    """Take the campaign's counting lock, or raise CountRunning. A run silent for longer
    than COUNT_STALE_SECONDS is taken to have died with its process and is replaced."""
    now = utcnow()
    row = {"campaign_id": campaign_id, "started_at": now, "updated_at": now, "phase": "opening",
           "done": 0, "total": total}
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(CountingRun), [row])
        return
    except IntegrityError:
        pass
    with db.engine.begin() as conn:
        gone = conn.execute(delete(CountingRun).where(CountingRun.campaign_id == campaign_id,
                                                      CountingRun.updated_at < now - _stale_after())).rowcount
        if not gone:
            raise CountRunning()
        conn.execute(insert(CountingRun), [row])


def report_progress(campaign_id: int, done: int, total: int | None = None, phase: str | None = None) -> None:
    """Record how far the count is; a failure to record it never stops the count."""
    values = {"done": done, "updated_at": utcnow()}
    if total is not None:
        values["total"] = total
    if phase is not None:
        values["phase"] = phase
    try:
        with db.engine.begin() as conn:
            conn.execute(update(CountingRun).where(CountingRun.campaign_id == campaign_id).values(**values))
    except Exception:
        log.warning("counting progress could not be recorded", exc_info=False)


def end_run(campaign_id: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(delete(CountingRun).where(CountingRun.campaign_id == campaign_id))


def progress(campaign_id: int) -> dict | None:
    """{"phase", "done", "total", "started_at"} of a running count, or None."""
    with db.engine.connect() as conn:
        row = conn.execute(select(CountingRun.phase, CountingRun.done, CountingRun.total, CountingRun.started_at,
                                  CountingRun.updated_at)
                           .where(CountingRun.campaign_id == campaign_id)).first()
    if row is None or row.updated_at < utcnow() - _stale_after():
        return None
    return {"phase": row.phase, "done": row.done, "total": row.total, "started_at": row.started_at}


def running(campaign_id: int) -> bool:
    return progress(campaign_id) is not None


# -- opening ----------------------------------------------------------------------------------

_WORKER: dict = {}


def _init_worker(lay: packing.Layout, url: str | None = None) -> None:
    _WORKER.update(layout=lay, url=url, engine=None, key=None, box=None)


def _box(private_key: bytes) -> SealedBox:
    """The opening box of this key, made once per process and count."""
    if _WORKER.get("key") != private_key:
        _WORKER.update(key=private_key, box=SealedBox(PrivateKey(private_key)))
    return _WORKER["box"]


def _open_chunk(private_key: bytes, sealed: list[bytes]) -> list[tuple]:
    """Open envelopes into (group code, version id, ratings, choices, comments).

    Their receipts are not computed here (a SHA-256 of 10.8 KB: a sixth of opening one):
    each envelope carries its own from submission, and counting lists them in SQL."""
    box, lay = _box(private_key), _WORKER["layout"]
    opened = []
    for envelope in sealed:
        payload = sealing.decode(box.decrypt(envelope))
        ratings, choices = sealing.packed(payload, lay)
        opened.append((payload["g"], payload["v"], ratings, choices, [tuple(c) for c in payload["c"]]))
    return opened


def _read(conn, campaign_id: int, ids: list[str]) -> list[bytes]:
    """The sealed envelopes with these ids (`box_ids`), in the order the ids are given.

    On PostgreSQL the ids are the rows' physical addresses in the campaign's partition
    (`ctid`, which nothing changes while the closed box is counted: no row of it is updated,
    and a vacuum keeps a live row's address), fetched by a TID scan without the key index:
    at a million envelopes that index no longer stays in the buffers and every lookup by id
    missed. In psycopg's binary format: the text format sends a bytea as hex, twice its
    size, and decoding it made reading an envelope cost more than opening it (measured per
    envelope, wall time on the shared machine: 75-119 µs as text, 35-61 µs binary)."""
    if conn.dialect.name == "postgresql":
        with conn.connection.driver_connection.cursor(binary=True) as cursor:
            cursor.execute(f"SELECT ctid::text, sealed FROM {partition_name(campaign_id)} WHERE ctid = ANY(%s::tid[])",
                           (ids,))
            found = dict(cursor.fetchall())
    else:
        found = dict(conn.execute(select(Envelope.id, Envelope.sealed)
                                  .where(Envelope.campaign_id == campaign_id, Envelope.id.in_(ids))).all())
    return [bytes(found[i]) for i in ids]


def _worker_engine(url: str):
    """A worker's engine: one connection, kept for all its chunks. On SQLite it reads the
    file through a memory map (read only: writes still go through the counting
    connection), which halves the cost of fetching an envelope's scattered pages: its
    chunks are random parts of the box, each envelope found by its id."""
    engine = create_engine(url, pool_size=1)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _map(dbapi_connection, _record):
            map_file(dbapi_connection.execute)
    return engine


#: SQLite caps it at its build's SQLITE_MAX_MMAP_SIZE (2 GB by default)
_MMAP_BYTES = 1 << 34


def map_file(execute) -> None:
    """SQLite: let this connection read the file through a memory map (reads only: SQLite
    still writes through its pager). Counting maps it too, for listing and deleting the box:
    walking the box's B-tree and overflow chains then costs about half as much."""
    execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")


def _connection():
    if _WORKER["engine"] is None:
        _WORKER["engine"] = _worker_engine(_WORKER["url"])
    return _WORKER["engine"].connect()


def _connect() -> None:
    """In a worker, while the count unlocks its key and lists the box: open the connection
    (PostgreSQL starts a server process for it) and keep it for the chunks."""
    _connection().close()


def _read_and_open(private_key: bytes, campaign_id: int, ids: list[str]) -> list[tuple]:
    """In a worker: read these envelopes of the box itself, then open them.

    Each worker reads through a connection of its own (the parent's pool is never used in a
    child, and this one is made after the fork), so the envelopes' bytes do not pass
    through the parent and a pipe."""
    with _connection() as conn:
        sealed = _read(conn, campaign_id, ids)
    return _open_chunk(private_key, sealed)


def _context():
    # fork is fastest, but a process with threads should not fork (a lock held by another
    # thread stays held in the child); the fork server starts clean.
    method = "fork" if threading.active_count() == 1 else "forkserver"
    import multiprocessing  # where a count starts its workers, not in every web worker

    return multiprocessing.get_context(method)


def _worker_url() -> str | None:
    """The database URL a worker process can open, or None (a database only this process sees)."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


def _in_process(total: int) -> bool:
    """Whether `open_box` opens `total` envelopes in this process: few of them, or one worker."""
    config = current_app.config
    return total < config.get("COUNT_POOL_THRESHOLD", 2000) or config.get("COUNT_WORKERS", 2) < 2


def pooled(total: int) -> bool:
    """Whether `open_box` opens `total` envelopes in worker processes that read the box
    through connections of their own (so this process's transaction may change the box
    meanwhile: SQLite's readers see the last commit)."""
    return not _in_process(total) and _worker_url() is not None


def shuffle(items: list) -> None:
    """Put the items in a uniformly random order, in place, drawn from the operating
    system's randomness: each item gets 8 random bytes of one read, and they are sorted by
    them. (`secrets.SystemRandom().shuffle` makes a system call an item: 0.5 s for 200,000,
    on the counting's critical path; two of 200,000 keys are equal with a chance of 1 in 10^9.)"""
    if len(items) > 1:
        import numpy as np  # here, not at the top: a web worker starts without numpy
        order = np.argsort(np.frombuffer(secrets.token_bytes(8 * len(items)), dtype=np.uint64), kind="stable")
        items[:] = [items[i] for i in order]


def box_ids(campaign_id: int) -> list[str]:
    """What `_read` finds the campaign's envelopes in the box by, in a fresh random order:
    their ids, or on PostgreSQL their addresses in the campaign's partition."""
    # One string of them all, split here: 200,000 rows through the driver and the ORM's
    # result cost more than the rest of listing them.
    if db.session.get_bind().dialect.name == "postgresql":
        query = text(f"SELECT string_agg(ctid::text, ' ') FROM {partition_name(campaign_id)}")
    else:
        query = select(func.group_concat(Envelope.id, " ")).where(Envelope.campaign_id == campaign_id)
    ids = (db.session.execute(query).scalar() or "").split()
    shuffle(ids)
    return ids


class Openers:
    """Where a count opens its envelopes: this process, or a pool of COUNT_WORKERS
    processes (`pooled`), started as the count begins.

    `Openers(lay, expected)` starts the pool at once when `expected` (the ballots received,
    an upper bound of the envelopes) asks for one, and has each worker open its database
    connection: that happens while the count unlocks the key and lists the box, which
    leaves a core free. Otherwise the pool starts when `open_box` first needs it. The key
    goes to the workers with their chunks, once it is unlocked, never before. Use it in a
    `with`: leaving it stops the workers and forgets the key in this process.
    """

    def __init__(self, lay: packing.Layout, expected: int = 0):
        self.lay, self.pool = lay, None
        if pooled(expected):
            self._start()

    def _start(self) -> ProcessPoolExecutor:
        from concurrent.futures import ProcessPoolExecutor  # where a count starts, not in every web worker

        workers = current_app.config.get("COUNT_WORKERS", 2)
        url = _worker_url()
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_init_worker,
                                        initargs=(self.lay, url))
        if url is not None:
            for _ in range(workers):
                self.pool.submit(_connect)
        return self.pool

    def __enter__(self) -> "Openers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.pool is not None:  # a count that failed or was abandoned opens nothing more
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        _WORKER.clear()


def open_box(openers: Openers, private, campaign_id: int, ids: list[str], size: int,
             meanwhile: Callable[[], None] | None = None) -> Iterator[list]:
    """The opened ballots (`_open_chunk`) of each chunk of `size` of the envelopes with these ids.

    The ids come shuffled (`box_ids`), and each chunk is a run of that random order: every
    chunk is a random part of the box, whatever order the box's ids, addresses, pages or
    batches have, so its ballots can be stored as it comes in (in the order of their fresh
    ids) and the stored order is still a uniformly random one. Few envelopes are opened in this
    process. Many go to the pool of `openers`, each worker reading its chunks from the
    database and opening them, so this process only hands out ids and collects the small
    opened ballots; chunks come back in the order they were handed out. `meanwhile` is
    called once, when the workers have their chunks (or before the first is opened here).
    """
    key = bytes(private)
    parts = [ids[at:at + size] for at in range(0, len(ids), size)]
    if _in_process(len(ids)):
        _init_worker(openers.lay)
        connection = db.session.connection()
        if meanwhile:
            meanwhile()
        for part in parts:
            yield _open_chunk(key, _read(connection, campaign_id, part))
        openers.close()
        return
    pool = openers.pool or openers._start()
    if _worker_url() is None:  # the envelopes' bytes go through a pipe: a few chunks in flight at a time
        connection = db.session.connection()
        jobs = ((_open_chunk, key, _read(connection, campaign_id, part)) for part in parts)
        window = 2 * current_app.config.get("COUNT_WORKERS", 2)
    else:
        # Every chunk handed out at once (a list of ids each): the workers keep opening
        # while this process stores or empties the box, and hold only small opened ballots.
        jobs = ((_read_and_open, key, campaign_id, part) for part in parts)
        window = len(parts)
    pending = []
    for job in jobs:
        pending.append(pool.submit(*job))
        if meanwhile and len(pending) == min(window, len(parts)):
            meanwhile()
        # Hand back the finished chunks in order.
        while len(pending) > window:
            yield pending.pop(0).result()
    while pending:
        yield pending.pop(0).result()
    openers.close()  # every chunk is in: the workers go, with the key
