"""The commission's path through the web UI, from questionnaire to published scores."""
import csv
import io
import re

import questionnaires
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import AccessCode, Campaign, Envelope, Target

from tests.web.helpers import PASSPHRASE, submit_ballot


def upload_template(client, kind="sector_style", publish=True):
    text = questionnaires.dump(questionnaires.template(kind))
    data = {"file": (io.BytesIO(text.encode()), f"{kind}.yaml")}
    if publish:
        data["publish"] = "y"
    return client.post("/designer/questionnaires/upload", data=data, content_type="multipart/form-data")


def test_whole_campaign_through_the_ui(app, login, full_answers, open_form, count_form):
    staff = login("staff")
    response = upload_template(staff)
    assert response.status_code == 302
    version_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        for i in range(3):
            db.session.add(Target(code=f"u{i}", kind="unit", name_zh=f"单位{i}", name_en=f"Unit {i}"))
        db.session.commit()
    response = staff.post("/admin/campaigns/new", data={
        "code": "ui-2026", "title_zh": "界面测试", "title_en": "UI test", "kind": "sector_style",
        "questionnaire_version": version_id, "min_group_size": 3, "show_ranks": "y", "hotline": "12388"})
    assert response.status_code == 302, response.get_data(as_text=True)
    cid = int(response.headers["Location"].rsplit("/", 1)[1])
    for code, weight in (("staff", "0.5"), ("deputies", "0.5")):
        r = staff.post(f"/admin/campaigns/{cid}/groups/new", data={
            "code": code, "name_zh": code, "name_en": code, "weight": weight, "access": "code", "expected": 0})
        assert r.status_code == 302
    with app.app_context():
        ids = [t.id for t in db.session.execute(select(Target)).scalars()]
    assert staff.post(f"/admin/campaigns/{cid}/targets", data={"action": "choose",
                                                                "target": [str(i) for i in ids]}).status_code == 302
    # a passphrase typed differently twice is refused and nothing opens
    r = staff.post(f"/admin/campaigns/{cid}/open", data={**open_form(), "officers-0-repeat": "something else!!"})
    assert r.status_code == 400
    with app.app_context():
        assert db.session.get(Campaign, cid).status == "draft"
    r = staff.post(f"/admin/campaigns/{cid}/open", data=open_form())
    assert r.status_code == 302
    with app.app_context():
        group_id = db.session.get(Campaign, cid).group("staff").id
    r = staff.post(f"/admin/campaigns/{cid}/codes", data={"group": group_id, "count": 4, "format": "csv"})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 4 and all(re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}", row["code"]) for row in rows)
    assert rows[0]["url"].endswith("/answer#" + rows[0]["code"])
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(AccessCode)).scalar_one() == 4
    for row, option in zip(rows[:3], "ABC"):
        data = full_answers(app, cid, "staff", option)
        assert submit_ballot(app.test_client(), data, code=row["code"]).status_code == 302
    page = staff.get(f"/admin/campaigns/{cid}").get_data(as_text=True)
    assert re.search(r'data-field="received">3<', page)
    turnout = staff.get(f"/admin/campaigns/{cid}/turnout.json").get_json()
    assert {g["code"]: g["received"] for g in turnout["groups"]} == {"staff": 3, "deputies": 0}
    assert {g["code"]: g["expected"] for g in turnout["groups"]} == {"staff": 4, "deputies": 0}
    assert sum(day["ballots"] for day in turnout["days"]) == 3
    assert staff.post(f"/admin/campaigns/{cid}/close").status_code == 302
    assert staff.post(f"/admin/campaigns/{cid}/count", data=count_form()).status_code == 302
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Envelope)).scalar_one() == 0
    page = staff.get(f"/admin/campaigns/{cid}/results").get_data(as_text=True)
    assert 'id="results-table"' in page
    from survey_app.results.adapter import results
    with app.app_context():
        data = results(db.session.get(Campaign, cid))
    assert data["ballots"] == 3
    # staff answered A, B and C on every item: the mean of the scale points of A, B, C
    q = questionnaires.template("sector_style")
    points = {o.code: o.points for o in q.scale.options}
    expected = (points["A"] + points["B"] + points["C"]) / 3
    assert all(abs(t["groups"]["staff"]["score"] - expected) < 1e-9 for t in data["targets"])
    # deputies gave nothing: absent, so every composite is reweighted onto staff alone
    assert all(t["reweighted"] and abs(t["score"] - expected) < 1e-9 for t in data["targets"])
    assert staff.post(f"/admin/campaigns/{cid}/publish").status_code == 302
    public = app.test_client().get("/results/ui-2026")
    assert public.status_code == 200 and "Unit 0" in public.get_data(as_text=True)
    public_zh = app.test_client().get("/results/ui-2026", headers={"Accept-Language": "zh-CN"})
    assert "单位0" in public_zh.get_data(as_text=True) and "排名" in public_zh.get_data(as_text=True)


def test_method_json_download(app, login, campaign_id):
    body = login("staff").get(f"/admin/campaigns/{campaign_id}/method.json").get_json()
    assert [g["code"] for g in body["groups"]] == ["public", "staff"]
    assert body["min_group_size"] == 5
    assert body["items"] and all(i["dimension"] for i in body["items"])


def test_invalid_questionnaire_upload_is_refused_with_lines(app, login):
    bad = "format: 1\ncode: x\nkind: nonsense\n"
    r = login("staff").post("/designer/questionnaires/upload", data={"file": (io.BytesIO(bad.encode()), "q.yaml")},
                            content_type="multipart/form-data")
    assert r.status_code == 400
    assert "line 3" in r.get_data(as_text=True)
    with app.app_context():
        from survey_app.models import Questionnaire
        assert db.session.execute(select(func.count()).select_from(Questionnaire)).scalar_one() == 0


def test_issue_codes_pdf_slips(app, login, campaign_id):
    with app.app_context():
        group_id = db.session.get(Campaign, campaign_id).group("staff").id
    r = login("staff").post(f"/admin/campaigns/{campaign_id}/codes", data={"group": group_id, "count": 3,
                                                                          "format": "pdf"})
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    from pypdf import PdfReader
    text = PdfReader(io.BytesIO(r.data)).pages[0].extract_text()
    assert len(re.findall(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}", text)) == 3
    assert "测评码" in text and "anonymous" in text


def test_issue_codes_rejects_bad_count(app, login, campaign_id):
    with app.app_context():
        group_id = db.session.get(Campaign, campaign_id).group("staff").id
    for n in ("0", "-3", "abc", "100000"):
        r = login("staff").post(f"/admin/campaigns/{campaign_id}/codes", data={"group": group_id, "count": n})
        assert r.status_code == 302
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(AccessCode)).scalar_one() == 0


def test_poster_pdf(app, login, campaign_id):
    with app.app_context():
        group_id = db.session.get(Campaign, campaign_id).group("public").id
    r = login("staff").get(f"/admin/campaigns/{campaign_id}/groups/{group_id}/poster.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF-")


def test_campaign_dates_must_be_ordered(app, login):
    staff = login("staff")
    version_id = int(upload_template(staff).headers["Location"].rsplit("/", 1)[1])
    r = staff.post("/admin/campaigns/new", data={
        "code": "bad-dates", "title_zh": "x", "title_en": "x", "kind": "sector_style",
        "questionnaire_version": version_id, "min_group_size": 5,
        "opens_at": "2026-12-10T09:00", "closes_at": "2026-12-01T09:00"})
    assert r.status_code == 400
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Campaign)).scalar_one() == 0


def test_campaign_settings_change_through_operations_without_the_web(app, make_campaign):
    """Each change the campaign pages make is an operation that checks, logs and commits (the CLI's actor)."""
    import pytest

    from survey_app.admin import operations
    from survey_app.models import AuditEntry
    cid = make_campaign(status="draft")
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        operations.add_target(campaign, code="added", kind="unit", name_zh="新单位", name_en="Added unit")
        operations.edit_campaign(campaign, title_zh="改名", title_en="Renamed", hotline="110", contact="office",
                                 closes_at=None, kind=campaign.kind, opens_at=None,
                                 version_id=campaign.questionnaire_version_id, min_group_size=3, show_ranks=False)
        ct = campaign.campaign_targets[-1]
        operations.save_target_report(ct, report_zh="述职", report_en="Report",
                                      pdf=b"%PDF-1.4 report")
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        assert campaign.targets[-1].code == "added" and len(campaign.targets) == 4
        assert (campaign.title_en, campaign.hotline, campaign.min_group_size, campaign.show_ranks) == \
            ("Renamed", "110", 3, False)
        ct = campaign.campaign_targets[-1]
        assert (ct.report_en, ct.report_pdf) == ("Report", b"%PDF-1.4 report")
        entries = db.session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(3)).scalars().all()
        assert [e.action for e in reversed(entries)] == ["campaign.targets", "campaign.edit", "target.report"]
        assert {e.actor for e in entries} == {"cli"}
        operations.save_target_report(ct, report_zh="", report_en="", remove_pdf=True)
        assert db.session.get(Campaign, cid).campaign_targets[-1].report_pdf is None
        operations.open_campaign(campaign, PASSPHRASE)
        # once open, what respondents answer and how it is scored stay as they were
        operations.edit_campaign(campaign, title_zh="改名", title_en="Renamed again", hotline="", contact="",
                                 closes_at=None, kind=campaign.kind, opens_at=None,
                                 version_id=campaign.questionnaire_version_id, min_group_size=9, show_ranks=True)
        assert (campaign.title_en, campaign.min_group_size, campaign.show_ranks) == ("Renamed again", 3, False)
        with pytest.raises(operations.LifecycleError):
            operations.add_target(campaign, code="late", kind="unit", name_zh="迟", name_en="Late")
        assert db.session.execute(select(Target).where(Target.code == "late")).scalar_one_or_none() is None
        csv_text = operations.codes_csv(campaign, campaign.group("staff"), ["ABCD-EFGH-JK"])
        assert csv_text == "campaign,group,code,url\r\nc1,staff,ABCD-EFGH-JK,http://testserver/answer#ABCD-EFGH-JK\r\n"


def test_funnel_alerts_are_a_scoring_setting_of_the_campaign_form(app, login, make_campaign):
    """The method's funnel_alerts through the campaign form: null, 0.95 or 0.998 reach method.json;
    anything else is refused in words and changes nothing; fixed once the campaign is open."""
    from survey_app.results import adapter
    cid = make_campaign(status="draft")
    staff = login("staff")
    staff.set_cookie("lang", "en")
    form = staff.get(f"/admin/campaigns/{cid}/edit").get_data(as_text=True)
    assert 'name="funnel_alerts"' in form and "beyond this limit of the funnel plot" in form
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        data = {"title_zh": campaign.title_zh, "title_en": campaign.title_en, "kind": campaign.kind,
                "questionnaire_version": campaign.questionnaire_version_id, "min_group_size": 5, "show_ranks": "y"}
        assert "funnel_alerts" not in adapter.method_dict(campaign)  # unset: method.json as before
    assert staff.post(f"/admin/campaigns/{cid}/edit", data={**data, "funnel_alerts": "0.998"}).status_code == 302
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        assert campaign.funnel_alerts == 0.998 and adapter.method_dict(campaign)["funnel_alerts"] == 0.998
    assert "Beyond the limit of 99.8%" in staff.get(f"/admin/campaigns/{cid}").get_data(as_text=True)
    for lang, words in (("en", "Choose none, the limit of 95%, or the limit of 99.8%."),
                        ("zh_CN", "请选择不启用、95%控制限或99.8%控制限。")):
        staff.set_cookie("lang", lang)
        for bad in ("0.9", "1", "yes", "0.95 "):
            r = staff.post(f"/admin/campaigns/{cid}/edit", data={**data, "title_en": "Changed", "funnel_alerts": bad})
            assert r.status_code == 400 and words in r.get_data(as_text=True), (lang, bad)
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        assert (campaign.funnel_alerts, campaign.title_en) == (0.998, data["title_en"])  # nothing changed
    assert staff.post(f"/admin/campaigns/{cid}/edit", data={**data, "funnel_alerts": ""}).status_code == 302
    with app.app_context():
        assert db.session.get(Campaign, cid).funnel_alerts is None
    opened = make_campaign(code="c2")
    with app.app_context():
        campaign = db.session.get(Campaign, opened)
        data = {"title_zh": campaign.title_zh, "title_en": campaign.title_en, "kind": campaign.kind,
                "questionnaire_version": campaign.questionnaire_version_id, "min_group_size": 5}
    assert staff.post(f"/admin/campaigns/{opened}/edit", data={**data, "funnel_alerts": "0.95"}).status_code == 302
    with app.app_context():
        assert db.session.get(Campaign, opened).funnel_alerts is None  # open: how it is scored is fixed


def test_funnel_alerts_reach_the_results(app, counted_campaign):
    from survey_app.results import adapter
    with app.app_context():
        campaign = db.session.get(Campaign, counted_campaign)
        assert all(t["funnel_alert"] is None for t in adapter.compute_results(campaign)["targets"])
        campaign.funnel_alerts = 0.95  # (the form allows it only before opening; the results follow it)
        ranked = [t for t in adapter.compute_results(campaign)["targets"] if t["rank"] is not None]
        assert ranked and all(t["funnel_alert"] in ("high", "low", "none") for t in ranked)
        assert adapter.compute_results(campaign)["funnel"]["alerts"] == 0.95
