"""The adapter caches a campaign's results and recomputes them when what they depend on changes."""
from survey_app import results as adapter
from survey_app.admin import operations
from survey_app.ballots import operations as ballots
from survey_app.extensions import db
from survey_app.models import Campaign

PASSPHRASE = "correct horse battery staple"


def answer(app, client, campaign_id, full_answers, group, option, code=None):
    if code:
        assert client.post("/answer", data={"code": code}).status_code == 302
    else:
        with app.app_context():
            token = db.session.get(Campaign, campaign_id).group(group).public_token
        assert client.get(f"/answer/link/{token}").status_code == 302
    data = full_answers(app, campaign_id, group, option)
    assert client.post("/answer/questionnaire", data={**data, "action": "submit"}).status_code == 302


def test_results_are_cached_and_follow_the_weights(app, make_campaign, full_answers, monkeypatch):
    cid = make_campaign(code="cache", min_group_size=1)
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        codes = ballots.issue_codes(campaign, campaign.group("staff"), 2)
        points = {o.code: o.points for o in campaign.questionnaire_version.parsed.scale.options}
    for code in codes:
        answer(app, app.test_client(), cid, full_answers, "staff", "A", code)
    answer(app, app.test_client(), cid, full_answers, "public", "B")
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        operations.close_campaign(campaign)
        ballots.count(campaign, PASSPHRASE)
    calls = []
    real = adapter.compute
    monkeypatch.setattr(adapter, "compute", lambda c, **kw: calls.append(c.id) or real(c, **kw))
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        first = adapter.results(campaign)
        again = adapter.results(campaign)
        assert calls == [cid] and first == again
        # public 0.6 x B, staff 0.4 x A
        expected = 0.6 * points["B"] + 0.4 * points["A"]
        assert all(abs(t["score"] - expected) < 1e-9 for t in first["targets"])
        public = campaign.group("public")
        operations.update_group(public, name_zh=public.name_zh, name_en=public.name_en, weight=0.0,
                                expected=public.expected)
        changed = adapter.results(db.session.get(Campaign, cid))
        assert calls == [cid, cid]
        assert all(abs(t["score"] - points["A"]) < 1e-9 for t in changed["targets"])
