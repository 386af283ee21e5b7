from flask import Response, abort, render_template, request
from sqlalchemy import select

from ..errors import RETRY_AFTER, database_state
from ..extensions import db
from ..results import decision_tally
from ..i18n import current_language
from ..models import Campaign, Receipt
from ..models._types import utcnow
from ..reports.operations import published_ranking_chart


def index():
    campaigns = db.session.execute(select(Campaign).where(Campaign.status.in_(("open", "published")))
                                   .order_by(Campaign.created_at.desc())).scalars().all()
    now = utcnow()
    open_ = [c for c in campaigns if c.accepts_ballots(now)]
    published = [c for c in campaigns if c.status == "published"]
    return render_template("public/index.html", open_campaigns=open_, published=published,
                           locale=current_language())


def _published(code: str) -> Campaign:
    campaign = db.session.execute(select(Campaign).where(Campaign.code == code)).scalar_one_or_none()
    if campaign is None or campaign.status != "published":
        abort(404)
    return campaign


def campaign(code: str):
    campaign = _published(code)
    targets = {t.code: t for t in campaign.targets}
    groups = [f"{g.name(current_language())} ×{g.weight:g}" for g in campaign.groups]
    decision = decision_tally(campaign) if campaign.kind == "decision" else None
    chart = (published_ranking_chart(campaign, current_language())
             if campaign.show_ranks and decision is None else None)
    return render_template("public/campaign.html", campaign=campaign, results=campaign.published_results,
                           decision=decision, targets=targets, groups=groups, locale=current_language(),
                           ranking_chart=chart)


def bundle(code: str):
    """The open results bundle frozen at publication: anyone can recompute every number."""
    campaign = _published(code)
    if campaign.published_bundle is None:
        abort(404)
    return Response(campaign.published_bundle, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{campaign.code}-results-bundle.zip"'})


def receipts(code: str):
    campaign = _published(code)
    wanted = (request.args.get("r") or "").strip().upper()
    rows = db.session.execute(select(Receipt.fingerprint).where(Receipt.campaign_id == campaign.id)
                              .order_by(Receipt.fingerprint)).scalars().all()
    return render_template("public/receipts.html", campaign=campaign, receipts=rows, wanted=wanted,
                           found=wanted in set(rows) if wanted else None, locale=current_language())


def health():
    """For load balancers and monitors: 200 when the database takes ballots, else 503 and its state."""
    state = database_state()
    if state == "ok":
        return {"status": "ok", "database": "ok"}
    return {"status": "unavailable", "database": state}, 503, {"Retry-After": str(RETRY_AFTER)}
