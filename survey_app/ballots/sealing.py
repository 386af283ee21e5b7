"""Sealed envelopes with libsodium: a campaign key pair whose private half only a passphrase opens.

Uses PyNaCl (libsodium): `SealedBox` for the envelopes (anonymous sender, X25519 +
XSalsa20-Poly1305) and argon2id + `SecretBox` to keep secrets under a passphrase. The
counting officers' panel (`keys`) seals each officer's share that way; `make_keys` and
`unlock` are the single-passphrase format of boxes sealed before panels, which migration 0005
turns into panels of one. Nothing here is home-made cryptography.
"""
import hashlib
import json
from dataclasses import dataclass

import nacl.bindings
import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
import orjson
from nacl.public import PrivateKey, PublicKey, SealedBox

from . import packing

#: Envelopes are padded to a multiple of this many bytes; a campaign pads all its envelopes
#: to one size (`size=` below, the largest ballot its questionnaire allows), so that their
#: length does not tell how long a comment was or how many items were answered.
PAD_BLOCK = 512
#: what sealing adds to the plain text: an ephemeral public key and a MAC
SEAL_OVERHEAD = nacl.bindings.crypto_box_SEALBYTES

_KDF = {
    "moderate": (nacl.pwhash.argon2id.OPSLIMIT_MODERATE, nacl.pwhash.argon2id.MEMLIMIT_MODERATE),
    "interactive": (nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE, nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE),
    #: argon2id's least work: the test suite's apps only (given to create_app; the environment
    #: cannot choose it, see config.from_environment); the suite opens and counts thousands of boxes
    "minimal": (nacl.pwhash.argon2id.OPSLIMIT_MIN, nacl.pwhash.argon2id.MEMLIMIT_MIN),
}


class WrongPassphrase(Exception):
    """The passphrase does not open the campaign's private key."""


@dataclass(frozen=True)
class BallotBoxKeys:
    public_key: bytes
    sealed_private_key: bytes
    salt: bytes
    opslimit: int
    memlimit: int


def _derive(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return nacl.pwhash.argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, passphrase.encode("utf-8"),
                                    salt, opslimit=opslimit, memlimit=memlimit)


def make_keys(passphrase: str, strength: str = "moderate") -> BallotBoxKeys:
    opslimit, memlimit = _KDF[strength]
    private = PrivateKey.generate()
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    box = nacl.secret.SecretBox(_derive(passphrase, salt, opslimit, memlimit))
    return BallotBoxKeys(bytes(private.public_key), bytes(box.encrypt(bytes(private))),
                         salt, opslimit, memlimit)


def unlock(keys: BallotBoxKeys, passphrase: str) -> PrivateKey:
    box = nacl.secret.SecretBox(_derive(passphrase, keys.salt, keys.opslimit, keys.memlimit))
    try:
        return PrivateKey(box.decrypt(keys.sealed_private_key))
    except nacl.exceptions.CryptoError:
        raise WrongPassphrase() from None


#: The first byte of an envelope's plain text in the compact layouts below; the earliest layout
#: (plain JSON, which starts with "{") is still opened.
_COMPACT = b"\x01"
#: ... and in the packed one: the rating answers as the campaign's vector (`packing`).
_PACKED = b"\x02"


class LayoutMismatch(ValueError):
    """An envelope was packed for another layout than the campaign's."""


def encode(ballot: dict, lay: packing.Layout | None = None) -> bytes:
    """The ballot as bytes: a marker, the JSON length, the JSON, [the rating vector,] then the comments' texts.

    Comments are written in UTF-16 (2 bytes a code unit, whatever the script) after the JSON,
    which keeps each comment's item and its length in units. A comment is limited in the
    same units (`validation.text_length`), so the largest ballot, to whose size every
    envelope is padded, needs 2 bytes a character of comment instead of UTF-8's 4.

    With the campaign's layout `lay`, the rating answers travel packed as counting stores
    them (`packing.split`: one byte a slot, the layout named by its digest) and the JSON
    holds only the other answers: counting then opens an envelope without parsing or
    packing its answers one by one (a ballot of 120 answers: 1 µs instead of 24).
    """
    texts = [str(c[2]) for c in ballot["c"]]
    head = {**ballot, "c": [[c[0], c[1], len(t.encode("utf-16-le")) // 2] for c, t in zip(ballot["c"], texts)]}
    vector = b""
    marker = _COMPACT
    if lay is not None and lay.width:  # a campaign with no rating item has nothing to pack
        vector, rest = packing.split(lay, ballot["a"])
        head.update(a=rest, k=lay.digest, n=len(vector))
        marker = _PACKED
    body = json.dumps(head, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return marker + len(body).to_bytes(4, "big") + body + bytes(vector) + "".join(texts).encode("utf-16-le")


def _loads(text) -> dict:
    """JSON as `json.loads` reads it. orjson parses a ballot's 120 answers in a fifth less
    time (measured per envelope in a count worker: 12.7 µs against 16.2); what it refuses
    and `json` accepts (a lone surrogate escape, an integer beyond 64 bits) goes to `json`."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(bytes(text).decode("utf-8"))


def decode(plain: bytes) -> dict:
    """An envelope's plain text as the ballot dict; a packed one keeps its vector in "r"
    (and the layout's digest in "k"): `answers` spells it out."""
    marker = plain[:1]
    if marker not in (_COMPACT, _PACKED):
        return _loads(plain.rstrip(b"\0"))
    size = int.from_bytes(plain[1:5], "big")
    head = _loads(memoryview(plain)[5:5 + size])
    at, comments = 5 + size, []
    if marker == _PACKED:
        width = head.pop("n")
        head["r"] = plain[at:at + width]
        at += width
    for target, item, units in head["c"]:
        comments.append([target, item, plain[at:at + 2 * units].decode("utf-16-le")])
        at += 2 * units
    head["c"] = comments
    return head


def packed(payload: dict, lay: packing.Layout) -> tuple[bytes, str | None]:
    """An opened envelope's answers as counting stores them: (rating vector, choices JSON or None)."""
    vector = payload.get("r")
    if vector is None:
        return packing.pack(lay, payload["a"])
    if payload.get("k") != lay.digest:
        raise LayoutMismatch()
    return vector, packing.choices_json(payload["a"])


def answers(payload: dict, lay: packing.Layout) -> list[list]:
    """An opened envelope's answers as `[target or None, item, option]`, however they were packed."""
    vector, choices = packed(payload, lay)
    return [list(a) for a in packing.unpack(lay, vector, choices)]


def padded_size(ballot: dict, lay: packing.Layout | None = None) -> int:
    """The padded length of this ballot (packed in `lay`, as `seal` packs it): the `size`
    to seal every smaller ballot to."""
    raw = len(encode(ballot, lay))
    return raw + (-raw % PAD_BLOCK)


def seal(public_key: bytes, ballot: dict, size: int | None = None, lay: packing.Layout | None = None) -> bytes:
    """Seal the ballot padded to `size` bytes (or to the next multiple of PAD_BLOCK), its
    ratings packed in the layout `lay` when one is given and packing makes it no larger."""
    raw = encode(ballot, lay)
    if size is not None and len(raw) > size and raw[:1] == _PACKED:
        raw = encode(ballot)  # packing's few bytes of header on a ballot of almost no ratings
    if size is not None and len(raw) > size:
        raise ValueError("ballot larger than the campaign's envelope size")
    # The layout says where the ballot ends, so NUL padding is unambiguous.
    padded = raw + b"\0" * ((size - len(raw)) if size is not None else (-len(raw) % PAD_BLOCK))
    return SealedBox(PublicKey(public_key)).encrypt(padded)


def open_envelope(private_key: PrivateKey, sealed: bytes) -> dict:
    return decode(SealedBox(private_key).decrypt(sealed))


def fingerprint(sealed: bytes) -> str:
    """The receipt: a short hash of the sealed envelope, which says nothing of its content."""
    return in_fours(hashlib.sha256(sealed).hexdigest()[:16].upper())


def in_fours(digits: str) -> str:
    """Hex digits as a receipt is printed, dashed in fours (a partial receipt too)."""
    return "-".join(digits[i:i + 4] for i in range(0, len(digits), 4))
