"""Benchmark of the PostgreSQL mixer: the CPU a mix costs the worker and PostgreSQL, three ways side by side.

    python -m bench.mixing --database-url postgresql://postgres@127.0.0.1:5432/test
    python -m bench.mixing --mixes 100 --k 20 --size 12288

A mix as a submission runs it (`mixing.admit` when its envelope is the k-th waiting unmixed):
the inbox holds k envelopes kept back by the last mix and k - 1 new ones, the arriving
envelope makes k unmixed, and the mix moves k into the box and writes k back. Each mix runs
in a transaction of its own, which takes the inbox writers' lock (untimed: a submission takes
it anyway) and commits (timed); the k - 1 new envelopes are put before it, untimed. The two
ways alternate, mix by mix, so that both see the same load (`--only` runs one, to profile it):

- old: every inbox envelope read into Python with its bytes (text-format bytea, hex), the
  batch COPYed into the box, the inbox truncated and the rest COPYed back (the mixer up to
  7 Dec 2026, kept here as the baseline);
- new: `mixing._mix` (ids read, the box written by the server in the shuffled order, only
  the kept-back envelopes' bytes read, in binary, and COPYed back; two pipelined round trips
  before the COPY): Python's mixer, for closing, counting, paper and the long way;
- server: `minping_mix` (`mixing._PG_MIX_FUNCTION`), the whole mix inside PostgreSQL in one
  statement, as a submission that makes a mix due has it run since session 6.

Worker CPU is this process's (`time.process_time`); PostgreSQL's is that of the backend
serving the mixer's connection (`/proc/<pid>/schedstat`, nanoseconds): the WAL writer and
checkpointer, shared with other databases of the server, are not counted. Medians and
means over --mixes mixes each. The machine is shared: print `uptime` beside the figures.
"""
import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _old_mix(conn, final=None, arriving=None):
    """The PostgreSQL mixer before 7 Dec 2026 (`mixing._mix`), for the baseline only."""
    from flask import current_app

    from survey_app.ballots import mixing
    from survey_app.models import Envelope, InboxEnvelope
    k = current_app.config["MIX_BATCH"]
    rng = secrets.SystemRandom()
    due_at = mixing.threshold(k, True)
    counts = {c: (n, unmixed) for c, n, unmixed in conn.execute(
        select(InboxEnvelope.campaign_id, func.count(), func.count().filter(InboxEnvelope.mixed.is_(False)))
        .group_by(InboxEnvelope.campaign_id)).all()}
    plan = mixing.plan_moves(counts, arriving, final, k, due_at)
    if not plan:
        return None
    columns = (InboxEnvelope.id, InboxEnvelope.campaign_id, InboxEnvelope.group_id, InboxEnvelope.sealed,
               InboxEnvelope.receipt)
    rows = conn.execute(select(*columns)).all()
    if arriving is not None:
        rows.append(arriving)
    to_box, to_inbox = mixing.deal(rows, plan, final, rng)
    for campaign_id in {r.campaign_id for r in to_box}:
        mixing.prepare_box(campaign_id, conn)
    mixing._write(conn, Envelope, to_box)
    conn.execute(text("LOCK TABLE envelope_inbox IN ACCESS EXCLUSIVE MODE"))
    seen = {r.id for r in rows}
    late = [i for i in conn.execute(select(InboxEnvelope.id)).scalars() if i not in seen]
    if late:
        arrived = conn.execute(select(*columns).where(InboxEnvelope.id.in_(late))).all()
        closing = [r for r in arrived if r.campaign_id == final]
        rng.shuffle(closing)
        mixing._write(conn, Envelope, closing)
        to_box += closing
        to_inbox += [r for r in arrived if r.campaign_id != final]
    conn.execute(text("TRUNCATE envelope_inbox"))
    rng.shuffle(to_inbox)
    mixing._write(conn, InboxEnvelope, to_inbox)
    return len(to_box)


def _backend_ns(pid: int) -> int:
    """CPU time of a PostgreSQL backend so far, in nanoseconds (same machine)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def _setup(app):
    """Schema and one open campaign with one group; returns (campaign id, group id)."""
    import questionnaires
    from survey_app.admin import operations
    from survey_app.designer.operations import save_questionnaire
    from survey_app.extensions import db
    from survey_app.models import Target
    with app.app_context():
        db.create_all()
        version = save_questionnaire(questionnaires.template("sector_style"), publish=True)
        c = operations.create_campaign(code="bench", kind="sector_style", title_zh="压测", title_en="Bench",
                                       version=version)
        operations.add_group(c, code="staff", name_zh="干部职工", name_en="Staff", weight=1)
        targets = [Target(code=f"t{i:02d}", kind="unit", name_zh=f"单位{i}", name_en=f"Unit {i}") for i in range(3)]
        db.session.add_all(targets)
        db.session.flush()
        operations.set_targets(c, targets)
        operations.open_campaign(c, "benchmark passphrase")
        return c.id, c.group("staff").id


def _envelope(campaign_id, group_id, size):
    from survey_app.models._types import random_id
    sealed = os.urandom(size)
    return SimpleNamespace(id=random_id(), campaign_id=campaign_id, group_id=group_id, sealed=sealed,
                           receipt=sealed[:8].hex()[:19])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mixes", type=int, default=60, help="timed mixes of each way")
    parser.add_argument("--k", type=int, default=20, help="MIX_BATCH")
    parser.add_argument("--size", type=int, default=12 * 1024, help="bytes an envelope")
    parser.add_argument("--only", choices=("old", "new", "server"), help="run one way only (to profile it)")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args(argv)
    from bench.collect import _database
    admin, name, url = _database(args.database_url)
    os.environ.update({"DATABASE_URL": url, "INSTANCE_PATH": tempfile.mkdtemp(prefix="minping-bench-"),
                       "KDF_STRENGTH": "interactive"})
    from survey_app import create_app
    from survey_app.ballots import mixing
    from survey_app.extensions import db
    app = create_app({"MIX_BATCH": args.k})
    try:
        campaign_id, group_id = _setup(app)
        k = args.k
        ways = {"old": lambda conn, arriving: _old_mix(conn, arriving=arriving),
                "new": lambda conn, arriving: mixing._mix(conn, True, arriving=arriving),
                "server": lambda conn, a: conn.execute(text("SELECT minping_mix(:c, :g, :i, :s, :r, :due, :k)"), {
                    "c": a.campaign_id, "g": a.group_id, "i": a.id, "s": a.sealed, "r": a.receipt,
                    "due": mixing.threshold(k, True), "k": k}).scalar_one()}
        cpu = {way: ([], [], []) for way in ways}  # worker CPU, PostgreSQL CPU, wall (the lock held)
        moved = {way: set() for way in ways}
        with app.app_context(), db.engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            conn.commit()
            print(f"PostgreSQL backend {pid}", file=sys.stderr, flush=True)
            rounds = (1 if args.only else len(ways)) * args.mixes + 4
            for i in range(rounds):
                way = args.only or tuple(ways)[i % len(ways)]
                with conn.begin():  # the k - 1 new envelopes since the last mix (untimed)
                    conn.execute(mixing._INBOX_INSERT, [
                        {**vars(_envelope(campaign_id, group_id, args.size)), "mixed": False} for _ in range(k - 1)])
                arriving = _envelope(campaign_id, group_id, args.size)
                with conn.begin():
                    # taken by the submission's first statement: not the mix's
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": mixing.LOCK_KEY})
                    worker0, pg0, wall0 = time.process_time(), _backend_ns(pid), time.perf_counter()
                    moved[way].add(ways[way](conn, arriving))
                worker1, pg1, wall1 = time.process_time(), _backend_ns(pid), time.perf_counter()
                if i >= 4:  # the first mixes only fill the inbox to its steady 2k
                    cpu[way][0].append(worker1 - worker0)
                    cpu[way][1].append((pg1 - pg0) / 1e9)
                    cpu[way][2].append(wall1 - wall0)
            boxed = conn.execute(text("SELECT count(*) FROM envelopes")).scalar_one()
            waiting = conn.execute(text("SELECT count(*) FROM envelope_inbox")).scalar_one()
            conn.rollback()
        total = rounds * k
        print(f"mixing on PostgreSQL: k = {k}, envelopes of {args.size} bytes, {args.mixes} mixes each way "
              f"(inbox 2k - 1 = {2 * k - 1} + the arriving one; moves {sorted(set().union(*moved.values()) - {0})} a mix)")
        for way, (worker, pg, wall) in cpu.items():
            if not worker:
                continue
            print(f"  {way}: worker CPU a mix median {statistics.median(worker) * 1000:6.2f} ms "
                  f"(mean {statistics.fmean(worker) * 1000:6.2f}), PostgreSQL backend CPU median "
                  f"{statistics.median(pg) * 1000:6.2f} ms (mean {statistics.fmean(pg) * 1000:6.2f}); "
                  f"a submission at k = {k}: {statistics.fmean(worker) * 1000 / k:.3f} ms worker + "
                  f"{statistics.fmean(pg) * 1000 / k:.3f} ms PostgreSQL; wall a mix, commit included, median "
                  f"{statistics.median(wall) * 1000:.2f} ms")
        if not args.only:
            mean = statistics.fmean
            for (a, (aw, ap, awall)), (b, (bw, bp, bwall)) in (
                    (("new", cpu["new"]), ("old", cpu["old"])), (("server", cpu["server"]), ("new", cpu["new"]))):
                print(f"  RATIO {a} / {b} (means): worker {mean(aw) / mean(bw):.2f}, PostgreSQL {mean(ap) / mean(bp):.2f},"
                      f" together {(mean(aw) + mean(ap)) / (mean(bw) + mean(bp)):.2f}; wall (medians)"
                      f" {statistics.median(awall) / statistics.median(bwall):.2f}")
        ok = boxed + waiting == total
        print(f"  envelopes put {total}: {boxed} in the box, {waiting} in the inbox"
              f" -> {'all there' if ok else 'MISMATCH'}")
        return 0 if ok else 1
    finally:
        with app.app_context():
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
