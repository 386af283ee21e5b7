"""Published intervals hold the truth about 95% of the time, in appraisals simulated from a known truth.

See simulation.py for the model: respondents with a personal leniency (the answers of one
ballot are correlated), groups of 7 to 60, don't-knows and blanks, with and without
trimming. Figures are printed and listed in the terminal summary; the README quotes them.
"""
from __future__ import annotations

import pytest

from . import simulation

#: 2 designs x 90 appraisals x 12 targets = 2,160 intervals of each kind per setting.
REPLICATIONS = 90


@pytest.fixture(scope="module", params=[0, 1], ids=["no-trim", "trim-1"])
def measured(request, coverage_figures):
    trim = request.param
    result = simulation.coverage(seed=2026 + trim, trim=trim, replications=REPLICATIONS)
    line = (f"trim={trim}: composite ci95 {result.composite:.3f}, target rates {result.satisfaction:.3f}, "
            f"group rates {result.group_rates:.3f}, rank band {result.rank:.3f} (median width "
            f"{result.median_rank_band:.0f} of 12), exact rank {result.exact_rank:.3f}; "
            f"{result.intervals} target intervals")
    print("\ncoverage " + line)
    coverage_figures.append(line)
    return result


def test_composite_interval_holds_the_true_score(measured):
    assert 0.92 <= measured.composite <= 0.975


def test_rate_intervals_hold_the_true_rates(measured):
    assert 0.92 <= measured.satisfaction <= 0.975
    assert 0.92 <= measured.group_rates <= 0.975


def test_rank_band_holds_the_true_rank(measured):
    assert measured.rank >= 0.95
    # ... while a bare rank is right far less often: the band is needed.
    assert measured.exact_rank < 0.8
