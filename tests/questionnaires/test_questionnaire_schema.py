"""The questionnaire value: lookups, defaults, equality and Text.get."""
import dataclasses

import pytest

import questionnaires
from questionnaires import Choice, Item, Scale, ScaleOption, Text


@pytest.mark.parametrize("locale, expected", [
    ("zh", "满意"), ("zh_CN", "满意"), ("zh-Hans", "满意"), ("en", "Satisfied"),
    ("en_US", "Satisfied"), ("EN", "Satisfied"), ("fr", "满意"), (None, "满意"), ("", "满意"),
])
def test_text_get(locale, expected):
    assert Text("满意", "Satisfied").get(locale) == expected


def test_text_get_falls_back_to_chinese_when_english_is_empty():
    assert Text("满意", "").get("en") == "满意"


def test_text_get_accepts_a_locale_object():
    class Locale:  # what Babel's Locale does
        def __str__(self):
            return "en_GB"
    assert Text("满意", "Satisfied").get(Locale()) == "Satisfied"


def test_lookups(base):
    assert [item.code for item in base.items()] == ["q1", "q2", "q3", "q4"]
    assert base.item("q3").type == "single"
    assert [item.code for item in base.rating_items()] == ["q1", "q2"]
    assert [item.code for item in base.items_for("public")] == ["q1", "q2", "q3", "q4"]
    assert [item.code for item in base.items_for("deputies")] == ["q1", "q3", "q4"]
    assert base.dimension("service").name.en == "Quality of service"
    assert [item.code for item in base.dimension_items("service")] == ["q2"]
    assert base.scale.option("B").points == 70
    assert base.scale.dont_know.code == "DK"
    assert [o.code for o in base.scale.scored_options] == ["A", "B", "C"]
    assert base.item("q3").choice("b").label.zh == "企业"


@pytest.mark.parametrize("lookup", [
    lambda q: q.item("q9"), lambda q: q.dimension("nope"), lambda q: q.scale.option("Z"),
    lambda q: q.item("q3").choice("z"),
])
def test_unknown_codes_raise_key_error(base, lookup):
    with pytest.raises(KeyError):
        lookup(base)


def test_defaults_by_type(base):
    q1, q2, q3, q4 = base.items()
    assert (q1.weight, q1.required, q1.per_target, q1.groups) == (1.0, True, True, None)
    assert (q2.weight, q2.groups) == (2.0, ("public", "staff"))
    assert (q3.weight, q3.required, q3.per_target, q3.dimension) == (None, True, False, None)
    assert (q4.required, q4.per_target, q4.max_length) == (False, True, 200)


def test_scale_without_dont_know():
    scale = Scale((ScaleOption("A", Text("好", "Good"), 1), ScaleOption("B", Text("差", "Bad"), 0)))
    assert scale.dont_know is None
    assert len(scale.scored_options) == 2


def test_hand_made_item_gets_the_same_defaults_as_a_loaded_one(base):
    made = Item("q1", "rating", Text("依法办事", "Acts lawfully"), dimension="law")
    assert made == base.item("q1")
    text = Item("q4", "text", Text("意见建议", "Comments"), per_target=True, max_length=200)
    assert text == base.item("q4")
    listed = Item("q3", "single", Text("a", "b"), options=[Choice("a", Text("甲", "A"))],
                  groups=["public"])
    assert isinstance(listed.options, tuple) and listed.groups == ("public",)


def test_values_are_frozen_and_hashable(base):
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.code = "other"
    assert len({base, questionnaires.loads(questionnaires.dump(base))}) == 1
    assert base != dataclasses.replace(base, code="other")


def test_lookups_do_not_change_equality(base):
    fresh = questionnaires.from_dict(questionnaires.to_dict(base))
    base.item("q1")
    assert base == fresh and hash(base) == hash(fresh)
