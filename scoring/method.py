"""The scoring method (``method.json``): read, validate and hold it, unchanged, as the engine's settings."""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError
from .files import read_text_bytes, shown
from .output import canonical_json

CODE_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")

#: Settings that have a default in scoring-method.md (shown in bold there).
DEFAULTS: dict[str, Any] = {
    "min_group_size": 5,
    "trim": 0,
    "trim_share": 0,
    "funnel_alerts": None,
    "straightline_min_answers": 10,
    "exclude_flagged": False,
}
REQUIRED = ("scale", "dimensions", "items", "groups", "grades", "alerts")
KNOWN_KEYS = frozenset(REQUIRED) | frozenset(DEFAULTS)
#: Bounds that keep every sum of the method far from floating-point overflow and
#: underflow (a million ballots times 1e6 points times 1e6 weights is 1e18): beyond them
#: a weight or a point value means a mistake, not a method.
MAX_POINTS = 1e6
MAX_WEIGHT = 1e6
MIN_WEIGHT = 1e-6
#: whole-number settings (group sizes, trimming) count ballots: numpy's int64 holds them
MAX_COUNT = 10**9
#: a method file is a few kB; one of more is not a method
MAX_FILE_BYTES = 16 << 20


@dataclass(frozen=True)
class ScaleOption:
    code: str
    #: None marks a "don't know" (不了解) option.
    points: float | None


@dataclass(frozen=True)
class Dimension:
    code: str
    weight: float


@dataclass(frozen=True)
class Item:
    code: str
    dimension: str
    weight: float
    #: a target-specific item: the one target it is asked of (None: every target)
    target: str | None = None


@dataclass(frozen=True)
class RespondentGroup:
    code: str
    weight: float


@dataclass(frozen=True)
class Grade:
    code: str
    min: float


class Method:
    """A validated method. Build it with :meth:`from_dict` or :meth:`load`, never by hand.

    ``sha256`` is the hex digest of the method file's bytes as read (``load``) or of the
    canonical JSON dump of the dictionary (``from_dict``, ``replace``), so that a
    published result names exactly the method it was computed with.
    """

    options: tuple[ScaleOption, ...]
    satisfied: tuple[str, ...]
    dissatisfied: tuple[str, ...]
    dimensions: tuple[Dimension, ...]
    items: tuple[Item, ...]
    groups: tuple[RespondentGroup, ...]
    #: Ordered by ``min``, highest first, as rule 12 reads them.
    grades: tuple[Grade, ...]
    prevention: float
    warning: float
    min_group_size: int
    trim: int
    #: Rule 2' (share trimming): the share set aside at each end of a panel of
    #: ``min_group_size`` respondents; 0 = off.
    trim_share: float
    #: Rule F: the funnel limit (0.95 or 0.998) beyond which a target gets a funnel alert; None = off.
    funnel_alerts: float | None
    straightline_min_answers: int
    exclude_flagged: bool
    sha256: str
    source: str | None

    def __init__(self) -> None:  # pragma: no cover - guard against hand-made methods
        raise TypeError("use Method.from_dict() or Method.load()")

    def __repr__(self) -> str:
        return (f"<Method {self.source or 'dict'} items={len(self.items)} "
                f"groups={len(self.groups)} sha256={self.sha256[:12]}>")

    # -- construction ---------------------------------------------------------------

    @classmethod
    def from_dict(cls, d: Any, *, source: str | None = None, sha256: str | None = None) -> Method:
        """Validate ``d`` (the parsed ``method.json``); raise :class:`InputError` naming the key."""
        self = object.__new__(cls)
        self.source = source
        _Validator(source).fill(self, d)
        self._raw = json.loads(json.dumps(d))  # a private deep copy for replace()
        # a method not read from a file is named by the sha256 of its canonical bytes
        self.sha256 = sha256 or hashlib.sha256(canonical_json(d)).hexdigest()
        return self

    @classmethod
    def load(cls, path: str | Path) -> Method:
        """Read and validate a ``method.json`` file; keep the sha256 of its bytes as read."""
        name = str(path)
        data = bytes(read_text_bytes(path, name, limit=MAX_FILE_BYTES, what="method file"))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise InputError(f"not UTF-8 (byte {e.start}): save the file as UTF-8", file=name) from None
        try:
            d = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys)
        except json.JSONDecodeError as e:
            raise InputError(f"malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}",
                             file=name) from None
        except _DuplicateKey as e:
            raise InputError(f"key {shown(e.key)} appears twice in one object", file=name,
                             key=str(e.key)[:64]) from None
        except (ValueError, RecursionError) as e:
            raise InputError(f"malformed JSON: {shown(e, 200)[1:-1]}", file=name) from None
        return cls.from_dict(d, source=name, sha256=hashlib.sha256(data).hexdigest())

    def replace(self, **changes: Any) -> Method:
        """A validated copy with top-level settings changed, e.g. ``replace(exclude_flagged=True)``.

        The copy's ``sha256`` is that of its canonical JSON dump: it is no longer the file.
        """
        unknown = sorted(set(changes) - KNOWN_KEYS)
        if unknown:
            raise InputError(f"unknown method key '{unknown[0]}'", file=self.source, key=unknown[0])
        d = dict(self._raw)
        d.update(json.loads(json.dumps(changes)))
        return Method.from_dict(d, source=self.source)

    def to_dict(self) -> dict:
        """The method as given (a copy), defaults not filled in."""
        return json.loads(json.dumps(self._raw))


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list) -> dict:
    """JSON would keep the last of two equal keys silently; a method must say one thing."""
    d = {}
    for key, value in pairs:
        if key in d:
            raise _DuplicateKey(key)
        d[key] = value
    return d


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


class _Validator:
    """Checks one method dictionary key by key, so that each error names its key."""

    def __init__(self, source: str | None) -> None:
        self.source = source

    def fail(self, key: str, reason: str) -> None:
        raise InputError(reason, file=self.source, key=key)

    # small typed readers ----------------------------------------------------------

    def obj(self, v: Any, key: str, allowed: set[str], required: tuple[str, ...]) -> dict:
        if not isinstance(v, dict):
            self.fail(key, "must be an object")
        for k in v:
            if k not in allowed:
                self.fail(f"{key}.{k}" if key else k, f"unknown key '{k}'")
        for k in required:
            if k not in v:
                self.fail(f"{key}.{k}" if key else k, f"missing key '{k}'")
        return v

    def array(self, v: Any, key: str, *, nonempty: bool = True) -> list:
        if not isinstance(v, list):
            self.fail(key, "must be a list")
        if nonempty and not v:
            self.fail(key, "must not be empty")
        return v

    def code(self, v: Any, key: str) -> str:
        if not isinstance(v, str) or not CODE_PATTERN.fullmatch(v):
            self.fail(key, f"invalid code {shown(v)} (1 to 64 of A-Z a-z 0-9 _ . -)")
        return v

    def number(self, v: Any, key: str, limit: float | None = None) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.fail(key, f"must be a finite number, not {shown(v)}")
        try:
            x = float(v)
        except OverflowError:  # an integer of 400 digits
            self.fail(key, f"{shown(v)[1:-1]} is out of range: too large for a floating-point number")
        if not math.isfinite(x):
            self.fail(key, f"must be a finite number, not {shown(v)}")
        if limit is not None and abs(x) > limit:
            self.fail(key, f"{shown(v)[1:-1]} is out of range: at most {limit:g} in absolute value")
        return x

    def weight(self, entry: dict, key: str) -> float:
        w = self.number(entry.get("weight", 1.0), f"{key}.weight")
        if w < 0:
            self.fail(f"{key}.weight", f"negative weight {shown(entry['weight'])[1:-1]}")
        if w > MAX_WEIGHT or 0 < w < MIN_WEIGHT:
            self.fail(f"{key}.weight", f"weight {shown(entry['weight'])[1:-1]} is out of range: "
                                       f"0, or from {MIN_WEIGHT:g} to {MAX_WEIGHT:g}")
        return w

    def integer(self, v: Any, key: str, minimum: int) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            self.fail(key, f"must be a whole number, not {shown(v)}")
        if v < minimum:
            self.fail(key, f"must be at least {minimum}, not {shown(v)[1:-1]}")
        if v > MAX_COUNT:
            self.fail(key, f"must be at most {MAX_COUNT}, not {shown(v)[1:-1]}")
        return v

    def unique(self, codes: list[str], key: str) -> None:
        seen: set[str] = set()
        for i, c in enumerate(codes):
            if c in seen:
                self.fail(f"{key}[{i}].code", f"code '{c}' is given twice")
            seen.add(c)

    # the method -------------------------------------------------------------------

    def fill(self, m: Method, d: Any) -> None:
        d = self.obj(d, "", set(KNOWN_KEYS), REQUIRED)

        scale = self.obj(d["scale"], "scale", {"options", "satisfied", "dissatisfied"},
                         ("options", "satisfied", "dissatisfied"))
        options = []
        for i, o in enumerate(self.array(scale["options"], "scale.options")):
            k = f"scale.options[{i}]"
            o = self.obj(o, k, {"code", "points"}, ("code", "points"))
            points = None if o["points"] is None else self.number(o["points"], f"{k}.points", MAX_POINTS)
            options.append(ScaleOption(self.code(o["code"], f"{k}.code"), points))
        self.unique([o.code for o in options], "scale.options")
        if all(o.points is None for o in options):
            self.fail("scale.options", "no option has points")
        with_points = {o.code for o in options if o.points is not None}
        known = {o.code for o in options}
        rates = {}
        for name in ("satisfied", "dissatisfied"):
            codes = self.array(scale[name], f"scale.{name}", nonempty=False)
            for i, c in enumerate(codes):
                k = f"scale.{name}[{i}]"
                self.code(c, k)
                if c not in known:
                    self.fail(k, f"unknown option '{c}'")
                if c not in with_points:
                    self.fail(k, f"option '{c}' has no points, so it cannot count as {name}")
                if c in codes[:i]:
                    self.fail(k, f"option '{c}' is given twice")
            rates[name] = tuple(codes)
        both = set(rates["satisfied"]) & set(rates["dissatisfied"])
        if both:
            self.fail("scale.dissatisfied", f"option '{sorted(both)[0]}' is also satisfied")

        dimensions = []
        for i, e in enumerate(self.array(d["dimensions"], "dimensions")):
            k = f"dimensions[{i}]"
            e = self.obj(e, k, {"code", "weight"}, ("code",))
            dimensions.append(Dimension(self.code(e["code"], f"{k}.code"), self.weight(e, k)))
        self.unique([x.code for x in dimensions], "dimensions")
        dimension_codes = {x.code for x in dimensions}

        items = []
        for i, e in enumerate(self.array(d["items"], "items")):
            k = f"items[{i}]"
            e = self.obj(e, k, {"code", "dimension", "weight", "target", "text"}, ("code", "dimension"))
            if "text" in e:  # what a target-specific item asked: not scored, but covered by the method's sha256
                words = self.obj(e["text"], f"{k}.text", {"zh", "en"}, ("zh", "en"))
                for lang in ("zh", "en"):
                    if not isinstance(words[lang], str):
                        self.fail(f"{k}.text.{lang}", "must be a string")
            dim = self.code(e["dimension"], f"{k}.dimension")
            if dim not in dimension_codes:
                self.fail(f"{k}.dimension", f"unknown dimension '{dim}'")
            target = self.code(e["target"], f"{k}.target") if "target" in e else None
            items.append(Item(self.code(e["code"], f"{k}.code"), dim, self.weight(e, k), target))
        self.unique([x.code for x in items], "items")

        groups = []
        for i, e in enumerate(self.array(d["groups"], "groups")):
            k = f"groups[{i}]"
            e = self.obj(e, k, {"code", "weight"}, ("code",))
            groups.append(RespondentGroup(self.code(e["code"], f"{k}.code"), self.weight(e, k)))
        self.unique([x.code for x in groups], "groups")

        grades = []
        for i, e in enumerate(self.array(d["grades"], "grades", nonempty=False)):
            k = f"grades[{i}]"
            e = self.obj(e, k, {"code", "min"}, ("code", "min"))
            grades.append(Grade(self.code(e["code"], f"{k}.code"), self.number(e["min"], f"{k}.min")))
        self.unique([x.code for x in grades], "grades")
        grades.sort(key=lambda g: -g.min)  # stable: equal bands keep their given order

        alerts = self.obj(d["alerts"], "alerts", {"prevention", "warning"}, ("prevention", "warning"))
        prevention = self.number(alerts["prevention"], "alerts.prevention")
        warning = self.number(alerts["warning"], "alerts.warning")
        if prevention > warning:
            self.fail("alerts", f"prevention ({prevention:g}) is above warning ({warning:g})")

        settings = {**DEFAULTS, **{k: d[k] for k in DEFAULTS if k in d}}
        m.min_group_size = self.integer(settings["min_group_size"], "min_group_size", 1)
        m.trim = self.integer(settings["trim"], "trim", 0)
        m.trim_share = self.number(settings["trim_share"], "trim_share")
        if not 0 <= m.trim_share < 0.5:
            self.fail("trim_share", f"must be at least 0 and below 0.5, not {shown(settings['trim_share'])[1:-1]}")
        if m.trim and m.trim_share:
            self.fail("trim_share", "give either trim (a count of ballots) or trim_share (a share), not both")
        funnel = settings["funnel_alerts"]
        if funnel is not None and (isinstance(funnel, bool) or funnel not in (0.95, 0.998)):
            self.fail("funnel_alerts", f"must be null, 0.95 or 0.998, not {shown(funnel)}")
        m.funnel_alerts = None if funnel is None else float(funnel)
        m.straightline_min_answers = self.integer(
            settings["straightline_min_answers"], "straightline_min_answers", 1)
        if not isinstance(settings["exclude_flagged"], bool):
            self.fail("exclude_flagged", f"must be true or false, not {shown(settings['exclude_flagged'])}")
        m.exclude_flagged = settings["exclude_flagged"]

        m.options = tuple(options)
        m.satisfied = rates["satisfied"]
        m.dissatisfied = rates["dissatisfied"]
        m.dimensions = tuple(dimensions)
        m.items = tuple(items)
        m.groups = tuple(groups)
        m.grades = tuple(grades)
        m.prevention = prevention
        m.warning = warning
