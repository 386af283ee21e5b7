"""Charts drawn once per change of what they show, kept in the database for every app server.

A chart is named by the digest of its kind, everything it is drawn from (figures and the
labels, already translated) and the drawing code: the same figures give the same chart,
changed ones a new name, so nothing kept is ever stale. A view looks the chart up in a small
per-process cache, then in `drawn_charts`; only a miss draws it (one worker, once), and the
drawing is kept through a short transaction of its own, as the results are (a GET request's
session never commits). Rows of a campaign's older results are deleted as newer ones come.
"""
import hashlib
import json
import logging
import threading
from collections import OrderedDict
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import DrawnChart
from ..models._types import utcnow

log = logging.getLogger(__name__)

#: Changes whenever the drawing code changes: a chart drawn by older code is not reused.
CODE_VERSION = hashlib.sha256(
    (Path(__file__).resolve().parent / "charts.py").read_bytes()).hexdigest()[:12]
#: the per-process cache in front of the table, by total size of the kept SVG text
LOCAL_LIMIT = 24 << 20

_local: "OrderedDict[str, str]" = OrderedDict()
_local_size = 0
_lock = threading.Lock()
#: values made from kept JSON text (`kept_json`), already decoded, by the same keys: a few pages' worth
_decoded: "OrderedDict[str, object]" = OrderedDict()
DECODED_LIMIT = 256


def chart_key(kind: str, *args) -> str:
    """The name of a chart: the digest of its kind, its arguments and the drawing code."""
    payload = json.dumps([CODE_VERSION, kind, args], ensure_ascii=False, separators=(",", ":"),
                         allow_nan=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _remember(key: str, svg: str) -> None:
    global _local_size
    with _lock:
        if key in _local:
            _local.move_to_end(key)
            return
        _local[key] = svg
        _local_size += len(svg)
        while _local_size > LOCAL_LIMIT and len(_local) > 1:
            _, old = _local.popitem(last=False)
            _local_size -= len(old)


def _recall(key: str) -> str | None:
    with _lock:
        svg = _local.get(key)
        if svg is not None:
            _local.move_to_end(key)
        return svg


def clear_local() -> None:
    """Forget the per-process copies (the table keeps its rows): for tests and benchmarks."""
    global _local_size
    with _lock:
        _local.clear()
        _decoded.clear()
        _local_size = 0


def chart(campaign_id: int, source: str, kind: str, draw, *args) -> str:
    """The SVG of ``draw(*args)``, drawn only if no app server has drawn it yet.

    ``source`` names the results the chart shows (their cache key or published digest);
    ``args`` must be JSON-like (strings, numbers, None, lists).
    """
    return kept(campaign_id, lambda: source, chart_key(kind, *args), lambda: draw(*args))


def kept(campaign_id: int, source, key: str, make) -> str:
    """The text kept under ``key`` (a digest of everything it is made from), made by ``make()``
    only if no app server has made it yet. ``source()`` names the campaign's current results
    (asked after ``make()``, which may have computed them): rows of other results are dropped."""
    text = _recall(key)
    if text is not None:
        return text
    try:
        text = db.session.execute(select(DrawnChart.svg).where(DrawnChart.key == key)).scalar_one_or_none()
    except Exception:  # a database that cannot be read: the text is still made
        log.warning("drawn charts could not be read", exc_info=False)
        text = None
    if text is None:
        text = make()
        _keep(campaign_id, source(), key, text)
    _remember(key, text)
    return text


def kept_json(campaign_id: int, source, key: str, make, finish=lambda value: value):
    """As `kept`, for a JSON value made by ``make()``: ``finish(value)`` of the decoded value is also
    kept per process under the same key (the key names its content: never stale), so a view decodes
    nothing. The value is shared between requests: callers must not change it."""
    with _lock:
        value = _decoded.get(key)
        if value is not None:
            _decoded.move_to_end(key)
            return value
    value = finish(json.loads(kept(campaign_id, source, key, lambda: json.dumps(make()))))
    with _lock:
        _decoded[key] = value
        while len(_decoded) > DECODED_LIMIT:
            _decoded.popitem(last=False)
    return value


def _keep(campaign_id: int, source: str, key: str, svg: str) -> None:
    """Write the chart in a transaction of its own (never the request's), and drop the
    campaign's charts of other results. A failure costs only a later redraw."""
    table = DrawnChart.__table__
    row = {"key": key, "campaign_id": campaign_id, "source": source[:200], "svg": svg, "created_at": utcnow()}
    try:
        with db.engine.begin() as conn:
            conn.execute(delete(table).where(table.c.campaign_id == campaign_id, table.c.source != source[:200]))
            conn.execute(table.insert().values(**row))
    except IntegrityError:  # another worker kept the same chart first: the same bytes
        pass
    except Exception:
        log.warning("a drawn chart could not be kept", exc_info=False)


def forget(campaign_id: int) -> int:
    """Delete a campaign's kept charts (they are drawn again at their next view)."""
    table = DrawnChart.__table__
    with db.engine.begin() as conn:
        return conn.execute(delete(table).where(table.c.campaign_id == campaign_id)).rowcount
