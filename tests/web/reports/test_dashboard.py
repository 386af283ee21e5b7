"""The commission's dashboard, the moderation queue and the exports."""
import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from survey_app.extensions import db


def test_dashboard_shows_results_alerts_sensitivity_and_reliability(app, login, counted_campaign):
    client = login("auditor")
    client.set_cookie("lang", "en")
    response = client.get(f"/reports/{counted_campaign}/dashboard")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in ("Turnout", "Alerts", "Sensitivity to straight-lining", "Without flagged ballots", "Reliability",
                 "ICC(1)", 'class="sortable"', "reports.js"):
        assert text in html, text
    assert "<script>" not in html and ' style="' not in html  # CSP: no inline script or style


def test_dashboard_refused_to_leaders_and_clerks(app, login, counted_campaign):
    assert login("clerk").get(f"/reports/{counted_campaign}/dashboard").status_code == 403


def test_drilldown_shows_the_figures_behind_an_alert(app, login, counted_campaign, ids):
    client = login("staff")
    client.set_cookie("lang", "en")
    html = client.get(f"/reports/{counted_campaign}/targets/{ids(counted_campaign)[2]}/alert").get_data(as_text=True)
    assert "Dissatisfaction per respondent group" in html and "Item means" in html
    assert "fewer than 3 responses" in html


def _comment(app, text):
    from survey_app.models import Comment
    with app.app_context():
        return db.session.execute(select(Comment.id).where(Comment.text == text)).scalar_one()


def test_moderation_publishes_and_hides_with_an_audit_entry(app, login, counted_campaign, ids):
    from survey_app.models import AuditEntry, Comment
    client = login("staff")
    client.set_cookie("lang", "en")
    queue = client.get(f"/reports/{counted_campaign}/comments").get_data(as_text=True)
    assert "public comment 1" in queue and "public comment 0" not in queue  # pending only
    cid = _comment(app, "public comment 1")
    response = client.post(f"/reports/{counted_campaign}/comments/{cid}", data={"status": "published"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Comment, cid).status == "published"
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "comment.moderate")).scalars().one()
        assert entry.subject == f"comment:{cid}" and entry.details["after"] == "published"
        assert "public comment" not in str(entry.details)  # the log holds no comment text
    report = client.get(f"/reports/{counted_campaign}/targets/{ids(counted_campaign)[0]}").get_data(as_text=True)
    assert "public comment 1" in report
    client.post(f"/reports/{counted_campaign}/comments/{cid}", data={"status": "hidden"})
    report = client.get(f"/reports/{counted_campaign}/targets/{ids(counted_campaign)[0]}").get_data(as_text=True)
    assert "public comment 1" not in report


@pytest.mark.parametrize("status", ["deleted", ""])
def test_moderation_refuses_bad_input_and_changes_nothing(app, login, counted_campaign, status):
    from survey_app.models import Comment
    client = login("staff")
    cid = _comment(app, "public comment 1")
    assert client.post(f"/reports/{counted_campaign}/comments/{cid}", data={"status": status}).status_code == 400
    assert client.post(f"/reports/{counted_campaign}/comments/nope", data={"status": "hidden"}).status_code == 404
    with app.app_context():
        assert db.session.get(Comment, cid).status == "pending"


def test_auditor_cannot_moderate(app, login, counted_campaign):
    cid = _comment(app, "public comment 1")
    client = login("auditor")
    assert client.post(f"/reports/{counted_campaign}/comments/{cid}", data={"status": "hidden"}).status_code == 403


def test_comment_of_another_campaign_is_404(app, login, counted_campaign, make_campaign):
    other = make_campaign(code="other")
    cid = _comment(app, "public comment 1")
    assert login("staff").post(f"/reports/{other}/comments/{cid}", data={"status": "hidden"}).status_code == 404


def test_xlsx_export_is_formatted_to_print(app, login, counted_campaign):
    client = login("staff")
    client.set_cookie("lang", "en")
    response = client.get(f"/reports/{counted_campaign}/results.xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.data)).active
    assert ws.freeze_panes == "D4"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws["A3"].value == "Rank" and ws["A3"].font.bold
    assert ws.column_dimensions["C"].width >= 20
    assert ws["D4"].number_format == "0.00" and ws["I4"].number_format == "0.0%"
    assert ws["D4"].value is not None
    # the staff group is suppressed everywhere: no score, only the note
    staff_score = [c.value for c in ws["P"][3:]]
    assert staff_score == [None, None, None]


def test_csv_export(app, login, counted_campaign):
    client = login("staff")
    client.set_cookie("lang", "en")
    body = client.get(f"/reports/{counted_campaign}/results.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:4] == ["Rank", "Code", "Target", "Score"]
    assert len(rows) == 4 and {r[1] for r in rows[1:]} == {"rep-t1", "rep-t2", "rep-t3"}


def test_dashboard_shows_the_funnel_plot_and_the_grades_doubt(app, login, counted_campaign):
    """Issue 30: the funnel plot beside the caterpillar chart, with how to read it; a grade whose
    interval crosses a grade line is published as a range."""
    from survey_app.results import adapter as results_adapter
    from survey_app.labels import published_grade
    from survey_app.models import Campaign
    client = login("staff")
    client.set_cookie("lang", "en")
    html = client.get(f"/reports/{counted_campaign}/dashboard").get_data(as_text=True)
    assert 'class="chart-pair"' in html and 'class="funnel-figure"' in html
    assert "Funnel plot: each dot is a target" in html
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        data = results_adapter.results(db.session.get(Campaign, counted_campaign))
        doubtful = [t for t in data["targets"] if t["grade_status"] == "borderline"]
        assert doubtful, "the small fixture campaign has wide intervals"
        words = published_grade(doubtful[0])
    assert "–" in words and words in html and 'class="grade-doubt"' in html


def test_exports_carry_the_published_grade_and_alert_with_their_doubt(app, login, counted_campaign):
    client = login("staff")
    client.set_cookie("lang", "en")
    body = client.get(f"/reports/{counted_campaign}/results.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    header = rows[0]
    for column in ("Grade as published", "Grade certain", "Alert as published", "Alert certain",
                   "Adjustment for a missing group", "Funnel"):
        assert column in header, column
    grade, certain = header.index("Grade as published"), header.index("Grade certain")
    for row in rows[1:]:
        assert row[certain] in ("yes", "no")
        # a grade that is not certain is written as a range of two grades
        assert ("–" in row[grade]) == (row[certain] == "no")
