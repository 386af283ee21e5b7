"""``python -m scoring answers.csv method.json [-o results.json]``: recompute published results.

Exit status 0 on success, 2 on invalid input (the message names the file and the row
or key), the same as argparse uses for a bad command line.
"""
from __future__ import annotations

import argparse
import ctypes
import io
import os
import sys
import tempfile
import threading

from . import InputError, Method, canonical_json, dump_results


def _import_engine() -> None:
    try:
        import scoring.engine  # noqa: F401
    except Exception:  # noqa: BLE001 - reported by the import in `main`
        pass


#: glibc's mallopt parameters: memory freed at the top of the heap is kept up to this size,
#: blocks below the second one come from the heap, not from a mapping of their own, and
#: threads share one heap
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
KEEP_FREED_BYTES, MAPPED_BLOCKS_FROM = 1 << 30, 32 << 20


def _keep_freed_memory() -> None:
    """Let glibc keep the memory that the reader's and the engine's temporary arrays free.

    The reader makes a few arrays of about a megabyte per chunk of the file, hundreds of
    times; by default glibc gives such blocks back to the system as they are freed (or maps
    each on its own), so every chunk's arrays are new pages, faulted in and zeroed by the
    kernel: a third of the reader's time on the 1M-ballot file. The setting lasts as long as
    this short process; the arrays of the size of a column (20M answers) are still mapped and
    unmapped one by one. Elsewhere than on glibc nothing changes.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    mallopt(M_ARENA_MAX, 1)
    mallopt(M_MMAP_THRESHOLD, MAPPED_BLOCKS_FROM)
    mallopt(M_TRIM_THRESHOLD, KEEP_FREED_BYTES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scoring",
        description="Score anonymous ballots by the published method (scoring-method.md).")
    parser.add_argument("answers", help="answers.csv: ballot,group,target,item,option")
    parser.add_argument("method", help="method.json")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write results.json here instead of standard output")
    parser.add_argument("--canonical", action="store_true",
                        help="write the canonical bytes whose SHA-256 a published campaign names "
                             "(keys sorted, no whitespace) instead of indented JSON")
    args = parser.parse_args(argv)
    if args.output and os.path.isdir(args.output):
        # Refused before any work, so nothing is left behind.
        print(f"error: {args.output}: is a directory; give a file name, e.g. "
              f"{os.path.join(args.output, 'results.json')}", file=sys.stderr)
        return 2
    _keep_freed_memory()  # before any other thread allocates
    # Small pages for numpy's large arrays (its documented switch, read when numpy is
    # imported: just below, with the reader). With transparent huge pages on request, each
    # new column-sized array waits for the kernel to find, compact and zero 2 MB pages: on a
    # busy machine that took the joined columns half a second of system time, a third of it
    # with small pages. A value given in the environment is kept.
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    from . import Answers  # numpy, and with it the setting above
    # The engine (scipy.special: about 0.3 s) is imported while the answers are read;
    # the reader's numpy loops let go of the interpreter's lock. An import that fails there
    # fails again, with its message, where `score` is used.
    threading.Thread(target=_import_engine, daemon=True).start()
    try:
        method = Method.load(args.method)
        answers = Answers.read_csv(args.answers)
        from .engine import score  # imported by now, or being imported by the thread above
        results = score(answers, method)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    text = io.StringIO()
    if args.canonical:
        text.write(canonical_json(results).decode("utf-8"))
    else:
        dump_results(results, text)
    if args.output:
        partial = None
        try:
            # Write beside the target and rename, so a failed run never leaves half a file;
            # a name of its own, so that no other file is overwritten on the way.
            folder = os.path.dirname(os.path.abspath(args.output))
            fd, partial = tempfile.mkstemp(dir=folder, prefix=os.path.basename(args.output) + ".",
                                           suffix=".partial")
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text.getvalue())
            os.replace(partial, args.output)
            partial = None
        except OSError as e:
            print(f"error: {args.output}: cannot write ({e.strerror or e})", file=sys.stderr)
            return 2
        finally:
            if partial is not None:
                try:
                    os.unlink(partial)
                except OSError:
                    pass
    else:
        sys.stdout.write(text.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
