"""The questionnaire library (list, upload, read-only version, YAML, publish) is the designer's:
its old addresses under /admin redirect with the method kept."""
import io

import pytest
import questionnaires

from survey_app.extensions import db
from survey_app.models import QuestionnaireVersion


def test_only_the_designer_serves_questionnaire_pages(app):
    served = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules() if "/questionnaires" in rule.rule}
    assert served and all(endpoint.startswith("designer.") for endpoint in served.values()), served
    assert not any(rule.redirect_to is None for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/admin/questionnaires"))


def test_upload_shows_the_new_version_and_publishing_it_returns_there(app, staff):
    text = questionnaires.dump(questionnaires.template("sector_style"))
    response = staff.post("/designer/questionnaires/upload", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(text.encode()), "q.yaml")})
    assert response.status_code == 302
    page = response.headers["Location"]
    version_id = int(page.rsplit("/", 1)[1])
    assert page.endswith(f"/designer/questionnaires/versions/{version_id}")
    html = staff.get(page).get_data(as_text=True)
    assert f"/designer/questionnaires/versions/{version_id}.yaml" in html
    assert f"/designer/questionnaires/versions/{version_id}/publish" in html
    listing = staff.get("/designer/questionnaires").get_data(as_text=True)
    assert f'/designer/questionnaires/versions/{version_id}"' in listing
    assert "/designer/questionnaires/upload" in listing
    published = staff.post(f"/designer/questionnaires/versions/{version_id}/publish")
    assert published.status_code == 302 and published.headers["Location"] == page
    with app.app_context():
        assert db.session.get(QuestionnaireVersion, version_id).frozen


@pytest.mark.parametrize(("method", "old", "new"), [
    ("GET", "/admin/questionnaires", "/designer/questionnaires"),
    ("POST", "/admin/questionnaires/upload", "/designer/questionnaires/upload"),
    ("GET", "/admin/questionnaires/versions/7", "/designer/questionnaires/versions/7"),
    ("GET", "/admin/questionnaires/versions/7.yaml", "/designer/questionnaires/versions/7.yaml"),
    ("POST", "/admin/questionnaires/versions/7/publish", "/designer/questionnaires/versions/7/publish"),
])
def test_the_old_addresses_redirect_keeping_the_method(client, method, old, new):
    response = client.open(old, method=method)
    assert response.status_code == 308 and response.headers["Location"].endswith(new)


def test_a_redirect_opens_nothing_to_an_anonymous_visitor(client):
    response = client.get("/admin/questionnaires", follow_redirects=True)
    assert [r.status_code for r in response.history] == [308, 302]
    assert response.request.path == "/login" and response.status_code == 200
