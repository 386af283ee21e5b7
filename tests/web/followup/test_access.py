"""Who reaches a case, through the one policy: staff in scope act, auditors read, a leader reads and
answers their own target's case only; nothing is public. Bad input is refused and changes nothing."""
import io
import re
from datetime import date

import pytest

from survey_app.extensions import db

PDF = b"%PDF-1.4\n%%EOF\n"


def _steps(app):
    from survey_app.models import CaseStep
    with app.app_context():
        return db.session.query(CaseStep).count()


def test_nothing_of_a_case_is_public(app, client, cases):
    for path in ("/cases/", f"/cases/{cases[0]}", "/cases/new"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post(f"/cases/{cases[0]}/measure").status_code in (302, 400)
    assert _steps(app) == 0


#: per account: the board's status, the warning case's (leader-1's own), the prevention case's, the cases listed
WHO = [("staff", 200, 200, 200, {0, 1}), ("auditor", 200, 200, 200, {0, 1}), ("admin", 200, 200, 200, {0, 1}),
       ("leader-1", 200, 200, 403, {0}), ("staff-other", 200, 403, 403, set()), ("clerk", 403, 403, 403, None),
       ("officer", 403, 403, 403, None)]


def test_who_reads_which_case(app, as_user, people, cases):
    for username, board, own, other, listed in WHO:
        client = as_user(username)
        page = client.get("/cases/")
        assert (page.status_code, client.get(f"/cases/{cases[0]}").status_code,
                client.get(f"/cases/{cases[1]}").status_code) == (board, own, other), username
        if listed is not None:
            shown = set(re.findall(r'/cases/(\d+)"', page.get_data(as_text=True)))
            assert shown == {str(cases[i]) for i in listed}, username


def test_staff_record_measures_and_the_leader_answers(app, as_user, people, cases):
    staff, leader, auditor = as_user("staff"), as_user("leader-1"), as_user("auditor")
    url = f"/cases/{cases[0]}"
    form = {"m-kind": "letter", "m-on": "2026-11-06", "m-held_by": "市纪委监委", "m-text": "请说明不满意率较高的原因",
            "m-attachment": (io.BytesIO(PDF), "letter.pdf")}
    response = staff.post(url + "/measure", data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    # neither the auditor nor the leader records a measure; staff do not answer in the leader's place
    assert auditor.post(url + "/measure", data={**form, "m-attachment": (io.BytesIO(PDF), "x.pdf")},
                        content_type="multipart/form-data").status_code == 403
    assert leader.post(url + "/measure", data={"m-kind": "letter"}).status_code == 403
    assert staff.post(url + "/answer", data={"a-kind": "self_correction"}).status_code == 403
    assert as_user("leader-2").post(url + "/answer", data={"a-kind": "self_correction"}).status_code == 403
    page = leader.get(url).get_data(as_text=True)
    letter_id = re.search(r'<option value="([1-9]\d*)">', page.split('name="a-letter"')[1]).group(1)
    answered = leader.post(url + "/answer", data={"a-kind": "reply", "a-letter": letter_id, "a-on": "2026-11-10",
                                                  "a-text": "已组织自查，说明如下"})
    assert answered.status_code == 302, re.findall(r"class=\"error\"[^>]*>([^<]*)", answered.get_data(as_text=True))
    file = auditor.get(f"/cases/steps/{_first_step(app, cases[0])}/file")
    assert file.status_code == 200 and file.data == PDF
    assert as_user("leader-2").get(f"/cases/steps/{_first_step(app, cases[0])}/file").status_code == 403
    closed = staff.post(url + "/close", data={"c-outcome": "corrected", "c-note": "已整改"})
    assert closed.status_code == 302
    assert "已整改" in auditor.get(url).get_data(as_text=True)


def _first_step(app, case_id):
    from survey_app.models import AlertCase
    with app.app_context():
        return db.session.get(AlertCase, case_id).steps[0].id


BAD_MEASURES = [
    {"m-kind": "admonishing_talk", "m-on": "2026-11-06", "m-held_by": "王书记", "m-text": "x"},   # no place
    {"m-kind": "letter", "m-on": "not a date", "m-text": "x"},
    {"m-kind": "letter", "m-on": "1900-01-01", "m-text": "x"},
    {"m-kind": "hearing", "m-on": "2026-11-06", "m-text": "x"},
    {"m-kind": "reminder_talk", "m-on": "2026-11-06", "m-held_by": "王", "m-attachment": (io.BytesIO(b"GIF89a"), "a.pdf")},
    {"m-kind": "reminder_talk", "m-on": "2026-11-06", "m-held_by": "王" * 300},
]


def test_bad_measures_get_a_clear_error_and_change_nothing(app, as_user, people, cases):
    staff = as_user("staff")
    for data in BAD_MEASURES:
        data = {k: (io.BytesIO(v[0].getvalue()), v[1]) if isinstance(v, tuple) else v for k, v in data.items()}
        response = staff.post(f"/cases/{cases[0]}/measure", data=data, content_type="multipart/form-data")
        assert response.status_code == 400, data
        assert 'class="error"' in response.get_data(as_text=True), data
    assert _steps(app) == 0


def test_a_reply_names_a_letter_and_the_case_by_hand_a_confirmation(app, as_user, people, cases):
    leader = as_user("leader-1")
    response = leader.post(f"/cases/{cases[0]}/answer", data={"a-kind": "reply", "a-letter": "0",
                                                               "a-on": "2026-11-10", "a-text": "x"})
    assert response.status_code == 400 and _steps(app) == 0
    staff = as_user("staff")
    form = {"target": str(people["targets"][2]), "level": "prevention", "note": "满意度连续两年下降"}
    assert staff.post("/cases/new", data=form).status_code == 400
    created = staff.post("/cases/new", data={**form, "names_no_informant": "y"})
    assert created.status_code == 302
    # a scoped account opens no case for a target outside its campaigns
    assert as_user("staff-other").post("/cases/new", data={**form, "names_no_informant": "y"}).status_code == 400


def test_the_board_flags_an_overdue_reply(app, as_user, people, cases, monkeypatch):
    from survey_app.followup import operations
    from survey_app.models import AlertCase
    with app.app_context():
        operations.add_step(db.session.get(AlertCase, cases[0]), "letter", on=date(2026, 11, 6), actor="staff",
                            text="请说明")
    monkeypatch.setattr(operations, "today", lambda: date(2026, 11, 23))
    page = as_user("staff").get("/cases/?show=overdue").get_data(as_text=True)
    assert f"/cases/{cases[0]}\"" in page and f"/cases/{cases[1]}\"" not in page and "flag-overdue" in page
    monkeypatch.setattr(operations, "today", lambda: date(2026, 11, 20))
    assert "flag-overdue" not in as_user("staff").get("/cases/?show=overdue").get_data(as_text=True)
