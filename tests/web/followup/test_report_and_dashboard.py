"""The next feedback report (page and PDF) shows the target's case history; the dashboard counts
open, overdue and closed cases per target."""
import io
from datetime import date, timedelta

from survey_app.extensions import db


def test_the_report_shows_the_cases_opened_before_its_results_not_its_own(app, quick_world, make_campaign):
    from survey_app.followup import operations
    from survey_app.models import AlertCase, Campaign, Target
    from survey_app.models._types import utcnow
    later_id = make_campaign(code="later", status="draft")
    with app.app_context():
        first = db.session.get(Campaign, quick_world["campaign"])
        later = db.session.get(Campaign, later_id)
        target = db.session.get(Target, quick_world["targets"][0])
        own = db.session.query(AlertCase).filter_by(target_id=target.id).one()
        # the campaign's own report does not show the case its own alert opened
        assert operations.report_rows(target.id, first) == []
        # a later campaign's report, published after, shows it; one not published yet shows it too
        assert operations.report_rows(target.id, later) == [own]
        later.published_at = utcnow() + timedelta(days=1)
        assert operations.report_rows(target.id, later) == [own]
        # a case opened after the later campaign's results is for the report after that
        hand = operations.open_case_by_hand(target, "prevention", "x", "staff", names_no_informant=True)
        hand.opened_at = later.published_at + timedelta(days=1)
        db.session.commit()
        assert operations.report_rows(target.id, later) == [own]


def test_report_page_and_pdf_show_the_history_and_the_dashboard_counts(app, alert_world, users, login, monkeypatch):
    import pdfplumber
    from survey_app.followup import operations
    from survey_app.models import AlertCase, Campaign, Target
    with app.app_context():
        campaign = db.session.get(Campaign, alert_world["campaign"])
        target = db.session.get(Target, alert_world["targets"][0])
        # a case opened by hand before these results were published (an earlier year's)
        earlier = operations.open_case_by_hand(target, "prevention", "上年度满意度偏低", "staff", names_no_informant=True)
        earlier.opened_at = campaign.published_at - timedelta(days=300)
        db.session.commit()
        operations.add_step(earlier, "admonishing_talk", on=date(2026, 1, 12), actor="staff", held_by="市纪委书记",
                            place="市纪委谈话室", text="诫勉谈话内容")
        operations.close_case(earlier, "corrected", "整改到位", "staff")
        warning = db.session.query(AlertCase).filter_by(campaign_id=campaign.id, target_id=target.id).one()
        operations.add_step(warning, "letter", on=date(2026, 11, 6), actor="staff", text="请说明")
        target_id, names = target.id, (target.name_zh, target.name_en)
    client = login("staff")
    client.post("/language", data={"lang": "en"})
    page = client.get(f"/reports/{alert_world['campaign']}/targets/{target_id}?lang=en").get_data(as_text=True)
    assert "report-cases" in page and "市纪委谈话室" in page and "诫勉谈话内容" not in page
    pdf = client.get(f"/reports/{alert_world['campaign']}/targets/{target_id}.pdf")
    assert pdf.status_code == 200
    with pdfplumber.open(io.BytesIO(pdf.data)) as doc:
        text = "".join(p.extract_text() or "" for p in doc.pages)
    assert "市纪委谈话室" in text
    monkeypatch.setattr(operations, "today", lambda: date(2026, 11, 30))
    dashboard = client.get(f"/reports/{alert_world['campaign']}/dashboard").get_data(as_text=True)
    section = dashboard.split('id="cases"')[1].split("</table>")[0]
    rows = [r for r in section.split("<tr")[2:]]
    assert len(rows) == 2  # the units in warning and prevention; the third has no case
    first = next(r for r in rows if names[0] in r or names[1] in r)
    assert [c.split(">")[1] for c in first.split('<td class="num')[1:]] == ["1</td", "1</td", "1</td"]
