"""Worked examples A to H of scoring-method.md, number by number."""
from __future__ import annotations

import math

import pytest
from scipy import stats

import scoring

Z = stats.norm.ppf(0.975)

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
    # dissatisfaction 0.6 * 4/14 + 0.4 * 0 = 0.1714 -> prevention (0.15 <= d < 0.30)
    assert t1["dissatisfaction"] == pytest.approx(0.6 * 4 / 14)
    assert round(t1["dissatisfaction"], 4) == 0.1714
    assert t1["alert"] == "prevention"
    assert t1["grade"] == "fair"
    assert t1["rank"] == 2
    assert t1["reweighted"] is False and t1["adjustment"] is None


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
    # rule R: public is missing, but only one other target (T1) has it: not the common
    # footing, so no adjustment and T2 stays ranked
    assert t2["rank"] == 1 and t2["unranked"] is None
    assert t2["adjustment"] == 0.0 and t2["score_reweighted"] == pytest.approx(80.0)
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
    # n counts the 6 respondents (rule 7), kept the 4 ballots left
    assert t["groups"]["public"]["n"] == 6 and t["groups"]["public"]["kept"] == 4
    # dissatisfied: b6's D, 1 of 4
    assert t["dissatisfaction"] == pytest.approx(0.25)
    assert t["groups"]["public"]["items"]["q"] == {"n": 4, "mean": 70.0, "dk": 0}


# -- the uncertainty rules U1 to U5 on the worked examples ------------------------------------

def wilson(p, n):
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return [max(0.0, centre - half), min(1.0, centre + half)]


def test_a_t1_interval(example_a):
    t1 = by_code(example_a, "T1")
    # U1: e of p1..p5 = 269/12, 16/3, -251/12, 349/12, -431/12; staff T1 -4.444, 15.556, -11.111
    ss_public = (269 ** 2 + 64 ** 2 + 251 ** 2 + 349 ** 2 + 431 ** 2) / 144
    assert round(ss_public, 3) == 3104.306
    e_staff_t1 = [-40 / 9, 140 / 9, -100 / 9]
    e_staff_t2 = [50 / 3, -35 / 3, -5.0]
    ss_staff_t1 = sum(e * e for e in e_staff_t1)
    ss_staff_t2 = sum(e * e for e in e_staff_t2)
    assert (round(ss_staff_t1, 3), round(ss_staff_t2, 3)) == (385.185, 438.889)
    # U2: priors pooled over shown cells; V = (SS + q0)/h^2; df = h
    q0_public, q0_staff = ss_public / 4, (ss_staff_t1 + ss_staff_t2) / 4
    a_public = 0.36 * (ss_public + q0_public) / 25
    a_staff = 0.16 * (ss_staff_t1 + q0_staff) / 9
    se = math.sqrt(a_public + a_staff)
    df = (a_public + a_staff) ** 2 / (a_public ** 2 / 5 + a_staff ** 2 / 3)
    assert t1["se"] == pytest.approx(se, rel=1e-12) and round(se, 5) == 8.14787
    assert t1["ci95_df"] == pytest.approx(df, rel=1e-12) and round(df, 5) == 6.66485
    # U2 on the logit scale: x = (74.911 - 40)/60 = 0.58185, logit(x) -+ t * se / (60 x (1 - x))
    x = (t1["score"] - 40) / 60
    spread = stats.t.ppf(0.975, df) * se / (60 * x * (1 - x))
    assert round(spread, 5) == 1.33339
    expit = lambda v: 1 / (1 + math.exp(-v))
    logit = math.log(x / (1 - x))
    assert t1["ci95"] == pytest.approx([40 + 60 * expit(logit - spread), 40 + 60 * expit(logit + spread)],
                                       rel=1e-12)
    assert [round(v, 4) for v in t1["ci95"]] == [56.101, 90.4446]
    # rule G: the interval reaches from "poor" to "excellent"
    assert t1["grade_range"] == ["poor", "excellent"] and t1["grade_status"] == "borderline"
    assert t1["rank_ci95"] == [1, 2] and by_code(example_a, "T2")["rank_ci95"] == [1, 2]


def test_a_t1_public_satisfaction_interval(example_a):
    public = by_code(example_a, "T1")["groups"]["public"]
    r = 8 / 14
    e = [x / 98 for x in (45, 30, -60, 45, -60)]
    variance = sum(x * x for x in e) / 20
    assert r * (1 - r) / variance == pytest.approx(3.8716, abs=1e-4)  # below h = 5: clamped up
    n_star = 5 * (Z / stats.t.ppf(0.975, 4)) ** 2
    assert round(n_star, 5) == 2.49166
    assert public["satisfaction_ci95"] == pytest.approx(wilson(r, n_star), rel=1e-12)
    assert [round(x, 6) for x in public["satisfaction_ci95"]] == [0.140257, 0.915948]


def test_a_t1_target_satisfaction_interval_mover(example_a):
    """U4: the target's interval from each group's own interval."""
    t1 = by_code(example_a, "T1")
    public, staff = t1["groups"]["public"], t1["groups"]["staff"]
    r = 0.6 * 8 / 14 + 0.4 * 6 / 9
    low = r - math.sqrt(0.36 * (8 / 14 - public["satisfaction_ci95"][0]) ** 2
                        + 0.16 * (6 / 9 - staff["satisfaction_ci95"][0]) ** 2)
    high = r + math.sqrt(0.36 * (public["satisfaction_ci95"][1] - 8 / 14) ** 2
                         + 0.16 * (staff["satisfaction_ci95"][1] - 6 / 9) ** 2)
    assert t1["satisfaction_ci95"] == pytest.approx([low, high], rel=1e-12)
    assert [round(x, 6) for x in staff["satisfaction_ci95"]] == [0.112225, 0.969365]
    assert [round(x, 6) for x in t1["satisfaction_ci95"]] == [0.268771, 0.849086]


def test_c_rank_bands(columns):
    method = dict(EXAMPLE_A_METHOD, items=[{"code": "q", "dimension": "work", "weight": 1}],
                  dimensions=[{"code": "work", "weight": 1}], groups=[{"code": "public", "weight": 1}])
    rows = []
    for t, options in (("t1", "AAABB"), ("t2", "ABBCC"), ("t3", "CDDDD")):
        rows += [(f"{t}b{i}", "public", t, {"q": o}) for i, o in enumerate(options)]
    results = scoring.score(scoring.Answers.from_columns(**columns(rows)), scoring.Method.from_dict(method))
    t = {x["target"]: x for x in results["targets"]}
    # SS 480, 1120, 320; q0 = 1920/12 = 160; V = 25.6, 51.2, 19.2
    assert [t[c]["se"] for c in ("t1", "t2", "t3")] == pytest.approx([25.6 ** .5, 51.2 ** .5, 19.2 ** .5],
                                                                      rel=1e-12)
    assert [t[c]["ci95_df"] for c in ("t1", "t2", "t3")] == pytest.approx([5, 5, 5])
    # t1's logit interval: x = 52/60, logit(x) -+ t_5 * se / (60 x (1 - x))
    x = 52 / 60
    spread = stats.t.ppf(0.975, 5) * 25.6 ** .5 / (60 * x * (1 - x))
    expit = lambda v: 1 / (1 + math.exp(-v))
    assert t["t1"]["ci95"] == pytest.approx([40 + 60 * expit(math.log(x / (1 - x)) + s * spread) for s in (-1, 1)])
    assert [round(v, 4) for v in t["t1"]["ci95"]] == [69.9386, 98.6183]

    def p(d, v1, v2):
        df = (v1 + v2) ** 2 / (v1 ** 2 / 5 + v2 ** 2 / 5)
        return 2 * stats.t.sf(d / math.sqrt(v1 + v2), df)
    p12, p13, p23 = p(16, 25.6, 51.2), p(48, 25.6, 19.2), p(32, 51.2, 19.2)
    assert (round(p12, 6), round(p13 * 1e5, 4), round(p23, 7)) == (0.101177, 3.3673, 0.0048079)
    assert p13 <= 0.025 and p12 > 0.05 and p23 <= 0.025
    assert [t[c]["rank_ci95"] for c in ("t1", "t2", "t3")] == [[1, 2], [1, 2], [3, 3]]


def test_d_trimming_winsorises(columns):
    method = dict(EXAMPLE_A_METHOD, items=[{"code": "q", "dimension": "work", "weight": 1}],
                  dimensions=[{"code": "work", "weight": 1}], groups=[{"code": "public", "weight": 1}],
                  trim=1, min_group_size=1)
    ballots = {"b1": "A", "b2": "B", "b3": "B", "b4": "C", "b5": "D"}
    rows = [(b, "public", "t", {"q": o}) for b, o in ballots.items()]
    t = scoring.score(scoring.Answers.from_columns(**columns(rows)), scoring.Method.from_dict(method))["targets"][0]
    assert t["score"] == pytest.approx(220 / 3) and t["groups"]["public"]["kept"] == 3
    assert t["groups"]["public"]["n"] == 5
    # winsorised e: 20/3 (b1 as b3), 20/3, 20/3, -40/3, -40/3 (b5 as b4): SS = 480
    winsorised = [20 / 3, 20 / 3, 20 / 3, -40 / 3, -40 / 3]
    mean = sum(winsorised) / 5
    ss = sum((x - mean) ** 2 for x in winsorised)
    assert ss == pytest.approx(480)
    assert t["se"] == pytest.approx(math.sqrt((ss + ss / 2) / 9), rel=1e-12)
    assert round(t["se"], 5) == 8.94427 and t["ci95_df"] == 3


# -- examples E to H: rules 2', R, U5 (paired), G and F ----------------------------------------

ONE_ITEM = dict(EXAMPLE_A_METHOD, items=[{"code": "q", "dimension": "work", "weight": 1}],
                dimensions=[{"code": "work", "weight": 1}], groups=[{"code": "public", "weight": 1}])


def test_e_share_trimming(columns):
    """Rule 2' and U1's jackknife: six ballots, share 0.2 of a panel of 5 (one of each end)."""
    method = dict(ONE_ITEM, trim_share=0.2, min_group_size=5)
    rows = [(b, "public", "t", {"q": o}) for b, o in zip(("b1", "b2", "b3", "b4", "b5", "b6"), "DDCBAA")]
    t = scoring.score(scoring.Answers.from_columns(**columns(rows)), scoring.Method.from_dict(method))["targets"][0]
    # weights of places 0..5 for n = 6, m = 5: 0, 4/3, 5/3, 5/3, 4/3, 0 (they sum to 6)
    # S = (40*4/3 + 60*5/3 + 80*5/3 + 100*4/3)/6 = 70
    assert t["score"] == pytest.approx(70.0)
    assert t["groups"]["public"]["n"] == 6 and t["groups"]["public"]["kept"] == pytest.approx(6.0)
    # delete-one: five ballots are one panel, the middle three: 80, 80, 73.33, 66.67, 60, 60;
    # mean 70; e = 5 (70 - S^(-i)) = -50, -50, -16.67, 16.67, 50, 50; SS = 10555.56
    ss = 4 * 2500 + 2 * (50 / 3) ** 2
    q0 = ss / 5
    assert t["se"] == pytest.approx(math.sqrt((ss + q0) / 36), rel=1e-12)
    assert round(t["se"], 4) == 18.7577 and t["ci95_df"] == pytest.approx(6)


def test_f_reweighted_target_adjusted(columns):
    """Rule R: T3 lacks staff; R1 and R2 have both groups and are its references."""
    method = dict(ONE_ITEM, groups=[{"code": "public", "weight": 0.6}, {"code": "staff", "weight": 0.4}],
                  min_group_size=2)
    rows = []
    for t, group, options in (("R1", "public", "AAB"), ("R1", "staff", "BC"), ("R2", "public", "BBC"),
                              ("R2", "staff", "CC"), ("T3", "public", "ABB"), ("T3", "staff", "A")):
        rows += [(f"{t}{group}{i}", group, t, {"q": o}) for i, o in enumerate(options)]
    results = scoring.score(scoring.Answers.from_columns(**columns(rows)), scoring.Method.from_dict(method))
    t3 = next(x for x in results["targets"] if x["target"] == "T3")
    # d(R1) = 70 - 93.33 = -23.33, d(R2) = 60 - 73.33 = -13.33: Delta = -18.33, s^2 = 50
    # adjustment = 0.4 * -18.33 = -7.33; C = 86.67 - 7.33 = 79.33
    assert t3["reweighted"] is True and t3["score_reweighted"] == pytest.approx(260 / 3)
    assert t3["adjustment"] == pytest.approx(-0.4 * 55 / 3)
    assert t3["score"] == pytest.approx(260 / 3 - 22 / 3)
    # its variance 0.4^2 * 50 * (1 + 1/2) = 12, with df 2 - 1 = 1
    assert t3["adjustment_se"] == pytest.approx(math.sqrt(12))
    assert t3["rank"] is not None and t3["unranked"] is None


def example_f2_rows():
    rows = []
    for t, group, options in (("R1", "public", "DD"), ("R1", "staff", "AA"), ("R2", "public", "CC"),
                              ("R2", "staff", "AA"), ("T3", "public", "AAB"), ("T3", "staff", "B")):
        rows += [(f"{t}{group}{i}", group, t, {"q": o}) for i, o in enumerate(options)]
    return rows


EXAMPLE_F2_METHOD = dict(ONE_ITEM, groups=[{"code": "public", "weight": 0.6}, {"code": "staff", "weight": 0.4}],
                         min_group_size=2)


def test_f2_reweighted_adjustment_bounded_by_the_scale(columns):
    """Rule R: the staff score predicted for T3 (93.33 + 50) is bounded to the scale's top, 100."""
    results = scoring.score(scoring.Answers.from_columns(**columns(example_f2_rows())),
                            scoring.Method.from_dict(EXAMPLE_F2_METHOD))
    t3 = next(x for x in results["targets"] if x["target"] == "T3")
    # d = 100 - 40 = 60 and 100 - 60 = 40: Delta = 50 (unbounded: 280/3 + 0.4 * 50 = 113.33)
    # Delta* = 100 - 280/3 = 20/3; adjustment = 0.4 * 20/3 = 8/3; C = 0.6 * 280/3 + 0.4 * 100 = 96
    assert t3["score_reweighted"] == pytest.approx(280 / 3)
    assert t3["adjustment"] == pytest.approx(8 / 3)
    assert t3["score"] == pytest.approx(96.0)
    # the variance is the unbounded one: 0.4^2 * 200 * (1 + 1/2) = 48, df 1
    assert t3["adjustment_se"] == pytest.approx(math.sqrt(48))
    low, high = t3["ci95"]
    assert 40 <= low < t3["score"] < high <= 100


def test_g_paired_rank_band(columns):
    """Rule U5: the same five ballots rate both targets; the paired variance separates them."""
    rows = []
    for i, (a, b) in enumerate(zip("AABBC", "BBCCD")):
        rows += [(f"b{i}", "public", "t1", {"q": a}), (f"b{i}", "public", "t2", {"q": b})]
    results = scoring.score(scoring.Answers.from_columns(**columns(rows)), scoring.Method.from_dict(ONE_ITEM))
    t = {x["target"]: x for x in results["targets"]}
    # e = 16, 16, -4, -4, -24 for both: SS 1120 each, their cross-products 1120;
    # q0 = 2240/8 = 280; V = (1120 + 280)/25 = 56; Cov = 1120/25 = 44.8
    # Var(D) = 56 + 56 - 2 * 44.8 = 22.4 (independent: 112), df min(5, 5) = 5
    assert t["t1"]["se"] ** 2 == pytest.approx(56)
    p = 2 * stats.t.sf(20 / math.sqrt(22.4), 5)
    assert round(p, 5) == 0.00828 and p <= 0.05
    assert t["t1"]["rank_ci95"] == [1, 1] and t["t2"]["rank_ci95"] == [2, 2]
    # as if independent the bands would overlap
    assert 2 * stats.t.sf(20 / math.sqrt(112), 8) > 0.05


def test_h_grade_alert_doubt_and_funnel(example_a, columns):
    """Rules G and F on examples A and C."""
    t1 = by_code(example_a, "T1")
    # ci95 [56.10, 90.44] reaches from poor (< 60) to excellent (>= 90)
    assert t1["grade"] == "fair" and t1["grade_range"] == ["poor", "excellent"]
    assert t1["grade_status"] == "borderline"
    # dissatisfaction interval [0.024, 0.630] crosses both thresholds
    assert [round(x, 3) for x in t1["dissatisfaction_ci95"]] == [0.024, 0.63]
    assert t1["alert_range"] == ["none", "warning"] and t1["alert_status"] == "borderline"
    rows = []
    for t, options in (("t1", "AAABB"), ("t2", "ABBCC"), ("t3", "CDDDD")):
        rows += [(f"{t}b{i}", "public", t, {"q": o}) for i, o in enumerate(options)]
    results = scoring.score(scoring.Answers.from_columns(**columns(rows)),
                            scoring.Method.from_dict(dict(ONE_ITEM, funnel_alerts=0.998)))
    t = {x["target"]: x for x in results["targets"]}
    # mean of 92, 76, 44 = 70.667; z = 21.33/5.06 = 4.22, 5.33/7.16 = 0.75, -26.67/4.38 = -6.09
    assert results["funnel"]["mean"] == pytest.approx(212 / 3)
    assert [t[c]["funnel"] for c in ("t1", "t2", "t3")] == ["above_998", "within", "below_998"]
    assert [t[c]["funnel_alert"] for c in ("t1", "t2", "t3")] == ["high", "none", "low"]
    # near the bottom of the scale the logit interval of t3 (44) reaches up to 75.6
    assert t["t1"]["grade_range"] == ["fair", "excellent"] and t["t3"]["grade_range"] == ["poor", "fair"]
