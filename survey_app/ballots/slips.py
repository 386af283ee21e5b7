"""Printable A4 sheets of access-code slips and public-link posters (WeasyPrint + qrcode).

Each slip carries the code three ways: a QR code of `/answer#CODE` (the code stays in the
URL fragment, which browsers never send), the typed code, and a two-line instruction in
Chinese and English. Nothing on a slip says who receives it.

Slips are laid out as explicit pages of `SLIPS_PER_PAGE`, each slip placed absolutely:
WeasyPrint lost every slip of a wrapping flex container past its second page (30 codes
printed 20), and a code that is issued but never printed can never be shown again. After
layout every slip's anchor is looked for on its page, so a PDF that misses one is never
handed out (`SlipsIncomplete`), and `ballots.operations.issue_codes` commits the codes only
once their slips are rendered.
"""
import base64
import io
import struct
import zlib
from flask import current_app, render_template
from markupsafe import Markup

from ..models import Campaign, RespondentGroup
from ..printing import html_to_pdf, render_document

#: two columns of five 95 x 55 mm slips fill an A4 page inside 10 mm margins
SLIPS_PER_PAGE = 10
COLUMNS = 2
SLIP_MM = (95, 55)
#: below this many slips one process renders them (starting a worker costs about a second)
PARALLEL_FROM = 400


class SlipsIncomplete(RuntimeError):
    """The rendered PDF does not show every code it was given."""


def qr_svg(data: str, box_size: int = 10) -> Markup:
    """An inline SVG of a QR code (medium error correction survives a crumpled slip)."""
    import qrcode.image.svg  # qrcode (and PIL) where a code is drawn: a web worker starts without them

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=box_size,
                        error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    return Markup(svg[svg.index("<svg"):])


def qr_png_uri(data: str) -> str:
    """A QR code as a one-pixel-per-module PNG data URI, printed sharp (`image-rendering: pixelated`).

    A PNG costs WeasyPrint a fraction of an inline SVG path. The mask is fixed rather than
    searched (the search is 8 encodings of each code: every mask decodes, the search only
    trims large blocks of one colour), and the PNG is written straight from the modules
    rather than drawn module by module.
    """
    import qrcode  # qrcode (and PIL) where a code is drawn: a web worker starts without them

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=0, mask_pattern=2)
    qr.add_data(data)
    qr.make(fit=True)
    return "data:image/png;base64," + base64.b64encode(_png(qr.modules, QUIET_ZONE)).decode("ascii")


#: modules of white around a QR code (the standard asks for 4; 2 has always scanned from slips)
QUIET_ZONE = 2


def _png(modules: list[list[bool]], border: int) -> bytes:
    """A 1-bit greyscale PNG of dark modules (True) on white, with `border` white modules around."""
    size = len(modules) + 2 * border
    blank = [False] * size
    rows = [blank] * border + [[False] * border + list(row) + [False] * border for row in modules] + [blank] * border
    raw = bytearray()
    for row in rows:
        raw.append(0)  # filter: none
        bits = 0
        for at, dark in enumerate(row):
            bits = (bits << 1) | (not dark)
            if at % 8 == 7:
                raw.append(bits)
                bits = 0
        if size % 8:
            raw.append(bits << (8 - size % 8))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")



def slip_pages(codes: list[str], base: str) -> list[list[dict]]:
    """The slips page by page, each with its column and row on the page."""
    pages = []
    for first in range(0, len(codes), SLIPS_PER_PAGE):
        page = []
        for at, code in enumerate(codes[first:first + SLIPS_PER_PAGE]):
            page.append({"code": code, "anchor": f"slip-{first + at}", "qr": qr_png_uri(f"{base}/answer#{code}"),
                         "column": at % COLUMNS, "row": at // COLUMNS})
        pages.append(page)
    return pages


def _render_slips(html: str, anchors: list[list[str]]) -> bytes:
    """The PDF of a run of slip pages, once every slip's anchor is found on its page (or `SlipsIncomplete`)."""
    document = render_document(html)
    if len(document.pages) != len(anchors):
        raise SlipsIncomplete(f"{len(document.pages)} pages rendered for {len(anchors)}")
    for number, (rendered, expected) in enumerate(zip(document.pages, anchors), start=1):
        missing = [anchor for anchor in expected if anchor not in rendered.anchors]
        if missing:
            raise SlipsIncomplete(f"page {number} lacks {len(missing)} slips")
    return document.write_pdf()


def slips_pdf(campaign: Campaign, group: RespondentGroup, codes: list[str], base_url: str) -> bytes:
    """One slip for every code, or `SlipsIncomplete`.

    From `PARALLEL_FROM` slips on, the pages are rendered in `PRINT_WORKERS` processes and
    joined (pypdf): 2,000 slips take about 25 s of CPU, which two cores halve.
    """
    base = base_url.rstrip("/")
    pages = slip_pages(codes, base)
    workers = min(max(1, current_app.config.get("PRINT_WORKERS", 2)), len(pages))
    if len(codes) < PARALLEL_FROM or workers == 1:
        runs = [pages]
    else:
        size = -(-len(pages) // workers)
        runs = [pages[at:at + size] for at in range(0, len(pages), size)]
    htmls = [render_template("print/slips.html", campaign=campaign, group=group, pages=run,
                             answer_url=f"{base}/answer", slip_mm=SLIP_MM,
                             columns=COLUMNS, rows=SLIPS_PER_PAGE // COLUMNS) for run in runs]
    anchors = [[[slip["anchor"] for slip in page] for page in run] for run in runs]
    if len(runs) == 1:
        return _render_slips(htmls[0], anchors[0])
    from concurrent.futures import ProcessPoolExecutor  # where the pool starts, not in every web worker
    from multiprocessing import get_context  # where the pool starts, not in every web worker

    with ProcessPoolExecutor(max_workers=len(runs), mp_context=get_context("spawn")) as pool:
        parts = list(pool.map(_render_slips, htmls, anchors))
    from pypdf import PdfReader, PdfWriter  # only for a run rendered in parts
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    out = io.BytesIO()
    writer.write(out)
    if len(writer.pages) != len(pages):
        raise SlipsIncomplete(f"{len(writer.pages)} pages joined for {len(pages)}")
    return out.getvalue()


def poster_pdf(campaign: Campaign, group: RespondentGroup, link: str) -> bytes:
    html = render_template("print/poster.html", campaign=campaign, group=group, link=link, qr=qr_svg(link, 20))
    return html_to_pdf(html)
