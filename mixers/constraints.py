"""Which mix constraints bind, how tightly, and what would loosen them (``weights.json`` key ``constraints``).

A mix study's bounds (``mixers.sampling``) are ``lo_s = min_weight_s`` and ``hi_s = min(max_weight_s,
available_s x max_epochs_s / tokens)`` (the repetition cap; ``tokens`` is ``target_tokens``, or the proxy
budget where that is larger), with ``sum w = 1``. Any two feasible mixes lie within the region's
``width = min(sum(hi) - 1, 1 - sum(lo))`` of each other (total variation): when that is below
``point_tol`` every feasible mix is (nearly) the same one and the optimiser has nothing to choose (six small
real sources, ``target_tokens`` 100M, ``max_epochs`` 4: width 0.035, about the natural mix). This module says
so, names the constraint that defines each source's bounds and whether the chosen weight sits on it (within
``bind_tol``), and computes the changes that would loosen the epoch caps:

- for a choice: the largest ``tokens`` at which ``sum_s min(max_weight_s, available_s x max_epochs_s /
  tokens) >= 1 + point_tol`` (bisection; the sum falls as ``tokens`` grows);

- the largest ``tokens`` for which it fits: ``k x min_s(available_s x max_epochs_s)`` (k sources);
- per capped source, the ``max_epochs`` it would need: ``tokens / (k x available_s)``;
- per capped source, the tokens of data it lacks: ``tokens / (k x max_epochs_s) - available_s``.

Units: weights are fractions of the mix; tokens in the study's tokenizer; epochs are passes over a source.
Without token counts (``available`` None: ``winnow mix fit`` given only the runs' tables) there are no epoch
caps: the bounds are min_weight and max_weight, and the epoch fields are null.
"""

from __future__ import annotations

import math

import numpy as np

# total variation: any two feasible mixes are at most `width` apart (TV <= sum(hi) - 1 and <= 1 - sum(lo)), so
# below this the bounds, not the fitted law, choose the mix (six real sources at 100M tokens: width 0.035)
POINT_TOL = 0.05
BIND_TOL = 0.005  # weight: a chosen weight this close to a bound sits on it


def epoch_caps(available, max_epochs, tokens: int) -> np.ndarray:
    """The repetition cap as a weight: at most ``available x max_epochs`` of the ``tokens`` the mix is for."""
    return np.asarray(available, float) * np.asarray(max_epochs, float) / float(tokens)


def report(names: list[str], available, min_weight, max_weight, max_epochs, tokens: int | None, weights,
           tokens_from: str = "target_tokens", point_tol: float = POINT_TOL, bind_tol: float = BIND_TOL) -> dict:
    """The ``constraints`` record for the chosen ``weights``: per source its bounds and what sets them, the
    binding constraints, the region's width, the uniform mix's fit, suggestions, and ``summary`` lines (what
    ``winnow mix`` prints); ``warning`` is set when the region is nearly a point."""
    k = len(names)
    counted = available is not None
    a = np.asarray(available if counted else np.ones(k), float)
    e = np.asarray(max_epochs, float)
    lo = np.asarray(min_weight, float)
    mw = np.asarray(max_weight, float)
    w = np.asarray(weights, float)
    cap = epoch_caps(a, e, tokens) if counted else np.full(k, np.inf)
    hi = np.minimum(mw, cap)
    below_max, above_min = float(hi.sum() - 1), float(1 - lo.sum())
    width = min(below_max, above_min)
    point = width < point_tol

    sources, binding = {}, []
    for j, s in enumerate(names):
        by_epochs = bool(cap[j] < mw[j])
        epochs = float(w[j] * tokens / a[j]) if counted else None
        binds, limit, detail = None, None, None
        if w[j] >= hi[j] - bind_tol and by_epochs:
            binds, limit = "max_epochs", float(hi[j])
            detail = (f"{s}: {w[j]:.3f} at its epoch cap {cap[j]:.3f} = {int(a[j]):,} tokens x max_epochs "
                      f"{e[j]:g} / {tokens_from} {tokens:,} ({epochs:.2f} of {e[j]:g} epochs)")
        elif w[j] >= hi[j] - bind_tol:
            binds, limit = "max_weight", float(hi[j])
            detail = f"{s}: {w[j]:.3f} at max_weight {mw[j]:g} (epoch cap {cap[j]:.3f})"
        elif w[j] <= lo[j] + bind_tol:
            binds, limit = "min_weight", float(lo[j])
            detail = f"{s}: {w[j]:.3f} at min_weight {lo[j]:g}"
        sources[s] = {"min": float(lo[j]), "max": float(hi[j]), "max_from": "max_epochs" if by_epochs else "max_weight",
                      "max_weight": float(mw[j]), "epoch_cap": float(cap[j]) if counted else None,
                      "available_tokens": int(a[j]) if counted else None,
                      "max_epochs": float(e[j]), "weight": float(w[j]), "epochs": epochs,
                      "headroom": float(hi[j] - w[j]), "binds": binds}
        if binds:
            binding.append({"source": s, "constraint": binds, "weight": float(w[j]), "limit": limit,
                            "detail": detail})

    u = 1 / k
    over = [j for j in range(k) if u > cap[j] + 1e-12]  # sources whose epoch cap keeps uniform out
    blocked = [names[j] for j in range(k) if u > mw[j] + 1e-12 or u < lo[j] - 1e-12]
    uniform = {"within": not over and not blocked,
               "epochs_needed": {names[j]: float(u * tokens / a[j]) for j in over},
               "outside_by_weight_limits": blocked}
    suggest: dict = {}
    text = []
    if over and not blocked:
        fit_tokens = int(math.floor(k * float((a * e).min())))
        need_e = {names[j]: math.ceil(u * tokens / a[j] * 100) / 100 for j in over}
        need_t = {names[j]: int(math.ceil(u * tokens / e[j] - a[j])) for j in over}
        suggest = {"target_tokens": fit_tokens, "tokens_from": tokens_from, "max_epochs": need_e,
                   "more_tokens": need_t}
        text.append(f"for the uniform mix to fit: {tokens_from} <= {fit_tokens:,}, or max_epochs "
                    + ", ".join(f"{s} >= {v:g}" for s, v in need_e.items()) + ", or more data: "
                    + ", ".join(f"{s} +{v:,} tokens" for s, v in need_t.items()))
    capped = [b["source"] for b in binding if b["constraint"] == "max_epochs"]
    if capped:
        text.append(f"to let {', '.join(capped)} take more weight: more data or a higher max_epochs for "
                    f"{'them' if len(capped) > 1 else 'it'}, or a smaller {tokens_from} (an epoch cap is "
                    f"available x max_epochs / {tokens_from})")
    if blocked:
        text.append(f"uniform is outside min_weight / max_weight for {', '.join(blocked)}, whatever the tokens")
    if point and below_max <= above_min:
        wide = _tokens_for_width(mw, a * e, point_tol, tokens) if counted else None
        if wide:
            suggest["target_tokens_for_choice"] = wide
            text.append(f"for a choice (width >= {point_tol:g}): {tokens_from} <= {wide:,}")
        else:
            text.append(f"max_weight sums to {mw.sum():.3f}: raise max_weight to leave a choice")
    elif point:
        text.append(f"the min_weights sum to {lo.sum():.3f}: lower min_weight to leave a choice")
    warning = None
    if point:
        side = (f"the max weights sum to {hi.sum():.3f}" if below_max <= above_min
                else f"the min_weights sum to {lo.sum():.3f}")
        warning = (f"constraints leave (nearly) no choice: {side}, so any two feasible mixes are within "
                   f"{max(width, 0.0):.3f} of each other (total variation); "
                   "the chosen mix is forced by the bounds, not by the fitted law")
    summary = [f"feasible region: width {width:.3f} (max weights sum to {hi.sum():.3f}, min_weights to "
               f"{lo.sum():.3f}){'; nearly a point' if point else ''}"]
    summary += [f"binds: {b['detail']}" for b in binding] or ["binds: none (no chosen weight at its bounds)"]
    summary += [f"suggest: {t}" for t in text]
    return {"tokens": int(tokens) if tokens is not None else None, "tokens_from": tokens_from, "width": width,
            "max_sum": float(hi.sum()),
            "min_sum": float(lo.sum()), "nearly_a_point": point, "point_tolerance": point_tol,
            "bind_tolerance": bind_tol, "binding": binding, "sources": sources, "uniform": uniform,
            "suggestions": suggest, "warning": warning, "summary": summary}


def _tokens_for_width(max_weight: np.ndarray, capacity: np.ndarray, width: float, tokens: int) -> int | None:
    """The largest token count (at most ``tokens``) at which the max weights sum to ``1 + width``; None where
    max_weight alone keeps the sum below that, whatever the tokens."""
    def total(t):
        return float(np.minimum(max_weight, capacity / t).sum())

    if total(1.0) < 1 + width:
        return None
    good, bad = 1.0, float(tokens)
    if total(bad) >= 1 + width:
        return int(tokens)
    for _ in range(100):
        mid = (good * bad) ** 0.5
        good, bad = (mid, bad) if total(mid) >= 1 + width else (good, mid)
    return int(math.floor(good))
