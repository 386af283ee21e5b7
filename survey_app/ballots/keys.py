"""The counting officers' panel: any k of a campaign's n officers open its ballot box, k − 1 learn nothing.

The box's private key is sealed (libsodium `SecretBox`) under a key derived from a random
16-byte panel secret. The secret is split with Shamir's secret sharing (pycryptodome's
`Shamir`, over GF(2^128)) into n shares, any k of which give it back while any k − 1 say
nothing of it; each officer's share is sealed under argon2id of that officer's own
passphrase, with a salt of their own. The panel secret, the shares and the passphrases exist
only in memory, while a campaign opens, re-shares or is counted; the database holds the
sealed key and the sealed shares, and counting destroys both (`mixing.destroy_box`).

Each officer also gets an Ed25519 signing key (`signing`), its seed sealed under the same
passphrase-derived key as their share; its public half is kept in `result_signers` for
good. Counting unlocks the k officers' seeds with their shares (`unlock`), they sign the
results, and the seeds go with the shares.
"""
from collections.abc import Mapping
from dataclasses import dataclass

import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.pwhash
import nacl.secret
import nacl.utils
from flask import current_app
from flask_babel import lazy_gettext as _l
from nacl.public import PrivateKey
from sqlalchemy import delete, insert, select

from ..extensions import db
from ..models import Campaign, CountingOfficer, CountingPanel, ResultSigner
from . import mixing, sealing, signing

#: the largest panel: enough for any commission's counting meeting, few enough for one screen
MAX_OFFICERS = 9
#: Shamir's shares in pycryptodome are 16 bytes: so is the panel secret
SECRET_BYTES = 16
_PERSON = b"minping-box-key"


class PanelError(ValueError):
    """A panel that cannot be made (sizes, names, passphrases); the message says why."""


class KeyDestroyed(Exception):
    """The campaign's box was counted and its key destroyed: nothing can open it again."""


class TooFewOfficers(Exception):
    """Fewer officers' passphrases than the panel's threshold: nothing was tried, nothing changed."""

    def __init__(self, needed: int, given: int):
        super().__init__(f"{needed} officers needed, {given} given")
        self.needed, self.given = needed, given


class UnknownOfficer(Exception):
    """A passphrase given for an officer the panel does not have."""


class WrongOfficerPassphrase(sealing.WrongPassphrase):
    """This officer's passphrase does not open their share; `position` and `name` say whose."""

    def __init__(self, position: int, name: str):
        super().__init__(f"officer {position}")
        self.position, self.name = position, name


@dataclass(frozen=True)
class Officer:
    """An officer as staff name them when a panel is made: the passphrase exists only here."""
    name: str
    passphrase: str
    user_id: int | None = None


@dataclass(frozen=True)
class SealedOfficer:
    position: int
    name: str
    user_id: int | None
    share_index: int
    sealed_share: bytes
    salt: bytes
    opslimit: int
    memlimit: int
    #: the Ed25519 seed under the same key as the share; None for a box sealed before signing
    sealed_signing_key: bytes | None = None
    #: its public half (kept in `result_signers`)
    verify_key: bytes | None = None


@dataclass(frozen=True)
class SealedPanel:
    public_key: bytes
    threshold: int
    #: None: a box sealed before panels, whose one officer's share *is* the private key
    sealed_private_key: bytes | None
    officers: tuple[SealedOfficer, ...]

    def officer(self, position: int) -> SealedOfficer:
        for officer in self.officers:
            if officer.position == position:
                return officer
        raise UnknownOfficer(position)


def _panel_box(secret: bytes) -> nacl.secret.SecretBox:
    key = nacl.hash.blake2b(secret, digest_size=nacl.secret.SecretBox.KEY_SIZE, person=_PERSON,
                            encoder=nacl.encoding.RawEncoder)
    return nacl.secret.SecretBox(key)


def check_panel(officers: list[Officer], threshold: int, min_passphrase: int = 12) -> None:
    """Raise PanelError unless 1 <= k <= n <= MAX_OFFICERS, names are distinct and passphrases long enough."""
    n = len(officers)
    if not 1 <= n <= MAX_OFFICERS:
        raise PanelError(_l("a panel has 1 to %(max)d counting officers", max=MAX_OFFICERS))
    if not 1 <= threshold <= n:
        raise PanelError(_l("the number of officers needed to count must be between 1 and %(n)d", n=n))
    names = [o.name.strip() for o in officers]
    if any(not name for name in names):
        raise PanelError(_l("every counting officer needs a name"))
    if len({name.casefold() for name in names}) != n:
        raise PanelError(_l("two counting officers have the same name"))
    users = [o.user_id for o in officers if o.user_id]
    if len(set(users)) != len(users):
        raise PanelError(_l("one account is named for two counting officers"))
    if any(len(o.passphrase) < min_passphrase for o in officers):
        raise PanelError(_l("the passphrase is too short"))


def seal_panel(private: PrivateKey, officers: list[Officer], threshold: int,
               strength: str = "moderate") -> SealedPanel:
    """Seal `private` for a new panel: a fresh panel secret, split k of n, each share under its officer's passphrase."""
    opslimit, memlimit = sealing._KDF[strength]
    secret = nacl.utils.random(SECRET_BYTES)
    from Crypto.Protocol.SecretSharing import Shamir  # pycryptodome where a panel is sealed or opened

    shares = Shamir.split(threshold, len(officers), secret)
    sealed = []
    for position, (officer, (index, share)) in enumerate(zip(officers, shares), start=1):
        salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
        box = nacl.secret.SecretBox(sealing._derive(officer.passphrase, salt, opslimit, memlimit))
        signer = signing.new_key()
        sealed.append(SealedOfficer(position, officer.name.strip(), officer.user_id, index,
                                    bytes(box.encrypt(share)), salt, opslimit, memlimit,
                                    bytes(box.encrypt(bytes(signer))), bytes(signer.verify_key)))
    return SealedPanel(bytes(private.public_key), threshold, bytes(_panel_box(secret).encrypt(bytes(private))),
                       tuple(sealed))


def make_panel(officers: list[Officer], threshold: int, strength: str = "moderate") -> SealedPanel:
    """A new key pair for a campaign's box, its private half sealed for the panel."""
    return seal_panel(PrivateKey.generate(), officers, threshold, strength)


def _open(officer: SealedOfficer, passphrase: str) -> tuple[bytes, bytes | None]:
    """The officer's share and signing seed (None if they have none), from their passphrase."""
    box = nacl.secret.SecretBox(sealing._derive(passphrase, officer.salt, officer.opslimit, officer.memlimit))
    try:
        share = box.decrypt(officer.sealed_share)
        seed = box.decrypt(officer.sealed_signing_key) if officer.sealed_signing_key else None
    except nacl.exceptions.CryptoError:
        raise WrongOfficerPassphrase(officer.position, officer.name) from None
    return share, seed


def open_share(officer: SealedOfficer, passphrase: str) -> bytes:
    return _open(officer, passphrase)[0]


@dataclass(frozen=True)
class Unlocked:
    """What k officers' passphrases open: the box's private key and their signing seeds."""
    private: PrivateKey
    #: position -> Ed25519 seed, for the officers who have one
    seeds: dict


def unlock(panel: SealedPanel, passphrases: Mapping[int, str]) -> Unlocked:
    """The private key and the signing seeds of the officers whose passphrases are given.

    Raises TooFewOfficers before anything is derived, UnknownOfficer, or
    WrongOfficerPassphrase naming the first officer whose passphrase fails.
    """
    given = {int(p): s for p, s in passphrases.items() if s}
    if len(given) < panel.threshold:
        raise TooFewOfficers(panel.threshold, len(given))
    chosen = [(panel.officer(position), passphrase) for position, passphrase in sorted(given.items())]
    opened = [(officer, *_open(officer, passphrase)) for officer, passphrase in chosen]
    shares = [(officer.share_index, share) for officer, share, _seed in opened]
    seeds = {officer.position: seed for officer, _share, seed in opened if seed is not None}
    if panel.sealed_private_key is None:  # a box sealed before panels: the one share is the key
        return Unlocked(PrivateKey(shares[0][1]), seeds)
    from Crypto.Protocol.SecretSharing import Shamir  # pycryptodome where a panel is sealed or opened, not in every web worker

    secret = Shamir.combine(shares[:panel.threshold])
    try:
        return Unlocked(PrivateKey(_panel_box(secret).decrypt(panel.sealed_private_key)), seeds)
    except nacl.exceptions.CryptoError:  # authentic shares always combine; kept for safety
        raise sealing.WrongPassphrase() from None


def recover(panel: SealedPanel, passphrases: Mapping[int, str]) -> PrivateKey:
    """The private key from k officers' passphrases (position -> passphrase); see `unlock`."""
    return unlock(panel, passphrases).private


# --- the panel in the database ------------------------------------------------------------

def load_panel(campaign: Campaign) -> SealedPanel:
    stored = db.session.get(CountingPanel, campaign.id)
    if stored is None:
        raise KeyDestroyed()
    rows = db.session.execute(select(CountingOfficer).where(CountingOfficer.campaign_id == campaign.id)
                              .order_by(CountingOfficer.position)).scalars()
    return SealedPanel(campaign.public_key, stored.threshold, stored.sealed_private_key, tuple(
        SealedOfficer(o.position, o.name, o.user_id, o.share_index, o.sealed_share, o.kdf_salt,
                      o.kdf_opslimit, o.kdf_memlimit, o.sealed_signing_key) for o in rows))


def officers(campaign: Campaign) -> list[CountingOfficer]:
    """The campaign's officers in their order (none once the box is counted)."""
    return list(db.session.execute(select(CountingOfficer).where(CountingOfficer.campaign_id == campaign.id)
                                   .order_by(CountingOfficer.position)).scalars())


def panel(campaign: Campaign) -> CountingPanel | None:
    return db.session.get(CountingPanel, campaign.id)


def _officer_rows(campaign_id: int, sealed: SealedPanel) -> list[dict]:
    return [{"campaign_id": campaign_id, "position": o.position, "name": o.name, "user_id": o.user_id,
             "share_index": o.share_index, "sealed_share": o.sealed_share, "kdf_salt": o.salt,
             "kdf_opslimit": o.opslimit, "kdf_memlimit": o.memlimit, "sealed_signing_key": o.sealed_signing_key}
            for o in sealed.officers]


def store_panel(campaign: Campaign, sealed: SealedPanel) -> None:
    """Keep a new panel and key pair for the campaign's box (caller commits) and prepare the box."""
    campaign.public_key = sealed.public_key
    db.session.execute(insert(CountingPanel), [{"campaign_id": campaign.id, "threshold": sealed.threshold,
                                                "sealed_private_key": sealed.sealed_private_key}])
    db.session.execute(insert(CountingOfficer), _officer_rows(campaign.id, sealed))
    # The public signing keys: those of a previous panel (re-shared) sign nothing any more.
    db.session.execute(delete(ResultSigner).where(ResultSigner.campaign_id == campaign.id))
    signers = [{"campaign_id": campaign.id, "position": o.position, "name": o.name, "verify_key": o.verify_key}
               for o in sealed.officers if o.verify_key is not None]
    if signers:
        db.session.execute(insert(ResultSigner), signers)
    mixing.prepare_box(campaign.id)


def _strength() -> str:
    return current_app.config["KDF_STRENGTH"]


def as_positions(campaign: Campaign, passphrases: "str | Mapping[int, str]") -> dict[int, str]:
    """Positions -> passphrases; a bare string is one officer's passphrase, for a panel of k = 1."""
    if not isinstance(passphrases, str):
        return dict(passphrases)
    sealed = load_panel(campaign)
    if sealed.threshold != 1:
        raise TooFewOfficers(sealed.threshold, 1)
    for officer in sealed.officers[:-1]:
        try:
            open_share(officer, passphrases)
            return {officer.position: passphrases}
        except WrongOfficerPassphrase:
            continue
    return {sealed.officers[-1].position: passphrases}


def unlock_private_key(campaign: Campaign, passphrases: "str | Mapping[int, str]") -> PrivateKey:
    """The box's private key from k officers' passphrases (officer position -> passphrase).

    A bare string is accepted for a panel of k = 1 (any one officer's passphrase). Raises
    KeyDestroyed, TooFewOfficers, UnknownOfficer or WrongOfficerPassphrase; changes nothing.
    """
    return recover(load_panel(campaign), as_positions(campaign, passphrases))


def took_part(campaign: Campaign, passphrases: Mapping[int, str]) -> list[dict]:
    """Who took part, for the audit log: officers' positions and names, never their passphrases."""
    given = {int(p) for p, s in passphrases.items() if s}
    return [{"position": o.position, "name": o.name} for o in officers(campaign) if o.position in given]


def reshare(campaign: Campaign, passphrases: Mapping[int, str], new_officers: list[Officer],
            threshold: int) -> SealedPanel:
    """k current officers' passphrases re-seal the box's private key for a new panel (caller commits).

    The new panel has a new panel secret, so the old shares open nothing even together with
    a copy of the old rows' successor; the old rows are destroyed without a trace
    (`mixing.rewrite_without`), in the caller's transaction.
    """
    check_panel(new_officers, threshold, current_app.config["MIN_PASSPHRASE_LENGTH"])
    private = unlock_private_key(campaign, passphrases)
    sealed = seal_panel(private, new_officers, threshold, _strength())
    destroy_panel(campaign.id)
    store_panel(campaign, sealed)
    return sealed


def destroy_panel(campaign_id: int) -> None:
    """Remove the campaign's panel and officers' shares, leaving no dead tuple (caller commits)."""
    mixing.rewrite_without(CountingOfficer, campaign_id)
    mixing.rewrite_without(CountingPanel, campaign_id)


def signers(campaign: Campaign) -> list[ResultSigner]:
    """The campaign's officers' public signing keys (and signatures once counted), in their order."""
    return list(db.session.execute(select(ResultSigner).where(ResultSigner.campaign_id == campaign.id)
                                   .order_by(ResultSigner.position)).scalars())


def verify_key(campaign: Campaign, position: int) -> bytes | None:
    """The public signing key of the officer at `position` (printed on their sheet), or None."""
    row = db.session.get(ResultSigner, (campaign.id, position))
    return row.verify_key if row is not None else None
