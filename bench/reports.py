"""Benchmark of the feedback report PDFs: 100 targets, serial against parallel, in one run.

    python -m bench.reports                    # 100 targets, 2 workers
    python -m bench.reports --targets 40 --workers 4

Builds its own campaign in a temporary SQLite database: 100 units, four respondent groups,
simulated ballots written straight as opened ballots (the sealed box is measured by
bench.collect), published comments; publishes it, then renders every report PDF once in
one process and once with `--workers` processes, and prints both times and their ratio,
beside the baseline of the same run: WeasyPrint on a trivial page, in the same process.
Every run starts with no chart drawn (`reports.drawn` forgets them) and no chart template nor
ranking page kept by the process: what the first print run after new results costs; the
parallel run comes first, before anything imports WeasyPrint, as in a fresh `flask report`.
Both runs also print their CPU seconds a report (the parallel one's with the workers' start), the figures that hold on a busy machine (wall times need a
quiet one). The report fonts (`flask prepare-fonts`, once per host) are prepared first if missing,
and that time printed apart. The aims: 100 reports within a minute on 2 cores (product.md), under 30 s
(issue 33: about 0.5 s CPU a report, as the two workers' start, ~2 s each, comes on top).
"""
import argparse
import os
import random
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GROUPS = [("public", "人民群众", "The public", 0.4), ("recipients", "服务对象", "Service recipients", 0.3),
          ("deputies", "人大代表", "Deputies", 0.2), ("supervisors", "行风监督员", "Supervisors", 0.1)]


def build(app, n_targets: int, n_ballots: int, per_ballot: int, seed: int = 7) -> int:
    import questionnaires

    from survey_app.admin import operations
    from survey_app.designer.operations import save_questionnaire
    from survey_app.extensions import db
    from survey_app.ballots import packing
    from survey_app.models import Ballot, Comment, Receipt, Target
    from survey_app.models._types import utcnow
    rng = random.Random(seed)
    with app.app_context():
        db.create_all()
        version = save_questionnaire(questionnaires.template("sector_style"), publish=True)
        campaign = operations.create_campaign(code="bench", kind="sector_style", title_zh="基准测试行风评议",
                                              title_en="Benchmark sector-style appraisal", version=version)
        for code, zh, en, weight in GROUPS:
            operations.add_group(campaign, code=code, name_zh=zh, name_en=en, weight=weight)
        targets = [Target(code=f"b{i:03d}", kind="unit", name_zh=f"江川市第{i}局", name_en=f"Bureau No. {i}")
                   for i in range(1, n_targets + 1)]
        db.session.add_all(targets)
        db.session.flush()
        operations.set_targets(campaign, targets)
        operations.open_campaign(campaign, "benchmark passphrase 2026")
        operations.close_campaign(campaign)
        q = campaign.questionnaire_version.parsed
        rating = [item.code for item in q.rating_items()]
        text_item = next(i.code for i in q.items() if i.type == "text" and i.per_target)
        quality = {t.code: rng.gauss(0.4, 0.6) for t in targets}
        options = ["A", "B", "C"]
        lay = packing.layout(q, [t.code for t in campaign.targets])
        ballots, comments = [], []
        for n in range(n_ballots):
            group = campaign.groups[rng.choices(range(4), weights=[45, 30, 15, 10])[0]]
            answers = []
            for target in rng.sample(targets, per_ballot):
                mood = quality[target.code] + rng.gauss(0, 0.6)
                if rng.random() < 0.08:
                    chosen = ["DK"] * len(rating)
                else:
                    chosen = [options[0 if (x := mood + rng.gauss(0, 0.7)) > 0.3 else 1 if x > -0.9 else 2]
                              for _ in rating]
                answers += [(target.code, item, option) for item, option in zip(rating, chosen)]
                if rng.random() < 0.05:
                    comments.append(Comment(campaign_id=campaign.id, group_id=group.id, target_id=target.id,
                                            item_code=text_item, status="published",
                                            text="窗口工作人员态度很好，办事效率比去年明显提高。"))
            ratings, choices = packing.pack(lay, answers)
            ballots.append({"id": secrets.token_hex(16), "campaign_id": campaign.id, "group_id": group.id,
                            "questionnaire_version_id": version.id, "ratings": ratings, "choices": choices})
        db.session.execute(Ballot.__table__.insert(), ballots)
        db.session.add_all(comments)
        db.session.add_all(Receipt(campaign_id=campaign.id, fingerprint=secrets.token_hex(8).upper())
                           for _ in ballots)
        campaign.counted_at = utcnow()
        db.session.commit()
        operations.publish_campaign(campaign)
        return campaign.id


def trivial_pdf(app, repeat: int = 5) -> float:
    """Seconds for WeasyPrint to print a one-line page with the reports' stylesheet (best of `repeat`)."""
    from survey_app.reports.pdf import html_to_pdf
    with app.app_context():
        html_to_pdf("<p>warm-up</p>")
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            html_to_pdf("<html><body><h1>评议报告</h1><p>Trivial page 简单页面</p></body></html>")
            times.append(time.perf_counter() - started)
    return min(times)


def children_cpu() -> float:
    """CPU seconds of this process's children that have ended (the print workers, once joined)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def render(app, campaign_id: int, out: Path, workers: int) -> tuple[float, float]:
    """Wall seconds of printing every report, and CPU seconds spent on it by this process and its
    workers (their start included): the figure to read on a busy machine."""
    from survey_app.extensions import db
    from survey_app.models import Campaign
    from survey_app.reports import drawn
    from survey_app.reports.pdf import render_campaign
    from survey_app.reports import charts, pdf
    with app.app_context():
        drawn.forget(campaign_id)
        drawn.clear_local()
        # and what a process keeps for the next report: the charts' templates, the ranking's pages
        charts.clear_templates()
        charts.text_width.cache_clear()
        pdf.forget_sheets()
        campaign = db.session.get(Campaign, campaign_id)
        started, cpu = time.perf_counter(), time.process_time() + children_cpu()
        written = render_campaign(campaign, ["zh_CN"], out, workers=workers)
        elapsed, cpu = time.perf_counter() - started, time.process_time() + children_cpu() - cpu
    assert len(written) == len(campaign.campaign_targets)
    assert all(p.stat().st_size > 10_000 and p.read_bytes().startswith(b"%PDF") for p in written)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=100)
    parser.add_argument("--ballots", type=int, default=1200, help="simulated ballots")
    parser.add_argument("--per-ballot", type=int, default=25, help="targets rated on each ballot")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-serial", action="store_true", help="skip the run in one process (the slow half)")
    args = parser.parse_args()
    os.environ.setdefault("KDF_STRENGTH", "interactive")
    from survey_app import create_app
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3", "SECRET_KEY": "bench",
                          "ACCESS_CODE_KEY": "bench", "KDF_STRENGTH": "interactive"})
        started = time.perf_counter()
        campaign_id = build(app, args.targets, args.ballots, args.per_ballot)
        print(f"campaign built: {args.targets} targets, {args.ballots} ballots "
              f"({args.ballots * args.per_ballot * 12} answers) in {time.perf_counter() - started:.1f} s")
        from survey_app import printing
        started = time.perf_counter()
        if printing.prepare_fonts():  # once per host (make run does it): not part of a print run
            print(f"report fonts prepared (once per host, `flask prepare-fonts`) in {time.perf_counter() - started:.1f} s")
        fonts = printing.fonts_prepared()
        print("report fonts: " + ("the CJK font cut to the reports' characters" if fonts else
                                  "NOT prepared (no Noto Sans CJK SC): the whole font, slower"))
        # The parallel run first, in this process as `flask report` starts: WeasyPrint not yet
        # imported (it is, if at all, by what comes after), no chart template nor ranking page made.
        print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}; "
              f"WeasyPrint imported before the runs: {'weasyprint' in sys.modules}")
        parallel, pcpu = render(app, campaign_id, Path(tmp) / "parallel", args.workers)
        serial, cpu = (None, None) if args.no_serial else render(app, campaign_id, Path(tmp) / "serial", 1)
        baseline = trivial_pdf(app)
        print(f"baseline: WeasyPrint on a trivial page {baseline * 1000:.0f} ms (measured after the runs)")
        if serial is not None:
            print(f"serial   (1 process):   {args.targets} PDFs in {serial:6.1f} s  ({serial / args.targets:.2f} s each, "
                  f"{serial / args.targets / baseline:.1f}x the trivial page; CPU {cpu / args.targets:.2f} s a report)")
        print(f"parallel ({args.workers} processes): {args.targets} PDFs in {parallel:6.1f} s  "
              f"({parallel / args.targets:.2f} s each; {parallel / baseline:.0f}x the trivial page, "
              f"{parallel / args.targets * args.workers / baseline:.1f}x it a report and process; "
              f"CPU {pcpu / args.targets:.2f} s a report, WeasyPrint's import and the workers' start included)")
        if serial is not None:
            print(f"speed-up parallel vs serial: {serial / parallel:.2f}x on {os.cpu_count()} cores")
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}; "
              f"aim: 100 reports under 30 s -> {'met' if parallel * 100 / args.targets < 30 else 'NOT met'}")


if __name__ == "__main__":
    main()
