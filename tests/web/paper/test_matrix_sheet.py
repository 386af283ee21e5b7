"""The matrix sheet: all targets of a campaign on as few landscape A4 pages as fit, one sheet
number, keyed as one sheet."""
import io

import pytest
from pypdf import PdfReader

from survey_app.extensions import db


@pytest.mark.parametrize("n_targets, most_pages", [(3, 1), (50, 2)])
def test_all_targets_on_as_few_pages_as_fit(app, make_campaign, n_targets, most_pages, tmp_path):
    from survey_app.models import Campaign
    from survey_app.paper import sheets
    cid = make_campaign(code="mx", groups=[("hall", 1.0, "code")], n_targets=n_targets)
    with app.app_context(), app.test_request_context():
        campaign = db.session.get(Campaign, cid)
        batch = sheets.print_batch(campaign, campaign.group("hall"), 2, "staff")
        pdf = sheets.batch_pdf(batch, "staff", matrix=True)
        label = sheets.sheet_label(batch.first_number)
    (tmp_path / "matrix.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert 2 <= pages <= 2 * most_pages  # two sheets, each on at most `most_pages` pages
    first = reader.pages[0]
    assert float(first.mediabox.width) > float(first.mediabox.height)  # landscape
    text = "".join(page.extract_text() for page in reader.pages[:pages // 2])
    for i in range(1, n_targets + 1):
        assert f"Unit {i}" in text
    assert label in text


def test_a_matrix_sheet_is_keyed_as_one_sheet(app, login, make_campaign):
    """The clerk's grid for a matrix sheet is the usual one: one row of letters per target."""
    from survey_app.models import Campaign
    from survey_app.paper import sheets
    cid = make_campaign(code="mx", groups=[("hall", 1.0, "code")], n_targets=4)
    staff = login("staff")
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        batch = sheets.print_batch(campaign, campaign.group("hall"), 1, "staff")
        batch_id, number = batch.id, batch.first_number
        lay = sheets.layout(campaign, campaign.group("hall"))
        keys = [r.key for r in lay.rows]
    response = staff.post(f"/paper/{cid}/batches/{batch_id}/pdf", data={"layout": "matrix"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "matrix" in response.headers["Content-Disposition"]
    page = staff.get(f"/paper/{cid}/sheets/{number}").get_data(as_text=True)
    assert all(f'name="{key}"' in page for key in keys) and len(keys) >= 4
