"""Blind double entry: matching entries make exactly one envelope, mismatches wait for a third
check by someone else, nobody sees the other clerk's entry, a sheet is keyed once per clerk."""
import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Campaign, InboxEnvelope, PaperEntry, PaperSheet, TurnoutDay
from survey_app.paper import admission, entry, letters, sheets

from tests.web.helpers import PASSPHRASE

MARKER = "only-clerk-one-typed-this"


def sheet_url(cid, number):
    return f"/paper/{cid}/sheets/{number}"


def enter(client, cid, number, data):
    return client.post(sheet_url(cid, number), data=data)


def sheet_state(app, cid, number):
    with app.app_context():
        sheet = db.session.execute(select(PaperSheet).where(
            PaperSheet.campaign_id == cid, PaperSheet.number == number)).scalar_one()
        return sheet.status, sheet.third_checked, [(e.digest, e.content) for e in sheet.entries]


def turnout(app, cid):
    with app.app_context():
        return sum(db.session.execute(select(TurnoutDay.count).where(TurnoutDay.campaign_id == cid)).scalars())


def test_matching_entries_make_exactly_one_envelope(app, paper_campaign, batch, clerks, as_user, rows,
                                                    count_rows):
    number = batch[0]
    first = enter(as_user("clerk"), paper_campaign, number, rows("A"))
    assert first.status_code == 302
    assert count_rows(InboxEnvelope) == 0 and sheet_state(app, paper_campaign, number)[0] == "entered"
    second = enter(as_user("clerk2"), paper_campaign, number, rows("A"))
    assert second.status_code == 302
    assert count_rows(InboxEnvelope) == 1
    status, checked, entries = sheet_state(app, paper_campaign, number)
    assert status == "ballot" and not checked
    # the entries' answers are gone once the sheet is a ballot
    assert entries == [(None, None), (None, None)]
    assert turnout(app, paper_campaign) == 1
    # nobody can make the sheet a second ballot: not a third clerk, not the staff, not clerk one again
    for username in ("clerk3", "staff", "clerk"):
        again = enter(as_user(username), paper_campaign, number, rows("A"))
        assert again.status_code == 409, username
    with app.app_context():
        sheet = db.session.execute(select(PaperSheet).where(PaperSheet.number == number)).scalar_one()
        campaign = db.session.get(Campaign, paper_campaign)
        with pytest.raises(admission.PaperRefused):
            entry._resolve(sheet, campaign, letters.Keyed(rows=rows("A")), from_states=("entered", "mismatch"))
        db.session.rollback()
    assert count_rows(InboxEnvelope) == 1 and turnout(app, paper_campaign) == 1


def test_same_clerk_cannot_enter_a_sheet_twice(app, paper_campaign, batch, clerks, as_user, rows, count_rows):
    client = as_user("clerk")
    assert enter(client, paper_campaign, batch[0], rows("A")).status_code == 302
    again = enter(client, paper_campaign, batch[0], rows("A"))
    assert again.status_code == 409
    assert "second clerk" in again.get_data(as_text=True) or "第二" in again.get_data(as_text=True)
    # the sheet-number form refuses too, beside the field
    by_number = client.post(f"/paper/{paper_campaign}/enter", data={"number": sheets.sheet_label(batch[0])})
    assert by_number.status_code == 409 and 'class="error"' in by_number.get_data(as_text=True)
    assert count_rows(PaperEntry) == 1 and count_rows(InboxEnvelope) == 0


def test_mismatch_needs_a_third_check_by_someone_else(app, paper_campaign, batch, clerks, as_user, rows,
                                                      count_rows):
    number = batch[1]
    assert enter(as_user("clerk"), paper_campaign, number, rows("A")).status_code == 302
    assert enter(as_user("staff"), paper_campaign, number, rows("B")).status_code == 302
    assert sheet_state(app, paper_campaign, number)[0] == "mismatch"
    assert count_rows(InboxEnvelope) == 0
    # a third clerk cannot key it; the clerks cannot reach the third check; nor can staff who keyed it
    assert enter(as_user("clerk3"), paper_campaign, number, rows("A")).status_code == 409
    check_url = f"/paper/{paper_campaign}/check/{number}"
    assert as_user("clerk").get(check_url).status_code == 403
    assert as_user("clerk3").get(check_url).status_code == 403
    assert as_user("staff").get(check_url).status_code == 403
    assert as_user("staff").post(check_url, data=rows("A")).status_code == 403
    assert as_user("auditor").get(check_url).status_code == 403
    assert count_rows(InboxEnvelope) == 0
    # an admin who keyed neither sees both entries side by side
    admin = as_user("admin")
    page = admin.get(check_url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "clerk" in html and "staff" in html and 'class="diff"' in html
    # the differing letters are pre-filled as ?, which cannot be saved as is
    unresolved = admin.post(check_url, data={k: "?" * len(v) for k, v in rows("A").items()})
    assert unresolved.status_code == 400 and count_rows(InboxEnvelope) == 0
    decided = admin.post(check_url, data=rows("B"))
    assert decided.status_code == 302
    status, checked, entries = sheet_state(app, paper_campaign, number)
    assert status == "ballot" and checked and entries == [(None, None), (None, None)]
    assert count_rows(InboxEnvelope) == 1
    assert admin.post(check_url, data=rows("B")).status_code == 409
    assert count_rows(InboxEnvelope) == 1


def test_a_clerk_never_sees_the_other_entry(app, paper_campaign, batch, clerks, as_user, rows):
    number = batch[2]
    with app.app_context():
        lay = sheets.layout(db.session.get(Campaign, paper_campaign), db.session.get(Campaign, paper_campaign).group("hall"))
        text_key = lay.texts[0].key
        distinctive = {row.key: ("ABC" * 10)[:len(row.items)] for row in lay.rows}
    data = {**rows("A"), **distinctive, text_key: MARKER}
    assert enter(as_user("clerk"), paper_campaign, number, data).status_code == 302
    other = as_user("clerk2")
    urls = ["/paper/", f"/paper/{paper_campaign}", f"/paper/{paper_campaign}/enter", sheet_url(paper_campaign, number),
            f"/paper/{paper_campaign}/check/{number}", f"/paper/{paper_campaign}/reconciliation",
            f"/paper/{paper_campaign}/import"]
    for url in urls:
        body = other.get(url).get_data(as_text=True)
        assert MARKER not in body, url
        for value in distinctive.values():
            if len(value) >= 6:
                assert f'value="{value}"' not in body, url
    # nor does the database hold the entry in plain text
    with app.app_context():
        blob = db.session.execute(select(PaperEntry.content)).scalar_one()
        assert MARKER.encode() not in blob
    # the second clerk's form starts empty
    form = other.get(sheet_url(paper_campaign, number)).get_data(as_text=True)
    assert 'value=""' in form


def test_errors_are_shown_beside_the_row_and_nothing_is_stored(app, paper_campaign, batch, clerks, as_user, rows,
                                                              count_rows):
    data = rows("A")
    key = sorted(k for k in data if k != "r._")[0]
    data[key] = data[key][:-1] + "Z"
    response = enter(as_user("clerk"), paper_campaign, batch[0], data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    row_html = html.split(f'name="{key}"')[1].split("</tr>")[0]
    assert 'class="error row-error"' in row_html and "Z" in row_html.split("role=\"alert\">")[1]
    short = rows("A")
    short[key] = "AA"
    response = enter(as_user("clerk"), paper_campaign, batch[0], short)
    assert response.status_code == 400
    assert count_rows(PaperEntry) == 0 and sheet_state(app, paper_campaign, batch[0])[0] == "printed"


def test_a_comment_too_long_is_refused_beside_it_by_the_ballot_validator(app, paper_campaign, batch, clerks,
                                                                       as_user, rows, count_rows):
    data = rows("A")
    with app.app_context():
        campaign = db.session.get(Campaign, paper_campaign)
        extra = sheets.layout(campaign, campaign.group("hall")).texts[0]
        limit = extra.item.max_length
    data[extra.key] = "长" * (limit + 1)
    response = enter(as_user("clerk"), paper_campaign, batch[0], data)
    assert response.status_code == 400
    field = response.get_data(as_text=True).split(f'name="{extra.key}"')[1].split("</div>")[0]
    assert str(limit) in field.split('role="alert">')[1]
    assert count_rows(PaperEntry) == 0 and sheet_state(app, paper_campaign, batch[0])[0] == "printed"
    data[extra.key] = "长" * limit
    assert enter(as_user("clerk"), paper_campaign, batch[0], data).status_code == 302


def test_letters_may_be_typed_loosely(app, paper_campaign, batch, clerks, as_user, rows, count_rows):
    tight = rows("B")
    loose = {k: " ".join(v.lower()) for k, v in tight.items()}
    assert enter(as_user("clerk"), paper_campaign, batch[0], tight).status_code == 302
    assert enter(as_user("clerk2"), paper_campaign, batch[0], loose).status_code == 302
    assert sheet_state(app, paper_campaign, batch[0])[0] == "ballot"


@pytest.mark.parametrize("typed", ["", "abc", "99999-9", "00001-0", "other/00001-9"])
def test_bad_sheet_numbers(app, paper_campaign, batch, clerks, as_user, typed):
    response = as_user("clerk").post(f"/paper/{paper_campaign}/enter", data={"number": typed})
    assert response.status_code in (400, 404)
    assert 'class="error"' in response.get_data(as_text=True)


def test_sheet_number_with_check_digit_and_qr_prefix(app, paper_campaign, batch, clerks, as_user):
    client = as_user("clerk")
    label = sheets.sheet_label(batch[3])
    for typed in (label, label.replace("-", ""), f"pc/{label}"):
        response = client.post(f"/paper/{paper_campaign}/enter", data={"number": typed})
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/sheets/{batch[3]}")


def test_envelope_holds_the_ballot_and_nothing_of_the_sheet(app, paper_campaign, batch, clerks, as_user, rows):
    from survey_app.ballots import operations as ballots
    from survey_app.ballots import keys, packing, sealing
    number = batch[4]
    for username in ("clerk", "clerk2"):
        enter(as_user(username), paper_campaign, number, rows("A", general="B"))
    with app.app_context():
        campaign = db.session.get(Campaign, paper_campaign)
        private = keys.unlock_private_key(campaign, PASSPHRASE)
        payload = sealing.open_envelope(private, db.session.execute(select(InboxEnvelope.sealed)).scalar_one())
        lay = packing.campaign_layout(campaign)
    # the ratings packed in the campaign's layout, every other answer spelt out
    assert set(payload) == {"v", "g", "a", "c", "r", "k"} and payload["k"] == lay.digest
    assert payload["g"] == "hall"
    answers = sealing.answers(payload, lay)
    assert str(number) not in [str(x) for a in answers for x in a]
    assert sheets.sheet_label(number) not in str(payload)
    options = {(t, item): opt for t, item, opt in answers}
    assert options[(None, "q01")] == "online"  # letter B of the single-choice item
    assert {opt for (t, _i), opt in options.items() if t} == {"A"}


def test_entry_refused_once_counted(app, paper_campaign, batch, clerks, as_user, rows, count_rows):
    from survey_app.admin.operations import close_campaign, count_campaign
    enter(as_user("clerk"), paper_campaign, batch[0], rows("A"))
    client2 = as_user("clerk2")
    with app.app_context():
        campaign = db.session.get(Campaign, paper_campaign)
        close_campaign(campaign)
    # closed but not counted: paper still goes in
    assert enter(client2, paper_campaign, batch[0], rows("A")).status_code == 302
    assert count_rows(InboxEnvelope) == 1
    with app.app_context():
        count_campaign(db.session.get(Campaign, paper_campaign), PASSPHRASE)
    enter(as_user("clerk"), paper_campaign, batch[1], rows("A"))
    assert count_rows(PaperEntry, PaperEntry.sheet_id != None) == 2  # noqa: E711  (only the first sheet's)
    response = as_user("clerk").get(sheet_url(paper_campaign, batch[1]))
    assert response.status_code == 409


@pytest.mark.parametrize("lang, says", [("en", ("third check", "commission staff", "entered neither")),
                                        ("zh_CN", ("复核", "纠风办工作人员", "未参与录入"))])
def test_a_third_clerk_is_told_who_settles_a_mismatch(app, paper_campaign, batch, clerks, as_user, rows, lang, says):
    """"Entered twice already" left a third clerk with a sheet and nobody to give it to."""
    number = batch[2]
    assert enter(as_user("clerk"), paper_campaign, number, rows("A")).status_code == 302
    assert enter(as_user("clerk2"), paper_campaign, number, rows("B")).status_code == 302
    third = as_user("clerk3")
    third.set_cookie("lang", lang)
    for response in (third.get(sheet_url(paper_campaign, number)),
                     third.post(f"/paper/{paper_campaign}/enter", data={"number": sheets.sheet_label(number)})):
        page = response.get_data(as_text=True)
        assert response.status_code == 409
        assert all(words in page for words in says), page[page.find("error"):][:600]
