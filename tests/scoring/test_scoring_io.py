"""The three doors into Answers agree, the CSV reader copes with real files, the CLI, and purity."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import scoring

ROOT = Path(__file__).resolve().parents[2]
ROWS = [("b2", "staff", "t1", "q1", "A"), ("b2", "staff", "t1", "q2", ""),
        ("b10", "public", "t1", "q1", "DK"), ("b10", "public", "t1", "q2", "B"),
        ("b1", "public", "t2", "q1", "C"), ("b1", "public", "t2", "q2", "D"),
        ("b1", "public", "t1", "q1", "B")]


def csv_text(rows=ROWS, header=("ballot", "group", "target", "item", "option"), newline="\n",
             quote=False):
    order = [("ballot", "group", "target", "item", "option").index(h) for h in header]
    lines = [",".join(header)]
    for row in rows:
        fields = [row[k] for k in order]
        lines.append(",".join(f'"{f}"' if quote else f for f in fields))
    return newline.join(lines) + newline


@pytest.fixture
def method(make_method):
    return scoring.Method.from_dict(make_method(
        items=[{"code": "q1", "dimension": "d"}, {"code": "q2", "dimension": "d"}],
        groups=[{"code": "public", "weight": 2}, {"code": "staff", "weight": 1}]))


@pytest.fixture
def expected(method):
    columns = dict(zip(("ballot", "group", "target", "item", "option"), map(list, zip(*ROWS))))
    return scoring.score(scoring.Answers.from_columns(**columns), method)


@pytest.mark.parametrize("variant", [
    dict(),
    dict(newline="\r\n"),
    dict(quote=True),
    dict(header=("option", "item", "target", "group", "ballot")),
])
def test_read_csv_variants(tmp_path, method, expected, variant):
    path = tmp_path / "answers.csv"
    path.write_text(csv_text(**variant), encoding="utf-8", newline="")
    assert scoring.score(scoring.Answers.read_csv(path), method) == expected


@pytest.mark.parametrize("transform", [lambda t: "\ufeff" + t, lambda t: t.rstrip("\n"),
                                       lambda t: t + "\n\n"])
def test_read_csv_bom_and_line_ends(tmp_path, method, expected, transform):
    path = tmp_path / "answers.csv"
    path.write_text(transform(csv_text()), encoding="utf-8", newline="")
    assert scoring.score(scoring.Answers.read_csv(path), method) == expected


@pytest.mark.parametrize("chunk", [16, 40, 1 << 20])
def test_read_csv_in_chunks(tmp_path, monkeypatch, method, expected, chunk):
    import scoring.csvio
    monkeypatch.setattr(scoring.csvio, "CHUNK_BYTES", chunk)
    path = tmp_path / "answers.csv"
    path.write_text(csv_text())
    assert scoring.score(scoring.Answers.read_csv(path), method) == expected


def test_read_csv_long_codes(tmp_path, make_method):
    # Codes over 8 bytes are hashed, then checked: they must still come out right.
    ids = [f"ballot-{'x' * 40}-{i:04d}" for i in range(300)]
    text = "ballot,group,target,item,option\n" + "".join(
        f"{b},public,target-number-{i % 3:02d},q1,{'ABCD'[i % 4]}\n" for i, b in enumerate(ids))
    path = tmp_path / "answers.csv"
    path.write_text(text)
    a = scoring.Answers.read_csv(path)
    assert list(a.ballot_ids) == sorted(ids)
    assert list(a.target_codes) == ["target-number-00", "target-number-01", "target-number-02"]
    results = scoring.score(a, scoring.Method.from_dict(make_method()))
    assert results["ballots"] == 300


def test_from_codes_matches_from_columns(method, expected):
    ballots = np.array(["b2", "b10", "b1"])          # not in byte order: sorted inside
    index = {b: i for i, b in enumerate(ballots)}
    a = scoring.Answers.from_codes(
        ballot_ids=ballots, group_codes=["public", "staff"], target_codes=["t1", "t2"],
        item_codes=["q1", "q2"], option_codes=["A", "B", "C", "D", "DK"],
        ballot=[index[r[0]] for r in ROWS], target=[int(r[2][1]) - 1 for r in ROWS],
        item=[int(r[3][1]) - 1 for r in ROWS],
        option=[["A", "B", "C", "D", "DK", ""].index(r[4]) if r[4] else -1 for r in ROWS],
        group_of_ballot=[1, 0, 0])
    assert scoring.score(a, method) == expected


def test_from_codes_lists_targets_without_answers(method):
    a = scoring.Answers.from_codes(ballot_ids=["b1"], group_codes=["public"],
                                   target_codes=["t1", "t9"], item_codes=["q1"],
                                   option_codes=["A"], ballot=[0], target=[0], item=[0],
                                   option=[0], group=[0])
    results = scoring.score(a, method)
    assert [t["target"] for t in results["targets"]] == ["t1", "t9"]
    assert results["targets"][1]["score"] is None


# -- the command ------------------------------------------------------------------------------

def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "scoring", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


@pytest.fixture
def files(tmp_path, method):
    (tmp_path / "answers.csv").write_text(csv_text())
    (tmp_path / "method.json").write_text(json.dumps(method.to_dict()))
    return tmp_path


def test_cli_stdout(files, expected):
    done = cli("answers.csv", "method.json", cwd=files)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert results["method_sha256"] == scoring.Method.load(files / "method.json").sha256
    assert results["targets"] == json.loads(json.dumps(expected["targets"]))


def test_cli_output_file(files):
    done = cli("answers.csv", "method.json", "-o", "results.json", cwd=files)
    assert done.returncode == 0 and done.stdout == ""
    assert json.loads((files / "results.json").read_text())["ballots"] == 3


@pytest.mark.parametrize("answers, method_file, message", [
    ("missing.csv", "method.json", "missing.csv: file not found"),
    ("answers.csv", "missing.json", "missing.json: file not found"),
    ("bad.csv", "method.json", "bad.csv, row 3: unknown option 'Q' for item q1"),
    ("answers.csv", "bad.json", "bad.json: malformed JSON"),
])
def test_cli_invalid_input_exits_2(files, answers, method_file, message):
    (files / "bad.csv").write_text("ballot,group,target,item,option\nb1,public,t,q1,A\nb2,public,t,q1,Q\n")
    (files / "bad.json").write_text("{")
    done = cli(answers, method_file, cwd=files)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


# -- purity ----------------------------------------------------------------------------------

def test_import_pulls_in_no_web_or_dataframe_library():
    # `scoring.Answers` is imported at its first use (a web worker that only writes canonical
    # JSON starts without numpy): asked for here, so that the reader is in the count.
    code = "import sys, scoring; scoring.Answers; print('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    roots = {name.split(".")[0] for name in done.stdout.split()}
    assert not roots & {"flask", "sqlalchemy", "babel", "flask_babel", "pandas", "survey_app",
                        "questionnaires", "werkzeug", "jinja2"}
    assert "numpy" in roots


@pytest.mark.parametrize("chunk", [200, 4096, 1 << 20])
def test_read_csv_matches_from_columns_on_shuffled_rows(tmp_path, monkeypatch, chunk):
    """Ballots scattered over chunks and out of order, a column with many distinct codes and
    codes first seen far into the file: the fast reader codes them as `from_columns` does."""
    import scoring.csvio
    monkeypatch.setattr(scoring.csvio, "CHUNK_BYTES", chunk)
    rng = np.random.default_rng(7)
    n = 6000
    ballot = [f"id{int(x):x}" if x % 3 else f"ballot-with-a-long-identifier-{int(x)}"
              for x in rng.integers(0, 900, size=n)]
    group = [("g1", "g2")[int(x) % 2] for x in rng.integers(0, 2, size=n)]
    target = [f"t{int(x)}" for x in rng.integers(0, 400, size=n)]
    item = [f"q{i % 7}" if i < 5000 else f"late{i % 3}" for i in range(n)]
    option = [("A", "B", "", "DK")[int(x)] for x in rng.integers(0, 4, size=n)]
    lines = ["target,option,ballot,item,group"] + [
        f"{t},{o},{b},{i},{g}" for b, g, t, i, o in zip(ballot, group, target, item, option)]
    path = tmp_path / "answers.csv"
    path.write_text("\n".join(lines) + "\n")
    read = scoring.Answers.read_csv(path)
    made = scoring.Answers.from_columns(ballot=ballot, group=group, target=target, item=item, option=option)
    for table in ("ballot_ids", "group_codes", "target_codes", "item_codes", "option_codes"):
        assert list(getattr(read, table)) == list(getattr(made, table)), table
    for column in ("ballot", "group", "target", "item", "option"):
        assert np.array_equal(getattr(read, column), getattr(made, column)), column
