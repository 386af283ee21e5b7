"""The respondent's path: a code accepted once, refused twice; wrong codes; closed campaigns; public links."""
import re

import pytest
from sqlalchemy import func, select

from survey_app.ballots import operations as ballots
from survey_app.extensions import db
from survey_app.models import AccessCode, Campaign, InboxEnvelope, TurnoutDay

from tests.web.helpers import issue_codes


def envelopes(app):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(InboxEnvelope)).scalar_one()


def answer_with_code(client, app, campaign_id, code, full_answers, option="A"):
    response = client.post("/answer", data={"code": code})
    assert response.status_code == 302, response.get_data(as_text=True)
    data = full_answers(app, campaign_id, "staff", option)
    review = client.post("/answer/questionnaire", data={**data, "action": "review"})
    assert review.status_code == 200 and "review-form" in review.get_data(as_text=True)
    return client.post("/answer/questionnaire", data={**data, "action": "submit"})


def test_code_accepted_once(client, app, campaign_id, full_answers):
    [code] = issue_codes(app, campaign_id)
    response = answer_with_code(client, app, campaign_id, code, full_answers)
    assert response.status_code == 302 and response.headers["Location"].endswith("/answer/done")
    done = client.get("/answer/done").get_data(as_text=True)
    receipt = re.search(r'class="receipt">([0-9A-F-]{19})<', done).group(1)
    assert len(receipt) == 19
    assert envelopes(app) == 1
    with app.app_context():
        assert db.session.execute(select(AccessCode.state)).scalar_one() == "used"
        assert db.session.execute(select(func.sum(TurnoutDay.count))).scalar_one() == 1


def test_code_refused_the_second_time(client, app, campaign_id, full_answers):
    [code] = issue_codes(app, campaign_id)
    answer_with_code(client, app, campaign_id, code, full_answers)
    again = client.post("/answer", data={"code": code})
    assert again.status_code == 403
    assert 'data-reason="used"' in again.get_data(as_text=True)
    assert envelopes(app) == 1


def test_code_typed_loosely_is_accepted(client, app, campaign_id):
    [code] = issue_codes(app, campaign_id)
    loose = code.replace("-", " ").lower()
    assert client.post("/answer", data={"code": loose}).status_code == 302


@pytest.mark.parametrize("paste", [
    lambda c: f"  {c}  ",                                   # pasted with spaces around it
    lambda c: c.replace("-", " "),                           # as read aloud, in groups
    lambda c: c.replace("-", ""),                            # all in one
    lambda c: c.replace("-", "\u2013"),                     # a word processor's dash
    lambda c: "".join(chr(ord(ch) + 0xFEE0) for ch in c),    # a Chinese keyboard's full-width form
])
def test_code_pasted_in_any_common_form_is_accepted(client, app, campaign_id, paste):
    [code] = issue_codes(app, campaign_id)
    assert client.post("/answer", data={"code": paste(code)}).status_code == 302


def test_review_lists_only_the_unanswered_questions_each_a_way_back(client, app, campaign_id, full_answers):
    [code] = issue_codes(app, campaign_id)
    client.post("/answer", data={"code": code})
    data = full_answers(app, campaign_id, "staff", "B")
    blank = {name for name in _all_fields(app, campaign_id, "staff") if name not in data}
    assert blank, "the optional comments are left blank"
    page = client.post("/answer/questionnaire", data={**data, "action": "review"}).get_data(as_text=True)
    assert 'id="review-form"' in page
    missing = page.split('id="review-missing"')[1].split("</section>")[0]
    linked = re.findall(r'formaction="/answer/questionnaire#q-([^"]+)"', missing)
    assert sorted(linked) == sorted(blank) and linked
    # the way back is an edit that keeps every answer and lands on the question
    edit = client.post("/answer/questionnaire", data={**data, "action": "edit"}).get_data(as_text=True)
    assert all(f'id="q-{name}"' in edit for name in linked)
    kept = next(iter(k for k in data if k.startswith("t.")))
    assert re.search(rf'name="{re.escape(kept)}" value="B" checked', edit)


def test_review_with_every_question_answered_says_so(client, app, campaign_id, full_answers):
    [code] = issue_codes(app, campaign_id)
    client.post("/answer", data={"code": code})
    data = full_answers(app, campaign_id, "staff", "A")
    for name in _all_fields(app, campaign_id, "staff"):
        data.setdefault(name, "some words")
    page = client.post("/answer/questionnaire", data={**data, "action": "review"}).get_data(as_text=True)
    assert 'id="review-form"' in page and "formaction" not in page


def _all_fields(app, campaign_id, group):
    from survey_app.ballots.validation import asked, field_name
    from survey_app.models import Campaign
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        q = campaign.questionnaire_version.parsed
        return [field_name(i.code, t) for i, t in asked(q, group, [t.code for t in campaign.targets])]


@pytest.mark.parametrize("typed", ["", "XXXX-XXXX-XX", "not a code at all", "0" * 200])
def test_wrong_code(client, campaign_id, typed):
    response = client.post("/answer", data={"code": typed})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="error"' in page


def test_revoked_code(client, app, campaign_id):
    [code] = issue_codes(app, campaign_id)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert ballots.revoke_unused(campaign, campaign.group("staff")) == 1
    response = client.post("/answer", data={"code": code})
    assert response.status_code == 403 and 'data-reason="revoked"' in response.get_data(as_text=True)


def test_closed_campaign_refuses(client, app, make_campaign):
    cid = make_campaign(code="shut", status="closed")
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        # codes cannot be issued once closed through the UI; make one directly through the operation
        [code] = ballots.issue_codes(campaign, campaign.group("staff"), 1)
    response = client.post("/answer", data={"code": code})
    assert response.status_code == 403 and 'data-reason="closed"' in response.get_data(as_text=True)
    assert envelopes(app) == 0


def test_campaign_closing_while_answering(client, app, campaign_id, full_answers):
    [code] = issue_codes(app, campaign_id)
    client.post("/answer", data={"code": code})
    from survey_app.admin.operations import close_campaign
    with app.app_context():
        close_campaign(db.session.get(Campaign, campaign_id))
    data = full_answers(app, campaign_id, "staff")
    response = client.post("/answer/questionnaire", data={**data, "action": "submit"})
    assert response.status_code == 403 and 'data-reason="closed"' in response.get_data(as_text=True)
    assert envelopes(app) == 0
    with app.app_context():
        assert db.session.execute(select(AccessCode.state)).scalar_one() == "unused"


def test_missing_answers_are_marked_and_kept(client, app, campaign_id, full_answers):
    [code] = issue_codes(app, campaign_id)
    client.post("/answer", data={"code": code})
    data = full_answers(app, campaign_id, "staff", "B")
    missing = sorted(data)[0]
    del data[missing]
    response = client.post("/answer/questionnaire", data={**data, "action": "review"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="q-{missing}"' in page
    block = page.split(f'id="q-{missing}"')[1].split('class="question')[0]
    assert f'id="err-{missing}"' in block and f'aria-describedby="err-{missing}"' in block
    # the list at the top names only what is missing, each a link to its question
    summary = page.split('id="error-summary"')[1].split("</div>")[0]
    assert re.findall(r'href="#q-([^"]+)"', summary) == [missing]
    # the other answers come back checked
    kept = sorted(data)[0]
    assert re.search(rf'name="{re.escape(kept)}" value="B" checked', page)
    assert envelopes(app) == 0


def test_forged_option_is_refused(client, app, campaign_id, full_answers):
    [code] = issue_codes(app, campaign_id)
    client.post("/answer", data={"code": code})
    data = full_answers(app, campaign_id, "staff")
    first = sorted(k for k in data if k.startswith("t."))[0]
    data[first] = "Z"
    response = client.post("/answer/questionnaire", data={**data, "action": "submit"})
    assert response.status_code == 400
    assert envelopes(app) == 0


def test_questionnaire_needs_a_code_first(client, campaign_id):
    response = client.get("/answer/questionnaire")
    assert response.status_code == 302 and response.headers["Location"].endswith("/answer")


def test_public_link(client, app, campaign_id, full_answers):
    with app.app_context():
        token = db.session.get(Campaign, campaign_id).group("public").public_token
    response = client.get(f"/answer/link/{token}")
    assert response.status_code == 302
    page = client.get("/answer/questionnaire").get_data(as_text=True)
    assert "单位1" in page or "Unit 1" in page
    data = full_answers(app, campaign_id, "public")
    response = client.post("/answer/questionnaire", data={**data, "action": "submit"})
    assert response.status_code == 302
    assert envelopes(app) == 1


def test_public_link_device_limit(client, app, campaign_id, full_answers):
    app.config["DEVICE_BALLOT_LIMIT"] = 1
    with app.app_context():
        token = db.session.get(Campaign, campaign_id).group("public").public_token
    data = full_answers(app, campaign_id, "public")
    client.get(f"/answer/link/{token}")
    assert client.post("/answer/questionnaire", data={**data, "action": "submit"}).status_code == 302
    second = client.get(f"/answer/link/{token}")
    assert second.status_code == 429 and 'data-reason="device_limit"' in second.get_data(as_text=True)
    assert envelopes(app) == 1


def test_unknown_public_link(client, campaign_id):
    assert client.get("/answer/link/nope").status_code == 404


def test_code_never_in_a_url(client, app, campaign_id):
    [code] = issue_codes(app, campaign_id)
    response = client.post("/answer", data={"code": code})
    assert code not in response.headers["Location"]
    page = client.get("/answer/questionnaire").get_data(as_text=True)
    assert code not in page


def test_respondent_state_without_the_web(app, make_campaign):
    """What a code or link opens, the code sealed for the session and the device's count, called directly."""
    from survey_app.ballots.codes import normalise
    from survey_app.respond import operations
    cid = make_campaign()
    draft, closed = make_campaign(code="later", status="draft"), make_campaign(code="shut", status="closed")
    app.config["DEVICE_BALLOT_LIMIT"] = 2
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        assert operations.window_refusal(campaign) is None
        assert operations.window_refusal(db.session.get(Campaign, draft)) == "not_open"
        assert operations.window_refusal(db.session.get(Campaign, closed)) == "closed"
        public = campaign.group("public")
        assert operations.public_group(public.public_token) is public
        assert operations.public_group("no-such-token") is None
        assert operations.answering_group(cid, public.id) is public
        assert operations.answering_group(draft, public.id) is None
        assert [ct.target.code for ct in operations.targets_for(campaign, public)] == [t.code for t in campaign.targets]
        [code] = ballots.issue_codes(campaign, campaign.group("staff"), 1)
        sealed = operations.seal_code(code.lower())
        assert code not in sealed and operations.unseal_code(sealed) == normalise(code)
        assert operations.unseal_code("not sealed by this server") is None
        once = operations.device_counts_after_ballot({}, campaign.id)
        counts = operations.device_counts(once)
        assert counts == {str(cid): 1} and not operations.device_limit_reached(counts, campaign)
        assert operations.device_limit_reached(operations.device_counts(
            operations.device_counts_after_ballot(counts, campaign.id)), campaign)
        assert operations.device_counts(once + "x") == {} and operations.device_counts(None) == {}


def test_a_campaign_served_before_is_checked_at_every_submission(client, app, backend, campaign_id, full_answers,
                                                                  monkeypatch):
    """Once a process has served a group, a submission loads neither the campaign nor the group
    (`operations.answering`: what is fixed once open is kept per process under the box's key).
    On PostgreSQL it does not even read the campaign's state: the statement that stores the
    ballot checks it under the inbox writers' lock; on SQLite the state is read at each one.
    Closed by another server, it refuses all the same, and nothing is written."""
    from sqlalchemy import update

    from survey_app.respond import operations as respond
    first, warm, read, second, third = issue_codes(app, campaign_id, n=5)
    # the envelope size is kept once the box holds one; the state is then read once
    for code in (first, warm, read):
        assert answer_with_code(client, app, campaign_id, code, full_answers).status_code == 302
    seen, reads = [], []
    real, real_read = respond.answering, respond._read_answering
    monkeypatch.setattr(respond, "answering", lambda *a: seen.append(real(*a)) or seen[-1])
    monkeypatch.setattr(respond, "_read_answering", lambda *a: reads.append(a) or real_read(*a))
    response = answer_with_code(client, app, campaign_id, second, full_answers)
    assert response.status_code == 302 and response.headers["Location"].endswith("/answer/done")
    assert isinstance(seen[-1], respond.Answering) and seen[-1].group.code == "staff"
    assert seen[-1].unconfirmed == (backend == "postgresql") and len(reads) == (backend != "postgresql")
    assert envelopes(app) == 4
    assert client.post("/answer", data={"code": third}).status_code == 302
    with app.app_context():  # another server closes it: nothing in this process is told
        db.session.execute(update(Campaign).where(Campaign.id == campaign_id).values(status="closed"))
        db.session.commit()
    response = client.post("/answer/questionnaire", data={**full_answers(app, campaign_id, "staff"), "action": "submit"})
    assert response.status_code == 403 and 'data-reason="closed"' in response.get_data(as_text=True)
    assert envelopes(app) == 4
    with app.app_context():
        assert db.session.execute(select(func.sum(TurnoutDay.count))).scalar_one() == 4
    with app.app_context():
        assert db.session.execute(select(AccessCode.state).where(AccessCode.state == "unused")).scalars().all() \
            == ["unused"]


@pytest.mark.parametrize("change", ["window", "key"])
def test_a_campaign_changed_by_another_server_is_taken_the_long_way(client, app, backend, campaign_id, full_answers,
                                                                    change):
    """PostgreSQL checks, in the statement that stores the ballot, the state this process last
    saw: a window closed by another server refuses the ballot, and a box opened again under a new
    key (another server's opening) takes the ballot sealed under the new key, not the kept one."""
    from datetime import timedelta

    from nacl.public import PrivateKey, SealedBox
    from sqlalchemy import update

    from survey_app.models._types import utcnow
    from survey_app.respond import operations as respond
    first, warm, read, last = issue_codes(app, campaign_id, n=4)
    for code in (first, warm, read):  # as in the test above: the state is no longer read after these
        assert answer_with_code(client, app, campaign_id, code, full_answers).status_code == 302
    with app.app_context():
        staff = db.session.get(Campaign, campaign_id).group("staff").id
    assert backend != "postgresql" or (campaign_id, staff) in respond._LAST_KEY
    assert client.post("/answer", data={"code": last}).status_code == 302
    new_key = PrivateKey.generate()
    with app.app_context():
        values = ({"closes_at": utcnow() - timedelta(minutes=1)} if change == "window"
                  else {"public_key": bytes(new_key.public_key)})
        db.session.execute(update(Campaign).where(Campaign.id == campaign_id).values(**values))
        db.session.commit()
    response = client.post("/answer/questionnaire", data={**full_answers(app, campaign_id, "staff"), "action": "submit"})
    with app.app_context():
        state = db.session.execute(select(AccessCode.state).where(AccessCode.code_hash == ballots.hash_code(
            ballots.codes.normalise(last)))).scalar_one()
        sealed = db.session.execute(select(InboxEnvelope.sealed)).scalars().all()
    if change == "window":
        assert response.status_code == 403 and 'data-reason="closed"' in response.get_data(as_text=True)
        assert state == "unused" and len(sealed) == 3
        return
    assert response.status_code == 302 and state == "used" and len(sealed) == 4
    opened = []
    for envelope in sealed:
        try:
            opened.append(SealedBox(new_key).decrypt(envelope))
        except Exception:  # sealed under the key the campaign opened with
            pass
    assert len(opened) == 1  # the last one, under the new key
    assert respond._LAST_KEY.get((campaign_id, staff), bytes(new_key.public_key)) == bytes(new_key.public_key)
