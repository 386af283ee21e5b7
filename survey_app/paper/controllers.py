"""Paper-ballot views: thin; the rules live in the paper package's modules (`sheets`, `entry`, `imports`, ...)."""
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..formtools import ConfirmForm, choices
from ..i18n import current_language
from ..models import Campaign, PaperBatch, PaperSheet, RespondentGroup
from ..models._types import utcnow
from ..security import allowed_campaigns, can, load_campaign
from . import admission, entry, imports, letters, reconcile, sheets
from .forms import EntryForm, ImportForm, PrintForm, RulesForm, SheetNumberForm


def _load_sheet(campaign: Campaign, number: int) -> PaperSheet:
    sheet = db.session.execute(select(PaperSheet).where(
        PaperSheet.campaign_id == campaign.id, PaperSheet.number == number)).scalar_one_or_none()
    if sheet is None:
        abort(404, description=_("No sheet with this number was printed for this campaign."))
    return sheet


def index():
    campaigns = [c for c in allowed_campaigns("paper.enter", db.session.execute(
                     select(Campaign).order_by(Campaign.id.desc())).scalars())
                 if admission.accepts_paper(c) or (can("paper.manage", c) and c.status != "published")]
    return render_template("paper/index.html", campaigns=campaigns, accepts=admission.accepts_paper,
                           locale=current_language())


def campaign(campaign_id: int):
    c = load_campaign(campaign_id)
    context = {"campaign": c, "accepts": admission.accepts_paper(c), "number_form": SheetNumberForm(),
               "locale": current_language()}
    if can("paper.manage", c):
        print_form = PrintForm()
        print_form.group.choices = choices((grp.id, grp.name(current_language())) for grp in c.groups)
        context.update(
            print_form=print_form,
            rules_form=RulesForm(max_blank_percent=round(admission.rules(c).max_blank_share * 100)),
            confirm=ConfirmForm(),
            batches=list(db.session.execute(select(PaperBatch).where(PaperBatch.campaign_id == c.id)
                                            .order_by(PaperBatch.id)).scalars()),
            awaiting=entry.awaiting_check(c), label=sheets.sheet_label)
    return render_template("paper/campaign.html", **context)


def enter(campaign_id: int):
    """Type or scan a sheet number; the entry form follows."""
    c = load_campaign(campaign_id)
    form = SheetNumberForm()
    status = 200
    if form.validate_on_submit():
        try:
            sheet = sheets.find_sheet(c, form.number.data)
            entry.check_can_enter(sheet, current_user)
        except admission.PaperRefused as refusal:
            form.number.errors.append(refusal.message)
            status = refusal.status
        else:
            return redirect(url_for("paper.sheet", campaign_id=c.id, number=sheet.number))
    elif form.errors:
        status = 400
    return render_template("paper/enter.html", campaign=c, form=form, accepts=admission.accepts_paper(c),
                           locale=current_language()), status


def sheet(campaign_id: int, number: int):
    """One clerk's blind entry of one sheet: an empty form, whatever the other clerk typed."""
    g.no_store = True
    c = load_campaign(campaign_id)
    sheet_ = _load_sheet(c, number)
    try:
        entry.check_can_enter(sheet_, current_user)
    except admission.PaperRefused as refusal:
        form = SheetNumberForm(number=sheets.sheet_label(number))
        form.number.errors = [refusal.message]
        return render_template("paper/enter.html", campaign=c, form=form, accepts=admission.accepts_paper(c),
                               locale=current_language()), refusal.status
    lay = sheets.layout(c, sheet_.group)
    form = EntryForm()
    values, errors = {}, {}
    if form.validate_on_submit():
        values = {key: request.form.get(key, "") for key in lay.keys()}
        keyed, errors = letters.parse_keyed(lay, request.form, spoiled=form.spoiled.data)
        if not errors:
            try:
                outcome = entry.record_entry(sheet_, current_user, keyed)
            except admission.PaperRefused as refusal:
                if refusal.status == 400:
                    errors = {"_form": refusal.message}
                else:
                    flash(refusal.message, "error")
                    return redirect(url_for("paper.enter", campaign_id=c.id))
            else:
                flash(_outcome_message(outcome), "success" if outcome.state != "mismatch" else "warning")
                return redirect(url_for("paper.enter", campaign_id=c.id))
    return render_template("paper/sheet.html", campaign=c, sheet=sheet_, label=sheets.sheet_label(number), lay=lay,
                           form=form, values=values, errors=errors, locale=current_language(),
                           action=url_for("paper.sheet", campaign_id=c.id, number=number),
                           letters=sheets.LETTERS), (400 if errors else 200)


def _outcome_message(outcome: entry.EntryOutcome) -> str:
    label = outcome.sheet_label
    return {
        "waiting": _("Sheet %(s)s recorded. A second clerk must now enter it.", s=label),
        "mismatch": _("Sheet %(s)s: the two entries differ. It goes to a third check.", s=label),
        "ballot": _("Sheet %(s)s: both entries match. The ballot is sealed in the ballot box.", s=label),
        "blank": _("Sheet %(s)s: both entries match. It is recorded as blank.", s=label),
        "invalid": _("Sheet %(s)s: both entries match. It is recorded as invalid under the campaign's rules.",
                     s=label),
        "spoiled": _("Sheet %(s)s: both entries match. It is recorded as spoiled.", s=label),
    }[outcome.state]


def _checked_message(state: str, label: str) -> str:
    """After a third check the two entries did not match: say what the check decided."""
    return {
        "ballot": _("Sheet %(s)s: third check done. The ballot is sealed in the ballot box.", s=label),
        "blank": _("Sheet %(s)s: third check done. It is recorded as blank.", s=label),
        "invalid": _("Sheet %(s)s: third check done. It is recorded as invalid under the campaign's rules.", s=label),
        "spoiled": _("Sheet %(s)s: third check done. It is recorded as spoiled.", s=label),
    }.get(state) or _("Sheet %(s)s: third check done.", s=label)


def print_sheets(campaign_id: int):
    c = load_campaign(campaign_id)
    form = PrintForm()
    form.group.choices = choices((grp.id, grp.name(current_language())) for grp in c.groups)
    if not form.validate_on_submit():
        abort(400, description="; ".join(str(e) for errors in form.errors.values() for e in errors))
    group = db.session.get(RespondentGroup, form.group.data)
    try:
        batch = sheets.print_batch(c, group, form.count.data, current_user.username)
    except admission.PaperRefused as refusal:
        abort(refusal.status, description=str(refusal.message))
    flash(_("Sheets %(first)s to %(last)s numbered. Download the PDF below and print it.",
            first=sheets.sheet_label(batch.first_number), last=sheets.sheet_label(batch.last_number)), "success")
    return redirect(url_for("paper.campaign", campaign_id=c.id))


def batch_pdf(campaign_id: int, batch_id: int):
    c = load_campaign(campaign_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    batch = db.session.get(PaperBatch, batch_id)
    if batch is None or batch.campaign_id != c.id:
        abort(404)
    matrix = request.form.get("layout") == "matrix"
    pdf = sheets.batch_pdf(batch, current_user.username, matrix=matrix)
    name = f"sheets-{c.code}-{batch.group.code}-{sheets.sheet_label(batch.first_number)}{'-matrix' if matrix else ''}.pdf"
    return current_app.response_class(pdf, mimetype="application/pdf",
                                      headers={"Content-Disposition": f'attachment; filename="{name}"'})


def rules(campaign_id: int):
    c = load_campaign(campaign_id)
    form = RulesForm()
    if not form.validate_on_submit():
        abort(400, description="; ".join(str(e) for errors in form.errors.values() for e in errors))
    try:
        admission.set_rules(c, form.max_blank_percent.data / 100)
    except admission.PaperRefused as refusal:
        abort(refusal.status, description=str(refusal.message))
    flash(_("Saved."), "success")
    return redirect(url_for("paper.campaign", campaign_id=c.id))


def check(campaign_id: int, number: int):
    """The third check: both entries side by side, for a staff member who entered neither."""
    g.no_store = True
    c = load_campaign(campaign_id)
    sheet_ = _load_sheet(c, number)
    try:
        entries = entry.entries_for_check(sheet_, current_user)
    except admission.PaperRefused as refusal:
        abort(refusal.status, description=str(refusal.message))
    lay = sheets.layout(c, sheet_.group)
    merged, differing, both_spoiled = letters.merged_form(entries)
    form = EntryForm(spoiled=both_spoiled)
    values, errors = merged, {}
    if form.validate_on_submit():
        values = {key: request.form.get(key, "") for key in lay.keys()}
        keyed, errors = letters.parse_keyed(lay, request.form, spoiled=form.spoiled.data, allow_unresolved=True)
        if not errors:
            try:
                state = entry.decide(sheet_, current_user, keyed)
            except admission.PaperRefused as refusal:
                if refusal.status != 400:
                    abort(refusal.status, description=str(refusal.message))
                errors = {"_form": refusal.message}
            else:
                flash(_checked_message(state, sheets.sheet_label(number)), "success")
                return redirect(url_for("paper.campaign", campaign_id=c.id))
    return render_template("paper/check.html", campaign=c, sheet=sheet_, label=sheets.sheet_label(number), lay=lay,
                           entries=entries, differing=differing, form=form, values=values, errors=errors,
                           row_names=_row_names(lay),
                           locale=current_language(), letters=sheets.LETTERS,
                           action=url_for("paper.check", campaign_id=c.id, number=number)), (400 if errors else 200)


def _row_names(lay: sheets.Layout) -> dict[str, str]:
    locale = current_language()
    names = {row.key: row.target.name(locale) if row.target else _("General items") for row in lay.rows}
    for extra in lay.multiples + lay.texts:
        names[extra.key] = ((extra.target.name(locale) + " · ") if extra.target else "") + extra.item.text.get(locale)
    return names


def import_answers(campaign_id: int):
    c = load_campaign(campaign_id)
    form = ImportForm()
    problems, status = [], 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            per_group = imports.import_answers(c, upload.read(), upload.filename or "answers.csv",
                                           current_user.username)
        except imports.ImportInvalid as invalid:
            problems, status = invalid.problems, 400
        else:
            flash(_("%(n)d ballots imported and sealed in the ballot box.", n=sum(per_group.values())), "success")
            return redirect(url_for("paper.campaign", campaign_id=c.id))
    elif form.errors:
        status = 400
    return render_template("paper/import.html", campaign=c, form=form, problems=problems[:200],
                           more=max(0, len(problems) - 200), accepts=admission.accepts_paper(c),
                           locale=current_language()), status


def reconciliation(campaign_id: int):
    c = load_campaign(campaign_id)
    return render_template("paper/reconciliation.html", campaign=c, rows=reconcile.reconciliation(c),
                           rules=admission.rules(c), now=utcnow(), locale=current_language())
