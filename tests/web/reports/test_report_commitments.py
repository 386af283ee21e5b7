"""A leader's feedback report carries their public commitments and the reviewed progress, as the
public sees them: no draft, no pending entry, another target's nothing; on the page and in the PDF."""
import io
from datetime import date

from pypdf import PdfReader

from survey_app.extensions import db


def test_the_report_shows_published_commitments_and_reviewed_progress(app, published_campaign, leader_login, ids):
    from survey_app.commitments import operations
    from survey_app.models import Target
    own, other, _third = ids(published_campaign)
    with app.app_context():
        target, neighbour = db.session.get(Target, own), db.session.get(Target, other)
        base = {"measure_zh": "", "announced_on": date(2026, 1, 1), "category": "livelihood"}
        kept = operations.create_commitment(target, {**base, "text_zh": "窗口办事一次办结", "text_en": "One visit per errand",
                                                     "deadline": date(2026, 6, 30)}, "staff", state="published")
        for on, percent, done in ((date(2026, 2, 1), 50, "reviewed step one"), (date(2026, 3, 1), 80, "pending step")):
            entry = operations.add_progress(kept, on=on, done=done, actor="staff", percent=percent)
            if percent == 50:
                operations.review_progress(entry, "approved", "", "staff")
        operations.create_commitment(target, {**base, "text_zh": "草稿承诺", "text_en": "Draft promise",
                                              "deadline": date(2026, 9, 30)}, "leader0")
        operations.create_commitment(neighbour, {**base, "text_zh": "邻居承诺", "text_en": "Neighbour promise",
                                                 "deadline": date(2026, 9, 30)}, "staff", state="published")
    client = leader_login(published_campaign, 0)
    client.set_cookie("lang", "en")
    html = client.get(f"/reports/{published_campaign}/targets/{own}").get_data(as_text=True)
    assert "Public commitments" in html and "One visit per errand" in html and "reviewed step one" in html
    assert "pending step" not in html and "Draft promise" not in html and "Neighbour promise" not in html
    client.set_cookie("lang", "zh_CN")
    pdf = client.get(f"/reports/{published_campaign}/targets/{own}.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "公开承诺" in text and "窗口办事一次办结" in text and "草稿承诺" not in text
