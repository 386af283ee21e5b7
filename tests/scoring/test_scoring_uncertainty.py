"""Rules U1 to U5, 2', R, G and F of scoring-method.md: the engine against a plain second implementation."""
from __future__ import annotations

import math
import random

import pytest

import scoring

from .reference import uncertainty

OPTIONS = ["A", "B", "C", "D", "DK", ""]


def random_case(seed: int, trim: int, trim_share: float = 0.0, shared_ballots: bool = True):
    """Three groups rating five targets; a ballot rates several targets (so pairs share ballots).

    Group sizes 2 to 14, so some cells are suppressed and some targets reweighted.
    """
    rnd = random.Random(seed)
    items = ["q1", "q2", "q3", "q4"]
    method = {
        "scale": {"options": [{"code": "A", "points": 100}, {"code": "B", "points": 80},
                              {"code": "C", "points": 60}, {"code": "D", "points": 40},
                              {"code": "DK", "points": None}],
                  "satisfied": ["A", "B"], "dissatisfied": ["D"]},
        "dimensions": [{"code": "x", "weight": rnd.choice([1, 2, 3])}, {"code": "y", "weight": 1}],
        "items": [{"code": q, "dimension": "x" if k < 2 else "y", "weight": rnd.choice([0.5, 1, 2])}
                  for k, q in enumerate(items)],
        "groups": [{"code": "g1", "weight": 0.5}, {"code": "g2", "weight": 0.3}, {"code": "g3", "weight": 0.2}],
        "min_group_size": 3, "trim": trim, "trim_share": trim_share,
        "grades": [{"code": "good", "min": 80}, {"code": "fair", "min": 65}, {"code": "poor", "min": 0}],
        "alerts": {"prevention": 0.15, "warning": 0.30},
    }
    ballots = []
    for g in ("g1", "g2", "g3"):
        for i in range(rnd.randint(2, 14)):
            lenient = rnd.random()
            for t, quality in (("t1", 6), ("t2", 1), ("t3", 0), ("t4", 0), ("t5", -1)):
                if rnd.random() < 0.15:
                    continue
                weights = [1 + 3 * lenient + max(quality, 0), 3, 2, 1 + 2 * (1 - lenient) + 4 * max(-quality, 0),
                           0.4, 0.2]
                answers = {q: rnd.choices(OPTIONS, weights=weights)[0]
                           for q in items if rnd.random() < 0.95}
                ballots.append((f"{g}-{i:02d}", g, t, answers))
    return ballots, method


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("trim,share", [(0, 0.0), (1, 0.0), (0, 0.2)], ids=["none", "count", "share"])
def test_engine_agrees_with_the_reference(seed, trim, share, columns):
    ballots, method = random_case(seed, trim, share)
    results = scoring.score(scoring.Answers.from_columns(**columns(ballots)), scoring.Method.from_dict(method))
    expected = uncertainty(ballots, method)
    scored = [t for t in results["targets"] if t["score"] is not None]
    assert {t["target"] for t in scored} == set(expected)
    for entry in scored:
        ref = expected[entry["target"]]
        assert close(entry["score"], ref["score"]), entry["target"]
        assert close(entry["se"], ref["se"]), entry["target"]
        assert close(entry["ci95_df"], ref["df"])
        assert all(map(close, entry["ci95"], ref["ci95"]))
        assert all(map(close, entry["satisfaction_ci95"], ref["sat_ci95"]))
        assert all(map(close, entry["dissatisfaction_ci95"], ref["dis_ci95"]))
        assert (entry["rank_ci95"] and tuple(entry["rank_ci95"])) == ref["rank_ci95"]
        assert (entry["unranked"] == "no_reference") == ref["no_reference"]
        assert tuple(entry["grade_range"]) == ref["grade_range"]
        assert tuple(entry["alert_range"]) == ref["alert_range"]
        assert entry["funnel"] == ref["funnel"]
        if entry["reweighted"]:
            assert close(entry["score_reweighted"], ref["score_used"])
            assert close(entry["adjustment"], ref["adjustment"])
        for g, rates in ref["groups"].items():
            cell = entry["groups"][g]
            assert all(map(close, cell["satisfaction_ci95"], rates["sat"][2]))
            assert all(map(close, cell["dissatisfaction_ci95"], rates["dis"][2]))


def test_the_cases_exercise_every_new_rule(columns):
    """The random cases above reach reweighting with references, doubt and shared ballots (the unranked
    case is test_a_target_without_references_leaves_the_ranking)."""
    seen = {"adjusted": 0, "borderline": 0, "certain": 0, "narrow band": 0}
    for seed in range(8):
        for trim, share in [(0, 0.0), (1, 0.0), (0, 0.2)]:
            ballots, method = random_case(seed, trim, share)
            results = scoring.score(scoring.Answers.from_columns(**columns(ballots)),
                                    scoring.Method.from_dict(method))
            for t in results["targets"]:
                if t["score"] is None:
                    continue
                seen["adjusted"] += bool(t["reweighted"] and t["adjustment"])
                seen["borderline"] += t["grade_status"] == "borderline"
                seen["certain"] += t["grade_status"] == "certain"
                if t["rank_ci95"]:
                    seen["narrow band"] += t["rank_ci95"][1] - t["rank_ci95"][0] < 3
    assert all(v > 0 for v in seen.values()), seen


@pytest.mark.parametrize("flip", [False, True], ids=["top", "bottom"])
def test_the_reference_agrees_where_rule_r_meets_the_scale(flip, columns):
    """Example F2 of the method (and its mirror at the bottom of the scale): the bound applies."""
    from .test_scoring_examples import EXAMPLE_F2_METHOD, example_f2_rows
    mirror = str.maketrans("ABCD", "DCBA")
    ballots = [(b, g, t, {q: o.translate(mirror) if flip else o for q, o in a.items()})
               for b, g, t, a in example_f2_rows()]
    results = scoring.score(scoring.Answers.from_columns(**columns(ballots)),
                            scoring.Method.from_dict(EXAMPLE_F2_METHOD))
    expected = uncertainty(ballots, EXAMPLE_F2_METHOD)
    t3 = next(x for x in results["targets"] if x["target"] == "T3")
    assert t3["score"] == pytest.approx(44.0 if flip else 96.0)
    for entry in results["targets"]:
        ref = expected[entry["target"]]
        assert close(entry["score"], ref["score"]) and close(entry["se"], ref["se"])
        assert all(map(close, entry["ci95"], ref["ci95"]))
        assert (entry["rank_ci95"] and tuple(entry["rank_ci95"])) == ref["rank_ci95"]
        assert entry["funnel"] == ref["funnel"]


def test_a_target_without_references_leaves_the_ranking(columns):
    """Rule R: T lacks g3, which R1 and R2 have, but they lack g2, which T has: no reference."""
    rnd = random.Random(5)
    _, method = random_case(0, 0)
    ballots = []
    plan = {"T": ("g1", "g2"), "R1": ("g1", "g3"), "R2": ("g1", "g3"), "R3": ("g1", "g2", "g3")}
    for t, groups in plan.items():
        for g in groups:
            for i in range(4 if (t, g) != ("R3", "g3") else 1):
                ballots.append((f"{t}{g}{i}", g, t, {q: rnd.choice("ABCD") for q in ("q1", "q2", "q3", "q4")}))
    results = scoring.score(scoring.Answers.from_columns(**columns(ballots)), scoring.Method.from_dict(method))
    expected = uncertainty(ballots, method)
    t = next(x for x in results["targets"] if x["target"] == "T")
    assert t["unranked"] == "no_reference" and expected["T"]["no_reference"]
    assert t["rank"] is None and t["rank_ci95"] is None and t["funnel"] is None
    assert t["score"] == pytest.approx(t["score_reweighted"]) and t["adjustment"] == 0.0
    assert results["targets"][-1]["target"] == "T"  # after the ranked targets
    for entry in results["targets"]:
        ref = expected[entry["target"]]
        assert close(entry["se"], ref["se"]) and (entry["rank_ci95"] and tuple(entry["rank_ci95"])) == ref["rank_ci95"]


def test_t_and_normal_points_are_scipy_stats_to_the_bit():
    """The engine calls scipy.special (a third of scipy.stats' import time); the published
    figures, whose hashes bundles name, must not move by one bit for it."""
    import numpy as np
    from scipy import stats

    from scoring import uncertainty

    df = np.concatenate([np.linspace(0.01, 5, 500), np.geomspace(5, 1e7, 500), [np.inf]])
    assert np.array_equal(uncertainty.t_quantile(df), stats.t.ppf(0.975, df))
    assert np.isnan(uncertainty.t_quantile(np.array([0.0, -1.0]))).all()
    x, d = np.meshgrid(np.append(np.linspace(0, 40, 401), np.inf), df[::10])
    assert np.array_equal(2.0 * uncertainty._special.stdtr(d, -x), 2.0 * stats.t.sf(x, d))
    assert uncertainty.Z == float(stats.norm.ppf(0.975))
    from scoring.engine import FUNNEL_Z
    assert FUNNEL_Z[0.998] == float(stats.norm.ppf(0.999))
