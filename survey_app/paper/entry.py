"""Blind double entry of paper sheets by two clerks, the third check, and the sheet becoming a ballot.

How paper reaches the sealed box without a sheet number ever meeting an opened ballot
-----------------------------------------------------------------------------------
* A sheet carries a number (with a check digit) and a QR code of it, and nothing about who
  gets it; sheets are handed out at random. The number exists so that each printed sheet
  is entered at most once and so that the counting supervisor can reconcile printed,
  returned and entered sheets.
* Two clerks key each sheet independently. An entry is stored as
  - `digest`: HMAC-SHA256 under a key derived from ACCESS_CODE_KEY of the sheet id and the
    canonical keyed content, so the second entry is matched to the first without reading
    it (and equal answers on two sheets give different digests), and
  - `content`: the keyed content encrypted (libsodium SecretBox) under another key
    derived from ACCESS_CODE_KEY, so a database dump alone does not show the answers of
    sheets waiting for their second entry.
  Entries are not sealed to the campaign's public key: the third check must show both
  entries to an officer while the campaign runs, long before the counting officers'
  passphrase is typed. Someone holding both the database and the server's keys can read
  the entries of sheets *waiting* for resolution — no more than what the paper sheets in
  the box show anyone holding the box, which is the real record of a paper vote.
* When the two entries match (or the third check decides), in ONE transaction: the
  sheet's status moves from entered/mismatch to its final state by a conditional UPDATE
  (so a sheet becomes a ballot once, even under concurrent requests), the ballot is
  sealed into the box's inbox exactly like an online ballot (no sheet number, random id,
  no time), turnout is ticked for the day, and both entries' `digest` and `content` are
  set to NULL. What remains is "clerk X entered sheet N" and "sheet N became a ballot".
* Blank, invalid and spoiled sheets tick turnout and produce no envelope, so they count
  in turnout and never in any score.
"""
import hashlib
import hmac
from dataclasses import dataclass

import nacl.exceptions
import nacl.secret
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..ballots import mixing
from ..ballots import operations as ballots
from ..extensions import db
from ..models import Campaign, RespondentGroup, User
from ..models._types import utcnow
from ..models.paper import FINAL_STATES, PaperEntry, PaperSheet
from ..security import can
from .admission import PaperRefused, require_accepting, rules
from .letters import Keyed, classify, to_content
from .sheets import layout, sheet_label


# --------------------------------------------------------------------------- entry protection

def _derived_key(purpose: bytes) -> bytes:
    return hmac.new(current_app.config["ACCESS_CODE_KEY"].encode(), purpose, hashlib.sha256).digest()


def _digest(sheet: PaperSheet, keyed: Keyed) -> str:
    message = f"{sheet.campaign_id}:{sheet.id}:".encode() + keyed.canonical().encode("utf-8")
    return hmac.new(_derived_key(b"paper-entry-match-v1"), message, hashlib.sha256).hexdigest()


def _lock(keyed: Keyed) -> bytes:
    return bytes(nacl.secret.SecretBox(_derived_key(b"paper-entry-box-v1")).encrypt(
        keyed.canonical().encode("utf-8")))


def _unlock(blob: bytes) -> Keyed:
    try:
        plain = nacl.secret.SecretBox(_derived_key(b"paper-entry-box-v1")).decrypt(blob)
    except nacl.exceptions.CryptoError:
        raise PaperRefused(_l("This entry cannot be read with the server's key."), 500) from None
    return Keyed.from_canonical(plain.decode("utf-8"))


# --------------------------------------------------------------------------- entry and resolution

@dataclass
class EntryOutcome:
    #: waiting (first entry in), mismatch (goes to the third check) or a final state
    state: str
    sheet_label: str


def check_can_enter(sheet: PaperSheet, clerk: User) -> None:
    """Refuse before the form is shown, with the same rules as `record_entry`."""
    campaign = db.session.get(Campaign, sheet.campaign_id)
    require_accepting(campaign)
    if any(e.clerk_id == clerk.id for e in sheet.entries):
        raise PaperRefused(_l("You have entered this sheet already. A second clerk must enter it."))
    if sheet.status in FINAL_STATES:
        raise PaperRefused(_l("This sheet has been dealt with already."))
    if sheet.status == "mismatch":
        # a third clerk is not the way on: say who settles it, and how
        raise PaperRefused(_l("The two entries of this sheet differ, so it goes to the third check: a member "
                              "of the commission staff who entered neither compares both entries with the paper "
                              "sheet and settles it (Paper ballots, this campaign, Third check). Hand the sheet to "
                              "them; it is not entered a third time."))
    if len(sheet.entries) >= 2:
        raise PaperRefused(_l("This sheet has been entered twice already."))


def record_entry(sheet: PaperSheet, clerk: User, keyed: Keyed) -> EntryOutcome:
    """Store one clerk's blind entry; the second matching entry turns the sheet into its outcome."""
    check_can_enter(sheet, clerk)
    campaign = db.session.get(Campaign, sheet.campaign_id)
    slot = len(sheet.entries) + 1
    entry = PaperEntry(sheet_id=sheet.id, slot=slot, clerk_id=clerk.id, digest=_digest(sheet, keyed),
                       content=_lock(keyed))
    label = sheet_label(sheet.number)
    try:
        db.session.add(entry)
        db.session.flush()
        if slot == 1:
            moved = db.session.execute(update(PaperSheet).where(
                PaperSheet.id == sheet.id, PaperSheet.status == "printed").values(status="entered")).rowcount
            if moved != 1:
                raise PaperRefused(_l("This sheet was changed by someone else at the same moment. Try again."))
            audit.record("paper.entry", f"paper_sheet:{sheet.id}", actor=clerk.username, campaign=campaign.code,
                         sheet=label, slot=1)
            db.session.commit()
            return EntryOutcome("waiting", label)
        first = next(e for e in sheet.entries if e.slot == 1)
        audit.record("paper.entry", f"paper_sheet:{sheet.id}", actor=clerk.username, campaign=campaign.code,
                     sheet=label, slot=2)
        if first.digest is not None and hmac.compare_digest(first.digest, entry.digest):
            state = _resolve(sheet, campaign, keyed, from_states=("entered",))
            audit.record("paper.match", f"paper_sheet:{sheet.id}", actor=clerk.username, campaign=campaign.code,
                         sheet=label, outcome=state)
        else:
            moved = db.session.execute(update(PaperSheet).where(
                PaperSheet.id == sheet.id, PaperSheet.status == "entered").values(status="mismatch")).rowcount
            if moved != 1:
                raise PaperRefused(_l("This sheet was changed by someone else at the same moment. Try again."))
            state = "mismatch"
            audit.record("paper.mismatch", f"paper_sheet:{sheet.id}", actor=clerk.username,
                         campaign=campaign.code, sheet=label)
        db.session.commit()
        mixing.mix_if_due(campaign.id)
        return EntryOutcome(state, label)
    except IntegrityError:
        db.session.rollback()
        raise PaperRefused(_l("This sheet has been entered twice already.")) from None
    except BaseException:
        db.session.rollback()
        raise


def _resolve(sheet: PaperSheet, campaign: Campaign, keyed: Keyed, from_states: tuple[str, ...]) -> str:
    """Move the sheet to its final state, seal its ballot, wipe the entries. Caller commits."""
    group = db.session.get(RespondentGroup, sheet.group_id)
    lay = layout(campaign, group)
    content, errors = to_content(lay, keyed)
    if errors:
        raise PaperRefused(_l("The entry does not fit the questionnaire: %(why)s", why=next(iter(errors.values()))),
                           400)
    # A decision meeting's ballot is one vote per matter, and one rule holds on a phone and on
    # paper: a ballot handed in is a member who voted (towards the quorum), a matter left
    # blank is a blank vote. So no sheet of a meeting is invalid for its blanks, and a blank
    # sheet goes into the box as a ballot with no answer, as a blank phone ballot does.
    state = classify(lay, keyed, 1.0 if campaign.is_decision else rules(campaign).max_blank_share)
    moved = db.session.execute(update(PaperSheet).where(
        PaperSheet.id == sheet.id, PaperSheet.status.in_(from_states)).values(status=state)).rowcount
    if moved != 1:
        raise PaperRefused(_l("This sheet has been dealt with already."))
    into_box = state == "ballot" or (state == "blank" and campaign.is_decision)
    ballots.store_sealed(campaign, group, content if into_box else None, utcnow().date())
    db.session.execute(update(PaperEntry).where(PaperEntry.sheet_id == sheet.id).values(digest=None, content=None))
    return state


def entries_for_check(sheet: PaperSheet, officer: User) -> list[Keyed]:
    """The two differing entries, for the third-check officer only."""
    _check_officer(sheet, officer)
    return [_unlock(e.content) for e in sheet.entries]


def _check_officer(sheet: PaperSheet, officer: User) -> None:
    if sheet.status != "mismatch":
        raise PaperRefused(_l("This sheet is not waiting for a third check."))
    if not can("paper.manage", user=officer):
        raise PaperRefused(_l("Only commission staff make the third check."), 403)
    if any(e.clerk_id == officer.id for e in sheet.entries):
        raise PaperRefused(_l("You entered this sheet yourself: someone else must make the third check."), 403)


def decide(sheet: PaperSheet, officer: User, keyed: Keyed) -> str:
    """The third check: the officer keys what the sheet shows; the sheet takes its final state."""
    _check_officer(sheet, officer)
    campaign = db.session.get(Campaign, sheet.campaign_id)
    require_accepting(campaign)
    try:
        state = _resolve(sheet, campaign, keyed, from_states=("mismatch",))
        db.session.execute(update(PaperSheet).where(PaperSheet.id == sheet.id)
                           .values(third_checked=True, checked_by=officer.id))
        audit.record("paper.third_check", f"paper_sheet:{sheet.id}", actor=officer.username,
                     campaign=campaign.code, sheet=sheet_label(sheet.number), outcome=state)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    mixing.mix_if_due(campaign.id)
    return state


def awaiting_check(campaign: Campaign) -> list[PaperSheet]:
    return list(db.session.execute(select(PaperSheet).where(
        PaperSheet.campaign_id == campaign.id, PaperSheet.status == "mismatch").order_by(PaperSheet.number)).scalars())
