"""Rectification ledger views (staff board, a campaign's ledger, an item, the public ledger): load,
check access, validate, call an operation, render."""
import io

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..commitments.operations import CommitmentError, evidence_file
from ..extensions import db
from ..formtools import ConfirmForm, choices, confirmed, form_action
from ..i18n import current_language
from ..models import Campaign, CampaignTarget, RectificationItem, RectificationProgress, Target
from ..security import can, load_campaign, load_object
from . import operations, review as reviews
from .forms import CheckForm, ItemForm, PlanForm, ProgressForm, PublicForm, ReviewCampaignForm, ReviewForm, SendBackForm
from .operations import LedgerError


def _load(rectification_id: int, action: str = "rectification.read") -> RectificationItem:
    return load_object(RectificationItem, rectification_id, action)


def _load_entry(progress_id: int, action: str) -> RectificationProgress:
    return load_object(RectificationProgress, progress_id, action)


def board():
    """Every ledger item the user reaches, overdue ones first and highlighted; staff also see the
    progress waiting for review and the published campaigns whose ledger they may start."""
    on = operations.today()
    rows = [(item, operations.flags(item, on)) for item in operations.visible_items(current_user)]
    wanted = request.args.get("flag", "")
    if wanted == "overdue":
        rows = [(i, f) for i, f in rows if f]
    rows.sort(key=lambda row: not row[1])
    manage = can("rectification.manage")
    campaigns = [c for c in operations.published_campaigns() if can("ledger.manage", c)] if manage else []
    return render_template("rectification/board.html", rows=rows, wanted=wanted,
                           overdue=sum(bool(f) for _i, f in rows),
                           pending=operations.pending_progress(current_user) if manage else [],
                           campaigns=campaigns, locale=current_language())


def ledger(campaign_id: int, status: int = 200, **forms):
    """A campaign's ledger, target by target, with the counts the dashboard shows."""
    campaign = load_campaign(campaign_id)
    if campaign.status != "published":
        abort(404, description=_("A ledger starts once the campaign's results are published."))
    on = operations.today()
    items = operations.visible_items(current_user, campaign_id=campaign.id)
    by_target: dict[int, list] = {}
    for item in items:
        by_target.setdefault(item.target_id, []).append((item, operations.flags(item, on)))
    targets = [t for t in campaign.targets if t.id in by_target or can("ledger.manage", campaign)]
    return render_template("rectification/ledger.html", campaign=campaign, targets=targets, by_target=by_target,
                           counts=operations.counts(campaign.id, on), public_form=PublicForm(),
                           review_form=forms.get("review_form") or ReviewCampaignForm(code=f"{campaign.code}-review"),
                           locale=current_language()), status


def publicity(campaign_id: int):
    campaign = load_campaign(campaign_id)
    if not can("ledger.manage", campaign):
        abort(403)
    form = PublicForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        operations.set_public(campaign, bool(form.public.data), current_user.username)
    except LedgerError as error:
        flash(str(error), "error")
    else:
        flash(_("The ledger is public now.") if campaign.ledger_public else _("The ledger is no longer public."),
              "success")
    return redirect(url_for("rectification.ledger", campaign_id=campaign.id))


def start_review(campaign_id: int):
    """Staff start the review (回头看) of a campaign's rectification: a draft campaign to set up and open."""
    campaign = load_campaign(campaign_id)
    if not can("ledger.manage", campaign) or not can("campaign.write"):
        abort(403)
    form = ReviewCampaignForm()
    if form.validate_on_submit():
        try:
            review = reviews.create_review(campaign, form.code.data, current_user.username)
        except CommitmentError as error:
            form.code.errors.append(str(error))
        else:
            flash(_("The review is a draft campaign: check its groups, then open it."), "success")
            return redirect(url_for("admin.campaign", campaign_id=review.id))
    return ledger(campaign.id, 400, review_form=form)


def _plan(form) -> dict:
    return {k: getattr(form, k).data for k in operations.PLAN_FIELDS}


def new(campaign_id: int, target_id: int):
    """Staff record a problem of a target, resting on a published figure or comment, or their own finding."""
    campaign = load_campaign(campaign_id)
    if not can("ledger.manage", campaign):
        abort(403)
    target = db.session.get(Target, target_id)
    link = db.session.execute(select(CampaignTarget.id).where(CampaignTarget.campaign_id == campaign.id,
                                                              CampaignTarget.target_id == target_id)).first()
    if target is None or link is None:
        abort(404)
    if campaign.status != "published":
        abort(404, description=_("A ledger starts once the campaign's results are published."))
    locale = current_language()
    found = operations.candidates(campaign, target, locale)
    form = ItemForm()
    form.origin.choices = choices([(c.key, c.words) for c in found])
    if form.validate_on_submit():
        try:
            item = operations.create_item(campaign, target, form.origin.data, form.problem_zh.data,
                                          form.problem_en.data or "", current_user.username, locale, _plan(form))
        except LedgerError as error:
            form.problem_zh.errors.append(str(error))
        else:
            flash(_("Problem recorded: the leader or unit drafts the measures."), "success")
            return redirect(url_for("rectification.item", rectification_id=item.id))
    return render_template("rectification/new.html", form=form, campaign=campaign, target=target,
                           locale=locale), (400 if form.errors else 200)


def _detail(item: RectificationItem, status: int = 200, **forms):
    reviews = {p.id: forms.get("review") if forms.get("review_id") == p.id else ReviewForm(prefix=f"r{p.id}")
               for p in item.progress if p.review == "pending"}
    return render_template("rectification/item.html", item=item, flags=operations.flags(item, operations.today()),
                           comment=operations.comment_text(item), reviews=reviews,
                           check_form=forms.get("check_form") or CheckForm(),
                           send_back_form=forms.get("send_back_form") or SendBackForm(),
                           confirm=ConfirmForm(), locale=current_language()), status


def item(rectification_id: int):
    return _detail(_load(rectification_id))


def plan(rectification_id: int):
    entry = _load(rectification_id, "rectification.plan")
    form = PlanForm(obj=entry)
    def page():
        return (render_template("rectification/plan.html", form=form, item=entry,
                                locale=current_language()), 400 if form.errors else 200)
    return form_action(form, lambda: operations.update_plan(entry, _plan(form), current_user.username),
                       _("Plan saved."), _here(entry), page, lambda error: form.measures_zh.errors.append(str(error)),
                       CommitmentError)


def _here(entry: RectificationItem) -> str:
    return url_for("rectification.item", rectification_id=entry.id)


def _act(entry: RectificationItem, action, success: str):
    return confirmed(action, success, _here(entry),
                     lambda: _detail(entry, 409), CommitmentError)


def submit(rectification_id: int):
    entry = _load(rectification_id, "rectification.plan")
    return _act(entry, lambda: operations.submit_plan(entry, current_user.username),
                _("Submitted: staff approve the plan."))


def approve(rectification_id: int):
    entry = _load(rectification_id, "rectification.manage")
    return _act(entry, lambda: operations.approve_plan(entry, current_user.username), _("Plan approved."))


def ask_check(rectification_id: int):
    entry = _load(rectification_id, "rectification.progress")
    return _act(entry, lambda: operations.ask_check(entry, current_user.username),
                _("The commission is asked for the closing check."))


def send_back(rectification_id: int):
    entry = _load(rectification_id, "rectification.manage")
    form = SendBackForm()
    if not form.validate_on_submit():
        return _detail(entry, 400, send_back_form=form)
    return _act(entry, lambda: operations.send_back(entry, form.note.data or "", current_user.username),
                _("Sent back to its author as a draft."))


def check(rectification_id: int):
    entry = _load(rectification_id, "rectification.manage")
    form = CheckForm()
    return form_action(form, lambda: operations.check(entry, form.outcome.data, form.reason.data or "",
                                                      current_user.username),
                       _("Closing check recorded."), _here(entry), lambda: _detail(entry, 400, check_form=form),
                       lambda error: form.reason.errors.append(str(error)), CommitmentError)


def progress_new(rectification_id: int):
    entry = _load(rectification_id, "rectification.progress")
    form = ProgressForm()
    locale = current_language()
    def page():
        return (render_template("commitments/progress_form.html", form=form,
                                name=entry.target.name(locale), what=entry.problem(locale), back=_here(entry)),
                400 if form.errors else 200)
    # the ledger's refusals and the shared checks of the entry itself go beside the form
    return form_action(form, lambda: operations.add_progress(entry, **form.entry(
        current_user.username, current_app.config["COMMITMENT_ATTACHMENT_MAX"])),
        _("Progress reported: staff review it."), _here(entry), page, form.refused, CommitmentError)


def review(rectification_progress_id: int):
    entry = _load_entry(rectification_progress_id, "rectification.manage")
    form = ReviewForm(prefix=f"r{entry.id}")
    return form_action(form, lambda: operations.review_progress(entry, form.decision.data, form.note.data or "",
                                                                current_user.username),
                       _("Progress entry reviewed."), _here(entry.item),
                       lambda: _detail(entry.item, 400, review=form, review_id=entry.id),
                       lambda error: form.note.errors.append(str(error)), CommitmentError)


def attachment(rectification_progress_id: int):
    entry = _load_entry(rectification_progress_id, "rectification.read")
    if not entry.has_attachment:
        abort(404)
    return send_file(io.BytesIO(entry.attachment), **evidence_file(entry))


# -- the public ledger: problems, approved measures and statuses of campaigns that chose it ----------

def public_index():
    return render_template("rectification/public_index.html", campaigns=operations.public_campaigns(),
                           locale=current_language())


def public_campaign(campaign_code: str):
    campaign = db.session.execute(select(Campaign).where(Campaign.code == campaign_code)).scalar_one_or_none()
    items = operations.public_items(campaign) if campaign is not None else []
    if not items:
        abort(404)
    on = operations.today()
    by_target: dict[int, list] = {}
    for entry in items:
        by_target.setdefault(entry.target_id, []).append((entry, operations.flags(entry, on)))
    targets = [t for t in campaign.targets if t.id in by_target]
    return render_template("rectification/public_campaign.html", campaign=campaign, targets=targets,
                           by_target=by_target, locale=current_language())
