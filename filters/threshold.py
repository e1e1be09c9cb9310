"""Decide late: keep documents by a score an earlier stage stored, without running its model again.

``score_filter_v1`` reads a numeric column (``quality_dclm``, ``lang_score``, ``dup_cluster_size``...)
from each document's metadata and keeps either the documents at or above ``min_score``, or the
``top_fraction`` of the whole corpus by that score (DCLM-Baseline keeps about the top 10% by its
fastText score; Li et al. 2024). A fixed threshold streams; a top fraction has to see every score
first, so it is a barrier like dedup (see ``pipeline.run``): the stages before it write each
document's score, one process finds the cut, and the stages after it start by applying it. Ties at
the cut are broken by a hash of the document id, so the kept set does not depend on the number of
tasks or on file order.

Drops: ``score_filter_below_threshold``, ``score_filter_below_top_fraction``, and
``score_filter_missing_score`` for documents without the column (or with NaN), unless
``keep_missing``.
"""

from __future__ import annotations

import json
import math
from array import array
from pathlib import Path

import numpy as np
import xxhash
from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep

from pipeline.atomic import atomic_write, atomic_write_json
from pipeline.errors import ConfigError
from pipeline.layout import RunLayout
from pipeline.stage import Barrier, register


def _score(doc: Document, column: str) -> float | None:
    value = doc.metadata.get(column)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return float(value)


@register("score_filter_v1")
class ScoreFilter(Barrier):
    """Keep documents whose stored ``column`` is at least ``min_score``, or in the corpus's ``top_fraction``."""


    def __init__(
        self,
        column: str,
        min_score: float | None = None,
        top_fraction: float | None = None,
        keep_missing: bool = False,
        exclusion_writer=None,
    ):
        super().__init__(exclusion_writer)
        if (min_score is None) == (top_fraction is None):
            raise ConfigError("stages.score_filter_v1: set exactly one of min_score and top_fraction")
        if top_fraction is not None and not 0 < top_fraction <= 1:
            raise ConfigError(f"stages.score_filter_v1.top_fraction: expected a value in (0, 1], got {top_fraction}")
        self.score_column, self.min_score, self.top_fraction, self.keep_missing = (
            column, min_score, top_fraction, keep_missing
        )
        self._keep = None

    @property
    def is_barrier(self) -> bool:
        return self.top_fraction is not None

    @property
    def reads_columns(self) -> tuple[str, ...]:
        """Score columns that must exist before this stage (the runner checks, before any work): a
        typo in ``column`` would otherwise drop every document as ``score_filter_missing_score``."""
        return (self.score_column,) if self.score_column.startswith("quality_") else ()

    # -- barrier phases (top_fraction) -----------------------------------------------------------------
    def key_step(self) -> PipelineStep:
        """(score, id hash) per document: 16 bytes each."""
        def row(doc):
            score = _score(doc, self.score_column)
            return (math.nan if score is None else score, float(_id_hash(doc.id)))

        return KeyRows(self, row, 2)

    def cluster(self, tasks: int) -> dict:
        """Find the cut: the top ``top_fraction`` of documents with a score, by (score, id hash)."""
        parts = []
        for r in range(tasks):
            path = RunLayout.barrier_rows(self.workdir, r)
            parts.append(np.load(path) if path.exists() else np.empty((0, 2)))
        allv = np.concatenate(parts) if parts else np.empty((0, 2))
        scored = allv[~np.isnan(allv[:, 0])]
        n_keep = math.ceil(self.top_fraction * len(scored))
        if n_keep == 0:
            cut = (math.inf, math.inf)
        else:
            order = np.lexsort((-scored[:, 1], scored[:, 0]))[::-1]  # by score desc, then id hash asc
            cut = tuple(scored[order[n_keep - 1]].tolist())
        summary = {"documents": int(len(allv)), "scored": int(len(scored)), "kept": int(n_keep),
                   "cut_score": None if n_keep == 0 else cut[0]}
        atomic_write_json(RunLayout.barrier_decision(self.workdir, "cut"), {"cut": list(cut), **summary})
        return summary

    def run(self, data, rank: int = 0, world_size: int = 1):
        if self.is_barrier:
            self._cut = tuple(json.loads(RunLayout.barrier_decision(self.workdir, "cut").read_text())["cut"])
        yield from super().run(data, rank, world_size)

    # -- the decision ------------------------------------------------------------------------------------
    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        score = _score(doc, self.score_column)
        if score is None:
            return True if self.keep_missing else self.drop("missing_score")
        if self.min_score is not None:
            return True if score >= self.min_score else self.drop("below_threshold")
        key = (score, -float(_id_hash(doc.id)))
        return True if key >= (self._cut[0], -self._cut[1]) else self.drop("below_top_fraction")


def _id_hash(doc_id: str) -> int:
    return xxhash.xxh64_intdigest(doc_id) >> 11  # 53 bits: exact in a float64


class KeyRows(PipelineStep):
    """Barrier phase 1, shared by barriers that decide on per-document numbers: ``row(doc)`` (a tuple of floats of
    a fixed width) for every document of this task, saved as ``RunLayout.barrier_rows`` (one row a document)."""

    type = "threshold"

    def __init__(self, stage: Barrier, row, width: int):
        self.name = f"{stage.stage_name}:keys"
        super().__init__()
        self.stage, self.row, self.width = stage, row, width

    def __repr__(self) -> str:
        return self.name

    def run(self, data, rank: int = 0, world_size: int = 1):
        values = array("d")  # flat rows: 8 bytes a number
        for doc in data:
            values.extend(self.row(doc))
            yield doc
        rows = np.frombuffer(values, dtype=np.float64).reshape(-1, self.width)
        atomic_write(RunLayout.barrier_rows(self.stage.workdir, rank), lambda tmp: _save(tmp, rows))


def _save(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as f:  # a file object: np.save would add ".npy" to a name that lacks it
        np.save(f, array)
