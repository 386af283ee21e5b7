"""Paper ballots: printing numbered sheets, blind double entry, the third check, import, reconciliation.

How paper reaches the sealed box without a sheet number ever meeting an opened ballot
-----------------------------------------------------------------------------------
* A sheet carries a number (with a check digit) and a QR code of it, and nothing about who
  gets it; sheets are handed out at random. The number exists so that each printed sheet
  is entered at most once and so that the counting supervisor can reconcile printed,
  returned and entered sheets.
* Two clerks key each sheet independently. An entry is stored as
  - `digest`: HMAC-SHA256 under a key derived from ACCESS_CODE_KEY of the sheet id and the
    canonical keyed content, so the second entry is matched to the first without reading
    it (and equal answers on two sheets give different digests), and
  - `content`: the keyed content encrypted (libsodium SecretBox) under another key
    derived from ACCESS_CODE_KEY, so a database dump alone does not show the answers of
    sheets waiting for their second entry.
  Entries are not sealed to the campaign's public key: the third check must show both
  entries to an officer while the campaign runs, long before the counting officers'
  passphrase is typed. Someone holding both the database and the server's keys can read
  the entries of sheets *waiting* for resolution — no more than what the paper sheets in
  the box show anyone holding the box, which is the real record of a paper vote.
* When the two entries match (or the third check decides), in ONE transaction: the
  sheet's status moves from entered/mismatch to its final state by a conditional UPDATE
  (so a sheet becomes a ballot once, even under concurrent requests), the ballot is
  sealed into the box's inbox exactly like an online ballot (no sheet number, random id,
  no time), turnout is ticked for the day, and both entries' `digest` and `content` are
  set to NULL. What remains is "clerk X entered sheet N" and "sheet N became a ballot".
* Blank, invalid and spoiled sheets tick turnout and produce no envelope, so they count
  in turnout and never in any score.

When paper can be entered
-------------------------
While the campaign is open, and after it closes until its box is counted (`counted_at`
set). The campaign's time window is not checked: sheets filled at a meeting during the
window are often keyed after it. Once counted, entry and import are refused: a ballot
added after the officers opened the box would change results they already saw, and a
second count of a handful of late envelopes would let anyone compare two result sets.
"""
import csv
import hashlib
import hmac
import io
import json
import re
from dataclasses import dataclass, field

import nacl.exceptions
import nacl.secret
import nacl.utils
from flask import current_app
from flask_babel import lazy_gettext as _l
from scoring import canonical_json
from scoring.answers import COLUMNS
from sqlalchemy import func, literal_column, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..ballots import counting, mixing
from ..ballots import operations as ballots
from ..ballots.validation import BallotContent, field_name, text_length, text_limit, validate
from ..extensions import db
from ..models import Campaign, RespondentGroup, Target, User
from ..models._types import utcnow
from ..models.paper import FINAL_STATES, PaperBatch, PaperEntry, PaperImport, PaperRules, PaperSheet

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: what a clerk types for an item left empty on the sheet
BLANK_MARKS = "-._"
#: what a clerk types for an item with more than one box ticked (void, counted as blank)
VOID_MARK = "*"
#: the third check pre-fills this where the two entries differ; it must be replaced
UNRESOLVED_MARK = "?"
MAX_BATCH = 500
CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class PaperRefused(Exception):
    """An action the sheet's or campaign's state does not allow; str() is a translated reason."""

    def __init__(self, message, status: int = 409):
        super().__init__(str(message))
        self.message, self.status = message, status


# --------------------------------------------------------------------------- admission

def accepts_paper(campaign: Campaign) -> bool:
    """Whether paper may still go into the box (see the module docstring)."""
    return campaign.public_key is not None and (
        campaign.status == "open" or (campaign.status == "closed" and campaign.counted_at is None))


def _require_accepting(campaign: Campaign) -> None:
    if not accepts_paper(campaign):
        raise PaperRefused(_l("This campaign no longer takes paper ballots: it is not open, or its "
                              "ballot box has been counted."))
    if counting.running(campaign.id):
        raise PaperRefused(_l("The ballot box of this campaign is being counted: no paper sheet can go "
                              "into it now."))


def rules(campaign: Campaign) -> PaperRules:
    found = db.session.get(PaperRules, campaign.id)
    return found if found is not None else PaperRules(campaign_id=campaign.id, max_blank_share=0.5)


def set_rules(campaign: Campaign, max_blank_share: float) -> None:
    if campaign.status == "published" or campaign.counted_at is not None:
        raise PaperRefused(_l("The rules cannot change once the ballot box has been counted."))
    found = db.session.get(PaperRules, campaign.id)
    if found is None:
        found = PaperRules(campaign_id=campaign.id)
        db.session.add(found)
    before = found.max_blank_share
    found.max_blank_share = max_blank_share
    audit.record("paper.rules", f"campaign:{campaign.id}", campaign=campaign.code, before=before,
                 max_blank_share=max_blank_share)
    db.session.commit()


# --------------------------------------------------------------------------- sheet numbers

def _luhn_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return (10 - total % 10) % 10


def sheet_label(number: int) -> str:
    """The printed form of a sheet number: five digits, a hyphen and a check digit."""
    digits = f"{number:05d}"
    return f"{digits}-{_luhn_digit(digits)}"


def sheet_qr_text(campaign: Campaign, number: int) -> str:
    """What the QR code holds: a hand scanner types it into the sheet-number field."""
    return f"{campaign.code}/{sheet_label(number)}"


def parse_sheet_number(campaign: Campaign, typed: str) -> int:
    """The number a clerk typed or scanned, or PaperRefused saying why it cannot be one."""
    text = (typed or "").strip()
    if "/" in text:
        prefix, text = text.rsplit("/", 1)
        if prefix.strip() != campaign.code:
            raise PaperRefused(_l("This sheet belongs to another campaign."), 400)
    digits = "".join(ch for ch in text if not ch.isspace() and ch != "-")
    if not digits.isdigit() or not 2 <= len(digits) <= 9:
        raise PaperRefused(_l("Type the sheet number printed at the top of the sheet, e.g. 00012-5."), 400)
    body, check = digits[:-1], int(digits[-1])
    if _luhn_digit(f"{int(body):05d}") != check:
        raise PaperRefused(_l("The check digit does not match: the number was mistyped."), 400)
    return int(body)


def find_sheet(campaign: Campaign, typed: str) -> PaperSheet:
    number = parse_sheet_number(campaign, typed)
    sheet = db.session.execute(select(PaperSheet).where(
        PaperSheet.campaign_id == campaign.id, PaperSheet.number == number)).scalar_one_or_none()
    if sheet is None:
        raise PaperRefused(_l("No sheet with this number was printed for this campaign."), 404)
    return sheet


# --------------------------------------------------------------------------- layout

@dataclass
class Row:
    """One line the clerk types as a string of letters: the letter items of one target."""
    key: str
    target: Target | None
    #: rating and single-choice items, one letter each, in questionnaire order
    items: list = field(default_factory=list)


@dataclass
class Extra:
    """A multiple-choice (letters) or free-text field of the sheet."""
    key: str
    item: object
    target: Target | None


@dataclass
class Layout:
    """How a group's sheet is printed and keyed; the same order on paper and on screen."""
    campaign: Campaign
    group: RespondentGroup
    targets: list[Target]
    rows: list[Row]
    multiples: list[Extra]
    texts: list[Extra]

    @property
    def questionnaire(self):
        return self.campaign.questionnaire_version.parsed

    def choices(self, item) -> list[tuple[str, str, object]]:
        """(letter, option code, label Text) for an item's boxes, in printed order."""
        options = self.questionnaire.scale.options if item.type == "rating" else item.options
        return [(LETTERS[i], o.code, o.label) for i, o in enumerate(options)]

    def keys(self) -> list[str]:
        return [r.key for r in self.rows] + [m.key for m in self.multiples] + [t.key for t in self.texts]


def group_targets(campaign: Campaign, group: RespondentGroup) -> list[Target]:
    return [ct.target for ct in campaign.campaign_targets if not ct.group_codes or group.code in ct.group_codes]


def layout(campaign: Campaign, group: RespondentGroup) -> Layout:
    q = campaign.questionnaire_version.parsed
    targets = group_targets(campaign, group)
    items = q.items_for(group.code)
    rows, multiples, texts = [], [], []
    general = Row("r._", None, [i for i in items if not i.per_target and i.type in ("rating", "single")])
    if general.items:
        rows.append(general)
    multiples += [Extra(f"m._.{i.code}", i, None) for i in items if not i.per_target and i.type == "multiple"]
    texts += [Extra(f"x._.{i.code}", i, None) for i in items if not i.per_target and i.type == "text"]
    for target in targets:
        row = Row(f"r.{target.code}", target, [i for i in items if i.per_target and i.type in ("rating", "single")])
        if row.items:
            rows.append(row)
        multiples += [Extra(f"m.{target.code}.{i.code}", i, target)
                      for i in items if i.per_target and i.type == "multiple"]
        texts += [Extra(f"x.{target.code}.{i.code}", i, target) for i in items if i.per_target and i.type == "text"]
    return Layout(campaign, group, targets, rows, multiples, texts)


# --------------------------------------------------------------------------- keyed content

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
    """Check what a clerk typed against the sheet's layout; errors are keyed by field."""
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
        text = _normalise_text(form.get(extra.key))
        limit = text_limit(extra.item)
        if text_length(text) > limit:
            errors[extra.key] = _l("At most %(n)d characters, please.", n=limit)
        else:
            keyed.texts[extra.key] = text
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


# --------------------------------------------------------------------------- entry protection

def _derived_key(purpose: bytes) -> bytes:
    return hmac.new(current_app.config["ACCESS_CODE_KEY"].encode(), purpose, hashlib.sha256).digest()


def _digest(sheet: PaperSheet, keyed: Keyed) -> str:
    message = f"{sheet.campaign_id}:{sheet.id}:".encode() + keyed.canonical().encode("utf-8")
    return hmac.new(_derived_key(b"paper-entry-match-v1"), message, hashlib.sha256).hexdigest()


def _lock(keyed: Keyed) -> bytes:
    return bytes(nacl.secret.SecretBox(_derived_key(b"paper-entry-box-v1")).encrypt(
        keyed.canonical().encode("utf-8")))


def _unlock(blob: bytes) -> Keyed:
    try:
        plain = nacl.secret.SecretBox(_derived_key(b"paper-entry-box-v1")).decrypt(blob)
    except nacl.exceptions.CryptoError:
        raise PaperRefused(_l("This entry cannot be read with the server's key."), 500) from None
    return Keyed.from_canonical(plain.decode("utf-8"))


# --------------------------------------------------------------------------- printing

def print_batch(campaign: Campaign, group: RespondentGroup, count: int, actor: str) -> PaperBatch:
    """Number `count` new sheets for a group; they count toward the group's expected turnout."""
    if campaign.status not in ("draft", "open"):
        raise PaperRefused(_l("Sheets can be printed only before the campaign closes."))
    if group.campaign_id != campaign.id:
        raise PaperRefused(_l("There is no such group in this campaign."), 404)
    if not 1 <= count <= MAX_BATCH:
        raise PaperRefused(_l("Print between 1 and %(n)d sheets at a time.", n=MAX_BATCH), 400)
    last = db.session.execute(select(func.max(PaperSheet.number))
                              .where(PaperSheet.campaign_id == campaign.id)).scalar() or 0
    batch = PaperBatch(campaign_id=campaign.id, group_id=group.id, first_number=last + 1, count=count,
                       printed_by=actor)
    db.session.add(batch)
    db.session.flush()
    db.session.add_all(PaperSheet(campaign_id=campaign.id, group_id=group.id, batch_id=batch.id, number=n)
                       for n in range(batch.first_number, batch.first_number + count))
    group.expected = (group.expected or 0) + count
    audit.record("paper.print", f"group:{group.id}", actor=actor, campaign=campaign.code, group=group.code,
                 first=sheet_label(batch.first_number), last=sheet_label(batch.last_number), count=count)
    try:
        db.session.commit()
    except IntegrityError:
        # another print run took the same numbers at the same moment
        db.session.rollback()
        raise PaperRefused(_l("Another print run was being numbered at the same time. Try again.")) from None
    return batch


#: the printable width of a landscape A4 matrix sheet (297 mm less margins), in mm
MATRIX_WIDTH_MM = 277


def matrix_geometry(lay: "Layout") -> tuple[float, float]:
    """(box size, name column width) in mm so that every item column fits across the page."""
    target_rows = [r for r in lay.rows if r.target is not None]
    items = target_rows[0].items if target_rows else []
    boxes = sum(len(lay.choices(i)) for i in items) or 1
    name_mm = 42.0 if len(items) <= 8 else 34.0
    spare = MATRIX_WIDTH_MM - 6 - name_mm - 1.5 * len(items)
    return round(max(2.4, min(3.6, spare / boxes - 0.35)), 2), name_mm


def batch_pdf(batch: PaperBatch, actor: str, matrix: bool = False) -> bytes:
    """The PDF of a batch; producing it again is a reprint, which the audit log records.
    `matrix` prints every target on one landscape sheet (targets as rows, items as columns)."""
    from flask import render_template

    from ..ballots.slips import qr_svg, render_pdf
    campaign = db.session.get(Campaign, batch.campaign_id)
    lay = layout(campaign, batch.group)
    sheets = [{"label": sheet_label(n), "qr": qr_svg(sheet_qr_text(campaign, n), 4)}
              for n in range(batch.first_number, batch.first_number + batch.count)]
    if matrix:
        box_mm, name_mm = matrix_geometry(lay)
        html = render_template("paper/sheets_matrix_print.html", campaign=campaign, group=batch.group, lay=lay,
                               sheets=sheets, q=lay.questionnaire, LETTERS=LETTERS, box_mm=box_mm, name_mm=name_mm)
    else:
        html = render_template("paper/sheets_print.html", campaign=campaign, group=batch.group, lay=lay,
                               sheets=sheets, q=lay.questionnaire, LETTERS=LETTERS)
    pdf = render_pdf(html)
    batch.downloads += 1
    if batch.downloads > 1:
        audit.record("paper.reprint", f"paper_batch:{batch.id}", actor=actor, campaign=campaign.code,
                     first=sheet_label(batch.first_number), last=sheet_label(batch.last_number),
                     times=batch.downloads)
    db.session.commit()
    return pdf


# --------------------------------------------------------------------------- entry and resolution

@dataclass
class EntryOutcome:
    #: waiting (first entry in), mismatch (goes to the third check) or a final state
    state: str
    sheet_label: str


def check_can_enter(sheet: PaperSheet, clerk: User) -> None:
    """Refuse before the form is shown, with the same rules as `record_entry`."""
    campaign = db.session.get(Campaign, sheet.campaign_id)
    _require_accepting(campaign)
    if any(e.clerk_id == clerk.id for e in sheet.entries):
        raise PaperRefused(_l("You have entered this sheet already. A second clerk must enter it."))
    if sheet.status in FINAL_STATES:
        raise PaperRefused(_l("This sheet has been dealt with already."))
    if len(sheet.entries) >= 2 or sheet.status == "mismatch":
        raise PaperRefused(_l("This sheet has been entered twice already."))


def record_entry(sheet: PaperSheet, clerk: User, keyed: Keyed) -> EntryOutcome:
    """Store one clerk's blind entry; the second matching entry turns the sheet into its outcome."""
    check_can_enter(sheet, clerk)
    campaign = db.session.get(Campaign, sheet.campaign_id)
    slot = len(sheet.entries) + 1
    entry = PaperEntry(sheet_id=sheet.id, slot=slot, clerk_id=clerk.id, digest=_digest(sheet, keyed),
                       content=_lock(keyed))
    label = sheet_label(sheet.number)
    try:
        db.session.add(entry)
        db.session.flush()
        if slot == 1:
            moved = db.session.execute(update(PaperSheet).where(
                PaperSheet.id == sheet.id, PaperSheet.status == "printed").values(status="entered")).rowcount
            if moved != 1:
                raise PaperRefused(_l("This sheet was changed by someone else at the same moment. Try again."))
            audit.record("paper.entry", f"paper_sheet:{sheet.id}", actor=clerk.username, campaign=campaign.code,
                         sheet=label, slot=1)
            db.session.commit()
            return EntryOutcome("waiting", label)
        first = next(e for e in sheet.entries if e.slot == 1)
        audit.record("paper.entry", f"paper_sheet:{sheet.id}", actor=clerk.username, campaign=campaign.code,
                     sheet=label, slot=2)
        if first.digest is not None and hmac.compare_digest(first.digest, entry.digest):
            state = _resolve(sheet, campaign, keyed, from_states=("entered",))
            audit.record("paper.match", f"paper_sheet:{sheet.id}", actor=clerk.username, campaign=campaign.code,
                         sheet=label, outcome=state)
        else:
            moved = db.session.execute(update(PaperSheet).where(
                PaperSheet.id == sheet.id, PaperSheet.status == "entered").values(status="mismatch")).rowcount
            if moved != 1:
                raise PaperRefused(_l("This sheet was changed by someone else at the same moment. Try again."))
            state = "mismatch"
            audit.record("paper.mismatch", f"paper_sheet:{sheet.id}", actor=clerk.username,
                         campaign=campaign.code, sheet=label)
        db.session.commit()
        mixing.mix_if_due(campaign.id)
        return EntryOutcome(state, label)
    except IntegrityError:
        db.session.rollback()
        raise PaperRefused(_l("This sheet has been entered twice already.")) from None
    except BaseException:
        db.session.rollback()
        raise


def _resolve(sheet: PaperSheet, campaign: Campaign, keyed: Keyed, from_states: tuple[str, ...]) -> str:
    """Move the sheet to its final state, seal its ballot, wipe the entries. Caller commits."""
    group = db.session.get(RespondentGroup, sheet.group_id)
    lay = layout(campaign, group)
    content, errors = to_content(lay, keyed)
    if errors:
        raise PaperRefused(_l("The entry does not fit the questionnaire: %(why)s", why=next(iter(errors.values()))),
                           400)
    state = classify(lay, keyed, rules(campaign).max_blank_share)
    moved = db.session.execute(update(PaperSheet).where(
        PaperSheet.id == sheet.id, PaperSheet.status.in_(from_states)).values(status=state)).rowcount
    if moved != 1:
        raise PaperRefused(_l("This sheet has been dealt with already."))
    ballots.store_sealed(campaign, group, content if state == "ballot" else None, utcnow().date())
    db.session.execute(update(PaperEntry).where(PaperEntry.sheet_id == sheet.id).values(digest=None, content=None))
    return state


def entries_for_check(sheet: PaperSheet, officer: User) -> list[Keyed]:
    """The two differing entries, for the third-check officer only."""
    _check_officer(sheet, officer)
    return [_unlock(e.content) for e in sheet.entries]


def _check_officer(sheet: PaperSheet, officer: User) -> None:
    if sheet.status != "mismatch":
        raise PaperRefused(_l("This sheet is not waiting for a third check."))
    from ..security import can
    if not can("paper.manage", user=officer):
        raise PaperRefused(_l("Only commission staff make the third check."), 403)
    if any(e.clerk_id == officer.id for e in sheet.entries):
        raise PaperRefused(_l("You entered this sheet yourself: someone else must make the third check."), 403)


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


def decide(sheet: PaperSheet, officer: User, keyed: Keyed) -> str:
    """The third check: the officer keys what the sheet shows; the sheet takes its final state."""
    _check_officer(sheet, officer)
    campaign = db.session.get(Campaign, sheet.campaign_id)
    _require_accepting(campaign)
    try:
        state = _resolve(sheet, campaign, keyed, from_states=("mismatch",))
        db.session.execute(update(PaperSheet).where(PaperSheet.id == sheet.id)
                           .values(third_checked=True, checked_by=officer.id))
        audit.record("paper.third_check", f"paper_sheet:{sheet.id}", actor=officer.username,
                     campaign=campaign.code, sheet=sheet_label(sheet.number), outcome=state)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    mixing.mix_if_due(campaign.id)
    return state


def awaiting_check(campaign: Campaign) -> list[PaperSheet]:
    return list(db.session.execute(select(PaperSheet).where(
        PaperSheet.campaign_id == campaign.id, PaperSheet.status == "mismatch").order_by(PaperSheet.number)).scalars())


# --------------------------------------------------------------------------- import

@dataclass
class ImportProblem:
    row: int
    reason: str


class ImportInvalid(Exception):
    """The file was refused as a whole; `problems` name each row."""

    def __init__(self, problems: list[ImportProblem]):
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


#: an import larger than this is split: the whole file is checked before anything is stored
MAX_IMPORT_BYTES = 64 << 20
#: problems listed before the reading stops
MAX_IMPORT_PROBLEMS = 1000


def _short(value: str, limit: int = 60) -> str:
    """A value as quoted in a problem: a long one cut, so that the message stays readable."""
    return value if len(value) <= limit else value[:limit] + "…"


def import_answers(campaign: Campaign, data: bytes, filename: str, actor: str) -> dict[str, int]:
    """Seal every ballot of an answers.csv file into the box, or nothing. Returns ballots per group."""
    problems: list[ImportProblem] = []

    def fail(row, reason):
        problems.append(ImportProblem(row, str(reason)))
        if len(problems) >= MAX_IMPORT_PROBLEMS:
            # The file is refused anyway: a million bad rows need not be listed.
            # ... and the note that says so comes first, where it is seen.
            stopped = ImportProblem(row, str(_l("more than %(n)d problems: the rest of the file was not read",
                                                n=MAX_IMPORT_PROBLEMS)))
            raise ImportInvalid([stopped] + sorted(problems, key=lambda p: p.row))

    if not accepts_paper(campaign):
        raise ImportInvalid([ImportProblem(1, str(_l("the campaign no longer takes ballots: it is not open, "
                                                     "or its ballot box has been counted")))])
    if counting.running(campaign.id):
        raise ImportInvalid([ImportProblem(1, str(_l("the ballot box of this campaign is being counted: "
                                                     "nothing can go into it now")))])
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportInvalid([ImportProblem(1, str(_l("the file has more than %(n)d MB: split it into smaller files",
                                                     n=MAX_IMPORT_BYTES >> 20)))])
    sha = hashlib.sha256(data).hexdigest()
    if db.session.execute(select(PaperImport.id).where(PaperImport.campaign_id == campaign.id,
                                                       PaperImport.sha256 == sha)).first():
        raise ImportInvalid([ImportProblem(1, str(_l("this file has been imported into this campaign already")))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data.count(b"\n", 0, error.start) + 1
        what = ("UTF-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else
                "XLSX" if data[:4] == b"PK\x03\x04" else None)
        raise ImportInvalid([ImportProblem(row, str(
            _l("the file is %(what)s, not UTF-8 text: save it as CSV UTF-8", what=what) if what else
            _l("the file is not UTF-8 text: save it as CSV UTF-8")))]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise ImportInvalid([ImportProblem(1, str(_l("malformed CSV: %(why)s", why=str(error))))]) from None
    if header is None:
        raise ImportInvalid([ImportProblem(1, str(_l("the file is empty")))])
    header = [h.strip() for h in header]
    missing = [c for c in COLUMNS if c not in header]
    extra = [h for h in header if h not in COLUMNS]
    if missing or extra or len(header) != len(COLUMNS):
        raise ImportInvalid([ImportProblem(1, str(_l("the columns must be exactly %(cols)s",
                                                     cols=",".join(COLUMNS))))])
    index = {c: header.index(c) for c in COLUMNS}
    q = campaign.questionnaire_version.parsed
    groups = {g.code: g for g in campaign.groups}
    targets_of = {code: {t.code for t in group_targets(campaign, g)} for code, g in groups.items()}
    ballot_group: dict[str, str] = {}
    seen: dict[tuple, int] = {}
    #: ballot -> field name -> (values, row)
    ballots_values: dict[str, dict[str, tuple[list[str], int]]] = {}
    row_number = 1
    try:
        for row_number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(COLUMNS):
                fail(row_number, _l("%(n)d fields expected, %(m)d found", n=len(COLUMNS), m=len(record)))
                continue
            ballot, group, target, item_code, option = (record[index[c]].strip() for c in COLUMNS)
            if not CODE_RE.match(ballot):
                fail(row_number, _l("ballot id %(v)r is not a code ([A-Za-z0-9_.-], at most 64)", v=_short(ballot)))
                continue
            if group not in groups:
                fail(row_number, _l("unknown group %(v)r", v=_short(group)))
                continue
            if ballot_group.setdefault(ballot, group) != group:
                fail(row_number, _l("ballot %(b)r appears in two groups (%(g1)s and %(g2)s)", b=_short(ballot),
                                    g1=ballot_group[ballot], g2=_short(group)))
                continue
            try:
                item = q.item(item_code)
            except KeyError:
                fail(row_number, _l("unknown item %(v)r", v=_short(item_code)))
                continue
            if not item.asks(group):
                fail(row_number, _l("item %(i)s is not asked of group %(g)s", i=_short(item_code), g=_short(group)))
                continue
            if item.type == "text":
                fail(row_number, _l("item %(i)s is a free-text item; free text is not imported", i=_short(item_code)))
                continue
            if item.per_target:
                if target not in targets_of[group]:
                    fail(row_number, _l("unknown target %(t)r for group %(g)s", t=_short(target), g=_short(group)) if target
                         else _l("item %(i)s is asked per target: the target is missing", i=_short(item_code)))
                    continue
            elif target:
                fail(row_number, _l("item %(i)s is asked once per ballot: leave the target empty", i=_short(item_code)))
                continue
            key = (ballot, target, item_code)
            if key in seen:
                fail(row_number, _l("ballot %(b)s answers item %(i)s for this target twice (first in row %(r)d)",
                                    b=_short(ballot), i=_short(item_code), r=seen[key]))
                continue
            seen[key] = row_number
            values = option.split() if item.type == "multiple" else ([option] if option else [])
            ballots_values.setdefault(ballot, {})[field_name(item_code, target or None)] = (values, row_number)
    except csv.Error as error:
        fail(row_number, _l("malformed CSV: %(why)s", why=str(error)))
    contents: list[tuple[RespondentGroup, BallotContent]] = []
    for ballot, fields in ballots_values.items():
        group = groups[ballot_group[ballot]]
        content, errors = validate(q, group.code, sorted(targets_of[group.code]),
                                   {name: v for name, (v, _row) in fields.items()}, require_answers=False)
        for name, message in errors.items():
            fail(fields[name][1], _l("%(why)s (option %(v)r)", why=str(message), v=_short(" ".join(fields[name][0]))))
        contents.append((group, content))
    if not problems and not contents:
        fail(1, _l("the file holds no ballot"))
    if problems:
        problems.sort(key=lambda p: p.row)
        raise ImportInvalid(problems)
    per_group: dict[str, int] = {}
    day = utcnow().date()
    try:
        for group, content in contents:
            ballots.store_sealed(campaign, group, content, day)
            per_group[group.code] = per_group.get(group.code, 0) + 1
        db.session.add(PaperImport(campaign_id=campaign.id, sha256=sha, filename=filename[:255],
                                   ballots=per_group, imported_by=actor))
        audit.record("paper.import", f"campaign:{campaign.id}", actor=actor, campaign=campaign.code,
                     file_sha256=sha, ballots=per_group)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ImportInvalid([ImportProblem(1, str(_l("this file has been imported into this campaign already")))]
                            ) from None
    except BaseException:
        db.session.rollback()
        raise
    mixing.mix_if_due(campaign.id)
    return per_group


# --------------------------------------------------------------------------- reconciliation

@dataclass
class GroupReconciliation:
    group: RespondentGroup
    printed: int = 0
    returned: int = 0
    entered_once: int = 0
    entered_twice: int = 0
    matched: int = 0
    third_checked: int = 0
    awaiting_check: int = 0
    ballots: int = 0
    blank: int = 0
    invalid: int = 0
    spoiled: int = 0
    imported: int = 0

    @property
    def not_returned(self) -> int:
        return self.printed - self.returned


def reconciliation(campaign: Campaign) -> list[GroupReconciliation]:
    """The figures a counting supervisor signs, per group, from the sheets' states alone."""
    rows = {g.id: GroupReconciliation(g) for g in campaign.groups}
    for group_id, printed in db.session.execute(
            select(PaperBatch.group_id, func.sum(PaperBatch.count))
            .where(PaperBatch.campaign_id == campaign.id).group_by(PaperBatch.group_id)):
        rows[group_id].printed = int(printed or 0)
    entries = (select(PaperEntry.sheet_id, func.count().label("n")).group_by(PaperEntry.sheet_id).subquery())
    # a literal 0 (not a bound parameter) so that PostgreSQL sees the same expression in GROUP BY
    n_entries = func.coalesce(entries.c.n, literal_column("0"))
    query = (select(PaperSheet.group_id, PaperSheet.status, PaperSheet.third_checked, n_entries, func.count())
             .outerjoin(entries, entries.c.sheet_id == PaperSheet.id)
             .where(PaperSheet.campaign_id == campaign.id)
             .group_by(PaperSheet.group_id, PaperSheet.status, PaperSheet.third_checked, n_entries))
    for group_id, status, checked, n_entries, n in db.session.execute(query):
        r = rows[group_id]
        if n_entries >= 1:
            r.returned += n
        if n_entries == 1:
            r.entered_once += n
        if n_entries >= 2:
            r.entered_twice += n
        if status in FINAL_STATES:
            if checked:
                r.third_checked += n
            else:
                r.matched += n
        if status == "mismatch":
            r.awaiting_check += n
        if status == "ballot":
            r.ballots += n
        elif status in ("blank", "invalid", "spoiled"):
            setattr(r, status, getattr(r, status) + n)
    by_code = {r.group.code: r for r in rows.values()}
    for (per_group,) in db.session.execute(select(PaperImport.ballots).where(PaperImport.campaign_id == campaign.id)):
        for code, n in (per_group or {}).items():
            if code in by_code:
                by_code[code].imported += int(n)
    return list(rows.values())
