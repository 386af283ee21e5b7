"""The uncertainty rules U1 to U6 of scoring-method.md: per-cell variances, t intervals, rates' intervals, rank bands.

Everything here is deterministic arithmetic on arrays (no resampling), so an independent
implementation that follows the method's text agrees to rounding error. scipy supplies
the Student t quantiles and tail probabilities only.
"""
from __future__ import annotations

import numpy as np
from scipy import stats as _stats

from .stats import wilson

#: The two-sided level of every interval and of the family of comparisons behind a rank band.
LEVEL = 0.95
#: The normal quantile of the Wilson intervals (rule U3); the t quantile replaces it through
#: the Korn-Graubard adjustment of the effective sample size.
Z = float(_stats.norm.ppf(0.5 + LEVEL / 2))
#: Pseudo degrees of freedom of the pooled within-group spread that every cell's variance
#: is shrunk towards (rule U2): a unanimous group or a group of one gets an honest width.
PRIOR_DF = 1.0


def t_quantile(df: np.ndarray) -> np.ndarray:
    """The 97.5% point of Student's t with ``df`` (non-integer allowed) degrees of freedom; NaN if df <= 0."""
    df = np.asarray(df, dtype=float)
    out = np.full(df.shape, np.nan)
    ok = df > 0
    out[ok] = _stats.t.ppf(0.5 + LEVEL / 2, df[ok])
    return out


def welch_satterthwaite(variance: np.ndarray, df: np.ndarray, axis: int = -1) -> np.ndarray:
    """df = (sum V)^2 / sum(V^2 / df) over ``axis``; components with V = 0 take no part.

    A component with V > 0 and df <= 0 makes the whole df 0 (no interval); all V = 0 gives NaN.
    """
    variance = np.asarray(variance, dtype=float)
    df = np.asarray(df, dtype=float)
    positive = variance > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        parts = np.where(positive, variance ** 2 / np.where(df > 0, df, np.nan), 0.0)
        total = variance.sum(axis=axis)
        result = total ** 2 / parts.sum(axis=axis)
    broken = (positive & ~(df > 0)).any(axis=axis)
    result = np.where(broken, 0.0, result)
    return np.where(total > 0, result, np.nan)


def winsorised_squares(values: np.ndarray, proxy: np.ndarray, cell: np.ndarray, n_cells: int) -> np.ndarray:
    """Per cell: the sum of squared deviations of the winsorised linearised values (rule U1).

    ``proxy[r]`` is the response whose value stands in for response ``r`` (itself when kept,
    the nearest kept response in ballot-score order when trimmed); ``cell[r]`` is r's cell,
    ``n_cells`` for responses outside every cell.
    """
    w = values[proxy]
    count = np.bincount(cell, minlength=n_cells + 1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(cell, weights=w, minlength=n_cells + 1) / count
    deviation = w - mean[cell]
    return np.bincount(cell, weights=deviation * deviation, minlength=n_cells + 1)[:n_cells]


def rate_interval(rate: np.ndarray, n_eff: np.ndarray, df: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wilson interval at ``rate`` on the Korn-Graubard sample size n_eff * (Z / t_df)^2 (rule U3).

    NaN where ``rate`` is NaN; [0, 1] where df <= 0 (one ballot says nothing of the spread).
    """
    rate = np.asarray(rate, dtype=float)
    t = t_quantile(df)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_star = n_eff * (Z / t) ** 2
        successes = np.where(rate == 1.0, n_star, rate * n_star)
    low, high = wilson(np.nan_to_num(successes), np.nan_to_num(n_star), z=Z)
    no_df = ~(df > 0) & ~np.isnan(rate)
    low = np.where(no_df, 0.0, low)
    high = np.where(no_df, 1.0, high)
    undefined = np.isnan(rate)
    return np.where(undefined, np.nan, low), np.where(undefined, np.nan, high)


def rank_bands(score: np.ndarray, variance: np.ndarray, df: np.ndarray, rank: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Best and worst plausible rank of every ranked target (rule U5).

    ``score`` (N,), ``variance`` and ``df`` (N, G: the per-group components of each
    composite's variance and their degrees of freedom), ``rank`` (N,) the published ranks.
    Target a is compared with every other b by Welch's t test on C_a - C_b; within a's
    family of N - 1 tests Holm's step-down procedure at 5% decides which differences are
    significant. best = 1 + #(significantly better), worst = N - #(significantly worse),
    widened to hold the published rank.
    """
    n = len(score)
    best = np.ones(n, dtype=np.int64)
    worst = np.full(n, n, dtype=np.int64)
    if n < 2:
        return np.minimum(best, rank), np.maximum(worst, rank)
    alpha = 1.0 - LEVEL
    total = variance.sum(axis=1)
    for a in range(n):
        others = np.flatnonzero(np.arange(n) != a)
        difference = score[others] - score[a]  # > 0: b is better than a
        pair_variance = total[others] + total[a]
        components = np.concatenate([variance[others], np.broadcast_to(variance[a], (len(others), variance.shape[1]))],
                                    axis=1)
        component_df = np.concatenate([df[others], np.broadcast_to(df[a], (len(others), df.shape[1]))], axis=1)
        pair_df = welch_satterthwaite(components, component_df, axis=1)
        p = np.ones(len(others))
        with np.errstate(divide="ignore", invalid="ignore"):
            statistic = np.abs(difference) / np.sqrt(pair_variance)
        testable = (pair_variance > 0) & (pair_df > 0)
        p[testable] = 2.0 * _stats.t.sf(statistic[testable], pair_df[testable])
        # No variance at all (a degenerate scale): a difference is certain, equality is not one.
        p[(pair_variance == 0) & (difference != 0)] = 0.0
        # Holm: the i-th smallest p (i from 0) is significant while p <= alpha / (m - i).
        m = len(p)
        order = np.argsort(p, kind="stable")
        passes = p[order] <= alpha / (m - np.arange(m))
        stop = int(np.argmin(passes)) if not passes.all() else m
        significant = np.zeros(m, dtype=bool)
        significant[order[:stop]] = True
        best[a] = 1 + int(np.count_nonzero(significant & (difference > 0)))
        worst[a] = n - int(np.count_nonzero(significant & (difference < 0)))
    return np.minimum(best, rank), np.maximum(worst, rank)
