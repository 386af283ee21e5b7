"""The respondent's side of a ballot: what a code or a public link opens, what the group appraises,
the code kept sealed until the ballot is in, and the ballots counted on a device.

Checking and storing the ballot itself is `ballots.validation` and `ballots.operations`.
"""
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..ballots import operations as ballots
from ..ballots.codes import normalise, unwrap, wrap
from ..ballots.operations import driver_errors, sealing_ready
from ..ballots.validation import targets_asked
from ..extensions import db
from ..models import Campaign, CampaignTarget, QuestionnaireVersion, RespondentGroup
from ..models._types import utcnow


def window_refusal(campaign: Campaign) -> str | None:
    """None while the campaign takes ballots, else why not: "not_open" or "closed"."""
    now = utcnow()
    if campaign.accepts_ballots(now):
        return None
    if campaign.status == "draft" or (campaign.opens_at and now < campaign.opens_at):
        return "not_open"
    return "closed"


def public_group(token: str) -> RespondentGroup | None:
    """The public group whose link carries this token."""
    return db.session.execute(select(RespondentGroup).where(
        RespondentGroup.public_token == token, RespondentGroup.access == "public")).scalar_one_or_none()


def answering_group(campaign_id, group_id) -> RespondentGroup | None:
    """The group a respondent answers for, with its campaign and questionnaire version in one query
    (this runs on every answer page); None when the group is not the campaign's."""
    group = db.session.execute(
        select(RespondentGroup).where(RespondentGroup.id == group_id)
        # The definition is read only when its parse is not kept yet (`QuestionnaireVersion.parsed`).
        .options(joinedload(RespondentGroup.campaign).joinedload(Campaign.questionnaire_version)
                 .defer(QuestionnaireVersion.definition))
    ).scalar_one_or_none()
    if group is None or group.campaign_id != campaign_id:
        return None
    return group


def targets_for(campaign: Campaign, group: RespondentGroup) -> list[CampaignTarget]:
    """The campaign's targets that this group appraises, with their targets loaded in one query."""
    links = db.session.execute(select(CampaignTarget).options(joinedload(CampaignTarget.target))
                               .where(CampaignTarget.campaign_id == campaign.id)
                               .order_by(CampaignTarget.position)).scalars().all()
    return targets_asked(links, group.code)


#: what a group of an open campaign is asked, by (campaign, group, the campaign's box key):
#: (the group's code, the questionnaire's parse, the codes of the targets it appraises, the
#: questionnaire's version). Fixed once the campaign is open (its key is new at every opening,
#: so no two campaigns or databases share one), asked at every submission; nothing that may
#: change is kept here.
_OPEN: dict[tuple, tuple] = {}
#: (campaign, group) -> the box key under which this process last saw the campaign open: a
#: guess, never trusted (`answering`); PostgreSQL's statement that stores a ballot checks it
_LAST_KEY: dict[tuple, bytes] = {}


def target_codes(campaign: Campaign, group: RespondentGroup) -> list[str]:
    """The codes of the targets this group appraises, in the campaign's order."""
    if isinstance(campaign, Answering):
        return campaign.target_codes
    if campaign.status != "open" or campaign.public_key is None:
        return [ct.target.code for ct in targets_for(campaign, group)]
    key = (campaign.id, group.id, campaign.public_key)
    if key not in _OPEN:
        _OPEN[key] = (group.code, campaign.questionnaire,  # with its items, frozen on opening
                      [ct.target.code for ct in targets_for(campaign, group)], campaign.questionnaire_version_id)
    return _OPEN[key][2]


def forget_state(campaign_id, group_id) -> None:
    """The campaign's state is to be read again at its next submission (`answering`)."""
    _LAST_KEY.pop((campaign_id, group_id), None)


@dataclass(frozen=True)
class AnsweringGroup:
    id: int
    code: str


@dataclass(frozen=True)
class Answering:
    """A campaign as a ballot's submission needs it, without loading it: its state (status and
    window) and what is fixed once it opens (`_OPEN`).

    `unconfirmed`: the state was not read. On PostgreSQL, once this process has seen the
    campaign open under its key, the statement that stores the ballot checks, under the inbox
    writers' lock, that the campaign is still open under that key and within its window
    (`ballots.operations._put_postgresql`); if it is not, nothing is written and the
    submission is taken again the long way (`ballots.StateChanged`)."""
    id: int
    status: str
    opens_at: datetime | None
    closes_at: datetime | None
    public_key: bytes
    questionnaire_version_id: int
    group: AnsweringGroup
    questionnaire: object
    target_codes: list[str]
    unconfirmed: bool = False

    def accepts_ballots(self, now: datetime) -> bool:
        """The one rule, on the same four columns; an unconfirmed state is checked where the ballot is stored."""
        return self.unconfirmed or Campaign.accepts_ballots(self, now)


_c, _g = Campaign.__table__.c, RespondentGroup.__table__.c
#: built once (building it cost more than running it)
_ANSWERING = (select(_c.status, _c.opens_at, _c.closes_at, _c.public_key, _c.questionnaire_version_id)
              .select_from(Campaign.__table__.join(RespondentGroup.__table__, _g.campaign_id == _c.id))
              .where(_c.id == bindparam("c"), _g.id == bindparam("g")))


#: PostgreSQL: the same query as `_ANSWERING`, sent with the transaction's BEGIN in one round trip
#: (psycopg sends a BEGIN of its own before a transaction's first statement otherwise)
_PG_ANSWERING = ("SELECT c.status, c.opens_at, c.closes_at, c.public_key, c.questionnaire_version_id"
                 " FROM campaigns AS c JOIN respondent_groups AS g ON g.campaign_id = c.id"
                 " WHERE c.id = %(c)s AND g.id = %(g)s")


def _read_answering(campaign_id: int, group_id: int):
    connection = db.session.connection()
    params = {"c": campaign_id, "g": group_id}
    if connection.dialect.name != "postgresql":
        return connection.execute(_ANSWERING, params).first()
    driver = connection.connection.driver_connection
    with driver_errors(_PG_ANSWERING):
        with driver.pipeline():
            cursor = driver.execute(_PG_ANSWERING, params, prepare=True)
        row = cursor.fetchone()
    if row is None:
        return None
    status, opens_at, closes_at, public_key, version_id = row
    return _Row(status, opens_at, closes_at, public_key, version_id)


@dataclass(frozen=True)
class _Row:
    status: str
    opens_at: datetime | None
    closes_at: datetime | None
    public_key: bytes | None
    questionnaire_version_id: int


def answering(campaign_id, group_id) -> Answering | None:
    """The campaign and group a ballot is submitted for, in one short query, when this process
    has served the group since the campaign opened and the box's sealing is ready
    (`ballots.operations.sealing_ready`); None otherwise (then `answering_group` loads them)."""
    if not isinstance(campaign_id, int) or not isinstance(group_id, int):
        return None
    checked_where_stored = ballots.PIPELINED and db.session.get_bind().dialect.name == "postgresql"
    guess = _LAST_KEY.get((campaign_id, group_id))
    if guess is not None and checked_where_stored:
        kept = _OPEN.get((campaign_id, group_id, guess))
        if kept is not None and sealing_ready(guess):
            group_code, parsed, codes, version_id = kept
            return Answering(id=campaign_id, status="open", opens_at=None, closes_at=None, public_key=guess,
                             questionnaire_version_id=version_id, group=AnsweringGroup(group_id, group_code),
                             questionnaire=parsed, target_codes=codes, unconfirmed=True)
    row = _read_answering(campaign_id, group_id)
    if row is None or row.public_key is None:
        return None
    kept = _OPEN.get((campaign_id, group_id, row.public_key))
    if kept is None or not sealing_ready(row.public_key):
        return None
    if row.status == "open" and checked_where_stored:
        _LAST_KEY[(campaign_id, group_id)] = row.public_key
    group_code, parsed, codes, _version_id = kept
    return Answering(id=campaign_id, status=row.status, opens_at=row.opens_at, closes_at=row.closes_at,
                     public_key=row.public_key, questionnaire_version_id=row.questionnaire_version_id,
                     group=AnsweringGroup(group_id, group_code), questionnaire=parsed, target_codes=codes)


#: the key that seals a code in the session, by the app's secret key it is derived from
_CODE_KEYS: dict = {}


def _code_key() -> bytes:
    secret = current_app.secret_key
    if secret not in _CODE_KEYS:
        _CODE_KEYS[secret] = hmac.new(secret.encode() if isinstance(secret, str) else secret,
                                      b"code-in-session-v1", hashlib.sha256).digest()
    return _CODE_KEYS[secret]


def seal_code(typed: str) -> str:
    """The typed code, normalised and encrypted under a key of the server's, to keep until the ballot is in."""
    return wrap(_code_key(), normalise(typed))


def unseal_code(sealed: str) -> str | None:
    """The code back; None when it was sealed under another key (a session from before a key change)."""
    return unwrap(_code_key(), sealed)


def _device_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="device")


def device_counts(raw: str | None) -> dict:
    """Ballots given on this device by campaign id, from its signed cookie (nothing when missing or altered)."""
    if not raw:
        return {}
    try:
        value = _device_signer().loads(raw)
    except BadSignature:
        return {}
    return value if isinstance(value, dict) else {}


def device_limit_reached(counts: dict, campaign: Campaign) -> bool:
    return counts.get(str(campaign.id), 0) >= current_app.config["DEVICE_BALLOT_LIMIT"]


def device_counts_after_ballot(counts: dict, campaign_id: int) -> str:
    """The signed cookie value with one more ballot given on this device for the campaign."""
    counts = dict(counts)
    counts[str(campaign_id)] = counts.get(str(campaign_id), 0) + 1
    return _device_signer().dumps(counts)
