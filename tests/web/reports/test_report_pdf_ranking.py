"""Issue 33: the ranking in a report PDF is a table WeasyPrint breaks across pages at its rows,
not one image taller than a page (of a hundred rows, only ~43 printed, and a target ranked
lower never saw its own row)."""
import io
import re

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
            # every target's row, in rank order: "rank name" (a reweighted one's rank with "*")
            for row in report.ranking:
                pattern = re.compile(rf"^{row['rank'] or '—'}\*? (▶ )?{re.escape(row['name'])}( |$|本报告|This report)")
                assert sum(bool(pattern.match(line)) for line in lines) == 1, (locale, row)
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
        assert low["rank"] >= 80


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
