"""Benchmark of the scoring engine against a plain pandas implementation of the same method.

    python -m bench.scoring                       # 100k, 300k and 1M ballots, then the CLI
    python -m bench.scoring --sizes 100000,300000 --no-cli --repeat 1
    python -m bench.scoring --sizes 1000000 --cli-only   # python -m scoring on the 1M CSV vs pandas

Each size runs in fresh subprocesses (one for the engine, one for pandas) so that the
peak RSS printed is that size's own; both sides are timed the same way, the best of
``--repeat`` runs. Then, on the largest size, both are timed end to end from the same
answers.csv, each in its own process: ``python -m scoring`` against the pandas reference
reading the file with ``pandas.read_csv`` (best of ``--repeat`` each). Data: 100 targets, 4
respondent groups with weights, 20 items in 5 dimensions, a 4-point scale plus "don't
know", some straight-liners, some "don't know" and empty answers; each ballot rates one
target.

The pandas reference (`score_pandas`) follows scoring-method.md rule by rule in readable
groupby steps; when the method changes, change it there (and `compare` checks the engine
against it to 1e-9 on every run).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

N_TARGETS = 100
GROUPS = [("public", 0.4, 0.55), ("service", 0.3, 0.30), ("staff", 0.2, 0.147),
          ("deputies", 0.1, 0.003)]  # (code, weight, share of ballots): deputies are few
DIMENSIONS = [("de", 1.0), ("neng", 1.5), ("qin", 1.0), ("ji", 2.0), ("lian", 1.5)]
ITEMS_PER_DIMENSION = 4
OPTIONS = [("A", 100), ("B", 80), ("C", 60), ("D", 40), ("DK", None)]
TOLERANCE = 1e-9


def bench_method() -> dict:
    items = [{"code": f"{d}{k + 1}", "dimension": d, "weight": 1.0 + 0.5 * (k % 2)}
             for d, _ in DIMENSIONS for k in range(ITEMS_PER_DIMENSION)]
    return {
        "scale": {"options": [{"code": c, "points": p} for c, p in OPTIONS],
                  "satisfied": ["A", "B"], "dissatisfied": ["D"]},
        "dimensions": [{"code": c, "weight": w} for c, w in DIMENSIONS],
        "items": items,
        "groups": [{"code": c, "weight": w} for c, w, _ in GROUPS],
        "min_group_size": 5, "trim": 1,
        "grades": [{"code": "excellent", "min": 90}, {"code": "good", "min": 80},
                   {"code": "fair", "min": 60}, {"code": "poor", "min": 0}],
        "alerts": {"prevention": 0.15, "warning": 0.30},
        "straightline_min_answers": 10, "exclude_flagged": False,
    }


def generate(n_ballots: int, seed: int = 20240501) -> dict:
    """Integer-coded answers: one target per ballot, 20 answers per ballot."""
    rng = np.random.default_rng(seed)
    n_items = len(DIMENSIONS) * ITEMS_PER_DIMENSION
    share = np.array([s for _, _, s in GROUPS])
    group_of_ballot = rng.choice(len(GROUPS), size=n_ballots, p=share / share.sum()).astype(np.int32)
    popularity = rng.gamma(4.0, size=N_TARGETS)
    target_of_ballot = rng.choice(N_TARGETS, size=n_ballots,
                                  p=popularity / popularity.sum()).astype(np.int32)
    quality = rng.normal(0.6, 0.5, size=N_TARGETS)
    leniency = rng.normal(0.0, 0.6, size=n_ballots)
    latent = (np.repeat(quality[target_of_ballot] + leniency, n_items)
              + rng.normal(0.0, 0.7, size=n_ballots * n_items))
    # Thresholds on the latent score give A (best) .. D; then sprinkle DK and empty.
    option = np.digitize(-latent, [-1.0, 0.0, 1.0]).astype(np.int8)   # 0=A .. 3=D
    noise = rng.random(n_ballots * n_items)
    option[noise < 0.03] = 4                                            # DK
    option[noise > 0.98] = -1                                           # empty
    straight = rng.random(n_ballots) < 0.02
    option.reshape(n_ballots, n_items)[straight] = rng.integers(0, 4, size=int(straight.sum()),
                                                                dtype=np.int8)[:, None]
    return {
        "ballot_ids": np.char.add("b", np.char.zfill(np.arange(n_ballots).astype(str), 8)),
        "group_codes": [c for c, _, _ in GROUPS],
        "target_codes": [f"t{t:03d}" for t in range(N_TARGETS)],
        "item_codes": [f"{d}{k + 1}" for d, _ in DIMENSIONS for k in range(ITEMS_PER_DIMENSION)],
        "option_codes": [c for c, _ in OPTIONS],
        "ballot": np.repeat(np.arange(n_ballots, dtype=np.int32), n_items),
        "target": np.repeat(target_of_ballot, n_items),
        "item": np.tile(np.arange(n_items, dtype=np.int8), n_ballots),
        "option": option,
        "group_of_ballot": group_of_ballot,
    }


# -- the engine ---------------------------------------------------------------------------

def run_engine(data: dict, method: dict) -> dict:
    import scoring
    m = scoring.Method.from_dict(method)
    a = scoring.Answers.from_codes(source="bench", **data)
    return scoring.score(a, m)


# -- the same method in plain pandas --------------------------------------------------------

def score_pandas(data: dict, method: dict) -> dict:
    """Readable groupby implementation of scoring-method.md rules 1-10 (the reference)."""
    import pandas as pd

    options = method["scale"]["options"]
    points = pd.Series([o["points"] for o in options], dtype="float64")
    satisfied = pd.Series([o["code"] in method["scale"]["satisfied"] for o in options])
    dissatisfied = pd.Series([o["code"] in method["scale"]["dissatisfied"] for o in options])
    item_weight = pd.Series([x["weight"] for x in method["items"]])
    item_dimension = pd.Series([x["dimension"] for x in method["items"]])
    dimension_weight = {x["code"]: x["weight"] for x in method["dimensions"]}
    group_weight = pd.Series([x["weight"] for x in method["groups"]])

    df = pd.DataFrame({"ballot": data["ballot"], "target": data["target"],
                       "item": data["item"], "option": data["option"]})
    df["group"] = data["group_of_ballot"][df["ballot"].to_numpy()]
    answered = df["option"] >= 0
    option = df["option"].where(answered, 0)
    df["points"] = points.reindex(option).to_numpy()
    df.loc[~answered, "points"] = np.nan
    df["valid"] = df["points"].notna()
    df["dk"] = answered & ~df["valid"]
    df["sat"] = answered & satisfied.reindex(option).to_numpy()
    df["dis"] = answered & dissatisfied.reindex(option).to_numpy()

    # Rule 3: straight-lining.
    valid = df[df["valid"]]
    per_ballot = valid.groupby("ballot")["option"].agg(["size", "nunique"])
    flagged = int(((per_ballot["size"] >= method["straightline_min_answers"])
                   & (per_ballot["nunique"] == 1)).sum())

    # Rule 1: ballot scores.
    valid = valid.assign(weight=item_weight.reindex(valid["item"]).to_numpy())
    valid = valid.assign(weighted=valid["weight"] * valid["points"])
    ballots = valid.groupby(["target", "group", "ballot"])[["weighted", "weight"]].sum().reset_index()
    ballots = ballots[ballots["weight"] > 0]
    ballots["score"] = ballots["weighted"] / ballots["weight"]

    # Rule 2: trimming, ties by ballot id (ids sort like their integer codes here).
    k = method["trim"]
    span = max(abs(o["points"]) for o in options if o["points"] is not None)
    ballots["tie"] = np.rint(ballots["score"] / (1e-9 * span))
    ballots = ballots.sort_values(["target", "group", "tie", "ballot"])
    position = ballots.groupby(["target", "group"]).cumcount()
    size = ballots.groupby(["target", "group"])["score"].transform("size")
    kept = ballots[~((size > 2 * k) & ((position < k) | (position >= size - k)))]

    # Rule 7: group size counts the respondents (scored ballots before trimming); 9: variance.
    cells = kept.groupby(["target", "group"])["score"].agg(var="var")
    cells = cells.join(ballots.groupby(["target", "group"]).size().rename("n"), how="outer")

    # Rule 4: cell statistics of the kept ballots' answers.
    answers = df.merge(kept[["ballot", "target"]], on=["ballot", "target"])
    stats = answers.groupby(["target", "group", "item"]).agg(
        n=("valid", "sum"), mean=("points", "mean"), sat=("sat", "sum"), dis=("dis", "sum"))
    stats = stats.reset_index()

    # Rule 5: dimension scores; rule 6: group scores.
    stats = stats[stats["n"] >= 1].copy()
    stats["weight"] = item_weight.reindex(stats["item"]).to_numpy()
    stats["dimension"] = item_dimension.reindex(stats["item"]).to_numpy()
    stats["weighted"] = stats["weight"] * stats["mean"]
    dims = stats.groupby(["target", "group", "dimension"])[["weighted", "weight"]].sum()
    dims = dims[dims["weight"] > 0].reset_index()
    dims["D"] = dims["weighted"] / dims["weight"]
    dims["u"] = dims["dimension"].map(dimension_weight)
    dims["uD"] = dims["u"] * dims["D"]
    groups = dims.groupby(["target", "group"])[["uD", "u"]].sum()
    groups = groups[groups["u"] > 0]
    groups["S"] = groups["uD"] / groups["u"]

    # Rule 10 per group.
    rates = answers.groupby(["target", "group"])[["valid", "sat", "dis"]].sum()
    groups = groups.join(cells).join(rates)
    groups["sat_rate"] = groups["sat"] / groups["valid"]

    # Rules 7-8: suppression and the weighted composite.
    groups = groups.reset_index()
    groups["w"] = group_weight.reindex(groups["group"]).to_numpy()
    used = groups[(groups["n"] >= method["min_group_size"]) & (groups["w"] > 0)].copy()
    used["wS"] = used["w"] * used["S"]
    used["wsat"] = used["w"] * used["sat_rate"]
    targets = used.groupby("target")[["wS", "wsat", "w"]].sum()
    targets["score"] = targets["wS"] / targets["w"]
    targets["satisfaction"] = targets["wsat"] / targets["w"]

    # Rule R: a target missing a weighted group is adjusted by the mean difference between
    # that group and the composite of its own groups over the targets that have them all.
    S = used.pivot(index="target", columns="group", values="S")
    weights = group_weight[group_weight > 0]
    W = weights.sum()
    for t in targets.index:
        have = S.loc[t].dropna().index
        missing = [g for g in weights.index if g not in have]
        if not missing:
            continue
        w_have = group_weight.reindex(have)
        adjustment, no_reference = 0.0, False
        for g in missing:
            refs = S.drop(index=t).dropna(subset=list(have) + [g])
            if len(refs) < 2:
                no_reference = True
                continue
            c_have = (refs[list(have)] * w_have.to_numpy()).sum(axis=1) / w_have.sum()
            adjustment += weights[g] / W * (refs[g] - c_have).mean()
        if not no_reference:
            targets.loc[t, "score"] += adjustment
    return {"flagged": flagged,
            "score": targets["score"].to_dict(),
            "satisfaction": targets["satisfaction"].to_dict(),
            "n": {(int(t), int(g)): int(n) for (t, g), n in cells["n"].items()}}


def compare(engine: dict, reference: dict, data_targets: list[str], groups: list[str]) -> float:
    """Largest difference between the two; raises when they disagree beyond TOLERANCE."""
    by_code = {t["target"]: t for t in engine["targets"]}
    worst = 0.0
    assert engine["flagged_straightline"] == reference["flagged"], "flagged counts differ"
    for t, code in enumerate(data_targets):
        row = by_code[code]
        expected = reference["score"].get(t)
        if expected is None:
            assert row["score"] is None, f"{code}: engine scores, pandas does not"
            continue
        worst = max(worst, abs(row["score"] - expected),
                    abs(row["satisfaction"] - reference["satisfaction"][t]))
        for g, group in enumerate(groups):
            assert row["groups"][group]["n"] == reference["n"].get((t, g), 0), f"{code}/{group}: n"
    assert worst <= TOLERANCE, f"engine and pandas differ by {worst}"
    return worst


# -- workers (one process per measurement, for an honest peak RSS) ---------------------------

def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(kind: str, size: int, results_path: str, repeat: int = 3) -> None:
    method = bench_method()
    data = generate(size)
    rss_data = peak_rss_mb()
    if kind == "engine":
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            results = run_engine(data, method)
            times.append(time.perf_counter() - start)
        rss = peak_rss_mb()
        tracemalloc.start()
        run_engine(data, method)
        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        Path(results_path).write_text(json.dumps(results))
        report = {"seconds": min(times), "seconds_all": times, "peak_rss_mb": rss,
                  "rss_after_data_mb": rss_data, "traced_peak_mb": traced}
    else:
        times = []
        for _ in range(repeat):  # timed as the engine is: the best of `repeat`
            start = time.perf_counter()
            reference = score_pandas(data, method)
            times.append(time.perf_counter() - start)
        engine = json.loads(Path(results_path).read_text())
        worst = compare(engine, reference, data["target_codes"], data["group_codes"])
        report = {"seconds": min(times), "seconds_all": times, "peak_rss_mb": peak_rss_mb(),
                  "rss_after_data_mb": rss_data, "max_difference": worst}
    print(json.dumps(report))


def pandas_from_csv(answers: str, method_path: str, out: str) -> None:
    """The pandas reference end to end: read answers.csv with pandas, code it, score it."""
    import pandas as pd
    method = json.loads(Path(method_path).read_text(encoding="utf-8"))
    df = pd.read_csv(answers, dtype="category", keep_default_na=False, na_filter=False)

    def codes(column: str, order: list[str]) -> np.ndarray:
        """Each value's index in `order` (-1 where it is not there, e.g. an empty option)."""
        cat = df[column].cat
        where = {code: k for k, code in enumerate(order)}
        lookup = np.array([where.get(c, -1) for c in cat.categories], dtype=np.int32)
        return lookup[cat.codes.to_numpy()]

    ballots = df["ballot"].cat.categories.sort_values()  # ballot order is byte order (rule 2)
    ballot = codes("ballot", list(ballots))
    group = codes("group", [g["code"] for g in method["groups"]])
    group_of_ballot = np.zeros(len(ballots), dtype=np.int32)
    group_of_ballot[ballot] = group
    targets = sorted(df["target"].cat.categories)
    data = {"ballot": ballot, "target": codes("target", targets),
            "item": codes("item", [i["code"] for i in method["items"]]),
            "option": codes("option", [o["code"] for o in method["scale"]["options"]]),
            "group_of_ballot": group_of_ballot}
    reference = score_pandas(data, method)
    Path(out).write_text(json.dumps({"targets": targets, "flagged": reference["flagged"],
                                     "score": reference["score"], "satisfaction": reference["satisfaction"],
                                     "n": [[t, g, n] for (t, g), n in reference["n"].items()]}))


def spawn(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.scoring", *args], check=True,
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- the CLI on files ------------------------------------------------------------------------

def write_files(data: dict, method: dict, folder: Path) -> tuple[Path, Path]:
    """answers.csv and method.json, written with numpy byte matrices (no row objects)."""
    answers, method_path = folder / "answers.csv", folder / "method.json"
    method_path.write_text(json.dumps(method, ensure_ascii=False, indent=1), encoding="utf-8")
    n_items = len(data["item_codes"])
    ballot = np.asarray(data["ballot_ids"]).astype("S")[data["ballot"]]
    group = np.asarray(data["group_codes"]).astype("S")[np.repeat(data["group_of_ballot"], n_items)]
    target = np.asarray(data["target_codes"]).astype("S")[data["target"]]
    item = np.asarray(data["item_codes"]).astype("S")[data["item"]]
    option = np.append(np.asarray(data["option_codes"]).astype("S"), b"")[data["option"]]
    fields = [ballot, group, target, item, option]
    with open(answers, "wb") as f:
        f.write(b"ballot,group,target,item,option\n")
        step = 1_000_000
        for start in range(0, len(ballot), step):
            parts = [x[start:start + step] for x in fields]
            lengths = [np.char.str_len(x) for x in parts]
            width = sum(x.dtype.itemsize for x in parts) + len(parts)
            line = np.zeros((len(parts[0]), width), dtype=np.uint8)
            end = np.zeros(len(parts[0]), dtype=np.int64)
            rows = np.arange(len(parts[0]))
            for k, (x, n) in enumerate(zip(parts, lengths)):
                raw = x.view(np.uint8).reshape(len(x), x.dtype.itemsize)
                for c in range(x.dtype.itemsize):
                    here = n > c
                    line[rows[here], end[here] + c] = raw[here, c]
                end += n
                line[rows, end] = ord(",") if k < len(parts) - 1 else ord("\n")
                end += 1
            keep = np.arange(width)[None, :] < end[:, None]
            f.write(line[keep].tobytes())
    return answers, method_path


def timed_process(args: list[str]) -> tuple[float, float, float]:
    """(wall seconds, peak RSS in MB, CPU seconds: user + system, all threads) of one
    command, run from the project's folder. On a shared machine the CPU seconds move less
    with the load than the wall time."""
    start = time.perf_counter()
    process = subprocess.Popen(args, cwd=Path(__file__).resolve().parent.parent)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args[:4])} exited with {os.waitstatus_to_exitcode(status)}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def time_cli(size: int, repeat: int = 3, with_pandas: bool = True) -> dict:
    """`python -m scoring` and the pandas reference, each end to end from the same answers.csv.

    The files are written by a process of their own, and the data made again here only
    after the timed runs: a process started from this one begins with this one's peak RSS
    as its own (Linux keeps the larger of the two across exec), so this one stays small
    until the last run has ended.
    """
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "bench.scoring", "--write-csv", str(size), tmp], check=True,
                       cwd=Path(__file__).resolve().parent.parent)
        answers, method = Path(tmp) / "answers.csv", Path(tmp) / "method.json"
        out = Path(tmp) / "results.json"
        runs = [timed_process([sys.executable, "-m", "scoring", str(answers), str(method), "-o", str(out)])
                for _ in range(repeat)]
        cli = json.loads(out.read_text())
        report = {"seconds": min(r[0] for r in runs), "seconds_all": [r[0] for r in runs],
                  "cpu_seconds": min(r[2] for r in runs),
                  "peak_rss_mb": max(r[1] for r in runs), "csv_mb": answers.stat().st_size / 2**20}
        if with_pandas:
            reference_path = Path(tmp) / "pandas.json"
            runs = [timed_process([sys.executable, "-m", "bench.scoring", "--pandas-csv", str(answers), str(method),
                                   str(reference_path)]) for _ in range(repeat)]
            got = json.loads(reference_path.read_text())
            reference = {"flagged": got["flagged"], "score": {int(k): v for k, v in got["score"].items()},
                         "satisfaction": {int(k): v for k, v in got["satisfaction"].items()},
                         "n": {(t, g): n for t, g, n in got["n"]}}
            report["pandas_max_difference"] = compare(cli, reference, got["targets"], [g for g, _, _ in GROUPS])
            report.update(pandas_seconds=min(r[0] for r in runs), pandas_seconds_all=[r[0] for r in runs],
                          pandas_cpu_seconds=min(r[2] for r in runs),
                          pandas_peak_rss_mb=max(r[1] for r in runs))
        engine = json.loads(json.dumps(run_engine(generate(size), bench_method())))
        # The CLI hashes the file's bytes, the in-process run the canonical dump.
        cli.pop("method_sha256"), engine.pop("method_sha256")
        assert cli == engine, "CLI results differ from the in-process results"
        return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scoring", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,300000,1000000",
                        help="comma-separated numbers of ballots (20 answers each)")
    parser.add_argument("--no-cli", action="store_true", help="skip the CSV + CLI run")
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas reference")
    parser.add_argument("--cli-only", action="store_true",
                        help="only the CSV + CLI run (and its pandas reference) on the largest size")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side; the best is shown")
    parser.add_argument("--worker", nargs=4, metavar=("KIND", "SIZE", "RESULTS", "REPEAT"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--pandas-csv", nargs=3, metavar=("ANSWERS", "METHOD", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--write-csv", nargs=2, metavar=("SIZE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write_csv:
        write_files(generate(int(args.write_csv[0])), bench_method(), Path(args.write_csv[1]))
        return 0
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), args.worker[2], int(args.worker[3]))
        return 0
    if args.pandas_csv:
        pandas_from_csv(*args.pandas_csv)
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"scoring benchmark: {N_TARGETS} targets, {len(GROUPS)} groups, "
          f"{len(DIMENSIONS) * ITEMS_PER_DIMENSION} items; {os.cpu_count()} CPUs; numpy {np.__version__}")
    if not args.cli_only:
        print(f"{'ballots':>10} {'answers':>11} {'engine s':>9} {'engine MB':>10} {'traced MB':>10} "
              f"{'pandas s':>9} {'pandas MB':>10} {'ratio':>6} {'max diff':>9}")
    print("load average (1, 5, 15 min) at the start: %.2f %.2f %.2f" % os.getloadavg(), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes if not args.cli_only else []:
            results = str(Path(tmp) / f"engine-{size}.json")
            engine = spawn("--worker", "engine", str(size), results, str(args.repeat))
            line = (f"{size:>10,} {size * 20:>11,} {engine['seconds']:>9.3f} "
                    f"{engine['peak_rss_mb']:>10.0f} {engine['traced_peak_mb']:>10.0f}")
            if not args.no_pandas:
                pandas = spawn("--worker", "pandas", str(size), results, str(args.repeat))
                line += (f" {pandas['seconds']:>9.3f} {pandas['peak_rss_mb']:>10.0f} "
                         f"{pandas['seconds'] / engine['seconds']:>6.1f} {pandas['max_difference']:>9.1e}")
            print(line, flush=True)
    if not args.no_cli:
        size = max(sizes)
        cli = time_cli(size, args.repeat, with_pandas=not args.no_pandas)
        print(f"CLI `python -m scoring answers.csv method.json -o results.json` on {size:,} ballots "
              f"({cli['csv_mb']:.0f} MB CSV), best of {args.repeat}: {cli['seconds']:.2f} s "
              f"(CPU {cli['cpu_seconds']:.2f} s), peak RSS {cli['peak_rss_mb']:.0f} MB")
        if "pandas_seconds" in cli:
            print(f"pandas reference from the same CSV (read_csv + the same method), best of {args.repeat}: "
                  f"{cli['pandas_seconds']:.2f} s (CPU {cli['pandas_cpu_seconds']:.2f} s), "
                  f"peak RSS {cli['pandas_peak_rss_mb']:.0f} MB; "
                  f"ratio {cli['pandas_seconds'] / cli['seconds']:.1f}x "
                  f"(CPU {cli['pandas_cpu_seconds'] / cli['cpu_seconds']:.1f}x); max difference "
                  f"{cli['pandas_max_difference']:.1e}")
    print("load average (1, 5, 15 min) at the end: %.2f %.2f %.2f" % os.getloadavg())
    return 0


if __name__ == "__main__":
    sys.exit(main())
