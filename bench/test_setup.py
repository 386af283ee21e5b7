"""What a web test pays before it starts, the old way beside the new, in one run.

    python -m bench.test_setup                  # SQLite only
    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python -m bench.test_setup
    python -m bench.test_setup --repeat 20

Per test, the `app` fixture used to drop and create the 33 tables (and on PostgreSQL the audit
log's triggers); it now copies an empty SQLite file made once, or empties the session's
PostgreSQL database (tests/web/conftest.py). The `users` fixture makes five accounts and most
tests sign in: werkzeug's scrypt at n=2^15 (production) against n=2^10 (the tests' apps). A
campaign opened and counted derives an officer's key twice: argon2id "interactive" against
"minimal" (the tests' apps). Medians of --repeat runs, in milliseconds; print the load
average with the figures (`uptime`), the machine is shared.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def row(what: str, old: float, new: float) -> None:
    print(f"{what:<44} {old:>9.1f} {new:>9.1f} {old / max(new, 1e-6):>8.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    from werkzeug.security import check_password_hash, generate_password_hash

    from survey_app.ballots import sealing
    from survey_app.extensions import db
    from tests.web.conftest import _PgSchema, temporary_pg_database
    from tests.web.helpers import TEST_PASSWORD_HASH, make_app

    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"{'per test (median ms)':<44} {'old':>9} {'new':>9} {'ratio':>9}")
    tmp = Path(tempfile.mkdtemp())
    try:
        template = tmp / "template.sqlite3"
        app = make_app(f"sqlite:///{template}", tmp)
        with app.app_context():
            db.create_all()
            db.session.remove()
            db.engine.dispose()
        counter = iter(range(10 ** 6))

        def old_fixture(url):
            """The `app` fixture before: the schema dropped and made for the test, dropped after."""
            fresh = make_app(url, tmp)
            with fresh.app_context():
                db.drop_all()
                db.create_all()
                db.session.remove()
                db.drop_all()
                db.engine.dispose()

        def sqlite_old():
            old_fixture(f"sqlite:///{tmp / f'old-{next(counter)}.sqlite3'}")

        def sqlite_new():
            path = tmp / f"new-{next(counter)}.sqlite3"
            shutil.copyfile(template, path)
            fresh = make_app(f"sqlite:///{path}", tmp)
            with fresh.app_context():
                db.session.remove()
                db.engine.dispose()

        row("SQLite: app fixture (with create_app)", median_ms(sqlite_old, args.repeat),
            median_ms(sqlite_new, args.repeat))

        pg = os.environ.get("TEST_DATABASE_URL")
        if pg:
            with temporary_pg_database(pg, "minping_bench_") as url:
                schema = _PgSchema.of(url)

                def pg_new():
                    schema.empty_it()
                    fresh = make_app(url, tmp)
                    with fresh.app_context():
                        db.session.remove()
                        db.engine.dispose()

                old = median_ms(lambda: old_fixture(url), args.repeat)
                schema.rebuild()  # the old fixture left no tables
                row("PostgreSQL: app fixture (with create_app)", old, median_ms(pg_new, args.repeat))
                _PgSchema.dispose(url)

        hashed = {}

        def accounts(method):
            def make():
                hashed[method] = [generate_password_hash("test-password-123", method=method) for _ in range(5)]
            return make

        row("users fixture: five password hashes", median_ms(accounts("scrypt"), args.repeat),
            median_ms(accounts(TEST_PASSWORD_HASH), args.repeat))
        row("one sign-in: a password check", median_ms(lambda: check_password_hash(hashed["scrypt"][0], "x"), args.repeat),
            median_ms(lambda: check_password_hash(hashed[TEST_PASSWORD_HASH][0], "x"), args.repeat))
        salt = b"s" * 16

        def kdf(strength):
            ops, mem = sealing._KDF[strength]
            return lambda: [sealing._derive("an officer's passphrase", salt, ops, mem) for _ in range(2)]

        row("open + count one box: two argon2id keys", median_ms(kdf("interactive"), args.repeat),
            median_ms(kdf("minimal"), args.repeat))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
