"""The respondent's stepper in a real browser: the review button only on the last step, the step
kept across a reload, and a language switch on the review page staying on the review."""
import pytest

from survey_app.extensions import db

from .conftest import PASSPHRASE, PHONE

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def code(site):
    import questionnaires
    from survey_app.admin import operations
    from survey_app.designer.operations import save_questionnaire
    from survey_app.ballots import operations as ballots
    from survey_app.models import Target
    with site.app.app_context():
        version = save_questionnaire(questionnaires.template("sector_style"), publish=True)
        campaign = operations.create_campaign(code="steps", kind="sector_style", title_zh="步骤", title_en="Steps",
                                              version=version, min_group_size=3, hotline="12388")
        operations.add_group(campaign, code="staff", name_zh="干部", name_en="Staff", weight=1.0, access="code")
        targets = [Target(code=f"s{i}", kind="unit", name_zh=f"单位{i}", name_en=f"Unit {i}") for i in range(1, 4)]
        db.session.add_all(targets)
        db.session.flush()
        operations.set_targets(campaign, targets)
        operations.open_campaign(campaign, PASSPHRASE)
        return ballots.issue_codes(campaign, campaign.group("staff"), 1)[0]


def answer_visible_step(page):
    card = page.locator(".target-card:not(.step-hidden)")
    for group in card.locator(".options").all():
        if group.locator("input:checked").count() == 0:
            group.locator("label span").first.click()


def test_review_only_at_the_end_and_the_step_survives_a_reload_and_the_review_a_language_switch(
        site, browse, check, code):
    page = browse(viewport=PHONE)
    page.goto(f"{site.url}/answer#{code}")
    page.click("main button[type=submit]")
    page.wait_for_url("**/answer/questionnaire")
    review = page.locator("button[value=review]")
    assert not review.is_visible()  # "核对我的答案" is not on every step
    check(page, "respondent-step-1")
    answer_visible_step(page)
    page.click(".stepper-nav button:not(.secondary)")
    assert "2" in page.inner_text(".progress .small") and not review.is_visible()
    page.reload()
    assert "2" in page.inner_text(".progress .small")  # the reload kept the step
    assert page.locator(".target-card:not(.step-hidden) h2").inner_text() == "单位2"
    steps = page.locator(".target-card[data-step]").count()
    for _ in range(steps):
        answer_visible_step(page)
        nxt = page.locator(".stepper-nav button:not(.secondary)")
        if nxt.is_visible():
            nxt.click()
    assert review.is_visible()
    review.click()
    page.wait_for_selector("#review-form")
    check(page, "respondent-review")
    before = page.evaluate("document.documentElement.lang")
    # still the review, in the other language: the questionnaire page asks for the review again
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/answer/questionnaire")):
        page.click("a.lang-switch")
    page.wait_for_selector("#review-form")
    assert page.evaluate("document.documentElement.lang") != before
    assert page.inner_text("h1") in ("Review your answers", "核对您的答案")
    check(page, "respondent-review-switched")
