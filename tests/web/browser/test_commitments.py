"""Public commitments in headless Chromium: staff enter and publish a commitment, the leader reports
progress with a PDF attached, staff review it, and the public page shows it; in Chinese and English,
on a desktop (1366 px) and a phone (390 px), each page checked for width and accessibility."""
import re
from pathlib import Path

import pytest

from survey_app.extensions import db

from .conftest import DESKTOP, PASSWORD, PHONE

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def leader(site):
    """A leader target `lz` with its account `leader-z`, made once for the module."""
    from survey_app.auth.operations import create_user
    from survey_app.models import Target
    with site.app.app_context():
        target = Target(code="lz", kind="leader", name_zh="赵市长", name_en="Mayor Zhao",
                        post_zh="副市长", post_en="Vice Mayor")
        db.session.add(target)
        db.session.commit()
        create_user("leader-z", PASSWORD, "leader", "赵市长", target.id)
        return target.id


def test_staff_then_leader_then_public(site, browse, check, leader, tmp_path):
    # Staff enter the commitment in Chinese on a desktop and publish it.
    page = browse("staff", "zh_CN", DESKTOP)
    page.goto(site.url + "/commitments/new")
    check(page, "commitment-new", "staff", axe=True)
    page.select_option("select[name=target]", str(leader))
    page.fill("textarea[name=text_zh]", "年内新建城市口袋公园10个")
    page.fill("textarea[name=text_en]", "Build ten pocket parks this year")
    page.fill("textarea[name=measure_zh]", "10个公园向公众开放")
    page.fill("input[name=deadline]", "2027-12-31")
    page.fill("input[name=announced_on]", "2026-01-20")
    page.fill("input[name=announced_where]", "《江川日报》")
    page.select_option("select[name=category]", "environment")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/commitments/\d+$"))
    commitment_url = page.url
    assert "草稿" in page.inner_text("main")
    page.click("form[action$='/publish'] button")
    page.wait_for_selector(".flash.success")
    check(page, "commitment-published", "staff", axe=True)
    page.goto(site.url + "/commitments/")
    assert "年内新建城市口袋公园10个" in page.inner_text("main")
    check(page, "commitments-board", "staff", axe=True)

    # The leader reports progress in English on a phone, with a PDF as evidence.
    page = browse("leader-z", "en", PHONE)
    page.goto(site.url + "/commitments/")
    check(page, "commitments-leader-board", "leader-z", axe=True)
    page.click("text=Build ten pocket parks this year")
    page.click("text=Report progress")
    check(page, "progress-new", "leader-z", axe=True)
    evidence = Path(tmp_path) / "acceptance.pdf"
    evidence.write_bytes(PDF)
    page.fill("input[name=on]", "2026-05-10")
    page.fill("textarea[name=done]", "Four parks opened to the public")
    page.fill("input[name=percent]", "40")
    page.fill("textarea[name=evidence]", "Acceptance certificates 2026-017 to 020")
    page.set_input_files("input[name=attachment]", str(evidence))
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash.success")
    assert "Waiting for review" in page.inner_text("main")
    check(page, "progress-reported", "leader-z", axe=True)

    # Not public before the review.
    page = browse(None, "en", DESKTOP)
    page.goto(site.url + "/promises/lz")
    assert "Four parks opened" not in page.inner_text("main")

    # Staff review it (English, phone).
    page = browse("staff", "en", PHONE)
    page.goto(commitment_url)
    page.select_option("select[name$='-decision']", "approved")
    page.click("form[action$='/review'] button")
    page.wait_for_selector(".flash.success")
    check(page, "progress-reviewed", "staff", axe=True)

    # The public page in both languages at both widths.
    for lang, viewport, words in (("zh_CN", DESKTOP, "年内新建城市口袋公园10个"), ("zh_CN", PHONE, "40%"),
                                  ("en", DESKTOP, "Build ten pocket parks this year"), ("en", PHONE, "Vice Mayor")):
        page = browse(None, lang, viewport)
        page.goto(site.url + "/promises/")
        page.click("a[href$='/promises/lz']")
        text = page.inner_text("main")
        assert words in text and "Four parks opened to the public" in text
        check(page, f"promises-lz-{lang}", None, axe=True)
    with page.expect_download() as download:
        page.click("a[href*='/promises/evidence/']")
    assert Path(download.value.path()).read_bytes() == PDF
