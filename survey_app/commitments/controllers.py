"""Commitments views (staff board, leader's own, public pages): load, check access, validate, call an operation, render."""
import io

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from ..extensions import db
from ..formtools import ConfirmForm, choices, confirmed, form_action
from ..i18n import current_language
from ..models import Commitment, ProgressEntry, Target
from ..security import can, load_object
from . import imports, operations, ratings
from .forms import (CommitmentForm, CommitmentImportForm, ImportConfirmForm, ProgressForm, ReviewForm, SendBackForm,
                    StatusForm)
from .operations import CommitmentError


def _stale_days() -> int:
    return current_app.config["COMMITMENT_STALE_DAYS"]


def _load(commitment_id: int, action: str = "commitment.read") -> Commitment:
    return load_object(Commitment, commitment_id, action)


def _load_entry(progress_id: int, action: str) -> ProgressEntry:
    return load_object(ProgressEntry, progress_id, action)


def board():
    """Every commitment the user reaches with its flags; staff also see the progress waiting for review."""
    today, stale = operations.today(), _stale_days()
    rows = [(c, operations.flags(c, today, stale)) for c in operations.visible_commitments(current_user)]
    wanted = request.args.get("flag", "")
    if wanted in ("overdue", "stale", "any"):
        rows = [(c, f) for c, f in rows if f and (wanted == "any" or wanted in f)]
    pending = operations.pending_progress(current_user) if can("commitments.manage") else []
    counts = {"all": len(rows), "overdue": sum("overdue" in f for _c, f in rows),
              "stale": sum("stale" in f for _c, f in rows)}
    return render_template("commitments/board.html", rows=rows, pending=pending, wanted=wanted, counts=counts,
                           stale_days=stale, locale=current_language())


def _fields(form) -> dict:
    return {k: getattr(form, k).data for k in operations.FIELDS}


def new():
    form = CommitmentForm()
    targets = operations.targets_for_new(current_user)
    locale = current_language()
    form.target.choices = choices([(t.id, f"{t.name(locale)} ({t.code})") for t in targets])
    if form.validate_on_submit():
        target = db.session.get(Target, form.target.data)
        if target is None or not can("commitment.new", target):
            abort(403)
        try:
            commitment = operations.create_commitment(target, _fields(form), current_user.username)
        except CommitmentError as error:
            form.text_zh.errors.append(str(error))
        else:
            flash(_("Commitment saved as a draft."), "success")
            return redirect(url_for("commitments.commitment", commitment_id=commitment.id))
    return render_template("commitments/form.html", form=form, commitment=None, locale=locale,
                           no_targets=not targets), (400 if form.errors else 200)


def edit(commitment_id: int):
    commitment = _load(commitment_id, "commitment.edit")
    form = CommitmentForm(obj=commitment)
    form.target.choices = choices([(commitment.target_id, commitment.target.name(current_language()))])
    if request.method == "GET":
        form.target.data = commitment.target_id
    if form.validate_on_submit():
        try:
            operations.update_commitment(commitment, _fields(form), current_user.username)
        except CommitmentError as error:
            form.text_zh.errors.append(str(error))
        else:
            flash(_("Commitment saved."), "success")
            return redirect(url_for("commitments.commitment", commitment_id=commitment.id))
    return render_template("commitments/form.html", form=form, commitment=commitment, locale=current_language(),
                           no_targets=False), (400 if form.errors else 200)


def _detail(commitment: Commitment, status: int = 200, **forms):
    reviews = {p.id: forms.get("review") if forms.get("review_id") == p.id else ReviewForm(prefix=f"r{p.id}")
               for p in commitment.progress if p.review == "pending"}
    status_form = forms.get("status_form") or StatusForm(status=commitment.status, reason=commitment.status_reason)
    return render_template("commitments/commitment.html", commitment=commitment,
                           flags=operations.flags(commitment, operations.today(), _stale_days()),
                           status_form=status_form, reviews=reviews,
                           send_back_form=forms.get("send_back_form") or SendBackForm(),
                           confirm=ConfirmForm(), locale=current_language()), status


def commitment(commitment_id: int):
    return _detail(_load(commitment_id))


def _here(commitment: Commitment) -> str:
    return url_for("commitments.commitment", commitment_id=commitment.id)


def _act(commitment: Commitment, action, success: str):
    return confirmed(action, success, _here(commitment),
                     lambda: _detail(commitment, 409), CommitmentError)


def submit(commitment_id: int):
    commitment = _load(commitment_id, "commitment.edit")
    return _act(commitment, lambda: operations.submit_commitment(commitment, current_user.username),
                _("Submitted: staff will approve it before it is published."))


def publish(commitment_id: int):
    commitment = _load(commitment_id, "commitment.manage")
    return _act(commitment, lambda: operations.publish_commitment(commitment, current_user.username),
                _("Published: the public page shows it now."))


def send_back(commitment_id: int):
    commitment = _load(commitment_id, "commitment.manage")
    form = SendBackForm()
    if not form.validate_on_submit():
        return _detail(commitment, 400, send_back_form=form)
    return _act(commitment, lambda: operations.send_back(commitment, form.note.data or "", current_user.username),
                _("Sent back to its author as a draft."))


def _decide_on_page(commitment: Commitment, form, action, error_field, success: str, **shown):
    """A form of the commitment's page: on a valid form `action()`, then back to the page; its
    refusal (CommitmentError) goes beside `error_field`, and the page shows the form again (400)."""
    if form.validate_on_submit():
        try:
            action()
        except CommitmentError as error:
            error_field.errors.append(str(error))
        else:
            flash(success, "success")
            return redirect(url_for("commitments.commitment", commitment_id=commitment.id))
    return _detail(commitment, 400, **shown)


def status(commitment_id: int):
    commitment = _load(commitment_id, "commitment.manage")
    form = StatusForm()
    return _decide_on_page(
        commitment, form,
        lambda: operations.set_status(commitment, form.status.data, form.reason.data or "", current_user.username),
        form.reason, _("Status changed."), status_form=form)


def progress_new(commitment_id: int):
    commitment = _load(commitment_id, "commitment.progress")
    form = ProgressForm()
    def page():
        return (render_template("commitments/progress_form.html", form=form,
                                name=commitment.target.name(current_language()),
                                what=commitment.text(current_language()), back=_here(commitment)),
                400 if form.errors else 200)
    return form_action(form, lambda: operations.add_progress(commitment, **form.entry(
        current_user.username, current_app.config["COMMITMENT_ATTACHMENT_MAX"])),
        _("Progress reported: staff review it before the public sees it."), _here(commitment), page, form.refused,
        CommitmentError)


def review(progress_id: int):
    entry = _load_entry(progress_id, "commitment.manage")
    form = ReviewForm(prefix=f"r{entry.id}")
    return _decide_on_page(
        entry.commitment, form,
        lambda: operations.review_progress(entry, form.decision.data, form.note.data or "", current_user.username),
        form.note, _("Progress entry reviewed."), review=form, review_id=entry.id)


def _send(entry: ProgressEntry):
    return send_file(io.BytesIO(entry.attachment), **operations.evidence_file(entry))


def attachment(progress_id: int):
    entry = _load_entry(progress_id, "commitment.read")
    if not entry.has_attachment:
        abort(404)
    return _send(entry)


def _import_signer():
    return URLSafeSerializer(current_app.secret_key, salt="commitments-import")


def import_commitments():
    """Upload → preview with problems by row → confirm; the checked rows travel signed, as in the targets import."""
    form, confirm = CommitmentImportForm(), ImportConfirmForm()
    context = {"form": form, "confirm": confirm, "columns": imports.COLUMNS, "rows": None, "problems": [],
               "payload": None, "locale": current_language()}
    if request.method == "POST" and request.form.get("payload"):
        if not confirm.validate_on_submit():
            abort(400)
        try:
            rows = imports.rows_from_data(_import_signer().loads(request.form["payload"]))
        except (BadSignature, TypeError, ValueError):
            abort(400, description=_("The preview expired or was altered: upload the file again."))
        reached = {t.code for t in operations.targets_for_new(current_user)}
        if any(r.target not in reached for r in rows):
            abort(403)
        n = imports.apply_commitments(rows, current_user.username, publish=confirm.publish.data)
        flash(_("%(n)d commitments imported.", n=n), "success")
        return redirect(url_for("commitments.board"))
    status_code = 200
    if form.validate_on_submit():
        rows, problems = imports.read_commitments(form.file.data.read(), form.file.data.filename or "", current_user)
        context.update(rows=rows, problems=problems)
        if problems:
            status_code = 400
        else:
            context["payload"] = _import_signer().dumps(imports.rows_to_data(rows))
    elif form.errors:
        status_code = 400
    targets = {t.code: t for t in operations.targets_for_new(current_user)}
    return render_template("commitments/import.html", targets=targets, **context), status_code


# -- the public pages: published commitments and reviewed progress only ----------------------------------

def public_index():
    return render_template("commitments/public_index.html", targets=operations.public_targets(),
                           locale=current_language())


def public_target(target_code: str):
    target = db.session.execute(select(Target).where(Target.code == target_code)).scalar_one_or_none()
    if target is None:
        abort(404)
    commitments = operations.public_commitments(target.id)
    if not commitments:
        abort(404)
    today, stale = operations.today(), _stale_days()
    rows = [(c, operations.flags(c, today, stale)) for c in commitments]
    rating_campaign = ratings.rating_campaign(target)  # the latest published rating only
    return render_template("commitments/public_target.html", target=target, rows=rows, stale_days=stale,
                           rating_campaign=rating_campaign,
                           ratings=ratings.rated_in(rating_campaign, target) if rating_campaign else {},
                           locale=current_language())


def public_attachment(progress_id: int):
    entry = operations.public_attachment(progress_id)
    if entry is None:
        abort(404)
    return _send(entry)
