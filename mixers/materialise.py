"""``winnow materialise``: write the training set of a chosen mix at exactly N tokens (within one document).

Each source supplies ``weight x N`` tokens of whole documents, read in a seeded order; a source is
up-sampled (its documents repeated, each pass in a fresh order) only while its tokens stay within
``available x max_epochs`` (the cap weights.json records), so no document appears more than
``ceil(max_epochs)`` times. Whole documents are taken while they fit each source's share; the remainder is
filled from the sources furthest below their share, the last document being the shortest next one on
offer, so the total ends within one document of N (above N, unless the caps leave no more documents).

Held-out target splits recorded in weights.json (``holdout``) are excluded: the training set never contains
the text the mix was chosen on. A source that the mix config selected with ``where`` (weights.json ``where``)
supplies only the documents that predicate selects, the ones the weights were chosen on. Output (the run
contract)::

    OUT/documents/NNNNN.parquet   the output contract (pipeline.outputs); source = the mix's source name,
                                  n_tokens filled,
                                  metadata: source_original, mix_epoch (0 = first pass)
    OUT/shards/NNNNN.jsonl.zst    Dolma-style rows (id, text, source, metadata), the same documents
    OUT/manifest.json             weights, tokens and epochs per source, inputs, tokenizer, files
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from pathlib import Path

import numpy as np
import zstandard

from mixers.config import name_eq
from mixers.data import TOKENIZERS, Corpus, fingerprint, read_corpus
from pipeline.assets import sha256_file
from pipeline.atomic import atomic_write, atomic_write_json
from pipeline.errors import ConfigError, WinnowError
from pipeline.layout import RunLayout
from pipeline.outputs import write_documents_file
from pipeline.readers import input_columns

SHARD_DOCS = 10_000
_KIND = "winnow_materialise_v1"


def parse_sources(specs: list[str] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for spec in specs or []:
        name, glob = name_eq("--source", spec)
        out.setdefault(name, []).append(glob)
    if not out:
        raise ConfigError("--source: give every source of the mix as NAME=GLOB")
    return out


def load_weights(path: str) -> dict:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"weights file not found: {p}")
    try:
        w = json.loads(p.read_text())
    except json.JSONDecodeError as e:
        raise ConfigError(f"{p}: not valid JSON: {e}") from None
    if not isinstance(w, dict) or not isinstance(w.get("weights"), dict) or not w["weights"]:
        raise ConfigError(f"{p}: expected {{\"weights\": {{source: fraction}}, ...}}")
    for s, v in w["weights"].items():
        if not isinstance(v, (int, float)) or v < 0:
            raise ConfigError(f"{p}: weights.{s}: expected a non-negative number, got {v!r}")
    total = sum(w["weights"].values())
    if abs(total - 1) > 1e-6:
        raise ConfigError(f"{p}: weights sum to {total:.6g}, not 1")
    return w


def source_rng(seed: int, source: str, *more: int) -> np.random.Generator:
    return np.random.default_rng([seed, int(hashlib.sha256(source.encode()).hexdigest()[:8], 16), *more])


def select(tokens: dict[str, np.ndarray], weights: dict[str, float], caps: dict[str, float], n: int,
           max_epochs: dict[str, float], seed: int, streams: dict[str, list[tuple[int, int]]] | None = None
           ) -> dict[str, list[tuple[int, int]]]:
    """(document index, pass) per source: shares of ``n`` tokens, whole documents, within the caps.
    ``streams``: each source's documents in the order to take them, as (index, pass); by default every
    document in a seeded order, pass after pass up to ``ceil(max_epochs)``."""
    names = [s for s in weights if weights[s] > 0]
    quota = {s: weights[s] * n for s in names}
    pos, cum = {s: 0 for s in names}, {s: 0 for s in names}
    if streams is None:
        streams = {}
        for s in names:
            rng = source_rng(seed, s)
            passes = max(1, math.ceil(max_epochs[s]))
            streams[s] = [(int(i), e) for e in range(passes) for i in rng.permutation(len(tokens[s]))
                          if tokens[s][i] > 0]
    taken: dict[str, list[tuple[int, int]]] = {s: [] for s in names}

    def nxt(s):
        return streams[s][pos[s]] if pos[s] < len(streams[s]) else None

    def take(s):
        d = nxt(s)
        taken[s].append(d)
        cum[s] += int(tokens[s][d[0]])
        pos[s] += 1

    for s in names:  # whole documents while they fit the share
        while (d := nxt(s)) is not None and cum[s] + tokens[s][d[0]] <= min(quota[s], caps[s]):
            take(s)
    total = sum(cum.values())
    while total < n:  # fill from the sources furthest below their share, never past a cap
        room = [s for s in names if (d := nxt(s)) is not None and cum[s] + tokens[s][d[0]] <= caps[s]]
        if not room:
            break
        fits = [s for s in room if total + tokens[s][nxt(s)[0]] <= n]
        if fits:  # most below its share first
            s = max(fits, key=lambda s: (quota[s] - cum[s]) / max(quota[s], 1))
        else:  # the last document: the one that overshoots least
            s = min(room, key=lambda s: tokens[s][nxt(s)[0]])
        before = cum[s]
        take(s)
        total += cum[s] - before
    return taken


def source_corpus(name: str, globs, tokenizer: str, holdout: dict | None = None, where: str | None = None,
                  cache: dict | None = None) -> Corpus:
    """A source's documents as materialising takes them (its held-out split excluded, its ``where`` applied),
    read once per ``cache``: ``winnow mix plan --materialise`` writes many runs from the same sources."""
    ex = (holdout["fraction"], holdout["seed"]) if holdout else None
    key = (name, tuple(globs), tokenizer, ex, where)
    if cache is not None and key in cache:
        return cache[key]
    c = read_corpus(name, globs, tokenizer, f"--source {name}", exclude=ex, keep_docs=True, select=where)
    if cache is not None:
        cache[key] = c
    return c


def materialise(weights_json: str, sources: list[str] | dict, tokens: int, output: str, seed: int = 0,
                shard_docs: int = SHARD_DOCS, cache: dict | None = None) -> dict:
    """Write ``tokens`` tokens of the mix in ``weights_json`` to ``output`` (the module docstring); ``cache``: see
    :func:`source_corpus`."""
    t0 = time.perf_counter()
    if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 1:
        raise ConfigError(f"--tokens: expected a positive integer, got {tokens!r}")
    wj = load_weights(weights_json)
    weights = {s: float(v) for s, v in wj["weights"].items()}
    tokenizer = wj.get("tokenizer", "utf8_bytes_v1")
    if tokenizer not in TOKENIZERS:
        raise ConfigError(f"{weights_json}: tokenizer {tokenizer!r} unknown; valid: {', '.join(TOKENIZERS)}")
    globs = sources if isinstance(sources, dict) else parse_sources(sources)
    unknown = sorted(set(globs) - set(weights))
    if unknown:
        raise ConfigError(f"--source: {', '.join(unknown)} not in the mix; its sources: {', '.join(weights)}")
    missing = sorted(s for s in weights if weights[s] > 0 and s not in globs)
    if missing:
        raise ConfigError(f"--source: no files given for {', '.join(missing)} (weight > 0 in {weights_json}); "
                          "add --source NAME=GLOB for each")
    max_epochs = {s: float((wj.get("max_epochs") or {}).get(s, 4.0)) for s in weights}
    holdout = wj.get("holdout") or {}
    chosen_on = wj.get("where") or {}  # the documents the mix was chosen on are the ones it is materialised from
    corpora = {}
    for s in weights:
        if weights[s] <= 0:
            continue
        corpora[s] = source_corpus(s, globs[s], tokenizer, holdout.get(s), chosen_on.get(s), cache)
        if corpora[s].n_tokens == 0:
            raise ConfigError(f"--source {s}: no documents with text in {', '.join(corpora[s].files)}"
                              + (f" under where {chosen_on[s]!r} (from {weights_json})" if s in chosen_on else ""))
    avail = {s: c.n_tokens for s, c in corpora.items()}
    caps = {s: avail[s] * max_epochs[s] for s in corpora}
    over = [f"{s} needs {weights[s] * tokens:,.0f} > cap {caps[s]:,.0f} ({avail[s]:,} available x "
            f"{max_epochs[s]:g} epochs)" for s in corpora if weights[s] * tokens > caps[s] + 1]
    if over:
        most = min(caps[s] / weights[s] for s in corpora)
        raise ConfigError(f"--tokens {tokens:,}: more than the data allows under the epoch caps: {'; '.join(over)}. "
                          f"At most {int(most):,} tokens with these weights")
    toks = {s: c.tokens for s, c in corpora.items()}
    taken = select(toks, {s: weights[s] for s in corpora}, caps, tokens, max_epochs, seed)
    total = sum(int(toks[s][i]) for s in taken for i, _ in taken[s])
    longest = max(int(t.max()) for t in toks.values())
    if abs(total - tokens) > longest:
        raise WinnowError(f"materialise: reached {total:,} of {tokens:,} tokens: the epoch caps leave no more "
                          "whole documents")

    out = Path(output)
    clear_previous(out)
    # the sources' own columns stay columns (lossless chaining), as in every command that writes documents
    extra = input_columns([f for c in corpora.values() for f in c.files])
    order = [(s, i, e) for s in taken for i, e in taken[s]]
    files = write_set(out, order, corpora, toks, extra, tokenizer, seed, shard_docs)
    per_source = {}
    for s in corpora:
        t = sum(int(toks[s][i]) for i, _ in taken[s])
        per_source[s] = {
            "weight": weights[s], "tokens": t, "fraction": t / total, "documents": len(taken[s]),
            "available_tokens": avail[s], "where": chosen_on.get(s), "epochs": t / avail[s],
            "max_epochs": max_epochs[s], "max_passes_of_a_document": 1 + max((e for _, e in taken[s]), default=-1),
            "inputs": fingerprint(corpora[s].files),
        }
    manifest = {
        "kind": _KIND, "weights_json": str(weights_json),
        "weights_sha256": sha256_file(weights_json),
        "tokens_requested": tokens, "tokens": total, "documents": len(order),
        "within_one_document": abs(total - tokens) <= longest, "longest_document_tokens": longest,
        "tokenizer": tokenizer, "seed": seed, "sources": per_source,
        "holdout_excluded": holdout, "files": files, "seconds": round(time.perf_counter() - t0, 3),
    }
    atomic_write_json(RunLayout(out).manifest, manifest)
    return manifest


def write_set(out: Path, order: list[tuple[str, int, int]], corpora: dict, toks: dict, extra, tokenizer: str,
              seed: int, shard_docs: int = SHARD_DOCS) -> list[str]:
    """The documents ``order`` names ((source, index, pass)), shuffled, as ``out/documents/NNNNN.parquet`` and
    ``out/shards/NNNNN.jsonl.zst``; returns the files written, relative to ``out``. A document's pass ``e`` > 0
    gets the id ``<id>#pass<e>``, so every id is unique."""
    layout = RunLayout(out)
    layout.documents.mkdir(parents=True, exist_ok=True)
    layout.shards.mkdir(parents=True, exist_ok=True)
    perm = np.random.default_rng([seed, 1]).permutation(len(order))
    files = []
    cctx = zstandard.ZstdCompressor(level=3)
    for k, start in enumerate(range(0, len(order), shard_docs)):
        docs, lines = [], []
        for j in perm[start:start + shard_docs]:
            s, i, e = order[j]
            doc = corpora[s].docs[i]
            md = {**doc.metadata, "source": s, "n_tokens": int(toks[s][i]), "mix_epoch": e}
            if doc.metadata.get("source") not in (None, s):
                md["source_original"] = doc.metadata["source"]
            doc_id = doc.id if e == 0 else f"{doc.id}#pass{e}"
            d = type(doc)(text=doc.text, id=doc_id, metadata=md)
            docs.append(d)
            lines.append(json.dumps({"id": doc_id, "text": doc.text, "source": s,
                                     "metadata": {k2: v for k2, v in md.items() if k2 != "source"}},
                                    default=str, ensure_ascii=False))
        name = f"{k:05d}"
        write_documents_file(layout.documents / f"{name}.parquet", docs, extra, tokenizer)
        atomic_write(layout.shards / f"{name}.jsonl.zst", cctx.compress(("\n".join(lines) + "\n").encode()))
        files += [f"documents/{name}.parquet", f"shards/{name}.jsonl.zst"]
    return files


def clear_previous(out: Path, kind: str = _KIND, subdirs: tuple[str, ...] = ("documents", "shards")) -> None:
    """Remove an earlier materialisation's files (its manifest lists them); refuse to write over a directory
    that holds anything else."""
    man = RunLayout(out).manifest
    if man.is_file():
        try:
            old = json.loads(man.read_text())
        except json.JSONDecodeError:
            old = {}
        if old.get("kind") != kind:
            raise ConfigError(f"--output {out}: holds another run's manifest; choose an empty directory")
        for f in old.get("files", []):
            (out / f).unlink(missing_ok=True)
        man.unlink()
    for sub in subdirs:
        d = out / sub
        if d.is_dir() and any(p for p in d.rglob("*") if p.is_file() and not p.name.endswith((".part", ".tmp"))):
            raise ConfigError(f"--output {out}: {sub}/ already holds files; choose an empty directory")


