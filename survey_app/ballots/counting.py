"""Opening envelopes in bulk, in parallel, and the counting run that locks and reports a count.

`open_box` opens a campaign's sealed envelopes into packed ballots (`packing`), in a
process pool when there are many (the private key's bytes go to each worker once, and each
worker reads its share of the envelopes from the database itself), in process when there are
few. The `counting_runs` row of a campaign is written in short transactions of
its own: it refuses a second count of the same campaign while one runs, and tells the web
page and the command line how far the count is.
"""
import logging
import multiprocessing
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta

from flask import current_app
from nacl.public import PrivateKey, SealedBox
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import CountingRun, Envelope
from ..models._types import utcnow
from . import packing, sealing

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


def _init_worker(private_key: bytes, lay: packing.Layout, url: str | None = None) -> None:
    _WORKER.update(box=SealedBox(PrivateKey(private_key)), layout=lay, url=url, engine=None)


def _open_chunk(sealed: list[bytes]) -> tuple[list, list[str]]:
    """Open envelopes into (group code, version id, ratings, choices, comments) and their fingerprints."""
    box, lay = _WORKER["box"], _WORKER["layout"]
    opened = []
    for envelope in sealed:
        payload = sealing.decode(box.decrypt(envelope))
        ratings, choices = packing.pack(lay, payload["a"])
        opened.append((payload["g"], payload["v"], ratings, choices, [tuple(c) for c in payload["c"]]))
    return opened, [sealing.fingerprint(envelope) for envelope in sealed]


def _read_and_open(campaign_id: int, first: str, last: str) -> tuple[list, list[str]]:
    """In a worker: read the box's envelopes with ids first..last itself, then open them.

    Each worker reads through a connection of its own (the parent's pool is never used in a
    child), so the envelopes' bytes do not pass through the parent and a pipe."""
    if _WORKER["engine"] is None:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool
        _WORKER["engine"] = create_engine(_WORKER["url"], poolclass=NullPool)
    with _WORKER["engine"].connect() as conn:
        sealed = [bytes(s) for (s,) in conn.execute(
            select(Envelope.sealed).where(Envelope.campaign_id == campaign_id, Envelope.id.between(first, last)))]
    return _open_chunk(sealed)


def _context():
    # fork is fastest, but a process with threads should not fork (a lock held by another
    # thread stays held in the child); the fork server starts clean.
    method = "fork" if threading.active_count() == 1 else "forkserver"
    return multiprocessing.get_context(method)


def _chunks(campaign_id: int, size: int) -> Iterator[list[bytes]]:
    """The campaign's sealed envelopes in the box, streamed in chunks (never all in memory)."""
    result = db.session.execute(select(Envelope.sealed).where(Envelope.campaign_id == campaign_id)
                                .execution_options(yield_per=size))
    for part in result.partitions(size):
        yield [bytes(sealed) for (sealed,) in part]


def _worker_url() -> str | None:
    """The database URL a worker process can open, or None (a database only this process sees)."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


def open_box(private, lay: packing.Layout, campaign_id: int, size: int, total: int) -> Iterator[tuple]:
    """(opened, fingerprints) per chunk of about `size` of the campaign's envelopes in the box.

    Few envelopes are opened in this process. Many go to a pool of COUNT_WORKERS processes,
    each reading its chunks (ranges of envelope ids) from the database and opening them, so
    this process only hands out ranges and collects the small opened ballots; chunks come
    back in the order they were handed out.
    """
    config = current_app.config
    workers = config.get("COUNT_WORKERS", 2)
    if total < config.get("COUNT_POOL_THRESHOLD", 2000) or workers < 2:
        _init_worker(bytes(private), lay)
        for chunk in _chunks(campaign_id, size):
            yield _open_chunk(chunk)
        return
    url = _worker_url()
    if url is None:
        jobs = ((_open_chunk, chunk) for chunk in _chunks(campaign_id, size))
    else:
        ids = db.session.execute(select(Envelope.id).where(Envelope.campaign_id == campaign_id)
                                 .order_by(Envelope.id)).scalars().all()
        jobs = ((_read_and_open, campaign_id, ids[at], ids[min(at + size, len(ids)) - 1])
                for at in range(0, len(ids), size))
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_init_worker,
                             initargs=(bytes(private), lay, url)) as pool:
        pending = []
        for job in jobs:
            pending.append(pool.submit(*job))
            # Keep a few chunks in flight; hand back the finished ones in order.
            while len(pending) > 2 * workers:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()
