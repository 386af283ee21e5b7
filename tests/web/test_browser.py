"""The respondent's page in a real browser (headless Chromium): the QR #fragment, the stepper,
answers kept in the browser across a reload and a language switch, and a submit."""
import shutil

import pytest

from survey_app.ballots import operations as ballots
from survey_app.extensions import db
from survey_app.models import Campaign
from tests.web.helpers import serve_in_thread

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live(app, backend):
    if backend != "sqlite":
        pytest.skip("one backend is enough for the browser")
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make test installs it)")
    server, url = serve_in_thread(app)
    yield url
    server.shutdown()


@pytest.fixture
def page(live):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 390, "height": 844})
        yield context.new_page()
        browser.close()


def test_phone_flow_in_a_real_browser(app, live, page, campaign_id):
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        [code] = ballots.issue_codes(campaign, campaign.group("staff"), 1)
        targets = [t.name_en for t in campaign.targets]
    # The QR link carries the code in the fragment; the page moves it into the field.
    page.goto(f"{live}/answer#{code}")
    assert page.input_value("input[name=code]") == code
    assert "#" not in page.url
    page.click("button[type=submit]")
    page.wait_for_url(f"{live}/answer/questionnaire")
    # One target at a time, with a progress bar.
    assert page.locator(".progress").is_visible()
    visible = page.locator(".target-card:not(.step-hidden) h2")
    assert visible.count() == 1 and visible.inner_text() == targets[0]
    first_card = page.locator(".target-card").first
    first_card.locator(".options label:first-child span").first.click()
    chosen = first_card.locator("input:checked").first.get_attribute("name")
    # A reload and a language switch keep the answer (it lives in this browser only).
    page.reload()
    assert page.locator(f"input[name='{chosen}']:checked").count() == 1
    page.click("a.lang-switch")
    page.wait_for_url(f"{live}/answer/questionnaire")
    assert page.locator(f"input[name='{chosen}']:checked").count() == 1
    # Answer everything, step by step, review, submit.
    for step in range(len(targets) + 1):
        card = page.locator(".target-card:not(.step-hidden)")
        for group in card.locator(".options").all():
            if group.locator("input:checked").count() == 0:
                group.locator("label span").first.click()
        if page.locator(".stepper-nav button:not(.secondary)").is_visible():
            page.click(".stepper-nav button:not(.secondary)")
    page.click("button[value=review]")
    page.wait_for_selector("#review-form")
    page.click("button[value=submit]")
    page.wait_for_url(f"{live}/answer/done")
    receipt = page.inner_text(".receipt")
    assert len(receipt) == 19
    # The answers kept in the browser are forgotten after the submit.
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('ballot-')).length") == 0
    with app.app_context():
        assert sum(t.received for t in ballots.turnout(db.session.get(Campaign, campaign_id))) == 1


def test_whole_matrix_on_request(app, live, page, campaign_id):
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        token = campaign.group("public").public_token
    page.goto(f"{live}/answer/link/{token}")
    page.wait_for_url(f"{live}/answer/questionnaire")
    assert page.locator(".target-card:not(.step-hidden)").count() == 1
    page.click("button.show-all")
    assert page.locator(".target-card:visible").count() == page.locator(".target-card").count() > 1
    assert page.locator("button[value=review]").is_visible()
