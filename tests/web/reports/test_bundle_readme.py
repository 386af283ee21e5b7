"""The bundle recomputes by its own README: a clean virtual environment with exactly the packages
the README names (pinned as installed where it published), its commands run as written, the hash
compared with the published one. The venv is made once a session (about half a minute)."""
import ast
import sys
from pathlib import Path

import pytest
import scoring

from survey_app.extensions import db
from survey_app.models import Campaign
from survey_app.results import bundle

from tests.web.reports.bundle_venv import follow_readme, installed


def test_the_readme_names_every_package_the_scoring_program_imports():
    """A new import in `scoring` that the bundle's README does not name would break every recompute."""
    imported = set()
    for source in Path(scoring.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = {name for name in imported if name not in sys.stdlib_module_names and name != "scoring"}
    assert third_party == set(bundle.SCORING_PACKAGES)
    assert all("==" in pin for pin in bundle.requirements())


@pytest.mark.parametrize("backend", ["sqlite"])
def test_bundle_recomputes_in_a_clean_venv_by_its_readme(app, client, published_campaign, tmp_path,
                                                         tmp_path_factory):
    response = client.get("/results/rep/bundle.zip")
    assert response.status_code == 200
    folder = tmp_path / "bundle"
    folder.mkdir()
    sha, setup, printed = follow_readme(response.data, folder, tmp_path_factory.getbasetemp())
    with app.app_context():
        published = db.session.get(Campaign, published_campaign).published_sha256
    assert sha == published
    assert printed.count(published) == 2  # `sha256sum results.json recomputed.json`: both lines
    pins = set(bundle.requirements())
    assert setup[-1] == "venv/bin/pip install " + " ".join(sorted(pins, key=bundle.requirements().index))
    # exactly what the README names, and what those need themselves (none, for numpy and scipy)
    assert {pin.lower() for pin in pins} <= installed(folder / "venv")
    assert (folder / "requirements.txt").read_text().split() == bundle.requirements()
