"""Held-out splits by document id: which documents are evaluation text and never trained on.

One rule for the whole project, used by the quality trainer (``filters.quality_train``: documents held out
for ``metrics.json``) and by the mixers (``mixers.data``: a target's ``holdout_of`` share of a source, and
the dev/test halves of each target in ``mixers.mix``)::

    held out  <=>  xxh64(f"{seed}:{doc_id}".encode("utf-8")) < fraction * 2**64

xxh64 with hash seed 0, read as an unsigned 64-bit integer, over the UTF-8 bytes of the config seed (a
decimal integer, so it cannot contain the ``:``) and the document id. The hash is spread evenly over
[0, 2**64), so about ``fraction`` of the documents are held out; ``fraction`` 0 holds out none and 1 all.

Why a hash and not a random draw: the decision for one document reads only its own id and the seed, no
random state, position, file or neighbour. So the same documents are held out whatever the task count, the
file split or the input order, in every task of a run and in every later command (``winnow materialise``
recomputes a mix study's holdout from the ``fraction`` and ``seed`` in weights.json, so this rule must not
change). Ids come from the source, never the text: two copies of one text under two ids may fall on both
sides (the quality trainer reports how many, ``holdout_texts_also_in_train``). A larger fraction with the
same seed holds out a superset of a smaller one.
"""

from __future__ import annotations

import xxhash

# Recorded with every split (meta.json of a quality model), so a reader can recompute it.
RULE = "xxh64(f'{seed}:{doc_id}') < fraction * 2**64"


def in_holdout(doc_id: str, *, seed: int, fraction: float) -> bool:
    """True when ``doc_id`` is held out under ``seed`` at ``fraction`` (0..1); see the module docstring.

    ``seed`` and ``fraction`` are keyword-only: both are numbers, and swapped they give a wrong split
    without any error.
    """
    return xxhash.xxh64_intdigest(f"{seed}:{doc_id}") < fraction * 2**64


def fold_of(doc_id: str, *, seed: int, folds: int) -> int:
    """Which of ``folds`` equal hash ranges ``doc_id`` falls in under ``seed`` (0..folds-1), by the same hash as
    :func:`in_holdout`: fold 0 of 5 is exactly ``in_holdout(doc_id, seed=seed, fraction=0.2)``'s held-out part."""
    return xxhash.xxh64_intdigest(f"{seed}:{doc_id}") * folds >> 64
