"""Ballot files (answers.csv) imported into a campaign's box: every ballot of a file, or nothing."""
import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from scoring.answers import COLUMNS
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..ballots import counting, mixing
from ..ballots import operations as ballots
from ..ballots.validation import BallotContent, ImportedBallot, asked, shorten
from ..extensions import db
from ..models import Campaign, RespondentGroup
from ..models._types import utcnow
from ..models.paper import PaperImport
from .admission import accepts_paper
from .sheets import group_targets

CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


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


def import_answers(campaign: Campaign, data: bytes, filename: str, actor: str) -> dict[str, int]:
    """Seal every ballot of an answers.csv file into the box, or nothing. Returns ballots per group."""
    _refuse_unless_open(campaign, data)
    sha = hashlib.sha256(data).hexdigest()
    if _imported_already(campaign, sha):
        raise ImportInvalid([ImportProblem(1, str(_l("this file has been imported into this campaign already")))])
    contents = _validate(campaign, _read(data))
    return _store(campaign, contents, sha, filename, actor)


def _refuse_unless_open(campaign: Campaign, data: bytes) -> None:
    """Refused before reading: a decision meeting (one numbered sheet per member, never a file),
    a box that takes no paper now (not open, counted, being counted), or a file too large."""
    if campaign.is_decision:
        raise ImportInvalid([ImportProblem(1, str(_l("a decision meeting takes one numbered sheet per member: "
                                                     "enter its sheets one by one, not as a file")))])
    if not accepts_paper(campaign):
        raise ImportInvalid([ImportProblem(1, str(_l("the campaign no longer takes ballots: it is not open, "
                                                     "or its ballot box has been counted")))])
    if counting.running(campaign.id):
        raise ImportInvalid([ImportProblem(1, str(_l("the ballot box of this campaign is being counted: "
                                                     "nothing can go into it now")))])
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportInvalid([ImportProblem(1, str(_l("the file has more than %(n)d MB: split it into smaller files",
                                                     n=MAX_IMPORT_BYTES >> 20)))])


def _imported_already(campaign: Campaign, sha: str) -> bool:
    return db.session.execute(select(PaperImport.id).where(PaperImport.campaign_id == campaign.id,
                                                           PaperImport.sha256 == sha)).first() is not None


def _read(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """The file's rows after its header: (row number, fields in COLUMNS order), a blank row as
    no fields (it still counts in the numbering); a malformed row raises csv.Error."""
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
    if sorted(header) != sorted(COLUMNS):
        raise ImportInvalid([ImportProblem(1, str(_l("the columns must be exactly %(cols)s",
                                                     cols=",".join(COLUMNS))))])
    index = [header.index(c) for c in COLUMNS]
    for row_number, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            yield row_number, []
        else:
            yield row_number, (record if len(record) != len(COLUMNS) else [record[i].strip() for i in index])


class _Problems(list):
    """The problems found so far; the reading stops at MAX_IMPORT_PROBLEMS."""

    def add(self, row: int, reason) -> None:
        self.append(ImportProblem(row, str(reason)))
        if len(self) >= MAX_IMPORT_PROBLEMS:
            # The file is refused anyway: a million bad rows need not be listed.
            # ... and the note that says so comes first, where it is seen.
            stopped = ImportProblem(row, str(_l("more than %(n)d problems: the rest of the file was not read",
                                                n=MAX_IMPORT_PROBLEMS)))
            raise ImportInvalid([stopped] + sorted(self, key=lambda p: p.row))


def _validate(campaign: Campaign, rows: Iterator[tuple[int, list[str]]]
              ) -> list[tuple[RespondentGroup, BallotContent]]:
    """Every ballot of the rows, checked by the ballot validator; ImportInvalid names each bad row."""
    q = campaign.questionnaire  # with its target-specific items: each refused for any other target
    groups = {g.code: g for g in campaign.groups}
    asked_of = {code: asked(q, code, sorted(t.code for t in group_targets(campaign, g)))
                for code, g in groups.items()}
    problems = _Problems()
    read: dict[str, ImportedBallot] = {}
    row_number = 1
    try:
        for row_number, record in rows:
            if not record:
                continue
            if len(record) != len(COLUMNS):
                problems.add(row_number, _l("%(n)d fields expected, %(m)d found", n=len(COLUMNS), m=len(record)))
                continue
            ballot, group, target, item_code, option = record
            if not CODE_RE.match(ballot):
                problems.add(row_number, _l("ballot id %(v)r is not a code ([A-Za-z0-9_.-], at most 64)",
                                            v=shorten(ballot)))
                continue
            if group not in groups:
                problems.add(row_number, _l("unknown group %(v)r", v=shorten(group)))
                continue
            sheet = read.get(ballot)
            if sheet is None:
                sheet = read[ballot] = ImportedBallot(q, ballot, group, asked_of[group])
            elif sheet.group_code != group:
                problems.add(row_number, _l("ballot %(b)r appears in two groups (%(g1)s and %(g2)s)",
                                            b=shorten(ballot), g1=sheet.group_code, g2=shorten(group)))
                continue
            refused = sheet.add(row_number, target, item_code, option)
            if refused:
                problems.add(row_number, refused)
    except csv.Error as error:
        problems.add(row_number, _l("malformed CSV: %(why)s", why=str(error)))
    contents = []
    for sheet in read.values():
        content, refused = sheet.finish()
        for row, reason in refused:
            problems.add(row, reason)
        contents.append((groups[sheet.group_code], content))
    if not problems and not contents:
        problems.add(1, _l("the file holds no ballot"))
    if problems:
        raise ImportInvalid(sorted(problems, key=lambda p: p.row))
    return contents


def _store(campaign: Campaign, contents: list[tuple[RespondentGroup, BallotContent]], sha: str, filename: str,
           actor: str) -> dict[str, int]:
    """Seal the checked ballots and record the import, in one transaction."""
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
