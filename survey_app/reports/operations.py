"""What the reports show, gathered once for the page, the PDF, the dashboard and the CLI.

Everything here respects suppression: a group with fewer than `min_group_size` responses
for a target shows no figure, no answer distribution and no comment, and takes no part in
the all-groups distribution shown beside the others.
"""
import functools
import math
import random
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from .. import audit
from ..commitments import operations as commitments
from ..commitments import ratings
from ..extensions import db
from ..followup import operations as followup
from ..models import Campaign, CampaignTarget, Comment, RespondentGroup, Target
from ..results.adapter import method_of, option_counts, results
from . import drawn


@dataclass
class GroupFigures:
    code: str
    name: str
    weight: float
    n: int
    suppressed: bool
    #: the figures of results.json for this (target, group); empty when suppressed
    figures: dict = field(default_factory=dict)


@dataclass
class ItemRow:
    code: str
    text: str
    dimension: str
    #: per option code, answers from the groups that are not suppressed
    counts: dict[str, int]
    #: per visible group code: {"n", "mean", "dk"} and the option counts of that group
    groups: dict[str, dict]


def entry_for(data: dict | None, target_code: str) -> dict | None:
    if not data:
        return None
    return next((t for t in data["targets"] if t["target"] == target_code), None)


def campaign_dimension_means(data: dict) -> dict[str, float]:
    """The unweighted mean over scored targets of each dimension score."""
    sums: dict[str, list[float]] = {}
    for entry in data["targets"]:
        if entry.get("score") is None:
            continue
        for code, value in (entry.get("dimensions") or {}).items():
            if value is not None:
                sums.setdefault(code, []).append(value)
    return {code: sum(values) / len(values) for code, values in sums.items()}


@functools.cache
def _published_comments():
    """(built once: a report page reads its comments on every view)"""
    return (select(Comment.text).join(RespondentGroup, RespondentGroup.id == Comment.group_id)
            .where(Comment.campaign_id == bindparam("campaign_id"), Comment.target_id == bindparam("target_id"),
                   Comment.status == "published", RespondentGroup.code.in_(bindparam("codes", expanding=True))))


def published_comments(campaign: Campaign, target: Target, visible_group_codes: set[str]) -> list[str]:
    """Moderated comments on the target from groups shown for it, in random order."""
    rows = list(db.session.execute(_published_comments(), {
        "campaign_id": campaign.id, "target_id": target.id, "codes": sorted(visible_group_codes or {""})}).scalars())
    random.SystemRandom().shuffle(rows)
    return rows


def trend(campaign: Campaign, target: Target, locale: str, entry: dict | None) -> list[dict]:
    """The target's published scores in earlier campaigns, oldest first, then this one."""
    query = (select(Campaign).join(CampaignTarget, CampaignTarget.campaign_id == Campaign.id)
             .where(CampaignTarget.target_id == target.id, Campaign.status == "published",
                    Campaign.id != campaign.id))
    if campaign.published_at is not None:
        query = query.where(Campaign.published_at < campaign.published_at)
    points = []
    for earlier in db.session.execute(query.order_by(Campaign.published_at)).scalars():
        past = entry_for(results(earlier), target.code)  # decoded once per process
        if past is not None:
            points.append({"label": earlier.title(locale), "code": earlier.code, "score": past.get("score"),
                           "ci95": past.get("ci95"), "grade": past.get("grade"),
                           "grade_range": past.get("grade_range"), "grade_status": past.get("grade_status")})
    if entry is not None:
        points.append({"label": campaign.title(locale), "code": campaign.code, "score": entry.get("score"),
                       "ci95": entry.get("ci95"), "grade": entry.get("grade"), "grade_range": entry.get("grade_range"),
                       "grade_status": entry.get("grade_status"), "current": True})
    return points


@dataclass
class Report:
    campaign: Campaign
    target: Target
    locale: str
    entry: dict | None
    method: dict
    ranked: int
    groups: list[GroupFigures]
    dimensions: list[dict]
    items: list[ItemRow]
    options: list[dict]
    comments: list[str]
    trend: list[dict]
    #: the charts as inline SVG elements, drawn once per change of the results (`drawn`)
    charts: dict[str, str] = field(default_factory=dict)
    #: the rows the ranking chart shows, best first: its text alternative
    ranking: list[dict] = field(default_factory=list)
    #: the PDF's printed ranking: its scale's tick labels (value and place in per cent, `print_ranking`)
    ranking_ticks: list[dict] = field(default_factory=list)
    #: the rows the funnel plot shows, most precise first: its text alternative
    funnel: list[dict] = field(default_factory=list)
    #: ballots counted in the campaign
    ballots: int = 0

    #: whether some ranked target of the campaign is reweighted (the chart marks it)
    any_reweighted: bool = False
    #: the target's published commitments with their reviewed progress (commitments.operations.report_rows)
    commitments: list[dict] = field(default_factory=list)
    #: the campaign whose public rating (评诺) of those commitments is shown (`commitments.ratings.rating_campaign`)
    rating_campaign: Campaign | None = None
    #: commitment id -> its rating there
    ratings: dict = field(default_factory=dict)
    #: the target's alert cases opened before this campaign's results (followup.operations.report_rows)
    cases: list = field(default_factory=list)

    @property
    def visible_groups(self) -> list[GroupFigures]:
        return [g for g in self.groups if not g.suppressed]


def build_report(campaign: Campaign, target: Target, locale: str, *, data: dict | None = None,
                 method: dict | None = None, counts: dict | None = None, with_charts: bool = True,
                 for_print: bool = False) -> Report:
    """Gather one target's report; `data`, `method` and `counts` may be passed in when rendering many.
    `for_print`: charts for the PDF (PNG, see `draw_charts`)."""
    data = results(campaign) if data is None else data
    method = method_of(campaign) if method is None else method
    q = campaign.questionnaire  # with its target-specific items: this target's own are in its report
    entry = entry_for(data, target.code)
    counts = option_counts(campaign, [target.code]) if counts is None else counts
    min_n = method["min_group_size"]

    groups = []
    for group in campaign.groups:
        figures = (entry or {}).get("groups", {}).get(group.code)
        if figures is None:
            continue  # this group does not appraise this target
        suppressed = bool(figures.get("suppressed")) or figures.get("n", 0) < min_n
        groups.append(GroupFigures(group.code, group.name(locale), float(group.weight), figures.get("n", 0),
                                   suppressed, {} if suppressed else figures))
    visible = {g.code for g in groups if not g.suppressed}

    means = campaign_dimension_means(data) if data else {}
    used = {d["code"] for d in method["dimensions"]}
    dimensions = [{"code": d.code, "name": d.name.get(locale),
                   "score": (entry or {}).get("dimensions", {}).get(d.code) if entry else None,
                   "mean": means.get(d.code)} for d in q.dimensions if d.code in used]
    dim_names = {d["code"]: d["name"] for d in dimensions}

    options = [{"code": o.code, "label": o.label.get(locale), "dont_know": o.points is None,
                "points": o.points} for o in q.scale.options]
    items = []
    for item in q.rating_items():
        if not item.asked_of(target.code):
            continue
        per_group = {}
        total = {o["code"]: 0 for o in options}
        for g in groups:
            if g.suppressed:
                continue
            by_option = {o["code"]: counts.get((target.code, g.code, item.code, o["code"]), 0) for o in options}
            for code, n in by_option.items():
                total[code] += n
            per_group[g.code] = dict(g.figures.get("items", {}).get(item.code) or {}, counts=by_option)
        items.append(ItemRow(item.code, item.text.get(locale), dim_names.get(item.dimension, item.dimension),
                             total, per_group))

    report = Report(campaign=campaign, target=target, locale=locale, entry=entry, method=method,
                    ranked=sum(1 for t in data["targets"] if t.get("rank")) if data else 0,
                    groups=groups, dimensions=dimensions, items=items, options=options,
                    comments=published_comments(campaign, target, visible) if entry else [],
                    trend=trend(campaign, target, locale, entry), ballots=(data or {}).get("ballots", 0),
                    any_reweighted=any(t.get("reweighted") and t.get("rank") for t in (data or {}).get("targets", [])),
                    commitments=commitments.report_rows(target.id, commitments.today(),
                                                        current_app.config["COMMITMENT_STALE_DAYS"]),
                    cases=followup.report_rows(target.id, campaign))
    report.rating_campaign, report.ratings = commitment_ratings(target, campaign, report.commitments)
    if with_charts and entry is not None:
        report.charts = draw_charts(report, data, for_print=for_print)
    return report


@dataclass
class ReportPage:
    """What a report page reads on every view, beside its kept figures (`fragments.report_figures`)."""
    campaign: Campaign
    target: Target
    locale: str
    commitments: list[dict]
    comments: list[str]
    #: the target's alert cases opened before this campaign's results (followup.operations.report_rows)
    cases: list
    #: the campaign whose public rating (评诺) of the commitments is shown, and commitment id -> rating
    rating_campaign: Campaign | None = None
    ratings: dict = field(default_factory=dict)


def commitment_ratings(target: Target, campaign: Campaign, rows: list) -> tuple[Campaign | None, dict]:
    """The public's rating of the target's commitments shown beside them (`commitments.ratings`), if any."""
    source = ratings.rating_campaign(target, campaign) if rows else None
    return source, (ratings.rated_in(source, target) if source is not None else {})


def report_page(campaign: Campaign, target: Target, locale: str, kept: dict) -> ReportPage:
    """The parts of a report page that change without new results: the published comments (of the
    groups the kept figures show, shuffled on every view), the commitments with their progress and
    rating, and the target's alert cases."""
    rows = commitments.report_rows(target.id, commitments.today(), current_app.config["COMMITMENT_STALE_DAYS"])
    source, rated = commitment_ratings(target, campaign, rows)
    return ReportPage(campaign=campaign, target=target, locale=locale, commitments=rows, rating_campaign=source,
                      ratings=rated, cases=followup.report_rows(target.id, campaign),
                      comments=published_comments(campaign, target, set(kept["visible"])) if kept["scored"] else [])


def results_source(campaign: Campaign) -> str:
    """What names the results a chart is drawn from: the published digest, or the key the
    results were kept under (read, not worked out again: a chart's own name is its content)."""
    if campaign.published_sha256 is not None:  # (the results themselves stay unread)
        return "published:" + campaign.published_sha256
    return campaign.results_cache_key or f"counted:{campaign.counted_at}"


def _charts():
    """matplotlib: imported where a chart is drawn, not by every web worker at its start."""
    from . import charts
    return charts


def draw_charts(report: Report, data: dict | None = None, for_print: bool = False) -> dict[str, str]:
    """The report's charts as inline SVG (PNG data URIs `for_print`: WeasyPrint lays SVG out
    element by element, several times slower), labelled in the current locale, each drawn
    once per change of what it shows (and kept for every app server: `drawn.chart`)."""
    out = {}
    kind = "{}-png".format if for_print else "{}".format
    source = results_source(report.campaign)
    cid = report.campaign.id
    dims = report.dimensions
    if dims:
        out["profile"] = drawn.chart(cid, source, kind("profile"), _charts().dimension_profile,
                                     [d["name"] for d in dims], [d["score"] for d in dims],
                                     [d["mean"] for d in dims], _("This report"), _("Campaign mean"), for_print)
    if report.items and report.visible_groups:
        out["distribution"] = drawn.chart(
            cid, source, kind("distribution"), _charts().distribution,
            [f"{i.code} {i.text}" for i in report.items], [o["label"] for o in report.options],
            [[i.counts[o["code"]] for o in report.options] for i in report.items],
            [o["dont_know"] for o in report.options], _("No answers"), for_print)
    if report.campaign.show_ranks:
        data = results(report.campaign) if data is None else data
        names = {ct.target.code: ct.target.name(report.locale) for ct in report.campaign.campaign_targets}
        if for_print:
            # The PDF prints the ranking as a table WeasyPrint breaks across pages at its rows
            # (one image of a hundred rows is taller than a page: it was cut off there).
            if len(_ranked_entries(data)) >= 2:
                report.ranking = ranking_rows(data, names, highlight=report.target.code)
                report.ranking_ticks = print_ranking(report.ranking)
        else:
            ranking = ranking_chart(data, names, highlight=report.target.code, campaign=report.campaign)
            if ranking:
                out["ranking"] = ranking
                report.ranking = ranking_rows(data, names, highlight=report.target.code)
        funnel = funnel_chart(data, names, highlight=report.target.code, campaign=report.campaign,
                              bitmap=for_print)
        if funnel:
            out["funnel"] = funnel
            report.funnel = funnel_rows(data, names, highlight=report.target.code)
    if len(report.trend) > 1:
        out["trend"] = drawn.chart(
            cid, source, kind("trend"), _charts().trend,
            [p["label"] for p in report.trend], [p["score"] for p in report.trend],
            [(p["ci95"] or [None, None])[0] for p in report.trend],
            [(p["ci95"] or [None, None])[1] for p in report.trend], _("Score"), for_print)
    return out


def _ranked_entries(data: dict | None) -> list[dict]:
    return [e for e in (data or {}).get("targets", []) if e.get("score") is not None and e.get("ci95")]


def ranking_rows(data: dict | None, names: dict[str, str], highlight: str | None = None) -> list[dict]:
    """What the ranking chart shows, best first, as rows of a table (its text alternative)."""
    rows = [{"name": names.get(e["target"], e["target"]), "score": e["score"], "low": e["ci95"][0],
             "high": e["ci95"][1], "rank": e.get("rank"), "reweighted": bool(e.get("reweighted")),
             "highlight": e["target"] == highlight} for e in _ranked_entries(data)]
    return sorted(rows, key=lambda row: -row["score"])


def ranking_scale(rows: list[dict]) -> tuple[float, float, list[float]]:
    """The common scale of the printed ranking: (low end, high end, tick values), the ends on
    multiples of the tick step, within 0-100."""
    low, high = min(row["low"] for row in rows), max(row["high"] for row in rows)
    span = max(high - low, 1.0)
    step = next(s for s in (1, 2, 5, 10, 20, 25) if span / s <= 6)
    start = max(0.0, step * math.floor(low / step))
    end = min(100.0, step * math.ceil(high / step))
    if end <= start:
        start, end = max(0.0, start - step), min(100.0, end + step)
    ticks, value = [], start
    while value <= end + 1e-9:
        ticks.append(value)
        value += step
    return start, end, ticks


def print_ranking(rows: list[dict]) -> list[dict]:
    """Give the ranking rows their places on the printed scale, in per cent of its width: the
    interval's ends (`x_low`, `x_high`), the score (`x_score`) and its mark (`x_dot`, two ends);
    returns the scale's tick labels (value and place)."""
    if not rows:
        return []
    start, end, ticks = ranking_scale(rows)
    width = end - start

    def place(value: float) -> float:
        return round(min(100.0, max(0.0, (value - start) / width * 100)), 2)
    for row in rows:
        row["x_low"], row["x_score"] = place(row["low"]), place(row["score"])
        row["x_high"] = max(place(row["high"]), row["x_low"] + 0.4)
        # the score's mark, 1.6 % of the scale wide, within the interval's ends
        row["x_dot"] = (max(row["x_low"], round(row["x_score"] - 0.8, 2)),
                        min(row["x_high"], round(row["x_score"] + 0.8, 2)))
    return [{"value": "%g" % value, "x": place(value)} for value in ticks]


def ranking_chart(data: dict | None, names: dict[str, str], highlight: str | None = None,
                  campaign: Campaign | None = None, source: str | None = None) -> str | None:
    """The caterpillar plot of every scored target (inline SVG), labelled in the current
    locale; drawn once per change of the results when the campaign is given."""
    entries = _ranked_entries(data)
    if len(entries) < 2:
        return None
    codes = [e["target"] for e in entries]
    args = ([names.get(c, c) for c in codes], [e["score"] for e in entries], [e["ci95"][0] for e in entries],
            [e["ci95"][1] for e in entries], [bool(e.get("reweighted")) for e in entries],
            codes.index(highlight) if highlight in codes else None,
            _("Score with its 95% CI"), _("scored without a group that had too few responses"))
    if campaign is None:
        return _charts().caterpillar(*args)
    source = source if source is not None else results_source(campaign)
    return drawn.chart(campaign.id, source, "ranking", _charts().caterpillar, *args)


def _funnel_entries(data: dict | None) -> list[dict]:
    return [e for e in (data or {}).get("targets", []) if e.get("rank") and e.get("se")]


def funnel_rows(data: dict | None, names: dict[str, str], highlight: str | None = None) -> list[dict]:
    """What the funnel plot shows, most precise first, as rows of a table (its text alternative)."""
    rows = [{"name": names.get(e["target"], e["target"]), "score": e["score"], "precision": 1 / e["se"],
             "funnel": e.get("funnel"), "reweighted": bool(e.get("reweighted")),
             "highlight": e["target"] == highlight} for e in _funnel_entries(data)]
    return sorted(rows, key=lambda row: -row["precision"])


def funnel_chart(data: dict | None, names: dict[str, str], highlight: str | None = None,
                 campaign: Campaign | None = None, source: str | None = None, bitmap: bool = False) -> str | None:
    """The funnel plot of every ranked target (rule F of the method; inline SVG), labelled in the
    current locale; drawn once per change of the results when the campaign is given."""
    funnel = (data or {}).get("funnel") or {}
    entries = _funnel_entries(data)
    if len(entries) < 2 or funnel.get("mean") is None:
        return None
    codes = [e["target"] for e in entries]
    args = ([names.get(c, c) for c in codes], [e["score"] for e in entries], [e["se"] for e in entries],
            funnel["mean"], [bool(e.get("reweighted")) for e in entries],
            codes.index(highlight) if highlight in codes else None,
            _("Score"), _("Precision (1 / standard error)"), _("Campaign mean"),
            (_("limits at 95%"), _("limits at 99.8%")), bitmap)
    if campaign is None:
        return _charts().funnel(*args)
    return drawn.chart(campaign.id, source if source is not None else results_source(campaign),
                       "funnel-png" if bitmap else "funnel", _charts().funnel, *args)


def published_funnel_chart(campaign: Campaign, locale: str) -> str | None:
    """The public page's funnel plot: published results never change, so it is drawn once."""
    return funnel_chart(results(campaign), {t.code: t.name(locale) for t in campaign.targets},
                        campaign=campaign, source=results_source(campaign))


def published_ranking_chart(campaign: Campaign, locale: str) -> str | None:
    """The public page's ranking chart: published results never change, so it is drawn once."""
    return ranking_chart(results(campaign), {t.code: t.name(locale) for t in campaign.targets},
                         campaign=campaign, source=results_source(campaign))


def moderate(comment: Comment, status: str) -> None:
    """Publish or hide a comment; the decision is in the audit log, the text is not."""
    if status not in ("published", "hidden", "pending"):
        raise ValueError(status)
    before = comment.status
    comment.status = status
    audit.record("comment.moderate", f"comment:{comment.id}", campaign=comment.campaign_id,
                 before=before, after=status)
    db.session.commit()


def moderate_many(campaign_id: int, comment_ids: list[str], status: str) -> int:
    """Publish or hide several comments of one campaign at once; one audit entry names how many."""
    if status not in ("published", "hidden"):
        raise ValueError(status)
    comments = db.session.execute(select(Comment).where(Comment.campaign_id == campaign_id,
                                                        Comment.id.in_(comment_ids))).scalars().all()
    for comment in comments:
        comment.status = status
    audit.record("comment.moderate_bulk", f"campaign:{campaign_id}", campaign=campaign_id, after=status,
                 count=len(comments))
    db.session.commit()
    return len(comments)
