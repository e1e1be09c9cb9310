"""``winnow mix plan``: the seeded design of mixtures for proxy runs that another trainer will run (RegMix's 512
1M-parameter models; OLMo's and others' mixing studies train their own small models).

The design is ``winnow mix``'s (``mixers.sampling.design``): the uniform mix, the natural (token-proportional)
mix, one vertex per source, then Dirichlet draws around the natural mix (around uniform without token counts),
every point within the bounds of ``mixers.sources`` (min/max weight, epoch caps). Run ``i`` depends only on
(seed, i), so a plan of 64 runs begins with the plan of 32.

Writes ``DIR/plan.csv`` and ``DIR/plan.parquet`` (a ``run`` key column, then one weight column per source,
each row summing to 1: the ``--mixtures`` table of ``winnow mix fit``) and ``DIR/plan.json`` (settings,
bounds, each run's design kind). ``materialise_runs`` writes each run's training set of ``tokens`` tokens under
``DIR/runs/<run>/`` with ``winnow materialise`` (its weights in ``DIR/runs/<run>/weights.json``); a run whose
manifest already records the same weights and tokens is kept, so an interrupted plan resumes.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np

from mixers.config import MixConfig
from mixers.materialise import materialise
from mixers.sampling import design
from mixers.sources import Sources, bounds, constraint_report, resolve
from mixers.tables import write_table
from pipeline.atomic import atomic_write, atomic_write_json
from pipeline.errors import ConfigError
from pipeline.layout import RunLayout


def run_names(n: int) -> list[str]:
    """``run000``, ``run001``, ...: text keys that no table reader turns into numbers."""
    width = max(3, len(str(n - 1)))
    return [f"run{i:0{width}d}" for i in range(n)]


def plan(cfg: MixConfig, runs: int, output: str, names: list[str] | None = None,
         source_tokens: dict[str, int] | None = None, tokens: int | None = None, materialise_runs: bool = False,
         progress=None) -> dict:
    """Write the plan (module docstring); returns plan.json's record."""
    t0 = time.perf_counter()
    if runs < 1:
        raise ConfigError(f"--runs: expected a positive integer, got {runs}")
    if tokens is not None and tokens < 1:
        raise ConfigError(f"--tokens: expected a positive integer, got {tokens}")
    if materialise_runs:
        if tokens is None:
            raise ConfigError("--materialise: give --tokens N, the size of each run's training set")
        if not cfg.sources:
            raise ConfigError("--materialise: the sources' files are needed (a mix config's sources or "
                              "--source NAME=GLOB), not only their names")
    cache: dict | None = {} if materialise_runs else None
    src = resolve(cfg, names, "--sources", source_tokens, cache)
    b = bounds(cfg, src, tokens)
    k = len(src.names)
    centre = src.natural if src.natural is not None else np.full(k, 1 / k)
    W, kinds = design(runs, centre, b.lo, b.hi, cfg.seed, cfg.concentration, cfg.near_uniform_every)
    keys = run_names(runs)
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    cols = {s: W[:, j] for j, s in enumerate(src.names)}
    write_table(out / "plan.parquet", "run", keys, cols)
    write_table(out / "plan.csv", "run", keys, cols)
    record = {
        "runs": runs, "seed": cfg.seed, "sources": src.names, "tokenizer": cfg.tokenizer,
        "available_tokens": None if src.available is None else dict(zip(src.names, map(int, src.available))),
        "token_counts_from": src.counted_from,
        "natural": None if src.natural is None else dict(zip(src.names, map(float, src.natural))),
        "design_centre": "natural" if src.natural is not None else "uniform (no token counts)",
        "tokens_per_run": tokens, "target_tokens": b.target_tokens,
        "bounds": {"min": dict(zip(src.names, map(float, b.lo))), "max": dict(zip(src.names, map(float, b.hi))),
                   "epoch_caps_over": b.tokens, "epoch_caps_from": b.tokens_from if b.tokens else None},
        "max_epochs": dict(zip(src.names, map(float, b.max_epochs))),
        "feasible_region": _region(constraint_report(src, b, centre)),
        "holdout": src.holdouts, "where": src.where,
        "design": [{"run": key, "kind": kind} for key, kind in zip(keys, kinds)],
        "files": ["plan.csv", "plan.parquet"],
    }
    if materialise_runs:
        record["materialised"] = materialise_plan(cfg, src, b, keys, W, tokens, out, cache, progress)
    record["seconds"] = round(time.perf_counter() - t0, 3)
    atomic_write_json(out / "plan.json", record)
    return record


def _region(r: dict) -> dict:
    return {"width": r["width"], "summary": r["summary"][0], "warning": r["warning"]}


def materialise_plan(cfg: MixConfig, src: Sources, b, keys: list[str], W: np.ndarray, tokens: int, out: Path,
                     cache: dict, progress=None) -> dict:
    """Each run's training set under ``out/runs/<run>/`` (``winnow materialise`` of its weights)."""
    done = kept = 0
    for key, w in zip(keys, W):
        d = out / "runs" / key
        d.mkdir(parents=True, exist_ok=True)
        weights = {"weights": dict(zip(src.names, map(float, w))), "tokenizer": cfg.tokenizer,
                   "max_epochs": dict(zip(src.names, map(float, b.max_epochs))), "holdout": src.holdouts,
                   "where": src.where, "run": key, "plan": str(out / "plan.csv")}
        text = json.dumps(weights, indent=2) + "\n"
        wpath = d / "weights.json"
        man = RunLayout(d).manifest
        if man.is_file() and wpath.is_file() and wpath.read_text() == text:
            m = json.loads(man.read_text())
            if m.get("tokens_requested") == tokens and m.get("weights_sha256") == hashlib.sha256(
                    text.encode()).hexdigest():
                kept += 1
                continue
        atomic_write(wpath, text)
        materialise(str(wpath), {s: list(src.globs[s]) for s in src.names}, tokens, str(d), cfg.seed, cache=cache)
        done += 1
        if progress:
            progress(f"materialised {key} ({done + kept}/{len(keys)})")
    return {"tokens_per_run": tokens, "runs_written": done, "runs_kept": kept, "directory": "runs/<run>/"}
