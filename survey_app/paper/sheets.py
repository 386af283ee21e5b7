"""Paper sheets: their numbers, their layout (what a group is asked, as letters to key), printing them."""
from dataclasses import dataclass, field

from flask import render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..ballots import operations as ballots
from ..ballots.validation import asked, targets_asked
from ..extensions import db
from ..models import Campaign, RespondentGroup, Target
from ..models.paper import PaperBatch, PaperSheet
from ..printing import html_to_pdf
from . import stamping
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
    #: rating and single-choice items, one letter each, in questionnaire order; a target's own
    #: items (its commitments, `CampaignItem`) come last, after the items every target is asked
    items: list = field(default_factory=list)
    #: how many of `items`, at their end, are the target's own
    own: int = 0

    @property
    def shared_items(self) -> list:
        """The items every target of the sheet is asked (the matrix sheet's columns)."""
        return self.items[:len(self.items) - self.own]

    @property
    def own_items(self) -> list[tuple[int, object]]:
        """(printed number, item) of the target's own items, numbered on from the shared ones."""
        first = len(self.items) - self.own
        return [(first + i + 1, item) for i, item in enumerate(self.items[first:])]


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
        return self.campaign.questionnaire

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
    questions = asked(campaign.questionnaire, group.code, group_targets(campaign, group))
    lettered = ("rating", "single")
    rows, multiples, texts = [], [], []
    general = Row("r._", None, [i for i in questions.per_ballot if i.type in lettered])
    if general.items:
        rows.append(general)
    multiples += [Extra(f"m._.{i.code}", i, None) for i in questions.per_ballot if i.type == "multiple"]
    texts += [Extra(f"x._.{i.code}", i, None) for i in questions.per_ballot if i.type == "text"]
    # The items every target is asked, then the target's own (its commitments: `Item.target`), after them.
    shared = [i for i in questions.per_target if i.target is None]
    for target in questions.targets:
        own = [i for i in questions.items_for(target) if i.target is not None and i.type in lettered]
        row = Row(f"r.{target.code}", target, [i for i in shared if i.type in lettered] + own, len(own))
        if row.items:
            rows.append(row)
        multiples += [Extra(f"m.{target.code}.{i.code}", i, target) for i in shared if i.type == "multiple"]
        texts += [Extra(f"x.{target.code}.{i.code}", i, target) for i in shared if i.type == "text"]
    return Layout(campaign, group, list(questions.targets), rows, multiples, texts)


# --------------------------------------------------------------------------- printing

def print_batch(campaign: Campaign, group: RespondentGroup, count: int, actor: str) -> PaperBatch:
    """Number `count` new sheets for a group. They reach the group's people and do not add to
    its expected number; where none is set, turnout is measured against the sheets printed and
    the codes issued (`ballots.operations.GroupTurnout`)."""
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
#: the matrix's number column; a cell's padding on each side and its (collapsed) borders; the
#: space between two boxes; what is kept free in every cell against rounding
MATRIX_NO_MM, MATRIX_PAD_MM, MATRIX_BORDER_MM, MATRIX_GAP_MM, MATRIX_SPARE_MM = 6.0, 0.5, 0.2, 0.5, 0.4
#: a box is never bigger than this, nor smaller than something a pen can tick
MATRIX_BOX_MAX_MM, MATRIX_BOX_MIN_MM = 4.0, 2.8


@dataclass(frozen=True)
class MatrixGeometry:
    """How the matrix sheet is drawn: box size, the widths of the columns and which items each
    table holds (a long questionnaire on a long scale takes two or more tables, one under the
    other, rather than boxes too small to tick)."""
    box_mm: float
    gap_mm: float
    name_mm: float
    col_mm: float
    #: item positions (0-based) of each table, in order
    bands: tuple[tuple[int, ...], ...]


def matrix_geometry(lay: "Layout") -> MatrixGeometry:
    """Box size, column widths and tables such that every box of every item lies inside its own
    column: n boxes and their gaps fit a column's width less its padding and borders."""
    target_rows = [r for r in lay.rows if r.target is not None]
    items = target_rows[0].shared_items if target_rows else []
    options = max((len(lay.choices(i)) for i in items), default=1)
    for n_bands in range(1, max(1, len(items)) + 1):
        per_band = -(-len(items) // n_bands) if items else 1
        name_mm = 42.0 if per_band <= 8 else 34.0
        col_mm = (MATRIX_WIDTH_MM - MATRIX_NO_MM - name_mm) / per_band
        inner = col_mm - 2 * MATRIX_PAD_MM - MATRIX_BORDER_MM - MATRIX_SPARE_MM
        box = min(MATRIX_BOX_MAX_MM, inner / options - MATRIX_GAP_MM)
        if box >= MATRIX_BOX_MIN_MM or per_band == 1:
            break
    bands = tuple(tuple(range(i, min(i + per_band, len(items)))) for i in range(0, len(items), per_band))
    return MatrixGeometry(round(box, 2), MATRIX_GAP_MM, name_mm, round(col_mm, 3), bands or ((),))


#: where the sheet number and its QR code are stamped (the templates leave these places blank)
BLOCK_SPOT = stamping.Spot(qr_right_mm=12, qr_top_mm=14, qr_size_mm=22, label_centre_mm=23,
                           label_baseline_mm=40.5, label_pt=12, running_right_mm=12, running_baseline_mm=8.5,
                           running_pt=9)
MATRIX_SPOT = stamping.Spot(qr_right_mm=10, qr_top_mm=10, qr_size_mm=16, label_centre_mm=36.5,
                            label_baseline_mm=19.4, label_pt=11, running_right_mm=10, running_baseline_mm=6.5,
                            running_pt=8)


def sheet_body_html(campaign: Campaign, group: RespondentGroup, matrix: bool = False) -> str:
    """The HTML of one blank sheet of the group, without its number."""
    lay = layout(campaign, group)
    if matrix:
        return render_template("paper/sheets_matrix_print.html", campaign=campaign, group=group, lay=lay,
                               q=lay.questionnaire, LETTERS=LETTERS, geo=matrix_geometry(lay))
    return render_template("paper/sheets_print.html", campaign=campaign, group=group, lay=lay,
                           q=lay.questionnaire, LETTERS=LETTERS)


def sheet_body_pdf(campaign: Campaign, group: RespondentGroup, matrix: bool = False) -> bytes:
    """One blank sheet of the group, without its number: what every sheet of a batch shares."""
    return html_to_pdf(sheet_body_html(campaign, group, matrix))


def sheets_pdf(campaign: Campaign, group: RespondentGroup, numbers: list[int], matrix: bool = False,
               progress=None) -> bytes:
    """The PDF of the sheets numbered `numbers`: the sheet laid out once, each copy stamped with
    its number and QR code (see `stamping`)."""
    body = sheet_body_pdf(campaign, group, matrix)
    return stamping.stamped_copies(body, MATRIX_SPOT if matrix else BLOCK_SPOT,
                                   [(sheet_label(n), sheet_qr_text(campaign, n)) for n in numbers], progress)


def batch_pdf(batch: PaperBatch, actor: str, matrix: bool = False, progress=None) -> bytes:
    """The PDF of a batch; producing it again is a reprint, which the audit log records.
    `matrix` prints every target on one landscape sheet (targets as rows, items as columns)."""
    campaign = db.session.get(Campaign, batch.campaign_id)
    pdf = sheets_pdf(campaign, batch.group, list(range(batch.first_number, batch.first_number + batch.count)),
                     matrix, progress)
    batch.downloads += 1
    if batch.downloads > 1:
        audit.record("paper.reprint", f"paper_batch:{batch.id}", actor=actor, campaign=campaign.code,
                     first=sheet_label(batch.first_number), last=sheet_label(batch.last_number),
                     times=batch.downloads)
    db.session.commit()
    return pdf
