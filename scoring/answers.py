"""Answers in long form (one row per answer), integer-coded once so that the engine never touches strings."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError
from .files import COLUMNS, shown
from .method import CODE_PATTERN


@dataclass(frozen=True)
class Structure:
    """What the engine needs from the answers, independent of the method.

    A *response* is one ballot's answers on one target (a (ballot, target) pair); the
    ballot score b(i,t) of rule 1 is a response's score.
    """

    #: per response: index into ``ballot_ids`` and ``target_codes``
    response_ballot: np.ndarray
    response_target: np.ndarray
    #: (items in ``item_codes``) x (responses): 0 = no row, 1 = row with an empty option,
    #: 2 + k = option ``option_codes[k]``. Item-major so that a per-item pass reads one
    #: contiguous row.
    choice: np.ndarray
    #: per ballot: index into ``group_codes``
    group_of_ballot: np.ndarray
    #: distinct ballots that have at least one row
    n_ballots: int
    #: (answer index, reason) of the structural errors (two groups, duplicates)
    problems: tuple[tuple[int, str], ...]


class Answers:
    """Integer-coded answers: code tables plus one int array per column, one entry per answer.

    ``ballot_ids`` is sorted in byte order, so comparing ballot indices compares ballot
    ids (rule 2's tie break). ``option`` is -1 where the answer is empty. Either
    ``group`` (per answer) or ``group_of_ballot`` (per ballot) is given. Answer ``i``
    came from row ``first_row + i`` of ``source`` when ``first_row`` is known.
    """

    def __init__(self, *, ballot_ids: np.ndarray, group_codes: np.ndarray,
                 target_codes: np.ndarray, item_codes: np.ndarray, option_codes: np.ndarray,
                 ballot: np.ndarray, target: np.ndarray, item: np.ndarray, option: np.ndarray,
                 group: np.ndarray | None = None, group_of_ballot: np.ndarray | None = None,
                 source: str | None = None, first_row: int | None = None) -> None:
        # Trusted: the public constructors below validate before they get here.
        self.ballot_ids = ballot_ids
        self.group_codes = group_codes
        self.target_codes = target_codes
        self.item_codes = item_codes
        self.option_codes = option_codes
        self.ballot = ballot
        self.target = target
        self.item = item
        self.option = option
        self.group = group
        self.group_of_ballot = group_of_ballot
        self.source = source
        self.first_row = first_row
        self._structure: Structure | None = None

    def __len__(self) -> int:
        return len(self.ballot)

    def __repr__(self) -> str:
        return (f"<Answers {self.source or ''} answers={len(self)} ballots={len(self.ballot_ids)} "
                f"targets={len(self.target_codes)}>")

    # -- public constructors --------------------------------------------------------

    @classmethod
    def from_columns(cls, *, ballot: Sequence[str], group: Sequence[str], target: Sequence[str],
                     item: Sequence[str], option: Sequence[str | None],
                     source: str | None = None, first_row: int | None = None) -> Answers:
        """Answers from five equally long sequences of codes (``option`` None or "" = not answered).

        Codes are checked for their form only; whether the method knows them is checked
        by :func:`scoring.score`. Give ``first_row`` when answer 0 came from that row of
        ``source``, so that errors name rows.
        """
        columns = {"ballot": ballot, "group": group, "target": target, "item": item,
                   "option": option}
        n = len(ballot)
        for name, seq in columns.items():
            if len(seq) != n:
                raise InputError(f"column '{name}' has {len(seq)} values, column 'ballot' {n}",
                                 file=source, key=name)
        coded = {}
        for name, seq in columns.items():
            values = np.empty(n, dtype=object)
            values[:] = list(seq)
            if name == "option":
                values[(values == None) | (values == "")] = ""  # noqa: E711 - elementwise test
            table, codes = _factorise_strings(values, name, source, first_row)
            coded[name] = (table, codes)
        option_table, option = coded["option"]
        if len(option_table) and option_table[0] == "":  # "" sorts first: it is "not answered"
            option_table, option = option_table[1:], option - 1
        return cls(ballot_ids=coded["ballot"][0], group_codes=coded["group"][0],
                   target_codes=coded["target"][0], item_codes=coded["item"][0],
                   option_codes=option_table, ballot=coded["ballot"][1],
                   group=coded["group"][1], target=coded["target"][1], item=coded["item"][1],
                   option=option.astype(np.int16), source=source, first_row=first_row)

    @classmethod
    def read_csv(cls, path: str | Path) -> Answers:
        """Read ``answers.csv`` (UTF-8, header row, the five columns in any order)."""
        from .csvio import read_answers_csv  # csvio imports this module: a genuine cycle
        return read_answers_csv(cls, path)

    @classmethod
    def from_codes(cls, *, ballot_ids: Sequence[str], group_codes: Sequence[str],
                   target_codes: Sequence[str], item_codes: Sequence[str],
                   option_codes: Sequence[str], ballot, target, item, option,
                   group=None, group_of_ballot=None, source: str | None = None,
                   first_row: int | None = None) -> Answers:
        """Answers from integer arrays that index code tables (the adapter's and bench's door).

        ``ballot``, ``target``, ``item``, ``option`` (and ``group``) have one entry per
        answer and index ``ballot_ids``, ``target_codes``, ``item_codes``,
        ``option_codes`` (``group_codes``); ``option`` is -1 for "not answered". Give the
        group either per answer (``group``) or per ballot (``group_of_ballot``, one
        entry per ``ballot_ids``), not both. Every target in ``target_codes`` is listed in
        the results, also one without answers. Tables must hold distinct, well-formed
        codes; ``ballot_ids`` in byte order costs nothing, otherwise it is sorted here.
        """
        if (group is None) == (group_of_ballot is None):
            raise InputError("give either group (per answer) or group_of_ballot (per ballot)",
                             file=source, key="group")
        tables = _checked_tables(source, ballot_ids=ballot_ids, group_codes=group_codes,
                                 target_codes=target_codes, item_codes=item_codes, option_codes=option_codes)
        n = len(ballot)
        arrays = {}
        for name, values, size, lowest in (
                ("ballot", ballot, len(tables["ballot_ids"]), 0),
                ("target", target, len(tables["target_codes"]), 0),
                ("item", item, len(tables["item_codes"]), 0),
                ("option", option, len(tables["option_codes"]), -1),
                ("group", group, len(tables["group_codes"]), 0),
                ("group_of_ballot", group_of_ballot, len(tables["group_codes"]), 0)):
            if values is None:
                arrays[name] = None
                continue
            a = np.asarray(values)
            if a.ndim != 1 or (a.size and a.dtype.kind not in "iu"):
                raise InputError("must be a flat integer array", file=source, key=name)
            expected = len(tables["ballot_ids"]) if name == "group_of_ballot" else n
            if len(a) != expected:
                raise InputError(f"has {len(a)} entries, expected {expected}", file=source, key=name)
            if a.size and (a.min() < lowest or a.max() >= size):
                bad = int(np.flatnonzero((a < lowest) | (a >= size))[0])
                raise InputError(f"entry {bad} is {a[bad]}, outside the code table",
                                 file=source, key=name)
            arrays[name] = a
        ballot_ids = tables["ballot_ids"]
        if len(ballot_ids) > 1 and not np.all(ballot_ids[1:] > ballot_ids[:-1]):
            order = np.argsort(ballot_ids, kind="stable")
            rank = np.empty_like(order)
            rank[order] = np.arange(len(order))
            ballot_ids = ballot_ids[order]
            arrays["ballot"] = rank[arrays["ballot"]]
            if arrays["group_of_ballot"] is not None:
                arrays["group_of_ballot"] = arrays["group_of_ballot"][order]
        return cls(ballot_ids=ballot_ids, group_codes=tables["group_codes"],
                   target_codes=tables["target_codes"], item_codes=tables["item_codes"],
                   option_codes=tables["option_codes"], ballot=arrays["ballot"],
                   target=arrays["target"], item=arrays["item"], option=arrays["option"],
                   group=arrays["group"], group_of_ballot=arrays["group_of_ballot"],
                   source=source, first_row=first_row)

    @classmethod
    def from_matrix(cls, *, ballot_ids: Sequence[str], group_codes: Sequence[str],
                    target_codes: Sequence[str], item_codes: Sequence[str],
                    option_codes: Sequence[str], codes: np.ndarray, group_of_ballot,
                    source: str | None = None) -> Answers:
        """Answers from a dense (ballots × targets × items) array (the door for stores that
        keep each ballot as one vector of answers, like the web app's packed ballots).

        ``codes[b, t, i]`` is 0 where ballot ``b`` did not answer item ``i`` on target
        ``t``, and ``k + 1`` for option ``option_codes[k]``; ``group_of_ballot`` indexes
        ``group_codes``. Ballots without any answer are left out. The structure the engine
        needs is read off the array with no sort; the long form (one entry per answer) is
        made only if something asks for it. Scores are those of ``from_codes`` on the same
        answers, to the bit.
        """
        tables = _checked_tables(source, ballot_ids=ballot_ids, group_codes=group_codes,
                                 target_codes=target_codes, item_codes=item_codes, option_codes=option_codes)
        codes = np.asarray(codes)
        shape = (len(tables["ballot_ids"]), len(tables["target_codes"]), len(tables["item_codes"]))
        if codes.ndim != 3 or codes.shape != shape or (codes.size and codes.dtype.kind not in "iu"):
            raise InputError(f"codes must be an integer array of shape {shape}", file=source, key="codes")
        if codes.size and (codes.min() < 0 or codes.max() > len(tables["option_codes"])):
            raise InputError("codes outside the option table", file=source, key="codes")
        group_of_ballot = np.asarray(group_of_ballot)
        if group_of_ballot.shape != shape[:1] or (group_of_ballot.size and (
                group_of_ballot.dtype.kind not in "iu" or group_of_ballot.min() < 0
                or group_of_ballot.max() >= len(tables["group_codes"]))):
            raise InputError("group_of_ballot must index group_codes, one entry per ballot",
                             file=source, key="group_of_ballot")
        ids = tables["ballot_ids"]
        if len(ids) > 1 and not np.all(ids[1:] > ids[:-1]):
            order = np.argsort(ids, kind="stable")
            ids, codes, group_of_ballot = ids[order], codes[order], group_of_ballot[order]
        answered = codes.any(axis=(1, 2)) if codes.size else np.zeros(len(ids), dtype=bool)
        if not answered.all():
            ids, codes, group_of_ballot = ids[answered], codes[answered], group_of_ballot[answered]
        return _DenseAnswers(ballot_ids=ids, group_codes=tables["group_codes"],
                             target_codes=tables["target_codes"], item_codes=tables["item_codes"],
                             option_codes=tables["option_codes"], codes=np.ascontiguousarray(codes),
                             group_of_ballot=group_of_ballot, source=source)

    # -- where an answer came from --------------------------------------------------

    def error(self, index: int, reason: str) -> InputError:
        """An InputError for answer ``index``, naming its row when the answers came from rows."""
        if self.first_row is None:
            return InputError(f"{reason} (answer {index + 1})", file=self.source)
        return InputError(reason, file=self.source, row=self.first_row + index)

    # -- the method-independent structure, computed once ----------------------------

    def structure(self) -> Structure:
        if self._structure is None:
            self._structure = _build_structure(self)
        return self._structure


class _DenseAnswers(Answers):
    """Answers held as a (ballots × targets × items) array of codes (``Answers.from_matrix``)."""

    def __init__(self, *, codes: np.ndarray, **tables) -> None:
        self._codes = codes
        self._long: tuple[np.ndarray, ...] | None = None
        self.ballot_ids, self.group_codes = tables["ballot_ids"], tables["group_codes"]
        self.target_codes, self.item_codes = tables["target_codes"], tables["item_codes"]
        self.option_codes, self.group_of_ballot = tables["option_codes"], tables["group_of_ballot"]
        self.group = None
        self.source, self.first_row = tables.get("source"), None
        self._structure = None

    def _long_form(self) -> tuple[np.ndarray, ...]:
        """(ballot, target, item, option) per answer, in ballot, target, item order."""
        if self._long is None:
            b, t, i = np.nonzero(self._codes)
            self._long = (b.astype(np.int32), t.astype(np.int32), i.astype(np.int32),
                          self._codes[b, t, i].astype(np.int16) - 1)
        return self._long

    ballot = property(lambda self: self._long_form()[0])
    target = property(lambda self: self._long_form()[1])
    item = property(lambda self: self._long_form()[2])
    option = property(lambda self: self._long_form()[3])

    def __len__(self) -> int:
        return int(np.count_nonzero(self._codes))

    def structure(self) -> Structure:
        if self._structure is None:
            codes = self._codes
            # A response is a (ballot, target) pair with an answer; np.nonzero lists them in
            # ballot, then target order: the sorted keys of the long form's structure.
            answered = codes.any(axis=2)
            response_ballot, response_target = np.nonzero(answered)
            dtype = np.uint8 if len(self.option_codes) + 2 <= 255 else np.uint16
            # choice: 0 = no row, 2 + k = option k; an array of codes has no empty option.
            shift = np.zeros(len(self.option_codes) + 1, dtype=dtype)
            shift[1:] = np.arange(2, len(self.option_codes) + 2)
            choice = np.ascontiguousarray(shift[codes[answered]].T)
            self._structure = Structure(
                response_ballot=response_ballot, response_target=response_target, choice=choice,
                group_of_ballot=self.group_of_ballot, n_ballots=len(self.ballot_ids), problems=())
        return self._structure


def _checked_tables(source: str | None, **sequences: Sequence[str]) -> dict[str, np.ndarray]:
    """Code tables as numpy strings, each code's form checked, each table's codes distinct."""
    ballot_ids, group_codes, target_codes, item_codes, option_codes = (
        sequences[k] for k in ("ballot_ids", "group_codes", "target_codes", "item_codes", "option_codes"))
    tables = {}
    for name, seq in (("ballot_ids", ballot_ids), ("group_codes", group_codes),
                      ("target_codes", target_codes), ("item_codes", item_codes),
                      ("option_codes", option_codes)):
        table = np.asarray(seq, dtype=str) if len(seq) else np.empty(0, dtype="<U1")
        if table.ndim != 1:
            raise InputError("must be a flat sequence of codes", file=source, key=name)
        for code in (table if name != "ballot_ids" else table[:0]):
            _check_code(code, name, source)
        if name == "ballot_ids":
            _check_ballot_ids(table, source)
            strictly_increasing = len(table) < 2 or bool(np.all(table[1:] > table[:-1]))
            if strictly_increasing:  # the usual case: distinct without sorting a million ids
                tables[name] = table
                continue
        if len(np.unique(table)) != len(table):
            raise InputError("codes must be distinct", file=source, key=name)
        tables[name] = table
    return tables


def _check_code(code: object, column: str, source: str | None, index: int | None = None,
                first_row: int | None = None) -> None:
    if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
        # str(): a numpy string would print as np.str_('…')
        reason = (f"{column} must be a code string, not {shown(code)}" if not isinstance(code, str)
                  else f"empty {column}" if code == "" else
                  f"invalid {column} code {shown(str(code))} (1 to 64 of A-Z a-z 0-9 _ . -)")
        if index is None:
            raise InputError(reason, file=source, key=column)
        if first_row is None:
            raise InputError(f"{reason} (answer {index + 1})", file=source)
        raise InputError(reason, file=source, row=first_row + index)


def _check_ballot_ids(ids: np.ndarray, source: str | None) -> None:
    """Form of every ballot id in one vectorised pass (there may be millions)."""
    if not len(ids):
        return
    width = ids.dtype.itemsize // 4
    chars = np.ascontiguousarray(ids).view(np.uint32).reshape(len(ids), width)
    padding = chars == 0
    allowed = ALLOWED_BYTES[np.minimum(chars, 255)] & (chars < 128)
    ok = ((allowed | padding).all(axis=1)
          & (np.diff(padding.view(np.int8), axis=1) >= 0).all(axis=1)  # padding only at the end
          & ~padding[:, 0] & (width <= 64 or padding[:, min(width, 65) - 1]))
    if not ok.all():
        _check_code(str(ids[np.flatnonzero(~ok)[0]]), "ballot_ids", source)


ALLOWED_BYTES = np.zeros(256, dtype=bool)
for _c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-":
    ALLOWED_BYTES[_c] = True


def _factorise_strings(values: np.ndarray, column: str, source: str | None,
                       first_row: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Sorted code table and per-value codes; checks each distinct code's form once."""
    is_str = np.frompyfunc(lambda v: isinstance(v, str), 1, 1)(values).astype(bool)
    if not is_str.all():
        index = int(np.flatnonzero(~is_str)[0])
        _check_code(values[index], column, source, index, first_row)
    text = values.astype(str) if len(values) else np.empty(0, dtype="<U1")
    table, codes = np.unique(text, return_inverse=True)
    for k, code in enumerate(table):
        if column == "option" and code == "":
            continue
        if not CODE_PATTERN.fullmatch(code):
            _check_code(code, column, source, int(np.flatnonzero(codes == k)[0]), first_row)
    return table, codes.astype(np.int32)


def _build_structure(a: Answers) -> Structure:
    """Responses, the item x response choice matrix, and the structural errors."""
    n = len(a.ballot)
    n_ballots = len(a.ballot_ids)
    problems: list[tuple[int, str]] = []
    # A file sorted by ballot (as the platform writes it) holds each ballot in one run of
    # rows: then what is constant per ballot is checked between neighbouring rows, and read
    # at the first row of each run, instead of scattered into and gathered from a table.
    head, within = _ballot_runs(a.ballot)

    if a.group_of_ballot is not None:
        group_of_ballot = a.group_of_ballot
    elif head is not None:
        group_of_ballot = np.zeros(n_ballots, dtype=np.int32)
        group_of_ballot[a.ballot[head]] = a.group[head]
        if _changes_within(a.group, within):
            problems.append(_two_groups(a))
    else:
        group_of_ballot = np.zeros(n_ballots, dtype=np.int32)
        group_of_ballot[a.ballot] = a.group  # any one of the ballot's rows; checked next
        if not np.array_equal(group_of_ballot[a.ballot], a.group):
            problems.append(_two_groups(a))

    # Most ballots rate one target: then a response is a ballot and no sort is needed.
    target_of_ballot = np.full(n_ballots, -1, dtype=np.int64)
    if head is not None:
        target_of_ballot[a.ballot[head]] = a.target[head]
        one_target = not _changes_within(a.target, within)
    else:
        target_of_ballot[a.ballot] = a.target
        one_target = np.array_equal(target_of_ballot[a.ballot], a.target)
    if one_target:
        has_rows = target_of_ballot >= 0
        n_present = int(np.count_nonzero(has_rows))
        if n_present == n_ballots:
            response = a.ballot
            response_ballot = np.arange(n_ballots)
        else:
            response_ballot = np.flatnonzero(has_rows)
            index = np.full(n_ballots, -1, dtype=np.int64)
            index[response_ballot] = np.arange(len(response_ballot))
            response = index[a.ballot]
        response_target = target_of_ballot[response_ballot]
    else:
        n_targets = max(len(a.target_codes), 1)
        key = a.ballot.astype(np.int64) * n_targets + a.target
        keys, response = _unique_inverse(key, n_ballots * n_targets)
        response_ballot, response_target = np.divmod(keys, n_targets)
        # keys are sorted, so are their ballots: count where the ballot changes
        n_present = int(np.count_nonzero(np.diff(response_ballot))) + 1 if len(response_ballot) else 0

    n_responses = len(response_ballot)
    n_items = len(a.item_codes)
    dtype = np.uint8 if len(a.option_codes) + 2 <= 255 else np.uint16
    choice = _regular_choice(a, head, one_target, n_responses, n_items, dtype)
    if choice is None:
        choice = np.zeros((n_items, n_responses), dtype=dtype)
        flat = a.item.astype(np.int64) * n_responses
        flat += response
        choice.reshape(-1)[flat] = (a.option + 2).astype(dtype)
        del flat
        # Each row fills its own cell unless two rows share (ballot, target, item).
        if np.count_nonzero(choice) != n:
            problems.append(_duplicate(a, response, n_responses))
    return Structure(response_ballot=response_ballot, response_target=response_target,
                     choice=choice, group_of_ballot=group_of_ballot, n_ballots=n_present,
                     problems=tuple(problems))


def _ballot_runs(ballot: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(first row of each ballot, whether row i + 1 has row i's ballot) when the rows are
    sorted by ballot; (None, None) otherwise."""
    if len(ballot) < 2 or not bool(np.all(ballot[1:] >= ballot[:-1])):
        return None, None
    within = ballot[1:] == ballot[:-1]
    head = np.flatnonzero(~within)
    head += 1
    return np.concatenate(([0], head)), within


def _changes_within(values: np.ndarray, within: np.ndarray) -> bool:
    """Whether ``values`` differ between two neighbouring rows of the same ballot."""
    changed = values[1:] != values[:-1]
    changed &= within
    return bool(changed.any())


def _regular_choice(a: Answers, head, one_target: bool, n_responses: int, n_items: int,
                    dtype) -> np.ndarray | None:
    """The choice matrix of answers in which every ballot (one target each) answers every
    item once, in the same order: a transpose, with no scatter and no duplicate to look for;
    None for any other layout."""
    n = len(a.ballot)
    if (head is None or not one_target or n_items == 0 or len(head) != n_responses
            or n != n_items * n_responses
            or not np.array_equal(head, np.arange(0, n, n_items))):  # runs of n_items rows
        return None
    order = a.item[:n_items]
    if len(np.unique(order)) != n_items:
        return None
    by_response = a.item.reshape(n_responses, n_items)
    if not bool((by_response == order).all()):
        return None
    # Shifted straight into the choice matrix's type: no int16 copy of 20M answers on the way.
    shifted = np.empty((n_responses, n_items), dtype=dtype)
    np.add(a.option.reshape(n_responses, n_items), 2, out=shifted, casting="unsafe")
    choice = np.empty((n_items, n_responses), dtype=dtype)
    choice[order] = shifted.T
    return choice


#: Below this many possible keys per row, `_unique_inverse` marks keys in a dense table.
DENSE_KEYS_PER_ROW = 8


def _unique_inverse(key: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(key, return_inverse=True)` for keys in [0, n_keys).

    When the keys are dense (ballots that rate several targets: n_keys is ballots × targets,
    at most a few per row), a table of n_keys flags and a running count give the same sorted
    keys and inverse in linear time; sorting 24 million keys took seconds.
    """
    if n_keys > DENSE_KEYS_PER_ROW * len(key) + (1 << 20):
        keys, inverse = np.unique(key, return_inverse=True)
        return keys, inverse.reshape(-1)
    present = np.zeros(n_keys, dtype=bool)
    present[key] = True
    rank = np.cumsum(present, dtype=np.int64)
    rank -= 1
    return np.flatnonzero(present), rank[key]


def _two_groups(a: Answers) -> tuple[int, str]:
    """The first row whose group differs from the group of its ballot's first row."""
    _, first = np.unique(a.ballot, return_index=True)
    first_of_ballot = np.empty(len(a.ballot_ids), dtype=np.int64)
    first_of_ballot[np.unique(a.ballot)] = first
    first_group = a.group[first_of_ballot[a.ballot]]
    i = int(np.flatnonzero(first_group != a.group)[0])
    return i, (f"ballot '{a.ballot_ids[a.ballot[i]]}' appears in two groups "
               f"('{a.group_codes[first_group[i]]}' and '{a.group_codes[a.group[i]]}')")


def _duplicate(a: Answers, response: np.ndarray, n_responses: int) -> tuple[int, str]:
    """The first row that repeats an earlier row's (ballot, target, item)."""
    key = a.item.astype(np.int64) * n_responses + response
    order = np.argsort(key, kind="stable")
    same = key[order[1:]] == key[order[:-1]]
    repeats = order[1:][same]
    i = int(repeats.min())
    earlier = int(order[:-1][same][np.argmin(repeats)])
    return i, (f"ballot '{a.ballot_ids[a.ballot[i]]}' answers item '{a.item_codes[a.item[i]]}' "
               f"for target '{a.target_codes[a.target[i]]}' twice "
               f"(also {_where(a, earlier)})")


def _where(a: Answers, index: int) -> str:
    return f"answer {index + 1}" if a.first_row is None else f"row {a.first_row + index}"
