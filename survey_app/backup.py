"""Consistent snapshots of the database and their restoration (`flask backup` / `flask restore`).

SQLite uses the online backup API, which copies a consistent state while the app keeps
running; PostgreSQL uses `pg_dump`/`pg_restore` in their custom format, whose client
must be at least as new as the server.
"""
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, inspect, select, text

from .clitools import fail as _fail
from .extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
#: what `pg_restore --clean` writes to drop a ballot-box partition's inherited key
_PARTITION_KEY_DROP = re.compile(rb"^ALTER TABLE (?:IF EXISTS )?ONLY public\.envelopes_c\d+ DROP CONSTRAINT IF EXISTS ")
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A refused backup or restore; the message says why and nothing was changed."""


def _engine():
    return db.engine


def _sqlite_path() -> str:
    path = _engine().url.database
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return path


def rows_present() -> bool:
    """True when any table of the schema holds a row."""
    engine = _engine()
    existing = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name in existing and connection.execute(select(func.count()).select_from(table)).scalar():
                return True
    return False


# --- PostgreSQL -----------------------------------------------------------------------------

def _pg_environment() -> tuple[list[str], dict]:
    """Connection options for libpq tools; the password goes through the environment, not argv."""
    url = _engine().url
    args = ["--dbname", url.database or ""]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def _major(version_text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", version_text)
    if not match:
        raise BackupError(f"cannot read a version from {version_text!r}")
    return int(match.group(1))


def check_pg_tool(name: str) -> str:
    """The tool's path, if its major version is at least the server's."""
    path = _tool(name)
    # "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)": the number after the first ")"
    client = _major(subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
                    .split(")", 1)[-1])
    with _engine().connect() as connection:
        server = int(connection.execute(text("SHOW server_version_num")).scalar()) // 10000
    if client < server:
        raise BackupError(f"{name} {client} is older than the PostgreSQL server {server}: install a client "
                          f"of version {server} or newer")
    return path


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[:2000]}")


# --- the two operations ---------------------------------------------------------------------

def backup(out: Path) -> None:
    """Write a consistent snapshot to `out` (through a temporary file, renamed when complete)."""
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    dialect = _engine().dialect.name
    try:
        if dialect == "sqlite":
            source = sqlite3.connect(_sqlite_path())
            target = sqlite3.connect(partial)
            try:
                with target:
                    source.backup(target)
            finally:
                target.close()
                source.close()
        elif dialect == "postgresql":
            pg_dump = check_pg_tool("pg_dump")
            args, env = _pg_environment()
            _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges", "--file", str(partial), *args], env)
        else:
            raise BackupError(f"backups of {dialect} databases are not supported")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def restore(source: Path, force: bool = False) -> None:
    """Bring a snapshot back; refuses a database holding rows unless `force`."""
    source = Path(source)
    try:
        with open(source, "rb") as fh:
            head = fh.read(16)
    except OSError as error:
        raise BackupError(f"{source}: {error.strerror}") from None
    dialect = _engine().dialect.name
    if dialect == "sqlite" and head != SQLITE_MAGIC or dialect == "postgresql" and not head.startswith(PGDUMP_MAGIC):
        raise BackupError(f"{source}: not a {dialect} backup made by `flask backup`")
    if dialect == "sqlite":
        checked = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            verdict = checked.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in checked.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source}: unreadable ({error})") from None
        finally:
            checked.close()
        if verdict != "ok":
            raise BackupError(f"{source}: damaged ({verdict})")
        if "audit_log" not in tables:
            raise BackupError(f"{source}: not a backup of this application (no audit_log table)")
    if rows_present() and not force:
        raise BackupError("the database is not empty: restoring would replace its contents (use --force)")
    if dialect == "sqlite":
        db.session.remove()
        _engine().dispose()
        backup_db = sqlite3.connect(source)
        live = sqlite3.connect(_sqlite_path())
        try:
            with live:
                backup_db.backup(live)
        finally:
            live.close()
            backup_db.close()
    else:
        pg_restore, psql = check_pg_tool("pg_restore"), check_pg_tool("psql")
        args, env = _pg_environment()
        db.session.remove()
        _engine().dispose()
        # pg_restore --clean drops each partition's inherited key on its own, which PostgreSQL
        # refuses; the partitions go with their table anyway. So the script is filtered and run
        # by psql, still in one transaction.
        script = subprocess.run([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges",
                                 "--file", "-", str(source)], capture_output=True, env=env)
        if script.returncode != 0:
            raise BackupError(f"pg_restore failed: {script.stderr.decode(errors='replace').strip()[:2000]}")
        kept = b"\n".join(line for line in script.stdout.split(b"\n") if not _PARTITION_KEY_DROP.match(line))
        result = subprocess.run([psql, "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1",
                                 *args], input=kept, capture_output=True, env=env)
        if result.returncode != 0:
            raise BackupError(f"psql failed: {result.stderr.decode(errors='replace').strip()[:2000]}")


# --- command line ---------------------------------------------------------------------------

@click.command("backup")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def backup_command(file: Path, force: bool):
    """Write a consistent snapshot of the database to FILE."""
    if file.exists() and not force:
        _fail(f"{file} exists already (use --force to overwrite it)")
    try:
        backup(file)
    except BackupError as error:
        _fail(str(error))
    except OSError as error:
        _fail(f"{file}: {error.strerror}")
    click.echo(f"backup written to {file}")


@click.command("restore")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that holds data.")
def restore_command(file: Path, force: bool):
    """Bring the database back from a FILE made by `flask backup`."""
    try:
        restore(file, force=force)
    except BackupError as error:
        _fail(str(error))
    click.echo(f"database restored from {file}")


def init_app(app) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
