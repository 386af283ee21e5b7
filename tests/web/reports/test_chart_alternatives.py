"""Every chart of a report page, the dashboard and the public page is inline SVG with its data as a table beside
it (`aria-describedby` names the table), also when the page comes from the kept fragments."""
import re

from survey_app.reports import drawn

FIGURE = re.compile(r'<figure class="chart" role="img" aria-label="[^"]*" aria-describedby="([^"]+)">(.*?)</figure>',
                    re.S)


def _charts_and_tables(html: str) -> dict[str, int]:
    """{table id: its body rows} of every chart on the page; each chart is checked to be SVG."""
    found = {}
    for table_id, figure in FIGURE.findall(html):
        assert figure.lstrip().startswith("<svg") and "</svg>" in figure and "<img" not in figure
        table = re.search(rf'<table[^>]* id="{table_id}"[^>]*>(.*?)</table>', html, re.S)
        assert table is not None, table_id
        found[table_id] = table.group(1).split("<tbody>")[1].count("<tr")
    return found


def test_every_chart_of_a_report_page_and_the_dashboard_has_its_table(app, login, counted_campaign, ids):
    client = login("staff")
    client.set_cookie("lang", "en")
    pages = {"report": f"/reports/{counted_campaign}/targets/{ids(counted_campaign)[0]}",
             "dashboard": f"/reports/{counted_campaign}/dashboard"}
    for _ in range(2):  # drawn, then from the kept fragments of another worker
        drawn.clear_local()
        report = _charts_and_tables(client.get(pages["report"]).get_data(as_text=True))
        assert {"profile-data", "distribution-data", "ranking-data", "funnel-data"} <= set(report)
        dashboard = _charts_and_tables(client.get(pages["dashboard"]).get_data(as_text=True))
        assert set(dashboard) == {"dashboard-results", "dashboard-funnel-data"}
        assert all(rows > 0 for rows in [*report.values(), *dashboard.values()])
        # the funnel's table lists every target the plot shows, on both pages
        assert dashboard["dashboard-funnel-data"] == report["funnel-data"]


def test_every_chart_of_the_public_page_has_its_table(app, client, published_campaign):
    for _ in range(2):  # drawn, then kept
        drawn.clear_local()
        public = _charts_and_tables(client.get("/results/rep").get_data(as_text=True))
        assert set(public) == {"public-ranking", "public-funnel-data"} and all(public.values())
