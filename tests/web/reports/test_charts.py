"""Charts: inline SVG drawn with the Figure API, Chinese labels measured with a CJK font.

pytest turns warnings into errors, so matplotlib's "Glyph ... missing from font" fails
these tests if a Chinese label were measured without Noto Sans CJK SC.
"""
import io
import sys

import matplotlib
import pytest
from matplotlib.figure import Figure

from survey_app.reports import charts



def is_svg(text: str) -> bool:
    """One <svg> element, ready to be put inline in a page: no XML prologue, no metadata."""
    return (text.startswith("<svg ") and text.endswith("</svg>") and text.count("<svg") == 1
            and "<?xml" not in text and "<metadata" not in text and "font-family=" in text[:300])


def test_the_cjk_font_is_found_when_matplotlibs_font_cache_predates_it(monkeypatch):
    from matplotlib import font_manager
    stale = [e for e in font_manager.fontManager.ttflist if e.name != charts.FONT]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)  # a cache made before the font
    charts._find_cjk_font()
    assert any(e.name == charts.FONT for e in font_manager.fontManager.ttflist)


def test_dimension_profile_in_chinese():
    svg = charts.dimension_profile(["依法办事", "规范收费", "清正廉洁"], [81.5, None, 90.0], [80.0, 85.0, None],
                                   "本报告", "全体平均")
    assert is_svg(svg)
    assert ">依法办事</text>" in svg and ">本报告</text>" in svg  # text stays text
    # The labels fit: the axes start right of the widest label, measured in the CJK font.
    assert charts.text_width("依法办事", 8.5) > 30


def test_distribution_and_trend_in_chinese():
    svg = charts.distribution(["q02 依法履行职责，执法程序规范，不越权、不滥用职权", "q03 公正执法"],
                              ["满意", "基本满意", "不满意", "不了解"], [[5, 2, 1, 1], [0, 0, 0, 0]],
                              [False, False, False, True], "无回答")
    assert is_svg(svg) and ">无回答</text>" in svg and ">56%</text>" in svg
    svg = charts.trend(["2025年度行风评议", "2026年度行风评议"], [80.1, 84.2], [78.0, 82.0], [82.2, 86.4], "得分")
    assert is_svg(svg) and ">84.2</text>" in svg


def test_the_same_chart_gives_the_same_bytes_and_names_are_escaped():
    args = (["A & <B>", "Cost $5 $x$"], [80.0, 70.0], [75.0, 65.0], [85.0, 75.0], [False, True], 0, "Score", "marked")
    first, second = charts.caterpillar(*args), charts.caterpillar(*args)
    assert first == second  # deterministic: a kept chart is the one a redraw would give
    assert "A &amp; &lt;B&gt;" in first and "<B>" not in first
    assert "Cost $5 $x$" in first  # a dollar sign is not a formula


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
    args = (names, [95.0, 80.5, 79.0, 60.0], [1.0, 2.0, 0.0, 1.5], 80.0, [False, True, False, False], 1,
            "得分", "精确度（1 / 标准误）", "测评活动平均", ("95%控制线", "99.8%控制线"))
    svg = charts.funnel(*args)
    assert is_svg(svg)
    # named: 公安局 (z = 15 > 3.09) and 交通运输局 (z = -13.3), and the highlighted 教育局; not 卫生健康委员会 (no se)
    assert "公安局" in svg and "交通运输局" in svg and "教育局" in svg and "卫生健康委员会" not in svg
    assert charts.funnel(*args, bitmap=True).startswith("data:image/png;base64,")


# -- bitmaps for the PDFs: drawn over a per-process template of the campaign's figure ----------

import base64  # noqa: E402
import threading  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

ITEMS = ["q02 依法履行职责，执法程序规范，不越权、不滥用职权", "q03 公正执法", "q04 服务热情"]
OPTIONS = (["满意", "基本满意", "不满意", "不了解"], [False, False, False, True])
NAMES = [f"江川市第{i}局" for i in range(1, 9)]
FUNNEL = (NAMES, [95.0, 80.5, 79.0, 60.0, 82.0, 81.0, 78.5, 80.0], [1.0, 2.0, 1.2, 1.5, 0.8, 0.9, 1.1, 0.0], 80.0,
          [False, True, False, False, False, False, False, False])
FUNNEL_LABELS = ("得分", "精确度（1 / 标准误）", "测评活动平均", ("95%控制线", "99.8%控制线"))


def pixels(uri: str) -> np.ndarray:
    assert uri.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert image.mode == "RGB"  # no alpha channel for WeasyPrint to split off
    return np.asarray(image)


def whole(kind: str, *args) -> np.ndarray:
    """The bitmap as a single drawing of the whole figure would give it (no template)."""
    with charts._style():
        if kind == "distribution":
            labels, option_labels, counts, dont_know, empty = args
            fig, ax, bars, colours, ys = charts._distribution_figure(labels, option_labels, dont_know, None)
            charts._distribution_data(ax, bars, colours, ys, counts, empty)
        elif kind == "profile":
            labels, scores, means = args
            values = [s or 0 for s in scores] + [m for m in means if m is not None]
            start = max(0, (int(min([v for v in values if v] or [0])) // 10 - 1) * 10)
            fig, ax, bars, _, ys = charts._profile_figure(labels, means, "本报告", "全体平均", start, None)
            charts._profile_data(ax, bars, ys, scores, start)
        else:
            highlight, = args
            fig, ax, points = charts._funnel_figure(*FUNNEL, *FUNNEL_LABELS, None)
            charts._funnel_data(ax, FUNNEL[0], FUNNEL[1], FUNNEL[4], points, FUNNEL[3], highlight)
        return pixels(charts._png_uri(fig))


def test_bitmap_charts_drawn_in_turn_each_show_their_own_data():
    """Two reports' charts drawn one after the other over the same template: each shows its own
    counts, scores and highlighted target, pixel for pixel as a whole drawing of it would."""
    charts.clear_templates()
    a, b = [[50, 30, 10, 10], [0, 0, 0, 0], [5, 5, 5, 5]], [[10, 10, 70, 10], [20, 20, 0, 0], [0, 0, 0, 0]]
    first = charts.distribution(ITEMS, OPTIONS[0], a, OPTIONS[1], "无回答", bitmap=True)
    second = charts.distribution(ITEMS, OPTIONS[0], b, OPTIONS[1], "无回答", bitmap=True)
    again = charts.distribution(ITEMS, OPTIONS[0], a, OPTIONS[1], "无回答", bitmap=True)
    assert len(charts._templates) == 1  # one template served all three
    template, = charts._templates.values()
    assert len(template.parts[1].texts) == 0  # a drawing's labels are gone with it: none pile up
    assert again == first and not np.array_equal(pixels(first), pixels(second))
    assert np.array_equal(pixels(first), whole("distribution", ITEMS, OPTIONS[0], a, OPTIONS[1], "无回答"))
    assert np.array_equal(pixels(second), whole("distribution", ITEMS, OPTIONS[0], b, OPTIONS[1], "无回答"))

    dims, means = ["依法办事", "规范收费", "清正廉洁"], [80.0, 85.0, None]
    for scores in ([81.5, None, 90.0], [88.0, 84.0, 86.5], [81.5, None, 90.0]):
        uri = charts.dimension_profile(dims, scores, means, "本报告", "全体平均", bitmap=True)
        assert np.array_equal(pixels(uri), whole("profile", dims, scores, means))

    charts.clear_templates()


def test_funnel_bitmaps_drawn_in_turn_each_highlight_their_own_target(monkeypatch):
    """Most reports' funnels are drawn over a kept background with every dot in blue and the common
    names: only the own red dot and name are new, and the red dot covers the blue one but for a
    few pixels of its rim. A target named anyway (beyond the limits) is drawn whole, exactly."""
    charts.clear_templates()
    over_common = []
    original = charts._funnel_over_common
    monkeypatch.setattr(charts, "_funnel_over_common",
                        lambda *args: over_common.append(original(*args)) or over_common[-1])
    drawn_funnels = {}
    for highlight in (1, 4, 0, None, 1, 3, 4):
        uri = charts.funnel(*FUNNEL, highlight, *FUNNEL_LABELS, bitmap=True)
        differ = np.abs(pixels(uri).astype(int) - whole("funnel", highlight).astype(int)).max(axis=2) > 0
        if over_common[-1] is None:
            assert not differ.any(), highlight
        else:  # (another target's dot highlighted instead, or none, differs in hundreds of pixels)
            assert differ.sum() <= 40, (highlight, differ.sum())
        drawn_funnels.setdefault(highlight, uri)
        assert uri == drawn_funnels[highlight]
    assert len(set(drawn_funnels.values())) == 5
    # drawn over the common background: 1 and 4 (twice each); drawn whole: 0 and 3 (named anyway), None
    assert [uri is not None for uri in over_common] == [True, True, False, False, True, False, True]
    charts.clear_templates()


def test_bitmap_charts_drawn_by_several_threads_never_mix_their_data():
    """The web app draws in several threads: one template, two reports' data at once."""
    charts.clear_templates()
    rows = {n: [[n, 10, 5, 1], [1, n, 2, 0], [3, 3, n, 3]] for n in (2, 40)}
    expected = {n: charts.distribution(ITEMS, OPTIONS[0], counts, OPTIONS[1], "无回答", bitmap=True)
                for n, counts in rows.items()}
    assert expected[2] != expected[40]
    wrong = []

    def draw(n):
        for _ in range(6):
            if charts.distribution(ITEMS, OPTIONS[0], rows[n], OPTIONS[1], "无回答", bitmap=True) != expected[n]:
                wrong.append(n)
    threads = [threading.Thread(target=draw, args=(n,)) for n in (2, 40, 2, 40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    charts.clear_templates()


def test_vector_charts_stay_the_same_bytes_beside_bitmap_drawings():
    """The web's SVG charts are kept by content digest: the bitmaps' templates do not touch them."""
    args = (ITEMS, OPTIONS[0], [[5, 2, 1, 1], [0, 0, 0, 0], [1, 1, 1, 1]], OPTIONS[1], "无回答")
    before = (charts.distribution(*args), charts.funnel(*FUNNEL, 1, *FUNNEL_LABELS))
    charts.distribution(*args, bitmap=True)
    charts.funnel(*FUNNEL, 1, *FUNNEL_LABELS, bitmap=True)
    assert (charts.distribution(*args), charts.funnel(*FUNNEL, 1, *FUNNEL_LABELS)) == before
    assert is_svg(before[0]) and ">56%</text>" in before[0] and ">无回答</text>" in before[0]
    charts.clear_templates()
