"""Properties of the method that must hold for any answers (hypothesis)."""
from __future__ import annotations

import copy
import math

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import scoring

OPTIONS = ["A", "B", "C", "D", "DK", ""]
ITEMS = [("q1", "d"), ("q2", "d"), ("q3", "e")]
GROUPS = ["public", "staff"]
TARGETS = ["t1", "t2", "t3"]
POINTS = {"A": 100, "B": 80, "C": 60, "D": 40}

ballot = st.tuples(
    st.sampled_from(GROUPS),
    st.lists(st.sampled_from(TARGETS), min_size=1, max_size=2, unique=True),
    st.lists(st.sampled_from(OPTIONS), min_size=6, max_size=6),
)


@st.composite
def cases(draw):
    ballots = draw(st.lists(ballot, min_size=0, max_size=25))
    weight = st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5])
    method = {
        "scale": {"options": [{"code": c, "points": POINTS.get(c)} for c in OPTIONS if c],
                  "satisfied": ["A", "B"], "dissatisfied": ["D"]},
        "dimensions": [{"code": "d", "weight": draw(weight)}, {"code": "e", "weight": draw(weight)}],
        "items": [{"code": c, "dimension": d, "weight": draw(weight)} for c, d in ITEMS],
        "groups": [{"code": g, "weight": draw(weight)} for g in GROUPS],
        "min_group_size": draw(st.integers(1, 4)),
        "trim": draw(st.integers(0, 2)),
        "grades": [{"code": "good", "min": 75}, {"code": "fair", "min": 55}],
        "alerts": {"prevention": 0.1, "warning": 0.25},
        "straightline_min_answers": draw(st.integers(2, 4)),
        "exclude_flagged": draw(st.booleans()),
    }
    rows = []
    for number, (group, targets, options) in enumerate(ballots):
        for k, t in enumerate(targets):
            for (item, _), option in zip(ITEMS, options[3 * k:3 * k + 3]):
                rows.append((f"b{number:02d}", group, t, item, option))
    return rows, method


def score(rows, method):
    columns = dict(zip(("ballot", "group", "target", "item", "option"),
                       map(list, zip(*rows)))) if rows else \
        {c: [] for c in ("ballot", "group", "target", "item", "option")}
    return scoring.score(scoring.Answers.from_columns(**columns), scoring.Method.from_dict(method))


def close(a, b, path="results"):
    """Equal structure, numbers equal to 1e-9 relative."""
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)), path
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), f"{path}: {a} != {b}"
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for k, (x, y) in enumerate(zip(a, b)):
            close(x, y, f"{path}[{k}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


common = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@common
@given(cases())
def test_scores_stay_within_the_scale(case):
    """Every score and interval on the scale, a reweighted target's (rule R) too."""
    rows, method = case
    results = score(rows, method)
    low, high = min(POINTS.values()) - 1e-9, max(POINTS.values()) + 1e-9

    def inside(x):
        assert x is None or low <= x <= high

    for t in results["targets"]:
        inside(t["score"])
        inside(t["score_reweighted"])
        if t["score"] is not None:
            ci_low, ci_high = t["ci95"]
            assert low <= ci_low <= t["score"] <= ci_high <= high
            for rate in ("satisfaction", "dissatisfaction"):
                rate_low, rate_high = t[f"{rate}_ci95"]
                assert 0 <= rate_low <= t[rate] <= rate_high <= 1
        for value in t["dimensions"].values():
            inside(value)
        for group in t["groups"].values():
            if group["suppressed"]:
                assert set(group) == {"n", "suppressed"}
                continue
            inside(group["score"])
            for value in group["dimensions"].values():
                inside(value)
            for cell in group["items"].values():
                inside(cell["mean"])
            for rate in ("satisfaction", "dissatisfaction"):
                assert 0 <= group[rate] <= 1
                low_ci, high_ci = group[f"{rate}_ci95"]
                assert 0 <= low_ci <= group[rate] <= high_ci <= 1


@common
@given(cases(), st.randoms(use_true_random=False))
def test_row_and_ballot_order_change_nothing(case, random):
    rows, method = case
    shuffled = rows[:]
    random.shuffle(shuffled)
    assert score(shuffled, method) == score(rows, method)


@common
@given(cases(), st.sampled_from([0.5, 3.0, 7.25, 1000.0]))
def test_scaling_all_weights_changes_nothing(case, factor):
    rows, method = case
    scaled = copy.deepcopy(method)
    for key in ("items", "dimensions", "groups"):
        for entry in scaled[key]:
            entry["weight"] *= factor
    expected = score(rows, method)
    got = score(rows, scaled)
    expected.pop("method_sha256"), got.pop("method_sha256")
    close(got, expected)


# Most drawn cases show the group unsuppressed, and `assume` drops them: Hypothesis's health
# check on filtering failed one full run in about fifty (7 kept of 57 drawn, by chance).
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(cases(), st.sampled_from(GROUPS), st.sampled_from(TARGETS),
       st.lists(st.lists(st.sampled_from(OPTIONS), min_size=3, max_size=3), min_size=1, max_size=3))
def test_adding_ballots_to_a_suppressed_group_changes_nothing_shown(case, group, target, extra):
    rows, method = case
    before = score(rows, method)
    added = rows + [(f"zz{k}", group, target, item, option)
                    for k, options in enumerate(extra)
                    for (item, _), option in zip(ITEMS, options)]
    after = score(added, method)

    def shown_group(results):
        t = next((t for t in results["targets"] if t["target"] == target), None)
        return None if t is None else t["groups"][group]

    assume(shown_group(before) is not None and shown_group(before)["suppressed"])
    assume(shown_group(after)["suppressed"])
    # What may change: the counts of ballots and that suppressed group's n.
    for results in (before, after):
        for key in ("ballots", "flagged_straightline", "excluded"):
            results.pop(key)
        shown_group(results).pop("n")
    assert after == before


@pytest.mark.parametrize("exclude", [False, True])
def test_sensitivity_view_reuses_answers(exclude):
    rows = [(f"b{i}", "public", "t1", item, "A") for i in range(6) for item, _ in ITEMS]
    method = scoring.Method.from_dict({
        "scale": {"options": [{"code": "A", "points": 100}], "satisfied": [], "dissatisfied": []},
        "dimensions": [{"code": "d"}, {"code": "e"}],
        "items": [{"code": c, "dimension": d} for c, d in ITEMS],
        "groups": [{"code": "public"}], "grades": [], "alerts": {"prevention": 0, "warning": 0},
        "straightline_min_answers": 3})
    answers = scoring.Answers.from_columns(**dict(zip(("ballot", "group", "target", "item", "option"),
                                                      map(list, zip(*rows)))))
    results = scoring.score(answers, method.replace(exclude_flagged=exclude))
    assert results["flagged_straightline"] == 6
    assert results["excluded"] == (6 if exclude else 0)
    assert (results["targets"][0]["score"] is None) == exclude


@given(st.lists(st.integers(0, 59), max_size=200), st.sampled_from([60, 10 ** 7]))
def test_unique_inverse_is_numpys_on_dense_and_sparse_keys(keys, n_keys):
    import numpy as np

    from scoring.answers import _unique_inverse
    key = np.asarray(keys, dtype=np.int64)
    got_keys, got_inverse = _unique_inverse(key, n_keys)
    want_keys, want_inverse = np.unique(key, return_inverse=True)
    assert got_keys.tolist() == want_keys.tolist()
    assert got_inverse.tolist() == want_inverse.reshape(-1).tolist()


@common
@given(cases())
def test_results_do_not_depend_on_how_responses_are_found(case):
    """Ballots rating two targets: the dense table of (ballot, target) keys and the sort agree."""
    import scoring.answers as answers
    rows, method = case
    dense = score(rows, method)
    saved = answers.DENSE_KEYS_PER_ROW
    answers.DENSE_KEYS_PER_ROW = -(10 ** 12)  # every key set counts as sparse: np.unique
    try:
        sorted_ = score(rows, method)
    finally:
        answers.DENSE_KEYS_PER_ROW = saved
    close(dense, sorted_)


@common
@given(cases(), st.randoms(use_true_random=False))
def test_a_dense_matrix_scores_as_its_long_form(case, random):
    """Answers.from_matrix (the web app's packed ballots) gives the long form's results to the bit,
    with ballots in any order and ballots that answered nothing."""
    import numpy as np
    rows, method = case
    ids = sorted({r[0] for r in rows}) + ["zz-empty"]
    random.shuffle(ids)
    options = [c for c in OPTIONS if c]
    codes = np.zeros((len(ids), len(TARGETS), len(ITEMS)), dtype=np.uint8)
    group_of = np.zeros(len(ids), dtype=np.int32)
    kept = []
    for ballot, group, target, item, option in rows:
        b = ids.index(ballot)
        group_of[b] = GROUPS.index(group)
        if option:  # the matrix has no "answered with nothing": such rows are left out of both
            codes[b, TARGETS.index(target), [c for c, _ in ITEMS].index(item)] = options.index(option) + 1
            kept.append((ballot, group, target, item, option))
    dense = scoring.Answers.from_matrix(ballot_ids=ids, group_codes=GROUPS, target_codes=TARGETS,
                                        item_codes=[c for c, _ in ITEMS], option_codes=options,
                                        codes=codes, group_of_ballot=group_of)
    got = scoring.score(dense, scoring.Method.from_dict(method))
    if not kept:
        assert got["ballots"] == 0
        return
    columns = dict(zip(("ballot", "group", "target", "item", "option"), map(list, zip(*kept))))
    long_form = scoring.Answers.from_columns(**columns)
    want = scoring.score(long_form, scoring.Method.from_dict(method))
    # the long form lists only the targets it saw; the matrix lists all three
    seen = {t["target"] for t in want["targets"]}
    got["targets"] = [t for t in got["targets"] if t["target"] in seen]
    close(got, want)


def test_from_matrix_refuses_arrays_that_do_not_fit_its_tables():
    import numpy as np
    tables = dict(ballot_ids=["b1", "b2"], group_codes=["g"], target_codes=["t"], item_codes=["i"],
                  option_codes=["A", "B"])
    ok = np.ones((2, 1, 1), dtype=np.uint8)
    for codes, groups in ((np.ones((2, 1, 2), dtype=np.uint8), [0, 0]),   # wrong shape
                          (np.full((2, 1, 1), 3, dtype=np.uint8), [0, 0]),  # no option 3
                          (ok.astype(float), [0, 0]),                        # not integers
                          (ok, [0, 1])):                                     # no group 1
        with pytest.raises(scoring.InputError):
            scoring.Answers.from_matrix(**tables, codes=codes, group_of_ballot=np.asarray(groups))


@st.composite
def sorted_rows(draw):
    """Columns sorted by ballot, mostly regular (every ballot every item, in one order), with
    the irregularities the run shortcuts must notice: a missing or repeated item, another
    order, a second group or target within a ballot."""
    n_ballots = draw(st.integers(1, 12))
    order = draw(st.permutations(range(4)))
    columns = {"ballot": [], "group": [], "target": [], "item": [], "option": []}
    for b in range(n_ballots):
        items = list(order)
        change = draw(st.sampled_from(["none"] * 6 + ["drop", "drop first", "repeat", "swap", "group",
                                                      "target"]))
        if change == "drop":
            items.pop()
        elif change == "drop first":  # after a repeat: rows that look regular in blocks of 4
            items.pop(0)
        elif change == "repeat":
            items.append(items[0])
        elif change == "swap":
            items[0], items[1] = items[1], items[0]
        group, target = draw(st.sampled_from(GROUPS)), draw(st.sampled_from(TARGETS))
        for k, item in enumerate(items):
            columns["ballot"].append(f"b{b:02d}")
            columns["group"].append(GROUPS[1 - GROUPS.index(group)] if change == "group" and k == 2 else group)
            columns["target"].append("t9" if change == "target" and k >= 2 else target)
            columns["item"].append(f"q{item}")
            columns["option"].append(draw(st.sampled_from(OPTIONS)))
    return columns


def rows_of(*ballots):
    """Columns from (ballot, group, target, items) with option A throughout."""
    columns = {"ballot": [], "group": [], "target": [], "item": [], "option": []}
    for ballot_, group, target, items in ballots:
        for item in items:
            for column, value in zip(columns, (ballot_, group, target, item, "A")):
                columns[column].append(value)
    return columns


@example(rows_of(("b1", "public", "t1", ["q0", "q1", "q2", "q3", "q0"]),   # a repeat, then a
                 ("b2", "public", "t1", ["q1", "q2", "q3"])))              # ballot short by one
@example(rows_of(("b1", "public", "t1", ["q0", "q1"]), ("b2", "public", "t1", ["q0", "q1"])))
@example(rows_of(("b1", "public", "t1", ["q0", "q1"]), ("b2", "staff", "t2", ["q1", "q0"])))
@given(sorted_rows())
def test_the_run_shortcuts_build_the_structure_of_the_general_path(columns):
    """Rows sorted by ballot take the shortcuts (checks between neighbouring rows, the choice
    matrix by a transpose); the structure, and the problems found, are the general path's."""
    import numpy as np

    import scoring.answers as answers
    fast = answers._build_structure(scoring.Answers.from_columns(**columns))
    saved = answers._ballot_runs
    answers._ballot_runs = lambda ballot: (None, None)
    try:
        general = answers._build_structure(scoring.Answers.from_columns(**columns))
    finally:
        answers._ballot_runs = saved
    for field in ("response_ballot", "response_target", "choice", "group_of_ballot"):
        assert np.array_equal(getattr(fast, field), getattr(general, field)), field
        assert getattr(fast, field).dtype == getattr(general, field).dtype, field
    assert (fast.n_ballots, fast.problems) == (general.n_ballots, general.problems)


@common
@given(cases())
def test_diagnostics_in_a_second_thread_are_the_same_to_the_bit(case):
    """A large count counts the straight-liners and works the diagnostics out in a thread beside
    the rest, and splits the passes over the items in two halves of the responses (or of the
    items), one per thread: the same bytes."""
    import json

    import scoring.engine as engine
    rows, method = case
    alone = score(rows, method)
    saved = engine.PARALLEL_FROM
    engine.PARALLEL_FROM = 0
    try:
        threaded = score(rows, method)
    finally:
        engine.PARALLEL_FROM = saved
    assert json.dumps(threaded, sort_keys=True) == json.dumps(alone, sort_keys=True)
