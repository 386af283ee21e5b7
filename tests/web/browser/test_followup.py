"""The follow-up of alerts in headless Chromium: staff record a letter of inquiry and an admonishing
talk, the leader answers the letter and files a self-correction report with a PDF, the auditor reads,
staff close the case; in Chinese and English, at 1366 and 390 px, each page checked for width and
accessibility. Cases are never public."""
import re
from datetime import timedelta
from pathlib import Path

import pytest

from survey_app.extensions import db

from .conftest import DESKTOP, PASSWORD, PHONE

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def case_url(site):
    """A campaign published with a warning for the unit `fz` (results as the engine writes them, no
    ballots: the follow-up reads only the published figures), its case opened as publication opens
    it, and the accounts leader-f (of `fz`) and auditor. Returns the case's path."""
    import questionnaires
    from survey_app.admin import operations
    from survey_app.auth.operations import create_user
    from survey_app.designer.operations import save_questionnaire
    from survey_app.followup import operations as followup
    from survey_app.models import Target
    from survey_app.models._types import utcnow
    with site.app.app_context():
        target = Target(code="fz", kind="unit", name_zh="市住建局", name_en="Housing Bureau")
        db.session.add(target)
        db.session.flush()
        version = save_questionnaire(questionnaires.template("sector_style"), publish=True)
        campaign = operations.create_campaign(code="fu-2026", kind="sector_style", title_zh="2026年度行风评议",
                                              title_en="Sector-style appraisal 2026", version=version)
        operations.set_targets(campaign, [target])
        campaign.status, campaign.published_at = "published", utcnow()
        campaign.published_results = {"ballots": 120, "targets": [
            {"target": "fz", "score": 63.5, "ci95": [60.1, 66.9], "rank": 1, "grade": "fair", "alert": "warning",
             "dissatisfaction": 0.34, "dissatisfaction_ci95": [0.3, 0.38], "dimensions": {}}]}
        [case_id] = followup.open_cases_for(campaign, "staff")
        db.session.commit()
        create_user("leader-f", PASSWORD, "leader", "市住建局", target.id)
        create_user("auditor", PASSWORD, "auditor")
        return f"/cases/{case_id}"


def _yesterday():
    from survey_app.models._types import utcnow
    return (utcnow().date() - timedelta(days=1)).isoformat()


def test_staff_leader_auditor_follow_a_case_to_its_end(site, browse, check, case_url, tmp_path):
    day = _yesterday()
    # Nothing of it is public.
    page = browse(None, "zh_CN", DESKTOP)
    page.goto(site.url + case_url)
    assert "/login" in page.url

    # Staff (Chinese, desktop) find the case on the board and send a letter of inquiry.
    page = browse("staff", "zh_CN", DESKTOP)
    page.goto(site.url + "/cases/")
    check(page, "cases-board", "staff", axe=True)
    page.click("a[href$='%s']" % case_url)
    assert "警示" in page.inner_text("main") and "34.0%" in page.inner_text("main")
    check(page, "case-open", "staff", axe=True)
    page.select_option("select[name=m-kind]", "letter")
    page.fill("input[name=m-on]", day)
    page.fill("input[name=m-held_by]", "市纪委监委党风政风监督室")
    page.fill("textarea[name=m-text]", "请就群众反映的办事效率问题作出书面说明。")
    page.click("#measure button[type=submit]")
    page.wait_for_selector(".flash.success")
    assert "回复期限" in page.inner_text("main")
    check(page, "case-letter", "staff", axe=True)

    # Staff (English, phone) record an admonishing talk: who, when, where.
    page = browse("staff", "en", PHONE)
    page.goto(site.url + case_url)
    page.select_option("select[name=m-kind]", "admonishing_talk")
    page.fill("input[name=m-on]", day)
    page.fill("input[name=m-held_by]", "Chen Gang, secretary")
    page.fill("input[name=m-place]", "Interview room 2")
    page.fill("textarea[name=m-text]", "Told to send a rectification plan within a month.")
    page.click("#measure button[type=submit]")
    page.wait_for_selector(".flash.success")
    assert "Interview room 2" in page.inner_text("main")
    check(page, "case-talk", "staff", axe=True)

    # The leader (English, phone) answers the letter.
    page = browse("leader-f", "en", PHONE)
    page.goto(site.url + "/cases/")
    check(page, "cases-leader-board", "leader-f", axe=True)
    page.click("a[href$='%s']" % case_url)
    assert "Record a measure" not in page.inner_text("main")
    page.select_option("select[name=a-kind]", "reply")
    letter = page.eval_on_selector("select[name=a-letter] option:nth-child(2)", "o => o.value")
    page.select_option("select[name=a-letter]", letter)
    page.fill("input[name=a-on]", day)
    page.fill("textarea[name=a-text]", "Two more counters opened; approval steps cut from five to three.")
    page.click("#answer button[type=submit]")
    page.wait_for_selector(".flash.success")
    assert "Answered" in page.inner_text("main")
    check(page, "case-reply", "leader-f", axe=True)

    # ... and files the self-correction report with a PDF (Chinese, desktop).
    page = browse("leader-f", "zh_CN", DESKTOP)
    page.goto(site.url + case_url)
    report = Path(tmp_path) / "self-correction.pdf"
    report.write_bytes(PDF)
    page.select_option("select[name=a-kind]", "self_correction")
    page.fill("input[name=a-on]", day)
    page.fill("textarea[name=a-text]", "自查自纠报告：梳理问题6项，已整改4项。")
    page.set_input_files("input[name=a-attachment]", str(report))
    page.click("#answer button[type=submit]")
    page.wait_for_selector(".flash.success")
    check(page, "case-self-correction", "leader-f", axe=True)

    # The auditor reads (Chinese phone, English desktop) and has no form to change anything.
    for lang, viewport in (("zh_CN", PHONE), ("en", DESKTOP)):
        page = browse("auditor", lang, viewport)
        page.goto(site.url + "/cases/")
        check(page, f"cases-auditor-board-{lang}", "auditor", axe=True)
        page.goto(site.url + case_url)
        text = page.inner_text("main")
        assert "自查自纠报告：梳理问题6项" in text and "Interview room 2" in text
        assert page.locator("main form").count() == 0
        check(page, f"case-auditor-{lang}", "auditor", axe=True)
    with page.expect_download() as download:
        page.click("a[href*='/cases/steps/']")
    assert Path(download.value.path()).read_bytes() == PDF

    # Staff close it (English, desktop); the board lists it as closed.
    page = browse("staff", "en", DESKTOP)
    page.goto(site.url + case_url)
    page.select_option("select[name=c-outcome]", "corrected")
    page.fill("textarea[name=c-note]", "Measures in place; checked on site.")
    page.click("#close button[type=submit]")
    page.wait_for_selector(".flash.success")
    assert "Corrected" in page.inner_text("main") and page.locator("#measure").count() == 0
    check(page, "case-closed", "staff", axe=True)
    page.goto(site.url + "/cases/?show=closed")
    assert re.search("Housing Bureau", page.inner_text("main"))
    check(page, "cases-closed", "staff", axe=True)
