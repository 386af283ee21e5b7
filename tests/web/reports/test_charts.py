"""Charts: PNG bytes drawn with the Figure API, Chinese labels rendered with a CJK font.

pytest turns warnings into errors, so matplotlib's "Glyph ... missing from font" fails
these tests if a Chinese label were drawn without Noto Sans CJK SC.
"""
import io
import sys

import matplotlib
import pytest
from matplotlib.figure import Figure

from survey_app.reports import charts

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_cjk_font_is_found_when_matplotlibs_font_cache_predates_it(monkeypatch):
    from matplotlib import font_manager
    stale = [e for e in font_manager.fontManager.ttflist if e.name != charts.FONT]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)  # a cache made before the font
    charts._find_cjk_font()
    assert any(e.name == charts.FONT for e in font_manager.fontManager.ttflist)


def test_dimension_profile_in_chinese():
    png = charts.dimension_profile(["依法办事", "规范收费", "清正廉洁"], [81.5, None, 90.0], [80.0, 85.0, None],
                                   "本报告", "全体平均")
    assert png.startswith(PNG)


def test_distribution_and_trend_in_chinese():
    png = charts.distribution(["q02 依法履行职责，执法程序规范，不越权、不滥用职权", "q03 公正执法"],
                              ["满意", "基本满意", "不满意", "不了解"], [[5, 2, 1, 1], [0, 0, 0, 0]],
                              [False, False, False, True], "无回答")
    assert png.startswith(PNG)
    png = charts.trend(["2025年度行风评议", "2026年度行风评议"], [80.1, 84.2], [78.0, 82.0], [82.2, 86.4], "得分")
    assert png.startswith(PNG)


def test_a_font_without_chinese_glyphs_would_fail():
    """The check above can fail: the same label in a Latin-only font warns about missing glyphs."""
    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}):
        fig = Figure()
        fig.text(0.5, 0.5, "依法办事")
        with pytest.warns(UserWarning, match="missing from font"):
            fig.savefig(io.BytesIO(), format="png")


def test_charts_never_use_pyplot():
    assert "matplotlib.pyplot" not in sys.modules or not hasattr(charts, "plt")
    from pathlib import Path
    source = Path(charts.__file__).read_text(encoding="utf-8")
    assert "pyplot" not in source.replace("never pyplot", "").replace("touches pyplot", "")


@pytest.mark.parametrize("label, width, expected", [
    ("Acting lawfully", 30, "Acting lawfully"),
    ("依法履行职责，执法程序规范", 10, "依法履行职…"),
])
def test_shorten(label, width, expected):
    assert charts.shorten(label, width) == expected


def test_funnel_plot_in_chinese_names_the_targets_beyond_the_outer_limits():
    """Rule F: score against precision 1/se with limits mean -+ 1.96/x and -+ 3.09/x; a target
    with no standard error (an undefined precision) is left out rather than drawn at infinity."""
    names = ["公安局", "教育局", "卫生健康委员会", "交通运输局"]
    png = charts.funnel(names, [95.0, 80.5, 79.0, 60.0], [1.0, 2.0, 0.0, 1.5], 80.0,
                        [False, True, False, False], 1, "得分", "精确度（1 / 标准误）", "测评活动平均",
                        ("95%控制线", "99.8%控制线"))
    assert png.startswith(PNG)
