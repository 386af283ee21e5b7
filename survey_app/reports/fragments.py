"""The costly parts of the report pages and the dashboard, rendered once per change of what they show.

A report's figures (header to trend, and its footer), the dashboard's results (cards,
alerts, results, sensitivity, reliability) and the public page's ranking are rendered HTML kept in `drawn_charts` beside
the charts, for every app server. Each is named, as a chart is, by the digest of everything
it is rendered from: the results (their signed or published digest, or the key of the
computed ones), every column of the campaign that a page may show, the campaign's targets
and groups, for a report the target and its earlier published campaigns, the language, and
the templates and catalogs that render it. A change of any of them gives another name, so a
kept fragment is never stale; only what changes without new results — who may see it, the
comments, the commitments, the turnout and the moderation queue — is rendered on every view,
and the access check comes before any fragment is looked up. A fragment holds nothing of the
viewer: the same target's page is the same for everyone allowed to read it.
"""
import hashlib
import json
from pathlib import Path

from flask import render_template
from markupsafe import Markup
from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import Campaign, CampaignTarget, RespondentGroup, Target
from ..results import adapter
from . import drawn

#: the campaign's columns a page never shows or that name the results by other means
#: (large: read or decoded only where needed)
_NOT_SHOWN = {"public_key", "published_results", "published_bundle", "results_cache", "results_cache_key",
              "counted_results", "has_bundle", "published_method"}
_ROOT = Path(__file__).resolve().parent.parent
_version: list[str] = []


def code_version() -> str:
    """The digest of the report templates, the macros and the compiled catalogs (once per process)."""
    if not _version:
        digest = hashlib.sha256(drawn.CODE_VERSION.encode())
        files = sorted((_ROOT / "templates" / "reports").glob("*.html")) + [_ROOT / "templates" / "_macros.html",
                                                                             _ROOT / "templates" / "public" / "_ranking.html"]
        files += sorted((_ROOT.parent / "translations").glob("*/LC_MESSAGES/messages.mo"))
        files += [Path(__file__), Path(__file__).with_name("operations.py")]
        for path in files:
            digest.update(path.name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
        _version.append(digest.hexdigest()[:16])
    return _version[0]


def results_identity(campaign: Campaign) -> str:
    """What names the results every page shows (as `adapter.results` chooses them), read without
    decoding them: the published digest, the digest the counting officers signed, or the key of
    results computed from the ballots (which names the ballots, the method and the engine)."""
    if campaign.published_sha256 is not None:
        return "published:" + campaign.published_sha256
    if campaign.counted_at is None:
        return "none"
    if campaign.counted_results is not None:
        return "counted:" + (campaign.results_sha256 or hashlib.sha256(json.dumps(
            campaign.counted_results, sort_keys=True, default=str).encode()).hexdigest())
    return "computed:" + adapter.cache_key(campaign)


def _campaign_state(campaign: Campaign) -> list:
    return [[column.key, getattr(campaign, column.key)] for column in Campaign.__table__.columns
            if column.key not in _NOT_SHOWN]


def _rows(name: str, **values) -> list[list]:
    """The rows of one of the statements below, through the request's connection: read on every
    view, so neither built again nor passed through the ORM."""
    if not _statements:
        _statements.update(_build_statements())
    return [list(row) for row in db.session.connection().execute(_statements[name], values).all()]


_statements: dict = {}


def _build_statements() -> dict:
    campaign_id, target_id = bindparam("campaign_id"), bindparam("target_id")
    return {
        "targets": select(Target.id, Target.code, Target.kind, Target.name_zh, Target.name_en, Target.post_zh,
                          Target.post_en, CampaignTarget.position)
        .join(CampaignTarget, CampaignTarget.target_id == Target.id)
        .where(CampaignTarget.campaign_id == campaign_id).order_by(CampaignTarget.position, Target.id),
        "groups": select(*RespondentGroup.__table__.columns).where(RespondentGroup.campaign_id == campaign_id)
        .order_by(RespondentGroup.position, RespondentGroup.id),
        # a target's other published campaigns (the trend shows their scores and titles)
        "earlier": select(Campaign.id, Campaign.published_sha256, Campaign.published_at, Campaign.title_zh,
                          Campaign.title_en, Campaign.code)
        .join(CampaignTarget, CampaignTarget.campaign_id == Campaign.id)
        .where(CampaignTarget.target_id == target_id, Campaign.status == "published", Campaign.id != campaign_id)
        .order_by(Campaign.id),
    }


def _targets_and_groups(campaign: Campaign) -> list:
    return [_rows("targets", campaign_id=campaign.id), _rows("groups", campaign_id=campaign.id)]


def _earlier(campaign: Campaign, target_id: int) -> list:
    """The target's other published campaigns (the trend shows their scores and titles)."""
    return _rows("earlier", campaign_id=campaign.id, target_id=target_id)


def _key(kind: str, *parts) -> str:
    payload = json.dumps([code_version(), kind, parts], ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _kept(campaign: Campaign, key: str, make, finish) -> dict:
    from .operations import results_source  # (operations imports this module's neighbours)
    return drawn.kept_json(campaign.id, lambda: results_source(campaign), key, make, finish)


def report_figures(campaign: Campaign, target: Target, locale: str, build) -> dict:
    """{"figures", "foot": HTML, "visible": group codes shown, "scored", "min_n"} of a target's report
    page in `locale`; `build()` gathers the report (operations.build_report) when it is not kept yet.
    (Shared by the views that find it kept: not to be changed.)"""
    key = _key("report-page", locale, target.id, results_identity(campaign), _campaign_state(campaign),
               _targets_and_groups(campaign), _earlier(campaign, target.id))

    def make() -> dict:
        r = build()
        return {"figures": render_template("reports/_report_figures.html", r=r, locale=locale),
                "foot": render_template("reports/_report_foot.html", r=r, locale=locale),
                "visible": sorted(g.code for g in r.visible_groups), "scored": r.entry is not None,
                "min_n": r.method["min_group_size"]}

    def finish(kept: dict) -> dict:
        return dict(kept, figures=Markup(kept["figures"]), foot=Markup(kept["foot"]))
    return _kept(campaign, key, make, finish)


def dashboard_results(campaign: Campaign, locale: str, context) -> dict[str, Markup]:
    """{"cards", "results": HTML} of the dashboard in `locale`; `context()` gathers what the two
    templates are rendered from when they are not kept yet. (Shared: not to be changed.)"""
    key = _key("dashboard", locale, results_identity(campaign), _campaign_state(campaign),
               _targets_and_groups(campaign))

    def make() -> dict:
        values = context()
        return {"cards": render_template("reports/_dashboard_cards.html", **values),
                "results": render_template("reports/_dashboard_results.html", **values)}
    return _kept(campaign, key, make, lambda kept: {name: Markup(html) for name, html in kept.items()})


def public_ranking(campaign: Campaign, locale: str, context) -> Markup:
    """The public page's ranking (charts, table and note) in `locale`, the same for every reader;
    `context()` gathers what `public/_ranking.html` is rendered from when it is not kept yet."""
    key = _key("public-ranking", locale, results_identity(campaign), _campaign_state(campaign),
               _targets_and_groups(campaign))
    return _kept(campaign, key, lambda: render_template("public/_ranking.html", **context()), Markup)
