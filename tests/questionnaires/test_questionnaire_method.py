"""method_for: the method.json of scoring-method.md, derived from a questionnaire."""
import json

import pytest

import questionnaires


def test_sector_style_method_exactly():
    q = questionnaires.template("sector_style")
    method = questionnaires.method_for(q, [("public", 0.6), ("staff", 0.4)])
    assert list(method) == ["scale", "dimensions", "items", "groups", "min_group_size", "trim",
                            "grades", "alerts", "straightline_min_answers", "exclude_flagged"]
    assert method["scale"] == {
        "options": [{"code": "A", "points": 100}, {"code": "B", "points": 70},
                    {"code": "C", "points": 40}, {"code": "DK", "points": None}],
        "satisfied": ["A", "B"], "dissatisfied": ["C"]}
    assert method["dimensions"] == [
        {"code": code, "weight": 1.0}
        for code in ("law", "fees", "openness", "service", "efficiency", "integrity")]
    dims = ["law", "law", "fees", "fees", "openness", "openness", "service", "service",
            "efficiency", "efficiency", "integrity", "integrity"]
    assert method["items"] == [{"code": f"q{i:02d}", "dimension": d, "weight": 1.0}
                               for i, d in zip(range(2, 14), dims)]
    assert method["groups"] == [{"code": "public", "weight": 0.6},
                                {"code": "staff", "weight": 0.4}]
    assert method["min_group_size"] == 5 and method["trim"] == 0
    assert method["grades"] == [{"code": "excellent", "min": 90}, {"code": "good", "min": 80},
                                {"code": "fair", "min": 60}, {"code": "poor", "min": 0}]
    assert method["alerts"] == {"prevention": 0.15, "warning": 0.30}
    assert method["straightline_min_answers"] == 10 and method["exclude_flagged"] is False
    assert json.loads(json.dumps(method)) == method


def test_options_and_weights_are_passed_through(base):
    grades = [{"code": "poor", "min": 0}, {"code": "good", "min": 75}]
    method = questionnaires.method_for(
        base, {"public": 1, "staff": 0}, min_group_size=3, trim=1, grades=grades,
        alerts={"prevention": 0.1, "warning": 0.2}, straightline_min_answers=5,
        exclude_flagged=True)
    assert method["dimensions"] == [{"code": "law", "weight": 1.0},
                                    {"code": "service", "weight": 1.0}]
    assert method["items"] == [{"code": "q1", "dimension": "law", "weight": 1.0},
                               {"code": "q2", "dimension": "service", "weight": 2.0}]
    assert method["groups"] == [{"code": "public", "weight": 1.0},
                                {"code": "staff", "weight": 0.0}]
    assert method["grades"] == [{"code": "good", "min": 75}, {"code": "poor", "min": 0}]
    assert grades[0]["code"] == "poor"  # the caller's list is left alone
    assert (method["min_group_size"], method["trim"], method["straightline_min_answers"],
            method["exclude_flagged"]) == (3, 1, 5, True)
    assert method["alerts"] == {"prevention": 0.1, "warning": 0.2}


def test_decision_method():
    method = questionnaires.method_for(questionnaires.template("decision"), [("members", 1.0)])
    assert method["scale"]["options"] == [{"code": "agree", "points": 100},
                                          {"code": "disagree", "points": 0},
                                          {"code": "abstain", "points": None}]
    assert method["dimensions"] == [{"code": "decision", "weight": 1.0}]
    assert method["items"] == [{"code": "q01", "dimension": "decision", "weight": 1.0}]


@pytest.mark.parametrize("kind", questionnaires.KINDS)
def test_every_template_has_a_method(kind):
    q = questionnaires.template(kind)
    method = questionnaires.method_for(q, [("public", 1.0)])
    assert [i["code"] for i in method["items"]] == [i.code for i in q.rating_items()]
    assert {d["code"] for d in method["dimensions"]} == {i.dimension for i in q.rating_items()}


@pytest.mark.parametrize("groups, settings", [
    ([("public", -1.0)], {}),
    ([("public", float("nan"))], {}),
    ([("public", "1")], {}),
    ([("public", 1.0), ("public", 1.0)], {}),
    ([("the public", 1.0)], {}),
    ([("public", 1.0)], {"min_group_size": 0}),
    ([("public", 1.0)], {"trim": -1}),
    ([("public", 1.0)], {"alerts": {"prevention": 0.5, "warning": 0.3}}),
    ([("public", 1.0)], {"funnel_alerts": 0.9}),
    ([("public", 1.0)], {"funnel_alerts": True}),
    ([("public", 1.0)], {"funnel_alerts": "0.95"}),
])
def test_bad_method_settings(base, groups, settings):
    with pytest.raises(ValueError):
        questionnaires.method_for(base, groups, **settings)


@pytest.mark.parametrize("level", [None, 0.95, 0.998])
def test_funnel_alerts_reach_the_method_only_when_set(base, level):
    method = questionnaires.method_for(base, [("public", 1.0)], funnel_alerts=level)
    assert method.get("funnel_alerts") == level and ("funnel_alerts" in method) == (level is not None)
