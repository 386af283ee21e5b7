"""Dates at the ends of time, targets added after a choice, and uploads that are bombs: each a
clear error beside the field or on the page, in the visitor's language, and nothing changed."""
import re

import pytest
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Campaign, CampaignTarget, Questionnaire, QuestionnaireVersion, Target

from ..questionnaires.test_yaml_limits import billion_laughs

EXTREME = ["0001-01-01T00:00", "9999-12-31T23:59", "1999-12-31T23:59", "2101-01-01T00:00", "1970-01-01T00:00"]


def count(app, model):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def campaign_form(app, **dates):
    with app.app_context():
        version = db.session.execute(select(QuestionnaireVersion.id)).scalars().first()
    return {"code": "new-one", "title_zh": "新", "title_en": "New", "kind": "sector_style",
            "questionnaire_version": version, "min_group_size": "5", **dates}


def field_error(body: str, name: str) -> str | None:
    """The error shown inside the field block of `name`."""
    match = re.search(rf'<div class="field has-error">\s*<label for="{name}">.*?</div>', body, re.S)
    if not match:
        return None
    error = re.search(r'<small class="error" role="alert">([^<]+)</small>', match.group(0))
    return error.group(1) if error else None


@pytest.mark.parametrize("field", ["opens_at", "closes_at"])
@pytest.mark.parametrize("value", EXTREME)
def test_extreme_dates_on_a_new_campaign(app, campaign_id, login, field, value):
    client = login("admin")
    before = count(app, Campaign)
    response = client.post("/admin/campaigns/new", data=campaign_form(app, **{field: value}))
    assert response.status_code == 400
    assert "2000" in field_error(response.get_data(as_text=True), field)
    assert count(app, Campaign) == before


@pytest.mark.parametrize("value", EXTREME)
def test_extreme_dates_on_an_edited_campaign(app, make_campaign, login, value):
    cid = make_campaign(code="draft", status="draft")
    client = login("admin")
    client.set_cookie("lang", "zh_CN")
    with app.app_context():
        before = db.session.get(Campaign, cid).closes_at
    response = client.post(f"/admin/campaigns/{cid}/edit",
                           data={**campaign_form(app, opens_at="2030-01-01T00:00", closes_at=value), "code": "draft"})
    assert response.status_code == 400
    assert "2000年" in field_error(response.get_data(as_text=True), "closes_at")
    with app.app_context():
        assert db.session.get(Campaign, cid).closes_at == before


def test_dates_at_the_bounds_are_taken(app, campaign_id, login):
    client = login("admin")
    response = client.post("/admin/campaigns/new", data=campaign_form(
        app, opens_at="2000-01-01T00:00", closes_at="2100-12-31T23:59"))
    assert response.status_code == 302


def test_adding_a_target_after_choosing_targets(app, make_campaign, login):
    cid = make_campaign(code="draft", status="draft", n_targets=2)
    client = login("admin")
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        chosen = [str(t.id) for t in campaign.targets]
        link = campaign.campaign_targets[0]
        link.report_zh = "述职报告"
        db.session.commit()
        first_link = link.id
    assert client.post(f"/admin/campaigns/{cid}/targets", data={"target": chosen}).status_code == 302
    for code in ("added-1", "added-2"):
        response = client.post(f"/admin/campaigns/{cid}/targets", data={
            "action": "add", "new-code": code, "new-kind": "unit", "new-name_zh": "新单位", "new-name_en": "New unit"})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    # the same code again is a form error, not a 500
    again = client.post(f"/admin/campaigns/{cid}/targets", data={
        "action": "add", "new-code": "added-1", "new-kind": "unit", "new-name_zh": "新", "new-name_en": "New"})
    assert again.status_code == 400 and "exists already" in again.get_data(as_text=True)
    # choosing a target twice keeps one link
    with app.app_context():
        ids = [str(t.id) for t in db.session.get(Campaign, cid).targets]
    assert client.post(f"/admin/campaigns/{cid}/targets", data={"target": ids + ids[:1]}).status_code == 302
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        assert sorted(t.code for t in campaign.targets) == ["added-1", "added-2", "draft-t1", "draft-t2"]
        assert db.session.get(CampaignTarget, first_link).report_zh == "述职报告"
        assert count(app, Target) >= 4


# -- uploads ---------------------------------------------------------------------------------------

BOMBS = {
    "billion laughs": (billion_laughs().encode(), ("10000", "别名")),
    "nested 50,000 deep": (b"[" * 50_000 + b"]" * 50_000, ("64", "嵌套")),
    "oversize": (b"# " + b"x" * (300 << 10), ("262144", "过大")),
}


@pytest.mark.parametrize("url", ["/designer/questionnaires/upload", "/designer/import"])
@pytest.mark.parametrize("name", BOMBS)
def test_questionnaire_bombs_are_refused_by_their_limits_in_chinese(app, campaign_id, login, url, name):
    """Each bomb is stopped by the limit named in the message (aliases, nesting, size), which
    is what keeps it cheap; no timing here (a timed assertion fails when the garbage collector
    runs in a long test session), the limits themselves are what is checked."""
    import io
    client = login("admin")
    client.set_cookie("lang", "zh_CN")
    content, words = BOMBS[name]
    before = count(app, Questionnaire), count(app, QuestionnaireVersion)
    response = client.post(url, data={"file": (io.BytesIO(content), "q.yaml"), "code": "bomb"},
                           content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 400, body[:500]
    assert all(w in body for w in words), body[-3000:]
    assert (count(app, Questionnaire), count(app, QuestionnaireVersion)) == before


@pytest.mark.parametrize("app", [{"MAX_CONTENT_LENGTH": 64 << 10}], indirect=True)
def test_a_body_over_the_limit_is_413(app, users, login):
    import io
    client = login("admin")
    client.set_cookie("lang", "zh_CN")
    response = client.post("/designer/questionnaires/upload",
                           data={"file": (io.BytesIO(b"x" * (100 << 10)), "q.yaml")}, content_type="multipart/form-data")
    assert response.status_code == 413 and "过大" in response.get_data(as_text=True)


@pytest.mark.parametrize("content, words", [
    ("\ufeffballot,group,target,item,option\nb1,public,c1-t1,q1,A\n".encode("utf-16"), "UTF-16"),
    (b"PK\x03\x04" + b"\x00\xff" * 500, "XLSX"),
    ("ballot,group,target,item,option\n" + "b" + "x" * 100_000 + ",public,c1-t1,q1,A\n", "…"),
    ("ballot,group,target,item,option\n" + "".join(f"b{i},nobody,t,q1,A\n" for i in range(5000)), "1000"),
], ids=["utf-16", "xlsx", "long value", "5000 bad rows"])
def test_paper_import_bombs(app, campaign_id, login, content, words):
    import io
    from survey_app.models import Envelope
    client = login("admin")
    data = content.encode() if isinstance(content, str) else content
    response = client.post(f"/paper/{campaign_id}/import", data={"file": (io.BytesIO(data), "answers.csv")},
                           content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 400, body[:500]
    assert words in body
    assert len(body) < 200_000
    assert count(app, Envelope) == 0
