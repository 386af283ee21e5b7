"""Each job in its room: controllers change nothing themselves, CLI modules share one helper module."""
import re
from pathlib import Path

import pytest

import survey_app

PACKAGE = Path(survey_app.__file__).parent
CONTROLLERS = sorted(PACKAGE.glob("*/controllers.py")) + [PACKAGE / "admin" / "officers.py"]
CLI_MODULES = [PACKAGE / "cli.py", PACKAGE / "backup.py", PACKAGE / "paper" / "cli.py", PACKAGE / "reports" / "cli.py",
               PACKAGE / "meetings" / "cli.py"]

#: what only an operation does: change rows, write the audit log, commit or roll back
STATE_CHANGES = re.compile(r"\bsession\.(commit|rollback|add|add_all|delete|flush)\(|\baudit\.record\(")


@pytest.mark.parametrize("path", CONTROLLERS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_controllers_leave_state_changes_to_operations(path):
    found = [f"{path.name}:{n}: {line.strip()}" for n, line in enumerate(path.read_text().splitlines(), 1)
             if STATE_CHANGES.search(line)]
    assert not found, "call an operation instead:\n" + "\n".join(found)


#: packages whose operations are split by concern into modules named for their jobs
SPLIT_OPERATIONS = {"paper": ("admission.py", "entry.py", "imports.py", "sheets.py")}


def test_every_feature_with_controllers_has_operations():
    """`public` only reads: it shows published results and checks receipts."""
    def has_operations(package: Path) -> bool:
        names = SPLIT_OPERATIONS.get(package.name, ("operations.py",))
        return all((package / name).exists() for name in names)
    missing = [p.parent.name for p in PACKAGE.glob("*/controllers.py")
               if p.parent.name != "public" and not has_operations(p.parent)]
    assert not missing


@pytest.mark.parametrize("path", CLI_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_cli_modules_take_their_helpers_from_clitools(path):
    """No CLI module imports names from another: `fail`, the campaign lookup and the prompts are in clitools.
    (`cli.init_app` registers the others' commands by importing their modules, which is not a helper.)"""
    found = re.findall(r"^\s*from \.+(?:\w+\.)*(?:cli|backup) import .*$", path.read_text(), flags=re.M)
    assert not found


def test_the_language_of_a_stored_pair_is_chosen_in_one_place():
    """`labels.in_language` picks the Chinese or the English words; no model or template tests the locale itself."""
    pattern = re.compile(r"""startswith\(\s*["']en["']\s*\)""")
    found = [f"{path.relative_to(PACKAGE)}:{n}" for path in sorted(PACKAGE.rglob("*"))
             if path.suffix in (".py", ".html") and path != PACKAGE / "labels.py"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not found, "use labels.in_language:\n" + "\n".join(found)
