"""Sources and targets for mixing: documents read with ``pipeline.readers.DocumentReader``, tokens counted offline.

Tokenizers (``tokenizer:`` in a mix config): ``pipeline.tokens`` (``utf8_bytes_v1``, ``words_v1``).

A target given as ``holdout_of: SOURCE`` is the ``fraction`` of that source's documents held out by
:func:`pipeline.holdout.in_holdout` (a hash of seed and id): those documents are evaluation text and never
trained on, in proxy runs or in ``winnow materialise`` (weights.json records the fraction and seed).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import numpy as np
import xxhash

from pipeline.errors import ConfigError
from pipeline.holdout import in_holdout
from pipeline.readers import DocumentReader
from pipeline.tokens import TOKENIZERS, count_tokens  # noqa: F401  (re-exported for mixers)
from pipeline.warc import resolve_inputs

log = logging.getLogger("winnow.mixers")


@dataclass
class Corpus:
    """The documents of one source (or target), as UTF-8 bytes with token counts."""

    name: str
    files: list[str]
    ids: list[str] = field(default_factory=list)
    blobs: list[bytes] = field(default_factory=list)
    tokens: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    docs: list = field(default_factory=list)  # datatrove Documents, kept only when asked (materialise)

    @property
    def n_tokens(self) -> int:
        return int(self.tokens.sum())

    @property
    def n_bytes(self) -> int:
        return sum(len(b) for b in self.blobs)


def read_corpus(name: str, globs: tuple[str, ...] | list[str], tokenizer: str, where: str,
                exclude: tuple[float, int] | None = None, keep: tuple[float, int] | None = None,
                keep_docs: bool = False, select: str | None = None) -> Corpus:
    """Read every document with text matched by ``globs``. ``select``: a SQL predicate (:func:`where_mask`) that
    the documents must satisfy, evaluated over all of them; then ``exclude``/``keep`` = (fraction, seed) of a
    holdout split (:func:`pipeline.holdout.in_holdout`) skip the held-out documents, or keep only them. So a
    predicate selects the same documents whichever part of the split is read (``quantile_cont`` included)."""
    try:
        files = resolve_inputs(list(globs))
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}".replace("input.paths: ", "")) from None
    c = Corpus(name, files)
    counter = TOKENIZERS[tokenizer]
    tokens = []
    for doc in DocumentReader(files).run():
        if not doc.text:
            continue
        c.ids.append(doc.id)
        c.blobs.append(doc.text.encode("utf-8"))
        tokens.append(counter(doc.text))
        if keep_docs or select is not None:
            c.docs.append(doc)
    c.tokens = np.asarray(tokens, dtype=np.int64)
    rows = np.ones(len(c.ids), bool)
    if select is not None:
        rows &= where_mask(c, select, f"{where}.where")
    if exclude is not None:
        rows &= ~held_out(c.ids, *exclude)
    if keep is not None:
        rows &= held_out(c.ids, *keep)
    if not rows.all():
        idx = np.flatnonzero(rows)
        c.ids = [c.ids[i] for i in idx]
        c.blobs = [c.blobs[i] for i in idx]
        c.docs = [c.docs[i] for i in idx] if c.docs else []
        c.tokens = c.tokens[idx]
    if not keep_docs:
        c.docs = []
    return c


def held_out(ids: list[str], fraction: float, seed: int) -> np.ndarray:
    """Which of ``ids`` are in the holdout split (fraction, seed) of :func:`pipeline.holdout.in_holdout`."""
    return np.array([in_holdout(i, fraction=fraction, seed=seed) for i in ids], bool)


def fingerprint(files: list[str]) -> list[tuple[str, int]]:
    out = []
    for f in files:
        try:
            out.append((f, os.path.getsize(f)))
        except OSError:
            out.append((f, -1))
    return out


def text_hashes(c: Corpus) -> set[int]:
    return {xxhash.xxh64_intdigest(b) for b in c.blobs}


def where_mask(corpus: Corpus, predicate: str, where: str) -> np.ndarray:
    """Which of ``corpus``'s documents (read with ``keep_docs``) satisfy a DuckDB SQL ``predicate`` over their
    columns (``id`` and every column of the source files, e.g. ``quality_dclm >= 0.9``). The documents are the
    table ``documents``, so a predicate may compare with the whole source:
    ``quality_dclm >= (select quantile_cont(quality_dclm, 0.9) from documents)`` keeps the top tenth.
    A document for which the predicate is null is not selected."""
    import duckdb
    import pyarrow as pa

    keys = sorted({k for d in corpus.docs for k in d.metadata} - {"id", "text"})
    columns = {"id": pa.array(corpus.ids, pa.string()), "_row": pa.array(range(len(corpus.docs)), pa.int64())}
    for k in keys:
        values = [d.metadata.get(k) for d in corpus.docs]
        try:
            columns[k] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types across files: compare as text
            columns[k] = pa.array([None if v is None else str(v) for v in values], pa.string())
    con = duckdb.connect()
    con.register("documents", pa.table(columns))
    try:
        rows = con.execute(f"select _row from documents where ({predicate})").fetchall()
    except duckdb.Error as e:
        first = str(e).strip().splitlines()[0]
        raise ConfigError(f"{where}: {predicate!r} is not a predicate over the source's columns ({first}); "
                          f"columns: {', '.join(['id'] + keys)}") from None
    finally:
        con.close()
    mask = np.zeros(len(corpus.docs), bool)
    mask[[r[0] for r in rows]] = True
    return mask
