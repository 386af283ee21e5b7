"""Uploaded questionnaires are read under limits: size, nesting depth and alias expansion.

Each bomb must be refused with its own problem code, by the limit that keeps it cheap; how
long a refusal takes against reading a real template is measured by `python -m bench.yaml_limits`.
"""
from pathlib import Path

import pytest

import questionnaires
from questionnaires import QuestionnaireInvalid
from questionnaires.yaml_io import MAX_BYTES, MAX_DEPTH, MAX_NODES

TEMPLATE = (Path(questionnaires.__file__).parent / "templates" / "sector_style.yaml").read_bytes()


def billion_laughs(levels: int = 9) -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    names = "abcdefghijklmnop"
    for previous, name in zip(names, names[1:levels]):
        text += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
    return text


def merge_bomb(levels: int = 9) -> str:
    text = "a: &a {x: 1, y: 2}\n"
    names = "abcdefghijklmnop"
    for previous, name in zip(names, names[1:levels]):
        text += f"{name}: &{name} {{<<: [{','.join(['*' + previous] * 9)}]}}\n"
    return text


BOMBS = {
    "billion laughs (306 bytes of nested aliases)": (billion_laughs(), "too_many_nodes"),
    "nested merge keys": (merge_bomb(), "too_many_nodes"),
    "50,000 nested flow lists": ("[" * 50_000 + "]" * 50_000, "too_deep"),
    "50,000 nested flow mappings": ("x: " + "{a: " * 50_000 + "1" + "}" * 50_000, "too_deep"),
    "50,000 nested block lists": ("- " * 50_000 + "x\n", "too_deep"),
    "deep indentation": ("".join(" " * i + f"k{i}:\n" for i in range(200)) + " " * 200 + "x: 1\n", "too_deep"),
    "a flat list of 200,000 values": ("[" + "1," * 100_000 + "]", "too_many_nodes"),
    "a file larger than the limit": (b"# " + b"x" * MAX_BYTES, "too_large"),
    "a text larger than the limit": ("中" * (MAX_BYTES // 3 + 1), "too_large"),
}


@pytest.mark.parametrize("text, code", BOMBS.values(), ids=BOMBS.keys())
def test_bombs_are_refused_by_their_own_limit(text, code):
    """Each bomb stops at its own limit (size, depth, nodes, aliases), which is what keeps it
    cheap; no timing here (timed assertions belong in bench/, not in tests)."""
    with pytest.raises(QuestionnaireInvalid) as caught:
        questionnaires.loads(text)
    problems = caught.value.problems
    assert [p.code for p in problems] == [code]
    assert problems[0].params["limit"] in (MAX_BYTES, MAX_DEPTH, MAX_NODES)


def test_the_limits_leave_room_for_a_big_questionnaire():
    """300 rating questions in two languages, dumped and read back, stay under every limit."""
    d = questionnaires.to_dict(questionnaires.template("sector_style"))
    model = next(item for s in d["sections"] for item in s["items"] if item["type"] == "rating")
    d["sections"][0]["items"] = [
        dict(model, code=f"big{i}", text={"zh": f"第{i}题：服务态度是否热情、办事是否高效？" * 2,
                                          "en": f"Question {i}: are the staff welcoming and efficient? " * 2})
        for i in range(300)]
    text = questionnaires.dump(questionnaires.from_dict(d))
    assert len(text.encode()) < MAX_BYTES
    assert len(list(questionnaires.loads(text).items())) >= 300


def test_file_reader_reads_no_more_than_the_limit(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:  # sparse: 2 GB that cost nothing to write
        fh.truncate(2 << 30)
    with pytest.raises(QuestionnaireInvalid) as caught:
        questionnaires.load(big)
    assert caught.value.problems[0].code == "too_large"
    assert caught.value.problems[0].params["size"] == 2 << 30


def test_anchors_and_merges_still_work_under_the_limits():
    text = "a: &a {x: 1}\nb: {<<: *a, y: 2}\nc: [*a, *a]\n"
    from questionnaires.yaml_io import _compose
    data, lines, problems = _compose(text)
    assert data == {"a": {"x": 1}, "b": {"x": 1, "y": 2}, "c": [{"x": 1}, {"x": 1}]}
    assert not problems


def test_merge_precedence_is_pyyaml_s():
    import yaml
    from questionnaires.yaml_io import _compose
    text = ("p: &p {k: p, m: p}\nq: &q {k: q, n: q}\n"
            "r: {<<: [*p, *q], m: own}\ns: {<<: *p, <<: *q}\n")
    data, _lines, _problems = _compose(text)
    expected = yaml.safe_load(text.replace("s: {<<: *p, <<: *q}\n", ""))
    assert data["r"] == expected["r"] == {"k": "p", "m": "own", "n": "q"}
