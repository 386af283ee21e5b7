"""The adapter caches a campaign's results and recomputes them when what they depend on changes."""
from survey_app import results as adapter
from survey_app.admin import operations
from survey_app.extensions import db
from survey_app.models import Campaign

from tests.web.helpers import close_and_count


def test_results_are_cached_and_follow_the_weights(app, make_campaign, submit_ballots, monkeypatch):
    cid = make_campaign(code="cache", min_group_size=1)
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        points = {o.code: o.points for o in campaign.questionnaire_version.parsed.scale.options}
    submit_ballots(cid, "staff", n=2, option="A")
    submit_ballots(cid, "public", option="B")
    with app.app_context():
        close_and_count(db.session.get(Campaign, cid))
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
