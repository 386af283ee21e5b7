"""Write the results dictionary as results.json: unrounded JSON numbers, null where undefined."""
from __future__ import annotations

import json
from typing import IO


def dump_results(results: dict, fp: IO[str]) -> None:
    """Write ``results`` as UTF-8 JSON; refuse NaN or infinities, which JSON does not have."""
    json.dump(results, fp, ensure_ascii=False, allow_nan=False, indent=1)
    fp.write("\n")
