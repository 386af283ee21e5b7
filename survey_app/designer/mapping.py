"""The designer's forms and a questionnaire definition, both ways: a definition's parts as form
data, the submitted forms as a new definition (a deep copy: the stored one never changes), and a
validation problem's path inside the definition as the form field it is shown next to."""
import copy

from .forms import code_list, number, whole_number

LANGS = ("zh", "en")


def text(zh: str | None, en: str | None) -> dict:
    return {"zh": (zh or "").strip(), "en": (en or "").strip()}


def required_key(rest: list, problem) -> list:
    """A missing key is reported on its mapping: place it on the field of that key."""
    if problem.code == "required_key" and "key" in problem.params:
        return rest + [problem.params["key"]]
    return rest


# -- the header ---------------------------------------------------------------------------------

HEADER_FIELDS = {("code",): "code", ("kind",): "kind"}


def header_data(d: dict) -> dict:
    return {"code": d["code"], "kind": d["kind"],
            **{f"{key}_{lang}": d[key][lang] for key in ("title", "intro", "closing") for lang in LANGS}}


def with_header(d: dict, form, code_fixed: bool) -> dict:
    """`d` with the header form's code (unless fixed by a published version), kind and texts."""
    new = copy.deepcopy(d)
    new["code"] = d["code"] if code_fixed else (form.code.data or "").strip()
    new["kind"] = form.kind.data
    for key in ("title", "intro", "closing"):
        new[key] = text(getattr(form, f"{key}_zh").data, getattr(form, f"{key}_en").data)
    return new


def header_place(rest, problem):
    rest = required_key(rest, problem)
    if rest[:1] in (["title"], ["intro"], ["closing"]):
        lang = rest[1] if len(rest) > 1 else problem.params.get("lang", "zh")
        return f"{rest[0]}_{lang}" if lang in LANGS else f"{rest[0]}_zh"
    return HEADER_FIELDS.get(tuple(rest))


# -- the scale ----------------------------------------------------------------------------------

def scale_rows(scale: dict) -> list[dict]:
    return [{"code": o["code"], "label_zh": o["label"]["zh"], "label_en": o["label"]["en"],
             "points": "" if o["points"] is None else str(o["points"]),
             "cls": ("satisfied" if o["code"] in scale["satisfied"] else
                     "dissatisfied" if o["code"] in scale["dissatisfied"] else "")} for o in scale["options"]]


def _classes(rows: list[dict]) -> dict[str, list[int]]:
    """The rows marked satisfied and dissatisfied, by position."""
    return {cls: [i for i, r in enumerate(rows) if r["cls"] == cls] for cls in ("satisfied", "dissatisfied")}


def with_scale(d: dict, rows: list[dict]) -> dict:
    classes = _classes(rows)
    new = copy.deepcopy(d)
    new["scale"] = {
        "options": [{"code": r["code"], "label": text(r["label_zh"], r["label_en"]),
                     "points": number(r["points"])} for r in rows],
        "satisfied": [rows[i]["code"] for i in classes["satisfied"]],
        "dissatisfied": [rows[i]["code"] for i in classes["dissatisfied"]]}
    return new


def scale_place(rows: list[dict]):
    """Where a problem of the scale built from `rows` is shown (a class list's entry on its row)."""
    classes = _classes(rows)

    def place(rest, problem):
        rest = required_key(rest, problem)
        if rest[:1] == ["options"] and len(rest) > 1:
            i = rest[1]
            if rest[2:3] == ["label"]:
                return f"opt-{i}-label_{rest[3] if len(rest) > 3 else 'zh'}"
            return f"opt-{i}-{rest[2]}" if len(rest) > 2 and rest[2] in ("code", "points") else f"opt-{i}"
        if rest[:1] in (["satisfied"], ["dissatisfied"]) and len(rest) > 1 and \
                rest[1] < len(classes[rest[0]]):
            return f"opt-{classes[rest[0]][rest[1]]}-cls"
        return None
    return place


# -- dimensions ---------------------------------------------------------------------------------

def dimension_rows(dimensions: list[dict]) -> list[dict]:
    return [{"code": d["code"], "name_zh": d["name"]["zh"], "name_en": d["name"]["en"],
             "weight": "%g" % d["weight"]} for d in dimensions]


def with_dimensions(d: dict, rows: list[dict]) -> dict:
    new = copy.deepcopy(d)
    new["dimensions"] = [{"code": r["code"], "name": text(r["name_zh"], r["name_en"]),
                          "weight": number(r["weight"], 1)} for r in rows]
    return new


def dimension_place(rest, problem):
    rest = required_key(rest, problem)
    if not rest:
        return None
    if rest[1:2] == ["name"]:
        return f"dim-{rest[0]}-name_{rest[2] if len(rest) > 2 else 'zh'}"
    return f"dim-{rest[0]}-{rest[1]}" if len(rest) > 1 and rest[1] in ("code", "weight") else f"dim-{rest[0]}"


# -- sections -----------------------------------------------------------------------------------

def section_data(section: dict) -> dict:
    return {"code": section["code"], "title_zh": section["title"]["zh"], "title_en": section["title"]["en"]}


def with_section(d: dict, s: int, form) -> dict:
    """`d` with section `s`'s code and title from the section form."""
    new = copy.deepcopy(d)
    new["sections"][s].update(code=(form.code.data or "").strip(), title=text(form.title_zh.data, form.title_en.data))
    return new


def with_new_section(d: dict, form, first_item: dict) -> dict:
    """`d` with a new last section and its first question (a section is never empty)."""
    new = copy.deepcopy(d)
    new["sections"].append({"code": (form.code.data or "").strip(),
                            "title": text(form.title_zh.data, form.title_en.data), "items": [first_item]})
    return new


def section_place(rest, problem, item_prefix="item-"):
    rest = required_key(rest, problem)
    if rest[:1] == ["title"]:
        lang = rest[1] if len(rest) > 1 else problem.params.get("lang", "zh")
        return f"title_{lang}"
    if rest == ["code"]:
        return "code"
    if rest[:2] == ["items", 0] and item_prefix:
        return item_place(rest[2:], problem, item_prefix)
    return None


# -- items --------------------------------------------------------------------------------------

ITEM_FIELDS = {"code", "type", "dimension", "weight", "required", "per_target", "max_length"}


def item_place(rest, problem, prefix=""):
    rest = required_key(rest, problem)
    if not rest:
        return None
    head = rest[0]
    if head == "text":
        return f"{prefix}text_{rest[1] if len(rest) > 1 else problem.params.get('lang', 'zh')}"
    if head == "groups":
        return f"{prefix}groups"
    if head == "options":
        if len(rest) == 1:
            return f"{prefix}choices"
        i = rest[1]
        if rest[2:3] == ["label"]:
            return f"{prefix}ch-{i}-label_{rest[3] if len(rest) > 3 else 'zh'}"
        return f"{prefix}ch-{i}-code" if rest[2:3] == ["code"] else f"{prefix}ch-{i}"
    return f"{prefix}{head}" if head in ITEM_FIELDS else None


def free_code(d: dict, letter: str) -> str:
    """The first code `<letter>NN` no section ("s") or no item (any other letter) has yet."""
    if letter == "s":
        taken = {s["code"] for s in d["sections"]}
    else:
        taken = {i["code"] for s in d["sections"] for i in s.get("items", ())}
    n = 1
    while f"{letter}{n:02d}" in taken:
        n += 1
    return f"{letter}{n:02d}"


def item_data(d: dict, item: dict | None) -> dict:
    """The item form's first values: the item's, or a new rating question's."""
    if item is None:
        dims = d["dimensions"]
        return {"code": free_code(d, "q"), "type": "rating", "dimension": dims[0]["code"] if dims else "",
                "weight": "1", "required": True, "per_target": True}
    return {"code": item["code"], "type": item["type"], "text_zh": item["text"]["zh"],
            "text_en": item["text"]["en"], "dimension": item.get("dimension") or "",
            "weight": "%g" % item["weight"] if item.get("weight") is not None else "1",
            "required": item.get("required", True), "per_target": item.get("per_target", True),
            "groups": ", ".join(item.get("groups") or []),
            "max_length": str(item["max_length"]) if item.get("max_length") else ""}


def dimension_choices(d: dict) -> list[tuple[str, str]]:
    return [("", "—")] + [(x["code"], f"{x['code']} — {x['name']['zh']} / {x['name']['en']}")
                          for x in d["dimensions"]]


def choice_rows(item: dict | None) -> list[dict]:
    return [{"code": c["code"], "label_zh": c["label"]["zh"], "label_en": c["label"]["en"]}
            for c in (item or {}).get("options", [])]


def item_from_form(form, rows: list[dict]) -> dict:
    """The item the item form describes, with the choice `rows` of a single or multiple choice."""
    kind = form.type.data
    item = {"code": (form.code.data or "").strip(), "type": kind,
            "text": text(form.text_zh.data, form.text_en.data),
            "required": bool(form.required.data), "per_target": bool(form.per_target.data)}
    if kind == "rating":
        item["dimension"] = form.dimension.data or ""
        item["weight"] = number(form.weight.data, 1)
    elif kind in ("single", "multiple"):
        item["options"] = [{"code": r["code"], "label": text(r["label_zh"], r["label_en"])} for r in rows]
    elif kind == "text" and (form.max_length.data or "").strip():
        item["max_length"] = whole_number(form.max_length.data)
    groups = code_list(form.groups.data)
    if groups:
        item["groups"] = groups
    return item


def with_item(d: dict, s: int, i: int | None, item: dict) -> dict:
    """`d` with `item` as item `i` of section `s`, or appended to it when `i` is None."""
    new = copy.deepcopy(d)
    if i is None:
        # a target-specific section holds no items: validation then says so, nothing breaks
        new["sections"][s].setdefault("items", []).append(item)
    else:
        new["sections"][s]["items"][i] = item
    return new
