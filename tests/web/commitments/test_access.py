"""Who reaches which commitment, through the one policy: a leader enters drafts and progress for
their own target only and sees nobody else's; staff in scope approve, review and set statuses;
auditors read; the public sees only what is published and reviewed."""
from datetime import date

from survey_app.commitments import operations
from survey_app.extensions import db
from survey_app.models import AuditEntry, Commitment, ProgressEntry

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FORM = {"text_zh": "修缮老旧小区20个", "text_en": "Renovate 20 old estates", "measure_zh": "20个",
        "deadline": "2026-12-31", "announced_on": "2026-01-10", "announced_where": "电视问政", "category": "livelihood"}


def test_a_leader_enters_a_draft_for_their_own_target_and_staff_publish_it(app, people, as_user):
    leader = as_user("leader-a")
    # another leader's target is not among the choices: refused beside the field, nothing stored
    assert leader.post("/commitments/new", data={**FORM, "target": people["lb"]}).status_code == 400
    with app.app_context():
        assert db.session.query(Commitment).count() == 0
    response = leader.post("/commitments/new", data={**FORM, "target": people["la"]})
    assert response.status_code == 302
    cid = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert leader.post(f"/commitments/{cid}/publish").status_code == 403  # only staff approve
    assert leader.post(f"/commitments/{cid}/submit").status_code == 302
    # submitted: the leader no longer edits it
    assert leader.post(f"/commitments/{cid}/edit", data={**FORM, "text_zh": "改"}).status_code == 403
    assert app.test_client().get("/promises/la").status_code == 404  # nothing published yet
    staff = as_user("staff")
    assert staff.post(f"/commitments/{cid}/publish").status_code == 302
    page = app.test_client().get("/promises/la")
    assert page.status_code == 200 and "Renovate 20 old estates" in page.get_data(as_text=True)
    with app.app_context():
        assert [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)
                if e.subject == f"commitment:{cid}"] == ["commitment.create", "commitment.submit",
                                                         "commitment.publish"]
        assert db.session.get(Commitment, cid).created_by == "leader-a"


def test_leader_b_neither_sees_nor_touches_leader_a(app, people, make_commitment, as_user):
    published, draft = make_commitment("la"), make_commitment("la", state="draft")
    other = as_user("leader-b")
    for cid in (published, draft):
        assert other.get(f"/commitments/{cid}").status_code == 403
        assert other.get(f"/commitments/{cid}/edit").status_code == 403
        assert other.post(f"/commitments/{cid}/submit").status_code == 403
        assert other.post(f"/commitments/{cid}/progress/new",
                          data={"on": "2026-03-01", "done": "x", "percent": "10"}).status_code == 403
    board = other.get("/commitments/").get_data(as_text=True)
    assert "Build five nurseries" not in board
    own = as_user("leader-a").get("/commitments/").get_data(as_text=True)
    assert own.count("Build five nurseries") == 2


def test_staff_in_scope_only_and_auditors_read_only(app, people, make_commitment, as_user):
    la, lb = make_commitment("la"), make_commitment("lb", text_en="Clean the river")
    scoped = as_user("staff-a")
    assert scoped.get(f"/commitments/{la}").status_code == 200
    assert scoped.get(f"/commitments/{lb}").status_code == 403
    assert scoped.post(f"/commitments/{lb}/status", data={"status": "kept"}).status_code == 403
    assert "Clean the river" not in scoped.get("/commitments/").get_data(as_text=True)
    auditor = as_user("auditor")
    assert auditor.get(f"/commitments/{lb}").status_code == 200
    assert "Clean the river" in auditor.get("/commitments/").get_data(as_text=True)
    assert auditor.post(f"/commitments/{lb}/status", data={"status": "kept"}).status_code == 403
    assert auditor.post("/commitments/new", data={**FORM, "target": people["la"]}).status_code == 403
    with app.app_context():
        assert db.session.get(Commitment, lb).status == "in_progress"


def test_the_public_sees_only_reviewed_progress_and_its_files(app, people, commitment_id, as_user):
    leader = as_user("leader-a")
    response = leader.post(f"/commitments/{commitment_id}/progress/new", data={
        "on": "2026-03-01", "done": "三所幼儿园完成选址", "percent": "30", "evidence": "规划许可",
        "attachment": (__import__("io").BytesIO(PDF), "permit.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        entry_id = db.session.query(ProgressEntry.id).scalar()
    public = app.test_client()
    assert "三所幼儿园完成选址" not in public.get("/promises/la").get_data(as_text=True)
    assert public.get(f"/promises/evidence/{entry_id}").status_code == 404
    assert leader.get(f"/commitments/progress/{entry_id}/file").data == PDF  # the author sees the pending file
    assert as_user("leader-b").get(f"/commitments/progress/{entry_id}/file").status_code == 403
    assert leader.post(f"/commitments/progress/{entry_id}/review",
                       data={f"r{entry_id}-decision": "approved"}).status_code == 403
    staff = as_user("staff")
    assert staff.post(f"/commitments/progress/{entry_id}/review",
                      data={f"r{entry_id}-decision": "rejected", f"r{entry_id}-note": ""}).status_code == 400
    assert staff.post(f"/commitments/progress/{entry_id}/review",
                      data={f"r{entry_id}-decision": "approved"}).status_code == 302
    page = public.get("/promises/la").get_data(as_text=True)
    assert "三所幼儿园完成选址" in page and "30%" in page
    download = public.get(f"/promises/evidence/{entry_id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"


def test_an_upload_of_the_wrong_kind_or_size_is_refused_beside_the_field(app, people, commitment_id, as_user):
    import io
    app.config["COMMITMENT_ATTACHMENT_MAX"] = 1024
    leader = as_user("leader-a")
    for data, name, message in [(b"MZ\x90\x00 not a pdf", "evidence.pdf", "none of them"),
                                (b"%PDF-" + b"0" * 4096, "big.pdf", "larger than"),
                                (PDF, "evidence.exe", "A PDF, PNG or JPEG file, please.")]:
        response = leader.post(f"/commitments/{commitment_id}/progress/new", data={
            "on": "2026-03-01", "done": "x", "percent": "10", "attachment": (io.BytesIO(data), name)},
            content_type="multipart/form-data")
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(ProgressEntry).count() == 0
        assert db.session.query(AuditEntry).filter_by(action="progress.add").count() == 0


def test_status_and_review_need_reasons_on_the_page(app, people, commitment_id, as_user):
    staff = as_user("staff")
    response = staff.post(f"/commitments/{commitment_id}/status", data={"status": "broken", "reason": ""})
    assert response.status_code == 400 and "Say why" in response.get_data(as_text=True)
    response = staff.post(f"/commitments/{commitment_id}/status",
                          data={"status": "broken", "reason": "funds were cut"})
    assert response.status_code == 302
    page = app.test_client().get("/promises/la").get_data(as_text=True)
    assert "Broken" in page and "funds were cut" in page
    with app.app_context():
        commitment = db.session.get(Commitment, commitment_id)
        assert operations.flags(commitment, date(2030, 1, 1), 90) == ()  # settled: no more flags


def test_a_commitment_sent_back_tells_its_author_what_to_change(app, people, make_commitment, as_user):
    cid = make_commitment("la", state="submitted")
    assert as_user("leader-a").post(f"/commitments/{cid}/send-back", data={"note": "x"}).status_code == 403
    staff = as_user("staff")
    assert staff.post(f"/commitments/{cid}/send-back", data={"note": "Name the five sites."}).status_code == 302
    page = as_user("leader-a").get(f"/commitments/{cid}").get_data(as_text=True)
    assert "Sent back by the commission: Name the five sites." in page
    assert as_user("leader-b").get(f"/commitments/{cid}").status_code == 403
    assert staff.post(f"/commitments/{cid}/send-back", data={"note": "again"}).status_code == 409  # a draft now
