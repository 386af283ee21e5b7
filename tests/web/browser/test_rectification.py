"""The rectification ledger in headless Chromium: staff record a problem from the published results,
the unit drafts and submits the measures, staff approve and make the ledger public, the unit reports
progress with a PDF, staff review it and close the item, an auditor reads, the public sees the
measures and statuses; in Chinese and English, at 1366 and 390 px, each page checked for width and
accessibility."""
import re
from pathlib import Path

import pytest

from survey_app.extensions import db

from .conftest import DESKTOP, PASSWORD, PHONE

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def published(site):
    """A published campaign `ledger-1` of three units with known ballots and comments (the web tests'
    counted campaign), the unit account `unit-r` of its first unit and an auditor `auditor-r`."""
    import questionnaires
    from survey_app.admin import operations
    from survey_app.auth.operations import create_user
    from survey_app.ballots import operations as ballots
    from survey_app.designer.operations import save_questionnaire
    from survey_app.models import Comment, Target
    from tests.web.conftest import PUBLIC, _fill, _text_item
    from tests.web.helpers import PASSPHRASE, close_and_count
    with site.app.app_context():
        version = save_questionnaire(questionnaires.template("sector_style"), publish=True)
        campaign = operations.create_campaign(code="ledger-1", kind="sector_style", title_zh="行风评议",
                                              title_en="Sector appraisal", version=version, min_group_size=3)
        operations.add_group(campaign, code="public", name_zh="群众", name_en="Public", weight=1.0, access="public")
        units = [Target(code=f"r{i}", kind="unit", name_zh=f"江川市第{i}局", name_en=f"Bureau {i}") for i in (1, 2, 3)]
        db.session.add_all(units)
        db.session.flush()
        operations.set_targets(campaign, units)
        operations.open_campaign(campaign, PASSPHRASE)
        q = campaign.questionnaire_version.parsed
        for i, options in enumerate(PUBLIC):
            content = _fill(q, "public", [u.code for u in units], options)
            if i == 0:
                content.comments.append((units[0].code, _text_item(q), "办事大厅停车难"))
            ballots.submit(campaign, campaign.group("public"), content)
        close_and_count(campaign)
        for comment in db.session.query(Comment).all():
            comment.status = "published"
        db.session.commit()
        operations.publish_campaign(campaign)
        create_user("unit-r", PASSWORD, "leader", "江川市第1局", units[0].id)
        create_user("auditor-r", PASSWORD, "auditor")
        return {"campaign": campaign.id, "target": units[0].id}


def test_staff_unit_auditor_and_public(site, browse, check, published, tmp_path):
    campaign, target = published["campaign"], published["target"]
    # Staff record a problem resting on the published comment (Chinese, desktop).
    page = browse("staff", "zh_CN", DESKTOP)
    page.goto(site.url + f"/rectification/campaign/{campaign}")
    check(page, "ledger-campaign", "staff", axe=True)
    page.click(f"a[href$='/target/{target}/new']")
    check(page, "ledger-new", "staff", axe=True)
    origin = page.locator("select[name=origin] option", has_text="办事大厅停车难").get_attribute("value")
    assert origin.startswith("comment:")
    page.select_option("select[name=origin]", origin)
    page.fill("textarea[name=problem_zh]", "办事群众停车难")
    page.fill("textarea[name=problem_en]", "Visitors cannot find a parking place")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/rectification/\d+$"))
    item_url = page.url
    check(page, "ledger-item-recorded", "staff", axe=True)

    # The unit drafts the measures and submits them (English, phone).
    page = browse("unit-r", "en", PHONE)
    page.goto(site.url + "/rectification/")
    check(page, "ledger-unit-board", "unit-r", axe=True)
    page.click("text=Visitors cannot find a parking place")
    page.click("text=Edit the plan")
    check(page, "ledger-plan", "unit-r", axe=True)
    page.fill("textarea[name=measures_zh]", "开放机关内部停车场供办事群众使用")
    page.fill("textarea[name=measures_en]", "Open the bureau's own car park to visitors")
    page.fill("input[name=responsible]", "办公室主任")
    page.fill("input[name=deadline]", "2027-03-31")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash.success")
    page.click("form[action$='/submit'] button")
    page.wait_for_selector(".flash.success")
    assert "Plan waiting for approval" in page.inner_text("main")

    # Staff approve the plan and make the ledger public (Chinese, phone).
    page = browse("staff", "zh_CN", PHONE)
    page.goto(item_url)
    page.click("form[action$='/approve'] button")
    page.wait_for_selector(".flash.success")
    page.goto(site.url + f"/rectification/campaign/{campaign}")
    page.click("form[action$='/public'] button")
    page.wait_for_selector(".flash.success")
    check(page, "ledger-made-public", "staff", axe=True)

    # The unit reports progress with a PDF (English, desktop).
    page = browse("unit-r", "en", DESKTOP)
    page.goto(item_url)
    page.click("text=Report progress")
    evidence = Path(tmp_path) / "car-park.pdf"
    evidence.write_bytes(PDF)
    page.fill("input[name=on]", "2027-01-15")
    page.fill("textarea[name=done]", "The car park is open on weekdays")
    page.fill("input[name=percent]", "100")
    page.set_input_files("input[name=attachment]", str(evidence))
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash.success")
    check(page, "ledger-progress-reported", "unit-r", axe=True)

    # Staff review it and close the item (English, desktop); the board lists it (the dashboard: the web tests).
    page = browse("staff", "en", DESKTOP)
    page.goto(item_url)
    page.select_option("select[name$='-decision']", "approved")
    page.click("form[action$='/review'] button")
    page.wait_for_selector(".flash.success")
    page.select_option("select[name=outcome]", "closed")
    page.click("form[action$='/check'] button")
    page.wait_for_selector(".flash.success")
    assert "Rectified and closed" in page.inner_text("main")
    check(page, "ledger-item-closed", "staff", axe=True)
    page.goto(site.url + "/rectification/")
    check(page, "ledger-board", "staff", axe=True)

    # An auditor reads the item and its file, and has no button that changes it (Chinese, phone).
    page = browse("auditor-r", "zh_CN", PHONE)
    page.goto(item_url)
    assert "已整改销号" in page.inner_text("main") and page.locator("main form").count() == 0
    check(page, "ledger-auditor", "auditor-r", axe=True)
    with page.expect_download() as download:
        page.click("a[href*='/rectification/progress/']")
    assert Path(download.value.path()).read_bytes() == PDF

    # The public ledger in both languages at both widths: measures and statuses, no file, no responsible person.
    for lang, viewport, words in (("zh_CN", DESKTOP, "开放机关内部停车场供办事群众使用"), ("zh_CN", PHONE, "已整改销号"),
                                  ("en", DESKTOP, "Open the bureau's own car park to visitors"),
                                  ("en", PHONE, "Rectified and closed")):
        page = browse(None, lang, viewport)
        page.goto(site.url + "/ledger/")
        page.click("a[href$='/ledger/ledger-1']")
        text = page.inner_text("main")
        assert words in text and "办公室主任" not in text
        assert page.locator("a[href*='/rectification/progress/']").count() == 0
        check(page, f"ledger-public-{lang}", None, axe=True)
