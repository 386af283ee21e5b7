"""The built-in templates: valid, bilingual, round-tripping, and shaped as documented."""
import dataclasses
import re
from pathlib import Path

import pytest

import questionnaires
from questionnaires import KINDS, Text

TEMPLATE_DIR = Path(questionnaires.__file__).parent / "templates"


def texts(value):
    """Every Text inside a questionnaire value."""
    if isinstance(value, Text):
        yield value
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from texts(getattr(value, f.name))
    elif isinstance(value, tuple):
        for part in value:
            yield from texts(part)


def test_template_kinds():
    assert questionnaires.template_kinds() == ["work_style", "sector_style", "integrity_report",
                                                "integrity_assessment", "decision", "public_rating"]
    assert list(KINDS) == questionnaires.template_kinds()


def test_every_yaml_file_is_a_kind():
    assert sorted(p.stem for p in TEMPLATE_DIR.glob("*.yaml")) == sorted(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_template_validates_and_round_trips(kind):
    q = questionnaires.template(kind)
    assert q.kind == kind and q.code == kind
    assert questionnaires.load(TEMPLATE_DIR / f"{kind}.yaml") == q
    text = questionnaires.dump(q)
    assert questionnaires.loads(text) == q
    assert questionnaires.dump(questionnaires.loads(text)) == text
    assert questionnaires.from_dict(questionnaires.to_dict(q)) == q
    assert hash(questionnaires.loads(text)) == hash(q)


@pytest.mark.parametrize("kind", KINDS)
def test_template_is_bilingual_with_proper_punctuation(kind):
    for text in texts(questionnaires.template(kind)):
        assert text.zh.strip() and text.en.strip()
        # Chinese prose takes full-width punctuation; English none of the Chinese marks.
        assert not re.search(r"[,!?;:()]", text.zh), text.zh
        assert not re.search("[\u3001\u3002\uff08\uff09\uff0c\uff01\uff1a\uff1b\uff1f\u201c\u201d]",
                             text.en), text.en


@pytest.mark.parametrize("kind", KINDS)
def test_template_dimensions_have_one_to_three_items(kind):
    q = questionnaires.template(kind)
    for dimension in q.dimensions:  # a target-specific section's template counts as one item
        templates = [s for s in q.specific_sections() if s.template.dimension == dimension.code]
        assert 1 <= len(q.dimension_items(dimension.code)) + len(templates) <= 3, dimension.code
    assert [item.code for item in q.items()] == [f"q{i:02d}" for i in range(1, len(q.items()) + 1)]


SCALES = {
    "sector_style": ([("A", "满意", 100), ("B", "基本满意", 70), ("C", "不满意", 40),
                      ("DK", "不了解", None)], ("A", "B"), ("C",)),
    "work_style": ([("A", "好", 100), ("B", "较好", 85), ("C", "一般", 70), ("D", "差", 50),
                    ("DK", "不了解", None)], ("A", "B"), ("D",)),
    "integrity_report": ([("A", "优秀", 100), ("B", "称职", 85), ("C", "基本称职", 70),
                          ("D", "不称职", 50), ("DK", "不了解", None)], ("A", "B"), ("D",)),
    "integrity_assessment": ([("A", "好", 100), ("B", "较好", 85), ("C", "一般", 70),
                              ("D", "差", 50), ("DK", "不了解", None)], ("A", "B"), ("D",)),
    "decision": ([("agree", "同意", 100), ("disagree", "不同意", 0), ("abstain", "弃权", None)],
                 ("agree",), ("disagree",)),
    "public_rating": ([("A", "满意", 100), ("B", "基本满意", 70), ("C", "不满意", 40),
                       ("DK", "不了解", None)], ("A", "B"), ("C",)),
}


@pytest.mark.parametrize("kind", KINDS)
def test_template_scale(kind):
    scale = questionnaires.template(kind).scale
    options, satisfied, dissatisfied = SCALES[kind]
    assert [(o.code, o.label.zh, o.points) for o in scale.options] == options
    assert (scale.satisfied, scale.dissatisfied) == (satisfied, dissatisfied)
    assert scale.dont_know is scale.options[-1]


DIMENSIONS = {
    "sector_style": ["依法办事", "规范收费", "办事公开", "服务质量", "办事效率", "清正廉洁"],
    "work_style": ["工作作风", "服务态度", "办事效率", "廉洁自律", "改革创新"],
    "integrity_report": ["德", "能", "勤", "绩", "廉"],
    "integrity_assessment": ["廉洁自律", "落实党风廉政建设责任制", "“五个不直接分管”",
                             "廉政风险防控", "作风建设"],
    "decision": ["表决意见"],
    "public_rating": ["承诺兑现", "公开透明", "总体评价"],
}


@pytest.mark.parametrize("kind", KINDS)
def test_template_dimensions(kind):
    q = questionnaires.template(kind)
    assert [d.name.zh for d in q.dimensions] == DIMENSIONS[kind]
    assert all(d.weight == 1 for d in q.dimensions)


def test_integrity_report_dimension_codes_and_overall_item():
    q = questionnaires.template("integrity_report")
    assert [d.code for d in q.dimensions] == ["de", "neng", "qin", "ji", "lian"]
    overall = next(item for item in q.items() if item.text.zh.startswith("您对该同志的总体评价"))
    assert overall.type == "single" and overall.per_target and overall.required
    assert [c.label.zh for c in overall.options] == ["优秀", "称职", "基本称职", "不称职"]


def test_integrity_assessment_covers_the_five_no_direct_charges():
    q = questionnaires.template("integrity_assessment")
    texts_zh = " ".join(item.text.zh for item in q.dimension_items("separation"))
    for area in ("人事", "财务", "工程建设", "物资采购", "行政审批"):
        assert area in texts_zh


def test_sector_style_unscored_items():
    q = questionnaires.template("sector_style")
    comment = [item for item in q.items() if item.type == "text"]
    assert [(i.per_target, i.required) for i in comment] == [(True, False)]
    once = [item for item in q.items() if not item.per_target]
    assert [(i.type, i.required) for i in once] == [("single", True)]
    assert once[0].dimension is None and once[0].weight is None


def test_decision_is_one_vote_per_matter():
    q = questionnaires.template("decision")
    [item] = q.items()
    assert (item.type, item.dimension, item.per_target, item.required) == \
        ("rating", "decision", True, True)


@pytest.mark.parametrize("kind", KINDS)
def test_templates_ask_every_group(kind):
    # Group codes belong to campaigns, so a template must not restrict items to any.
    assert all(item.groups is None for item in questionnaires.template(kind).items())


def test_unknown_template_kind():
    with pytest.raises(ValueError, match="no template"):
        questionnaires.template("appraisal")


def test_public_rating_rates_each_leaders_own_commitments():
    q = questionnaires.template("public_rating")
    [section] = q.specific_sections()
    assert (section.source, section.template.dimension, section.template.type) == ("commitments", "kept", "rating")
    item = section.specific_item("p.7", "l1", "新建幼儿园5所", "Build five nurseries")
    assert (item.code, item.target, item.text.zh, item.text.en) == ("p.7", "l1", "新建幼儿园5所", "Build five nurseries")
    assert not q.dimension_items("kept")  # nothing fixed: every commitment is a leader's own
