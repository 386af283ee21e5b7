"""Every validation rule reports its code and the line of the offending YAML node."""
import re
from pathlib import Path

import pytest

import questionnaires
from questionnaires import Problem, QuestionnaireInvalid

#: the valid document the cases edit (the same one the `base` fixture loads)
BASE_YAML = (Path(__file__).parent / "base.yaml").read_text(encoding="utf-8")


def edited(*edits: tuple[str, str]) -> str:
    text = BASE_YAML
    for old, new in edits:
        assert text.count(old) == 1, f"edit target not unique: {old!r}"
        text = text.replace(old, new)
    return text


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(QuestionnaireInvalid) as caught:
        questionnaires.loads(text)
    return caught.value.problems


def test_base_document_is_valid_and_lines_are_as_the_cases_assume():
    questionnaires.loads(BASE_YAML)
    lines = BASE_YAML.splitlines()
    assert lines[8].strip().startswith("- {code: A,")  # line 9
    assert lines[24].strip().startswith("text: {zh: 依法办事")  # line 25
    assert lines[44].strip().startswith("text: {zh: 意见建议")  # line 45


#: a target-specific section appended after line 45 (lines 46 to 50)
SPECIFIC = ("text: {zh: 意见建议, en: Comments}", "text: {zh: 意见建议, en: Comments}\n"
            "  - code: s3\n    title: {zh: 承诺, en: Promises}\n    kind: target_specific\n    source: commitments\n"
            "    template: {type: rating, dimension: law, text: {zh: '{title}', en: '{title}'}}")

TEMPLATE = "template: {type: rating, dimension: law, text: {zh: '{title}', en: '{title}'}}"

# (id, edits, expected code, expected line)
CASES = [
    ("yaml syntax", [("code: demo", "code: demo: x")], "yaml_syntax", 2),
    ("yaml bad character", [("请作答。", "请作答\x07")], "yaml_syntax", 5),
    ("duplicate key", [("kind: sector_style", "code: again")], "duplicate_key", 3),
    ("unknown top key", [("closing:", "closing_words:")], "unknown_key", 6),
    ("missing top key", [("closing: {zh: 谢谢。, en: Thank you.}\n", "")], "required_key", 1),
    ("unknown item key", [("    weight: 2", "    wieght: 2")], "unknown_key", 29),
    ("missing section key", [("    title: {zh: 第二部分", "    titel: {zh: 第二部分")],
     "required_key", 32),
    ("bad format", [("format: 1", "format: 2")], "bad_format", 1),
    ("format not a number", [("format: 1", "format: one")], "bad_format", 1),
    ("bad questionnaire code", [("code: demo", "code: de mo")], "bad_code", 2),
    ("bad item code", [("- code: q1", "- code: q/1")], "bad_code", 22),
    ("code not a string", [("- {code: A,", "- {code: 1,")], "bad_type", 9),
    ("unknown kind", [("kind: sector_style", "kind: sector")], "unknown_kind", 3),
    ("empty translation", [("en: Friendly service", 'en: ""')], "missing_translation", 30),
    ("blank translation", [("en: Friendly service", 'en: "  "')], "missing_translation", 30),
    ("missing translation", [("{zh: 服务热情, en: Friendly service}", "{zh: 服务热情}")],
     "missing_translation", 30),
    ("missing translation on label", [("zh: 基本满意, ", "")], "missing_translation", 10),
    ("missing zh of multi-line text",
     [("title: {zh: 第一部分, en: Part one}", "title:\n      en: Part one")],
     "missing_translation", 20),
    ("text not a mapping", [("title: {zh: 测试问卷, en: Test questionnaire}", "title: 测试问卷")],
     "bad_type", 4),
    ("translation not a string", [("en: Comments}", "en: [Comments]}")], "bad_type", 45),
    ("points not a number", [("points: 70}", "points: lots}")], "bad_type", 10),
    ("points not finite", [("points: 70}", "points: .inf}")], "not_finite", 10),
    ("empty scale", [(BASE_YAML[BASE_YAML.index("  options:\n"):BASE_YAML.index("  satisfied")],
                      "  options: []\n")], "empty_scale", 8),
    ("scale options not a list", [(BASE_YAML[BASE_YAML.index("  options:\n"):
                                             BASE_YAML.index("  satisfied")],
                                   "  options: A\n")], "bad_type", 8),
    ("fewer than 2 scored options",
     [(BASE_YAML[BASE_YAML.index("    - {code: B"):BASE_YAML.index("    - {code: DK")], ""),
      ("satisfied: [A, B]", "satisfied: [A]"), ("dissatisfied: [C]", "dissatisfied: []")],
     "too_few_scored_options", 8),
    ("duplicate option code", [("- {code: B,", "- {code: A,")], "duplicate_code", 10),
    ("points not decreasing", [("points: 40}", "points: 80}")], "points_order", 11),
    ("points equal", [("points: 40}", "points: 70}")], "points_order", 11),
    ("second don't-know", [("points: 40}", "points: null}"), ("dissatisfied: [C]",
                                                              "dissatisfied: []")],
     "multiple_dont_know", 12),
    ("satisfied names unknown option", [("satisfied: [A, B]", "satisfied: [A, X]")],
     "unknown_option", 13),
    ("dissatisfied names unknown option", [("dissatisfied: [C]", "dissatisfied: [D]")],
     "unknown_option", 14),
    ("satisfied overlaps dissatisfied", [("dissatisfied: [C]", "dissatisfied: [B, C]")],
     "overlapping_classes", 14),
    ("dissatisfied names don't-know", [("dissatisfied: [C]", "dissatisfied: [C, DK]")],
     "dont_know_classified", 14),
    ("satisfied names don't-know", [("satisfied: [A, B]", "satisfied: [A, DK]")],
     "dont_know_classified", 13),
    ("satisfied repeats an option", [("satisfied: [A, B]", "satisfied: [A, A]")],
     "duplicate_code", 13),
    ("satisfied not a list", [("satisfied: [A, B]", "satisfied: A")], "bad_type", 13),
    ("duplicate dimension code", [("- {code: service,", "- {code: law,")], "duplicate_code", 17),
    ("negative dimension weight", [("Acting lawfully}, weight: 1}", "Acting lawfully}, weight: -1}")],
     "negative_weight", 16),
    ("dimension weight not a number",
     [("Acting lawfully}, weight: 1}", "Acting lawfully}, weight: heavy}")], "bad_type", 16),
    ("dimension weight a boolean",
     [("Acting lawfully}, weight: 1}", "Acting lawfully}, weight: true}")], "bad_type", 16),
    ("dimension weight nan", [("Acting lawfully}, weight: 1}", "Acting lawfully}, weight: .nan}")],
     "not_finite", 16),
    ("dimension weight 1e308", [("Acting lawfully}, weight: 1}", "Acting lawfully}, weight: 1.0e+308}")],
     "out_of_range", 16),
    ("points of 400 digits", [("points: 70}", "points: 1" + "0" * 400 + "}")], "out_of_range", 10),
    ("every dimension weight zero",
     [("Acting lawfully}, weight: 1}", "Acting lawfully}, weight: 0}"),
      ("Quality of service}}", "Quality of service}, weight: 0}")], "zero_weights", 15),
    ("every item of a dimension weight zero",
     [("dimension: law\n", "dimension: law\n        weight: 0\n")], "zero_weights", 16),
    ("duplicate section code", [("- code: s2", "- code: s1")], "duplicate_code", 32),
    ("duplicate item code across sections", [("- code: q3", "- code: q1")], "duplicate_code", 35),
    ("unknown item type", [("type: single", "type: choice")], "unknown_item_type", 36),
    ("rating without dimension", [("        dimension: law\n", "")], "required_key", 22),
    ("unknown dimension", [("dimension: law", "dimension: lawx")], "unknown_dimension", 24),
    ("dimension on a non-rating item", [("per_target: true", "dimension: law")],
     "not_applicable", 43),
    ("options on a rating item", [("    weight: 2", "    options: []")], "not_applicable", 29),
    ("max_length on a rating item", [("    weight: 2", "    max_length: 9")], "not_applicable", 29),
    ("rating asked once per ballot", [("    weight: 2", "    per_target: false")],
     "rating_per_ballot", 29),
    ("single with one option", [("          - {code: b, label: {zh: 企业, en: Business}}\n", "")],
     "too_few_choices", 38),
    ("single without options",
     [(BASE_YAML[BASE_YAML.index("        options:\n"):BASE_YAML.index("      - code: q4")], "")],
     "required_key", 35),
    ("duplicate choice code", [("- {code: b,", "- {code: a,")], "duplicate_code", 40),
    ("negative item weight", [("weight: 2", "weight: -2")], "negative_weight", 29),
    ("required not a boolean", [("per_target: true", "required: perhaps")], "bad_type", 43),
    ("groups not a list", [("groups: [public, staff]", "groups: public")], "bad_type", 31),
    ("groups of bad codes", [("groups: [public, staff]", "groups: [public, 'the staff']")],
     "bad_code", 31),
    ("groups of non-strings", [("groups: [public, staff]", "groups: [public, {a: 1}]")],
     "bad_type", 31),
    ("groups empty", [("groups: [public, staff]", "groups: []")], "empty_groups", 31),
    ("groups repeated", [("groups: [public, staff]", "groups: [staff, staff]")],
     "duplicate_code", 31),
    ("max_length zero", [("max_length: 200", "max_length: 0")], "not_positive", 44),
    ("max_length not a number", [("max_length: 200", "max_length: long")], "bad_type", 44),
    ("dimension without rating item", [("dimension: service", "dimension: law")],
     "empty_dimension", 17),
    ("section without items",
     [(BASE_YAML[BASE_YAML.index("    items:\n      - code: q3"):], "    items: []\n")],
     "empty_section", 34),
    ("no items at all", [(BASE_YAML[BASE_YAML.index("sections:"):], "sections: []\n")],
     "no_items", 18),
    ("no rating items",
     [(BASE_YAML[BASE_YAML.index("      - code: q1"):BASE_YAML.index("  - code: s2")],
       "      - {code: q0, type: text, text: {zh: 说明, en: Note}}\n")],
     "no_rating_items", 18),
    ("item not a mapping", [("      - code: q1\n", "      - q1\n      - code: q1\n")],
     "bad_type", 22),
    ("top level not a mapping", [(BASE_YAML, "- just\n- a list\n")], "bad_type", 1),
    ("empty document", [(BASE_YAML, "\n")], "bad_type", 1),
    ("unknown section kind", [SPECIFIC, ("kind: target_specific", "kind: own")], "unknown_section_kind", 48),
    ("unknown source", [SPECIFIC, ("source: commitments", "source: promises")], "unknown_source", 49),
    ("duplicate source", [SPECIFIC, (TEMPLATE, TEMPLATE + "\n  - code: s4\n    title: {zh: 又, en: Again}\n"
                                     "    kind: target_specific\n    source: commitments\n    " + TEMPLATE)],
     "duplicate_source", 54),
    ("template not rating", [SPECIFIC, ("template: {type: rating, dimension: law,", "template: {type: text,")],
     "template_not_rating", 50),
    ("template without placeholder", [SPECIFIC, ("en: '{title}'", "en: Promise")], "missing_placeholder", 50),
    ("reserved item code", [SPECIFIC, ("- code: q1", "- code: p.1")], "reserved_code", 22),
]


@pytest.mark.parametrize("edits, code, line", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_problem_code_and_line(edits, code, line):
    problems = problems_of(edited(*edits))
    found = [p for p in problems if p.code == code]
    assert found, f"no {code!r} among {[p.message for p in problems]}"
    assert [p.line for p in found] == [line] * len(found), [p.message for p in found]
    for problem in found:
        assert problem.message.startswith(f"line {line}: ")
        assert isinstance(problem.params, dict)


def test_message_names_item_and_dimension():
    [problem] = [p for p in problems_of(edited(("dimension: law", "dimension: lawx")))
                 if p.code == "unknown_dimension"]
    assert problem.message == "line 24: item 'q1' names unknown dimension 'lawx'"
    assert problem.path == "sections[0].items[0].dimension"
    assert problem.params == {"item": "q1", "dimension": "lawx"}


def test_empty_dimension_message():
    [problem] = [p for p in problems_of(edited(("dimension: service", "dimension: law")))
                 if p.code == "empty_dimension"]
    assert problem.message == "line 17: dimension 'service' has no rating item"
    assert problem.params == {"dimension": "service"}


def test_duplicate_names_the_first_line():
    [problem] = problems_of(edited(("- code: q3", "- code: q1")))
    assert problem.code == "duplicate_code"
    assert problem.params == {"what": "item", "code": "q1", "first_line": 22}
    assert "first on line 22" in problem.message


def test_every_problem_is_reported_sorted_by_line():
    text = edited(("format: 1", "format: 3"), ("points: 40}", "points: 80}"),
                  ("dimension: law", "dimension: lawx"), ("type: single", "type: choice"),
                  ("max_length: 200", "max_length: 0"), ("kind: sector_style", "kind: x"))
    problems = problems_of(text)
    codes = [p.code for p in problems]
    assert codes == ["bad_format", "unknown_kind", "points_order", "unknown_dimension",
                     "unknown_item_type", "not_positive"]
    assert [p.line for p in problems] == [1, 3, 11, 24, 36, 44]


def test_exception_text_joins_messages():
    with pytest.raises(QuestionnaireInvalid) as caught:
        questionnaires.loads(edited(("format: 1", "format: 3"), ("kind: sector_style", "kind: x")))
    assert str(caught.value).splitlines() == [p.message for p in caught.value.problems]
    assert len(caught.value.problems) == 2


def test_from_dict_problems_have_no_line_and_name_the_path(base):
    data = questionnaires.to_dict(base)
    data["sections"][0]["items"][0]["dimension"] = "lawx"
    data["dimensions"][0]["weight"] = -1
    with pytest.raises(QuestionnaireInvalid) as caught:
        questionnaires.from_dict(data)
    problems = caught.value.problems
    assert [(p.line, p.path, p.code) for p in problems] == [
        (None, "dimensions[0].weight", "negative_weight"),
        (None, "sections[0].items[0].dimension", "unknown_dimension"),
        (None, "dimensions[0].code", "empty_dimension")]
    assert problems[1].message == \
        "sections[0].items[0].dimension: item 'q1' names unknown dimension 'lawx'"


def test_from_dict_rejects_a_non_mapping():
    with pytest.raises(QuestionnaireInvalid) as caught:
        questionnaires.from_dict(["not", "a", "mapping"])
    assert [p.code for p in caught.value.problems] == ["bad_type"]


def test_bytes_that_are_not_utf8():
    with pytest.raises(QuestionnaireInvalid) as caught:
        questionnaires.loads(b"code: \xff\xfe")
    assert [p.code for p in caught.value.problems] == ["bad_encoding"]


def test_utf8_bytes_with_bom_load(base):
    assert questionnaires.loads(b"\xef\xbb\xbf" + BASE_YAML.encode()) == base


def test_load_reads_a_file(tmp_path, base):
    path = tmp_path / "q.yaml"
    path.write_text(BASE_YAML, encoding="utf-8")
    assert questionnaires.load(path) == base
    assert questionnaires.load(str(path)) == base


def test_merge_keys_and_anchors_are_understood(base):
    text = edited(("    title: {zh: 第一部分, en: Part one}", "    title: &t {zh: 第一部分, en: Part one}"),
                  ("    title: {zh: 第二部分, en: Part two}", "    title: {<<: *t, en: Part two, zh: 第二部分}"))
    assert questionnaires.loads(text) == base


def test_recursive_alias_is_a_syntax_problem():
    problems = problems_of(edited(("groups: [public, staff]", "groups: &g [public, *g]")))
    assert problems[0].code in ("yaml_syntax", "bad_type")


@pytest.mark.parametrize("text", [
    "", "   ", "[", "{", "a: b: c", "- - -", "?", "!!python/object:os.system {}",
    "format: 1\n---\nformat: 1\n", "\t", "code: [1, 2", "x: !!binary 'AAAA'",
    "2001-12-14: x", "? [a, b]\n: c",
])
def test_odd_texts_give_problems_not_crashes(text):
    problems = problems_of(text)
    assert problems and all(isinstance(p, Problem) for p in problems)
    assert all(re.match(r"(line \d+: )?\S", p.message) for p in problems)


def test_every_problem_code_has_a_case():
    covered = {case[2] for case in CASES} | {"bad_encoding", "too_large", "too_deep", "too_many_nodes"}  # the limits: test_yaml_limits.py
    assert covered == set(questionnaires.PROBLEM_CODES)


def test_a_target_specific_section_loads_round_trips_and_fills_per_target():
    q = questionnaires.loads(edited(SPECIFIC))
    [section] = q.specific_sections()
    assert section.items == () and section.template.dimension == "law" and section.source == "commitments"
    assert questionnaires.loads(questionnaires.dump(q)) == q
    filled = q.with_specific([section.specific_item("p.1", "a", "修路", "Roads"),
                              section.specific_item("p.2", "b", "建校", "")])
    assert [i.code for i in filled.items_for_target("public", "a") if i.is_rating] == ["q1", "q2", "p.1"]
    assert [i.code for i in filled.items_for_target("public", "b") if i.is_rating] == ["q1", "q2", "p.2"]
    assert filled.item("p.2").text.en == "建校"  # no English words: the Chinese ones
    assert questionnaires.to_dict(filled) == questionnaires.to_dict(q)  # the campaign's items are not the questionnaire's
    method = questionnaires.method_for(filled, {"public": 1})
    assert method["items"][-2:] == [
        {"code": "p.1", "dimension": "law", "weight": 1.0, "target": "a", "text": {"zh": "修路", "en": "Roads"}},
        {"code": "p.2", "dimension": "law", "weight": 1.0, "target": "b", "text": {"zh": "建校", "en": "建校"}}]
    with pytest.raises(ValueError):
        q.with_specific([section.specific_item("r.1", "a", "x", "x")])  # no rectification section
