"""The results' part of a report page and of the dashboard is rendered once per change of what
it shows and kept for every app server (reports.fragments): never stale, per language, and
never handed to a reader who may not see the page."""
import re

import pytest

from survey_app.extensions import db
from survey_app.models import Campaign, Comment, DrawnChart, Target
from survey_app.reports import drawn, fragments


@pytest.fixture
def renders(monkeypatch):
    """Counts how often the kept templates are rendered (they still are)."""
    import flask

    from survey_app.reports import fragments as module
    counted = {}
    original = flask.render_template

    def counting(name, **context):
        counted[name] = counted.get(name, 0) + 1
        return original(name, **context)
    monkeypatch.setattr(module, "render_template", counting)
    drawn.clear_local()
    yield counted
    drawn.clear_local()


def _score(html: str) -> str:
    return re.search(r'<div class="kf-value">([^<]*)</div>', html).group(1)


def test_a_report_page_is_rendered_once_for_every_worker_and_language(app, login, counted_campaign, ids, renders):
    client = login("staff")
    url = f"/reports/{counted_campaign}/targets/{ids(counted_campaign)[0]}"
    client.set_cookie("lang", "en")
    first = client.get(url).get_data(as_text=True)
    assert renders == {"reports/_report_figures.html": 1, "reports/_report_foot.html": 1}
    drawn.clear_local()  # another worker: nothing in its memory, the table has the fragment
    again = client.get(url).get_data(as_text=True)
    assert renders == {"reports/_report_figures.html": 1, "reports/_report_foot.html": 1}
    assert "Composite score" in again and "Score by respondent group" in again and _score(again) == _score(first)
    client.set_cookie("lang", "zh_CN")  # another language is another fragment, in that language
    chinese = client.get(url).get_data(as_text=True)
    assert renders["reports/_report_figures.html"] == 2
    assert "综合得分" in chinese and "Composite score" not in chinese
    client.set_cookie("lang", "en")
    assert "综合得分" not in client.get(url).get_data(as_text=True)
    assert renders["reports/_report_figures.html"] == 2


def test_new_results_settings_and_names_show_at_once(app, login, counted_campaign, ids, renders):
    from survey_app.results import adapter
    client = login("staff")
    client.set_cookie("lang", "en")
    target_id = ids(counted_campaign)[0]
    url = f"/reports/{counted_campaign}/targets/{target_id}"
    before = client.get(url).get_data(as_text=True)
    dashboard_before = client.get(f"/reports/{counted_campaign}/dashboard").get_data(as_text=True)
    with app.app_context():
        campaign = db.session.get(Campaign, counted_campaign)
        # Results computed from the ballots (not the signed ones) under a new setting: new scores.
        campaign.counted_results = None
        campaign.min_group_size = 2
        db.session.commit()
    page = client.get(url).get_data(as_text=True)
    with app.app_context():
        campaign = db.session.get(Campaign, counted_campaign)
        target = db.session.get(Target, target_id)
        entry = next(e for e in adapter.results(campaign)["targets"] if e["target"] == target.code)
    assert _score(page) == f"{entry['score']:.1f}" != _score(before)
    dashboard = client.get(f"/reports/{counted_campaign}/dashboard").get_data(as_text=True)
    assert dashboard != dashboard_before and f"{entry['score']:.2f}" in dashboard
    with app.app_context():  # a target renamed: its new name on its page and in every ranking
        db.session.get(Target, target_id).name_en = "Renamed Bureau"
        db.session.get(Campaign, counted_campaign).title_en = "A new title"
        db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Renamed Bureau" in page and "A new title" in page
    assert "Renamed Bureau" in client.get(f"/reports/{counted_campaign}/dashboard").get_data(as_text=True)
    with app.app_context():  # only the current fragments are kept
        sources = {row.source for row in db.session.query(DrawnChart).filter_by(campaign_id=counted_campaign)}
        assert len(sources) == 1


def test_comments_are_read_on_every_view(app, login, counted_campaign, ids, renders):
    client = login("staff")
    client.set_cookie("lang", "en")
    target_id = ids(counted_campaign)[0]
    url = f"/reports/{counted_campaign}/targets/{target_id}"
    client.get(url)
    with app.app_context():
        published = db.session.query(Comment).filter_by(campaign_id=counted_campaign, target_id=target_id,
                                                        status="published").all()
        assert published, "the fixture publishes a comment on the first target"
        text = published[0].text
        published[0].status = "hidden"
        db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert text not in page
    assert renders["reports/_report_figures.html"] == 1  # the figures were kept: only the comments changed


def test_a_leader_never_gets_another_targets_kept_page(app, users, as_user, published_campaign, leader_login, ids, renders):
    first, second = ids(published_campaign)[:2]
    staff = as_user("staff")
    staff.set_cookie("lang", "en")
    for target_id in (first, second):  # both pages kept
        assert staff.get(f"/reports/{published_campaign}/targets/{target_id}").status_code == 200
    leader = leader_login(published_campaign, 0)
    leader.set_cookie("lang", "en")
    own = leader.get(f"/reports/{published_campaign}/targets/{first}")
    assert own.status_code == 200
    assert leader.get(f"/reports/{published_campaign}/targets/{second}").status_code == 403
    with app.app_context():
        names = [db.session.get(Target, t).name_en for t in (first, second)]
    head = own.get_data(as_text=True).split('class="report-name">', 1)[1].split("</h1>", 1)[0]
    assert head == names[0] != names[1]
    assert 'href="/reports/%d/dashboard"' % published_campaign not in own.get_data(as_text=True)  # staff's link
    assert renders["reports/_report_figures.html"] == 2  # the leader read the kept page of their own target


def test_the_key_names_everything_a_page_shows(app, counted_campaign):
    """Every column of the campaign that a page may show is in the key; the results by their digest."""
    with app.app_context():
        campaign = db.session.get(Campaign, counted_campaign)
        shown = {name for name, _ in fragments._campaign_state(campaign)}
        assert {"title_zh", "title_en", "show_ranks", "min_group_size", "status", "published_at", "kind",
                "questionnaire_version_id", "trim", "counted_at"} <= shown
        assert "counted_results" not in shown and "published_bundle" not in shown
        assert fragments.results_identity(campaign).startswith("counted:")


def test_the_public_ranking_is_kept_per_language_and_shows_a_new_name_at_once(app, client, published_campaign, ids,
                                                                                renders):
    client.set_cookie("lang", "en")
    english = client.get("/results/rep").get_data(as_text=True)
    assert renders == {"public/_ranking.html": 1} and 'id="public-ranking"' in english
    drawn.clear_local()  # another worker: the table has the fragment
    assert client.get("/results/rep").get_data(as_text=True) == english
    assert renders == {"public/_ranking.html": 1}
    client.set_cookie("lang", "zh_CN")
    chinese = client.get("/results/rep").get_data(as_text=True)
    assert renders["public/_ranking.html"] == 2 and "排名" in chinese and ">Rank<" not in chinese
    with app.app_context():
        db.session.get(Target, ids(published_campaign)[0]).name_zh = "改名后的单位"
        db.session.commit()
    assert "改名后的单位" in client.get("/results/rep").get_data(as_text=True)
    assert renders["public/_ranking.html"] == 3
