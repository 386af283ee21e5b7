"""Access codes: random, unambiguous, grouped for reading, stored as keyed hashes."""
import base64
import hashlib
import hmac
import secrets
import unicodedata

import nacl.exceptions
import nacl.secret

#: No 0/O, 1/I/L, 5/S, 2/Z, 8/B: what survives a badly printed slip and a hurried reader.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
#: 10 symbols of a 25-letter alphabet: about 46 bits, far beyond guessing under rate limits
GROUPS = (4, 4, 2)
LENGTH = sum(GROUPS)


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return format_code(raw)


def format_code(raw: str) -> str:
    parts, at = [], 0
    for size in GROUPS:
        parts.append(raw[at:at + size])
        at += size
    return "-".join(parts)


def normalise(typed: str) -> str | None:
    """The canonical form of what a respondent typed, or None when it cannot be a code."""
    # NFKC: a Chinese keyboard's full-width letters and digits (ＡＢ３) are the ASCII ones
    cleaned = "".join(ch for ch in unicodedata.normalize("NFKC", typed or "").upper() if ch.isalnum())
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return format_code(cleaned)


def code_hash(key: str, code: str) -> str:
    return hmac.new(key.encode(), code.encode(), hashlib.sha256).hexdigest()


def wrap(key: bytes, code: str) -> str:
    """The code encrypted (XSalsa20-Poly1305) for the respondent's session cookie.

    Flask's session cookie is signed, not encrypted: whoever sees the cookie (a shared phone,
    a proxy's log) would read a plain code in it.
    """
    return base64.urlsafe_b64encode(bytes(nacl.secret.SecretBox(key).encrypt(code.encode()))).decode()


def unwrap(key: bytes, token: object) -> str | None:
    """The code `wrap` encrypted, or None for anything else."""
    if not isinstance(token, str):
        return None
    try:
        return nacl.secret.SecretBox(key).decrypt(base64.urlsafe_b64decode(token.encode())).decode()
    except (ValueError, nacl.exceptions.CryptoError):
        return None
