"""Benchmark of paper-sheet print runs: 500 sheets from the web's own code path, against laying
out every sheet on its own (how runs were printed before), in one run.

    python -m bench.sheets                         # 500 block and 500 matrix sheets, 20 targets
    python -m bench.sheets --sheets 200 --targets 40 --baseline 5

Builds its own campaign in a temporary SQLite database (the sector-style questionnaire: 12
rating items a target), numbers a batch of `--sheets` sheets and renders it as the web does
(`paper.sheets.batch_pdf`: the sheet laid out once, each copy stamped with its number and QR
code), for block and matrix sheets. The baseline is how runs were printed before: one WeasyPrint
document of `--baseline` sheets, every page of every sheet laid out, scaled to `--sheets`. Prints both times, the
pages and the ratio. The aim: 500 sheets well inside a web worker's 60 s timeout.
"""
import argparse
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(app, n_targets: int) -> int:
    import questionnaires

    from survey_app.admin import operations
    from survey_app.designer.operations import save_questionnaire
    from survey_app.extensions import db
    from survey_app.models import Target
    with app.app_context():
        db.create_all()
        version = save_questionnaire(questionnaires.template("sector_style"), publish=True)
        campaign = operations.create_campaign(code="bench", kind="sector_style", title_zh="江川市2026年度行风评议",
                                              title_en="Jiangchuan sector-style appraisal 2026", version=version,
                                              hotline="12388")
        operations.add_group(campaign, code="deputies", name_zh="人大代表", name_en="Deputies", weight=1.0)
        targets = [Target(code=f"b{i:03d}", kind="unit", name_zh=f"江川市第{i}人民政府办公室",
                          name_en=f"Government Office No. {i}", post_zh="主任", post_en="Director")
                   for i in range(1, n_targets + 1)]
        db.session.add_all(targets)
        db.session.flush()
        operations.set_targets(campaign, targets)
        db.session.commit()
        return campaign.id


def every_sheet_laid_out(campaign, group, count: int, matrix: bool) -> int:
    """The baseline, as runs were printed before: one document holding `count` sheets, each laid
    out by WeasyPrint in full; returns its pages."""
    from pypdf import PdfReader

    from survey_app.printing import html_to_pdf
    from survey_app.paper import sheets
    html = sheets.sheet_body_html(campaign, group, matrix)
    head, rest = html.split("<body>", 1)
    body, tail = rest.rsplit("</body>", 1)
    breaks = "<style>.sheet { break-before: page; } .sheet:first-of-type { break-before: auto; }</style>"
    pdf = html_to_pdf(head + breaks + "<body>" + body * count + "</body>" + tail)
    return len(PdfReader(BytesIO(pdf)).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=500)
    parser.add_argument("--targets", type=int, default=20)
    parser.add_argument("--baseline", type=int, default=3, help="sheets in the baseline's one document")
    args = parser.parse_args()

    from pypdf import PdfReader

    from survey_app import create_app
    from survey_app.extensions import db
    from survey_app.models import Campaign
    from survey_app.paper import sheets
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3", "SECRET_KEY": "bench",
                          "ACCESS_CODE_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://"})
        campaign_id = build(app, args.targets)
        print(f"campaign: {args.targets} targets x 12 rating items; {args.sheets} sheets a run")
        for matrix in (False, True):
            kind = "matrix" if matrix else "block "
            with app.app_context():
                campaign = db.session.get(Campaign, campaign_id)
                group = campaign.group("deputies")
                batch = sheets.print_batch(campaign, group, args.sheets, "bench")
                start = time.perf_counter()
                pdf = sheets.batch_pdf(batch, "bench", matrix=matrix)
                run = time.perf_counter() - start
                pages = len(PdfReader(BytesIO(pdf)).pages)
                start = time.perf_counter()
                base_pages = every_sheet_laid_out(campaign, group, args.baseline, matrix)
                base = (time.perf_counter() - start) / args.baseline * args.sheets
            print(f"{kind}: {args.sheets} sheets, {pages} pages ({pages // args.sheets} a sheet), "
                  f"{len(pdf) / 1e6:.1f} MB in {run:6.1f} s  ({run / args.sheets * 1000:.0f} ms a sheet)")
            print(f"        baseline, every sheet laid out ({args.baseline} measured, "
                  f"{base_pages // args.baseline} pages a sheet): {base:6.1f} s for {args.sheets}  "
                  f"ratio {base / run:.1f}x  -> {'within' if run < 60 else 'OVER'} a 60 s worker timeout")


if __name__ == "__main__":
    main()
