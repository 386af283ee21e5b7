"""Print runs of paper sheets: one sheet is laid out once (the slow part: text, CJK fonts), then
copied for every sheet number with that number and its QR code stamped onto the copy.

Every sheet of a batch is the same but for its number, so laying out 500 identical sheets 500
times would spend minutes doing the same work (and outlive a web worker's timeout). The copies
share the laid-out page's content and fonts in the PDF; each adds a small stream of its own that
draws the number (Courier Bold, one of the PDF standard fonts: nothing to embed) and the QR code
as filled squares. The template leaves the places blank; `Spot` says where they are, in the
page's own coordinates (points from the bottom left), from the same millimetres as its CSS.
"""
from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pypdf and qrcode are imported where a run is printed, not by every web worker
    from pypdf.generic import DecodedStreamObject

MM = 72 / 25.4
#: Courier's advance width, in units of its size: every glyph the same
COURIER_ADVANCE = 0.6
FONT = "/SheetNo"


@dataclass(frozen=True)
class Spot:
    """Where the stamp goes on a page, in mm from the page's top right corner."""
    #: the QR code's top right corner and size (first page only); None: no QR
    qr_right_mm: float | None = None
    qr_top_mm: float | None = None
    qr_size_mm: float = 0
    #: the big label beside or under the QR code (first page only): the middle of the label in mm
    #: from the right edge, its baseline from the top, its size in pt
    label_centre_mm: float = 0
    label_baseline_mm: float | None = None
    label_pt: float = 11
    #: the running "No. …" on every page: right edge and baseline from the top, size in pt
    running_right_mm: float = 10
    running_baseline_mm: float = 6
    running_pt: float = 8


def _text(x: float, y: float, size: float, text: str) -> bytes:
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return f"BT {FONT} {size:.2f} Tf {x:.2f} {y:.2f} Td ({safe}) Tj ET\n".encode("ascii")


def _qr(x: float, top: float, size: float, text: str) -> bytes:
    """The QR code of `text` as filled squares, `size` points wide, its top left at (x, top)."""
    import qrcode  # qrcode (and PIL) where a code is drawn: a web worker starts without them

    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    module = size / len(matrix)
    ops = ["0 g"]
    for r, row in enumerate(matrix):
        y = top - (r + 1) * module
        c = 0
        while c < len(row):  # one rectangle per run of dark modules in a row
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            ops.append(f"{x + start * module:.3f} {y:.3f} {(c - start) * module:.3f} {module:.3f} re")
    ops.append("f\n")
    return "\n".join(ops).encode("ascii")


def _stamp(width: float, height: float, spot: Spot, label: str, qr_text: str, first: bool) -> bytes:
    out = [b"q 0 g\n"]
    running = f"No. {label}"
    size = spot.running_pt
    out.append(_text(width - spot.running_right_mm * MM - COURIER_ADVANCE * size * len(running),
                     height - spot.running_baseline_mm * MM, size, running))
    if first and spot.qr_right_mm is not None:
        qr = spot.qr_size_mm * MM
        right = width - spot.qr_right_mm * MM
        out.append(_qr(right - qr, height - spot.qr_top_mm * MM, qr, qr_text))
    if first and spot.label_baseline_mm is not None:
        centre = width - spot.label_centre_mm * MM
        lw = COURIER_ADVANCE * spot.label_pt * len(label)
        out.append(_text(centre - lw / 2, height - spot.label_baseline_mm * MM, spot.label_pt, label))
    out.append(b"Q\n")
    return b"".join(out)


def stamped_copies(body: bytes, spot: Spot, numbers: list[tuple[str, str]], progress=None) -> bytes:
    """The PDF of `body` (one sheet, one or more pages) once for every (label, QR text) in
    `numbers`, each copy stamped with its own; `progress(done, total)` is called as copies are made."""
    from pypdf import PageObject, PdfReader, PdfWriter  # pypdf where a print run is stamped, not in every web worker
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject  # pypdf where a print run is stamped, not in every web worker

    reader = PdfReader(BytesIO(body))
    writer = PdfWriter()
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Courier-Bold"), NameObject("/Encoding"): NameObject("/WinAnsiEncoding")}))
    save = writer._add_object(_stream(b"q\n"))
    restore = writer._add_object(_stream(b"Q\n"))
    # each page of the sheet once in the output file; every copy points at the same content
    bases = []
    for page in reader.pages:
        added = writer.add_page(page)
        contents = added.get("/Contents")
        contents = list(contents) if isinstance(contents, ArrayObject) else [added.raw_get("/Contents")]
        resources = DictionaryObject(dict(added["/Resources"].get_object()))
        fonts = DictionaryObject(dict(resources.get("/Font", DictionaryObject()).get_object()))
        fonts[NameObject(FONT)] = font
        resources[NameObject("/Font")] = fonts
        box = added.mediabox
        bases.append((added, contents, writer._add_object(resources), float(box.width), float(box.height)))
    first_pages = [b[0] for b in bases]
    for i, (label, qr_text) in enumerate(numbers):
        for p, (base, contents, resources, width, height) in enumerate(bases):
            if i == 0:
                page = first_pages[p]
            else:
                page = PageObject(writer)
                for key, value in base.items():
                    if key not in ("/Parent", "/Contents", "/Resources", "/Annots"):
                        page[NameObject(key)] = value
            stamp = writer._add_object(_stream(_stamp(width, height, spot, label, qr_text, first=p == 0)))
            page[NameObject("/Contents")] = ArrayObject([save, *contents, restore, stamp])
            page[NameObject("/Resources")] = resources
            if i > 0:
                writer.add_page(page)
        if progress:
            progress(i + 1, len(numbers))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _stream(data: bytes) -> DecodedStreamObject:
    from pypdf.generic import DecodedStreamObject  # pypdf where a print run is stamped, not in every web worker

    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream
