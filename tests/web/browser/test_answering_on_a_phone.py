"""Answering on a 390 px phone, in Chinese and in English: "Next" puts the next target's name at
the top of the screen and refuses to move on past an unanswered required item (its error beside
it, the focus on it); the review lists only what is left unanswered, each a working way back;
every tap target is at least 24 x 24 CSS px (WCAG 2.2, 2.5.8) and nothing focused hides under
the sticky progress bar (2.4.11); a pasted code is accepted."""
import pytest

from survey_app.extensions import db

from .conftest import PASSPHRASE, PHONE

pytestmark = pytest.mark.browser
LANGS = ["zh_CN", "en"]


@pytest.fixture(scope="module")
def phone_campaign(site):
    """A campaign of five units with long names, the sector-style questionnaire, and a code group."""
    import questionnaires
    from survey_app.admin import operations
    from survey_app.designer.operations import save_questionnaire
    from survey_app.models import Target
    with site.app.app_context():
        version = save_questionnaire(questionnaires.template("sector_style"), publish=True)
        campaign = operations.create_campaign(code="phone", kind="sector_style", title_zh="手机作答",
                                              title_en="On a phone", version=version, min_group_size=3,
                                              hotline="12388")
        operations.add_group(campaign, code="staff", name_zh="干部", name_en="Staff", weight=1.0, access="code")
        targets = [Target(code=f"p{i}", kind="unit", name_zh=f"江川市第{i}人民政府办公室行政审批服务中心",
                          name_en=f"Administrative Approval Service Centre No. {i} of the City Government")
                   for i in range(1, 6)]
        db.session.add_all(targets)
        db.session.flush()
        operations.set_targets(campaign, targets)
        operations.open_campaign(campaign, PASSPHRASE)
        return campaign.id


def fresh_code(site, campaign_id):
    from survey_app.ballots import operations as ballots
    from survey_app.models import Campaign
    with site.app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        return ballots.issue_codes(campaign, campaign.group("staff"), 1)[0]


def start(site, browse, phone_campaign, lang):
    page = browse(lang=lang, viewport=PHONE)
    page.goto(f"{site.url}/answer#{fresh_code(site, phone_campaign)}")
    page.click("#code-form button[type=submit]")
    page.wait_for_url("**/answer/questionnaire")
    return page


def answer_step(page, skip=()):
    """Answer every choice of the visible step but the questions numbered in `skip`."""
    card = page.locator(".target-card:not(.step-hidden)")
    for i, question in enumerate(card.locator(".question").all()):
        if i in skip:
            continue
        options = question.locator(".options")
        if options.count() and question.locator("input:checked").count() == 0:
            options.locator("label span").first.click()
        elif question.get_attribute("data-required") == "write":
            question.locator("textarea").fill("ok")


def progress_bottom(page) -> float:
    return page.evaluate("document.querySelector('.progress').getBoundingClientRect().bottom")


@pytest.mark.parametrize("lang", LANGS)
def test_next_brings_the_next_name_to_the_top_and_stops_at_a_skipped_required_item(
        site, browse, check, phone_campaign, lang):
    page = start(site, browse, phone_campaign, lang)
    check(page, f"phone-{lang}-step-1", axe=True)
    answer_step(page)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # Next sits below the last question
    page.click(".stepper-nav button.next")
    heading = page.locator(".target-card:not(.step-hidden) h2")
    assert "2" in heading.inner_text()
    top = heading.evaluate("h => h.getBoundingClientRect().top")
    assert progress_bottom(page) - 1 <= top <= PHONE["height"] * 0.25, (top, page.evaluate("scrollY"))
    assert page.evaluate("document.activeElement.tagName") == "H2"
    check(page, f"phone-{lang}-step-2")

    # the second question left out: Next stays, the error is beside it and the focus on it
    required = page.locator(".target-card:not(.step-hidden) .question")
    assert required.nth(1).get_attribute("data-required") == "choose"
    answer_step(page, skip={1})
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.click(".stepper-nav button.next")
    assert "2" in page.locator(".target-card:not(.step-hidden) h2").inner_text()
    skipped = required.nth(1)
    error = skipped.locator("small.error")
    assert error.count() == 1 and error.inner_text() in ("请选择答案。", "Please choose an answer.")
    assert skipped.evaluate("q => q.contains(document.activeElement)")
    assert page.evaluate("document.querySelectorAll('.target-card:not(.step-hidden) small.error').length") == 1
    box = skipped.bounding_box()
    assert box["y"] >= progress_bottom(page) - 1 and box["y"] < PHONE["height"], box  # in sight, not under the bar
    options = skipped.locator(".options")
    assert options.get_attribute("aria-describedby") == error.get_attribute("id")
    check(page, f"phone-{lang}-step-2-error")
    # answering it clears the error and lets the respondent on
    skipped.locator("label span").first.click()
    assert error.count() == 0
    page.click(".stepper-nav button.next")
    assert "3" in page.locator(".target-card:not(.step-hidden) h2").inner_text()


@pytest.mark.parametrize("lang", LANGS)
def test_review_lists_only_what_is_missing_and_each_link_leads_to_it(site, browse, check, phone_campaign, lang):
    page = start(site, browse, phone_campaign, lang)
    steps = page.locator(".target-card[data-step]").count()
    for _ in range(steps):
        answer_step(page)
        nxt = page.locator(".stepper-nav button.next")
        if nxt.is_visible():
            nxt.click()
    blank = page.evaluate("""[...document.querySelectorAll('#ballot-form .question')]
        .filter(q => !q.querySelector('input:checked') && !(q.querySelector('textarea') || {}).value)
        .map(q => q.id)""")
    assert blank  # the optional comments
    page.click("button[value=review]")
    page.wait_for_selector("#review-form")
    links = page.locator("#review-missing button[data-target]")
    assert sorted(links.evaluate_all("bs => bs.map(b => b.dataset.target)")) == sorted(blank)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 3 * PHONE["height"], height  # one list, not every answer of the ballot
    check(page, f"phone-{lang}-review", axe=True)
    # the third one, say: back on its step, in sight below the bar, its field focused
    target = links.nth(2).get_attribute("data-target")
    links.nth(2).click()
    page.wait_for_selector("#ballot-form")
    question = page.locator(f"[id='{target}']")
    assert question.is_visible()
    box = question.bounding_box()
    assert progress_bottom(page) - 1 <= box["y"] < PHONE["height"], box
    assert question.evaluate("q => q.contains(document.activeElement)")
    check(page, f"phone-{lang}-back-from-review")


@pytest.mark.parametrize("lang", LANGS)
def test_without_javascript_the_server_lists_what_is_missing_with_links(site, chromium, phone_campaign, lang):
    context = chromium.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        context.add_cookies([{"name": "lang", "value": lang, "url": site.url}])
        page = context.new_page()
        page.goto(f"{site.url}/answer")
        page.fill("input[name=code]", fresh_code(site, phone_campaign))
        page.click("#code-form button[type=submit]")
        page.wait_for_url("**/answer/questionnaire")
        page.locator(".target-card").first.locator(".options").first.locator("label").first.click()
        page.click("button[value=review]")
        summary = page.locator("#error-summary a")
        required = page.locator(".question[data-required]").count()
        assert summary.count() == required - 1  # only the missing ones
        last = summary.last
        href = last.get_attribute("href")
        last.click()
        assert page.url.endswith(href)
        box = page.locator(f"[id='{href[1:]}']").bounding_box()
        assert 0 <= box["y"] < PHONE["height"]
    finally:
        context.close()


TARGETS = """() => {
  const seen = [];
  const els = document.querySelectorAll('a[href], button, summary, textarea, select, input:not([type=radio]):not([type=checkbox]):not([type=hidden]), .options label span');
  for (const el of els) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!r.width || !r.height || style.visibility === 'hidden') continue;
    seen.push({what: el.tagName + ' ' + (el.textContent || el.name || '').trim().slice(0, 30),
               w: Math.round(r.width * 10) / 10, h: Math.round(r.height * 10) / 10});
  }
  return seen;
}"""


@pytest.mark.parametrize("lang", LANGS)
def test_every_tap_target_is_at_least_24_px_and_focus_never_hides_under_the_bar(
        site, browse, phone_campaign, lang):
    page = browse(lang=lang, viewport=PHONE)
    page.goto(f"{site.url}/answer")
    small = [t for t in page.evaluate(TARGETS) if t["w"] < 24 or t["h"] < 24]
    page.fill("input[name=code]", fresh_code(site, phone_campaign))
    page.click("#code-form button[type=submit]")
    page.wait_for_url("**/answer/questionnaire")
    measured = page.evaluate(TARGETS)
    page.evaluate("document.querySelector('details') && document.querySelector('details').setAttribute('open', '')")
    small += [t for t in measured if t["w"] < 24 or t["h"] < 24]
    assert len(measured) > 20
    assert not small, small

    # Tab through the step from the bottom of the page up (the bar sticks to the top)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    hidden = []
    for _ in range(25):
        page.keyboard.press("Shift+Tab")
        box = page.evaluate("""() => {
            const el = document.activeElement;
            if (el === document.body) return {sticky: true};
            const shown = el.matches('.options input') ? el.nextElementSibling : el;
            const r = shown.getBoundingClientRect();
            return {top: r.top, bottom: r.bottom, what: el.tagName + ' ' + (el.name || el.textContent.trim().slice(0, 20)),
                    sticky: !!el.closest('.progress, .topbar')};
        }""")
        if box["sticky"]:
            continue
        if box["top"] < progress_bottom(page) - 1 or box["bottom"] > PHONE["height"] + 1:
            hidden.append(box)
    assert not hidden, hidden

    page.evaluate("window.scrollTo(0, 0)")
    answer_step(page)
    page.click(".stepper-nav button.next")
    for _ in range(5):  # then forwards, from the focused name of the next target
        page.keyboard.press("Tab")
        top = page.evaluate("(document.activeElement.matches('.options input') ? document.activeElement.nextElementSibling"
                            " : document.activeElement).getBoundingClientRect().top")
        assert top >= progress_bottom(page) - 1


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("form", [" {} ", "{spaced}", "{bare}"])
def test_a_pasted_code_is_taken(site, browse, phone_campaign, lang, form):
    code = fresh_code(site, phone_campaign)
    pasted = form.format(code, spaced=code.replace("-", " "), bare=code.replace("-", ""))
    page = browse(lang=lang, viewport=PHONE)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    page.goto(f"{site.url}/answer")
    page.evaluate("text => navigator.clipboard.writeText(text)", pasted)
    page.focus("input[name=code]")
    page.keyboard.press("Control+V")
    assert page.input_value("input[name=code]") == pasted  # nothing cut off or refused by the field
    page.click("#code-form button[type=submit]")
    page.wait_for_url("**/answer/questionnaire")
