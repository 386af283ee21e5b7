"""Benchmark of the pages that show charts, against `/health` in the same run.

    python -m bench.pages                      # 100 targets, 1,200 ballots
    python -m bench.pages --targets 40 --repeat 50

Builds the campaign of `bench.reports` (published, 100 targets) in a temporary SQLite
database, logs a staff member in with Flask's test client and times, each the median of
`--repeat` requests: `/health` (the baseline), a feedback report page, the dashboard and
the public ranking, first with their charts still to draw (each kept chart and page fragment deleted before
the request: what the first view after new results costs) and then once drawn. Prints
milliseconds, the ratio to `/health` and the page's size. The aim (issue 33): a report page
and the dashboard within 10x `/health` once their charts are drawn.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-2026"


def timed(client, url: str, repeat: int, before=None) -> tuple[float, int]:
    """(median milliseconds, bytes) of GET url; `before()` runs untimed before each request."""
    times, size = [], 0
    for _ in range(repeat):
        if before is not None:
            before()
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        size = len(response.get_data())
    return statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=100)
    parser.add_argument("--ballots", type=int, default=1200)
    parser.add_argument("--per-ballot", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--cold-repeat", type=int, default=5, help="requests with every chart still to draw")
    args = parser.parse_args()
    os.environ.setdefault("KDF_STRENGTH", "interactive")
    from bench.reports import build
    from survey_app import create_app
    from survey_app.auth.operations import create_user
    from survey_app.extensions import db
    from survey_app.models import Campaign
    from survey_app.reports import drawn
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3", "SECRET_KEY": "bench",
                          "ACCESS_CODE_KEY": "bench", "KDF_STRENGTH": "interactive", "RATELIMIT_ENABLED": False,
                          "WTF_CSRF_ENABLED": False})
        campaign_id = build(app, args.targets, args.ballots, args.per_ballot)
        with app.app_context():
            create_user("benchstaff", PASSWORD, "staff")
            campaign = db.session.get(Campaign, campaign_id)
            code, target_id = campaign.code, campaign.campaign_targets[0].target_id
        client = app.test_client()
        client.set_cookie("lang", "zh_CN")
        response = client.post("/login", data={"username": "benchstaff", "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]

        def forget():
            drawn.clear_local()
            with app.app_context():
                drawn.forget(campaign_id)

        pages = [("report page", f"/reports/{campaign_id}/targets/{target_id}"),
                 ("dashboard", f"/reports/{campaign_id}/dashboard"),
                 ("public ranking", f"/results/{code}")]
        for _, url in pages:  # warm-up: templates compiled, results read once
            client.get(url)
        health, _ = timed(client, "/health", args.repeat)
        print(f"pages benchmark: {args.targets} targets, {args.ballots} ballots; {os.cpu_count()} CPUs; "
              f"median of {args.repeat} requests ({args.cold_repeat} with the charts still to draw); "
              f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(f"{'page':<16} {'charts drawn':>13} {'ratio':>7} {'to draw':>10} {'ratio':>7} {'size':>9}")
        print(f"{'/health':<16} {health:>10.1f} ms {1:>7.1f}")
        for name, url in pages:
            cold, _ = timed(client, url, args.cold_repeat, before=forget)
            warm, size = timed(client, url, args.repeat)
            print(f"{name:<16} {warm:>10.1f} ms {warm / health:>7.1f} {cold:>7.1f} ms {cold / health:>7.1f} "
                  f"{size / 1024:>6.0f} KB")


if __name__ == "__main__":
    main()
