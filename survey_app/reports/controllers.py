"""Report pages and the commission's dashboard: load, check access per object, render."""
import functools

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from ..ballots import operations as ballots
from ..extensions import db
from ..followup import operations as followup
from ..formtools import choices
from ..i18n import current_language
from ..models import Campaign, CampaignTarget, Comment, RespondentGroup, Target
from ..paging import page_of
from ..results import adapter, alerts
from ..security import allowed_campaigns, can, load_campaign
from . import fragments, operations, pdf
from .forms import BulkModerateForm, CommentFilterForm, ModerateForm


def _counted(campaign: Campaign) -> dict:
    if campaign.kind == "decision":  # its result is the tally of the vote (admin results, minutes)
        abort(404, description=_("A decision meeting has no scores, reports or rankings: its result is the tally of the vote."))
    data = adapter.results(campaign)
    if data is None:
        abort(404, description=_("There are no results before the ballot box is opened and counted."))
    return data


@functools.cache
def _link():
    """(built once: read on every view of a report)"""
    return select(CampaignTarget).where(CampaignTarget.campaign_id == bindparam("campaign_id"),
                                        CampaignTarget.target_id == bindparam("target_id"))


def load_report(campaign_id: int, target_id: int) -> tuple[Campaign, Target]:
    """The (campaign, target) whose report the current user may read, or 404/403.

    A leader reads only the report on their own target, and only once the campaign is
    published (`security.can`); the access check before the view has refused them already.
    """
    link = db.session.execute(_link(), {"campaign_id": campaign_id, "target_id": target_id}).scalar_one_or_none()
    if link is None:
        abort(404)
    if not can("report.read", link):
        abort(403)
    _counted(link.campaign)
    return link.campaign, link.target


def index():
    """A leader sees their published reports; the commission sees every counted campaign in scope."""
    if can("campaign.read"):
        query = select(Campaign).where(Campaign.counted_at.is_not(None)).order_by(Campaign.created_at.desc())
    else:
        query = select(Campaign).where(Campaign.status == "published").order_by(Campaign.published_at.desc())
    query = query.where(Campaign.kind != "decision")  # a vote has a tally, no report
    campaigns = allowed_campaigns("report.read", db.session.execute(query).scalars())
    return render_template("reports/index.html", campaigns=campaigns, locale=current_language())


def report(campaign_id: int, target_id: int):
    """Access is checked first (`load_report`); the figures are the target's kept fragment, the
    comments and commitments are read on every view."""
    campaign, target = load_report(campaign_id, target_id)
    locale = current_language()
    kept = fragments.report_figures(campaign, target, locale,
                                    lambda: operations.build_report(campaign, target, locale))
    return render_template("reports/report.html", r=operations.report_page(campaign, target, locale, kept),
                           locale=locale, figures=kept["figures"], foot=kept["foot"], min_n=kept["min_n"])


def report_pdf(campaign_id: int, target_id: int):
    campaign, target = load_report(campaign_id, target_id)
    r = operations.build_report(campaign, target, current_language(), for_print=True)
    body = pdf.render(r)
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{pdf.filename(r)}"', "Cache-Control": "private, no-store"})


# -- the commission's dashboard --------------------------------------------------------------

def dashboard(campaign_id: int):
    """The turnout and the moderation queue are read on every view; the results' part is the
    campaign's kept fragment in this language (`fragments.dashboard_results`)."""
    campaign = load_campaign(campaign_id)
    locale = current_language()
    _counted(campaign)

    def context() -> dict:
        data = _counted(campaign)
        targets = {ct.target.code: ct.target for ct in campaign.campaign_targets}
        flagged, sensitivity = alerts.without_straightliners(campaign, data)
        q = campaign.questionnaire_version.parsed
        names = {code: t.name(locale) for code, t in targets.items()}
        return dict(campaign=campaign, results=data, targets=targets, alerts=alerts.alerts(data),
                    sensitivity=sensitivity, flagged=flagged, locale=locale,
                    dimension_names={d.code: d.name.get(locale) for d in q.dimensions},
                    method=adapter.method_of(campaign),
                    ranking_chart=operations.ranking_chart(data, names, campaign=campaign),
                    funnel_chart=operations.funnel_chart(data, names, campaign=campaign),
                    funnel_rows=operations.funnel_rows(data, names))
    pending = db.session.execute(_pending(), {"campaign_id": campaign.id}).scalar_one()
    return render_template("reports/dashboard.html", campaign=campaign, turnout=ballots.turnout(campaign),
                           pending=pending, locale=locale,
                           case_rows=followup.campaign_case_counts(campaign.id, followup.today()),
                           kept=fragments.dashboard_results(campaign, locale, context))


@functools.cache
def _pending():
    """(built once: the dashboard counts the moderation queue on every view)"""
    return select(db.func.count()).select_from(Comment).where(Comment.campaign_id == bindparam("campaign_id"),
                                                              Comment.status == "pending")


def drilldown(campaign_id: int, target_id: int):
    """The figures behind a target's alert: dissatisfaction per group and item means."""
    campaign = load_campaign(campaign_id)
    _counted(campaign)
    campaign, target = load_report(campaign.id, target_id)
    r = operations.build_report(campaign, target, current_language(), with_charts=False)
    return render_template("reports/drilldown.html", r=r, locale=r.locale)


COMMENTS_PER_PAGE = 50


def _comment_filter(campaign: Campaign) -> tuple[CommentFilterForm, str, int, int]:
    shown = CommentFilterForm(request.args)
    shown.target.choices = choices([(0, _("All targets"))] + [(t.id, f"{t.code} · {t.name(current_language())}")
                                                              for t in campaign.targets])
    if shown.validate():
        return shown, shown.status.data, shown.target.data or 0, shown.page.data or 1
    return shown, "pending", 0, 1


def comments(campaign_id: int):
    """The moderation queue of a city: filtered by status and target, a page at a time, with
    bulk publish / hide of the ticked comments."""
    campaign = load_campaign(campaign_id)
    locale = current_language()
    shown, status, target_id, page = _comment_filter(campaign)
    query = (select(Comment, Target, RespondentGroup.code).outerjoin(Target, Target.id == Comment.target_id)
             .join(RespondentGroup, RespondentGroup.id == Comment.group_id)
             .where(Comment.campaign_id == campaign.id, Comment.status == status))
    if target_id:
        query = query.where(Comment.target_id == target_id)
    shown_page = page_of(query.order_by(Target.code, Comment.id), page, COMMENTS_PER_PAGE)
    total, page, pages, rows = shown_page.total, shown_page.page, shown_page.pages, shown_page.rows
    data = adapter.results(campaign)
    suppressed = set()
    for entry in (data or {}).get("targets", []):
        for code, cell in entry.get("groups", {}).items():
            if cell.get("suppressed"):
                suppressed.add((entry["target"], code))
    items = [(comment, target, target is not None and (target.code, group_code) in suppressed)
             for comment, target, group_code in rows]
    filters = {"status": status, "target": target_id or None}
    return render_template("reports/comments.html", campaign=campaign, rows=items, shown=shown, status=status,
                           form=ModerateForm(), bulk=BulkModerateForm(), locale=locale, total=total, page=page,
                           pages=pages, filters=filters)


def moderate_many(campaign_id: int):
    campaign = load_campaign(campaign_id)
    form = BulkModerateForm()
    if not form.validate_on_submit():
        abort(400, description=_("Choose publish or hide."))
    ids = [i for i in request.form.getlist("comment") if 0 < len(i) <= 64][:COMMENTS_PER_PAGE * 4]
    if not ids:
        flash(_("Tick the comments first."), "error")
    else:
        n = operations.moderate_many(campaign.id, ids, form.status.data)
        flash((_("%(n)d comments published.", n=n) if form.status.data == "published"
               else _("%(n)d comments hidden.", n=n)), "success")
    back = {k: request.args.get(k) for k in ("status", "target", "page") if request.args.get(k)}
    return redirect(url_for("reports.comments", campaign_id=campaign.id, **back))


def moderate(campaign_id: int, comment_id: str):
    campaign = load_campaign(campaign_id)
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.campaign_id != campaign.id:
        abort(404)
    form = ModerateForm()
    if not form.validate_on_submit():
        abort(400, description=_("Choose publish or hide."))
    operations.moderate(comment, form.status.data)
    flash({"published": _("The comment is published."), "hidden": _("The comment is hidden."),
           "pending": _("The comment is back in the queue.")}[form.status.data], "success")
    back = request.args.get("status", "pending")
    extra = {k: request.args.get(k) for k in ("target", "page") if (request.args.get(k) or "").isdigit()}
    return redirect(url_for("reports.comments", campaign_id=campaign.id,
                            status=back if back in ("pending", "published", "hidden") else "pending", **extra))


def export_xlsx(campaign_id: int):
    campaign = load_campaign(campaign_id)
    from . import exports  # openpyxl: imported where a workbook is written
    body = exports.to_xlsx(campaign, _counted(campaign), current_language())
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{campaign.code}-results.xlsx"'})


def export_csv(campaign_id: int):
    campaign = load_campaign(campaign_id)
    from . import exports  # openpyxl: imported where a file is written
    body = exports.to_csv(campaign, _counted(campaign), current_language())
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{campaign.code}-results.csv"'})
