"""Rules U1 to U6 of scoring-method.md: the engine against a plain second implementation, and edge cases."""
from __future__ import annotations

import math
import random

import pytest

import scoring

from .reference import uncertainty

OPTIONS = ["A", "B", "C", "D", "DK", ""]


def random_case(seed: int, trim: int):
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
        "min_group_size": 3, "trim": trim,
        "grades": [{"code": "good", "min": 80}, {"code": "poor", "min": 0}],
        "alerts": {"prevention": 0.15, "warning": 0.30},
    }
    ballots = []
    for g in ("g1", "g2", "g3"):
        for i in range(rnd.randint(2, 14)):
            lenient = rnd.random()
            for t in ("t1", "t2", "t3", "t4", "t5"):
                if rnd.random() < 0.15:
                    continue
                answers = {q: rnd.choices(OPTIONS, weights=[1 + 3 * lenient, 3, 2, 1 + 2 * (1 - lenient), 0.4, 0.2])[0]
                           for q in items if rnd.random() < 0.95}
                ballots.append((f"{g}-{i:02d}", g, t, answers))
    return ballots, method


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("trim", [0, 1])
def test_engine_agrees_with_the_reference(seed, trim, columns):
    ballots, method = random_case(seed, trim)
    results = scoring.score(scoring.Answers.from_columns(**columns(ballots)), scoring.Method.from_dict(method))
    expected = uncertainty(ballots, method)
    scored = [t for t in results["targets"] if t["score"] is not None]
    assert {t["target"] for t in scored} == set(expected)
    for entry in scored:
        ref = expected[entry["target"]]
        assert close(entry["score"], ref["score"])
        assert close(entry["se"], ref["se"]), entry["target"]
        assert close(entry["ci95_df"], ref["df"])
        assert all(map(close, entry["ci95"], ref["ci95"]))
        assert all(map(close, entry["satisfaction_ci95"], ref["sat_ci95"]))
        assert all(map(close, entry["dissatisfaction_ci95"], ref["dis_ci95"]))
        assert tuple(entry["rank_ci95"]) == ref["rank_ci95"]
        for g, rates in ref["groups"].items():
            cell = entry["groups"][g]
            assert all(map(close, cell["satisfaction_ci95"], rates["sat"][2]))
            assert all(map(close, cell["dissatisfaction_ci95"], rates["dis"][2]))
