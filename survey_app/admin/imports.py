"""Set-up at the size of a city: targets (leaders and units, with their reports) and their
leader accounts read from a CSV or XLSX file, checked row by row, previewed, then applied in
one transaction; and a campaign's set-up copied from an earlier campaign."""
import csv
import io
import re
import secrets
from dataclasses import asdict, dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import audit
from ..extensions import db
from ..models import Campaign, RespondentGroup, Target, User
from . import operations

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
#: the columns of the file (the header row names them; order and case do not matter)
COLUMNS = ("code", "kind", "name_zh", "name_en", "post_zh", "post_en", "unit", "report_zh", "report_en", "account")
REQUIRED = ("code", "kind", "name_zh", "name_en")
LIMITS = {"name_zh": 200, "name_en": 200, "post_zh": 200, "post_en": 200, "report_zh": 50_000, "report_en": 50_000}


@dataclass
class TargetRow:
    """One valid row of the file, as it will be applied."""
    line: int
    code: str
    kind: str
    name_zh: str
    name_en: str
    post_zh: str = ""
    post_en: str = ""
    unit: str = ""
    report_zh: str = ""
    report_en: str = ""
    account: str = ""
    #: "new" or "update": whether a target with this code exists already
    action: str = "new"
    #: "new", "kept" (the account exists for this target) or "" (no account asked)
    account_action: str = ""


@dataclass
class RowProblem:
    line: int
    message: str


def _cells_from_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # imported where a workbook is read, not by every worker at start

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValueError(str(_l("This is not a readable XLSX workbook."))) from error
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            if len(rows) > MAX_ROWS + 1:
                break
            rows.append(["" if v is None else str(v).strip() for v in row[:len(COLUMNS) + 5]])
        return rows
    finally:
        book.close()


def _cells_from_csv(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GB18030 (GBK)
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError(str(_l("The CSV file is neither UTF-8 nor GB18030 text.")))
    try:
        rows = []
        for row in csv.reader(io.StringIO(text)):
            if len(rows) > MAX_ROWS + 1:
                break
            rows.append([cell.strip() for cell in row])
        return rows
    except csv.Error as error:
        raise ValueError(str(_l("The CSV file cannot be read: %(reason)s", reason=str(error)))) from error


def read_cells(data: bytes, filename: str) -> list[list[str]]:
    """The non-empty rows of a CSV or XLSX file as stripped strings, or a ValueError saying why
    the file cannot be read: this import's reader, shared with the commitments import."""
    cells = _cells_from_xlsx(data) if filename.lower().endswith(".xlsx") else _cells_from_csv(data)
    return [row for row in cells if any(row)]


def read_table(data: bytes, filename: str, columns: tuple[str, ...], required: tuple[str, ...]
               ) -> tuple[list[dict[str, str]], list[RowProblem]]:
    """The file's rows as {column: text} from line 2 on, or the one problem that stops reading it
    (too large, unreadable, empty, a required column missing, too many rows). Shared by the
    targets and the commitments imports."""
    if len(data) > MAX_BYTES:
        return [], [RowProblem(0, str(_l("The file is larger than %(n)d MB.", n=MAX_BYTES // (1024 * 1024))))]
    try:
        cells = read_cells(data, filename)
    except ValueError as error:
        return [], [RowProblem(0, str(error))]
    if not cells:
        return [], [RowProblem(1, str(_l("The file is empty: the first row names the columns.")))]
    header = [h.strip().lower() for h in cells[0]]
    missing = [c for c in required if c not in header]
    if missing:
        return [], [RowProblem(1, str(_l("Columns missing: %(cols)s. The columns are: %(all)s.",
                                         cols=", ".join(missing), all=", ".join(columns))))]
    if len(cells) - 1 > MAX_ROWS:
        return [], [RowProblem(0, str(_l("At most %(n)d rows at a time.", n=MAX_ROWS)))]
    index = {name: header.index(name) for name in columns if name in header}
    return [{name: (raw[i] if i < len(raw) else "") for name, i in index.items()} for raw in cells[1:]], []


def read_targets(data: bytes, filename: str) -> tuple[list[TargetRow], list[RowProblem]]:
    """Every row checked; nothing is written. Problems name the file's line (the header is line 1)."""
    values, stop = read_table(data, filename, COLUMNS, REQUIRED)
    if stop:
        return [], stop
    existing = {t.code: t for t in db.session.execute(select(Target)).scalars()}
    users = {u.username.lower(): u for u in db.session.execute(select(User)).scalars()}
    rows, problems, seen_codes, seen_accounts = [], [], {}, {}
    codes_in_file = {v["code"] for v in values if v.get("code")}  # a unit may come later in the file
    for line, value in enumerate(values, start=2):
        errors = []
        code = value.get("code", "")
        if not CODE.match(code):
            errors.append(_l("code “%(code)s”: letters, digits, '_', '.' and '-' only (at most 64).", code=code))
        elif code in seen_codes:
            errors.append(_l("code %(code)s is also on line %(line)d.", code=code, line=seen_codes[code]))
        elif code in existing and existing[code].kind == "matter":
            # A matter's words belong to its decision meeting (fixed once voting opens).
            errors.append(_l("code %(code)s is a matter of a decision meeting, not a leader or a unit.", code=code))
        kind = value.get("kind", "").lower()
        kind = {"领导": "leader", "领导干部": "leader", "单位": "unit", "部门": "unit"}.get(kind, kind)
        if kind not in ("leader", "unit"):
            errors.append(_l("kind must be leader or unit (领导 / 单位), not “%(kind)s”.", kind=value.get("kind", "")))
        for name in ("name_zh", "name_en"):
            if not value.get(name):
                errors.append(_l("%(column)s is empty.", column=name))
        for name, limit in LIMITS.items():
            if len(value.get(name, "")) > limit:
                errors.append(_l("%(column)s is longer than %(n)d characters.", column=name, n=limit))
        unit = value.get("unit", "")
        if unit and unit not in existing and unit not in seen_codes and unit not in codes_in_file:
            errors.append(_l("unit %(code)s is neither in the file nor a known target.", code=unit))
        account = value.get("account", "")
        account_action = ""
        if account:
            user = users.get(account.lower())
            if not USERNAME.match(account):
                errors.append(_l("account “%(name)s”: letters, digits and _ . @ - only.", name=account))
            elif account.lower() in seen_accounts:
                errors.append(_l("account %(name)s is also on line %(line)d.", name=account,
                                 line=seen_accounts[account.lower()]))
            elif user is not None and (user.role != "leader" or user.target is None or user.target.code != code):
                errors.append(_l("account %(name)s exists already for someone else.", name=account))
            else:
                account_action = "kept" if user is not None else "new"
            seen_accounts[account.lower()] = line
        if code and CODE.match(code):
            seen_codes.setdefault(code, line)
        if errors:
            problems.extend(RowProblem(line, str(e)) for e in errors)
            continue
        rows.append(TargetRow(line=line, code=code, kind=kind, name_zh=value["name_zh"], name_en=value["name_en"],
                              post_zh=value.get("post_zh", ""), post_en=value.get("post_en", ""), unit=unit,
                              report_zh=value.get("report_zh", ""), report_en=value.get("report_en", ""),
                              account=account, action="update" if code in existing else "new",
                              account_action=account_action))
    if not rows and not problems:
        problems.append(RowProblem(2, str(_l("The file has a header but no target."))))
    return rows, problems


def apply_targets(campaign: Campaign, rows: list[TargetRow], actor: str) -> list[tuple[str, str]]:
    """Create or update the targets, add them to the draft campaign with their reports, and make
    the leader accounts asked for, all in one transaction. Returns (username, temporary password)
    of each new account: shown once, like access codes, and changed at the first login."""
    if campaign.status != "draft":
        raise operations.LifecycleError(_l("targets are fixed once the campaign is open"))
    by_code = {t.code: t for t in db.session.execute(select(Target)).scalars()}
    accounts = []
    try:
        for row in rows:
            target = by_code.get(row.code)
            if target is None:
                target = Target(code=row.code, kind=row.kind)
                db.session.add(target)
                by_code[row.code] = target
            target.kind, target.name_zh, target.name_en = row.kind, row.name_zh, row.name_en
            target.post_zh, target.post_en = row.post_zh, row.post_en
        db.session.flush()
        for row in rows:
            if row.unit:
                by_code[row.code].unit_id = by_code[row.unit].id
        chosen = list(campaign.targets)
        known = {t.id for t in chosen}
        chosen += [by_code[r.code] for r in rows if by_code[r.code].id not in known]
        operations.place_targets(campaign, chosen)
        reports = {ct.target_id: ct for ct in campaign.campaign_targets}
        for row in rows:
            ct = reports[by_code[row.code].id]
            if row.report_zh or row.report_en:
                ct.report_zh, ct.report_en = row.report_zh, row.report_en
        for row in rows:
            if row.account_action == "new":
                # As auth.operations.create_user does, but inside this one transaction.
                password = secrets.token_urlsafe(9)
                user = User(username=row.account, role="leader", display_name=row.name_zh,
                            target_id=by_code[row.code].id, must_change_password=True)
                user.set_password(password)
                db.session.add(user)
                db.session.flush()
                audit.record("user.create", f"user:{user.id}", username=user.username, role="leader",
                             target=user.target_id, campaigns=[])
                accounts.append((row.account, password))
        audit.record("targets.import", f"campaign:{campaign.id}", actor=actor, campaign=campaign.code,
                     targets=len(rows), created=sum(r.action == "new" for r in rows),
                     accounts=len(accounts))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return accounts


def rows_to_data(rows: list[TargetRow]) -> list[dict]:
    return [asdict(r) for r in rows]


def rows_from_data(data: list[dict]) -> list[TargetRow]:
    return [TargetRow(**{k: v for k, v in d.items() if k in TargetRow.__dataclass_fields__}) for d in data]


def copy_setup(campaign: Campaign, source: Campaign, actor: str) -> None:
    """Last year's set-up into a new draft: groups with their weights and expected numbers,
    targets in their order, and the settings (minimum group size, ranking, hotline, contact).
    Reports and access codes are not copied: each year has its own."""
    if campaign.status != "draft":
        raise operations.LifecycleError(_l("only a draft campaign takes a copied set-up"))
    if source.id == campaign.id:
        raise operations.LifecycleError(_l("a campaign cannot copy itself"))
    if campaign.groups:
        raise operations.LifecycleError(_l("this campaign has groups already: copy into a campaign without any"))
    try:
        for g in source.groups:
            db.session.add(RespondentGroup(campaign=campaign, code=g.code, name_zh=g.name_zh, name_en=g.name_en,
                                           weight=g.weight, access=g.access, expected=g.expected,
                                           public_token=secrets.token_urlsafe(12) if g.access == "public" else None,
                                           position=g.position))
        campaign.min_group_size, campaign.show_ranks = source.min_group_size, source.show_ranks
        campaign.funnel_alerts = source.funnel_alerts
        campaign.hotline, campaign.contact = source.hotline, source.contact
        db.session.flush()
        operations.place_targets(campaign, list(source.targets))
        audit.record("campaign.copy", f"campaign:{campaign.id}", actor=actor, campaign=campaign.code,
                     **{"from": source.code}, groups=len(source.groups), targets=len(source.targets))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def earlier_campaigns(campaign: Campaign) -> list[Campaign]:
    return list(db.session.execute(select(Campaign).where(Campaign.id != campaign.id)
                                   .order_by(Campaign.created_at.desc(), Campaign.id.desc())).scalars())


def count_targets() -> int:
    return db.session.execute(select(func.count()).select_from(Target)).scalar_one()
