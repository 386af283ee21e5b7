"""Small column helpers shared by the models."""
import secrets
from datetime import datetime, timezone


def random_id() -> str:
    """A random 128-bit id: its value says nothing about when a row was written."""
    return secrets.token_hex(16)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
