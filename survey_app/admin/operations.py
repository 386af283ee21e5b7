"""State changes of campaigns, shared by the web and the CLI (questionnaires: `designer.operations`)."""
import csv
import io
import secrets
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import audit
from . import items as campaign_items
from ..ballots import counting, keys, mixing
from ..ballots import operations as ballots
from ..extensions import db
from ..followup import operations as followup
from ..models import Campaign, CampaignTarget, QuestionnaireVersion, RespondentGroup, Target
from ..models._types import utcnow
from ..results import publication, signatures


class LifecycleError(Exception):
    """A transition that the campaign's state does not allow; the message says why."""


class PanelRefused(LifecycleError):
    """The panel of counting officers as given cannot be made (a name twice, a short passphrase…):
    the form is shown again with what was typed."""


def create_campaign(*, code: str, kind: str, title_zh: str, title_en: str, version: QuestionnaireVersion,
                    opens_at: datetime | None = None, closes_at: datetime | None = None,
                    min_group_size: int = 5, show_ranks: bool = True, hotline: str = "",
                    contact: str = "", funnel_alerts: float | None = None) -> Campaign:
    if not version.frozen:
        raise LifecycleError(_l("a campaign pins a published questionnaire version"))
    campaign = Campaign(code=code, kind=kind, title_zh=title_zh, title_en=title_en,
                        questionnaire_version=version, opens_at=opens_at, closes_at=closes_at,
                        min_group_size=min_group_size, show_ranks=show_ranks, hotline=hotline,
                        contact=contact, funnel_alerts=funnel_alerts)
    db.session.add(campaign)
    db.session.flush()
    audit.record("campaign.create", f"campaign:{campaign.id}", code=code, kind=kind,
                 questionnaire_version=version.id)
    db.session.commit()
    return campaign


def add_group(campaign: Campaign, *, code: str, name_zh: str, name_en: str, weight: float,
              access: str = "code", expected: int = 0) -> RespondentGroup:
    if campaign.status != "draft":
        raise LifecycleError(_l("groups are fixed once the campaign is open"))
    if campaign.kind == "decision":
        raise LifecycleError(_l("a decision meeting's only voters are its members"))
    group = RespondentGroup(campaign=campaign, code=code, name_zh=name_zh, name_en=name_en,
                            weight=weight, access=access, expected=expected,
                            public_token=secrets.token_urlsafe(12) if access == "public" else None,
                            position=len(campaign.groups))
    db.session.add(group)
    db.session.flush()
    audit.record("group.create", f"group:{group.id}", campaign=campaign.code, code=code, weight=weight,
                 access=access)
    db.session.commit()
    return group


def update_group(group: RespondentGroup, *, name_zh: str, name_en: str, weight: float, expected: int) -> None:
    """A group's names, weight and expected turnout. The weight is fixed once the ballots are
    counted (the officers signed the results it gave); a decision meeting's members are fixed
    once its box is sealed."""
    campaign = group.campaign
    if campaign.status == "published":
        raise LifecycleError(_l("a published campaign cannot change"))
    if campaign.kind == "decision" and campaign.frozen:
        raise LifecycleError(_l("The members, the matters and their kinds are fixed once voting opens: "
                                "the ballot box is sealed."))
    if campaign.counted_at is not None and weight != group.weight:
        raise LifecycleError(_l("a group's weight is fixed once the ballots are counted"))
    before = {"weight": group.weight, "expected": group.expected}
    group.name_zh, group.name_en, group.weight, group.expected = name_zh, name_en, weight, expected
    audit.record("group.update", f"group:{group.id}", before=before,
                 after={"weight": weight, "expected": expected})
    db.session.commit()


def place_targets(campaign: Campaign, targets: list[Target]) -> None:
    """The campaign's targets in this order, without committing. Rows of targets that stay are
    kept (with their reports): replacing them all would insert the new rows before deleting the
    old ones and break the (campaign, target) unique key."""
    kept = {ct.target_id: ct for ct in campaign.campaign_targets}
    rows = []
    # A target chosen twice is one target.
    targets = list({t.id: t for t in targets}.values()) if all(t.id for t in targets) else targets
    for i, t in enumerate(targets):
        row = kept.pop(t.id, None) or CampaignTarget(target=t)
        row.position = i
        rows.append(row)
    for gone in kept.values():
        campaign.campaign_targets.remove(gone)
    db.session.flush()
    campaign.campaign_targets = rows
    db.session.flush()


def set_targets(campaign: Campaign, targets: list[Target]) -> None:
    if campaign.status != "draft":
        raise LifecycleError(_l("targets are fixed once the campaign is open"))
    place_targets(campaign, targets)
    audit.record("campaign.targets", f"campaign:{campaign.id}", targets=[t.code for t in targets])
    db.session.commit()


def add_target(campaign: Campaign, *, code: str, kind: str, name_zh: str, name_en: str, post_zh: str = "",
               post_en: str = "") -> Target:
    """A new target, appraised in the campaign after its other targets."""
    if campaign.status != "draft":
        raise LifecycleError(_l("targets are fixed once the campaign is open"))
    target = Target(code=code, kind=kind, name_zh=name_zh, name_en=name_en, post_zh=post_zh, post_en=post_en)
    db.session.add(target)
    db.session.flush()
    set_targets(campaign, campaign.targets + [target])
    return target


def edit_campaign(campaign: Campaign, *, title_zh: str, title_en: str, hotline: str, contact: str,
                  closes_at: datetime | None, kind: str, opens_at: datetime | None, version_id: int,
                  min_group_size: int, show_ranks: bool, funnel_alerts: float | None = None) -> None:
    """Change a campaign's settings; kind, opening, questionnaire and scoring only while it is a draft."""
    if campaign.status == "published":
        raise LifecycleError(_l("a published campaign cannot change"))
    campaign.title_zh, campaign.title_en = title_zh, title_en
    campaign.hotline, campaign.contact = hotline, contact
    campaign.closes_at = closes_at
    if campaign.status == "draft":
        # What respondents answer and how it is scored is fixed once ballots come in.
        campaign.kind, campaign.opens_at = kind, opens_at
        campaign.questionnaire_version_id = version_id
        campaign.min_group_size, campaign.show_ranks = min_group_size, show_ranks
        campaign.funnel_alerts = funnel_alerts
    audit.record("campaign.edit", f"campaign:{campaign.id}", code=campaign.code)
    db.session.commit()


def save_target_report(ct: CampaignTarget, *, report_zh: str, report_en: str,
                       pdf: bytes | None = None, remove_pdf: bool = False) -> None:
    """The duty-and-integrity report of a target in a campaign: its texts and its PDF (replaced by
    `pdf`, or removed). A decision meeting's matters have no report (`meetings`)."""
    campaign = ct.campaign
    if campaign.status not in ("draft", "open"):
        raise LifecycleError(_l("Reports can change only before the campaign closes."))
    if campaign.kind == "decision":
        raise LifecycleError(_l("a decision meeting's matters are set on the meeting's own page"))
    ct.report_zh, ct.report_en = report_zh, report_en
    if remove_pdf:
        ct.report_pdf = None
    elif pdf is not None:
        ct.report_pdf = pdf
    audit.record("target.report", f"campaign_target:{ct.id}", campaign=campaign.code, target=ct.target.code,
                 pdf=ct.report_pdf is not None)
    db.session.commit()


def codes_csv(campaign: Campaign, group: RespondentGroup, codes: list[str]) -> str:
    """The plain access codes just issued as CSV, each with the link that opens its ballot."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["campaign", "group", "code", "url"])
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    for code in codes:
        writer.writerow([campaign.code, group.code, code, f"{base}/answer#{code}"])
    return out.getvalue()


def _panel_audit(sealed) -> dict:
    """The panel for the audit log; its public signing keys there are what `audit verify` checks the stored ones against."""
    return {"threshold": sealed.threshold, "officers": [
        {"position": o.position, "name": o.name, "user": o.user_id,
         **({"public_key": o.verify_key.hex()} if o.verify_key else {})} for o in sealed.officers]}


def open_campaign(campaign: Campaign, officers: "str | list[keys.Officer]", threshold: int = 1) -> None:
    """Make the ballot box's key pair for a panel of counting officers and start accepting ballots.

    `officers` each bring their own passphrase; any `threshold` of them open the box. A bare
    passphrase makes a panel of one officer (1 of 1).
    """
    if campaign.status != "draft":
        raise LifecycleError(_l("only a draft campaign can be opened"))
    if not campaign.groups or not campaign.campaign_targets:
        raise LifecycleError(_l("a campaign needs at least one group and one target"))
    if isinstance(officers, str):
        officers, threshold = [keys.Officer(str(_l("Counting officer")), officers)], 1
    try:
        keys.check_panel(officers, threshold, current_app.config["MIN_PASSPHRASE_LENGTH"])
    except keys.PanelError as error:
        raise PanelRefused(str(error)) from None
    try:  # what is asked of one target only is fixed now, from the data of this moment
        campaign_items.freeze_for_opening(campaign)
    except campaign_items.ItemsRefused as error:
        db.session.rollback()
        raise LifecycleError(str(error)) from None
    sealed = keys.make_panel(officers, threshold, current_app.config["KDF_STRENGTH"])
    keys.store_panel(campaign, sealed)
    campaign.status = "open"
    if campaign.opens_at is None:
        campaign.opens_at = utcnow()
    audit.record("campaign.open", f"campaign:{campaign.id}", code=campaign.code, panel=_panel_audit(sealed),
                 **({"items": [i.code for i in campaign.items]} if campaign.items else {}))
    db.session.commit()


def reshare_officers(campaign: Campaign, passphrases: dict[int, str], officers: list["keys.Officer"],
                     threshold: int) -> None:
    """k current officers hand the box to a new panel; the old shares are destroyed and open nothing.

    Raises LifecycleError, keys.TooFewOfficers or keys.WrongOfficerPassphrase; nothing changes then.
    """
    if campaign.status not in ("open", "closed") or campaign.counted_at is not None:
        raise LifecycleError(_l("counting officers can be changed only before the ballots are counted"))
    if counting.running(campaign.id):  # the count would destroy the new panel with the old
        raise LifecycleError(_l("this ballot box is being counted right now; wait for that count to end"))
    before = keys.load_panel(campaign)
    try:
        keys.check_panel(officers, threshold, current_app.config["MIN_PASSPHRASE_LENGTH"])
    except keys.PanelError as error:
        raise LifecycleError(str(error)) from None
    took_part = keys.took_part(campaign, passphrases)
    try:
        sealed = keys.reshare(campaign, passphrases, officers, threshold)
        audit.record("campaign.reshare", f"campaign:{campaign.id}", code=campaign.code, by=took_part,
                     before=_panel_audit(before), after=_panel_audit(sealed))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    mixing.scrub_files()


def close_campaign(campaign: Campaign) -> None:
    if campaign.status != "open":
        raise LifecycleError(_l("only an open campaign can be closed"))
    campaign.status = "closed"
    now = utcnow()
    if campaign.closes_at is None or campaign.closes_at > now:
        campaign.closes_at = now
    audit.record("campaign.close", f"campaign:{campaign.id}", code=campaign.code)
    db.session.commit()
    # What still waits in the inbox goes into the box as its last batch (at least k envelopes
    # thanks to those the mixer keeps back); paper entered later is mixed in at counting.
    mixing.mix(final=campaign.id)


def count_campaign(campaign: Campaign, passphrases, progress=None) -> int:
    """Count with k officers' passphrases (position -> passphrase; a bare string for 1 of 1)."""
    if campaign.status != "closed":
        raise LifecycleError(_l("ballots are counted after the campaign closes"))
    if campaign.counted_at is not None:
        raise LifecycleError(_l("the ballot box has been counted and its key destroyed"))
    try:
        return ballots.count(campaign, passphrases, progress=progress, sign=signatures.sign_counted)
    except ballots.CountRunning:
        raise LifecycleError(_l("this ballot box is being counted right now; wait for that count to end")) from None
    except mixing.BoxNotEmptied:
        db.session.rollback()
        raise LifecycleError(_l("ballots arrived while counting; nothing was changed, count again")) from None




def publish_campaign(campaign: Campaign) -> None:
    """Freeze the results the officers signed, with their hash, and open them to the public and to each leader."""
    if campaign.status != "closed" or campaign.counted_at is None:
        raise LifecycleError(_l("only a closed and counted campaign can be published"))
    try:
        publication.freeze(campaign)
    except publication.NotAsSigned:
        raise LifecycleError(_l("the results differ from those the counting officers signed: nothing was published")) from None
    campaign.status, campaign.published_at = "published", utcnow()
    audit.record("campaign.publish", f"campaign:{campaign.id}", code=campaign.code,
                 results_sha256=campaign.published_sha256)
    # every target in prevention or warning gets its case (follow-up of alerts), in the same transaction
    followup.open_cases_for(campaign, audit.current_actor())
    db.session.commit()
