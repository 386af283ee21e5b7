"""A decision meeting's tally (重大事项表决): votes per matter, the rule it is decided by, its outcome.

The rules, from the seed document and the party committees' working rules, are computed on
N, the body's members fixed when the meeting was set up, never on the codes issued or the
turnout:

- an ordinary or personnel matter passes with the agreement of more than half of all N
  members; an especially major matter with the agreement of at least two thirds of them;
- a matter is decided only if enough members voted (the quorum: by default more than
  half of N, two thirds of N for a personnel matter); otherwise it is "not decided", which
  is not "not passed". Members who voted are the ballots cast, on a phone or on paper, a
  blank one included (a blank paper sheet goes into the box as a ballot with no answer,
  `paper.entry`). A paper sheet found spoiled or invalid is not a ballot, but the member who
  handed it in was at the meeting: it counts towards the quorum ("spoiled"), never as a vote.

An abstention, a blank and a member who did not vote all count against a matter, since
only agreement counts towards it. The tally is the whole of a decision meeting's results:
no score, grade, rank, interval or alert exists for a matter.
"""
from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..models import Campaign, CampaignTarget, PaperSheet
from ..models.campaign import MATTER_KINDS, QUORUMS
from .adapter import ballot_count, option_counts

#: the votes a decision ballot offers, by the codes of the built-in decision questionnaire's scale
VOTES = ("agree", "disagree", "abstain")
#: outcomes of a matter
OUTCOMES = ("passed", "not_passed", "not_decided")


def more_than_half(n: int) -> int:
    return n // 2 + 1


def at_least_two_thirds(n: int) -> int:
    return -(-2 * n // 3)


def quorum_needed(rule: str, members: int) -> int:
    """How many of `members` must vote for a matter to be decided under a quorum rule."""
    if rule == "more_than_half":
        return more_than_half(members)
    if rule == "two_thirds":
        return at_least_two_thirds(members)
    if rule == "three_quarters":
        return -(-3 * members // 4)
    if rule == "all":
        return members
    raise ValueError(f"unknown quorum rule {rule!r} (one of {', '.join(QUORUMS)})")


def votes_needed(matter_kind: str, members: int) -> int:
    """How many of `members` must agree for a matter of this kind to pass."""
    if matter_kind not in MATTER_KINDS:
        raise ValueError(f"unknown matter kind {matter_kind!r}")
    return at_least_two_thirds(members) if matter_kind == "especially_major" else more_than_half(members)


def quorum_rule(campaign: Campaign, matter_kind: str) -> str:
    return campaign.personnel_quorum if matter_kind == "personnel" else campaign.quorum


@dataclass(frozen=True)
class Decided:
    votes_needed: int
    quorum_needed: int
    quorum_met: bool
    outcome: str


def decide(matter_kind: str, members: int, voted: int, agree: int, rule: str) -> Decided:
    """The outcome of one matter: not decided without quorum, else passed or not passed.

    More ballots than members cannot happen (codes and paper sheets are capped at N); if it
    did, nothing is decided."""
    needed, quorum = votes_needed(matter_kind, members), quorum_needed(rule, members)
    met = quorum <= voted <= members
    if not met:
        return Decided(needed, quorum, False, "not_decided")
    return Decided(needed, quorum, True, "passed" if agree >= needed else "not_passed")


def spoiled_sheets(campaign: Campaign) -> int:
    """Paper sheets of the meeting handed in and found spoiled or invalid (no ballot came of them)."""
    return db.session.execute(select(func.count()).select_from(PaperSheet).where(
        PaperSheet.campaign_id == campaign.id, PaperSheet.status.in_(("spoiled", "invalid")))).scalar_one()


def tally(campaign: Campaign) -> dict:
    """The results of a counted decision meeting, as signed, frozen and published.

    Plain numbers and codes only (the canonical JSON of this dictionary is what the
    counting officers sign); names are given in both languages."""
    members = campaign.members or 0
    voted = ballot_count(campaign)
    spoiled = spoiled_sheets(campaign)
    q = campaign.questionnaire_version.parsed
    item = q.rating_items()[0].code
    counts: dict[tuple[str, str], int] = {}
    for (target, _group, asked, option), n in option_counts(campaign).items():
        if asked == item:
            counts[(target, option)] = counts.get((target, option), 0) + n
    matters = []
    for ct in db.session.execute(select(CampaignTarget).where(CampaignTarget.campaign_id == campaign.id)
                                 .order_by(CampaignTarget.position)).scalars():
        code = ct.target.code
        votes = {vote: counts.get((code, vote), 0) for vote in VOTES}
        rule = quorum_rule(campaign, ct.matter_kind)
        decided = decide(ct.matter_kind, members, voted + spoiled, votes["agree"], rule)
        matters.append({"matter": code, "name": {"zh": ct.target.name_zh, "en": ct.target.name_en},
                        "kind": ct.matter_kind, **votes, "blank": voted - sum(votes.values()),
                        "votes_needed": decided.votes_needed, "quorum": rule,
                        "quorum_needed": decided.quorum_needed, "quorum_met": decided.quorum_met,
                        "outcome": decided.outcome})
    return {"kind": "decision", "campaign": campaign.code,
            "body": {"zh": campaign.body_zh, "en": campaign.body_en},
            "members": members, "member_names": campaign.member_names, "voted": voted,
            "spoiled": spoiled, "not_voted": max(members - voted - spoiled, 0), "matters": matters}


def view(campaign: Campaign) -> dict | None:
    """The tally to show: as published, else as counted and signed; None before counting.

    A meeting counted before tallies were kept at counting has it computed now (unsigned)."""
    published = campaign.published_results
    if published is not None and published.get("kind") == "decision":
        return published
    if campaign.counted_at is None:
        return None
    if campaign.counted_results is not None:
        return campaign.counted_results
    return tally(campaign)
