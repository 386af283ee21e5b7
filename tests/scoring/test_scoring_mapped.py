"""The memory-mapped reader of large answers.csv files: the same answers as the buffered reader,
and every file it does not read plainly handed to the buffered reader, so that the same files
are refused with the same messages."""
from __future__ import annotations

import numpy as np
import pytest

import scoring
import scoring.csvio

HEADER = "ballot,group,target,item,option\n"
BODY = "".join(f"b{i:03d},{('public', 'staff')[i % 2]},t{i % 3},q{k},{'ABCD'[(i + k) % 4] if (i + k) % 5 else ''}\n"
               for i in range(60) for k in range(4))
BUFFERED = scoring.csvio._read_buffered
TABLES = ("ballot_ids", "group_codes", "target_codes", "item_codes", "option_codes")


@pytest.fixture
def mapped(monkeypatch):
    """Every file through the map, in chunks of a few lines; counts the buffered reads."""
    monkeypatch.setattr(scoring.csvio, "MAPPED_FROM", 0)
    monkeypatch.setattr(scoring.csvio, "CHUNK_BYTES", 100)
    calls = []

    def counted(*args):
        calls.append(args[2])
        return BUFFERED(*args)

    monkeypatch.setattr(scoring.csvio, "_read_buffered", counted)
    return calls


def buffered(path):
    """What the buffered reader makes of ``path`` (the answers, or its refusal)."""
    try:
        return BUFFERED(scoring.Answers, path, str(path))
    except scoring.InputError as e:
        return e


def same_answers(a, b):
    for table in TABLES:
        assert getattr(a, table).tolist() == getattr(b, table).tolist(), table
    for column in ("ballot", "group", "target", "item", "option"):
        assert np.array_equal(getattr(a, column), getattr(b, column)), column
        assert getattr(a, column).dtype == getattr(b, column).dtype, column
    assert (a.source, a.first_row) == (b.source, b.first_row)


@pytest.mark.parametrize("text", [
    HEADER + BODY,
    HEADER + BODY.rstrip("\n"),                       # no newline at the end
    HEADER + BODY + "\n\n\n",                         # empty lines at the end
    "\ufeff" + HEADER + BODY,                         # byte-order mark
    "option,item,target,group,ballot\n" + "".join(    # columns in another order
        ",".join(reversed(line.split(","))) + "\n" for line in BODY.splitlines()),
    HEADER + BODY + "b999,public,t0,q0,A",            # a short last line, no newline
    HEADER + "x" * 40 + ",public,t0,q0,A\n" + BODY,   # a code over 8 bytes, hashed
], ids=range(7))
def test_mapped_reader_reads_what_the_buffered_one_reads(tmp_path, mapped, text):
    path = tmp_path / "answers.csv"
    path.write_bytes(text.encode())
    expected = buffered(path)
    assert not isinstance(expected, Exception)
    same_answers(scoring.Answers.read_csv(path), expected)
    assert mapped == []  # read through the map, not handed over


@pytest.mark.parametrize("chunk", [1, 90, 1000, 1 << 20])
def test_mapped_chunks_of_any_size(tmp_path, mapped, monkeypatch, chunk):
    monkeypatch.setattr(scoring.csvio, "CHUNK_BYTES", chunk)
    path = tmp_path / "answers.csv"
    path.write_bytes((HEADER + BODY).encode())
    same_answers(scoring.Answers.read_csv(path), buffered(path))
    assert mapped == []


LINE = "b1,public,t,q1,A\n"


@pytest.mark.parametrize("text", [
    HEADER + LINE * 30 + "b2,public,t,A\n" + LINE,            # a field short
    HEADER + LINE * 30 + "\n" + LINE,                         # an empty line
    HEADER + LINE * 30 + "b1,public,t,q1,A,B\n",              # a field too many
    HEADER + LINE * 30 + "b1,,t,q1,A\n",                      # an empty group
    HEADER + LINE * 30 + "b 1,public,t,q1,A\n",               # a space in a code
    HEADER + LINE * 30 + "b2,public,t\xe9,q1,A\n",            # a letter outside the codes
    HEADER + LINE * 30 + "b1,public,t," + "q" * 65 + ",A\n",  # a code too long
    HEADER + LINE * 30 + '"b2",public,t,q1,A\n',              # quotes: read by the csv module
    HEADER + LINE * 30 + '"b2,public,t,q1,A\n',               # a quote never closed
    HEADER.replace("\n", "\r\n") + LINE.replace("\n", "\r\n") * 30,  # CR LF
    HEADER + LINE * 30 + "b2,public,t,q1,A\rb3,public,t,q1,A\n",     # a lone CR
    HEADER + LINE * 30 + "b2,pub\x00lic,t,q1,A\n" + "\x00" * 300,    # NUL bytes
    HEADER + LINE * 30 + "b2,public,t,q1,A\n\n" + "b2,public,t,A\n",  # two errors: the first
    "ballot,group,target,item\n" + "b1,public,t,q1\n" * 30,   # a column missing
    "ballot,group,target,item,option,extra\n" + LINE * 30,    # a column too many
    "ballot,group,target,item,ballot\n" + LINE * 30,          # a column twice
    "Ballot,group,target,item,option\n" + LINE * 30,          # a name in capitals
    "\n" * 40,                                                # no header
    HEADER + "\n" * 40,                                       # no answers
    "x" * 2000 + "\n" + LINE * 30,                            # a header too long
], ids=range(20))
def test_mapped_reader_refuses_as_the_buffered_one(tmp_path, mapped, text):
    path = tmp_path / "answers.csv"
    path.write_bytes(text.encode("utf-8"))
    expected = buffered(path)
    try:
        got = scoring.Answers.read_csv(path)
    except scoring.InputError as e:
        got = e
    if isinstance(expected, Exception):
        assert isinstance(got, scoring.InputError) and str(got) == str(expected)
        assert mapped == [str(path)]  # the buffered reader said it
    else:  # CR LF and quotes are read, by the buffered reader
        same_answers(got, expected)


@pytest.mark.parametrize("start", [b"\xff\xfe", b"PK\x03\x04", b"%PDF-1.7\n", b"\x1f\x8b", b"\x00" * 8])
def test_mapped_reader_hands_binary_files_over(tmp_path, mapped, start):
    path = tmp_path / "answers.csv"
    path.write_bytes(start + (HEADER + LINE * 30).encode("utf-16-le" if start == b"\xff\xfe" else "utf-8"))
    with pytest.raises(scoring.InputError) as e:
        scoring.Answers.read_csv(path)
    assert str(e.value) == str(buffered(path)) and mapped == [str(path)]


def test_mapped_reader_of_a_missing_file(tmp_path, mapped):
    with pytest.raises(scoring.InputError) as e:
        scoring.Answers.read_csv(tmp_path / "nope.csv")
    assert str(e.value) == f"{tmp_path / 'nope.csv'}: file not found"


@pytest.mark.parametrize("column", range(5))
@pytest.mark.parametrize("code", ["q/1", "q:", "q@1", "[q]", "q`", "q{1}", "~", "q\x7f", "qé", "x" * 20 + "/"],
                         ids=range(10))
def test_mapped_reader_hands_a_wrong_code_byte_over_in_any_column(tmp_path, mapped, column, code):
    # The map checks the codes' bytes once per distinct value of each chunk (and of each table
    # that chunks share): a wrong byte in any column, far into the file, in a value the first
    # chunks never had, still goes to the buffered reader, which names its row.
    fields = LINE.rstrip("\n").split(",")
    fields[column] = code
    path = tmp_path / "answers.csv"
    path.write_bytes((HEADER + LINE * 30 + BODY + ",".join(fields) + "\n" + LINE * 5).encode("utf-8"))
    with pytest.raises(scoring.InputError) as e:
        scoring.Answers.read_csv(path)
    assert str(e.value) == str(buffered(path)) and mapped == [str(path)]
    assert "row 272" in str(e.value)
