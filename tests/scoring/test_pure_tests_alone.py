"""The tests of the pure packages need no web stack: in a Python that cannot import Flask, its
extensions, SQLAlchemy or survey_app, tests/scoring and tests/questionnaires collect whole and
their modules pass, while the web tests cannot even be collected."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: the web stack, by top-level module (and every flask_* extension)
WEB_STACK = ("flask", "werkzeug", "wtforms", "sqlalchemy", "alembic", "survey_app")
#: a few quick modules that use both pure conftests
QUICK = ("tests/scoring/test_scoring_errors.py", "tests/scoring/test_scoring_rules.py",
         "tests/questionnaires/test_questionnaire_validation.py")

#: runs pytest with an import hook that refuses the web stack as if it were not installed
WITHOUT_WEB_STACK = f"""
import sys


class WebStackRefused:
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in {WEB_STACK!r} or top.startswith("flask_"):
            raise ModuleNotFoundError(f"{{name}} is not installed here", name=name)
        return None


sys.meta_path.insert(0, WebStackRefused())
import pytest

sys.exit(pytest.main(sys.argv[1:]))
"""


def pytest_without_web_stack(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT_WEB_STACK, "-q", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("args", [("--collect-only", "tests/scoring", "tests/questionnaires"), QUICK],
                         ids=["collect-both-folders", "run-quick-modules"])
def test_pure_tests_run_without_the_web_stack(args):
    done = pytest_without_web_stack(*args)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert " error" not in done.stdout.splitlines()[-1]


def test_the_web_tests_need_the_web_stack():
    """The hook does refuse: without the web stack the web tests' conftest fails to import."""
    done = pytest_without_web_stack("--collect-only", "tests/web/test_factory.py")
    assert done.returncode != 0
    assert "is not installed here" in done.stdout + done.stderr
