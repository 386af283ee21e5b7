"""Benchmark of printing access-code slips: 2,000 slips against one page of 10, in one run.

    python -m bench.slips                  # 2,000 slips
    python -m bench.slips --slips 500

Builds its own campaign in a temporary SQLite database and issues the codes the way the web
page does (`issue_codes` with the slips as its delivery: nothing stored unless every code is
on a rendered slip), first for one page of 10 slips (the baseline, after a warm-up that loads
the fonts), then for `--slips`. Prints wall and CPU time, the time a slip and the ratio of a
slip's time at size to a slip's time on one page (1.0 = printing scales linearly), and counts
the codes in the PDF's text (pdftotext). CPU counts the rendering processes too. The aim (issue 28): 2,000 slips in under 30 s.
"""
import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(app) -> int:
    import questionnaires

    from survey_app.admin import operations
    from survey_app.designer.operations import save_questionnaire
    from survey_app.extensions import db
    with app.app_context():
        db.create_all()
        version = save_questionnaire(questionnaires.template("integrity_report"), publish=True)
        campaign = operations.create_campaign(code="hall", kind="integrity_report", title_zh="2026年度述职述廉测评大会",
                                              title_en="Integrity-report evaluation 2026", version=version)
        operations.add_group(campaign, code="deputies", name_zh="人大代表", name_en="Deputies", weight=1.0,
                             access="code")
        return campaign.id


def print_slips(app, campaign_id: int, n: int) -> tuple[float, float, bytes]:
    """Wall and CPU seconds to issue and print n slips, and the PDF."""
    from survey_app.ballots.operations import issue_codes
    from survey_app.ballots.slips import slips_pdf
    from survey_app.extensions import db
    from survey_app.models import Campaign
    with app.test_request_context():
        campaign = db.session.get(Campaign, campaign_id)
        group = campaign.group("deputies")
        wall, cpu = time.perf_counter(), _cpu()
        pdf = issue_codes(campaign, group, n, deliver=lambda plain: slips_pdf(campaign, group, plain,
                                                                                "https://pingyi.example.gov.cn"))
        return time.perf_counter() - wall, _cpu() - cpu, pdf


def _cpu() -> float:
    """CPU seconds of this process and of the rendering processes it has waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def count_codes(pdf: bytes) -> int | None:
    if not shutil.which("pdftotext"):
        return None
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return len(set(re.findall(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}\b", text)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slips", type=int, default=2000)
    args = parser.parse_args()
    from survey_app import create_app
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SECRET_KEY": "bench", "ACCESS_CODE_KEY": "bench",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"})
        campaign_id = build(app)
        print_slips(app, campaign_id, 10)  # warm-up: fonts, templates
        base_wall, base_cpu, _ = print_slips(app, campaign_id, 10)
        wall, cpu, pdf = print_slips(app, campaign_id, args.slips)
        printed = count_codes(pdf)
        print(f"baseline: 1 page of 10 slips   {base_wall:6.2f} s wall {base_cpu:6.2f} s CPU "
              f"({base_wall / 10 * 1000:.1f} ms a slip)")
        print(f"print run: {args.slips} slips        {wall:6.2f} s wall {cpu:6.2f} s CPU "
              f"({wall / args.slips * 1000:.1f} ms a slip), {len(pdf) / 1e6:.1f} MB")
        print(f"ratio a slip at size / a slip on one page: {(wall / args.slips) / (base_wall / 10):.2f} (wall), "
              f"{(cpu / args.slips) / (base_cpu / 10):.2f} (CPU)")
        print(f"codes in the PDF's text: {printed if printed is not None else 'pdftotext missing'} of {args.slips}")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (other work slows the wall time)")
        print(f"aim: {args.slips} slips under 30 s -> {'met' if wall < 30 else 'NOT met'} ({wall:.1f} s wall)")


if __name__ == "__main__":
    main()
