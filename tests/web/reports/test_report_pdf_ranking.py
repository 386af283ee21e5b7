"""Issue 33: the ranking in a report PDF is a table WeasyPrint breaks across pages at its rows,
not one image taller than a page (of a hundred rows, only ~43 printed, and a target ranked
lower never saw its own row). The table is the same in every report of a campaign: printed once
(reports.pdf.ranking_sheets) and drawn into each report, which prints its own row again over it, marked."""
import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from flask import render_template
from pypdf import PdfReader

from survey_app.extensions import db


def _pdf(campaign, target, locale):
    from flask_babel import force_locale

    from survey_app.reports import pdf
    from survey_app.reports.operations import build_report
    with force_locale(locale):
        report = build_report(campaign, target, locale, for_print=True)
    return report, pdf.render(report)


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _images(data: bytes) -> list:
    reader = PdfReader(io.BytesIO(data))
    return list({obj.idnum: obj.get_object() for page in reader.pages
                 for obj in (page["/Resources"].get("/XObject") or {}).values()
                 if obj.get_object()["/Subtype"] == "/Image"}.values())


def test_a_hundred_target_report_pdf_prints_every_row_and_marks_its_own_even_ranked_low(app):
    from bench.reports import build
    from survey_app.models import Campaign, Target
    campaign_id = build(app, 100, 400, 25)
    with app.test_request_context():
        campaign = db.session.get(Campaign, campaign_id)
        targets = {t.code: t for t in campaign.targets}
        report, data = _pdf(campaign, targets["b001"], "zh_CN")
        ranked = [row for row in report.ranking if row["rank"]]
        assert len(report.ranking) == 100 and len(ranked) >= 90
        # the row 90th best (or the last ranked) and the target in it
        low = ranked[min(89, len(ranked) - 1)]
        low_target = next(t for t in campaign.targets if t.name("zh_CN") == low["name"])
        for target, locale in ((targets["b001"], "zh_CN"), (low_target, "zh_CN"), (low_target, "en")):
            report, data = _pdf(campaign, target, locale)
            text = _text(data)
            lines = [" ".join(line.split()) for line in text.splitlines()]
            # every target's row, in rank order: "rank name" (a reweighted one's rank with "*"); the
            # report's own twice: in the ranking every report prints, and marked over it
            for row in report.ranking:
                pattern = re.compile(rf"^{row['rank'] or '—'}\*? (▶ )?{re.escape(row['name'])}( |$|本报告|This report)")
                assert sum(bool(pattern.match(line)) for line in lines) == 1 + row["highlight"], (locale, row)
            own = next(row for row in report.ranking if row["highlight"])
            assert own["name"] == target.name(locale)
            mine = [line for line in lines if "▶" in line]
            this_report = "本报告" if locale == "zh_CN" else "This report"
            # (pypdf joins the name and the label, in boxes of their own, without a space)
            assert len(mine) == 1 and re.match(rf"{own['rank']}\*? ▶ {re.escape(own['name'])} ?{this_report} ", mine[0])
            # the head repeated on every page the table runs over
            head = "排名 · 被评对象" if locale == "zh_CN" else "Rank · Target"
            assert sum(line.startswith(head) for line in lines) >= 2
            # the charts still printed are images, the ranking is not one any more
            assert "ranking" not in report.charts
            assert len(_images(data)) == len(report.charts)
            _assert_marked_over_its_row(data, own, "本报告" if locale == "zh_CN" else "This")
        assert low["rank"] >= 80


def _assert_marked_over_its_row(data: bytes, own: dict, label: str) -> None:
    """The own row marked (▶, the label, red) is on the page and at the height where the ranking
    drawn under it has that row; the rows above and below are not red."""
    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        return  # poppler-utils (make sysdeps) reads the words' places and the pixels
    from PIL import Image
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.pdf"
        path.write_bytes(data)
        boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True,
                               check=True).stdout
        pages = boxes.split("<page ")[1:]
        marked = [(n, page) for n, page in enumerate(pages, 1) if ">▶</word>" in page]
        assert len(marked) == 1
        number, page = marked[0]
        words = [(float(y), float(y_max), word) for y, y_max, word in
                 re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', page)]
        arrow = next(w for w in words if w[2] == "▶")
        first = own["name"].split()[0]
        same_row = [w for w in words if abs(w[0] - arrow[0]) < 2]
        assert sum(w[2] == first for w in same_row) == 2 and any(w[2] == label for w in same_row), same_row
        subprocess.run(["pdftoppm", "-r", "72", "-png", "-f", str(number), "-l", str(number), str(path),
                        f"{tmp}/page"], check=True)
        image = Image.open(next(Path(tmp).glob("page*.png"))).convert("RGB")

        def red(top: float, bottom: float) -> int:
            return sum(1 for x in range(image.width) for y in range(int(top) + 2, int(bottom) - 1)
                       if (lambda p: p[0] > 150 and p[1] < 90 and p[2] < 90)(image.getpixel((x, y))))
        height = arrow[1] - arrow[0]
        assert red(arrow[0], arrow[1]) > 40
        assert red(arrow[0] - 2 * height, arrow[0] - height) == 0 or arrow[0] - 2 * height < 60
        assert red(arrow[1] + height, arrow[1] + 2 * height) == 0


def test_the_printed_ranking_places_rows_on_one_scale():
    from survey_app.reports.operations import print_ranking
    rows = [{"score": 80.0, "low": 76.0, "high": 84.0}, {"score": 61.0, "low": 52.5, "high": 69.0},
            {"score": 99.0, "low": 97.0, "high": 100.0}]
    ticks = print_ranking(rows)
    assert [t["value"] for t in ticks] == ["50", "60", "70", "80", "90", "100"]
    assert ticks[0]["x"] == 0 and ticks[-1]["x"] == 100
    assert rows[0]["x_low"] == 52.0 and rows[0]["x_score"] == 60.0 and rows[0]["x_high"] == 68.0
    assert rows[0]["x_dot"] == (59.2, 60.8)
    assert rows[2]["x_high"] == 100.0 and rows[2]["x_dot"] == (97.2, 98.8)
    assert print_ranking([]) == []


def test_a_report_the_shared_ranking_pages_do_not_fit_prints_the_ranking_in_its_own_flow(app, monkeypatch, caplog):
    """If the pages printed once do not fit a report (a layout or a WeasyPrint they were not made
    for), the report lays the ranking out itself, as one table with its own row marked: slower, never
    an error page nor a wrong PDF."""
    from bench.reports import build
    from survey_app import printing
    from survey_app.models import Campaign

    def misfit(document, sheets):
        raise printing.SheetsMisfit("a slot not at the top of its page")
    monkeypatch.setattr(printing, "slots_of", misfit)
    campaign_id = build(app, 30, 150, 10)
    with app.test_request_context():
        campaign = db.session.get(Campaign, campaign_id)
        target = sorted(campaign.targets, key=lambda t: t.code)[-1]
        report, data = _pdf(campaign, target, "en")
    lines = [" ".join(line.split()) for line in _text(data).splitlines()]
    for row in report.ranking:  # each row once: nothing drawn under or over it
        pattern = re.compile(rf"^{row['rank'] or '—'}\*? (▶ )?{re.escape(row['name'])}( |$|This report)")
        assert sum(bool(pattern.match(line)) for line in lines) == 1, row
    assert [line for line in lines if "▶" in line][0].startswith(
        next(f"{row['rank'] or '—'}" for row in report.ranking if row["highlight"]))
    assert "printed without the shared ranking pages: a slot not at the top of its page" in caplog.text


def test_the_last_row_of_the_printed_ranking_never_stands_alone_on_a_page(app):
    """A ranking one row longer than what fills its first page would print its last row alone on
    the next page, under the repeated head: the last two rows are kept together instead."""
    from survey_app import printing
    from survey_app.reports.operations import print_ranking
    from survey_app.reports.pdf import REPORT_STYLESHEET

    def printed(n: int):
        rows = [{"rank": i + 1, "name": f"单位 {i + 1:03d}", "score": 90.0 - i * 0.3, "low": 86.0 - i * 0.3,
                 "high": 94.0 - i * 0.3, "reweighted": False, "highlight": False} for i in range(n)]
        ticks = print_ranking(rows)
        with app.test_request_context():
            html = render_template("reports/ranking_sheets_pdf.html", r={"ranking": rows, "ranking_ticks": ticks},
                                   locale="zh_CN")
        sheets = printing.render_sheets(html, REPORT_STYLESHEET)
        return [sheets.anchor(f"rank-row-{i + 1}")[0] for i in range(n)]

    pages = printed(80)
    first_of_page_two = pages.index(1)  # rows 1..this fill the first page
    assert 20 < first_of_page_two < 79
    n = first_of_page_two + 1  # without the rule, row n alone on page two
    pages = printed(n)
    assert pages[-1] == pages[-2], pages
    assert pages.count(pages[-1]) >= 2 and max(pages) == 1
    # and a ranking that fits one page stays on it
    assert set(printed(first_of_page_two)) == {0}
