"""Every "Invalid input" case of scoring-method.md: a clear InputError naming file, row or key."""
from __future__ import annotations

import json

import pytest

import scoring

HEADER = "ballot,group,target,item,option\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


# -- answers against the method (rows name the CSV row, header = row 1) ------------------------

@pytest.mark.parametrize("body, row, message", [
    ("b1,public,t,q1,A\nb2,public,t,q1,X\n", 3, "unknown option 'X' for item q1"),
    ("b1,public,t,q1,A\nb2,public,t,q9,A\n", 3, "unknown item 'q9'"),
    ("b1,public,t,q1,A\nb2,guests,t,q1,A\n", 3, "unknown group 'guests'"),
    ("b1,public,t,q1,A\nb2,public,t,q1,B\nb1,staff,u,q1,C\n", 4,
     "ballot 'b1' appears in two groups ('public' and 'staff')"),
    ("b1,public,t,q1,A\nb2,public,t,q1,B\nb1,public,t,q1,C\n", 4,
     "ballot 'b1' answers item 'q1' for target 't' twice (also row 2)"),
    # several errors: the first row wins
    ("b1,public,t,q1,A\nb1,public,t,q1,A\nb2,public,t,q1,Z\n", 3, "twice"),
])
def test_answers_rejected_by_the_method(tmp_path, make_method, body, row, message):
    answers = scoring.Answers.read_csv(write(tmp_path, "answers.csv", HEADER + body))
    method = make_method(groups=[{"code": "public", "weight": 1}, {"code": "staff", "weight": 1}])
    with pytest.raises(scoring.InputError) as e:
        scoring.score(answers, scoring.Method.from_dict(method))
    assert e.value.file.endswith("answers.csv")
    assert e.value.row == row
    assert message in str(e.value)
    assert str(e.value).startswith(f"{e.value.file}, row {row}: ")


def test_from_columns_errors_name_the_answer(make_method):
    answers = scoring.Answers.from_columns(ballot=["b1", "b2"], group=["public"] * 2,
                                           target=["t"] * 2, item=["q1"] * 2, option=["A", "X"])
    with pytest.raises(scoring.InputError) as e:
        scoring.score(answers, scoring.Method.from_dict(make_method()))
    assert e.value.row is None and "answer 2" in str(e.value)


def test_from_columns_with_first_row(make_method):
    answers = scoring.Answers.from_columns(ballot=["b1", "b2"], group=["public"] * 2,
                                           target=["t"] * 2, item=["q1", "zz"], option=["A", "B"],
                                           source="upload", first_row=2)
    with pytest.raises(scoring.InputError) as e:
        scoring.score(answers, scoring.Method.from_dict(make_method()))
    assert (e.value.file, e.value.row) == ("upload", 3)
    assert str(e.value) == "upload, row 3: unknown item 'zz'"


# -- malformed answers files -----------------------------------------------------------------

@pytest.mark.parametrize("text, row, key, message", [
    ("ballot,group,target,item\nb1,public,t,q1\n", 1, "option", "missing column 'option'"),
    ("ballot,group,target,item,option,extra\n", 1, "extra", "unexpected column 'extra'"),
    ("", 1, None, "empty file"),
    (HEADER + "b1,public,t,q1,A\nb2,public,t,A\n", 3, None, "expected 5 fields, found 4"),
    (HEADER + "b1,public,t,q1,A\n\nb2,public,t,q1,A\n", 3, None, "empty line"),
    (HEADER + "b1,public,t,q1,A,B\n", 2, None, "expected 5 fields, found 6"),
    (HEADER + "b1,,t,q1,A\n", 2, "group", "empty group"),
    (HEADER + "b 1,public,t,q1,A\n", 2, "ballot", "invalid ballot code 'b 1'"),
    (HEADER + "b1,public,t,q1,A\nb2,public,t\xe9,q1,A\n", 3, "target", "invalid target code"),
    (HEADER + "b1,public,t," + "q" * 65 + ",A\n", 2, "item", "longer than 64"),
    (HEADER + 'b1,public,t,q1,A\n"b2,public,t,q1,A\n', 3, None, "malformed CSV"),
])
def test_malformed_answers_file(tmp_path, text, row, key, message):
    path = write(tmp_path, "answers.csv", text)
    with pytest.raises(scoring.InputError) as e:
        scoring.Answers.read_csv(path)
    assert e.value.file == str(path)
    assert e.value.row == row
    assert e.value.key == key
    assert message in str(e.value)


def test_missing_answers_file(tmp_path):
    with pytest.raises(scoring.InputError) as e:
        scoring.Answers.read_csv(tmp_path / "nope.csv")
    assert "nope.csv" in str(e.value) and "file not found" in str(e.value)


def test_row_numbers_across_chunks(tmp_path, monkeypatch, make_method):
    import scoring.csvio
    monkeypatch.setattr(scoring.csvio, "CHUNK_BYTES", 64)
    body = "".join(f"b{i},public,t,q1,A\n" for i in range(40)) + "b99,public,t,q1,Q\n"
    answers = scoring.Answers.read_csv(write(tmp_path, "answers.csv", HEADER + body))
    with pytest.raises(scoring.InputError) as e:
        scoring.score(answers, scoring.Method.from_dict(make_method()))
    assert e.value.row == 42


# -- the method ------------------------------------------------------------------------------

@pytest.mark.parametrize("change, key, message", [
    ({"items": [{"code": "q1", "dimension": "nope", "weight": 1}]}, "items[0].dimension",
     "unknown dimension 'nope'"),
    ({"items": [{"code": "q1", "dimension": "d", "weight": -1}]}, "items[0].weight", "negative weight"),
    ({"dimensions": [{"code": "d", "weight": -0.5}]}, "dimensions[0].weight", "negative weight"),
    ({"groups": [{"code": "public", "weight": -2}]}, "groups[0].weight", "negative weight"),
    ({"min_group_size": 0}, "min_group_size", "at least 1"),
    ({"min_group_size": 2.5}, "min_group_size", "whole number"),
    ({"trim": -1}, "trim", "at least 0"),
    ({"trim_share": 0.5}, "trim_share", "below 0.5"),
    ({"trim_share": -0.1}, "trim_share", "at least 0"),
    ({"trim_share": "0.2"}, "trim_share", "finite number"),
    ({"trim": 1, "trim_share": 0.2}, "trim_share", "not both"),
    ({"funnel_alerts": 0.9}, "funnel_alerts", "null, 0.95 or 0.998"),
    ({"funnel_alerts": True}, "funnel_alerts", "null, 0.95 or 0.998"),
    ({"alerts": {"prevention": 0.4, "warning": 0.3}}, "alerts", "prevention (0.4) is above warning"),
    ({"scale": {"options": [{"code": "A", "points": 1}], "satisfied": ["Z"], "dissatisfied": []}},
     "scale.satisfied[0]", "unknown option 'Z'"),
    ({"groups": [{"code": "p", "weight": 1}, {"code": "p", "weight": 1}]}, "groups[1].code",
     "given twice"),
    ({"items": [{"code": "bad code", "dimension": "d"}]}, "items[0].code", "invalid code"),
    ({"extra": 1}, "extra", "unknown key 'extra'"),
    ({"groups": []}, "groups", "must not be empty"),
    ({"exclude_flagged": "yes"}, "exclude_flagged", "true or false"),
    ({"items": [{"code": "q1", "dimension": "d", "weight": True}]}, "items[0].weight", "finite number"),
])
def test_invalid_method(make_method, change, key, message):
    with pytest.raises(scoring.InputError) as e:
        scoring.Method.from_dict(make_method(**change), source="method.json")
    assert e.value.key == key
    assert e.value.file == "method.json"
    assert message in str(e.value)
    assert str(e.value).startswith(f"method.json, key {key}: ")


def test_method_missing_key(make_method):
    d = make_method()
    del d["alerts"]
    with pytest.raises(scoring.InputError) as e:
        scoring.Method.from_dict(d)
    assert e.value.key == "alerts" and "missing key" in str(e.value)


@pytest.mark.parametrize("content, message", [
    (b'{"scale": ', "malformed JSON at line 1"),
    (b"[1, 2]", "must be an object"),
    (b'{"trim": NaN}', "malformed JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
])
def test_malformed_method_file(tmp_path, content, message):
    path = write(tmp_path, "method.json", content)
    with pytest.raises(scoring.InputError) as e:
        scoring.Method.load(path)
    assert e.value.file == str(path)
    assert message in str(e.value)


def test_missing_method_file(tmp_path):
    with pytest.raises(scoring.InputError) as e:
        scoring.Method.load(tmp_path / "method.json")
    assert "file not found" in str(e.value)


# -- from_codes ------------------------------------------------------------------------------

CODES = dict(ballot_ids=["b1", "b2"], group_codes=["public"], target_codes=["t"],
             item_codes=["q1"], option_codes=["A", "B"])


@pytest.mark.parametrize("arrays, key", [
    (dict(ballot=[0, 2], target=[0, 0], item=[0, 0], option=[0, 1], group_of_ballot=[0, 0]), "ballot"),
    (dict(ballot=[0, 1], target=[0, 0], item=[0, 0], option=[0, -2], group_of_ballot=[0, 0]), "option"),
    (dict(ballot=[0, 1], target=[0, 0], item=[0, 0], option=[0, 1], group_of_ballot=[0]), "group_of_ballot"),
    (dict(ballot=[0, 1], target=[0, 0], item=[0, 0], option=[0, 1]), "group"),
])
def test_from_codes_rejects_bad_arrays(arrays, key):
    with pytest.raises(scoring.InputError) as e:
        scoring.Answers.from_codes(**CODES, **arrays)
    assert e.value.key == key


def test_from_codes_rejects_repeated_ids():
    with pytest.raises(scoring.InputError) as e:
        scoring.Answers.from_codes(**{**CODES, "ballot_ids": ["b2", "b1", "b2"]}, ballot=[0],
                                   target=[0], item=[0], option=[0], group_of_ballot=[0, 0, 0])
    assert e.value.key == "ballot_ids"


def test_error_pickles():
    import pickle
    e = pickle.loads(pickle.dumps(scoring.InputError("bad", file="f", row=3, key="k")))
    assert (e.file, e.row, e.key, str(e)) == ("f", 3, "k", "f, row 3: bad")


def test_results_are_json(make_method, tmp_path):
    answers = scoring.Answers.read_csv(write(tmp_path, "a.csv", HEADER + "b1,public,t,q1,DK\n"))
    results = scoring.score(answers, scoring.Method.from_dict(make_method()))
    json.dumps(results, allow_nan=False)
