"""A committee's secretary sets up, opens, counts and files a decision meeting, and members vote on
their phones, in Chromium: Chinese and English, 390 px for the members."""
import csv
import io
from pathlib import Path

import pytest

from survey_app.extensions import db
from survey_app.models import Campaign

from .conftest import DESKTOP, PASSPHRASE, PHONE, assert_all_in_sight

pytestmark = pytest.mark.browser

MATTERS = [("关于年度工作方案", "Annual plan", "ordinary"), ("关于机构改革", "Reform", "especially_major"),
           ("关于干部任免", "Appointment", "personnel")]


def test_the_secretary_sets_up_and_opens_a_meeting(site, browse, check):
    page = browse("staff")  # in Chinese
    page.goto(f"{site.url}/admin/")
    page.click("#new-meeting")
    page.wait_for_selector("#meeting-form")
    check(page, "meeting-new", "staff", axe=True)
    page.fill("input[name=code]", "committee")
    page.fill("input[name=title_zh]", "市纪委常委会重大事项表决")
    page.fill("input[name=title_en]", "Standing committee vote")
    page.fill("input[name=body_zh]", "市纪委常委会")
    page.fill("input[name=body_en]", "Standing committee")
    page.fill("input[name=members]", "6")
    page.fill("textarea[name=member_names]", "甲\n乙\n丙")  # three names for six members: refused
    for i, (zh, en, kind) in enumerate(MATTERS):
        page.fill(f"input[name=matters-{i}-name_zh]", zh)
        page.fill(f"input[name=matters-{i}-name_en]", en)
        page.select_option(f"select[name=matters-{i}-kind]", kind)
    page.click("main form[method=post] button[type=submit]")
    assert "name every member or none" in page.inner_text("main") or "全部成员" in page.inner_text("main")
    page.fill("textarea[name=member_names]", "")
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_selector("#matters")
    check(page, "meeting-draft", "staff", axe=True)
    assert [page.locator(f"#matters tbody tr:nth-child({i + 1}) td[data-kind]").get_attribute("data-kind")
            for i in range(3)] == [kind for _zh, _en, kind in MATTERS]
    assert "特别重大事项" in page.inner_text("#matters") and "被评对象" not in page.inner_text("main")
    cid = int(page.url.rstrip("/").split("/")[-1])
    site.state["cid"] = cid
    page.click(f"a[href$='/admin/campaigns/{cid}/open']")
    page.select_option("select[name=officers]", "2")
    page.click(".rows-chooser button[type=submit]")
    page.wait_for_selector("input[name=officers-1-name]")
    page.fill("input[name=threshold]", "2")
    for i, name in enumerate(("王守正", "刘清源")):
        page.fill(f"input[name=officers-{i}-name]", name)
        page.fill(f"input[name=officers-{i}-passphrase]", f"{PASSPHRASE} {i}")
        page.fill(f"input[name=officers-{i}-repeat]", f"{PASSPHRASE} {i}")
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_url("**/officers")
    page.goto(f"{site.url}/admin/campaigns/{cid}/officers/1/sheet")
    key = page.inner_text("#officer-public-key")
    assert len(key.split()) == 16  # 64 hex digits in groups of four, printed before voting starts
    site.state["key"] = key.replace(" ", "")
    check(page, "meeting-officer-sheet", "staff")
    # one code per member: six, and a seventh refused
    page.goto(f"{site.url}/admin/campaigns/{cid}")
    assert "6" in page.inner_text("#ballots-left")
    page.fill("input[name=count]", "6")
    page.check("input[name=format][value=csv]")
    with page.expect_download() as download:
        page.click("form[action$='/codes'] button[type=submit]")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    site.state["codes"] = [row["code"] for row in rows]
    assert len(rows) == 6
    page.goto(f"{site.url}/admin/campaigns/{cid}")
    page.fill("input[name=count]", "1")
    page.click("form[action$='/codes'] button[type=submit]")
    page.wait_for_selector(".flash.error")
    assert "每名成员只发一个表决码" in page.inner_text(".flash.error")
    check(page, "meeting-open", "staff")


def _vote_on_a_phone(site, browse, check, code, lang, votes, name):
    page = browse(lang=lang, viewport=PHONE)
    page.goto(f"{site.url}/answer#{code}")
    page.click("main button[type=submit]")
    page.wait_for_url("**/answer/questionnaire")
    role = page.inner_text("#voter-role")
    assert ("表决" in role) if lang == "zh_CN" else ("You vote as a member of Standing committee" in role)
    check(page, f"{name}-matter-1", axe=True)
    for step, vote in enumerate(votes, start=1):
        progress = page.inner_text(".progress .small")
        assert (f"第{step}项议题" in progress) if lang == "zh_CN" else (f"Matter {step} of 3" in progress)
        card = page.locator(".target-card:not(.step-hidden)")
        card.locator(f"input[value={vote}]").check()
        nxt = page.locator(".stepper-nav button:not(.secondary)")
        if step < len(votes):
            nxt.click()
    page.click("button[value=review]")
    page.wait_for_selector("#review-form")
    check(page, f"{name}-review", axe=True)
    text = page.inner_text("main")
    assert ("核对您的表决" in text) if lang == "zh_CN" else ("Review your votes" in text)
    assert "被评对象" not in text and "Target" not in text
    page.click("button[value=submit]")
    page.wait_for_url("**/answer/done")
    check(page, f"{name}-done")
    return page


def test_members_vote_on_their_phones(site, browse, check):
    codes = site.state["codes"]
    _vote_on_a_phone(site, browse, check, codes[0], "zh_CN", ["agree", "agree", "agree"], "member-zh")
    page = _vote_on_a_phone(site, browse, check, codes[1], "en", ["agree", "disagree", "abstain"], "member-en")
    # the same code a second time is refused
    page.goto(f"{site.url}/answer#{codes[1]}")
    page.click("main button[type=submit]")
    page.wait_for_selector("#refused[data-reason=used]")
    check(page, "member-second-vote-refused")
    # two more members vote (as the answer page would seal their ballots)
    from survey_app.ballots import operations as ballots
    from survey_app.ballots.validation import BallotContent
    with site.app.app_context():
        campaign = db.session.get(Campaign, site.state["cid"])
        matters = [ct.target.code for ct in campaign.campaign_targets]
        for code in codes[2:4]:
            ballots.submit(campaign, campaign.group("members"), BallotContent(
                answers=[(m, "q01", "agree") for m in matters]), code=code)


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_secretary_counts_and_files_the_minutes(site, browse, check, lang):
    cid = site.state["cid"]
    page = browse("staff", lang=lang, viewport=DESKTOP)
    if lang == "en":  # counted once, by the first run
        page.goto(f"{site.url}/admin/campaigns/{cid}")
        page.click(f"a[href$='/admin/campaigns/{cid}/close']")
        page.click("main form button[type=submit]")
        page.wait_for_selector(".badge.status-closed")
        page.click(f"a[href$='/admin/campaigns/{cid}/count']")
        page.fill("input[name=officers-0-passphrase]", f"{PASSPHRASE} 0")
        page.fill("input[name=officers-1-passphrase]", f"{PASSPHRASE} 1")
        page.click("main button[type=submit]")
        page.wait_for_url(f"**/admin/campaigns/{cid}/results")
    page.goto(f"{site.url}/admin/campaigns/{cid}/results")
    check(page, f"meeting-results-{lang}", "staff", axe=True)
    outcomes = [page.locator(f"#decision-table tbody tr:nth-child({i}) [data-result]").get_attribute("data-result")
                for i in (1, 2, 3)]
    # 6 members, 4 voted: ordinary 4 of 6 agree (needs 4), especially major 3 (needs 4), personnel quorum 4 met
    assert outcomes == ["passed", "not_passed", "not_passed"]
    main = page.inner_text("main")
    for word in (("Score", "Rank", "interval", "Grade", "Alert") if lang == "en" else ("得分", "排名", "等次", "预警")):
        assert word not in main
    assert page.locator("#signatures[data-state=signed]").count() == 1
    assert site.state["key"][:4] in page.inner_text("#signatures")
    with page.expect_download() as download:
        page.evaluate("url => { const a = document.createElement('a'); a.href = url; a.download = 'm.pdf'; "
                      "document.body.appendChild(a); a.click(); }",
                      f"/admin/meetings/{cid}/minutes.pdf?lang={'en' if lang == 'en' else 'zh'}")
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_clerks_key_a_spoiled_sheet_and_the_result_counts_its_member_present(site, browse, check, lang):
    """A meeting of 9 deciding a personnel matter (two thirds present: 6): five members agree on
    their phones, a sixth hands in a paper sheet, and both clerks key it spoiled in Chromium. The
    secretary's result page says the sixth was present and did not vote, at desktop and phone
    width: the matter is decided and passes (5 of 9)."""
    from survey_app.admin import operations
    from survey_app.ballots import keys
    from survey_app.ballots import operations as ballots
    from survey_app.ballots.validation import BallotContent
    from survey_app.meetings.operations import create_meeting
    from survey_app.paper import sheets
    from tests.web.meetings.conftest import OFFICERS, close_and_count, setup

    with site.app.app_context():
        campaign = create_meeting(f"spoiled-{lang}", setup(members=9))
        operations.open_campaign(campaign, [keys.Officer(n, p) for n, p in OFFICERS], 2)
        cid, group = campaign.id, campaign.group("members")
        codes = ballots.issue_codes(campaign, group, 5)
        batch = sheets.print_batch(campaign, group, 1, "staff")
        number = batch.first_number
        matters = [ct.target.code for ct in campaign.campaign_targets]
        for code in codes:
            ballots.submit(campaign, group, BallotContent(answers=[(m, "q01", "agree") for m in matters]), code=code)
    for clerk in ("clerk1", "clerk2"):
        page = browse(clerk, lang=lang, viewport=DESKTOP)
        page.goto(f"{site.url}/paper/{cid}/sheets/{number}")
        page.check("input[name=spoiled]")
        page.click("main form[method=post] button[type=submit]")
        page.wait_for_load_state()
        assert "/sheets/" not in page.url or page.locator(".flash.error").count() == 0
    close_and_count(site.app, cid)
    words = ("另有1名成员交回的纸质表决票被认定为废票或无效" if lang == "zh_CN"
             else "1 more member handed in a spoiled or invalid paper sheet")
    for viewport in (DESKTOP, PHONE):
        page = browse("staff", lang=lang, viewport=viewport)
        page.goto(f"{site.url}/admin/campaigns/{cid}/results")
        check(page, f"meeting-spoiled-{lang}", "staff", axe=True)
        spoiled = page.locator("#decision-spoiled")
        assert spoiled.is_visible() and words in spoiled.inner_text()
        box = spoiled.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        personnel = page.locator("#decision-table tbody tr:nth-child(3) [data-result]")
        assert personnel.get_attribute("data-result") == "passed"
        # every matter's outcome in sight without scrolling sideways (a phone: one card a matter)
        assert page.locator("#decision-table [data-result]").count() == 3
        assert_all_in_sight(page, "#decision-table", "[data-result]", viewport["width"])
