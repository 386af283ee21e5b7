"""Benchmark of counting at city scale: opening, storing and scoring many sealed ballots.

    python -m bench.count                                   # small sizes, SQLite, a few minutes at most
    python -m bench.count --sizes 20000x120,200000x120,1000000x20
    python -m bench.count --sizes 20000x120 --database-url postgresql://postgres@127.0.0.1:5432/test

A size is BALLOTSxANSWERS: the sector-style template (12 rating items per target), with
ANSWERS / 12 targets rated on each ballot (120 = 10 targets × 12 items; 20 = 2 targets × 10
items). The envelopes are sealed in a process pool and bulk-inserted straight into the box
(not through HTTP). Each figure is printed with its baseline from the same run:

- counting rate (`ballots.count`: mix, open, shuffle, store, destroy the box) against
  opening the same envelopes with PyNaCl alone in one process; aim: ratio >= 0.5;
- the first results view (`results.adapter.results`: database -> arrays -> engine) against
  `scoring.score` on the same arrays already in memory; aim: under 3 s at 200,000 ballots;
- the dashboard, a report page and the public ranking once results are computed; aim: < 1 s;
- bytes per ballot on disk (the ballot tables); aim: under 1 KB.

On PostgreSQL each size runs in a throw-away database, dropped at the end.
"""
import argparse
import os
import random
import secrets
import tempfile
import time
import uuid
from datetime import date
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

PASSPHRASE = "benchmark passphrase 2026"
#: the benchmark's counting panel: one officer, 1 of 1 (the unlocking is not what is measured)
OFFICER = "Benchmark officer"
COUNTING = {1: PASSPHRASE}
CHUNK = 5000


def _seal_chunk(args):
    public_key, size, version, groups, targets, items, lay, n, seed = args
    from nacl.public import PublicKey, SealedBox

    from survey_app.ballots import sealing
    box = SealedBox(PublicKey(public_key))
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        group = rng.choices(groups, weights=[45, 30, 15, 10][:len(groups)])[0]
        answers = [[t, item, rng.choice("AAABBC")] for t in targets for item in items]
        raw = sealing.encode({"v": version, "g": group[0], "a": answers, "c": []}, lay)  # as the app seals it
        sealed = box.encrypt(raw + b"\0" * (size - len(raw)))
        out.append((group[1], sealed, sealing.fingerprint(sealed)))
    return out


def build(app, n_ballots: int, n_answers: int, workers: int) -> tuple[int, int]:
    """An open-then-closed campaign whose box holds n_ballots envelopes."""
    import questionnaires
    from sqlalchemy import insert

    from survey_app.admin import operations
    from survey_app.ballots import operations as ballots
    from survey_app.designer.operations import save_questionnaire
    from survey_app.extensions import db
    from survey_app.models import Campaign, Envelope, Target, TurnoutDay, User
    q = questionnaires.template("sector_style")
    per_target = [i.code for i in q.rating_items() if i.per_target]
    n_targets = max(1, -(-n_answers // len(per_target)))
    items = per_target[:n_answers // n_targets]
    with app.app_context():
        db.create_all()
        from survey_app.auth.operations import create_user
        if db.session.query(User).count() == 0:
            create_user("bench", "bench-password-2026", "admin")
        version = save_questionnaire(q, publish=True)
        campaign = operations.create_campaign(code="bench", kind="sector_style", title_zh="计票基准",
                                              title_en="Counting benchmark", version=version, min_group_size=5)
        for code, weight in (("public", 0.45), ("service", 0.3), ("deputies", 0.15), ("supervisors", 0.1)):
            operations.add_group(campaign, code=code, name_zh=code, name_en=code, weight=weight)
        targets = [Target(code=f"u{i:03d}", kind="unit", name_zh=f"单位{i}", name_en=f"Unit {i}")
                   for i in range(n_targets)]
        db.session.add_all(targets)
        db.session.flush()
        operations.set_targets(campaign, targets)
        from survey_app.ballots import keys
        operations.open_campaign(campaign, [keys.Officer(OFFICER, PASSPHRASE)], 1)
        campaign = db.session.get(Campaign, campaign.id)
        size = ballots.envelope_size(campaign)
        groups = [(g.code, g.id) for g in campaign.groups]
        from survey_app.ballots.packing import campaign_layout
        job = (campaign.public_key, size, campaign.questionnaire_version_id, groups, [t.code for t in targets], items,
               campaign_layout(campaign))
        cid = campaign.id
        chunks = [job + (min(CHUNK, n_ballots - start), start) for start in range(0, n_ballots, CHUNK)]
        received: dict[int, int] = {}
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for sealed in pool.map(_seal_chunk, chunks):
                db.session.execute(insert(Envelope.__table__), [
                    {"campaign_id": cid, "id": secrets.token_hex(16), "group_id": g, "sealed": s, "receipt": r}
                    for g, s, r in sealed])
                for g, _s, _r in sealed:
                    received[g] = received.get(g, 0) + 1
        # turnout as submissions tick it (one day's worth)
        db.session.execute(insert(TurnoutDay.__table__), [{"campaign_id": cid, "group_id": g, "day": date(2026, 3, 1),
                                                           "count": n} for g, n in received.items()])
        db.session.commit()
        campaign = db.session.get(Campaign, cid)
        campaign.status = "closed"  # the box is full: close without mixing anything more
        db.session.commit()
        from survey_app.ballots import mixing
        mixing.scrub_files()  # as closing leaves it: the WAL copied into the file and truncated
        settle(db)
        return cid, size


def settle(db) -> None:
    """Let the build's writes reach the disk before anything is timed, as a box filled over
    the weeks of a campaign has: otherwise the kernel (and PostgreSQL's checkpointer) still
    write hundreds of MB behind the count, and truncating or rewriting files waits on them."""
    from sqlalchemy import text
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("CHECKPOINT"))
        db.session.commit()
    os.sync()


def bare_opening_rate(app, cid: int) -> tuple[float, int]:
    """Envelopes per second opened with PyNaCl alone, one process, reading not timed."""
    from nacl.public import SealedBox
    from sqlalchemy import select

    from survey_app.ballots import keys
    from survey_app.extensions import db
    from survey_app.models import Campaign, Envelope
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        box = SealedBox(keys.unlock_private_key(campaign, COUNTING))
        elapsed, n = 0.0, 0
        result = db.session.execute(select(Envelope.sealed).where(Envelope.campaign_id == cid)
                                    .execution_options(yield_per=CHUNK))
        for part in result.partitions(CHUNK):
            sealed = [bytes(s) for (s,) in part]
            started = time.perf_counter()
            for s in sealed:
                box.decrypt(s)
            elapsed += time.perf_counter() - started
            n += len(sealed)
        db.session.rollback()
    return n / elapsed, n


def ballot_bytes(app) -> int:
    from sqlalchemy import text

    from survey_app.extensions import db
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            return db.session.execute(text("SELECT pg_total_relation_size('ballots')")).scalar_one()
        try:
            return db.session.execute(text(
                "SELECT sum(pgsize) FROM dbstat WHERE name IN ('ballots', 'ix_ballots_campaign_id')")).scalar_one()
        except Exception:  # SQLite built without dbstat: the whole file
            path = Path(str(db.engine.url.database))
            return path.stat().st_size


def run(url: str, n_ballots: int, n_answers: int, workers: int) -> None:
    from survey_app import create_app
    from survey_app.results import adapter
    from survey_app.ballots import operations as ballots
    from survey_app.extensions import db
    from survey_app.models import Campaign
    import scoring

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "ACCESS_CODE_KEY": "bench",
                      "KDF_STRENGTH": "interactive", "WTF_CSRF_ENABLED": False, "TESTING": True,
                      "RATELIMIT_STORAGE_URI": "memory://", "LOGIN_RATE_LIMIT": "1000 per minute"})
    label = f"{n_ballots:>9,} × {n_answers:<3}"
    started = time.perf_counter()
    cid, size = build(app, n_ballots, n_answers, workers)
    print(f"{label} built in {time.perf_counter() - started:6.1f} s ({size} B envelopes, "
          f"{app.config.get('SQLALCHEMY_DATABASE_URI').split(':')[0]})", flush=True)
    bare, n = bare_opening_rate(app, cid)
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        started = time.perf_counter()
        assert ballots.count(campaign, COUNTING) == n
        counted = time.perf_counter() - started
    rate = n / counted
    print(f"{label} counting   {rate:9,.0f} envelopes/s ({counted:6.1f} s); PyNaCl alone {bare:9,.0f}/s; "
          f"ratio {rate / bare:4.2f} (aim >= 0.5)", flush=True)
    with app.test_request_context("/"):  # a GET: the results are written outside its session
        campaign = db.session.get(Campaign, cid)
        started = time.perf_counter()
        data = adapter.results(campaign)
        first = time.perf_counter() - started
        answers = adapter.scoring_answers(campaign, adapter.packed_ballots(campaign))  # in memory, not timed
        method = scoring.Method.from_dict(adapter.method_dict(campaign), source="method.json")
        started = time.perf_counter()
        scoring.score(answers, method)
        engine = time.perf_counter() - started
    assert data["ballots"] == n
    print(f"{label} first results view {first:6.2f} s; scoring.score on arrays in memory {engine:6.2f} s "
          f"(aim < 3 s at 200,000)", flush=True)
    client = app.test_client()
    client.post("/login", data={"username": "bench", "password": "bench-password-2026"})
    with app.app_context():
        target_id = db.session.get(Campaign, cid).targets[0].id
    views = []
    for name, path in (("dashboard", f"/reports/{cid}/dashboard"), ("report", f"/reports/{cid}/targets/{target_id}"),
                       ("report again", f"/reports/{cid}/targets/{target_id}")):
        started = time.perf_counter()
        status = client.get(path).status_code
        views.append(f"{name} {time.perf_counter() - started:.2f} s ({status})")
    print(f"{label} once computed: " + ", ".join(views) + " (aim < 1 s)", flush=True)
    from survey_app.admin import operations
    with app.test_request_context("/"):
        started = time.perf_counter()
        operations.publish_campaign(db.session.get(Campaign, cid))
        published = time.perf_counter() - started
        bundle = len(db.session.get(Campaign, cid).published_bundle or b"")
    views = []
    for name, path in (("public ranking", "/results/bench"), ("receipts", "/results/bench/receipts"),
                       ("receipts page 50", "/results/bench/receipts?page=50")):
        started = time.perf_counter()
        status = client.get(path).status_code
        views.append(f"{name} {time.perf_counter() - started:.2f} s ({status})")
    print(f"{label} published in {published:.1f} s (open bundle {bundle / 1e6:.1f} MB); "
          + ", ".join(views) + " (aim < 1 s)", flush=True)
    size_bytes = ballot_bytes(app)
    print(f"{label} {size_bytes / n:7.0f} bytes per ballot on disk (ballot tables; aim < 1024); "
          f"the sealed envelope was {size} B", flush=True)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000x120,4000x20",
                        help="comma-separated BALLOTSxANSWERS (default: %(default)s)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL server URL (default: a SQLite file)")
    parser.add_argument("--workers", type=int, default=2, help="processes sealing the envelopes")
    args = parser.parse_args()
    os.environ.setdefault("KDF_STRENGTH", "interactive")
    print(f"{os.cpu_count()} cores; counting with COUNT_WORKERS=2")
    for spec in args.sizes.split(","):
        n_ballots, n_answers = (int(x) for x in spec.lower().split("x"))
        if args.database_url:
            from sqlalchemy import create_engine, text
            base = args.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
            name = f"minping_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(base, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                run(base.rsplit("/", 1)[0] + "/" + name, n_ballots, n_answers, args.workers)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
        else:
            with tempfile.TemporaryDirectory(prefix="bench-count-") as tmp:
                run(f"sqlite:///{tmp}/bench.sqlite3", n_ballots, n_answers, args.workers)


if __name__ == "__main__":
    main()
