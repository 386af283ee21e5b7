"""One hand-computed case per numbered definition of scoring-method.md (and the diagnostics)."""
from __future__ import annotations

import math

import pytest

TWO_ITEMS = {"items": [{"code": "q1", "dimension": "d", "weight": 2.0},
                       {"code": "q2", "dimension": "d", "weight": 1.0}]}


# -- rule 1: ballot score ------------------------------------------------------------------

def test_rule1_ballot_scores_weight_items(score_ballots, pick):
    t = pick(score_ballots([("b1", "public", "t", {"q1": "A", "q2": "C"}),
                            ("b2", "public", "t", {"q1": "C", "q2": "A"})], **TWO_ITEMS), "t")
    # b1 = (2*100 + 1*60)/3 = 86.667; b2 = (2*60 + 1*100)/3 = 73.333
    # s2 = ((86.667-80)^2 + (73.333-80)^2)/1 = 88.889; SE = sqrt(88.889/2) = 6.667
    assert t["se"] == pytest.approx(math.sqrt((2 * (20 / 3) ** 2) / 2))
    # the score itself comes from item means: (2*80 + 1*80)/3 = 80
    assert t["score"] == pytest.approx(80.0)


@pytest.mark.parametrize("options, counted", [
    ({"q1": "DK", "q2": "DK"}, False),   # only "don't know": no score, does not count
    ({"q1": "", "q2": None}, False),     # empty: likewise
    ({"q1": "DK", "q2": "B"}, True),     # one valid answer is enough
])
def test_rule1_ballot_without_valid_answer_does_not_count(score_ballots, pick, options, counted):
    t = pick(score_ballots([("b1", "public", "t", {"q1": "A", "q2": "A"}),
                            ("b2", "public", "t", options)], **TWO_ITEMS), "t")
    assert t["groups"]["public"]["n"] == (2 if counted else 1)


# -- rule 2: trimming ----------------------------------------------------------------------

def test_rule2_ties_are_broken_by_ballot_id(score_ballots, pick):
    # All three score (100+60)/2 = (60+100)/2 = (80+80)/2 = 80: one tie. n = 3 > 2k = 2:
    # the lowest goes by smallest id (x1), the highest by largest id (x3); x2 stays.
    t = pick(score_ballots([("x1", "public", "t", {"q1": "A", "q2": "C"}),
                            ("x2", "public", "t", {"q1": "C", "q2": "A"}),
                            ("x3", "public", "t", {"q1": "B", "q2": "B"})],
                           items=[{"code": "q1", "dimension": "d"},
                                  {"code": "q2", "dimension": "d"}], trim=1), "t")
    items = t["groups"]["public"]["items"]
    # n counts the respondents (rule 7), kept the ballots left after trimming
    assert t["groups"]["public"]["n"] == 3 and t["groups"]["public"]["kept"] == 1
    assert items["q1"]["mean"] == 60.0 and items["q2"]["mean"] == 100.0


@pytest.mark.parametrize("n_ballots, trim, kept", [(4, 2, 4), (5, 2, 1), (2, 1, 2), (3, 1, 1)])
def test_rule2_nothing_is_dropped_when_n_at_most_2k(score_ballots, pick, n_ballots, trim, kept):
    ballots = [(f"b{i}", "public", "t", {"q1": "ABCD"[i % 4]}) for i in range(n_ballots)]
    group = pick(score_ballots(ballots, trim=trim), "t")["groups"]["public"]
    assert group["kept"] == kept and group["n"] == n_ballots


def test_rule2_trims_within_each_target_and_group(score_ballots, pick):
    ballots = ([(f"p{i}", "public", "t", {"q1": o}) for i, o in enumerate("ABD")]
               + [(f"s{i}", "staff", "t", {"q1": o}) for i, o in enumerate("CCD")])
    t = pick(score_ballots(ballots, trim=1, groups=[{"code": "public", "weight": 1},
                                                    {"code": "staff", "weight": 1}]), "t")
    # public A B D keeps B (80); staff C C D drops D (the lowest) and s1 (of the highest
    # tie C, C the larger id), keeping s0's C (60). Each cell is trimmed on its own.
    assert t["groups"]["public"]["score"] == 80.0
    assert t["groups"]["staff"]["score"] == 60.0
    assert t["score"] == pytest.approx((80 + 60) / 2)


# -- rule 3: straight-lining ---------------------------------------------------------------

TEN_ITEMS = {"items": [{"code": f"q{k}", "dimension": "d"} for k in range(10)]}


def uniform(option, n=10, dk=0):
    answers = {f"q{k}": option for k in range(n)}
    for k in range(dk):
        answers[f"q{k}"] = "DK"
    return answers


@pytest.mark.parametrize("answers, flagged", [
    (uniform("A"), True),                      # 10 valid answers, all A
    (uniform("A", n=9), False),                # 9 < straightline_min_answers
    ({**uniform("A"), "q9": "B"}, False),      # not all the same
    (uniform("A", dk=1), False),               # 9 valid: DK is not a valid answer
])
def test_rule3_flags(score_ballots, answers, flagged):
    results = score_ballots([("b1", "public", "t", answers)], **TEN_ITEMS)
    assert results["flagged_straightline"] == int(flagged)
    assert results["excluded"] == 0


def test_rule3_counts_answers_over_all_targets(score_ballots):
    answers = {f"q{k}": "C" for k in range(5)}
    results = score_ballots([("b1", "public", "t1", answers), ("b1", "public", "t2", answers)],
                            **TEN_ITEMS)
    assert results["flagged_straightline"] == 1   # 5 + 5 valid answers, all C


@pytest.mark.parametrize("exclude, score, n", [(False, 90.0, 2), (True, None, 0)])
def test_rule3_exclude_flagged_removes_before_scoring(score_ballots, pick, exclude, score, n):
    results = score_ballots([("b1", "public", "t", uniform("A")),
                             ("b2", "public", "t", uniform("B"))], exclude_flagged=exclude,
                            straightline_min_answers=10, **TEN_ITEMS)
    # b1 (all A) and b2 (all B) are both flagged; kept: (100+80)/2 = 90, n 2; excluded: nothing
    assert results["flagged_straightline"] == 2
    assert results["excluded"] == (2 if exclude else 0)
    t = pick(results, "t")
    if exclude:
        assert t["score"] is None and t["groups"]["public"] == {"n": 0, "suppressed": True}
    else:
        assert t["score"] == pytest.approx(score) and t["groups"]["public"]["n"] == n


def test_rule3_exclusion_keeps_unflagged(score_ballots, pick):
    mixed = {**uniform("B"), "q9": "C"}          # (9*80 + 60)/10 = 78
    results = score_ballots([("b1", "public", "t", uniform("A")),
                             ("b2", "public", "t", mixed)], exclude_flagged=True, **TEN_ITEMS)
    assert results["excluded"] == 1
    assert pick(results, "t")["score"] == pytest.approx(78.0)
    assert results["ballots"] == 2


# -- rule 4: cell statistics ---------------------------------------------------------------

def test_rule4_cell_statistics(score_ballots, pick):
    t = pick(score_ballots([("b1", "public", "t", {"q1": "A", "q2": "DK"}),
                            ("b2", "public", "t", {"q1": "D", "q2": ""}),
                            ("b3", "public", "t", {"q1": "DK", "q2": "B"})], **TWO_ITEMS), "t")
    items = t["groups"]["public"]["items"]
    # q1: A, D valid -> n 2, mean (100+40)/2 = 70, dk 1; q2: B -> n 1, mean 80, dk 1
    assert items == {"q1": {"n": 2, "mean": 70.0, "dk": 1}, "q2": {"n": 1, "mean": 80.0, "dk": 1}}


# -- rule 5 and 6: dimension and group scores ----------------------------------------------

DIMS = {"dimensions": [{"code": "d", "weight": 3.0}, {"code": "e", "weight": 1.0}],
        "items": [{"code": "q1", "dimension": "d", "weight": 1.0},
                  {"code": "q2", "dimension": "d", "weight": 3.0},
                  {"code": "q3", "dimension": "e", "weight": 1.0}]}


def test_rule5_rule6_weighted_dimension_and_group_scores(score_ballots, pick):
    t = pick(score_ballots([("b1", "public", "t", {"q1": "A", "q2": "C", "q3": "D"})], **DIMS), "t")
    g = t["groups"]["public"]
    # D(d) = (1*100 + 3*60)/4 = 70; D(e) = 40; S = (3*70 + 1*40)/4 = 62.5
    assert g["dimensions"] == {"d": 70.0, "e": 40.0}
    assert g["score"] == pytest.approx(62.5)


def test_rule5_items_without_answers_leave_the_dimension(score_ballots, pick):
    t = pick(score_ballots([("b1", "public", "t", {"q1": "A", "q2": "DK", "q3": "DK"})], **DIMS),
             "t")
    g = t["groups"]["public"]
    # q2 has n 0: D(d) = 1*100/1 = 100; e has no answer: undefined, and S = D(d) = 100
    assert g["dimensions"] == {"d": 100.0, "e": None}
    assert g["score"] == 100.0
    assert t["dimensions"] == {"d": 100.0, "e": None}
    assert g["items"]["q3"] == {"n": 0, "mean": None, "dk": 1}


# -- rule 7 and 8: suppression, composite, reweighting ---------------------------------------

GROUPS = {"groups": [{"code": "public", "weight": 3.0}, {"code": "staff", "weight": 1.0},
                     {"code": "guests", "weight": 0.0}]}


def ballots_of(group, options, prefix=None):
    return [(f"{prefix or group}{i}", group, "t", {"q1": o}) for i, o in enumerate(options)]


def test_rule8_composite_weights_groups(score_ballots, pick):
    ballots = ballots_of("public", "AB") + ballots_of("staff", "CD") + ballots_of("guests", "AA")
    t = pick(score_ballots(ballots, min_group_size=2, **GROUPS), "t")
    # S public 90, staff 50, guests 100 (weight 0: shown, not used)
    # C = (3*90 + 1*50)/(3+1) = 80
    assert t["score"] == pytest.approx(80.0)
    assert t["groups"]["guests"]["score"] == 100.0
    assert t["reweighted"] is False
    # target dimension: same weighting
    assert t["dimensions"]["d"] == pytest.approx(80.0)


def test_rule7_suppressed_group_shows_nothing_and_is_left_out(score_ballots, pick):
    ballots = ballots_of("public", "AB") + ballots_of("staff", "D")
    t = pick(score_ballots(ballots, min_group_size=2, **GROUPS), "t")
    assert t["groups"]["staff"] == {"n": 1, "suppressed": True}
    assert t["groups"]["guests"] == {"n": 0, "suppressed": True}
    # only public: C = 90; staff (w > 0) is suppressed -> reweighted; its D does not
    # reach the dissatisfaction either
    assert t["score"] == pytest.approx(90.0)
    assert t["reweighted"] is True
    assert t["dissatisfaction"] == 0.0


def test_rule8_no_usable_group_means_no_score(score_ballots, pick):
    results = score_ballots(ballots_of("public", "A") + [("x", "public", "u", {"q1": "B"}),
                                                         ("y", "public", "u", {"q1": "B"})],
                            min_group_size=2)
    t = pick(results, "t")
    assert (t["score"], t["se"], t["ci95"], t["rank"], t["grade"], t["alert"]) == \
        (None, None, None, None, None, None)
    assert t["reweighted"] is True
    assert t["satisfaction"] is None and t["dimensions"] == {"d": None}
    # unscored targets come last
    assert [x["target"] for x in results["targets"]] == ["u", "t"]


# -- rule 9 / U2: the composite's interval, also for a group of one ------------------------

def test_rule9_interval_of_a_group_of_one(score_ballots, pick):
    from scipy import stats
    ballots = ballots_of("public", "AC") + ballots_of("staff", "B")
    t = pick(score_ballots(ballots, **GROUPS), "t")
    # public e: +20, -20, SS 800, h 2: q0(public) = 800/1; staff: one ballot, no df of its
    # own, so q0(staff) falls back to the pool of all groups, 800. V = (800+800)/4 = 400 and
    # (0+800)/1 = 800; shares 3/4, 1/4: A = 225 (df 2) and 50 (df 1)
    se = math.sqrt(225 + 50)
    df = 275 ** 2 / (225 ** 2 / 2 + 50 ** 2 / 1)
    assert t["se"] == pytest.approx(se) and t["ci95_df"] == pytest.approx(df)
    # C = 80: x = (80 - 40)/60 = 2/3 on the scale; the interval is taken on the logit of x,
    # logit(2/3) -+ t * se / (60 * 2/9), and mapped back: inside the scale, never zero width
    spread = stats.t.ppf(0.975, df) * se / (60 * 2 / 9)
    expit = lambda v: 1 / (1 + math.exp(-v))
    assert t["ci95"] == pytest.approx([40 + 60 * expit(math.log(2) - spread), 40 + 60 * expit(math.log(2) + spread)])
    assert 40 < t["ci95"][0] < 50 and 99 < t["ci95"][1] < 100


def test_unanimous_group_gets_a_width(score_ballots, pick):
    results = score_ballots(ballots_of("public", "AAAAA")
                            + [(f"x{i}", "public", "u", {"q1": o}) for i, o in enumerate("ABCDB")])
    t = pick(results, "t")
    # u: 100 80 60 40 80 -> SS = 2080; t (all A) has SS 0; both have 4 df:
    # q0 = 2080/8 = 260 and t gets V = (0 + 260)/25, not 0
    assert t["se"] == pytest.approx(math.sqrt(260 / 25))
    assert t["ci95"][0] < 100.0 and t["ci95"][1] == 100.0


# -- rule 10 / U3: rates on the ballot as the unit -------------------------------------------

def wilson(p, n, z=1.959963984540054):
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return [centre - half, centre + half]


def test_rule10_satisfaction_and_its_interval(score_ballots, pick):
    from scipy import stats
    ballots = ballots_of("public", ["A", "A", "B", "C", "D", "D", "DK"]) + ballots_of("staff", "B")
    t = pick(score_ballots(ballots, **GROUPS), "t")
    public = t["groups"]["public"]
    # valid answers A A B C D D = 6 (DK is not valid), satisfied A A B = 3, dissatisfied D D = 2
    assert public["satisfaction"] == pytest.approx(3 / 6)
    assert public["dissatisfaction"] == pytest.approx(2 / 6)
    # one answer a ballot: n_eff = 6 ballots; Korn-Graubard n* = 6 (z / t_5)^2 = 3.488
    n_star = 6 * (1.959963984540054 / stats.t.ppf(0.975, 5)) ** 2
    assert public["satisfaction_ci95"] == pytest.approx(wilson(0.5, n_star))
    assert public["dissatisfaction_ci95"] == pytest.approx(wilson(2 / 6, n_star))
    # target: (3*0.5 + 1*1.0)/4 = 0.625; staff has one ballot (df 0), so its own interval is
    # [0, 1]; the target's (rule U4, MOVER) adds the groups' own distances, weighted:
    # low = r - sqrt((3/4)^2 (0.5 - l_pub)^2 + (1/4)^2 (1 - 0)^2), high = r + sqrt((3/4)^2 (u_pub - 0.5)^2 + 0)
    assert t["satisfaction"] == pytest.approx(0.625)
    assert t["dissatisfaction"] == pytest.approx(3 / 4 * 2 / 6)
    assert t["groups"]["staff"]["satisfaction_ci95"] == [0.0, 1.0]
    low_pub, high_pub = wilson(0.5, n_star)
    assert t["satisfaction_ci95"] == pytest.approx(
        [0.625 - math.sqrt((0.75 * (0.5 - low_pub)) ** 2 + 0.25 ** 2), 0.625 + 0.75 * (high_pub - 0.5)])


def test_rates_count_the_ballot_not_the_answer(score_ballots, pick):
    # Ten ballots, each of them all A or all D on 10 items: 100 answers, but 10 ballots' worth.
    items = {"items": [{"code": f"q{k}", "dimension": "d", "weight": 1.0} for k in range(10)],
             "straightline_min_answers": 99}
    rows = [(f"b{i}", "public", "t", {f"q{k}": "A" if i % 2 else "D" for k in range(10)}) for i in range(10)]
    cell = pick(score_ballots(rows, **items), "t")["groups"]["public"]
    low, high = cell["satisfaction_ci95"]
    as_answers = wilson(0.5, 100)
    assert high - low > 2 * (as_answers[1] - as_answers[0])


# -- rule 11: alerts -----------------------------------------------------------------------

@pytest.mark.parametrize("options, alert", [
    ("AAAAAAAAAD", "none"),          # 0.10
    ("AAAAAAAADD", "prevention"),    # 0.20
    ("AAAAAAADDD", "warning"),       # 0.30: at the threshold is warning
    ("AAAAAAAAAAAAADD", "none"),     # 0.1333
])
def test_rule11_alerts(score_ballots, pick, options, alert):
    t = pick(score_ballots(ballots_of("public", options)), "t")
    assert t["alert"] == alert


def test_rule11_prevention_at_threshold(score_ballots, pick):
    # 3 of 20 = 0.15 exactly (computed in floating point) is prevention
    t = pick(score_ballots(ballots_of("public", "A" * 17 + "DDD")), "t")
    assert t["alert"] == "prevention"


# -- rule 12: grades -----------------------------------------------------------------------

@pytest.mark.parametrize("options, grade", [("A", "excellent"), ("AB", "excellent"),
                                            ("B", "good"), ("BC", "fair"), ("D", "poor")])
def test_rule12_grades(score_ballots, pick, options, grade):
    # AB = 90 reaches excellent (>= 90); BC = 70 is fair
    assert pick(score_ballots(ballots_of("public", options)), "t")["grade"] == grade


def test_rule12_bands_are_read_highest_min_first(score_ballots, pick):
    shuffled = [{"code": "poor", "min": 0}, {"code": "good", "min": 80},
                {"code": "excellent", "min": 90}, {"code": "fair", "min": 60}]
    assert pick(score_ballots(ballots_of("public", "B"), grades=shuffled), "t")["grade"] == "good"


def test_rule12_below_every_band_has_no_grade(score_ballots, pick):
    assert pick(score_ballots(ballots_of("public", "D"), grades=[{"code": "ok", "min": 50}]),
                "t")["grade"] is None


# -- rule 13: competition ranks on the score rounded to 2 decimals --------------------------

def test_rule13_competition_ranking(score_ballots):
    scale = {"options": [{"code": "W", "points": 90}, {"code": "X", "points": 80.004},
                         {"code": "Y", "points": 79.996}, {"code": "Z", "points": 70},
                         {"code": "DK", "points": None}],
             "satisfied": [], "dissatisfied": []}
    ballots = [("b1", "public", "t1", {"q1": "X"}), ("b2", "public", "t2", {"q1": "Y"}),
               ("b3", "public", "t3", {"q1": "W"}), ("b4", "public", "t4", {"q1": "Z"}),
               ("b5", "public", "t0", {"q1": "DK"})]
    results = score_ballots(ballots, scale=scale)
    # 80.004 and 79.996 both round to 80.00: ranks 90 -> 1, 80.00 -> 2, 2, 70 -> 4;
    # ties in code order, unscored t0 last
    assert [(t["target"], t["rank"]) for t in results["targets"]] == \
        [("t3", 1), ("t1", 2), ("t2", 2), ("t4", 4), ("t0", None)]
    # the score itself stays unrounded
    assert results["targets"][1]["score"] == 80.004


def test_rule13_rounds_half_up(score_ballots):
    scale = {"options": [{"code": "X", "points": 80.005}, {"code": "Y", "points": 80.01}],
             "satisfied": [], "dissatisfied": []}
    results = score_ballots([("b1", "public", "t1", {"q1": "X"}),
                             ("b2", "public", "t2", {"q1": "Y"})], scale=scale)
    assert [t["rank"] for t in results["targets"]] == [1, 1]


# -- diagnostics: Cronbach's alpha, ICC(1), ICC(1,k) -------------------------------------------

def test_cronbach_alpha(score_ballots):
    results = score_ballots([("b1", "public", "t", {"q1": "A", "q2": "B"}),
                             ("b2", "public", "t", {"q1": "B", "q2": "B"}),
                             ("b3", "public", "t", {"q1": "C", "q2": "D"}),
                             ("b4", "public", "t", {"q1": "A", "q2": "DK"})], **TWO_ITEMS)
    # b4 is incomplete. q1 100 80 60: var 400; q2 80 80 40: var 533.33;
    # totals 180 160 100: var 1733.33; alpha = 2*(1 - 933.33/1733.33) = 0.92308
    alpha = results["diagnostics"]["public"]["cronbach_alpha"]["d"]
    assert alpha == pytest.approx(2 * (1 - (400 + 1600 / 3) / (5200 / 3)))


@pytest.mark.parametrize("ballots", [
    [("b1", "public", "t", {"q1": "A"}), ("b2", "public", "t", {"q1": "B"})],   # 1 item
    [("b1", "public", "t", {"q1": "A", "q2": "B"})],                            # 1 ballot
])
def test_cronbach_alpha_undefined(score_ballots, ballots):
    method = TWO_ITEMS if len(ballots[0][3]) == 2 else {}
    results = score_ballots(ballots, **method)
    assert results["diagnostics"]["public"]["cronbach_alpha"]["d"] is None


def test_icc(score_ballots):
    results = score_ballots([("a1", "public", "t1", {"q1": "A"}), ("a2", "public", "t1", {"q1": "B"}),
                             ("b1", "public", "t2", {"q1": "C"}), ("b2", "public", "t2", {"q1": "D"})])
    # means 90, 50, grand 70: MSB = 2*20^2 + 2*20^2 = 1600 (1 df); MSW = (200+200)/2 = 200
    # k = 2: ICC(1) = (1600-200)/(1600+200) = 0.7778; ICC(1,k) = 1400/1600 = 0.875
    d = results["diagnostics"]["public"]
    assert d["icc1"] == pytest.approx(1400 / 1800)
    assert d["icck"] == pytest.approx(0.875)


def test_icc_undefined_with_one_target(score_ballots):
    d = score_ballots(ballots_of("public", "AB"))["diagnostics"]["public"]
    assert d["icc1"] is None and d["icck"] is None


def test_icc_is_never_below_zero(score_ballots):
    # means equal (80, 80) but spread within: MSB = 0 -> the raw ICC(1) is -1/(k-1); reported 0
    results = score_ballots([("a1", "public", "t1", {"q1": "A"}), ("a2", "public", "t1", {"q1": "C"}),
                             ("b1", "public", "t2", {"q1": "B"}), ("b2", "public", "t2", {"q1": "B"})])
    d = results["diagnostics"]["public"]
    assert d["icc1"] == 0.0 and d["icck"] is None


def test_cronbach_alpha_is_within_targets(score_ballots):
    # Within each target the two items disagree; between targets they move together.
    rows = [("a1", "public", "t1", {"q1": "A", "q2": "B"}), ("a2", "public", "t1", {"q1": "B", "q2": "A"}),
            ("b1", "public", "t2", {"q1": "C", "q2": "D"}), ("b2", "public", "t2", {"q1": "D", "q2": "C"})]
    alpha = score_ballots(rows, **TWO_ITEMS)["diagnostics"]["public"]["cronbach_alpha"]["d"]
    # centred: q1 +10 -10 +10 -10, q2 -10 +10 -10 +10: totals 0: SSW_total = 0 -> null, where
    # pooling rows across targets would give 2*(1 - 1600/3200)... = 0.941
    assert alpha is None
    rows[1] = ("a2", "public", "t1", {"q1": "B", "q2": "B"})
    alpha = score_ballots(rows, **TWO_ITEMS)["diagnostics"]["public"]["cronbach_alpha"]["d"]
    # t1: q1 100, 80 (dev +-10), q2 80, 80 (0); t2: q1 60 40 (+-10), q2 40 60 (-+10)
    # SSW q1 = 400, q2 = 200; totals t1 180 160 (+-10), t2 100 100 (0): SSW_total = 200
    assert alpha == pytest.approx(2 * (1 - 600 / 200))


def test_diagnostics_leave_out_suppressed_groups(score_ballots):
    results = score_ballots([("a1", "public", "t1", {"q1": "A"}), ("b1", "public", "t2", {"q1": "D"})],
                            min_group_size=2)
    assert results["diagnostics"]["public"]["icc1"] is None


# -- method_sha256 ---------------------------------------------------------------------------

def test_sha256_of_the_canonical_dump(make_method):
    import hashlib
    import json

    import scoring
    d = make_method()
    m = scoring.Method.from_dict(d)
    canonical = json.dumps(d, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    assert m.sha256 == hashlib.sha256(canonical).hexdigest()


def test_sha256_of_the_file_bytes(tmp_path, make_method):
    import hashlib
    import json

    import scoring
    path = tmp_path / "method.json"
    path.write_bytes(json.dumps(make_method(), indent=4).encode())
    assert scoring.Method.load(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_replace_changes_settings(make_method):
    import scoring
    m = scoring.Method.from_dict(make_method())
    m2 = m.replace(exclude_flagged=True, trim=2)
    assert (m2.exclude_flagged, m2.trim, m.exclude_flagged, m.trim) == (True, 2, False, 0)
    assert m2.sha256 != m.sha256
    with pytest.raises(scoring.InputError) as e:
        m.replace(trim=-1)
    assert e.value.key == "trim"
