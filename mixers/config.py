"""Mix configs (``winnow mix CONFIG``): YAML parsed into frozen, validated objects before any work starts.

Shape (only ``sources`` and ``targets`` are required)::

    name: domains
    seed: 0
    output: out/mix/domains
    tokenizer: utf8_bytes_v1            # how tokens are counted (mixers.data.TOKENIZERS); offline
    sources:                            # name -> glob (or list of globs) of documents (parquet / jsonl[.gz|.zst])
      code: ../shared/data/domains/code_python_stdlib.jsonl.gz
      best: {paths: 'out/cc/documents/*.parquet', where: "quality_dclm >= 0.9"}   # only the documents a SQL
                                        # predicate over their columns selects (mixers.data.where_mask), as a
                                        # schedule phase's `where` does: how `winnow mix` chooses anneal weights
    targets:                            # name -> held-out evaluation text, with a weight
      wiki: {paths: data/wiki/*.jsonl, weight: 0.5}
      code: {holdout_of: code, fraction: 0.1, weight: 0.5}   # a held-out split of a source, never trained on
    runs: 64                            # proxy runs in the design
    target_tokens: null                 # size of the training set the mix is for (default: all available tokens)
    proxy: {kind: ngram_kn_v1, budget_tokens: 1000000, order: 4}
    regression: {models: [loglinear, gbm], folds: 5}   # also gp, gbm_regmix (mixers.regression)
    optimiser: {kind: simulate, candidates: 100000, top_k: 100}   # or {kind: convex, kl: 0.05}
    constraints: {min_weight: 0.0, max_weight: 1.0, max_epochs: 4}   # a number, or {source: number, '*': default}
    sampling: {concentration: [0.3, 1.0, 3.0], near_uniform_every: 8}
    trust: {min_spearman: 0.5, max_distance: 0.5}
    validate: {budget_multiplier: 4, seeds: 2}
    eval_max_bytes: 300000             # per target: bytes of dev (and test) text a proxy is scored on

Errors name the key and the valid values (``pipeline.errors.ConfigError``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.config import checked_mapping, load_yaml, parse_named, positive_int
from pipeline.errors import ConfigError

PROXIES = ("ngram_kn_v1", "transformer_v1")
REGRESSIONS = ("loglinear", "gbm", "gp", "gbm_regmix")  # every law family (mixers.regression.LAWS)
DEFAULT_REGRESSIONS = ("loglinear", "gbm")  # what `winnow mix` cross-validates unless regression.models says
OPTIMISERS = ("simulate", "convex")
_TOP_KEYS = ("name", "seed", "output", "tokenizer", "sources", "targets", "runs", "target_tokens", "proxy",
             "regression", "optimiser", "constraints", "sampling", "trust", "validate", "eval_max_bytes")


@dataclass(frozen=True)
class TargetConfig:
    """Evaluation text: files (``paths``) or the held-out ``fraction`` of a source (``holdout_of``)."""

    name: str
    weight: float
    paths: tuple[str, ...] = ()
    holdout_of: str | None = None
    fraction: float = 0.1


@dataclass(frozen=True)
class ProxyConfig:
    kind: str = "ngram_kn_v1"
    budget_tokens: int = 1_000_000
    params: dict = field(default_factory=dict)  # passed to the proxy (ngram: order; transformer: steps, ...)


@dataclass(frozen=True)
class MixConfig:
    name: str
    sources: dict[str, tuple[str, ...]]
    targets: tuple[TargetConfig, ...]
    where: dict[str, str] = field(default_factory=dict)  # source -> SQL predicate selecting its documents
    seed: int = 0
    output: str = "out/mix"
    tokenizer: str = "utf8_bytes_v1"
    runs: int = 64
    target_tokens: int | None = None
    proxy: ProxyConfig = ProxyConfig()
    regression_models: tuple[str, ...] = DEFAULT_REGRESSIONS
    folds: int = 5
    optimiser: str = "simulate"
    candidates: int = 100_000
    top_k: int = 100
    kl: float = 0.05
    min_weight: dict[str, float] = field(default_factory=dict)
    max_weight: dict[str, float] = field(default_factory=dict)
    max_epochs: dict[str, float] = field(default_factory=dict)
    concentration: tuple[float, ...] = (0.3, 1.0, 3.0)
    near_uniform_every: int = 8
    min_spearman: float = 0.5
    max_distance: float = 0.5
    validate_multiplier: float = 4.0
    validate_seeds: int = 2
    eval_max_bytes: int = 300_000

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def limit(self, key: str, source: str) -> float:
        """``min_weight``, ``max_weight`` or ``max_epochs`` of a source (its own value, else the default)."""
        per = getattr(self, key)
        return per.get(source, per.get("*", {"min_weight": 0.0, "max_weight": 1.0, "max_epochs": 4.0}[key]))

    def with_overrides(self, output: str | None = None, sources: list[str] | None = None,
                       targets: list[str] | None = None, runs: int | None = None,
                       budget_tokens: int | None = None) -> "MixConfig":
        """Command-line overrides: ``--source NAME=GLOB`` replaces all sources, ``--target NAME=GLOB[:WEIGHT]``
        all targets."""
        cfg = self
        if output is not None:
            cfg = replace(cfg, output=output)
        if sources:
            parsed: dict[str, tuple[str, ...]] = {}
            for spec in sources:
                name, glob = name_eq("--source", spec)
                parsed.setdefault(name, ())
                parsed[name] += (glob,)
            # a source's `where` stays with its name: --source gives other files for the same selection
            cfg = replace(cfg, sources=parsed, where={k: v for k, v in cfg.where.items() if k in parsed})
        if targets:
            tgts = []
            for spec in targets:
                name, rest = name_eq("--target", spec)
                weight = 1.0
                head, sep, tail = rest.rpartition(":")
                if sep and head and _is_number(tail):
                    rest, weight = head, float(tail)
                if weight <= 0:
                    raise ConfigError(f"--target {spec}: weight must be positive")
                tgts.append(TargetConfig(name, weight, paths=(rest,)))
            cfg = replace(cfg, targets=tuple(tgts))
        if runs is not None:
            cfg = replace(cfg, runs=positive_int("--runs", runs))
        if budget_tokens is not None:
            cfg = replace(cfg, proxy=replace(cfg.proxy, budget_tokens=positive_int("--budget-tokens", budget_tokens)))
        _check_cross(cfg)
        return cfg


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def name_eq(flag: str, spec: str, what: str = "GLOB") -> tuple[str, str]:
    """``NAME=VALUE`` of a command-line flag, both parts stripped; a ConfigError naming the flag otherwise."""
    name, sep, value = (spec or "").partition("=")
    if not sep or not name.strip() or not value.strip():
        raise ConfigError(f"{flag}: expected NAME={what}, got {spec!r}")
    return name.strip(), value.strip()


def _number(where: str, v: Any, lo: float | None = None, hi: float | None = None) -> float:
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        raise ConfigError(f"{where}: expected a number, got {v!r}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ConfigError(f"{where}: expected a number in [{lo}, {hi}], got {v!r}")
    return float(v)


def _globs(where: str, v: Any) -> tuple[str, ...]:
    if isinstance(v, str):
        v = [v]
    if not v or not isinstance(v, list) or not all(isinstance(p, str) and p for p in v):
        raise ConfigError(f"{where}: expected a glob or a list of globs, got {v!r}")
    return tuple(v)


def _per_source(where: str, v: Any, sources: dict, default: float, lo: float, hi: float | None) -> dict[str, float]:
    """A number for every source, or {source: number}; key ``*`` holds the value for sources not named
    (sources given later with --source)."""
    if isinstance(v, dict):
        for k in v:
            if k not in sources and k != "*":
                raise ConfigError(f"{where}: unknown source {k!r}; sources: {', '.join(sources)}")
        out = {s: _number(f"{where}.{s}", v[s], lo, hi) for s in v if s != "*"}
        out["*"] = _number(f"{where}.*", v.get("*", default), lo, hi)
        return out
    return {"*": _number(where, v, lo, hi)}


def _check_cross(cfg: MixConfig) -> None:
    if not cfg.sources:
        raise ConfigError("sources: expected at least one source (name -> glob)")
    if not cfg.targets:
        raise ConfigError("targets: expected at least one target (name -> glob or {holdout_of: SOURCE})")
    names = [t.name for t in cfg.targets]
    if len(set(names)) != len(names):
        raise ConfigError(f"targets: duplicate target name in {names}")
    for t in cfg.targets:
        if t.holdout_of is not None and t.holdout_of not in cfg.sources:
            raise ConfigError(f"targets.{t.name}.holdout_of: unknown source {t.holdout_of!r}; "
                              f"sources: {', '.join(cfg.sources)}")


def parse_mix_config(raw: Any, source: str = "<config>") -> MixConfig:
    """Validate a loaded YAML mapping; every error names ``source`` and the offending key."""
    return parse_named(_parse, raw, source)


def _parse(raw: Any) -> MixConfig:
    raw = checked_mapping("config", raw, _TOP_KEYS)
    name = raw.get("name", "mix")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"name: expected a non-empty string, got {name!r}")
    seed = raw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"seed: expected an integer, got {seed!r}")
    output = raw.get("output", f"out/mix/{name}")
    if not isinstance(output, str) or not output:
        raise ConfigError(f"output: expected a directory path, got {output!r}")
    from mixers.data import TOKENIZERS

    tokenizer = raw.get("tokenizer", "utf8_bytes_v1")
    if tokenizer not in TOKENIZERS:
        raise ConfigError(f"tokenizer: unknown tokenizer {tokenizer!r}; valid tokenizers: {', '.join(TOKENIZERS)}")

    sources, where_of = {}, {}
    for k, v in checked_mapping("sources", raw.get("sources", {}), None).items():
        k = str(k)
        if isinstance(v, dict):
            v = checked_mapping(f"sources.{k}", v, ("paths", "where"))
            if "paths" not in v:
                raise ConfigError(f"sources.{k}: expected `paths` (a glob or a list of globs) with the `where`")
            pred = v.get("where")
            if pred is not None:
                if not isinstance(pred, str) or not pred.strip():
                    raise ConfigError(f"sources.{k}.where: expected a SQL predicate over the source's columns, "
                                      f"e.g. 'quality_dclm >= 0.9', got {pred!r}")
                where_of[k] = pred
            v = v["paths"]
        sources[k] = _globs(f"sources.{k}", v)
    targets = []
    for tname, spec in checked_mapping("targets", raw.get("targets", {}), None).items():
        where = f"targets.{tname}"
        if isinstance(spec, (str, list)):
            spec = {"paths": spec}
        spec = checked_mapping(where, spec, ("paths", "weight", "holdout_of", "fraction"))
        if ("paths" in spec) == ("holdout_of" in spec):
            raise ConfigError(f"{where}: give exactly one of `paths` (held-out files) or `holdout_of` (a source)")
        weight = _number(f"{where}.weight", spec.get("weight", 1.0), 0.0)
        if weight <= 0:
            raise ConfigError(f"{where}.weight: expected a positive number, got {weight}")
        fraction = _number(f"{where}.fraction", spec.get("fraction", 0.1), 0.0, 0.9)
        if "holdout_of" in spec and fraction <= 0:
            raise ConfigError(f"{where}.fraction: expected a fraction in (0, 0.9], got {fraction}")
        targets.append(TargetConfig(str(tname), weight, _globs(f"{where}.paths", spec["paths"]) if "paths" in spec
                                    else (), spec.get("holdout_of"), fraction))

    runs = positive_int("runs", raw.get("runs", 64))
    target_tokens = raw.get("target_tokens")
    if target_tokens is not None:
        target_tokens = positive_int("target_tokens", target_tokens)

    proxy_raw = dict(checked_mapping("proxy", raw.get("proxy", {}), None))
    kind = proxy_raw.pop("kind", "ngram_kn_v1")
    if kind not in PROXIES:
        raise ConfigError(f"proxy.kind: unknown proxy {kind!r}; valid proxies: {', '.join(PROXIES)}")
    budget = positive_int("proxy.budget_tokens", proxy_raw.pop("budget_tokens", 1_000_000))
    from mixers.proxy import proxy_params

    proxy = ProxyConfig(kind, budget, proxy_params(kind, proxy_raw))

    reg = checked_mapping("regression", raw.get("regression", {}), ("models", "folds"))
    models = reg.get("models", list(DEFAULT_REGRESSIONS))
    if isinstance(models, str):
        models = [models]
    if not isinstance(models, list) or not models:
        raise ConfigError(f"regression.models: expected a list of {', '.join(REGRESSIONS)}, got {models!r}")
    for m in models:
        if m not in REGRESSIONS:
            raise ConfigError(f"regression.models: unknown model {m!r}; valid models: {', '.join(REGRESSIONS)}")
    folds = positive_int("regression.folds", reg.get("folds", 5))
    if folds < 2:
        raise ConfigError("regression.folds: expected at least 2")

    opt = checked_mapping("optimiser", raw.get("optimiser", {}), ("kind", "candidates", "top_k", "kl"))
    okind = opt.get("kind", "simulate")
    if okind not in OPTIMISERS:
        raise ConfigError(f"optimiser.kind: unknown optimiser {okind!r}; valid optimisers: {', '.join(OPTIMISERS)}")

    cons = checked_mapping("constraints", raw.get("constraints", {}), ("min_weight", "max_weight", "max_epochs"))
    min_w = _per_source("constraints.min_weight", cons.get("min_weight", 0.0), sources, 0.0, 0.0, 1.0)
    max_w = _per_source("constraints.max_weight", cons.get("max_weight", 1.0), sources, 1.0, 0.0, 1.0)
    max_e = _per_source("constraints.max_epochs", cons.get("max_epochs", 4.0), sources, 4.0, 0.0, None)
    for s, e in max_e.items():
        if e <= 0:
            raise ConfigError(f"constraints.max_epochs.{s}: expected a positive number, got {e}")

    samp = checked_mapping("sampling", raw.get("sampling", {}), ("concentration", "near_uniform_every"))
    conc = samp.get("concentration", [0.3, 1.0, 3.0])
    conc = conc if isinstance(conc, list) else [conc]
    conc = tuple(_number("sampling.concentration", c, 1e-6) for c in conc)
    if not conc:
        raise ConfigError("sampling.concentration: expected a positive number or a list of them")
    trust = checked_mapping("trust", raw.get("trust", {}), ("min_spearman", "max_distance"))
    val = checked_mapping("validate", raw.get("validate", {}), ("budget_multiplier", "seeds"))

    cfg = MixConfig(
        name=name, sources=sources, targets=tuple(targets), where=where_of, seed=seed, output=output,
        tokenizer=tokenizer,
        runs=runs, target_tokens=target_tokens, proxy=proxy, regression_models=tuple(models), folds=folds,
        optimiser=okind, candidates=positive_int("optimiser.candidates", opt.get("candidates", 100_000)),
        top_k=positive_int("optimiser.top_k", opt.get("top_k", 100)),
        kl=_number("optimiser.kl", opt.get("kl", 0.05), 0.0),
        min_weight=min_w, max_weight=max_w, max_epochs=max_e, concentration=conc,
        near_uniform_every=positive_int("sampling.near_uniform_every", samp.get("near_uniform_every", 8)),
        min_spearman=_number("trust.min_spearman", trust.get("min_spearman", 0.5), -1.0, 1.0),
        max_distance=_number("trust.max_distance", trust.get("max_distance", 0.5), 0.0, 1.0),
        validate_multiplier=_number("validate.budget_multiplier", val.get("budget_multiplier", 4.0), 1.0),
        validate_seeds=positive_int("validate.seeds", val.get("seeds", 2)),
        eval_max_bytes=positive_int("eval_max_bytes", raw.get("eval_max_bytes", 300_000)),
    )
    _check_cross(cfg)
    return cfg


def load_mix_config(path: str | Path) -> MixConfig:
    return parse_mix_config(load_yaml(path), str(path))


def stable_hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]
