"""The built-in templates, one per appraisal kind, shipped as package data."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from .schema import KINDS, Questionnaire
from .yaml_io import loads


def template_kinds() -> list[str]:
    """The kinds that have a built-in template, in the order to offer them."""
    return list(KINDS)


@lru_cache(maxsize=None)
def template(kind: str) -> Questionnaire:
    """The built-in questionnaire for ``kind`` (a fresh campaign's starting point).

    Raises ValueError for a kind that has no template."""
    if kind not in KINDS:
        raise ValueError(f"no template for kind {kind!r} (one of {', '.join(KINDS)})")
    source = resources.files(__package__).joinpath("templates", f"{kind}.yaml")
    return loads(source.read_bytes())
