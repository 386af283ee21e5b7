"""Anonymity in the files: what someone holding a copy of the database reads, page by page.

A few hundred ballots go in through the real app in a known order; the test then reads what
an attacker reads — the SQLite main file (B-tree cells, overflow pages, free pages) and its
raw -wal file, or PostgreSQL's system columns and raw heap pages (`pageinspect`, dead tuples
and free space included) — and checks that no burnt code can be narrowed to fewer than k
envelopes before counting, and that nothing of any envelope or of the key survives counting,
not even in a backup.
"""
import re
import secrets
import subprocess
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select, text

from survey_app import backup as backups
from survey_app.admin.operations import close_campaign
from survey_app.ballots import operations as ballots
from survey_app.ballots import sealing
from survey_app.ballots.validation import field_name
from survey_app.extensions import db
from survey_app.models import AccessCode, Campaign, CountingOfficer, CountingPanel, Envelope, InboxEnvelope

from tests.web.helpers import PASSPHRASE

K = 20
N = 240

pytestmark = pytest.mark.parametrize("app", [{"MIX_BATCH": K}], indirect=True)

#: What the README states: at any moment, at most k - 1 envelopes can be paired with their codes.
PAIRABLE_AT_MOST = K - 1


# --- a small reader of the SQLite file format (https://www.sqlite.org/fileformat2.html) ------

def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = 0
    for j in range(8):
        byte = buf[i + j]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, i + j + 1
    return (value << 8) | buf[i + 8], i + 9


class SqliteFile:
    def __init__(self, data: bytes):
        self.data = data
        self.page_size = int.from_bytes(data[16:18], "big") or 65536
        self.usable = self.page_size - data[20]

    def page(self, number: int) -> bytes:
        return self.data[(number - 1) * self.page_size:number * self.page_size]

    def free_pages(self) -> tuple[list[int], list[int]]:
        """The freelist: (trunk pages, which list the others; leaf pages, unused)."""
        trunks, leaves, trunk = [], [], int.from_bytes(self.data[32:36], "big")
        while trunk:
            page = self.page(trunk)
            trunks.append(trunk)
            leaves += [int.from_bytes(page[8 + 4 * i:12 + 4 * i], "big")
                       for i in range(int.from_bytes(page[4:8], "big"))]
            trunk = int.from_bytes(page[0:4], "big")
        return trunks, leaves

    def _local(self, kind: int, size: int) -> int:
        u = self.usable
        x = u - 35 if kind == 13 else (u - 12) * 64 // 255 - 23
        m = (u - 12) * 32 // 255 - 23
        if size <= x:
            return size
        k = m + (size - m) % (u - 4)
        return k if k <= x else m

    def entries(self, root: int):
        """(local payload, first overflow page or 0, where) of every entry of the B-tree at
        `root`; `where` orders cells as they were written: their first overflow page when
        they have one, else their page and, within it, their offset from its end (a page's
        cells are placed from its end on)."""
        stack = [root]
        while stack:
            number = stack.pop()
            page = self.page(number)
            at = 100 if number == 1 else 0
            kind, cells = page[at], int.from_bytes(page[at + 3:at + 5], "big")
            interior = kind in (2, 5)
            header = 12 if interior else 8
            if interior:
                stack.append(int.from_bytes(page[at + 8:at + 12], "big"))
            for c in range(cells):
                i = int.from_bytes(page[at + header + 2 * c:at + header + 2 * c + 2], "big")
                if interior:
                    stack.append(int.from_bytes(page[i:i + 4], "big"))
                    i += 4
                    if kind == 5:  # table interior cells hold only a rowid
                        continue
                start = i
                size, i = _varint(page, i)
                if kind == 13:
                    _rowid, i = _varint(page, i)
                local = self._local(kind, size)
                overflow = int.from_bytes(page[i + local:i + local + 4], "big") if local < size else 0
                yield page[i:i + local], overflow, (overflow, 0) if overflow else (number, -start)


def wal_commits(data: bytes) -> list[list[tuple[int, bytes]]]:
    """Every frame of a -wal file, stale ones too, grouped by commit: [(page number, page)]."""
    if len(data) < 32:
        return []
    page_size = int.from_bytes(data[8:12], "big")
    commits, current, at = [], [], 32
    while at + 24 + page_size <= len(data):
        number, commit = int.from_bytes(data[at:at + 4], "big"), int.from_bytes(data[at + 4:at + 8], "big")
        current.append((number, data[at + 24:at + 24 + page_size]))
        if commit:
            commits.append(current)
            current = []
        at += 24 + page_size
    return commits + ([current] if current else [])


# --- helpers -----------------------------------------------------------------------------------

def slices(sealed: bytes) -> list[bytes]:
    """Distinctive pieces spread over an envelope: random bytes, never found by chance."""
    return [sealed[o:o + 16] for o in range(0, len(sealed) - 16, 997)] + [sealed[-16:]]


def found(blob: bytes, envelopes: dict[bytes, int]) -> set[int]:
    return {i for sealed, i in envelopes.items() if any(s in blob for s in slices(sealed))}


def found_heads(blob: bytes, heads: set[bytes]) -> set[bytes]:
    return {h for h in heads if h in blob}


def spearman(x, y) -> float:
    rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
    return float(np.corrcoef(rx, ry)[0, 1])


def assert_unrelated(storage_rank, submission_rank, what: str):
    """Permutation test: the observed rank correlation lies well inside its null distribution."""
    observed = spearman(storage_rank, submission_rank)
    rng = np.random.default_rng(12345)
    null = np.array([spearman(storage_rank, rng.permutation(submission_rank)) for _ in range(2000)])
    print(f"{what}: rank correlation {observed:+.3f}, permutation p = {np.mean(np.abs(null) >= abs(observed)):.2f}")
    # 5 standard deviations of the permutation distribution: a false alarm about once in
    # three million runs, while storage in submission order gives a correlation of 1.
    assert abs(observed) < 5 * null.std(), f"{what}: rank correlation {observed:.3f} (null sd {null.std():.3f})"


def within_batches(batches: dict, physical: dict) -> tuple[list, list]:
    """Submission and physical ranks inside each batch, pooled (order between batches is known)."""
    xs, ys = [], []
    for members in batches.values():
        members = sorted(members)
        by_physical = sorted(members, key=lambda e: physical[e])
        xs += [members.index(e) / len(members) for e in by_physical]
        ys += [by_physical.index(e) / len(members) for e in by_physical]
    return xs, ys


def encode(full, q, targets, i):
    """Form data whose first ratings spell the submission position i in base len(options)."""
    options = [o.code for o in q.scale.options if o.points is not None]
    items = [item for item in q.rating_items() if item.per_target][:6]
    for item in items:
        full[field_name(item.code, targets[0])] = options[i % len(options)]
        i //= len(options)
    return full


def decode(answers: dict, q, target, n_options) -> int:
    options = [o.code for o in q.scale.options if o.points is not None]
    items = [item for item in q.rating_items() if item.per_target][:6]
    value = 0
    for item in reversed(items):
        value = value * n_options + options.index(answers[(target, item.code)])
    return value


class Scenario:
    """N ballots submitted over the app in a known order, watched after every submission."""

    def __init__(self, app, campaign_id, full_answers, watch):
        self.app, self.campaign_id = app, campaign_id
        with app.app_context():
            campaign = db.session.get(Campaign, campaign_id)
            self.q = campaign.questionnaire_version.parsed
            self.targets = [t.code for t in campaign.targets]
            self.codes = ballots.issue_codes(campaign, campaign.group("staff"), N)
            self.code_hashes = [ballots.hash_code(c).encode() for c in self.codes]
        self.receipts: list[str] = []
        self.box_seen: dict[str, int] = {}      # box envelope id -> batch number (observed growth)
        self.batches: dict[int, set] = {}       # batch number -> receipts
        base = full_answers(self.app, campaign_id, "staff")
        comment = next(k for k in base if k.startswith("t.") and k.endswith(".q14")) if any(
            k.endswith(".q14") for k in base) else None
        for i, code in enumerate(self.codes):
            data = encode(dict(base), self.q, self.targets, i)
            if comment and i % 3 == 0:  # some comments, of varying length
                data[comment] = "意见" * (i % 40 + 1)
            client = app.test_client()
            assert client.post("/answer", data={"code": code}).status_code == 302
            assert client.post("/answer/questionnaire", data={**data, "action": "submit"}).status_code == 302
            page = client.get("/answer/done").get_data(as_text=True)
            self.receipts.append(re.search(r'class="receipt">([0-9A-F-]{19})<', page).group(1))
            self._observe_box()
            watch(self, i)

    def _observe_box(self):
        with self.app.app_context():
            rows = db.session.execute(select(Envelope.id, Envelope.sealed)).all()
        new = [(eid, sealing.fingerprint(sealed)) for eid, sealed in rows if eid not in self.box_seen]
        if new:
            number = len(self.batches)
            self.batches[number] = {self.receipts.index(r) for _eid, r in new}
            self.box_seen.update({eid: number for eid, _r in new})

    def close(self):
        with self.app.app_context():
            close_campaign(db.session.get(Campaign, self.campaign_id))
        self._observe_box()

    def box(self) -> dict[bytes, int]:
        """Every sealed envelope (box and inbox) -> its submission position."""
        with self.app.app_context():
            sealed = list(db.session.execute(select(Envelope.sealed)).scalars())
            sealed += list(db.session.execute(select(InboxEnvelope.sealed)).scalars())
        return {s: self.receipts.index(sealing.fingerprint(s)) for s in sealed}

    def keys(self) -> list[bytes]:
        with self.app.app_context():
            panel = db.session.get(CountingPanel, self.campaign_id)
            officer = db.session.get(CountingOfficer, (self.campaign_id, 1))
            return [panel.sealed_private_key, officer.sealed_share, officer.kdf_salt]

    def count_and_back_up(self, out: Path) -> None:
        with self.app.app_context():
            assert ballots.count(db.session.get(Campaign, self.campaign_id), PASSPHRASE) == N
            backups.backup(out)

    def opened_in_storage_order(self, order_by: str) -> list[int]:
        """The submission position of every opened ballot, in the order the database stores them."""
        from survey_app.ballots import packing
        from survey_app.ballots.packing import campaign_layout
        with self.app.app_context():
            lay = campaign_layout(db.session.get(Campaign, self.campaign_id))
            rows = db.session.execute(text(
                f"SELECT b.id, b.ratings, b.choices FROM ballots b ORDER BY {order_by}")).all()
        per_ballot: dict[str, dict] = {}
        for ballot_id, ratings, choices in rows:
            for target, item, option in packing.unpack(lay, bytes(ratings), choices):
                if target == self.targets[0]:
                    per_ballot.setdefault(ballot_id, {})[(target, item)] = option
        n_options = len([o for o in self.q.scale.options if o.points is not None])
        return [decode(answers, self.q, self.targets[0], n_options) for answers in per_ballot.values()]


def check_batches(scenario: Scenario):
    sizes = sorted(len(b) for b in scenario.batches.values())
    print(f"{len(sizes)} batches of {sizes[0]}-{sizes[-1]} envelopes")
    assert sum(sizes) == N and sizes[0] >= K, f"batch sizes {sizes}"
    assert len(sizes) >= N // (2 * K), "the mixer ran while ballots came in"


# --- SQLite ------------------------------------------------------------------------------------

def test_sqlite_files_link_no_code_to_fewer_than_k_envelopes_and_keep_nothing_after_counting(
        app, backend, campaign_id, full_answers, tmp_path, monkeypatch):
    if backend != "sqlite":
        pytest.skip("the SQLite file format")
    from survey_app.ballots import mixing
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    wal = Path(str(path) + "-wal")
    linkable_seen, at_mix = [], []
    current = {}

    def linked_now() -> int:
        """Replay the WAL as an attacker: a commit that writes an access-code page and newly
        shows an envelope pairs that code with that envelope."""
        with app.app_context():
            sealed = list(db.session.execute(select(InboxEnvelope.sealed)).scalars())
            sealed += list(db.session.execute(select(Envelope.sealed)).scalars())
            db.session.rollback()
        heads = {s[:16] for s in sealed}
        # Envelopes already in the main file are not new, whichever page a B-tree balance moves them to.
        known = found_heads(path.read_bytes(), heads)
        linked = set()
        for commit in wal_commits(wal.read_bytes() if wal.exists() else b""):
            touches_codes = any(any(h in page for h in current["hashes"]) for _n, page in commit)
            new = found_heads(b"".join(page for _n, page in commit), heads) - known
            known |= new
            if touches_codes:
                linked |= new
        return len(linked)

    real_scrub = mixing.scrub_files

    def scrub_watched(*args, **kwargs):
        """The moment the bound is tightest: a mix is committed, its checkpoint not yet run."""
        at_mix.append(linked_now())
        return real_scrub(*args, **kwargs)

    monkeypatch.setattr(mixing, "scrub_files", scrub_watched)

    def watch(scenario, i):
        current["hashes"] = scenario.code_hashes
        linkable_seen.append(linked_now())

    scenario = Scenario(app, campaign_id, full_answers, watch)
    print(f"at most {max(linkable_seen)} envelopes pairable with a code through the WAL after a submission, "
          f"{max(at_mix)} at a mix before its checkpoint")
    # Only envelopes that arrived since the last mix can be paired with a code: never more than stated.
    assert max(linkable_seen + at_mix) == PAIRABLE_AT_MOST, (linkable_seen, at_mix)
    scenario.close()
    check_batches(scenario)
    envelopes = scenario.box()
    assert len(envelopes) == N and len({len(s) for s in envelopes}) == 1
    print(f"every envelope {len(next(iter(envelopes)))} bytes")
    wal_bytes = wal.read_bytes() if wal.exists() else b""
    assert not found(wal_bytes, envelopes), "the WAL holds no envelope once mixed"

    # Physical order of the box: cells in the order they were written (`SqliteFile.entries`).
    main = SqliteFile(path.read_bytes())
    with app.app_context():
        root = db.session.execute(text("SELECT rootpage FROM sqlite_master WHERE name = 'envelopes'")).scalar_one()
    by_head = {s[:16]: i for s, i in envelopes.items()}
    written = {}
    for local, _first, where in main.entries(root):
        hit = [i for head, i in by_head.items() if head in local]
        assert len(hit) == 1, "every box cell is one envelope"
        written[hit[0]] = where
    assert len(written) == N
    assert_unrelated(*within_batches(scenario.batches, written), what="box cells within a batch")
    # The box is a rowid table (migration 0006): its rowids are its insertion order, the mixer's.
    with app.app_context():
        rowids = {by_head[bytes(s)[:16]]: r for r, s in db.session.execute(text("SELECT rowid, sealed FROM envelopes"))}
    assert len(rowids) == N
    assert_unrelated(*within_batches(scenario.batches, rowids), what="box rowids within a batch")
    # Every envelope is in the file exactly once: no copy left by the inbox in free pages,
    # freeblocks or unused space, and the free pages are zeroed.
    data = main.data
    assert all(data.count(s[:16]) == 1 and data.count(s[-16:]) == 1 for s in envelopes)
    trunks, leaves = main.free_pages()
    print(f"{len(trunks) + len(leaves)} free pages")
    assert all(not main.page(p).strip(b"\0") for p in leaves), "free pages are zeroed"
    assert not found(b"".join(main.page(p) for p in trunks + leaves), envelopes)

    keys = scenario.keys()
    out = tmp_path / "after-count.sqlite3"
    scenario.count_and_back_up(out)
    for name, blob in (("main file", path.read_bytes()), ("WAL", wal.read_bytes() if wal.exists() else b""),
                       ("backup", out.read_bytes())):
        assert not found(blob, envelopes), f"an envelope survives counting in the {name}"
        assert not any(k in blob for k in keys), f"the box's key survives counting in the {name}"
    assert_unrelated(list(range(N)), scenario.opened_in_storage_order("b.id"), what="opened ballots")


# --- PostgreSQL --------------------------------------------------------------------------------

def _raw_pages(conn) -> bytes:
    """Every page of every relation of the application (heap, TOAST, indexes), dead tuples
    and free space included, as a DBA reading the data directory would see them."""
    relations = conn.execute(text(
        "SELECT c.oid::regclass::text, pg_relation_size(c.oid) / current_setting('block_size')::int "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 't', 'i', 'm') AND n.nspname IN ('public', 'pg_toast')")).all()
    return b"".join(bytes(conn.execute(text("SELECT get_raw_page(:r, :b)"), {"r": name, "b": block}).scalar())
                    for name, blocks in relations for block in range(blocks))


def pairable_through_xmin(session, k: int = K) -> int:
    """Envelopes (inbox or box) that a burnt code's `xmin` narrows to fewer than K: the
    submission's transaction wrote the code and fewer than K envelopes (a mixing submission
    writes its code with the whole mix)."""
    return session.execute(text(
        "WITH e AS (SELECT xmin FROM envelope_inbox UNION ALL SELECT xmin FROM envelopes), "
        "classes AS (SELECT xmin::text AS x, count(*) AS n FROM e GROUP BY xmin::text) "
        "SELECT coalesce(sum(c.n), 0) FROM classes c WHERE c.n < :k "
        "AND c.x IN (SELECT xmin::text FROM access_codes WHERE state = 'used')"), {"k": k}).scalar_one()


def test_postgresql_files_link_no_code_to_fewer_than_k_envelopes_and_keep_nothing_after_counting(
        app, backend, campaign_id, full_answers, tmp_path):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's system columns and pages")
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
    linkable_seen = []

    def watch(scenario, i):
        with app.app_context():
            linked = pairable_through_xmin(db.session)
            db.session.rollback()
        linkable_seen.append(linked)
        assert linked <= PAIRABLE_AT_MOST, (i, linked)

    scenario = Scenario(app, campaign_id, full_answers, watch)
    assert max(linkable_seen) == PAIRABLE_AT_MOST, "the xmin join sees the fresh envelopes beside their codes"
    print(f"at most {max(linkable_seen)} envelopes pairable with a code through xmin")
    scenario.close()
    check_batches(scenario)
    envelopes = scenario.box()
    assert len(envelopes) == N and len({len(s) for s in envelopes}) == 1
    with app.app_context():
        rows = db.session.execute(text("SELECT xmin::text::bigint, ctid::text, sealed FROM envelopes")).all()
        used = db.session.execute(select(text("xmin::text::bigint")).select_from(AccessCode)
                                  .where(AccessCode.state == "used")).scalars().all()
        db.session.rollback()
    classes: dict[int, set] = {}
    for xmin, _ctid, sealed in rows:
        classes.setdefault(xmin, set()).add(envelopes[bytes(sealed)])
    assert sorted(map(frozenset, classes.values()), key=min) == sorted(
        map(frozenset, scenario.batches.values()), key=min), "xmin shows the batches and nothing finer"
    assert min(len(c) for c in classes.values()) >= K
    # A code used in transaction x can only be in a batch mixed by x or after it: at least k candidates.
    for x in used:
        assert sum(len(c) for m, c in classes.items() if m >= x) >= K
    ctid = {envelopes[bytes(s)]: tuple(map(int, c.strip("()").split(","))) for _x, c, s in rows}
    assert_unrelated(*within_batches(scenario.batches, ctid), what="box ctid within a batch")

    with app.app_context(), db.engine.connect() as conn:
        pages = _raw_pages(conn)
    for s in envelopes:  # exactly one copy: no dead tuple of the inbox or the box anywhere
        assert pages.count(s[:16]) == 1 and pages.count(s[-16:]) == 1

    keys = scenario.keys()
    out = tmp_path / "after-count.dump"
    scenario.count_and_back_up(out)
    with app.app_context(), db.engine.connect() as conn:
        pages = _raw_pages(conn)
        partitions = conn.execute(text("SELECT count(*) FROM pg_class WHERE relname LIKE 'envelopes_c%'")).scalar()
    assert not found(pages, envelopes), "an envelope survives counting in a page"
    assert not any(k in pages for k in keys), "the box's key survives counting in a page"
    assert partitions == 0, "the campaign's partition of the box is dropped"
    with app.app_context():
        pg_restore = backups.check_pg_tool("pg_restore")
    dump = subprocess.run([pg_restore, "-f", "-", str(out)], capture_output=True, check=True).stdout
    hexed = {s.hex().encode() for sealed in envelopes for s in slices(sealed)}
    assert not any(h in dump for h in hexed), "a backup made after counting holds an envelope"
    assert not any(k.hex().encode() in dump for k in keys)
    assert_unrelated(list(range(N)), scenario.opened_in_storage_order("b.ctid"), what="opened ballots")


def test_sqlite_a_rebuild_kept_waiting_after_counting_is_done_by_the_next_mix(app, backend, make_campaign, monkeypatch):
    """Counting deletes the box without zeroing it and rebuilds the file after its commit; a
    writer holding the file then leaves the counting run recorded, and the next mix rebuilds."""
    if backend != "sqlite":
        pytest.skip("the SQLite file format")
    import sqlite3

    from survey_app.ballots import mixing
    from survey_app.models import CountingRun
    from tests.web.ballots.test_counting import submit_random
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    wal = Path(str(path) + "-wal")
    files = lambda: path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")  # noqa: E731
    cid = make_campaign(code="rebuild", min_group_size=1)
    submit_random(app, cid, 12)
    with app.app_context():
        mixing.mix(final=cid)
        assert mixing.scrub_files()
        envelopes = {s: i for i, s in enumerate(db.session.execute(select(Envelope.sealed)).scalars())}
    assert len(envelopes) == 12 and found(files(), envelopes) == set(range(12)), "the reader sees the box"
    real = mixing.scrub_files

    def kept_waiting(*args, **kwargs):
        side = sqlite3.connect(path)
        side.execute("BEGIN IMMEDIATE")  # another writer holds the file for longer than the scrub waits
        try:
            return real(attempts=1, wait_ms=50)
        finally:
            side.rollback()
            side.close()

    monkeypatch.setattr(mixing, "scrub_files", kept_waiting)
    with app.app_context():
        assert ballots.count(db.session.get(Campaign, cid), PASSPHRASE) == 12
        assert db.session.get(Campaign, cid).counted_at is not None
        assert db.session.get(CountingRun, cid) is not None, "the run stays until the file is rebuilt"
    assert found(files(), envelopes), "the freed pages of the box wait for the rebuild"
    monkeypatch.setattr(mixing, "scrub_files", real)
    with app.app_context():
        assert mixing.mix() == 0  # nothing to mix: it rebuilds the file all the same
        assert db.session.get(CountingRun, cid) is None
    assert not found(files(), envelopes), "no envelope survives the rebuild"
