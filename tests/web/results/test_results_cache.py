"""The adapter computes a campaign's results once, when its box is counted (the results the
officers sign), caches what they were computed from, and recomputes only when that changes;
once counted, the weights that decide them are fixed."""
import pytest

from survey_app.admin import operations
from survey_app.extensions import db
from survey_app.models import Campaign
from survey_app.results import adapter

from tests.web.helpers import close_and_count


def test_results_are_computed_at_counting_cached_and_fixed(app, make_campaign, submit_ballots, monkeypatch):
    cid = make_campaign(code="cache", min_group_size=1)
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        points = {o.code: o.points for o in campaign.questionnaire_version.parsed.scale.options}
    submit_ballots(cid, "staff", n=2, option="A")
    submit_ballots(cid, "public", option="B")
    calls = []
    real = adapter.compute
    monkeypatch.setattr(adapter, "compute", lambda c, **kw: calls.append(c.id) or real(c, **kw))
    with app.app_context():
        close_and_count(db.session.get(Campaign, cid))
    assert calls == [cid]  # once, as the box was counted
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        first = adapter.results(campaign)
        again = adapter.results(campaign)
        assert first == again == campaign.counted_results and calls == [cid]
        assert adapter.compute_results(campaign) == first and calls == [cid]  # the cache holds them
        # public 0.6 x B, staff 0.4 x A
        expected = 0.6 * points["B"] + 0.4 * points["A"]
        assert all(abs(t["score"] - expected) < 1e-9 for t in first["targets"])
        public = campaign.group("public")
        with pytest.raises(operations.LifecycleError):
            operations.update_group(public, name_zh=public.name_zh, name_en=public.name_en, weight=0.0,
                                    expected=public.expected)
        db.session.rollback()
        # The cache follows what the results depend on: a weight changed behind the platform's
        # back gives other scores from compute_results, never other published results.
        db.session.get(Campaign, cid).group("public").weight = 0.0
        db.session.flush()
        campaign = db.session.get(Campaign, cid)
        recomputed = adapter.compute_results(campaign)
        assert calls == [cid, cid]
        assert all(abs(t["score"] - points["A"]) < 1e-9 for t in recomputed["targets"])
        assert adapter.results(campaign) == first
