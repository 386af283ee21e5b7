"""A second, plain-Python implementation of the uncertainty rules U1 to U6, written from the text of
docs/scoring-method.md with loops and dictionaries, to check the vectorised engine against.

It takes the rows of conftest.answer_columns and a method dictionary, and assumes valid input
without straight-lining exclusion.
"""
from __future__ import annotations

import math
from collections import defaultdict

from scipy import stats

LEVEL = 0.95
Z = stats.norm.ppf(0.975)


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


def uncertainty(ballots, method):
    points = {o["code"]: o["points"] for o in method["scale"]["options"]}
    valid_points = [p for p in points.values() if p is not None]
    lo, hi = min(valid_points), max(valid_points)
    items = {x["code"]: x for x in method["items"]}
    dim_weight = {x["code"]: x["weight"] for x in method["dimensions"]}
    group_weight = {x["code"]: x["weight"] for x in method["groups"]}
    sat_codes, dis_codes = set(method["scale"]["satisfied"]), set(method["scale"]["dissatisfied"])
    k = method.get("trim", 0)
    min_n = method.get("min_group_size", 5)

    # Rule 1: scored responses per cell.
    cells = defaultdict(list)  # (t, g) -> [(ballot id, score, answers)]
    for ballot, group, target, answers in ballots:
        num = den = 0.0
        for j, o in answers.items():
            if o and points.get(o) is not None:
                num += items[j]["weight"] * points[o]
                den += items[j]["weight"]
        if den > 0:
            cells[(target, group)].append((ballot, num / den, answers))

    out = {}
    per_cell = {}
    for (t, g), rows in cells.items():
        n = len(rows)
        # Rule 2 with proxies: ascending score, ties by id; dropped lows stand in as the k-th.
        order = sorted(rows, key=lambda r: (round(r[1] / (1e-9 * max(abs(p) for p in valid_points))),
                                            r[0].encode()))
        if k and n > 2 * k:
            kept = order[k:n - k]
            proxy = [kept[0]] * k + kept + [kept[-1]] * k
        else:
            kept, proxy = order, order
        h = len(kept)
        # Rule 4-6 on kept ballots.
        valid = defaultdict(list)
        for _, _, answers in kept:
            for j, o in answers.items():
                if o and points.get(o) is not None:
                    valid[j].append(points[o])
        mean = {j: sum(v) / len(v) for j, v in valid.items()}
        dims = {}
        for j in mean:
            dims.setdefault(items[j]["dimension"], []).append(j)
        u_total = sum(dim_weight[d] for d in dims)
        c = {}
        for d, members in dims.items():
            a_total = sum(items[j]["weight"] for j in members)
            for j in members:
                c[j] = dim_weight[d] / u_total * items[j]["weight"] / a_total
        S = sum(c[j] * mean[j] for j in c)

        def e(answers):
            total = 0.0
            for j, o in answers.items():
                if j in c and o and points.get(o) is not None:
                    total += c[j] * h / len(valid[j]) * (points[o] - mean[j])
            return total

        def squares(values):
            m = sum(values) / len(values)
            return sum((v - m) ** 2 for v in values)

        ss = squares([e(r[2]) for r in proxy])
        answers_total = sum(len(v) for v in valid.values())
        rates = {}
        for name, codes in (("sat", sat_codes), ("dis", dis_codes)):
            y = lambda a: sum(1 for j, o in a.items() if o in codes and j in items)
            x = lambda a: sum(1 for j, o in a.items() if o and points.get(o) is not None)
            r = sum(y(a) for _, _, a in kept) / answers_total
            z = [(y(a) - r * x(a)) * h / answers_total for _, _, a in proxy]
            var = squares(z) / (h * (h - 1)) if h >= 2 else math.nan
            if r in (0.0, 1.0) or h < 2:
                n_eff = h
            else:
                n_eff = min(max(r * (1 - r) / var, h), answers_total) if var > 0 else answers_total
            rates[name] = (r, n_eff, rate_interval(r, n_eff, h - 1))
        per_cell[(t, g)] = dict(h=h, S=S, ss=ss, rates=rates)

    # Rule U2's prior per group: pooled over shown cells.
    shown = {key: v for key, v in per_cell.items() if v["h"] >= min_n}
    pooled = {}
    for g in group_weight:
        ss = sum(v["ss"] for (t, gg), v in shown.items() if gg == g)
        df = sum(v["h"] - 1 for (t, gg), v in shown.items() if gg == g)
        pooled[g] = ss / df if df > 0 and ss > 0 else None
    all_df = sum(v["h"] - 1 for v in shown.values())
    fallback = sum(v["ss"] for v in shown.values()) / all_df if all_df > 0 else 0.0
    if not fallback > 0:
        fallback = ((hi - lo) / 4) ** 2

    targets = sorted({t for t, _ in per_cell})
    for t in targets:
        used = [g for g in group_weight if (t, g) in shown and group_weight[g] > 0]
        if not used:
            continue
        wt = sum(group_weight[g] for g in used)
        C = sum(group_weight[g] / wt * shown[(t, g)]["S"] for g in used)
        parts = []
        for g in used:
            v = shown[(t, g)]
            q0 = pooled[g] if pooled[g] is not None else fallback
            var = (v["ss"] + q0) / v["h"] / v["h"]
            parts.append(((group_weight[g] / wt) ** 2 * var, v["h"]))
        se = math.sqrt(sum(p for p, _ in parts))
        df = ws(parts)
        half = t975(df) * se
        target_rates = {}
        for name in ("sat", "dis"):
            r = sum(group_weight[g] / wt * shown[(t, g)]["rates"][name][0] for g in used)
            comp = [((group_weight[g] / wt) ** 2 / shown[(t, g)]["rates"][name][1], shown[(t, g)]["h"] - 1)
                    for g in used]
            n_eff = 1 / sum(p for p, _ in comp)
            target_rates[name] = rate_interval(r, n_eff, ws(comp))
        out[t] = dict(score=C, se=se, df=df, parts=parts,
                      ci95=(min(max(C - half, lo), hi), min(max(C + half, lo), hi)),
                      sat_ci95=target_rates["sat"], dis_ci95=target_rates["dis"],
                      groups={g: per_cell[(t, g)]["rates"] for g in group_weight
                              if (t, g) in shown})

    # Rule U5: rank bands with Holm per target.
    ranked = sorted(out, key=lambda t: -round(out[t]["score"], 2))
    N = len(ranked)
    for a in ranked:
        tests = []
        for b in ranked:
            if b == a:
                continue
            d = out[b]["score"] - out[a]["score"]
            var = out[a]["se"] ** 2 + out[b]["se"] ** 2
            df = ws(out[a]["parts"] + out[b]["parts"])
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
    return out
