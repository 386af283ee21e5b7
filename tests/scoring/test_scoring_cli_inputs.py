"""`python -m scoring` on the files an operator having a bad day feeds it: every one exits 2
with the file, the row or key, and a reason of readable length; nothing is left behind."""
from __future__ import annotations

import json
import tracemalloc

import pytest

import scoring
from scoring.__main__ import main

HEADER = "ballot,group,target,item,option\n"
GOOD = HEADER + "b1,public,t,q1,A\nb2,public,t,q1,D\n"


@pytest.fixture
def files(tmp_path, make_method):
    """Write answers and method files; returns their paths."""
    def make(answers: str | bytes = GOOD, method: dict | str | bytes | None = None):
        a = tmp_path / "answers.csv"
        a.write_bytes(answers.encode() if isinstance(answers, str) else answers)
        m = tmp_path / "method.json"
        if method is None or isinstance(method, dict):
            method = json.dumps(method if method is not None else make_method())
        m.write_bytes(method.encode() if isinstance(method, str) else method)
        return a, m
    return make


def refused(capsys, *argv) -> str:
    assert main([str(a) for a in argv]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    message = out.err.strip()
    assert message.startswith("error: ") and "Traceback" not in message
    assert len(message) < 400, message
    return message


# -- overflow is refused up front -------------------------------------------------------------

@pytest.mark.parametrize("change, key", [
    ({"groups": [{"code": "public", "weight": 1e308}]}, "groups[0].weight"),
    ({"items": [{"code": "q1", "dimension": "d", "weight": 1e308}]}, "items[0].weight"),
    ({"dimensions": [{"code": "d", "weight": 1e308}]}, "dimensions[0].weight"),
    ({"dimensions": [{"code": "d", "weight": 1e-300}]}, "dimensions[0].weight"),
    ({"groups": [{"code": "public", "weight": 10**400}]}, "groups[0].weight"),
    ({"min_group_size": 10**30}, "min_group_size"),
])
def test_huge_weights_and_counts_are_refused(capsys, files, make_method, change, key):
    answers, method = files(method=make_method(**change))
    message = refused(capsys, answers, method)
    assert f"{method}, key {key}: " in message
    assert "out of range" in message or "at most" in message


@pytest.mark.parametrize("points", [1e308, -1e308, 1e7])
def test_huge_points_are_refused(capsys, files, make_method, points):
    d = make_method()
    d["scale"]["options"][0]["points"] = points
    answers, method = files(method=d)
    assert "key scale.options[0].points: " in refused(capsys, answers, method)


def test_largest_allowed_values_compute(capsys, files, make_method, tmp_path):
    d = make_method(groups=[{"code": "public", "weight": 1e6}],
                    items=[{"code": "q1", "dimension": "d", "weight": 1e6}],
                    dimensions=[{"code": "d", "weight": 1e-6}])
    d["scale"]["options"][0]["points"] = 1e6
    answers, method = files(method=d)
    out = tmp_path / "results.json"
    assert main([str(answers), str(method), "-o", str(out)]) == 0
    results = json.loads(out.read_text())
    assert results["targets"][0]["score"] is not None


# -- files that are not UTF-8 CSV -------------------------------------------------------------

@pytest.mark.parametrize("encoding, named", [
    ("utf-16", "UTF-16"), ("utf-16-le", "UTF-16 (little-endian, without"),
    ("utf-16-be", "UTF-16 (big-endian, without"), ("utf-32", "UTF-32"),
])
def test_other_encodings_are_named(capsys, files, encoding, named):
    answers, method = files(answers=GOOD.encode(encoding))
    message = refused(capsys, answers, method)
    assert f"{answers}, row 1: " in message and named in message and "save it as UTF-8" in message


def test_gbk_is_not_utf8(capsys, files):
    answers, method = files(answers=(GOOD + "b3,public,t,q1,A\n").encode() + "b4,公众,t,q1,A\n".encode("gbk"))
    message = refused(capsys, answers, method)
    assert f"{answers}, row 5: not UTF-8" in message and "GBK" in message


@pytest.mark.parametrize("start, what", [(b"PK\x03\x04", "ZIP"), (b"%PDF-1.7", "PDF")])
def test_binary_formats_are_named(capsys, files, start, what):
    answers, method = files(answers=start + b"\x00" * 100)
    assert what in refused(capsys, answers, method)


def test_a_2gb_nul_file_fails_at_its_first_bytes(files, tmp_path):
    answers, _method = files()
    with open(answers, "wb") as fh:  # sparse: costs no disk and no time to make
        fh.truncate(2 << 30)
    tracemalloc.start()
    try:
        with pytest.raises(scoring.InputError) as e:
            scoring.Answers.read_csv(answers)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(e.value) == f"{answers}, row 1: NUL byte at byte 0: a binary file, not CSV or JSON text"
    assert peak < 64 << 20, f"read {peak} bytes into memory"


def test_a_nul_byte_after_the_first_chunk_stops_the_reading(files, monkeypatch):
    import scoring.files
    monkeypatch.setattr(scoring.files, "CHUNK", 64)
    body = "".join(f"b{i},public,t,q1,A\n" for i in range(20))
    answers, _method = files(answers=(HEADER + body).encode() + b"b99,pub\x00lic,t,q1,A\n" + b"\x00" * 10_000)
    with pytest.raises(scoring.InputError) as e:
        scoring.Answers.read_csv(answers)
    assert e.value.row == 22 and "NUL byte" in e.value.reason


def test_a_nul_method_file(capsys, files, tmp_path):
    answers, method = files()
    with open(method, "wb") as fh:
        fh.truncate(2 << 30)
    message = refused(capsys, answers, method)
    assert f"{method}" in message and ("more than a method file" in message or "NUL" in message)


# -- messages: row, reason, values cut --------------------------------------------------------

def test_quoted_fields_are_reported_as_plain_strings(capsys, files):
    answers, method = files(answers=HEADER + '"b1",public,t,q1,A\n"b 2",public,t,q1,A\n')
    message = refused(capsys, answers, method)
    assert message == f"error: {answers}, row 3: invalid ballot code 'b 2' (1 to 64 of A-Z a-z 0-9 _ . -)"
    assert "np.str_" not in message


def test_an_unterminated_quote_names_the_row_it_opens_on(capsys, files):
    rest = "".join(f"b{i},public,t,q1,A\n" for i in range(3, 50))
    answers, method = files(answers=HEADER + "b1,public,t,q1,A\n" + '"b2,public,t,q1,A\n' + rest)
    message = refused(capsys, answers, method)
    assert f"{answers}, row 3: malformed CSV" in message and "quote" in message


@pytest.mark.parametrize("body, row", [
    ("b" + "x" * 100_000 + " ,public,t,q1,A\n", 2),
    ('"b' + "x" * 100_000 + ' ",public,t,q1,A\n', 2),
])
def test_long_values_are_cut(capsys, files, body, row):
    answers, method = files(answers=HEADER + body)
    message = refused(capsys, answers, method)
    assert f"row {row}: " in message and "…" in message


def test_a_huge_header_line_is_not_read_whole(capsys, files):
    answers, method = files(answers="x" * 5_000_000)
    message = refused(capsys, answers, method)
    assert "row 1: " in message and "header" in message


def test_long_method_values_are_cut(capsys, files, make_method):
    answers, method = files(method=make_method(groups=[{"code": "p" * 10_000, "weight": 1}]))
    message = refused(capsys, answers, method)
    assert "key groups[0].code" in message and "…" in message


# -- method.json ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, key", [
    ('{"trim": 0, "trim": 1}', "trim"),
    ('{"alerts": {"prevention": 0.1, "warning": 0.2, "warning": 0.9}}', "warning"),
])
def test_duplicate_keys_are_refused(capsys, files, text, key):
    answers, method = files(method=text)
    message = refused(capsys, answers, method)
    assert f"key {key}: key '{key}' appears twice" in message


def test_utf16_method_is_named(capsys, files, make_method):
    answers, method = files(method=json.dumps(make_method()).encode("utf-16"))
    assert "UTF-16" in refused(capsys, answers, method)


def test_deeply_nested_method_json(capsys, files):
    answers, method = files(method="[" * 100_000 + "]" * 100_000)
    assert "malformed JSON" in refused(capsys, answers, method)


# -- output -----------------------------------------------------------------------------------

def test_output_to_a_directory_is_refused_without_leftovers(capsys, files, tmp_path):
    answers, method = files()
    target = tmp_path / "out"
    target.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    message = refused(capsys, answers, method, "-o", target)
    assert "is a directory" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert list(target.iterdir()) == []


def test_output_into_a_missing_folder_leaves_nothing(capsys, files, tmp_path):
    answers, method = files()
    before = sorted(p.name for p in tmp_path.iterdir())
    assert "cannot write" in refused(capsys, answers, method, "-o", tmp_path / "missing" / "r.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_output_keeps_an_existing_partial_file(files, tmp_path):
    answers, method = files()
    other = tmp_path / "r.json.partial"
    other.write_text("someone else's")
    assert main([str(answers), str(method), "-o", str(tmp_path / "r.json")]) == 0
    assert other.read_text() == "someone else's"
    assert json.loads((tmp_path / "r.json").read_text())["targets"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.csv", "method.json", "r.json", "r.json.partial"]
