"""The method of scoring-method.md, vectorised: answers and a method in, the results.json dictionary out.

Rule numbers in comments refer to the numbered definitions of scoring-method.md.

Where the method's text leaves a choice, this is how it is read (and tested):

- ``ballots`` counts the distinct ballot ids that have at least one row in the input,
  before any exclusion; ``excluded`` is the number of flagged ballots removed (0 unless
  ``exclude_flagged``).
- Cell statistics, satisfaction and the diagnostics use the kept ballots only (rule 2),
  so the ``dk`` of a cell counts the "don't know" answers of kept ballots.
- A ballot whose valid answers all sit on items of weight 0 has no score (rule 1's
  denominator is 0); a dimension or group whose weights sum to 0 is undefined.
- A group is used in rule 8 when it is not suppressed, has ``w_g > 0`` and a defined
  ``S(t,g)``; ``reweighted`` is true when some group with ``w_g > 0`` is not used.
- Every per-group rate has a Wilson interval: ``satisfaction_ci95`` and
  ``dissatisfaction_ci95``; a target's rates combine them (rule U4, MOVER).
- A group's ``n`` counts its respondents (scored ballots before trimming, rule 7);
  ``kept`` is the kept weight h. With share trimming (rule 2') every answer counts its
  ballot's panel weight and the variances come from a delete-one jackknife.
- The published score of a reweighted target carries rule R's adjustment; the rank band
  (rule U5) uses the paired variance of each difference, through the ballots that rated
  both targets. Grades and alerts carry their doubt (rule G), ranked targets their place
  in the funnel (rule F).
- The diagnostics use only the (target, group) cells that are shown: a suppressed
  group "shows no figures anywhere", so its ballots reach no alpha or ICC either.
  Cronbach's alpha takes one row per (ballot, target) with every item of the dimension
  answered validly; ICC(1,k) uses k = the mean number of ballots per target.
- Ties in trimming are ballot scores equal to 1e-9 of the scale's largest points;
  grades, alerts and the 2-decimal rounding of ranks (half up, 四舍五入) compare the
  score at 12 significant digits, so float noise never moves a target across a line.
- Every target in the answers' target table is listed; one without a usable group
  gets nulls. Groups are listed in method order, items and dimensions likewise.
Hot-path work is a handful of passes over the item x response choice matrix
(numpy gathers and ``np.bincount`` histograms); Python loops run only over items,
dimensions, groups and targets, and over the output.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

import numpy as np
from scipy import special as _special

from .answers import Answers
from .method import Method
from .stats import cronbach_alpha, grouped_variance, icc1_icck
from .uncertainty import (PRIOR_DF, Z, logit_interval, mover_interval, pair_variances, panel_weights,
                          rank_bands, rate_interval, welch_satterthwaite, winsorised_squares)

#: Ballot scores closer than this fraction of the largest |points| are a tie in rule 2,
#: so that the order of rows (and thus of floating-point sums) cannot decide who is dropped.
TIE_RESOLUTION = 1e-9
#: Significant digits at which a score meets a grade band, an alert threshold or the
#: 2-decimal rounding of rule 13: far below any shown digit, far above float noise.
COMPARE_DIGITS = 12


class TargetArrays(NamedTuple):
    """Every per-target array that rules 8 to 13, R, G, U4, U5 and F turn into results.json.

    T targets, G groups, J items, D dimensions; rates come as (rate, low, high) triples.
    """
    composite: np.ndarray            # (T,) published score C(t), adjusted by rule R
    composite_used: np.ndarray       # (T,) rule 8's composite over the groups used
    se: np.ndarray                   # (T,)
    df: np.ndarray                   # (T,)
    ci_low: np.ndarray               # (T,)
    ci_high: np.ndarray              # (T,)
    share: np.ndarray                # (T, G) w_g / sum w over the groups used, 0 elsewhere
    cell_variance: np.ndarray        # (T, G) V(t,g) of rule U2
    cell_df: np.ndarray              # (T, G)
    covariance: np.ndarray           # (G, T, T) rule U5's paired covariances
    paired: np.ndarray               # (G, T, T) bool: some ballot of g rated both targets
    adjustment: np.ndarray           # (T,) rule R
    adjustment_variance: np.ndarray  # (T,)
    adjustment_df: np.ndarray        # (T,)
    no_reference: np.ndarray         # (T,) bool: reweighted with no reference, unranked
    reweighted: np.ndarray           # (T,) bool
    satisfaction: np.ndarray         # (T,)
    satisfaction_ci95: tuple         # ((T,), (T,))
    dissatisfaction: np.ndarray      # (T,)
    dissatisfaction_ci95: tuple      # ((T,), (T,))
    dimensions: np.ndarray           # (T, D)
    respondents: np.ndarray          # (T, G) scored ballots, rule 7
    kept: np.ndarray                 # (T, G) kept weight h(t,g)
    suppressed: np.ndarray           # (T, G) bool
    group_score: np.ndarray          # (T, G)
    sat: tuple                       # (T, G) x 3
    dis: tuple                       # (T, G) x 3
    group_dimensions: np.ndarray     # (T, G, D)
    item_n: np.ndarray               # (J, T, G)
    item_mean: np.ndarray            # (J, T, G)
    item_dk: np.ndarray              # (J, T, G)
    item_figures: dict               # rule 14: {target: {item: figures}}


def score(answers: Answers, method: Method) -> dict:
    """Score ``answers`` by ``method``; raise :class:`InputError` on answers the method rejects."""
    structure = answers.structure()
    codes = _CodeMap(answers, method, structure)
    return _Scoring(answers, method, structure, codes).results()


#: responses from which the diagnostics are computed in a second thread, and the passes over
#: the items split in two halves of the responses (or items), one per core
PARALLEL_FROM = 200_000


def _in_halves(work, n: int, responses: int | None = None) -> None:
    """``work(start, stop)`` over [0, n): on a large count of responses (``n`` unless
    given), the two halves at once on two cores (numpy lets go of the interpreter in its
    loops). Each entry gets the same operations in the same order either way, so the
    figures are the same to the bit."""
    if (n if responses is None else responses) < PARALLEL_FROM or n < 2 or (os.cpu_count() or 1) < 2:
        work(0, n)
        return
    half = n // 2
    with ThreadPoolExecutor(max_workers=1) as helper:
        other = helper.submit(work, half, n)
        work(0, half)
        other.result()


class _CodeMap:
    """Answer code tables mapped onto the method's items, options and groups."""

    def __init__(self, a: Answers, m: Method, structure) -> None:
        problems = list(structure.problems)
        items = {x.code: j for j, x in enumerate(m.items)}
        options = {x.code: k for k, x in enumerate(m.options)}
        groups = {x.code: g for g, x in enumerate(m.groups)}

        # Unknown codes cost nothing unless a code table holds one; then find its first row.
        self.item = np.array([items.get(c, -1) for c in a.item_codes.tolist()], dtype=np.int64)
        for k in np.flatnonzero(self.item < 0):
            rows = np.flatnonzero(a.item == k)
            if len(rows):
                problems.append((int(rows[0]), f"unknown item '{a.item_codes[k]}'"))
        self.option = np.array([options.get(c, -1) for c in a.option_codes.tolist()],
                               dtype=np.int64)
        for k in np.flatnonzero(self.option < 0):
            rows = np.flatnonzero(a.option == k)
            if len(rows):
                i = int(rows[0])
                problems.append((i, f"unknown option '{a.option_codes[k]}' for item "
                                    f"{a.item_codes[a.item[i]]}"))
        self.group = np.array([groups.get(c, -1) for c in a.group_codes.tolist()], dtype=np.int64)
        for k in np.flatnonzero(self.group < 0):
            if a.group is not None:
                rows = np.flatnonzero(a.group == k)
            else:
                rows = np.flatnonzero(a.group_of_ballot[a.ballot] == k)
            if len(rows):
                problems.append((int(rows[0]), f"unknown group '{a.group_codes[k]}'"))
        if problems:
            index, reason = min(problems)
            raise a.error(index, reason)

        # The choice matrix row of each method item (-1: nobody answered it).
        self.row_of_item = np.full(len(m.items), -1, dtype=np.int64)
        known = self.item >= 0
        self.row_of_item[self.item[known]] = np.flatnonzero(known)

        # Rule 14: a target-specific item is answered for its own target only.
        targets = {c: t for t, c in enumerate(a.target_codes.tolist())}
        for j, x in enumerate(m.items):
            row = self.row_of_item[j]
            if x.target is None or row < 0:
                continue
            owner = targets.get(x.target, -1)
            if np.any((structure.choice[row] != 0) & (structure.response_target != owner)):
                index = int(np.flatnonzero((a.item == row) & (a.target != owner))[0])
                raise a.error(index, f"item '{x.code}' is asked of target '{x.target}' only")
        # Per choice code (0 no row, 1 empty, 2 + k answer option k): the method option.
        self.option_of_choice = np.concatenate(([-1, -1], self.option))


class _Scoring:
    def __init__(self, a: Answers, m: Method, structure, codes: _CodeMap) -> None:
        self.a, self.m, self.s, self.codes = a, m, structure, codes
        self.n_targets = len(a.target_codes)
        self.n_groups = len(m.groups)
        self.n_cells = self.n_targets * self.n_groups

        # Per choice code: points (NaN unless valid), valid, don't know, satisfied, dissatisfied.
        option_of = codes.option_of_choice
        points = np.array([np.nan if o.points is None else o.points for o in m.options] + [np.nan])
        self.points = points[option_of]  # index -1 picks the NaN appended above
        self.valid = ~np.isnan(self.points)
        self.points0 = np.where(self.valid, self.points, 0.0)
        answered = option_of >= 0
        self.dont_know = answered & ~self.valid
        in_list = lambda codes_: np.isin([o.code for o in m.options], codes_).tolist() + [False]
        self.satisfied = np.array(in_list(m.satisfied))[option_of] & answered
        self.dissatisfied = np.array(in_list(m.dissatisfied))[option_of] & answered

        self.item_weight = np.array([x.weight for x in m.items])
        self.dimension_weight = np.array([x.weight for x in m.dimensions])
        self.group_weight = np.array([x.weight for x in m.groups])
        dimension_index = {x.code: d for d, x in enumerate(m.dimensions)}
        self.item_dimension = np.array([dimension_index[x.dimension] for x in m.items])

    def rows(self):
        """(method item index, its row of the choice matrix) for the items someone answered."""
        for j, row in enumerate(self.codes.row_of_item.tolist()):
            if row >= 0:
                yield j, self.s.choice[row]

    # -- rule 3: straight-lining --------------------------------------------------------

    def flag_straightliners(self) -> np.ndarray:
        """Per ballot: at least straightline_min_answers valid answers, all the same option."""
        s = self.s
        n_ballots = len(self.a.ballot_ids)
        # Usually response i is ballot i; otherwise add a ballot's responses up.
        one_per_ballot = (len(s.response_ballot) == n_ballots
                          and np.array_equal(s.response_ballot, np.arange(n_ballots)))
        n_valid = np.zeros(n_ballots)
        most = np.zeros(n_ballots)
        for code in np.flatnonzero(self.valid).tolist():
            count = np.count_nonzero(s.choice == code, axis=0).astype(float)
            if not one_per_ballot:
                count = np.bincount(s.response_ballot, weights=count, minlength=n_ballots)
            n_valid += count
            np.maximum(most, count, out=most)
        return (n_valid >= self.m.straightline_min_answers) & (most == n_valid)

    # -- rule 1: ballot scores ----------------------------------------------------------

    def ballot_scores(self, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # One complex gather per item carries both sums: numerator + i * denominator.
        n = len(self.s.response_ballot)
        sums = np.zeros(n, dtype=complex)
        terms = [((self.item_weight[j] * self.points0 + 1j * self.item_weight[j] * self.valid), row)
                 for j, row in self.rows()]

        def add(start: int, stop: int) -> None:
            part = sums[start:stop]
            for term, row in terms:
                part += term[row[start:stop]]

        _in_halves(add, n)
        numerator, denominator = sums.real, sums.imag
        scored = active & (denominator > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ballot_score = np.where(scored, numerator / denominator, np.nan)
        return ballot_score, scored

    def response_counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per response: valid, satisfied and dissatisfied answers (rule U3's x, y).

        One int64 gather per item carries the three counts in fields of 21 bits each.
        """
        packed = (self.valid.astype(np.int64) | (self.satisfied.astype(np.int64) << 21)
                  | (self.dissatisfied.astype(np.int64) << 42))
        n = len(self.s.response_ballot)
        total = np.zeros(n, dtype=np.int64)
        rows = [row for _, row in self.rows()]

        def add(start: int, stop: int) -> None:
            part = total[start:stop]
            for row in rows:
                part += packed[row[start:stop]]

        _in_halves(add, n)
        mask = (1 << 21) - 1
        return ((total & mask).astype(float), ((total >> 21) & mask).astype(float),
                (total >> 42).astype(float))

    # -- rule 2: trimming -----------------------------------------------------------------

    def trim(self, ballot_score: np.ndarray, scored: np.ndarray, cell: np.ndarray):
        """Rule 2 or 2': each response's weight, its winsorising proxy (rule U1), and the cell order.

        The weight is 1 for a kept ballot, 0 for a dropped or unscored one, and with share
        trimming (rule 2') the panel weight of the ballot's place in its cell. The proxy of a
        dropped response is the kept response next to it in the cell's order (the k-th
        lowest or highest kept); every other response is its own proxy. The order (None
        without trimming) is (responses in cell order, their cell sizes, their positions).
        """
        weight = scored.astype(float)
        proxy = np.arange(len(scored))
        k, share = self.m.trim, self.m.trim_share
        if (k == 0 and share == 0) or not scored.any():
            return weight, proxy, None
        index = np.flatnonzero(scored)
        span = max((abs(o.points) for o in self.m.options if o.points is not None), default=1.0)
        tie_key = np.rint(ballot_score[index] / (TIE_RESOLUTION * (span or 1.0)))
        # Ascending by (cell, score, ballot id): the first k of a cell are the lowest with
        # the smaller id first, the last k the highest with the larger id last. Responses
        # are numbered in ballot id order, so the position in ``index`` stands for the id.
        # Packed into one int64 when the three fit, a plain sort beats a three-key lexsort.
        tie_key -= tie_key.min()
        bits = [int(self.n_cells).bit_length(), int(tie_key.max()).bit_length(),
                int(len(index)).bit_length()]
        if sum(bits) <= 63:
            packed = cell[index].astype(np.int64) << (bits[1] + bits[2])
            packed |= tie_key.astype(np.int64) << bits[2]
            packed |= np.arange(len(index), dtype=np.int64)
            packed.sort()
            order = packed & ((1 << bits[2]) - 1)
        else:
            order = np.lexsort((np.arange(len(index)), tie_key, cell[index]))
        sorted_cell = cell[index][order]
        size = np.bincount(sorted_cell, minlength=self.n_cells)
        first = np.cumsum(size) - size
        position = np.arange(len(order)) - first[sorted_cell]
        n = size[sorted_cell]
        if share > 0:
            weight[index[order]] = panel_weights(n, position, self.m.min_group_size, share)
            return weight, proxy, (index[order], n, position)
        low, high = (n > 2 * k) & (position < k), (n > 2 * k) & (position >= n - k)
        drop = low | high
        weight[index[order[drop]]] = 0.0
        start = first[sorted_cell]
        stand_in = np.where(low, start + k, np.where(high, start + n - k - 1, np.arange(len(order))))
        proxy[index[order]] = index[order[stand_in]]
        return weight, proxy, (index[order], n, position)

    # -- rule 4: cell statistics --------------------------------------------------------

    def histogram(self, kept: np.ndarray, cell: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
        """Answers per (item, cell, choice code) of the kept responses; shape (J, T*G, codes).

        With ``weight``, each answer counts its response's weight (rule 2').
        """
        n_codes = len(self.points)
        # Responses not kept go to an extra cell that is cut off afterwards: no masking pass.
        base = np.where(kept, cell, self.n_cells) * n_codes
        histogram = np.zeros((len(self.m.items), self.n_cells, n_codes))
        size = (self.n_cells + 1) * n_codes
        items = list(self.rows())

        def count(start: int, stop: int) -> None:  # whole items: each one's sums as before
            for j, row in items[start:stop]:
                counts = np.bincount(base + row, weights=weight, minlength=size)
                histogram[j] = counts[:self.n_cells * n_codes].reshape(self.n_cells, n_codes)

        _in_halves(count, len(items), responses=len(base))
        return histogram

    # -- rules U1 and U2: linearisation and the cell variances -------------------------

    def linearised_scores(self, kept_cell, n_ballots, n_valid, item_mean, has, dim_weight, u) -> np.ndarray:
        """Per response: its linearised value e(i) for S(t,g); 0 for responses not kept.

        S(t,g) = sum_j c_j * mean_j with c_j = (u_d / sum u) * (a_j / sum_{j in d} a_j), and
        e(i) = sum_j c_j * (h / n_j) * v_ij * (p_ij - mean_j), so that sum_i e(i) = 0 and
        S - S_true ~ mean of e.
        """
        J, cells = n_valid.shape
        with np.errstate(divide="ignore", invalid="ignore"):
            dimension_share = u / u.sum(axis=1, keepdims=True)                 # (cells, D)
            item_share = self.item_weight[:, None] * has / dim_weight.T[self.item_dimension]
            coefficient = item_share * dimension_share.T[self.item_dimension] * n_ballots / n_valid
        coefficient = np.where(has, np.nan_to_num(coefficient), 0.0)
        coefficient = np.concatenate([coefficient, np.zeros((J, 1))], axis=1)
        centre = np.concatenate([np.where(has, item_mean, 0.0), np.zeros((J, 1))], axis=1)
        # Per item, a (cell, choice code) table of the term, so each item costs one gather.
        n_codes = len(self.points)
        term = coefficient[:, :, None] * (self.points0[None, None, :]
                                          - centre[:, :, None] * self.valid[None, None, :])
        base = kept_cell * n_codes
        linear = np.zeros(len(kept_cell))
        rows = list(self.rows())

        def add(start: int, stop: int) -> None:
            part = linear[start:stop]
            for j, row in rows:
                part += term[j].ravel()[base[start:stop] + row[start:stop]]

        _in_halves(add, len(linear))
        return linear

    def points_range(self) -> tuple[float, float]:
        points = [o.points for o in self.m.options if o.points is not None]
        return (min(points), max(points)) if points else (0.0, 0.0)

    def score_variance(self, squares, h, shown_cell) -> tuple[np.ndarray, np.ndarray]:
        """Rule U2 per cell: Var(S(t,g)) with the prior spread, and its degrees of freedom."""
        G = self.n_groups
        group_of_cell = np.arange(self.n_cells) % G
        pooled_squares = np.bincount(group_of_cell, weights=np.where(shown_cell, squares, 0.0), minlength=G)
        pooled_df = np.bincount(group_of_cell, weights=np.where(shown_cell, h - 1, 0.0), minlength=G)
        everything = pooled_squares.sum() / pooled_df.sum() if pooled_df.sum() > 0 else 0.0
        if not everything > 0:
            low, high = self.points_range()
            everything = ((high - low) / 4) ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            prior = np.where((pooled_df > 0) & (pooled_squares > 0), pooled_squares / pooled_df, everything)
            variance = (squares + PRIOR_DF * prior[group_of_cell]) / (h - 1 + PRIOR_DF) / h
        variance[~(h >= 1)] = np.nan
        return variance, h - 1 + PRIOR_DF

    # -- everything ---------------------------------------------------------------------

    def jackknife(self, order, cell) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rule U1 with share trimming: delete-one jackknife values of S(t,g), sat and dis per response.

        Deleting the ballot at place i of a cell of n leaves n - 1 ballots with the panel
        weights of a cell of n - 1 (those below i keep their place, those above move down
        one). e(i) = (n - 1) * (mean of the cell's S^(-i) - S^(-i)); likewise for the rates.
        Prefix and suffix sums within each cell give every S^(-i) in one pass per item.
        """
        responses, n, position = order
        R = len(self.s.response_ballot)
        share, m = self.m.trim_share, self.m.min_group_size
        below = np.where(position <= n - 2, panel_weights(n - 1, position, m, share), 0.0)
        above = np.where(position >= 1, panel_weights(n - 1, np.maximum(position - 1, 0), m, share), 0.0)
        start = np.arange(len(responses)) - position
        end = start + n

        def leave_one_out(x):
            a = np.concatenate(([0.0], np.cumsum(below * x)))
            b = np.concatenate(([0.0], np.cumsum(above * x)))
            idx = np.arange(len(x))
            return (a[idx] - a[start]) + (b[end] - b[idx + 1])

        D = len(self.m.dimensions)
        # Per dimension, the sums of rule 5 over its items, item by item (rows of length R).
        dim_sum = np.zeros((D, len(responses)))
        dim_weight = np.zeros((D, len(responses)))
        for j, row in self.rows():
            choice = row[responses]
            denominator = leave_one_out(self.valid[choice].astype(float))
            has = denominator > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                mean = np.where(has, leave_one_out(self.points0[choice]) / denominator, 0.0)
            d = self.item_dimension[j]
            dim_sum[d] += self.item_weight[j] * mean
            dim_weight[d] += self.item_weight[j] * has
        with np.errstate(divide="ignore", invalid="ignore"):
            defined = dim_weight > 0
            dims = np.where(defined, dim_sum / dim_weight, 0.0)
            u = self.dimension_weight[:, None] * defined
            loo = (dims * u).sum(axis=0) / u.sum(axis=0)
        n_answers, n_sat, n_dis = self.response_counts()
        x = leave_one_out(n_answers[responses])
        with np.errstate(divide="ignore", invalid="ignore"):
            loo_sat = leave_one_out(n_sat[responses]) / x
            loo_dis = leave_one_out(n_dis[responses]) / x
        sorted_cell = cell[responses]
        out = []
        for value in (loo, loo_sat, loo_dis):
            value = np.where(np.isfinite(value) & (n > 1), value, np.nan)
            ok = ~np.isnan(value)
            total = np.bincount(sorted_cell, weights=np.where(ok, value, 0.0), minlength=self.n_cells)
            count = np.bincount(sorted_cell, weights=ok.astype(float), minlength=self.n_cells)
            with np.errstate(divide="ignore", invalid="ignore"):
                centre = total / count
            e = np.where(ok, (n - 1) * (centre[sorted_cell] - value), 0.0)
            full = np.zeros(R)
            full[responses] = e
            out.append(full)
        return out[0], out[1], out[2]

    def pair_covariance(self, deviation, scored, cell, used_cell, h) -> tuple[np.ndarray, np.ndarray]:
        """Rule U5: (G, T, T) covariances of S(a,g) and S(b,g) through the ballots that rated both,
        and (G, T, T) whether any ballot of g is scored for both.

        Cov = sum over the ballots of g scored for a and b of d(i,a) d(i,b) / (h(a,g) h(b,g)),
        d = the winsorised linearised value less its cell mean (rule U1); 0 where a cell is
        not used.
        """
        from scipy import sparse

        s, G, T = self.s, self.n_groups, self.n_targets
        covariance = np.zeros((G, T, T))
        paired = np.zeros((G, T, T), dtype=bool)
        take = scored & np.append(used_cell, False)[np.where(scored, cell, self.n_cells)]
        if not take.any():
            return covariance, paired
        ballot = s.response_ballot[take]
        if np.bincount(ballot).max() < 2:  # every ballot rated one target: nothing is shared
            return covariance, paired
        target = s.response_target[take]
        group = cell[take] % G
        value = deviation[take]
        for g in range(G):
            mine = group == g
            if not mine.any():
                continue
            matrix = sparse.csr_matrix((value[mine], (ballot[mine], target[mine])),
                                       shape=(len(self.a.ballot_ids), T))
            product = (matrix.T @ matrix).toarray()
            present = sparse.csr_matrix((np.ones(int(mine.sum())), (ballot[mine], target[mine])),
                                        shape=(len(self.a.ballot_ids), T))
            paired[g] = (present.T @ present).toarray() > 0
            hg = h.reshape(T, G)[:, g]
            with np.errstate(divide="ignore", invalid="ignore"):
                covariance[g] = np.nan_to_num(product / np.outer(hg, hg))
        return covariance, paired

    def adjustments(self, group_score, used, composite) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Rule R: the adjustment of a reweighted target for its missing groups.

        For target t with used groups U and a missing group g (w_g > 0, not used), the
        references are the other targets that use every group of U and g; d_r = S(r,g) -
        C_U(r) (C_U: the composite over U alone). Delta_g = mean of d_r, s_g^2 their sample
        variance. Delta_g is bounded so that the missing group's implied score C_U(t) + Delta_g
        lies on the scale [P_min, P_max]: then C(t) is a weighted mean of points on the scale.
        adjustment = sum_g (w_g / W) Delta_g, W the weight of all groups with
        w > 0; its variance sum_g (w_g / W)^2 s_g^2 (1 + 1/R_g), df = min_g (R_g - 1). A
        missing group that fewer than 2 other targets use is no part of the campaign's common
        footing and is passed over; one that 2 or more use but with fewer than 2 references
        leaves the target out of the ranking.
        Returns (adjustment, variance, df, no_reference) per target.
        """
        T = self.n_targets
        w = self.group_weight
        adjustment = np.zeros(T)
        variance = np.zeros(T)
        df = np.full(T, np.inf)
        no_reference = np.zeros(T, dtype=bool)
        W = w[w > 0].sum()
        low, high = self.points_range()
        cache = {}
        for t in range(T):
            if np.isnan(composite[t]):
                continue
            U = used[t]
            missing = np.flatnonzero((w > 0) & ~U)
            if not len(missing):
                continue
            wu = np.where(U, w, 0.0)
            for g in missing.tolist():
                if np.count_nonzero(used[:, g]) < 2:
                    continue  # (t itself does not use g) too few targets have g: not the common footing
                key = (U.tobytes(), g)
                if key not in cache:
                    refs = np.flatnonzero(used[:, g] & (used | ~U[None, :]).all(axis=1))
                    c_u = (group_score[refs] * wu).sum(axis=1) / wu.sum() if len(refs) else np.zeros(0)
                    cache[key] = group_score[refs, g] - c_u
                d = cache[key]
                if len(d) < 2:
                    no_reference[t] = True
                    continue
                delta = min(max(float(d.mean()), low - composite[t]), high - composite[t])
                adjustment[t] += w[g] / W * delta
                variance[t] += (w[g] / W) ** 2 * float(d.var(ddof=1)) * (1 + 1 / len(d))
                df[t] = min(df[t], len(d) - 1)
        adjustment[no_reference] = 0.0
        variance[no_reference] = 0.0
        df[no_reference | np.isinf(df)] = np.inf
        return adjustment, variance, df, no_reference

    def results(self) -> dict:
        s = self.s
        # On a large count, work that nothing below waits for runs on the second core meanwhile
        # (numpy lets go of the interpreter in its loops): the straight-liners when they are
        # only counted, then the diagnostics. The same figures to the bit either way.
        pool = (ThreadPoolExecutor(max_workers=1)
                if len(s.response_ballot) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 else None)
        try:
            return self._results(pool)
        finally:
            if pool:
                pool.shutdown(wait=True)

    def _results(self, pool: ThreadPoolExecutor | None) -> dict:
        m, s = self.m, self.s
        G = self.n_groups
        if pool is None or m.exclude_flagged:
            flagged = self.flag_straightliners()
            flagged_result = lambda: flagged  # noqa: E731
        else:
            flagged_result = pool.submit(self.flag_straightliners).result
        active = (~flagged_result()[s.response_ballot] if m.exclude_flagged
                  else np.ones(len(s.response_ballot), dtype=bool))
        ballot_score, scored = self.ballot_scores(active)
        group_of_response = self.codes.group[s.group_of_ballot[s.response_ballot]]
        cell = s.response_target * G + group_of_response
        weight, proxy, order = self.trim(ballot_score, scored, cell)
        kept = weight > 0
        shared = m.trim_share > 0

        # Rule 7: group size (respondents, before trimming), suppression.
        kept_cell = np.where(kept, cell, self.n_cells)
        scored_cell = np.where(scored, cell, self.n_cells)
        respondents = np.bincount(scored_cell, minlength=self.n_cells + 1)[:-1]
        _, mean_ballot, squares = grouped_variance(
            kept_cell, np.where(kept, ballot_score, 0.0), self.n_cells + 1)
        mean_ballot, squares = mean_ballot[:-1], squares[:-1]
        n_ballots = np.bincount(kept_cell, weights=weight, minlength=self.n_cells + 1)[:-1]
        suppressed = respondents < m.min_group_size

        # Diagnostics, from the responses shown: a suppressed group gives no figure anywhere.
        # They need nothing computed below (on a large count: the second core).
        shown = kept & ~np.append(suppressed, True)[kept_cell]
        diagnostics_args = (shown, cell, np.bincount(kept_cell, minlength=self.n_cells + 1)[:-1],
                            mean_ballot, squares, suppressed)
        diagnostics_result = (pool.submit(self.diagnostics, *diagnostics_args).result if pool
                              else lambda: self.diagnostics(*diagnostics_args))
        return self._results_after_suppression(
            flagged_result, scored, cell, weight, proxy, order, kept, shared, kept_cell,
            scored_cell, respondents, n_ballots, suppressed, diagnostics_result)

    def _results_after_suppression(self, flagged_result, scored, cell, weight, proxy, order,
                                   kept, shared, kept_cell, scored_cell, respondents, n_ballots,
                                   suppressed, diagnostics_result) -> dict:
        m, s = self.m, self.s
        G, T, J = self.n_groups, self.n_targets, len(m.items)

        # Rule 4: per (item, cell): n, mean, dk; rule 10's counts (weighted by rule 2').
        histogram = self.histogram(kept, cell, weight if shared else None)
        counts = self.histogram(kept, cell) if shared else histogram
        n_valid = histogram @ self.valid.astype(float)            # (J, cells)
        with np.errstate(divide="ignore", invalid="ignore"):
            item_mean = (histogram @ self.points0) / n_valid
        shown_valid = counts @ self.valid.astype(float)
        dont_know = counts @ self.dont_know.astype(float)
        satisfied = (histogram @ self.satisfied.astype(float)).sum(axis=0)
        dissatisfied = (histogram @ self.dissatisfied.astype(float)).sum(axis=0)
        answered = n_valid.sum(axis=0)

        # Rule 5: dimension scores per cell, over the items with answers.
        has = n_valid > 0
        weight_j = self.item_weight[:, None] * has                # (J, cells)
        one_hot = np.eye(len(m.dimensions))[self.item_dimension]  # (J, D)
        dim_weight = weight_j.T @ one_hot                         # (cells, D)
        with np.errstate(divide="ignore", invalid="ignore"):
            dim_score = (np.where(has, item_mean, 0.0) * weight_j).T @ one_hot / dim_weight
        dim_score[~(dim_weight > 0)] = np.nan

        # Rule 6: group score.
        defined = ~np.isnan(dim_score)
        u = self.dimension_weight * defined
        with np.errstate(divide="ignore", invalid="ignore"):
            group_score = (np.where(defined, dim_score, 0.0) * u).sum(axis=1) / u.sum(axis=1)
        group_score[~(u.sum(axis=1) > 0)] = np.nan

        # Rule 10 per group.
        with np.errstate(divide="ignore", invalid="ignore"):
            sat_rate = satisfied / answered
            dis_rate = dissatisfied / answered

        # Rules U1 and U2: linearised values of S(t,g) and of the rates, winsorised.
        n_answers, n_satisfied, n_dissatisfied = self.response_counts()
        if shared:
            linear, sat_linear, dis_linear = self.jackknife(order, cell)
            rate_linear = [sat_linear, dis_linear]
        else:
            linear = self.linearised_scores(kept_cell, n_ballots, n_valid, item_mean, has, dim_weight, u)
            rate_linear = []
            for rate, count in ((sat_rate, n_satisfied), (dis_rate, n_dissatisfied)):
                with np.errstate(divide="ignore", invalid="ignore"):
                    factor = np.append(np.nan_to_num(n_ballots / answered), 0.0)[kept_cell]
                r = np.append(np.nan_to_num(rate), 0.0)[kept_cell]
                rate_linear.append((count - r * n_answers) * factor)
        score_squares, deviation = winsorised_squares(linear, proxy, scored_cell, self.n_cells,
                                                      deviations=True)
        rate_squares = [winsorised_squares(x, proxy, scored_cell, self.n_cells) for x in rate_linear]
        shown_cell = ~suppressed & ~np.isnan(group_score)
        cell_variance, cell_df = self.score_variance(score_squares, n_ballots, shown_cell)
        sat_n_eff = _effective_size(sat_rate, rate_squares[0], n_ballots, answered)
        dis_n_eff = _effective_size(dis_rate, rate_squares[1], n_ballots, answered)
        sat_low, sat_high = rate_interval(sat_rate, sat_n_eff, n_ballots - 1)
        dis_low, dis_high = rate_interval(dis_rate, dis_n_eff, n_ballots - 1)

        # Rule 8: composite over the groups shown, with weight, and with a score.
        by_target = lambda x: x.reshape(T, G)
        w = self.group_weight
        used = by_target(~suppressed) & (w > 0) & ~np.isnan(by_target(group_score))
        reweighted = ((w > 0) & ~used).any(axis=1)
        w_used = np.where(used, w, 0.0)
        total = w_used.sum(axis=1)
        has_score = total > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            share = w_used / total[:, None]
        share[~has_score] = 0.0
        weighted = lambda x: np.where(has_score, (np.where(used, by_target(x), 0.0) * share).sum(axis=1),
                                      np.nan)
        composite_used = weighted(group_score)
        satisfaction = weighted(sat_rate)
        dissatisfaction = weighted(dis_rate)
        dims = dim_score.reshape(T, G, len(m.dimensions))
        dim_used = used[:, :, None] & ~np.isnan(dims)
        dim_w = np.where(dim_used, w[None, :, None], 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            target_dims = (np.where(dim_used, dims, 0.0) * dim_w).sum(axis=1) / dim_w.sum(axis=1)
        target_dims[~(dim_w.sum(axis=1) > 0)] = np.nan

        # Rule R: a reweighted target's adjustment for its missing groups.
        adjustment, adjustment_variance, adjustment_df, no_reference = self.adjustments(
            by_target(group_score), used, composite_used)
        composite = composite_used + adjustment

        # Rule U2: the composite's variance, its Welch-Satterthwaite df, the logit interval.
        component = np.where(used, share ** 2 * np.nan_to_num(by_target(cell_variance)), 0.0)
        component_df = by_target(cell_df)
        all_parts = np.concatenate([component, adjustment_variance[:, None]], axis=1)
        all_df = np.concatenate([component_df, adjustment_df[:, None]], axis=1)
        se = np.where(has_score, np.sqrt(all_parts.sum(axis=1)), np.nan)
        df = np.where(has_score, welch_satterthwaite(all_parts, all_df, axis=1), np.nan)
        low_points, high_points = self.points_range()
        ci_low, ci_high = logit_interval(composite, se, df, low_points, high_points)
        # Rule U4: the target's rates from each group's own interval (MOVER).
        target_rates = [mover_interval(np.where(has_score, satisfaction, np.nan), share,
                                       by_target(sat_rate), by_target(sat_low), by_target(sat_high)),
                        mover_interval(np.where(has_score, dissatisfaction, np.nan), share,
                                       by_target(dis_rate), by_target(dis_low), by_target(dis_high))]

        # Rule U5's paired covariances, through the ballots that rated two targets.
        covariance, paired = self.pair_covariance(deviation, scored, cell, used.reshape(-1), n_ballots)

        diagnostics = diagnostics_result()

        flagged = flagged_result()
        n_excluded = int(flagged.sum()) if m.exclude_flagged else 0
        arrays = TargetArrays(
            composite=composite, composite_used=composite_used, se=se, df=df, ci_low=ci_low,
            ci_high=ci_high, share=share, cell_variance=by_target(np.nan_to_num(cell_variance)),
            cell_df=component_df, covariance=covariance, paired=paired, adjustment=adjustment,
            adjustment_variance=adjustment_variance, adjustment_df=adjustment_df,
            no_reference=no_reference, reweighted=reweighted, satisfaction=satisfaction,
            satisfaction_ci95=target_rates[0], dissatisfaction=dissatisfaction,
            dissatisfaction_ci95=target_rates[1], dimensions=target_dims,
            respondents=by_target(respondents), kept=by_target(n_ballots),
            suppressed=by_target(suppressed), group_score=by_target(group_score),
            sat=(by_target(sat_rate), by_target(sat_low), by_target(sat_high)),
            dis=(by_target(dis_rate), by_target(dis_low), by_target(dis_high)),
            group_dimensions=dims, item_n=shown_valid.reshape(J, T, G),
            item_mean=item_mean.reshape(J, T, G), item_dk=dont_know.reshape(J, T, G),
            item_figures=self.specific_items(histogram, n_valid, item_mean, used, shown_valid))
        targets, funnel = self.target_list(arrays)
        return {
            "method_sha256": m.sha256,
            "ballots": s.n_ballots,
            "flagged_straightline": int(flagged.sum()),
            "excluded": n_excluded,
            "funnel": funnel,
            "targets": targets,
            "diagnostics": diagnostics,
        }

    def diagnostics(self, shown, cell, n_ballots, mean_ballot, squares, suppressed):
        m, G = self.m, self.n_groups
        alpha = np.full((len(m.dimensions), G), np.nan)
        rows = dict(self.rows())
        for d in range(len(m.dimensions)):
            members = np.flatnonzero(self.item_dimension == d).tolist()
            if len(members) < 2 or any(j not in rows for j in members):
                continue
            complete = shown.copy()
            for j in members:
                complete &= self.valid[rows[j]]
            # Within targets (rule U6): each (target, group) cell is centred on its own means,
            # so that differences between targets do not pass for consistency between items.
            # Incomplete responses go to an extra cell, cut off below: no compress pass.
            C = self.n_cells
            where = np.where(complete, cell, C)
            n_codes = len(self.points)
            total = np.zeros(len(where))
            item_squares = []
            for j in members:
                choice = rows[j]
                # An item takes few values: its variance comes exactly from a histogram.
                counts = np.bincount(where * n_codes + choice,
                                     minlength=(C + 1) * n_codes).reshape(C + 1, n_codes)[:C]
                n = counts.sum(axis=1)
                s1, s2 = counts @ self.points0, counts @ self.points0 ** 2
                with np.errstate(divide="ignore", invalid="ignore"):
                    within = np.where(n > 0, np.maximum(s2 - s1 * s1 / n, 0.0), 0.0)
                item_squares.append(within.reshape(-1, G).sum(axis=0))
                total += self.points0[choice]
            count, _, total_squares = grouped_variance(where, total, C + 1)
            count = count[:C].reshape(-1, G)
            within_df = (count - (count > 0)).sum(axis=0)
            alpha[d] = cronbach_alpha(within_df + 1, np.array(item_squares),
                                      np.nan_to_num(total_squares[:C]).reshape(-1, G).sum(axis=0))
        result = {}
        T = self.n_targets
        for g, group in enumerate(m.groups):
            cells = np.arange(T) * G + g
            visible = ~suppressed[cells]
            icc1, icck = icc1_icck(np.where(visible, n_ballots[cells], 0), mean_ballot[cells],
                                   squares[cells])
            result[group.code] = {
                "cronbach_alpha": {x.code: _number(alpha[d, g]) for d, x in enumerate(m.dimensions)},
                "icc1": _number(icc1),
                "icck": _number(icck),
            }
        return result

    # -- rule 14: the figures of a target-specific item ----------------------------------

    def specific_items(self, histogram, n_valid, item_mean, used, shown_valid) -> dict[int, dict[int, dict]]:
        """{target: {item: figures}} of each target-specific item on its own target: over the groups of
        rule 8 with an answer to it, renormalised, its score, SE, df and rule U2's interval, and its
        satisfaction rate; n counts the valid answers."""
        m, G = self.m, self.n_groups
        targets = {c: t for t, c in enumerate(self.a.target_codes.tolist())}
        squares = histogram @ self.points0 ** 2
        sums = histogram @ self.points0
        satisfied = histogram @ self.satisfied.astype(float)
        low, high = self.points_range()
        out: dict[int, dict[int, dict]] = {}
        for j, x in enumerate(m.items):
            t = targets.get(x.target) if x.target is not None else None
            if t is None:
                continue
            cells = [t * G + g for g in range(G) if used[t, g] and n_valid[j, t * G + g] > 0]
            if not cells:
                out.setdefault(t, {})[j] = {"n": 0, "score": None, "ci95": None, "se": None, "ci95_df": None,
                                            "satisfaction": None}
                continue
            weights = np.array([self.group_weight[c % G] for c in cells])
            share = weights / weights.sum()
            n = n_valid[j, cells]
            mean = item_mean[j, cells]
            with np.errstate(divide="ignore", invalid="ignore"):
                variance = np.where(n > 1, np.maximum(squares[j, cells] - sums[j, cells] ** 2 / n, 0.0) / (n - 1), 0.0)
            parts = share ** 2 * variance / n
            score = float(share @ mean)
            se = float(np.sqrt(parts.sum()))
            df = float(welch_satterthwaite(parts, n - 1))
            ci_low, ci_high = logit_interval(np.array([score]), np.array([se]), np.array([df]), low, high)
            out.setdefault(t, {})[j] = {
                "n": int(round(float(shown_valid[j, cells].sum()))), "score": score,
                "ci95": _pair(float(ci_low[0]), float(ci_high[0])), "se": se, "ci95_df": _number(df),
                "satisfaction": float(share @ (satisfied[j, cells] / n))}
        return out

    # -- rules 11 to 13, G, F and the results.json layout --------------------------------

    def target_list(self, x: TargetArrays) -> tuple[list[dict], dict]:
        m = self.m
        codes = self.a.target_codes.tolist()
        scored = [t for t in range(self.n_targets) if not np.isnan(x.composite[t])]
        rankable = [t for t in scored if not x.no_reference[t]]
        shown = {t: _rounded(x.composite[t]) for t in scored}
        ranked = sorted(rankable, key=lambda t: (-shown[t], codes[t].encode()))
        unranked_scored = sorted((t for t in scored if x.no_reference[t]), key=lambda t: codes[t].encode())
        rank = {}
        for position, t in enumerate(ranked):
            previous = ranked[position - 1] if position else None
            same = previous is not None and shown[previous] == shown[t]
            rank[t] = rank[previous] if same else position + 1
        # Rule U5 over the ranked targets, in rank order, with paired variances.
        pick = np.array(ranked, dtype=np.int64)
        pair_variance, pair_df = pair_variances(
            x.share[pick], x.cell_variance[pick], x.cell_df[pick],
            x.covariance[:, pick][:, :, pick], x.paired[:, pick][:, :, pick], x.adjustment_variance[pick], x.adjustment_df[pick])
        best, worst = rank_bands(x.composite[pick], pair_variance, pair_df,
                                 np.array([rank[t] for t in ranked], dtype=np.int64))
        band = {t: [int(b), int(w)] for t, b, w in zip(ranked, best.tolist(), worst.tolist())}
        # Rule F: the funnel around the mean of the ranked targets' scores.
        centre = float(np.mean(x.composite[pick])) if len(ranked) else None
        unscored = sorted((t for t in range(self.n_targets) if np.isnan(x.composite[t])),
                          key=lambda t: codes[t].encode())

        L = lambda a: a.tolist()
        composite_, used_, se_, sat_, dis_ = (L(x.composite), L(x.composite_used), L(x.se),
                                              L(x.satisfaction), L(x.dissatisfaction))
        adjust_, adjust_var_ = L(x.adjustment), L(x.adjustment_variance)
        target_dims_, n_, kept_, supp_, gs_ = (L(x.dimensions), L(x.respondents), L(x.kept),
                                               L(x.suppressed), L(x.group_score))
        sat_rate, sat_low, sat_high = map(L, x.sat)
        dis_rate, dis_low, dis_high = map(L, x.dis)
        dims_, n_valid_, mean_, dk_ = L(x.group_dimensions), L(x.item_n), L(x.item_mean), L(x.item_dk)
        reweighted_ = L(x.reweighted)
        df_, ci_low, ci_high = L(x.df), L(x.ci_low), L(x.ci_high)
        sat_t_low, sat_t_high = map(L, x.satisfaction_ci95)
        dis_t_low, dis_t_high = map(L, x.dissatisfaction_ci95)
        item_codes = [i.code for i in m.items]
        item_targets = [i.target for i in m.items]
        dim_codes = [d.code for d in m.dimensions]

        out = []
        for t in ranked + unranked_scored + unscored:
            c = composite_[t]
            has = not np.isnan(x.composite[t])
            groups = {}
            for g, group in enumerate(m.groups):
                if supp_[t][g]:
                    groups[group.code] = {"n": int(n_[t][g]), "suppressed": True}
                    continue
                groups[group.code] = {
                    "n": int(n_[t][g]), "kept": float(kept_[t][g]), "suppressed": False,
                    "score": _number(gs_[t][g]),
                    "satisfaction": _number(sat_rate[t][g]),
                    "satisfaction_ci95": _pair(sat_low[t][g], sat_high[t][g]),
                    "dissatisfaction": _number(dis_rate[t][g]),
                    "dissatisfaction_ci95": _pair(dis_low[t][g], dis_high[t][g]),
                    "dimensions": {d: _number(dims_[t][g][k]) for k, d in enumerate(dim_codes)},
                    "items": {code: {"n": int(round(n_valid_[j][t][g])), "mean": _number(mean_[j][t][g]),
                                     "dk": int(round(dk_[j][t][g]))}
                              for j, code in enumerate(item_codes) if item_targets[j] in (None, codes[t])},
                }
            entry = {
                "target": codes[t],
                "score": c if has else None,
                "ci95": [ci_low[t], ci_high[t]] if has else None,
                "se": se_[t] if has else None,
                "ci95_df": df_[t] if has else None,
                "rank": rank.get(t),
                "rank_ci95": band.get(t),
                "unranked": "no_reference" if has and t not in rank else None,
                "grade": self.grade(c) if has else None,
                "grade_range": None, "grade_status": None,
                "alert": self.alert(dis_[t]) if has else None,
                "alert_range": None, "alert_status": None,
                "reweighted": bool(reweighted_[t]),
                "score_reweighted": used_[t] if has and reweighted_[t] else None,
                "adjustment": adjust_[t] if has and reweighted_[t] else None,
                "adjustment_se": math.sqrt(adjust_var_[t]) if has and reweighted_[t] else None,
                "funnel": None, "funnel_alert": None,
                "satisfaction": sat_[t] if has else None,
                "satisfaction_ci95": _pair(sat_t_low[t], sat_t_high[t]) if has else None,
                "dissatisfaction": dis_[t] if has else None,
                "dissatisfaction_ci95": _pair(dis_t_low[t], dis_t_high[t]) if has else None,
                "dimensions": {d: (_number(target_dims_[t][k]) if has else None)
                               for k, d in enumerate(dim_codes)},
                "groups": groups,
            }
            if has:
                # Rule G: the grade and the alert with their doubt.
                low_grade, high_grade = self.grade(ci_low[t]), self.grade(ci_high[t])
                entry["grade_range"] = [low_grade, high_grade]
                entry["grade_status"] = "certain" if low_grade == high_grade else "borderline"
                low_alert, high_alert = self.alert(dis_t_low[t]), self.alert(dis_t_high[t])
                entry["alert_range"] = [low_alert, high_alert]
                entry["alert_status"] = "certain" if low_alert == high_alert else "borderline"
            if any(target is not None for target in item_targets):
                entry["items"] = {item_codes[j]: figures for j, figures in x.item_figures.get(t, {}).items()}
            if t in rank:
                position, alert = _funnel(c, se_[t], centre, m.funnel_alerts)
                entry["funnel"] = position
                entry["funnel_alert"] = alert
            out.append(entry)
        funnel = {"mean": centre, "z95": FUNNEL_Z[0.95], "z998": FUNNEL_Z[0.998],
                  "alerts": m.funnel_alerts}
        return out, funnel

    def grade(self, c: float) -> str | None:
        """Rule 12: the first band, highest ``min`` first, that the score reaches."""
        c = _clean(c)
        for band in self.m.grades:
            if c >= band.min:
                return band.code
        return None

    def alert(self, dissatisfaction: float) -> str:
        """Rule 11."""
        d = _clean(dissatisfaction)
        if d >= self.m.warning:
            return "warning"
        if d >= self.m.prevention:
            return "prevention"
        return "none"


#: The normal points of the funnel's 95% and 99.8% limits (rule F).
FUNNEL_Z = {0.95: Z, 0.998: float(_special.ndtri(0.999))}  # scipy.stats.norm.ppf


def _funnel(score: float, se: float, centre: float, alerts: float | None) -> tuple[str, str | None]:
    """Rule F: where a ranked target lies in the funnel, and its funnel alert when they are on."""
    z = (score - centre) / se if se > 0 else (0.0 if score == centre else math.copysign(math.inf, score - centre))
    if z > FUNNEL_Z[0.998]:
        position = "above_998"
    elif z > FUNNEL_Z[0.95]:
        position = "above_95"
    elif z < -FUNNEL_Z[0.998]:
        position = "below_998"
    elif z < -FUNNEL_Z[0.95]:
        position = "below_95"
    else:
        position = "within"
    if alerts is None:
        return position, None
    limit = FUNNEL_Z[alerts]
    return position, ("high" if z > limit else "low" if z < -limit else "none")


def _effective_size(rate, squares, h, answered) -> np.ndarray:
    """Rule U3: n_eff = r(1 - r) / Var(r), between the ballots h and the answers; h at r = 0 or 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = squares / (h * (h - 1))
        n_eff = np.where(variance > 0, rate * (1 - rate) / variance, np.inf)
    n_eff = np.clip(n_eff, h, answered)
    return np.where((rate == 0) | (rate == 1) | ~(h >= 2), h, n_eff)


def _clean(x: float) -> float:
    """``x`` at COMPARE_DIGITS significant digits: drops float noise such as 79.99999999999999."""
    return float(f"{x:.{COMPARE_DIGITS}g}")


def _rounded(x: float) -> Decimal:
    """Rule 13's score rounded to 2 decimals, half up (四舍五入) as on published tables."""
    return Decimal(repr(_clean(x))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _number(x: float) -> float | None:
    return None if x != x else float(x)


def _pair(low: float, high: float) -> list[float] | None:
    return None if low != low else [float(low), float(high)]
