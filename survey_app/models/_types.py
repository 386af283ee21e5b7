"""Small column helpers shared by the models."""
import secrets
from datetime import datetime, timezone


def random_id() -> str:
    """A random 128-bit id: its value says nothing about when a row was written."""
    return secrets.token_hex(16)


def random_ids(n: int) -> list[str]:
    """n ids as `random_id` makes them, from one read of the operating system's randomness
    (counting makes one a ballot: a system call each cost more than the rest of its row)."""
    digits = secrets.token_hex(16 * n)
    return [digits[at:at + 32] for at in range(0, 32 * n, 32)]


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
