"""Every edit is validated as a whole: problems appear next to their fields and nothing is saved."""
import html as htmllib
import re

import pytest



def errors_at(page: str, name: str) -> list[str]:
    """The error messages shown with the field (a form field or a table cell) called ``name``."""
    start = page.find(f'id="field-{name}"')
    if start >= 0:
        chunk = page[start:page.find("</div>", start)]
        assert "has-error" in page[page.rfind("<", 0, start):start]
    else:
        start = page.find(f'name="{name}"')
        assert start >= 0, f"no field {name}"
        chunk = page[start:page.find("</td>", start)]
    return [htmllib.unescape(m) for m in re.findall(r'<small class="error" role="alert">(.*?)</small>', chunk)]


def item_data(**changes):
    data = {"code": "q02", "type": "rating", "text_zh": "依法", "text_en": "Lawful", "dimension": "law",
            "weight": "1", "required": "y", "per_target": "y", "groups": "", "max_length": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


HEADER = {"code": "q-new", "kind": "sector_style", "title_zh": "标题", "title_en": "Title", "intro_zh": "说明",
          "intro_en": "Intro", "closing_zh": "谢谢", "closing_en": "Thanks"}


@pytest.fixture
def refused(staff, draft, definition, version_count):
    """POST to a designer page and check: 400, nothing stored; returns the page."""
    def post(path, data, status=400):
        before, count = definition(draft), version_count()
        response = staff.post(f"/designer/versions/{draft}/{path}", data=data)
        assert response.status_code == status, response.get_data(as_text=True)[:2000]
        if status == 400:
            assert definition(draft) == before and version_count() == count
        return response.get_data(as_text=True)
    return post


@pytest.mark.parametrize("field, value, expected", [
    ("title_en", "  ", "Write this text in English too."),
    ("closing_zh", "", "Write this text in Chinese too."),
    ("code", "bad code", "The code bad code is not valid"),
])
def test_header_problems(refused, field, value, expected):
    page = refused("header", {**HEADER, field: value})
    assert any(expected in e for e in errors_at(page, field))


@pytest.mark.parametrize("changes, field, expected", [
    ({"per_target": None}, "per_target", "always asked for each target"),
    ({"weight": "heavy"}, "weight", "Enter a number."),
    ({"weight": "-1"}, "weight", "cannot be negative"),
    ({"dimension": "nope"}, "dimension", "names the dimension nope"),
    ({"text_en": ""}, "text_en", "in English too"),
    ({"groups": "staff, staff"}, "groups", "used twice"),
    ({"code": ""}, "code", "Enter a code."),
])
def test_item_problems(refused, changes, field, expected):
    page = refused("items/q02", item_data(**changes))
    assert any(expected in e for e in errors_at(page, field)), errors_at(page, field)


def test_duplicate_item_code_next_to_code(refused):
    page = refused("items/q13", item_data(code="q02", dimension="integrity"))
    assert any("used twice" in e for e in errors_at(page, "code"))


def test_choice_and_text_item_problems(refused):
    page = refused("items/q01", item_data(code="q01", type="single", **{
        "ch-0-code": "a", "ch-0-label_zh": "甲", "ch-0-label_en": ""}))
    assert any("at least two options" in e for e in errors_at(page, "choices"))
    assert any("English" in e for e in errors_at(page, "ch-0-label_en"))
    page = refused("items/q14", item_data(code="q14", type="text", max_length="0"))
    assert any("at least 1" in e for e in errors_at(page, "max_length"))
    page = refused("items/q14", item_data(code="q14", type="text", max_length="many"))
    assert any("Enter a number." in e for e in errors_at(page, "max_length"))


def scale(**rows):
    base = {"opt-0-code": "A", "opt-0-label_zh": "满意", "opt-0-label_en": "Satisfied", "opt-0-points": "100",
            "opt-0-cls": "satisfied", "opt-1-code": "B", "opt-1-label_zh": "基本满意",
            "opt-1-label_en": "Basically satisfied", "opt-1-points": "70", "opt-1-cls": "satisfied",
            "opt-2-code": "C", "opt-2-label_zh": "不满意", "opt-2-label_en": "Dissatisfied", "opt-2-points": "40",
            "opt-2-cls": "dissatisfied", "opt-3-code": "DK", "opt-3-label_zh": "不了解", "opt-3-label_en": "Don't know",
            "opt-3-points": "", "opt-3-cls": ""}
    base.update(rows)
    return base


@pytest.mark.parametrize("rows, field, expected", [
    ({"opt-1-points": "120"}, "opt-1-points", "must be lower than"),
    ({"opt-3-cls": "satisfied"}, "opt-3-cls", "counts neither"),
    ({"opt-2-points": ""}, "opt-3-points", "Only one option may have no points"),
    ({"opt-1-code": "A"}, "opt-1-code", "used twice"),
    ({"opt-0-points": "x"}, "opt-0-points", "Enter a number."),
    ({"opt-2-label_zh": ""}, "opt-2-label_zh", "Chinese"),
])
def test_scale_problems(refused, rows, field, expected):
    page = refused("scale", scale(**rows))
    assert any(expected in e for e in errors_at(page, field)), errors_at(page, field)


def test_too_few_scored_options_is_shown_above_the_table(refused):
    page = refused("scale", scale(**{"opt-1-remove": "y", "opt-2-remove": "y"}))
    assert "at least two options with points" in htmllib.unescape(page)


def dimensions_data(definition, draft, **rows):
    data = {}
    for i, x in enumerate(definition(draft)["dimensions"]):
        data.update({f"dim-{i}-code": x["code"], f"dim-{i}-name_zh": x["name"]["zh"],
                     f"dim-{i}-name_en": x["name"]["en"], f"dim-{i}-weight": "1"})
    data.update(rows)
    return data


def test_dimension_problems(refused, definition, draft):
    page = refused("dimensions", dimensions_data(definition, draft, **{
        "dim-6-code": "extra", "dim-6-name_zh": "额外", "dim-6-name_en": "Extra"}))
    assert any("has no rating question" in e for e in errors_at(page, "dim-6-code"))
    page = refused("dimensions", dimensions_data(definition, draft, **{"dim-1-weight": "-2"}))
    assert any("negative" in e for e in errors_at(page, "dim-1-weight"))
    # removing a dimension that questions use names those questions
    page = refused("dimensions", dimensions_data(definition, draft, **{"dim-0-remove": "y"}))
    assert "Question q02 names the dimension law, which does not exist." in htmllib.unescape(page)
    assert "would also break other parts" in page


def test_deleting_the_last_item_of_a_section_or_dimension_is_refused(refused):
    page = refused("structure", {"what": "item", "code": "q01", "action": "delete"})
    text = htmllib.unescape(page)
    assert "This cannot be deleted" in text and "The section contact has no questions" in text

    page = refused("structure", {"what": "item", "code": "q05", "action": "delete"}, status=302)
    page = refused("structure", {"what": "item", "code": "q04", "action": "delete"})
    assert "The dimension fees has no rating question" in htmllib.unescape(page)


def test_deleting_the_section_holding_every_rating_item_is_refused(refused):
    page = refused("structure", {"what": "section", "code": "appraisal", "action": "delete"})
    assert "has no rating question" in htmllib.unescape(page)


def test_new_section_without_a_valid_first_question(refused):
    page = refused("sections/new", {"code": "contact", "title_zh": "重复", "title_en": "",
                                    "item-code": "q01", "item-type": "rating", "item-text_zh": "题",
                                    "item-text_en": "Q", "item-dimension": "law", "item-weight": "1",
                                    "item-required": "y", "item-per_target": "y"})
    assert any("used twice" in e for e in errors_at(page, "code"))
    assert any("English" in e for e in errors_at(page, "title_en"))
    assert any("used twice" in e for e in errors_at(page, "item-code"))


def test_messages_are_translated(staff, draft, refused):
    staff.get("/language/zh_CN")
    page = refused("header", {**HEADER, "title_en": ""})
    # without a compiled catalogue the English sentence stands in; the field still carries it
    assert errors_at(page, "title_en")
