"""The web application: `create_app` builds it, nothing else happens at import."""
import logging
import os
from pathlib import Path

import click
from flask import Flask

from . import config


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None, instance_relative_config=True)
    instance = Path(app.instance_path)
    given = bool(test_config) and {"SECRET_KEY", "ACCESS_CODE_KEY"} <= test_config.keys()
    app.config.update(config.from_environment(instance, secrets_given=given))
    app.config.update(config.DEFAULTS)
    if test_config:
        app.config.update(test_config)

    # The features load when an app is built, not when `survey_app` is imported: a counting
    # or PDF worker that needs one module does not pay for every blueprint.
    from . import errors, i18n, labels, routing, security
    from .extensions import babel, csrf, db, init_migrations, limiter, login

    db.init_app(app)
    # `flask …` commands, tests and tools get the migrations and the commands; a web worker
    # (gunicorn imports `wsgi` outside any click context) builds neither.
    commands = test_config is not None or click.get_current_context(silent=True) is not None
    if commands:
        init_migrations(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    login.init_app(app)
    _sqlite_pragmas(app)
    routing.init_app(app)  # before the blueprints: their rules use its converters

    # Blueprints are registered by hand, in this order (no discovery); imported here for the same reason.
    from .accounts.blueprint import bp as accounts_bp
    from .admin.blueprint import bp as admin_bp
    from .auth.blueprint import bp as auth_bp
    from .commitments.blueprint import bp as commitments_bp
    from .designer.blueprint import bp as designer_bp
    from .followup.blueprint import bp as followup_bp
    from .meetings.blueprint import bp as meetings_bp
    from .paper.blueprint import bp as paper_bp
    from .public.blueprint import bp as public_bp
    from .rectification.blueprint import bp as rectification_bp
    from .reports.blueprint import bp as reports_bp
    from .respond.blueprint import bp as respond_bp
    for blueprint in (public_bp, respond_bp, auth_bp, admin_bp, reports_bp, paper_bp, accounts_bp, designer_bp,
                      commitments_bp, meetings_bp, rectification_bp, followup_bp):
        app.register_blueprint(blueprint)

    i18n.init_app(app)
    labels.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    # The commands import the operations they call (backups, moving, the demo): loaded with
    # the app where commands can be given, like the migrations.
    if commands:
        from . import cli
        from .reports import cli as reports_cli  # the reports feature's commands, likewise
        cli.init_app(app)
        reports_cli.init_app(app)
    # Werkzeug's access log would write client addresses next to respondent URLs.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return app


def after_fork(app: Flask) -> None:
    """In a process forked from one that built the app (gunicorn's workers with `preload_app`):
    share nothing that talks to the outside with the parent or the siblings. The database
    engines' pools are dropped without closing the parent's connections (`close=False`: they
    are the parent's), so that this process opens its own. The rest needs nothing: the rate
    limiter's Redis client opens its connections in the process that uses them (redis-py checks
    the process id), its in-memory storage is empty in the master and restarts its own timer,
    Python reseeds `random` in every child, and randomness for ids, codes and sealing comes from
    the kernel (`secrets`, libsodium's `getrandom`), which keeps no state in the process."""
    from .extensions import db  # loaded by create_app already; `survey_app` imports nothing at import (see above)

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


def _sqlite_pragmas(app: Flask) -> None:
    """WAL and a busy timeout let concurrent submissions queue instead of failing;
    secure_delete zeroes deleted rows and freed pages, which SQLite otherwise leaves in the file."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    # imported with the app, like the features (see create_app)
    from sqlalchemy import event

    from .extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA secure_delete = ON")
        if ":memory:" not in app.config["SQLALCHEMY_DATABASE_URI"]:
            cursor.execute("PRAGMA journal_mode = WAL")
            # Reads through a memory map (as the count does, ballots.counting.map_file): a campaign's
            # row holds its results and bundle (megabytes) in overflow pages before its later
            # columns, and reaching those walked every page through a 2 MB page cache, on every view.
            cursor.execute("PRAGMA mmap_size = 17179869184")
        cursor.close()
