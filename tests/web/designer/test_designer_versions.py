"""A campaign keeps the questionnaire version it pinned while the questionnaire is edited."""
from sqlalchemy import select

from survey_app.extensions import db

from tests.web.helpers import close_and_count


def test_campaign_keeps_its_version_when_the_questionnaire_is_edited(app, staff, make_campaign, full_answers):
    from survey_app.ballots import operations as ballots
    from survey_app.models import Ballot, Campaign
    cid = make_campaign(code="pinned", groups=[("staff", 1.0, "code")], n_targets=2)
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        v1 = campaign.questionnaire_version_id
        codes = ballots.issue_codes(campaign, campaign.group("staff"), 2)
    page = staff.get(f"/designer/versions/{v1}").get_data(as_text=True)
    assert "pinned" in page and f"/admin/campaigns/{cid}/method.json" in page
    # editing the published version makes draft v2
    r = staff.post(f"/designer/versions/{v1}/items/q02", data={
        "code": "q02", "type": "rating", "text_zh": "改过的题目", "text_en": "Changed question", "dimension": "law",
        "weight": "1", "required": "y", "per_target": "y"})
    assert r.status_code == 302
    v2 = int(r.headers["Location"].split("#")[0].rsplit("/", 1)[1])
    assert v2 != v1
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        assert campaign.questionnaire_version_id == v1
        assert campaign.questionnaire_version.parsed.item("q02").text.en != "Changed question"
        from survey_app.models import QuestionnaireVersion
        assert db.session.get(QuestionnaireVersion, v2).status == "draft"
        assert db.session.get(QuestionnaireVersion, v2).number == 2
    # respondents still answer v1, and the opened ballots record v1
    data = full_answers(app, cid, "staff")
    for code in codes:
        respondent = app.test_client()
        assert respondent.post("/answer", data={"code": code}).status_code == 302
        form = respondent.get("/answer/questionnaire").get_data(as_text=True)
        assert "Changed question" not in form and "改过的题目" not in form
        assert respondent.post("/answer/questionnaire", data={**data, "action": "submit"}).status_code == 302
    with app.app_context():
        close_and_count(db.session.get(Campaign, cid))
        versions = db.session.execute(select(Ballot.questionnaire_version_id)).scalars().all()
        assert versions == [v1, v1]
    history = staff.get(f"/designer/versions/{v2}").get_data(as_text=True)
    assert "v2" in history and "v1" in history


def test_a_draft_cannot_be_pinned(app, staff, draft):
    from survey_app.admin import operations
    from survey_app.models import QuestionnaireVersion
    with app.app_context():
        version = db.session.get(QuestionnaireVersion, draft)
        try:
            operations.create_campaign(code="x", kind="sector_style", title_zh="x", title_en="x", version=version)
        except operations.LifecycleError:
            pass
        else:
            raise AssertionError("a draft version was pinned")
    page = staff.get("/admin/campaigns/new").get_data(as_text=True)
    assert f'value="{draft}"' not in page


def test_new_draft_button(app, staff, draft, version_count):
    assert staff.post(f"/designer/versions/{draft}/new-draft").headers["Location"].endswith(f"/versions/{draft}")
    staff.post(f"/designer/versions/{draft}/publish")
    r = staff.post(f"/designer/versions/{draft}/new-draft")
    assert r.status_code == 302 and version_count() == 2
    # pressing it again finds the draft instead of making a third version
    assert staff.post(f"/designer/versions/{draft}/new-draft").headers["Location"] == r.headers["Location"]
    assert version_count() == 2
