"""The charts of the feedback reports, drawn with matplotlib's Figure API as SVG text.

Every function receives its labels already translated and returns an SVG element (vector:
sharp on screen, text kept as text), or with ``bitmap=True`` a PNG data URI — for the PDFs:
WeasyPrint lays SVG out element by element, and two small charts as SVG cost it 15–18 times
a trivial page, as PNG 4–5 times (measured 7 December). None of them touches pyplot, whose
global state leaks across requests. Chinese needs a CJK font: the set-up installs Noto
Sans CJK SC, and every chart is drawn inside `_style()`. A figure is drawn once: its
margins are worked out from the measured labels instead of a second, "tight" drawing.
Charts are drawn once per change of what they show and kept (`reports.drawn`). A print run
draws each report's own bitmaps over a template of the campaign's figure, drawn once per
process (`_Template`): a report costs its bars, dots and labels, not the axes and CJK labels.
"""
import base64
import io
import json
import re
import struct
import textwrap
import threading
import zlib
from collections import OrderedDict
from contextlib import contextmanager
from functools import lru_cache

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import text_to_path
from matplotlib.transforms import Bbox
from scipy import stats

matplotlib.use("Agg")

FONT = "Noto Sans CJK SC"


def _find_cjk_font() -> None:
    """Make sure matplotlib knows the CJK font, even when its font cache is older than the font.

    matplotlib lists the system's fonts once and caches the list under ~/.cache/matplotlib: a
    font installed later (`make` installs fonts-noto-cjk on a fresh machine) stays unknown to
    it, and every Chinese label would fall back to a font without the glyphs.
    """
    if any(entry.name == FONT for entry in font_manager.fontManager.ttflist):
        return
    for path in font_manager.findSystemFonts():
        if "NotoSansCJK" in path.replace(" ", "").replace("-", ""):
            font_manager.fontManager.addfont(path)


_find_cjk_font()
RED, GREY, BLUE = "#b3261e", "#9aa1aa", "#0b4f9c"
#: colours of scale options from best to worst; "don't know" is grey
OPTION_COLOURS = ["#1a7f37", "#7cb46b", "#e0b03c", "#d9822b", "#c62828", "#8c1d18"]
DONT_KNOW_COLOUR = "#c4c9d0"


#: held while a chart is drawn: matplotlib's settings are global to the process, and a thread
#: leaving `rc_context` would restore them under another thread's drawing (its labels then in
#: a font without Chinese glyphs); drawing is Python under the GIL, so little is lost in waiting
_drawing = threading.RLock()


@contextmanager
def _style():
    with _drawing, matplotlib.rc_context({
        "font.family": "sans-serif",
        "font.sans-serif": [FONT],
        "axes.unicode_minus": False,
        "font.size": 8.5,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": "#5f6670",
        # Text stays text (small, selectable, drawn by the page's or PDF's own font) ...
        "svg.fonttype": "none",
        # ... and the same chart gives the same bytes (ids of clip paths are hashes).
        "svg.hashsalt": "minping-charts",
        # A "$" in a name is a dollar sign, not the start of a formula.
        "text.parse_math": False,
    }):
        yield


#: what the SVG's text falls back to where Noto Sans CJK SC is not installed (a browser)
FONT_STACK = f"'{FONT}', 'Noto Sans SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"
_PROLOGUE = re.compile(r"\A.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def _svg(fig: Figure) -> str:
    """The figure as one compact inline <svg> element: no XML prologue, no metadata, and no
    CSS — the pages' Content-Security-Policy forbids inline styles, so every ``style``
    becomes presentation attributes (``fill="…"``), which it does not govern. The font is
    named once, on the root, as a list a browser can fall back along."""
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    text = _METADATA.sub("", _PROLOGUE.sub("", out.getvalue(), count=1), count=1)
    text = _STYLE_ELEMENT.sub("", _FONT_FAMILY.sub("", text))
    text = _STYLE_ATTRIBUTE.sub(_as_attributes, text)
    # Only the ids something points at stay: several charts share a page, and matplotlib
    # names every group "figure_1", "axes_1", ...
    used = set(_REFERENCE.findall(text))
    text = _ID.sub(lambda m: m.group(0) if m.group(1) in used else "", text)
    text = text.replace("<svg ", f'<svg font-family="{FONT_STACK}" stroke-linejoin="round" '
                                 f'stroke-linecap="butt" ', 1)
    return _BETWEEN_TAGS.sub("><", _LINE_BREAKS.sub(" ", text)).strip()


def _as_attributes(match: re.Match) -> str:
    declarations = (d.split(":", 1) for d in match.group(1).split(";") if ":" in d)
    return " ".join(f'{name.strip()}="{value.strip()}"' for name, value in declarations)


_FONT_FAMILY = re.compile(r"font-family: [^;\"]*(?:&quot;[^;\"]*)*;? ?")
_STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>", re.S)
_STYLE_ATTRIBUTE = re.compile(r'style="([^"]*)"')
_REFERENCE = re.compile(r'#([^\s")]+)')
_ID = re.compile(r' id="([^"]*)"')
_LINE_BREAKS = re.compile(r" ?\n ?(?=[A-Za-z0-9\-z])")
_BETWEEN_TAGS = re.compile(r">\s+<")


PNG_DPI = 150


def _png_uri(fig: Figure, dpi: int = PNG_DPI) -> str:
    """The figure as a PNG data URI (margins already set: one drawing, no "tight" second one)."""
    out = io.BytesIO()
    fig.savefig(out, format="rgba", dpi=dpi)
    width = int(fig.get_size_inches()[0] * dpi)  # as Agg sizes its canvas
    return _png_data_uri(np.frombuffer(out.getbuffer(), np.uint8).reshape(-1, width, 4))


def _png_data_uri(rgba: np.ndarray) -> str:
    """Agg's pixels (height × width × RGBA) as a PNG data URI.

    RGB on the figure's white, not matplotlib's RGBA: WeasyPrint splits an alpha channel off
    into a mask of its own and compresses both again. Written here, rows unfiltered and
    compressed fast: the PNG only carries the pixels to WeasyPrint, which compresses them again
    for the PDF anyway; Pillow's adaptive row filters cost a chart about 10 ms for a larger file
    (charts are flat colours, which need no filter)."""
    height, width = rgba.shape[:2]
    rows = np.zeros((height, 1 + 3 * width), np.uint8)  # each row starts with its filter type: 0, none
    rows[:, 1:] = rgba[:, :, :3].reshape(height, 3 * width)
    png = b"".join((b"\x89PNG\r\n\x1a\n",
                    _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
                    _chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)), _chunk(b"IEND", b"")))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


class _Template:
    """A bitmap chart's figure drawn once without the artists that change from report to report.

    The print run draws one chart of a kind per report, and all but a few artists are the same
    for every target of a campaign (axes, tick labels in the CJK font, legend, limits: most of
    a drawing's time). The template keeps those as a background of pixels; `png_uri` puts it
    back and draws only the changing artists over it. ``redrawn`` are the template's own
    changing artists (their data set by the caller, under `lock`); artists made for one drawing
    are removed after it, so no report's data stays in the next one's chart.
    """

    def __init__(self, fig: Figure, redrawn: list, parts: tuple):
        #: what the chart's function needs to set the data: its axes, bars, ...
        self.fig, self.redrawn, self.parts = fig, redrawn, parts
        #: further backgrounds a kind keeps (the funnel's with its common dots and names)
        self.extra: dict = {}
        self.lock = threading.Lock()
        for artist in redrawn:
            artist.set_animated(True)  # left out of the background (a drawing that is not a save)
        self.canvas = FigureCanvasAgg(fig)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(fig.bbox)

    def png_uri(self, made: list, background=None) -> str:
        """The background (or another kept one) with the changing artists drawn over it, in
        z-order as a full drawing would (a stable sort: equal ones in the order they were made);
        ``made`` are removed after. The caller holds `lock` and has set the data."""
        try:
            for artist in made:
                artist.set_animated(True)
            self.canvas.restore_region(self.background if background is None else background)
            renderer = self.canvas.get_renderer()
            for artist in sorted([*self.redrawn, *made], key=lambda a: a.get_zorder()):
                artist.draw(renderer)
            uri = _png_data_uri(np.asarray(self.canvas.buffer_rgba()))
        finally:
            for artist in made:
                artist.remove()
        return uri


#: templates by kind and everything the background is drawn from; a few per process (a print
#: run is of one campaign and locale: a funnel, a distribution, the profile's few x ranges),
#: each about 5 MB of pixels
_templates: "OrderedDict[str, _Template]" = OrderedDict()
_templates_lock = threading.Lock()
TEMPLATES_LIMIT = 8


def _template(key: tuple, build) -> _Template:
    """The template named by ``key`` (JSON-like: everything its background is drawn from), built
    by ``build()`` (the figure, its changing artists and the parts the caller needs) if this
    process has none."""
    name = json.dumps([PNG_DPI, *key], ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    with _templates_lock:
        template = _templates.get(name)
        if template is not None:
            _templates.move_to_end(name)
            return template
    with _style():
        template = _Template(*build())
    with _templates_lock:
        template = _templates.setdefault(name, template)
        while len(_templates) > TEMPLATES_LIMIT:
            _templates.popitem(last=False)
    return template


def clear_templates() -> None:
    """Forget the figure templates (for tests and benchmarks)."""
    with _templates_lock:
        _templates.clear()


@lru_cache(maxsize=4096)
def text_width(label: str, size: float) -> float:
    """The width in points of a (possibly multi-line) label in the charts' font (kept per process:
    every report of a campaign measures the same item labels)."""
    prop = FontProperties(family=[FONT], size=size)
    return max((text_to_path.get_text_width_height_descent(line, prop, ismath=False)[0]
                for line in label.split("\n") if line), default=0.0)


def _margins(fig: Figure, *, left_labels: list[str] = (), left_size: float = 8.5, top: float = 0.0,
             bottom: float = 0.3, right: float = 0.15) -> None:
    """Place the axes so that the y labels, a legend above (``top`` inches) and the x labels
    (``bottom`` inches) fit: what `bbox_inches="tight"` finds by drawing the figure twice."""
    width, height = fig.get_size_inches()
    left = max((text_width(label, left_size) for label in left_labels), default=0.0) / 72 + 0.14
    lines = max((label.count("\n") + 1 for label in left_labels), default=1)
    fig.subplots_adjust(left=min(left / width, 0.6), right=1 - right / width,
                        top=1 - (top + 0.08 + 0.02 * lines) / height, bottom=bottom / height)


def wrap(label: str, width: int = 18) -> str:
    """Wrap a label for an axis: CJK text by characters, other text by words."""
    if any("\u2e80" <= ch <= "\u9fff" for ch in label):
        width = max(4, width // 2 + 2)
        lines = [label[i:i + width] for i in range(0, len(label), width)]
    else:
        lines = textwrap.wrap(label, width) or [label]
    if len(lines) > 3:
        lines = lines[:3]
        lines[-1] = lines[-1][:-1] + "…"
    return "\n".join(lines)


def shorten(label: str, width: int = 30) -> str:
    """One line of at most `width` columns (a CJK character counts two), with an ellipsis."""
    out, used = "", 0
    for ch in label:
        cost = 2 if "\u2e80" <= ch <= "\uffef" else 1
        if used + cost > width:
            return out.rstrip("，,;；、 ") + "…"
        out, used = out + ch, used + cost
    return out


def _figure(size: tuple[float, float], dpi: int | None) -> Figure:
    return Figure(figsize=size) if dpi is None else Figure(figsize=size, dpi=dpi)


def _spines(ax) -> list:
    return list(ax.spines.values())


def dimension_profile(labels: list[str], scores: list[float | None], means: list[float | None],
                      score_label: str, mean_label: str, bitmap: bool = False) -> str:
    """Horizontal bars of a target's dimension scores with the campaign mean as a tick.

    As a bitmap, drawn over a template of the campaign's axes (`_Template`): the bars, the
    means drawn over them and the spines over the bars' start are drawn for each report."""
    values = [s if s is not None else 0 for s in scores]
    low = min([v for v in values + [m for m in means if m is not None] if v] or [0])
    start = max(0, (int(low) // 10 - 1) * 10)
    with _style():
        if not bitmap:
            fig, ax, bars, ticks, ys = _profile_figure(labels, means, score_label, mean_label, start, None)
            _profile_data(ax, bars, ys, scores, start)
            return _svg(fig)
        def build():
            parts = _profile_figure(labels, means, score_label, mean_label, start, PNG_DPI)
            fig, ax, bars, ticks, _ = parts
            return fig, [*bars.patches, ticks, *_spines(ax)], parts
        template = _template(("profile", labels, means, score_label, mean_label, start), build)
        with template.lock:
            _, ax, bars, _, ys = template.parts
            return template.png_uri(_profile_data(ax, bars, ys, scores, start))


def _profile_figure(labels, means, score_label, mean_label, start, dpi):
    """The profile's figure with its bars at zero (`_profile_data` gives them their scores)."""
    fig = _figure((6.4, 0.8 + 0.3 * len(labels)), dpi)
    ax = fig.add_subplot()
    ys = list(range(len(labels)))[::-1]
    bars = ax.barh(ys, [0] * len(labels), height=0.6, color=RED, label=score_label)
    mean_y = [y for y, m in zip(ys, means) if m is not None]
    mean_x = [m for m in means if m is not None]
    ticks = ax.scatter(mean_x, mean_y, marker="|", s=200, linewidths=2.2, color="#1f2328", label=mean_label,
                       zorder=3)
    names = [wrap(label, 22) for label in labels]
    ax.set_yticks(ys, names)
    _margins(fig, left_labels=names, top=0.3, bottom=0.3)
    ax.set_xlim(start, 100)
    ax.grid(axis="x", color="#e3e6ea", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(handles=[bars, ticks], loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False,
              fontsize=8)
    return fig, ax, bars, ticks, ys


def _profile_data(ax, bars, ys, scores, start) -> list:
    """Give the bars their scores; returns the value labels made for them."""
    for bar, s in zip(bars.patches, scores):
        bar.set_width(s if s is not None else 0)
    # Values sit at the start of the bars, where the campaign-mean tick never is.
    return [ax.text(start + 0.8, y, f"{s:.1f}", va="center", ha="left", color="white", fontsize=8,
                    fontweight="bold") for y, s in zip(ys, scores) if s is not None]


def distribution(labels: list[str], option_labels: list[str], counts: list[list[int]],
                 dont_know: list[bool], empty_label: str, bitmap: bool = False) -> str:
    """Stacked 100% bars: the share of each option, per item (rows), don't-know in grey.

    As a bitmap, drawn over a template of the campaign's items and options (`_Template`)."""
    with _style():
        if not bitmap:
            fig, ax, bars, colours, ys = _distribution_figure(labels, option_labels, dont_know, None)
            _distribution_data(ax, bars, colours, ys, counts, empty_label)
            return _svg(fig)

        def build():
            parts = _distribution_figure(labels, option_labels, dont_know, PNG_DPI)
            fig, ax, bars = parts[:3]
            return fig, [*(bar for container in bars for bar in container.patches), *_spines(ax)], parts
        template = _template(("distribution", labels, option_labels, dont_know), build)
        with template.lock:
            _, ax, bars, colours, ys = template.parts
            return template.png_uri(_distribution_data(ax, bars, colours, ys, counts, empty_label))


def _distribution_figure(labels, option_labels, dont_know, dpi):
    """The distribution's figure with its bars at zero (`_distribution_data` gives them their shares)."""
    fig = _figure((6.6, 0.8 + 0.27 * max(1, len(labels))), dpi)
    ax = fig.add_subplot()
    ys = list(range(len(labels)))[::-1]
    colours, k = [], 0
    for is_dk in dont_know:
        if is_dk:
            colours.append(DONT_KNOW_COLOUR)
        else:
            colours.append(OPTION_COLOURS[min(k, len(OPTION_COLOURS) - 1)] if sum(
                not d for d in dont_know) > 3 else ["#1a7f37", "#e0b03c", "#c62828"][min(k, 2)])
            k += 1
    zeros = [0.0] * len(labels)
    bars = [ax.barh(ys, zeros, left=zeros, height=0.62, color=colours[j], label=option, edgecolor="white",
                    linewidth=0.4) for j, option in enumerate(option_labels)]
    names = [shorten(label, 34) for label in labels]
    ax.set_yticks(ys, names, fontsize=7.5)
    rows = -(-len(option_labels) // 5)
    _margins(fig, left_labels=names, left_size=7.5, top=0.2 * rows + 0.05, bottom=0.3)
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter())
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=min(len(option_labels), 5),
              frameon=False, fontsize=7.5)
    return fig, ax, bars, colours, ys


def _distribution_data(ax, bars, colours, ys, counts, empty_label) -> list:
    """Give the bars their shares of the answers; returns the labels made for them."""
    made = []
    lefts = [0.0] * len(ys)
    totals = [sum(row) for row in counts]
    for j, container in enumerate(bars):
        widths = [(row[j] / t * 100) if t else 0 for row, t in zip(counts, totals)]
        for bar, left, w in zip(container.patches, lefts, widths):
            bar.set_x(left)
            bar.set_width(w)
        for y, left, w in zip(ys, lefts, widths):
            if w >= 9:
                made.append(ax.text(left + w / 2, y, f"{w:.0f}%", va="center", ha="center", fontsize=7,
                                    color="#1f2328" if colours[j] in (DONT_KNOW_COLOUR, "#e0b03c", "#7cb46b")
                                    else "white"))
        lefts = [a + b for a, b in zip(lefts, widths)]
    for y, t in zip(ys, totals):
        if not t:
            made.append(ax.text(50, y, empty_label, va="center", ha="center", fontsize=7, color="#5f6670"))
    return made


def trend(labels: list[str], scores: list[float | None], low: list[float | None], high: list[float | None],
          score_label: str, bitmap: bool = False) -> str:
    """The composite score across a target's campaigns, oldest first, with 95% intervals."""
    with _style():
        fig = Figure(figsize=(6.4, 2.2))
        ax = fig.add_subplot()
        xs = list(range(len(labels)))
        points = [(x, s, lo, hi) for x, s, lo, hi in zip(xs, scores, low, high) if s is not None]
        if points:
            px = [p[0] for p in points]
            ps = [p[1] for p in points]
            err = [[p[1] - (p[2] if p[2] is not None else p[1]) for p in points],
                   [(p[3] if p[3] is not None else p[1]) - p[1] for p in points]]
            ax.errorbar(px, ps, yerr=err, color=BLUE, marker="o", capsize=3, linewidth=1.6, label=score_label)
            for x, s in zip(px, ps):
                ax.annotate(f"{s:.1f}", (x, s), textcoords="offset points", xytext=(8, 4), fontsize=8)
            lo = min(p[2] if p[2] is not None else p[1] for p in points)
            hi = max(p[3] if p[3] is not None else p[1] for p in points)
            ax.set_ylim(max(0, lo - 5), min(100, hi + 5) if hi + 5 > lo else 100)
        names = [wrap(label, 24) for label in labels]
        ax.set_xticks(xs, names)
        ax.set_xlim(-0.5, len(labels) - 0.5)
        ax.grid(axis="y", color="#e3e6ea", linewidth=0.6)
        _margins(fig, left_labels=["100"], bottom=0.15 + 0.16 * max(n.count("\n") + 1 for n in names or [""]),
                 right=0.5)
        return _png_uri(fig) if bitmap else _svg(fig)


def caterpillar(labels: list[str], scores: list[float], low: list[float], high: list[float],
                marked: list[bool], highlight: int | None, score_label: str, marked_label: str,
                bitmap: bool = False) -> str:
    """Every target's score with its 95% interval, best first (a caterpillar plot).

    ``marked`` flags targets scored on a reweighted mix of groups (hollow dot, label
    ending in "*"); ``highlight`` is the index of the report's own target, drawn in red.
    Targets are sorted here by score, so the caller's order does not matter.
    """
    order = sorted(range(len(scores)), key=lambda k: -scores[k])
    with _style():
        rows = len(order)
        fig = Figure(figsize=(6.4, 0.9 + 0.22 * max(rows, 3)))
        ax = fig.add_subplot()
        ys = list(range(rows))[::-1]
        # One collection for the intervals and one for the dots: a hundred targets are two
        # artists, not two hundred.
        hot = [k == highlight for k in order]
        colours = [RED if h else BLUE for h in hot]
        ax.add_collection(LineCollection([[(low[k], y), (high[k], y)] for y, k in zip(ys, order)],
                                         colors=colours, capstyle="butt",
                                         linewidths=[2.0 if h else 1.4 for h in hot]))
        ax.scatter([scores[k] for k in order], ys, s=26, zorder=3,
                   c=["white" if marked[k] else c for k, c in zip(order, colours)], edgecolors=colours,
                   linewidths=1.3)
        names = [shorten(labels[k], 26) + (" *" if marked[k] else "") for k in order]
        size = 7 if rows > 25 else 8
        ax.set_yticks(ys, names, fontsize=size)
        _margins(fig, left_labels=names, left_size=size, top=0.12, bottom=0.42)
        for row, label in enumerate(ax.get_yticklabels()):
            if hot[row]:
                label.set_color(RED)
                label.set_fontweight("bold")
        lo, hi = min(low), max(high)
        ax.set_xlim(max(0, lo - 3), min(100, hi + 3) if hi + 3 > lo else 100)
        ax.set_ylim(-0.7, rows - 0.3)
        ax.set_xlabel(score_label)
        ax.grid(axis="x", color="#e3e6ea", linewidth=0.6)
        ax.set_axisbelow(True)
        if any(marked):
            ax.text(1.0, 1.01, "* " + marked_label, transform=ax.transAxes, ha="right", va="bottom",
                    fontsize=7, color="#5f6670")
        return _png_uri(fig) if bitmap else _svg(fig)


def funnel(labels: list[str], scores: list[float], se: list[float], mean: float, marked: list[bool],
           highlight: int | None, score_label: str, precision_label: str, mean_label: str,
           limit_labels: tuple[str, str], bitmap: bool = False) -> str:
    """Every ranked target's score against its precision 1/se, with 95% and 99.8% limits (a funnel plot).

    The limits are mean -+ 1.96/x and mean -+ 3.09/x around the campaign ``mean`` (rule F of
    the method); targets beyond the 99.8% limits are named (at most 12), and the highlighted one. ``marked`` and ``highlight`` as in
    :func:`caterpillar`. As a bitmap, the limits, axes and legend are a template common to every
    report of the campaign (`_Template`); the dots and names are drawn for each report.
    """
    static = (labels, scores, se, mean, marked, score_label, precision_label, mean_label, limit_labels)
    with _style():
        if not bitmap:
            fig, ax, points = _funnel_figure(*static, None)
            _funnel_data(ax, labels, scores, marked, points, mean, highlight)
            return _svg(fig)

        def build():
            parts = _funnel_figure(*static, PNG_DPI)
            return parts[0], [], parts
        template = _template(("funnel", *static), build)
        with template.lock:
            _, ax, points = template.parts
            return (_funnel_over_common(template, labels, scores, marked, points, mean, highlight)
                    or template.png_uri(_funnel_data(ax, labels, scores, marked, points, mean, highlight)))


def _funnel_figure(labels, scores, se, mean, marked, score_label, precision_label, mean_label, limit_labels,
                   dpi):
    """The funnel's figure without its dots and names (`_funnel_data`), and the points (index,
    precision) to draw."""
    precision = [1.0 / s if s and s > 0 else None for s in se]
    points = [(k, p) for k, p in enumerate(precision) if p is not None]
    fig = _figure((6.4, 3.6), dpi)
    ax = fig.add_subplot()
    if points:
        top = max(p for _, p in points) * 1.08
        bottom = min(p for _, p in points) * 0.85
        x = np.linspace(bottom, top, 200)
        for z, style, name in ((Z95, "--", limit_labels[0]), (Z998, "-", limit_labels[1])):
            ax.plot(x, mean + z / x, color=GREY, linestyle=style, linewidth=1.0, label=name)
            ax.plot(x, mean - z / x, color=GREY, linestyle=style, linewidth=1.0)
        ax.axhline(mean, color="#5f6670", linewidth=0.8, label=mean_label)
        span = max([abs(scores[k] - mean) for k, _ in points] + [Z998 / bottom])
        ax.set_ylim(max(0, mean - span * 1.1), min(100, mean + span * 1.1))
        ax.set_xlim(bottom, top)
    ax.set_xlabel(precision_label)
    ax.set_ylabel(score_label)
    ax.grid(color="#e3e6ea", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    return fig, ax, points


def _funnel_named(scores, points, mean, highlight) -> list[int]:
    """The targets named: beyond the 99.8% limits (the first 12) and the highlighted one."""
    named = []
    for k, p in points:
        if (abs(scores[k] - mean) * p > Z998 and len(named) < 12) or k == highlight:
            named.append(k)
    return named


def _funnel_data(ax, labels, scores, marked, points, mean, highlight) -> list:
    """Draw the targets' dots and names, the highlighted one in red; returns the artists made."""
    made = []
    # One collection for the other targets and one for the report's own, drawn over them:
    # a hundred targets are two artists, not a hundred (a third of a report's time in print).
    for own in (False, True):
        dots = [(k, p) for k, p in points if (k == highlight) == own]
        if dots:
            colour = RED if own else BLUE
            made.append(ax.scatter([p for _, p in dots], [scores[k] for k, _ in dots], s=30 if own else 22,
                                   zorder=3, c=["white" if marked[k] else colour for k, _ in dots],
                                   edgecolors=colour, linewidths=1.2))
    precision = dict(points)
    for k in _funnel_named(scores, points, mean, highlight):
        made.append(ax.annotate(shorten(labels[k], 16) + (" *" if marked[k] else ""), (precision[k], scores[k]),
                                xytext=(4, 3), textcoords="offset points", fontsize=7,
                                color=RED if k == highlight else "#2b3038"))
    return made


def _funnel_over_common(template, labels, scores, marked, points, mean, highlight) -> str | None:
    """The funnel drawn over a second kept background with every dot in blue and the names every
    report shows (the common case: a report's own target is not among the named outliers). Only
    the own red dot and name are drawn, over its blue dot, which the bigger red one covers. None
    where that would differ from a whole drawing: the own target named anyway, changing who else
    is, or its dot or name touching another's name (drawn over it in a whole drawing)."""
    common = _funnel_named(scores, points, mean, None)
    precision = dict(points)
    if highlight not in precision or highlight in common or (
            [k for k in _funnel_named(scores, points, mean, highlight) if k != highlight] != common):
        return None
    _, ax, _ = template.parts
    renderer = template.canvas.get_renderer()
    if "common" not in template.extra:
        made = _funnel_data(ax, labels, scores, marked, points, mean, None)
        try:
            template.canvas.restore_region(template.background)
            for artist in made:
                artist.set_animated(True)
                artist.draw(renderer)
            names = [artist.get_window_extent(renderer) for artist in made[1:]]
            template.extra["common"] = (template.canvas.copy_from_bbox(template.fig.bbox), names)
        finally:
            for artist in made:
                artist.remove()
    background, names = template.extra["common"]
    made = _funnel_data(ax, labels, scores, marked, [(highlight, precision[highlight])], mean, highlight)
    x, y = ax.transData.transform((precision[highlight], scores[highlight]))
    reach = (30 ** 0.5 / 2 + 1.2 / 2 + 1) * template.fig.dpi / 72  # the red dot's radius and its edge, in pixels
    dot = Bbox.from_extents(x - reach, y - reach, x + reach, y + reach)
    name = made[-1].get_window_extent(renderer)
    if any(other.overlaps(dot) or other.overlaps(name) for other in names):
        for artist in made:
            artist.remove()
        return None
    return template.png_uri(made, background)


Z95, Z998 = float(stats.norm.ppf(0.975)), float(stats.norm.ppf(0.999))
