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
                                  "/designer/", "/designer/questionnaires", "/paper/", "/admin/users"])
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


ZH = {"Accept-Language": "zh-CN"}


def test_minimum_group_size_below_three_is_refused(app, login, make_campaign):
    make_campaign(code="q", status="draft")
    staff = login("staff")
    with app.app_context():
        from survey_app.models import QuestionnaireVersion
        version = db.session.query(QuestionnaireVersion).first().id
    data = {"code": "tiny", "title_zh": "小", "title_en": "Tiny", "kind": "sector_style",
            "questionnaire_version": version, "hotline": ""}
    for size in (1, 2):
        r = staff.post("/admin/campaigns/new", data={**data, "min_group_size": size})
        assert r.status_code == 400 and "At least 3" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Campaign).filter_by(code="tiny").count() == 0
    assert staff.post("/admin/campaigns/new", data={**data, "min_group_size": 3}).status_code == 302


def test_close_and_publish_are_separate_confirmed_steps(app, login, campaign_id):
    staff = login("staff")
    page = staff.get(f"/admin/campaigns/{campaign_id}").get_data(as_text=True)
    assert 'action="/admin/campaigns/%d/close"' % campaign_id not in page  # no one-click close
    confirm = staff.get(f"/admin/campaigns/{campaign_id}/close").get_data(as_text=True)
    assert "Close the campaign?" in confirm and "Next: the counting officers" in confirm
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).status == "open"  # a GET changes nothing
    assert staff.post(f"/admin/campaigns/{campaign_id}/close").status_code == 302
    page = staff.get(f"/admin/campaigns/{campaign_id}").get_data(as_text=True)
    assert "/publish" not in page  # not counted yet: nothing to publish
    count = staff.get(f"/admin/campaigns/{campaign_id}/count").get_data(as_text=True)
    assert "publishing is a separate step" in count
    zh = staff.get(f"/admin/campaigns/{campaign_id}/count", headers=ZH).get_data(as_text=True)
    assert "开始计票" not in zh and "计票" in zh


def test_chinese_pages_show_words_not_codes(app, login, campaign_id):
    admin = login("admin")
    log = admin.get("/admin/audit", headers=ZH).get_data(as_text=True)
    body = re.sub(r'<div class="muted small"><code>[^<]*</code></div>', "", log)  # the code under the words
    assert "开启测评活动" in body and "登录" in body
    assert not re.search(r"<td>(user\.login|campaign\.open)</td>", body)
    assert not re.search(r"<span>[a-z_]+=", body)  # no key=value
    index = admin.get("/admin/", headers=ZH).get_data(as_text=True)
    assert "<th>进行中</th>" not in index and "起止时间" in index
    with app.app_context():
        version = db.session.get(Campaign, campaign_id).questionnaire_version_id
    q = admin.get(f"/designer/questionnaires/versions/{version}", headers=ZH).get_data(as_text=True)
    assert not re.search(r"<td>(single|rating|text|multiple)</td>", q) and "评分" in q


def test_designer_item_page_names_its_section(app, login, make_campaign):
    from survey_app.designer import operations
    import questionnaires
    staff = login("staff")
    with app.app_context():
        version = operations.save_questionnaire(questionnaires.template("sector_style"))
        q = version.parsed
        section, item = q.sections[0], q.sections[0].items[0]
        vid = version.id
    for headers, title in ((ZH, section.title.zh), ({}, section.title.en)):
        page = staff.get(f"/designer/versions/{vid}/items/{item.code}", headers=headers).get_data(as_text=True)
        assert "None (" not in page and f"{title} ({section.code})" in page


def test_times_are_in_beijing_time_everywhere(app, login, campaign_id):
    from datetime import datetime
    admin = login("admin")
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        campaign.closes_at = datetime(2026, 6, 30, 16, 0)  # UTC: 1 July, 00:00 in Beijing
        db.session.commit()
    page = admin.get(f"/admin/campaigns/{campaign_id}").get_data(as_text=True)
    assert "1 Jul 2026, 00:00 (Beijing time)" in page and "6/30" not in page
    log = admin.get("/admin/audit").get_data(as_text=True)
    assert "(UTC)" not in log and "When (Beijing time)" in log
    designer = admin.get("/designer/").get_data(as_text=True)
    assert " UTC" not in designer


def test_used_code_page_shows_the_hotline(app, client, campaign_id, full_answers):
    from tests.web.helpers import issue_codes, submit_ballot
    [code] = issue_codes(app, campaign_id)
    submit_ballot(client, full_answers(app, campaign_id, "staff"), code=code)
    again = app.test_client().post("/answer", data={"code": code})
    html = again.get_data(as_text=True)
    assert again.status_code == 403 and "already been used" in html and "12388" in html


def test_paper_hints_name_every_letter_range_and_a_third_check_says_so(app, login, make_campaign):
    from survey_app.models import Campaign as C
    from survey_app.paper import sheets
    cid = make_campaign(code="pc", groups=[("hall", 1.0, "code")], n_targets=2)
    with app.app_context():
        campaign = db.session.get(C, cid)
        batch = sheets.print_batch(campaign, campaign.group("hall"), 1, "staff")
        number = batch.first_number
        lay = sheets.layout(campaign, campaign.group("hall"))
        ranges = {row.key: sorted({len(lay.choices(i)) for i in row.items}) for row in lay.rows}
    clerk = login("clerk")
    page = clerk.get(f"/paper/{cid}/sheets/{number}").get_data(as_text=True)
    letters = "ABCDEFGHIJ"
    for key, sizes in ranges.items():
        cell = re.search(rf'id="f-{re.escape(key)}".*?<span class="muted">\(([^)]*)\)</span>', page, re.S).group(1)
        assert cell == ", ".join(f"A–{letters[n - 1]}" for n in sizes), (key, cell)
    assert any(5 in sizes for sizes in ranges.values())


def test_favicon(app, client):
    r = client.get("/favicon.ico")
    assert r.status_code == 301 and r.headers["Location"].endswith("/static/favicon.svg")
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.data.startswith(b"<svg")
    icon.close()


def test_home_page_promises_no_more_than_the_threat_model(app, client):
    html = client.get("/").get_data(as_text=True)
    assert "not even the people who run this server" not in html
    assert "alters the server's software" in html or "alters the server&#39;s software" in html


def test_the_language_switch_marks_the_current_language(app, client):
    zh = client.get("/", headers=ZH).get_data(as_text=True)
    assert "<strong>中文</strong>" in zh and "/language/zh_CN" not in zh and "/language/en" in zh
    en = client.get("/").get_data(as_text=True)
    assert "<strong>English</strong>" in en and "/language/en?" not in en


def test_designer_lists_option_labels_not_codes(app, login):
    import questionnaires
    from survey_app.designer import operations
    staff = login("staff")
    with app.app_context():
        vid = operations.save_questionnaire(questionnaires.template("integrity_report")).id
    page = staff.get(f"/designer/versions/{vid}", headers=ZH).get_data(as_text=True)
    assert "看过（听过）全文" in page and "full / partial" not in page
