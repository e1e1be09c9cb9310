"""``winnow mix``: sample mixtures, train proxies, fit per-target laws, choose a mix, optionally validate it.

Recipe (RegMix, Liu et al. 2024; Data Mixing Laws, Ye et al. 2024; OLMo / Olmix; CLIMB):

1. Read the sources and targets, count tokens (``mixers.data``), check the input before any training: a
   source with no documents, infeasible bounds, a proxy budget above what the data allows under the epoch
   caps are errors; a target sharing documents with a source is a leakage warning.
2. A seeded design of mixtures (``mixers.sampling``); a proxy model trained on each at ``budget_tokens``
   (``mixers.proxy``), scored on every target's dev half. One row per run in ``DIR/runs.parquet``, written
   after every run: a rerun trains only runs whose key (mixture + settings) is not there yet, and more runs
   can be added later with a larger ``runs``.
3. One law per target, each family cross-validated on held-out runs (``DIR/fit.json``), the best refitted on
   all runs (``mixers.regression``).
4. The mix minimising the predicted combined loss (``mixers.optimise``), its distance from the sampled runs,
   and a fallback to the best sampled run when the fit cannot be trusted (``DIR/weights.json``); which bounds
   bind, and a warning when they leave (nearly) no choice (``mixers.constraints``, key ``constraints``).
5. ``validate``: fresh proxies (new seeds, ``budget_multiplier`` x the budget) on the chosen, uniform,
   natural and best sampled mixes, scored on the targets' dev and untouched test halves.

Targets are split by document id into a dev half (fitting and choosing) and a test half (validation only).
Loss unit: bits per byte of target text. Token unit: the config's ``tokenizer`` (weights.json names it).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mixers import constraints as cons
from mixers import optimise as opt
from mixers.config import MixConfig, stable_hash
from mixers.data import Corpus, fingerprint, read_corpus, text_hashes
from mixers.proxy import make_proxy
from mixers.regression import MixLaw, choose, combined, cross_validate
from mixers.sampling import check_bounds, design
from pipeline.atomic import atomic_write
from pipeline.errors import ConfigError, WinnowError
from pipeline.holdout import in_holdout

log = logging.getLogger("winnow.mixers")
VERSION = "mix_v1"


class Pool:
    """A source's documents in a seeded order, as one byte array: ``take(q)`` gives the first q tokens,
    whole passes repeated (epochs) and the last document cut in proportion."""

    def __init__(self, corpus: Corpus, seed: int):
        order = np.random.default_rng([seed, int(stable_hash(corpus.name), 16) % 2**32]).permutation(len(corpus.blobs))
        self.data = np.frombuffer(b"".join(corpus.blobs[i] + b"\n" for i in order), np.uint8)
        sizes = np.array([len(corpus.blobs[i]) + 1 for i in order], np.int64)
        self.tok = corpus.tokens[order]
        self.cum_tok = np.cumsum(self.tok)
        self.cum_bytes = np.cumsum(sizes)
        self.total = int(self.cum_tok[-1]) if len(self.cum_tok) else 0

    def take(self, q: int) -> np.ndarray:
        if q <= 0 or self.total == 0:
            return np.zeros(0, np.uint8)
        full, rem = divmod(int(q), self.total)
        k = int(np.searchsorted(self.cum_tok, rem, side="right"))
        cut = int(self.cum_bytes[k - 1]) if k else 0
        if k < len(self.tok) and rem > (self.cum_tok[k - 1] if k else 0):
            done = rem - (self.cum_tok[k - 1] if k else 0)
            size = self.cum_bytes[k] - cut
            cut += int(round(size * done / max(self.tok[k], 1)))
        parts = [self.data] * full + [self.data[:cut]]
        return np.concatenate(parts)


@dataclass
class Study:
    cfg: MixConfig
    names: list[str]
    sources: dict[str, Corpus]
    available: np.ndarray
    natural: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    max_epochs: np.ndarray
    target_tokens: int
    target_weights: dict[str, float]
    dev: dict[str, np.ndarray]
    test: dict[str, np.ndarray]
    setting: str
    warnings: list[str] = field(default_factory=list)
    holdouts: dict[str, dict] = field(default_factory=dict)
    pools: dict = field(default_factory=dict)
    trained: int = 0

    def pool(self, name: str, seed: int) -> Pool:
        key = (name, seed)
        if key not in self.pools:
            self.pools[key] = Pool(self.sources[name], seed)
        return self.pools[key]


def _split_dev_test(c: Corpus, seed: int, max_bytes: int) -> tuple[np.ndarray, np.ndarray]:
    # seed + 1: with ``seed`` itself, a target held out of a source at fraction <= 0.5 would be all test
    dev = [b for i, b in zip(c.ids, c.blobs) if not in_holdout(i, seed=seed + 1, fraction=0.5)]
    test = [b for i, b in zip(c.ids, c.blobs) if in_holdout(i, seed=seed + 1, fraction=0.5)]
    if not dev or not test:  # one document: halve its text instead
        whole = b"\n".join(c.blobs)
        dev, test = [whole[: len(whole) // 2]], [whole[len(whole) // 2:]]
    return (np.frombuffer(b"\n".join(dev)[:max_bytes], np.uint8),
            np.frombuffer(b"\n".join(test)[:max_bytes], np.uint8))


def prepare(cfg: MixConfig) -> Study:
    """Read and check everything a mix study needs; raises ConfigError before any training."""
    warnings: list[str] = []
    holdout_of: dict[str, float] = {}
    for t in cfg.targets:
        if t.holdout_of is not None:
            if t.holdout_of in holdout_of:
                raise ConfigError(f"targets.{t.name}.holdout_of: source {t.holdout_of!r} is already held out by "
                                  "another target")
            holdout_of[t.holdout_of] = t.fraction
    names = list(cfg.sources)
    sources = {}
    for s in names:
        ex = (holdout_of[s], cfg.seed) if s in holdout_of else None
        c = read_corpus(s, cfg.sources[s], cfg.tokenizer, f"sources.{s}", exclude=ex, select=cfg.where.get(s))
        if c.n_tokens == 0:
            raise ConfigError(f"sources.{s}: no documents with text in {', '.join(c.files)}"
                              + (f" under where {cfg.where[s]!r}" if s in cfg.where else ""))
        sources[s] = c
    dev, test, target_files = {}, {}, {}
    for t in cfg.targets:
        if t.holdout_of is not None:
            c = read_corpus(t.name, cfg.sources[t.holdout_of], cfg.tokenizer, f"targets.{t.name}",
                            keep=(t.fraction, cfg.seed), select=cfg.where.get(t.holdout_of))
        else:
            c = read_corpus(t.name, t.paths, cfg.tokenizer, f"targets.{t.name}")
            hashes = text_hashes(c)
            for s, sc in sources.items():
                same_files = set(c.files) & set(sc.files)
                shared = len(hashes & text_hashes(sc))
                if same_files or shared:
                    msg = (f"leakage: target {t.name!r} shares {shared} documents with source {s!r}"
                           + (f" (same files: {', '.join(sorted(same_files))})" if same_files else "")
                           + "; use `holdout_of` to hold a split of a source out of training")
                    log.warning(msg)
                    warnings.append(msg)
        if c.n_bytes < 64:
            raise ConfigError(f"targets.{t.name}: no evaluation text (need at least 64 bytes) in "
                              f"{', '.join(c.files)}")
        dev[t.name], test[t.name] = _split_dev_test(c, cfg.seed, cfg.eval_max_bytes)
        target_files[t.name] = fingerprint(c.files)
    available = np.array([sources[s].n_tokens for s in names], float)
    natural = available / available.sum()
    max_epochs = np.array([cfg.limit("max_epochs", s) for s in names])
    capacity = float((available * max_epochs).sum())
    target_tokens = cfg.target_tokens or int(available.sum())
    if target_tokens > capacity:
        raise ConfigError(f"target_tokens: {target_tokens:,} is more than the data allows under the epoch caps "
                          f"({capacity:,.0f} = sum of available tokens x max_epochs)")
    budget = cfg.proxy.budget_tokens
    if budget > capacity:
        raise ConfigError(f"proxy.budget_tokens: {budget:,} is more than the data allows under the epoch caps "
                          f"({capacity:,.0f} {cfg.tokenizer} tokens = sum of available x max_epochs); lower it")
    # repetition cap: a source may supply at most available x max_epochs of the tokens the mix is for
    denom = max(target_tokens, budget)
    lo = np.array([cfg.limit("min_weight", s) for s in names])
    hi = np.minimum(np.array([cfg.limit("max_weight", s) for s in names]),
                    cons.epoch_caps(available, max_epochs, denom))
    check_bounds(names, lo, hi)
    holdouts = {s: {"fraction": f, "seed": cfg.seed} for s, f in holdout_of.items()}
    setting = stable_hash({
        "version": VERSION, "proxy": [cfg.proxy.kind, cfg.proxy.params, budget], "tokenizer": cfg.tokenizer,
        "sources": {s: fingerprint(sources[s].files) for s in names}, "holdouts": holdouts,
        **({"where": cfg.where} if cfg.where else {}),
        "targets": target_files, "eval_max_bytes": cfg.eval_max_bytes, "seed": cfg.seed,
    })
    return Study(cfg, names, sources, available, natural, lo, hi, max_epochs, target_tokens,
                 {t.name: t.weight for t in cfg.targets}, dev, test, setting, warnings, holdouts)


def train_proxy(study: Study, w: np.ndarray, budget: int, seed: int, evals: dict[str, np.ndarray]) -> dict:
    """One proxy run: tokens per source = w x budget; returns losses, tokens, epochs and seconds."""
    t0 = time.perf_counter()
    quotas = np.floor(np.asarray(w) * budget + 0.5).astype(np.int64)
    train = [study.pool(s, seed).take(int(q)) for s, q in zip(study.names, quotas)]
    losses = make_proxy(study.cfg.proxy.kind, study.cfg.proxy.params).train_eval(train, evals, seed)
    return {"losses": losses, "tokens": quotas, "epochs": quotas / study.available,
            "seconds": time.perf_counter() - t0}


def run_key(setting: str, w: np.ndarray) -> str:
    return stable_hash([setting, [round(float(x), 8) for x in w]])


def _read_runs(path: Path) -> pa.Table | None:
    return pq.read_table(path) if path.is_file() else None


def _table(rows: list[dict]) -> pa.Table:
    # rows of earlier settings may name other sources or targets: union of columns, nulls where absent
    cols = list(dict.fromkeys(k for r in rows for k in r))
    return pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in rows])


def _write_atomic(table: pa.Table, path: Path) -> None:
    atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def run_study(study: Study, out: Path, progress=None) -> tuple[np.ndarray, dict[str, np.ndarray], list[dict]]:
    """Train the design's missing runs; returns (weights, losses per target, rows) of this setting's runs."""
    cfg = study.cfg
    out.mkdir(parents=True, exist_ok=True)
    path = out / "runs.parquet"
    existing = _read_runs(path)
    rows = existing.to_pylist() if existing is not None else []
    done = {r["run_key"]: r for r in rows if r.get("setting") == study.setting}
    W, kinds = design(cfg.runs, study.natural, study.lo, study.hi, cfg.seed, cfg.concentration,
                      cfg.near_uniform_every)
    trained = 0
    for i, (w, kind) in enumerate(zip(W, kinds)):
        key = run_key(study.setting, w)
        if key in done:
            continue
        r = train_proxy(study, w, cfg.proxy.budget_tokens, cfg.seed, study.dev)
        row = {"run": i, "run_key": key, "setting": study.setting, "design": kind, "proxy": cfg.proxy.kind,
               "budget_tokens": cfg.proxy.budget_tokens, "tokenizer": cfg.tokenizer, "seed": cfg.seed,
               "seconds": round(r["seconds"], 4)}
        for j, s in enumerate(study.names):
            row[f"w_{s}"] = float(w[j])
        for j, s in enumerate(study.names):
            row[f"tokens_{s}"] = int(r["tokens"][j])
        for j, s in enumerate(study.names):
            row[f"epochs_{s}"] = float(r["epochs"][j])
        for t in study.target_weights:
            row[f"loss_{t}"] = float(r["losses"][t])
        row["loss"] = float(combined({t: r["losses"][t] for t in study.target_weights}, study.target_weights))
        rows.append(row)
        done[key] = row
        trained += 1
        _write_atomic(_table(rows), path)
        if progress:
            progress(f"run {i + 1}/{cfg.runs} ({kind}): loss {row['loss']:.4f} bits/byte, {r['seconds']:.2f} s")
    keys = [run_key(study.setting, w) for w in W]
    # every run of this setting counts, including runs beyond the current design (an earlier larger `runs`)
    mine = [r for r in rows if r.get("setting") == study.setting]
    mine.sort(key=lambda r: (keys.index(r["run_key"]) if r["run_key"] in keys else cfg.runs + r["run"]))
    Wm = np.array([[r[f"w_{s}"] for s in study.names] for r in mine])
    losses = {t: np.array([r[f"loss_{t}"] for r in mine]) for t in study.target_weights}
    study.trained = trained
    return Wm, losses, mine


def fit(study: Study, W: np.ndarray, losses: dict[str, np.ndarray]) -> tuple[MixLaw, dict]:
    cfg = study.cfg
    if len(W) < 4:
        raise WinnowError(f"fit: need at least 4 proxy runs to cross-validate a law, have {len(W)}; raise `runs`")
    results = [cross_validate(k, W, losses, study.target_weights, cfg.folds, cfg.seed) for k in cfg.regression_models]
    best = choose(results)
    report = {
        "chosen_model": best["model"], "runs": len(W), "folds": best["folds"],
        "spearman": best["spearman"], "mae": best["mae"], "rmse": best["rmse"],
        "models": {r["model"]: {k: v for k, v in r.items() if k not in ("predicted", "actual", "model")}
                   for r in results},
        "loss_unit": "bits per byte of target dev text", "tokenizer": cfg.tokenizer,
    }
    if "loglinear" in cfg.regression_models and len(study.target_weights) > 1:
        d = cross_validate("loglinear", W, losses, study.target_weights, cfg.folds, cfg.seed, direct=True)
        report["direct_average_loglinear"] = {"spearman": d["spearman"], "mae": d["mae"], "rmse": d["rmse"],
                                              "note": "one law fitted to the averaged loss, for comparison"}
    report["held_out"] = {"predicted": best["predicted"], "actual": best["actual"]}
    law = MixLaw(best["model"], study.target_weights, cfg.seed).fit(W, losses)
    report["params"] = {t: law_.params() for t, law_ in law.laws.items()}
    return law, report


def constraints_of(study: Study, w: np.ndarray) -> dict:
    """``mixers.constraints.report`` for mix ``w`` under the study's bounds (the epoch caps are over the tokens
    ``prepare`` divided by: target_tokens, or the proxy budget where that is larger)."""
    budget = study.cfg.proxy.budget_tokens
    return cons.report(study.names, study.available, study.lo,
                       [study.cfg.limit("max_weight", s) for s in study.names], study.max_epochs,
                       max(study.target_tokens, budget), w,
                       "target_tokens" if study.target_tokens >= budget else "proxy.budget_tokens")


def choose_mix(study: Study, law: MixLaw, fit_report: dict, W: np.ndarray, losses: dict[str, np.ndarray],
               rows: list[dict]) -> dict:
    """``mixers.optimise.choose`` under the study's bounds, with what ``weights.json`` records of the study."""
    cfg = study.cfg
    core = opt.choose(law, study.names, W, combined(losses, study.target_weights), [int(r["run"]) for r in rows],
                      study.lo, study.hi, study.natural, cfg, fit_report["spearman"], fit_report["rmse"],
                      natural=study.natural)
    binds = constraints_of(study, np.array([core["weights"][s] for s in study.names]))
    return {
        **core,
        "targets": {t: a for t, a in study.target_weights.items()},
        "tokenizer": cfg.tokenizer,
        "loss_unit": "bits per byte",
        "available_tokens": dict(zip(study.names, map(int, study.available))),
        "natural": dict(zip(study.names, map(float, study.natural))),
        "target_tokens": study.target_tokens,
        "max_epochs": dict(zip(study.names, map(float, study.max_epochs))),
        "bounds": {"min": dict(zip(study.names, map(float, study.lo))),
                   "max": dict(zip(study.names, map(float, study.hi)))},
        "holdout": study.holdouts,
        "where": dict(cfg.where),
        "proxy": {"kind": cfg.proxy.kind, "budget_tokens": cfg.proxy.budget_tokens, **cfg.proxy.params},
        "runs": len(W),
        "warnings": study.warnings + ([binds["warning"]] if binds["warning"] else []),
        "constraints": binds,
    }


def validate(study: Study, mixes: dict[str, np.ndarray], progress=None) -> dict:
    """Fresh proxies (unseen seeds) at ``budget_multiplier`` x the search budget on each mix, scored on the
    targets' dev and test halves, averaged over ``validate.seeds`` seeds."""
    cfg = study.cfg
    budget = int(cfg.proxy.budget_tokens * cfg.validate_multiplier)
    cap = float(min((study.available * study.max_epochs / np.maximum(w, 1e-12)).min() for w in mixes.values()))
    note = None
    if budget > cap:
        note = (f"validation budget lowered from {budget:,} to {int(cap):,} tokens: the epoch caps allow no more "
                "for one of the mixes")
        budget = int(cap)
    evals = {**{f"dev:{t}": v for t, v in study.dev.items()}, **{f"test:{t}": v for t, v in study.test.items()}}
    res: dict[str, dict] = {}
    t0 = time.perf_counter()
    for name, w in mixes.items():
        acc: dict[str, list[float]] = {}
        for i in range(cfg.validate_seeds):
            r = train_proxy(study, w, budget, cfg.seed + 1000 + i, evals)
            for k, v in r["losses"].items():
                acc.setdefault(k, []).append(v)
        mean = {k: float(np.mean(v)) for k, v in acc.items()}
        res[name] = {
            "weights": dict(zip(study.names, map(float, w))),
            "dev": {t: mean[f"dev:{t}"] for t in study.target_weights},
            "test": {t: mean[f"test:{t}"] for t in study.target_weights},
            "dev_loss": float(combined({t: mean[f"dev:{t}"] for t in study.target_weights}, study.target_weights)),
            "test_loss": float(combined({t: mean[f"test:{t}"] for t in study.target_weights}, study.target_weights)),
        }
        if progress:
            progress(f"validate {name}: dev {res[name]['dev_loss']:.4f}, test {res[name]['test_loss']:.4f} bits/byte")
    chosen = res["chosen"]
    return {
        "budget_tokens": budget, "seeds": cfg.validate_seeds, "note": note,
        "mixes": res,
        "chosen_beats_uniform_and_natural_dev": bool(chosen["dev_loss"] < res["uniform"]["dev_loss"]
                                                     and chosen["dev_loss"] < res["natural"]["dev_loss"]),
        "chosen_beats_uniform_and_natural_test": bool(chosen["test_loss"] < res["uniform"]["test_loss"]
                                                      and chosen["test_loss"] < res["natural"]["test_loss"]),
        "seconds": time.perf_counter() - t0,
    }


def plots(out: Path, fit_report: dict, weights: dict, names: list[str]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    pred, act = fit_report["held_out"]["predicted"], fit_report["held_out"]["actual"]
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.scatter(act, pred, s=14)
    lo, hi = min(act + pred), max(act + pred)
    ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8)
    ax.set_xlabel("actual loss (bits/byte)")
    ax.set_ylabel("predicted loss, held-out fold")
    ax.set_title(f"{fit_report['chosen_model']}: Spearman {fit_report['spearman']:.3f}")
    fig.tight_layout()
    fig.savefig(out / "pred_vs_actual.png", dpi=110)
    plt.close(fig)
    files.append("pred_vs_actual.png")

    fig, ax = plt.subplots(figsize=(max(5, 0.8 * len(names) + 2), 3.8))
    x = np.arange(len(names))
    bars = [("chosen", weights["weights"]), ("natural", weights["baselines"]["natural"]["weights"]),
            ("uniform", weights["baselines"]["uniform"]["weights"])]
    for j, (label, w) in enumerate(bars):
        ax.bar(x + (j - 1) * 0.27, [w[s] for s in names], 0.27, label=label)
    ax.set_xticks(x, names, rotation=30, ha="right")
    ax.set_ylabel("weight")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "weights.png", dpi=110)
    plt.close(fig)
    files.append("weights.png")
    return files


def run_mix(cfg: MixConfig, do_validate: bool = False, progress=None) -> dict:
    """The whole study; writes runs.parquet, fit.json, weights.json and the plots under ``cfg.output``."""
    out = Path(cfg.output)
    t0 = time.perf_counter()
    study = prepare(cfg)
    t_prep = time.perf_counter() - t0
    W, losses, rows = run_study(study, out, progress)
    t_runs = time.perf_counter() - t0 - t_prep
    law, fit_report = fit(study, W, losses)
    atomic_write(out / "fit.json", json.dumps(fit_report, indent=2) + "\n")
    weights = choose_mix(study, law, fit_report, W, losses, rows)
    if do_validate:
        best = np.array([weights["baselines"]["best_sampled"]["weights"][s] for s in study.names])
        mixes = {"chosen": np.array([weights["weights"][s] for s in study.names]),
                 "uniform": np.full(len(study.names), 1 / len(study.names)), "natural": study.natural,
                 "best_sampled": best}
        weights["validation"] = validate(study, mixes, progress)
    weights["seconds"] = {"prepare": t_prep, "runs": t_runs, "total": time.perf_counter() - t0}
    atomic_write(out / "weights.json", json.dumps(weights, indent=2) + "\n")
    files = plots(out, fit_report, weights, study.names)
    return {"output": str(out), "study": study, "weights": weights, "fit": fit_report, "trained": study.trained,
            "total_runs": len(W), "plots": files}
