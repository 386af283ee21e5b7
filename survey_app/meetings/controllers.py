"""A committee secretary's pages for a decision meeting: set it up, change it while a draft, its minutes."""
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..admin.operations import LifecycleError
from ..i18n import current_language, to_local, to_utc
from ..labels import in_language
from ..security import load_campaign
from . import minutes, operations
from .forms import MeetingForm

#: matter rows a new meeting's form shows; `?matters=N` asks for more
DEFAULT_MATTERS = 3


def _rows_wanted(default: int) -> int:
    value = request.args.get("matters", "")
    return int(value) if value.isdigit() and 1 <= int(value) <= operations.MAX_MATTERS else default


def _rows(form: MeetingForm, rows: int) -> None:
    if request.method == "GET":
        while len(form.matters.entries) < rows:
            form.matters.append_entry()
        del form.matters.entries[rows:]


def _setup(form: MeetingForm) -> operations.Setup:
    matters = tuple(operations.Matter(e.form.name_zh.data.strip(), e.form.name_en.data.strip(), e.form.kind.data)
                    for e in form.matters.entries if e.form.name_zh.data.strip() or e.form.name_en.data.strip())
    names = form.names()
    return operations.Setup(form.title_zh.data, form.title_en.data, form.body_zh.data, form.body_en.data or "",
                            form.members.data, tuple(names) if names else None, matters, form.quorum.data,
                            form.personnel_quorum.data, to_utc(form.opens_at.data), to_utc(form.closes_at.data))


def new_meeting():
    form = MeetingForm()
    _rows(form, _rows_wanted(DEFAULT_MATTERS))
    problem = None
    if form.validate_on_submit():
        try:
            campaign = operations.create_meeting(form.code.data, _setup(form))
        except operations.MeetingError as error:
            problem = str(error)
        else:
            flash(_("The decision meeting is set up. Open it to seal its ballot box; then print one code slip per member."), "success")
            return redirect(url_for("admin.campaign", campaign_id=campaign.id))
    return render_template("meetings/form.html", form=form, campaign=None, problem=problem,
                           rows=len(form.matters.entries)), (400 if form.errors or problem else 200)


def edit_meeting(campaign_id: int):
    campaign = load_campaign(campaign_id)
    if campaign.kind != "decision":
        abort(404)
    if campaign.frozen:
        abort(409, description=_("The members, the matters and their kinds are fixed once voting opens: the ballot box is sealed."))
    setup = operations.setup_of(campaign)
    form = MeetingForm(data={"code": campaign.code} if request.method == "GET" else None,
                       obj=campaign if request.method == "GET" else None)
    form.code.data = campaign.code
    if request.method == "GET":
        form.opens_at.data, form.closes_at.data = to_local(campaign.opens_at), to_local(campaign.closes_at)
        form.member_names.data = "\n".join(setup.member_names or ())
        form.matters.entries = []
        for matter in setup.matters:
            form.matters.append_entry({"name_zh": matter.name_zh, "name_en": matter.name_en, "kind": matter.kind})
        for _more in range(_rows_wanted(len(setup.matters)) - len(setup.matters)):
            form.matters.append_entry()
    problem = None
    if form.validate_on_submit():
        try:
            operations.edit_meeting(campaign, _setup(form))
        except operations.MeetingError as error:
            problem = str(error)
        except LifecycleError as error:
            abort(409, description=str(error))
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.campaign", campaign_id=campaign.id))
    return render_template("meetings/form.html", form=form, campaign=campaign, problem=problem,
                           rows=len(form.matters.entries)), (400 if form.errors or problem else 200)


def minutes_pdf(campaign_id: int):
    """The minutes (表决记录) of a counted meeting, as an A4 PDF in the page's language."""
    campaign = load_campaign(campaign_id)
    if campaign.kind != "decision":
        abort(404)
    if campaign.counted_at is None:
        abort(409, description=_("The minutes exist once the ballots are counted."))
    language = request.args.get("lang") or in_language(current_language(), "zh", "en")
    if language not in minutes.LOCALES:
        abort(400, description=_("Minutes are written in Chinese (zh) or English (en)."))
    name = f"{campaign.code}-minutes-{language}.pdf"
    return Response(minutes.pdf(campaign, language), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, no-store"})
