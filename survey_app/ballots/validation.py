"""The one place where a submitted ballot is checked against its questionnaire.

Web answers, paper entry and CSV import all turn into a `BallotContent` here.
"""
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import questionnaires
from flask_babel import lazy_gettext as _l


#: Control characters other than tab and line breaks: invisible, and the only characters
#: the envelope's JSON spells in more than 4 bytes, which would break its fixed size.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class BallotContent:
    #: (target code or None, item code, option or space-joined options)
    answers: list[tuple[str | None, str, str]] = field(default_factory=list)
    #: (target code or None, item code, text)
    comments: list[tuple[str | None, str, str]] = field(default_factory=list)

    def to_envelope(self, version_id: int, group_code: str) -> dict:
        return {"v": version_id, "g": group_code,
                "a": [list(a) for a in self.answers], "c": [list(c) for c in self.comments]}


#: The longest free-text answer when an item sets no `max_length`.
DEFAULT_TEXT_LIMIT = 2000


def text_limit(item) -> int:
    """The most a free-text item accepts, in `text_length` units."""
    return getattr(item, "max_length", None) or DEFAULT_TEXT_LIMIT


def text_length(text: str) -> int:
    """A text's length as a browser's `maxlength` counts it: in UTF-16 code units.

    A character outside the Basic Multilingual Plane (an emoji, a rare CJK character) counts
    two, as the answer page's textarea counts it, so that a comment the page accepted is never
    refused here; it also bounds every comment to 2 bytes a unit in the sealed envelope.
    """
    return len(text.encode("utf-16-le")) // 2


def field_name(item_code: str, target_code: str | None) -> str:
    return f"t.{target_code}.{item_code}" if target_code else f"b.{item_code}"


def asked(q: questionnaires.Questionnaire, group_code: str, target_codes: Sequence[str]):
    """(item, target code or None) for every question the group is asked, in order."""
    for item in q.items_for(group_code):
        if item.per_target:
            for target in target_codes:
                yield item, target
        else:
            yield item, None


def validate(q: questionnaires.Questionnaire, group_code: str, target_codes: Sequence[str],
             values: Mapping[str, Sequence[str]], *, require_answers: bool = True
             ) -> tuple[BallotContent, dict[str, str]]:
    """Check raw values (field name -> list of strings) and return content and field errors.

    `require_answers=False` accepts unanswered required items: a paper sheet or an imported
    ballot is what the respondent marked, gaps included.
    """
    content, errors = BallotContent(), {}
    scale_codes = {o.code for o in q.scale.options}
    for item, target in asked(q, group_code, target_codes):
        name = field_name(item.code, target)
        raw = [v.strip() for v in values.get(name, ()) if v is not None and v.strip()]
        if item.type == "text":
            text = _CONTROL.sub("", raw[0]) if raw else ""
            limit = text_limit(item)
            if text_length(text) > limit:
                errors[name] = _l("At most %(n)d characters, please.", n=limit)
            elif text:
                content.comments.append((target, item.code, text))
            elif item.required and require_answers:
                errors[name] = _l("Please write an answer.")
            continue
        allowed = scale_codes if item.type == "rating" else {c.code for c in item.options}
        if not raw:
            if item.required and require_answers:
                errors[name] = _l("Please choose an answer.")
            continue
        if any(v not in allowed for v in raw):
            errors[name] = _l("This is not one of the offered answers.")
            continue
        if item.type == "multiple":
            chosen = [c.code for c in item.options if c.code in set(raw)]
            content.answers.append((target, item.code, " ".join(chosen)))
        elif len(set(raw)) > 1:
            errors[name] = _l("Please choose only one answer.")
        else:
            content.answers.append((target, item.code, raw[0]))
    return content, errors
