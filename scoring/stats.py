"""Textbook formulas the method cites (Wilson, Cronbach, Bliese), on arrays, NaN where undefined."""
from __future__ import annotations

import numpy as np

Z95 = 1.96


def wilson(successes: np.ndarray, n: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson (1927) score interval for a proportion: (low, high), NaN where n = 0."""
    successes = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = successes / n
        z2n = z * z / n
        centre = (p + z2n / 2) / (1 + z2n)
        half = z / (1 + z2n) * np.sqrt(p * (1 - p) / n + z2n / (4 * n))
        low, high = centre - half, centre + half
    # At p = 0 or 1 a bound is exactly 0 or 1; floating point would miss it by an ulp.
    low[successes == 0] = 0.0
    high[successes == n] = 1.0
    undefined = ~(n > 0)
    low[undefined] = np.nan
    high[undefined] = np.nan
    return np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)


def grouped_variance(group: np.ndarray, values: np.ndarray, n_groups: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(count, mean, sum of squared deviations) per group, two-pass for accuracy."""
    count = np.bincount(group, minlength=n_groups).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(group, weights=values, minlength=n_groups) / count
    deviation = values - mean[group]
    squares = np.bincount(group, weights=deviation * deviation, minlength=n_groups)
    return count, mean, squares


def cronbach_alpha(count: np.ndarray, item_squares: np.ndarray, total_squares: np.ndarray
                   ) -> np.ndarray:
    """Cronbach (1951) alpha per group, from complete responses only.

    ``count`` is one more than the degrees of freedom of the sums of squares (the number of
    complete responses, or with centring within targets that number less the targets
    plus 1), ``item_squares`` (items x groups) each item's sum of squared deviations,
    ``total_squares`` that of the responses' item totals (the degrees of freedom cancel in
    the ratio). NaN when fewer than 2 items or count < 2, or when the total has no variance.
    """
    k = len(item_squares)
    if k < 2:
        return np.full(len(count), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = k / (k - 1) * (1 - item_squares.sum(axis=0) / total_squares)
    alpha[(count < 2) | ~(total_squares > 0)] = np.nan
    return alpha


def icc1_icck(n: np.ndarray, mean: np.ndarray, squares: np.ndarray) -> tuple[float, float]:
    """ICC(1) and ICC(1,k) of a one-way random-effects ANOVA (Bliese 2000).

    Inputs are per target (the classes): number of scores, their mean, and the sum of
    squared deviations from it. k is the mean class size, as in Bliese's ``multilevel``
    package; ICC(1,k) is his ICC(2). Both are truncated at 0 (rule U6). NaN when undefined (fewer than 2 classes, no
    within-class degrees of freedom, or no between-class variance).
    """
    present = n > 0
    n, mean, squares = n[present], mean[present], squares[present]
    classes, total = len(n), float(n.sum())
    if classes < 2 or total - classes < 1:
        return np.nan, np.nan
    grand = float((n * mean).sum() / total)
    ms_between = float((n * (mean - grand) ** 2).sum()) / (classes - 1)
    ms_within = float(squares.sum()) / (total - classes)
    k = total / classes
    denominator = ms_between + (k - 1) * ms_within
    # A negative estimate says the between-target variance is estimated below zero: its
    # value is 0, not (as small designs can give) -6.5, outside the range of a correlation.
    icc1 = max(0.0, (ms_between - ms_within) / denominator) if denominator > 0 else np.nan
    icck = max(0.0, (ms_between - ms_within) / ms_between) if ms_between > 0 else np.nan
    return icc1, icck
