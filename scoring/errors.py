"""The one error the scoring engine raises for bad input: it names the file, row or key."""
from __future__ import annotations


class InputError(Exception):
    """Invalid answers or method: nothing is computed, and the CLI exits with status 2.

    ``file`` is the file (or other source) the input came from, ``row`` the 1-based row
    of ``answers.csv`` (the header is row 1), ``key`` the method key or the CSV column;
    each is None when it does not apply. ``reason`` says what is wrong, without place.
    """

    def __init__(self, reason: str, *, file: str | None = None, row: int | None = None,
                 key: str | None = None) -> None:
        self.reason = reason
        self.file = file
        self.row = row
        self.key = key
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.key is not None and self.row is None:
            where.append(f"key {self.key}")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason

    def __reduce__(self):  # keeps keyword attributes across pickling (multiprocessing, pytest-xdist)
        return (_rebuild, (self.reason, self.file, self.row, self.key))


def _rebuild(reason, file, row, key):
    return InputError(reason, file=file, row=row, key=key)
