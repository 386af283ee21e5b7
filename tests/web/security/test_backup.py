"""`flask backup FILE` and `flask restore FILE`: a round trip on SQLite and PostgreSQL."""
import shutil

import pytest
from sqlalchemy import func, select

from survey_app import audit
from survey_app.extensions import db
from survey_app.models import AuditEntry, Campaign, Envelope, User


def snapshot(app):
    with app.app_context():
        return {
            "users": sorted(db.session.execute(select(User.username)).scalars()),
            "campaigns": sorted(db.session.execute(select(Campaign.code)).scalars()),
            "envelopes": db.session.execute(select(func.count()).select_from(Envelope)).scalar(),
            "audit": db.session.execute(select(func.count()).select_from(AuditEntry)).scalar(),
            "verify": audit.verify(),
        }


def test_round_trip(app, runner, world, tmp_path, backend):
    if backend == "postgresql" and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    before = snapshot(app)
    assert before["envelopes"] == 0 and before["campaigns"] == ["ca", "cb"] and before["audit"] > 5
    out = tmp_path / "snapshot.bak"
    result = runner.invoke(args=["backup", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0 and not (tmp_path / "snapshot.bak.partial").exists()
    assert runner.invoke(args=["backup", str(out)]).exit_code == 2  # no silent overwrite

    # a database holding data is not overwritten without --force
    result = runner.invoke(args=["restore", str(out)])
    assert result.exit_code == 2 and "--force" in result.output

    # change things after the backup, then restore
    with app.app_context():
        db.session.get(Campaign, world["campaign_b"]).title_en = "changed after the backup"
        audit.record("test.after_backup", "x")
        db.session.commit()
    result = runner.invoke(args=["restore", "--force", str(out)])
    assert result.exit_code == 0, result.output
    assert snapshot(app) == before
    with app.app_context():
        assert db.session.get(Campaign, world["campaign_b"]).title_en != "changed after the backup"

    # into an empty database, without --force
    with app.app_context():
        db.session.remove()
        db.drop_all()
    result = runner.invoke(args=["restore", str(out)])
    assert result.exit_code == 0, result.output
    assert snapshot(app) == before
    # the restored database works: a login
    assert app.test_client().post("/login", data={"username": "admin", "password": "test-password-123"}).status_code == 302


def test_restore_refuses_a_foreign_file(app, runner, tmp_path):
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"not a backup at all")
    result = runner.invoke(args=["restore", str(junk)])
    assert result.exit_code == 2 and "not a" in result.output
    result = runner.invoke(args=["restore", str(tmp_path / "missing.bak")])
    assert result.exit_code == 2
