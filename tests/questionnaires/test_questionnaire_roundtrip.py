"""Property tests: any valid questionnaire survives YAML, dict and JSON round trips, and no
input, however odd, makes the loader fail with anything but QuestionnaireInvalid."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import questionnaires
from questionnaires import QuestionnaireInvalid

CODES = st.from_regex(r"[A-Za-z0-9_.-]{1,64}", fullmatch=True)
STRINGS = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40) \
    .filter(lambda s: s.strip())
TEXTS = st.fixed_dictionaries({"zh": STRINGS, "en": STRINGS})
POINTS = st.one_of(st.integers(-10**6, 10**6),
                   st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))
WEIGHTS = st.one_of(st.integers(0, 100), st.floats(0, 100, allow_nan=False))
PROPERTY = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def questionnaire_dicts(draw) -> dict:
    """A from_dict-able dictionary, exercising every key and every optional default."""
    scored = draw(st.integers(2, 5))
    dont_know = draw(st.booleans())
    option_codes = draw(st.lists(CODES, min_size=scored + dont_know,
                                 max_size=scored + dont_know, unique=True))
    points = sorted(draw(st.lists(POINTS, min_size=scored, max_size=scored, unique=True)),
                    reverse=True)
    options = [{"code": c, "label": draw(TEXTS), "points": p}
               for c, p in zip(option_codes, points)]
    if dont_know:
        options.insert(draw(st.integers(0, scored)),
                       {"code": option_codes[-1], "label": draw(TEXTS), "points": None})
    scored_codes = option_codes[:scored]
    satisfied = draw(st.lists(st.sampled_from(scored_codes), unique=True, max_size=scored))
    rest = [c for c in scored_codes if c not in satisfied]
    dissatisfied = draw(st.lists(st.sampled_from(rest), unique=True)) if rest else []

    dimension_codes = draw(st.lists(CODES, min_size=1, max_size=3, unique=True))
    dimensions = []
    for code in dimension_codes:
        dimension = {"code": code, "name": draw(TEXTS)}
        if draw(st.booleans()):
            dimension["weight"] = draw(WEIGHTS)
        dimensions.append(dimension)
    if not any(d.get("weight", 1) > 0 for d in dimensions):
        dimensions[0]["weight"] = 1

    extra = draw(st.lists(st.sampled_from(["rating", "single", "multiple", "text"]),
                          max_size=5))
    kinds = [("rating", code) for code in dimension_codes] + [(t, None) for t in extra]
    item_codes = draw(st.lists(CODES, min_size=len(kinds), max_size=len(kinds), unique=True))
    items = []
    for code, (kind, dimension) in zip(item_codes, kinds):
        item = {"code": code, "type": kind, "text": draw(TEXTS)}
        if kind == "rating":
            item["dimension"] = dimension or draw(st.sampled_from(dimension_codes))
            if dimension:  # each dimension's first item keeps a positive weight
                weight = draw(st.one_of(st.none(), st.floats(0.5, 10)))
            else:
                weight = draw(st.one_of(st.none(), WEIGHTS))
            if weight is not None:
                item["weight"] = weight
            if draw(st.booleans()):
                item["per_target"] = True
        elif draw(st.booleans()):
            item["per_target"] = draw(st.booleans())
        if kind in ("single", "multiple"):
            choice_codes = draw(st.lists(CODES, min_size=2, max_size=4, unique=True))
            item["options"] = [{"code": c, "label": draw(TEXTS)} for c in choice_codes]
        if kind == "text" and draw(st.booleans()):
            item["max_length"] = draw(st.integers(1, 10_000))
        if draw(st.booleans()):
            item["required"] = draw(st.booleans())
        if draw(st.booleans()):
            item["groups"] = draw(st.lists(CODES, min_size=1, max_size=3, unique=True))
        items.append(item)
    items = draw(st.permutations(items))

    section_count = draw(st.integers(1, min(3, len(items))))
    cuts = sorted(draw(st.lists(st.integers(1, len(items) - 1), min_size=section_count - 1,
                                max_size=section_count - 1, unique=True))) \
        if section_count > 1 else []
    bounds = [0, *cuts, len(items)]
    section_codes = draw(st.lists(CODES, min_size=section_count, max_size=section_count,
                                  unique=True))
    sections = [{"code": code, "title": draw(TEXTS), "items": items[start:end]}
                for code, start, end in zip(section_codes, bounds, bounds[1:])]
    return {
        "format": 1, "code": draw(CODES), "kind": draw(st.sampled_from(questionnaires.KINDS)),
        "title": draw(TEXTS), "intro": draw(TEXTS), "closing": draw(TEXTS),
        "scale": {"options": options, "satisfied": satisfied, "dissatisfied": dissatisfied},
        "dimensions": dimensions, "sections": sections,
    }


@PROPERTY
@given(questionnaire_dicts())
def test_round_trips(data):
    q = questionnaires.from_dict(data)
    text = questionnaires.dump(q)
    assert questionnaires.loads(text) == q
    assert questionnaires.loads(text.encode("utf-8")) == q
    assert questionnaires.dump(questionnaires.loads(text)) == text
    as_dict = questionnaires.to_dict(q)
    assert questionnaires.from_dict(as_dict) == q
    assert questionnaires.from_dict(json.loads(json.dumps(as_dict))) == q
    assert questionnaires.to_dict(questionnaires.from_dict(as_dict)) == as_dict


@PROPERTY
@given(questionnaire_dicts())
def test_helpers_agree_with_the_definition(data):
    q = questionnaires.from_dict(data)
    items = [item for section in data["sections"] for item in section["items"]]
    assert [item.code for item in q.items()] == [item["code"] for item in items]
    assert [item.code for item in q.rating_items()] == \
        [item["code"] for item in items if item["type"] == "rating"]
    for item in items:
        assert q.item(item["code"]).type == item["type"]
    group = "public"
    assert [i.code for i in q.items_for(group)] == \
        [item["code"] for item in items if group in item.get("groups", [group])]
    method = questionnaires.method_for(q, [(group, 1.0)])
    assert [i["code"] for i in method["items"]] == [i.code for i in q.rating_items()]
    json.dumps(method)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8))
JUNK = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), inner, max_size=4)),
    max_leaves=20)


@st.composite
def broken_dicts(draw) -> dict:
    """A valid dictionary with one value somewhere replaced by junk."""
    data = draw(questionnaire_dicts())
    node, path = data, []
    while isinstance(node, (dict, list)) and node and draw(st.integers(0, 3)):
        key = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
        path.append((node, key))
        node = node[key]
    if path:
        parent, key = path[-1]
        parent[key] = draw(JUNK)
    return data


@PROPERTY
@given(broken_dicts())
def test_broken_input_gives_problems_or_a_questionnaire(data):
    for attempt in (lambda: questionnaires.from_dict(data),
                    lambda: questionnaires.loads(json.dumps(data, ensure_ascii=False))):
        try:
            attempt()
        except QuestionnaireInvalid as exc:
            assert exc.problems
            assert all(p.code and p.message for p in exc.problems)
        except ValueError as exc:  # json.dumps cannot write NaN keys etc.; not ours
            assert not isinstance(exc, QuestionnaireInvalid)


@PROPERTY
@given(st.text(max_size=200))
def test_any_text_gives_problems_or_a_questionnaire(text):
    try:
        questionnaires.loads(text)
    except QuestionnaireInvalid as exc:
        assert exc.problems
