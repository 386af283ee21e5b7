"""Read ``answers.csv`` fast: bytes to integer codes with numpy, never one Python object per row."""
from __future__ import annotations

import csv
import io
import mmap
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .answers import ALLOWED_BYTES, COLUMNS, Answers
from .errors import InputError
from .files import not_utf8, read_text_bytes, shown

#: Bytes of the file handled at once: the temporary arrays of a chunk stay in a core's cache
#: (2 MB of L2 here); 8 MB chunks took a quarter more time.
CHUNK_BYTES = 1 << 20
#: files from this size on are read through a memory map (no copy of the file), smaller ones
#: into a buffer
MAPPED_FROM = 16 << 20
MAX_CODE = 64
#: the header names five columns: a longer first line is not an answers file
MAX_HEADER = 1024
COMMA, NEWLINE = ord(","), ord("\n")
ALLOWED_IN_FILE = ALLOWED_BYTES.copy()
ALLOWED_IN_FILE[[COMMA, NEWLINE]] = True
#: the bytes a body may hold, for `bytes.translate` to delete: what is left is wrong
ALLOWED_IN_FILE_BYTES = bytes(np.flatnonzero(ALLOWED_IN_FILE).tolist())
#: the bytes of a code's zero-padded 8-byte words: a code's own, or the padding after it
ALLOWED_IN_WORDS = ALLOWED_BYTES.copy()
ALLOWED_IN_WORDS[0] = True
ALLOWED_IN_WORDS_BYTES = bytes(np.flatnonzero(ALLOWED_IN_WORDS).tolist())
#: zero bytes after the text, so that the last field can be read as whole 8-byte words
PAD = MAX_CODE + 16
#: chunks read at once (numpy runs without the interpreter's lock in its loops)
THREADS = min(2, os.cpu_count() or 1)


class _Refused(Exception):
    """The memory-mapped reader met something it leaves to the buffered one."""


def read_answers_csv(cls: type[Answers], path: str | Path) -> Answers:
    name = str(path)
    try:
        return _read_mapped(cls, path, name)
    except _Refused:
        # Anything unusual (a quote, a CR, a byte no code may hold, a short or empty file,
        # a row in error) is read again by the buffered reader below, which says what is
        # wrong exactly as it always has: the two readers refuse the same files alike.
        return _read_buffered(cls, path, name)


def _read_mapped(cls: type[Answers], path: str | Path, name: str) -> Answers:
    """A large, plain answers.csv read in place through a memory map, chunks in two threads.

    The file is not copied: each chunk is checked and coded from the page cache, the last
    one from a copy with the zero bytes after it that the 8-byte reads need. Raises
    `_Refused` for whatever the buffered reader must look at.
    """
    try:
        fh = open(path, "rb")
    except OSError:
        raise _Refused from None
    with fh:
        try:
            size = os.fstat(fh.fileno()).st_size
            if size < max(MAPPED_FROM, 1):
                raise _Refused
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            raise _Refused from None
    try:
        chunks = _read_mapped_chunks(mapped, min(size, len(mapped)), name)
    finally:
        try:
            mapped.close()  # before the columns are joined: the file is the largest thing
        except BufferError:  # a view still open: the mapping goes with it
            pass
    return _assemble(cls, chunks, name)


def _read_mapped_chunks(data: mmap.mmap, size: int, name: str) -> list[dict]:
    """Each chunk's coded columns (see `_read_chunk`), or `_Refused`."""
    begin = 3 if data[:3] == b"\xef\xbb\xbf" else 0
    header_end = data.find(b"\n", begin, min(begin + MAX_HEADER + 1, size))
    if header_end < 0:
        raise _Refused
    header = data[begin:header_end]
    if not ALLOWED_HEADER.issuperset(header):
        raise _Refused
    try:
        order = _column_order(header.decode("ascii").split(","), name)
    except InputError:
        raise _Refused from None
    end = size
    while end > header_end + 1 and data[end - 1] == NEWLINE:
        end -= 1
    start = header_end + 1
    if start >= end:
        raise _Refused
    bounds = []
    while start < end:
        stop = min(start + CHUNK_BYTES, end)
        if stop < end:
            stop = data.rfind(b"\n", start, stop) + 1 or data.find(b"\n", stop, end) + 1
            if stop == 0:  # no newline after `start`: the last line runs to the end
                stop = end
        bounds.append((start, stop))
        start = stop
    while len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < PAD:
        # 8-byte reads past a chunk's end must stay inside the map: a short last chunk
        # joins the one before it.
        bounds[-2:] = [(bounds[-2][0], bounds[-1][1])]
    # The last chunk from a copy: its line ends with a newline, then zero bytes.
    a, b = bounds[-1]
    last = bytearray(data[a:b])
    if not last.endswith(b"\n"):
        last += b"\n"
    last += bytes(PAD)
    mapped = np.frombuffer(data, dtype=np.uint8)
    tail = np.frombuffer(last, dtype=np.uint8)
    failed = []
    tables = {}

    def read(k: int):
        if failed:
            return None
        a, b = bounds[k]
        try:
            if k == len(bounds) - 1:
                return _read_chunk(last, tail, 0, len(last) - PAD, _no_row, order, name, tables, exact=False)
            return _read_chunk(data, mapped, a, b, _no_row, order, name, tables, exact=False)
        except InputError:
            failed.append(k)
            return None

    if len(bounds) > 1 and THREADS > 1:
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            chunks = list(pool.map(read, range(len(bounds))))
    else:
        chunks = [read(k) for k in range(len(bounds))]
    del mapped, tail
    if failed:
        raise _Refused
    return chunks


def _no_row() -> int:  # the mapped reader leaves messages to the buffered one
    return 0


#: the bytes a header read in place may hold (anything else: the buffered reader)
ALLOWED_HEADER = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-, ")


def _read_buffered(cls: type[Answers], path: str | Path, name: str) -> Answers:
    data = read_text_bytes(path, name, pad=PAD)
    size = len(data) - PAD
    begin = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    if data.find(b'"', begin, size) >= 0:
        # Codes never need quotes, but a spreadsheet may add them: take the slow, exact path.
        return _read_quoted(cls, data[begin:size], name)
    if data.find(b"\r", begin, size) >= 0:
        data = data[begin:size].replace(b"\r\n", b"\n") + bytes(PAD)
        begin, size = 0, len(data) - PAD

    header_end = data.find(b"\n", begin, min(begin + MAX_HEADER + 1, size))
    if header_end < 0 and size - begin > MAX_HEADER:
        raise InputError(f"the header row is longer than {MAX_HEADER} bytes: not an answers file "
                         f"(it starts {shown(bytes(data[begin:begin + 40]))})", file=name, row=1)
    header = data[begin:size] if header_end < 0 else data[begin:header_end]
    order = _column_order(bytes(header).decode("utf-8", "replace").split(","), name)
    end = size
    while end > begin and data[end - 1] == NEWLINE:
        end -= 1
    start = header_end + 1 if header_end >= 0 else end
    # The body ends with one newline: the byte after the last line becomes one if it is not.
    if start < end:
        data[end] = NEWLINE
        end += 1
    # The buffer is read in place through numpy views, a chunk of whole lines at a time.
    bounds = []
    while start < end:
        stop = min(start + CHUNK_BYTES, end)
        if stop < end:
            stop = data.rfind(b"\n", start, stop) + 1 or data.find(b"\n", stop, end) + 1
        bounds.append((start, stop))
        start = stop
    buf = np.frombuffer(data, dtype=np.uint8)

    def first_row(k: int) -> int:  # only asked for when a message names a row
        return 2 + sum(data.count(b"\n", a, b) for a, b in bounds[:k])

    tables = {}

    def read(k: int) -> dict:
        a, b = bounds[k]
        return _read_chunk(data, buf, a, b, lambda: first_row(k), order, name, tables)

    if len(bounds) > 1 and THREADS > 1:
        # numpy lets go of the interpreter in its loops: two chunks at once on two cores.
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            chunks = list(pool.map(read, range(len(bounds))))
    else:
        chunks = [read(k) for k in range(len(bounds))]
    del buf, data  # before the columns are joined: the file is the largest thing in memory
    return _assemble(cls, chunks, name)


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


def _read_chunk(data: bytearray, buf: np.ndarray, begin: int, end: int, first_row, order: list[str],
                name: str, tables: dict | None = None,
                exact: bool = True) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Factorise the lines of ``buf[begin:end]``: per column, (the distinct codes as rows of
    8-byte words, each line's index among them). ``first_row()`` is the chunk's first row;
    ``tables`` keeps the small hash tables that one chunk makes for the next ones.

    ``exact``: every byte is checked, and a wrong one named with its row and column. Without
    it (the memory-mapped reader, which leaves every message to the buffered one), only the
    separators are checked byte by byte and the codes once per distinct value (in
    `_factorise_field`); what is wrong raises an InputError that need not name the row.
    """
    text = buf[begin:end]
    width = len(COLUMNS)
    if exact:
        # One pass over the bytes (`bytes.translate` deletes the allowed ones); only on failure
        # are the line and field found, after the lines' shape is checked as before.
        wrong_bytes = bool(data[begin:end].translate(None, ALLOWED_IN_FILE_BYTES))
    else:
        # No copy of the chunk and no pass holding the interpreter's lock: every byte up to
        # ',' must be a separator (counted just below), and the others are the codes' bytes,
        # checked in each column's table of distinct values.
        wrong_bytes = False
    # Past the byte check, the only bytes up to ',' are the separators.
    separators = np.flatnonzero((text == COMMA) | (text == NEWLINE) if wrong_bytes else text <= COMMA)
    n_lines = int(np.count_nonzero(text == NEWLINE))
    if not exact and len(separators) != n_lines + int(np.count_nonzero(text == COMMA)):
        raise InputError("a byte that no answers file holds", file=name)
    if len(separators) != width * n_lines or not (text[separators[width - 1::width]] == NEWLINE).all():
        is_newline = text[separators] == NEWLINE
        line_of = np.cumsum(is_newline) - is_newline
        commas = np.bincount(line_of[~is_newline], minlength=n_lines)
        bad = int(np.flatnonzero(commas != width - 1)[0])
        reason = ("empty line" if commas[bad] == 0 and _line_is_empty(text, separators, is_newline, bad)
                  else f"expected {width} fields, found {commas[bad] + 1}")
        raise InputError(reason, file=name, row=first_row() + bad)
    ends = separators.reshape(n_lines, width)
    if wrong_bytes:
        _refuse_bytes(text, ends, first_row(), order, name)
    # Positions are relative to the chunk: the words are read from a view that starts there.
    line_starts = np.empty(n_lines, dtype=ends.dtype)
    line_starts[0] = 0
    np.add(ends[:-1, -1], 1, out=line_starts[1:])
    at_byte = np.ndarray(shape=(len(buf) - 7 - begin,), dtype="<u8", buffer=buf, offset=begin, strides=(1,))
    out = {}
    for position, column in enumerate(order):
        starts = line_starts if position == 0 else ends[:, position - 1] + 1
        out[column] = _factorise_field(at_byte, starts, ends[:, position], column, first_row, name, tables,
                                       check_values=not exact)
    return out


def _refuse_bytes(text: np.ndarray, ends: np.ndarray, first_row: int, order: list[str], name: str):
    """The error for the first byte that no code may contain, naming its row and column."""
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


def _line_is_empty(text, separators, is_newline, line: int) -> bool:
    newlines = separators[is_newline]
    start = 0 if line == 0 else newlines[line - 1] + 1
    return newlines[line] == start


def _factorise_field(at_byte: np.ndarray, starts: np.ndarray, ends: np.ndarray, column: str,
                     first_row, name: str, tables: dict | None = None,
                     check_values: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values as rows of little-endian 8-byte words, zero-padded; index per line).

    ``at_byte[i]`` is the 8-byte word that starts at byte ``i`` (an overlapping view).
    ``check_values``: the bytes of each distinct value are checked here (none of them may
    be at most ',': the caller has made sure of that)."""
    lengths = ends - starts
    n = len(lengths)
    if column != "option" and not lengths.all():
        bad = int(np.flatnonzero(lengths < 1)[0])
        raise InputError(f"empty {column}", file=name, row=first_row() + bad, key=column)
    longest = int(lengths.max()) if n else 0
    if longest > MAX_CODE:
        bad = int(np.flatnonzero(lengths > MAX_CODE)[0])
        raise InputError(f"{column} code longer than {MAX_CODE} characters",
                         file=name, row=first_row() + bad, key=column)
    # Each field as zero-padded 8-byte words, read through the overlapping view: one
    # gather per word, no byte loops.
    n_words = -(-max(longest, 1) // 8)
    sample = min(n, RUN_SAMPLE)
    # A ballot's answers usually sit together: where runs are long, only the lines that
    # start a run (where the value changes) are factorised. The runs are first looked for
    # in the bytes as read, before the bytes after each field are masked off: lines whose
    # 8 * n_words bytes are the same hold the same code (a code holds no ',', so the same
    # bytes end it at the same place), and a run that the bytes after the code split (the
    # ballot's group after its id) only costs a line more to factorise. Where those bytes
    # change on every line (the target, followed by the item), the words are masked first.
    raw = [at_byte[starts + 8 * k] if k else at_byte[starts] for k in range(n_words)]
    runs = sample > 1 and np.count_nonzero(raw[0][1:sample] != raw[0][:sample - 1]) * 4 < sample
    if runs:
        change = raw[0][1:] != raw[0][:-1]
        for k in range(1, n_words):
            change |= raw[k][1:] != raw[k][:-1]
        heads = np.flatnonzero(change)
        heads += 1
        heads = np.concatenate(([0], heads))
        head_lengths = lengths[heads]
        words = np.empty((len(heads), n_words), dtype=np.uint64)
        for k in range(n_words):
            keep = LOW_BYTES[np.clip(head_lengths - 8 * k, 0, 8) if k or longest > 8 else head_lengths]
            np.bitwise_and(raw[k][heads], keep, out=words[:, k])
        del raw, change, head_lengths
    else:
        words = np.empty((n, n_words), dtype=np.uint64)
        for k in range(n_words):
            keep = LOW_BYTES[np.clip(lengths - 8 * k, 0, 8) if k or longest > 8 else lengths]
            np.bitwise_and(raw[k], keep, out=words[:, k])
        del raw
        runs = sample > 1 and np.count_nonzero(words[1:sample, 0] != words[:sample - 1, 0]) * 4 < sample
        if runs:
            change = words[1:, 0] != words[:-1, 0]
            for k in range(1, n_words):
                change |= words[1:, k] != words[:-1, k]
            heads = np.flatnonzero(change)
            heads += 1
            heads = np.concatenate(([0], heads))
            words = words[heads]
    if n_words == 1:
        key = words[:, 0]  # exact: the bytes are the number
    else:
        key = words[:, 0].copy()
        for k in range(1, n_words):  # FNV-style mixing of the words, checked just below
            key *= np.uint64(1099511628211)
            key ^= words[:, k]
    # A column with few values (groups, targets, items, options) is looked up in the hash
    # table an earlier chunk made of its values, if it holds them all.
    known = tables.get(column) if tables is not None else None
    codes = None
    if len(words) > SMALL_TABLE and _increasing(words):
        # Each value once, in byte order (the ballots of a file sorted by them): the values
        # are their own table, with no hash and no sort.
        rows, codes = words, np.arange(len(words))
        if check_values and not _plain(rows):
            raise InputError(f"invalid {column} code", file=name, key=column)
    elif known is not None and known[0] == n_words:
        _, multiplier, shift, slot_key, code_of_slot, rows = known
        slot = key * multiplier
        slot >>= shift
        if np.array_equal(slot_key[slot], key):
            codes = code_of_slot[slot]
            if n_words > 1 and not np.array_equal(rows[codes], words):
                codes = None  # a hash collision: the chunk's own values, below
    if codes is None:
        representative, codes = _factorise_u64(key)
        collision = n_words > 1 and not np.array_equal(words[representative][codes], words)
        if collision:
            # A hash collision (practically never): factorise the words themselves.
            _, representative, codes = np.unique(
                np.ascontiguousarray(words).view(f"V{8 * n_words}").ravel(),
                return_index=True, return_inverse=True)
            codes = codes.reshape(-1)
        rows = words[representative]
        if check_values and not _plain(rows):
            # Every line's value is one of these rows (a table's values were checked when
            # it was made): a byte outside the codes' alphabet is in one of them.
            raise InputError(f"invalid {column} code", file=name, key=column)
        if not collision and tables is not None and len(representative) <= SMALL_TABLE:
            made = _hash_table(key[representative])
            if made is not None:
                tables[column] = (n_words, *made, rows)
    dtype = np.int8 if len(rows) < 2**7 else np.int16 if len(rows) < 2**15 else np.int32
    codes = codes.astype(dtype, copy=False)
    if runs:
        codes = np.repeat(codes, np.diff(np.append(heads, n)))
    return rows, codes


def _plain(rows: np.ndarray) -> bool:
    """Whether every byte of these zero-padded words is a code's byte or padding."""
    return not np.ascontiguousarray(rows).tobytes().translate(None, ALLOWED_IN_WORDS_BYTES)


def _increasing(rows: np.ndarray) -> bool:
    """Whether the rows of little-endian words are strictly increasing in byte order."""
    big = rows.byteswap()  # compared as numbers, big-endian words compare like their bytes
    later = big[1:, 0] > big[:-1, 0]
    same = big[1:, 0] == big[:-1, 0]
    for k in range(1, rows.shape[1]):
        later |= same & (big[1:, k] > big[:-1, k])
        same &= big[1:, k] == big[:-1, k]
    return bool(later.all())


#: lines looked at to choose between factorising runs or every line, and for a small table
RUN_SAMPLE = 4096
#: multipliers tried for the small tables' hash (odd 64-bit constants)
MULTIPLIERS = np.random.default_rng(20261207).integers(0, 2**63, size=24, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
#: a table slot no key can fill: codes are ASCII, so no byte of a key is 0xFF
EMPTY_SLOT = np.uint64(2**64 - 1)


#: the most distinct values a column may have for the small hash table
SMALL_TABLE = 256
#: keys that missed the first lines' table, added to it before a chunk is sorted instead
MISSES_ADDED = 1 << 16


def _hash_table(probe: np.ndarray) -> tuple | None:
    """(multiplier, shift, key of each slot, code of each slot) of a table in which each of
    the distinct ``probe`` keys has a slot of its own (its code: its index in ``probe``);
    None if no multiplier gives one."""
    bits = int(len(probe)).bit_length() + 6
    shift = np.uint64(64 - bits)
    for multiplier in MULTIPLIERS:
        slots = (probe * multiplier) >> shift
        if len(np.unique(slots)) == len(probe):
            table = np.full(1 << bits, EMPTY_SLOT, dtype=np.uint64)
            table[slots] = probe
            code_of_slot = np.zeros(1 << bits, dtype=np.int8 if len(probe) < 2**7 else np.int16)
            code_of_slot[slots] = np.arange(len(probe))
            return multiplier, shift, table, code_of_slot
    return None


def _look_up(key: np.ndarray, probe: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(code per key, whether the key is in ``probe``) through a table in which each of the
    distinct ``probe`` keys has a slot of its own; None if no multiplier gives one."""
    made = _hash_table(probe)
    if made is None:
        return None
    multiplier, shift, table, code_of_slot = made
    slot = key * multiplier
    slot >>= shift
    return code_of_slot[slot], table[slot] == key


#: LOW_BYTES[k] keeps the first k bytes of a little-endian 8-byte word.
LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=np.uint64)


def _factorise_u64(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of one occurrence per distinct key, code per key): a small hash table for few
    distinct values, the keys' order when each is distinct (a file sorted by ballot)."""
    n = len(key)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    # Few distinct values (groups, targets, items, options): look them up in a small table
    # made from the first lines, with a multiplicative hash that puts each in a slot of its own.
    probe, first = np.unique(key[:RUN_SAMPLE], return_index=True)
    if len(probe) <= SMALL_TABLE:
        # In the order of the values' bytes (that of a one-word key's bytes read big-endian),
        # the order of the column's table: chunks coded by this table are then joined by a
        # copy of their codes (`_join_column`), not a look-up.
        in_byte_order = np.argsort(probe.byteswap())
        probe, first = probe[in_byte_order], first[in_byte_order]
        looked_up = _look_up(key, probe)
        if looked_up is not None and not looked_up[1].all():
            # Values that the first lines lack (a rare group, a target rated by few) are
            # added to the table once, from the first of the lines that missed: a sort of
            # a few thousand keys, not of the chunk.
            missed = np.flatnonzero(~looked_up[1])[:MISSES_ADDED]
            extra, at = np.unique(key[missed], return_index=True)
            looked_up = None
            if len(probe) + len(extra) <= SMALL_TABLE:
                probe = np.concatenate((probe, extra))
                first = np.concatenate((first, missed[at]))
                order = np.argsort(probe.byteswap())
                probe, first = probe[order], first[order]
                looked_up = _look_up(key, probe)
        if looked_up is not None and looked_up[1].all():
            return first, looked_up[0]
        order = np.argsort(probe)
        probe, first = probe[order], first[order]
    if len(probe) <= 1024:  # a binary search in the sorted table
        position = np.minimum(np.searchsorted(probe, key), len(probe) - 1)
        if np.array_equal(probe[position], key):
            return first, position
    ordered = np.sort(key)
    if n < 2 or (ordered[1:] != ordered[:-1]).all():  # each key once: the runs are the values
        return np.arange(n), np.arange(n)
    _, representative, codes = np.unique(key, return_index=True, return_inverse=True)
    return representative, codes.reshape(-1)


def _unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows of little-endian words sorted in byte order, index per row)."""
    n, n_words = rows.shape
    if n == 0:
        return rows, np.zeros(0, dtype=np.int64)
    big = rows.byteswap()  # compared as numbers, big-endian words compare like their bytes
    later = np.zeros(n - 1, dtype=bool)   # row i + 1 after row i
    same = np.ones(n - 1, dtype=bool)
    for k in range(n_words):
        later |= same & (big[1:, k] > big[:-1, k])
        same &= big[1:, k] == big[:-1, k]
    if later.all():  # distinct and in order (the ballots of a file sorted by them)
        return rows, np.arange(n)
    if (later | same).all():  # already in order: no sort
        order = None
    elif n_words == 1:
        order = np.argsort(big[:, 0], kind="stable")
    else:
        order = np.lexsort(big.T[::-1])
    if order is not None:
        big = big[order]
        same = (big[1:] == big[:-1]).all(axis=1)
    first = np.concatenate(([True], ~same))
    index = np.cumsum(first) - 1
    if order is not None:
        inverse = np.empty(n, dtype=np.int64)
        inverse[order] = index
    else:
        inverse = index
    return big[first].byteswap(), inverse


def _assemble(cls: type[Answers], chunks: list[dict], name: str) -> Answers:
    parts = {column: [chunk.pop(column) for chunk in chunks] for column in COLUMNS}
    chunks.clear()
    # The options as int16 with -1 for the empty one (Answers.option), made so when joined.
    joins = [(parts.pop(c), c == "option") for c in COLUMNS]
    if THREADS > 1:  # one column per thread: numpy's loops run without the interpreter's lock
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            coded = dict(zip(COLUMNS, pool.map(lambda job: _join_column(*job), joins)))
    else:
        coded = {column: _join_column(*job) for column, job in zip(COLUMNS, joins)}
    joins.clear()
    options, option = coded["option"]
    return cls(ballot_ids=coded["ballot"][0], group_codes=coded["group"][0],
               target_codes=coded["target"][0], item_codes=coded["item"][0],
               option_codes=options, ballot=coded["ballot"][1], group=coded["group"][1],
               target=coded["target"][1], item=coded["item"][1], option=option,
               source=name, first_row=2)


def _join_column(parts: list[tuple[np.ndarray, np.ndarray]],
                 options: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(the column's sorted code table, each line's index in it) from the chunks' parts.

    ``options``: the empty value, if any, is left out of the table and coded -1, in int16."""
    n_words = max((rows.shape[1] for rows, _ in parts), default=1)
    rows = np.zeros((sum(len(r) for r, _ in parts), n_words), dtype=np.uint64)
    at = 0
    for r, _ in parts:
        rows[at:at + len(r), :r.shape[1]] = r
        at += len(r)
    table, inverse = _unique_rows(rows)
    del rows
    # Sorted tables: ballot order is byte order (rule 2), and results never depend on
    # the order in which codes were first seen.
    table = np.ascontiguousarray(table)
    # The longest code: a zero-padded little-endian word's bytes grow with its value, so
    # the largest last word that is not zero tells it.
    longest = 0
    for k in range(n_words - 1, -1, -1):
        top = int(table[:, k].max()) if len(table) else 0
        if top:
            longest = 8 * k + (top.bit_length() + 7) // 8
            break
    strings = table.view(f"S{8 * n_words}").ravel().astype(f"U{max(longest, 1)}")
    if options:
        dtype = np.int16
        if len(strings) and strings[0] == "":  # sorted first: "not answered", coded -1
            strings = strings[1:]
            inverse = inverse - 1
    else:
        # The smallest integer type that holds the codes: 20M answers stay small.
        dtype = np.int8 if len(strings) < 2**7 else np.int16 if len(strings) < 2**15 else np.int32
    inverse = inverse.astype(dtype)
    codes = np.empty(sum(len(c) for _, c in parts), dtype=dtype)
    at = offset = 0
    for r, c in parts:
        index = inverse[offset:offset + len(r)]
        if len(index) and index[-1] - index[0] == len(index) - 1 and bool((np.diff(index) == 1).all()):
            # The chunk's values in the table's order, one after the other (the tables
            # chunks share; ballots in a file sorted by them): a copy or a shift, not a look-up.
            if index[0] == 0:
                codes[at:at + len(c)] = c
            else:  # added in the codes' type, not through int64
                np.add(c, index[0], out=codes[at:at + len(c)], dtype=dtype, casting="unsafe")
        else:
            np.take(index, c, out=codes[at:at + len(c)])
        at += len(c)
        offset += len(r)
    parts.clear()
    return strings, codes


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
