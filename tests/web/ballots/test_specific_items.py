"""Target-specific items in the ballot box: the ragged layout, one envelope size, and a ballot that
answers one leader's commitment for another refused on the web and in an import."""
import pytest

from survey_app.extensions import db
from tests.web.helpers import close_and_count, issue_codes, submit_ballot
from tests.web.rating import make_rating_campaign


def test_the_layout_is_ragged_and_named_by_its_slots(app):
    from survey_app.ballots import packing
    from survey_app.models import Campaign
    campaign_id, ids = make_rating_campaign(app)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        lay = packing.campaign_layout(campaign)
        a1, a2, b1 = (f"p.{ids[n]}" for n in ("a1", "a2", "b1"))
        assert lay.items == ("q01", "q02", "q03") and lay.width == 2 * 3 + 3
        assert lay.slots[6:] == (("pr-a", a1), ("pr-a", a2), ("pr-b", b1))
        assert lay.slot("pr-b", a1) is None and lay.slot("pr-a", a2) == 7
        vector, rest = packing.pack(lay, [("pr-a", a2, "B"), ("pr-b", a1, "A"), ("pr-b", "q01", "C")])
        assert vector == bytes([0, 0, 0, 3, 0, 0, 0, 2, 0]) and rest == '[["pr-b","%s","A"]]' % a1
        assert packing.unpack(lay, vector) == [("pr-b", "q01", "C"), ("pr-a", a2, "B")]
        rectangle = lay.rectangle(packing.unpack_many(lay, [vector]))
        assert rectangle.shape == (1, 2, 6) and rectangle[0, 0, 4] == 2 and rectangle[0, 1, 3] == 0
        plain = packing.Layout(lay.targets, lay.items, lay.options)
        assert plain.digest != lay.digest  # an envelope packed under another layout is recognised
        assert plain.digest == packing.Layout(lay.targets, lay.items, lay.options, ()).digest


def _form(app, campaign_id, group, option="A"):
    from tests.web.conftest import _full_answers
    return _full_answers(app, campaign_id, group, option)


def test_a_ballot_answering_as_commitment_for_b_is_refused_on_the_web(app, client):
    from survey_app.models import Campaign, InboxEnvelope
    campaign_id, ids = make_rating_campaign(app)
    data = _form(app, campaign_id, "staff")
    a1 = f"p.{ids['a1']}"
    assert data[f"t.pr-a.{a1}"] == "A" and f"t.pr-b.{a1}" not in data
    [code] = issue_codes(app, campaign_id, "staff")
    refused = submit_ballot(client, {**data, f"t.pr-b.{a1}": "C"}, code=code)
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.query(InboxEnvelope).count() == 0
    missing = dict(data)
    del missing[f"t.pr-b.p.{ids['b1']}"]  # B's own commitment is required like the fixed items
    assert client.post("/answer/questionnaire", data={**missing, "action": "submit"}).status_code == 400
    page = client.post("/answer/questionnaire", data={**data, "action": "review"}).get_data(as_text=True)
    assert "新建幼儿园5所" in page or "Build five nurseries" in page
    assert client.post("/answer/questionnaire", data={**data, "action": "submit"}).status_code == 302
    with app.app_context():
        assert db.session.query(InboxEnvelope).count() == 1


def test_the_answer_page_asks_each_leader_their_own_commitments(app, client):
    campaign_id, ids = make_rating_campaign(app)
    [code] = issue_codes(app, campaign_id, "staff")
    client.post("/answer", data={"code": code})
    page = client.get("/answer/questionnaire", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    a_card = page[page.index('id="target-1"'):page.index('id="target-2"')]
    b_card = page[page.index('id="target-2"'):]
    for name in ("a1", "a2"):
        assert f'name="t.pr-a.p.{ids[name]}"' in a_card and f'name="t.pr-b.p.{ids[name]}"' not in page
    assert f'name="t.pr-b.p.{ids["b1"]}"' in b_card and "治理黑臭水体3处" in b_card and "新建幼儿园5所" not in b_card
    assert a_card.index('name="t.pr-a.q03"') < a_card.index(f'name="t.pr-a.p.{ids["a1"]}"')  # after the fixed items
    assert 'class="specific-items"' in a_card
    assert "草稿承诺" not in page


def test_an_import_answering_as_commitment_for_b_is_refused(app):
    from survey_app.models import Campaign
    from survey_app.paper import imports
    campaign_id, ids = make_rating_campaign(app)
    a1, b1 = f"p.{ids['a1']}", f"p.{ids['b1']}"
    good = f"ballot,group,target,item,option\nx1,staff,pr-a,{a1},A\nx1,staff,pr-b,{b1},B\n"
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        with pytest.raises(imports.ImportInvalid) as refused:
            imports.import_answers(campaign, (good + f"x2,staff,pr-b,{a1},A\n").encode(), "a.csv", "staff")
        [problem] = refused.value.problems
        assert problem.row == 4 and "pr-a" in problem.reason and a1 in problem.reason
        assert imports.import_answers(campaign, good.encode(), "b.csv", "staff") == {"staff": 1}


def test_every_envelope_of_the_campaign_has_one_size(app, submit_ballots):
    from survey_app.ballots import operations as ballots
    from survey_app.ballots.validation import BallotContent
    from survey_app.models import Campaign, Envelope, InboxEnvelope
    campaign_id, ids = make_rating_campaign(app)
    submit_ballots(campaign_id, "staff", n=2, option="A")
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        group = campaign.group("public")
        ballots.submit(campaign, group, BallotContent(answers=[("pr-a", "q01", "DK")]))
        longest = BallotContent(answers=[(t, i.code, "DK") for t in ("pr-a", "pr-b")
                                         for i in campaign.questionnaire.items_for_target("public", t) if i.is_rating],
                                comments=[(t, "q04", "字" * 500) for t in ("pr-a", "pr-b")])
        ballots.submit(campaign, group, longest)
        sizes = {len(bytes(e.sealed)) for e in db.session.query(InboxEnvelope)} | \
            {len(bytes(e.sealed)) for e in db.session.query(Envelope)}
        assert len(sizes) == 1
        assert ballots.envelope_size(campaign) + ballots.sealing.SEAL_OVERHEAD in sizes
        assert close_and_count(campaign) == 4
