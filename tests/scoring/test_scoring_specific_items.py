"""Target-specific items (rule 14): asked of one target only, refused for another, and their own figures
agreeing with the plain reference implementation."""
from __future__ import annotations

import math
import random

import pytest

import scoring

from .reference import uncertainty
from .test_scoring_uncertainty import OPTIONS, close, random_case
#: the items of each target's own: t1 has two, t2 one, t3 none
OWN = {"t1": ["p.1", "p.2"], "t2": ["p.3"], "t3": []}


def specific_case(seed: int, trim: int = 0, trim_share: float = 0.0):
    """The uncertainty tests' method, with two fixed items and each target's own (OWN), two groups."""
    rnd = random.Random(seed)
    _, method = random_case(seed, trim, trim_share)
    method.update(
        dimensions=[{"code": "usual", "weight": 1}, {"code": "kept", "weight": rnd.choice([1, 2])}],
        items=[{"code": "q1", "dimension": "usual", "weight": 1}, {"code": "q2", "dimension": "usual", "weight": 2}]
        + [{"code": j, "target": t, "dimension": "kept", "weight": rnd.choice([0.5, 1])}
           for t, own in OWN.items() for j in own],
        groups=[{"code": "g1", "weight": 0.6}, {"code": "g2", "weight": 0.4}])
    ballots = []
    for g in ("g1", "g2"):
        for i in range(rnd.randint(3, 16)):
            for t, own in OWN.items():
                answers = {q: rnd.choice(OPTIONS) for q in ["q1", "q2"] + own if rnd.random() < 0.9}
                ballots.append((f"{g}-{i:02d}", g, t, answers))
    return ballots, method


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("trim,share", [(0, 0.0), (1, 0.0), (0, 0.2)], ids=["none", "count", "share"])
def test_engine_agrees_with_the_reference(seed, trim, share, columns):
    ballots, method = specific_case(seed, trim, share)
    results = scoring.score(scoring.Answers.from_columns(**columns(ballots)), scoring.Method.from_dict(method))
    expected = uncertainty(ballots, method)
    checked = 0
    for entry in results["targets"]:
        t = entry["target"]
        assert set(entry["items"]) == set(OWN[t])
        for g in entry["groups"].values():
            assert "items" not in g or set(g["items"]) == {"q1", "q2", *OWN[t]}
        if entry["score"] is None:
            continue
        ref = expected[t]
        assert close(entry["score"], ref["score"]) and close(entry["se"], ref["se"])
        for j, figures in entry["items"].items():
            mine = ref["items"][j]
            assert figures["n"] == mine["n"]
            if mine["score"] is None:
                assert figures["score"] is None
                continue
            checked += 1
            assert close(figures["score"], mine["score"]) and close(figures["se"], mine["se"])
            assert close(figures["satisfaction"], mine["satisfaction"])
            if figures["ci95"] is not None:
                assert all(map(close, figures["ci95"], mine["ci95"]))
                assert close(figures["ci95_df"], mine["df"])
            else:
                assert not math.isfinite(mine["ci95"][0])
    assert checked


def test_an_answer_for_another_target_is_refused(columns):
    ballots, method = specific_case(0)
    ballots.append(("g1-99", "g1", "t2", {"q1": "A", "p.1": "B"}))
    with pytest.raises(scoring.InputError, match="item 'p.1' is asked of target 't1' only"):
        scoring.score(scoring.Answers.from_columns(**columns(ballots)), scoring.Method.from_dict(method))


def test_a_fixed_item_alone_is_scored_as_before(columns):
    """Target-specific items change nothing of a campaign without them: no `items` key per target."""
    ballots, method = specific_case(1)
    method["items"] = method["items"][:2]
    method["dimensions"] = method["dimensions"][:1]
    ballots = [(b, g, t, {j: o for j, o in a.items() if not j.startswith("p.")}) for b, g, t, a in ballots]
    results = scoring.score(scoring.Answers.from_columns(**columns(ballots)), scoring.Method.from_dict(method))
    assert all("items" not in entry for entry in results["targets"])
