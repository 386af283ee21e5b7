"""The report fonts: Noto Sans CJK SC cut once to the characters reports print (`printing.prepare_fonts`);
a PDF names them first and the whole font after them, so a character outside the cut still prints."""
import shutil
import subprocess

import pytest

from survey_app import printing

pytestmark = pytest.mark.skipif(printing._source_font("Regular") is None or shutil.which("pdffonts") is None,
                                reason="Noto Sans CJK SC and poppler-utils (make sysdeps) are needed")
#: a few characters to cut to (the real set is GB 2312's, about 8,100: the same code, slower)
CUT = {ord(c) for c in "江川市评议报告本 Report0123456789▶·"}


@pytest.fixture(scope="module")
def cut_fonts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fonts")
    written = printing.prepare_fonts(folder, CUT)
    assert written == list(printing.report_fonts(folder).values())
    assert printing.prepare_fonts(folder, CUT) == []  # prepared once: nothing written again
    return folder


def test_the_cut_keeps_its_characters_under_its_own_name(cut_fonts):
    from fontTools.ttLib import TTFont
    for weight, path in printing.report_fonts(cut_fonts).items():
        font = TTFont(str(path))
        assert font["name"].getDebugName(1) == "Report Sans" and weight in font["name"].getDebugName(4)
        kept = set(font.getBestCmap())
        assert CUT <= kept and ord("堃") not in kept and len(kept) < 100
        assert not list(cut_fonts.glob("*.part"))


def test_gb2312_is_in_the_real_cut():
    kept = printing.report_characters()
    assert {ord(c) for c in "江川市纪委监委评议报告满意度优秀良好一般较差▶·—％（）"} <= kept
    assert ord("堃") not in kept and 8000 < len(kept) < 8300


def test_a_report_page_prints_with_the_cut_and_takes_a_rare_character_from_the_whole_font(cut_fonts, monkeypatch,
                                                                                           tmp_path):
    monkeypatch.setattr(printing, "FONT_CACHE", cut_fonts)
    monkeypatch.delitem(printing._cache, ("css", printing.REPORT_STYLESHEET), raising=False)
    try:
        data = printing.html_to_pdf("<p>江川市 评议报告 堃 <b>本报告 ▶ Report 2026</b></p>", printing.REPORT_STYLESHEET)
    finally:
        printing._cache.pop(("css", printing.REPORT_STYLESHEET), None)  # the next PDF reads the real cache
    path = tmp_path / "page.pdf"
    path.write_bytes(data)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Report-Sans " in fonts and "Report-Sans-Bold" in fonts
    assert "Noto-Sans-CJK-SC" in fonts  # only for 堃, not in the cut
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "江川市 评议报告 堃 本报告 ▶ Report 2026" in " ".join(text.split())


def test_without_prepared_fonts_a_report_prints_with_the_whole_font(monkeypatch, tmp_path):
    monkeypatch.setattr(printing, "FONT_CACHE", tmp_path / "nothing here")
    assert printing._report_font_css() == ""


def test_the_command_says_the_fonts_are_prepared(app, cut_fonts, monkeypatch):
    monkeypatch.setattr(printing, "FONT_CACHE", cut_fonts)
    result = app.test_cli_runner().invoke(args=["prepare-fonts"])
    assert result.exit_code == 0 and f"report fonts already prepared in {cut_fonts}" in result.output
