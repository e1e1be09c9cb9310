"""Choose the mixture that minimises the fitted combined loss, under the bounds of ``mixers.sampling``.

- ``simulate`` (RegMix): predict the loss of many candidate mixtures (Dirichlet draws around the natural mix
  and flat ones, all within the bounds) and average the top-k; the average of feasible points is feasible,
  and averaging keeps the choice away from one lucky extrapolated corner.
- ``convex`` (Data Mixing Laws / Olmix): for the log-linear law, minimise
  ``sum_j a_j (exp(c_j) + exp(t_j . w)) + kl * KL(w || natural)`` over the bounded simplex (SLSQP); both
  terms are convex in w. The KL pull keeps the mix near the data the laws were fitted on. A GBM law is not
  convex: ``convex`` then falls back to ``simulate`` and says so.

``choose`` is the step ``winnow mix`` and ``winnow mix fit`` share: the optimum, its distance from the runs, a
fallback to the best run when the law cannot be trusted, and the uniform, natural and best-run baselines.
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


def choose(law: MixLaw, names: list[str], W: np.ndarray, y: np.ndarray, run_ids: list, lo, hi, centre, settings,
           cv_spearman: float, cv_rmse: float, natural=None) -> dict:
    """The mix minimising ``law`` within ``lo <= w <= hi`` (``settings``: a ``MixConfig``'s optimiser and trust
    fields), searched around ``centre``; ``W`` and ``y`` are the runs' mixtures and combined losses, ``run_ids``
    their keys. The best run replaces the optimum when the held-out Spearman is below ``min_spearman`` or the
    optimum lies further than ``max_distance`` (total variation) from every run: a best run outside the bounds
    (runs planned under other constraints) is projected onto them, and the fallback says so."""
    cfg = settings
    k = len(names)
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    if cfg.optimiser == "convex" and law.kind == "loglinear":
        w, how = convex(law, centre, lo, hi, cfg.kl)
    else:
        w, how = simulate(law, centre, lo, hi, cfg.seed, cfg.candidates, cfg.top_k, cfg.concentration)
        if cfg.optimiser == "convex":
            how["note"] = f"convex needs the loglinear law; the {law.kind} law won cross-validation, so simulate"
    y = np.asarray(y, float)
    best_i = int(np.argmin(y))
    dist, near = tv_distance(w, W)
    fallback = None
    rho = cv_spearman
    if not rho == rho or rho < cfg.min_spearman:
        fallback = (f"held-out Spearman {rho:.3f} < trust.min_spearman {cfg.min_spearman}: the fit cannot be "
                    "trusted, so the best sampled run is used")
    elif dist > cfg.max_distance:
        fallback = (f"the optimum lies {dist:.3f} (total variation) from the nearest sampled run, beyond "
                    f"trust.max_distance {cfg.max_distance}: an extrapolation, so the best sampled run is used")

    def feasible(v):
        return bool(np.all(v >= lo - 1e-9) and np.all(v <= hi + 1e-9))

    optimum = w
    if fallback:
        w = W[best_i]
        if not feasible(w):
            w = project(w, lo, hi)[0]
            fallback += f" (run {run_ids[best_i]} lies outside the constraints: projected onto them)"

    def entry(v):
        return {"weights": dict(zip(names, map(float, v))), "predicted_loss": float(law.predict(v)[0]),
                "predicted_target_losses": {t: float(p[0]) for t, p in law.predict_targets(v).items()},
                "within_constraints": feasible(v)}

    baselines = {"uniform": entry(np.full(k, 1 / k))}
    if natural is not None:
        baselines["natural"] = entry(np.asarray(natural, float))
    baselines["best_sampled"] = {**entry(W[best_i]), "run": run_ids[best_i], "actual_loss": float(y[best_i])}
    return {
        "weights": dict(zip(names, map(float, w))),
        "predicted_loss": float(law.predict(w)[0]),
        "predicted_target_losses": {t: float(p[0]) for t, p in law.predict_targets(w).items()},
        "fallback": fallback,
        "optimum": entry(optimum),
        "distance_to_nearest_run": {"total_variation": dist, "run": run_ids[near]},
        "baselines": baselines,
        "search": how,
        "regression": {"model": law.kind, "cv_spearman": rho, "cv_rmse": cv_rmse},
    }
