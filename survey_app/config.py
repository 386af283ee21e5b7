"""Settings read from the environment when the app is built, with safe defaults."""
import json
import os
import secrets
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _instance_secrets(instance_path: Path) -> dict:
    """Load the secrets generated on first run, creating them if missing.

    Keys never live in the code: a deployment sets them in the environment, and a
    development machine gets random ones written once into `instance/`.
    """
    path = instance_path / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    instance_path.mkdir(parents=True, exist_ok=True)
    values = {"SECRET_KEY": secrets.token_hex(32), "ACCESS_CODE_KEY": secrets.token_hex(32)}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(values, fh)
    return values


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_driver_url(database_url: str) -> str:
    """A database URL as SQLAlchemy takes it: PostgreSQL through psycopg 3."""
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://"):]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    return database_url


def _kdf_strength(value: str) -> str:
    """The strength a deployment may choose; the tests' "minimal" is not one."""
    if value not in ("moderate", "interactive"):
        raise ValueError(f"KDF_STRENGTH must be 'moderate' or 'interactive', not {value!r}")
    return value


def _dates(name: str, value: str) -> tuple:
    """ISO dates separated by commas, as a sorted tuple of datetime.date; a bad one stops the start."""
    out = set()
    for part in filter(None, (p.strip() for p in value.split(","))):
        try:
            out.add(date.fromisoformat(part))
        except ValueError:
            raise ValueError(f"{name}: {part!r} is not a date like 2027-01-01") from None
    return tuple(sorted(out))


def from_environment(instance_path: Path, secrets_given: bool = False) -> dict:
    """Settings from the environment; secrets come from `instance/` unless set or `secrets_given`."""
    env = os.environ
    generated = {"SECRET_KEY": None, "ACCESS_CODE_KEY": None}
    if not secrets_given and (not env.get("SECRET_KEY") or not env.get("ACCESS_CODE_KEY")):
        generated = _instance_secrets(instance_path)
    database_url = database_driver_url(env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'minping.sqlite3'}")
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or generated["SECRET_KEY"],
        #: keys the HMAC under which access codes are stored
        "ACCESS_CODE_KEY": env.get("ACCESS_CODE_KEY") or generated["ACCESS_CODE_KEY"],
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        #: ballots through public links from one address: a ceiling above any hall on one Wi-Fi
        "PUBLIC_RATE_LIMIT": env.get("PUBLIC_RATE_LIMIT", "500 per hour"),
        #: ballots a campaign from one device through a public link (a signed cookie)
        "DEVICE_BALLOT_LIMIT": int(env.get("DEVICE_BALLOT_LIMIT", "1")),
        #: refused access codes (unknown, used, withdrawn) from one address; right codes never count
        "CODE_FAILURE_LIMIT": env.get("CODE_FAILURE_LIMIT", "60 per 10 minutes;500 per day"),
        #: refused access codes from all addresses together (an unknown code names no campaign)
        "CODE_FAILURE_SITE_LIMIT": env.get("CODE_FAILURE_SITE_LIMIT", "1000 per hour"),
        #: staff sign-ins from one address
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), False),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        #: "moderate" (about 1 s, production) or "interactive" (fast, for tests)
        "KDF_STRENGTH": _kdf_strength(env.get("KDF_STRENGTH", "moderate")),
        #: k: at most k - 1 envelopes wait pairable with their codes; the mixer moves envelopes
        #: from the inbox into the box in batches of at least k
        "MIX_BATCH": int(env.get("MIX_BATCH", "20")),
        #: a published commitment with no reviewed progress for this many days is flagged as stale
        "COMMITMENT_STALE_DAYS": int(env.get("COMMITMENT_STALE_DAYS", "90")),
        #: a letter of inquiry (函询) of an alert's case is due for its reply this many working days
        #: after it is sent: mainland China's calendar (public holidays off, make-up days worked)
        "CASE_REPLY_WORKING_DAYS": int(env.get("CASE_REPLY_WORKING_DAYS", "10")),
        #: days to add to that calendar, for a year it does not know yet (comma-separated, 2027-01-01,...)
        "PUBLIC_HOLIDAYS": _dates("PUBLIC_HOLIDAYS", env.get("PUBLIC_HOLIDAYS", "")),
        "MAKEUP_WORKING_DAYS": _dates("MAKEUP_WORKING_DAYS", env.get("MAKEUP_WORKING_DAYS", "")),
    }


DEFAULTS = {
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
    "LANGUAGES": ("zh_CN", "en"),
    #: the language of a visitor whose browser asks for neither
    "DEFAULT_LANGUAGE": "zh_CN",
    # hide_parameters: SQL parameters (code hashes, envelopes) never reach an exception or a log.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "RATELIMIT_HEADERS_ENABLED": False,
    "MIN_PASSPHRASE_LENGTH": 12,
    #: how staff passwords are hashed (werkzeug's method string): its default scrypt (n = 2^15);
    #: only the tests ask for a cheaper one, and only through create_app's config
    "PASSWORD_HASH_METHOD": "scrypt",
    #: the largest evidence file (PDF or image) a progress entry takes
    "COMMITMENT_ATTACHMENT_MAX": 5 * 1024 * 1024,
}
