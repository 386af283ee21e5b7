"""Reading and writing questionnaires as YAML (and as plain dictionaries).

Reading composes the YAML node tree with PyYAML's SafeLoader and walks it, so that
every value keeps the line it came from and every problem can name that line.

Files come from uploads, so reading is bounded: at most MAX_BYTES, nesting at most
MAX_DEPTH deep (PyYAML composes recursively: 50,000 brackets would exhaust the stack),
and at most MAX_NODES values, both as written and as visited with aliases expanded (a
few hundred bytes of nested aliases, "billion laughs", would otherwise expand to
billions). PyYAML in pure Python takes some 50 µs a value, so the limits also bound the
time: each is far above what a questionnaire needs and makes a bomb fail well within a second.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import yaml

from .problems import Problem, QuestionnaireInvalid
from .schema import FORMAT_VERSION, Item, Questionnaire, Section, Text
from .validation import build, join


#: a questionnaire of 300 questions in two languages is about 100 kB
MAX_BYTES = 256 << 10
#: a questionnaire nests 6 levels deep (sections, items, options, label, text)
MAX_DEPTH = 64
#: values visited, aliases expanded; 300 questions make about 5,000
MAX_NODES = 10_000


def _too_large(size: int) -> QuestionnaireInvalid:
    return QuestionnaireInvalid([Problem(
        None, "", "too_large", f"the file is larger than {MAX_BYTES} bytes ({size} bytes)",
        {"size": size, "limit": MAX_BYTES})])


def loads(text: str | bytes) -> Questionnaire:
    """Parse and validate YAML text; raise QuestionnaireInvalid listing every problem."""
    size = len(text) if isinstance(text, bytes) or len(text) > MAX_BYTES else len(text.encode("utf-8", "replace"))
    if size > MAX_BYTES:
        raise _too_large(size)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise QuestionnaireInvalid([Problem(
                None, "", "bad_encoding",
                f"the file is not UTF-8 text (byte {exc.start})", {"offset": exc.start})]) from None
    data, lines, problems = _compose(text)
    return build(data, lines, problems)


def load(path: str | os.PathLike) -> Questionnaire:
    """Read and validate a YAML file (UTF-8); OSError when it cannot be read."""
    with open(path, "rb") as file:
        data = file.read(MAX_BYTES + 1)  # never more: the file may be a device or huge
    if len(data) > MAX_BYTES:
        raise _too_large(os.path.getsize(path) if os.path.isfile(path) else len(data))
    return loads(data)


def from_dict(data: Mapping) -> Questionnaire:
    """Validate a dictionary shaped like the YAML (as ``to_dict`` gives it)."""
    return build(data)


def to_dict(q: Questionnaire) -> dict:
    """The questionnaire as plain, JSON-ready data in the YAML layout, defaults spelt out."""
    return {
        "format": FORMAT_VERSION,
        "code": q.code,
        "kind": q.kind,
        "title": _text(q.title),
        "intro": _text(q.intro),
        "closing": _text(q.closing),
        "scale": {
            "options": [{"code": o.code, "label": _text(o.label), "points": _number(o.points)}
                        for o in q.scale.options],
            "satisfied": list(q.scale.satisfied),
            "dissatisfied": list(q.scale.dissatisfied),
        },
        "dimensions": [{"code": d.code, "name": _text(d.name), "weight": _number(d.weight)}
                       for d in q.dimensions],
        "sections": [_section(s) for s in q.sections],
    }


def _section(s: Section) -> dict:
    """A section; a target-specific one as its template (never the items a campaign filled it with)."""
    if s.is_target_specific:
        template = {k: v for k, v in _item(s.template).items() if k != "code"}
        return {"code": s.code, "title": _text(s.title), "kind": s.kind, "source": s.source,
                "template": template}
    return {"code": s.code, "title": _text(s.title), "items": [_item(item) for item in s.items]}


def dump(q: Questionnaire) -> str:
    """The questionnaire as YAML text, keys in a stable order; ``loads(dump(q)) == q``."""
    return yaml.dump(_styled(to_dict(q)), Dumper=_Dumper, allow_unicode=True,
                     sort_keys=False, default_flow_style=False, width=1_000_000, indent=2)


# -- to_dict helpers -------------------------------------------------------------------

def _text(text: Text) -> dict:
    return {"zh": text.zh, "en": text.en}


def _number(value: int | float | None) -> int | float | None:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _item(item: Item) -> dict:
    d: dict[str, Any] = {"code": item.code, "type": item.type, "text": _text(item.text)}
    if item.type == "rating":
        d["dimension"] = item.dimension
        d["weight"] = _number(item.weight)
    d["required"] = item.required
    d["per_target"] = item.per_target
    if item.groups is not None:
        d["groups"] = list(item.groups)
    if item.type in ("single", "multiple"):
        d["options"] = [{"code": c.code, "label": _text(c.label)} for c in item.options]
    if item.type == "text" and item.max_length is not None:
        d["max_length"] = item.max_length
    return d


# -- dumping style ---------------------------------------------------------------------

class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes short mappings and code lists on one line, as people do."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class _Flow(dict):
    pass


class _FlowList(list):
    pass


#: Characters that YAML reads as line breaks (or drops) in plain and block scalars, and
#: characters it cannot hold unescaped: only a double-quoted scalar carries them intact.
_NEEDS_ESCAPES = re.compile(
    "[\r\x85\u2028\u2029\ufeff]|[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if _NEEDS_ESCAPES.search(data):
        style = '"'
    elif "\n" in data.rstrip("\n"):
        # Multi-line prose reads best as a literal block; PyYAML falls back to quoting
        # whenever the block style could not carry the string exactly.
        style = "|"
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Flow, lambda dumper, data: dumper.represent_mapping(
    "tag:yaml.org,2002:map", data.items(), flow_style=True))
_Dumper.add_representer(_FlowList, lambda dumper, data: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", data, flow_style=True))


def _short_text(d: dict) -> bool:
    return all("\n" not in s for s in d.values()) and sum(len(s) for s in d.values()) <= 80


def _styled(d: dict) -> dict:
    """Mark the parts of to_dict's output that read better in flow style."""

    def text(t: dict) -> dict:
        return _Flow(t) if _short_text(t) else t

    def flat(entry: dict, key: str) -> dict:
        entry = dict(entry, **{key: text(entry[key])})
        return _Flow(entry) if isinstance(entry[key], _Flow) else entry

    out = dict(d)
    for key in ("title", "intro", "closing"):
        out[key] = text(d[key])
    scale = d["scale"]
    out["scale"] = {"options": [flat(o, "label") for o in scale["options"]],
                    "satisfied": _FlowList(scale["satisfied"]),
                    "dissatisfied": _FlowList(scale["dissatisfied"])}
    out["dimensions"] = [flat(dim, "name") for dim in d["dimensions"]]
    sections = []
    for section in d["sections"]:
        if "template" in section:
            template = dict(section["template"], text=text(section["template"]["text"]))
            sections.append(dict(section, title=text(section["title"]), template=template))
            continue
        items = []
        for item in section["items"]:
            item = dict(item, text=text(item["text"]))
            if "groups" in item:
                item["groups"] = _FlowList(item["groups"])
            if "options" in item:
                item["options"] = [flat(c, "label") for c in item["options"]]
            items.append(item)
        sections.append(dict(section, title=text(section["title"]), items=items))
    out["sections"] = sections
    return out


# -- reading with lines ----------------------------------------------------------------

def _compose(text: str) -> tuple[Any, dict[str, int], list[Problem]]:
    """Plain data, {path: 1-based line} and duplicate-key problems from YAML text;
    syntax errors raise QuestionnaireInvalid."""
    try:
        loader = _BoundedLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        line = text.count("\n", 0, exc.position) + 1
        raise QuestionnaireInvalid([Problem(
            line, "", "yaml_syntax",
            f"line {line}: YAML syntax error: character {exc.character!r} is not allowed",
            {"problem": "special characters are not allowed", "context": None})]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise QuestionnaireInvalid([Problem(
                1, "", "bad_type", "line 1: the file is empty; a questionnaire is a mapping",
                {"expected": "mapping", "got": "nothing"})])
        walker = _Walker(loader)
        data = walker.walk(node, "")
        return data, walker.lines, walker.problems
    except _TooDeep as exc:
        line = exc.mark.line + 1
        raise QuestionnaireInvalid([Problem(
            line, "", "too_deep", f"line {line}: the values are nested more than {MAX_DEPTH} levels deep",
            {"limit": MAX_DEPTH})]) from None
    except _TooManyNodes as exc:
        line = exc.mark.line + 1
        raise QuestionnaireInvalid([Problem(
            line, "", "too_many_nodes",
            f"line {line}: the file holds more than {MAX_NODES} values (an alias counts each time it is used)",
            {"limit": MAX_NODES})]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        detail = f"{context}, {problem}" if context else problem
        message = f"line {line}: YAML syntax error: {detail}" if line else \
            f"YAML syntax error: {detail}"
        raise QuestionnaireInvalid([Problem(line, "", "yaml_syntax", message,
                                            {"problem": problem, "context": context})]) from None
    finally:
        loader.dispose()


MERGE_TAG = "tag:yaml.org,2002:merge"


class _TooDeep(Exception):
    def __init__(self, mark):
        self.mark = mark


class _TooManyNodes(Exception):
    def __init__(self, mark):
        self.mark = mark


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses to nest deeper than MAX_DEPTH.

    The scanner is stopped at the first bracket or indentation too many (it would
    otherwise look back over every open bracket for each new one: quadratic), and the
    recursive composer at the first node too deep.
    """

    depth = 0
    composed = 0

    def fetch_flow_collection_start(self, TokenClass):
        if self.flow_level >= MAX_DEPTH:
            raise _TooDeep(self.get_mark())
        super().fetch_flow_collection_start(TokenClass)

    def add_indent(self, column):
        if len(self.indents) >= MAX_DEPTH:
            raise _TooDeep(self.get_mark())
        return super().add_indent(column)

    def compose_node(self, parent, index):
        self.depth += 1
        self.composed += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            if self.composed > MAX_NODES:  # PyYAML takes ~50 µs a node: stop before it is slow
                raise _TooManyNodes(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Walker:
    """Turns a node tree into plain data, noting each path's line and duplicate keys."""

    def __init__(self, loader: yaml.SafeLoader):
        self.loader = loader
        self.lines: dict[str, int] = {}
        self.problems: list[Problem] = []
        self.active: set[int] = set()
        self.visited = 0

    def walk(self, node: yaml.Node, path: str) -> Any:
        # Counted on every visit, so that an alias costs what it expands to.
        self.visited += 1
        if self.visited > MAX_NODES:
            raise _TooManyNodes(node.start_mark)
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self.loader.construct_object(node, deep=True)
        if id(node) in self.active:
            raise yaml.constructor.ConstructorError(
                None, None, "found a recursive alias", node.start_mark)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.walk(child, join(path, i)) for i, child in enumerate(node.value)]
            return self.mapping(node, path)
        finally:
            self.active.discard(id(node))

    def mapping(self, node: yaml.MappingNode, path: str) -> dict:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == MERGE_TAG:
                continue
            key = self.key(key_node)
            line = key_node.start_mark.line + 1
            if key in first_line:
                # PyYAML would silently keep the last value; a typo'd copy must not win.
                self.problems.append(Problem(
                    line, join(path, str(key)), "duplicate_key",
                    f"line {line}: key '{key}' appears twice in one mapping (first on"
                    f" line {first_line[key]})", {"key": str(key), "first_line": first_line[key]}))
            else:
                first_line[key] = line
        # "<<" merge keys, resolved here rather than by PyYAML's flatten_mapping, which
        # copies the merged entries and so grows exponentially with nested merges. As in
        # PyYAML: a mapping's own keys win, then later "<<" keys, then earlier mappings of a list.
        result: dict = {}
        own = []
        for key_node, value_node in node.value:
            if not (isinstance(key_node, yaml.ScalarNode) and key_node.tag == MERGE_TAG):
                own.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in reversed(sources):
                if not isinstance(source, yaml.MappingNode):
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"expected a mapping or list of mappings for merging, but found {source.id}",
                        source.start_mark)
                result.update(self.walk(source, path))
        for key_node, value_node in own:
            if isinstance(key_node, yaml.ScalarNode):
                key = self.key(key_node)
            else:
                key = f"({key_node.id} key on line {key_node.start_mark.line + 1})"
            child = join(path, str(key))
            # A key's own line, not its value's: a nested mapping starts a line below.
            self.lines.setdefault(child, key_node.start_mark.line + 1)
            result[key] = self.walk(value_node, child)
        return result

    def key(self, node: yaml.ScalarNode) -> Any:
        key = self.loader.construct_object(node, deep=True)
        try:
            hash(key)
        except TypeError:
            return str(key)
        return key
