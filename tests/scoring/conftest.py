"""Builders for small methods and answer sets, so each test spells out only what it checks."""
from __future__ import annotations

import copy

import pytest

import scoring

SCALE = {
    "options": [{"code": "A", "points": 100}, {"code": "B", "points": 80},
                {"code": "C", "points": 60}, {"code": "D", "points": 40},
                {"code": "DK", "points": None}],
    "satisfied": ["A", "B"],
    "dissatisfied": ["D"],
}
GRADES = [{"code": "excellent", "min": 90}, {"code": "good", "min": 80},
          {"code": "fair", "min": 60}, {"code": "poor", "min": 0}]


def method_dict(**overrides) -> dict:
    """One dimension ``d`` with item ``q1``, one group ``public``; overrides replace keys."""
    d = {
        "scale": copy.deepcopy(SCALE),
        "dimensions": [{"code": "d", "weight": 1.0}],
        "items": [{"code": "q1", "dimension": "d", "weight": 1.0}],
        "groups": [{"code": "public", "weight": 1.0}],
        "min_group_size": 1,
        "trim": 0,
        "grades": copy.deepcopy(GRADES),
        "alerts": {"prevention": 0.15, "warning": 0.30},
        "straightline_min_answers": 10,
        "exclude_flagged": False,
    }
    d.update(copy.deepcopy(overrides))
    return d


def answer_columns(ballots) -> dict[str, list]:
    """Long-form columns from ``[(ballot, group, target, {item: option}), ...]``."""
    columns = {c: [] for c in ("ballot", "group", "target", "item", "option")}
    for ballot, group, target, answers in ballots:
        for item, option in answers.items():
            for column, value in zip(columns, (ballot, group, target, item, option)):
                columns[column].append(value)
    return columns


def run(ballots, **method) -> dict:
    """Score ``ballots`` (see answer_columns) by ``method_dict(**method)``."""
    answers = scoring.Answers.from_columns(**answer_columns(ballots))
    return scoring.score(answers, scoring.Method.from_dict(method_dict(**method)))


def target(results: dict, code: str) -> dict:
    return next(t for t in results["targets"] if t["target"] == code)


@pytest.fixture
def score_ballots():
    return run


@pytest.fixture
def make_method():
    return method_dict


@pytest.fixture
def columns():
    return answer_columns


@pytest.fixture
def pick():
    return target


_COVERAGE: list[str] = []


@pytest.fixture(scope="session")
def coverage_figures():
    """Lines of measured coverage, shown at the end of the run."""
    return _COVERAGE


def pytest_terminal_summary(terminalreporter):
    if _COVERAGE:
        terminalreporter.section("coverage of the published intervals (simulation)")
        for line in _COVERAGE:
            terminalreporter.write_line(line)
