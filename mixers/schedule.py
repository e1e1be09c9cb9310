"""``winnow materialise --schedule S.yaml --output DIR``: a training schedule in phases (pretraining, then a
mid-training / annealing phase on the best data, as in OLMo 2's Dolmino mix).

::

    max_epochs: 4                      # a number, or {source: number, '*': default}; across all phases together
    tokenizer: utf8_bytes_v1           # default: the tokenizer of a weights.json the phases use, else utf8_bytes_v1
    seed: 0
    sources: {crawl: 'out/cc/documents/*.parquet', code: 'data/code/*.parquet', math: 'data/math/*.jsonl.zst'}
    phases:
      - {name: pretrain, tokens: 900000000, weights: out/mix/weights.json}
      - {name: anneal, tokens: 100000000, weights: {crawl: 0.5, math: 0.3, code: 0.2},
         where: {crawl: "quality_dclm >= 0.9"}}

Each phase takes ``weights[s] x tokens`` tokens of whole documents from each source, from the documents its
``where`` predicate selects (DuckDB SQL over the source's columns, the table ``documents``:
:func:`mixers.data.where_mask`), and writes ``DIR/<phase>/documents/*.parquet`` and ``DIR/<phase>/shards/`` as
``winnow materialise`` does (``source`` = the schedule's source name, ``n_tokens``, ``mix_epoch`` = how many times
the document was used before, in any phase). A phase's total is within one document of its ``tokens``.

Epoch caps hold across the phases together: a document is used at most ``ceil(max_epochs)`` times in all
(one used in both phases counts twice, and its second use has the id ``<id>#pass1``), a source's tokens in all
phases stay within ``available x max_epochs``, and each phase uses documents not used before first. A phase that
cannot be filled under its predicate and the caps is an error that says how many tokens are available.
Documents that a weights.json holds out (``holdout``: the text a mix was chosen on) are in no phase; a predicate
is evaluated over all of a source's documents, held out or not (as ``winnow mix`` evaluates it), so a relative
one (``quantile_cont``) means the same in both. A phase whose weights come from a weights.json that ``winnow mix``
chose on selected documents (a mix config source with ``where``) takes that source's ``where`` too, unless the
phase gives its own: that is how ``winnow mix`` chooses the anneal phase's weights.
``DIR/manifest.json`` records tokens, documents and epochs per source per phase and in total.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mixers.data import TOKENIZERS, fingerprint, held_out, read_corpus, where_mask
from mixers.materialise import clear_previous, load_weights, select, source_rng, write_set
from pipeline.assets import sha256_file
from pipeline.atomic import atomic_write_json
from pipeline.config import load_yaml
from pipeline.errors import ConfigError, WinnowError
from pipeline.layout import RunLayout
from pipeline.readers import input_columns

_KIND = "winnow_schedule_v1"
_KEYS = ("max_epochs", "tokenizer", "seed", "sources", "phases")
_PHASE_KEYS = ("name", "tokens", "weights", "where")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class Phase:
    name: str
    tokens: int
    weights: dict[str, float]
    where: dict[str, str] = field(default_factory=dict)
    weights_file: str | None = None
    weights_sha256: str | None = None


@dataclass
class Schedule:
    path: str
    sources: dict[str, list[str]]
    max_epochs: dict[str, float]
    tokenizer: str
    seed: int
    phases: list[Phase]
    holdout: dict[str, dict]


def _weights(where: str, raw) -> tuple[dict[str, float], dict | None, str | None]:
    """(weights, the weights.json's contents or None, its sha256) from a mapping or a weights.json path."""
    if isinstance(raw, str):
        w = load_weights(raw)
        return {s: float(v) for s, v in w["weights"].items()}, w, sha256_file(raw)
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{where}: expected a mapping {{source: fraction}} or the path of a weights.json")
    for s, v in raw.items():
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
            raise ConfigError(f"{where}.{s}: expected a non-negative number, got {v!r}")
    total = sum(raw.values())
    if abs(total - 1) > 1e-6:
        raise ConfigError(f"{where}: weights sum to {total:.6g}, not 1")
    return {str(s): float(v) for s, v in raw.items()}, None, None


def load_schedule(path: str) -> Schedule:
    """Read and check a schedule file; every error names the file and the key."""
    p = Path(path)
    raw = load_yaml(p, "--schedule: file")
    if not isinstance(raw, dict):
        raise ConfigError(f"{p}: expected a mapping with sources and phases")
    unknown = sorted(set(raw) - set(_KEYS))
    if unknown:
        raise ConfigError(f"{p}: unknown key {unknown[0]!r}; valid keys: {', '.join(_KEYS)}")
    sources = raw.get("sources")
    if not isinstance(sources, dict) or not sources:
        raise ConfigError(f"{p}: sources: expected a mapping of source name -> glob (or list of globs)")
    globs = {}
    for s, g in sources.items():
        g = [g] if isinstance(g, str) else g
        if not isinstance(g, list) or not g or not all(isinstance(x, str) and x for x in g):
            raise ConfigError(f"{p}: sources.{s}: expected a glob or a list of globs")
        globs[str(s)] = g
    me = raw.get("max_epochs", 4)
    if isinstance(me, dict):
        bad = sorted(set(map(str, me)) - set(globs) - {"*"})
        if bad:
            raise ConfigError(f"{p}: max_epochs.{bad[0]}: unknown source; sources: {', '.join(globs)}")
        max_epochs = {s: me.get(s, me.get("*", 4)) for s in globs}
    else:
        max_epochs = {s: me for s in globs}
    for s, v in max_epochs.items():
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0:
            raise ConfigError(f"{p}: max_epochs ({s}): expected a positive number, got {v!r}")
    seed = raw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"{p}: seed: expected an integer, got {seed!r}")
    phases_raw = raw.get("phases")
    if not isinstance(phases_raw, list) or not phases_raw:
        raise ConfigError(f"{p}: phases: expected a list of {{name, tokens, weights[, where]}}")
    phases, names, holdout, tokenizers = [], set(), {}, set()
    for k, ph in enumerate(phases_raw):
        where = f"{p}: phases[{k}]"
        if not isinstance(ph, dict):
            raise ConfigError(f"{where}: expected a mapping with name, tokens and weights")
        unknown = sorted(set(ph) - set(_PHASE_KEYS))
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r}; valid keys: {', '.join(_PHASE_KEYS)}")
        name = ph.get("name")
        if not isinstance(name, str) or not _NAME.match(name) or name in names:
            raise ConfigError(f"{where}.name: expected a unique directory name (letters, digits, _ . -), got {name!r}")
        names.add(name)
        where = f"{p}: phases.{name}"
        tokens = ph.get("tokens")
        if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 1:
            raise ConfigError(f"{where}.tokens: expected a positive integer, got {tokens!r}")
        weights, wj, sha = _weights(f"{where}.weights", ph.get("weights"))
        missing = sorted(s for s, v in weights.items() if v > 0 and s not in globs)
        if missing:
            raise ConfigError(f"{where}.weights: source {missing[0]!r} is not in sources ({', '.join(globs)})")
        if wj is not None:
            if wj.get("tokenizer"):
                tokenizers.add(wj["tokenizer"])
            for s, h in (wj.get("holdout") or {}).items():
                if s in holdout and holdout[s] != h:
                    raise ConfigError(f"{where}.weights: holds out {h} of {s}, another phase's weights {holdout[s]}")
                holdout[s] = h
        pred = ph.get("where") or {}
        if not isinstance(pred, dict) or not all(isinstance(v, str) and v.strip() for v in pred.values()):
            raise ConfigError(f"{where}.where: expected {{source: SQL predicate}}, "
                              "e.g. {crawl: 'quality_dclm >= 0.9'}")
        if wj is not None:  # weights chosen by a mix on selected documents apply to those documents
            pred = {**{s: v for s, v in (wj.get("where") or {}).items() if weights.get(s, 0) > 0}, **pred}
        bad = sorted(s for s in pred if weights.get(s, 0) <= 0)
        if bad:
            raise ConfigError(f"{where}.where.{bad[0]}: the phase takes nothing from this source (weight 0 or absent)")
        phases.append(Phase(name, tokens, {s: v for s, v in weights.items() if v > 0}, dict(pred),
                            ph["weights"] if wj is not None else None, sha))
    tokenizer = raw.get("tokenizer") or (tokenizers.pop() if len(tokenizers) == 1 else "utf8_bytes_v1")
    if tokenizer not in TOKENIZERS:
        raise ConfigError(f"{p}: tokenizer {tokenizer!r} unknown; valid: {', '.join(TOKENIZERS)}")
    if tokenizers - {tokenizer}:
        raise ConfigError(f"{p}: the phases' weights were chosen with tokenizer {sorted(tokenizers)[0]!r}, the "
                          f"schedule counts {tokenizer!r}: give the same tokenizer")
    return Schedule(str(p), globs, {s: float(v) for s, v in max_epochs.items()}, tokenizer, seed, phases, holdout)


def _stream(rng: np.random.Generator, pool: np.ndarray, uses: np.ndarray, passes: int) -> list[tuple[int, int]]:
    """The pool's documents in the order a phase takes them, as (index, use number): every document's first
    unused pass before any second, each pass in a seeded order, up to ``passes`` uses of a document in all."""
    out = []
    for e in range(passes):
        level = pool[uses[pool] <= e]
        out += [(int(i), e) for i in level[rng.permutation(len(level))]]
    return out


def materialise_schedule(path: str, output: str, shard_docs: int | None = None) -> dict:
    t0 = time.perf_counter()
    sch = load_schedule(path)
    used = sorted({s for ph in sch.phases for s in ph.weights})
    corpora, toks = {}, {}
    train = {}
    for s in used:
        # every document is read, so a predicate sees the same table as in `winnow mix` (read_corpus's select)
        c = read_corpus(s, sch.sources[s], sch.tokenizer, f"{sch.path}: sources.{s}", keep_docs=True)
        h = sch.holdout.get(s)
        train[s] = ~held_out(c.ids, h["fraction"], h["seed"]) if h else np.ones(len(c.ids), bool)
        if not c.tokens[train[s]].sum():
            raise ConfigError(f"{sch.path}: sources.{s}: no documents with text in {', '.join(c.files) or 'no files'}"
                              + (" outside the holdout" if h else ""))
        corpora[s], toks[s] = c, c.tokens
    avail = {s: int(toks[s][train[s]].sum()) for s in used}
    cap = {s: avail[s] * sch.max_epochs[s] for s in used}
    passes = {s: max(1, math.ceil(sch.max_epochs[s])) for s in used}
    uses = {s: np.zeros(len(toks[s]), np.int64) for s in used}
    spent = {s: 0 for s in used}
    out = Path(output)
    clear_previous(out, _KIND, tuple(ph.name for ph in sch.phases))
    extra = input_columns([f for c in corpora.values() for f in c.files])
    phases_out, files = {}, []
    longest = max(int(t.max()) for t in toks.values())
    for k, ph in enumerate(sch.phases):
        streams, rooms, pools = {}, {}, {}
        for s in ph.weights:
            mask = (toks[s] > 0) & train[s]
            if s in ph.where:
                mask &= where_mask(corpora[s], ph.where[s], f"{sch.path}: phases.{ph.name}.where.{s}")
            pool = np.flatnonzero(mask)
            pools[s] = pool
            streams[s] = _stream(source_rng(sch.seed, s, k), pool, uses[s], passes[s])
            rooms[s] = min(cap[s] - spent[s], float(sum(int(toks[s][i]) for i, _ in streams[s])))
        short = [f"{s} needs {ph.weights[s] * ph.tokens:,.0f} tokens, {rooms[s]:,.0f} available"
                 + (f" under {ph.where[s]!r}" if s in ph.where else "")
                 + f" ({len(pools[s]):,} documents, {int(toks[s][pools[s]].sum()):,} tokens, max_epochs "
                 f"{sch.max_epochs[s]:g}, {spent[s]:,} tokens used by earlier phases)"
                 for s in ph.weights if ph.weights[s] * ph.tokens > rooms[s] + 1]
        if short:
            most = min(rooms[s] / ph.weights[s] for s in ph.weights)
            raise ConfigError(f"{sch.path}: phase {ph.name}: {ph.tokens:,} tokens cannot be filled: {'; '.join(short)}."
                              f" At most {int(most):,} tokens with these weights")
        taken = select(toks, ph.weights, {s: cap[s] - spent[s] for s in ph.weights}, ph.tokens, {}, sch.seed,
                       streams)
        total = sum(int(toks[s][i]) for s in taken for i, _ in taken[s])
        if abs(total - ph.tokens) > longest:
            raise WinnowError(f"{sch.path}: phase {ph.name}: reached {total:,} of {ph.tokens:,} tokens: the epoch "
                              "caps leave no more whole documents")
        order = [(s, i, e) for s in taken for i, e in taken[s]]
        files += [f"{ph.name}/{f}" for f in write_set(out / ph.name, order, corpora, toks, extra, sch.tokenizer,
                                                         sch.seed + k, shard_docs or 10_000)]
        per_source = {}
        for s in ph.weights:
            t = sum(int(toks[s][i]) for i, _ in taken[s])
            for i, _ in taken[s]:
                uses[s][i] += 1
            spent[s] += t
            pool_tokens = int(toks[s][pools[s]].sum())
            per_source[s] = {"weight": ph.weights[s], "tokens": t, "fraction": t / total, "documents": len(taken[s]),
                             "where": ph.where.get(s), "pool_documents": int(len(pools[s])),
                             "pool_tokens": pool_tokens, "epochs_of_pool": t / pool_tokens if pool_tokens else 0.0,
                             "epochs": t / avail[s],
                             "reused_from_earlier_phases": sum(1 for _, e in taken[s] if e > 0)}
        phases_out[ph.name] = {"tokens_requested": ph.tokens, "tokens": total, "documents": len(order),
                               "within_one_document": abs(total - ph.tokens) <= longest,
                               "weights_json": ph.weights_file, "weights_sha256": ph.weights_sha256,
                               "sources": per_source}
    manifest = {
        "kind": _KIND, "schedule": sch.path,
        "schedule_sha256": sha256_file(sch.path),
        "tokenizer": sch.tokenizer, "seed": sch.seed, "longest_document_tokens": longest,
        "tokens": sum(p["tokens"] for p in phases_out.values()), "phases": phases_out,
        "sources": {s: {"available_tokens": avail[s], "available_documents": int(train[s].sum()),
                        "tokens": spent[s], "epochs": spent[s] / avail[s], "max_epochs": sch.max_epochs[s],
                        "max_uses_of_a_document": int(uses[s].max()), "inputs": fingerprint(corpora[s].files)}
                    for s in used},
        "holdout_excluded": sch.holdout, "files": files, "seconds": round(time.perf_counter() - t0, 3),
    }
    atomic_write_json(RunLayout(out).manifest, manifest)
    return manifest
