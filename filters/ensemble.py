"""``quality_ensemble_v1``: several quality scores combined the Nemotron-CC way (Su et al. 2024, "Nemotron-CC").

Each input score (``columns``, e.g. ``quality_dclm`` and ``quality_edu``) is turned into its percentile over the
whole corpus, weighted by tokens (the share of the scored corpus's tokens in documents scoring at or below it),
and the percentile into an integer bucket, ``min(floor(buckets * percentile), buckets - 1)`` (20 buckets in
Nemotron-CC); the ensemble is the ``max`` (Nemotron-CC)
or ``mean`` of a document's buckets, written as ``quality_<name>`` (float64). The input columns are kept, nothing
is dropped: thresholds stay late (``score_filter_v1`` on ``quality_<name>``, e.g. ``min_score: 15`` keeps the top
quarter of buckets).

Percentiles need every score first, so this is a barrier (``pipeline.run``): the phase before writes each
document's scores and token count per task, one process computes each score's token-weighted quantile edges, and
the stage applies them at the start of the next phase. Documents without a score are bucket 0 for that score
(counted in the barrier's summary); ties at an edge go to the upper bucket. Tokens are ``n_tokens`` where an
earlier phase counted them, else words.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep

from filters.threshold import KeyRows, _score
from pipeline.atomic import atomic_write_json
from pipeline.errors import ConfigError
from pipeline.layout import RunLayout
from pipeline.stage import Barrier, Column, register

COMBINE = ("max", "mean")


def _tokens(doc: Document) -> float:
    n = doc.metadata.get("n_tokens")
    if isinstance(n, (int, float)) and not isinstance(n, bool) and n > 0:
        return float(n)
    return float(max(len((doc.text or "").split()), 1))


@register("quality_ensemble_v1")
class QualityEnsemble(Barrier):
    """Combine quality scores by token-weighted percentile buckets (Nemotron-CC); writes quality_<name>,
    drops nothing."""

    columns = (Column("quality_<name>", pa.float64(), "the ensemble's bucket: max (or mean) of the scores' "
                      "token-weighted percentile buckets, 0 .. buckets-1"),)

    def __init__(self, columns: list[str], buckets: int = 20, combine: str = "max", name: str = "ensemble",
                 exclusion_writer=None):
        super().__init__(exclusion_writer)
        if not isinstance(columns, (list, tuple)) or len(columns) < 1 or not all(isinstance(c, str) for c in columns):
            raise ConfigError("stages.quality_ensemble_v1.columns: expected a list of score columns, e.g. "
                              "[quality_dclm, quality_edu]")
        if combine not in COMBINE:
            raise ConfigError(f"stages.quality_ensemble_v1.combine: {combine!r} is not one of {', '.join(COMBINE)}")
        if not isinstance(buckets, int) or not 2 <= buckets <= 1000:
            raise ConfigError(f"stages.quality_ensemble_v1.buckets: expected an integer in 2..1000, got {buckets!r}")
        self.score_columns, self.buckets, self.combine = list(columns), buckets, combine
        self.column = f"quality_{name}"
        if self.column in self.score_columns:
            raise ConfigError(f"stages.quality_ensemble_v1.name: {self.column} is also one of its inputs")
        self.columns = (Column(self.column, pa.float64(), f"{combine} of the token-weighted percentile buckets "
                               f"(0..{buckets - 1}) of {', '.join(self.score_columns)}"),)
        self._edges = None

    @property
    def reads_columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.score_columns if c.startswith("quality_"))

    def key_step(self) -> PipelineStep:
        """(tokens, score per column) per document."""
        def row(doc):
            return (_tokens(doc), *(math.nan if (v := _score(doc, c)) is None else v for c in self.score_columns))

        return KeyRows(self, row, len(self.score_columns) + 1)

    def cluster(self, tasks: int) -> dict:
        """Each score's token-weighted quantile edges (buckets - 1 of them) over every task's documents."""
        parts = [np.load(p) for r in range(tasks) if (p := RunLayout.barrier_rows(self.workdir, r)).exists()]
        k = len(self.score_columns)
        allv = np.concatenate(parts) if parts else np.empty((0, k + 1))
        weights = allv[:, 0]
        edges, missing = {}, {}
        qs = np.arange(1, self.buckets) / self.buckets
        for j, col in enumerate(self.score_columns):
            v = allv[:, j + 1]
            ok = ~np.isnan(v)
            missing[col] = int((~ok).sum())
            if not ok.any():
                edges[col] = [math.inf] * (self.buckets - 1)
                continue
            order = np.argsort(v[ok], kind="stable")
            sv, sw = v[ok][order], weights[ok][order]
            cum = np.cumsum(sw) / sw.sum()  # the share of tokens at or below each score
            idx = np.searchsorted(cum, qs, side="left")
            edges[col] = [float(sv[min(i, len(sv) - 1)]) for i in idx]
        summary = {"documents": int(len(allv)), "tokens": float(weights.sum()), "missing": missing,
                   "buckets": self.buckets, "combine": self.combine}
        atomic_write_json(RunLayout.barrier_decision(self.workdir, "edges"), {"edges": edges, **summary})
        return summary

    def run(self, data, rank: int = 0, world_size: int = 1):
        self._edges = json.loads(RunLayout.barrier_decision(self.workdir, "edges").read_text())["edges"]
        yield from super().run(data, rank, world_size)

    def bucket(self, column: str, score: float | None) -> int:
        """The bucket of one score: how many of the column's edges it reaches (0 for a missing score)."""
        if score is None:
            return 0
        return int(np.searchsorted(np.asarray(self._edges[column]), score, side="right"))

    def filter(self, doc: Document) -> bool:
        b = [self.bucket(c, _score(doc, c)) for c in self.score_columns]
        doc.metadata[self.column] = float(max(b) if self.combine == "max" else sum(b) / len(b))
        return True
