"""The scoring method (``method.json`` of scoring-method.md) derived from a questionnaire."""
from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping

from .schema import Questionnaire
from .validation import CODE_PATTERN

DEFAULT_GRADES: tuple[tuple[str, int], ...] = (
    ("excellent", 90), ("good", 80), ("fair", 60), ("poor", 0))
DEFAULT_ALERTS: dict[str, float] = {"prevention": 0.15, "warning": 0.30}
#: the funnel plot's limits that may raise an alert (scoring-method.md, rule F; None: no funnel alerts)
FUNNEL_ALERTS: tuple[float, ...] = (0.95, 0.998)


def method_for(q: Questionnaire, groups: Iterable[tuple[str, float]] | Mapping[str, float], *,
               min_group_size: int = 5, trim: int = 0, grades: list[dict] | None = None,
               alerts: dict | None = None, straightline_min_answers: int = 10,
               exclude_flagged: bool = False, funnel_alerts: float | None = None) -> dict:
    """The method.json dictionary that scores answers to ``q``.

    ``groups`` are the campaign's respondent groups as (code, weight) pairs (or a mapping
    code -> weight), in display order. Only rating items are scored, and only the
    dimensions that have them. Raises ValueError on a group list or setting that the
    scoring engine would reject.
    """
    pairs = list(groups.items() if isinstance(groups, Mapping) else groups)
    seen: set[str] = set()
    group_list = []
    for entry in pairs:
        code, weight = entry
        if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
            raise ValueError(f"group code {code!r} must be 1 to 64 letters, digits, '_', '.' or '-'")
        if code in seen:
            raise ValueError(f"group '{code}' is given twice")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) \
                or not math.isfinite(weight) or weight < 0:
            raise ValueError(f"group '{code}' needs a non-negative weight, not {weight!r}")
        seen.add(code)
        group_list.append({"code": code, "weight": float(weight)})
    if isinstance(min_group_size, bool) or not isinstance(min_group_size, int) \
            or min_group_size < 1:
        raise ValueError(f"min_group_size must be a whole number of at least 1, not {min_group_size!r}")
    if isinstance(trim, bool) or not isinstance(trim, int) or trim < 0:
        raise ValueError(f"trim must be a whole number of at least 0, not {trim!r}")
    if funnel_alerts is not None and (isinstance(funnel_alerts, bool) or funnel_alerts not in FUNNEL_ALERTS):
        raise ValueError(f"funnel_alerts must be None, 0.95 or 0.998, not {funnel_alerts!r}")
    alerts = dict(DEFAULT_ALERTS if alerts is None else alerts)
    if alerts.get("prevention", 0) > alerts.get("warning", 0):
        raise ValueError("the prevention threshold must not exceed the warning threshold")
    if grades is None:
        grades = [{"code": code, "min": minimum} for code, minimum in DEFAULT_GRADES]
    else:
        grades = sorted(copy.deepcopy(list(grades)), key=lambda g: g["min"], reverse=True)

    rating = q.rating_items()
    used = {item.dimension for item in rating}
    method = {
        "scale": {
            "options": [{"code": o.code, "points": o.points} for o in q.scale.options],
            "satisfied": list(q.scale.satisfied),
            "dissatisfied": list(q.scale.dissatisfied),
        },
        "dimensions": [{"code": d.code, "weight": float(d.weight)}
                       for d in q.dimensions if d.code in used],
        "items": [{"code": item.code, "dimension": item.dimension, "weight": float(item.weight),
                   **({"target": item.target, "text": {"zh": item.text.zh, "en": item.text.en}}
                      if item.target is not None else {})} for item in rating],
        "groups": group_list,
        "min_group_size": min_group_size,
        "trim": trim,
        "grades": grades,
        "alerts": alerts,
        "straightline_min_answers": straightline_min_answers,
        "exclude_flagged": bool(exclude_flagged),
    }
    if funnel_alerts is not None:
        # only when set: the method.json (and its hash) of a campaign without funnel alerts stays as it was
        method["funnel_alerts"] = float(funnel_alerts)
    return method
