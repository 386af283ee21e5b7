"""Write the results dictionary as results.json: unrounded JSON numbers, null where undefined."""
from __future__ import annotations

import json
from typing import IO


def dump_results(results: dict, fp: IO[str]) -> None:
    """Write ``results`` as UTF-8 JSON; refuse NaN or infinities, which JSON does not have."""
    json.dump(results, fp, ensure_ascii=False, allow_nan=False, indent=1)
    fp.write("\n")


def canonical_json(d: dict | list) -> bytes:
    """The canonical bytes whose SHA-256 names a results.json, a method.json or an audit entry:
    UTF-8 JSON with keys sorted, no whitespace (separators ``,`` and ``:``), non-ASCII characters
    kept, no trailing newline — ``json.dumps(d, sort_keys=True, ensure_ascii=False, separators=(",", ":"))``.
    The bundle's results.json and method.json are written in exactly these bytes, so
    ``sha256sum results.json`` prints the published hash."""
    return json.dumps(d, sort_keys=True, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode("utf-8")
