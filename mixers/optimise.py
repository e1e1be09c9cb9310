"""Choose the mixture that minimises the fitted combined loss, under the bounds of ``mixers.sampling``.

- ``simulate`` (RegMix): predict the loss of many candidate mixtures (Dirichlet draws around the natural mix
  and flat ones, all within the bounds) and average the top-k; the average of feasible points is feasible,
  and averaging keeps the choice away from one lucky extrapolated corner.
- ``convex`` (Data Mixing Laws / Olmix): for the log-linear law, minimise
  ``sum_j a_j (exp(c_j) + exp(t_j . w)) + kl * KL(w || natural)`` over the bounded simplex (SLSQP); both
  terms are convex in w. The KL pull keeps the mix near the data the laws were fitted on. A GBM law is not
  convex: ``convex`` then falls back to ``simulate`` and says so.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from mixers.regression import MixLaw
from mixers.sampling import candidates, project


def simulate(law: MixLaw, natural, lo, hi, seed: int, n: int = 100_000, top_k: int = 100,
             concentration=(0.3, 1.0, 3.0)) -> tuple[np.ndarray, dict]:
    cand = candidates(n, natural, lo, hi, seed, concentration)
    pred = law.predict(cand)
    top = np.argsort(pred)[: min(top_k, len(pred))]
    w = project(cand[top].mean(axis=0), lo, hi)[0]
    return w, {"method": "simulate", "candidates": len(cand), "top_k": len(top)}


def convex(law: MixLaw, natural, lo, hi, kl: float = 0.05) -> tuple[np.ndarray, dict]:
    nat = np.maximum(np.asarray(natural, float), 1e-12)
    a = law.target_weights
    ts = [(a[t], law.laws[t].t) for t in a]

    def f(w):
        wc = np.maximum(w, 1e-12)
        return sum(aj * np.exp(tj @ w) for aj, tj in ts) + kl * float(np.sum(wc * np.log(wc / nat)))

    def g(w):
        wc = np.maximum(w, 1e-12)
        return sum(aj * np.exp(tj @ w) * tj for aj, tj in ts) + kl * (np.log(wc / nat) + 1)

    x0 = project(nat, lo, hi)[0]
    r = minimize(f, x0, jac=g, method="SLSQP", bounds=list(zip(lo, hi)),
                 constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1, "jac": lambda w: np.ones_like(w)}],
                 options={"maxiter": 500, "ftol": 1e-12})
    return project(r.x, lo, hi)[0], {"method": "convex", "kl": kl, "converged": bool(r.success),
                                     "message": str(r.message)}


def tv_distance(w: np.ndarray, runs: np.ndarray) -> tuple[float, int]:
    """Total-variation distance (half the L1) from ``w`` to the nearest sampled run, and that run's index."""
    d = 0.5 * np.abs(np.atleast_2d(runs) - w).sum(axis=1)
    i = int(np.argmin(d))
    return float(d[i]), i
