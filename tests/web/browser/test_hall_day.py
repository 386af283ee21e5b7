"""A day in the hall at its real size (民主测评大会): staff issue 300 codes and print them on slips;
200 deputies enter their codes from one address over HTTP (gunicorn, two workers, the default
rate limits) and none is refused; a sample of them answer on a 390 px phone in Chromium, the
rest from their phones over plain HTTP; two clerks key a paper matrix sheet; the counting
officers count; staff publish; the open bundle recomputes to the published hash."""
import hashlib
import io
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from survey_app import create_app
from survey_app.extensions import db

from tests.web.helpers import TEST_PASSWORD_HASH
from tests.web.live import Phone, enter_code, gunicorn, redis_server

from .conftest import FLAGS, PHONE, DESKTOP, CHROMIUM

pytestmark = pytest.mark.browser
SECRETS = {"SECRET_KEY": "hall-day-secret", "ACCESS_CODE_KEY": "hall-day-code-key"}
PASSWORD = "hall-day-password-1"
OFFICERS = [("计票人甲", "the first officer's own passphrase"), ("计票人乙", "the second officer's own passphrase")]
DEPUTIES, CODES, ON_PHONES = 200, 300, 5
CODE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}\b")


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    """An open integrity-report evaluation with 6 leaders, deputies answering by code, served by gunicorn."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    import questionnaires
    from survey_app.admin import operations
    from survey_app.auth.operations import create_user
    from survey_app.ballots.keys import Officer
    from survey_app.designer.operations import save_questionnaire
    from survey_app.models import Target
    tmp = tmp_path_factory.mktemp("hall-day")
    url = f"sqlite:///{tmp / 'hall.sqlite3'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "KDF_STRENGTH": "minimal",
                      "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH, **SECRETS})
    app.instance_path = str(tmp / "instance")
    with app.app_context():
        db.create_all()
        for username, role in (("staff", "staff"), ("clerk1", "clerk"), ("clerk2", "clerk")):
            create_user(username, PASSWORD, role)
        version = save_questionnaire(questionnaires.template("integrity_report"), publish=True)
        campaign = operations.create_campaign(code="hall-2026", kind="integrity_report",
                                              title_zh="江川市2026年度述职述廉测评大会",
                                              title_en="Jiangchuan integrity-report evaluation 2026",
                                              version=version, min_group_size=5, hotline="12388")
        operations.add_group(campaign, code="deputies", name_zh="人大代表", name_en="Deputies", weight=1.0,
                             access="code", expected=DEPUTIES + 1)
        leaders = [Target(code=f"l{i}", kind="leader", name_zh=f"领导{i}", name_en=f"Leader {i}") for i in range(1, 7)]
        db.session.add_all(leaders)
        db.session.flush()
        operations.set_targets(campaign, leaders)
        operations.open_campaign(campaign, [Officer(name, phrase) for name, phrase in OFFICERS], threshold=2)
        campaign_id = campaign.id
    with redis_server() as redis:
        # a timeout above the default 60 s: on a busy shared test machine 300 slips may take longer
        with gunicorn(url, workers=2, KDF_STRENGTH="interactive", RATELIMIT_STORAGE_URI=redis or "memory://",
                      GUNICORN_TIMEOUT=240, **SECRETS) as base:
            app.config["PUBLIC_BASE_URL"] = base
            yield app, base, campaign_id
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def open_page(browser, base, account=None, viewport=DESKTOP):
    context = browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True)
    context.add_cookies([{"name": "lang", "value": "zh_CN", "url": base}])
    page = context.new_page()
    page.set_default_timeout(180_000)
    page.on("dialog", lambda dialog: dialog.accept())
    if account:
        page.goto(base + "/login")
        page.fill("input[name=username]", account)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        assert "/login" not in page.url, page.inner_text("main")
    return page


def pdf_codes(pdf: bytes) -> list[str]:
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return CODE.findall(text)


def answers(app, campaign_id, option) -> dict:
    from survey_app.ballots.validation import asked, field_name
    from survey_app.models import Campaign
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        q = campaign.questionnaire_version.parsed
        data = {}
        for item, target in asked(q, "deputies", [t.code for t in campaign.targets]):
            if item.type == "rating":
                data[field_name(item.code, target)] = option
            elif item.type in ("single", "multiple"):
                data[field_name(item.code, target)] = item.options[0].code
            elif item.required:
                data[field_name(item.code, target)] = "ok"
        return data


def answer_on_phone(page, base, code):
    page.goto(f"{base}/answer#{code}")
    page.click("main button[type=submit]")
    page.wait_for_url("**/answer/questionnaire")
    for _ in range(page.locator(".target-card[data-step]").count() + 1):
        card = page.locator(".target-card:not(.step-hidden)")
        for options in card.locator(".options").all():
            if options.locator("input:checked").count() == 0:
                options.locator("label span").first.click()
        review = page.locator("button[value=review]")
        if review.is_visible():
            break
        page.click(".stepper-nav button:not(.secondary)")
    assert page.viewport_size["width"] == 390
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    review.click()
    page.wait_for_selector("#review-form")
    page.click("#review-form button[value=submit]")
    page.wait_for_url("**/answer/done")
    return page.inner_text("main")


def test_a_day_in_the_hall(hall, browser, tmp_path):
    from survey_app.models import AccessCode, Campaign, PaperSheet
    from survey_app.paper import sheets
    app, base, campaign_id = hall
    started = time.perf_counter()
    steps = {}

    # 1. staff issue 300 codes and print them: every code on a slip, every slip's code issued
    staff = open_page(browser, base, "staff")
    staff.goto(f"{base}/admin/campaigns/{campaign_id}")
    staff.fill("input[name=count]", str(CODES))
    staff.check("input[name=format][value=pdf]")
    with staff.expect_download(timeout=240_000) as download:
        staff.click("form[action$='/codes'] button[type=submit]")
    slips = Path(download.value.path()).read_bytes()
    codes = pdf_codes(slips)
    assert len(codes) == len(set(codes)) == CODES
    with app.app_context():
        assert db.session.query(AccessCode).count() == CODES
    steps["issue and print 300"] = time.perf_counter() - started

    # 2. 200 deputies enter their codes from the hall's one address: none refused
    mark = time.perf_counter()
    hall_codes, spares = codes[:DEPUTIES], codes[DEPUTIES:]
    statuses = [enter_code(base, code)[0] for code in hall_codes[ON_PHONES:]]
    assert statuses == [302] * (DEPUTIES - ON_PHONES), sorted(set(statuses))
    steps["200 code entries"] = time.perf_counter() - mark

    # 3. a sample answers on a 390 px phone in Chromium; the others send their ballots from their phones
    mark = time.perf_counter()
    for code in hall_codes[:ON_PHONES]:
        done = answer_on_phone(open_page(browser, base, viewport=PHONE), base, code)
        assert "回执" in done or "receipt" in done.lower(), done[:300]
    data = {o: answers(app, campaign_id, o) for o in "ABC"}
    for i, code in enumerate(hall_codes[ON_PHONES:]):
        phone = Phone(base)
        assert phone.post_form("/answer", {"code": code})[0] == 302
        status, headers, body = phone.post_form("/answer/questionnaire", {**data["ABC"[i % 3]], "action": "submit"})
        assert status == 302 and headers["Location"].endswith("/answer/done"), body[:500]
    steps["200 ballots (5 in Chromium)"] = time.perf_counter() - mark

    # 4. two clerks key a paper matrix sheet the same way: one paper ballot
    mark = time.perf_counter()
    staff.goto(f"{base}/paper/{campaign_id}")
    staff.fill("input[name=count]", "1")
    staff.click("form[action$='/print'] button[type=submit]")
    staff.wait_for_selector(".flash.success")
    with staff.expect_download() as download:
        staff.click("form input[name=layout][value=matrix] + button")
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
    with app.app_context():
        number = db.session.query(PaperSheet).one().number
    for clerk in ("clerk1", "clerk2"):
        page = open_page(browser, base, clerk)
        page.goto(f"{base}/paper/{campaign_id}/enter")
        page.fill("input[name=number]", sheets.sheet_label(number))
        page.press("input[name=number]", "Enter")
        page.wait_for_url(f"**/paper/{campaign_id}/sheets/*")
        rows = page.locator("input.letters:not(.multi)")
        for r in range(rows.count()):
            rows.nth(r).fill("B" * int(rows.nth(r).get_attribute("data-len")))
        page.click("main button[type=submit]:not(.secondary)")
        page.wait_for_url(f"**/paper/{campaign_id}/enter")
    with app.app_context():
        assert db.session.query(PaperSheet).one().status == "ballot"
    steps["paper matrix sheet keyed twice"] = time.perf_counter() - mark

    # 5. turnout counts each deputy once; staff close; the two officers count
    mark = time.perf_counter()
    staff.goto(f"{base}/admin/campaigns/{campaign_id}")
    assert staff.inner_text("tr[data-group=deputies] [data-field=received]") == str(DEPUTIES + 1)
    assert staff.inner_text("tr[data-group=deputies] [data-field=expected]") == str(DEPUTIES + 1)
    staff.click(f"a[href$='/admin/campaigns/{campaign_id}/close']")
    staff.click("main form button[type=submit]")
    staff.wait_for_selector(".badge.status-closed")
    staff.click(f"a[href$='/admin/campaigns/{campaign_id}/count']")
    for i, (_, phrase) in enumerate(OFFICERS):
        staff.fill(f"input[name=officers-{i}-passphrase]", phrase)
    staff.click("main button[type=submit]")
    staff.wait_for_url(f"**/admin/campaigns/{campaign_id}/results", timeout=240_000)
    steps["close and count"] = time.perf_counter() - mark

    # 6. staff publish; anyone recomputes the bundle to the published hash
    mark = time.perf_counter()
    staff.goto(f"{base}/admin/campaigns/{campaign_id}")
    staff.click(f"a[href$='/admin/campaigns/{campaign_id}/publish']")
    staff.click("main form button[type=submit]")
    staff.wait_for_selector(".badge.status-published")
    visitor = open_page(browser, base)
    visitor.goto(f"{base}/results/hall-2026")
    with visitor.expect_download() as download:
        visitor.click("a[href$='/bundle.zip']")
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    folder = tmp_path / "bundle"
    for name in archive.namelist():
        target = folder / name.split("/", 1)[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(archive.read(name))
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    command = re.search(r"venv/bin/python (-m scoring [^\n]+)", readme).group(1).split()
    done = subprocess.run([sys.executable, *command], cwd=folder, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"})
    assert done.returncode == 0, done.stderr
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        published = campaign.published_sha256
        assert campaign.published_results["ballots"] == DEPUTIES + 1
        assert db.session.query(AccessCode).filter_by(state="unused").count() == len(spares)
    assert hashlib.sha256((folder / "recomputed.json").read_bytes()).hexdigest() == published
    assert published in readme
    steps["publish and recompute"] = time.perf_counter() - mark
    print("\nthe day in the hall: " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items())
          + f"; total {time.perf_counter() - started:.1f} s")
