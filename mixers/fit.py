"""``winnow mix fit``: fit one law per target to runs trained and measured elsewhere, choose the mix, predict others.

RegMix's regression step (Liu et al. 2024: LightGBM per target on 512 proxy runs) on a lab's own runs, with the
laws, constraints and outputs of ``winnow mix``:

1. Read ``--mixtures`` (key + one weight column per source) and ``--losses`` (key + one column per target),
   joined on the key (``mixers.tables``: errors name file, row and column). Mixtures without losses (runs not
   measured yet) are left out with a warning; losses without a mixture are an error.
2. Cross-validate each law family (``mixers.regression``; default ``FAMILIES``) over the runs (K folds, seeded)
   and keep the family whose held-out predictions of the combined loss rank best (Spearman); refit it on all
   runs. ``DIR/fit.json``: every family's held-out Spearman, MAE and RMSE, per target too, and the choice.
3. With ``predict``, the refitted laws' losses for another table of mixtures: ``DIR/predictions.parquet``, the
   table's key column and one column per target, named as in the losses table (RegMix ranks its 1B-parameter
   runs this way from the 1M-parameter ones).
4. The mix minimising the combined loss (target weights ``--target NAME=WEIGHT``, default equal) under the
   bounds of ``mixers.sources`` (``mixers.optimise.choose``): ``DIR/weights.json`` in the format of ``winnow
   mix``, so ``winnow materialise`` and schedules take it unchanged, with the constraint report.

The search centres on the natural (token-proportional) mix where token counts are known, else on the runs'
mean mixture (projected onto the bounds), so the optimum is sought where the runs are. Losses keep the losses
table's unit; a lower loss is better.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from mixers import optimise as opt
from mixers.config import MixConfig
from mixers.regression import LAWS, GPLaw, MixLaw, choose, combined, cross_validate
from mixers.sampling import project
from mixers.sources import bounds, constraint_report, resolve
from mixers.tables import Table, join, read_mixtures, read_table, write_table
from pipeline.atomic import atomic_write
from pipeline.errors import ConfigError

FAMILIES = ("loglinear", "gbm", "gp")  # gbm_regmix (RegMix's settings) on request: 12x gbm's CPU, no better


def target_weights(losses: Table, specs: list[str] | None) -> dict[str, float]:
    """Every target of the losses table with its weight: 1 each by default; with ``--target NAME=WEIGHT``, the
    named targets with their weights and the others 0 (still fitted and predicted, not optimised for)."""
    if not specs:
        return {t: 1.0 for t in losses.columns}
    out = {t: 0.0 for t in losses.columns}
    for spec in specs:
        name, sep, value = (spec or "").rpartition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--target: expected NAME=WEIGHT, got {spec!r}")
        name = name.strip()
        if name not in out:
            raise ConfigError(f"--target {spec}: no column {name!r} in the losses {losses.path}; its targets: "
                              f"{', '.join(losses.columns)}")
        try:
            w = float(value)
        except ValueError:
            raise ConfigError(f"--target {spec}: weight {value!r} is not a number") from None
        if not w >= 0 or w == float("inf"):
            raise ConfigError(f"--target {spec}: expected a non-negative weight")
        out[name] = w
    if sum(out.values()) <= 0:
        raise ConfigError("--target: the weights sum to 0; give at least one target a positive weight")
    return out


def fit_runs(cfg: MixConfig, mixtures: str, losses: str, output: str, key: str | None = None,
             predict: str | None = None, targets: list[str] | None = None, families: list[str] | None = None,
             folds: int | None = None, source_tokens: dict[str, int] | None = None, progress=None) -> dict:
    """The whole fit (module docstring); returns {"fit", "weights", "predictions", "warnings", ...}."""
    t0 = time.perf_counter()
    M = read_mixtures(mixtures, "--mixtures", key)
    L = read_table(losses, "--losses", key)
    src = resolve(cfg, M.columns, f"--mixtures {mixtures}", source_tokens)
    run_ids, W, loss, unmeasured = join(M, L)
    warnings: list[str] = []
    if unmeasured:
        warnings.append(f"{len(unmeasured)} mixtures in {mixtures} have no losses in {losses} and are left out "
                        f"(first: {', '.join(unmeasured[:5])})")
    n = len(W)
    folds = cfg.folds if folds is None else folds
    if folds < 2:
        raise ConfigError(f"--folds: expected at least 2, got {folds}")
    if n < 4:
        raise ConfigError(f"{losses}: {n} runs have both a mixture and losses; need at least 4 to cross-validate")
    tw = target_weights(L, targets)
    fams = list(families or FAMILIES)
    for f in fams:
        if f not in LAWS:
            raise ConfigError(f"--families: unknown law family {f!r}; valid: {', '.join(LAWS)}")
    if len(set(fams)) != len(fams):
        raise ConfigError(f"--families: a family is named twice in {', '.join(fams)}")
    if "gp" in fams and n > GPLaw.MAX_RUNS:
        if len(fams) == 1:
            raise ConfigError(f"--families gp: {n} runs is more than the gp law's {GPLaw.MAX_RUNS} (its cost is "
                              "the cube of the runs); add gbm")
        fams.remove("gp")
        warnings.append(f"the gp law is left out: {n} runs is more than its {GPLaw.MAX_RUNS}")

    results = []
    for kind in fams:
        t = time.perf_counter()
        r = cross_validate(kind, W, loss, tw, folds, cfg.seed)
        r["seconds"] = round(time.perf_counter() - t, 3)
        results.append(r)
        if progress:
            mean_t = np.mean([v["spearman"] for v in r["per_target"].values()])
            progress(f"{kind}: held-out Spearman {r['spearman']:.4f} (combined), {mean_t:.4f} (mean over targets), "
                     f"{r['seconds']:.1f} s")
    best = choose(results)
    law = MixLaw(best["model"], tw, cfg.seed).fit(W, loss)
    report = {
        "chosen_model": best["model"], "runs": n, "folds": best["folds"], "seed": cfg.seed,
        "spearman": best["spearman"], "mae": best["mae"], "rmse": best["rmse"],
        "per_target": best["per_target"],
        "models": {r["model"]: {k: v for k, v in r.items() if k not in ("predicted", "actual", "model")}
                   for r in results},
        "chosen_by": "held-out Spearman of the combined (target-weighted) loss; ties: lower RMSE",
        "targets": tw, "loss_unit": f"as in {losses}",
        "mixtures": mixtures, "losses": losses, "key": {"mixtures": M.key, "losses": L.key},
        "held_out": {"predicted": best["predicted"], "actual": best["actual"]},
        "params": {t: law_.params() for t, law_ in law.laws.items()},
    }
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    files = ["fit.json", "weights.json"]
    n_pred = None
    if predict:
        P = read_mixtures(predict, "--predict", key, src.names, f"--mixtures {mixtures}")
        preds = law.predict_targets(P.values)
        write_table(out / "predictions.parquet", P.key, P.keys, {t: preds[t] for t in L.columns})
        files.append("predictions.parquet")
        n_pred = len(P.keys)

    b = bounds(cfg, src)
    centre = src.natural if src.natural is not None else project(W.mean(axis=0), b.lo, b.hi)[0]
    core = opt.choose(law, src.names, W, combined(loss, tw), run_ids, b.lo, b.hi, centre, cfg, best["spearman"],
                      best["rmse"], natural=src.natural)
    binds = constraint_report(src, b, np.array([core["weights"][s] for s in src.names]))
    if binds["warning"]:
        warnings.append(binds["warning"])
    weights = {
        **core,
        "targets": tw,
        "tokenizer": cfg.tokenizer,
        "loss_unit": f"as in {losses}",
        "available_tokens": None if src.available is None else dict(zip(src.names, map(int, src.available))),
        "token_counts_from": src.counted_from,
        "natural": None if src.natural is None else dict(zip(src.names, map(float, src.natural))),
        "search_centre": "natural" if src.natural is not None else "mean of the runs' mixtures",
        "target_tokens": b.target_tokens,
        "max_epochs": dict(zip(src.names, map(float, b.max_epochs))),
        "bounds": {"min": dict(zip(src.names, map(float, b.lo))), "max": dict(zip(src.names, map(float, b.hi)))},
        "holdout": src.holdouts,
        "where": src.where,
        "proxy": None,
        "runs_from": {"mixtures": mixtures, "losses": losses},
        "runs": n,
        "warnings": warnings,
        "constraints": binds,
    }
    weights["seconds"] = {"total": time.perf_counter() - t0}
    report["seconds"] = weights["seconds"]["total"]
    atomic_write(out / "fit.json", json.dumps(report, indent=2) + "\n")
    atomic_write(out / "weights.json", json.dumps(weights, indent=2) + "\n")
    return {"output": str(out), "fit": report, "weights": weights, "sources": src, "predictions": n_pred,
            "files": files, "warnings": warnings}
