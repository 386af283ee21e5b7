"""One way to turn a page written for print into A4 PDF bytes: posters, paper sheets, counting
officers' sheets, minutes and feedback reports all go through `html_to_pdf`; slips through
`render_document`, so that every slip is found laid out before their codes are issued."""
import base64
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
#: the feedback reports' print stylesheet (also used by the officers' sheets)
REPORT_STYLESHEET = "report_print.css"
_cache: dict = {}


def _weasy():
    """WeasyPrint's HTML and CSS classes and one font configuration, loaded once per process."""
    if "HTML" not in _cache:
        # WeasyPrint is imported here, on the first PDF, not at module level: it pulls in Pango,
        # cairo and fontconfig and takes 1–2 s (1.9 s measured here), which every gunicorn worker and every
        # CLI command would otherwise pay at start-up although most never print anything.
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration
        _cache.update(HTML=HTML, CSS=CSS, fonts=FontConfiguration())
    return _cache["HTML"], _cache["CSS"], _cache["fonts"]


def _stylesheet(name: str):
    """A stylesheet of static/, parsed once per process."""
    key = ("css", name)
    if key not in _cache:
        _HTML, CSS, fonts = _weasy()
        _cache[key] = CSS(filename=str(STATIC / name), font_config=fonts)
    return _cache[key]


def html_to_pdf(html: str, stylesheet: str | None = None, images: dict[str, bytes] | None = None) -> bytes:
    """A4 PDF bytes of a page written for print. `stylesheet` names a file of static/ applied
    over the page's own styles (the reports' one for reports and officers' sheets); without it
    the page prints with its own styles only, as slips, posters and paper sheets do. `images`:
    PNG bytes by the URL the page names them with (`inline_images`), fetched from memory."""
    HTML, _CSS, fonts = _weasy()
    fetcher = {} if images is None else {"url_fetcher": _memory_fetcher(images)}
    if stylesheet is None:
        return HTML(string=html, **fetcher).write_pdf()
    return HTML(string=html, base_url=str(STATIC), **fetcher).write_pdf(
        stylesheets=[_stylesheet(stylesheet)], font_config=fonts)


_PNG_DATA_URI = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def inline_images(html: str) -> tuple[str, dict[str, bytes]]:
    """The page with its PNG data URIs (the reports' charts, ~0.7 MB of base64) replaced by short
    names, and the PNG bytes by name, for `html_to_pdf(images=...)`: WeasyPrint's HTML parser
    reads a long attribute slowly (30 ms a report, measured 7 December)."""
    images: dict[str, bytes] = {}

    def name(match: re.Match) -> str:
        url = f"memory:image-{len(images)}.png"
        images[url] = base64.b64decode(match.group(1))
        return f'src="{url}"'
    return _PNG_DATA_URI.sub(name, html), images


def _memory_fetcher(images: dict[str, bytes]):
    from weasyprint import default_url_fetcher  # heavy: loaded only when a document is printed

    def fetch(url: str, *args, **kwargs) -> dict:
        if url in images:
            return {"string": images[url], "mime_type": "image/png"}
        return default_url_fetcher(url, *args, **kwargs)
    return fetch


def render_document(html: str):
    """The laid-out WeasyPrint document of a page written for print, with its own styles: for a
    caller that checks the layout (its pages, each page's anchors) before `document.write_pdf()`."""
    HTML, _CSS, _fonts = _weasy()
    return HTML(string=html).render()
