"""The staff pages of a demo-like platform, in Chinese and in English: a crawl of every page an
administrator reaches by following links finds no raw code or Python structure (dictionaries,
None, dotted action keys, untranslated messages); then Chromium checks what was once hidden or
shrunk: the dashboard's group columns at 1366 px, the campaign's turnout on a phone, chart labels
on a phone, receipts that never break, the audit log on a phone."""
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from babel.messages.pofile import read_po

from survey_app.extensions import db

from .conftest import DESKTOP, PASSWORD, PHONE, assert_all_in_sight, login

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[3]
LANGS = ["zh_CN", "en"]
#: at most this many pages of one route (a campaign's many reports are one route)
PER_ROUTE = 3
SKIP = re.compile(r"\.(pdf|xlsx|csv|zip|json|png|svg)$|^/static/|^/language/|^/logout")
#: words a Chinese page shows in English on purpose: the switch to the English pages
ENGLISH_ON_PURPOSE = {"English"}


@pytest.fixture(scope="module")
def demo_site(site):
    """The demo's city, at a tenth of its size, in the browser tests' server."""
    from survey_app import demo
    with site.app.app_context():
        demo.load(echo=lambda *a: None, scale=0.1)
        db.session.commit()
    return site


class Text(HTMLParser):
    """What a reader sees: text outside scripts and styles, and the words of title, alt,
    aria-label and placeholder attributes; with the links to follow."""

    def __init__(self):
        super().__init__()
        self.chunks, self.links, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        for name in ("title", "alt", "aria-label", "placeholder"):
            if attrs.get(name):
                self.chunks.append(attrs[name])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.chunks.append(data.strip())


def untranslated_ids() -> set[str]:
    """English messages that a Chinese page must never show as they are."""
    with open(ROOT / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    ids = set()
    for m in catalog:
        if not m.id or not isinstance(m.id, str) or m.string == m.id:
            continue
        if re.search(r"[A-Za-z]{3}", m.id) and "%" not in m.id:
            ids.add(m.id)
    return ids


def raw_problems(chunks: list[str], lang: str, actions: set[str], english: set[str]) -> list[str]:
    text = "\n".join(chunks)
    found = []
    for pattern in (r"\{'", r"'\}", r"\['", r"': ", r"\[object", r"<built-in", r"Traceback", r"lazy_gettext",
                    r"%\(\w+\)", r"\b_l?\(", r"LazyString"):
        if re.search(pattern, text):
            found.append(f"{pattern!r}: …{text[max(0, re.search(pattern, text).start() - 60):][:140]}…")
    none = r"\bNone\b" if lang == "zh_CN" else r"(?:[:=,(]\s*None\b|\bNone\s*[,)])"
    if re.search(none, text):
        found.append(f"None: …{text[max(0, re.search(none, text).start() - 60):][:140]}…")
    for key in actions:
        if re.search(rf"(?<![\w./-]){re.escape(key)}(?![\w.-])", text):
            found.append(f"action key {key}")
    if lang == "zh_CN":
        found += [f"untranslated: {c!r}" for c in chunks if c in english and c not in ENGLISH_ON_PURPOSE]
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_no_staff_page_shows_raw_code(demo_site, lang):
    from survey_app.labels import LABELS
    app = demo_site.app
    client = app.test_client()
    client.set_cookie("lang", lang)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token}).status_code == 302
    adapter = app.url_map.bind("localhost")
    actions, english = set(LABELS["action"]), untranslated_ids()
    queue = ["/admin/", "/designer/", "/paper/", "/reports/", "/admin/users", "/admin/audit", "/admin/officer",
             "/", "/answer"]
    with app.app_context():  # the open campaign's page first: only it links to its counting officers
        from survey_app.models import Campaign, RespondentGroup, Target
        opened = db.session.execute(db.select(Campaign.id).where(Campaign.status == "open")).scalars().all()
        # codes staff chose (a group coded "public") are shown as they are, beside their names
        chosen = set(db.session.execute(db.select(RespondentGroup.code)).scalars()) | set(
            db.session.execute(db.select(Target.code)).scalars()) | set(db.session.execute(db.select(Campaign.code)).scalars())
    from survey_app.meetings.operations import MEMBERS_GROUP
    english -= chosen - {MEMBERS_GROUP}  # a meeting's group is the platform's code: it must read as words
    queue[1:1] = [f"/admin/campaigns/{cid}" for cid in opened]
    seen, per_route, problems, visited = set(queue), {}, [], 0
    while queue:
        path = queue.pop(0)
        try:
            endpoint, _ = adapter.match(urlsplit(path).path, method="GET")
        except Exception:
            continue
        if per_route.get(endpoint, 0) >= PER_ROUTE:
            continue
        response = client.get(path)
        if response.status_code in (301, 302, 303, 404, 405) or response.mimetype != "text/html":
            continue
        per_route[endpoint] = per_route.get(endpoint, 0) + 1
        visited += 1
        assert response.status_code < 500, path
        parser = Text()
        parser.feed(response.get_data(as_text=True))
        # the designer's preview in the other language shows the questionnaire's English on purpose
        shown_in = "en" if "lang=en" in path else lang
        problems += [f"{path}: {p}" for p in raw_problems(parser.chunks, shown_in, actions, english)]
        for href in parser.links:
            target = urljoin(path, href.split("#")[0])
            parts = urlsplit(target)
            if parts.netloc or not target or SKIP.search(parts.path):
                continue
            if target not in seen:
                seen.add(target)
                queue.append(target)
    assert visited > 40, sorted(per_route)
    must = {"admin.campaign", "reports.dashboard", "reports.report", "accounts.audit_log", "admin.officers",
            "paper.campaign", "designer.edit", "public.campaign", "public.receipts", "admin.results"}
    assert must <= set(per_route), must - set(per_route)
    assert not problems, "\n".join(problems[:30])


def campaigns(site):
    from sqlalchemy import select

    from survey_app.models import Campaign
    with site.app.app_context():
        return {c.code: c.id for c in db.session.execute(select(Campaign)).scalars()}


@pytest.mark.parametrize("lang", LANGS)
def test_the_dashboard_shows_every_group_column_at_1366_px(demo_site, browse, check, lang):
    page = browse("admin", lang=lang, viewport=DESKTOP)
    page.goto(f"{demo_site.url}/reports/{campaigns(demo_site)['sector-2026']}/dashboard")
    check(page, f"dashboard-words-{lang}", "admin")
    wrap = page.locator("#dashboard-results").locator("xpath=..")
    scroll, client = wrap.evaluate("w => [w.scrollWidth, w.clientWidth]")
    assert scroll <= client + 1, (scroll, client)  # nothing hidden to the right
    right = wrap.evaluate("w => w.getBoundingClientRect().right")
    heads = page.locator("#dashboard-results thead th")
    assert heads.count() >= 12  # four groups among them
    assert all(h.evaluate("h => h.getBoundingClientRect().right") <= right + 1 for h in heads.all())


@pytest.mark.parametrize("lang", LANGS)
def test_the_campaign_page_shows_turnout_on_a_phone(demo_site, browse, check, lang):
    page = browse("admin", lang=lang, viewport=PHONE)
    page.goto(f"{demo_site.url}/admin/campaigns/{campaigns(demo_site)['report-2026']}")
    check(page, f"campaign-turnout-{lang}", "admin")
    for cell in page.locator("#turnout td[data-field=received]").all():
        box = cell.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert cell.is_visible()
    assert page.locator("#turnout meter").first.is_visible()
    meter = page.locator("#turnout meter").first.bounding_box()
    assert meter["x"] + meter["width"] <= PHONE["width"]
    # the targets too, one card each: nothing of them hidden sideways, every edit link in sight
    assert_all_in_sight(page, "#targets", "td a", PHONE["width"])


#: the smallest label of any chart on screen, in CSS px: each <text>'s font size in the SVG's
#: own units times the SVG's scale on screen (its CTM)
SMALLEST_LABEL = """svg => Math.min(...Array.from(svg.querySelectorAll('text')).map(
    t => parseFloat(getComputedStyle(t).fontSize) * svg.getScreenCTM().a))"""


@pytest.mark.parametrize("lang", LANGS)
def test_chart_labels_stay_legible_on_a_phone(demo_site, browse, check, lang):
    ids = campaigns(demo_site)
    page = browse("admin", lang=lang, viewport=PHONE)
    shown = 0
    page.goto(f"{demo_site.url}/reports/")
    report = page.locator("a[href*='/targets/']").first.get_attribute("href")
    for path in (f"/reports/{ids['sector-2026']}/dashboard", "/results/sector-2026", report):
        page.goto(demo_site.url + path)
        check(page, f"charts-{lang}-{path}", "admin")
        for svg in page.locator("figure.chart svg").all():
            svg.scroll_into_view_if_needed()
            px = svg.evaluate(SMALLEST_LABEL)
            assert px >= 9, f"{path}: labels of {px:.1f} px"
            # the chart scrolls inside its own region; the page itself does not widen
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
            shown += 1
    assert shown >= 3 and report is not None


@pytest.mark.parametrize("lang", LANGS)
def test_receipts_never_break_and_the_audit_log_fits_a_phone(demo_site, browse, check, lang):
    page = browse(lang=lang, viewport=PHONE)
    page.goto(f"{demo_site.url}/results/sector-2026/receipts")
    check(page, f"receipts-{lang}")
    codes = page.locator(".receipt-list code")
    assert codes.count() > 5
    assert all(len(c.evaluate("c => [...c.getClientRects()]")) == 1 for c in codes.all()[:40])
    audit = browse("admin", lang=lang, viewport=PHONE)
    audit.goto(f"{demo_site.url}/admin/audit")
    check(audit, f"audit-{lang}", "admin")
    heights = audit.locator("table.audit tbody tr").evaluate_all("rows => rows.map(r => r.getBoundingClientRect().height)")
    assert heights and max(heights) < 400, max(heights)
