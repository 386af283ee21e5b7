"""Appraisals simulated from a known truth, to measure how often the published intervals hold it.

Respondent i of group g answers item j on target t by an ordered-probit model:
latent = mu[t] + delta[t, g] + beta[j] + leniency[i] + noise, cut at three thresholds
into D < C < B < A; a "don't know" and a blank come at random. The personal leniency
makes the answers of one ballot correlated, across items and targets alike. Every
respondent of a group rates the targets whose cell size n[t, g] (7 to 60) reaches
its position, so cells differ in size.

The truth of a figure is what the method would publish from the whole population of
respondents: without trimming, exactly (normal probabilities); with trimming, the
score the same share k/n set aside at each end gives, from a large sample.
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


def method(trim: int) -> scoring.Method:
    return scoring.Method.from_dict({
        "scale": {"options": [{"code": "A", "points": 100}, {"code": "B", "points": 80},
                              {"code": "C", "points": 60}, {"code": "D", "points": 40},
                              {"code": "DK", "points": None}],
                  "satisfied": ["A", "B"], "dissatisfied": ["D"]},
        "dimensions": [{"code": c, "weight": w} for c, w in DIMENSIONS],
        "items": [{"code": c, "dimension": d, "weight": w} for c, d, w in ITEMS],
        "groups": [{"code": c, "weight": w} for c, w in GROUPS],
        "min_group_size": 5, "trim": trim,
        "grades": [{"code": "excellent", "min": 90}, {"code": "good", "min": 80},
                   {"code": "fair", "min": 60}, {"code": "poor", "min": 0}],
        "alerts": {"prevention": 0.15, "warning": 0.30},
    })


@dataclass
class Design:
    mu: np.ndarray          # (T,)
    delta: np.ndarray       # (T, G)
    beta: np.ndarray        # (J,)
    size: np.ndarray        # (T, G) ballots per cell
    leniency_sd: float = 0.7
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
        sd = np.hypot(self.leniency_sd, self.noise_sd)
        below = stats.norm.cdf((CUTS[None, None, None, :] - centre[..., None]) / sd)
        cumulative = np.concatenate([np.zeros(below.shape[:-1] + (1,)), below,
                                     np.ones(below.shape[:-1] + (1,))], axis=-1)
        return np.diff(cumulative, axis=-1)

    def levels(self, rng: np.random.Generator, n: int, t: np.ndarray, g: np.ndarray,
               leniency: np.ndarray) -> np.ndarray:
        """Answer levels 0..3 (D..A) for responses (t, g, leniency), shape (responses, J)."""
        latent = (self.mu[t] + self.delta[t, g] + leniency)[:, None] + self.beta[None, :] \
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


def truth(design: Design, trim: int, rng: np.random.Generator, population: int = 60_000) -> dict:
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


@dataclass
class Coverage:
    composite: float
    satisfaction: float
    group_rates: float
    rank: float
    exact_rank: float
    replications: int
    intervals: int
    median_rank_band: float


def coverage(seed: int, trim: int, replications: int, designs: int = 2) -> Coverage:
    """Share of intervals that hold the truth, over ``designs`` designs x ``replications`` appraisals."""
    rng = np.random.default_rng(seed)
    hits = {"composite": [], "satisfaction": [], "group_rates": [], "rank": [], "exact": []}
    widths = []
    m = method(trim)
    for _ in range(designs):
        design = Design.draw(rng)
        true = truth(design, trim, rng)
        for _ in range(replications):
            results = scoring.score(replicate(design, rng), m)
            for entry in results["targets"]:
                t = int(entry["target"][1:])
                low, high = entry["ci95"]
                hits["composite"].append(low <= true["C"][t] <= high)
                for rate, key in (("satisfaction", "sat_t"), ("dissatisfaction", "dis_t")):
                    low, high = entry[f"{rate}_ci95"]
                    hits["satisfaction"].append(low <= true[key][t] <= high)
                for g, (code, _) in enumerate(GROUPS):
                    cell = entry["groups"][code]
                    for rate, key in (("satisfaction", "sat"), ("dissatisfaction", "dis")):
                        low, high = cell[f"{rate}_ci95"]
                        hits["group_rates"].append(low <= true[key][t, g] <= high)
                best, worst = entry["rank_ci95"]
                hits["rank"].append(best <= true["rank"][t] <= worst)
                hits["exact"].append(entry["rank"] == true["rank"][t])
                widths.append(worst - best + 1)
    share = {k: float(np.mean(v)) for k, v in hits.items()}
    return Coverage(composite=share["composite"], satisfaction=share["satisfaction"],
                    group_rates=share["group_rates"], rank=share["rank"], exact_rank=share["exact"],
                    replications=designs * replications, intervals=len(hits["composite"]),
                    median_rank_band=float(np.median(widths)))
