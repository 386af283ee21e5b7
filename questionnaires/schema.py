"""The questionnaire as immutable values: what a validated YAML file turns into.

Every class is a frozen dataclass holding tuples, never lists, so a questionnaire is
hashable, comparable with ``==`` and safe to share between requests and threads.
Instances are normally made by :func:`questionnaires.loads` or
:func:`questionnaires.from_dict`, which validate; constructing them by hand skips
validation.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from collections.abc import Iterable
from functools import cached_property

#: The appraisal kinds a questionnaire can serve, in the order templates are offered.
KINDS: tuple[str, ...] = ("work_style", "sector_style", "integrity_report",
                          "integrity_assessment", "decision", "public_rating")

#: Item types: ``rating`` is answered on the questionnaire's scale and scored; the
#: others are recorded but never scored.
ITEM_TYPES: tuple[str, ...] = ("rating", "single", "multiple", "text")

#: Section kinds: ``fixed`` sections list their items; a ``target_specific`` section holds
#: items that exist for one target only, which a campaign supplies from data (a leader's
#: published commitments, a unit's rectification items) after a template.
SECTION_KINDS: tuple[str, ...] = ("fixed", "target_specific")

#: Where a target-specific section's items come from, and the prefix of their codes
#: (``p.<commitment id>``, ``r.<rectification item id>``); fixed items may not use these prefixes.
SOURCES: dict[str, str] = {"commitments": "p", "rectification": "r"}

#: The placeholder of a template's text that a target-specific item's own words replace.
PLACEHOLDER = "{title}"

#: The YAML format version this package reads and writes.
FORMAT_VERSION = 1


def _freeze(instance: object, *names: str) -> None:
    """Turn list fields given by hand into tuples, keeping instances hashable."""
    for name in names:
        value = getattr(instance, name)
        if not isinstance(value, tuple):
            object.__setattr__(instance, name, tuple(value))


@dataclass(frozen=True)
class Text:
    """A string in both languages of the platform; both are always non-empty."""

    zh: str
    en: str

    def get(self, locale: object = "zh") -> str:
        """The text for ``locale`` (``'zh'``, ``'zh_CN'``, ``'en'``, ``'en_GB'``, a Babel
        ``Locale``…): English for English locales when present, Chinese otherwise."""
        tag = str(locale or "zh").replace("-", "_").lower()
        if tag.split("_", 1)[0] == "en" and self.en:
            return self.en
        return self.zh

    def __str__(self) -> str:
        return self.zh


@dataclass(frozen=True)
class ScaleOption:
    """One answer on the rating scale; ``points`` is ``None`` for "don't know"."""

    code: str
    label: Text
    points: int | float | None

    @property
    def is_dont_know(self) -> bool:
        return self.points is None


@dataclass(frozen=True)
class Scale:
    """The answer scale shared by every rating item, ordered best first."""

    options: tuple[ScaleOption, ...]
    #: codes of the options counted as satisfied (满意率)
    satisfied: tuple[str, ...] = ()
    #: codes of the options counted as dissatisfied (不满意率, drives the alerts)
    dissatisfied: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _freeze(self, "options", "satisfied", "dissatisfied")

    def option(self, code: str) -> ScaleOption:
        """The option with this code; ``KeyError`` when there is none."""
        for option in self.options:
            if option.code == code:
                return option
        raise KeyError(code)

    @property
    def dont_know(self) -> ScaleOption | None:
        """The "don't know" option (points ``None``), or ``None`` when the scale has none."""
        return next((o for o in self.options if o.points is None), None)

    @property
    def scored_options(self) -> tuple[ScaleOption, ...]:
        """The options that carry points, best first."""
        return tuple(o for o in self.options if o.points is not None)


@dataclass(frozen=True)
class Dimension:
    """A scored aspect (维度) that groups rating items, with its weight in the score."""

    code: str
    name: Text
    weight: float = 1.0


@dataclass(frozen=True)
class Choice:
    """One option of a ``single`` or ``multiple`` item (never scored)."""

    code: str
    label: Text


@dataclass(frozen=True)
class Item:
    """One question (题目)."""

    code: str
    #: one of ITEM_TYPES
    type: str
    text: Text
    #: dimension code; set for rating items only
    dimension: str | None = None
    #: weight within its dimension; rating items only (``None`` otherwise)
    weight: float | None = None
    #: ``None`` when constructing means the type's default (False for text, else True)
    required: bool | None = None
    #: asked once for every target (a matrix row) rather than once per ballot;
    #: ``None`` when constructing means the type's default (True for rating only)
    per_target: bool | None = None
    #: respondent-group codes that are asked this item; ``None`` = every group
    groups: tuple[str, ...] | None = None
    #: the choices of a single or multiple item; empty otherwise
    options: tuple[Choice, ...] = ()
    #: text items only: the longest answer accepted, ``None`` = the platform's default
    max_length: int | None = None
    #: a target-specific item: the code of the one target it is asked of (``None``: every target)
    target: str | None = None

    def __post_init__(self) -> None:
        # Fill the per-type defaults so that hand-made items equal loaded ones.
        rating = self.type == "rating"
        if self.weight is None and rating:
            object.__setattr__(self, "weight", 1.0)
        if self.required is None:
            object.__setattr__(self, "required", self.type != "text")
        if self.per_target is None:
            object.__setattr__(self, "per_target", rating)
        if self.groups is not None:
            _freeze(self, "groups")
        _freeze(self, "options")

    @property
    def is_rating(self) -> bool:
        return self.type == "rating"

    def asks(self, group_code: str) -> bool:
        """Whether respondents of this group are asked this item."""
        return self.groups is None or group_code in self.groups

    def asked_of(self, target_code: str | None) -> bool:
        """Whether this item is asked about the target with this code (a target-specific item
        only of its own target)."""
        return self.target is None or self.target == target_code

    def choice(self, code: str) -> Choice:
        """The choice with this code; ``KeyError`` when there is none."""
        for choice in self.options:
            if choice.code == code:
                return choice
        raise KeyError(code)


@dataclass(frozen=True)
class Section:
    """A titled run of items, shown together.

    A ``target_specific`` section has no items of its own in the questionnaire: a campaign
    fills it (:meth:`Questionnaire.with_specific`) with items made from ``template``, one per
    row of its ``source``, each asked of one target only.
    """

    code: str
    title: Text
    items: tuple[Item, ...]
    #: one of SECTION_KINDS
    kind: str = "fixed"
    #: a target-specific section: one of SOURCES
    source: str | None = None
    #: a target-specific section: the rating item its items are made after (text with PLACEHOLDER)
    template: Item | None = None

    def __post_init__(self) -> None:
        _freeze(self, "items")

    @property
    def is_target_specific(self) -> bool:
        return self.kind == "target_specific"

    def specific_item(self, code: str, target: str, title_zh: str, title_en: str) -> Item:
        """A target-specific item of this section: the template with the words of one row."""
        assert self.template is not None, "only a target-specific section makes items"
        text = Text(self.template.text.zh.replace(PLACEHOLDER, title_zh),
                    self.template.text.en.replace(PLACEHOLDER, title_en or title_zh))
        return replace(self.template, code=code, text=text, target=target)


@dataclass(frozen=True)
class Questionnaire:
    """A whole questionnaire (问卷) of one kind."""

    code: str
    kind: str
    title: Text
    #: shown before the questions
    intro: Text
    #: shown after the ballot is submitted
    closing: Text
    scale: Scale
    dimensions: tuple[Dimension, ...]
    sections: tuple[Section, ...]

    def __post_init__(self) -> None:
        _freeze(self, "dimensions", "sections")

    # The lookups below are cached in the instance __dict__ (cached_property writes there
    # directly, which a frozen dataclass allows); they take no part in == or hash.
    @cached_property
    def _items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)

    @cached_property
    def _item_index(self) -> dict[str, Item]:
        return {item.code: item for item in reversed(self._items)}

    def items(self) -> tuple[Item, ...]:
        """Every item, in questionnaire order."""
        return self._items

    def item(self, code: str) -> Item:
        """The item with this code; ``KeyError`` when there is none."""
        return self._item_index[code]

    def rating_items(self) -> tuple[Item, ...]:
        """The scored items, in questionnaire order."""
        return tuple(item for item in self._items if item.type == "rating")

    def items_for(self, group_code: str) -> tuple[Item, ...]:
        """The items respondents of this group are asked, in questionnaire order."""
        return tuple(item for item in self._items if item.asks(group_code))

    def items_for_target(self, group_code: str, target_code: str) -> tuple[Item, ...]:
        """The per-target items respondents of this group answer about one target: the fixed
        ones, then that target's own, in questionnaire order."""
        return tuple(item for item in self._items
                     if item.per_target and item.asks(group_code) and item.asked_of(target_code))

    def section_of(self, code: str) -> Section:
        """The section holding the item with this code; ``KeyError`` when there is none."""
        for section in self.sections:
            if any(item.code == code for item in section.items):
                return section
        raise KeyError(code)

    def specific_sections(self) -> tuple[Section, ...]:
        """The target-specific sections, in questionnaire order."""
        return tuple(s for s in self.sections if s.is_target_specific)

    def with_specific(self, items: "Iterable[Item]") -> "Questionnaire":
        """This questionnaire as a campaign asks it: each target-specific section holding the
        given items of its source (an item's source is told by its code's prefix), in the
        order given. Items of a source the questionnaire has no section for are refused."""
        by_prefix: dict[str, list[Item]] = {}
        for item in items:
            by_prefix.setdefault(item.code.split(".", 1)[0], []).append(item)
        sections = []
        for section in self.sections:
            if section.is_target_specific:
                section = replace(section, items=tuple(by_prefix.pop(SOURCES[section.source], ())))
            sections.append(section)
        if by_prefix:
            raise ValueError(f"the questionnaire has no target-specific section for items {sorted(by_prefix)}")
        return replace(self, sections=tuple(sections))

    def dimension(self, code: str) -> Dimension:
        """The dimension with this code; ``KeyError`` when there is none."""
        for dimension in self.dimensions:
            if dimension.code == code:
                return dimension
        raise KeyError(code)

    def dimension_items(self, code: str) -> tuple[Item, ...]:
        """The rating items of one dimension, in questionnaire order."""
        return tuple(item for item in self._items
                     if item.type == "rating" and item.dimension == code)
