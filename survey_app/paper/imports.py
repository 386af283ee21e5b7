"""Ballot files (answers.csv) imported into a campaign's box: every ballot of a file, or nothing."""
import csv
import hashlib
import io
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from scoring.answers import COLUMNS
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..ballots import counting, mixing
from ..ballots import operations as ballots
from ..ballots.validation import BallotContent, asked, field_name, validate
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
    asked_of = {code: asked(q, code, sorted(t.code for t in group_targets(campaign, g)))
                for code, g in groups.items()}
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
            questions = asked_of[group]
            if not questions.asks_item(item):
                fail(row_number, _l("item %(i)s is not asked of group %(g)s", i=_short(item_code), g=_short(group)))
                continue
            if item.type == "text":
                fail(row_number, _l("item %(i)s is a free-text item; free text is not imported", i=_short(item_code)))
                continue
            if item.per_target:
                if not questions.asks_about(target):
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
        content, errors = validate(q, group.code, asked_of[group.code].targets,
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
