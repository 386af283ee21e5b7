"""The uncertainty rules U1 to U6 of scoring-method.md: per-cell variances, t intervals, rates' intervals, rank bands.

Everything here is deterministic arithmetic on arrays (no resampling), so an independent
implementation that follows the method's text agrees to rounding error. scipy supplies
the Student t quantiles and tail probabilities only, through ``scipy.special`` (the same
functions ``scipy.stats.t`` and ``scipy.stats.norm`` call, to the bit, without the second
it takes to import ``scipy.stats``).
"""
from __future__ import annotations

import numpy as np
from scipy import special as _special

from .stats import wilson

#: The two-sided level of every interval and of the family of comparisons behind a rank band.
LEVEL = 0.95
#: The normal quantile of the Wilson intervals (rule U3); the t quantile replaces it through
#: the Korn-Graubard adjustment of the effective sample size.
Z = float(_special.ndtri(0.5 + LEVEL / 2))  # scipy.stats.norm.ppf
#: Pseudo degrees of freedom of the pooled within-group spread that every cell's variance
#: is shrunk towards (rule U2): a unanimous group or a group of one gets an honest width.
PRIOR_DF = 1.0


def t_quantile(df: np.ndarray) -> np.ndarray:
    """The 97.5% point of Student's t with ``df`` (non-integer allowed) degrees of freedom; NaN if df <= 0."""
    df = np.asarray(df, dtype=float)
    out = np.full(df.shape, np.nan)
    ok = df > 0
    out[ok] = _special.stdtrit(df[ok], 0.5 + LEVEL / 2)  # scipy.stats.t.ppf(q, df)
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


def winsorised_squares(values: np.ndarray, proxy: np.ndarray, cell: np.ndarray, n_cells: int,
                       deviations: bool = False):
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
    squares = np.bincount(cell, weights=deviation * deviation, minlength=n_cells + 1)[:n_cells]
    return (squares, deviation) if deviations else squares


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


def panel_weights(n: np.ndarray, position: np.ndarray, panel: int, share: float) -> np.ndarray:
    """Rule 2' weights: the ballot at 0-based ``position`` of a cell of ``n`` scored ballots.

    omega(n, l) = m * sum_r psi_r * P(r - 1 of the m - 1 other panel members sit below l), the
    hypergeometric probability of drawing a random panel of m = ``panel`` of the n ballots
    that holds ballot l as its r-th lowest; psi_r = |[r-1, r) & [share*m, m - share*m]| /
    (m (1 - 2 share)) is the share-trimmed mean's weight of the panel's r-th lowest. The
    weights of a cell sum to n. Cells with n < m (never shown) weigh every ballot 1.
    """
    n = np.asarray(n, dtype=np.int64)
    position = np.asarray(position, dtype=np.int64)
    m = int(panel)
    omega = np.ones(len(n))
    if share <= 0 or m < 1:
        return omega
    cut = share * m
    edges = np.arange(m, dtype=float)
    psi = np.clip(np.minimum(edges + 1, m - cut) - np.maximum(edges, cut), 0.0, None) / (m * (1 - 2 * share))
    big = n >= m
    if not big.any():
        return omega
    nb, lb = n[big].astype(float), position[big].astype(float)
    total = np.zeros(len(nb))
    log_all = _log_choose(nb - 1, m - 1)
    for r in range(m):
        if psi[r] > 0:
            # C(l, r) C(n-1-l, m-1-r) / C(n-1, m-1): the hypergeometric probability, 0 out of range
            possible = (lb >= r) & (nb - 1 - lb >= m - 1 - r)
            with np.errstate(invalid="ignore"):
                log_p = _log_choose(lb, r) + _log_choose(nb - 1 - lb, m - 1 - r) - log_all
            total += psi[r] * np.where(possible, np.exp(np.where(possible, log_p, 0.0)), 0.0)
    omega[big] = m * total
    return omega


def _log_choose(a: np.ndarray, b: float) -> np.ndarray:
    """ln C(a, b) for a >= b >= 0 (NaN elsewhere), through the log-gamma function."""
    with np.errstate(invalid="ignore"):
        return _special.gammaln(a + 1) - _special.gammaln(b + 1) - _special.gammaln(a - b + 1)


def logit_interval(score: np.ndarray, se: np.ndarray, df: np.ndarray, low: float, high: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Rule U2's interval on the logit of the score's place in [low, high], back-transformed.

    x = (C - low)/(high - low); logit(x) +- t_df * se / ((high - low) x (1 - x)). A score on a
    bound of the scale (x = 0 or 1) or a scale of no width keeps the symmetric interval,
    clipped to [low, high]. NaN where the score is NaN.
    """
    score = np.asarray(score, dtype=float)
    span = high - low
    t = t_quantile(np.nan_to_num(df))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        half = t * se
        lo_sym = np.clip(score - half, low, high)
        hi_sym = np.clip(score + half, low, high)
        x = (score - low) / span if span > 0 else np.full(score.shape, np.nan)
        inside = (x > 0) & (x < 1)
        centre = np.log(x / (1 - x))
        spread = t * se / (span * x * (1 - x))
        lo_logit = low + span / (1 + np.exp(-(centre - spread)))
        hi_logit = low + span / (1 + np.exp(-(centre + spread)))
    use = inside & np.isfinite(spread)
    return np.where(use, lo_logit, lo_sym), np.where(use, hi_logit, hi_sym)


def mover_interval(rate: np.ndarray, share: np.ndarray, rate_g: np.ndarray, low_g: np.ndarray,
                   high_g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rule U4: a weighted mean of the groups' rates with each group's own interval (MOVER).

    low = r - sqrt(sum_g s_g^2 (r_g - low_g)^2), high = r + sqrt(sum_g s_g^2 (high_g - r_g)^2),
    over the groups with share s_g > 0, clipped to [0, 1] (Zou & Donner 2008; Newcombe 1998).
    """
    with np.errstate(invalid="ignore"):
        used = share > 0
        down = np.where(used, share ** 2 * np.nan_to_num(rate_g - low_g) ** 2, 0.0).sum(axis=1)
        up = np.where(used, share ** 2 * np.nan_to_num(high_g - rate_g) ** 2, 0.0).sum(axis=1)
        low = np.clip(rate - np.sqrt(down), 0.0, 1.0)
        high = np.clip(rate + np.sqrt(up), 0.0, 1.0)
    undefined = np.isnan(rate)
    return np.where(undefined, np.nan, low), np.where(undefined, np.nan, high)


def pair_variances(share: np.ndarray, variance: np.ndarray, df: np.ndarray, covariance: np.ndarray,
                   paired: np.ndarray, extra: np.ndarray, extra_df: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rule U5: Var(C_b - C_a) and its Welch-Satterthwaite df for every pair of ranked targets.

    ``share``, ``variance``, ``df`` (N, G): each target's group shares (0 where the group is
    not used) and its cells' variances and df (rule U2); ``covariance`` (G, N, N) the cells'
    covariances through the ballots that rated both targets; ``extra``, ``extra_df`` (N,) the
    variance of a reweighted target's adjustment (rule R) and its df; ``paired`` (G, N, N)
    whether some ballot of the group rated both. Per group the component is s_a^2 V_a +
    s_b^2 V_b - 2 s_a s_b Cov_ab (never below 0); its df is min(df_a, df_b) when the pair
    shares a ballot of the group (a paired difference), else the Welch-Satterthwaite df of
    its two parts (or the df of the one target that uses the group); the adjustments are
    components of their own.
    """
    N, G = share.shape
    sa = share.T[:, :, None]                    # (G, N, 1)
    sb = share.T[:, None, :]                    # (G, 1, N)
    va = np.nan_to_num(variance).T[:, :, None]
    vb = np.nan_to_num(variance).T[:, None, :]
    component = sa * sa * va + sb * sb * vb - 2.0 * sa * sb * covariance
    component = np.maximum(component, 0.0)
    ua, ub = (sa > 0), (sb > 0)
    da, db = df.T[:, :, None], df.T[:, None, :]
    pa, pb = sa * sa * va, sb * sb * vb
    with np.errstate(divide="ignore", invalid="ignore"):
        apart = (pa + pb) ** 2 / (np.where(pa > 0, pa ** 2 / da, 0.0) + np.where(pb > 0, pb ** 2 / db, 0.0))
    apart = np.where(np.isfinite(apart), apart, np.minimum(da, db))
    comp_df = np.where(ua & ub, np.where(paired, np.minimum(da, db), apart), np.where(ua, da, db))
    comp_df = np.broadcast_to(comp_df, component.shape)
    ea = np.broadcast_to(extra[:, None], (N, N))[None]
    eb = np.broadcast_to(extra[None, :], (N, N))[None]
    eda = np.broadcast_to(extra_df[:, None], (N, N))[None]
    edb = np.broadcast_to(extra_df[None, :], (N, N))[None]
    parts = np.concatenate([component, ea, eb], axis=0)
    parts_df = np.concatenate([comp_df, eda, edb], axis=0)
    return parts.sum(axis=0), welch_satterthwaite(parts, parts_df, axis=0)


def rank_bands(score: np.ndarray, pair_variance: np.ndarray, pair_df: np.ndarray, rank: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Best and worst plausible rank of every ranked target (rule U5).

    ``score`` (N,), ``pair_variance`` and ``pair_df`` (N, N) from :func:`pair_variances`,
    ``rank`` (N,) the published ranks. Target a is compared with every other b by a t test
    on C_b - C_a with the paired variance; within a's family of N - 1 tests Holm's step-down
    procedure at 5% decides which differences are significant. best = 1 + #(significantly
    better), worst = N - #(significantly worse), widened to hold the published rank.
    """
    n = len(score)
    best = np.ones(n, dtype=np.int64)
    worst = np.full(n, n, dtype=np.int64)
    if n < 2:
        return np.minimum(best, rank), np.maximum(worst, rank)
    alpha = 1.0 - LEVEL
    # Row a, column b: the test of C_b - C_a; the diagonal is left out of every family.
    others = ~np.eye(n, dtype=bool)
    difference = (score[None, :] - score[:, None])[others].reshape(n, n - 1)  # > 0: b is better than a
    variance = pair_variance[others].reshape(n, n - 1)
    df = pair_df[others].reshape(n, n - 1)
    p = np.ones((n, n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.abs(difference) / np.sqrt(variance)
    testable = (variance > 0) & (df > 0)
    p[testable] = 2.0 * _special.stdtr(df[testable], -statistic[testable])  # scipy.stats.t.sf
    # No variance at all (a degenerate scale): a difference is certain, equality is not one.
    p[(variance == 0) & (difference != 0)] = 0.0
    # Holm within each row: the i-th smallest p (i from 0) is significant while p <= alpha / (m - i).
    m = n - 1
    order = np.argsort(p, axis=1, kind="stable")
    passes = np.take_along_axis(p, order, axis=1) <= alpha / (m - np.arange(m))[None, :]
    stop = np.where(passes.all(axis=1), m, np.argmin(passes, axis=1))
    significant = np.zeros((n, m), dtype=bool)
    np.put_along_axis(significant, order, np.arange(m)[None, :] < stop[:, None], axis=1)
    best = 1 + np.count_nonzero(significant & (difference > 0), axis=1)
    worst = n - np.count_nonzero(significant & (difference < 0), axis=1)
    return np.minimum(best, rank), np.maximum(worst, rank)
