"""The one place that checks a questionnaire definition and builds the immutable value.

It works on plain data (dicts, lists, scalars) as YAML or JSON gives it, plus an
optional map from path to YAML line, so YAML files and stored dictionaries are checked
by the same rules. Every problem is collected; nothing stops at the first.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .problems import Problem, QuestionnaireInvalid
from .schema import (FORMAT_VERSION, ITEM_TYPES, KINDS, PLACEHOLDER, SECTION_KINDS, SOURCES, Choice,
                     Dimension, Item, Questionnaire, Scale, ScaleOption, Section, Text)

CODE_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_PARENT = re.compile(r"(\.[^.\[\]]*|\[\d+\])$")

_TOP_KEYS = ("format", "code", "kind", "title", "intro", "closing", "scale", "dimensions",
             "sections")
_ITEM_KEYS = ("code", "type", "text", "dimension", "weight", "required", "per_target",
              "groups", "options", "max_length")
#: keys that only some item types take
_ITEM_KEYS_FOR = {
    "dimension": ("rating",),
    "weight": ("rating",),
    "options": ("single", "multiple"),
    "max_length": ("text",),
}
_MISSING = object()


def type_name(value: Any) -> str:
    """The YAML-ish name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__


def join(path: str, key: object) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


#: points and weights beyond this are a mistake, and the scoring engine refuses them (sums stay far from overflow)
MAX_NUMBER = 1e6


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(value: int | float) -> int | float:
    """Integral floats become ints, so that 70.0 and 70 load, dump and hash alike."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


class Checker:
    """Collects problems while turning plain data into a Questionnaire."""

    def __init__(self, lines: Mapping[str, int] | None = None):
        self.lines = lines or {}
        self.problems: list[Problem] = []

    # -- reporting -------------------------------------------------------------------

    def line(self, path: str) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        if not self.lines:
            return None
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            match = _PARENT.search(path)
            path = path[:match.start()] if match else ""

    def report(self, path: str, code: str, message: str, /, **params: Any) -> None:
        line = params.pop("line", _MISSING)
        if line is _MISSING:
            line = self.line(path)
        if line is not None:
            text = f"line {line}: {message}"
        elif path:
            text = f"{path}: {message}"
        else:
            text = message
        self.problems.append(Problem(line, path, code, text, params))

    def sorted_problems(self) -> list[Problem]:
        # Stable: problems on one line keep the order in which they were found.
        return sorted(self.problems, key=lambda p: (p.line is None, p.line or 0))

    # -- shapes ----------------------------------------------------------------------

    def mapping(self, value: Any, path: str, what: str, required: Sequence[str],
                optional: Sequence[str] = ()) -> dict | None:
        if not isinstance(value, Mapping):
            self.report(path, "bad_type", f"{what} must be a mapping, not {type_name(value)}",
                        expected="mapping", got=type_name(value))
            return None
        allowed = set(required) | set(optional)
        for key in value:
            if key not in allowed:
                self.report(join(path, key), "unknown_key",
                            f"unknown key '{key}' in {what}"
                            f" (allowed: {', '.join(list(required) + list(optional))})",
                            key=str(key), allowed=list(required) + list(optional))
        for key in required:
            if key not in value:
                self.report(path, "required_key", f"{what} lacks the required key '{key}'",
                            key=key)
        return {k: v for k, v in value.items() if k in allowed}

    def sequence(self, value: Any, path: str, what: str) -> list | None:
        if isinstance(value, (list, tuple)):
            return list(value)
        self.report(path, "bad_type", f"{what} must be a list, not {type_name(value)}",
                    expected="list", got=type_name(value))
        return None

    def code(self, value: Any, path: str, what: str) -> str | None:
        if not isinstance(value, str):
            hint = " (put it in quotes)" if isinstance(value, (int, float, bool)) else ""
            self.report(path, "bad_type",
                        f"{what} code must be a string, not {type_name(value)}{hint}",
                        expected="string", got=type_name(value))
            return None
        if not CODE_PATTERN.fullmatch(value):
            self.report(path, "bad_code",
                        f"{what} code '{value}' must be 1 to 64 letters, digits, '_', '.' or '-'",
                        code=value)
            return None
        return value

    def text(self, value: Any, path: str, what: str) -> Text | None:
        m = self.mapping(value, path, what, (), ("zh", "en"))
        if m is None:
            return None
        ok = True
        for lang in ("zh", "en"):
            s = m.get(lang)
            if s is None or (isinstance(s, str) and not s.strip()):
                self.report(join(path, lang) if lang in m else path, "missing_translation",
                            f"{what} has no {'Chinese' if lang == 'zh' else 'English'}"
                            f" text ('{lang}')", lang=lang)
                ok = False
            elif not isinstance(s, str):
                self.report(join(path, lang), "bad_type",
                            f"{what} '{lang}' must be a string, not {type_name(s)}",
                            expected="string", got=type_name(s))
                ok = False
        return Text(m["zh"], m["en"]) if ok else None

    def number(self, value: Any, path: str, what: str) -> int | float | None:
        if not _is_number(value):
            self.report(path, "bad_type", f"{what} must be a number, not {type_name(value)}",
                        expected="number", got=type_name(value))
            return None
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an integer of hundreds of digits
            finite = True
        if not finite:
            self.report(path, "not_finite", f"{what} must be a finite number", value=str(value))
            return None
        if abs(value) > MAX_NUMBER:
            self.report(path, "out_of_range", f"{what} must be between -{MAX_NUMBER:g} and {MAX_NUMBER:g}",
                        limit=f"{MAX_NUMBER:g}")
            return None
        return _number(value)

    def weight(self, value: Any, path: str, what: str) -> float | None:
        number = self.number(value, path, what)
        if number is None:
            return None
        if number < 0:
            self.report(path, "negative_weight", f"{what} must not be negative ({number})",
                        weight=number)
            return None
        return float(number)

    def boolean(self, value: Any, path: str, what: str) -> bool | None:
        if isinstance(value, bool):
            return value
        self.report(path, "bad_type", f"{what} must be true or false, not {type_name(value)}",
                    expected="boolean", got=type_name(value))
        return None

    def unique(self, entries: list[tuple[str | None, str]], what: str) -> None:
        """Report every repeated code among (code, path) pairs."""
        first: dict[str, str] = {}
        for code, path in entries:
            if code is None:
                continue
            if code in first:
                earlier = self.line(first[code])
                where = f" (first on line {earlier})" if earlier is not None else ""
                self.report(path, "duplicate_code",
                            f"duplicate {what} code '{code}'{where}",
                            what=what, code=code, first_line=earlier)
            else:
                first[code] = path

    # -- the document ----------------------------------------------------------------

    def questionnaire(self, data: Any) -> Questionnaire | None:
        m = self.mapping(data, "", "the questionnaire", _TOP_KEYS)
        if m is None:
            return None
        if "format" in m and (not _is_number(m["format"]) or m["format"] != FORMAT_VERSION):
            self.report("format", "bad_format",
                        f"format {m['format']!r} is not supported (this version reads"
                        f" format {FORMAT_VERSION})", format=str(m["format"]),
                        supported=FORMAT_VERSION)
        code = self.code(m["code"], "code", "questionnaire") if "code" in m else None
        kind = None
        if "kind" in m:
            kind = m["kind"]
            if kind not in KINDS or not isinstance(kind, str):
                self.report("kind", "unknown_kind",
                            f"unknown kind {kind!r} (one of {', '.join(KINDS)})",
                            kind=str(kind), allowed=list(KINDS))
                kind = None
        title, intro, closing = (
            self.text(m[key], key, key) if key in m else None
            for key in ("title", "intro", "closing"))
        self._items_seen: list[tuple[str | None, str]] = []  # (code, path of code)
        self._ratings: list[tuple[str | None, str, float | None, str]] = []
        self._unsure = False  # an item whose type or dimension is unreadable
        self._rating_count = 0
        self._dimension_codes: list[tuple[str, str]] | None = None
        scale = self.scale(m["scale"]) if "scale" in m else None
        dimensions = self.dimensions(m["dimensions"]) if "dimensions" in m else None
        sections = self.sections(m["sections"]) if "sections" in m else None
        if "sections" in m:
            self.cross_check()
        parts = (code, kind, title, intro, closing, scale, dimensions, sections)
        if self.problems or any(part is None for part in parts):
            return None
        return Questionnaire(code, kind, title, intro, closing, scale,
                             tuple(d for d, _ in dimensions),
                             tuple(s for s, _ in sections))

    # -- scale -----------------------------------------------------------------------

    def scale(self, value: Any) -> Scale | None:
        m = self.mapping(value, "scale", "the scale", ("options", "satisfied", "dissatisfied"))
        if m is None:
            return None
        options: list[tuple[ScaleOption, str]] = []
        if "options" in m:
            raw = self.sequence(m["options"], "scale.options", "scale options")
            if raw is not None and not raw:
                self.report("scale.options", "empty_scale", "the scale has no options")
            for i, entry in enumerate(raw or ()):
                option = self.scale_option(entry, f"scale.options[{i}]")
                if option is not None:
                    options.append((option, f"scale.options[{i}]"))
            if raw:
                self.check_points(options, len(options) == len(raw))
        codes = {o.code: o for o, _ in options}
        classes = {}
        for key in ("satisfied", "dissatisfied"):
            if key in m:
                classes[key] = self.option_class(m[key], key, codes if "options" in m else None)
        satisfied, dissatisfied = classes.get("satisfied"), classes.get("dissatisfied")
        if satisfied is not None and dissatisfied is not None:
            both = {code for code, _ in satisfied}
            for code, path in dissatisfied:
                if code in both:
                    self.report(path, "overlapping_classes",
                                f"option '{code}' is both satisfied and dissatisfied", code=code)
        if "options" not in m or satisfied is None or dissatisfied is None:
            return None
        return Scale(tuple(o for o, _ in options), tuple(c for c, _ in satisfied),
                     tuple(c for c, _ in dissatisfied))

    def scale_option(self, value: Any, path: str) -> ScaleOption | None:
        m = self.mapping(value, path, "a scale option", ("code", "label", "points"))
        if m is None:
            return None
        code = self.code(m["code"], join(path, "code"), "option") if "code" in m else None
        label = self.text(m["label"], join(path, "label"), f"label of option '{code}'") \
            if "label" in m else None
        points = _MISSING
        if "points" in m:
            points = None if m["points"] is None else self.number(
                m["points"], join(path, "points"), f"points of option '{code}'")
            if m["points"] is not None and points is None:
                points = _MISSING
        if code is None or label is None or points is _MISSING:
            return None
        return ScaleOption(code, label, points)

    def check_points(self, options: list[tuple[ScaleOption, str]], complete: bool) -> None:
        self.unique([(o.code, join(path, "code")) for o, path in options], "option")
        scored = [(o, path) for o, path in options if o.points is not None]
        dont_know = [(o, path) for o, path in options if o.points is None]
        for option, path in dont_know[1:]:
            self.report(join(path, "points"), "multiple_dont_know",
                        f"option '{option.code}' is a second \"don't know\" option (points"
                        f" null); '{dont_know[0][0].code}' already is one",
                        code=option.code, first=dont_know[0][0].code)
        if complete and len(scored) < 2:
            self.report("scale.options", "too_few_scored_options",
                        f"the scale needs at least 2 options with points, it has {len(scored)}",
                        count=len(scored))
        for (before, _), (option, path) in zip(scored, scored[1:]):
            if not option.points < before.points:
                self.report(join(path, "points"), "points_order",
                            f"option '{option.code}' has {option.points} points, not fewer"
                            f" than '{before.code}' above it ({before.points}); list options"
                            f" best first", code=option.code, points=option.points,
                            previous=before.code, previous_points=before.points)

    def option_class(self, value: Any, key: str,
                     codes: dict[str, ScaleOption] | None) -> list[tuple[str, str]] | None:
        path = f"scale.{key}"
        raw = self.sequence(value, path, f"scale '{key}'")
        if raw is None:
            return None
        entries = []
        for i, entry in enumerate(raw):
            code = self.code(entry, f"{path}[{i}]", f"'{key}' option")
            if code is not None:
                entries.append((code, f"{path}[{i}]"))
        self.unique(entries, f"'{key}' option")
        for code, entry_path in entries:
            if codes is None:
                continue
            if code not in codes:
                self.report(entry_path, "unknown_option",
                            f"'{key}' names option '{code}', which the scale does not have",
                            code=code, key=key)
            elif codes[code].points is None:
                self.report(entry_path, "dont_know_classified",
                            f"'{key}' names option '{code}', the \"don't know\" option,"
                            f" which counts as neither", code=code, key=key)
        return entries

    # -- dimensions ------------------------------------------------------------------

    def dimensions(self, value: Any) -> list[tuple[Dimension, str]] | None:
        raw = self.sequence(value, "dimensions", "dimensions")
        if raw is None:
            return None
        result, seen = [], []
        self._dimension_codes = []
        for i, entry in enumerate(raw):
            path = f"dimensions[{i}]"
            m = self.mapping(entry, path, "a dimension", ("code", "name"), ("weight",))
            if m is None:
                self._dimension_codes = None
                continue
            code = self.code(m["code"], join(path, "code"), "dimension") if "code" in m else None
            if code is None:
                self._dimension_codes = None
            else:
                seen.append((code, join(path, "code")))
            if code is not None and self._dimension_codes is not None:
                self._dimension_codes.append((code, join(path, "code")))
            name = self.text(m["name"], join(path, "name"), f"name of dimension '{code}'") \
                if "name" in m else None
            weight = self.weight(m.get("weight", 1), join(path, "weight"),
                                 f"weight of dimension '{code}'")
            if code is not None and name is not None and weight is not None:
                result.append((Dimension(code, name, weight), path))
        self.unique(seen, "dimension")
        if result and len(result) == len(raw) and not any(d.weight > 0 for d, _ in result):
            self.report("dimensions", "zero_weights",
                        "every dimension has weight 0, so nothing can be scored",
                        dimension=None)
        return result if len(result) == len(raw) else None

    # -- sections and items ----------------------------------------------------------

    def sections(self, value: Any) -> list[tuple[Section, str]] | None:
        raw = self.sequence(value, "sections", "sections")
        if raw is None:
            return None
        result, complete, section_codes = [], True, []
        sources: dict[str, str] = {}  # source -> path of the section that takes it
        for i, entry in enumerate(raw):
            path = f"sections[{i}]"
            kind = entry.get("kind", "fixed") if isinstance(entry, Mapping) else "fixed"
            specific = kind == "target_specific"
            m = self.mapping(entry, path, "a section",
                             ("code", "title", "source", "template") if specific else ("code", "title", "items"),
                             ("kind",))
            if m is None:
                complete = False
                continue
            code = self.code(m["code"], join(path, "code"), "section") if "code" in m else None
            section_codes.append((code, join(path, "code")))
            title = self.text(m["title"], join(path, "title"), f"title of section '{code}'") \
                if "title" in m else None
            if kind not in SECTION_KINDS or not isinstance(kind, str):
                self.report(join(path, "kind"), "unknown_section_kind",
                            f"section '{code}' has unknown kind {kind!r} (one of {', '.join(SECTION_KINDS)})",
                            kind=str(kind), allowed=list(SECTION_KINDS))
                complete = False
                continue
            if specific:
                section = self.specific_section(m, path, code, title, sources)
                if section is None:
                    complete = False
                else:
                    result.append((section, path))
                continue
            items = None
            if "items" in m:
                raw_items = self.sequence(m["items"], join(path, "items"), "section items")
                if raw_items is not None:
                    if not raw_items:
                        self.report(join(path, "items"), "empty_section",
                                    f"section '{code}' has no items", code=code)
                    items = []
                    for j, raw_item in enumerate(raw_items):
                        item = self.item(raw_item, f"{path}.items[{j}]")
                        if item is not None:
                            items.append(item)
                    if len(items) < len(raw_items):
                        items = None
            if code is not None and title is not None and items is not None:
                result.append((Section(code, title, tuple(items)), path))
            else:
                complete = False
        self.unique(section_codes, "section")
        self.unique(self._items_seen, "item")
        prefixes = tuple(SOURCES[source] + "." for source in sources)
        for item_code, path in self._items_seen:
            if prefixes and item_code is not None and item_code.startswith(prefixes):
                self.report(path, "reserved_code",
                            f"item code '{item_code}' starts like a target-specific item's"
                            f" ({', '.join(prefixes)}); choose another", code=item_code)
        if not self._items_seen and not sources \
                and all(isinstance(e, Mapping) and "items" in e for e in raw):
            self.report("sections", "no_items", "the questionnaire has no items")
        return result if complete else None

    def specific_section(self, m: dict, path: str, code: str | None, title: Text | None,
                         sources: dict[str, str]) -> Section | None:
        """A target-specific section: its source, and its template, a rating item without a code
        whose text holds the placeholder that each item's own words replace."""
        source = m.get("source")
        ok = code is not None and title is not None
        if "source" in m:
            if not isinstance(source, str) or source not in SOURCES:
                self.report(join(path, "source"), "unknown_source",
                            f"section '{code}' has unknown source {source!r} (one of {', '.join(SOURCES)})",
                            source=str(source), allowed=list(SOURCES))
                ok = False
            elif source in sources:
                self.report(join(path, "source"), "duplicate_source",
                            f"a second target-specific section takes its items from '{source}'",
                            source=source)
                ok = False
            else:
                sources[source] = path
        template = None
        if "template" in m:
            tpath = join(path, "template")
            raw = m["template"]
            if isinstance(raw, Mapping) and "code" not in raw:
                raw = dict(raw, code=code or "template")
            before = len(self._items_seen)
            template = self.item(raw, tpath)
            del self._items_seen[before:]  # the template's code is no item's code
            if template is not None and template.type != "rating":
                self.report(join(tpath, "type"), "template_not_rating",
                            f"the template of section '{code}' must be a rating item", code=code)
                template = None
            elif template is not None and not all(PLACEHOLDER in t for t in (template.text.zh, template.text.en)):
                self.report(join(tpath, "text"), "missing_placeholder",
                            f"the template text of section '{code}' needs {PLACEHOLDER} in zh and en,"
                            f" where each item's own words go", code=code, placeholder=PLACEHOLDER)
                template = None
        if not ok or template is None:
            return None
        return Section(code, title, (), kind="target_specific", source=source, template=template)

    def item(self, value: Any, path: str) -> Item | None:
        m = self.mapping(value, path, "an item", ("code", "type", "text"),
                         _ITEM_KEYS[3:])
        if m is None:
            self._unsure = True
            return None
        code = self.code(m["code"], join(path, "code"), "item") if "code" in m else None
        self._items_seen.append((code, join(path, "code")))
        name = f"item '{code}'" if code else "an item"
        kind = m.get("type")
        if "type" in m and kind not in ITEM_TYPES:
            self.report(join(path, "type"), "unknown_item_type",
                        f"{name} has unknown type {kind!r} (one of {', '.join(ITEM_TYPES)})",
                        type=str(kind), allowed=list(ITEM_TYPES))
            kind = None
        if kind is None:
            self._unsure = True
        text = self.text(m["text"], join(path, "text"), f"text of {name}") \
            if "text" in m else None
        ok = code is not None and kind is not None and text is not None
        if kind is None:
            return None
        for key, types in _ITEM_KEYS_FOR.items():
            if key in m and kind not in types:
                self.report(join(path, key), "not_applicable",
                            f"{name} is a {kind} item, which takes no '{key}'",
                            key=key, type=kind)
                ok = False
        dimension = weight = max_length = None
        options: tuple[Choice, ...] = ()
        if kind == "rating":
            self._rating_count += 1
            if "dimension" not in m:
                self.report(path, "required_key", f"rating {name} needs a dimension",
                            key="dimension")
                ok = False
            else:
                dimension = self.code(m["dimension"], join(path, "dimension"), "dimension")
                ok = ok and dimension is not None
                self._unsure = self._unsure or dimension is None
            weight = self.weight(m.get("weight", 1), join(path, "weight"), f"weight of {name}")
            ok = ok and weight is not None
            if dimension is not None:
                self._ratings.append((code, dimension, weight, join(path, "dimension")))
        elif kind in ("single", "multiple"):
            if "options" not in m:
                self.report(path, "required_key", f"{kind} {name} needs options", key="options")
                ok = False
            else:
                choices = self.choices(m["options"], join(path, "options"), name)
                ok = ok and choices is not None
                options = choices or ()
        elif kind == "text" and m.get("max_length") is not None:
            max_length = m["max_length"]
            if not _is_number(max_length) or max_length != int(max_length):
                self.report(join(path, "max_length"), "bad_type",
                            f"max_length of {name} must be a whole number, not"
                            f" {type_name(max_length)}", expected="integer",
                            got=type_name(max_length))
                ok = False
            elif max_length < 1:
                self.report(join(path, "max_length"), "not_positive",
                            f"max_length of {name} must be at least 1", value=max_length)
                ok = False
            else:
                max_length = int(max_length)
        required = self.boolean(m["required"], join(path, "required"), f"required of {name}") \
            if "required" in m else kind != "text"
        per_target = self.boolean(m["per_target"], join(path, "per_target"),
                                  f"per_target of {name}") if "per_target" in m \
            else kind == "rating"
        if kind == "rating" and per_target is False:
            self.report(join(path, "per_target"), "rating_per_ballot",
                        f"rating {name} must be per_target: every score belongs to a target",
                        code=code)
            ok = False
        groups = self.groups(m["groups"], join(path, "groups"), name) if "groups" in m else ()
        ok = ok and required is not None and per_target is not None and groups is not None
        if not ok:
            return None
        return Item(code, kind, text, dimension=dimension, weight=weight, required=required,
                    per_target=per_target, groups=groups or None, options=options,
                    max_length=max_length)

    def choices(self, value: Any, path: str, name: str) -> tuple[Choice, ...] | None:
        raw = self.sequence(value, path, f"options of {name}")
        if raw is None:
            return None
        result = []
        for i, entry in enumerate(raw):
            m = self.mapping(entry, f"{path}[{i}]", "an option", ("code", "label"))
            if m is None:
                continue
            code = self.code(m["code"], f"{path}[{i}].code", "option") if "code" in m else None
            label = self.text(m["label"], f"{path}[{i}].label", f"label of option '{code}'") \
                if "label" in m else None
            if code is not None and label is not None:
                result.append((Choice(code, label), f"{path}[{i}].code"))
        if len(raw) < 2:
            self.report(path, "too_few_choices",
                        f"{name} needs at least 2 options, it has {len(raw)}", count=len(raw))
            return None
        self.unique([(c.code, p) for c, p in result], "choice")
        return tuple(c for c, _ in result) if len(result) == len(raw) else None

    def groups(self, value: Any, path: str, name: str) -> tuple[str, ...] | None:
        raw = self.sequence(value, path, f"groups of {name}")
        if raw is None:
            return None
        if not raw:
            self.report(path, "empty_groups",
                        f"{name} lists no groups, so nobody would be asked it; leave"
                        f" 'groups' out to ask everyone")
            return None
        codes = [(self.code(g, f"{path}[{i}]", "group"), f"{path}[{i}]")
                 for i, g in enumerate(raw)]
        before = len(self.problems)
        self.unique(codes, "group")
        if any(c is None for c, _ in codes) or len(self.problems) > before:
            return None
        return tuple(c for c, _ in codes)

    # -- across the document ---------------------------------------------------------

    def cross_check(self) -> None:
        dimensions = self._dimension_codes  # None when some dimension's code is unreadable
        if dimensions is not None:
            known = {code for code, _ in dimensions}
            for code, dimension, _, path in self._ratings:
                if dimension not in known:
                    self.report(path, "unknown_dimension",
                                f"item '{code}' names unknown dimension '{dimension}'",
                                item=code, dimension=dimension)
        if self._unsure:
            return  # some item's type or dimension is unreadable; what follows would mislead
        for dimension, path in dimensions or ():
            weights = [w for _, d, w, _ in self._ratings if d == dimension]
            if not weights:
                self.report(path, "empty_dimension",
                            f"dimension '{dimension}' has no rating item", dimension=dimension)
            elif all(w is not None and w == 0 for w in weights):
                self.report(path, "zero_weights",
                            f"every rating item of dimension '{dimension}' has weight 0,"
                            f" so it cannot be scored", dimension=dimension)
        if self._items_seen and not self._rating_count:
            self.report("sections", "no_rating_items",
                        "the questionnaire has no rating item, so nothing can be scored")


def build(data: Any, lines: Mapping[str, int] | None = None,
          problems: Sequence[Problem] = ()) -> Questionnaire:
    """Validate plain data and return the Questionnaire, or raise QuestionnaireInvalid.

    ``problems`` are ones already found while reading (duplicate YAML keys)."""
    checker = Checker(lines)
    checker.problems.extend(problems)
    questionnaire = checker.questionnaire(data)
    if checker.problems:
        raise QuestionnaireInvalid(checker.sorted_problems())
    assert questionnaire is not None, "nothing built, yet no problem found"
    return questionnaire
