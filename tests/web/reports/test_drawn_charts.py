"""Charts are drawn once per change of what they show and kept for every app server."""
import re

import pytest

from survey_app.extensions import db
from survey_app.models import DrawnChart
from survey_app.reports import charts, drawn


@pytest.fixture
def drawings(monkeypatch):
    """Counts the drawings of each kind (the drawing itself still happens)."""
    counted = {}
    for name in ("dimension_profile", "distribution", "trend", "caterpillar", "funnel"):
        original = getattr(charts, name)

        def counting(*args, _name=name, _original=original, **kwargs):
            counted[_name] = counted.get(_name, 0) + 1
            return _original(*args, **kwargs)
        monkeypatch.setattr(charts, name, counting)
    drawn.clear_local()
    yield counted
    drawn.clear_local()


def test_a_report_page_draws_its_charts_once_for_every_worker(app, login, counted_campaign, ids, drawings):
    client = login("staff")
    client.set_cookie("lang", "en")
    url = f"/reports/{counted_campaign}/targets/{ids(counted_campaign)[0]}"
    def svgs():  # (comments come in random order: the charts are compared)
        return re.findall(r"<svg .*?</svg>", client.get(url).get_data(as_text=True), flags=re.S)
    first = svgs()
    assert len(first) == 4
    assert drawings == {"dimension_profile": 1, "distribution": 1, "caterpillar": 1, "funnel": 1}
    assert svgs() == first
    drawn.clear_local()  # another worker: no copy in its memory, the table has the charts
    assert svgs() == first
    assert drawings == {"dimension_profile": 1, "distribution": 1, "caterpillar": 1, "funnel": 1}
    with app.app_context():
        # the four charts and the page's figures (reports.fragments)
        assert db.session.query(DrawnChart).filter_by(campaign_id=counted_campaign).count() == 5
    # Another language is another drawing (its labels differ), once.
    client.set_cookie("lang", "zh_CN")
    client.get(url)
    client.get(url)
    assert drawings == {"dimension_profile": 2, "distribution": 2, "caterpillar": 2, "funnel": 2}


def test_charts_are_drawn_again_when_the_results_change(app, login, counted_campaign, ids, drawings):
    from survey_app.models import Campaign
    client = login("staff")
    client.set_cookie("lang", "en")
    client.get(f"/reports/{counted_campaign}/dashboard")
    assert drawings == {"caterpillar": 1, "funnel": 1}
    with app.app_context():
        campaign = db.session.get(Campaign, counted_campaign)
        # Results kept at counting never change (they are signed); a campaign counted before
        # results were kept has them computed, and there a new setting means new scores.
        campaign.counted_results = None
        campaign.min_group_size = 2  # the staff group (2 ballots) counts now: new scores
        db.session.commit()
    client.get(f"/reports/{counted_campaign}/dashboard")
    assert drawings == {"caterpillar": 2, "funnel": 2}
    client.get(f"/reports/{counted_campaign}/dashboard")
    assert drawings == {"caterpillar": 2, "funnel": 2}
    with app.app_context():  # the charts of the old results are gone
        sources = {row.source for row in db.session.query(DrawnChart).filter_by(campaign_id=counted_campaign)}
        assert len(sources) == 1


def test_every_chart_has_its_figures_as_a_table(app, login, counted_campaign, ids):
    client = login("staff")
    client.set_cookie("lang", "en")
    html = client.get(f"/reports/{counted_campaign}/targets/{ids(counted_campaign)[0]}").get_data(as_text=True)
    for table in ("profile-data", "distribution-data", "ranking-data", "funnel-data"):
        assert f'aria-describedby="{table}"' in html and f'id="{table}"' in html
    assert "The figures of the chart" in html
    ranking = html[html.index('id="ranking-data"'):]
    assert "<strong>Unit 1</strong>" in ranking[:ranking.index("</table>")]  # this report's row stands out
    client.set_cookie("lang", "zh_CN")
    html = client.get(f"/reports/{counted_campaign}/targets/{ids(counted_campaign)[0]}").get_data(as_text=True)
    assert "图表中的数据" in html and "所示群体对各题各选项的回答占比" in html
    dashboard = client.get(f"/reports/{counted_campaign}/dashboard").get_data(as_text=True)
    assert 'aria-describedby="dashboard-results"' in dashboard and 'id="dashboard-results"' in dashboard


def test_a_chart_that_cannot_be_kept_is_still_shown(app, login, counted_campaign, ids, monkeypatch, drawings):
    def refuse(*args, **kwargs):
        raise RuntimeError("read-only database")
    client = login("staff")
    with app.app_context():
        monkeypatch.setattr(db.engine, "begin", refuse)
    page = client.get(f"/reports/{counted_campaign}/dashboard")
    assert page.status_code == 200 and "<svg " in page.get_data(as_text=True)


def test_a_pdf_gets_its_charts_as_png_and_a_page_as_svg(app, counted_campaign, drawings):
    """WeasyPrint lays SVG out element by element (several times a PNG's cost): PDFs get
    PNG, drawn once and kept beside the pages' SVG."""
    from flask_babel import force_locale

    from survey_app.models import Campaign
    from survey_app.reports.operations import build_report
    with app.app_context(), app.test_request_context(), force_locale("en"):
        campaign = db.session.get(Campaign, counted_campaign)
        target = campaign.targets[0]
        page = build_report(campaign, target, "en").charts
        assert set(page) == {"profile", "distribution", "ranking", "funnel"}
        # The PDF prints the ranking as a table, not as a chart (issue 33: a hundred rows were taller
        # than a page).
        report = build_report(campaign, target, "en", for_print=True)
        printed = report.charts
        assert set(printed) == {"profile", "distribution", "funnel"} and len(report.ranking) >= 2
        assert all(svg.startswith("<svg ") for svg in page.values())
        assert all(png.startswith("data:image/png;base64,") for png in printed.values())
        build_report(campaign, target, "en", for_print=True)
        other = build_report(campaign, campaign.targets[1], "en", for_print=True)
    assert drawings == {"dimension_profile": 3, "distribution": 3, "caterpillar": 1, "funnel": 3}
    assert [row["highlight"] for row in other.ranking] != [row["highlight"] for row in report.ranking]
