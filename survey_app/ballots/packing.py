"""The one definition of how an opened ballot's answers are stored: a packed rating vector.

A ballot's rating answers on the campaign's targets are one byte each, in the order
`layout` defines — per target (in the campaign's order), the per-target rating items of
the pinned questionnaire version (in its order): byte `t * len(items) + i` holds target
`t`'s answer to item `i`, 0 for "not answered" and `k + 1` for the k-th scale option;
then one byte for each target-specific item (asked of one target only), in campaign order.
Every other answer (single or multiple choice, an item asked once per ballot, anything
that does not fit the vector) goes to the ballot's `choices`, a compact JSON list of
`[target or null, item, option]`; comments stay in their own table.

`unpack_many` turns the concatenated vectors of many ballots into one (ballots × slots)
uint8 matrix with `np.frombuffer`: no Python loop per answer anywhere on the way to the
scoring engine.
"""
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

#: Part of the results cache key: a change here invalidates every cached result.
FORMAT = "packed-1"


@dataclass(frozen=True)
class Layout:
    """Where each (target, rating item) answer sits in a ballot's vector.

    A *ragged* list of slots: every target's fixed per-target rating items (`items`), target by
    target, then the target-specific items (`specific`: (target, item) pairs in campaign order),
    each asked of its own target only. Without target-specific items it is the rectangle
    `targets × items`, and its digest is the one it always had.
    """
    targets: tuple[str, ...]
    items: tuple[str, ...]
    options: tuple[str, ...]
    #: (target code, item code) of each target-specific item, in campaign order
    specific: tuple[tuple[str, str], ...] = ()

    @property
    def width(self) -> int:
        return len(self.targets) * len(self.items) + len(self.specific)

    @property
    def all_items(self) -> tuple[str, ...]:
        """The fixed items, then the target-specific ones: the columns of `rectangle`."""
        return self._all_items

    @property
    def slots(self) -> tuple[tuple[str, str], ...]:
        """(target, item) of every slot, in vector order."""
        return self._slot_list

    def slot(self, target: str, item: str) -> int | None:
        return self._slots.get(target, {}).get(item)

    def __post_init__(self):
        if len(self.options) > 254:
            raise ValueError("a scale of more than 254 options does not fit one byte")
        object.__setattr__(self, "specific", tuple(tuple(pair) for pair in self.specific))
        all_items = self.items + tuple(item for _, item in self.specific)
        if len(set(all_items)) != len(all_items):
            raise ValueError("an item is in the layout twice")
        object.__setattr__(self, "_all_items", all_items)
        object.__setattr__(self, "_targets", {c: k for k, c in enumerate(self.targets)})
        object.__setattr__(self, "_options", {c: k + 1 for k, c in enumerate(self.options)})
        slot_list = [(t, i) for t in self.targets for i in self.items] + list(self.specific)
        object.__setattr__(self, "_slot_list", tuple(slot_list))
        # target -> item -> slot: two lookups, no tuple made per answer (pack runs 120 times a ballot)
        slots: dict[str, dict[str, int]] = {t: {} for t in self.targets}
        for n, (t, i) in enumerate(slot_list):
            if t not in slots:
                raise ValueError(f"target-specific item {i} of {t}, which is not a target of the layout")
            slots[t][i] = n
        object.__setattr__(self, "_slots", slots)
        parts = [self.targets, self.items, self.options] + ([[list(p) for p in self.specific]] if self.specific else [])
        described = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
        object.__setattr__(self, "_digest", hashlib.sha256(described.encode("utf-8")).hexdigest()[:16])

    @property
    def digest(self) -> str:
        """Names this layout in an envelope packed at sealing (`sealing.encode(..., lay)`): counting
        takes such an envelope's vector as it is only when its layout is the campaign's."""
        return self._digest

    def code_of(self, option: str) -> int | None:
        return self._options.get(option)

    def target_of_slot(self) -> np.ndarray:
        fixed = np.repeat(np.arange(len(self.targets), dtype=np.int32), len(self.items))
        return np.concatenate([fixed, np.asarray([self._targets[t] for t, _ in self.specific], dtype=np.int32)])

    def item_of_slot(self) -> np.ndarray:
        """Each slot's item, as an index into `all_items`."""
        fixed = np.tile(np.arange(len(self.items), dtype=np.int32), len(self.targets))
        return np.concatenate([fixed, np.arange(len(self.items), len(self._all_items), dtype=np.int32)])

    def rectangle(self, matrix: np.ndarray) -> np.ndarray:
        """(ballots × slots) as (ballots × targets × all_items), 0 where a target is not asked an item
        (a view, no copy, when there is no target-specific item)."""
        T, I = len(self.targets), len(self._all_items)
        if not self.specific:
            return matrix.reshape(len(matrix), T, I)
        dense = np.zeros((len(matrix), T * I), dtype=matrix.dtype)
        dense[:, self.target_of_slot().astype(np.int64) * I + self.item_of_slot()] = matrix
        return dense.reshape(len(matrix), T, I)


def layout(version, target_codes: Sequence[str]) -> Layout:
    """The layout of ballots answering `version` (a parsed questionnaire, possibly holding a campaign's
    target-specific items, or a QuestionnaireVersion) on the campaign's targets, in the campaign's order."""
    q = getattr(version, "parsed", version)
    rating = [item for item in q.rating_items() if item.per_target]
    wanted = set(target_codes)
    return Layout(targets=tuple(target_codes),
                  items=tuple(item.code for item in rating if item.target is None),
                  options=tuple(o.code for o in q.scale.options),
                  specific=tuple((item.target, item.code) for item in rating
                                 if item.target is not None and item.target in wanted))


def campaign_layout(campaign) -> Layout:
    """The layout of every ballot of a campaign: its questionnaire (with its frozen target-specific
    items) × its targets."""
    return layout(campaign.questionnaire, [t.code for t in campaign.targets])


def pack(lay: Layout, answers: Iterable[Sequence]) -> tuple[bytes, str | None]:
    """A ballot's `(target, item, option)` answers as (rating vector, choices JSON or None)."""
    vector, rest = split(lay, answers)
    return bytes(vector), choices_json(rest)


def choices_json(rest: list) -> str | None:
    """The `choices` of a ballot from its answers off the vector (`split`'s second half)."""
    return json.dumps(rest, ensure_ascii=False, separators=(",", ":")) if rest else None


def split(lay: Layout, answers: Iterable[Sequence]) -> tuple[bytearray, list[list]]:
    """A ballot's answers as (rating vector, every other answer as `[target or None, item, option]`)."""
    vector = bytearray(lay.width)
    rest = []
    slots, codes, nowhere = lay._slots, lay._options, {}
    for target, item, option in answers:
        slot = slots.get(target, nowhere).get(item)
        code = codes.get(option) if slot is not None else None
        if code is None or vector[slot]:
            rest.append([target or None, item, option])
        else:
            vector[slot] = code
    return vector, rest


def unpack_choices(choices: str | None) -> list[tuple]:
    return [tuple(a) for a in json.loads(choices)] if choices else []


def unpack_many(lay: Layout, vectors: Sequence[bytes]) -> np.ndarray:
    """(ballots × slots) uint8 matrix of many ballots' rating vectors (0 = not answered)."""
    width = lay.width
    if not len(vectors) or not width:
        return np.zeros((len(vectors), width), dtype=np.uint8)
    joined = b"".join(vectors)
    if len(joined) != width * len(vectors):
        raise ValueError("a rating vector does not have its layout's width")
    return np.frombuffer(joined, dtype=np.uint8).reshape(len(vectors), width)


def unpack(lay: Layout, vector: bytes, choices: str | None = None) -> list[tuple]:
    """One ballot's answers back as `(target, item, option)`, the vector's in layout order."""
    slots = lay.slots
    out = [(*slots[s], lay.options[v - 1]) for s, v in enumerate(vector) if v]
    return out + unpack_choices(choices)
