"""Benchmark of the demo's load time, and what its review (回头看) adds to it.

    python -m bench.demo                      # SQLite in a temporary directory
    python -m bench.demo --database-url postgresql://postgres@127.0.0.1:5432/test   # an EMPTY database

Prints the whole `demo.load` and, measured in the same run, the seconds of the review's step
(`demo._review`: open, answer, count, publish) and of the public rating of commitments (`demo._promise_rating`,
the same answering path) as the baseline; aim: the review adds under 15% to the load.
"""
import argparse
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    from survey_app import create_app, demo
    from survey_app.extensions import db
    spent: dict[str, float] = {}

    def timed(name, step):
        def run(*a, **kw):
            started = time.perf_counter()
            try:
                return step(*a, **kw)
            finally:
                spent[name] = time.perf_counter() - started
        return run

    demo._review = timed("review", demo._review)
    demo._promise_rating = timed("promise", demo._promise_rating)
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{tmp}/bench.sqlite3",
                          "SECRET_KEY": "bench", "ACCESS_CODE_KEY": "bench"})
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            demo.load(echo=lambda _line: None)
            total = time.perf_counter() - started
    print(f"demo load {total:.1f} s; review (open, answer, count, publish) {spent['review']:.2f} s "
          f"({spent['review'] / total:.1%} of the load); baseline: the public rating of commitments "
          f"{spent['promise']:.2f} s (review / rating {spent['review'] / spent['promise']:.2f}x); "
          f"aim: under 15% -> {'met' if spent['review'] < 0.15 * total else 'NOT met'}")


if __name__ == "__main__":
    main()
