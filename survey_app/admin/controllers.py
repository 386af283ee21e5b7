"""Commission views: load, check access, validate, call an operation, render."""
import json
from datetime import datetime, timezone

from flask import (
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..ballots import counting
from ..ballots import operations as ballots
from ..ballots import signing
from ..ballots.slips import SlipsIncomplete, poster_pdf, slips_pdf
from ..extensions import db
from ..formtools import ConfirmForm, choices
from ..i18n import current_language, time_zone
from ..models import (
    Campaign,
    CampaignTarget,
    Questionnaire,
    QuestionnaireVersion,
    RespondentGroup,
    Target,
)
from ..results import adapter, decisions, signatures
from ..security import allowed_campaigns, load_campaign
from . import operations
from . import imports
from . import items
from .forms import (
    CampaignForm,
    CopySetupForm,
    TargetImportForm,
    GroupEditForm,
    GroupForm,
    IssueCodesForm,
    RevokeForm,
    TargetForm,
    TargetReportForm,
)

def _to_utc(local: datetime | None) -> datetime | None:
    if local is None:
        return None
    return local.replace(tzinfo=time_zone()).astimezone(timezone.utc).replace(tzinfo=None)


def _to_local(utc: datetime | None) -> datetime | None:
    if utc is None:
        return None
    return utc.replace(tzinfo=timezone.utc).astimezone(time_zone()).replace(tzinfo=None)


def _not_a_meeting(campaign) -> None:
    """409 for a decision meeting: its members and matters are set on its own page (`meetings`)."""
    if campaign.is_decision:
        abort(409, description=_("A decision meeting's members and matters are set on the meeting's own page, and only before voting opens."))


def visible_campaigns():
    query = select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
    return allowed_campaigns("campaign.read", db.session.execute(query).scalars())


def load_group(campaign: Campaign, group_id: int) -> RespondentGroup:
    group = db.session.get(RespondentGroup, group_id)
    if group is None or group.campaign_id != campaign.id:
        abort(404)
    return group


def code_group_choices(campaign: Campaign):
    return choices([(g.id, g.name(current_language())) for g in campaign.groups if g.access == "code"])


def index():
    campaigns = visible_campaigns()
    turnout = {c.id: sum(t.received for t in ballots.turnout(c)) for c in campaigns}
    return render_template("admin/index.html", campaigns=campaigns, turnout=turnout, locale=current_language())


def _version_choices():
    versions = db.session.execute(
        select(QuestionnaireVersion).join(Questionnaire)
        .where(QuestionnaireVersion.status == "published")
        .order_by(Questionnaire.code, QuestionnaireVersion.number)).scalars().all()
    locale = current_language()
    return choices([(v.id, f"{v.questionnaire.code} v{v.number} — {v.parsed.title.get(locale)}") for v in versions])


def campaign_new():
    form = CampaignForm()
    form.questionnaire_version.choices = _version_choices()
    if form.validate_on_submit():
        if db.session.execute(select(Campaign).where(Campaign.code == form.code.data)).scalar_one_or_none():
            form.code.errors.append(_("A campaign with this code exists already."))
        else:
            campaign = operations.create_campaign(
                code=form.code.data, kind=form.kind.data, title_zh=form.title_zh.data, title_en=form.title_en.data,
                version=db.session.get(QuestionnaireVersion, form.questionnaire_version.data),
                opens_at=_to_utc(form.opens_at.data), closes_at=_to_utc(form.closes_at.data),
                min_group_size=form.min_group_size.data, show_ranks=form.show_ranks.data,
                funnel_alerts=form.funnel_level, hotline=form.hotline.data, contact=form.contact.data)
            flash(_("Campaign created. Now add its respondent groups and targets."), "success")
            return redirect(url_for("admin.campaign", campaign_id=campaign.id))
    if not form.questionnaire_version.choices:
        flash(_("Publish a questionnaire first: a campaign pins a published questionnaire version."), "error")
    return render_template("admin/campaign_form.html", form=form, campaign=None), (400 if form.errors else 200)


def campaign_edit(campaign_id: int):
    campaign = load_campaign(campaign_id)
    if campaign.status == "published":
        abort(409, description=_("A published campaign cannot change."))
    if campaign.is_decision and campaign.status == "draft":
        return redirect(url_for("meetings.edit", campaign_id=campaign.id))
    form = CampaignForm(obj=campaign)
    form.questionnaire_version.choices = _version_choices() or choices([(campaign.questionnaire_version_id, "")])
    if request.method == "GET":
        form.opens_at.data, form.closes_at.data = _to_local(campaign.opens_at), _to_local(campaign.closes_at)
        form.questionnaire_version.data = campaign.questionnaire_version_id
    form.code.data = campaign.code
    if form.validate_on_submit():
        operations.edit_campaign(
            campaign, title_zh=form.title_zh.data, title_en=form.title_en.data, hotline=form.hotline.data,
            contact=form.contact.data, closes_at=_to_utc(form.closes_at.data), kind=form.kind.data,
            opens_at=_to_utc(form.opens_at.data), version_id=form.questionnaire_version.data,
            min_group_size=form.min_group_size.data, show_ranks=form.show_ranks.data,
            funnel_alerts=form.funnel_level)
        flash(_("Saved."), "success")
        return redirect(url_for("admin.campaign", campaign_id=campaign.id))
    return render_template("admin/campaign_form.html", form=form, campaign=campaign), (400 if form.errors else 200)


def campaign(campaign_id: int):
    campaign = load_campaign(campaign_id)
    issue = IssueCodesForm()
    issue.group.choices = code_group_choices(campaign)
    revoke = RevokeForm()
    revoke.group.choices = issue.group.choices
    if campaign.is_decision:
        issue.count.label.text = _("Number of voting codes")
        revoke.confirm.label.text = _("Yes, withdraw every unused voting code")
        issue.format.choices = choices([("csv", _("CSV list")), ("pdf", _("Printable voting slips (PDF)"))])
    return render_template("admin/campaign.html", campaign=campaign, turnout=ballots.turnout(campaign),
                           days=ballots.turnout_by_day(campaign), issue=issue, revoke=revoke,
                           confirm=ConfirmForm(), locale=current_language(),
                           public_base=current_app.config["PUBLIC_BASE_URL"], ballots_left=ballots.ballots_left(campaign),
                           specific=_specific_items(campaign))


def _specific_items(campaign) -> list | None:
    """The campaign's questions for one target only as (target, code, source, text): the frozen ones once
    it is open, what opening would freeze while a draft; None when its questionnaire has none."""
    if not campaign.questionnaire_version.parsed.specific_sections():
        return None
    locale = current_language()
    if campaign.status != "draft":
        return [(i.target, i.code, i.source, i.text(locale)) for i in campaign.items]
    return [(target, item.code, source, item.text.get(locale)) for target, source, item in items.preview(campaign)]


def group_new(campaign_id: int):
    campaign = load_campaign(campaign_id)
    _not_a_meeting(campaign)
    if campaign.status != "draft":
        abort(409, description=_("Groups are fixed once the campaign is open."))
    form = GroupForm()
    if form.validate_on_submit():
        if campaign.group(form.code.data):
            form.code.errors.append(_("This campaign has a group with this code already."))
        else:
            operations.add_group(campaign, code=form.code.data, name_zh=form.name_zh.data, name_en=form.name_en.data,
                                 weight=form.weight.data, access=form.access.data, expected=form.expected.data)
            flash(_("Group added."), "success")
            return redirect(url_for("admin.campaign", campaign_id=campaign.id))
    return render_template("admin/group_form.html", form=form, campaign=campaign, group=None), \
        (400 if form.errors else 200)


def group_edit(campaign_id: int, group_id: int):
    campaign = load_campaign(campaign_id)
    group = load_group(campaign, group_id)
    _not_a_meeting(campaign)
    if campaign.status == "published":
        abort(409, description=_("A published campaign cannot change."))
    form = GroupEditForm(obj=group)
    if form.validate_on_submit():
        try:
            operations.update_group(group, name_zh=form.name_zh.data, name_en=form.name_en.data,
                                    weight=form.weight.data, expected=form.expected.data)
        except operations.LifecycleError as error:
            abort(409, description=str(error))
        flash(_("Saved."), "success")
        return redirect(url_for("admin.campaign", campaign_id=campaign.id))
    return render_template("admin/group_form.html", form=form, campaign=campaign, group=group), \
        (400 if form.errors else 200)


def targets(campaign_id: int):
    campaign = load_campaign(campaign_id)
    _not_a_meeting(campaign)
    form = TargetForm(prefix="new")
    all_targets = db.session.execute(select(Target).order_by(Target.kind, Target.code)).scalars().all()
    if request.method == "POST":
        if campaign.status != "draft":
            abort(409, description=_("Targets are fixed once the campaign is open."))
        if request.form.get("action") == "add":
            if form.validate_on_submit():
                if db.session.execute(select(Target).where(Target.code == form.code.data)).scalar_one_or_none():
                    form.code.errors.append(_("A target with this code exists already."))
                else:
                    operations.add_target(campaign, code=form.code.data, kind=form.kind.data,
                                          name_zh=form.name_zh.data, name_en=form.name_en.data,
                                          post_zh=form.post_zh.data, post_en=form.post_en.data)
                    flash(_("Target added."), "success")
                    return redirect(url_for("admin.targets", campaign_id=campaign.id))
        elif ConfirmForm().validate_on_submit():
            wanted = {int(v) for v in request.form.getlist("target") if v.isdigit()}
            chosen = [t for t in all_targets if t.id in wanted]
            operations.set_targets(campaign, chosen)
            flash(_("Targets saved."), "success")
            return redirect(url_for("admin.campaign", campaign_id=campaign.id))
        else:
            abort(400)
    selected = {t.id for t in campaign.targets}
    return render_template("admin/targets.html", campaign=campaign, form=form, all_targets=all_targets,
                           selected=selected, confirm=ConfirmForm(), locale=current_language()), \
        (400 if form.errors else 200)


def _confirmed_step(campaign_id: int, step: str, operation, refused, done: str):
    """GET says what the step does and what comes next; a confirmed POST runs the operation."""
    campaign = load_campaign(campaign_id)
    if request.method == "GET":
        return render_template("admin/confirm_step.html", campaign=campaign, step=step, confirm=ConfirmForm(),
                               turnout=ballots.turnout(campaign), locale=current_language())
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operation(campaign)
    except operations.LifecycleError as error:
        flash(refused(error), "error")
    else:
        flash(done, "success")
    return redirect(url_for("admin.campaign", campaign_id=campaign.id))


def close_campaign(campaign_id: int):
    return _confirmed_step(
        campaign_id, "close", operations.close_campaign,
        lambda reason: _("The campaign cannot be closed: %(reason)s", reason=reason),
        _("The campaign is closed. Counting officers can now open the ballot box."))


def count_progress(campaign_id: int):
    """How far the count of the campaign is, for the progress bar of the count page."""
    campaign = load_campaign(campaign_id)
    run = counting.progress(campaign.id)
    body = {"running": run is not None, "counted": campaign.counted_at is not None,
            "phase": None, "done": 0, "total": 0}
    if run is not None:
        body.update(phase=run["phase"], done=run["done"], total=run["total"])
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def publish_campaign(campaign_id: int):
    """Publishing freezes the results."""
    return _confirmed_step(
        campaign_id, "publish", operations.publish_campaign,
        lambda reason: _("The campaign cannot be published: %(reason)s", reason=reason),
        _("The results are published and frozen."))


def issue_codes(campaign_id: int):
    campaign = load_campaign(campaign_id)
    form = IssueCodesForm()
    form.group.choices = code_group_choices(campaign)
    if campaign.status in ("closed", "published"):
        abort(409, description=_("Codes can no longer be issued: the campaign is closed."))
    if form.validate_on_submit():
        group = load_group(campaign, form.group.data)
        try:
            return _issued(campaign, group, form)
        except ballots.BallotLimit as limit:  # a decision meeting: one code per member
            flash(_("A decision meeting has one code per member: %(n)d more codes at most.", n=limit.left), "error")
            return redirect(url_for("admin.campaign", campaign_id=campaign.id))
    for field, errors in form.errors.items():
        for error in errors:
            flash(f"{getattr(form, field).label.text}: {error}", "error")
    return redirect(url_for("admin.campaign", campaign_id=campaign.id))


def _issued(campaign, group, form):
    """The download of the codes just issued (slips or CSV); BallotLimit beyond a meeting's members."""
    filename = f"codes-{campaign.code}-{group.code}"
    if form.format.data == "pdf":
        # one step: the codes are stored only once every one of them is on a rendered slip
        base = current_app.config["PUBLIC_BASE_URL"]
        try:
            pdf = ballots.issue_codes(campaign, group, form.count.data,
                                      deliver=lambda plain: slips_pdf(campaign, group, plain, base))
        except SlipsIncomplete:
            current_app.logger.exception("slips incomplete")
            flash(_("The slips could not be printed, so no code was issued. Try again, or issue "
                    "fewer codes at a time."), "error")
            return redirect(url_for("admin.campaign", campaign_id=campaign.id))
        return current_app.response_class(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="{filename}.pdf"', "Cache-Control": "no-store"})
    plain = ballots.issue_codes(campaign, group, form.count.data)
    body = "\ufeff" + operations.codes_csv(campaign, group, plain)
    return current_app.response_class(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}.csv"', "Cache-Control": "no-store"})


def poster(campaign_id: int, group_id: int):
    campaign = load_campaign(campaign_id)
    group = load_group(campaign, group_id)
    if group.access != "public":
        abort(404)
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("respond.public_link", token=group.public_token)
    return current_app.response_class(poster_pdf(campaign, group, link), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="poster-{campaign.code}-{group.code}.pdf"'})


def target_report(campaign_id: int, campaign_target_id: int):
    """The duty-and-integrity report respondents read beside the items."""
    campaign = load_campaign(campaign_id)
    _not_a_meeting(campaign)
    ct = db.session.get(CampaignTarget, campaign_target_id)
    if ct is None or ct.campaign_id != campaign.id:
        abort(404)
    if campaign.status not in ("draft", "open"):
        abort(409, description=_("Reports can change only before the campaign closes."))
    form = TargetReportForm(obj=ct)
    if form.validate_on_submit():
        pdf = None
        if not form.remove_pdf.data and form.report_pdf.data:
            pdf = form.report_pdf.data.read()
            if not pdf.startswith(b"%PDF-"):
                form.report_pdf.errors.append(_("This file is not a PDF."))
                return render_template("admin/target_report.html", form=form, campaign=campaign, ct=ct,
                                       locale=current_language()), 400
        try:
            operations.save_target_report(ct, report_zh=form.report_zh.data or "",
                                          report_en=form.report_en.data or "", pdf=pdf,
                                          remove_pdf=form.remove_pdf.data)
        except operations.LifecycleError as error:
            abort(409, description=str(error))
        flash(_("Saved."), "success")
        return redirect(url_for("admin.campaign", campaign_id=campaign.id))
    return render_template("admin/target_report.html", form=form, campaign=campaign, ct=ct,
                           locale=current_language()), (400 if form.errors else 200)


def revoke_codes(campaign_id: int):
    campaign = load_campaign(campaign_id)
    form = RevokeForm()
    form.group.choices = code_group_choices(campaign)
    if form.validate_on_submit():
        n = ballots.revoke_unused(campaign, load_group(campaign, form.group.data))
        flash(_("%(n)d unused codes were withdrawn.", n=n), "success")
    else:
        flash(_("Tick the box to confirm that the unused codes should be withdrawn."), "error")
    return redirect(url_for("admin.campaign", campaign_id=campaign.id))


def turnout(campaign_id: int):
    campaign = load_campaign(campaign_id)
    return jsonify({
        "groups": [{"code": t.group.code, "received": t.received, "expected": t.expected,
                    "expected_basis": t.basis, "codes_issued": t.codes_issued, "codes_used": t.codes_used,
                    "sheets_printed": t.sheets_printed} for t in ballots.turnout(campaign)],
        "days": [{"day": day.isoformat(), "group": group_id, "ballots": n}
                 for day, group_id, n in ballots.turnout_by_day(campaign)]})


def results(campaign_id: int):
    campaign = load_campaign(campaign_id)
    signed = {"signers": signatures.signers(campaign), "signature_state": signatures.state(campaign),
              "fingerprint": signing.fingerprint}
    if campaign.is_decision:  # a vote is decided by its tally: no score, grade, rank or interval
        return render_template("meetings/results.html", campaign=campaign, tally=decisions.view(campaign),
                               locale=current_language(), **signed)
    data = adapter.results(campaign)
    targets = {t.code: t for t in campaign.targets}
    return render_template("admin/results.html", campaign=campaign, results=data, targets=targets,
                           q=campaign.questionnaire_version.parsed, locale=current_language(), **signed)


def method_json(campaign_id: int):
    campaign = load_campaign(campaign_id)
    body = json.dumps(adapter.method_dict(campaign), ensure_ascii=False, indent=2)
    return current_app.response_class(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="method-{campaign.code}.json"'})


def _import_signer():
    return URLSafeSerializer(current_app.secret_key, salt="targets-import")


def import_targets(campaign_id: int):
    """Upload → preview with problems by row → confirm. The checked rows travel signed in the
    confirmation form, so what is applied is exactly what was previewed."""
    campaign = load_campaign(campaign_id)
    _not_a_meeting(campaign)
    if campaign.status != "draft":
        abort(409, description=_("Targets are fixed once the campaign is open."))
    form = TargetImportForm()
    context = {"campaign": campaign, "form": form, "confirm": ConfirmForm(), "locale": current_language(),
               "columns": imports.COLUMNS, "rows": None, "problems": [], "payload": None}
    if request.method == "POST" and request.form.get("payload"):
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            rows = imports.rows_from_data(_import_signer().loads(request.form["payload"]))
        except (BadSignature, TypeError, ValueError):
            abort(400, description=_("The preview expired or was altered: upload the file again."))
        try:
            accounts = imports.apply_targets(campaign, rows, current_user.username)
        except operations.LifecycleError as error:
            abort(409, description=str(error))
        except IntegrityError:  # a code or an account name taken since the preview
            abort(409, description=_("A target code or an account name was taken since the preview: upload the file again."))
        flash(_("%(n)d targets imported into the campaign.", n=len(rows)), "success")
        if not accounts:
            return redirect(url_for("admin.campaign", campaign_id=campaign.id))
        g.no_store = True  # temporary passwords, shown once
        return render_template("admin/import_done.html", campaign=campaign, accounts=accounts,
                               locale=current_language())
    status = 200
    if form.validate_on_submit():
        rows, problems = imports.read_targets(form.file.data.read(), form.file.data.filename or "")
        context.update(rows=rows, problems=problems)
        if problems:
            status = 400
        else:
            context["payload"] = _import_signer().dumps(imports.rows_to_data(rows))
    elif form.errors:
        status = 400
    return render_template("admin/import_targets.html", **context), status


def copy_setup(campaign_id: int):
    campaign = load_campaign(campaign_id)
    _not_a_meeting(campaign)
    if campaign.status != "draft":
        abort(409, description=_("Only a draft campaign takes a copied set-up."))
    form = CopySetupForm()
    sources = [c for c in imports.earlier_campaigns(campaign) if c.groups or c.targets]
    form.source.choices = choices([(c.id, f"{c.title(current_language())} ({c.code})") for c in sources])
    if form.validate_on_submit():
        source = load_campaign(form.source.data)
        try:
            imports.copy_setup(campaign, source, current_user.username)
        except operations.LifecycleError as error:
            flash(_("The set-up cannot be copied: %(reason)s", reason=error), "error")
            return redirect(url_for("admin.campaign", campaign_id=campaign.id))
        else:
            flash(_("Groups, weights, targets and settings copied from %(code)s. Check them, then add this year's reports.",
                    code=source.code), "success")
            return redirect(url_for("admin.campaign", campaign_id=campaign.id))
    return render_template("admin/copy_setup.html", campaign=campaign, form=form, sources=sources,
                           locale=current_language()), (400 if form.errors else 200)
