"""Take the README's screenshots of a running demo server with headless Chromium.

Usage: python scripts/screenshots.py [BASE_URL] [OUT_DIR] — the server must hold the demo data.
"""
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/screenshots")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "demo-password-2026"


def shoot(page, path, name, full=True):
    page.goto(BASE + path)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full)
    print(name, page.url)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        for lang in ("zh_CN", "en"):
            suffix = "zh" if lang == "zh_CN" else "en"
            phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
            phone.add_cookies([{"name": "lang", "value": lang, "url": BASE}])
            page = phone.new_page()
            shoot(page, "/", f"start-{suffix}", full=False)
            page.goto(BASE + "/")
            link = page.locator("a.button.secondary").first
            if link.count():
                link.click()
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / f"questionnaire-{suffix}.png"), full_page=False)
            shoot(page, "/answer", f"code-{suffix}", full=False)
            phone.close()
            desk = browser.new_context(viewport={"width": 1280, "height": 800})
            desk.add_cookies([{"name": "lang", "value": lang, "url": BASE}])
            page = desk.new_page()
            page.goto(BASE + "/login")
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            shoot(page, "/admin/", f"campaigns-{suffix}", full=False)
            for extra in sys.argv[3:]:
                shoot(page, extra, f"{extra.strip('/').replace('/', '_')}-{suffix}", full=False)
            desk.close()
        browser.close()


if __name__ == "__main__":
    main()
