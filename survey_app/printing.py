"""One way to turn a page written for print into A4 PDF bytes: posters, paper sheets, counting
officers' sheets, minutes and feedback reports all go through `html_to_pdf`; slips through
`render_document`, so that every slip is found laid out before their codes are issued."""
import atexit
import base64
import io
import os
import re
import struct
import subprocess
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
        from weasyprint import CSS, HTML, images
        from weasyprint.text.fonts import FontConfiguration
        _cache.update(HTML=HTML, CSS=CSS, fonts=FontConfiguration())
        # dropped while the interpreter still runs: a font configuration with @font-face rules cleans
        # up after itself when deleted, which fails once the modules are gone
        atexit.register(_cache.clear)
        _embed_pngs_as_they_are(images.RasterImage)
    return _cache["HTML"], _cache["CSS"], _cache["fonts"]


def _embed_pngs_as_they_are(raster_image) -> None:
    """WeasyPrint (61–66) puts a PNG into the PDF by decoding it and encoding it again with Pillow, only to
    take the compressed rows out of the new file (`RasterImage._get_png_data`): 50 ms a report for its
    three charts (measured 7 December). An opaque 8-bit PNG that is not interlaced (matplotlib's) already
    has them: the PDF's Flate filter with the PNG predictor reads them as they are. Anything else goes
    the library's way."""
    if getattr(raster_image, "_encodes_again", None) is not None:
        return
    encode_again = raster_image._get_png_data

    def png_data(pillow_image) -> bytes:
        rows = _png_rows(pillow_image)
        return encode_again(pillow_image) if rows is None else rows
    raster_image._encodes_again = encode_again
    raster_image._get_png_data = staticmethod(png_data)


def _png_rows(pillow_image) -> bytes | None:
    """The compressed rows (IDAT) of the PNG file an image was opened from, if 8-bit gray or RGB with no
    transparency and not interlaced; else None."""
    source = getattr(pillow_image, "fp", None)
    if pillow_image.format != "PNG" or not isinstance(source, io.BytesIO):
        return None
    data = source.getvalue()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    rows, at = [], 8
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            _width, _height, depth, colour, _compression, _filter, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (0, 2) or interlace:
                return None
        elif kind in (b"tRNS", b"PLTE"):
            return None
        elif kind == b"IDAT":
            rows.append(body)
        elif kind == b"IEND":
            break
        at += 12 + length
    return b"".join(rows) or None


def _stylesheet(name: str):
    """A stylesheet of static/, parsed once per process; the reports' one names the report fonts
    first when they are prepared (`prepare_fonts`)."""
    key = ("css", name)
    if key not in _cache:
        _HTML, CSS, fonts = _weasy()
        faces = _report_font_css() if name == REPORT_STYLESHEET else ""
        _cache[key] = CSS(string=(STATIC / name).read_text(encoding="utf-8") + faces, base_url=str(STATIC) + "/",
                          font_config=fonts)
    return _cache[key]


# -- the report fonts: the CJK font cut once to what reports print -----------------------------------

#: where prepared fonts are kept, for every app and print worker of this host (MINPING_FONT_CACHE)
FONT_CACHE = Path(os.environ.get("MINPING_FONT_CACHE")
                  or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "minping" / "fonts")
#: changes when the characters or the cut change: older files are not used
FONT_VERSION = "1"
REPORT_FAMILY = "Report Sans"
_WEIGHTS = {"Regular": "normal", "Bold": "bold"}


def report_characters() -> set[int]:
    """The characters the report fonts keep: every character of GB 2312 (its 6,763 hanzi, its
    punctuation and signs), Latin-1, general punctuation, arrows, geometric shapes (▶), CJK
    symbols and full-width forms. Any other character a page prints (a rare name) comes from the
    whole font, named after them."""
    keep = {c for first, last in ((0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x2190, 0x21FF), (0x2212, 0x2212),
                                  (0x25A0, 0x25FF), (0x3000, 0x303F), (0xFF00, 0xFFEF)) for c in range(first, last + 1)}
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                keep.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return keep


def report_fonts(directory: Path | None = None) -> dict[str, Path]:
    """The report fonts' files by weight (they may not exist yet)."""
    directory = FONT_CACHE if directory is None else directory
    return {weight: directory / f"ReportSans-{weight}-v{FONT_VERSION}.otf" for weight in _WEIGHTS}


def fonts_prepared(directory: Path | None = None) -> bool:
    """Whether the report fonts are there, every weight (`prepare_fonts`)."""
    return all(path.exists() for path in report_fonts(directory).values())


def _source_font(weight: str) -> Path | None:
    """The Noto Sans CJK file fontconfig gives for the weight (fonts-noto-cjk), if installed."""
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", f"Noto Sans CJK SC:{weight.lower()}"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(found) if "NotoSansCJK" in found and Path(found).exists() else None


def prepare_fonts(directory: Path | None = None, characters: set[int] | None = None) -> list[Path]:
    """Cut Noto Sans CJK SC (regular and bold) to `report_characters()` once, as the report fonts.

    WeasyPrint subsets the fonts of every PDF it writes; from the whole CJK font (65,535 glyphs) that
    is about a tenth of a report's time, from this cut (about 8,100) a fraction of it. Files are
    written under another name and renamed, so two processes preparing at once never leave half a
    font. Returns the files written (none when they exist or the source font is missing)."""
    from fontTools import subset  # WeasyPrint's own dependency; only where fonts are cut (about 15 s a weight)
    from fontTools.ttLib import TTCollection, TTFont  # (the same: only where fonts are cut)
    written = []
    for weight, path in report_fonts(directory).items():
        if path.exists():
            continue
        source = _source_font(weight)
        if source is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix.lower() == ".ttc":
            font = next(f for f in TTCollection(str(source)).fonts if f["name"].getDebugName(1).endswith(" SC"))
        else:
            font = TTFont(str(source))
        options = subset.Options()
        options.layout_features, options.name_IDs, options.name_languages = ["*"], ["*"], ["*"]
        options.notdef_outline = True
        cutter = subset.Subsetter(options)
        cutter.populate(unicodes=characters or report_characters())
        cutter.subset(font)
        name = font["name"]
        for record in list(name.names):
            if record.nameID in (1, 4, 6, 16):
                name.removeNames(nameID=record.nameID)
        for name_id, text in ((1, REPORT_FAMILY), (4, f"{REPORT_FAMILY} {weight}"),
                              (6, f"ReportSans-{weight}"), (16, REPORT_FAMILY)):
            name.setName(text, name_id, 3, 1, 0x409)
        partial = path.with_name(f"{path.name}.{os.getpid()}.part")
        font.save(str(partial))
        os.replace(partial, path)
        written.append(path)
    return written


def _report_font_css() -> str:
    """@font-face rules naming the report fonts first, the whole font after them, if prepared."""
    if not fonts_prepared():
        return ""
    files = report_fonts()
    faces = "".join(f'\n@font-face {{ font-family: "{REPORT_FAMILY}"; src: url("{path.as_uri()}"); '
                    f"font-weight: {_WEIGHTS[weight]}; }}" for weight, path in files.items())
    return faces + f'\nhtml {{ font-family: "{REPORT_FAMILY}", "Noto Sans CJK SC", sans-serif; }}\n'


def html_to_pdf(html: str, stylesheet: str | None = None, images: dict[str, bytes] | None = None,
                sheets: "Sheets | None" = None) -> bytes:
    """A4 PDF bytes of a page written for print. `stylesheet` names a file of static/ applied
    over the page's own styles (the reports' one for reports and officers' sheets); without it
    the page prints with its own styles only, as slips, posters and paper sheets do. `images`:
    PNG bytes by the URL the page names them with (`inline_images`), fetched from memory.
    `sheets` (`render_sheets`): drawn into the pages the page saves for them (`slots_of`)."""
    HTML, _CSS, fonts = _weasy()
    fetcher = {} if images is None else {"url_fetcher": _memory_fetcher(images)}
    if stylesheet is None:
        return HTML(string=html, **fetcher).write_pdf()
    page = HTML(string=html, base_url=str(STATIC), **fetcher)
    if sheets is None:
        return page.write_pdf(stylesheets=[_stylesheet(stylesheet)], font_config=fonts)
    document = page.render(stylesheets=[_stylesheet(stylesheet)], font_config=fonts)
    slots = slots_of(document, sheets)
    return document.write_pdf(finisher=lambda _document, pdf: _add_sheets(pdf, sheets, slots))


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


# -- sheets: pages laid out and printed once, drawn into many documents ------------------------------

#: the PDF's references (`12 0 R`) in an object's dictionary, renumbered when the object is drawn elsewhere
_REFERENCE = re.compile(rb"(\d+) 0 R\b")
#: where a slot of the document that takes sheet `i` is (`<div id="sheet-slot-i">`)
SLOT = re.compile(r"sheet-slot-(\d+)$")
#: sheets print no running head nor page number: the document they are drawn into prints its own
_NO_MARGIN_BOXES = "@page { @top-left { content: none } @bottom-right { content: none } }"


class SheetsMisfit(RuntimeError):
    """Sheets that do not fit the document they were to be drawn into (their pages, their place, the
    PDF objects of this WeasyPrint): the caller prints the document without them instead."""


class Sheets:
    """Pages of a part that many documents share word for word (the reports' ranking of every target),
    laid out and printed by WeasyPrint once (`render_sheets`) and drawn as they are into each
    document's pages saved for them (`html_to_pdf(sheets=...)`): each page a PDF form drawn under
    what the document prints there (its running head, page number, any mark over a sheet's line).

    `anchors`: per page, the box of every element with an id (x, y of its top left, x, y of its
    bottom right, CSS px from the page's top left; the bottom right None before WeasyPrint 66); `objects`: the PDF objects the pages draw with, each as its
    bytes cut at its references (to other objects of the list), and whether it is a stream."""

    def __init__(self, anchors: list[dict], objects: dict[int, tuple[list, bool]], forms: list[int]):
        self.anchors, self.objects, self.forms = anchors, objects, forms

    def __len__(self) -> int:
        return len(self.forms)

    def anchor(self, name: str) -> tuple[int, float, float, float | None, float | None]:
        """(page, x, y, right, bottom) of the element with this id."""
        for page, anchors in enumerate(self.anchors):
            if name in anchors:
                return (page, *anchors[name])
        raise KeyError(name)


def render_sheets(html: str, stylesheet: str) -> Sheets:
    """Lay out and print a page written for print (with a stylesheet of static/, as `html_to_pdf`)
    once, as sheets to draw into other documents."""
    HTML, CSS, fonts = _weasy()
    key = ("css", "no margin boxes")
    if key not in _cache:
        _cache[key] = CSS(string=_NO_MARGIN_BOXES, font_config=fonts)
    document = HTML(string=html, base_url=str(STATIC)).render(
        stylesheets=[_stylesheet(stylesheet), _cache[key]], font_config=fonts)
    captured = {}
    document.write_pdf(finisher=lambda _document, pdf: captured.update(pdf=pdf))
    return _sheets_of(captured["pdf"], [{name: (tuple(box) + (None, None))[:4] for name, box in page.anchors.items()}
                                        for page in document.pages])


def _number(reference: bytes) -> int:
    """The object number of a reference as WeasyPrint writes it (`b"12 0 R"`)."""
    return int(reference.split()[0])


def _pages(pdf) -> list:
    kids = pdf.pages["Kids"]
    return [pdf.objects[kids[i]] for i in range(0, len(kids), 3)]


def _sheets_of(pdf, anchors: list[dict]) -> Sheets:
    """The objects the pages of a WeasyPrint PDF (pydyf, before it is written) draw with, each page's
    content made a form (an XObject drawn by name) over the pages' resources."""
    pages = _pages(pdf)
    resources = {_number(page["Resources"]) for page in pages}
    if len(resources) != 1:  # WeasyPrint (61–66) gives every page one dictionary of resources
        raise SheetsMisfit("the sheets' pages do not share their resources")
    resources = resources.pop()
    objects: dict[int, tuple[list, bool]] = {}
    forms = []
    todo = [resources]
    for page in pages:
        number = _number(page["Contents"])
        head, body = _split(pdf.objects[number].data)
        box = b" ".join(b"%g" % value for value in page["MediaBox"])
        head = head[:2] + b"/Type /XObject /Subtype /Form /BBox [" + box + b"] /Resources %d 0 R " % resources + head[2:]
        objects[number] = (_cut(head) + [b"\nstream\n" + body], True)
        forms.append(number)
    while todo:
        number = todo.pop()
        if number in objects:
            continue
        obj = pdf.objects[number]
        data = obj.data
        is_stream = not obj.compressible
        head, body = _split(data) if is_stream else (data, None)
        parts = _cut(head) + ([b"\nstream\n" + body] if is_stream else [])
        objects[number] = (parts, is_stream)
        todo += [part for part in parts if isinstance(part, int) and part not in objects]
    return Sheets(anchors, objects, forms)


def _split(data: bytes) -> tuple[bytes, bytes]:
    """A stream object's dictionary, and the rest: its (encoded) data and `endstream`."""
    head, _, body = data.partition(b"\nstream\n")
    return head, body


def _cut(head: bytes) -> list:
    """The bytes of a dictionary cut at its references: bytes and object numbers, alternately."""
    parts, start = [], 0
    for match in _REFERENCE.finditer(head):
        parts += [head[start:match.start()], int(match.group(1))]
        start = match.end()
    return parts + [head[start:]]


def _add_sheets(pdf, sheets: Sheets, slots: list[tuple[int, int]]) -> None:
    """Add the sheets' objects to a WeasyPrint PDF (pydyf, before it is written), renumbered, and draw
    sheet `i` at the start of page `p`'s content for each `(p, i)` of `slots`."""
    import pydyf  # loaded with WeasyPrint, which writes the PDF this changes

    added: dict[int, pydyf.Object] = {}

    class Copied(pydyf.Object):
        def __init__(self, parts: list, is_stream: bool):
            super().__init__()
            self.parts, self.is_stream = parts, is_stream

        @property
        def data(self) -> bytes:
            return b"".join(b"%d 0 R" % added[part].number if isinstance(part, int) else part
                            for part in self.parts)

        @property
        def compressible(self) -> bool:
            return not self.is_stream
    for number, (parts, is_stream) in sheets.objects.items():
        added[number] = Copied(parts, is_stream)
        pdf.add_object(added[number])
    pages = _pages(pdf)
    resources = pdf.objects[_number(pages[0]["Resources"])]
    if any(_number(page["Resources"]) != resources.number for page in pages):
        raise SheetsMisfit("the document's pages do not share their resources")
    for page, sheet in slots:
        name = f"Sheet{sheet}"
        resources["XObject"][name] = added[sheets.forms[sheet]].reference
        # drawn first: the page's own content (its running head, page number, marks) comes over it
        pdf.objects[_number(pages[page]["Contents"])].stream.insert(0, f"q /{name} Do Q".encode())


def slots_of(document, sheets: Sheets) -> list[tuple[int, int]]:
    """Where each sheet goes in a laid-out document: (page, sheet), from the slots' ids; a document
    that does not save exactly one page for each sheet, at the top of its content, is refused."""
    slots = []
    for index, page in enumerate(document.pages):
        for name, (x, y, *_corner) in page.anchors.items():
            match = SLOT.match(name)
            if match:
                sheet = int(match.group(1))
                _page, top_x, top_y, *_corner = sheets.anchor("sheet-top")
                if abs(x - top_x) > 0.5 or abs(y - top_y) > 0.5:
                    raise SheetsMisfit(f"the slot of sheet {sheet} is at ({x}, {y}), not at ({top_x}, {top_y})")
                slots.append((index, sheet))
    if sorted(sheet for _page, sheet in slots) != list(range(len(sheets))) or \
            len({page for page, _sheet in slots}) != len(sheets):
        raise SheetsMisfit(f"the document saves pages {slots} for {len(sheets)} sheets")
    return slots
