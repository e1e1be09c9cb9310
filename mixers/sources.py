"""The sources of ``winnow mix plan`` and ``winnow mix fit``: their names, token counts and weight bounds.

Sources come from a mix config (``sources:``, files per source, with their ``where`` and the held-out splits
its ``holdout_of`` targets name), from ``--source NAME=GLOB`` (which replaces them, as for ``winnow mix``), or
as bare names (``--sources a,b,c`` for a plan; a mixtures table's columns for a fit). Token counts come from
``--source-tokens NAME=N`` or, where there are files, from counting them in the config's tokenizer (held-out
splits excluded); with neither, there are no epoch caps.

Bounds are those of ``winnow mix`` (``mixers.sampling``): ``min_weight <= w <= min(max_weight, available x
max_epochs / tokens)`` with ``tokens`` the larger of ``target_tokens`` (default: all available tokens) and
the tokens of one planned run. Limits come from the config's ``constraints`` and are overridden by
``--min-weight NAME=X``, ``--max-weight NAME=X`` and ``--max-epochs [NAME=]X`` (``*`` names every source).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from mixers import constraints as cons
from mixers.config import MixConfig, name_eq
from mixers.data import TOKENIZERS, read_corpus
from mixers.materialise import source_corpus
from mixers.sampling import check_bounds
from pipeline.errors import ConfigError


@dataclass
class Sources:
    names: list[str]
    available: np.ndarray | None  # tokens per source; None where not known (no epoch caps)
    globs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)
    holdouts: dict[str, dict] = field(default_factory=dict)
    counted_from: str = "none"  # "files", "--source-tokens" or "none"

    @property
    def natural(self) -> np.ndarray | None:
        return None if self.available is None else self.available / self.available.sum()


@dataclass
class Bounds:
    lo: np.ndarray
    hi: np.ndarray
    max_weight: np.ndarray
    max_epochs: np.ndarray
    target_tokens: int | None
    tokens: int | None  # what the epoch caps divide by
    tokens_from: str


def empty_config(name: str) -> MixConfig:
    """A mix config with no sources or targets: the defaults of every setting (seed, constraints, optimiser)."""
    return MixConfig(name=name, sources={}, targets=())


def _float(flag: str, spec: str, value: str, lo: float, hi: float | None) -> float:
    try:
        v = float(value)
    except ValueError:
        raise ConfigError(f"{flag} {spec}: {value!r} is not a number") from None
    if not (v >= lo and (hi is None or v <= hi)):
        raise ConfigError(f"{flag} {spec}: expected a number in [{lo:g}, {hi if hi is not None else 'inf'}]")
    return v


def parse_source_tokens(specs: list[str] | None) -> dict[str, int]:
    """``--source-tokens NAME=N`` (N a positive whole number; ``2.5e9`` is accepted)."""
    out: dict[str, int] = {}
    for spec in specs or []:
        name, value = name_eq("--source-tokens", spec, "N")
        v = _float("--source-tokens", spec, value, 1.0, None)
        if not float(v).is_integer():
            raise ConfigError(f"--source-tokens {spec}: expected a whole number of tokens")
        out[name] = int(v)
    return out


def with_flags(cfg: MixConfig, seed: int | None = None, tokenizer: str | None = None,
               target_tokens: int | None = None, min_weight: list[str] | None = None,
               max_weight: list[str] | None = None, max_epochs: list[str] | None = None) -> MixConfig:
    """``cfg`` with the command line's settings over it."""
    if seed is not None:
        cfg = replace(cfg, seed=seed)
    if tokenizer is not None:
        if tokenizer not in TOKENIZERS:
            raise ConfigError(f"--tokenizer: unknown tokenizer {tokenizer!r}; valid: {', '.join(TOKENIZERS)}")
        cfg = replace(cfg, tokenizer=tokenizer)
    if target_tokens is not None:
        if target_tokens < 1:
            raise ConfigError(f"--target-tokens: expected a positive integer, got {target_tokens}")
        cfg = replace(cfg, target_tokens=target_tokens)
    for flag, key, specs, hi in (("--min-weight", "min_weight", min_weight, 1.0),
                                 ("--max-weight", "max_weight", max_weight, 1.0),
                                 ("--max-epochs", "max_epochs", max_epochs, None)):
        per = dict(getattr(cfg, key))
        for spec in specs or []:
            name, value = name_eq(flag, spec, "VALUE") if "=" in spec else ("*", spec)
            v = _float(flag, spec, value, 0.0, hi)
            if key == "max_epochs" and v <= 0:
                raise ConfigError(f"{flag} {spec}: expected a positive number of epochs")
            if name == "*":  # a default for all: sources without their own value take it
                per = {k: x for k, x in per.items() if k != "*"} | {"*": v}
            else:
                per[name] = v
        cfg = replace(cfg, **{key: per})
    return cfg


def resolve(cfg: MixConfig, names: list[str] | None = None, names_from: str = "--sources",
            source_tokens: dict[str, int] | None = None, cache: dict | None = None) -> Sources:
    """The sources: ``names`` (a plan's ``--sources``, a fit's table columns) or the config's, with token counts
    (``source_tokens``, else counted from the config's files, else none). ``cache``: documents read for counting
    are kept there for materialising (``mixers.materialise.source_corpus``)."""
    globs = dict(cfg.sources)
    if names is not None and globs:
        missing = [s for s in globs if s not in names]
        extra = [s for s in names if s not in globs]
        if missing or extra:
            parts = ([f"no column for source {', '.join(map(repr, missing))}"] if missing else []) + \
                    ([f"column {', '.join(map(repr, extra))} is not a source"] if extra else [])
            raise ConfigError(f"{names_from}: {'; '.join(parts)} (the config's or --source's sources: "
                              f"{', '.join(globs)})")
    elif names is None:
        names = list(globs)
    if not names:
        raise ConfigError("sources: none given: a mix config with sources, --source NAME=GLOB, or --sources a,b,c")
    if len(set(names)) != len(names):
        raise ConfigError(f"{names_from}: a source is named twice in {', '.join(names)}")
    holdouts = {t.holdout_of: {"fraction": t.fraction, "seed": cfg.seed} for t in cfg.targets
                if t.holdout_of is not None and t.holdout_of in names}
    where = {s: p for s, p in cfg.where.items() if s in names}
    for key in ("min_weight", "max_weight", "max_epochs"):
        unknown = [s for s in getattr(cfg, key) if s != "*" and s not in names]
        if unknown:
            raise ConfigError(f"{key}: unknown source {', '.join(map(repr, unknown))}; sources: {', '.join(names)}")
    if source_tokens:
        unknown = [s for s in source_tokens if s not in names]
        if unknown:
            raise ConfigError(f"--source-tokens: unknown source {', '.join(map(repr, unknown))}; sources: "
                              f"{', '.join(names)}")
        missing = [s for s in names if s not in source_tokens]
        if missing:
            raise ConfigError(f"--source-tokens: no count for {', '.join(missing)}: give every source's tokens "
                              "(or none, for no epoch caps)")
        available, counted = np.array([source_tokens[s] for s in names], float), "--source-tokens"
    elif globs:
        counts = []
        for s in names:
            if cache is not None:
                c = source_corpus(s, globs[s], cfg.tokenizer, holdouts.get(s), where.get(s), cache)
            else:
                ex = (holdouts[s]["fraction"], holdouts[s]["seed"]) if s in holdouts else None
                c = read_corpus(s, globs[s], cfg.tokenizer, f"sources.{s}", exclude=ex, select=where.get(s))
            if c.n_tokens == 0:
                raise ConfigError(f"sources.{s}: no documents with text in {', '.join(c.files)}"
                                  + (f" under where {where[s]!r}" if s in where else ""))
            counts.append(c.n_tokens)
        available, counted = np.array(counts, float), "files"
    else:
        available, counted = None, "none"
    return Sources(list(names), available, {s: tuple(g) for s, g in globs.items()}, where, holdouts, counted)


def bounds(cfg: MixConfig, src: Sources, run_tokens: int | None = None) -> Bounds:
    """Each source's weight bounds (module docstring); ConfigError when no mixture satisfies them or the data
    cannot supply ``target_tokens`` (or one run's ``run_tokens``) under the epoch caps."""
    lo = np.array([cfg.limit("min_weight", s) for s in src.names])
    mw = np.array([cfg.limit("max_weight", s) for s in src.names])
    me = np.array([cfg.limit("max_epochs", s) for s in src.names])
    if src.available is None:
        check_bounds(src.names, lo, mw)
        return Bounds(lo, mw.copy(), mw, me, cfg.target_tokens, None, "target_tokens")
    capacity = float((src.available * me).sum())
    target = cfg.target_tokens or int(src.available.sum())
    if target > capacity:
        raise ConfigError(f"target_tokens: {target:,} is more than the data allows under the epoch caps "
                          f"({capacity:,.0f} = sum of available tokens x max_epochs)")
    if run_tokens is not None and run_tokens > capacity:
        raise ConfigError(f"--tokens: {run_tokens:,} is more than the data allows under the epoch caps "
                          f"({capacity:,.0f} = sum of available tokens x max_epochs)")
    tokens = max(target, run_tokens or 0)
    hi = np.minimum(mw, cons.epoch_caps(src.available, me, tokens))
    check_bounds(src.names, lo, hi)
    return Bounds(lo, hi, mw, me, target, tokens, "target_tokens" if target >= (run_tokens or 0) else "--tokens")


def constraint_report(src: Sources, b: Bounds, w: np.ndarray) -> dict:
    """``mixers.constraints.report`` of mix ``w`` under ``b`` (epoch fields null without token counts)."""
    return cons.report(src.names, src.available, b.lo, b.max_weight, b.max_epochs, b.tokens, w, b.tokens_from)
