"""Submitting ballots into the sealed box, issuing codes, and counting.

A ballot is stored in the box's inbox in one transaction together with its burnt code and
its turnout tick, or not at all; the mixer (`mixing`) later moves it into the box in a
shuffled batch. Counting opens the envelopes in shuffled order, keeps no mapping back, and
then destroys the envelopes and the key that opened them.
"""
import functools
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from flask import current_app
from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy import exc as sa_exc
from sqlalchemy import types as sa_types
from sqlalchemy.dialects import postgresql, sqlite

from .. import audit
from ..extensions import db
from ..models import (AccessCode, Ballot, Campaign, Comment, Envelope, InboxEnvelope, PaperSheet,
                      Receipt, RespondentGroup, TurnoutDay)
from ..models._types import random_id, random_ids, utcnow
from . import codes, counting, keys, mixing, packing, sealing, wire
from .counting import CountRunning  # noqa: F401 - raised by count
from .keys import KeyDestroyed  # noqa: F401 - raised by count
from .validation import BallotContent, asked, text_limit

log = logging.getLogger(__name__)
T = TypeVar("T")


class CodeRefused(Exception):
    """An access code that cannot be used; `reason` is unknown, used, revoked or closed."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class StateChanged(Exception):
    """PostgreSQL's statement that stores a ballot found its campaign no longer open under the
    key it was sealed for, or outside its window: nothing was written, and the submission is
    to be taken again with the campaign's state read (`respond.operations.answering`)."""


class NotCounted(Exception):
    pass


class BallotLimit(Exception):
    """More codes or paper sheets than a decision meeting has members; `left` says how many remain."""

    def __init__(self, left: int):
        super().__init__(f"{left} left")
        self.left = left


def ballots_left(campaign: Campaign) -> int | None:
    """How many more codes or paper sheets a decision meeting may hand out: one per member in
    all, codes withdrawn given back (None: a campaign without a fixed number of voters)."""
    if campaign.members is None:
        return None
    handed_out = sum(row.codes_issued - row.codes_revoked + row.sheets_printed for row in turnout(campaign))
    return max(campaign.members - handed_out, 0)


def reserve_ballots(campaign: Campaign, n: int) -> None:
    """BallotLimit unless n more codes or sheets fit (in the caller's transaction, which issues them).

    The campaign's row is locked first (PostgreSQL), so two secretaries issuing at the same
    moment cannot both take the last places; SQLite's single writer does the same."""
    if campaign.members is None:
        return
    db.session.execute(select(Campaign.id).where(Campaign.id == campaign.id).with_for_update())
    left = ballots_left(campaign)
    if n > left:
        raise BallotLimit(left)


def hash_code(code: str) -> str:
    return codes.code_hash(current_app.config["ACCESS_CODE_KEY"], code)


def find_code(typed: str) -> AccessCode:
    """The access code a respondent typed, or CodeRefused saying why not."""
    normal = codes.normalise(typed)
    if normal is None:
        raise CodeRefused("malformed")
    code = db.session.execute(select(AccessCode).where(AccessCode.code_hash == hash_code(normal))
                              ).scalar_one_or_none()
    if code is None:
        raise CodeRefused("unknown")
    if code.state != "unused":
        raise CodeRefused(code.state)
    return code


def issue_codes(campaign: Campaign, group: RespondentGroup, n: int, deliver: Callable[[list[str]], T] | None = None):
    """Make n fresh codes; the plain codes exist only in the return value.

    With `deliver` (which renders the slips, writes the file, ...) issuing is one step with
    handing the codes out: `deliver(plain)` runs first, and the codes are stored only once
    it has returned; whatever it raises leaves nothing issued. (Rendering before the
    transaction opens also keeps the audit log's lock free while 2,000 slips are laid out.)
    Returns the plain codes, or what `deliver` returned.

    A decision meeting gets at most one code (or sheet) per member: BallotLimit beyond,
    before anything is rendered, and again under the campaign's lock as the codes are stored.
    """
    left = ballots_left(campaign)
    if left is not None and n > left:
        raise BallotLimit(left)
    plain: list[str] = []
    seen: set[str] = set()
    while len(plain) < n:
        code = codes.new_code()
        if code in seen:
            continue
        seen.add(code)
        plain.append(code)
    delivered = deliver(plain) if deliver is not None else plain
    reserve_ballots(campaign, n)
    batch = (db.session.execute(select(func.max(AccessCode.batch))
                                .where(AccessCode.group_id == group.id)).scalar() or 0) + 1
    db.session.add_all(AccessCode(campaign_id=campaign.id, group_id=group.id, code_hash=hash_code(c),
                                  batch=batch) for c in plain)
    audit.record("codes.issue", f"group:{group.id}", campaign=campaign.code, group=group.code,
                 count=n, batch=batch)
    db.session.commit()
    return delivered


def revoke_unused(campaign: Campaign, group: RespondentGroup) -> int:
    result = db.session.execute(update(AccessCode).where(
        AccessCode.group_id == group.id, AccessCode.state == "unused").values(state="revoked"))
    audit.record("codes.revoke", f"group:{group.id}", campaign=campaign.code, group=group.code,
                 count=result.rowcount)
    db.session.commit()
    return result.rowcount


def _tick_turnout(campaign_id: int, group_id: int, day, returning_unmixed: bool = False):
    """One more ballot of the group on that day; with `returning_unmixed`, returns the
    campaign's count of unmixed envelopes in the same round trip (a submission asks it)."""
    stmt = _statements().tick_unmixed if returning_unmixed else _statements().tick
    result = db.session.connection().execute(stmt, {"c": campaign_id, "g": group_id, "d": day})
    return result.scalar_one() if returning_unmixed else None


@dataclass(frozen=True)
class _Statements:
    burn: object
    tick: object
    tick_unmixed: object


#: a submission's statements, built once per dialect and run with new values: building them
#: cost more CPU than running them (the same statements, through the same compiled cache)
_BUILT: dict[str, _Statements] = {}


def _statements() -> _Statements:
    dialect = db.session.get_bind().dialect.name
    if dialect not in _BUILT:
        codes_t, turnout = AccessCode.__table__, TurnoutDay.__table__
        burn = (update(codes_t)
                .where(codes_t.c.code_hash == bindparam("h"), codes_t.c.campaign_id == bindparam("c"),
                       codes_t.c.group_id == bindparam("g"), codes_t.c.state == "unused")
                .values(state="used"))
        lock = mixing.lock_expression()
        if lock is not None:
            burn = burn.returning(lock)
        insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
        tick = (insert_(turnout).values(campaign_id=bindparam("c"), group_id=bindparam("g"), day=bindparam("d"),
                                        count=1)
                .on_conflict_do_update(index_elements=["campaign_id", "group_id", "day"],
                                       set_={"count": turnout.c.count + 1}))
        _BUILT[dialect] = _Statements(burn=burn, tick=tick,
                                      tick_unmixed=tick.returning(mixing.unmixed_expression(bindparam("c"))))
    return _BUILT[dialect]


#: PostgreSQL: a submission in one round trip, its commit and the flush that makes it durable
#: included (libpq's pipeline mode, `wire`; `_put_postgresql`). First the code's row is locked
#: and then the inbox writers' lock taken (a public ballot: the lock alone), in that order, as
#: `_statements().burn` does, and the commit told not to wait for the disk; then the server
#: stores the ballot (`mixing._PG_STORE_FUNCTION`): it checks that the campaign is still open
#: under the key the ballot was sealed for and within its window, counts the campaign's
#: envelopes waiting unmixed, burns the code, ticks turnout, and puts the envelope into the
#: inbox or, when that count makes a mix due (`mixing.threshold`), mixes with it (the
#: envelopes' bytes stay in the server); when the campaign is not open it writes nothing and
#: `submit` raises StateChanged. The store starts once the lock is taken, and under READ
#: COMMITTED each of its statements takes its snapshot when it starts: its count sees every
#: envelope, and its check of the campaign every closing, committed before. A refused code
#: (used, revoked, unknown) locks no row: nothing is written. The client decides nothing
#: between the writes and the commit, so nothing but a complete ballot (code burnt, turnout
#: ticked, envelope in) can be committed, and the lock is held for the statements only, not
#: for a round trip to the client.
_PG_ASYNC = "set_config('synchronous_commit', 'off', true)"
_PG_LOCK_CODE = wire.statement("minping_lock_code", (
    "WITH code AS MATERIALIZED (SELECT 1 FROM access_codes WHERE code_hash = %(h)s"
    " AND campaign_id = %(c)s AND group_id = %(g)s AND state = 'unused' FOR UPDATE)"
    f" SELECT pg_advisory_xact_lock(%(k)s), {_PG_ASYNC} FROM code"),
    [("h", "text"), ("c", "int4"), ("g", "int4"), ("k", "int8")])
_PG_LOCK = wire.statement("minping_lock", f"SELECT pg_advisory_xact_lock(%(k)s), {_PG_ASYNC}", [("k", "int8")])
_PG_STORE = wire.statement(
    "minping_store", "SELECT burnt, put, ticked, open, boxed FROM minping_store("
    "%(c)s, %(g)s, %(pk)s, %(now)s, %(d)s, %(i)s, %(s)s, %(r)s, %(due)s, %(mix_k)s, %(h)s)",
    [("c", "int4"), ("g", "int4"), ("pk", "bytea"), ("now", "timestamp"), ("d", "date"), ("i", "text"),
     ("s", "bytea"), ("r", "text"), ("due", "int4"), ("mix_k", "int4"), ("h", "text")])
_PG_COMMIT = "COMMIT"
#: an empty transactional WAL record: its transaction's synchronous commit flushes the WAL up to
#: and past every commit before it (`_put_postgresql`)
_PG_FLUSH = "SELECT pg_logical_emit_message(true, 'minping-flush', '')"

#: whether PostgreSQL submissions take `_put_postgresql` (a test of old code turns it off)
PIPELINED = True
#: whether PostgreSQL's store mixes when a submission makes a mix due (`mixing._PG_STORE_FUNCTION`);
#: off, it writes nothing then, and that submission takes the long way where Python mixes
#: (`bench.collect --python-mixer`, the baseline of the server's mixer)
SERVER_MIX = True


@contextmanager
def driver_errors(statement: str, connection=None):
    """psycopg's errors as SQLAlchemy raises them (the error pages know those), without parameters;
    the psycopg `connection` lost on the way, as SQLAlchemy marks it (the pages then say the
    database cannot be reached, whatever words libpq found for it)."""
    import psycopg  # the driver of a PostgreSQL database: loaded already where this runs

    try:
        yield
    except psycopg.Error as error:
        lost = connection is not None and (connection.broken or connection.closed)
        raise sa_exc.DBAPIError.instance(statement, None, error, psycopg.Error, hide_parameters=True,
                                         connection_invalidated=lost,
                                         dialect=db.session.get_bind().dialect) from error


@dataclass(frozen=True)
class _Put:
    """What `_put_postgresql` did: whether the code was there to burn (a public ballot: always),
    whether the ballot was stored (and committed), and whether the campaign was still open under
    the ballot's key. Usable, open and not stored: a mix is due and Python is to make it
    (`SERVER_MIX` off)."""
    usable: bool
    stored: bool
    open: bool


def _wire_step(stmt: "wire.Statement", params: dict) -> tuple:
    return stmt, [params[name] for name in stmt.param_names]


def _put_postgresql(campaign_id: int, group_id: int, code_hash: str | None, now: datetime, public_key: bytes,
                    sealed: bytes, receipt: str) -> _Put:
    """The code's row and the inbox writers' lock, then the server's store (the burn, the
    turnout tick and the envelope into the inbox or into a mix, unless the campaign is no
    longer open under `public_key`: `mixing._PG_STORE_FUNCTION`), the commit, and the flush
    that makes it durable, in one round trip (the flush's transaction is the implicit one that
    the round trip's sync commits), in a transaction of its own: what the request read before
    is committed first.

    The submission's commit does not wait for its WAL to reach the disk (`synchronous_commit`
    off for it), so the inbox writers' lock, which every submission waits for, is held while
    the statements run and not while the disk flushes. Then a second, empty transaction of the
    same connection commits synchronously: its commit flushes the WAL up to and past the
    submission's commit record, so when this returns the ballot, its burnt code and its
    turnout tick are on disk (WAL is written in order: a crash before that loses the whole
    submission, which nobody was told was stored; and any later commit that saw it carries it
    to the disk too). The flush waits alongside other workers' (PostgreSQL flushes them
    together), not behind the lock. (A mix's own commit waits for the disk whatever it is told:
    its TRUNCATE drops files.)"""
    # Nothing read through the session yet in this request (the campaign's state kept by this
    # process, `respond.operations.answering`): a connection of the pool (checked, as the
    # session's would be), without the session's bookkeeping around it.
    own = not db.session().in_transaction()
    if own:
        with driver_errors("connect"):  # the pool's errors, as the session would raise them
            fairy = db.engine.raw_connection()
    else:
        fairy = db.session.connection().connection
        if not wire.idle(fairy.driver_connection):
            # what this request read holds no lock while the submission waits for the inbox
            # writers' lock
            db.session.commit()
            fairy = db.session.connection().connection
    k = current_app.config["MIX_BATCH"]
    params = {"h": code_hash, "c": campaign_id, "g": group_id, "d": now.date(), "now": now, "pk": public_key,
              "k": mixing.LOCK_KEY, "i": random_id(), "s": sealed, "r": receipt,
              "due": mixing.threshold(k, postgres=True), "mix_k": k if SERVER_MIX else None}
    lock = _PG_LOCK_CODE if code_hash is not None else _PG_LOCK
    try:
        with driver_errors(_PG_STORE.text.decode(), fairy.driver_connection):
            # COMMIT as a statement, and the flush after it in the implicit transaction that the
            # round trip's sync commits
            _begin, locked, stored, _commit, _flush = wire.run(
                fairy.driver_connection,
                ["BEGIN", _wire_step(lock, params), _wire_step(_PG_STORE, params), _PG_COMMIT, _PG_FLUSH],
                fairy.info.setdefault("minping.prepared", set()))
    except sa_exc.DBAPIError as error:
        if own and error.connection_invalidated:  # `driver_errors` saw the server go away
            fairy.invalidate()  # the pool opens a new one next time
        raise
    finally:
        if own:
            fairy.close()  # back to the pool (rolled back there, if a step failed in a transaction)
    if not own:
        db.session.commit()  # SQLAlchemy's side of it: nothing is left to send
    usable = code_hash is None or len(locked) == 1
    burnt, put, ticked = (int(v) for v in stored[0][:3])
    mixed = stored[0][4] is not None
    # all written, or none; the store puts the envelope, or leaves it to its mix
    if burnt and (ticked != 1 or put + mixed != 1):
        log.error("a submission that burnt its code stored %d envelopes and %d turnout ticks", put, ticked)
    return _Put(usable=usable, stored=bool(burnt), open=stored[0][3] == b"t")


#: the box's public key (new at every opening, so never shared by two campaigns or two
#: databases) -> envelope size; targets, groups and questionnaire are fixed once open
_SIZES: dict[bytes, int] = {}


def envelope_size(campaign: Campaign) -> int:
    """The padded size of every envelope of the campaign: that of the largest ballot it allows.

    Every item answered, for every target, with its longest option (all options of a
    multiple choice), every comment at its maximum length (2 bytes a unit, whatever the
    characters: see `sealing`), under the longest group code, its ratings packed in the
    campaign's layout. Then an envelope's length says nothing of what it holds.

    Once a campaign holds an envelope, its length is the campaign's for good: a campaign
    that was open when ratings began to travel packed keeps the larger size of the
    envelopes it had received, so that no envelope's length tells on which side of the
    upgrade it was sealed.
    """
    key = campaign.public_key
    if key in _SIZES:
        return _SIZES[key]
    received = _received_size(campaign.id)
    if received is not None:
        _SIZES[key] = received
        return received
    return sealing.padded_size(_largest(campaign), _layout(campaign))


def _received_size(campaign_id: int) -> int | None:
    """The padded size of the campaign's envelopes received so far, or None before the first.

    It reads the inbox: a submission asks it only under the inbox writers' lock (`submit`)."""
    for model in (InboxEnvelope, Envelope):
        length = db.session.execute(select(func.length(model.sealed)).where(model.campaign_id == campaign_id)
                                    .limit(1)).scalar()
        if length is not None:
            return int(length) - sealing.SEAL_OVERHEAD
    return None


def _largest(campaign: Campaign) -> dict:
    """The largest ballot the campaign allows, as sealed (see `envelope_size`): a target-specific item
    only for its own target, so that the size follows the ragged layout."""
    q = campaign.questionnaire
    targets = [t.code for t in campaign.targets]
    scale = max((o.code for o in q.scale.options), key=len)
    largest = BallotContent()
    for item, target in asked(q, None, targets):  # what any group may be asked
        if item.type == "text":
            largest.comments.append((target, item.code, "字" * text_limit(item)))
        elif item.type == "rating":
            largest.answers.append((target, item.code, scale))
        elif item.type == "multiple":
            largest.answers.append((target, item.code, " ".join(o.code for o in item.options)))
        else:
            largest.answers.append((target, item.code, max((o.code for o in item.options), key=len)))
    group = max((g.code for g in campaign.groups), key=len, default="")
    return largest.to_envelope(campaign.questionnaire_version_id, group)


_LAYOUTS: dict[bytes, packing.Layout] = {}


def _layout(campaign: Campaign) -> packing.Layout:
    """The campaign's ballot layout, kept per key like its envelope size: its targets and its
    questionnaire version are fixed once it opens, which is when its key is made."""
    key = campaign.public_key
    if key not in _LAYOUTS:
        _LAYOUTS[key] = packing.campaign_layout(campaign)
    return _LAYOUTS[key]


def sealing_ready(public_key: bytes) -> bool:
    """Whether this process keeps the envelope size and layout of the box with this key: then
    `submit` needs nothing of the campaign but its id, state, key and questionnaire version."""
    return public_key in _SIZES and public_key in _LAYOUTS


def _seal(campaign: Campaign, group: RespondentGroup, content: BallotContent) -> bytes:
    return sealing.seal(campaign.public_key, content.to_envelope(campaign.questionnaire_version_id, group.code),
                        size=envelope_size(campaign), lay=_layout(campaign))


def submit(campaign: Campaign, group: RespondentGroup, content: BallotContent,
           code: str | None = None, now: datetime | None = None) -> str:
    """Seal one ballot into the inbox; burn the code in the same transaction. Returns the receipt.

    When the campaign would then have k envelopes waiting unmixed, that transaction mixes
    the inbox too (`mixing.admit`): no more than k - 1 ever share a submission's traces.
    """
    now = now or utcnow()
    if not campaign.accepts_ballots(now):
        raise CodeRefused("closed")
    # Sealed before any lock is taken, unless the envelope size is still to be read from the
    # inbox: a submission's transaction must not hold a lock on the inbox while it waits for
    # the inbox writers' lock (a mixer holding that one waits for it).
    sealed = _seal(campaign, group, content) if campaign.public_key in _SIZES else None
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if sealed is not None and PIPELINED and postgres:
        receipt = _submit_postgresql(campaign, group, sealed, code, now)
        if receipt is not None:
            return receipt
    try:
        if postgres:
            # As `_put_postgresql` does: the commit releases the inbox writers' lock without
            # waiting for the disk (every submission of the campaign waits for that lock, and a
            # mix holds it longest), and `_flush_wal` waits for it before the receipt is shown.
            db.session.execute(text(f"SELECT {_PG_ASYNC}"))
        # The code is burnt first, and the inbox's lock taken once its row is locked: a writer
        # holding the inbox's lock never waits for a code's row (PostgreSQL: in the burn's own
        # RETURNING clause, saving a round trip).
        if code is not None:
            normal = codes.normalise(code)
            if normal is None:
                burnt = False
            else:
                result = db.session.connection().execute(
                    _statements().burn, {"h": hash_code(normal), "c": campaign.id, "g": group.id})
                burnt = (len(result.all()) if result.returns_rows else result.rowcount) == 1
            if not burnt:
                db.session.rollback()
                find_code(code)  # says why
                raise CodeRefused("used")
        else:
            mixing.lock_inbox()
        if sealed is None:
            sealed = _seal(campaign, group, content)
        receipt = sealing.fingerprint(sealed)
        unmixed = _tick_turnout(campaign.id, group.id, now.date(), returning_unmixed=True)
        mixed = mixing.admit(campaign.id, group.id, sealed, receipt, unmixed)
        db.session.commit()
        if postgres:
            _flush_wal()
    except BaseException:
        db.session.rollback()
        raise
    if mixed:
        mixing.scrub_files(attempts=3, wait_ms=300)
    return receipt


def _flush_wal() -> None:
    """PostgreSQL: an empty transaction committed synchronously, which flushes the WAL up to and
    past every commit before it (a commit made without waiting for the disk included)."""
    db.session.execute(text(_PG_FLUSH))
    db.session.commit()


def _submit_postgresql(campaign: Campaign, group: RespondentGroup, sealed: bytes, code: str | None,
                       now: datetime) -> str | None:
    """`submit` on PostgreSQL once the envelope is sealed: the same writes, in the same order,
    sent with their commit and made durable in one round trip (`_put_postgresql`). Returns the
    receipt, or None when the ballot is still to be stored because a mix is due (nothing was
    written then: `submit` stores it in a transaction that mixes). Raises StateChanged when the
    campaign is no longer open under the key the ballot was sealed for (nothing was written)."""
    normal = codes.normalise(code) if code is not None else None
    if code is not None and normal is None:
        find_code(code)  # says why (malformed)
    receipt = sealing.fingerprint(sealed)
    try:
        done = _put_postgresql(campaign.id, group.id, hash_code(normal) if normal else None, now,
                               campaign.public_key, sealed, receipt)
    except BaseException:
        db.session.rollback()
        raise
    if done.stored:
        return receipt
    if not done.usable:
        find_code(code)  # says why
        raise CodeRefused("used")
    if not done.open:
        raise StateChanged()
    return None


def store_sealed(campaign: Campaign, group: RespondentGroup, content: BallotContent | None, day) -> None:
    """Put one ballot into the sealed box and tick turnout, in the caller's transaction.

    For paper sheets and imports, which have their own admission rules (see `paper`):
    no code, no window check, no commit; the caller calls `mixing.mix_if_due` after its
    commit. `content=None` ticks turnout only (a blank, spoiled or invalid sheet: it was
    handed in, and it is never scored).
    """
    mixing.lock_inbox()
    if content is not None:
        sealed = _seal(campaign, group, content)
        db.session.add(InboxEnvelope(campaign_id=campaign.id, group_id=group.id, sealed=sealed,
                                     receipt=sealing.fingerprint(sealed)))
    _tick_turnout(campaign.id, group.id, day)


def destroy_box(campaign: Campaign) -> None:
    """After the opened ballots are stored: no envelope and no key of the campaign remains.

    In the caller's transaction, just before its commit; `count` calls it, then
    `mixing.scrub_files()` after the commit.
    """
    mixing.destroy_box(campaign.id)


def count(campaign: Campaign, passphrases: "str | Mapping[int, str]",
          progress: Callable[[int, int], None] | None = None,
          sign: "Callable[[Campaign, dict[int, bytes], int], None] | None" = None) -> int:
    """Open every envelope of the campaign into plain ballots, in random order.

    `passphrases` are k counting officers' (officer position -> passphrase; a bare string
    for a panel of k = 1). Raises `keys.TooFewOfficers`, WrongPassphrase (a
    `keys.WrongOfficerPassphrase` naming the officer), KeyDestroyed or CountRunning; nothing
    is opened or counted then (on a wrong passphrase, paper envelopes entered after closing
    may have been mixed into the box, where the next count finds them). Returns the number of envelopes opened. The envelopes still in the inbox
    are mixed in first, as the box's last batch; they are opened in chunks (in a process
    pool when there are many, see `counting`) in an order drawn at random, and stored as
    they come, with fresh ids, by bulk inserts in one transaction; with them the envelopes, the key
    and the officers' shares are destroyed (`destroy_box`): a failure anywhere leaves
    nothing counted and the box as it was.
    `progress(done, total)` is called as envelopes are opened and ballots stored.
    `sign(campaign, seeds, k)` is called in the counting transaction once the ballots are
    stored and `counted_at` set, before the officers' shares and signing seeds are
    destroyed: the k officers' seeds (position -> Ed25519 seed; empty for a box sealed
    before signing) sign the results there (`results.signatures.sign_counted`); if it
    raises, nothing is counted.
    """
    passphrases = keys.as_positions(campaign, passphrases)
    campaign_id = campaign.id
    # The workers start (`counting.Openers`) and the box is listed while the officers'
    # passphrases are derived, in a thread (argon2id leaves Python's lock free): the key is
    # needed only once the first chunk is handed out. A wrong passphrase or too few of them
    # end the run before anything is opened; the inbox, if closing left any paper
    # envelopes in it, is then mixed into the box, where the next count finds them.
    panel = keys.load_panel(campaign)
    with counting.Openers(packing.campaign_layout(campaign), expected=_received(campaign_id)) as openers, \
            ThreadPoolExecutor(max_workers=1) as unlocking:
        unlocked = unlocking.submit(keys.unlock, panel, passphrases)
        # Who took part, for the audit log (names and positions, never a passphrase).
        officers = keys.took_part(campaign, passphrases)
        counting.start_run(campaign_id)
        try:
            total = _count(campaign, lambda: _unlocked(unlocked, unlocking), officers, progress, openers,
                           lambda seeds: sign(campaign, seeds, panel.threshold) if sign else None)
        except BaseException:
            db.session.rollback()
            counting.end_run(campaign_id)
            raise
    # Counted. On SQLite the run stays recorded until the file is rebuilt without the box's
    # pages (`mixing.empty_box`); if readers or a writer keep it from that now, the next
    # mix's scrub rebuilds it and ends the run.
    if mixing.scrub_files():
        counting.end_run(campaign_id)
    if progress:
        progress(2 * total, 2 * total)
    return total


def _unlocked(unlocked: Future, unlocking: ThreadPoolExecutor) -> keys.Unlocked:
    """The private key and signing seeds once derived; the thread is gone then (a pool started later forks)."""
    try:
        return unlocked.result()
    finally:
        unlocking.shutdown(wait=True)


def _received(campaign_id: int) -> int:
    """Ballots received by the campaign (turnout): at least as many as its envelopes."""
    return int(db.session.execute(select(func.coalesce(func.sum(TurnoutDay.count), 0))
                                  .where(TurnoutDay.campaign_id == campaign_id)).scalar_one())


def _count(campaign: Campaign, unlock: Callable, officers: list[dict], progress, openers: counting.Openers,
           sign: Callable[[dict], None]) -> int:
    config = current_app.config
    campaign_id = campaign.id
    mixing.mix(final=campaign_id)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if not postgres:  # the counting transaction's connection (it keeps the map when it goes back to the pool)
        counting.map_file(db.session.connection().exec_driver_sql)
    ids = counting.box_ids(campaign_id)
    total = len(ids)
    counting.report_progress(campaign_id, 0, total=total)
    targets = {t.code: t.id for t in campaign.targets}
    groups = {g.code: g.id for g in campaign.groups}
    chunk = max(int(config.get("COUNT_CHUNK", 4000)), 1)
    workers = max(int(config.get("COUNT_WORKERS", 2)), 1)
    # Chunks small enough that every worker has several (and the first and last ones, which
    # nobody overlaps, are short), large enough to cost little.
    reading = min(max(min(chunk, -(-total // (8 * workers))), 250), 10000)
    # Ballots are stored as their chunk comes in, while the workers open the next ones; the
    # chunks are random parts of the box (`counting.open_box`) shuffled here, so no mapping
    # back is kept. PostgreSQL records progress from other connections meanwhile. SQLite has
    # one writer: while the counting transaction writes, no other connection can record
    # progress, so it starts writing once half the envelopes are opened, says "storing" once,
    # beforehand, and then empties the box (`mixing.empty_box`) while the workers open the
    # rest from the last commit, which their connections still see.
    # The receipts are listed from the box in SQL, sorted, as the counting transaction
    # starts writing (PostgreSQL: while the workers open their first chunks; SQLite: before
    # it empties the box).
    writing = postgres
    early_empty = not postgres and counting.pooled(total)
    ballot_rows, comment_rows = [], []
    opened = stored = 0
    batch = min(chunk, reading)  # rows per bulk write: a chunk's as it comes in

    def flush(everything: bool) -> int:
        """Store the ballots held, `batch` at a time (all of them when `everything`).

        Each batch is written in the order of its fresh ids: they are independent random
        draws, so that order is as random as the shuffled one, and inserting into the ids'
        B-trees in key order costs less (SQLite, 200,000 ballots: 2.3 s against 3.8 s)."""
        done = 0
        while len(ballot_rows) >= batch or (everything and (ballot_rows or comment_rows)):
            done += _store(sorted(ballot_rows[:batch]), sorted(comment_rows))
            del ballot_rows[:batch]
            comment_rows.clear()
        return done

    listed = False

    def list_receipts() -> None:
        """Once, whichever of the places below comes first."""
        nonlocal listed
        if not listed:
            _list_receipts(campaign_id)
            listed = True

    unlocked = unlock()
    for part in counting.open_box(openers, unlocked.private, campaign_id, ids, reading,
                                  meanwhile=list_receipts if writing else None):
        counting.shuffle(part)
        opened += len(part)
        fresh = iter(random_ids(len(part) + sum(len(p[4]) for p in part)))
        for group_code, version, ratings, choices, comments in part:
            group_id = groups[group_code]
            ballot_rows.append((next(fresh), campaign_id, group_id, version, ratings, choices))
            comment_rows += [(next(fresh), campaign_id, group_id, targets.get(t) if t else None, item, text,
                              "pending") for t, item, text in comments]
        if not writing:
            counting.report_progress(campaign_id, opened)
            if early_empty and 2 * opened >= total:
                counting.report_progress(campaign_id, 0, phase="storing")
                writing = True
                list_receipts()
                if mixing.empty_box(campaign_id, expected=total) != total:
                    raise mixing.BoxNotEmptied()
        if writing:
            stored += flush(everything=False)
            if postgres:
                counting.report_progress(campaign_id, opened)
        if progress:
            progress(opened + stored, 2 * total)
    if not writing:
        counting.report_progress(campaign_id, 0, phase="storing")
    list_receipts()
    stored += flush(everything=True)
    if postgres:
        counting.report_progress(campaign_id, stored, phase="storing")
    if progress:
        progress(opened + stored, 2 * total)
    if not early_empty and db.session.execute(select(func.count()).select_from(Envelope)
                                              .where(Envelope.campaign_id == campaign_id)).scalar_one() != total:
        raise mixing.BoxNotEmptied()
    campaign.counted_at = utcnow()
    db.session.flush()
    sign(unlocked.seeds)
    audit.record("campaign.count", f"campaign:{campaign_id}", campaign=campaign.code, envelopes=total,
                 officers=officers, results_sha256=campaign.results_sha256)
    db.session.flush()
    destroy_box(campaign)
    db.session.commit()
    return total


def _list_receipts(campaign_id: int) -> None:
    """The receipts of the campaign's envelopes in the box, written in their sorted order
    (so that their storage says nothing of the order ballots were opened or stored), in
    the counting transaction; those already listed are left as they are."""
    listed = select(Receipt.fingerprint).where(Receipt.campaign_id == campaign_id)
    receipts = (select(Envelope.campaign_id, Envelope.receipt)
                .where(Envelope.campaign_id == campaign_id, Envelope.receipt.not_in(listed))
                .order_by(Envelope.receipt))
    db.session.execute(insert(Receipt).from_select(["campaign_id", "fingerprint"], receipts))


_BALLOT_COLUMNS = ("id", "campaign_id", "group_id", "questionnaire_version_id", "ratings", "choices")
_COMMENT_COLUMNS = ("id", "campaign_id", "group_id", "target_id", "item_code", "text", "status")


def _store(ballot_rows: list[tuple], comment_rows: list[tuple]) -> int:
    """Bulk writes in the counting transaction, in list order (rows as in _BALLOT_COLUMNS, _COMMENT_COLUMNS)."""
    _bulk_write("ballots", _BALLOT_COLUMNS, ballot_rows)
    _bulk_write("comments", _COMMENT_COLUMNS, comment_rows)
    return len(ballot_rows)


#: The binary COPY's type of a column, by its SQLAlchemy type (varchar and text travel alike)
_COPY_TYPES = {sa_types.BigInteger: "int8", sa_types.SmallInteger: "int2", sa_types.Integer: "int4",
               sa_types.String: "text", sa_types.LargeBinary: "bytea"}


def _copy_types(table: str, columns: tuple[str, ...]) -> list[str]:
    kinds = [db.metadata.tables[table].c[name].type for name in columns]
    return [next(pg for base, pg in _COPY_TYPES.items() if isinstance(kind, base)) for kind in kinds]


def _bulk_write(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Rows appended in list order through the session's connection (so in its transaction):
    COPY on PostgreSQL, in the binary format (the server parses a third less than the text
    one, which spells bytes in hex), one prepared INSERT run for every row (executemany) on SQLite."""
    if not rows:
        return
    connection = db.session.connection()
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(_copy_types(table, columns))
                for row in rows:
                    copy.write_row(row)
    else:
        connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)



@dataclass
class GroupTurnout:
    """A group's turnout: ballots received against the people expected to answer, each counted once.

    `RespondentGroup.expected` is the number of people in the group expected to answer,
    however they answer (access code, public link or paper sheet); it is never added to the
    codes issued or the sheets printed, which are ways of reaching the same people. Where it is
    not set (0), what could come in stands for it: the codes still valid plus the paper sheets
    printed; a public link without a number has no turnout rate.
    """
    group: RespondentGroup
    #: ballots received (envelopes sealed, counted or not; paper ballots keyed included)
    received: int
    codes_issued: int
    codes_used: int
    codes_revoked: int
    #: paper sheets numbered for the group
    sheets_printed: int = 0

    @property
    def basis(self) -> str | None:
        """"set" (the group's own number), "issued" (codes and sheets stand for it) or None."""
        if self.group.expected:
            return "set"
        return "issued" if self.codes_issued - self.codes_revoked + self.sheets_printed > 0 else None

    @property
    def expected(self) -> int:
        if self.group.expected:
            return self.group.expected
        return self.codes_issued - self.codes_revoked + self.sheets_printed

    @property
    def rate(self) -> float | None:
        return self.received / self.expected if self.expected else None


@functools.cache
def _turnout_statements() -> tuple:
    """(built once: the dashboard reads the turnout on every view)"""
    campaign_id = bindparam("campaign_id")
    return (select(TurnoutDay.group_id, func.sum(TurnoutDay.count))
            .where(TurnoutDay.campaign_id == campaign_id).group_by(TurnoutDay.group_id),
            select(AccessCode.group_id, AccessCode.state, func.count())
            .where(AccessCode.campaign_id == campaign_id).group_by(AccessCode.group_id, AccessCode.state),
            select(PaperSheet.group_id, func.count()).where(PaperSheet.campaign_id == campaign_id)
            .group_by(PaperSheet.group_id))


def turnout(campaign: Campaign) -> list[GroupTurnout]:
    days, codes_by_state, sheets_by_group = _turnout_statements()
    values = {"campaign_id": campaign.id}
    received = dict(db.session.execute(days, values).all())
    by_state: dict[int, dict[str, int]] = {}
    for group_id, state, n in db.session.execute(codes_by_state, values):
        by_state.setdefault(group_id, {})[state] = n
    sheets = dict(db.session.execute(sheets_by_group, values).all())
    rows = []
    for group in campaign.groups:
        states = by_state.get(group.id, {})
        rows.append(GroupTurnout(group, int(received.get(group.id) or 0), sum(states.values()),
                                 states.get("used", 0), states.get("revoked", 0), int(sheets.get(group.id) or 0)))
    return rows


def turnout_by_day(campaign: Campaign) -> list[tuple]:
    """(day, group id, ballots) rows, oldest day first."""
    return list(db.session.execute(
        select(TurnoutDay.day, TurnoutDay.group_id, TurnoutDay.count)
        .where(TurnoutDay.campaign_id == campaign.id).order_by(TurnoutDay.day)).all())
