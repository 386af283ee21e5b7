"""Each job in its room: controllers change nothing themselves, CLI modules share one helper module,
and imports follow the layers (the box at the bottom, only the results wing calls the engine)."""
import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import survey_app

PACKAGE = Path(survey_app.__file__).parent
CONTROLLERS = sorted(PACKAGE.glob("*/controllers.py")) + [PACKAGE / "admin" / "officers.py"]
CLI_MODULES = [PACKAGE / "cli.py", PACKAGE / "backup.py", PACKAGE / "moving.py", PACKAGE / "paper" / "cli.py",
               PACKAGE / "reports" / "cli.py", PACKAGE / "meetings" / "cli.py"]

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


# -- who may import whom: read from the code with `ast`, imports inside functions included ----------

#: modules every feature may use: the app's infrastructure, not a feature of its own
SHARED = {"extensions", "models", "audit", "config", "errors", "i18n", "labels", "formtools", "paging", "printing",
          "routing", "security", "clitools"}
#: what a feature may import besides itself and SHARED (features absent here are not limited by this test)
MAY_IMPORT = {
    # the ballot box is the bottom floor: nothing after counting, nothing of the pages above it
    "ballots": set(),
    # what happens after counting reads the box, never the pages that show it (publishing: admin -> results)
    "results": {"ballots"},
}
#: the only names of the scoring package that code outside `survey_app.results` may import:
#: the canonical bytes and the column names of answers.csv, which are formats, not the engine
ENGINE_FREE = {("scoring", "canonical_json"), ("scoring.output", "canonical_json"), ("scoring.answers", "COLUMNS"),
                ("scoring.files", "COLUMNS")}
#: a feature's views and forms, which no other feature imports (the questionnaire pages are the designer's)
PRIVATE = {"controllers", "forms"}
#: the one feature that calls the engine (`score`, `Method`, `Answers`)
ENGINE_USER = "results"


@dataclass(frozen=True)
class Imported:
    line: int
    #: the absolute module named by the statement, and each name taken from it (None for `import x`)
    module: str
    name: str | None
    in_function: bool
    #: a comment on the statement's line, or on the line above it (or above the run of imports it is part of)
    explained: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def feature_of(module: str) -> str:
    """The top-level part of survey_app a module belongs to ("" for the package itself); any
    other package (the standard library, a third party, scoring) is its own feature."""
    parts = module.split(".")
    if parts[0] != "survey_app":
        return parts[0]
    return parts[1] if len(parts) > 1 else ""


def imports_in(source: str, module: str, is_package: bool = False) -> list[Imported]:
    """Every import statement of a module's source, module level and inside functions."""
    tree = ast.parse(source)
    lines = source.splitlines()
    #: every line an import statement covers (one may span several)
    import_lines = {n for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                    for n in range(node.lineno, node.end_lineno + 1)}

    def explained(lineno: int) -> bool:
        if "#" in lines[lineno - 1]:
            return True
        above = lineno - 1
        while above in import_lines or (not lines[above - 1].strip() and above - 1 in import_lines):
            above -= 1  # up the run of imports (blank lines between its sections included)
        return above > 0 and lines[above - 1].strip().startswith("#")

    in_function: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            in_function |= {id(sub) for sub in ast.walk(node) if isinstance(sub, (ast.Import, ast.ImportFrom))}
    package = module if is_package or "." not in module else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Imported(node.lineno, alias.name, None, id(node) in in_function, explained(node.lineno))
                      for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(parent + ([node.module] if node.module else []))
            found += [Imported(node.lineno, base, alias.name, id(node) in in_function, explained(node.lineno))
                      for alias in node.names]
    return sorted(found, key=lambda i: i.line)


def targets(imported: Imported) -> list[str]:
    """The modules an import may reach: `from survey_app import results` reaches survey_app.results."""
    return [imported.module] + ([f"{imported.module}.{imported.name}"] if imported.name else [])


def broken_rules(source: str, module: str, is_package: bool = False) -> list[str]:
    """What in this module's imports breaks the layering, one line each."""
    own = feature_of(module)
    problems = []
    for imp in imports_in(source, module, is_package):
        reached = {feature_of(t) for t in targets(imp) if t.startswith("survey_app.")}
        if feature_of(imp.module) != feature_of(module) and imp.module.startswith("survey_app"):
            reached.add(feature_of(imp.module))
        shown = f"{module}:{imp.line}: {imp.module}" + (f" import {imp.name}" if imp.name else "")
        if own in MAY_IMPORT:
            for feature in reached - {own, ""} - SHARED - MAY_IMPORT[own]:
                problems.append(f"{shown}: {own} must not import {feature}")
        for target in targets(imp):
            parts = target.split(".")
            if parts[0] == "survey_app" and len(parts) > 2 and parts[2] in PRIVATE and parts[1] != own:
                problems.append(f"{shown}: {parts[1]}'s pages are served by {parts[1]} alone "
                                f"(its {parts[2]} are its own; call its operations)")
        if (imp.module == "scoring" or imp.module.startswith("scoring.")) and own != ENGINE_USER \
                and (imp.module, imp.name) not in ENGINE_FREE:
            problems.append(f"{shown}: only survey_app.{ENGINE_USER} calls the scoring engine")
        if imp.in_function and not imp.explained and feature_of(imp.module) != own:
            named = targets(imp)[-1] if imp.module == "survey_app" else imp.module
            problems.append(f"{module}:{imp.line}: {named}: an import inside a function that crosses features "
                            "says why in a comment (or moves to the top of the module)")
    return list(dict.fromkeys(problems))


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path):
    problems = broken_rules(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("module", "source", "expected"), [
    # the engine is called from survey_app.results only
    ("survey_app.reports.operations", "import scoring\n", "only survey_app.results calls the scoring engine"),
    ("survey_app.reports.operations", "from scoring import score, Method\n", "only survey_app.results calls"),
    ("survey_app.admin.operations", "def f():\n    from scoring.answers import Answers\n", "only survey_app.results"),
    ("survey_app.paper.imports", "from scoring.engine import score  # why not\n", "only survey_app.results"),
    # the box never reaches up
    ("survey_app.ballots.operations", "from .. import results\n", "ballots must not import results"),
    ("survey_app.ballots.operations", "from ..results.adapter import campaign_layout\n",
     "ballots must not import results"),
    ("survey_app.ballots.counting", "def f():\n    from survey_app.reports import pdf  # lazy\n",
     "ballots must not import reports"),
    ("survey_app.ballots.slips", "import survey_app.admin.operations\n", "ballots must not import admin"),
    # results reads the box, not the pages
    ("survey_app.results.publication", "from ..reports import bundle\n", "results must not import reports"),
    ("survey_app.results.decisions", "def f():\n    from ..admin.operations import LifecycleError  # cycle\n",
     "results must not import admin"),
    # a feature's pages are its own
    ("survey_app.admin.controllers", "from ..designer import controllers as designer\n", "served by designer alone"),
    ("survey_app.admin.controllers", "from ..designer.forms import ImportForm\n", "served by designer alone"),
    # an import inside a function that crosses features says why
    ("survey_app.admin.operations", "def f():\n    from ..ballots import counting\n", "says why"),
    ("survey_app.cli", "def f():\n    import json\n", "says why"),
    ("survey_app", "def create_app():\n    # comment\n    x = 1\n    from .admin import blueprint\n", "says why"),
])
def test_the_layering_test_catches_a_broken_rule(module, source, expected):
    problems = broken_rules(source, module)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(("module", "source"), [
    ("survey_app.results.adapter", "import scoring\nfrom scoring import Method, score\n"),
    ("survey_app.results.decisions", "from ..ballots.operations import turnout\nfrom ..extensions import db\n"),
    ("survey_app.audit", "from scoring import canonical_json\n"),
    ("survey_app.paper.imports", "from scoring.answers import COLUMNS\n"),
    ("survey_app.paper.imports", "from scoring.files import COLUMNS\n"),
    ("survey_app.admin.operations", "from ..results import publication\nfrom ..ballots import counting\n"),
    ("survey_app.paper.cli", "def f():\n    from . import imports\n"),
    ("survey_app.designer.blueprint", "from . import controllers as c\n"),
    ("survey_app.admin.controllers", "from ..designer import operations\n"),
    ("survey_app.reports.pdf", "def f():\n    from weasyprint import HTML  # heavy: only when a PDF is made\n"),
    ("survey_app.reports.pdf", "def f():\n    # heavy: only when a PDF is made\n    from weasyprint import CSS\n"
                               "    from weasyprint.text.fonts import FontConfiguration\n"),
])
def test_the_layering_test_lets_what_the_rules_allow(module, source):
    assert broken_rules(source, module) == []
