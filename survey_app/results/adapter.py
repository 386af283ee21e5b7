"""The one adapter from the database to the scoring engine, with a per-campaign cache.

Opened ballots are stored packed (`ballots.packing`); here their rating vectors become the
engine's integer arrays in a few numpy operations (`scoring.Answers.from_codes`), never a
Python loop per answer. Every consumer — dashboard, reports, PDFs, exports, the open
bundle, decision tallies, sensitivity — reads the answers through this module.

Results are computed once per change of the ballots, the method or the code: at their first
view after it (the cache key names all three). Computed during a GET request, they are
written through a short transaction of their own — the request's session never commits —
and kept for the rest of the request; the method and the ballot count, too, are worked out
once per request however many parts of a page ask for them.
"""
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import questionnaires
import scoring
from flask import g, has_request_context, request
from sqlalchemy import func, select, update
from scoring.answers import COLUMNS
from sqlalchemy.orm.attributes import set_committed_value

from ..ballots import packing
from ..extensions import db
from ..models import Ballot, Campaign

log = logging.getLogger(__name__)


def _code_version() -> str:
    """A digest of the scoring engine, this adapter and the packing: part of the cache key."""
    digest = hashlib.sha256(packing.FORMAT.encode())
    sources = sorted(Path(scoring.__file__).parent.glob("*.py")) + [Path(__file__), Path(packing.__file__)]
    for path in sources:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


#: Changes whenever the engine, the adapter or the stored format changes.
ENGINE_VERSION = _code_version()


def method_dict(campaign: Campaign) -> dict:
    """The method.json of the campaign as it stands (shared within a request: do not change it)."""
    groups = [(g.code, float(g.weight)) for g in campaign.groups]
    key = ("method", campaign.id, campaign.questionnaire_version_id, tuple(groups), campaign.min_group_size,
           campaign.trim, campaign.funnel_alerts)
    return _per_request(key, lambda: questionnaires.method_for(
        campaign.questionnaire, groups, min_group_size=campaign.min_group_size, trim=campaign.trim,
        funnel_alerts=campaign.funnel_alerts))


def method_of(campaign: Campaign) -> dict:
    """The method of the campaign's results: frozen once published, like `results`."""
    return campaign.published_method or method_dict(campaign)


@dataclass
class Packed:
    """The campaign's opened ballots as arrays: ids, groups and the rating matrix."""
    layout: packing.Layout
    #: ballot ids (numpy strings), in the database's order
    ids: np.ndarray
    #: per ballot: index into group_codes
    group: np.ndarray
    group_codes: list[str]
    #: (ballots × layout slots) uint8: 0 not answered, k + 1 scale option k
    matrix: np.ndarray


def packed_ballots(campaign: Campaign) -> Packed:
    """The campaign's opened ballots, read once per request (the ballots do not change in it)."""
    return _per_request(("packed", campaign.id, campaign.counted_at, ballot_count(campaign)),
                        lambda: _read_packed(campaign))


def _read_packed(campaign: Campaign) -> Packed:
    lay = packing.campaign_layout(campaign)
    groups = {gr.id: k for k, gr in enumerate(campaign.groups)}
    # Straight from the driver's cursor: SQLAlchemy's rows cost a second at 200,000 ballots.
    connection = db.session.connection()
    mark = "%s" if connection.dialect.paramstyle in ("format", "pyformat") else "?"
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(f"SELECT id, group_id, ratings FROM ballots WHERE campaign_id = {mark}", (campaign.id,))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    ids = [r[0] for r in rows]
    group_ids = [r[1] for r in rows]
    vectors = [bytes(r[2]) for r in rows]
    del rows
    lookup = np.full(max(groups, default=0) + 1, -1, dtype=np.int32)
    for gid, k in groups.items():
        lookup[gid] = k
    group = lookup[np.asarray(group_ids, dtype=np.int64)] if group_ids else np.zeros(0, dtype=np.int32)
    ids = np.asarray(ids, dtype=str) if ids else np.empty(0, dtype="<U1")
    matrix = packing.unpack_many(lay, vectors)
    # In id order, which the engine wants: sorting the ballots' rows here is cheaper than
    # letting the engine renumber every answer.
    order = np.argsort(ids, kind="stable")
    return Packed(layout=lay, ids=ids[order], group=group[order], group_codes=[gr.code for gr in campaign.groups],
                  matrix=matrix[order])


def _present(mask_counts: np.ndarray, codes) -> tuple[np.ndarray, np.ndarray]:
    """(sorted table of the codes that occur, old index -> new index)."""
    present = np.flatnonzero(mask_counts)
    table = np.asarray([codes[k] for k in present], dtype=str) if len(present) else np.empty(0, dtype="<U1")
    order = np.argsort(table, kind="stable")
    remap = np.full(len(codes), -1, dtype=np.int32)
    remap[present[order]] = np.arange(len(present), dtype=np.int32)
    return table[order], remap


def _code_tables(p: Packed) -> tuple:
    """Answers per slot, and (sorted table, old index -> new index) of the targets, items and
    options that occur, from counts over the matrix: the tables `Answers.from_columns` would
    make from the long form, shared by both doors to the engine."""
    lay, m = p.layout, p.matrix
    per_slot = np.count_nonzero(m, axis=0) if m.size else np.zeros(lay.width, dtype=np.int64)
    by_target_item = lay.rectangle(per_slot[None, :])[0]
    by_code = np.bincount(m.reshape(-1), minlength=len(lay.options) + 1) if m.size else np.zeros(1, np.int64)
    return (per_slot, _present(by_target_item.sum(axis=1), lay.targets),
            _present(by_target_item.sum(axis=0), lay.all_items),
            _present(by_code[1:len(lay.options) + 1], lay.options))


_BLOCK = 16384


def coded_answers(p: Packed) -> dict:
    """Keyword arguments of `scoring.Answers.from_codes`: the long form, integer-coded.

    The code tables hold exactly the codes that occur, sorted, as `Answers.from_columns`
    would make them from the long form; ballots without a rating answer are left out.
    """
    lay, m = p.layout, p.matrix
    # The code maps applied to the layout's small per-slot tables, so that each answer costs
    # one gather per column.
    per_slot, (target_table, target_map), (item_table, item_map), (option_table, option_map) = _code_tables(p)
    target_of_slot = target_map[lay.target_of_slot()].astype(np.int32)
    item_of_slot = item_map[lay.item_of_slot()].astype(np.int32)
    option_of_code = np.concatenate(([-1], option_map)).astype(np.int16)
    n = int(per_slot.sum())
    ballot, target = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32)
    item, option = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int16)
    at = 0
    for start in range(0, len(m), _BLOCK):  # a block of ballots at a time: small index arrays
        block = m[start:start + _BLOCK]
        rows, slots = np.nonzero(block)
        end = at + len(rows)
        np.add(rows, start, out=ballot[at:end], casting="unsafe")
        np.take(target_of_slot, slots, out=target[at:end])
        np.take(item_of_slot, slots, out=item[at:end])
        np.take(option_of_code, block[rows, slots], out=option[at:end])
        at = end
    answered = m.any(axis=1) if m.size else np.zeros(len(m), dtype=bool)
    if not answered.all():  # renumber the ballots that answered (else they keep their rows)
        ballot = (np.cumsum(answered, dtype=np.int64) - 1).astype(np.int32)[ballot]
    return {"ballot_ids": p.ids[answered], "group_codes": np.asarray(p.group_codes, dtype=str),
            "target_codes": target_table, "item_codes": item_table, "option_codes": option_table,
            "ballot": ballot, "target": target, "item": item, "option": option,
            "group_of_ballot": p.group[answered]}


def scoring_answers(campaign: Campaign, p: Packed | None = None) -> scoring.Answers:
    """The engine's answers: the packed matrix handed over whole (`Answers.from_matrix`),
    with the same code tables as `coded_answers`, so the scores are the long form's."""
    p = p or packed_ballots(campaign)
    lay, m = p.layout, p.matrix
    _, (target_table, target_map), (item_table, item_map), (option_table, option_map) = _code_tables(p)
    cube = lay.rectangle(m)  # a target not asked an item: 0, not answered
    cube = cube[:, _taken(target_map)][:, :, _taken(item_map)]
    recode = np.zeros(len(lay.options) + 1, dtype=np.uint8)  # stored code -> 1 + index in option_table
    recode[1:][option_map >= 0] = option_map[option_map >= 0] + 1
    return scoring.Answers.from_matrix(
        ballot_ids=p.ids, group_codes=np.asarray(p.group_codes, dtype=str), target_codes=target_table,
        item_codes=item_table, option_codes=option_table, codes=recode[cube], group_of_ballot=p.group)


def _taken(remap: np.ndarray) -> np.ndarray:
    """The old indices in the order of the new table (the inverse of `_present`'s map)."""
    kept = np.flatnonzero(remap >= 0)
    out = np.empty(len(kept), dtype=np.int64)
    out[remap[kept]] = kept
    return out


def answer_columns(campaign: Campaign) -> dict[str, np.ndarray]:
    """Long-form answers of the campaign's opened ballots, rating items only (for answers.csv)."""
    coded = coded_answers(packed_ballots(campaign))
    ballot_ids = coded["ballot_ids"]
    return dict(zip(COLUMNS, (ballot_ids[coded["ballot"]].astype(object),
                              coded["group_codes"][coded["group_of_ballot"][coded["ballot"]]].astype(object),
                              coded["target_codes"][coded["target"]].astype(object),
                              coded["item_codes"][coded["item"]].astype(object),
                              coded["option_codes"][coded["option"]].astype(object)), strict=True))


def long_answers(campaign: Campaign) -> list[tuple[str, str | None, str, str]]:
    """Every stored answer as (ballot id, target code or None, item, option); for tests and checks."""
    lay = packing.campaign_layout(campaign)
    out = []
    for ballot_id, ratings, choices in db.session.execute(
            select(Ballot.id, Ballot.ratings, Ballot.choices).where(Ballot.campaign_id == campaign.id)):
        out += [(ballot_id, *a) for a in packing.unpack(lay, bytes(ratings), choices)]
    return out


def ballot_count(campaign: Campaign) -> int:
    """The campaign's opened ballots: only counting writes them, and it moves `counted_at`."""
    return _per_request(("ballots", campaign.id, campaign.counted_at), lambda: db.session.execute(
        select(func.count()).select_from(Ballot).where(Ballot.campaign_id == campaign.id)).scalar_one())


def option_counts(campaign: Campaign, target_codes=None) -> dict[tuple, int]:
    """{(target code, group code, item code, option): answers} of the rating items.

    Counted once per change of the ballots (per process) from the packed matrix, one
    bincount per (target, item) column; `target_codes` limits what is returned.
    """
    computed = cache_key(campaign)
    key = (campaign.id, "counts", computed)
    if key not in _COMPUTED:
        stored = campaign.results_cache if campaign.results_cache_key == computed else None
        if stored is not None and _COUNTS in stored:  # kept with the results: no ballot is read
            _remember(key, {tuple(row[:4]): row[4] for row in stored[_COUNTS]})
        else:
            _remember(key, _count_options(packed_ballots(campaign)))
    counts = _COMPUTED[key]
    if target_codes is None:
        return dict(counts)
    wanted = set(target_codes)
    return {k: n for k, n in counts.items() if k[0] in wanted}


def _count_options(p: Packed) -> dict[tuple, int]:
    lay, m = p.layout, p.matrix
    n_codes = len(lay.options) + 1
    out = {}
    group = p.group.astype(np.int64) * n_codes
    for slot, (target, item) in enumerate(lay.slots):
        counts = np.bincount(group + m[:, slot], minlength=len(p.group_codes) * n_codes)
        for key in np.flatnonzero(counts).tolist():
            gr, code = divmod(key, n_codes)
            if code:
                out[(target, p.group_codes[gr], item, lay.options[code - 1])] = int(counts[key])
    return out


# -- computing and caching ------------------------------------------------------------

#: What is computed from the ballots beside the cached results (sensitivity, option counts),
#: per process, under keys that contain `cache_key`
_COMPUTED: dict[tuple, dict] = {}


def _remember(key: tuple, value: dict) -> None:
    if len(_COMPUTED) > 32:
        _COMPUTED.clear()
    _COMPUTED[key] = value


def compute(campaign: Campaign, **method_options) -> dict:
    """Score the campaign's ballots now (no cache)."""
    method = scoring.Method.from_dict(method_dict(campaign), source="method.json")
    if method_options:
        method = method.replace(**method_options)
    return scoring.score(scoring_answers(campaign), method)


def cache_key(campaign: Campaign) -> str:
    return "|".join([campaign.counted_at.isoformat(), str(ballot_count(campaign)),
                     hashlib.sha256(scoring.canonical_json(method_dict(campaign))).hexdigest(), ENGINE_VERSION])


def _memo() -> dict | None:
    if not has_request_context():
        return None
    if "results_memo" not in g:
        g.results_memo = {}
    return g.results_memo


def _per_request(key: tuple, make):
    """`make()`, once per request for each `key` (which names what the value depends on)."""
    memo = _memo()
    if memo is None:
        return make()
    if key not in memo:
        memo[key] = make()
    return memo[key]


#: The key under which the results cache also keeps the answer counts per option
#: (target, group, item, option, n): a report's first view then reads no ballot.
_COUNTS = "_option_counts"
#: ... and, under this prefix and the options, the results under other method options
_SENSITIVITY = "_sensitivity"


def _store(campaign: Campaign, data: dict, key: str) -> None:
    """Keep computed results: in a short transaction of its own during a read-only request,
    so that the request's session never commits; otherwise in the caller's transaction."""
    if has_request_context() and request.method in ("GET", "HEAD"):
        try:
            with db.engine.begin() as conn:
                conn.execute(update(Campaign.__table__).where(Campaign.__table__.c.id == campaign.id)
                             .values(results_cache=data, results_cache_key=key))
        except Exception:  # the next request tries again; this one has its results
            log.warning("the results cache could not be written", exc_info=False)
        set_committed_value(campaign, "results_cache", data)
        set_committed_value(campaign, "results_cache_key", key)
    else:
        campaign.results_cache, campaign.results_cache_key = data, key


def results(campaign: Campaign) -> dict | None:
    """The campaign's results, or None before counting: as the counting officers signed them
    (`counted_results`, kept at counting), frozen once published. A campaign counted before
    results were kept at counting has them computed (and cached) as before."""
    if campaign.published_sha256 is not None:  # decoded once per process, not per view
        published = (campaign.id, "published", campaign.published_sha256)
        if published not in _COMPUTED:
            _remember(published, campaign.published_results)
        if _COMPUTED.get(published) is not None:
            return _COMPUTED[published]
    if campaign.published_results is not None:
        return campaign.published_results
    if campaign.counted_at is None:
        return None
    if campaign.counted_results is not None:
        return campaign.counted_results
    return compute_results(campaign)


def compute_results(campaign: Campaign) -> dict:
    """Score the counted campaign's ballots now, or take them from the cache (whose key names
    the ballots, the method and the code); counting calls it once to keep what it signs."""
    memo = _memo()
    key = cache_key(campaign)
    kept = (campaign.id, "results", key)
    if campaign.results_cache_key == key:
        if kept in _COMPUTED:
            return _COMPUTED[kept]
        if campaign.results_cache is not None:
            data = _results_only(campaign.results_cache)
            _remember(kept, data)
            return data
    if memo is not None and (campaign.id, key) in memo:
        return memo[(campaign.id, key)]
    data = compute(campaign)
    counts = _count_options(packed_ballots(campaign))  # read once: kept for the request
    _remember((campaign.id, "counts", key), counts)
    _store(campaign, {**data, _COUNTS: [[*k, n] for k, n in counts.items()]}, key)
    if memo is not None:
        memo[(campaign.id, key)] = data
    return data


def _results_only(stored: dict) -> dict:
    """The results alone, without what is kept beside them (counts, sensitivity)."""
    if any(k.startswith("_") for k in stored):
        return {k: v for k, v in stored.items() if not k.startswith("_")}
    return stored


def sensitivity(campaign: Campaign, **method_options) -> dict:
    """Results under other method options (e.g. straight-liners excluded), computed once per
    change of the ballots, the method or the code, and kept with the results in the
    database (so every app server shows them without scoring again)."""
    computed = cache_key(campaign)
    options = tuple(sorted(method_options.items()))
    key = (campaign.id, computed, options)
    if key in _COMPUTED:
        return _COMPUTED[key]
    name = _SENSITIVITY + json.dumps(options)
    stored = campaign.results_cache if campaign.results_cache_key == computed else None
    if stored is not None and name in stored:
        _remember(key, stored[name])
        return stored[name]
    data = compute(campaign, **method_options)
    _remember(key, data)
    if stored is not None and campaign.published_results is None:
        _store(campaign, {**stored, name: data}, computed)
    return data
