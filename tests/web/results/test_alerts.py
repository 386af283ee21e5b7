"""The alerts the dashboard lists, and the straight-lining comparison beside them."""
import pytest

from survey_app.results import alerts

RESULTS = {"flagged_straightline": 0, "targets": [
    {"target": "A", "score": 91.0, "rank": 1, "alert": None},
    {"target": "B", "score": 58.0, "rank": 2, "alert": "warning"},
    {"target": "C", "score": 64.0, "rank": 3, "alert": "prevention"},
    {"target": "D", "score": None, "rank": None, "alert": "insufficient"},
]}


def test_only_raised_alerts_are_listed_in_the_results_order():
    assert [t["target"] for t in alerts.alerts(RESULTS)] == ["B", "C"]


@pytest.mark.parametrize("alert", [None, "insufficient", "excellent", ""])
def test_no_other_code_counts_as_an_alert(alert):
    assert alerts.alerts({"targets": [{"target": "A", "alert": alert}]}) == []


def test_without_flagged_ballots_nothing_is_computed(monkeypatch):
    monkeypatch.setattr(alerts, "sensitivity", lambda *a, **k: pytest.fail("scored again without need"))
    assert alerts.without_straightliners(object(), RESULTS) == (None, [])


def test_the_comparison_pairs_each_target_with_its_score_without_flagged_ballots(monkeypatch):
    other = {"targets": [{"target": "A", "score": 90.0, "rank": 1, "alert": None},
                         {"target": "B", "score": 61.5, "rank": 2, "alert": "prevention"}]}
    seen = {}

    def sensitivity(campaign, **options):
        seen.update(options)
        return other
    monkeypatch.setattr(alerts, "sensitivity", sensitivity)
    flagged, rows = alerts.without_straightliners("campaign", {**RESULTS, "flagged_straightline": 2})
    assert flagged is other and seen == {"exclude_flagged": True}
    by_target = {row["target"]: row for row in rows}
    assert by_target["A"]["delta"] == pytest.approx(-1.0)
    assert by_target["B"]["delta"] == pytest.approx(3.5) and by_target["B"]["alt_alert"] == "prevention"
    assert by_target["C"]["alt_score"] is None and by_target["C"]["delta"] is None
    assert by_target["D"]["delta"] is None
