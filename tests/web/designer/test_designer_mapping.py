"""designer.mapping without an app: a definition shown in the forms and submitted unchanged comes
back unchanged, and a problem's path lands on the field it concerns."""
from types import SimpleNamespace

import pytest
import questionnaires

from survey_app.designer import mapping

KINDS = questionnaires.template_kinds()


def definition(kind: str) -> dict:
    return questionnaires.to_dict(questionnaires.template(kind))


def form_of(data: dict) -> SimpleNamespace:
    """What WTForms would hold after the browser sent `data` back as it was shown."""
    return SimpleNamespace(**{name: SimpleNamespace(data=value) for name, value in data.items()})


def items(d: dict):
    return [(s, i, item) for s, section in enumerate(d["sections"]) for i, item in enumerate(section.get("items", ()))]


@pytest.mark.parametrize("kind", KINDS)
def test_each_form_submitted_as_shown_gives_the_definition_back(kind):
    d = definition(kind)
    assert mapping.with_header(d, form_of(mapping.header_data(d)), code_fixed=False) == d
    assert mapping.with_scale(d, mapping.scale_rows(d["scale"])) == d
    assert mapping.with_dimensions(d, mapping.dimension_rows(d["dimensions"])) == d
    for s, section in enumerate(d["sections"]):
        assert mapping.with_section(d, s, form_of(mapping.section_data(section))) == d
    for s, i, item in items(d):
        shown = mapping.item_from_form(form_of(mapping.item_data(d, item)), mapping.choice_rows(item))
        # the form shows the defaults the validator fills in; nothing else may change
        defaults = {"required": True, "per_target": True} | ({"weight": 1} if item["type"] == "rating" else {})
        assert shown == defaults | item, (kind, item["code"])


def test_the_mapping_never_changes_the_stored_definition():
    d = definition("sector_style")
    before = questionnaires.to_dict(questionnaires.template("sector_style"))
    form = form_of({**mapping.header_data(d), "code": "other", "title_zh": " 新 ", "title_en": ""})
    new = mapping.with_header(d, form, code_fixed=True)
    assert new["code"] == d["code"] and new["title"] == {"zh": "新", "en": ""}
    mapping.with_item(d, 1, 0, {"code": "x"})
    mapping.with_item(d, 1, None, {"code": "y"})
    assert d == before


def test_a_new_question_takes_the_first_free_code_and_the_first_dimension():
    d = definition("sector_style")
    data = mapping.item_data(d, None)
    assert data["code"] not in {item["code"] for _s, _i, item in items(d)}
    assert data["dimension"] == d["dimensions"][0]["code"] and data["type"] == "rating"
    assert mapping.free_code({"sections": [{"code": "s01", "items": []}]}, "s") == "s02"


@pytest.mark.parametrize(("rest", "code", "params", "field"), [
    (["title"], "required_key", {}, "title_zh"),
    (["title", "en"], "empty", {}, "title_en"),
    ([], "required_key", {"key": "kind"}, "kind"),
    (["scale"], "x", {}, None),
])
def test_header_problems_land_on_their_field(rest, code, params, field):
    assert mapping.header_place(rest, SimpleNamespace(code=code, params=params)) == field


@pytest.mark.parametrize(("rest", "field"), [
    (["options", 2, "label", "en"], "opt-2-label_en"),
    (["options", 1, "points"], "opt-1-points"),
    (["options", 3], "opt-3"),
    (["dissatisfied", 0], "opt-4-cls"),
    (["dissatisfied", 5], None),
])
def test_scale_problems_land_on_their_row(rest, field):
    rows = [{"cls": cls} for cls in ("satisfied", "satisfied", "", "", "dissatisfied")]
    assert mapping.scale_place(rows)(rest, SimpleNamespace(code="x", params={})) == field


@pytest.mark.parametrize(("rest", "prefix", "field"), [
    (["options", 1, "label"], "", "ch-1-label_zh"),
    (["options"], "item-", "item-choices"),
    (["weight"], "", "weight"),
    (["unknown"], "", None),
])
def test_item_problems_land_on_their_field(rest, prefix, field):
    assert mapping.item_place(rest, SimpleNamespace(code="x", params={}), prefix) == field
