"""Every issued code is on a slip, or none is issued: the codes in the printed PDF's text are
counted for the sizes that lost slips before (30 printed 20, 45 printed 30, 301 printed 50)."""
import io
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import AccessCode, Campaign

CODE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}\b")


def printed_codes(pdf: bytes, tmp_path) -> list[str]:
    """The codes a PDF's text shows, in order (poppler's pdftotext, else pypdf)."""
    if shutil.which("pdftotext"):
        path = tmp_path / "slips.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    else:
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return CODE.findall(text)


def stored_codes(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(AccessCode)).scalar_one()


def code_matches(app, plain: list[str]) -> int:
    """How many of the printed codes are stored as issued (by their keyed hash)."""
    from survey_app.ballots.operations import hash_code
    with app.app_context():
        hashes = {hash_code(code) for code in plain}
        stored = set(db.session.execute(select(AccessCode.code_hash)).scalars())
        return len(hashes & stored)


def staff_group(app, campaign_id):
    with app.app_context():
        return db.session.get(Campaign, campaign_id).group("staff").id


@pytest.mark.parametrize("n", [1, 10, 11, 30, 45, 301])
def test_every_issued_code_is_printed(app, login, campaign_id, n, tmp_path):
    response = login("staff").post(f"/admin/campaigns/{campaign_id}/codes",
                                   data={"group": staff_group(app, campaign_id), "count": n, "format": "pdf"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    printed = printed_codes(response.data, tmp_path)
    assert len(printed) == len(set(printed)) == n
    assert stored_codes(app) == n and code_matches(app, printed) == n
    assert len(PdfReader(io.BytesIO(response.data)).pages) == -(-n // 10)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_two_thousand_slips(app, campaign_id, tmp_path):
    """The largest print run one request makes (slower: about 15-30 s)."""
    from survey_app.ballots import operations as ballots
    from survey_app.ballots.slips import slips_pdf
    with app.test_request_context():
        campaign = db.session.get(Campaign, campaign_id)
        group = campaign.group("staff")
        pdf = ballots.issue_codes(campaign, group, 2000,
                                  deliver=lambda plain: slips_pdf(campaign, group, plain, "http://hall.example"))
    printed = printed_codes(pdf, tmp_path)
    assert len(set(printed)) == len(printed) == 2000
    assert code_matches(app, printed) == 2000


def test_a_missing_slip_issues_nothing(app, login, campaign_id, monkeypatch):
    """A PDF that lacks one slip is never handed out, and its codes are not stored."""
    from survey_app.ballots import slips
    real = slips.render_template

    def one_slip_lost(*args, **kwargs):
        html = real(*args, **kwargs)
        return re.sub(r'<div class="slip[^"]*" id="slip-12".*?</div>\s*</div>\s*</div>', "", html, count=1, flags=re.S)
    monkeypatch.setattr(slips, "render_template", one_slip_lost)
    client = login("staff")
    response = client.post(f"/admin/campaigns/{campaign_id}/codes",
                           data={"group": staff_group(app, campaign_id), "count": 15, "format": "pdf"})
    assert response.status_code == 302
    assert stored_codes(app) == 0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "no code was issued" in page


def test_a_failed_render_issues_nothing(app, login, campaign_id, monkeypatch):
    from survey_app.ballots import slips

    def broken(html):
        raise OSError("disk full")
    monkeypatch.setattr("weasyprint.HTML.render", lambda self: broken(self))
    with pytest.raises(OSError):
        login("staff").post(f"/admin/campaigns/{campaign_id}/codes",
                            data={"group": staff_group(app, campaign_id), "count": 5, "format": "pdf"})
    assert slips.SLIPS_PER_PAGE == 10 and stored_codes(app) == 0


def test_too_many_slips_at_once_is_a_form_error(app, login, campaign_id):
    client = login("staff")
    response = client.post(f"/admin/campaigns/{campaign_id}/codes",
                           data={"group": staff_group(app, campaign_id), "count": 2001, "format": "pdf"})
    assert response.status_code == 302
    assert "Print at most 2000 slips at a time" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert stored_codes(app) == 0


def test_cli_prints_slips_and_issues_only_what_it_wrote(app, runner, campaign_id, tmp_path):
    pdf_path, csv_path = tmp_path / "slips.pdf", tmp_path / "codes.csv"
    result = runner.invoke(args=["codes", "issue", "c1", "staff", "12", "--out", str(csv_path),
                                 "--slips", str(pdf_path)])
    assert result.exit_code == 0, result.output
    printed = printed_codes(pdf_path.read_bytes(), tmp_path)
    assert len(set(printed)) == 12 and code_matches(app, printed) == 12
    assert set(CODE.findall(csv_path.read_text())) == set(printed)
    result = runner.invoke(args=["codes", "issue", "c1", "staff", "5", "--out", str(tmp_path / "no" / "x.csv")])
    assert result.exit_code != 0
    assert stored_codes(app) == 12


@pytest.mark.parametrize("data", ["http://x/answer#ABCD-EFGH-JK", "https://pingyi.example.gov.cn/answer#3467-9ACD-EF"])
def test_qr_png_is_the_qr_code_module_for_module(data):
    """The hand-written PNG shows exactly the modules qrcode itself would draw, quiet zone included."""
    import base64
    import io

    import qrcode
    from PIL import Image

    from survey_app.ballots.slips import QUIET_ZONE, qr_png_uri
    ours = Image.open(io.BytesIO(base64.b64decode(qr_png_uri(data).split(",", 1)[1]))).convert("L")
    reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=QUIET_ZONE,
                              mask_pattern=2)
    reference.add_data(data)
    reference.make(fit=True)
    theirs = reference.make_image().get_image().convert("L")
    assert ours.size == theirs.size and ours.tobytes() == theirs.tobytes()
