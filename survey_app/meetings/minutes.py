"""The minutes (表决记录) of a counted decision meeting: an A4 PDF in Chinese or English.

Body, date, members, how many voted, the quorums, each matter with its kind, its votes,
the rule applied and its outcome; the officers who counted, the results' hash and their
signatures with their public keys. Everything on it comes from the results the officers
signed (`counted_results`, frozen at publication), never recomputed from settings that
could have moved since.
"""
from dataclasses import dataclass

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select

from ..ballots import signing
from ..extensions import db
from ..i18n import local_time
from ..models import AuditEntry, Campaign, ResultSigner
from ..printing import REPORT_STYLESHEET, html_to_pdf
from ..results.decisions import tally


@dataclass
class Minutes:
    campaign: Campaign
    #: the tally as signed (`results.decisions.tally`)
    tally: dict
    sha256: str | None
    #: "signed" or "unsigned"
    state: str
    #: (position, name, public key fingerprint, signature hex or None) of every officer of the panel
    officers: list[tuple]
    #: names of the officers who counted
    counted_by: list[str]
    needed: int | None


def _counted_by(campaign: Campaign) -> list[str]:
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.subject == f"campaign:{campaign.id}",
                                                        AuditEntry.action == "campaign.count")
                               .order_by(AuditEntry.id.desc()).limit(1)).scalars().first()
    return [o["name"] for o in (entry.details or {}).get("officers", [])] if entry is not None else []


def gather(campaign: Campaign) -> Minutes:
    """What the minutes say; the campaign must be a counted decision meeting."""
    data = campaign.published_results if campaign.published_results is not None else campaign.counted_results
    if data is None or data.get("kind") != "decision":  # counted before results were kept: computed now, unsigned
        data = tally(campaign)
    rows = db.session.execute(select(ResultSigner).where(ResultSigner.campaign_id == campaign.id)
                              .order_by(ResultSigner.position)).scalars().all()
    officers = [(r.position, r.name, signing.fingerprint(r.verify_key), bytes(r.signature).hex() if r.signature else None)
                for r in rows]
    signed = bool(campaign.signatures_needed) and any(o[3] for o in officers)
    return Minutes(campaign, data, campaign.results_sha256, "signed" if signed else "unsigned", officers,
                   _counted_by(campaign), campaign.signatures_needed)


#: the minutes' languages: "zh" or "en" as asked for, Babel's locale to write them in
LOCALES = {"zh": "zh_CN", "en": "en"}


def html(campaign: Campaign, language: str) -> str:
    """The minutes as a page for print, in `language` ("zh" or "en")."""
    locale = LOCALES[language]
    with force_locale(locale):
        return render_template("meetings/minutes_pdf.html", m=gather(campaign), campaign=campaign, locale=locale,
                               opened=local_time(campaign.opens_at), counted=local_time(campaign.counted_at),
                               domain=signing.DOMAIN)


def pdf(campaign: Campaign, language: str) -> bytes:
    return html_to_pdf(html(campaign, language), REPORT_STYLESHEET)
