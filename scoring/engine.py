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
  ``dissatisfaction_ci95``.
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

from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from .answers import Answers
from .method import Method
from .stats import cronbach_alpha, grouped_variance, icc1_icck
from .uncertainty import (PRIOR_DF, rank_bands, rate_interval, t_quantile, welch_satterthwaite,
                          winsorised_squares)

#: Ballot scores closer than this fraction of the largest |points| are a tie in rule 2,
#: so that the order of rows (and thus of floating-point sums) cannot decide who is dropped.
TIE_RESOLUTION = 1e-9
#: Significant digits at which a score meets a grade band, an alert threshold or the
#: 2-decimal rounding of rule 13: far below any shown digit, far above float noise.
COMPARE_DIGITS = 12


def score(answers: Answers, method: Method) -> dict:
    """Score ``answers`` by ``method``; raise :class:`InputError` on answers the method rejects."""
    structure = answers.structure()
    codes = _CodeMap(answers, method, structure)
    return _Scoring(answers, method, structure, codes).results()


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
        sums = np.zeros(len(self.s.response_ballot), dtype=complex)
        for j, row in self.rows():
            weight = self.item_weight[j]
            sums += (weight * self.points0 + 1j * weight * self.valid)[row]
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
        total = np.zeros(len(self.s.response_ballot), dtype=np.int64)
        for _, row in self.rows():
            total += packed[row]
        mask = (1 << 21) - 1
        return ((total & mask).astype(float), ((total >> 21) & mask).astype(float),
                (total >> 42).astype(float))

    # -- rule 2: trimming -----------------------------------------------------------------

    def trim(self, ballot_score: np.ndarray, scored: np.ndarray, cell: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
        """Kept responses, and each response's winsorising proxy (rule U1).

        The proxy of a dropped response is the kept response next to it in the cell's
        order (the k-th lowest or highest kept); every other response is its own proxy.
        """
        kept = scored.copy()
        proxy = np.arange(len(scored))
        k = self.m.trim
        if k == 0 or not scored.any():
            return kept, proxy
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
        low, high = (n > 2 * k) & (position < k), (n > 2 * k) & (position >= n - k)
        drop = low | high
        kept[index[order[drop]]] = False
        start = first[sorted_cell]
        stand_in = np.where(low, start + k, np.where(high, start + n - k - 1, np.arange(len(order))))
        proxy[index[order]] = index[order[stand_in]]
        return kept, proxy

    # -- rule 4: cell statistics --------------------------------------------------------

    def histogram(self, kept: np.ndarray, cell: np.ndarray) -> np.ndarray:
        """Answers per (item, cell, choice code) of the kept responses; shape (J, T*G, codes)."""
        n_codes = len(self.points)
        # Responses not kept go to an extra cell that is cut off afterwards: no masking pass.
        base = np.where(kept, cell, self.n_cells) * n_codes
        histogram = np.zeros((len(self.m.items), self.n_cells, n_codes))
        size = (self.n_cells + 1) * n_codes
        for j, row in self.rows():
            counts = np.bincount(base + row, minlength=size)
            histogram[j] = counts[:self.n_cells * n_codes].reshape(self.n_cells, n_codes)
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
        for j, row in self.rows():
            linear += term[j].ravel()[base + row]
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

    def results(self) -> dict:
        m, s = self.m, self.s
        G, T, J = self.n_groups, self.n_targets, len(m.items)

        flagged = self.flag_straightliners()
        active = (~flagged[s.response_ballot] if m.exclude_flagged
                  else np.ones(len(s.response_ballot), dtype=bool))
        ballot_score, scored = self.ballot_scores(active)
        group_of_response = self.codes.group[s.group_of_ballot[s.response_ballot]]
        cell = s.response_target * G + group_of_response
        kept, proxy = self.trim(ballot_score, scored, cell)

        # Rule 7: group size, suppression.
        kept_cell = np.where(kept, cell, self.n_cells)
        n_ballots, mean_ballot, squares = grouped_variance(
            kept_cell, np.where(kept, ballot_score, 0.0), self.n_cells + 1)
        n_ballots, mean_ballot, squares = n_ballots[:-1], mean_ballot[:-1], squares[:-1]
        suppressed = n_ballots < m.min_group_size

        # Rule 4: per (item, cell): n, mean, dk; rule 10's counts.
        histogram = self.histogram(kept, cell)
        n_valid = histogram @ self.valid.astype(float)            # (J, cells)
        with np.errstate(divide="ignore", invalid="ignore"):
            item_mean = (histogram @ self.points0) / n_valid
        dont_know = histogram @ self.dont_know.astype(float)
        satisfied = (histogram @ self.satisfied.astype(float)).sum(axis=0)
        dissatisfied = (histogram @ self.dissatisfied.astype(float)).sum(axis=0)
        answered = n_valid.sum(axis=0)

        # Rule 5: dimension scores per cell, over the items with n >= 1.
        has = n_valid >= 1
        weight = self.item_weight[:, None] * has                  # (J, cells)
        one_hot = np.eye(len(m.dimensions))[self.item_dimension]  # (J, D)
        dim_weight = weight.T @ one_hot                           # (cells, D)
        with np.errstate(divide="ignore", invalid="ignore"):
            dim_score = (np.where(has, item_mean, 0.0) * weight).T @ one_hot / dim_weight
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
        scored_cell = np.where(scored, cell, self.n_cells)
        linear = self.linearised_scores(kept_cell, n_ballots, n_valid, item_mean, has, dim_weight, u)
        score_squares = winsorised_squares(linear, proxy, scored_cell, self.n_cells)
        n_answers, n_satisfied, n_dissatisfied = self.response_counts()
        rate_squares = []
        for rate in (sat_rate, dis_rate):
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.append(np.nan_to_num(n_ballots / answered), 0.0)[kept_cell]
            r = np.append(np.nan_to_num(rate), 0.0)[kept_cell]
            counts = n_satisfied if rate is sat_rate else n_dissatisfied
            rate_squares.append(winsorised_squares((counts - r * n_answers) * factor, proxy,
                                                   scored_cell, self.n_cells))
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
        composite = weighted(group_score)
        satisfaction = weighted(sat_rate)
        dissatisfaction = weighted(dis_rate)
        dims = dim_score.reshape(T, G, len(m.dimensions))
        dim_used = used[:, :, None] & ~np.isnan(dims)
        dim_w = np.where(dim_used, w[None, :, None], 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            target_dims = (np.where(dim_used, dims, 0.0) * dim_w).sum(axis=1) / dim_w.sum(axis=1)
        target_dims[~(dim_w.sum(axis=1) > 0)] = np.nan

        # Rule U2: the composite's variance, its Welch-Satterthwaite df, the t interval.
        component = np.where(used, share ** 2 * np.nan_to_num(by_target(cell_variance)), 0.0)
        component_df = by_target(cell_df)
        se = np.where(has_score, np.sqrt(component.sum(axis=1)), np.nan)
        df = np.where(has_score, welch_satterthwaite(component, component_df, axis=1), np.nan)
        low_points, high_points = self.points_range()
        with np.errstate(invalid="ignore"):
            half = t_quantile(np.nan_to_num(df)) * se
        ci_low = np.clip(composite - half, low_points, high_points)
        ci_high = np.clip(composite + half, low_points, high_points)
        # Rule U4: the target's rates, on the effective sizes of its groups.
        target_rates = []
        for rate, n_eff in ((satisfaction, sat_n_eff), (dissatisfaction, dis_n_eff)):
            with np.errstate(divide="ignore", invalid="ignore"):
                parts = np.where(used, share ** 2 / by_target(n_eff), 0.0)
                n_eff_t = 1.0 / parts.sum(axis=1)
            rate_df = welch_satterthwaite(parts, by_target(n_ballots - 1), axis=1)
            low_t, high_t = rate_interval(np.where(has_score, rate, np.nan), n_eff_t, np.nan_to_num(rate_df))
            target_rates.append((low_t, high_t))

        # Diagnostics, from the responses shown: a suppressed group gives no figure anywhere.
        shown = kept & ~np.append(suppressed, True)[kept_cell]
        diagnostics = self.diagnostics(shown, cell, n_ballots, mean_ballot,
                                       squares, suppressed)

        n_excluded = int(flagged.sum()) if m.exclude_flagged else 0
        return {
            "method_sha256": m.sha256,
            "ballots": s.n_ballots,
            "flagged_straightline": int(flagged.sum()),
            "excluded": n_excluded,
            "targets": self.target_list(
                composite=composite, se=se, df=df, ci=(ci_low, ci_high), component=component,
                component_df=component_df, target_rates=target_rates, reweighted=reweighted, satisfaction=satisfaction,
                dissatisfaction=dissatisfaction, target_dims=target_dims,
                n_ballots=by_target(n_ballots), suppressed=by_target(suppressed),
                group_score=by_target(group_score), sat=(by_target(sat_rate), by_target(sat_low),
                                                         by_target(sat_high)),
                dis=(by_target(dis_rate), by_target(dis_low), by_target(dis_high)),
                dims=dims, n_valid=n_valid.reshape(J, T, G), item_mean=item_mean.reshape(J, T, G),
                dont_know=dont_know.reshape(J, T, G)),
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

    # -- rules 11 to 13 and the results.json layout ------------------------------------

    def target_list(self, *, composite, se, df, ci, component, component_df, target_rates, reweighted, satisfaction, dissatisfaction,
                    target_dims, n_ballots, suppressed, group_score, sat, dis, dims,
                    n_valid, item_mean, dont_know) -> list[dict]:
        m = self.m
        codes = self.a.target_codes.tolist()
        scored = [t for t in range(self.n_targets) if not np.isnan(composite[t])]
        shown = {t: _rounded(composite[t]) for t in scored}
        ranked = sorted(scored, key=lambda t: (-shown[t], codes[t].encode()))
        rank = {}
        for position, t in enumerate(ranked):
            previous = ranked[position - 1] if position else None
            same = previous is not None and shown[previous] == shown[t]
            rank[t] = rank[previous] if same else position + 1
        # Rule U5 over the ranked targets, in rank order.
        best, worst = rank_bands(composite[ranked], component[ranked], component_df[ranked],
                                 np.array([rank[t] for t in ranked], dtype=np.int64))
        band = {t: [int(b), int(w)] for t, b, w in zip(ranked, best.tolist(), worst.tolist())}
        unscored = sorted((t for t in range(self.n_targets) if t not in rank),
                          key=lambda t: codes[t].encode())

        L = lambda x: x.tolist()
        composite_, se_, sat_, dis_ = L(composite), L(se), L(satisfaction), L(dissatisfaction)
        target_dims_, n_, supp_, gs_ = L(target_dims), L(n_ballots), L(suppressed), L(group_score)
        sat_rate, sat_low, sat_high = map(L, sat)
        dis_rate, dis_low, dis_high = map(L, dis)
        dims_, n_valid_, mean_, dk_ = L(dims), L(n_valid), L(item_mean), L(dont_know)
        reweighted_ = L(reweighted)
        df_, ci_low, ci_high = L(df), L(ci[0]), L(ci[1])
        (sat_t_low, sat_t_high), (dis_t_low, dis_t_high) = [tuple(map(L, pair)) for pair in target_rates]
        item_codes = [x.code for x in m.items]
        dim_codes = [x.code for x in m.dimensions]

        out = []
        for t in ranked + unscored:
            c = composite_[t]
            has = t in rank
            groups = {}
            for g, group in enumerate(m.groups):
                if supp_[t][g]:
                    groups[group.code] = {"n": int(n_[t][g]), "suppressed": True}
                    continue
                groups[group.code] = {
                    "n": int(n_[t][g]), "suppressed": False,
                    "score": _number(gs_[t][g]),
                    "satisfaction": _number(sat_rate[t][g]),
                    "satisfaction_ci95": _pair(sat_low[t][g], sat_high[t][g]),
                    "dissatisfaction": _number(dis_rate[t][g]),
                    "dissatisfaction_ci95": _pair(dis_low[t][g], dis_high[t][g]),
                    "dimensions": {d: _number(dims_[t][g][k]) for k, d in enumerate(dim_codes)},
                    "items": {code: {"n": int(n_valid_[j][t][g]), "mean": _number(mean_[j][t][g]),
                                     "dk": int(dk_[j][t][g])}
                              for j, code in enumerate(item_codes)},
                }
            out.append({
                "target": codes[t],
                "score": c if has else None,
                "ci95": [ci_low[t], ci_high[t]] if has else None,
                "se": se_[t] if has else None,
                "ci95_df": df_[t] if has else None,
                "rank": rank.get(t),
                "rank_ci95": band.get(t),
                "grade": self.grade(c) if has else None,
                "alert": self.alert(dis_[t]) if has else None,
                "reweighted": bool(reweighted_[t]),
                "satisfaction": sat_[t] if has else None,
                "satisfaction_ci95": _pair(sat_t_low[t], sat_t_high[t]) if has else None,
                "dissatisfaction": dis_[t] if has else None,
                "dissatisfaction_ci95": _pair(dis_t_low[t], dis_t_high[t]) if has else None,
                "dimensions": {d: (_number(target_dims_[t][k]) if has else None)
                               for k, d in enumerate(dim_codes)},
                "groups": groups,
            })
        return out

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
