"""Published pages as a visitor reads them: receipts typed any way, paged; times in Beijing time;
English dates day-first; the fingerprint named and wrapped."""
import re

import pytest
from sqlalchemy import select

from survey_app.extensions import db


def a_receipt(app, campaign_id):
    from survey_app.models import Receipt
    with app.app_context():
        return db.session.execute(select(Receipt.fingerprint).where(Receipt.campaign_id == campaign_id)
                                  .order_by(Receipt.fingerprint)).scalars().first()


@pytest.mark.parametrize("typed", [lambda r: r, lambda r: r.lower(), lambda r: r.replace("-", ""),
                                   lambda r: " " + r.lower().replace("-", " ") + " "])
def test_a_receipt_is_found_however_it_is_typed(app, client, published_campaign, typed):
    receipt = a_receipt(app, published_campaign)
    page = client.get("/results/rep/receipts", query_string={"r": typed(receipt)}).get_data(as_text=True)
    assert "Your ballot was counted." in page


def test_a_wrong_receipt_is_not_found_and_a_prefix_lists_its_matches(app, client, published_campaign):
    receipt = a_receipt(app, published_campaign)
    page = client.get("/results/rep/receipts", query_string={"r": "0000-0000-0000-000G"}).get_data(as_text=True)
    assert "Your ballot was counted." not in page
    page = client.get("/results/rep/receipts", query_string={"r": receipt[:4].lower()}).get_data(as_text=True)
    assert receipt in page and re.search(r"\d+ receipts? begins? with " + receipt[:4], page)


def test_receipts_are_paged(app, client, published_campaign):
    import secrets
    from survey_app.models import Receipt
    from survey_app.public import controllers
    with app.app_context():
        for _ in range(controllers.RECEIPTS_PER_PAGE + 5):
            h = secrets.token_hex(8).upper()
            db.session.add(Receipt(campaign_id=published_campaign, fingerprint="-".join(h[i:i + 4] for i in range(0, 16, 4))))
        db.session.commit()
    first = client.get("/results/rep/receipts").get_data(as_text=True)
    second = client.get("/results/rep/receipts?page=2").get_data(as_text=True)
    codes = lambda html: set(re.findall(r"<code>([0-9A-F-]{19})</code>", html))
    assert len(codes(first)) == controllers.RECEIPTS_PER_PAGE and codes(second) and not codes(first) & codes(second)
    assert "Page 1 of 2" in first
    assert client.get("/results/rep/receipts?page=abc").status_code == 200


def test_published_time_is_beijing_time_and_english_dates_are_day_first(app, client, published_campaign):
    from datetime import datetime
    from survey_app.models import Campaign
    with app.app_context():
        campaign = db.session.get(Campaign, published_campaign)
        campaign.published_at = datetime(2026, 3, 4, 20, 30)  # UTC: 5 March, 04:30 in Beijing
        db.session.commit()
    en = client.get("/results/rep").get_data(as_text=True)
    assert "5 Mar 2026, 04:30 (Beijing time)" in en and "3/4/26" not in en and "UTC" not in en
    zh = client.get("/results/rep", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "2026年3月5日 04:30（北京时间）" in zh or "2026年3月5日 04:30 (北京时间)" in zh


def test_public_page_names_the_canonical_form_and_the_command(app, client, published_campaign):
    from survey_app.models import Campaign
    html = client.get("/results/rep").get_data(as_text=True)
    with app.app_context():
        sha = db.session.get(Campaign, published_campaign).published_sha256
    assert f'<code class="fingerprint">{sha}</code>' in html
    assert "--canonical" in html and "sha256sum results.json" in html and "keys sorted" in html
    assert 'id="public-ranking"' in html and "stack" in html and 'data-label="Score"' in html


def test_public_page_shows_the_funnel_plot_and_the_grades_as_published(app, client, published_campaign):
    """Issue 30: the funnel plot beside the caterpillar chart, with a sentence on how to read it,
    and each grade with its doubt."""
    from survey_app.labels import published_grade
    from survey_app.models import Campaign
    client.set_cookie("lang", "en")
    html = client.get("/results/rep").get_data(as_text=True)
    assert 'class="funnel-figure"' in html and "Funnel plot: each dot is a target" in html
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        targets = db.session.get(Campaign, published_campaign).published_results["targets"]
        words = [published_grade(t) for t in targets if t.get("grade")]
    assert words and all(w in html for w in words)
