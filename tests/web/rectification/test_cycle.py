"""The ledger's cycle through the web as each person: staff record a problem from the published
results, the leader drafts the measures and submits them, staff approve, the leader reports progress
with evidence, staff review it, the leader asks for the closing check, staff refuse it with a reason
and then close the item; every step in the audit log. And who is refused what."""
import io
from datetime import date

from survey_app.extensions import db
from survey_app.models import AuditEntry, RectificationItem, RectificationProgress

from .conftest import PDF


def _audit(app, subject_prefix):
    with app.app_context():
        return [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)
                if e.subject.startswith(subject_prefix)]


def test_the_cycle_as_staff_and_leader(app, world, candidates, as_user):
    campaign, a = world["campaign"], world["a"]
    comment = next(c for c in candidates() if c.source == "comment")
    staff = as_user("staff")
    page = staff.get(f"/rectification/campaign/{campaign}/target/{a}/new")
    assert page.status_code == 200 and "public comment 0" in page.get_data(as_text=True)
    response = staff.post(f"/rectification/campaign/{campaign}/target/{a}/new",
                          data={"origin": comment.key, "problem_zh": "窗口排队时间长", "problem_en": "Long queues"})
    assert response.status_code == 302
    item_id = int(response.headers["Location"].rsplit("/", 1)[1])

    leader = as_user("leader-a")
    assert leader.post(f"/rectification/{item_id}/approve").status_code == 403  # only staff approve
    assert leader.post(f"/rectification/{item_id}/submit").status_code == 409  # no measures yet
    assert leader.post(f"/rectification/{item_id}/plan", data={
        "measures_zh": "增设两个窗口", "measures_en": "Two more counters", "responsible": "李科长",
        "deadline": "2026-09-30"}).status_code == 302
    assert leader.post(f"/rectification/{item_id}/submit").status_code == 302
    # submitted: the leader no longer edits the plan
    assert leader.post(f"/rectification/{item_id}/plan", data={"measures_zh": "改"}).status_code == 403
    assert staff.post(f"/rectification/{item_id}/approve").status_code == 302

    response = leader.post(f"/rectification/{item_id}/progress/new", data={
        "on": "2026-05-01", "done": "两个窗口已开放", "percent": "60", "evidence": "照片",
        "attachment": (io.BytesIO(PDF), "photo.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert leader.post(f"/rectification/{item_id}/ask-check").status_code == 409  # nothing reviewed yet
    with app.app_context():
        entry_id = db.session.query(RectificationProgress.id).scalar()
    assert leader.get(f"/rectification/progress/{entry_id}/file").data == PDF
    assert leader.post(f"/rectification/progress/{entry_id}/review",
                       data={f"r{entry_id}-decision": "approved"}).status_code == 403
    assert staff.post(f"/rectification/progress/{entry_id}/review",
                      data={f"r{entry_id}-decision": "approved"}).status_code == 302
    assert leader.post(f"/rectification/{item_id}/ask-check").status_code == 302
    assert leader.post(f"/rectification/{item_id}/check", data={"outcome": "closed"}).status_code == 403

    refused = staff.post(f"/rectification/{item_id}/check", data={"outcome": "not_accepted", "reason": ""})
    assert refused.status_code == 400 and "Say why" in refused.get_data(as_text=True)
    assert staff.post(f"/rectification/{item_id}/check",
                      data={"outcome": "not_accepted", "reason": "Queues still long at noon"}).status_code == 302
    leader.set_cookie("lang", "en")
    assert "Not accepted by the commission: Queues still long at noon" in \
        leader.get(f"/rectification/{item_id}").get_data(as_text=True)
    assert staff.post(f"/rectification/{item_id}/check", data={"outcome": "closed"}).status_code == 302
    with app.app_context():
        item = db.session.get(RectificationItem, item_id)
        assert (item.status, item.plan_state, item.created_by, item.checked_by) == ("closed", "approved", "staff",
                                                                                     "staff")
    assert leader.post(f"/rectification/{item_id}/progress/new", data={
        "on": "2026-06-01", "done": "x", "percent": "100"}).status_code == 400  # closed: no more progress
    assert _audit(app, f"rectification:{item_id}") == [
        "rectification.create", "rectification.plan", "rectification.submit", "rectification.approve",
        "rectification.ask_check", "rectification.check", "rectification.check"]
    assert _audit(app, "rectification_progress:") == ["rectification.progress", "rectification.review"]
    log = as_user("auditor")
    log.set_cookie("lang", "en")
    words = log.get("/admin/audit").get_data(as_text=True)
    assert "Closing check recorded" in words and "Rectification plan approved" in words, words[-4000:]


def test_another_leader_out_of_scope_staff_auditors_and_the_public_are_refused(app, world, make_item, as_user):
    item_id = make_item("a")
    with app.app_context():
        from survey_app.rectification import operations
        entry = operations.add_progress(db.session.get(RectificationItem, item_id), on=date(2026, 3, 1),
                                        done="first step", actor="leader-a", percent=10, attachment=PDF,
                                        filename="a.pdf")
        entry_id = entry.id
    other = as_user("leader-b")
    for url in (f"/rectification/{item_id}", f"/rectification/{item_id}/plan", f"/rectification/{item_id}/progress/new",
                f"/rectification/progress/{entry_id}/file"):
        assert other.get(url).status_code == 403, url
    assert other.post(f"/rectification/{item_id}/ask-check").status_code == 403
    assert other.post(f"/rectification/{item_id}/progress/new",
                      data={"on": "2026-03-01", "done": "x", "percent": "10"}).status_code == 403
    assert "Long queues" not in other.get("/rectification/").get_data(as_text=True)
    assert other.get(f"/rectification/campaign/{world['campaign']}/target/{world['b']}/new").status_code == 403

    scoped = as_user("staff-x")
    assert scoped.get(f"/rectification/{item_id}").status_code == 403
    assert scoped.post(f"/rectification/{item_id}/check", data={"outcome": "closed"}).status_code == 403
    assert scoped.get(f"/rectification/campaign/{world['campaign']}").status_code == 403
    assert "Long queues" not in scoped.get("/rectification/").get_data(as_text=True)

    auditor = as_user("auditor")
    assert auditor.get(f"/rectification/{item_id}").status_code == 200
    assert auditor.get(f"/rectification/progress/{entry_id}/file").data == PDF
    assert "Long queues" in auditor.get("/rectification/").get_data(as_text=True)
    assert auditor.post(f"/rectification/{item_id}/check", data={"outcome": "closed"}).status_code == 403
    assert auditor.post(f"/rectification/progress/{entry_id}/review",
                        data={f"r{entry_id}-decision": "approved"}).status_code == 403
    assert auditor.post(f"/rectification/campaign/{world['campaign']}/public", data={"public": "y"}).status_code == 403

    public = app.test_client()
    assert public.get(f"/rectification/{item_id}").status_code == 302  # to the login
    assert public.get(f"/rectification/progress/{entry_id}/file").status_code == 302
    with app.app_context():
        item = db.session.get(RectificationItem, item_id)
        assert (item.status, [p.review for p in item.progress]) == ("open", ["pending"])
    own = as_user("leader-a")
    assert own.get(f"/rectification/{item_id}").status_code == 200
    assert "Long queues" in own.get("/rectification/").get_data(as_text=True)


def test_the_public_ledger_is_a_choice_per_campaign(app, world, make_item, as_user):
    make_item("a")
    make_item("b", approved=False, measures_en="An unapproved draft")
    public = app.test_client()
    public.set_cookie("lang", "en")
    assert public.get(f"/ledger/{world['code']}").status_code == 404  # not public by default
    assert world["code"] not in public.get("/ledger/").get_data(as_text=True)
    staff = as_user("staff")
    assert staff.post(f"/rectification/campaign/{world['campaign']}/public", data={"public": "y"}).status_code == 302
    page = public.get(f"/ledger/{world['code']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "A weekly open day" in text and "Being rectified" in text
    assert "An unapproved draft" not in text and "王副局长" not in text  # no draft, no responsible person
    assert "/rectification/progress/" not in text
    public.set_cookie("lang", "zh_CN")
    assert "每周接访日" in public.get(f"/ledger/{world['code']}").get_data(as_text=True)
    assert staff.post(f"/rectification/campaign/{world['campaign']}/public", data={}).status_code == 302
    assert public.get(f"/ledger/{world['code']}").status_code == 404
    assert _audit(app, f"campaign:{world['campaign']}").count("rectification.public") == 2


def test_the_report_and_the_dashboard_show_the_ledger(app, world, make_item, as_user):
    from survey_app.models import RectificationItem
    from survey_app.rectification import operations
    overdue = make_item("a", deadline=date(2020, 1, 1), measures_en="Late measure")
    make_item("a", measures_en="Draft measure", approved=False)
    closed = make_item("b", measures_en="Closed measure")
    with app.app_context():
        item = db.session.get(RectificationItem, closed)
        item.status = "closed"  # as a closing check leaves it (the check itself: test_the_cycle_as_staff_and_leader)
        db.session.commit()
        assert operations.counts(world["campaign"], date(2026, 12, 7)) == {
            world["a"]: {"open": 2, "overdue": 1, "closed": 0, "all": 2},
            world["b"]: {"open": 0, "overdue": 0, "closed": 1, "all": 1}}
    staff = as_user("staff")
    staff.set_cookie("lang", "en")
    dashboard = staff.get(f"/reports/{world['campaign']}/dashboard").get_data(as_text=True)
    assert "Rectification ledger" in dashboard and 'class="alert-text">1<' in dashboard
    report = staff.get(f"/reports/{world['campaign']}/targets/{world['a']}").get_data(as_text=True)
    assert "Late measure" in report and "Past its deadline" in report and "Draft measure" not in report
    assert "Closed measure" not in report  # another target's
    board = staff.get("/rectification/?flag=overdue").get_data(as_text=True)
    assert "Late measure" not in board  # the board lists problems, not measures
    assert board.count('class="flagged"') == 1
    with app.app_context():
        assert operations.flags(db.session.get(RectificationItem, overdue), date(2020, 1, 2)) == ("overdue",)
