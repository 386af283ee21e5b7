"""The minutes (表决记录): an A4 PDF in Chinese and English, from the web and the command line."""
import shutil
import subprocess

import pytest

from survey_app.extensions import db
from survey_app.models import Campaign

from tests.web.meetings.conftest import close_and_count, vote

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")

NAMES = ["周正清", "吴守廉", "郑明德", "冯立新", "陈思远", "褚国强", "卫东方"]


def _text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _size(path) -> str:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return next(line for line in info.splitlines() if line.startswith("Page size"))


@pytest.fixture
def counted_meeting(app, make_meeting):
    cid, codes = make_meeting(members=7, names=NAMES)
    for code in codes[:5]:
        vote(app, cid, code, ["agree", "disagree", "agree"])
    close_and_count(app, cid)
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        return cid, campaign.results_sha256


def test_minutes_from_the_web_in_both_languages(app, login, counted_meeting, tmp_path):
    cid, sha = counted_meeting
    staff = login("staff")
    for lang, words in (("zh", ["表决记录", "市纪委常委会", "一般事项", "特别重大事项", "干部任免事项", "通过", "未通过",
                                "王守正", "刘清源", "过半数"]),
                        ("en", ["Minutes of the vote", "Standing committee", "Ordinary matter",
                                "Especially major matter", "Personnel matter", "Passed", "Not passed",
                                "5 of 7 members", "王守正"])):
        r = staff.get(f"/admin/meetings/{cid}/minutes.pdf?lang={lang}")
        assert r.status_code == 200 and r.mimetype == "application/pdf"
        path = tmp_path / f"minutes-{lang}.pdf"
        path.write_bytes(r.data)
        assert "(A4)" in _size(path)
        text = _text(path)
        flat = "".join(text.split())
        for word in words:
            assert "".join(word.split()) in flat, (lang, word)
        assert sha[:16] in flat  # the results' hash
        assert all(name in flat for name in NAMES)
        for appraisal in ("被评对象", "Target", "Score", "得分", "等次", "Grade"):
            assert appraisal not in text
    assert staff.get(f"/admin/meetings/{cid}/minutes.pdf?lang=fr").status_code == 400


def test_minutes_from_the_command_line(app, runner, counted_meeting, tmp_path):
    cid, sha = counted_meeting
    out = tmp_path / "minutes.pdf"
    result = runner.invoke(args=["campaign", "minutes", "vote", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = "".join(_text(out).split())
    assert "表决记录" in text and sha[:16] in text and "签名" in text
    result = runner.invoke(args=["campaign", "minutes", "vote", "-o", str(tmp_path / "en.pdf"), "--lang", "en"])
    assert result.exit_code == 0 and "Signedby2countingofficers" in "".join(_text(tmp_path / "en.pdf").split())


def test_no_minutes_before_counting_or_for_an_appraisal(app, runner, make_meeting, make_campaign, login, tmp_path):
    cid, _codes = make_meeting(members=7)
    make_campaign(code="appraisal")
    result = runner.invoke(args=["campaign", "minutes", "vote", "-o", str(tmp_path / "m.pdf")])
    assert result.exit_code == 2 and "not been counted" in result.output
    result = runner.invoke(args=["campaign", "minutes", "appraisal", "-o", str(tmp_path / "m.pdf")])
    assert result.exit_code == 2 and "not a decision meeting" in result.output
    assert login("staff").get(f"/admin/meetings/{cid}/minutes.pdf").status_code == 409
    assert not (tmp_path / "m.pdf").exists()
