"""Setting up a decision meeting, shared by the web and the CLI; fixed once its ballot box is sealed.

A decision meeting is a campaign of kind `decision`: its body, its N members (named or only
counted), its quorums, and its matters each of one kind (`models.campaign.MATTER_KINDS`),
with one group, its members, who vote with one code each (or a paper sheet each: codes
and sheets together never exceed N, `ballots.operations.ballots_left`). Members, matters
and their kinds decide the results, so they change only while the meeting is a draft.
"""
from dataclasses import dataclass
from datetime import datetime

import questionnaires
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit
from ..admin.operations import LifecycleError, place_targets
from ..designer.operations import save_questionnaire
from ..extensions import db
from ..models import Campaign, Questionnaire, QuestionnaireVersion, RespondentGroup, Target
from ..models.campaign import MATTER_KINDS, QUORUMS

#: a body votes on at most this many matters at one meeting
MAX_MATTERS = 30
#: the largest body: a city's people's congress standing committee has fewer
MAX_MEMBERS = 500
#: the code of the members' group (the only group of a decision meeting)
MEMBERS_GROUP = "members"
#: the vote codes a decision ballot's scale must have, in this order
VOTE_CODES = ("agree", "disagree", "abstain")


class MeetingError(ValueError):
    """A set-up that cannot be: the message says why (translated)."""


@dataclass(frozen=True)
class Matter:
    """A matter put to the vote, as the secretary types it."""
    name_zh: str
    name_en: str
    kind: str = "ordinary"


@dataclass(frozen=True)
class Setup:
    """What decides a meeting's results and how it is worded: fixed once the box is sealed."""
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    members: int
    member_names: tuple[str, ...] | None
    matters: tuple[Matter, ...]
    quorum: str = "more_than_half"
    personnel_quorum: str = "two_thirds"
    opens_at: datetime | None = None
    closes_at: datetime | None = None


def check(setup: Setup) -> None:
    """MeetingError unless the set-up is complete and consistent."""
    if not setup.title_zh.strip() or not setup.title_en.strip():
        raise MeetingError(_l("A decision meeting needs a title in both languages."))
    if not setup.body_zh.strip():
        raise MeetingError(_l("Name the body that decides, e.g. 市纪委常委会."))
    if not 1 <= setup.members <= MAX_MEMBERS:
        raise MeetingError(_l("A body has 1 to %(max)d members.", max=MAX_MEMBERS))
    if setup.member_names is not None:
        names = [n.strip() for n in setup.member_names]
        if any(not n for n in names) or len({n.casefold() for n in names}) != len(names):
            raise MeetingError(_l("Every member's name must be given once."))
        if len(names) != setup.members:
            raise MeetingError(_l("%(names)d names are given for %(n)d members: name every member or none.",
                                  names=len(names), n=setup.members))
    if setup.quorum not in QUORUMS or setup.personnel_quorum not in QUORUMS:
        raise MeetingError(_l("Unknown quorum."))
    if not 1 <= len(setup.matters) <= MAX_MATTERS:
        raise MeetingError(_l("A decision meeting votes on 1 to %(max)d matters.", max=MAX_MATTERS))
    for matter in setup.matters:
        if not matter.name_zh.strip():
            raise MeetingError(_l("Every matter needs its name in Chinese."))
        if matter.kind not in MATTER_KINDS:
            raise MeetingError(_l("Unknown kind of matter."))
    if setup.opens_at and setup.closes_at and setup.closes_at <= setup.opens_at:
        raise MeetingError(_l("The campaign must close after it opens."))


def decision_version() -> QuestionnaireVersion:
    """The published decision ballot every meeting pins: the built-in one, stored when first needed."""
    template = questionnaires.template("decision")
    record = db.session.execute(select(Questionnaire).where(Questionnaire.code == template.code)).scalar_one_or_none()
    if record is not None:
        for version in reversed(record.published_versions):
            if _is_decision_ballot(version.parsed):
                return version
        if record.latest is not None and not record.latest.frozen:
            raise MeetingError(_l("The decision ballot questionnaire has an unpublished draft: publish or discard it first."))
    return save_questionnaire(template, publish=True)


def _is_decision_ballot(q: questionnaires.Questionnaire) -> bool:
    """One rating item on the votes agree / disagree / abstain: what the tally counts."""
    return tuple(o.code for o in q.scale.options) == VOTE_CODES and len(q.items()) == len(q.rating_items()) == 1


def _require_draft(campaign: Campaign) -> None:
    if campaign.kind != "decision":
        raise MeetingError(_l("This campaign is not a decision meeting."))
    if campaign.frozen:
        raise LifecycleError(_l("The members, the matters and their kinds are fixed once voting opens: "
                                "the ballot box is sealed."))


def _apply(campaign: Campaign, setup: Setup) -> None:
    campaign.title_zh, campaign.title_en = setup.title_zh.strip(), setup.title_en.strip()
    campaign.body_zh, campaign.body_en = setup.body_zh.strip(), (setup.body_en or setup.body_zh).strip()
    campaign.members = setup.members
    campaign.member_names = [n.strip() for n in setup.member_names] if setup.member_names else None
    campaign.quorum, campaign.personnel_quorum = setup.quorum, setup.personnel_quorum
    campaign.opens_at, campaign.closes_at = setup.opens_at, setup.closes_at
    rows = list(campaign.campaign_targets)
    targets = []
    for i, matter in enumerate(setup.matters):
        if i < len(rows):
            target = rows[i].target
        else:
            target = Target(code=f"m{campaign.id}-{i + 1}", kind="matter", name_zh="", name_en="")
            db.session.add(target)
            db.session.flush()
            while db.session.execute(select(Target.id).where(Target.code == target.code,
                                                             Target.id != target.id)).first():
                target.code += "x"  # a code taken by hand elsewhere
        target.name_zh, target.name_en = matter.name_zh.strip(), (matter.name_en or matter.name_zh).strip()
        targets.append(target)
    place_targets(campaign, targets)
    for ct, matter in zip(campaign.campaign_targets, setup.matters, strict=True):
        ct.matter_kind = matter.kind


def _audit_setup(setup: Setup) -> dict:
    return {"members": setup.members, "named": setup.member_names is not None, "quorum": setup.quorum,
            "personnel_quorum": setup.personnel_quorum,
            "matters": [{"name": m.name_zh, "kind": m.kind} for m in setup.matters]}


def create_meeting(code: str, setup: Setup) -> Campaign:
    """A draft decision meeting with its members' group and its matters."""
    check(setup)
    if db.session.execute(select(Campaign.id).where(Campaign.code == code)).first():
        raise MeetingError(_l("A campaign with this code exists already."))
    version = decision_version()
    campaign = Campaign(code=code, kind="decision", title_zh=setup.title_zh, title_en=setup.title_en,
                        questionnaire_version=version, min_group_size=1, show_ranks=False)
    db.session.add(campaign)
    db.session.flush()
    db.session.add(RespondentGroup(campaign=campaign, code=MEMBERS_GROUP, name_zh="表决人", name_en="Members",
                                   weight=1.0, access="code", expected=0, position=0))
    _apply(campaign, setup)
    audit.record("meeting.create", f"campaign:{campaign.id}", code=code, **_audit_setup(setup))
    db.session.commit()
    return campaign


def edit_meeting(campaign: Campaign, setup: Setup) -> None:
    """Change a draft meeting's set-up; refused (LifecycleError) once the box is sealed."""
    _require_draft(campaign)
    check(setup)
    _apply(campaign, setup)
    audit.record("meeting.edit", f"campaign:{campaign.id}", code=campaign.code, **_audit_setup(setup))
    db.session.commit()


def setup_of(campaign: Campaign) -> Setup:
    """The meeting's set-up as it stands (to fill the form, or to change one thing in the CLI)."""
    return Setup(campaign.title_zh, campaign.title_en, campaign.body_zh, campaign.body_en, campaign.members or 0,
                 tuple(campaign.member_names) if campaign.member_names else None,
                 tuple(Matter(ct.target.name_zh, ct.target.name_en, ct.matter_kind)
                       for ct in campaign.campaign_targets),
                 campaign.quorum, campaign.personnel_quorum, campaign.opens_at, campaign.closes_at)
