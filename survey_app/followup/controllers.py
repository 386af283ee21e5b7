"""Follow-up views (staff board, a case, the leader's answers): load, check access, validate, call an operation, render."""
import io

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..commitments.operations import MEDIA_TYPES, targets_for_new
from ..extensions import db
from ..formtools import ConfirmForm, choices
from ..i18n import current_language
from ..labels import label
from ..models import AlertCase, CampaignTarget, CaseStep, Target
from ..security import can, load_object
from . import operations
from .forms import AnswerForm, CloseForm, NewCaseForm, StepForm
from .operations import CaseError


def _load(case_id: int, action: str = "case.read") -> AlertCase:
    return load_object(AlertCase, case_id, action)


def board():
    """The cases the user reaches, with their flags; filters: open, overdue, closed."""
    day = operations.today()
    rows = [(c, operations.flags(c, day)) for c in operations.visible_cases(current_user)]
    counts = {"all": len(rows), "open": sum(c.status == "open" for c, _f in rows),
              "overdue": sum(bool(f) for _c, f in rows), "closed": sum(c.status == "closed" for c, _f in rows)}
    wanted = request.args.get("show", "")
    if wanted in ("open", "closed"):
        rows = [(c, f) for c, f in rows if c.status == wanted]
    elif wanted == "overdue":
        rows = [(c, f) for c, f in rows if f]
    else:
        wanted = ""
    return render_template("followup/board.html", rows=rows, counts=counts, wanted=wanted, confirm=ConfirmForm(),
                           locale=current_language())


def new():
    form = NewCaseForm()
    locale = current_language()
    targets = targets_for_new(current_user)
    form.target.choices = choices([(t.id, f"{t.name(locale)} ({t.code})") for t in targets])
    if form.validate_on_submit():
        target = db.session.get(Target, form.target.data)
        if target is None or not can("case.manage", target):
            abort(403)
        try:
            case = operations.open_case_by_hand(target, form.level.data, form.note.data, current_user.username,
                                                names_no_informant=form.names_no_informant.data)
        except CaseError as error:
            form.note.errors.append(str(error))
        else:
            flash(_("Case opened."), "success")
            return redirect(url_for("followup.case", case_id=case.id))
    return render_template("followup/new.html", form=form, locale=locale), (400 if form.errors else 200)


def sync():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    n = operations.open_published_cases(current_user.username)
    flash(_("Cases opened from published alerts: %(n)d.", n=n) if n else
          _("Every alert of the published campaigns has its case already."), "success")
    return redirect(url_for("followup.board"))


def _answer_form(case: AlertCase, form: AnswerForm | None = None) -> AnswerForm:
    form = form or AnswerForm(prefix="a")
    form.letter.choices = choices([(0, "—")] + [
        (s.id, _("Letter of %(date)s", date=s.on.isoformat())) for s in operations.unanswered_letters(case)])
    return form


def _detail(case: AlertCase, status: int = 200, **forms):
    report = None
    if case.campaign_id is not None:
        link = db.session.execute(select(CampaignTarget).where(
            CampaignTarget.campaign_id == case.campaign_id, CampaignTarget.target_id == case.target_id)
        ).scalar_one_or_none()
        report = link if link is not None and can("report.read", link) else None
    day = operations.today()
    return render_template("followup/case.html", case=case, flags=operations.flags(case, day),
                           overdue={s.id for s in operations.overdue_letters(case, day)},
                           unanswered={s.id for s in operations.unanswered_letters(case)}, report=report,
                           step_form=forms.get("step_form") or StepForm(prefix="m"),
                           answer_form=_answer_form(case, forms.get("answer_form")),
                           close_form=forms.get("close_form") or CloseForm(prefix="c"),
                           reply_days=current_app.config["CASE_REPLY_WORKING_DAYS"], locale=current_language()), status


def case(case_id: int):
    return _detail(_load(case_id))


def _upload(form):
    upload = form.attachment.data
    data = upload.read(current_app.config["COMMITMENT_ATTACHMENT_MAX"] + 1) if upload else None
    return data or None, (upload.filename or "") if upload else ""


def _record(case: AlertCase, form, field, kind: str, **values):
    data, filename = _upload(form)
    try:
        operations.add_step(case, kind, on=form.on.data, actor=current_user.username, attachment=data,
                            filename=filename, max_bytes=current_app.config["COMMITMENT_ATTACHMENT_MAX"],
                            reply_working_days=current_app.config["CASE_REPLY_WORKING_DAYS"], **values)
    except CaseError as error:
        field.errors.append(str(error))
        return None
    flash(_("%(what)s recorded.", what=label("case_step", kind)), "success")
    return redirect(url_for("followup.case", case_id=case.id))


def step(case_id: int):
    case = _load(case_id, "case.manage")
    form = StepForm(prefix="m")
    if form.validate_on_submit():
        done = _record(case, form, form.text, form.kind.data, held_by=form.held_by.data or "",
                       place=form.place.data or "", text=form.text.data or "")
        if done is not None:
            return done
    return _detail(case, 400, step_form=form)


def answer(case_id: int):
    case = _load(case_id, "case.answer")
    form = _answer_form(case, AnswerForm(prefix="a"))
    if form.validate_on_submit():
        letter = db.session.get(CaseStep, form.letter.data) if form.letter.data else None
        if form.kind.data == "reply" and letter is None:
            form.letter.errors.append(_("Choose the letter this reply answers."))
        else:
            done = _record(case, form, form.text, form.kind.data, text=form.text.data or "", answers=letter)
            if done is not None:
                return done
    return _detail(case, 400, answer_form=form)


def close(case_id: int):
    case = _load(case_id, "case.manage")
    form = CloseForm(prefix="c")
    if form.validate_on_submit():
        try:
            operations.close_case(case, form.outcome.data, form.note.data, current_user.username)
        except CaseError as error:
            form.note.errors.append(str(error))
        else:
            flash(_("Case closed."), "success")
            return redirect(url_for("followup.case", case_id=case.id))
    return _detail(case, 400, close_form=form)


def attachment(step_id: int):
    entry = load_object(CaseStep, step_id, "case.read")
    if not entry.has_attachment:
        abort(404)
    return send_file(io.BytesIO(entry.attachment), mimetype=MEDIA_TYPES[entry.attachment_type],
                     as_attachment=entry.attachment_type == "pdf",
                     download_name=entry.attachment_name or f"case-{entry.case_id}-{entry.id}.{entry.attachment_type}")
