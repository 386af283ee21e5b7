"""A second, plain-Python implementation of the uncertainty rules of docs/scoring-method.md (U1 to U5,
2', R, G and F, and rule 14's figures of target-specific items), written from the text with loops and dictionaries, to check the vectorised engine
against.

It takes the rows of conftest.answer_columns and a method dictionary, and assumes valid input
without straight-lining exclusion. Binomial coefficients are exact integers (math.comb).
"""
from __future__ import annotations

import math
from collections import defaultdict

from scipy import stats

LEVEL = 0.95
Z = stats.norm.ppf(0.975)
Z998 = stats.norm.ppf(0.999)


def t975(df):
    return stats.t.ppf(0.975, df)


def ws(parts):
    """Welch-Satterthwaite df of [(variance, df)], components with variance 0 left out."""
    parts = [(v, d) for v, d in parts if v > 0]
    if not parts:
        return math.nan
    if any(d <= 0 for _, d in parts):
        return 0.0
    return sum(v for v, _ in parts) ** 2 / sum(v * v / d for v, d in parts)


def wilson(p, n):
    if n <= 0:
        return (math.nan, math.nan)
    z2n = Z * Z / n
    centre = (p + z2n / 2) / (1 + z2n)
    half = Z / (1 + z2n) * math.sqrt(p * (1 - p) / n + z2n / (4 * n))
    low = 0.0 if p == 0 else max(0.0, centre - half)
    high = 1.0 if p == 1 else min(1.0, centre + half)
    return (low, high)


def rate_interval(p, n_eff, df):
    if not df > 0:
        return (0.0, 1.0)
    return wilson(p, n_eff * (Z / t975(df)) ** 2)


def panel_weight(n, l, m, share):
    """Rule 2': the weight of the ballot at 0-based place l of n, panels of m, share set aside."""
    if share <= 0 or n < m:
        return 1.0
    cut = share * m
    total = 0.0
    for r in range(m):
        psi = max(0.0, min(r + 1, m - cut) - max(r, cut)) / (m * (1 - 2 * share))
        if psi > 0 and r <= l and m - 1 - r <= n - 1 - l:
            total += psi * math.comb(l, r) * math.comb(n - 1 - l, m - 1 - r) / math.comb(n - 1, m - 1)
    return m * total


def grade_of(c, grades):
    c = float(f"{c:.12g}")
    for g in sorted(grades, key=lambda g: -g["min"]):
        if c >= g["min"]:
            return g["code"]
    return None


def alert_of(d, alerts):
    d = float(f"{d:.12g}")
    return "warning" if d >= alerts["warning"] else "prevention" if d >= alerts["prevention"] else "none"


def uncertainty(ballots, method):
    points = {o["code"]: o["points"] for o in method["scale"]["options"]}
    valid_points = [p for p in points.values() if p is not None]
    lo, hi = min(valid_points), max(valid_points)
    items = {x["code"]: x for x in method["items"]}
    dim_weight = {x["code"]: x["weight"] for x in method["dimensions"]}
    group_weight = {x["code"]: x["weight"] for x in method["groups"]}
    sat_codes, dis_codes = set(method["scale"]["satisfied"]), set(method["scale"]["dissatisfied"])
    k = method.get("trim", 0)
    share = method.get("trim_share", 0)
    min_n = method.get("min_group_size", 5)
    is_valid = lambda o: bool(o) and points.get(o) is not None

    def group_score(rows):
        """Rules 4-6 on [(weight, answers)]: the weighted item means, dimensions, S (None if undefined)."""
        num, den = defaultdict(float), defaultdict(float)
        for wgt, answers in rows:
            for j, o in answers.items():
                if is_valid(o):
                    num[j] += wgt * points[o]
                    den[j] += wgt
        mean = {j: num[j] / den[j] for j in den if den[j] > 0}
        dims = {}
        for j in mean:
            dims.setdefault(items[j]["dimension"], []).append(j)
        top = bottom = 0.0
        c = {}
        for d, members in dims.items():
            a_total = sum(items[j]["weight"] for j in members)
            if a_total <= 0:
                continue
            top += dim_weight[d] * sum(items[j]["weight"] * mean[j] for j in members) / a_total
            bottom += dim_weight[d]
        if bottom <= 0:
            return None, mean, {}
        for d, members in dims.items():
            a_total = sum(items[j]["weight"] for j in members)
            for j in members:
                c[j] = dim_weight[d] / bottom * items[j]["weight"] / a_total
        return top / bottom, mean, c

    def rate(rows, codes):
        y = sum(wgt * sum(1 for j, o in a.items() if o in codes and j in items) for wgt, a in rows)
        x = sum(wgt * sum(1 for o in a.values() if is_valid(o)) for wgt, a in rows)
        return y / x if x > 0 else None

    def squares(values):
        m = sum(values) / len(values)
        return sum((v - m) ** 2 for v in values), [v - m for v in values]

    # Rule 1: scored responses per cell.
    cells = defaultdict(list)  # (t, g) -> [(ballot id, score, answers)]
    for ballot, group, target, answers in ballots:
        num = den = 0.0
        for j, o in answers.items():
            if is_valid(o):
                num += items[j]["weight"] * points[o]
                den += items[j]["weight"]
        if den > 0:
            cells[(target, group)].append((ballot, num / den, answers))

    per_cell = {}
    for (t, g), rows in cells.items():
        n = len(rows)
        order = sorted(rows, key=lambda r: (round(r[1] / (1e-9 * max(abs(p) for p in valid_points))),
                                            r[0].encode()))
        if share > 0:
            weights = [panel_weight(n, l, min_n, share) for l in range(n)]
        elif k and n > 2 * k:
            weights = [0.0] * k + [1.0] * (n - 2 * k) + [0.0] * k
        else:
            weights = [1.0] * n
        H = sum(weights)
        weighted = [(wgt, r[2]) for wgt, r in zip(weights, order)]
        S, mean, c = group_score(weighted)
        X = sum(wgt * sum(1 for o in a.values() if is_valid(o)) for wgt, a in weighted)
        rates = {name: rate(weighted, codes) for name, codes in (("sat", sat_codes), ("dis", dis_codes))}

        if share > 0:
            # Rule U1 with share trimming: delete-one jackknife over the cell's order.
            def jackknife(statistic):
                values = []
                for i in range(n):
                    rest = [r for l, r in enumerate(order) if l != i]
                    rows_i = [(panel_weight(n - 1, l, min_n, share), r[2]) for l, r in enumerate(rest)]
                    values.append(statistic(rows_i) if n > 1 else None)
                ok = [v for v in values if v is not None]
                centre = sum(ok) / len(ok) if ok else 0.0
                return [(n - 1) * (centre - v) if v is not None else 0.0 for v in values]
            e_score = jackknife(lambda rows_i: group_score(rows_i)[0])
            e_rates = {name: jackknife(lambda rows_i, codes=codes: rate(rows_i, codes))
                       for name, codes in (("sat", sat_codes), ("dis", dis_codes))}
        else:
            kept_index = [l for l in range(n) if weights[l] > 0]
            proxy = [min(max(l, kept_index[0]), kept_index[-1]) for l in range(n)]
            h = len(kept_index)

            def e_of(answers):
                return sum(c[j] * h / sum(1 for wgt, a in weighted if wgt > 0 and is_valid(a.get(j)))
                           * (points[o] - mean[j]) for j, o in answers.items() if j in c and is_valid(o))
            e_kept = {l: e_of(order[l][2]) for l in kept_index}
            e_score = [e_kept[proxy[l]] for l in range(n)]
            e_rates = {}
            for name, codes in (("sat", sat_codes), ("dis", dis_codes)):
                r = rates[name]
                z = {l: (sum(1 for j, o in order[l][2].items() if o in codes and j in items)
                         - r * sum(1 for o in order[l][2].values() if is_valid(o))) * h / X
                     for l in kept_index}
                e_rates[name] = [z[proxy[l]] for l in range(n)]
        ss, dev = squares(e_score)
        rate_out = {}
        for name in ("sat", "dis"):
            r = rates[name]
            ssr, _ = squares(e_rates[name])
            var = ssr / (H * (H - 1)) if H >= 2 else math.nan
            if r in (0.0, 1.0) or not H >= 2:
                n_eff = H
            else:
                n_eff = min(max(r * (1 - r) / var, H), X) if var > 0 else X
            rate_out[name] = (r, n_eff, rate_interval(r, n_eff, H - 1))
        per_cell[(t, g)] = dict(n=n, h=H, S=S, ss=ss, rates=rate_out, rows=weighted,
                                dev={r[0]: d for r, d in zip(order, dev)})

    # Rule 7 by respondents; rule U2's prior per group: pooled over shown cells.
    shown = {key: v for key, v in per_cell.items() if v["n"] >= min_n and v["S"] is not None}
    pooled = {}
    for g in group_weight:
        ss = sum(v["ss"] for (t, gg), v in shown.items() if gg == g)
        df = sum(v["h"] - 1 for (t, gg), v in shown.items() if gg == g)
        pooled[g] = ss / df if df > 0 and ss > 0 else None
    all_df = sum(v["h"] - 1 for v in shown.values())
    fallback = sum(v["ss"] for v in shown.values()) / all_df if all_df > 0 else 0.0
    if not fallback > 0:
        fallback = ((hi - lo) / 4) ** 2
    for (t, g), v in shown.items():
        q0 = pooled[g] if pooled[g] is not None else fallback
        v["V"] = (v["ss"] + q0) / (v["h"] * v["h"])

    targets = sorted({t for t, _ in per_cell})
    used = {t: [g for g in group_weight if (t, g) in shown and group_weight[g] > 0] for t in targets}
    W = sum(w for w in group_weight.values() if w > 0)

    def logit_ci(C, se, df):
        x = (C - lo) / (hi - lo)
        if 0 < x < 1:
            spread = t975(df) * se / ((hi - lo) * x * (1 - x))
            ell = math.log(x / (1 - x))
            return (lo + (hi - lo) / (1 + math.exp(-(ell - spread))), lo + (hi - lo) / (1 + math.exp(-(ell + spread))))
        half = t975(df) * se
        return (min(max(C - half, lo), hi), min(max(C + half, lo), hi))

    def own_item(t, j, U):
        """Rule 14: a target-specific item's figures on its own target, over the groups of U that answered it."""
        cells = []
        for g in U:
            answers = [(wgt, a[j]) for wgt, a in per_cell[(t, g)]["rows"] if wgt > 0 and is_valid(a.get(j))]
            n = sum(wgt for wgt, _ in answers)
            if n > 0:
                cells.append((g, n, answers))
        if not cells:
            return dict(n=0, score=None)
        total = sum(group_weight[g] for g, _, _ in cells)
        score, parts, sat, count = 0.0, [], 0.0, 0
        for g, n, answers in cells:
            share_g = group_weight[g] / total
            mean = sum(wgt * points[o] for wgt, o in answers) / n
            s2 = sum(wgt * (points[o] - mean) ** 2 for wgt, o in answers) / (n - 1) if n > 1 else 0.0
            score += share_g * mean
            parts.append((share_g ** 2 * s2 / n, n - 1))
            sat += share_g * sum(wgt for wgt, o in answers if o in sat_codes) / n
            count += len(answers)
        se = math.sqrt(sum(v for v, _ in parts))
        df = ws(parts)
        return dict(n=count, score=score, se=se, df=df, ci95=logit_ci(score, se, df), satisfaction=sat)

    def c_over(t, groups):
        total = sum(group_weight[g] for g in groups)
        return sum(group_weight[g] / total * shown[(t, g)]["S"] for g in groups)

    out = {}
    for t in targets:
        U = used[t]
        if not U:
            continue
        wt = sum(group_weight[g] for g in U)
        shares = {g: group_weight[g] / wt for g in U}
        C_used = c_over(t, U)
        # Rule R.
        adjustment = adj_var = 0.0
        adj_df = math.inf
        no_reference = False
        for g in group_weight:
            if group_weight[g] <= 0 or g in U:
                continue
            if sum(1 for r in targets if r != t and g in used[r]) < 2:
                continue
            d = [shown[(r, g)]["S"] - c_over(r, U) for r in targets
                 if r != t and g in used[r] and all(x in used[r] for x in U)]
            if len(d) < 2:
                no_reference = True
                continue
            mean_d = sum(d) / len(d)
            # The missing group's implied score C_used + delta stays on the scale.
            delta = min(max(mean_d, lo - C_used), hi - C_used)
            adjustment += group_weight[g] / W * delta
            adj_var += (group_weight[g] / W) ** 2 * sum((x - mean_d) ** 2 for x in d) / (len(d) - 1) * (1 + 1 / len(d))
            adj_df = min(adj_df, len(d) - 1)
        if no_reference:
            adjustment = adj_var = 0.0
        C = C_used + adjustment
        parts = [(shares[g] ** 2 * shown[(t, g)]["V"], shown[(t, g)]["h"]) for g in U]
        parts.append((adj_var, adj_df))
        se = math.sqrt(sum(p for p, _ in parts))
        df = ws(parts)
        ci = logit_ci(C, se, df)  # rule U2's logit interval
        # Rule U4: MOVER over the groups' own intervals.
        target_rates = {}
        for name in ("sat", "dis"):
            r = sum(shares[g] * shown[(t, g)]["rates"][name][0] for g in U)
            down = sum(shares[g] ** 2 * (shown[(t, g)]["rates"][name][0] - shown[(t, g)]["rates"][name][2][0]) ** 2 for g in U)
            up = sum(shares[g] ** 2 * (shown[(t, g)]["rates"][name][2][1] - shown[(t, g)]["rates"][name][0]) ** 2 for g in U)
            target_rates[name] = (r, (max(0.0, r - math.sqrt(down)), min(1.0, r + math.sqrt(up))))
        specific = {j: own_item(t, j, U) for j, x in items.items() if x.get("target") == t}
        out[t] = dict(score=C, score_used=C_used, adjustment=adjustment, se=se, df=df, ci95=ci, shares=shares,
                      items=specific,
                      adj_var=adj_var, adj_df=adj_df, no_reference=no_reference,
                      sat_ci95=target_rates["sat"][1], dis_ci95=target_rates["dis"][1],
                      grade_range=(grade_of(ci[0], method["grades"]), grade_of(ci[1], method["grades"])),
                      alert_range=(alert_of(target_rates["dis"][1][0], method["alerts"]),
                                   alert_of(target_rates["dis"][1][1], method["alerts"])),
                      groups={g: per_cell[(t, g)]["rates"] for g in group_weight if (t, g) in shown})

    # Rule U5: rank bands with paired variances and Holm per target.
    ranked = sorted((t for t in out if not out[t]["no_reference"]), key=lambda t: -round(out[t]["score"], 2))
    N = len(ranked)
    for a in ranked:
        tests = []
        for b in ranked:
            if b == a:
                continue
            d = out[b]["score"] - out[a]["score"]
            parts = []
            for g in group_weight:
                sa, sb = out[a]["shares"].get(g, 0.0), out[b]["shares"].get(g, 0.0)
                if sa == 0 and sb == 0:
                    continue
                va = shown[(a, g)]["V"] if sa else 0.0
                vb = shown[(b, g)]["V"] if sb else 0.0
                cov = 0.0
                if sa and sb:
                    da, db = shown[(a, g)]["dev"], shown[(b, g)]["dev"]
                    cov = sum(da[i] * db[i] for i in da if i in db) / (shown[(a, g)]["h"] * shown[(b, g)]["h"])
                    if any(i in db for i in da):
                        df_g = min(shown[(a, g)]["h"], shown[(b, g)]["h"])
                    else:
                        df_g = ws([(sa * sa * va, shown[(a, g)]["h"]), (sb * sb * vb, shown[(b, g)]["h"])])
                else:
                    df_g = shown[(a, g)]["h"] if sa else shown[(b, g)]["h"]
                parts.append((max(0.0, sa * sa * va + sb * sb * vb - 2 * sa * sb * cov), df_g))
            parts += [(out[a]["adj_var"], out[a]["adj_df"]), (out[b]["adj_var"], out[b]["adj_df"])]
            var = sum(p for p, _ in parts)
            df = ws(parts)
            if var > 0 and df > 0:
                p = 2 * stats.t.sf(abs(d) / math.sqrt(var), df)
            else:
                p = 0.0 if (var == 0 and d != 0) else 1.0
            tests.append((p, d))
        tests.sort(key=lambda x: x[0])
        better = worse = 0
        for i, (p, d) in enumerate(tests):
            if p > (1 - LEVEL) / (len(tests) - i):
                break
            better += d > 0
            worse += d < 0
        rank = 1 + sum(1 for b in ranked if round(out[b]["score"], 2) > round(out[a]["score"], 2))
        out[a]["rank_ci95"] = (min(1 + better, rank), max(N - worse, rank))
    # Rule F.
    centre = sum(out[t]["score"] for t in ranked) / N if N else None
    for t in ranked:
        z = (out[t]["score"] - centre) / out[t]["se"]
        out[t]["funnel"] = ("above_998" if z > Z998 else "above_95" if z > Z else "below_998" if z < -Z998
                            else "below_95" if z < -Z else "within")
    for t in out:
        out[t].setdefault("rank_ci95", None)
        out[t].setdefault("funnel", None)
    return out
