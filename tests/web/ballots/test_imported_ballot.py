"""The validator's mode for imported rows: each row's field checked as it comes, unknown fields
included, then the options checked by `validate`, gaps allowed."""
import pytest
import questionnaires

from survey_app.ballots.validation import Asked, ImportedBallot, asked

Q = questionnaires.template("sector_style")  # q01 once per ballot (single), q02–q13 ratings, q14 free text


def ballot(questions=None):
    return ImportedBallot(Q, "x1", "hall", questions or asked(Q, "hall", ["t1", "t2"]))


def test_good_rows_make_the_ballot_with_its_gaps():
    sheet = ballot()
    assert sheet.add(2, "", "q01", "counter") is None
    assert sheet.add(3, "t1", "q02", "A") is None
    assert sheet.add(4, "t2", "q02", "") is None  # a blank answer is a gap, not a problem
    content, problems = sheet.finish()
    assert problems == []
    assert sorted(content.answers, key=str) == sorted([(None, "q01", "counter"), ("t1", "q02", "A")], key=str)


@pytest.mark.parametrize("target, item, why", [
    ("t1", "q99", "unknown item 'q99'"),
    ("t9", "q02", "unknown target 't9' for group hall"),
    ("", "q02", "item q02 is asked per target: the target is missing"),
    ("t1", "q01", "item q01 is asked once per ballot: leave the target empty"),
    ("t1", "q14", "item q14 is a free-text item; free text is not imported"),
])
def test_a_field_the_ballot_does_not_ask_is_refused_at_its_row(target, item, why):
    sheet = ballot()
    assert str(sheet.add(7, target, item, "A")) == why
    assert sheet.fields == {}  # nothing of a refused row is kept


def test_an_item_the_group_is_not_asked_is_refused():
    without_q01 = Asked(tuple(i for i in Q.items() if i.code != "q01"), ("t1",))
    assert str(ballot(without_q01).add(2, "", "q01", "counter")) == "item q01 is not asked of group hall"


def test_the_same_answer_twice_names_the_first_row():
    sheet = ballot()
    assert sheet.add(2, "t1", "q02", "A") is None
    assert str(sheet.add(5, "t1", "q02", "B")) == "ballot x1 answers item q02 for this target twice (first in row 2)"
    assert sheet.add(6, "t2", "q02", "B") is None  # the same item for another target is another answer


def test_an_option_not_offered_is_refused_at_its_row_by_the_validator():
    sheet = ballot()
    sheet.add(2, "t1", "q02", "A")
    sheet.add(3, "t2", "q02", "Z")
    content, problems = sheet.finish()
    assert problems == [(3, "This is not one of the offered answers. (option 'Z')")]


def test_a_long_value_is_cut_in_the_message():
    reason = str(ballot().add(2, "t1", "q" + "9" * 100, "A"))
    assert reason.startswith("unknown item 'q999") and "…" in reason and len(reason) < 90
