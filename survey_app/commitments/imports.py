"""Commitments read from a CSV or XLSX file, checked row by row, previewed, then applied in one
transaction: the targets import's approach (survey_app/admin/imports.py), whose reader it shares."""
from dataclasses import asdict, dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit
from ..admin.imports import RowProblem, read_table
from ..extensions import db
from ..models import Commitment, Target
from ..models._types import utcnow
from ..models.commitment import CATEGORIES
from ..security import commitment_target_ids

#: the columns of the file (the header row names them; order and case do not matter)
COLUMNS = ("target", "text_zh", "text_en", "measure_zh", "measure_en", "deadline", "announced_on",
           "announced_where", "category")
REQUIRED = ("target", "text_zh", "deadline")
LIMITS = {"text_zh": 5000, "text_en": 5000, "measure_zh": 2000, "measure_en": 2000, "announced_where": 300}
#: the categories as a Chinese sheet names them
CATEGORY_WORDS = {"经济发展": "economy", "经济": "economy", "民生": "livelihood", "民生保障": "livelihood",
                  "生态环境": "environment", "环境": "environment", "治理": "governance", "社会治理": "governance",
                  "党风廉政": "integrity", "廉政": "integrity", "其他": "other"}


@dataclass
class CommitmentRow:
    """One valid row of the file, as it will be applied."""
    line: int
    target: str
    text_zh: str
    deadline: str
    text_en: str = ""
    measure_zh: str = ""
    measure_en: str = ""
    announced_on: str = ""
    announced_where: str = ""
    category: str = "other"


def _date(value: str) -> date | None:
    """A date written 2026-03-31, 2026/3/31 or 2026.3.31 (an XLSX date cell arrives as 2026-03-31 00:00:00)."""
    text = value.strip().split(" ")[0].replace("/", "-").replace(".", "-")
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None


def read_commitments(data: bytes, filename: str, user) -> tuple[list[CommitmentRow], list[RowProblem]]:
    """Every row checked against the targets `user` reaches; nothing is written. Problems name the
    file's line (the header is line 1)."""
    values, stop = read_table(data, filename, COLUMNS, REQUIRED)
    if stop:
        return [], stop
    reached = commitment_target_ids(user)
    targets = {t.code: t for t in db.session.execute(select(Target)).scalars()
               if t.kind in ("leader", "unit") and (reached is None or t.id in reached)}
    rows, problems = [], []
    for line, value in enumerate(values, start=2):
        errors = []
        if value["target"] not in targets:
            errors.append(_l("target “%(code)s” is not a leader or unit you may enter commitments for.",
                             code=value["target"]))
        if not value["text_zh"]:
            errors.append(_l("%(column)s is empty.", column="text_zh"))
        for name, limit in LIMITS.items():
            if len(value.get(name, "")) > limit:
                errors.append(_l("%(column)s is longer than %(n)d characters.", column=name, n=limit))
        deadline = _date(value["deadline"])
        if deadline is None:
            errors.append(_l("deadline “%(value)s” is not a date like 2026-12-31.", value=value["deadline"]))
        announced = value.get("announced_on", "")
        if announced and _date(announced) is None:
            errors.append(_l("announced_on “%(value)s” is not a date like 2026-01-15.", value=announced))
        category = value.get("category", "").strip()
        category = CATEGORY_WORDS.get(category, category.lower()) or "other"
        if category not in CATEGORIES:
            errors.append(_l("category “%(value)s” is not one of %(all)s.", value=value.get("category", ""),
                             all=", ".join(CATEGORIES)))
        if errors:
            problems.extend(RowProblem(line, str(e)) for e in errors)
            continue
        rows.append(CommitmentRow(line=line, target=value["target"], text_zh=value["text_zh"],
                                  deadline=deadline.isoformat(), text_en=value.get("text_en", ""),
                                  measure_zh=value.get("measure_zh", ""), measure_en=value.get("measure_en", ""),
                                  announced_on=_date(announced).isoformat() if announced else "",
                                  announced_where=value.get("announced_where", ""), category=category))
    if not rows and not problems:
        problems.append(RowProblem(2, str(_l("The file has a header but no commitment."))))
    return rows, problems


def apply_commitments(rows: list[CommitmentRow], actor: str, publish: bool) -> int:
    """Create the commitments, published at once when staff say so, in one transaction."""
    by_code = {t.code: t for t in db.session.execute(select(Target)).scalars()}
    state = "published" if publish else "draft"
    try:
        for row in rows:
            target = by_code.get(row.target)
            if target is None:
                raise ValueError(row.target)
            db.session.add(Commitment(
                target_id=target.id, text_zh=row.text_zh, text_en=row.text_en, measure_zh=row.measure_zh,
                measure_en=row.measure_en, deadline=date.fromisoformat(row.deadline),
                announced_on=date.fromisoformat(row.announced_on) if row.announced_on else None,
                announced_where=row.announced_where, category=row.category, state=state, created_by=actor,
                published_at=utcnow() if publish else None))
        db.session.flush()
        audit.record("commitments.import", "commitments", actor=actor, count=len(rows), state=state,
                     targets=sorted({r.target for r in rows}))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return len(rows)


def rows_to_data(rows: list[CommitmentRow]) -> list[dict]:
    return [asdict(r) for r in rows]


def rows_from_data(data: list[dict]) -> list[CommitmentRow]:
    return [CommitmentRow(**{k: v for k, v in d.items() if k in CommitmentRow.__dataclass_fields__}) for d in data]
