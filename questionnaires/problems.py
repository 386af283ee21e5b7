"""What is wrong with a questionnaire, in a form both people and programs can use."""
from __future__ import annotations

from dataclasses import dataclass, field

#: Every Problem.code there is; docs/questionnaire-format.md explains each.
PROBLEM_CODES: tuple[str, ...] = (
    "yaml_syntax", "bad_encoding", "duplicate_key", "bad_type", "unknown_key",
    "required_key", "bad_format", "bad_code", "unknown_kind", "missing_translation",
    "not_finite", "empty_scale", "too_few_scored_options", "duplicate_code", "points_order",
    "multiple_dont_know", "unknown_option", "overlapping_classes", "dont_know_classified",
    "negative_weight", "zero_weights", "unknown_item_type", "unknown_dimension",
    "not_applicable", "rating_per_ballot", "too_few_choices", "empty_groups", "not_positive",
    "empty_dimension", "empty_section", "no_items", "no_rating_items",
    "too_large", "too_deep", "too_many_nodes", "out_of_range",
    "unknown_section_kind", "unknown_source", "duplicate_source", "template_not_rating",
    "missing_placeholder", "reserved_code",
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a questionnaire definition.

    ``code`` is stable and ``params`` holds the values the message names, so a web page
    can show its own translated sentence; ``message`` is an English sentence that starts
    with the line (or, for dictionaries, the path).
    """

    #: 1-based line in the YAML text, ``None`` when validating a dictionary
    line: int | None
    #: where in the document, e.g. ``"sections[0].items[2].dimension"`` (``""`` = the whole)
    path: str
    code: str
    message: str
    params: dict = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        assert self.code in PROBLEM_CODES, f"undocumented problem code {self.code!r}"

    def __str__(self) -> str:
        return self.message


class QuestionnaireInvalid(ValueError):
    """A questionnaire definition that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(p.message for p in self.problems)
