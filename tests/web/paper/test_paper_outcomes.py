"""Blank, invalid and spoiled sheets count in turnout and never in scores; the reconciliation
figures; printing numbered sheets as a PDF with Chinese glyphs embedded."""
import io
import subprocess

import pytest
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Ballot, Campaign, InboxEnvelope, PaperBatch, PaperSheet, RespondentGroup, TurnoutDay
from survey_app.paper import reconcile, sheets


def key_twice(as_user, cid, number, data, spoiled=False):
    for username in ("clerk", "clerk2"):
        payload = {**data, **({"spoiled": "y"} if spoiled else {})}
        response = as_user(username).post(f"/paper/{cid}/sheets/{number}", data=payload)
        assert response.status_code == 302, response.get_data(as_text=True)


def status_of(app, number):
    with app.app_context():
        return db.session.execute(select(PaperSheet.status).where(PaperSheet.number == number)).scalar_one()


def half_blank(rows, blank_share):
    """Rows where the first `blank_share` of each target row is blank."""
    data = rows("A")
    for key, value in data.items():
        if key != "r._":
            n = round(len(value) * blank_share)
            data[key] = "-" * n + value[n:]
    return data


def test_blank_invalid_spoiled_count_in_turnout_never_in_scores(app, paper_campaign, batch, clerks, as_user,
                                                               rows, count_rows):
    key_twice(as_user, paper_campaign, batch[0], rows("A"))                          # a ballot
    key_twice(as_user, paper_campaign, batch[1], {k: "-" * len(v) for k, v in rows().items()})  # blank
    key_twice(as_user, paper_campaign, batch[2], half_blank(rows, 0.75))             # invalid (> 50% blank)
    key_twice(as_user, paper_campaign, batch[3], rows("C"), spoiled=True)            # spoiled
    key_twice(as_user, paper_campaign, batch[4], half_blank(rows, 0.5))              # exactly half: valid
    assert [status_of(app, n) for n in batch[:5]] == ["ballot", "blank", "invalid", "spoiled", "ballot"]
    assert count_rows(InboxEnvelope) == 2
    with app.app_context():
        assert db.session.execute(select(func.sum(TurnoutDay.count))).scalar_one() == 5
        from tests.web.helpers import close_and_count
        assert close_and_count(db.session.get(Campaign, paper_campaign)) == 2
    # the spoiled sheet was keyed all "C" (dissatisfied): had it counted, some option C would exist
    assert count_rows(Ballot) == 2
    from survey_app.results.adapter import long_answers
    with app.app_context():
        options = {option for _b, target, _i, option in long_answers(db.session.get(Campaign, paper_campaign))
                   if target is not None}
    assert options == {"A"}


def test_the_commission_sets_the_invalid_rule(app, paper_campaign, batch, clerks, as_user, rows, users):
    staff = as_user("staff")
    assert staff.post(f"/paper/{paper_campaign}/rules", data={"max_blank_percent": "80"}).status_code == 302
    key_twice(as_user, paper_campaign, batch[0], half_blank(rows, 0.75))
    assert status_of(app, batch[0]) == "ballot"
    assert staff.post(f"/paper/{paper_campaign}/rules", data={"max_blank_percent": "200"}).status_code == 400
    assert as_user("clerk").post(f"/paper/{paper_campaign}/rules",
                                 data={"max_blank_percent": "10"}).status_code == 403


def test_reconciliation_figures(app, paper_campaign, batch, clerks, as_user, rows):
    key_twice(as_user, paper_campaign, batch[0], rows("A"))
    key_twice(as_user, paper_campaign, batch[1], {k: "-" * len(v) for k, v in rows().items()})
    key_twice(as_user, paper_campaign, batch[2], rows("B"), spoiled=True)
    as_user("clerk").post(f"/paper/{paper_campaign}/sheets/{batch[3]}", data=rows("A"))
    as_user("clerk2").post(f"/paper/{paper_campaign}/sheets/{batch[3]}", data=rows("B"))   # mismatch
    as_user("clerk").post(f"/paper/{paper_campaign}/sheets/{batch[4]}", data=rows("A"))    # entered once
    admin = as_user("admin")
    assert admin.post(f"/paper/{paper_campaign}/check/{batch[3]}", data=rows("B")).status_code == 302
    with app.app_context():
        campaign = db.session.get(Campaign, paper_campaign)
        [hall] = [r for r in reconcile.reconciliation(campaign) if r.group.code == "hall"]
    assert (hall.printed, hall.returned, hall.not_returned, hall.entered_once, hall.entered_twice) == (10, 5, 5, 1, 4)
    assert (hall.matched, hall.third_checked, hall.awaiting_check) == (3, 1, 0)
    assert (hall.ballots, hall.blank, hall.spoiled, hall.invalid) == (2, 1, 1, 0)
    page = as_user("auditor").get(f"/paper/{paper_campaign}/reconciliation")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    row = html.split('data-group="hall"')[1].split("</tr>")[0]
    assert 'data-field="printed">10<' in row and 'data-field="third_checked">1<' in row
    assert as_user("clerk").get(f"/paper/{paper_campaign}/reconciliation").status_code == 403


def test_printing_counts_toward_turnout_without_adding_to_the_expected_number(app, paper_campaign, users, as_user,
                                                                              count_rows):
    staff = as_user("staff")
    with app.app_context():
        group_id = db.session.get(Campaign, paper_campaign).group("hall").id
    response = staff.post(f"/paper/{paper_campaign}/print", data={"group": group_id, "count": "7"})
    assert response.status_code == 302
    response = staff.post(f"/paper/{paper_campaign}/print", data={"group": group_id, "count": "3"})
    assert count_rows(PaperSheet) == 10
    with app.app_context():
        assert db.session.get(RespondentGroup, group_id).expected == 0  # sheets reach people; they add none
        numbers = list(db.session.execute(select(PaperSheet.number).order_by(PaperSheet.number)).scalars())
    assert numbers == list(range(1, 11))
    hall = {g["code"]: g for g in staff.get(f"/admin/campaigns/{paper_campaign}/turnout.json").get_json()["groups"]}
    assert (hall["hall"]["expected"], hall["hall"]["expected_basis"]) == (10, "issued")
    assert staff.post(f"/paper/{paper_campaign}/print", data={"group": group_id, "count": "0"}).status_code == 400
    assert as_user("clerk").post(f"/paper/{paper_campaign}/print",
                                 data={"group": group_id, "count": "5"}).status_code == 403
    assert count_rows(PaperSheet) == 10


@pytest.mark.parametrize("backend", ["sqlite"], indirect=False)
def test_sheets_pdf_has_chinese_glyphs_and_numbers(app, paper_campaign, users, as_user, tmp_path):
    from pypdf import PdfReader
    staff = as_user("staff")
    with app.app_context():
        group_id = db.session.get(Campaign, paper_campaign).group("hall").id
    staff.post(f"/paper/{paper_campaign}/print", data={"group": group_id, "count": "2"})
    with app.app_context():
        batch_id = db.session.execute(select(PaperBatch.id)).scalar_one()
    response = staff.post(f"/paper/{paper_campaign}/batches/{batch_id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "测评票" in text and "满意" in text and "单位1" in text
    assert sheets.sheet_label(1) in text and sheets.sheet_label(2) in text
    assert "Paper ballot" in text
    path = tmp_path / "sheets.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk)
    # nothing on the sheet names who receives it, and a second download is audited
    from survey_app.models import AuditEntry
    staff.post(f"/paper/{paper_campaign}/batches/{batch_id}/pdf")
    with app.app_context():
        actions = list(db.session.execute(select(AuditEntry.action)).scalars())
    assert actions.count("paper.reprint") == 1 and actions.count("paper.print") == 1


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_pages_render_for_each_role(app, paper_campaign, batch, clerks, as_user, rows, lang):
    as_user("clerk").post(f"/paper/{paper_campaign}/sheets/{batch[0]}", data=rows("A"))
    as_user("clerk2").post(f"/paper/{paper_campaign}/sheets/{batch[0]}", data=rows("B"))
    for username in ("admin", "staff", "clerk3"):
        client = as_user(username)
        client.get(f"/language/{lang}")
        for url in ("/paper/", f"/paper/{paper_campaign}", f"/paper/{paper_campaign}/enter",
                    f"/paper/{paper_campaign}/sheets/{batch[1]}"):
            response = client.get(url)
            assert response.status_code == 200, (username, url)
            assert "<script>" not in response.get_data(as_text=True) and 'style="' not in response.get_data(as_text=True)
        page = client.get(f"/paper/{paper_campaign}").get_data(as_text=True)
        link = f"/paper/{paper_campaign}/check/{batch[0]}"
        assert (link in page) == (username != "clerk3")
    admin = as_user("admin")
    assert admin.get(f"/paper/{paper_campaign}/check/{batch[0]}").status_code == 200
    assert admin.get(f"/paper/{paper_campaign}/import").status_code == 200
    assert admin.get(f"/paper/{paper_campaign}/reconciliation").status_code == 200
