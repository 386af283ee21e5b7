"""The audit log (verify after tampering, concurrent appends, the page) and account administration."""
import threading

import pytest
from sqlalchemy import select, text

from survey_app import audit
from survey_app.extensions import db
from survey_app.models import AuditEntry, User

from tests.web.helpers import PASSWORD


def _tamper(app, statement):
    with app.app_context():
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # the append-only trigger refuses first; a database owner can still switch it off
                with pytest.raises(Exception, match="append-only"):
                    with connection.begin_nested():
                        connection.execute(text(statement))
                connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            connection.execute(text(statement))


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET actor = 'someone-else' WHERE id = 2",
    "UPDATE audit_log SET details = '{}' WHERE id = 3",
    "DELETE FROM audit_log WHERE id = 2",
])
def test_verify_detects_edited_and_deleted_entries(app, runner, users, statement):
    with app.app_context():
        assert db.session.execute(select(AuditEntry)).scalars().all()[3:]  # at least four entries
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output
    _tamper(app, statement)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "entry" in result.output


def test_concurrent_appends_keep_one_chain(app, users):
    errors = []

    def append(n):
        try:
            with app.app_context():
                for i in range(5):
                    audit.record("test.concurrent", f"thread:{n}", actor="test", i=i)
                    db.session.commit()
        except Exception as error:  # collected: an exception in a thread would go unseen
            errors.append(error)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        assert not errors
        stored = db.session.execute(select(AuditEntry).where(AuditEntry.action == "test.concurrent")).scalars().all()
        assert len(stored) == 40
        assert audit.verify() == []
        hashes = [e.prev_hash for e in db.session.execute(select(AuditEntry)).scalars()]
        assert len(hashes) == len(set(hashes)), "two entries chained to the same predecessor"


def test_audit_guards_on_postgresql(app, users):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            audit.install_audit_guards(db.engine)  # a no-op elsewhere
            pytest.skip("the trigger exists on PostgreSQL only")
        audit.install_audit_guards(db.engine)  # idempotent
        for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(Exception, match="append-only"):
                with db.engine.begin() as connection:
                    connection.execute(text(statement))


def test_audit_page_filters_and_pages(app, world, client_as):
    with app.app_context():
        for i in range(60):
            audit.record("test.filler", f"n:{i}", actor="filler")
        db.session.commit()
    for role, allowed in (("admin", True), ("auditor", True), ("staff", False), ("leader", False)):
        response = client_as(role).get("/admin/audit")
        assert response.status_code == (200 if allowed else 403), role
    client = client_as("auditor")
    page = client.get("/admin/audit?actor=filler").get_data(as_text=True)
    assert page.count('data-action="test.filler"') == 50 and "user.create" not in page.split("<tbody>")[1]
    page2 = client.get("/admin/audit?actor=filler&page=2").get_data(as_text=True)
    assert page2.count('data-action="test.filler"') == 10
    page = client.get("/admin/audit?action=campaign").get_data(as_text=True)
    assert 'data-action="campaign.publish"' in page and 'data-action="user.create"' not in page
    for junk in ("page=abc", "page=-1", "page=99999999999", "action=%25", "actor=" + "x" * 5000):
        assert client.get("/admin/audit?" + junk).status_code in (200, 404), junk


def test_a_long_entry_shows_three_lines_and_keeps_the_rest_behind_a_disclosure(app, world, client_as):
    """An opening's entry (a panel of officers, every frozen question) stays short in its row, on a
    phone too; nothing of it is lost: the whole entry is one click away."""
    questions = "；".join(f"承诺事项{i}：年内完成第{i}项民生实事，按季度公开进展" for i in range(12))
    with app.app_context():
        audit.record("test.long", "campaign:1", actor="filler", officers="甲、乙、丙", threshold=2,
                     items=questions, note="x", extra="y")
        audit.record("test.short", "campaign:1", actor="filler", note="short")
        db.session.commit()
    page = client_as("auditor").get("/admin/audit?actor=filler").get_data(as_text=True)
    long_row = page.split('data-action="test.long"')[1].split("</tr>")[0]
    shown, hidden = long_row.split("<details>")
    assert shown.count("<li>") == 3 and questions not in shown
    assert hidden.count("<li>") == 5 and questions in hidden
    short_row = page.split('data-action="test.short"')[1].split("</tr>")[0]
    assert "<details>" not in short_row and "short" in short_row


def test_audit_entries_hold_nothing_of_respondents(app, world):
    """Submissions, codes and answers never reach the audit log."""
    with app.app_context():
        entries = db.session.execute(select(AuditEntry)).scalars().all()
        assert not [e for e in entries if e.action.startswith(("ballot", "answer", "respond"))]
        blob = " ".join(f"{e.subject} {e.details}" for e in entries)
        assert world["token_a"] not in blob and "198.51.100" not in blob


def test_user_create_cli(app, runner):
    result = runner.invoke(args=["user", "create", "root", "--password", "root-password-1"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "root")).scalar_one()
        assert user.role == "admin" and user.password_hash.startswith("scrypt:")
        assert "root-password-1" not in user.password_hash
        assert db.session.execute(select(AuditEntry.action)).scalars().all() == ["user.create"]
    assert app.test_client().post("/login", data={"username": "root", "password": "root-password-1"}).status_code == 302
    for args in (["user", "create", "root", "--password", "root-password-1"],          # exists
                 ["user", "create", "short", "--password", "short"],                    # too short
                 ["user", "create", "lead", "--role", "leader", "--password", "lead-password-1"],  # no target
                 ["user", "create", "lead", "--role", "leader", "--target", "nope", "--password", "lead-password-1"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 2 and "error:" in result.output, args


def test_user_create_cli_prompts_for_the_password(app, runner):
    result = runner.invoke(args=["user", "create", "root"], input="root-password-1\nroot-password-1\n")
    assert result.exit_code == 0, result.output


def test_admin_manages_accounts(app, world, client_as):
    admin = client_as("admin")
    response = admin.post("/admin/users/new", data={
        "username": "newleader", "role": "leader", "target": str(world["target_a2"]),
        "password": "temporary-pass-1", "repeat": "temporary-pass-1"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "newleader")).scalar_one()
        assert user.target_id == world["target_a2"] and user.must_change_password
        new_id = user.id
    # a leader without a target, a duplicate name and a weak password are refused with field errors
    for data in ({"username": "x1", "role": "leader", "target": "0"},
                 {"username": "newleader", "role": "staff", "target": "0"},
                 {"username": "x2", "role": "staff", "target": "0", "password": "short", "repeat": "short"}):
        data = {"password": "temporary-pass-1", "repeat": "temporary-pass-1", **data}
        response = admin.post("/admin/users/new", data=data)
        assert response.status_code == 400 and 'class="error"' in response.get_data(as_text=True), data
    # scopes for staff
    response = admin.post("/admin/users/new", data={
        "username": "scoped2", "role": "clerk", "target": "0", "campaigns": [str(world["campaign_b"])],
        "password": "temporary-pass-1", "repeat": "temporary-pass-1"})
    assert response.status_code == 302
    # the new leader must change the temporary password first
    leader = app.test_client()
    response = leader.post("/login", data={"username": "newleader", "password": "temporary-pass-1"})
    assert response.headers["Location"] == "/password"
    assert leader.get("/reports/").status_code == 302
    assert leader.post("/password", data={"current": "temporary-pass-1", "new": "my-own-password-1",
                                          "repeat": "my-own-password-1"}).status_code == 302
    assert leader.get("/reports/").status_code == 200
    # reset by the administrator: the leader's session ends, the temporary password works once changed
    assert admin.post(f"/admin/users/{new_id}/password", data={"password": "another-temp-1",
                                                               "repeat": "another-temp-1"}).status_code == 302
    assert leader.get("/reports/").status_code == 302
    # an administrator cannot deactivate themselves, and the list shows every account
    with app.app_context():
        admin_id = db.session.execute(select(User.id).where(User.username == "admin")).scalar_one()
    response = admin.post(f"/admin/users/{admin_id}/deactivate", data={"confirm": "y"})
    assert response.status_code == 400
    assert admin.post(f"/admin/users/{new_id}/deactivate", data={}).status_code == 400  # not confirmed
    assert admin.post(f"/admin/users/{new_id}/deactivate", data={"confirm": "y"}).status_code == 302
    assert admin.post(f"/admin/users/{new_id}/activate", data={"confirm": "y"}).status_code == 302
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "newleader" in page and "scoped2" in page
    with app.app_context():
        actions = db.session.execute(select(AuditEntry.action).where(AuditEntry.subject == f"user:{new_id}")).scalars().all()
        assert {"user.create", "user.password", "user.reset_password", "user.deactivate", "user.activate"} <= set(actions)
        assert audit.verify() == []


def test_admin_edits_scopes(app, world, client_as):
    admin = client_as("admin")
    uid = world["scoped_staff"]
    assert admin.get(f"/admin/users/{uid}").status_code == 200
    response = admin.post(f"/admin/users/{uid}", data={"display_name": "Staff A", "campaigns": [str(world["campaign_b"])]})
    assert response.status_code == 302
    staff = client_as("staff-a")
    assert staff.get(f"/admin/campaigns/{world['campaign_b']}").status_code == 200
    assert staff.get(f"/admin/campaigns/{world['campaign_a']}").status_code == 403
    assert admin.post(f"/admin/users/{uid}", data={"campaigns": ["99999"]}).status_code == 400


def test_account_operations_without_the_web(app):
    """A refused account change leaves nothing behind, and a logout is logged, without a request."""
    from survey_app.auth import operations
    with app.app_context():
        with pytest.raises(operations.AccountError):
            operations.create_user("scoped", PASSWORD, "staff", campaign_ids=[999])  # no such campaign
        assert db.session.execute(select(User).where(User.username == "scoped")).scalar_one_or_none() is None
        user = operations.create_user("scoped", PASSWORD, "staff")
        with pytest.raises(operations.AccountError):
            operations.update_user(user, display_name="Renamed", campaign_ids=[999])
        assert db.session.get(User, user.id).display_name == ""
        operations.record_logout(user)
        last = db.session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).scalar_one()
        assert (last.action, last.subject, last.actor) == ("user.logout", f"user:{user.id}", "scoped")


def test_the_accounts_list_says_what_each_account_reaches(app, campaign_id, users, login):
    """The scope column follows `security.reach`: an admin everything, a leader their target,
    a scoped account its campaigns, an unscoped one all campaigns."""
    import re

    from survey_app.auth.operations import create_user
    from survey_app.models import Campaign
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        target = campaign.targets[0]
        create_user("lead", PASSWORD, "leader", target_id=target.id)
        create_user("scoped", PASSWORD, "staff", campaign_ids=[campaign_id])
        campaign_code, target_code = campaign.code, target.code
    page = login("admin").get("/admin/users", headers={"Accept-Language": "en"}).get_data(as_text=True)
    rows = {re.search(r">([\w-]+)</a>", row).group(1): re.sub(r"\s+", " ", row)
            for row in page.split("<tr")[1:] if "/admin/users/" in row}
    assert "Everything" in rows["admin"]
    assert target_code in rows["lead"] and "All campaigns" not in rows["lead"]
    assert campaign_code in rows["scoped"] and "All campaigns" not in rows["scoped"]
    assert "All campaigns" in rows["staff"] and "Everything" not in rows["staff"]
