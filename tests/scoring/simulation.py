"""Appraisals simulated from a known truth, to measure how often the published intervals hold it.

Respondent i of group g answers item j on target t by an ordered-probit model:
latent = mu[t] + delta[t, g] + beta[j] + leniency[i] + noise, cut at three thresholds
into D < C < B < A; a "don't know" and a blank come at random. The personal leniency
makes the answers of one ballot correlated, across items and targets alike. Every
respondent of a group rates the targets whose cell size n[t, g] (7 to 60) reaches
its position, so cells differ in size.

The truth of a figure is what the method would publish from the whole population of
respondents: without trimming, exactly (normal probabilities); with count trimming, the
score the same share k/n set aside at each end gives, from a large sample; with share
trimming (rule 2'), the population's panel-weighted score, from a large sample.

``measure`` runs one named design (see DESIGNS: plain, share trimming, a reweighted target
whose harsher group is suppressed, near-ties) and returns every figure the tests check;
``trim_bias`` scores one population at 5 and at 60 ballots. ``bench/simulation.py`` runs
the full 400-replication version and prints the figures the README quotes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

import scoring

POINTS = np.array([40.0, 60.0, 80.0, 100.0])  # D C B A
CUTS = np.array([-0.9, 0.0, 0.9])
OPTION_CODES = ["A", "B", "C", "D", "DK"]
#: Option code index of each level D, C, B, A in OPTION_CODES.
LEVEL_CODE = np.array([3, 2, 1, 0])
DK_CODE = 4
ITEMS = [("w1", "work", 1.0), ("w2", "work", 1.0), ("w3", "work", 2.0),
         ("i1", "integrity", 1.0), ("i2", "integrity", 1.0)]
DIMENSIONS = [("work", 2.0), ("integrity", 1.0)]
GROUPS = [("public", 0.5), ("staff", 0.3), ("deputies", 0.2)]


def method(trim: int, trim_share: float = 0.0) -> scoring.Method:
    return scoring.Method.from_dict(_method_dict(trim, trim_share))


@dataclass
class Design:
    mu: np.ndarray          # (T,)
    delta: np.ndarray       # (T, G)
    beta: np.ndarray        # (J,)
    size: np.ndarray        # (T, G) ballots per cell
    leniency_sd: float = 0.7
    #: a campaign-wide shift of each group's latent answers (a harsher group: negative)
    group_shift: np.ndarray | None = None
    noise_sd: float = 0.7
    dont_know: float = 0.08
    blank: float = 0.03

    @classmethod
    def draw(cls, rng: np.random.Generator, targets: int = 12) -> Design:
        return cls(mu=np.sort(rng.normal(0.5, 0.35, targets))[::-1].copy(),
                   delta=rng.normal(0, 0.2, (targets, len(GROUPS))),
                   beta=rng.normal(0, 0.2, len(ITEMS)),
                   size=rng.integers(7, 61, (targets, len(GROUPS))))

    def level_probabilities(self) -> np.ndarray:
        """(T, G, J, 4) probabilities of D, C, B, A for one answer (leniency integrated out)."""
        centre = self.mu[:, None, None] + self.delta[:, :, None] + self.beta[None, None, :]
        if self.group_shift is not None:
            centre = centre + self.group_shift[None, :, None]
        sd = np.hypot(self.leniency_sd, self.noise_sd)
        below = stats.norm.cdf((CUTS[None, None, None, :] - centre[..., None]) / sd)
        cumulative = np.concatenate([np.zeros(below.shape[:-1] + (1,)), below,
                                     np.ones(below.shape[:-1] + (1,))], axis=-1)
        return np.diff(cumulative, axis=-1)

    def levels(self, rng: np.random.Generator, n: int, t: np.ndarray, g: np.ndarray,
               leniency: np.ndarray) -> np.ndarray:
        """Answer levels 0..3 (D..A) for responses (t, g, leniency), shape (responses, J)."""
        shift = self.group_shift[g] if self.group_shift is not None else 0.0
        latent = (self.mu[t] + self.delta[t, g] + shift + leniency)[:, None] + self.beta[None, :] \
            + rng.normal(0, self.noise_sd, (len(t), len(self.beta)))
        return np.searchsorted(CUTS, latent)


def _untrimmed_truth(design: Design) -> dict:
    p = design.level_probabilities()                        # (T, G, J, 4)
    item_mean = p @ POINTS                                  # (T, G, J)
    return {"S": _group_score(item_mean), "sat": p[..., 2:].sum(-1).mean(-1), "dis": p[..., 0].mean(-1)}


def _group_score(item_mean: np.ndarray) -> np.ndarray:
    dims = []
    for d, _ in DIMENSIONS:
        members = [k for k, x in enumerate(ITEMS) if x[1] == d]
        w = np.array([ITEMS[k][2] for k in members])
        dims.append(item_mean[..., members] @ w / w.sum())
        # (items never go unanswered in the population)
    u = np.array([w for _, w in DIMENSIONS])
    return np.stack(dims, -1) @ u / u.sum()


def _trimmed_truth(design: Design, trim: int, rng: np.random.Generator, population: int) -> dict:
    """The trimmed figures of the whole population, from a large sample per cell."""
    T, G = design.size.shape
    J = len(ITEMS)
    a = np.array([x[2] for x in ITEMS])
    S, sat, dis = (np.empty((T, G)) for _ in range(3))
    for t in range(T):
        for g in range(G):
            n = int(design.size[t, g])
            leniency = rng.normal(0, design.leniency_sd, population)
            level = design.levels(rng, population, np.full(population, t), np.full(population, g), leniency)
            valid = rng.random((population, J)) >= design.dont_know + design.blank
            points = POINTS[level]
            b = (points * valid) @ a / np.maximum(valid @ a, 1e-300)
            scored = (valid @ a) > 0
            order = np.argsort(np.where(scored, b, np.inf), kind="stable")[:scored.sum()]
            share = trim / n if n > 2 * trim else 0.0
            cut = int(round(share * len(order)))
            keep = order[cut:len(order) - cut]
            v, pts, lv = valid[keep], points[keep], level[keep]
            item_mean = (pts * v).sum(0) / v.sum(0)
            S[t, g] = _group_score(item_mean)
            sat[t, g] = ((lv >= 2) & v).sum() / v.sum()
            dis[t, g] = ((lv == 0) & v).sum() / v.sum()
    return {"S": S, "sat": sat, "dis": dis}


def panel_weight(u: np.ndarray, panel: int, share: float) -> np.ndarray:
    """Rule 2' in the population: the weight of the ballot at quantile u (mean 1)."""
    from math import comb
    cut = share * panel
    out = np.zeros_like(u)
    for r in range(panel):
        psi = max(0.0, min(r + 1, panel - cut) - max(r, cut)) / (panel * (1 - 2 * share))
        out += psi * panel * comb(panel - 1, r) * u ** r * (1 - u) ** (panel - 1 - r)
    return out


def _share_truth(design: Design, share: float, panel: int, rng: np.random.Generator, population: int) -> dict:
    """The share-trimmed figures of the whole population, from a large sample per cell."""
    T, G = design.size.shape
    J = len(ITEMS)
    a = np.array([x[2] for x in ITEMS])
    S, sat, dis = (np.empty((T, G)) for _ in range(3))
    for t in range(T):
        for g in range(G):
            S[t, g], sat[t, g], dis[t, g] = _share_cell(design, t, g, share, panel, rng, population, a, J)
    return {"S": S, "sat": sat, "dis": dis}


def _share_cell(design, t, g, share, panel, rng, population, a, J):
    leniency = rng.normal(0, design.leniency_sd, population)
    level = design.levels(rng, population, np.full(population, t), np.full(population, g), leniency)
    valid = rng.random((population, J)) >= design.dont_know + design.blank
    points = POINTS[level]
    scored = (valid @ a) > 0
    level, valid, points = level[scored], valid[scored], points[scored]
    b = (points * valid) @ a / (valid @ a)
    order = np.argsort(b, kind="stable")
    weight = np.empty(len(b))
    weight[order] = panel_weight((np.arange(len(b)) + 0.5) / len(b), panel, share)
    wv = valid * weight[:, None]
    item_mean = (points * wv).sum(0) / wv.sum(0)
    return (_group_score(item_mean), ((level >= 2) * wv).sum() / wv.sum(), ((level == 0) * wv).sum() / wv.sum())


def truth(design: Design, trim: int, rng: np.random.Generator, population: int = 60_000,
          trim_share: float = 0.0, panel: int = 5) -> dict:
    if trim_share:
        cells = _share_truth(design, trim_share, panel, rng, population)
    else:
        cells = _untrimmed_truth(design) if trim == 0 else _trimmed_truth(design, trim, rng, population)
    w = np.array([x[1] for x in GROUPS])
    composite = cells["S"] @ w / w.sum()
    true_rank = 1 + (composite[None, :] > composite[:, None]).sum(axis=1)
    return dict(cells, C=composite, sat_t=cells["sat"] @ w / w.sum(), dis_t=cells["dis"] @ w / w.sum(),
                rank=true_rank)


def replicate(design: Design, rng: np.random.Generator) -> scoring.Answers:
    """One appraisal's answers, as integer codes."""
    T, G = design.size.shape
    J = len(ITEMS)
    ballot_of, target_of, group_of, leniency_of = [], [], [], []
    first = 0
    group_of_ballot = []
    for g in range(G):
        people = int(design.size[:, g].max())
        leniency = rng.normal(0, design.leniency_sd, people)
        for t in range(T):
            n = int(design.size[t, g])
            ballot_of.append(first + np.arange(n))
            target_of.append(np.full(n, t))
            group_of.append(np.full(n, g))
            leniency_of.append(leniency[:n])
        group_of_ballot.append(np.full(people, g))
        first += people
    ballot = np.concatenate(ballot_of)
    t = np.concatenate(target_of)
    g = np.concatenate(group_of)
    level = design.levels(rng, len(t), t, g, np.concatenate(leniency_of))
    option = LEVEL_CODE[level]
    u = rng.random(level.shape)
    option = np.where(u < design.dont_know, DK_CODE, option)
    option = np.where((u >= design.dont_know) & (u < design.dont_know + design.blank), -1, option)
    n_ballots = first
    return scoring.Answers.from_codes(
        ballot_ids=[f"b{i:06d}" for i in range(n_ballots)], group_codes=[c for c, _ in GROUPS],
        target_codes=[f"t{k:02d}" for k in range(T)], item_codes=[c for c, _, _ in ITEMS],
        option_codes=OPTION_CODES, ballot=np.repeat(ballot, J), target=np.repeat(t, J),
        item=np.tile(np.arange(J), len(t)), option=option.reshape(-1),
        group_of_ballot=np.concatenate(group_of_ballot))


# -- the designs of the published figures (rank bands, grades and alerts, reweighting) -------

GRADE_MINS = [("excellent", 90.0), ("good", 80.0), ("fair", 60.0), ("poor", 0.0)]


def true_grade(c: float) -> str:
    return next(code for code, low in GRADE_MINS if c >= low)


def true_alert(d: float) -> str:
    return "warning" if d >= 0.30 else "prevention" if d >= 0.15 else "none"


def draw_design(name: str, rng: np.random.Generator) -> tuple[Design, int, float]:
    """(design, trim count, trim share) of a named design; every design draws 12 targets.

    plain       the base model: 3 weighted groups of 7 to 60 ballots per target.
    trimmed     the same with share trimming 0.2 (one of each end of a panel of 5).
    reweighted  staff is harsher campaign-wide (-0.4 on the latent scale) and target t03
                (typical of staff) has only 3 staff ballots, so it is reweighted (rule R).
    near_ties   four pairs of targets 0.01 apart on the latent scale.
    """
    design = Design.draw(rng)
    if name == "trimmed":
        return design, 0, 0.2
    if name == "reweighted":
        design.group_shift = np.array([0.0, -0.4, 0.0])
        design.delta[3, 1] = 0.0  # typical of its group
        design.size[3, 1] = 3
        return design, 0, 0.0
    if name == "near_ties":
        mu = design.mu.copy()
        for k in range(0, 8, 2):
            mu[k + 1] = mu[k] - 0.01
        design.mu = np.sort(mu)[::-1].copy()
        return design, 0, 0.0
    return design, 0, 0.0


DESIGNS = ("plain", "trimmed", "reweighted", "near_ties")


@dataclass
class Figures:
    design: str
    replications: int
    rank_coverage_min: float      # the least covered target's share of bands holding its true rank
    rank_coverage: float          # over every target and replication
    band: float                   # mean band width (worst - best + 1)
    spread: float                 # mean over targets of the published rank's 2.5-97.5% range (+1)
    composite: float              # ci95 holds the true score
    below: float                  # truth below the interval
    above: float                  # truth above the interval
    target_rates: float           # target-level satisfaction and dissatisfaction intervals
    group_rates: float
    grade_certain: float          # share of grades published as certain
    grade_certain_wrong: float    # of those, wrong
    alert_certain: float
    alert_certain_wrong: float
    reweighted_coverage: float | None  # the reweighted target's ci95 holds its full-panel score
    reweighted_rank: float | None      # ... and its rank band its true rank
    reweighted_shift: float | None     # its mean score less its full-panel score
    reweighted_unadjusted: float | None  # the same without rule R's adjustment
    seconds: float

    @property
    def ratio(self) -> float:
        return self.band / self.spread

    def line(self) -> str:
        extra = ""
        if self.reweighted_coverage is not None:
            extra = (f"; reweighted target: ci95 {self.reweighted_coverage:.3f}, rank band "
                     f"{self.reweighted_rank:.3f}, bias {self.reweighted_shift:+.2f} (unadjusted "
                     f"{self.reweighted_unadjusted:+.2f})")
        return (f"{self.design}: rank band {self.band:.2f} vs spread {self.spread:.2f} = "
                f"{self.ratio:.2f}x, coverage min {self.rank_coverage_min:.3f} (all "
                f"{self.rank_coverage:.3f}); ci95 {self.composite:.3f} (below {self.below:.3f}, "
                f"above {self.above:.3f}); target rates {self.target_rates:.3f}, group rates "
                f"{self.group_rates:.3f}; certain grades {self.grade_certain:.2f} wrong "
                f"{self.grade_certain_wrong:.3f}, certain alerts {self.alert_certain:.2f} wrong "
                f"{self.alert_certain_wrong:.3f}{extra}; {self.replications} replications, "
                f"{self.seconds:.0f} s")


def measure(name: str, replications: int, seed: int = 2030) -> Figures:
    """Every published figure of one named design against its truth, over ``replications``."""
    import time
    started = time.perf_counter()
    rng = np.random.default_rng(seed + DESIGNS.index(name))
    design, trim, share = draw_design(name, rng)
    true = truth(design, trim, rng, trim_share=share)
    m = method(trim, share)
    T = len(design.mu)
    ranks = np.zeros((replications, T))
    holds = np.zeros((replications, T), dtype=bool)
    widths = []
    hits = {"ci": [], "below": [], "above": [], "rates": [], "groups": []}
    grades, alerts = [], []   # (certain, wrong)
    rew = {"ci": [], "rank": [], "shift": [], "unadjusted": []}
    for k in range(replications):
        results = scoring.score(replicate(design, rng), m)
        for entry in results["targets"]:
            t = int(entry["target"][1:])
            low, high = entry["ci95"]
            c = true["C"][t]
            hits["ci"].append(low <= c <= high)
            hits["below"].append(c < low)
            hits["above"].append(c > high)
            for rate, key in (("satisfaction", "sat_t"), ("dissatisfaction", "dis_t")):
                lo, hi = entry[f"{rate}_ci95"]
                hits["rates"].append(lo <= true[key][t] <= hi)
            for g, (code, _) in enumerate(GROUPS):
                cell = entry["groups"][code]
                if cell["suppressed"]:
                    continue
                for rate, key in (("satisfaction", "sat"), ("dissatisfaction", "dis")):
                    lo, hi = cell[f"{rate}_ci95"]
                    hits["groups"].append(lo <= true[key][t, g] <= hi)
            grades.append((entry["grade_status"] == "certain", entry["grade"] != true_grade(c)))
            alerts.append((entry["alert_status"] == "certain", entry["alert"] != true_alert(true["dis_t"][t])))
            best, worst = entry["rank_ci95"]
            ranks[k, t] = entry["rank"]
            holds[k, t] = best <= true["rank"][t] <= worst
            widths.append(worst - best + 1)
            if entry["reweighted"]:
                rew["ci"].append(low <= c <= high)
                rew["rank"].append(best <= true["rank"][t] <= worst)
                rew["shift"].append(entry["score"] - c)
                rew["unadjusted"].append(entry["score_reweighted"] - c)
    spread = np.percentile(ranks, 97.5, axis=0) - np.percentile(ranks, 2.5, axis=0) + 1
    certain = lambda pairs: float(np.mean([c for c, _ in pairs]))
    wrong = lambda pairs: float(np.mean([w for c, w in pairs if c])) if any(c for c, _ in pairs) else 0.0
    mean = lambda v: float(np.mean(v)) if v else None
    return Figures(
        design=name, replications=replications,
        rank_coverage_min=float(holds.mean(axis=0).min()), rank_coverage=float(holds.mean()),
        band=float(np.mean(widths)), spread=float(spread.mean()),
        composite=float(np.mean(hits["ci"])), below=float(np.mean(hits["below"])),
        above=float(np.mean(hits["above"])), target_rates=float(np.mean(hits["rates"])),
        group_rates=float(np.mean(hits["groups"])),
        grade_certain=certain(grades), grade_certain_wrong=wrong(grades),
        alert_certain=certain(alerts), alert_certain_wrong=wrong(alerts),
        reweighted_coverage=mean(rew["ci"]), reweighted_rank=mean(rew["rank"]),
        reweighted_shift=mean(rew["shift"]), reweighted_unadjusted=mean(rew["unadjusted"]), seconds=time.perf_counter() - started)


def trim_bias(seed: int = 7, share: float = 0.2, copies: int = 3000) -> dict:
    """Mean share-trimmed group score of one population at 5 and at 60 ballots, and its truth.

    ``copies`` cells of 5 ballots (and copies / 12 of 60: the same number of ballots) of
    one (target, group) population, scored 100 cells at a time as 100 targets of one group.
    """
    rng = np.random.default_rng(seed)
    design = Design.draw(rng)
    design.mu[0] = 1.0  # a well-rated target: its ballot scores are skewed by the 100 ceiling
    t, g = 0, 0
    m = scoring.Method.from_dict({**_method_dict(0, share), "groups": [{"code": "public", "weight": 1.0}]})
    a = np.array([x[2] for x in ITEMS])
    estimand = _share_cell(design, t, g, share, 5, rng, 400_000, a, len(ITEMS))[0]
    means = {}
    for n in (5, 60):
        cells = copies if n == 5 else copies // 12
        values = []
        for start in range(0, cells, 100):
            k = min(100, cells - start)
            # (a cell left with fewer than 5 scored ballots, all answers don't-know or blank, is suppressed)
            values += [e["score"] for e in scoring.score(_copies(design, t, g, n, k, rng), m)["targets"]
                       if e["score"] is not None]
        means[n] = float(np.mean(values))
    return {"n5": means[5], "n60": means[60], "estimand": estimand}


def _method_dict(trim: int, share: float) -> dict:
    return {
        "scale": {"options": [{"code": "A", "points": 100}, {"code": "B", "points": 80},
                              {"code": "C", "points": 60}, {"code": "D", "points": 40},
                              {"code": "DK", "points": None}],
                  "satisfied": ["A", "B"], "dissatisfied": ["D"]},
        "dimensions": [{"code": c, "weight": w} for c, w in DIMENSIONS],
        "items": [{"code": c, "dimension": d, "weight": w} for c, d, w in ITEMS],
        "groups": [{"code": c, "weight": w} for c, w in GROUPS],
        "min_group_size": 5, "trim": trim, "trim_share": share,
        "grades": [{"code": c, "min": x} for c, x in GRADE_MINS],
        "alerts": {"prevention": 0.15, "warning": 0.30},
    }


def _copies(design: Design, t: int, g: int, n: int, k: int, rng: np.random.Generator) -> scoring.Answers:
    """k targets, each n ballots of their own from population cell (t, g), all in group public."""
    J = len(ITEMS)
    people = n * k
    level = design.levels(rng, people, np.full(people, t), np.full(people, g),
                          rng.normal(0, design.leniency_sd, people))
    option = LEVEL_CODE[level]
    u = rng.random(level.shape)
    option = np.where(u < design.dont_know, DK_CODE, option)
    option = np.where((u >= design.dont_know) & (u < design.dont_know + design.blank), -1, option)
    return scoring.Answers.from_codes(
        ballot_ids=[f"b{i:06d}" for i in range(people)], group_codes=["public"],
        target_codes=[f"t{i:03d}" for i in range(k)], item_codes=[c for c, _, _ in ITEMS],
        option_codes=OPTION_CODES, ballot=np.repeat(np.arange(people), J),
        target=np.repeat(np.arange(people) // n, J), item=np.tile(np.arange(J), people),
        option=option.reshape(-1), group_of_ballot=np.zeros(people, dtype=np.int64))
