"""Campaigns with their respondent groups and targets."""
from datetime import datetime
from functools import lru_cache

import questionnaires
from sqlalchemy import JSON, Float, ForeignKey, LargeBinary, String, Text, UniqueConstraint, event, func, inspect
from sqlalchemy.orm import Mapped, Session, column_property, mapped_column, relationship

from ..extensions import db
from ..labels import in_language
from ._types import utcnow

#: The lifecycle; counting happens while closed and is recorded by `counted_at`.
STATUSES = ("draft", "open", "closed", "published")
KINDS = ("work_style", "sector_style", "integrity_report", "integrity_assessment", "decision", "public_rating")
#: what a matter of a decision meeting is, fixed at creation: it sets the majority and the quorum it needs
MATTER_KINDS = ("ordinary", "especially_major", "personnel")
#: quorums a decision meeting can require of its members (`results.decisions.quorum_needed`)
QUORUMS = ("more_than_half", "two_thirds", "three_quarters", "all")


class Target(db.Model):
    """A leader or a unit that campaigns appraise; kept across campaigns for trends."""
    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: code used in answers.csv and results.json
    code: Mapped[str] = mapped_column(String(64), unique=True)
    #: "leader", "unit", or "matter" (what a decision ballot votes on)
    kind: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    #: a leader's post, e.g. 局长 / Director
    post_zh: Mapped[str] = mapped_column(String(200), default="")
    post_en: Mapped[str] = mapped_column(String(200), default="")
    #: the unit a leader heads or belongs to
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id"))

    unit: Mapped["Target | None"] = relationship(remote_side=[id])

    def name(self, locale: str) -> str:
        return in_language(locale, self.name_zh, self.name_en)

    def post(self, locale: str) -> str:
        return in_language(locale, self.post_zh, self.post_en)

    def __repr__(self):
        return f"<Target {self.code!r} {self.kind}>"


class Campaign(db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    #: one of KINDS
    kind: Mapped[str] = mapped_column(String(32))
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    #: the questionnaire version every ballot of this campaign answers
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    #: one of STATUSES
    status: Mapped[str] = mapped_column(String(16), default="draft")
    #: ballots are accepted from opens_at to closes_at (naive UTC)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    min_group_size: Mapped[int] = mapped_column(default=5)
    trim: Mapped[int] = mapped_column(default=0)
    #: the method's funnel_alerts (scoring-method.md, rule F): None, 0.95 or 0.998
    funnel_alerts: Mapped[float | None] = mapped_column(Float)
    #: whether reports show a rank and the public page a ranking
    show_ranks: Mapped[bool] = mapped_column(default=True)
    #: the supervision hotline and contact shown to respondents
    hotline: Mapped[str] = mapped_column(String(100), default="")
    contact: Mapped[str] = mapped_column(String(300), default="")
    #: the ballot box's public key (Curve25519), made when the campaign opens; the secret
    #: half lives sealed in `counting_panels` until counting destroys it
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: when the envelopes were opened; results exist only afterwards
    counted_at: Mapped[datetime | None]
    #: results frozen at publication, with the SHA-256 of their canonical JSON; deferred:
    #: half a megabyte at 100 targets, decoded once per process (`results.results`), not
    #: every time a campaign is loaded to check who may see it
    published_results: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    published_sha256: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None]
    #: the exact method.json dictionary the published results were computed with
    published_method: Mapped[dict | None] = mapped_column(JSON)
    #: the open results bundle (zip: answers.csv, method.json, results.json, receipts.txt, README);
    #: deferred: 69 MB at 200,000 ballots, read only when it is downloaded
    published_bundle: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    #: (its length, not the value: SQLite reads a blob whole to say it is not NULL, its length from the row's header)
    has_bundle: Mapped[bool] = column_property(func.length(published_bundle).is_not(None))
    #: the last computed results and the state of the ballots they were computed from
    #: (deferred like the published results: with the option counts, a megabyte or more)
    results_cache: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    results_cache_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: a decision meeting's deciding body, e.g. 市纪委常委会 (empty for other kinds)
    body_zh: Mapped[str] = mapped_column(String(200), default="")
    body_en: Mapped[str] = mapped_column(String(200), default="")
    #: a decision meeting's members, N: every majority and quorum is computed on it, never on codes or turnout
    members: Mapped[int | None]
    #: the members' names when the body names them (then N is their number); None when only counted
    member_names: Mapped[list | None] = mapped_column(JSON)
    #: a decision meeting's quorum (one of QUORUMS) for ordinary and especially major matters ...
    quorum: Mapped[str] = mapped_column(String(16), default="more_than_half")
    #: ... and for personnel matters (appointments and removals)
    personnel_quorum: Mapped[str] = mapped_column(String(16), default="two_thirds")
    #: the results as computed when the box was counted, which the counting officers signed;
    #: publication freezes exactly these (None for campaigns counted before signing existed);
    #: deferred like the published results: a page that loads the campaign need not decode them
    counted_results: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    #: SHA-256 of `counted_results`' canonical JSON: what the officers' signatures are over
    results_sha256: Mapped[str | None] = mapped_column(String(64))
    #: k of the panel that counted: how many officers' signatures the results need (None: unsigned)
    signatures_needed: Mapped[int | None]
    #: whether the rectification ledger's problems, measures and statuses of this campaign's targets
    #: are on a public page (never the progress files, the responsible person or a follow-up case)
    ledger_public: Mapped[bool] = mapped_column(default=False)

    questionnaire_version: Mapped["QuestionnaireVersion"] = relationship()  # noqa: F821
    groups: Mapped[list["RespondentGroup"]] = relationship(
        back_populates="campaign", order_by="RespondentGroup.position", cascade="all, delete-orphan")
    campaign_targets: Mapped[list["CampaignTarget"]] = relationship(
        back_populates="campaign", order_by="CampaignTarget.position", cascade="all, delete-orphan")
    #: the target-specific items, frozen when the campaign opens (empty for most kinds)
    items: Mapped[list["CampaignItem"]] = relationship(
        back_populates="campaign", order_by="CampaignItem.position", cascade="all, delete-orphan")

    @property
    def questionnaire(self) -> questionnaires.Questionnaire:
        """The questionnaire as this campaign asks it: the pinned version, with its target-specific
        sections holding the campaign's frozen items. Everything that asks, checks, packs or scores
        a ballot of the campaign reads this, not the bare version."""
        q = self.questionnaire_version.parsed
        if not q.specific_sections():
            return q
        return _with_items(q, tuple((i.code, i.target.code, i.text_zh, i.text_en, i.dimension, float(i.weight))
                                    for i in self.items))

    @property
    def targets(self) -> list[Target]:
        return [ct.target for ct in self.campaign_targets]

    def title(self, locale: str) -> str:
        return in_language(locale, self.title_zh, self.title_en)

    def group(self, code: str) -> "RespondentGroup | None":
        return next((g for g in self.groups if g.code == code), None)

    def body(self, locale: str) -> str:
        return in_language(locale, self.body_zh, self.body_en)

    @property
    def is_decision(self) -> bool:
        return self.kind == "decision"

    @property
    def frozen(self) -> bool:
        """Whether what decides a result is fixed: from the moment the box is sealed (the campaign opens)."""
        return self.status != "draft"

    def accepts_ballots(self, now: datetime) -> bool:
        return (self.status == "open" and (self.opens_at is None or self.opens_at <= now)
                and (self.closes_at is None or now < self.closes_at))

    def __repr__(self):
        return f"<Campaign {self.code!r} {self.status}>"


class RespondentGroup(db.Model):
    __tablename__ = "respondent_groups"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    code: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    #: weight in the composite score (need not sum to 1)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    #: "code": one-time access codes; "public": an open link
    access: Mapped[str] = mapped_column(String(16), default="code")
    #: random slug of the open link of a public group
    public_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: planned respondents (e.g. paper sheets printed), for turnout
    expected: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)

    campaign: Mapped[Campaign] = relationship(back_populates="groups")

    def name(self, locale: str) -> str:
        return in_language(locale, self.name_zh, self.name_en)

    def __repr__(self):
        return f"<RespondentGroup {self.code!r} w={self.weight}>"


class CampaignTarget(db.Model):
    """A target appraised in a campaign, with what respondents need to judge it."""
    __tablename__ = "campaign_targets"
    __table_args__ = (UniqueConstraint("campaign_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    position: Mapped[int] = mapped_column(default=0)
    #: the published duty-and-integrity report (述职述廉报告), if any
    report_zh: Mapped[str] = mapped_column(Text, default="")
    report_en: Mapped[str] = mapped_column(Text, default="")
    report_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: groups that appraise this target; empty means all
    group_codes: Mapped[list] = mapped_column(JSON, default=list)
    #: in a decision meeting, one of MATTER_KINDS: an especially major matter needs two thirds of
    #: all members, a personnel matter the personnel quorum; fixed once the box is sealed
    matter_kind: Mapped[str] = mapped_column(String(24), default="ordinary")

    campaign: Mapped[Campaign] = relationship(back_populates="campaign_targets")
    #: joined: a campaign's targets come with its list in one query, not one query each
    target: Mapped[Target] = relationship(lazy="joined")

    def report(self, locale: str) -> str:
        return in_language(locale, self.report_zh, self.report_en or self.report_zh)

    def __repr__(self):
        return f"<CampaignTarget c={self.campaign_id} t={self.target_id}>"


#: where a campaign's target-specific items come from (`questionnaires.SOURCES`)
ITEM_SOURCES = ("commitments", "rectification")


class CampaignItem(db.Model):
    """A target-specific item of a campaign: asked of one target only (a leader's own published
    commitment in the public rating, a unit's own rectification item in the follow-up).

    Made once, when the campaign opens, from its targets' data at that moment
    (`admin.items.freeze_campaign_items`); never changed afterwards: the counting officers'
    signatures and the results bundle cover these rows, so what was asked stays what was asked.
    """
    __tablename__ = "campaign_items"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    #: `p.<commitment id>` or `r.<rectification item id>`: stable, ASCII, unique in the campaign
    code: Mapped[str] = mapped_column(String(64))
    #: the question as asked (the template with the row's own words), in both languages
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text, default="")
    #: one of ITEM_SOURCES, and the id of the row there (a commitment, a rectification item)
    source: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int]
    #: order within the campaign (targets in campaign order, each target's items in source order)
    position: Mapped[int] = mapped_column(default=0)
    #: scored like this, copied from the section's template when frozen
    dimension: Mapped[str] = mapped_column(String(64))
    weight: Mapped[float] = mapped_column(Float, default=1.0)

    campaign: Mapped[Campaign] = relationship(back_populates="items")
    target: Mapped[Target] = relationship(lazy="joined")

    def text(self, locale: str) -> str:
        return in_language(locale, self.text_zh, self.text_en or self.text_zh)

    def __repr__(self):
        return f"<CampaignItem c={self.campaign_id} {self.code!r} t={self.target_id}>"


@lru_cache(maxsize=64)
def _with_items(q: questionnaires.Questionnaire, rows: tuple) -> questionnaires.Questionnaire:
    """`q` filled with a campaign's items (code, target code, zh, en, dimension, weight), kept per process:
    the rows of an open campaign never change, and a draft's are part of the key."""
    templates = {questionnaires.SOURCES[s.source]: s.template for s in q.specific_sections()}
    return q.with_specific(
        questionnaires.Item(code, "rating", questionnaires.Text(zh, en), dimension=dimension, weight=weight,
                            groups=templates[code.split(".", 1)[0]].groups, target=target)
        for code, target, zh, en, dimension, weight in rows)


class ItemsFrozen(Exception):
    """A change to the target-specific items of a campaign that is no longer a draft."""


@event.listens_for(Session, "before_flush")
def _items_stay_as_asked(session, _context, _instances):
    """What was asked is never changed: no item of an open (or later) campaign is added, edited or removed.
    Opening flushes its frozen items while the campaign is still a draft."""
    touched = [obj for obj in session.new | session.deleted if isinstance(obj, CampaignItem)]
    touched += [obj for obj in session.dirty if isinstance(obj, CampaignItem) and session.is_modified(obj)]
    for item in touched:
        campaign = item.campaign or session.get(Campaign, item.campaign_id)
        if campaign is None:
            continue
        before = inspect(campaign).attrs.status.history.deleted  # the status it had before this flush
        status = before[0] if before else campaign.status
        if status != "draft" and campaign not in session.deleted:
            raise ItemsFrozen(f"the items of campaign {campaign.code!r} are fixed once it is open")
