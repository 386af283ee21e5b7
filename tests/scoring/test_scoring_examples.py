"""Worked examples A and B of scoring-method.md, number by number."""
from __future__ import annotations

import math

import pytest

import scoring

EXAMPLE_A_METHOD = {
    "scale": {"options": [{"code": "A", "points": 100}, {"code": "B", "points": 80},
                          {"code": "C", "points": 60}, {"code": "D", "points": 40},
                          {"code": "DK", "points": None}],
              "satisfied": ["A", "B"], "dissatisfied": ["D"]},
    "dimensions": [{"code": "work", "weight": 2}, {"code": "integrity", "weight": 1}],
    "items": [{"code": "w1", "dimension": "work", "weight": 1},
              {"code": "w2", "dimension": "work", "weight": 1},
              {"code": "i1", "dimension": "integrity", "weight": 1}],
    "groups": [{"code": "public", "weight": 0.6}, {"code": "staff", "weight": 0.4}],
    "min_group_size": 3,
    "trim": 0,
    "grades": [{"code": "excellent", "min": 90}, {"code": "good", "min": 80},
               {"code": "fair", "min": 60}, {"code": "poor", "min": 0}],
    "alerts": {"prevention": 0.15, "warning": 0.30},
}

# ballot, group, target, options for w1 w2 i1 ("-" = empty)
EXAMPLE_A_ANSWERS = """
p1 public T1 A B A
p2 public T1 B B DK
p3 public T1 C D C
p4 public T1 A A A
p5 public T1 D D D
p6 public T2 B C B
p7 public T2 A B A
s1 staff T1 B C B
s1 staff T2 A A B
s2 staff T1 A B A
s2 staff T2 C - C
s3 staff T1 C C B
s3 staff T2 B B DK
"""


def example_a_columns():
    columns = {c: [] for c in ("ballot", "group", "target", "item", "option")}
    for line in EXAMPLE_A_ANSWERS.split("\n"):
        if not line:
            continue
        ballot, group, target, *options = line.split()
        for item, option in zip(("w1", "w2", "i1"), options):
            for column, value in zip(columns, (ballot, group, target, item,
                                               "" if option == "-" else option)):
                columns[column].append(value)
    return columns


@pytest.fixture(scope="module")
def example_a():
    answers = scoring.Answers.from_columns(**example_a_columns())
    return scoring.score(answers, scoring.Method.from_dict(EXAMPLE_A_METHOD))


def by_code(results, code):
    return next(t for t in results["targets"] if t["target"] == code)


def test_a_counts_and_order(example_a):
    assert example_a["ballots"] == 10
    assert example_a["flagged_straightline"] == 0
    assert example_a["excluded"] == 0
    assert [t["target"] for t in example_a["targets"]] == ["T2", "T1"]


def test_a_t1_public(example_a):
    public = by_code(example_a, "T1")["groups"]["public"]
    assert public["n"] == 5 and public["suppressed"] is False
    # w1: A B C A D = (100+80+60+100+40)/5 = 76; w2: B B D A D = (80+80+40+100+40)/5 = 68
    # i1: A DK C A D = (100+60+100+40)/4 = 75 with n 4 and dk 1
    assert public["items"] == {"w1": {"n": 5, "mean": 76.0, "dk": 0},
                               "w2": {"n": 5, "mean": 68.0, "dk": 0},
                               "i1": {"n": 4, "mean": 75.0, "dk": 1}}
    # work = (76 + 68)/2 = 72; integrity = 75; S = (2*72 + 75)/3 = 73
    assert public["dimensions"] == pytest.approx({"work": 72.0, "integrity": 75.0})
    assert public["score"] == pytest.approx(73.0)
    # satisfied: w1 A,B,A; w2 B,B,A; i1 A,A = 8 of 14 valid; dissatisfied D: 1+2+1 = 4
    assert public["satisfaction"] == pytest.approx(8 / 14)
    assert public["dissatisfaction"] == pytest.approx(4 / 14)


def test_a_t1_staff(example_a):
    staff = by_code(example_a, "T1")["groups"]["staff"]
    assert staff["n"] == 3
    # w1: B A C = 80; w2: C B C = 66.67; i1: B A B = 86.67
    assert staff["items"]["w1"]["mean"] == pytest.approx(80.0)
    assert staff["items"]["w2"]["mean"] == pytest.approx(200 / 3)
    assert staff["items"]["i1"]["mean"] == pytest.approx(260 / 3)
    # S = (2 * (80 + 66.67)/2 + 86.67)/3 = 77.78
    assert staff["score"] == pytest.approx(700 / 9)
    assert staff["satisfaction"] == pytest.approx(6 / 9)


def test_a_t1_composite(example_a):
    t1 = by_code(example_a, "T1")
    # C = 0.6*73 + 0.4*77.78 = 74.911
    assert t1["score"] == pytest.approx(0.6 * 73 + 0.4 * 700 / 9)
    assert round(t1["score"], 3) == 74.911
    # ballot scores public 93.33, 80, 53.33, 100, 40: s2 = 666.67; staff 73.33, 93.33,
    # 66.67: s2 = 192.59; SE = sqrt(0.36*666.67/5 + 0.16*192.59/3) = 7.634
    se = math.sqrt(0.36 * (2000 / 3) / 5 + 0.16 * (5200 / 27) / 3)
    assert t1["se"] == pytest.approx(se)
    assert round(t1["se"], 3) == 7.634
    assert t1["ci95"] == pytest.approx([t1["score"] - 1.96 * se, t1["score"] + 1.96 * se])
    # dissatisfaction 0.6 * 4/14 + 0.4 * 0 = 0.1714 -> prevention (0.15 <= d < 0.30)
    assert t1["dissatisfaction"] == pytest.approx(0.6 * 4 / 14)
    assert round(t1["dissatisfaction"], 4) == 0.1714
    assert t1["alert"] == "prevention"
    assert t1["grade"] == "fair"
    assert t1["rank"] == 2
    assert t1["reweighted"] is False


def test_a_t2(example_a):
    t2 = by_code(example_a, "T2")
    # public has p6, p7 only: 2 < 3, suppressed, shown as n and the flag only
    assert t2["groups"]["public"] == {"n": 2, "suppressed": True}
    staff = t2["groups"]["staff"]
    # w1: A C B = 80; w2: A - B = 90 (n 2); i1: B C DK = 70 (dk 1)
    assert staff["items"] == {"w1": {"n": 3, "mean": 80.0, "dk": 0},
                              "w2": {"n": 2, "mean": 90.0, "dk": 0},
                              "i1": {"n": 2, "mean": 70.0, "dk": 1}}
    # S = (2*85 + 70)/3 = 80 = C
    assert staff["score"] == pytest.approx(80.0)
    assert t2["score"] == pytest.approx(80.0)
    assert t2["reweighted"] is True
    assert t2["grade"] == "good"
    assert t2["rank"] == 1
    assert t2["dimensions"] == pytest.approx({"work": 85.0, "integrity": 70.0})


def test_b_trimming_ties():
    method = dict(EXAMPLE_A_METHOD, items=[{"code": "q", "dimension": "work", "weight": 1}],
                  dimensions=[{"code": "work", "weight": 1}],
                  groups=[{"code": "public", "weight": 1}], trim=1, min_group_size=3)
    ballots = {"b1": "A", "b10": "A", "b3": "B", "b4": "C", "b5": "D", "b6": "D"}
    answers = scoring.Answers.from_columns(
        ballot=list(ballots), group=["public"] * 6, target=["t"] * 6, item=["q"] * 6,
        option=list(ballots.values()))
    t = scoring.score(answers, scoring.Method.from_dict(method))["targets"][0]
    # lowest tie b5, b6 at 40: b5 (smaller id) goes; highest tie b1, b10 at 100: b10
    # (larger id) goes; kept b1 100, b3 80, b4 60, b6 40: (100+80+60+40)/4 = 70
    assert t["score"] == pytest.approx(70.0)
    assert t["groups"]["public"]["n"] == 4
    # dissatisfied: b6's D, 1 of 4
    assert t["dissatisfaction"] == pytest.approx(0.25)
    assert t["groups"]["public"]["items"]["q"] == {"n": 4, "mean": 70.0, "dk": 0}
