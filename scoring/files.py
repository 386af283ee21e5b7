"""Reading input files so that a wrong file fails fast and says what it is.

A file of NUL bytes, a UTF-16 export or a spreadsheet saved as binary is recognised from
its first bytes, before the rest is read, and every file is read in chunks that are
checked as they come, so a bad file costs little memory and a clear error names it.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import InputError

#: the columns of answers.csv, in order (here, not in `answers`, so that a reader of the
#: name needs no numpy: `scoring.answers.COLUMNS` is the same tuple)
COLUMNS = ("ballot", "group", "target", "item", "option")
#: bytes read and checked at a time
CHUNK = 8 << 20
#: values quoted in messages are cut to this many characters
SHOWN = 60

#: byte-order marks, longest first (UTF-32 LE starts like UTF-16 LE)
BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
)
UTF8_BOM = b"\xef\xbb\xbf"
#: the first bytes of files people send instead of a text
SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive (an XLSX workbook?)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office document"),
    (b"%PDF-", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
)


def shown(value: object, limit: int = SHOWN) -> str:
    """A value for a message: a plain quoted string, cut to ``limit`` characters with '…'."""
    text = value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return repr(text)


def _save_as_utf8(what: str) -> str:
    return f"the file is {what}, not UTF-8 text: save it as UTF-8 (in a spreadsheet: CSV UTF-8)"


def check_start(head: bytes, name: str) -> None:
    """Refuse a file whose first bytes show it is not UTF-8 text."""
    for bom, encoding in BOMS:
        if head.startswith(bom):
            raise InputError(_save_as_utf8(encoding), file=name, row=1)
    for signature, what in SIGNATURES:
        if head.startswith(signature):
            raise InputError(f"the file is {what}, not a text file", file=name, row=1)
    # UTF-16 without a byte-order mark: ASCII letters alternate with NUL bytes.
    sample = head[:4096]
    if len(sample) >= 4 and sample.count(0) * 3 >= len(sample):
        odd, even = sample[1::2].count(0), sample[0::2].count(0)
        if odd > len(sample) // 4 and even == 0:
            raise InputError(_save_as_utf8("UTF-16 (little-endian, without a byte-order mark)"), file=name, row=1)
        if even > len(sample) // 4 and odd == 0:
            raise InputError(_save_as_utf8("UTF-16 (big-endian, without a byte-order mark)"), file=name, row=1)


def nul_error(data, at: int, name: str) -> InputError:
    row = data.count(b"\n", 0, at) + 1
    return InputError(f"NUL byte at byte {at}: a binary file, not CSV or JSON text", file=name, row=row)


def read_text_bytes(path: str | Path, name: str, *, limit: int | None = None,
                    what: str = "file", pad: int = 0) -> bytearray:
    """The file's bytes, refused early if it is binary, UTF-16/32, or larger than ``limit``.

    With ``pad``, that many zero bytes follow the text in the same buffer (``len`` counts
    them): a reader may then look a few bytes past the end without a copy of the file.
    """
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if limit is not None and size > limit:
                raise InputError(f"the file has {size} bytes, more than a {what} can have ({limit})",
                                 file=name)
            head = fh.read(min(CHUNK, limit + 1) if limit is not None else CHUNK)
            check_start(head, name)
            at = head.find(0)
            if at >= 0:
                raise nul_error(head, at, name)
            # One buffer of the file's size, filled in place: no copy as it grows.
            data = bytearray(max(size, len(head)) + pad)
            data[:len(head)] = head
            end = len(head)
            while True:
                room = len(data) - pad - end
                if room:
                    with memoryview(data) as view:
                        got = fh.readinto(view[end:end + min(CHUNK, room)])
                else:  # the file grew while it was read
                    more = fh.read(CHUNK)
                    got = len(more)
                    data[end:end] = more
                if not got:
                    break
                # Chunks are checked as they arrive: a NUL stops the reading there.
                at = data.find(0, end, end + got)
                if at >= 0:
                    raise nul_error(data, at, name)
                end += got
                if limit is not None and end > limit:
                    raise InputError(f"the file has more than {limit} bytes, more than a {what} can have",
                                     file=name)
            del data[end + pad:]
            if pad:
                data[end:] = bytes(pad)
            return data
    except FileNotFoundError:
        raise InputError("file not found", file=name) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", file=name) from None
    except OSError as e:
        raise InputError(f"cannot read the file ({e.strerror or e})", file=name) from None


def not_utf8(name: str, row: int | None = None, byte: int | None = None) -> InputError:
    at = f" (byte {byte})" if byte is not None else ""
    return InputError(f"not UTF-8{at}: save the file as UTF-8; a GBK, GB18030 or Latin-1 file "
                      f"must be converted first", file=name, row=row)
