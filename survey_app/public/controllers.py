from flask import Response, abort, redirect, render_template, request, url_for
from sqlalchemy import func, select

from ..ballots.sealing import in_fours
from ..errors import RETRY_AFTER, database_state
from ..extensions import db
from ..results import adapter as results_adapter
from ..results.decisions import view as decision_view
from ..i18n import current_language
from ..models import Campaign, Receipt
from ..models._types import utcnow
from ..paging import page_of
from ..reports import fragments
from ..reports.operations import funnel_rows, published_funnel_chart, published_ranking_chart


def index():
    campaigns = db.session.execute(select(Campaign).where(Campaign.status.in_(("open", "published")))
                                   .order_by(Campaign.created_at.desc())).scalars().all()
    now = utcnow()
    open_ = [c for c in campaigns if c.accepts_ballots(now)]
    published = [c for c in campaigns if c.status == "published"]
    return render_template("public/index.html", open_campaigns=open_, published=published,
                           locale=current_language())


def open_hotlines() -> list[Campaign]:
    """The open campaigns that publish a supervision hotline, for pages that know no campaign."""
    now = utcnow()
    campaigns = db.session.execute(select(Campaign).where(Campaign.status == "open", Campaign.hotline != "")
                                   .order_by(Campaign.created_at.desc())).scalars().all()
    return [c for c in campaigns if c.hotline and c.accepts_ballots(now)]


def _published(code: str) -> Campaign:
    campaign = db.session.execute(select(Campaign).where(Campaign.code == code)).scalar_one_or_none()
    if campaign is None or campaign.status != "published":
        abort(404)
    return campaign


def campaign(code: str):
    campaign = _published(code)
    locale = current_language()
    tally = decision_view(campaign) if campaign.is_decision else None
    # The frozen results, decoded once per process (`results.results`), not at every view.
    data = results_adapter.results(campaign)

    def ranking_context() -> dict:
        targets = {t.code: t for t in campaign.targets}
        return dict(campaign=campaign, results=data, locale=locale, targets=targets,
                    funnel_rows=funnel_rows(data, {code: t.name(locale) for code, t in targets.items()}),
                    groups=[f"{g.name(locale)} ×{g.weight:g}" for g in campaign.groups],
                    ranking_chart=published_ranking_chart(campaign, locale),
                    funnel_chart=published_funnel_chart(campaign, locale))
    # the ranking (charts and table) rendered once per language and change of what it shows
    ranking = fragments.public_ranking(campaign, locale, ranking_context) \
        if campaign.show_ranks and tally is None else None
    return render_template("public/campaign.html", campaign=campaign, results=data, tally=tally, locale=locale,
                           ranking=ranking)


def bundle(code: str):
    """The open results bundle frozen at publication: anyone can recompute every number."""
    campaign = _published(code)
    if campaign.published_bundle is None:
        abort(404)
    return Response(campaign.published_bundle, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{campaign.code}-results-bundle.zip"'})


RECEIPTS_PER_PAGE = 400
HEX = set("0123456789ABCDEF")


def normalise_receipt(typed: str) -> str:
    """What a respondent typed, as the receipt is printed: case, spaces and dashes do not matter
    (as for access codes). Returns the hex digits found, dashed in fours, possibly partial."""
    return in_fours("".join(ch for ch in (typed or "").upper() if ch in HEX)[:16])


def receipts(code: str):
    """Check one receipt, or browse the sorted list a page at a time (a city has tens of thousands)."""
    campaign = _published(code)
    wanted = normalise_receipt(request.args.get("r", ""))
    full = len(wanted) == 19
    base = select(Receipt.fingerprint).where(Receipt.campaign_id == campaign.id)
    total = db.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    found = None
    listed = base
    if wanted:
        if full:
            found = db.session.execute(base.where(Receipt.fingerprint == wanted)).first() is not None
        else:  # a partial receipt lists the receipts it begins
            listed = base.where(Receipt.fingerprint.startswith(wanted, autoescape=True))
    shown = page_of(listed.order_by(Receipt.fingerprint), request.args.get("page", 1, type=int),
                    RECEIPTS_PER_PAGE, scalars=True)
    return render_template("public/receipts.html", campaign=campaign, receipts=shown.rows, total=total,
                           wanted=wanted, partial=bool(wanted) and not full, matching=shown.total,
                           page=shown.page, pages=shown.pages, found=found, locale=current_language())


def health():
    """For load balancers and monitors: 200 when the database takes ballots, else 503 and its state."""
    state = database_state()
    if state == "ok":
        return {"status": "ok", "database": "ok"}
    return {"status": "unavailable", "database": state}, 503, {"Retry-After": str(RETRY_AFTER)}


def favicon():
    """Browsers ask for /favicon.ico whatever the page says: send them to the seal."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)
