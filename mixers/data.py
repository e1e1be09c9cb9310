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
                keep_docs: bool = False) -> Corpus:
    """Read every document matched by ``globs``; ``exclude``/``keep`` = (fraction, seed) of a holdout split
    (:func:`pipeline.holdout.in_holdout`): skip the held-out documents, or keep only them."""
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
        if exclude is not None and in_holdout(doc.id, fraction=exclude[0], seed=exclude[1]):
            continue
        if keep is not None and not in_holdout(doc.id, fraction=keep[0], seed=keep[1]):
            continue
        c.ids.append(doc.id)
        c.blobs.append(doc.text.encode("utf-8"))
        tokens.append(counter(doc.text))
        if keep_docs:
            c.docs.append(doc)
    c.tokens = np.asarray(tokens, dtype=np.int64)
    return c


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
