"""City-size set-up: targets and leader accounts from CSV or XLSX with a preview and problems by
row, applied only on confirmation; last year's set-up copied into a new draft."""
import io
import re

import pytest
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Campaign, CampaignTarget, Target, User

HEADER = "code,kind,name_zh,name_en,post_zh,post_en,unit,report_zh,report_en,account\n"
GOOD = HEADER + (
    "gaj,unit,公安局,Public Security Bureau,,,,,,\n"
    "li-ming,leader,李明,Li Ming,局长,Director,gaj,本人述职报告……,My report,liming\n"
    "jyj,单位,教育局,Education Bureau,,,,,,\n")


def upload(client, cid, text, name="targets.csv", encoding="utf-8"):
    data = {"file": (io.BytesIO(text.encode(encoding) if isinstance(text, str) else text), name)}
    return client.post(f"/admin/campaigns/{cid}/targets/import", data=data, content_type="multipart/form-data")


def payload(html):
    return re.search(r'name="payload" value="([^"]+)"', html).group(1)


def counts(app):
    with app.app_context():
        return (db.session.execute(select(func.count()).select_from(Target)).scalar_one(),
                db.session.execute(select(func.count()).select_from(User)).scalar_one())


def test_preview_then_confirm_creates_targets_reports_and_accounts(app, login, make_campaign):
    cid = make_campaign(status="draft", n_targets=1)
    staff = login("staff")
    before = counts(app)
    preview = upload(staff, cid, GOOD)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Li Ming" in html and "liming" in html
    assert counts(app) == before  # a preview changes nothing
    done = staff.post(f"/admin/campaigns/{cid}/targets/import", data={"payload": payload(html)})
    assert done.status_code == 200 and done.headers["Cache-Control"].startswith("no-store")
    password = re.search(r"<td>liming</td><td><code>([^<]+)</code>", done.get_data(as_text=True)).group(1)
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        assert [t.code for t in campaign.targets] == ["c1-t1", "gaj", "li-ming", "jyj"]
        li = db.session.execute(select(Target).where(Target.code == "li-ming")).scalar_one()
        assert li.kind == "leader" and li.unit.code == "gaj" and li.post_en == "Director"
        ct = db.session.execute(select(CampaignTarget).where(CampaignTarget.target_id == li.id)).scalar_one()
        assert ct.report_zh.startswith("本人述职报告")
        jyj = db.session.execute(select(Target).where(Target.code == "jyj")).scalar_one()
        assert jyj.kind == "unit"
        user = db.session.execute(select(User).where(User.username == "liming")).scalar_one()
        assert user.role == "leader" and user.target_id == li.id and user.must_change_password
    leader = app.test_client()
    assert leader.post("/login", data={"username": "liming", "password": password}).status_code == 302


@pytest.mark.parametrize("text, line, words", [
    (HEADER + "gaj,unit,公安局,PSB,,,,,,\ngaj,unit,公安局,PSB,,,,,,\n", 3, "also on line 2"),
    (HEADER + "bad code,unit,公安局,PSB,,,,,,\n", 2, "letters, digits"),
    (HEADER + "x1,boss,甲,A,,,,,,\n", 2, "kind must be leader or unit"),
    (HEADER + "x1,unit,,A,,,,,,\n", 2, "name_zh is empty"),
    (HEADER + "x1,leader,甲,A,,,nowhere,,,\n", 2, "unit nowhere"),
    (HEADER + "x1,leader,甲,A,,,,,,staff\n", 2, "exists already for someone else"),
    ("code,name_zh\nx,甲\n", 1, "Columns missing"),
])
def test_problems_are_listed_by_line_and_nothing_is_written(app, login, make_campaign, text, line, words):
    cid = make_campaign(status="draft", n_targets=1)
    staff = login("staff")
    before = counts(app)
    response = upload(staff, cid, text)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(rf'<td class="num">{line}</td><td>[^<]*{re.escape(words)}', html), html[-3000:]
    assert 'name="payload"' not in html
    assert counts(app) == before


def test_xlsx_and_gb18030_csv_are_read(app, login, make_campaign):
    from openpyxl import Workbook
    cid = make_campaign(status="draft", n_targets=1)
    staff = login("staff")
    book = Workbook()
    for row in [line.split(",") for line in GOOD.strip().split("\n")]:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    html = upload(staff, cid, out.getvalue(), name="targets.xlsx").get_data(as_text=True)
    assert "Li Ming" in html and 'name="payload"' in html
    html = upload(staff, cid, GOOD, encoding="gb18030").get_data(as_text=True)
    assert "Li Ming" in html and 'name="payload"' in html
    garbage = upload(staff, cid, b"PK\x03\x04 not really a workbook", name="targets.xlsx")
    assert garbage.status_code == 400 and "XLSX" in garbage.get_data(as_text=True)


def test_an_altered_preview_is_refused(app, login, make_campaign):
    cid = make_campaign(status="draft", n_targets=1)
    staff = login("staff")
    html = upload(staff, cid, GOOD).get_data(as_text=True)
    forged = payload(html)[:-3] + "abc"
    before = counts(app)
    assert staff.post(f"/admin/campaigns/{cid}/targets/import", data={"payload": forged}).status_code == 400
    assert counts(app) == before


def test_an_open_campaign_takes_no_import(app, login, campaign_id):
    staff = login("staff")
    assert upload(staff, campaign_id, GOOD).status_code == 409


def test_copy_last_years_setup(app, login, make_campaign):
    last = make_campaign(code="y2025", status="closed", n_targets=3)
    new = make_campaign(code="y2026", status="draft", groups=[], n_targets=0)
    with app.app_context():
        campaign = db.session.get(Campaign, new)
        campaign.groups.clear()
        db.session.commit()
        source = db.session.get(Campaign, last)
        source.hotline, source.min_group_size = "0791-12388", 7
        db.session.commit()
    staff = login("staff")
    page = staff.get(f"/admin/campaigns/{new}/copy").get_data(as_text=True)
    assert "y2025" in page
    assert staff.post(f"/admin/campaigns/{new}/copy", data={"source": last}).status_code == 302
    with app.app_context():
        campaign, source = db.session.get(Campaign, new), db.session.get(Campaign, last)
        assert [(g.code, g.weight, g.access) for g in campaign.groups] == \
            [(g.code, g.weight, g.access) for g in source.groups]
        assert [t.code for t in campaign.targets] == [t.code for t in source.targets]
        assert (campaign.hotline, campaign.min_group_size) == ("0791-12388", 7)
        public = [g for g in campaign.groups if g.access == "public"]
        assert public and public[0].public_token != source.group("public").public_token
    # a second copy is refused: the campaign has groups now, nothing changes
    assert staff.post(f"/admin/campaigns/{new}/copy", data={"source": last}).status_code == 302
    with app.app_context():
        assert len(db.session.get(Campaign, new).groups) == 2


def test_a_failure_half_way_leaves_nothing(app, login, make_campaign, monkeypatch):
    """Targets, reports and accounts are applied in one transaction: all or nothing."""
    from survey_app.admin import imports
    cid = make_campaign(status="draft", n_targets=1)
    staff = login("staff")
    html = upload(staff, cid, GOOD).get_data(as_text=True)
    before = counts(app)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(imports.audit, "record", broken)
    with pytest.raises(RuntimeError):
        staff.post(f"/admin/campaigns/{cid}/targets/import", data={"payload": payload(html)})
    assert counts(app) == before
