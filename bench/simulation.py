"""Published figures against a known truth, full size: 400 replications of each design.

``python -m bench.simulation [--replications 400]`` prints, per design of
tests/scoring/simulation.py (plain, share trimming, a reweighted target, near-ties), the rank
band's mean width against the published rank's own sampling spread (its 2.5-97.5% range
across replications) and their ratio, the coverage of every interval, the share of grades
and alerts published as certain and how many of those are wrong, and the reweighted
target's figures; then the mean share-trimmed score of one population at 5 and at 60
ballots. The suite (tests/scoring/test_scoring_coverage.py) runs the same code smaller.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.scoring import simulation  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.simulation", description=__doc__.split("\n")[0])
    parser.add_argument("--replications", type=int, default=400)
    parser.add_argument("--copies", type=int, default=24000, help="cells of 5 ballots for the trimming bias")
    args = parser.parse_args(argv)
    print("| design | rank band | spread | ratio | least covered target | ci95 | below | above | target rates "
          "| group rates | certain grades (wrong) | certain alerts (wrong) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in simulation.DESIGNS:
        f = simulation.measure(name, args.replications)
        print(f"| {name} | {f.band:.2f} | {f.spread:.2f} | {f.ratio:.2f}x | {f.rank_coverage_min:.3f} | "
              f"{f.composite:.3f} | {f.below:.3f} | {f.above:.3f} | {f.target_rates:.3f} | {f.group_rates:.3f} | "
              f"{f.grade_certain:.2f} ({f.grade_certain_wrong:.3f}) | {f.alert_certain:.2f} "
              f"({f.alert_certain_wrong:.3f}) |", flush=True)
        if f.reweighted_coverage is not None:
            print(f"  reweighted target: ci95 holds the full-panel score {f.reweighted_coverage:.3f}, rank band "
                  f"{f.reweighted_rank:.3f}, mean score less full-panel score {f.reweighted_shift:+.2f} "
                  f"(unadjusted {f.reweighted_unadjusted:+.2f})", flush=True)
        print(f"  ({f.replications} replications, {f.seconds:.0f} s)", flush=True)
    started = time.perf_counter()
    bias = simulation.trim_bias(copies=args.copies)
    print(f"share trimming 0.2: mean score at 5 ballots {bias['n5']:.3f}, at 60 {bias['n60']:.3f} "
          f"(difference {bias['n5'] - bias['n60']:+.3f}); the population's {bias['estimand']:.3f} "
          f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
