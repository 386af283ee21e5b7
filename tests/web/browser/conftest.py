"""One real server and one headless Chromium for the staff flows: a werkzeug server in a
thread on a free port over SQLite, pages checked for width and accessibility (axe-core,
vendored) and kept as screenshots under tests/web/browser_artifacts/ (ignored by git)."""
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from survey_app import create_app
from survey_app.extensions import db
from tests.web.helpers import TEST_PASSWORD_HASH, serve_in_thread

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "browser-password-123"
PASSPHRASE = "counting officers of the browser test"
AXE = (Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js").read_text(encoding="utf-8")
ARTIFACTS = Path(__file__).resolve().parents[1] / "browser_artifacts"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
#: the accounts of the commission's staff, its clerks and an auditor
ACCOUNTS = [("staff", "staff"), ("clerk1", "clerk"), ("clerk2", "clerk"), ("admin", "admin")]


@dataclass
class Site:
    """The running server, its app (for set-up and checks) and what the flows leave behind."""
    app: object
    url: str
    #: what earlier flows made, for later ones: ids, codes, receipts
    state: dict = field(default_factory=dict)
    #: (path, account or None) of every page a flow visited, for the width and axe sweep
    pages: list = field(default_factory=list)

    def visit(self, path: str, account: str | None) -> None:
        if (path, account) not in self.pages:
            self.pages.append((path, account))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make test installs it)")
    tmp = tmp_path_factory.mktemp("browser-site")
    app = create_app({
        "TESTING": True, "SECRET_KEY": "browser-secret", "ACCESS_CODE_KEY": "browser-code-key",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'site.sqlite3'}", "KDF_STRENGTH": "minimal",
        "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH, "RATELIMIT_STORAGE_URI": "memory://", "PUBLIC_RATE_LIMIT": "10000 per hour",
        "LOGIN_RATE_LIMIT": "10000 per minute", "DEFAULT_LANGUAGE": "zh_CN"})
    app.instance_path = str(tmp / "instance")
    from survey_app.auth.operations import create_user
    with app.app_context():
        db.create_all()
        for username, role in ACCOUNTS:
            create_user(username, PASSWORD, role)
    server, url = serve_in_thread(app)
    app.config["PUBLIC_BASE_URL"] = url
    yield Site(app, url)
    server.shutdown()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def browse(site, chromium):
    """browse(account=None, lang="zh_CN", viewport=DESKTOP) → a page, logged in when asked."""
    contexts = []

    def open_page(account=None, lang="zh_CN", viewport=DESKTOP):
        context = chromium.new_context(viewport=viewport, bypass_csp=True, accept_downloads=True,
                                       locale="zh-CN" if lang == "zh_CN" else "en-US")
        context.add_cookies([{"name": "lang", "value": lang, "url": site.url}])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("dialog", lambda dialog: dialog.accept())
        if account:
            login(page, site, account)
        return page

    yield open_page
    for context in contexts:
        context.close()


def login(page, site, account):
    page.goto(site.url + "/login")
    page.fill("input[name=username]", account)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.inner_text("main")


def name_panel(page, names) -> None:
    """On a campaign's open page: one counting officer a name, all of them needed, officer i's
    passphrase "PASSPHRASE i"; submit and wait for the officers' page."""
    page.select_option("select[name=officers]", str(len(names)))
    page.click(".rows-chooser button[type=submit]")
    page.wait_for_selector(f"input[name=officers-{len(names) - 1}-name]")
    page.fill("input[name=threshold]", str(len(names)))
    for i, name in enumerate(names):
        page.fill(f"input[name=officers-{i}-name]", name)
        page.fill(f"input[name=officers-{i}-passphrase]", f"{PASSPHRASE} {i}")
        page.fill(f"input[name=officers-{i}-repeat]", f"{PASSPHRASE} {i}")
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_url("**/officers")


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "root"


def overflow(page) -> tuple[int, int]:
    return page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")


def assert_all_in_sight(page, table: str, controls: str, width: int) -> None:
    """Nothing of the table (a CSS selector) is hidden sideways in its scrolling box, and every
    one of its `controls` (a selector within it; at least one) lies inside a window `width` wide."""
    wrap = page.locator(table).locator("xpath=..")
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth + 1"), wrap.evaluate("w => [w.scrollWidth, w.clientWidth]")
    found = page.locator(f"{table} {controls}").all()
    assert found, controls
    for control in found:
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, box


def axe_problems(page) -> list[str]:
    """Serious and critical axe-core violations of the page, one line each."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(content=AXE)
    violations = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
          .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""")
    return violations


@pytest.fixture
def check(site):
    """check(page, name): keep a full-page screenshot and note whether the page fits its window and
    passes axe; the flow goes on, and the test fails at its end with every page that did not."""
    ARTIFACTS.mkdir(exist_ok=True)
    problems = []

    def do(page, name, account=None, axe=False):
        page.wait_for_load_state()
        width = page.viewport_size["width"]
        page.screenshot(path=str(ARTIFACTS / f"{slug(name)}-{width}.png"), full_page=True)
        path = page.url.removeprefix(site.url).split("#")[0]
        site.visit(path, account)
        scroll, inner = overflow(page)
        if scroll > inner:
            problems.append(f"{name} ({path}) is {scroll} px wide in a {inner} px window")
        if axe:
            problems.extend(f"{name} ({path}) at {width} px: {p}" for p in axe_problems(page))

    yield do
    assert not problems, "\n".join(problems)
