"""The operations of commitments: the approval states, statuses with reasons, progress with its
checked attachment and review, every change in the audit log; and the overdue and stale flags
computed for a fixed day."""
from datetime import date, timedelta

import pytest

from survey_app.commitments import operations
from survey_app.commitments.operations import CommitmentError
from survey_app.extensions import db
from survey_app.models import AuditEntry, Commitment, ProgressEntry

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def actions(subject_prefix="commitment") -> list[str]:
    return [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)
            if e.subject.startswith(subject_prefix)]


def test_a_draft_goes_through_submission_and_publication(app, make_commitment):
    cid = make_commitment(state="draft")
    with app.app_context():
        c = db.session.get(Commitment, cid)
        with pytest.raises(CommitmentError):
            operations.set_status(c, "kept", "", "staff")  # no status before publication
        operations.submit_commitment(c, "leader-a")
        with pytest.raises(CommitmentError):
            operations.submit_commitment(c, "leader-a")
        operations.send_back(c, "name the five sites", "staff")
        assert c.state == "draft" and c.staff_note == "name the five sites"
        operations.submit_commitment(c, "leader-a")
        operations.publish_commitment(c, "staff")
        assert c.state == "published" and c.published_at is not None and c.staff_note == ""
        assert actions() == ["commitment.create", "commitment.submit", "commitment.send_back",
                             "commitment.submit", "commitment.publish"]


#: (status, reason, accepted) in the order they are tried on one commitment
STATUS_CHANGES = [
    ("in_progress", "", False),  # unchanged
    ("stalled", "", False), ("stalled", "land not yet allotted", True),
    ("broken", "", False), ("withdrawn", "   ", False), ("abandoned", "x", False),
    ("withdrawn", "merged into another", True), ("kept", "", True),
]


def test_status_changes_need_a_reason_where_the_public_wants_one(app, commitment_id):
    with app.app_context():
        previous = "in_progress"
        for status, reason, ok in STATUS_CHANGES:
            c = db.session.get(Commitment, commitment_id)
            if ok:
                operations.set_status(c, status, reason, "staff")
                assert (c.status, c.status_reason) == (status, reason.strip())
                entry = db.session.query(AuditEntry).filter_by(action="commitment.status") \
                    .order_by(AuditEntry.id.desc()).first()
                assert entry.details == {"previous": previous, "status": status, "reason": reason.strip()}
                previous = status
            else:
                n = len(actions())
                with pytest.raises(CommitmentError):
                    operations.set_status(c, status, reason, "staff")
                db.session.rollback()
                assert db.session.get(Commitment, commitment_id).status == previous and len(actions()) == n


def test_progress_waits_for_review_and_keeps_its_attachment(app, commitment_id):
    with app.app_context():
        c = db.session.get(Commitment, commitment_id)
        entry = operations.add_progress(c, on=date(2026, 3, 1), done="选址完成", actor="leader-a", percent=20,
                                        evidence="发改委批复", attachment=PDF, filename="批复.pdf")
        assert entry.review == "pending" and entry.attachment_type == "pdf" and c.public_progress == []
        with pytest.raises(CommitmentError):
            operations.review_progress(entry, "rejected", "", "staff")  # a rejection says why
        operations.review_progress(entry, "approved", "", "staff")
        assert c.public_progress == [entry] and entry.reviewed_by == "staff"
        assert actions("progress") == ["progress.add", "progress.review"]


BAD_FILES = [
    (b"GIF89a" + b"\x00" * 20, "PDF, PNG or JPEG"),
    (b"<html><script>alert(1)</script>", "PDF, PNG or JPEG"),
    (b"%PDF-" + b"\x00" * 2000, "larger than"),
]


def test_a_wrong_or_too_big_attachment_is_refused_and_nothing_is_stored(app, commitment_id):
    with app.app_context():
        for data, message in BAD_FILES:
            c = db.session.get(Commitment, commitment_id)
            with pytest.raises(CommitmentError) as caught:
                operations.add_progress(c, on=date(2026, 3, 1), done="x", actor="leader-a", percent=10,
                                        attachment=data, filename="evidence.pdf", max_bytes=1024)
            assert message in str(caught.value)
            db.session.rollback()
            assert db.session.query(ProgressEntry).count() == 0
            assert actions("progress") == []


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_the_attachment_check_names_the_problem(data, message):
    with pytest.raises(CommitmentError, match=message):
        operations.attachment_type(data, 1024)


@pytest.mark.parametrize("data", [PDF, PNG, JPEG])
def test_the_type_is_told_by_the_first_bytes(data):
    assert operations.attachment_type(data, 1024) in ("pdf", "png", "jpeg")


def test_progress_needs_words_and_a_measure(app, commitment_id):
    with app.app_context():
        for fields, message in [({"done": "  "}, "what was done"), ({"percent": 101}, "between 0 and 100"),
                                ({"percent": None, "milestone": ""}, "percentage or a milestone")]:
            values = {"on": date(2026, 3, 1), "done": "done", "actor": "staff", "percent": 50, **fields}
            with pytest.raises(CommitmentError, match=message):
                operations.add_progress(db.session.get(Commitment, commitment_id), **values)
        assert db.session.query(ProgressEntry).count() == 0


def test_no_progress_on_a_draft_or_a_settled_commitment(app, make_commitment):
    draft, kept = make_commitment(state="draft"), make_commitment()
    with app.app_context():
        operations.set_status(db.session.get(Commitment, kept), "kept", "", "staff")
        for cid in (draft, kept):
            with pytest.raises(CommitmentError):
                operations.add_progress(db.session.get(Commitment, cid), on=date(2026, 3, 1), done="x",
                                        actor="staff", percent=5)


DEADLINE = date(2026, 6, 30)


@pytest.mark.parametrize(("today", "status", "state", "last", "expected"), [
    (date(2026, 3, 1), "in_progress", "published", date(2026, 2, 1), ()),
    (date(2026, 7, 1), "in_progress", "published", date(2026, 6, 1), ("overdue",)),
    (DEADLINE, "in_progress", "published", date(2026, 6, 1), ()),  # the deadline's own day is not past it
    (date(2026, 5, 3), "in_progress", "published", date(2026, 2, 1), ("stale",)),  # 91 days
    (date(2026, 5, 2), "in_progress", "published", date(2026, 2, 1), ()),  # 90 days: not more than 90
    (date(2026, 5, 3), "in_progress", "published", None, ("stale",)),  # counted from the announcement
    (date(2026, 9, 1), "stalled", "published", date(2026, 2, 1), ("overdue", "stale")),
    (date(2026, 9, 1), "kept", "published", date(2026, 2, 1), ()),
    (date(2026, 9, 1), "withdrawn", "published", None, ()),
    (date(2026, 9, 1), "in_progress", "draft", None, ()),
])
def test_flags_for_a_fixed_day(today, status, state, last, expected):
    assert operations.flags_for(status=status, state=state, deadline=DEADLINE, last_progress=last,
                                since=date(2026, 2, 1), today=today, stale_days=90) == expected


def test_only_reviewed_progress_keeps_a_commitment_fresh(app, make_commitment):
    cid = make_commitment(announced_on=date(2026, 1, 1), deadline=date(2027, 1, 1))
    today = date(2026, 6, 1)
    with app.app_context():
        c = db.session.get(Commitment, cid)
        assert operations.flags(c, today, 90) == ("stale",)
        entry = operations.add_progress(c, on=today - timedelta(days=10), done="x", actor="leader-a", percent=40)
        assert operations.flags(c, today, 90) == ("stale",)  # pending: the public has not seen it
        operations.review_progress(entry, "approved", "", "staff")
        assert operations.flags(c, today, 90) == ()
        assert operations.flags(c, today, 5) == ("stale",)  # the setting decides
