"""The Flask extensions, created unbound and initialised in `create_app`."""
from pathlib import Path

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
babel = Babel()
csrf = CSRFProtect()
login = LoginManager()
#: Limits are declared per route; the storage URI comes from RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def commit() -> None:
    """Commit the session; on any failure roll it back (nothing half-done stays in it) and re-raise."""
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def init_migrations(app) -> None:
    """Flask-Migrate (`flask db`, Alembic) for an app that may migrate: the command line, and
    the tools and tests that build an app with a config of their own. A web worker never
    migrates, and importing Alembic was a sixth of its start."""
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate  # Alembic: for an app that may migrate, not every web worker's start
    Migrate(app, db, directory=str(Path(__file__).parent / "migrations"))
