"""The one place where a submitted ballot is checked against its questionnaire, and where
what a respondent group is asked is worked out.

Web answers, paper entry and CSV import all turn into a `BallotContent` here; the answer
page, the designer's preview and the paper sheets show what `asked()` returns.
"""
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

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


def asks_target(campaign_target, group_code: str) -> bool:
    """Whether a group appraises one of the campaign's targets: every group does, unless the
    target names the groups that appraise it."""
    return not campaign_target.group_codes or group_code in campaign_target.group_codes


def targets_asked(campaign_targets: Iterable, group_code: str) -> list:
    """The campaign targets (in the order given) that a group appraises."""
    return [ct for ct in campaign_targets if asks_target(ct, group_code)]


def target_code(target) -> str | None:
    """The code of a target as the callers of `asked` hold it: a code, a Target or a CampaignTarget."""
    if target is None or isinstance(target, str):
        return target
    return getattr(target, "code", None) or getattr(getattr(target, "target", None), "code", None)


@dataclass(frozen=True)
class Asked:
    """What a respondent group is asked: its items, in questionnaire order, and its targets.

    `targets` are whatever the caller works with (target codes for the validator, campaign
    targets for the answer page, targets for a paper sheet); iterating gives (item, target or
    None) for every question, in the order the validator checks them.
    """
    items: tuple[questionnaires.Item, ...]
    targets: tuple = ()

    @cached_property
    def per_target(self) -> tuple[questionnaires.Item, ...]:
        """The items answered once for every target."""
        return tuple(item for item in self.items if item.per_target)

    @cached_property
    def per_ballot(self) -> tuple[questionnaires.Item, ...]:
        """The items answered once per ballot."""
        return tuple(item for item in self.items if not item.per_target)

    @cached_property
    def _item_codes(self) -> frozenset[str]:
        return frozenset(item.code for item in self.items)

    @cached_property
    def _target_set(self) -> frozenset:
        return frozenset(self.targets)

    def asks_item(self, item: questionnaires.Item) -> bool:
        """Whether the item is one the group is asked."""
        return item.code in self._item_codes

    def asks_about(self, target) -> bool:
        """Whether the target is one the group appraises."""
        return target in self._target_set

    def asks_of(self, item: questionnaires.Item, target) -> bool:
        """Whether the item is asked about this target: a target-specific item only of its own."""
        return item.target is None or item.target == target_code(target)

    def items_for(self, target) -> tuple[questionnaires.Item, ...]:
        """The per-target items asked about one target: the fixed ones, then its own."""
        return tuple(item for item in self.per_target if self.asks_of(item, target))

    def __iter__(self) -> Iterator[tuple[questionnaires.Item, object]]:
        for item in self.items:
            if item.per_target:
                for target in self.targets:
                    if self.asks_of(item, target):
                        yield item, target
            else:
                yield item, None


def asked(q: questionnaires.Questionnaire, group_code: str | None, targets: Iterable = ()) -> Asked:
    """What respondents of a group are asked about `targets`; `group_code=None`: every item
    of the questionnaire (the designer's preview of all questions)."""
    return Asked(q.items() if group_code is None else q.items_for(group_code), tuple(targets))


@dataclass(frozen=True)
class _Field:
    name: str
    type: str
    target: str | None
    item: str
    required: bool
    #: the option codes a choice accepts (in the item's order), or a text's limit
    allowed: frozenset | int
    order: tuple = ()


@dataclass(frozen=True)
class _Plan:
    """`validate`'s checks for one questionnaire, group and targets, worked out once."""
    #: fields of target-specific items for the targets they are not about: must stay empty
    foreign: tuple[str, ...]
    fields: tuple[_Field, ...]


#: (id of the questionnaire, group, targets) -> (the questionnaire, its plan); the questionnaire
#: is kept with its plan, so that its id is not another's while the plan is here
_PLANS: dict[tuple, tuple] = {}


def _plan(q: questionnaires.Questionnaire, group_code: str, target_codes: Sequence[str]) -> _Plan:
    key = (id(q), group_code, tuple(target_codes))
    kept = _PLANS.get(key)
    if kept is not None and kept[0] is q:
        return kept[1]
    questions = asked(q, group_code, target_codes)
    scale = frozenset(o.code for o in q.scale.options)
    foreign = tuple(field_name(item.code, target) for item in questions.per_target if item.target is not None
                    for target in questions.targets if target != item.target)
    fields = []
    for item, target in questions:
        if item.type == "text":
            allowed, order = text_limit(item), ()
        else:
            order = tuple(c.code for c in item.options) if item.type != "rating" else ()
            allowed = scale if item.type == "rating" else frozenset(order)
        fields.append(_Field(field_name(item.code, target), item.type, target, item.code, bool(item.required),
                             allowed, order))
    plan = _Plan(foreign, tuple(fields))
    if len(_PLANS) >= 256:  # a process serves a few campaigns at a time
        _PLANS.clear()
    _PLANS[key] = (q, plan)
    return plan


def validate(q: questionnaires.Questionnaire, group_code: str, target_codes: Sequence[str],
             values: Mapping[str, Sequence[str]], *, require_answers: bool = True
             ) -> tuple[BallotContent, dict[str, str]]:
    """Check raw values (field name -> list of strings) and return content and field errors.

    `require_answers=False` accepts unanswered required items: a paper sheet or an imported
    ballot is what the respondent marked, gaps included.
    """
    content, errors = BallotContent(), {}
    plan = _plan(q, group_code, target_codes)
    for name in plan.foreign:  # a target-specific item answered for another target: refused
        if any(v and v.strip() for v in values.get(name, ())):
            errors[name] = _l("This question is not asked about this target.")
    for f in plan.fields:
        name = f.name
        raw = [v.strip() for v in values.get(name, ()) if v is not None and v.strip()]
        if f.type == "text":
            text = _CONTROL.sub("", raw[0]) if raw else ""
            if text_length(text) > f.allowed:
                errors[name] = _l("At most %(n)d characters, please.", n=f.allowed)
            elif text:
                content.comments.append((f.target, f.item, text))
            elif f.required and require_answers:
                errors[name] = _l("Please write an answer.")
            continue
        if not raw:
            if f.required and require_answers:
                errors[name] = _l("Please choose an answer.")
            continue
        if any(v not in f.allowed for v in raw):
            errors[name] = _l("This is not one of the offered answers.")
            continue
        if f.type == "multiple":
            chosen = set(raw)
            content.answers.append((f.target, f.item, " ".join(c for c in f.order if c in chosen)))
        elif len(raw) > 1 and len(set(raw)) > 1:
            errors[name] = _l("Please choose only one answer.")
        else:
            content.answers.append((f.target, f.item, raw[0]))
    return content, errors


def shorten(value: str, limit: int = 60) -> str:
    """A value as quoted in a problem: a long one cut, so that the message stays readable."""
    return value if len(value) <= limit else value[:limit] + "…"


class ImportedBallot:
    """The validator's mode for a ballot read from a file, one row at a time (answers.csv).

    A form only sends the fields it shows; a file may name anything. `add` checks each row's
    field as it comes — an unknown item or target, one the group is not asked, free text
    (never imported), a target given for an item asked once per ballot or missing for one
    asked per target, the same answer twice — so that a bad file is refused at its first
    thousand problems without being read to the end; `finish` then checks the options with
    `validate`, gaps allowed (a ballot is what the respondent marked).
    """

    def __init__(self, q: questionnaires.Questionnaire, ballot: str, group_code: str, questions: Asked):
        self.q, self.ballot, self.group_code, self.questions = q, ballot, group_code, questions
        #: field name -> (values, row)
        self.fields: dict[str, tuple[list[str], int]] = {}

    def add(self, row: int, target: str, item_code: str, option: str):
        """Take one row's answer; returns why the row is refused, or None."""
        try:
            item = self.q.item(item_code)
        except KeyError:
            return _l("unknown item %(v)r", v=shorten(item_code))
        if not self.questions.asks_item(item):
            return _l("item %(i)s is not asked of group %(g)s", i=shorten(item_code), g=shorten(self.group_code))
        if item.type == "text":
            return _l("item %(i)s is a free-text item; free text is not imported", i=shorten(item_code))
        if item.per_target:
            if not self.questions.asks_about(target):
                if target:
                    return _l("unknown target %(t)r for group %(g)s", t=shorten(target), g=shorten(self.group_code))
                return _l("item %(i)s is asked per target: the target is missing", i=shorten(item_code))
            if not self.questions.asks_of(item, target):
                return _l("item %(i)s is asked of target %(o)s only, not of %(t)s", i=shorten(item_code),
                          o=shorten(item.target), t=shorten(target))
        elif target:
            return _l("item %(i)s is asked once per ballot: leave the target empty", i=shorten(item_code))
        name = field_name(item_code, target or None)
        if name in self.fields:
            return _l("ballot %(b)s answers item %(i)s for this target twice (first in row %(r)d)",
                      b=shorten(self.ballot), i=shorten(item_code), r=self.fields[name][1])
        self.fields[name] = (option.split() if item.type == "multiple" else ([option] if option else []), row)
        return None

    def finish(self) -> tuple[BallotContent, list[tuple[int, str]]]:
        """The ballot's content and its problems as (row, reason): options not offered, several
        options for a single-choice item."""
        content, errors = validate(self.q, self.group_code, self.questions.targets,
                                   {name: values for name, (values, _row) in self.fields.items()},
                                   require_answers=False)
        return content, [(self.fields[name][1], str(_l("%(why)s (option %(v)r)", why=str(message),
                                                            v=shorten(" ".join(self.fields[name][0])))))
                         for name, message in errors.items()]
