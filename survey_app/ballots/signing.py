"""The counting officers' signatures of a campaign's results: what is signed, and how anyone checks it.

Every officer gets an Ed25519 key pair when a panel is made (`keys.seal_panel`): the seed
is sealed beside their share under their own passphrase, the public key is kept in
`result_signers` and printed on their sheet before voting starts. At counting the k
officers whose passphrases open the box sign `message(...)`: the campaign's code, the SHA-256
of its results' canonical JSON, the panel's k and the positions of the officers who signed.
A signature cannot be moved to another campaign's results, and an officer who was not
among the k cannot add theirs later (even with a copy of their seed kept from before the
count): the others signed a list of signers without them. Counting then destroys the
seeds with the shares: nobody can sign those results, or others, again. The open bundle
carries `verify_signatures.py`, which checks the same with PyNaCl alone
(`results/bundle_scripts/`).
"""
import hashlib
from dataclasses import dataclass

import nacl.exceptions
import nacl.signing
from scoring import canonical_json

#: what precedes the campaign code and the hash in every signed message (the bundle's script repeats it)
DOMAIN = "minping-results/1"


def message(campaign_code: str, sha256: str, needed: int, positions) -> bytes:
    """The bytes each officer signs: domain, campaign code, results hash, k and who signed, one line."""
    signers = ",".join(str(p) for p in sorted(positions))
    return f"{DOMAIN} {campaign_code} {sha256} k={needed} signers={signers}".encode()


def results_sha256(results: dict) -> str:
    """The SHA-256 of the results' canonical bytes (those of the bundle's results.json)."""
    return hashlib.sha256(canonical_json(results)).hexdigest()


def new_key() -> nacl.signing.SigningKey:
    return nacl.signing.SigningKey.generate()


def verify_key_of(seed: bytes) -> bytes:
    return bytes(nacl.signing.SigningKey(seed).verify_key)


def sign(seed: bytes, signed: bytes) -> bytes:
    """The 64-byte detached signature of `signed` (a `message`) by the officer whose seed this is."""
    return nacl.signing.SigningKey(seed).sign(signed).signature


def valid(verify_key: bytes, signature: bytes, signed: bytes) -> bool:
    try:
        nacl.signing.VerifyKey(bytes(verify_key)).verify(signed, bytes(signature))
        return True
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError, TypeError):
        return False


def fingerprint(verify_key: bytes) -> str:
    """The public key as printed on an officer's sheet: 64 hex digits in groups of four."""
    digits = bytes(verify_key).hex()
    return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))


@dataclass(frozen=True)
class Signer:
    position: int
    name: str
    verify_key: bytes
    signature: bytes | None


def check(code: str, sha256: str, signers: list[Signer], needed: int) -> list[str]:
    """Problems with a campaign's signatures of the results hash `sha256` (empty: they hold).

    Every signature must verify under its officer's key over the message naming exactly
    the officers who signed, and at least `needed` (k) must have signed."""
    problems = []
    signed = [s for s in signers if s.signature is not None]
    text = message(code, sha256, needed, [s.position for s in signed])
    for s in signed:
        if not valid(s.verify_key, s.signature, text):
            problems.append(f"the signature of officer {s.position} ({s.name}) does not match the results "
                            "and the officers who counted")
    if len(signed) < needed:
        problems.append(f"{len(signed)} officers signed, {needed} needed")
    return problems
