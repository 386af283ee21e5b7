"""What a view of a report page and of the dashboard reads once their charts and fragments are kept:
not the results (decoded once per process, by their digest), and a fixed number of queries however
many targets, cases or comments there are."""
from datetime import date

from sqlalchemy import event

from survey_app.extensions import db


def _statements(app, client, url: str) -> list[str]:
    with app.app_context():
        engine = db.engine
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)
    client.get(url)  # drawn and kept
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_a_warm_view_reads_no_results_and_no_row_per_case(app, login, published_campaign, ids):
    from survey_app.followup import operations as followup
    from survey_app.models import Target
    with app.app_context():  # a case with two steps on every target
        for target_id in ids(published_campaign):
            case = followup.open_case_by_hand(db.session.get(Target, target_id), "prevention", "偏低", "staff",
                                              names_no_informant=True)
            followup.add_step(case, "letter", on=date(2026, 11, 6), actor="staff", text="请说明")
            followup.add_step(case, "reminder_talk", on=date(2026, 11, 7), actor="staff", held_by="纪委",
                              place="谈话室", text="提醒")
    client = login("staff")
    report = _statements(app, client, f"/reports/{published_campaign}/targets/{ids(published_campaign)[0]}")
    dashboard = _statements(app, client, f"/reports/{published_campaign}/dashboard")
    for statements in (report, dashboard):
        assert statements
        assert not [s for s in statements if "published_results" in s or "counted_results" in s
                    or "results_cache," in s or "campaigns.published_bundle," in s]
    # the dashboard's cases and their steps: one query each, not one per case
    assert len([s for s in dashboard if "FROM alert_case_steps" in s]) == 1
    assert len([s for s in dashboard if "FROM alert_cases" in s]) == 1
