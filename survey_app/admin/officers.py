"""Counting officers' views: the panel at opening, counting with k passphrases, re-sharing, officers' sheets."""
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..ballots import keys, signing
from ..extensions import db
from ..i18n import current_language
from ..models import Campaign, CountingOfficer, User
from ..printing import REPORT_STYLESHEET, html_to_pdf
from ..security import can, load_campaign
from . import operations
from .forms import MAX_OFFICERS, CountForm, OpenForm, ReshareForm

DEFAULT_OFFICERS = 3


def _rows_wanted(default: int) -> int:
    """How many officer rows a GET shows (`?officers=N`, 1 to 9)."""
    value = request.args.get("officers", "")
    return int(value) if value.isdigit() and 1 <= int(value) <= MAX_OFFICERS else default


def _account_choices() -> list[tuple[int, str]]:
    accounts = db.session.execute(select(User).where(User.role == "officer", User.active.is_(True))
                                  .order_by(User.username)).scalars()
    return [(0, _("No account"))] + [(u.id, f"{u.username} {u.display_name}".strip()) for u in accounts]


def _prepare_panel(form, rows: int, names: list[str] | None = None) -> None:
    """Account choices on every officer row; on a GET, `rows` rows (names pre-filled when given)."""
    if request.method == "GET":
        while len(form.officers.entries) < rows:
            form.officers.append_entry()
        del form.officers.entries[rows:]
        for entry, name in zip(form.officers.entries, names or []):
            entry.form.name.data = name
    choices = _account_choices()
    for entry in form.officers.entries:
        entry.form.account.choices = choices


def _officers_from(form) -> list[keys.Officer]:
    return [keys.Officer(e.form.name.data.strip(), e.form.passphrase.data, e.form.account.data or None)
            for e in form.officers.entries]


def _prepare_turns(field, officers: list[CountingOfficer], rows: int) -> None:
    """k rows of (officer, passphrase); on a GET row i proposes the i-th officer."""
    choices = [(o.position, f"{o.position}. {o.name}") for o in officers]
    if request.method == "GET":
        while len(field.entries) < rows:
            field.append_entry()
        for entry, officer in zip(field.entries, officers):
            entry.form.officer.data = officer.position
    for entry in field.entries:
        entry.form.officer.choices = choices


def _turns(field) -> dict[int, str]:
    return {e.form.officer.data: e.form.passphrase.data for e in field.entries if e.form.passphrase.data}


def _wrong_passphrase(field, error: keys.WrongOfficerPassphrase) -> None:
    for entry in field.entries:
        if entry.form.officer.data == error.position and entry.form.passphrase.data:
            entry.form.passphrase.errors = list(entry.form.passphrase.errors) + [
                _("This is not the passphrase of %(name)s. Nothing was changed.", name=error.name)]
            return


def _too_few(error: keys.TooFewOfficers) -> str:
    return _("Opening the ballot box needs the passphrases of %(k)d officers; %(n)d given. Nothing was changed.",
             k=error.needed, n=error.given)


def open_campaign(campaign_id: int):
    campaign = load_campaign(campaign_id)
    form = OpenForm()
    _prepare_panel(form, _rows_wanted(DEFAULT_OFFICERS))
    problem = None
    if form.validate_on_submit():
        try:
            operations.open_campaign(campaign, _officers_from(form), form.threshold.data)
        except operations.PanelRefused as error:
            # shown on the form again, with the names and accounts as typed
            problem = _("The campaign cannot be opened: %(reason)s", reason=error)
        except operations.LifecycleError as error:
            flash(_("The campaign cannot be opened: %(reason)s", reason=error), "error")
            return redirect(url_for("admin.campaign", campaign_id=campaign.id))
        else:
            flash(_("The campaign is open and its ballot box is sealed for its counting officers. Print each officer's sheet: without enough of their passphrases the ballots can never be counted."), "success")
            return redirect(url_for("admin.officers", campaign_id=campaign.id))
    return render_template("admin/open.html", form=form, campaign=campaign, max_officers=MAX_OFFICERS,
                           rows=len(form.officers.entries), problem=problem), (400 if form.errors or problem else 200)


def count_campaign(campaign_id: int):
    campaign = load_campaign(campaign_id)
    panel = keys.panel(campaign)
    if panel is None:
        flash(_("The ballots cannot be counted: %(reason)s",
                reason=_("the ballot box has been counted and its key destroyed") if campaign.counted_at
                else _("ballots are counted after the campaign closes")), "error")
        return redirect(url_for("admin.campaign", campaign_id=campaign.id))
    officers = keys.officers(campaign)
    form = CountForm()
    _prepare_turns(form.officers, officers, panel.threshold)
    problem = None
    if form.validate_on_submit():
        try:
            n = operations.count_campaign(campaign, _turns(form.officers))
        except (keys.TooFewOfficers, keys.WrongOfficerPassphrase) as error:
            problem = _refusal(form.officers, error)
        except operations.LifecycleError as error:
            flash(_("The ballots cannot be counted: %(reason)s", reason=error), "error")
            return redirect(url_for("admin.campaign", campaign_id=campaign.id))
        else:
            flash(_("%(n)d envelopes were opened and counted.", n=n), "success")
            return redirect(url_for("admin.results", campaign_id=campaign.id))
    return render_template("admin/count.html", form=form, campaign=campaign, panel=panel, officers=officers,
                           problem=problem), (400 if form.errors or problem else 200)


def _refusal(turns, error: Exception) -> str:
    """What to tell the officers when their passphrases do not open the box (nothing changed)."""
    if isinstance(error, keys.TooFewOfficers):
        return _too_few(error)
    _wrong_passphrase(turns, error)
    return _("This is not the passphrase of %(name)s. Nothing was changed.", name=error.name)


def officers(campaign_id: int):
    """The campaign's panel: who holds a share, how many are needed, their sheets."""
    campaign = load_campaign(campaign_id)
    rows = keys.officers(campaign)
    ids = [o.user_id for o in rows if o.user_id]
    names = dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all()) if ids else {}
    return render_template("admin/officers.html", campaign=campaign, panel=keys.panel(campaign),
                           officers=rows, account_names=names)


def reshare_officers(campaign_id: int):
    """k current officers' passphrases, then a new panel: new shares, the old ones destroyed."""
    campaign = load_campaign(campaign_id)
    panel = keys.panel(campaign)
    if panel is None or campaign.counted_at is not None:
        abort(409, description=_("Counting officers can be changed only while the ballot box is sealed."))
    current = keys.officers(campaign)
    form = ReshareForm()
    _prepare_turns(form.current, current, panel.threshold)
    _prepare_panel(form, _rows_wanted(len(current)), [o.name for o in current])
    if request.method == "GET":
        form.threshold.data = panel.threshold
    problem = None
    if form.validate_on_submit():
        try:
            operations.reshare_officers(campaign, _turns(form.current), _officers_from(form), form.threshold.data)
        except (keys.TooFewOfficers, keys.WrongOfficerPassphrase) as error:
            problem = _refusal(form.current, error)
        except operations.LifecycleError as error:
            problem = _("The officers cannot be changed: %(reason)s", reason=error)
        else:
            flash(_("The counting officers were changed: the old passphrases open nothing now. Print the new officers' sheets."), "success")
            return redirect(url_for("admin.officers", campaign_id=campaign.id))
    return render_template("admin/reshare.html", form=form, campaign=campaign, panel=panel, current=current,
                           max_officers=MAX_OFFICERS, rows=len(form.officers.entries), problem=problem), \
        (400 if form.errors or problem else 200)


def _sheet(campaign_id: int, position: int):
    campaign = load_campaign(campaign_id)
    officer = db.session.get(CountingOfficer, (campaign.id, position))
    # An officer's account sees its own sheets only; another's is as good as missing.
    if officer is None or not can("officer_sheet.read", officer):
        abort(404)
    panel = keys.panel(campaign)
    n = len(keys.officers(campaign))
    return campaign, officer, panel, n


def officer_sheet(campaign_id: int, position: int):
    campaign, officer, panel, n = _sheet(campaign_id, position)
    return render_template("admin/officer_sheet.html", campaign=campaign, officer=officer, panel=panel, n=n,
                           locale=current_language(), verify_key=keys.verify_key(campaign, position),
                           fingerprint=signing.fingerprint)


def officer_sheet_pdf(campaign_id: int, position: int):
    campaign, officer, panel, n = _sheet(campaign_id, position)
    html = render_template("admin/officer_sheet_pdf.html", campaign=campaign, officer=officer, panel=panel, n=n,
                           locale=current_language(), verify_key=keys.verify_key(campaign, position),
                           fingerprint=signing.fingerprint)
    name = f"{campaign.code}-officer-{officer.position}-{current_language()}.pdf"
    return Response(html_to_pdf(html, REPORT_STYLESHEET), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, no-store"})


def my_sheets():
    """An officer account's own places on counting panels."""
    rows = db.session.execute(select(CountingOfficer, Campaign).join(Campaign, Campaign.id == CountingOfficer.campaign_id)
                              .where(CountingOfficer.user_id == current_user.id)
                              .order_by(Campaign.id, CountingOfficer.position)).all()
    return render_template("admin/my_sheets.html", rows=rows, locale=current_language())
