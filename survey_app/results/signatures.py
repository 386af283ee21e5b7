"""The results the counting officers sign when they count, and checking them against the signatures.

At counting (`sign_counted`, called by `ballots.operations.count` in its transaction) the
results are computed once — a decision meeting's tally, or the scores — kept as
`counted_results` with the SHA-256 of their canonical JSON, and signed by the k officers
present (`ballots.signing`). Publication freezes exactly these. `verify_campaign` checks
that nothing stored has moved since: the results against their hash, the hash against the
signatures, and the public keys against those the audit log recorded when the panel was
made (the keys printed on the officers' sheets are the anchor outside the database).
"""
import scoring
from sqlalchemy import select

from ..ballots import signing
from ..extensions import db
from ..models import AuditEntry, Campaign, ResultSigner


def counted(campaign: Campaign) -> dict:
    """The campaign's results computed now from its opened ballots (a decision meeting's tally, or the scores)."""
    if campaign.is_decision:
        from .decisions import tally
        return tally(campaign)
    from .adapter import compute_results
    return compute_results(campaign)


def sign_counted(campaign: Campaign, seeds: dict[int, bytes], needed: int) -> None:
    """Keep the results as counted, with their hash, signed by the officers whose seeds these are.

    In the counting transaction, before the seeds are destroyed with the shares. A box
    sealed before signing existed has no seeds: its results are kept and hashed, unsigned."""
    data = counted(campaign)
    sha = signing.results_sha256(data)
    campaign.counted_results, campaign.results_sha256 = data, sha
    if not seeds:
        return
    campaign.signatures_needed = needed
    text = signing.message(campaign.code, sha, needed, seeds)
    for position, seed in seeds.items():
        row = db.session.get(ResultSigner, (campaign.id, position))
        row.signature = signing.sign(seed, text)
    db.session.flush()


def signers(campaign: Campaign) -> list[signing.Signer]:
    rows = db.session.execute(select(ResultSigner).where(ResultSigner.campaign_id == campaign.id)
                              .order_by(ResultSigner.position)).scalars()
    return [signing.Signer(r.position, r.name, bytes(r.verify_key), bytes(r.signature) if r.signature else None)
            for r in rows]


def state(campaign: Campaign) -> str:
    """"signed", "unsigned" (counted before signing existed, or a box without keys) or "uncounted"."""
    if campaign.counted_at is None:
        return "uncounted"
    return "signed" if campaign.signatures_needed else "unsigned"


def _recorded_keys(campaign: Campaign) -> dict[int, str] | None:
    """The public keys the audit log recorded for the campaign's last panel (open or re-share), or None."""
    entries = db.session.execute(select(AuditEntry).where(
        AuditEntry.subject == f"campaign:{campaign.id}", AuditEntry.action.in_(("campaign.open", "campaign.reshare")))
        .order_by(AuditEntry.id.desc()).limit(1)).scalars().first()
    if entries is None:
        return None
    panel = (entries.details or {}).get("after" if entries.action == "campaign.reshare" else "panel") or {}
    found = {o["position"]: o["public_key"] for o in panel.get("officers", []) if o.get("public_key")}
    return found or None


def verify_campaign(campaign: Campaign) -> list[str]:
    """What no longer holds in a counted campaign's stored results (empty: all holds)."""
    if campaign.counted_at is None or campaign.results_sha256 is None:
        return []
    where = f"campaign {campaign.code}"
    problems = []
    if campaign.counted_results is None or signing.results_sha256(campaign.counted_results) != campaign.results_sha256:
        problems.append(f"{where}: the counted results do not match their stored hash (edited)")
    if campaign.published_results is not None:
        if signing.results_sha256(campaign.published_results) != campaign.published_sha256:
            problems.append(f"{where}: the published results do not match the published hash (edited)")
        if campaign.published_sha256 != campaign.results_sha256:
            problems.append(f"{where}: the published hash is not the hash the officers signed")
    problems += _asked_problems(campaign, where)
    if campaign.signatures_needed:
        found = signers(campaign)
        problems += [f"{where}: {p}" for p in signing.check(campaign.code, campaign.results_sha256, found,
                                                            campaign.signatures_needed)]
        recorded = _recorded_keys(campaign)
        stored = {s.position: s.verify_key.hex() for s in found}
        if recorded is not None and recorded != stored:
            problems.append(f"{where}: the officers' public keys differ from those recorded when the panel was made")
    return problems


def _asked_problems(campaign: Campaign, where: str) -> list[str]:
    """The target-specific items as stored against those the signed results name: the published method,
    whose SHA-256 is in the signed results, lists each with its target, scoring and words."""
    method = campaign.published_method
    if method is None or campaign.counted_results is None:
        return []  # before publication the method may still change (a group's minimum size), the items not
    problems = []
    if scoring.Method.from_dict(method).sha256 != campaign.counted_results.get("method_sha256"):
        problems.append(f"{where}: the published method is not the one the counted results were computed with")
    signed = [(i["code"], i["target"], i["dimension"], float(i.get("weight", 1.0)), (i.get("text") or {}).get("zh"),
               (i.get("text") or {}).get("en")) for i in method.get("items", ()) if i.get("target") is not None]
    stored = [(i.code, i.target.code, i.dimension, float(i.weight), i.text_zh, i.text_en or i.text_zh)
              for i in campaign.items]
    if sorted(signed) != sorted(stored):
        problems.append(f"{where}: the questions asked of one target only differ from those the results were signed with")
    return problems


def verify_all() -> tuple[list[str], int, int]:
    """(problems, campaigns signed, campaigns counted unsigned) over every counted campaign."""
    problems, signed, unsigned = [], 0, 0
    for campaign in db.session.execute(select(Campaign).where(Campaign.counted_at.is_not(None))
                                       .order_by(Campaign.id)).scalars():
        problems += verify_campaign(campaign)
        if state(campaign) == "signed":
            signed += 1
        else:
            unsigned += 1
    return problems, signed, unsigned
