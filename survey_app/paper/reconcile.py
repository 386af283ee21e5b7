"""The figures a counting supervisor signs: sheets printed, returned, entered and what became of them."""
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, literal_column, select

from ..extensions import db
from ..models import Campaign, RespondentGroup
from ..models.paper import FINAL_STATES, PaperBatch, PaperEntry, PaperImport, PaperSheet


#: a group's figures, in the order the supervisor reads them; `not_returned` is printed less returned
FIGURES = ("printed", "returned", "not_returned", "entered_once", "entered_twice", "matched", "third_checked",
           "awaiting_check", "ballots", "blank", "invalid", "spoiled", "imported")


@dataclass
class GroupReconciliation:
    """One group's line of the reconciliation; each of `FIGURES` reads as an attribute (`row.printed`)."""
    group: RespondentGroup
    #: figure -> how many sheets (ballots, for `imported`)
    counts: Counter = field(default_factory=Counter)

    def __getattr__(self, name: str) -> int:
        if name == "not_returned":
            return self.counts["printed"] - self.counts["returned"]
        if name in FIGURES:
            return self.counts[name]
        raise AttributeError(name)


def reconciliation(campaign: Campaign) -> list[GroupReconciliation]:
    """The figures a counting supervisor signs, per group, from the sheets' states alone."""
    rows = {g.id: GroupReconciliation(g) for g in campaign.groups}
    for group_id, printed in db.session.execute(
            select(PaperBatch.group_id, func.sum(PaperBatch.count))
            .where(PaperBatch.campaign_id == campaign.id).group_by(PaperBatch.group_id)):
        rows[group_id].counts["printed"] = int(printed or 0)
    entries = (select(PaperEntry.sheet_id, func.count().label("n")).group_by(PaperEntry.sheet_id).subquery())
    # a literal 0 (not a bound parameter) so that PostgreSQL sees the same expression in GROUP BY
    n_entries = func.coalesce(entries.c.n, literal_column("0"))
    query = (select(PaperSheet.group_id, PaperSheet.status, PaperSheet.third_checked, n_entries, func.count())
             .outerjoin(entries, entries.c.sheet_id == PaperSheet.id)
             .where(PaperSheet.campaign_id == campaign.id)
             .group_by(PaperSheet.group_id, PaperSheet.status, PaperSheet.third_checked, n_entries))
    for group_id, status, checked, n_entries, n in db.session.execute(query):
        r = rows[group_id].counts
        if n_entries >= 1:
            r["returned"] += n
        if n_entries == 1:
            r["entered_once"] += n
        if n_entries >= 2:
            r["entered_twice"] += n
        if status in FINAL_STATES:
            if checked:
                r["third_checked"] += n
            else:
                r["matched"] += n
        if status == "mismatch":
            r["awaiting_check"] += n
        if status == "ballot":
            r["ballots"] += n
        elif status in ("blank", "invalid", "spoiled"):
            r[status] += n
    by_code = {r.group.code: r for r in rows.values()}
    for (per_group,) in db.session.execute(select(PaperImport.ballots).where(PaperImport.campaign_id == campaign.id)):
        for code, n in (per_group or {}).items():
            if code in by_code:
                by_code[code].counts["imported"] += int(n)
    return list(rows.values())
