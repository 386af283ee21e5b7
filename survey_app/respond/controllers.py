"""Respondent views: thin; the checks live in `ballots.validation` and `ballots.operations`."""
import hashlib
import hmac

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..ballots import operations as ballots
from ..ballots.codes import normalise, unwrap, wrap
from ..ballots.validation import asked, field_name, targets_asked, validate
from ..extensions import db, limiter
from ..i18n import current_language
from ..models import Campaign, CampaignTarget, RespondentGroup
from ..models._types import utcnow
from .forms import CodeForm

#: The session holds only which campaign and group the respondent is answering for and,
#: for a code group, the code encrypted under a key of the server's (never in plain: the
#: cookie is only signed) until the ballot is in; the answers stay in the browser.
SESSION_KEY = "respond"
DEVICE_COOKIE = "dv"


def _session_code_key() -> bytes:
    return hmac.new(current_app.secret_key.encode() if isinstance(current_app.secret_key, str)
                    else current_app.secret_key, b"code-in-session-v1", hashlib.sha256).digest()


def _refused(reason: str, campaign: Campaign | None = None, status: int = 403):
    return render_template("respond/refused.html", reason=reason, campaign=campaign), status


def _window_reason(campaign: Campaign) -> str:
    now = utcnow()
    if campaign.status == "draft" or (campaign.opens_at and now < campaign.opens_at):
        return "not_open"
    return "closed"


@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def enter():
    form = CodeForm()
    if form.validate_on_submit():
        try:
            code = ballots.find_code(form.code.data)
        except ballots.CodeRefused as refusal:
            if refusal.reason in ("used", "revoked"):
                return _refused(refusal.reason)
            form.code.errors.append(_("This code is not valid. Check it against your slip and try again."))
        else:
            campaign = db.session.get(Campaign, code.campaign_id)
            if not campaign.accepts_ballots(utcnow()):
                return _refused(_window_reason(campaign), campaign)
            session[SESSION_KEY] = {"c": campaign.id, "g": code.group_id,
                                    "code": wrap(_session_code_key(), normalise(form.code.data))}
            return redirect(url_for("respond.questionnaire"))
    return render_template("respond/enter.html", form=form), (400 if form.errors else 200)


def _device_counts() -> dict:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return {}
    try:
        value = URLSafeSerializer(current_app.secret_key, salt="device").loads(raw)
    except BadSignature:
        return {}
    return value if isinstance(value, dict) else {}


def public_link(token: str):
    group = db.session.execute(select(RespondentGroup).where(
        RespondentGroup.public_token == token, RespondentGroup.access == "public")).scalar_one_or_none()
    if group is None:
        abort(404)
    campaign = group.campaign
    if not campaign.accepts_ballots(utcnow()):
        return _refused(_window_reason(campaign), campaign)
    if _device_counts().get(str(campaign.id), 0) >= current_app.config["DEVICE_BALLOT_LIMIT"]:
        return _refused("device_limit", campaign, 429)
    session[SESSION_KEY] = {"c": campaign.id, "g": group.id}
    return redirect(url_for("respond.questionnaire"))


def _current():
    state = session.get(SESSION_KEY)
    if not isinstance(state, dict):
        return None
    if not isinstance(state.get("g"), int):
        return None
    # Group, campaign and questionnaire version in one query: this runs on every answer page.
    group = db.session.execute(
        select(RespondentGroup).where(RespondentGroup.id == state["g"])
        .options(joinedload(RespondentGroup.campaign).joinedload(Campaign.questionnaire_version))
    ).scalar_one_or_none()
    if group is None or group.campaign_id != state.get("c"):
        return None
    return group.campaign, group, state


def targets_for(campaign: Campaign, group: RespondentGroup) -> list[CampaignTarget]:
    """The campaign's targets that this group appraises, with their targets loaded in one query."""
    links = db.session.execute(select(CampaignTarget).options(joinedload(CampaignTarget.target))
                               .where(CampaignTarget.campaign_id == campaign.id)
                               .order_by(CampaignTarget.position)).scalars().all()
    return targets_asked(links, group.code)


def _is_public() -> bool:
    state = session.get(SESSION_KEY)
    return isinstance(state, dict) and "code" not in state


@limiter.limit(lambda: current_app.config["PUBLIC_RATE_LIMIT"], methods=["POST"],
               exempt_when=lambda: not _is_public() or request.form.get("action") != "submit")
def questionnaire():
    current = _current()
    if current is None:
        flash(_("Please enter your access code first."), "error")
        return redirect(url_for("respond.enter"))
    campaign, group, state = current
    if not campaign.accepts_ballots(utcnow()):
        session.pop(SESSION_KEY, None)
        return _refused(_window_reason(campaign), campaign)
    q = campaign.questionnaire_version.parsed
    cts = targets_for(campaign, group)
    codes = [ct.target.code for ct in cts]
    values = request.form.to_dict(flat=False) if request.method == "POST" else {}
    errors: dict = {}
    action = request.form.get("action", "review")
    page = {"campaign": campaign, "group": group, "q": q, "asked": asked(q, group.code, cts), "values": values,
            "field_name": field_name, "locale": current_language(), "storage_key": f"ballot-{campaign.id}-{group.id}"}
    if request.method == "POST" and action != "edit":
        content, errors = validate(q, group.code, codes, values)
        if not errors and action == "submit":
            if "code" not in state and _device_counts().get(str(campaign.id), 0) >= \
                    current_app.config["DEVICE_BALLOT_LIMIT"]:
                return _refused("device_limit", campaign, 429)
            try:
                code = unwrap(_session_code_key(), state["code"]) if "code" in state else None
                if "code" in state and code is None:  # a session from before a key change
                    session.pop(SESSION_KEY, None)
                    flash(_("Please enter your access code first."), "error")
                    return redirect(url_for("respond.enter"))
                receipt = ballots.submit(campaign, group, content, code=code)
            except ballots.CodeRefused as refusal:
                session.pop(SESSION_KEY, None)
                return _refused(refusal.reason if refusal.reason in ("used", "revoked") else "closed", campaign)
            session.pop(SESSION_KEY, None)
            session["receipt"] = {"r": receipt, "c": campaign.id}
            response = redirect(url_for("respond.done"))
            if "code" not in state:
                counts = _device_counts()
                counts[str(campaign.id)] = counts.get(str(campaign.id), 0) + 1
                response.set_cookie(DEVICE_COOKIE, URLSafeSerializer(current_app.secret_key, salt="device")
                                    .dumps(counts), max_age=400 * 24 * 3600, httponly=True, samesite="Lax",
                                    secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
            return response
        if not errors:
            return render_template("respond/review.html", **page)
    return render_template("respond/questionnaire.html", errors=errors, **page), (400 if errors else 200)


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
