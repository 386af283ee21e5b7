"""Read ``answers.csv`` fast: bytes to integer codes with numpy, never one Python object per row."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from .answers import ALLOWED_BYTES, COLUMNS, Answers
from .errors import InputError
from .files import not_utf8, read_text_bytes, shown

#: Bytes of the file handled at once; bounds the temporary arrays to a few hundred MB.
CHUNK_BYTES = 8 << 20
MAX_CODE = 64
#: the header names five columns: a longer first line is not an answers file
MAX_HEADER = 1024
COMMA, NEWLINE = ord(","), ord("\n")
ALLOWED_IN_FILE = ALLOWED_BYTES.copy()
ALLOWED_IN_FILE[[COMMA, NEWLINE]] = True


def read_answers_csv(cls: type[Answers], path: str | Path) -> Answers:
    name = str(path)
    data = read_text_bytes(path, name)
    begin = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    if data.find(b'"', begin) >= 0:
        # Codes never need quotes, but a spreadsheet may add them: take the slow, exact path.
        return _read_quoted(cls, data[begin:], name)
    if data.find(b"\r", begin) >= 0:
        data, begin = data[begin:].replace(b"\r\n", b"\n"), 0

    header_end = data.find(b"\n", begin, begin + MAX_HEADER + 1)
    if header_end < 0 and len(data) - begin > MAX_HEADER:
        raise InputError(f"the header row is longer than {MAX_HEADER} bytes: not an answers file "
                         f"(it starts {shown(bytes(data[begin:begin + 40]))})", file=name, row=1)
    header = data[begin:] if header_end < 0 else data[begin:header_end]
    order = _column_order(bytes(header).decode("utf-8", "replace").split(","), name)
    # A view, not a copy: the file may be hundreds of MB; only chunks are copied.
    end = len(data)
    while end > begin and data[end - 1] == NEWLINE:
        end -= 1
    body = memoryview(data)[header_end + 1:end] if header_end >= 0 else memoryview(b"")

    offset = header_end + 1  # where the body starts in data
    tables = {c: {} for c in COLUMNS}
    parts = {c: [] for c in COLUMNS}
    row = 2
    start = 0
    while start < len(body):
        end = min(start + CHUNK_BYTES, len(body))
        if end < len(body):
            end = (data.rfind(b"\n", offset + start, offset + end) + 1
                   or data.find(b"\n", offset + end) + 1 or offset + len(body)) - offset
        chunk = bytes(body[start:end])
        if not chunk.endswith(b"\n"):
            chunk += b"\n"
        lines = _read_chunk(chunk, row, order, name, tables, parts)
        row += lines
        start = end

    body.release()
    del data  # before the columns are joined: the file is the largest thing in memory
    return _assemble(cls, tables, parts, name)


def _column_order(header: list[str], name: str) -> list[str]:
    header = [h.strip() for h in header]
    if header == [""]:
        raise InputError("empty file: no header row", file=name, row=1)
    for column in header:
        if column not in COLUMNS:
            raise InputError(f"unexpected column {shown(column)} (expected {', '.join(COLUMNS)})",
                             file=name, row=1, key=column[:64])
        if header.count(column) > 1:
            raise InputError(f"column {shown(column)} appears twice", file=name, row=1, key=column)
    for column in COLUMNS:
        if column not in header:
            raise InputError(f"missing column '{column}'", file=name, row=1, key=column)
    return header


def _read_chunk(chunk: bytes, first_row: int, order: list[str], name: str,
                tables: dict[str, dict[str, int]], parts: dict[str, list[np.ndarray]]) -> int:
    """Factorise the lines of one chunk into ``tables`` (code -> number) and ``parts``."""
    # Padding lets every field be read as whole 8-byte words past its end.
    buf = np.frombuffer(chunk + bytes(MAX_CODE + 8), dtype=np.uint8)
    text = buf[:len(chunk)]
    separators = np.flatnonzero((text == COMMA) | (text == NEWLINE))
    is_newline = text[separators] == NEWLINE
    n_lines = int(np.count_nonzero(is_newline))
    width = len(COLUMNS)
    if len(separators) != width * n_lines or not is_newline[width - 1::width].all():
        line_of = np.cumsum(is_newline) - is_newline
        commas = np.bincount(line_of[~is_newline], minlength=n_lines)
        bad = int(np.flatnonzero(commas != width - 1)[0])
        reason = ("empty line" if commas[bad] == 0 and _line_is_empty(buf, separators, is_newline, bad)
                  else f"expected {width} fields, found {commas[bad] + 1}")
        raise InputError(reason, file=name, row=first_row + bad)
    ends = separators.reshape(n_lines, width)
    if not ALLOWED_IN_FILE[text].all():
        # One pass over the bytes; only on failure find the line and field.
        at = int(np.flatnonzero(~ALLOWED_IN_FILE[text])[0])
        line = int(np.searchsorted(ends[:, -1], at))
        field = int(np.searchsorted(ends[line], at))
        start = 0 if field == 0 and line == 0 else (
            ends[line - 1, -1] + 1 if field == 0 else ends[line, field - 1] + 1)
        raw = bytes(text[start:ends[line, field]])
        if text[at] >= 0x80:
            try:
                bytes(text[start:ends[line, -1]]).decode("utf-8")
            except UnicodeDecodeError:
                raise not_utf8(name, first_row + line) from None
        raise InputError(f"invalid {order[field]} code {shown(raw)} (1 to 64 of A-Z a-z 0-9 _ . -)",
                         file=name, row=first_row + line, key=order[field])
    starts = np.empty_like(ends)
    starts[:, 1:] = ends[:, :-1] + 1
    starts[0, 0] = 0
    starts[1:, 0] = ends[:-1, -1] + 1
    for position, column in enumerate(order):
        codes = _factorise_field(buf, starts[:, position], ends[:, position], column,
                                 first_row, name, tables[column])
        parts[column].append(codes)
    return n_lines


def _line_is_empty(buf, separators, is_newline, line: int) -> bool:
    newlines = separators[is_newline]
    start = 0 if line == 0 else newlines[line - 1] + 1
    return newlines[line] == start


def _factorise_field(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, column: str,
                     first_row: int, name: str, table: dict[str, int]) -> np.ndarray:
    lengths = ends - starts
    n = len(lengths)
    if column != "option" and (lengths < 1).any():
        bad = int(np.flatnonzero(lengths < 1)[0])
        raise InputError(f"empty {column}", file=name, row=first_row + bad, key=column)
    if (lengths > MAX_CODE).any():
        bad = int(np.flatnonzero(lengths > MAX_CODE)[0])
        raise InputError(f"{column} code longer than {MAX_CODE} characters",
                         file=name, row=first_row + bad, key=column)
    # Each field as zero-padded 8-byte words, read through an overlapping uint64 view of
    # the buffer (element i = the 8 bytes from byte i): one gather per word, no byte loops.
    n_words = -(-max(int(lengths.max()) if n else 0, 1) // 8)
    at_byte = np.ndarray(shape=(len(buf) - 7,), dtype="<u8", buffer=buf, strides=(1,))
    words = np.empty((n, n_words), dtype=np.uint64)
    for k in range(n_words):
        words[:, k] = at_byte[starts + 8 * k] & LOW_BYTES[np.clip(lengths - 8 * k, 0, 8)]

    if n_words == 1:
        representative, local_codes = _factorise_u64(words[:, 0])  # exact: bytes are the number
    else:
        key = words[:, 0].copy()
        for k in range(1, n_words):  # FNV-style mixing of the words, checked just below
            key *= np.uint64(1099511628211)
            key ^= words[:, k]
        representative, local_codes = _factorise_u64(key)
        if not np.array_equal(words[representative][local_codes], words):
            # A hash collision (practically never): factorise the strings themselves.
            _, representative, local_codes = np.unique(
                words.view(f"S{8 * n_words}").ravel(), return_index=True, return_inverse=True)
    strings = [bytes(buf[a:b]).decode("ascii")
               for a, b in zip(starts[representative].tolist(), ends[representative].tolist())]
    to_global = np.fromiter((table.setdefault(s, len(table)) for s in strings),
                            dtype=np.int32, count=len(strings))
    return to_global[local_codes]


#: LOW_BYTES[k] keeps the first k bytes of a little-endian 8-byte word.
LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=np.uint64)


def _factorise_u64(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of one occurrence per distinct key, code per key), cheap for runs and few values."""
    n = len(key)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    # A ballot's answers usually sit together: factorise the run heads only.
    breaks = np.flatnonzero(key[1:] != key[:-1]) + 1
    heads = np.concatenate(([0], breaks))
    head_keys = key[heads]
    # Few distinct values (groups, targets, items, options): look them up in a small table.
    probe = np.unique(head_keys[:4096])
    position = np.minimum(np.searchsorted(probe, head_keys), len(probe) - 1)
    if np.array_equal(probe[position], head_keys):
        head_codes = position
    else:
        _, head_codes = np.unique(head_keys, return_inverse=True)
    n_codes = int(head_codes.max()) + 1
    representative = np.empty(n_codes, dtype=np.int64)
    representative[head_codes] = heads
    lengths = np.diff(np.append(heads, n))
    return representative, np.repeat(head_codes, lengths)


def _assemble(cls: type[Answers], tables, parts, name: str) -> Answers:
    coded = {}
    for column in COLUMNS:
        strings = np.array(list(tables[column]), dtype=str) if tables[column] else np.empty(0, "<U1")
        # The smallest integer type that holds the codes: 20M answers stay small.
        dtype = np.int8 if len(strings) < 2**7 else np.int16 if len(strings) < 2**15 else np.int32
        codes = np.concatenate(parts.pop(column) or [np.zeros(0, np.int32)], dtype=dtype,
                               casting="unsafe")
        # Sorted tables: ballot order is byte order (rule 2), and results never depend on
        # the order in which codes were first seen.
        order = np.argsort(strings, kind="stable")
        rank = np.empty(len(order), dtype=dtype)
        rank[order] = np.arange(len(order))
        coded[column] = (strings[order], rank[codes] if len(codes) else codes)
    options, option = coded["option"]
    option = option.astype(np.int16)
    if len(options) and options[0] == "":
        options, option = options[1:], option - 1
    return cls(ballot_ids=coded["ballot"][0], group_codes=coded["group"][0],
               target_codes=coded["target"][0], item_codes=coded["item"][0],
               option_codes=options, ballot=coded["ballot"][1], group=coded["group"][1],
               target=coded["target"][1], item=coded["item"][1], option=option,
               source=name, first_row=2)


def _read_quoted(cls: type[Answers], data: bytes, name: str) -> Answers:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise not_utf8(name, data.count(b"\n", 0, e.start) + 1, e.start) from None
    reader = csv.reader(io.StringIO(text.rstrip("\r\n") + "\n", newline=""), strict=True)
    # Rows are records (the header is row 1). A quote left open swallows the lines after
    # it, so a parse error belongs to the record after the last one read whole, not to
    # the line the reader stopped at.
    next_row = 1
    try:
        header = next(reader, None)
        if header is None:
            raise InputError("empty file: no header row", file=name, row=1)
        order = _column_order(header, name)
        columns = {c: [] for c in COLUMNS}
        next_row = 2
        for row, record in enumerate(reader, start=2):
            if len(record) != len(order):
                reason = "empty line" if not record else \
                    f"expected {len(order)} fields, found {len(record)}"
                raise InputError(reason, file=name, row=row)
            for column, value in zip(order, record):
                columns[column].append(value)
            next_row = row + 1
    except csv.Error as e:
        reason = "a quote is opened and never closed" if "unexpected end of data" in str(e) else str(e)
        raise InputError(f"malformed CSV: {reason}", file=name, row=next_row) from None
    return cls.from_columns(**columns, source=name, first_row=2)
