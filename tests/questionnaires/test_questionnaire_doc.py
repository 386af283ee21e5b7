"""docs/questionnaire-format.md stays true: its examples load and its tables are complete."""
import re
from pathlib import Path

import questionnaires

DOC = (Path(__file__).parents[2] / "docs" / "questionnaire-format.md").read_text(encoding="utf-8")


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC, flags=re.S)


def test_short_example_loads():
    q = questionnaires.loads(yaml_blocks()[0])
    assert [item.code for item in q.items()] == ["q1", "q2"]


def test_complete_example_is_the_shipped_template():
    shipped = Path(questionnaires.__file__).parent / "templates" / "sector_style.yaml"
    assert yaml_blocks()[-1] == shipped.read_text(encoding="utf-8")


def test_problem_code_table_lists_every_code():
    section = DOC[DOC.index("## Validation"):DOC.index("## Kinds")]
    documented = re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M)
    assert documented == list(questionnaires.PROBLEM_CODES)
