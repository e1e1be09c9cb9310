"""Mixture designs over the probability simplex, under per-source bounds (RegMix, Data Mixing Laws).

Bounds: ``lo_s <= w_s <= hi_s`` with ``hi_s = min(max_weight_s, available_tokens_s x max_epochs_s /
target_tokens)`` (the repetition cap), and ``sum w = 1``. Every point this module returns satisfies them.

A design is a sequence whose i-th point depends only on (seed, i), so growing ``runs`` from 64 to 96 keeps
the first 64 points and a resumed study trains only the new ones. Order: the uniform mix, the natural
(token-proportional) mix, one vertex per source (as much of it as the bounds allow), then Dirichlet draws
around the natural mix with the concentrations cycled, every ``near_uniform_every``-th draw a near-uniform
point instead, so the design covers the corners, the centre and the region near the natural mix.
"""

from __future__ import annotations

import numpy as np

from pipeline.errors import ConfigError


def check_bounds(names: list[str], lo: np.ndarray, hi: np.ndarray) -> None:
    """ConfigError unless some mixture satisfies the bounds, naming the sources at fault."""
    bad = [f"{n} (min {a:.4g} > max {b:.4g})" for n, a, b in zip(names, lo, hi) if a > b + 1e-12]
    if bad:
        raise ConfigError("constraints: infeasible: min_weight above the max weight (max_weight or the epoch cap "
                          f"available x max_epochs / target_tokens) for {', '.join(bad)}")
    if lo.sum() > 1 + 1e-9:
        raise ConfigError(f"constraints: infeasible: the min_weights sum to {lo.sum():.4g} > 1")
    if hi.sum() < 1 - 1e-9:
        caps = ", ".join(f"{n} <= {h:.4g}" for n, h in zip(names, hi))
        raise ConfigError(f"constraints: infeasible: the max weights sum to {hi.sum():.4g} < 1 ({caps}); raise "
                          "max_weight or max_epochs, add data, or lower target_tokens")


def project(v: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Euclidean projection of each row of ``v`` onto {lo <= w <= hi, sum w = 1} (bisection on the shift)."""
    v = np.atleast_2d(np.asarray(v, dtype=np.float64))
    a = (v - hi).min(axis=1) - 1e-12  # shift at which every coordinate sits at hi (sum >= 1)
    b = (v - lo).max(axis=1) + 1e-12  # ... at lo (sum <= 1)
    for _ in range(60):
        mid = (a + b) / 2
        s = np.clip(v - mid[:, None], lo, hi).sum(axis=1)
        a = np.where(s > 1, mid, a)
        b = np.where(s > 1, b, mid)
    w = np.clip(v - ((a + b) / 2)[:, None], lo, hi)
    # spread the last rounding error over the coordinates with room, so sums are 1 to machine precision
    err = 1 - w.sum(axis=1)
    room = np.where(err[:, None] > 0, hi - w, w - lo)
    w += err[:, None] * room / np.maximum(room.sum(axis=1, keepdims=True), 1e-300)
    return np.clip(w, lo, hi)


def design_point(i: int, natural: np.ndarray, lo: np.ndarray, hi: np.ndarray, seed: int,
                 concentration: tuple[float, ...], near_uniform_every: int) -> tuple[np.ndarray, str]:
    """The i-th design point and its kind (uniform, natural, vertex, dirichlet, near_uniform)."""
    k = len(natural)
    if i == 0:
        return project(np.full(k, 1 / k), lo, hi)[0], "uniform"
    if i == 1:
        return project(natural, lo, hi)[0], "natural"
    if i < 2 + k:
        e = np.zeros(k)
        e[i - 2] = 1.0
        return project(e, lo, hi)[0], "vertex"
    j = i - 2 - k
    rng = np.random.default_rng([seed, i])
    if (j + 1) % near_uniform_every == 0:
        return project(rng.dirichlet(np.full(k, 30.0)), lo, hi)[0], "near_uniform"
    alpha = concentration[j % len(concentration)] * k * np.maximum(natural, 1e-3)
    return project(rng.dirichlet(alpha), lo, hi)[0], "dirichlet"


def design(n: int, natural: np.ndarray, lo: np.ndarray, hi: np.ndarray, seed: int,
           concentration: tuple[float, ...] = (0.3, 1.0, 3.0), near_uniform_every: int = 8
           ) -> tuple[np.ndarray, list[str]]:
    """The first ``n`` distinct design points (bounds can make a vertex equal the projected uniform mix;
    repeats are skipped, which keeps the sequence a function of (seed, i) only)."""
    pts: list[np.ndarray] = []
    kinds: list[str] = []
    i = 0
    while len(pts) < n:
        p, kind = design_point(i, natural, lo, hi, seed, concentration, near_uniform_every)
        i += 1
        if any(np.abs(p - q).max() < 1e-6 for q in pts):
            continue
        pts.append(p)
        kinds.append(kind)
        if i > 100 * n + 1000:
            raise ConfigError("sampling: the bounds leave too little room for distinct mixtures; widen them")
    return np.array(pts).reshape(n, len(natural)), kinds


def candidates(n: int, natural: np.ndarray, lo: np.ndarray, hi: np.ndarray, seed: int,
               concentration: tuple[float, ...] = (0.3, 1.0, 3.0)) -> np.ndarray:
    """``n`` search candidates (RegMix simulation): Dirichlet draws around the natural mix plus flat ones."""
    rng = np.random.default_rng([seed, 7919])
    k = len(natural)
    parts = []
    per = max(n // (len(concentration) + 1), 1)
    for c in concentration:
        parts.append(rng.dirichlet(c * k * np.maximum(natural, 1e-3), size=per))
    parts.append(rng.dirichlet(np.ones(k), size=max(n - per * len(concentration), 1)))
    return project(np.vstack(parts), lo, hi)
