"""What a clerk keys for a sheet: the letters read and checked against the sheet's layout,
the ballot they stand for (checked by the one ballot validator), and its outcome."""
import json
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from scoring import canonical_json

from ..ballots.validation import BallotContent, field_name, validate
from .sheets import LETTERS, Layout

#: what a clerk types for an item left empty on the sheet
BLANK_MARKS = "-._"
#: what a clerk types for an item with more than one box ticked (void, counted as blank)
VOID_MARK = "*"
#: the third check pre-fills this where the two entries differ; it must be replaced
UNRESOLVED_MARK = "?"


@dataclass
class Keyed:
    """What a clerk typed for one sheet, normalised; equal sheets give equal `canonical()`."""
    spoiled: bool = False
    rows: dict[str, str] = field(default_factory=dict)
    multiples: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    def canonical(self) -> str:
        data = {"s": True} if self.spoiled else {"s": False, "r": self.rows, "m": self.multiples, "t": self.texts}
        return canonical_json(data).decode("utf-8")

    @classmethod
    def from_canonical(cls, text: str) -> "Keyed":
        data = json.loads(text)
        return cls(bool(data.get("s")), data.get("r", {}), data.get("m", {}), data.get("t", {}))

    def as_form(self) -> dict[str, str]:
        return {**self.rows, **self.multiples, **self.texts}


def _normalise_text(value: str) -> str:
    return " ".join((value or "").split())


def parse_keyed(lay: Layout, form, spoiled: bool = False,
                allow_unresolved: bool = False) -> tuple[Keyed, dict[str, str]]:
    """Check what a clerk typed against the sheet's layout and the ballot validator; errors are
    keyed by field."""
    if spoiled:
        return Keyed(spoiled=True), {}
    keyed, errors = Keyed(), {}
    for row in lay.rows:
        raw = "".join((form.get(row.key) or "").split()).upper()
        if len(raw) != len(row.items):
            errors[row.key] = _l("%(n)d letters expected, %(m)d typed.", n=len(row.items), m=len(raw))
            continue
        out = []
        for position, (ch, item) in enumerate(zip(raw, row.items), start=1):
            letters = LETTERS[:len(lay.choices(item))]
            if ch in BLANK_MARKS:
                out.append("-")
            elif ch == VOID_MARK or ch in letters:
                out.append(ch)
            elif ch == UNRESOLVED_MARK and allow_unresolved:
                errors[row.key] = _l("Item %(pos)d: the two entries differ here; type what the sheet shows.",
                                     pos=position)
                break
            else:
                errors[row.key] = _l("Item %(pos)d: %(ch)s is not a box of this item (A to %(last)s, - for "
                                     "blank, * for more than one box ticked).", pos=position, ch=ch,
                                     last=letters[-1])
                break
        else:
            keyed.rows[row.key] = "".join(out)
    for extra in lay.multiples:
        raw = "".join((form.get(extra.key) or "").split()).upper()
        raw = "" if raw in ("", *BLANK_MARKS) else raw
        letters = LETTERS[:len(lay.choices(extra.item))]
        bad = [ch for ch in raw if ch not in letters]
        if bad:
            errors[extra.key] = _l("%(ch)s is not a box of this item (A to %(last)s).", ch=bad[0],
                                   last=letters[-1])
        else:
            keyed.multiples[extra.key] = "".join(sorted(set(raw)))
    for extra in lay.texts:
        keyed.texts[extra.key] = _normalise_text(form.get(extra.key))
    # What the letters and texts stand for is checked by the one ballot validator (a comment
    # too long, say), before the entry is stored rather than when the second entry matches.
    for key, message in to_content(lay, keyed)[1].items():
        errors.setdefault(key, message)
    return keyed, errors


def to_content(lay: Layout, keyed: Keyed) -> tuple[BallotContent, dict[str, str]]:
    """The ballot a keyed sheet stands for, checked by the one ballot validator."""
    values: dict[str, list[str]] = {}
    to_key: dict[str, str] = {}
    for row in lay.rows:
        for ch, item in zip(keyed.rows.get(row.key, ""), row.items):
            name = field_name(item.code, row.target.code if row.target else None)
            to_key[name] = row.key
            if ch in LETTERS:
                values[name] = [lay.choices(item)[LETTERS.index(ch)][1]]
    for extra in lay.multiples:
        name = field_name(extra.item.code, extra.target.code if extra.target else None)
        to_key[name] = extra.key
        choices = lay.choices(extra.item)
        values[name] = [choices[LETTERS.index(ch)][1] for ch in keyed.multiples.get(extra.key, "")]
    for extra in lay.texts:
        name = field_name(extra.item.code, extra.target.code if extra.target else None)
        to_key[name] = extra.key
        values[name] = [keyed.texts.get(extra.key, "")]
    content, errors = validate(lay.questionnaire, lay.group.code, [t.code for t in lay.targets], values,
                               require_answers=False)
    return content, {to_key.get(name, name): message for name, message in errors.items()}


def classify(lay: Layout, keyed: Keyed, max_blank_share: float) -> str:
    """ballot, blank, invalid or spoiled, under the commission's rules."""
    if keyed.spoiled:
        return "spoiled"
    rating_cells = [ch for row in lay.rows for ch, item in zip(keyed.rows.get(row.key, ""), row.items)
                    if item.type == "rating"]
    all_cells = "".join(keyed.rows.values())
    if (not any(ch in LETTERS for ch in all_cells) and not any(keyed.multiples.values())
            and not any(keyed.texts.values())):
        return "blank"
    if rating_cells:
        blank = sum(1 for ch in rating_cells if ch not in LETTERS)
        if blank / len(rating_cells) > max_blank_share:
            return "invalid"
    return "ballot"


def merged_form(entries: list[Keyed]) -> tuple[dict[str, str], set[str], bool]:
    """A pre-filled form where the entries agree, with ? where they differ; also the differing keys."""
    first, second = entries
    if first.spoiled != second.spoiled:
        return {}, {"spoiled"}, False
    if first.spoiled:
        return {}, set(), True
    merged, differing = {}, set()
    a, b = first.as_form(), second.as_form()
    for key in set(a) | set(b):
        x, y = a.get(key, ""), b.get(key, "")
        if x == y:
            merged[key] = x
        elif key.startswith("r.") and len(x) == len(y):
            merged[key] = "".join(p if p == q else UNRESOLVED_MARK for p, q in zip(x, y))
            differing.add(key)
        else:
            merged[key] = ""
            differing.add(key)
    return merged, differing, False
