"""Problems of a questionnaire in the reader's language, and where on a form each one belongs."""
from __future__ import annotations

import re

from flask_babel import gettext, lazy_gettext as _l
import questionnaires
from questionnaires import Problem, Questionnaire

#: one translatable sentence per Problem.code; %(name)s placeholders are the problem's params
MESSAGES = {
    "yaml_syntax": _l("This is not valid YAML: %(problem)s"),
    "bad_encoding": _l("The file is not UTF-8 text (byte %(offset)s)."),
    "duplicate_key": _l("The key %(key)s is written twice."),
    "bad_type": _l("Expected %(expected)s here, found %(got)s."),
    "unknown_key": _l("The key %(key)s is not allowed here (allowed: %(allowed)s)."),
    "required_key": _l("%(key)s is required."),
    "bad_format": _l("Format %(format)s is not supported (supported: %(supported)s)."),
    "bad_code": _l("The code %(code)s is not valid: use 1 to 64 letters, digits, '_', '.' or '-'."),
    "unknown_kind": _l("Unknown kind %(kind)s."),
    "missing_translation": _l("Write this text in %(lang)s too."),
    "not_finite": _l("Enter a finite number."),
    "empty_scale": _l("The scale needs options."),
    "too_few_scored_options": _l("The scale needs at least two options with points (it has %(count)s)."),
    "duplicate_code": _l("The code %(code)s is used twice."),
    "points_order": _l("The points of %(code)s (%(points)s) must be lower than those of %(previous)s (%(previous_points)s): options go best first."),
    "multiple_dont_know": _l("Only one option may have no points (\"don't know\"); %(first)s has none already."),
    "unknown_option": _l("The scale has no option %(code)s."),
    "overlapping_classes": _l("Option %(code)s cannot be both satisfied and dissatisfied."),
    "dont_know_classified": _l("The \"don't know\" option %(code)s counts neither as satisfied nor as dissatisfied."),
    "negative_weight": _l("A weight cannot be negative (%(weight)s)."),
    "zero_weights": _l("Not all weights may be 0: nothing could be scored."),
    "unknown_item_type": _l("Unknown question type %(type)s."),
    "unknown_dimension": _l("Question %(item)s names the dimension %(dimension)s, which does not exist."),
    "not_applicable": _l("A question of type %(type)s does not take %(key)s."),
    "rating_per_ballot": _l("A rating question is always asked for each target."),
    "too_few_choices": _l("A choice question needs at least two options (it has %(count)s)."),
    "empty_groups": _l("Name at least one group, or leave the groups empty to ask everyone."),
    "not_positive": _l("Enter a whole number of at least 1."),
    "empty_dimension": _l("The dimension %(dimension)s has no rating question: add one, or delete the dimension."),
    "empty_section": _l("The section %(code)s has no questions: a section needs at least one."),
    "no_items": _l("The questionnaire has no questions."),
    "no_rating_items": _l("The questionnaire needs at least one rating question: nothing could be scored."),
    "out_of_range": _l("Enter a number between -%(limit)s and %(limit)s."),
    "too_large": _l("The file is too large (%(size)s bytes; at most %(limit)s bytes): this is not a questionnaire."),
    "too_deep": _l("The values are nested more than %(limit)s levels deep: this is not a questionnaire."),
    "unknown_section_kind": _l("Unknown section kind %(kind)s."),
    "unknown_source": _l("Unknown source %(source)s of target-specific questions."),
    "duplicate_source": _l("Two sections take their questions from %(source)s."),
    "template_not_rating": _l("The template of the section %(code)s must be a rating question."),
    "missing_placeholder": _l("The template text of the section %(code)s needs %(placeholder)s in Chinese and in English."),
    "reserved_code": _l("The code %(code)s starts like a target-specific question's (p. or r.): choose another."),
    "too_many_nodes": _l("The file holds more than %(limit)s values (an alias counts each time it is used): this is not a questionnaire."),
}

LANGUAGES = {"zh": _l("Chinese"), "en": _l("English")}


def message(problem: Problem) -> str:
    """The problem as a sentence in the current language; the English original if that fails."""
    template = MESSAGES.get(problem.code)
    if problem.code == "bad_type" and problem.params.get("expected") in ("number", "integer"):
        template = _l("Enter a number.")
    elif problem.code == "bad_code" and not problem.params.get("code"):
        template = _l("Enter a code.")
    if template is None:
        return problem.message
    params = {}
    for key, value in problem.params.items():
        if key == "lang":
            value = LANGUAGES.get(value, value)
        elif isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        params[key] = "—" if value is None else value
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return problem.message


def with_line(problem: Problem) -> str:
    """For YAML imports: the line, then the sentence."""
    text = message(problem)
    return gettext("line %(n)d: %(message)s", n=problem.line, message=text) if problem.line else text


def parse_upload(raw: bytes) -> tuple[Questionnaire | None, list[str]]:
    """An uploaded YAML file as a questionnaire, or None and the problems, each with its line.

    `questionnaires.loads` takes the bytes as they came, so a file that is not UTF-8 is one of
    its problems too.
    """
    try:
        return questionnaires.loads(raw), []
    except questionnaires.QuestionnaireInvalid as invalid:
        return None, [with_line(p) for p in invalid.problems]


_INDEX = re.compile(r"\[(\d+)\]")


def steps(path: str) -> list[str | int]:
    """``sections[0].items[2].text.zh`` -> ``['sections', 0, 'items', 2, 'text', 'zh']``."""
    out: list[str | int] = []
    for part in path.split(".") if path else []:
        name, _, rest = part.partition("[")
        if name:
            out.append(name)
        out.extend(int(n) for n in _INDEX.findall("[" + rest) if rest)
    return out


class FieldErrors:
    """Problems sorted onto the fields of one form; what fits no field stays in ``general``.

    ``place`` maps a problem's path steps (below the form's own prefix) to a field name, or
    returns None.
    """

    def __init__(self, problems, prefix: list, place):
        self.fields: dict[str, list[str]] = {}
        self.general: list[str] = []
        self.elsewhere: list[str] = []
        for problem in problems:
            path = steps(problem.path)
            text = message(problem)
            if path[:len(prefix)] != prefix:
                self.elsewhere.append(text)
                continue
            name = place(path[len(prefix):], problem)
            if name is None:
                self.general.append(text)
            else:
                self.fields.setdefault(name, []).append(text)

    def get(self, name: str) -> list[str]:
        return self.fields.get(name, [])

    def __bool__(self) -> bool:
        return bool(self.fields or self.general or self.elsewhere)
