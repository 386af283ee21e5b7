"""Respondent views: thin; the checks live in `ballots.validation`, `ballots.operations` and `.operations`."""
from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from ..ballots import operations as ballots
from ..ballots.validation import asked, field_name, validate
from ..extensions import db, limiter
from ..i18n import current_language
from ..models import Campaign, CampaignTarget
from ..models._types import utcnow
from . import operations, throttle
from .forms import CodeForm

#: The session holds only which campaign and group the respondent is answering for and,
#: for a code group, the code encrypted under a key of the server's (never in plain: the
#: cookie is only signed) until the ballot is in; the answers stay in the browser.
SESSION_KEY = "respond"
DEVICE_COOKIE = "dv"


def _refused(reason: str, campaign: Campaign | None = None, status: int = 403):
    return render_template("respond/refused.html", reason=reason, campaign=campaign), status


# Only refused codes count (a hall of 200 shares one address): per address, and site-wide (see `throttle`).
@limiter.limit(lambda: current_app.config["CODE_FAILURE_LIMIT"], methods=["POST"],
               deduct_when=throttle.code_failed, on_breach=throttle.code_entry_refused)
@limiter.limit(lambda: current_app.config["CODE_FAILURE_SITE_LIMIT"], methods=["POST"], key_func=throttle.site_key,
               scope="codes-site", deduct_when=throttle.code_failed, on_breach=throttle.code_entry_refused)
def enter():
    form = CodeForm()
    if form.validate_on_submit():
        try:
            code = ballots.find_code(form.code.data)
        except ballots.CodeRefused as refusal:
            if refusal.reason != "malformed":  # a malformed code cannot match: it guesses nothing
                throttle.note_failed_code()
            if refusal.reason in ("used", "revoked"):
                return _refused(refusal.reason)
            form.code.errors.append(_("This code is not valid. Check it against your slip and try again."))
        else:
            campaign = db.session.get(Campaign, code.campaign_id)
            refusal = operations.window_refusal(campaign)
            if refusal:
                return _refused(refusal, campaign)
            session[SESSION_KEY] = {"c": campaign.id, "g": code.group_id,
                                    "code": operations.seal_code(form.code.data)}
            return redirect(url_for("respond.questionnaire"))
    return render_template("respond/enter.html", form=form), (400 if form.errors else 200)


def _device_counts() -> dict:
    return operations.device_counts(request.cookies.get(DEVICE_COOKIE))


def public_link(token: str):
    group = operations.public_group(token)
    if group is None:
        abort(404)
    campaign = group.campaign
    refusal = operations.window_refusal(campaign)
    if refusal:
        return _refused(refusal, campaign)
    if operations.device_limit_reached(_device_counts(), campaign):
        return _refused("device_limit", campaign, 429)
    session[SESSION_KEY] = {"c": campaign.id, "g": group.id}
    return redirect(url_for("respond.questionnaire"))


def _current(submitting: bool = False):
    """(campaign, group, session state) of the respondent, or None. A submission gets them
    without loading the campaign (`operations.answering`) once this process has served it."""
    state = session.get(SESSION_KEY)
    if not isinstance(state, dict):
        return None
    if not isinstance(state.get("g"), int):
        return None
    if submitting:
        answering = operations.answering(state.get("c"), state["g"])
        if answering is not None and answering.accepts_ballots(utcnow()):
            return answering, answering.group, state
    group = operations.answering_group(state.get("c"), state["g"])
    if group is None:
        return None
    return group.campaign, group, state


def _is_public() -> bool:
    state = session.get(SESSION_KEY)
    return isinstance(state, dict) and "code" not in state


@limiter.request_filter
def _code_respondent() -> bool:
    """A code respondent's questionnaire is under no limit (the code is the limit; the ceiling
    below is for public ballots): exempt at once, before Flask-Limiter works out the route's
    limits (checked for public ballots in tests/web/respond)."""
    return request.endpoint == "respond.questionnaire" and not _is_public()


# A ceiling per address above any hall; the device cookie is what holds one visitor back.
@limiter.limit(lambda: current_app.config["PUBLIC_RATE_LIMIT"], methods=["POST"],
               exempt_when=lambda: not _is_public() or request.form.get("action") != "submit",
               deduct_when=throttle.public_ballot_submitted, on_breach=throttle.public_ballot_refused)
def questionnaire():
    submitting = request.method == "POST" and request.form.get("action") == "submit"
    try:
        return _questionnaire(submitting)
    except ballots.StateChanged:  # the campaign closed, or opened again under a new key, since this process saw it
        state = session[SESSION_KEY]
        operations.forget_state(state["c"], state["g"])
    try:  # the long way: the campaign's state read
        return _questionnaire(submitting)
    except ballots.StateChanged:  # and changed again in the instant since
        session.pop(SESSION_KEY, None)
        return _refused("closed", db.session.get(Campaign, state["c"]))


def _questionnaire(submitting: bool):
    current = _current(submitting)
    if current is None:
        flash(_("Please enter your access code first."), "error")
        return redirect(url_for("respond.enter"))
    campaign, group, state = current
    refusal = operations.window_refusal(campaign)
    if refusal:
        session.pop(SESSION_KEY, None)
        return _refused(refusal, campaign)
    q = campaign.questionnaire  # a campaign's or, on a submission, `operations.Answering`'s (kept per process)
    codes = operations.target_codes(campaign, group)
    values = request.form.to_dict(flat=False) if request.method == "POST" else {}
    errors: dict = {}
    action = request.form.get("action", "review")

    def page() -> dict:  # what the pages show; a ballot that goes in needs none of it
        cts = operations.targets_for(campaign, group)
        return {"campaign": campaign, "group": group, "q": q, "asked": asked(q, group.code, cts), "values": values,
                "field_name": field_name, "locale": current_language(),
                "storage_key": f"ballot-{campaign.id}-{group.id}"}

    if request.method == "POST" and action != "edit":
        content, errors = validate(q, group.code, codes, values)
        if errors and isinstance(campaign, operations.Answering) and campaign.unconfirmed:
            raise ballots.StateChanged()  # checked against what this process kept: the long way says
        if not errors and action == "submit":
            if "code" not in state and operations.device_limit_reached(_device_counts(), campaign):
                return _refused("device_limit", db.session.get(Campaign, campaign.id), 429)
            try:
                code = operations.unseal_code(state["code"]) if "code" in state else None
                if "code" in state and code is None:  # a session from before a key change
                    session.pop(SESSION_KEY, None)
                    flash(_("Please enter your access code first."), "error")
                    return redirect(url_for("respond.enter"))
                receipt = ballots.submit(campaign, group, content, code=code)
            except ballots.CodeRefused as refusal:
                session.pop(SESSION_KEY, None)
                return _refused(refusal.reason if refusal.reason in ("used", "revoked") else "closed",
                                db.session.get(Campaign, state["c"]))
            session.pop(SESSION_KEY, None)
            session["receipt"] = {"r": receipt, "c": state["c"]}  # not campaign.id: the commit expired it
            response = redirect(url_for("respond.done"))
            if "code" not in state:
                g.public_ballot = True
                response.set_cookie(DEVICE_COOKIE, operations.device_counts_after_ballot(_device_counts(), state["c"]),
                                    max_age=400 * 24 * 3600, httponly=True, samesite="Lax",
                                    secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
            return response
        if isinstance(campaign, operations.Answering):  # the pages show the campaign: load it
            current = _current()
            if current is None:
                return redirect(url_for("respond.enter"))
            campaign, group, state = current
        if not errors:
            return render_template("respond/review.html", **page())
    return render_template("respond/questionnaire.html", errors=errors, **page()), (400 if errors else 200)


def done():
    receipt = session.pop("receipt", None)
    if not isinstance(receipt, dict):
        return redirect(url_for("public.index"))
    campaign = db.session.get(Campaign, receipt.get("c"))
    return render_template("respond/done.html", receipt=receipt.get("r"), campaign=campaign,
                           q=campaign.questionnaire_version.parsed if campaign else None,
                           locale=current_language())


def leave():
    session.pop(SESSION_KEY, None)
    return redirect(url_for("public.index"))


def report_pdf(campaign_target_id: int):
    ct = db.session.get(CampaignTarget, campaign_target_id)
    if ct is None or ct.report_pdf is None or ct.campaign.status == "draft":
        abort(404)
    return current_app.response_class(ct.report_pdf, mimetype="application/pdf",
                                      headers={"Content-Disposition": "inline"})
