"""Staff pages as a browser reads them: attributes, labels, times and confirmations that the
test client would let slip (it posts forms directly and never greys a field out)."""
import re

import pytest

from survey_app.extensions import db
from survey_app.models import Campaign

NONE_ATTRIBUTE = re.compile(r'\s(disabled|readonly|required|checked|selected|multiple)="(None|False)"')


def test_new_campaign_form_has_no_field_disabled_by_none(app, login, make_campaign):
    make_campaign(status="draft")  # publishes a questionnaire version to choose
    staff = login("staff")
    page = staff.get("/admin/campaigns/new").get_data(as_text=True)
    assert not NONE_ATTRIBUTE.search(page), NONE_ATTRIBUTE.search(page).group(0)
    for name in ("kind", "questionnaire_version", "opens_at", "min_group_size", "show_ranks"):
        tag = re.search(rf'<(input|select)[^>]*name="{name}"[^>]*>', page).group(0)
        assert "disabled" not in tag, tag


def test_locked_fields_are_really_disabled_once_open(app, login, campaign_id):
    staff = login("staff")
    page = staff.get(f"/admin/campaigns/{campaign_id}/edit").get_data(as_text=True)
    tag = re.search(r'<select[^>]*name="kind"[^>]*>', page).group(0)
    assert re.search(r"\sdisabled(\s|>|$)", tag), tag


@pytest.mark.parametrize("path", ["/admin/campaigns/new", "/admin/campaigns/{cid}/edit", "/admin/campaigns/{cid}",
                                  "/admin/campaigns/{cid}/targets", "/admin/campaigns/{cid}/groups/new",
                                  "/designer/", "/admin/questionnaires", "/paper/", "/admin/users"])
def test_no_page_writes_a_none_attribute(app, login, make_campaign, path):
    cid = make_campaign(status="draft")
    admin = login("admin")
    response = admin.get(path.format(cid=cid), follow_redirects=True)
    assert response.status_code == 200, path
    page = response.get_data(as_text=True)
    assert not NONE_ATTRIBUTE.search(page), NONE_ATTRIBUTE.search(page).group(0)


def test_saving_the_target_selection_again_keeps_reports(app, login, make_campaign):
    from survey_app.models import CampaignTarget, Target
    cid = make_campaign(status="draft")
    staff = login("staff")
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        first = campaign.campaign_targets[0]
        first.report_zh = "述职报告"
        db.session.commit()
        ids = [t.id for t in campaign.targets]
    r = staff.post(f"/admin/campaigns/{cid}/targets", data={"action": "add", "new-code": "extra", "new-kind": "unit",
                                                             "new-name_zh": "新单位", "new-name_en": "New unit"})
    assert r.status_code == 302
    with app.app_context():
        extra = db.session.query(Target).filter_by(code="extra").one().id
    r = staff.post(f"/admin/campaigns/{cid}/targets", data={"action": "choose",
                                                             "target": [str(i) for i in [extra] + ids[1:] + ids[:1]]})
    assert r.status_code == 302
    with app.app_context():
        rows = db.session.query(CampaignTarget).filter_by(campaign_id=cid).order_by(CampaignTarget.position).all()
        assert sorted(r.target_id for r in rows) == sorted([extra] + ids)
        assert [r.position for r in rows] == [0, 1, 2, 3]
        assert next(r for r in rows if r.target_id == ids[0]).report_zh == "述职报告"
