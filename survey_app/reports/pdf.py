"""A4 PDF feedback reports (through printing.html_to_pdf), one at a time or a whole campaign in parallel."""
import hashlib
import logging
import os
import re
import threading
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale

from ..extensions import db
from ..models import Campaign, Target
from ..printing import REPORT_STYLESHEET, Sheets, SheetsMisfit, html_to_pdf, inline_images, render_sheets
from ..results.adapter import method_of, option_counts, results
from .operations import build_report

log = logging.getLogger(__name__)


def render(report) -> bytes:
    """The PDF bytes of a built report (see operations.build_report), in the report's locale: the
    ranking drawn in from the pages printed once (`ranking_sheets`), or, if they do not fit this
    report, laid out in it as one table (slower, the same content)."""
    if report.ranking:
        try:
            with force_locale(report.locale):
                sheets = ranking_sheets(report)
                layout = ranking_layout(report, sheets)
            return _render(report, sheets, layout)
        except SheetsMisfit as misfit:
            log.warning("report %s printed without the shared ranking pages: %s", report.target.code, misfit)
    return _render(report, None, None)


def _render(report, sheets: Sheets | None, layout: dict | None) -> bytes:
    with force_locale(report.locale):
        html = render_template("reports/report_pdf.html", r=report, locale=report.locale, for_print=True,
                               sheets=layout)
    html, images = inline_images(html)
    return html_to_pdf(html, REPORT_STYLESHEET, images=images, sheets=sheets)


#: the printed rankings (`ranking_sheets`) by their page's digest: a few campaigns and locales at a time
_sheets: dict[str, Sheets] = {}
KEPT_SHEETS = 8


def ranking_sheets(report) -> Sheets:
    """The ranking of every target, none marked, as every report of the campaign prints it in the
    report's locale: laid out and printed once per process (WeasyPrint spends about as long on its
    hundred rows as on the rest of a report) and drawn into each report (`render`). Kept by the
    digest of its page: new results, names or words make another."""
    rows = [dict(row, highlight=False) for row in report.ranking]
    html = render_template("reports/ranking_sheets_pdf.html", r={"ranking": rows, "ranking_ticks": report.ranking_ticks},
                           locale=report.locale)
    key = hashlib.sha256(html.encode()).hexdigest()
    if key not in _sheets:
        while len(_sheets) >= KEPT_SHEETS:
            del _sheets[next(iter(_sheets))]
        _sheets[key] = render_sheets(html, REPORT_STYLESHEET)
    return _sheets[key]


def forget_sheets() -> None:
    """Drop the rankings this process printed (`ranking_sheets`): the next report prints its
    campaign's again, as a fresh process would (the bench times that)."""
    _sheets.clear()


def ranking_layout(report, sheets: Sheets) -> dict:
    """Where a report saves pages for the ranking (reports/_ranking_slots_pdf.html): how many, the
    height used on the last (CSS px), and the place of its own row, printed again over the ranking,
    marked: its page among the sheets, its top and height (`own`: the row; None when not ranked)."""
    _page, _x, top, *_corner = sheets.anchor("sheet-top")
    end_page, _x, end, *_corner = sheets.anchor("sheet-end")
    if end_page != len(sheets) - 1:
        raise SheetsMisfit("the ranking's end is not on its last page")
    layout = {"count": len(sheets), "last_height": round(end - top, 3), "own": None}
    index = next((i for i, row in enumerate(report.ranking) if row["highlight"]), None)
    if index is None:
        return layout
    page, _x, y, _right, bottom = sheets.anchor(f"rank-row-{index + 1}")
    if bottom is None:  # WeasyPrint before 66: the top left only, down to the next row
        following = sheets.anchor(f"rank-row-{index + 2}") if index + 1 < len(report.ranking) else (end_page, 0, end)
        bottom = following[2] if following[0] == page else y + 12.0
    height = bottom - y
    layout.update(own=report.ranking[index], mark_page=page, mark_top=round(y - top, 3), mark_height=round(height, 3))
    return layout


def filename(report) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{report.campaign.code}-{report.target.code}-{report.locale}")
    return safe + ".pdf"


def write_campaign(campaign, target_ids: list[int], locale: str, out_dir: Path) -> list[Path]:
    """Render the reports of the given targets into out_dir, in this process."""
    data, method, counts = results(campaign), method_of(campaign), option_counts(campaign)
    written = []
    for target_id in target_ids:
        target = db.session.get(Target, target_id)
        with force_locale(locale):
            report = build_report(campaign, target, locale, data=data, method=method, counts=counts,
                                  for_print=True)
        path = out_dir / filename(report)
        path.write_bytes(render(report))
        written.append(path)
    return written


# -- the parallel run: every worker builds its own app and its own database connections ----

_worker_app = None
#: reports a worker is given at a time, at most
CHUNK = 4


def _init_worker(config: dict) -> None:
    global _worker_app
    from .. import create_app  # a worker builds its own app; the factory imports every feature, this one too
    _worker_app = create_app(config)
    # Warmed up here, while the parent computes the results (`render_campaign`).
    _warm_up()


def _warm_up() -> None:
    """WeasyPrint with the report fonts and matplotlib loaded before the first report (about 1.5 s)."""
    from . import charts  # noqa: F401  (matplotlib: where reports are printed in bulk)
    html_to_pdf("<p>预热 warm-up</p>", REPORT_STYLESHEET)


def _init_forked() -> None:
    """A forked worker: the app is its parent's; the database connections it inherited stay the
    parent's (dropped here without closing them), and it opens its own."""
    with _worker_app.app_context():
        db.engine.dispose(close=False)


def _started() -> bool:
    return True


def _work(campaign_id: int, target_ids: list[int], locale: str, out_dir: str) -> list[str]:
    with _worker_app.app_context(), _worker_app.test_request_context():
        campaign = db.session.get(Campaign, campaign_id)
        return [str(p) for p in write_campaign(campaign, target_ids, locale, Path(out_dir))]


def worker_config(app) -> dict:
    keys = ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "ACCESS_CODE_KEY", "KDF_STRENGTH", "RATELIMIT_STORAGE_URI",
            "LANGUAGES", "BABEL_TRANSLATION_DIRECTORIES", "PUBLIC_BASE_URL", "COMMITMENT_STALE_DAYS")
    return {k: app.config[k] for k in keys if k in app.config}


def render_campaign(campaign, locales: list[str], out_dir: Path, workers: int = 2) -> list[Path]:
    """Every report of the campaign in every locale; `workers` > 1 renders in parallel processes.

    From a process running one thread (`flask report`), the workers are forks of it made once it
    has loaded WeasyPrint, matplotlib and the report fonts and computed the results: they start
    at once with all of it, and drop the database connections they inherit (`_init_forked`). Otherwise (threads: a fork would copy locks other
    threads hold) each worker is a fresh interpreter that builds its own app (`_init_worker`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(ct.target_id, locale) for locale in locales for ct in campaign.campaign_targets]
    if workers <= 1:
        written = []
        for locale in locales:
            written += write_campaign(campaign, [t for t, loc in jobs if loc == locale], locale, out_dir)
        return written
    workers = min(workers, os.cpu_count() or 1, len(jobs)) or 1
    from concurrent.futures import ProcessPoolExecutor  # where reports are printed in bulk
    from multiprocessing import get_all_start_methods, get_context  # where the pool starts, not in every web worker

    global _worker_app
    forked = threading.active_count() == 1 and "fork" in get_all_start_methods()
    if forked:
        _warm_up()
        results(campaign)
        _worker_app = current_app._get_current_object()
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork"), initializer=_init_forked)
    else:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                   initializer=_init_worker, initargs=(worker_config(current_app),))
    # Small chunks keep every worker busy to the end (at most a few reports' time of one idle at
    # the end) without paying start-up per report.
    chunks = []
    for locale in locales:
        ids = [t for t, loc in jobs if loc == locale]
        size = max(1, min(CHUNK, -(-len(ids) // (workers * 3))))
        chunks += [(ids[i:i + size], locale) for i in range(0, len(ids), size)]
    with pool:
        if not forked:  # (forks have the results already, and start at once)
            # The workers start now (one per task submitted while none is idle) ...
            for _ in range(workers):
                pool.submit(_started)
            # ... while the results every report shows are computed (and kept) once here, not by each worker.
            results(campaign)
        futures = [pool.submit(_work, campaign.id, ids, locale, str(out_dir)) for ids, locale in chunks]
        return [Path(p) for f in futures for p in f.result()]
