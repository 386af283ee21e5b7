"""Shared material for the questionnaire tests: a small valid YAML document whose line
numbers the validation tests rely on."""
from pathlib import Path

import pytest

import questionnaires

#: A valid questionnaire; the validation tests edit it and name lines of it.
BASE_YAML = (Path(__file__).parent / "base.yaml").read_text(encoding="utf-8")


@pytest.fixture
def base_yaml() -> str:
    return BASE_YAML


@pytest.fixture
def base() -> questionnaires.Questionnaire:
    """The base document, loaded."""
    return questionnaires.loads(BASE_YAML)
