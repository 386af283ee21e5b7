"""Access codes: random, unambiguous, grouped for reading, stored as keyed hashes."""
import hashlib
import hmac
import secrets

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
    cleaned = "".join(ch for ch in (typed or "").upper() if ch.isalnum())
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return format_code(cleaned)


def code_hash(key: str, code: str) -> str:
    return hmac.new(key.encode(), code.encode(), hashlib.sha256).hexdigest()
