"""Turnout never counts a person twice: a group's expected number is its people, however they
answer; codes issued and sheets printed stand for it only where no number is set."""
import pytest

from survey_app.extensions import db
from survey_app.models import Campaign, RespondentGroup

from tests.web.helpers import issue_codes, submit_ballot


def group_ids(app, cid):
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        return {g.code: g.id for g in campaign.groups}


def set_expected(staff, cid, group_id, expected, app):
    with app.app_context():
        group = db.session.get(RespondentGroup, group_id)
        data = {"name_zh": group.name_zh, "name_en": group.name_en, "weight": group.weight, "expected": expected}
    response = staff.post(f"/admin/campaigns/{cid}/groups/{group_id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]


def rows_of(staff, cid):
    return {g["code"]: g for g in staff.get(f"/admin/campaigns/{cid}/turnout.json").get_json()["groups"]}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_codes_links_and_paper_each_count_once(app, paper_campaign, clerks, as_user, rows, full_answers):
    cid = paper_campaign
    ids = group_ids(app, cid)
    staff = as_user("staff")
    # the hall group: 40 deputies; 87 codes issued (spares included) and 10 sheets printed reach the same people
    set_expected(staff, cid, ids["hall"], 40, app)
    codes = issue_codes(app, cid, "hall", 87)
    assert staff.post(f"/paper/{cid}/print", data={"group": ids["hall"], "count": "10"}).status_code == 302
    data = full_answers(app, cid, "hall")
    for code in codes[:3]:
        assert submit_ballot(app.test_client(), data, code=code).status_code == 302
    for clerk in ("clerk", "clerk2"):
        assert as_user(clerk).post(f"/paper/{cid}/sheets/1", data=rows("A")).status_code == 302
    # the public: no number set, so no rate; two ballots come in through the link
    with app.app_context():
        token = db.session.get(Campaign, cid).group("public").public_token
    public = full_answers(app, cid, "public")
    for _ in range(2):
        assert submit_ballot(app.test_client(), public, token=token).status_code == 302

    turnout = rows_of(staff, cid)
    assert turnout["hall"]["received"] == 4 and turnout["hall"]["expected"] == 40  # not 40 + 87 + 10
    assert turnout["hall"]["expected_basis"] == "set"
    assert turnout["public"]["received"] == 2 and turnout["public"]["expected"] == 0
    assert turnout["public"]["expected_basis"] is None
    page = staff.get(f"/admin/campaigns/{cid}").get_data(as_text=True)
    hall_row = page.split('data-group="hall"')[1].split("</tr>")[0]
    assert 'data-basis="set">40<' in hall_row and "10.0%" in hall_row

    # once the public's number is set, its rate is ballots over it
    set_expected(staff, cid, ids["public"], 50, app)
    assert rows_of(staff, cid)["public"]["expected"] == 50
    page = staff.get(f"/admin/campaigns/{cid}").get_data(as_text=True)
    assert "4.0%" in page.split('data-group="public"')[1].split("</tr>")[0]

    # without a number, what could come in stands for the people: codes still valid plus sheets printed
    set_expected(staff, cid, ids["hall"], 0, app)
    hall = rows_of(staff, cid)["hall"]
    assert hall["expected"] == 87 + 10 and hall["expected_basis"] == "issued"
    assert as_user("staff").post(f"/admin/campaigns/{cid}/codes/revoke",
                                 data={"group": ids["hall"], "confirm": "y"}).status_code == 302
    assert rows_of(staff, cid)["hall"]["expected"] == 3 + 10  # the used codes and the sheets
