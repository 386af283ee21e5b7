"""The public rating of commitments (评诺) in headless Chromium, as each person: staff open the
campaign (which freezes each leader's own commitments as questions), respondents answer by code
(a leader's own commitment rows on that leader's step only), two counting officers count, staff
read the dashboard and publish, the leader reads the rating in their report (page and PDF), an
auditor reads, and the public sees it on /promises/<target>; each page in Chinese and English, at
1366 and 390 px, checked for width and accessibility (axe)."""
import re

import pytest

from survey_app.extensions import db

from .conftest import DESKTOP, PASSPHRASE, PASSWORD, PHONE, name_panel

pytestmark = pytest.mark.browser

CODE = "pingnuo-2026"
#: leader code -> (name zh, name en, [(commitment zh, en)])
LEADERS = {"pa": ("王副市长", "Vice Mayor Wang", [("年内新建口袋公园10个", "Ten pocket parks this year"),
                                                 ("政务服务一网通办率达95%", "95% of public services online")]),
           "pb": ("陈副市长", "Vice Mayor Chen", [("新开通公交线路6条", "Six new bus lines")])}


@pytest.fixture(scope="module")
def rating(site):
    """A draft rating campaign over two leaders with published commitments, and the accounts of
    leader pa and an auditor."""
    import questionnaires
    from datetime import date

    from survey_app.admin import operations
    from survey_app.auth.operations import create_user
    from survey_app.commitments import operations as commitments
    from survey_app.designer.operations import save_questionnaire
    from survey_app.models import Target
    with site.app.app_context():
        version = save_questionnaire(questionnaires.template("public_rating"), publish=True)
        campaign = operations.create_campaign(code=CODE, kind="public_rating", title_zh="2026年公开承诺群众评议",
                                              title_en="Public rating of commitments 2026", version=version,
                                              min_group_size=3, hotline="12388")
        operations.add_group(campaign, code="residents", name_zh="居民代表", name_en="Residents", weight=1.0,
                             access="code")
        targets = {}
        for code, (zh, en, promises) in LEADERS.items():
            targets[code] = Target(code=code, kind="leader", name_zh=zh, name_en=en, post_zh="副市长",
                                   post_en="Vice Mayor")
            db.session.add(targets[code])
            db.session.flush()
            for text_zh, text_en in promises:
                commitments.create_commitment(targets[code], {
                    "text_zh": text_zh, "text_en": text_en, "deadline": date(2026, 12, 31),
                    "announced_on": date(2026, 1, 20), "category": "livelihood"}, "staff", state="published")
        operations.set_targets(campaign, list(targets.values()))
        create_user("leader-pa", PASSWORD, "leader", "王副市长", targets["pa"].id)
        create_user("auditor", PASSWORD, "auditor")
        return {"id": campaign.id, "pa": targets["pa"].id}


#: (path, account) -> {(language, width)} of every page the cycle checked
SEEN: dict = {}


def seen(check, page, name, account, lang):
    """Check a page (width and axe) and note in which language and at which width it was seen."""
    check(page, name, account, axe=True)
    path = page.url.split("://", 1)[1].split("/", 1)[1].split("#")[0]
    SEEN.setdefault(("/" + path, account), set()).add((lang, page.viewport_size["width"]))


def _sealed(site, cid, codes):
    """Ballots sealed as the answer page seals them, every question of each leader answered "B"."""
    from survey_app.ballots import operations as ballots
    from survey_app.ballots.validation import BallotContent, asked
    from survey_app.models import Campaign
    with site.app.app_context():
        campaign = db.session.get(Campaign, cid)
        for code in codes:
            content = BallotContent()
            for item, target in asked(campaign.questionnaire, "residents", [t.code for t in campaign.targets]):
                if item.type == "rating":
                    content.answers.append((target, item.code, "B"))
            ballots.submit(campaign, campaign.group("residents"), content, code=code)


def _answer_step(page):
    card = page.locator(".target-card:not(.step-hidden)")
    for n, group in enumerate(card.locator(".options").all()):
        if group.locator("input:checked").count() == 0:
            group.locator("label span").nth(n % 2).click()
    return card


def _answer_by_code(page, site, code):
    """Come in with the code, answer every step; returns the text of each leader's step."""
    page.goto(f"{site.url}/answer#{code}")
    page.click("main button[type=submit]")
    page.wait_for_url("**/answer/questionnaire")
    seen = []
    for _ in range(page.locator(".target-card[data-step]").count()):
        seen.append(_answer_step(page).inner_text())
        nxt = page.locator(".stepper-nav button:not(.secondary)")
        if nxt.is_visible():
            nxt.click()
    return seen


@pytest.fixture
def browse(browse):
    """The module's pages wait up to a minute: counting, the dashboard and the PDF are slow on a busy machine."""
    def open_page(*args, **kwargs):
        page = browse(*args, **kwargs)
        page.set_default_timeout(60_000)
        return page
    return open_page


def test_the_whole_rating_cycle(site, browse, check, rating):
    cid = rating["id"]
    # Staff open the campaign (zh, desktop): two counting officers, both needed.
    page = browse("staff", "zh_CN", DESKTOP)
    page.goto(f"{site.url}/admin/campaigns/{cid}/open")
    name_panel(page, ("计票人甲", "计票人乙"))
    page.goto(f"{site.url}/admin/campaigns/{cid}")
    page.wait_for_selector(".badge.status-open")
    assert "年内新建口袋公园10个" in page.inner_text("main")  # the questions frozen at opening
    seen(check, page, "rating-open", "staff", "zh_CN")

    from survey_app.ballots import operations as ballots
    from survey_app.models import Campaign
    with site.app.app_context():
        campaign = db.session.get(Campaign, cid)
        codes = ballots.issue_codes(campaign, campaign.group("residents"), 4)

    # Respondents answer by code: in English on a phone, in Chinese on a desktop; each leader's step
    # holds its own commitments and not the other's. Two more ballots come in the way the answer page seals them.
    _sealed(site, cid, codes[2:])
    for n, (lang, viewport) in enumerate((("en", PHONE), ("zh_CN", DESKTOP))):
        page = browse(None, lang, viewport)
        steps = _answer_by_code(page, site, codes[n])
        own = [s for s in steps if ("Ten pocket parks" in s or "口袋公园" in s)]
        assert len(own) == 1 and ("Six new bus lines" not in own[0] and "公交线路" not in own[0])
        seen(check, page, f"rating-answer-{lang}", None, lang)
        page.click("button[value=review]")
        page.wait_for_selector("#review-form")
        seen(check, page, f"rating-review-{lang}", None, lang)
        page.click("#review-form button[value=submit]")
        page.wait_for_url("**/answer/done")

    # Staff close; the two officers type their passphrases to count (en, desktop).
    page = browse("staff", "en", DESKTOP)
    page.goto(f"{site.url}/admin/campaigns/{cid}/close")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".badge.status-closed")
    page.goto(f"{site.url}/admin/campaigns/{cid}/count")
    page.fill("input[name=officers-0-passphrase]", f"{PASSPHRASE} 0")
    page.fill("input[name=officers-1-passphrase]", f"{PASSPHRASE} 1")
    page.click("main button[type=submit]", timeout=120_000)  # the key derivation of two passphrases
    page.wait_for_url(f"**/admin/campaigns/{cid}/results")
    page.goto(f"{site.url}/reports/{cid}/dashboard")
    table = page.inner_text("#specific-results")
    assert "Ten pocket parks this year" in table and "Six new bus lines" in table
    seen(check, page, "rating-dashboard-en", "staff", "en")

    # Not public before publication.
    public = browse(None, "en", DESKTOP)
    public.goto(f"{site.url}/promises/pa")
    assert "Public rating" not in public.inner_text("main")

    page.goto(f"{site.url}/admin/campaigns/{cid}/publish")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".badge.status-published")

    # The leader reads the rating in their report (zh, phone) and its PDF.
    page = browse("leader-pa", "zh_CN", PHONE)
    page.goto(f"{site.url}/reports/{cid}/targets/{rating['pa']}")
    section = page.inner_text(".report-commitments")
    assert "公众评价" in section and "年内新建口袋公园10个" in section and "新开通公交线路6条" not in section
    seen(check, page, "rating-leader-report-zh", "leader-pa", "zh_CN")
    pdf = page.request.get(page.url + ".pdf", timeout=120_000)
    assert pdf.ok and pdf.body()[:5] == b"%PDF-"

    # An auditor reads the dashboard and the report (en, desktop).
    page = browse("auditor", "en", DESKTOP)
    page.goto(f"{site.url}/reports/{cid}/dashboard")
    assert "Six new bus lines" in page.inner_text("#specific-results")
    page.goto(f"{site.url}/reports/{cid}/targets/{rating['pa']}")
    assert "Public rating" in page.inner_text(".report-commitments")
    seen(check, page, "rating-auditor-report-en", "auditor", "en")

    # The public sees the published rating next to each commitment, in both languages and widths.
    for lang, viewport, words in (("zh_CN", DESKTOP, "公众评价"), ("en", PHONE, "Public rating")):
        page = browse(None, lang, viewport)
        page.goto(f"{site.url}/promises/pa")
        cards = page.locator(".commitment-card")
        assert cards.count() == 2
        for i in range(2):
            text = cards.nth(i).inner_text()
            assert words in text and re.search(r"\d+\.\d", text)
        seen(check, page, f"rating-promises-{lang}", None, lang)


def test_each_page_in_the_other_language_and_width(site, chromium, check):
    """Every page the cycle visited, seen once more in the language and at the width it was not
    (a page already seen in both is not visited again), checked for width and by axe."""
    from .conftest import login
    assert len(SEEN) >= 6, SEEN
    visits: dict = {}
    for (path, account), combos in SEEN.items():
        langs, widths = {lang for lang, _w in combos}, {width for _l, width in combos}
        if len(langs) == 2 and len(widths) == 2:
            continue
        lang = "en" if "zh_CN" in langs else "zh_CN"
        viewport = PHONE if DESKTOP["width"] in widths else DESKTOP
        visits.setdefault((account, lang, viewport["width"]), (viewport, []))[1].append(path)
    for (account, lang, _width), (viewport, paths) in visits.items():
        context = chromium.new_context(viewport=viewport, bypass_csp=True)
        context.add_cookies([{"name": "lang", "value": lang, "url": site.url}])
        page = context.new_page()
        if account:
            login(page, site, account)
        for path in paths:
            page.goto(site.url + path)
            check(page, f"rating-other-{lang}-{account}-{path}", account, axe=True)
        context.close()
