"""Paper sheets: their numbers, their layout (what a group is asked, as letters to key), printing them."""
from dataclasses import dataclass, field

from flask import render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..ballots import operations as ballots
from ..ballots.slips import qr_svg
from ..ballots.validation import asked, targets_asked
from ..extensions import db
from ..models import Campaign, RespondentGroup, Target
from ..models.paper import PaperBatch, PaperSheet
from ..printing import html_to_pdf
from .admission import PaperRefused

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_BATCH = 500


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
    """The targets the group appraises, in the campaign's order."""
    return [ct.target for ct in targets_asked(campaign.campaign_targets, group.code)]


def layout(campaign: Campaign, group: RespondentGroup) -> Layout:
    """The sheet of what the group is asked: the general items first, then each target's."""
    questions = asked(campaign.questionnaire_version.parsed, group.code, group_targets(campaign, group))
    lettered = ("rating", "single")
    rows, multiples, texts = [], [], []
    general = Row("r._", None, [i for i in questions.per_ballot if i.type in lettered])
    if general.items:
        rows.append(general)
    multiples += [Extra(f"m._.{i.code}", i, None) for i in questions.per_ballot if i.type == "multiple"]
    texts += [Extra(f"x._.{i.code}", i, None) for i in questions.per_ballot if i.type == "text"]
    for target in questions.targets:
        row = Row(f"r.{target.code}", target, [i for i in questions.per_target if i.type in lettered])
        if row.items:
            rows.append(row)
        multiples += [Extra(f"m.{target.code}.{i.code}", i, target)
                      for i in questions.per_target if i.type == "multiple"]
        texts += [Extra(f"x.{target.code}.{i.code}", i, target) for i in questions.per_target if i.type == "text"]
    return Layout(campaign, group, list(questions.targets), rows, multiples, texts)


# --------------------------------------------------------------------------- printing

def print_batch(campaign: Campaign, group: RespondentGroup, count: int, actor: str) -> PaperBatch:
    """Number `count` new sheets for a group; they count toward the group's expected turnout."""
    if campaign.status not in ("draft", "open"):
        raise PaperRefused(_l("Sheets can be printed only before the campaign closes."))
    if group.campaign_id != campaign.id:
        raise PaperRefused(_l("There is no such group in this campaign."), 404)
    if not 1 <= count <= MAX_BATCH:
        raise PaperRefused(_l("Print between 1 and %(n)d sheets at a time.", n=MAX_BATCH), 400)
    try:
        ballots.reserve_ballots(campaign, count)
    except ballots.BallotLimit as limit:
        raise PaperRefused(_l("A decision meeting has one ballot per member: %(n)d more codes or sheets at most.",
                              n=limit.left)) from None
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
    pdf = html_to_pdf(html)
    batch.downloads += 1
    if batch.downloads > 1:
        audit.record("paper.reprint", f"paper_batch:{batch.id}", actor=actor, campaign=campaign.code,
                     first=sheet_label(batch.first_number), last=sheet_label(batch.last_number),
                     times=batch.downloads)
    db.session.commit()
    return pdf
