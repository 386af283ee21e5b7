"""Every staff flow in headless Chromium, in the order a commission lives a campaign: a
questionnaire from a template, a campaign with groups, weights and targets, opening it, codes
and slips, turnout, paper double entry and a third check, closing, counting, moderation,
publication; then a leader's report and a visitor's check of the results. Each step keeps a
screenshot; a last sweep reads every visited page in both languages, on a desktop and at
390 px, for width and accessibility. The steps share one server and run in file order."""
import csv
import io
import zipfile
from pathlib import Path

import pytest

from survey_app.extensions import db

from .conftest import DESKTOP, PASSPHRASE, PASSWORD, PHONE, assert_all_in_sight, login, name_panel

pytestmark = pytest.mark.browser
CODE = "city-2026"


def campaign(site):
    from survey_app.models import Campaign
    return db.session.get(Campaign, site.state["campaign_id"])


def test_questionnaire_from_a_template_is_published(site, browse, check):
    page = browse("staff")
    page.goto(site.url + "/designer/")
    check(page, "designer-index", "staff")
    page.check("input[name=source][value=template]")
    page.select_option("select[name=kind]", "sector_style")
    page.fill("input[name=code]", "city-sector")
    page.click("#start button[type=submit]")
    page.wait_for_url("**/designer/versions/*")
    check(page, "designer-draft", "staff")
    page.click("button[data-confirm]")  # the confirmation dialog is accepted
    page.wait_for_selector(".badge.status-published")
    site.state["version_id"] = int(page.url.rstrip("/").rsplit("/", 1)[1])
    check(page, "designer-published", "staff")


def test_campaign_with_groups_weights_and_targets(site, browse, check):
    page = browse("staff")
    page.goto(site.url + "/admin/campaigns/new")
    check(page, "campaign-new", "staff")
    page.fill("input[name=code]", CODE)
    page.fill("input[name=title_zh]", "江川市2026年行风评议")
    page.fill("input[name=title_en]", "Jiangchuan sector-style appraisal 2026")
    page.select_option("select[name=kind]", "sector_style")
    page.select_option("select[name=questionnaire_version]", str(site.state["version_id"]))
    page.fill("input[name=min_group_size]", "3")
    page.fill("input[name=hotline]", "12388")
    page.click("main button[type=submit]")
    page.wait_for_url("**/admin/campaigns/*")
    assert "/new" not in page.url, page.inner_text("main")
    site.state["campaign_id"] = int(page.url.rsplit("/", 1)[1])
    for code, name_zh, name_en, weight, access in (("staff", "干部职工", "Staff", "0.6", "code"),
                                                    ("public", "群众", "Public", "0.4", "public")):
        page.click(f"a[href$='/groups/new']")
        page.fill("input[name=code]", code)
        page.fill("input[name=name_zh]", name_zh)
        page.fill("input[name=name_en]", name_en)
        page.fill("input[name=weight]", weight)
        page.check(f"input[name=access][value={access}]")
        page.click("main button[type=submit]")
        page.wait_for_selector(f"tr[data-group={code}]")
    page.click("a[href$='/targets']")
    check(page, "targets", "staff")
    for i, (zh, en) in enumerate((("公安局", "Public Security Bureau"), ("教育局", "Education Bureau"),
                                  ("卫生健康委", "Health Commission")), start=1):
        page.fill("input[name=new-code]", f"unit-{i}")
        page.select_option("select[name=new-kind]", "unit")
        page.fill("input[name=new-name_zh]", zh)
        page.fill("input[name=new-name_en]", en)
        page.click("section button[type=submit]")
        page.wait_for_selector(f"label[for^=t]:text('unit-{i}')")
    page.click("form.card button[type=submit]")  # save the selection (all three are ticked)
    page.wait_for_url(f"**/admin/campaigns/{site.state['campaign_id']}")
    check(page, "campaign-draft", "staff")
    assert page.locator("tr[data-group]").count() == 2
    with site.app.app_context():
        c = campaign(site)
        assert [t.code for t in c.targets] == ["unit-1", "unit-2", "unit-3"]
        assert {g.code: g.weight for g in c.groups} == {"staff": 0.6, "public": 0.4}


def test_open_the_campaign(site, browse, check):
    page = browse("staff")
    page.goto(f"{site.url}/admin/campaigns/{site.state['campaign_id']}/open")
    check(page, "open", "staff")
    # two officers, both needed: the rows chooser asks the page for two rows
    name_panel(page, ("Officer A", "Officer B"))
    check(page, "officers", "staff")
    page.goto(f"{site.url}/admin/campaigns/{site.state['campaign_id']}/officers/1/sheet")
    check(page, "officer-sheet", "staff")
    page.goto(f"{site.url}/admin/campaigns/{site.state['campaign_id']}")
    page.wait_for_selector(".badge.status-open")
    check(page, "campaign-open", "staff")


def test_issue_codes_and_download_slips(site, browse, check):
    page = browse("staff")
    page.goto(f"{site.url}/admin/campaigns/{site.state['campaign_id']}")
    page.fill("input[name=count]", "6")
    page.check("input[name=format][value=pdf]")
    with page.expect_download() as download:
        page.click("form[action$='/codes'] button[type=submit]")
    assert download.value.suggested_filename.endswith(".pdf")
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
    page.check("input[name=format][value=csv]")
    page.fill("input[name=count]", "4")
    with page.expect_download() as download:
        page.click("form[action$='/codes'] button[type=submit]")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == 4
    site.state["codes"] = [row["code"] for row in rows]


def _answer(site, code=None, group="staff", option="A", comment=None):
    """A respondent's ballot, sealed as the answer page would (the respondent's browser has tests of its own)."""
    from survey_app.ballots import operations as ballots
    from survey_app.ballots.validation import BallotContent, asked
    with site.app.app_context():
        c = campaign(site)
        q = c.questionnaire_version.parsed
        content = BallotContent()
        for item, target in asked(q, group, [t.code for t in c.targets]):
            if item.type == "rating":
                content.answers.append((target, item.code, option))
            elif item.type == "text" and target and comment:
                content.comments.append((target, item.code, comment))
        return ballots.submit(c, c.group(group), content, code=code)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_watch_turnout(site, browse, check, viewport):
    if "receipts" not in site.state:
        site.state["receipts"] = [_answer(site, code, option=o, comment=f"意见{i}")
                                  for i, (code, o) in enumerate(zip(site.state["codes"][:3], "ABC"))]
        site.state["receipts"] += [_answer(site, group="public", option=o) for o in "AABB"]
    page = browse("staff", viewport=viewport)
    page.goto(f"{site.url}/admin/campaigns/{site.state['campaign_id']}")
    assert page.inner_text("tr[data-group=staff] [data-field=received]") == "3"
    assert page.inner_text("tr[data-group=public] [data-field=received]") == "4"
    check(page, "turnout", "staff")


def test_two_clerks_key_a_sheet_and_a_third_resolves_the_mismatch(site, browse, check):
    from survey_app.models import PaperSheet
    from survey_app.paper import sheets
    cid = site.state["campaign_id"]
    staff = browse("staff")
    staff.goto(f"{site.url}/paper/{cid}")
    check(staff, "paper-campaign", "staff")
    staff.select_option("select[name=group]", label="干部职工")
    staff.fill("input[name=count]", "2")
    staff.click("form[action$='/print'] button[type=submit]")
    staff.wait_for_selector(".flash.success")
    # on a phone the print runs are cards: nothing hidden sideways, their PDF buttons in sight
    phone = browse("staff", viewport=PHONE)
    phone.goto(f"{site.url}/paper/{cid}")
    check(phone, "paper-campaign-phone", "staff")
    assert_all_in_sight(phone, "#batches", "button", PHONE["width"])
    # and the questionnaire's version history, with the campaign now using it
    phone.goto(f"{site.url}/designer/versions/{site.state['version_id']}")
    check(phone, "designer-versions-phone", "staff")
    assert phone.locator("#version-history td a").count() >= 3  # the version, the campaign, its method.json
    assert_all_in_sight(phone, "#version-history", "td a", PHONE["width"])
    with site.app.app_context():
        number = min(s.number for s in db.session.query(PaperSheet).all())
    label = sheets.sheet_label(number)
    typed = {}
    for clerk, letter in (("clerk1", "A"), ("clerk2", "B")):
        page = browse(clerk, viewport=PHONE)
        page.goto(f"{site.url}/paper/{cid}/enter")
        check(page, f"paper-enter-{clerk}", clerk)
        page.fill("input[name=number]", label)
        page.press("input[name=number]", "Enter")
        page.wait_for_url(f"**/paper/{cid}/sheets/*")
        rows = page.locator("input.letters:not(.multi)")
        for i in range(rows.count()):
            row = rows.nth(i)
            n = int(row.get_attribute("data-len"))
            # the clerks agree on every row but the first
            row.fill((letter if i == 0 else "A") * n)
        check(page, f"paper-sheet-{clerk}", clerk)
        page.click("main button[type=submit]:not(.secondary)")
        page.wait_for_url(f"**/paper/{cid}/enter")
        typed[clerk] = page.inner_text(".flash")
    assert label in typed["clerk2"]
    staff.goto(f"{site.url}/paper/{cid}")
    staff.click(f"a[href$='/check/{number}']")
    staff.wait_for_url(f"**/check/{number}")
    check(staff, "paper-third-check", "staff")
    first = staff.locator("input.letters:not(.multi)").first
    first.fill("A" * int(first.get_attribute("data-len")))
    staff.click("main button[type=submit]:not(.secondary)")
    staff.wait_for_url(f"**/paper/{cid}")
    said = staff.inner_text(".flash")
    assert "第三方核对完成" in said and "两次录入一致" not in said, said
    with site.app.app_context():
        sheet = db.session.query(PaperSheet).filter_by(number=number).one()
        assert sheet.status == "ballot" and sheet.third_checked
    staff.goto(f"{site.url}/paper/{cid}/reconciliation")
    check(staff, "paper-reconciliation", "staff")
    # every column in view at 1366 px: the table does not scroll inside its frame
    frame = staff.locator(".reconciliation .table-wrap").first
    assert frame.evaluate("el => el.scrollWidth <= el.clientWidth"), "the reconciliation table is cut at 1366 px"


def test_close_count_moderate_publish(site, browse, check):
    cid = site.state["campaign_id"]
    page = browse("staff")
    page.goto(f"{site.url}/admin/campaigns/{cid}")
    page.click(f"a[href$='/admin/campaigns/{cid}/close']")
    check(page, "close-confirm", "staff")
    assert page.locator(".lifecycle [aria-current=step]").count() == 1  # says what comes next
    page.click("main form button[type=submit]")
    page.wait_for_selector(".badge.status-closed")
    check(page, "closed", "staff")
    page.click(f"a[href$='/admin/campaigns/{cid}/count']")
    check(page, "count", "staff")
    page.fill("input[name=officers-0-passphrase]", f"{PASSPHRASE} 0")
    page.fill("input[name=officers-1-passphrase]", "not the passphrase at all")
    page.click("main button[type=submit]")
    assert page.locator(".error").count() >= 1
    page.fill("input[name=officers-0-passphrase]", f"{PASSPHRASE} 0")
    page.fill("input[name=officers-1-passphrase]", f"{PASSPHRASE} 1")
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/admin/campaigns/{cid}/results")
    check(page, "results", "staff")
    page.goto(f"{site.url}/reports/{cid}/comments")
    check(page, "comments", "staff")
    assert page.locator(".moderation li").count() == 9  # three comments on each of three targets
    page.locator(".moderation li button[value=published]").first.click()
    page.wait_for_selector(".flash")
    assert page.locator(".moderation li").count() == 8
    # the rest of one target's comments at once: filter, select all, publish selected
    page.select_option("select[name=target]", label="unit-2 · 教育局")
    page.click("#comment-filter button[type=submit]")
    assert page.locator(".moderation li").count() == 3
    page.check("#select-all")
    page.click(".bulk-actions button[value=published]")
    page.wait_for_selector(".flash.success")
    assert page.locator(".moderation li").count() == 0
    check(page, "comments-bulk", "staff")
    page.goto(f"{site.url}/reports/{cid}/dashboard")
    check(page, "dashboard", "staff")
    page.goto(f"{site.url}/admin/campaigns/{cid}")
    page.click(f"a[href$='/admin/campaigns/{cid}/publish']")
    check(page, "publish-confirm", "staff")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".badge.status-published")
    check(page, "published", "staff")


def test_a_leader_reads_their_report_and_pdf(site, browse, check):
    from survey_app.auth.operations import create_user
    from survey_app.models import Target
    with site.app.app_context():
        target = db.session.query(Target).filter_by(code="unit-1").one()
        create_user("leader1", PASSWORD, "leader", target_id=target.id)
        db.session.commit()
    for viewport in (DESKTOP, PHONE):
        page = browse("leader1", viewport=viewport)
        page.goto(site.url + "/reports/")
        check(page, "leader-reports", "leader1")
        page.click("a.button:not(.secondary)")
        page.wait_for_url("**/reports/*/targets/*")
        check(page, "leader-report", "leader1")
        assert "公安局" in page.inner_text("main")
        pdf = page.request.get(page.url + ".pdf")
        assert pdf.ok and pdf.body()[:5] == b"%PDF-"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_visitor_reads_the_ranking_checks_a_receipt_and_downloads_the_bundle(site, browse, check, viewport):
    page = browse(viewport=viewport)
    page.goto(site.url + "/")
    check(page, "home")
    page.click(f"a[href='/results/{CODE}']")
    check(page, "ranking")
    assert page.locator("#public-ranking tbody tr").count() == 3
    page.click(f"a[href='/results/{CODE}/receipts']")
    page.fill("input[name=r]", site.state["receipts"][0])
    page.click("main button[type=submit]")
    page.wait_for_selector(".flash.success")
    check(page, "receipt-found")
    page.goto(f"{site.url}/results/{CODE}")
    with page.expect_download() as download:
        page.click(f"a[href='/results/{CODE}/bundle.zip']")
    with zipfile.ZipFile(download.value.path()) as archive:
        names = archive.namelist()
    assert f"{CODE}/results.json" in names and f"{CODE}/answers.csv" in names


def test_next_year_copies_the_setup_and_imports_targets_with_accounts(site, browse, check, tmp_path):
    page = browse("staff")
    page.goto(site.url + "/admin/campaigns/new")
    page.fill("input[name=code]", "city-2027")
    page.fill("input[name=title_zh]", "江川市2027年行风评议")
    page.fill("input[name=title_en]", "Jiangchuan sector-style appraisal 2027")
    page.select_option("select[name=questionnaire_version]", str(site.state["version_id"]))
    page.fill("input[name=min_group_size]", "3")
    page.click("main button[type=submit]")
    page.wait_for_url("**/admin/campaigns/*")
    page.click("a[href$='/copy']")
    check(page, "copy-setup", "staff")
    page.select_option("select[name=source]", str(site.state["campaign_id"]))
    page.click("main button[type=submit]")
    page.wait_for_selector(".flash.success")
    assert page.locator("tr[data-group]").count() == 2
    page.click("a[href$='/targets/import']")
    check(page, "import-targets", "staff")
    sheet = tmp_path / "targets.csv"
    sheet.write_text("code,kind,name_zh,name_en,post_zh,post_en,unit,report_zh,report_en,account\n"
                     "zhang-wei,领导,张伟,Zhang Wei,公安局局长,Director of the Public Security Bureau,unit-1,"
                     "述职报告正文,Report text,zhangwei\n"
                     "bad code,unit,某局,Some bureau,,,,,,\n", encoding="utf-8")
    page.set_input_files("input[name=file]", str(sheet))
    page.click("main form button[type=submit]")
    page.wait_for_selector(".import-problems")
    check(page, "import-problems", "staff")
    assert "3" in page.inner_text(".import-problems td.num")  # the bad row, by its line
    sheet.write_text(sheet.read_text(encoding="utf-8").rsplit("bad code", 1)[0], encoding="utf-8")
    page.set_input_files("input[name=file]", str(sheet))
    page.click("main form button[type=submit]")
    page.wait_for_selector(".preview-table")
    check(page, "import-preview", "staff")
    page.click("main form:has(input[name=payload]) button[type=submit]")  # the preview's confirmation
    page.wait_for_selector("#new-accounts")
    assert page.locator("#new-accounts tbody tr").count() == 1
    check(page, "import-accounts", "staff", axe=True)
    page.click("main a.button")
    assert "张伟" in page.inner_text("main")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_visited_page_fits_and_passes_axe(site, chromium, check, lang, viewport):
    assert len(site.pages) > 15, site.pages
    by_account: dict = {}
    for path, account in site.pages:
        by_account.setdefault(account, []).append(path)
    for account, paths in by_account.items():
        context = chromium.new_context(viewport=viewport, bypass_csp=True)
        context.add_cookies([{"name": "lang", "value": lang, "url": site.url}])
        page = context.new_page()
        if account:
            login(page, site, account)
        for path in paths:
            page.goto(site.url + path)
            # Width in every language and viewport; axe (slow) on the desktop and in Chinese on a phone.
            check(page, f"sweep-{lang}-{account}-{path}", account, axe=viewport == DESKTOP or lang == "zh_CN")
        context.close()
