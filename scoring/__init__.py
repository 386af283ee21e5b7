"""Scoring engine of the democratic appraisal platform: the method of scoring-method.md in pure numpy.

Public API (the web app, the reports and ``python -m scoring`` all use these)::

    m = Method.load("method.json")            # or Method.from_dict(d, source=...)
    a = Answers.read_csv("answers.csv")       # or Answers.from_columns(...) / from_codes(...)
    results = score(a, m)                     # the results.json dictionary

Bad input raises :class:`InputError`, which names the file, the row or the key.
"""
from __future__ import annotations

from .errors import InputError
from .method import Method
from .output import canonical_json, dump_results

__all__ = ["Answers", "InputError", "Method", "score", "dump_results", "canonical_json"]


def __getattr__(name: str):
    # The engine (and SciPy, for its t quantiles) and the answers' reader (numpy) are imported
    # when first used, not by every process that only reads a method or writes canonical JSON:
    # a web worker starts without them.
    if name == "score":
        from .engine import score
        return score
    if name == "Answers":
        from .answers import Answers
        return Answers
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
