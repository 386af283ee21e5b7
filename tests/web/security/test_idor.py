"""Objects by id: a leader reads only their own target's published report, scoped staff only
their campaigns — whatever id they type into the URL."""
import pytest
from flask import url_for

from survey_app import security

#: parameters that make a URL point into a campaign
CAMPAIGN_PARAMS = {"campaign_id": "campaign", "group_id": "group", "code": "code", "campaign_target_id": "link",
                   "target_id": "target"}


def campaign_urls(app, world, which):
    """(endpoint, method, url) of every non-public route whose URL points into campaign `which` ("a" or "b")."""
    out = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if security.ENDPOINTS.get(rule.endpoint) == security.PUBLIC:
                continue
            if not set(rule.arguments) & {"campaign_id", "group_id", "code", "campaign_target_id"}:
                continue
            args = {}
            for name in rule.arguments:
                if name in CAMPAIGN_PARAMS:
                    args[name] = world[f"{CAMPAIGN_PARAMS[name]}_{which}"]
                elif rule._converters[name].__class__.__name__ in ("IdConverter", "IntegerConverter"):
                    args[name] = 1
                else:
                    args[name] = "x"
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append((rule.endpoint, method, url_for(rule.endpoint, **args)))
    return out


def test_scoped_staff_cannot_reach_another_campaign(app, world, client_as):
    client = client_as("staff-a")
    urls = campaign_urls(app, world, "b")
    assert len(urls) >= 10
    leaks = []
    for endpoint, method, url in urls:
        response = client.open(url, method=method, data={})
        if response.status_code != 403:
            leaks.append(f"{method} {url}: {response.status_code}")
    assert not leaks, "scoped staff reached campaign B:\n" + "\n".join(leaks)
    # ... while their own campaign stays open to them
    response = client.get(f"/admin/campaigns/{world['campaign_a']}")
    assert response.status_code == 200


def test_scoped_staff_lists_only_their_campaigns(app, world, client_as):
    page = client_as("staff-a").get("/admin/").get_data(as_text=True)
    assert f"/admin/campaigns/{world['campaign_a']}\"" in page
    assert f"/admin/campaigns/{world['campaign_b']}\"" not in page


def test_unscoped_staff_reach_both(app, world, client_as):
    client = client_as("staff")
    for which in ("campaign_a", "campaign_b"):
        assert client.get(f"/admin/campaigns/{world[which]}").status_code == 200


@pytest.mark.parametrize("endpoint", ["reports.report", "reports.report_pdf"])
def test_leader_reads_only_their_own_published_report(app, world, client_as, endpoint):
    with app.test_request_context():
        own = url_for(endpoint, campaign_id=world["campaign_a"], target_id=world["target_a"])
        colleague = url_for(endpoint, campaign_id=world["campaign_a"], target_id=world["target_a2"])
        unpublished = url_for(endpoint, campaign_id=world["campaign_b"], target_id=world["target_b"])
        mixed = url_for(endpoint, campaign_id=world["campaign_b"], target_id=world["target_a"])
    leader = client_as("leader")
    assert leader.get(own).status_code == 200
    for url in (colleague, unpublished, mixed):
        assert leader.get(url).status_code == 403, url
    # Leader B: their campaign is not published yet, and A's report is not theirs.
    other = client_as("leader-b")
    assert other.get(own).status_code == 403
    assert other.get(unpublished).status_code == 403


def test_leader_reaches_nothing_of_the_commission(app, world, client_as):
    leader = client_as("leader")
    for url in ("/admin/", f"/admin/campaigns/{world['campaign_a']}", "/admin/users", "/admin/audit",
                f"/reports/{world['campaign_a']}/dashboard", f"/reports/{world['campaign_a']}/comments"):
        assert leader.get(url).status_code == 403, url


def test_leader_index_lists_only_own_published_campaigns(app, world, client_as):
    page = client_as("leader-b").get("/reports/").get_data(as_text=True)
    assert "/reports/%d/" % world["campaign_a"] not in page
    assert "/reports/%d/" % world["campaign_b"] not in page


def test_object_rules_directly(app, world):
    """`security.object_allowed` on ids, without the views."""
    from survey_app.extensions import db
    from survey_app.models import User
    with app.app_context():
        leader, scoped = db.session.get(User, world["leader_user"]), db.session.get(User, world["scoped_staff"])
        assert security.object_allowed(leader, {"campaign_id": world["campaign_a"], "target_id": world["target_a"]})
        assert not security.object_allowed(leader, {"campaign_id": world["campaign_a"], "target_id": world["target_a2"]})
        assert not security.object_allowed(leader, {"campaign_target_id": world["link_a2"]})
        assert security.object_allowed(leader, {"campaign_target_id": world["link_a"]})
        assert not security.object_allowed(scoped, {"group_id": world["group_b"]})
        assert not security.object_allowed(scoped, {"code": world["code_b"]})
        assert security.object_allowed(scoped, {"campaign_id": world["campaign_a"]})
        # a missing object passes through: the view answers 404
        assert security.object_allowed(scoped, {"campaign_id": 99999})
