"""`flask report CAMPAIGN --out DIR`: every report as PDF, in parallel worker processes: forks of the
command once it has loaded what printing needs, or fresh interpreters when it runs several threads."""
import multiprocessing

import pytest
from pypdf import PdfReader


@pytest.mark.parametrize("threads, start", [(1, "fork"), (2, "spawn")])
def test_report_command_writes_every_pdf_in_parallel(app, runner, counted_campaign, tmp_path, monkeypatch,
                                                     threads, start):
    from survey_app.reports import pdf
    monkeypatch.setattr(pdf.threading, "active_count", lambda: threads)
    started = []
    real_context = multiprocessing.get_context
    monkeypatch.setattr(multiprocessing, "get_context", lambda method=None: started.append(method) or
                        real_context(method))
    out = tmp_path / "pdfs"
    result = runner.invoke(args=["report", "rep", "--out", str(out), "--lang", "zh_CN", "--lang", "en",
                                 "--workers", "2"])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(f"rep-rep-t{i}-{lang}.pdf" for i in (1, 2, 3) for lang in ("zh_CN", "en"))
    assert "单位2" in PdfReader(out / "rep-rep-t2-zh_CN.pdf").pages[0].extract_text()
    assert "Unit 3" in PdfReader(out / "rep-rep-t3-en.pdf").pages[0].extract_text()
    assert started == [start]


def test_report_command_refuses_unknown_or_uncounted_campaigns(app, runner, make_campaign, tmp_path):
    result = runner.invoke(args=["report", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "nope" in result.output
    make_campaign(code="running")
    result = runner.invoke(args=["report", "running", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "not counted" in result.output
    assert not (tmp_path / "x").exists()
