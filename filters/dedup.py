"""Deduplication: exact (normalised text), URL, and MinHash LSH near-duplicates with exact verification.

Dedup needs every document before it can decide, so each dedup stage is a *barrier* in a run
(``pipeline.run`` splits the pipeline there) and works in three phases:

1. **keys** (parallel, one pass with the stages before it): per document, the keys that can make it
   collide with another (one text hash, one URL hash, or one LSH band key per band) and, for MinHash,
   its set of shingle hashes for verification. Written per task to ``OUT/work/<stage>/keys/`` with
   bounded memory (appended as the documents stream by).
2. **cluster** (one process, streaming over bands): documents are renumbered in a canonical order (by
   hash of id, then hash of text); for each band, sort the N band keys and, within each bucket of
   equal keys, verify each document against earlier members of every other component in the bucket
   (bounded: see :func:`cluster`). MinHash links only pairs whose *exact* Jaccard similarity of shingle
   sets is at least ``threshold``, so LSH false positives are never removed. A union-find over the
   links gives the duplicate clusters (connected components of verified pairs: every removed document
   has a verified near-duplicate in its cluster). Each cluster keeps its first member in the canonical
   order; every decision is a function of that order, so the kept set depends on the documents and
   the parameters only, not on the task count, the file split or the input order. Keys are stored
   one file per band and clustered one band at a time, so memory grows with the number of documents
   only, not their length or the number of bands (the README and docs/measurements.md give the figures),
   plus the shingle files of candidate pairs, which are memory-mapped. Bands are independent, so the band
   loop is where the work would be spread over processes when one machine's memory is not enough.
3. **filter** (parallel, the first step after the barrier): documents that are not their cluster's
   representative are dropped as ``<stage>_duplicate`` with ``dup_of`` (the kept representative's id)
   and ``dup_cluster``; every document gets ``dup_cluster_size``, the number of input documents it
   stands for (1 for unique documents), so a mix can up- or down-weight by cluster size (FineWeb-2's
   rehydration). Chained stages add up: a document that an exact stage made the representative of 3
   copies, and that a MinHash stage then finds unique, keeps ``dup_cluster`` from the exact stage and
   size 3; a MinHash cluster of it and one other document has size 4.

MinHash follows Broder (1997) and FineWeb's near-dedup (5-gram word shingles after lower-casing and
removing punctuation), but with 20 bands of 5 rows by default instead of FineWeb's 14 x 8: with exact
verification the LSH only has to *find* pairs, so it is tuned for recall (a pair at Jaccard 0.8 becomes a
candidate with probability 0.9996; see :func:`lsh_curve`, printed by ``winnow dedup``).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import xxhash
from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.logging import logger

from pipeline.atomic import atomic_write, atomic_write_json
from pipeline.commit import when_task_succeeds
from pipeline.errors import ConfigError
from pipeline.layout import RunLayout
from pipeline.stage import Barrier, Column, register
from pipeline.urls import url_key

_MASK64 = (1 << 64) - 1
_EMPTY = np.uint64(0)  # band key of a document with nothing to compare (never clustered)
_PUNCT = re.compile(r"[^\w\s]+")
_WS = re.compile(r"\s+")
_CHUNK = 1024  # shingles per block when computing MinHash, to bound memory on huge documents


def normalise(text: str) -> str:
    """Lower-case, NFKC, punctuation removed, whitespace collapsed (the comparison form of a text)."""
    return _WS.sub(" ", _PUNCT.sub(" ", unicodedata.normalize("NFKC", text).lower())).strip()


def _fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, vectorised (uint64 arithmetic wraps, as intended)."""
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def lsh_curve(bands: int, rows: int, points=(0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)) -> list[tuple[float, float]]:
    """Probability that a pair at Jaccard similarity s becomes a candidate: 1 - (1 - s^rows)^bands."""
    return [(s, 1 - (1 - s**rows) ** bands) for s in points]


class _DedupBase(Barrier):
    """The filter phase of a dedup stage; ``key_step`` and ``cluster`` are the phases before it."""

    columns = (
        Column("dup_cluster", pa.string(), "id of the duplicate cluster's kept representative (null: no duplicate)"),
        Column("dup_cluster_size", pa.int64(), "documents the cluster stands for, over every dedup stage run so far"),
        Column("dup_of", pa.string(), "removed rows: id of the kept document this one duplicates"),
    )

    method = "?"

    # -- phase 1 -------------------------------------------------------------------------------------
    def doc_keys(self, doc: Document) -> tuple[np.ndarray, np.ndarray | None]:
        """(band keys, uint64 array of length n_bands; shingle hashes or None) for one document."""
        raise NotImplementedError

    @property
    def n_bands(self) -> int:
        return 1

    def key_step(self) -> "KeyWriter":
        return KeyWriter(self)

    # -- phase 2 -------------------------------------------------------------------------------------
    def verify(self, shingles, a: int, b: int) -> bool:
        return True

    def cluster(self, tasks: int) -> dict:
        return cluster(self, tasks)

    # -- phase 3 -------------------------------------------------------------------------------------
    def run(self, data, rank: int = 0, world_size: int = 1):
        assign = _Assignments(Path(self.workdir), rank)
        self._assign = iter(assign)
        self._n_assigned = len(assign)
        self._n_seen = 0
        yield from super().run(data, rank, world_size)
        if self._n_seen != self._n_assigned:
            raise RuntimeError(
                f"{self.stage_name}: task {rank} read {self._n_seen} documents but the cluster phase assigned "
                f"{self._n_assigned}; the work files are inconsistent: delete {self.workdir} and run again"
            )

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        self._n_seen += 1
        dup_of, cluster_id, size = next(self._assign, (None, None, 1))
        if cluster_id is not None:  # a singleton here keeps the cluster an earlier dedup stage gave it
            doc.metadata["dup_cluster"] = cluster_id
        doc.metadata["dup_cluster_size"] = size
        if dup_of is not None:
            doc.metadata["dup_of"] = dup_of
            return self.drop("duplicate")
        return True

    # -- after the run -------------------------------------------------------------------------------
    @classmethod
    def report_section(cls, rd) -> str | None:
        """``section-dedup`` of ``winnow report``: one section for every dedup stage (:func:`report_section`)."""
        return report_section(rd)

    @classmethod
    def summary_line(cls, summary: dict) -> str | None:
        """``<stage>: N duplicates in M clusters (candidate and linked pairs)``, from :func:`cluster`'s summary."""
        if not {"duplicates", "clusters", "candidate_pairs", "linked_pairs"} <= set(summary):
            return None
        return (f"{cls.stage_name}: {summary['duplicates']} duplicates in {summary['clusters']} clusters "
                f"({summary['candidate_pairs']} candidate pairs, {summary['linked_pairs']} linked)")


@register("exact_dedup_v1")
class ExactDedup(_DedupBase):
    """Drop documents whose normalised text (lower-cased, NFKC, no punctuation, collapsed spaces) equals
    another's; one copy per cluster is kept (reason ``exact_dedup_duplicate``). Empty texts are never
    duplicates of each other."""

    method = "exact"

    def __init__(self, exclusion_writer=None):
        super().__init__(exclusion_writer)

    def doc_keys(self, doc):
        norm = normalise(doc.text)
        key = np.uint64(xxhash.xxh64_intdigest(norm) or 1) if norm else _EMPTY
        return np.array([key], dtype=np.uint64), None


@register("url_dedup_v1")
class URLDedup(_DedupBase):
    """Drop documents whose normalised URL (no scheme, ``www.``, fragment or trailing slash) was seen on
    another document: one per URL is kept (reason ``url_dedup_duplicate``). Documents without a URL are
    kept."""

    method = "url"

    def __init__(self, exclusion_writer=None):
        super().__init__(exclusion_writer)

    def doc_keys(self, doc):
        url = url_key(doc.metadata.get("url"))
        key = np.uint64(xxhash.xxh64_intdigest(url) or 1) if url else _EMPTY
        return np.array([key], dtype=np.uint64), None


@register("minhash_dedup_v1")
class MinHashDedup(_DedupBase):
    """Drop near-duplicates: documents whose word-``ngram`` shingle sets have Jaccard similarity at least
    ``threshold`` with a kept document (MinHash LSH with ``bands`` x ``rows`` permutations finds the
    candidates; exact Jaccard on the shingle sets confirms them). Reason ``minhash_dedup_duplicate``.
    Documents shorter than ``ngram`` words are one shingle (the whole text)."""

    method = "minhash"

    param_help = {  # `winnow dedup --method minhash` flags (pipeline.registry.add_stage_flags)
        "threshold": "Jaccard similarity of shingle sets at which two documents are duplicates",
        "ngram": "words per shingle",
        "bands": "LSH bands",
        "rows": "rows (hash functions) per band",
        "seed": "seed of the hash permutations",
    }

    def __init__(self, threshold: float = 0.8, ngram: int = 5, bands: int = 20, rows: int = 5, seed: int = 1,
                 exclusion_writer=None):
        super().__init__(exclusion_writer)
        if not 0 < threshold <= 1:
            raise ConfigError(f"stages.minhash_dedup_v1.threshold: expected a value in (0, 1], got {threshold}")
        for name, v in (("ngram", ngram), ("bands", bands), ("rows", rows)):
            if v < 1:
                raise ConfigError(f"stages.minhash_dedup_v1.{name}: expected a positive integer, got {v}")
        self.threshold, self.ngram, self.bands, self.rows, self.seed = threshold, ngram, bands, rows, seed
        rng = np.random.default_rng(seed)
        self._perm_seeds = rng.integers(1, 2**63, size=bands * rows, dtype=np.uint64)
        self._band_mix = rng.integers(1, 2**63, size=rows, dtype=np.uint64) | np.uint64(1)

    @property
    def n_bands(self) -> int:
        return self.bands

    def shingles(self, text: str) -> np.ndarray:
        """Sorted unique 64-bit hashes of the word n-grams of the normalised text."""
        words = normalise(text).split()
        if not words:
            return np.empty(0, dtype=np.uint64)
        vocab = {w: xxhash.xxh64_intdigest(w) for w in set(words)}
        h = np.fromiter((vocab[w] for w in words), dtype=np.uint64, count=len(words))
        n = min(self.ngram, len(words))
        # Polynomial combination of n consecutive word hashes (wrapping uint64), then mixed.
        acc = np.zeros(len(words) - n + 1, dtype=np.uint64)
        for j in range(n):
            acc = acc * np.uint64(0x100000001B3) + h[j : len(h) - n + 1 + j]
        return np.unique(_fmix64(acc))

    def doc_keys(self, doc):
        sh = self.shingles(doc.text)
        if sh.size == 0:
            return np.full(self.bands, _EMPTY, dtype=np.uint64), sh.astype(np.uint32)
        sig = np.full(self.bands * self.rows, np.iinfo(np.uint64).max, dtype=np.uint64)
        for start in range(0, sh.size, _CHUNK):
            block = sh[start : start + _CHUNK]
            np.minimum(sig, _fmix64(block[None, :] ^ self._perm_seeds[:, None]).min(axis=1), out=sig)
        bands = sig.reshape(self.bands, self.rows)
        keys = _fmix64(
            (bands * self._band_mix[None, :]).sum(axis=1, dtype=np.uint64) + np.arange(self.bands, dtype=np.uint64)
        )
        keys[keys == _EMPTY] = 1
        return keys, sh.astype(np.uint32)  # 32 bits per shingle are enough to verify a pair

    def verify(self, shingles, a: int, b: int) -> bool:
        sa, sb = shingles(a), shingles(b)
        if sa.size == 0 or sb.size == 0:
            return False
        inter = np.intersect1d(sa, sb, assume_unique=False).size
        return inter / (np.unique(sa).size + np.unique(sb).size - inter) >= self.threshold


class KeyWriter(PipelineStep):
    """Phase 1: pass documents through unchanged, appending each one's keys to this task's key files."""

    type = "dedup"

    def __init__(self, stage: _DedupBase):
        self.name = f"{stage.stage_name}:keys"  # before super().__init__, which names the stats
        super().__init__()
        self.stage = stage

    def __repr__(self) -> str:
        return self.name

    def run(self, data, rank: int = 0, world_size: int = 1):
        names = [f"band{b:03d}" for b in range(self.stage.n_bands)] + ["order", "weight", "shingles", "offsets", "ids"]
        final = {name: RunLayout.barrier_keys(self.stage.workdir, rank, name) for name in names}
        final["ids"].parent.mkdir(parents=True, exist_ok=True)
        tmp = {name: path.with_name(path.name + ".tmp") for name, path in final.items()}
        # One file per band (column-major), so the cluster phase reads one band without touching the others.
        files = {name: open(path, "w" if name == "ids" else "wb") for name, path in tmp.items()}
        try:
            offset = 0
            np.array([0], dtype=np.uint64).tofile(files["offsets"])
            band_files = [files[f"band{b:03d}"] for b in range(self.stage.n_bands)]
            for doc in data:
                with self.track_time():
                    keys, sh = self.stage.doc_keys(doc)
                    for f, key in zip(band_files, keys.astype(np.uint64)):
                        f.write(key.tobytes())
                    np.array(
                        [xxhash.xxh64_intdigest(doc.id), xxhash.xxh64_intdigest(doc.text)], dtype=np.uint64
                    ).tofile(files["order"])
                    np.array([_weight(doc)], dtype=np.uint64).tofile(files["weight"])
                    if sh is not None:
                        sh.tofile(files["shingles"])
                        offset += sh.size
                    np.array([offset], dtype=np.uint64).tofile(files["offsets"])
                    files["ids"].write(json.dumps(doc.id) + "\n")
                    self.stat_update("keyed")
                yield doc
        finally:
            for f in files.values():
                f.close()
        for name, path in tmp.items():  # complete files appear only when the task succeeded
            when_task_succeeds(path, final[name])


def _weight(doc: Document) -> int:
    """How many input documents ``doc`` stands for: the cluster size an earlier dedup stage (or run) gave it."""
    size = doc.metadata.get("dup_cluster_size")
    return size if isinstance(size, int) and not isinstance(size, bool) and size > 1 else 1


def _load_keys(workdir: Path, rank: int, n_bands: int):
    """(band(b) -> that band's keys, order keys, shingle offsets, shingles) for one task; files memory-mapped."""
    def path(name: str) -> Path:
        return RunLayout.barrier_keys(workdir, rank, name)

    if not path("offsets").exists():
        return None

    def band(b: int) -> np.ndarray:
        return np.fromfile(path(f"band{b:03d}"), dtype=np.uint64)

    order = _mmap(path("order"), np.uint64).reshape(-1, 2)
    offsets = _mmap(path("offsets"), np.uint64)
    return band, order, offsets, _mmap(path("shingles"), np.uint32), _mmap(path("weight"), np.uint64)


def _mmap(path: Path, dtype) -> np.ndarray:
    return np.memmap(path, dtype=dtype, mode="r") if os.path.getsize(path) else np.empty(0, dtype=dtype)


_MAX_TRIES = 64  # verifications per document and bucket; buckets of unrelated documents are rare (5 equal minima)
_TRIES_PER_COMPONENT = 4


def cluster(stage: _DedupBase, tasks: int) -> dict:
    """Phase 2: link documents that share a band key and pass verification; write per-task assignments.

    Documents are first renumbered in a canonical order, by (hash of id, hash of text): every decision
    below is a function of that numbering, so the clusters and the kept set depend on the documents
    and the parameters only, not on the task count, the file split or the input order. Within a
    bucket (documents with equal band keys, visited in canonical order) each document is verified
    against earlier members of every *other* component present in the bucket (up to
    ``_TRIES_PER_COMPONENT`` members each, ``_MAX_TRIES`` in all); a verified pair merges the two
    components. Clusters are thus connected components of verified near-duplicate pairs: every member
    of a cluster has at least one verified near-duplicate in it. The representative is the member
    that comes first in the canonical order.
    """
    workdir = Path(stage.workdir)
    parts = [_load_keys(workdir, r, stage.n_bands) for r in range(tasks)]
    counts = [0 if p is None else p[2].shape[0] - 1 for p in parts]
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    n = int(starts[-1])
    if n:
        order_keys = np.concatenate([np.asarray(p[1]) for p in parts if p is not None])
        canon = np.lexsort((order_keys[:, 1], order_keys[:, 0]))  # canonical position -> global row
        del order_keys
    else:
        canon = np.empty(0, np.int64)
    parent = np.arange(n, dtype=np.int64)  # over canonical positions; a root is its component's smallest

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def shingles_of(c: int) -> np.ndarray:
        g = int(canon[c])
        r = int(np.searchsorted(starts, g, side="right") - 1)
        _, _, offsets, sh, _ = parts[r]
        i = g - starts[r]
        return np.asarray(sh[int(offsets[i]) : int(offsets[i + 1])])

    candidates = verified = capped = 0
    for band in range(stage.n_bands):
        if not n:
            break
        keys = np.concatenate([p[0](band) for p in parts if p is not None])[canon]
        order = np.argsort(keys, kind="stable")  # equal keys stay in canonical order
        sk = keys[order]
        del keys
        dup = (sk[1:] == sk[:-1]) & (sk[1:] != _EMPTY)
        if not dup.any():
            continue
        # buckets: maximal runs of equal keys, as positions [lo, hi] of the sorted order
        edges = np.flatnonzero(np.diff(np.concatenate([[False], dup, [False]]).astype(np.int8)))
        for lo, hi in zip(edges[0::2].tolist(), edges[1::2].tolist()):
            members = order[lo : hi + 1].tolist()
            roots = [find(m) for m in members]
            if roots.count(roots[0]) == len(roots):
                continue  # already one component (an earlier band linked them)
            groups: dict[int, list[int]] = {}  # component root -> earlier members of this bucket
            for b, rb in zip(members, roots):
                rb = find(rb)
                tries = 0
                for r in list(groups):
                    if r == rb or r not in groups:
                        continue
                    for a in groups[r][:_TRIES_PER_COMPONENT]:
                        tries += 1
                        candidates += 1
                        if stage.verify(shingles_of, a, b):
                            verified += 1
                            new, old = min(r, rb), max(r, rb)
                            parent[old] = new
                            merged = groups.pop(r, []) + groups.pop(rb, [])
                            groups[new] = merged
                            rb = new
                            break
                    if tries >= _MAX_TRIES:
                        capped += 1
                        break
                groups.setdefault(rb, []).append(b)
        del order, sk

    # every root is its component's smallest canonical position, i.e. its representative
    roots = parent.copy()
    while n and not np.array_equal(nxt := roots[roots], roots):
        roots = nxt
    # a cluster's size counts the documents its members stood for (an exact cluster of 3 inside a MinHash
    # cluster of 2 makes 4), so chained dedup stages keep the FineWeb-2 rehydration count
    weight = np.concatenate([np.asarray(p[4]) for p in parts if p is not None])[canon] if n else np.empty(0)
    sizes_c = np.bincount(roots, weights=weight, minlength=n)[roots].astype(np.int64) if n else np.empty(0, np.int64)
    del weight
    members = np.bincount(roots, minlength=n)[roots] if n else np.empty(0, np.int64)
    rep_c = np.where(members > 1, roots, -1) if n else np.empty(0, np.int64)
    del members
    roots = parent = None  # freed (find's closure holds the name, not the array)
    # back to global rows (task order), with representatives as global rows too
    rep = np.full(n, -1, dtype=np.int64)
    sizes = np.ones(n, dtype=np.int64)
    if n:
        has = rep_c >= 0
        rep[canon[has]] = canon[rep_c[has]]
        sizes[canon] = sizes_c
    del rep_c, sizes_c
    canon = None  # freed, as parent above
    reps = np.unique(rep[rep >= 0])
    ids = _read_ids(workdir, tasks, starts, set(reps.tolist()))
    atomic_write(RunLayout.barrier_assigned_ids(workdir), json.dumps({str(k): v for k, v in ids.items()}))
    for r in range(tasks):
        lo, hi = int(starts[r]), int(starts[r + 1])
        atomic_write(RunLayout.barrier_assignment(workdir, r),
                     lambda tmp: _savez(tmp, start=np.int64(lo), rep=rep[lo:hi], size=sizes[lo:hi]))
    n_dups = int(((rep >= 0) & (rep != np.arange(n))).sum()) if n else 0
    summary = {"documents": n, "candidate_pairs": candidates, "linked_pairs": verified, "duplicates": n_dups,
               "clusters": int(reps.size), "capped_documents": capped}
    atomic_write_json(RunLayout.barrier_decision(workdir, "cluster"), summary)
    logger.info(f"{stage.stage_name}: {summary}")
    return summary


def _read_ids(workdir: Path, tasks: int, starts: np.ndarray, needed: set[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for r in range(tasks):
        path = RunLayout.barrier_keys(workdir, r, "ids")
        if not path.exists():
            continue
        lo, hi = int(starts[r]), int(starts[r + 1])
        if not any(lo <= g < hi for g in needed):
            continue
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f):
                if lo + i in needed:
                    out[lo + i] = json.loads(line)
    return out


def _savez(path: Path, **arrays) -> None:
    with path.open("wb") as f:  # a file object: np.savez would add ".npz" to a name that lacks it
        np.savez(f, **arrays)


class _Assignments:
    """One task's cluster assignments: per row (dup_of id or None, cluster id or None, cluster size)."""

    def __init__(self, workdir: Path, rank: int):
        path = RunLayout.barrier_assignment(workdir, rank)
        if path.exists():
            data = np.load(path)
            self.start, self.rep, self.size = int(data["start"]), data["rep"], data["size"]
            self.ids = json.loads(RunLayout.barrier_assigned_ids(workdir).read_text())
        else:  # this task had no documents
            self.start, self.rep, self.size, self.ids = 0, np.empty(0, np.int64), np.empty(0, np.int64), {}

    def __len__(self) -> int:
        return len(self.rep)

    def __iter__(self):
        for i, (rep, size) in enumerate(zip(self.rep.tolist(), self.size.tolist())):
            if rep < 0:
                yield None, None, size
            else:
                rep_id = self.ids[str(rep)]
                yield (None if rep == self.start + i else rep_id), rep_id, size


# ----------------------------------------------------------------------------------------------- the report

_SIZE_BUCKET = ("case when s <= 10 then cast(s as varchar) when s <= 20 then '11-20' when s <= 50 then '21-50' "
                "when s <= 100 then '51-100' when s <= 1000 then '101-1000' else '>1000' end")


@dataclass
class DedupFindings:
    """What a run's dedup stages found, from its documents' columns and ``stats.json``."""

    ran: bool  # a dedup stage ran in this run (its dup_of column, or a dedup stage in stats.json)
    singletons: int  # documents that reached dedup and have no duplicate
    clusters: list[tuple]  # size bucket, clusters, documents here, removed as duplicates
    largest: list[tuple]  # representative id, url, size, documents here
    removals: list[tuple]  # stage, reason, documents
    barriers: dict = field(default_factory=dict)  # stats["barriers"]: the clustering summaries


def dedup_findings(rd, top: int = 5) -> DedupFindings:
    """Duplicate clusters from ``dup_cluster`` (the kept representative's id) and ``dup_cluster_size``, grouped
    by size; the ``top`` largest; removals by the dedup stages; their clustering summaries."""
    stages = [st.get("stage", "") for st in rd.stats.get("stages") or []]
    ran = rd.has("dup_of") or any("dedup" in s for s in stages)
    clusters, largest, singletons = [], [], 0
    if rd.has("dup_cluster", "dup_cluster_size"):
        dup_removed = "(not kept and removed_by like '%dedup%')" if rd.has("removed_by") else "false"
        clusters = rd.rows(
            f"select {_SIZE_BUCKET} as bucket, count(*), sum(n), sum(d) from ("
            "select dup_cluster, max(dup_cluster_size) as s, count(*) as n, "
            f"count(*) filter (where {dup_removed}) as d from all_documents where dup_cluster is not null "
            "group by dup_cluster) group by bucket order by min(s)"
        )
        url = "any_value(url)" if rd.has("url") else "null"
        largest = rd.rows(
            "select c.dup_cluster, r.url, c.s, c.n from (select dup_cluster, max(dup_cluster_size) as s, "
            "count(*) as n from all_documents where dup_cluster is not null group by dup_cluster) c "
            f"left join (select id, {url} as url from all_documents group by id) r on r.id = c.dup_cluster "
            f"order by c.s desc, c.dup_cluster limit {int(top)}"
        )
        singletons = rd.one("select count(*) from all_documents where dup_cluster is null and dup_cluster_size = 1")[0]
    removals = []
    if rd.has("removed_by", "reason"):
        removals = rd.rows("select removed_by, reason, count(*) from removed where removed_by like '%dedup%' "
                           "or reason like '%dedup%' group by all order by 3 desc, 1, 2")
    barriers = rd.stats.get("barriers") if isinstance(rd.stats.get("barriers"), dict) else {}
    return DedupFindings(ran or bool(barriers), singletons, clusters, largest, removals, barriers)


def report_section(rd) -> str:
    """``section-dedup``: duplicate clusters by size (``plot-dup-clusters``), the largest clusters, the dedup
    removals and the dedup stages' clustering summaries; ``not run`` / ``none found`` in ``dedup-status``."""
    from pipeline import report_html as h
    from pipeline.report_data import log_bars_png

    d = dedup_findings(rd)
    if not d.ran and not d.clusters:
        return h.section("section-dedup", "Duplicates", h.status("dedup", h.NOT_RUN, "no dedup stage in this run "
                                                                 "(no dup_of column, no dedup stage in stats.json)."))
    if not d.clusters and not d.removals:
        return h.section("section-dedup", "Duplicates", h.status("dedup", h.NONE_FOUND, f"no duplicate clusters; "
                                                                 f"{d.singletons:,} documents reached dedup."))
    n_clusters = sum(c[1] for c in d.clusters)
    parts = [h.status("dedup", h.FOUND, f"{n_clusters:,} duplicate clusters; {d.singletons:,} documents that "
                                        "reached dedup have no duplicate.")]
    if d.clusters:
        parts.append(h.img(log_bars_png([str(c[0]) for c in d.clusters], [c[1] for c in d.clusters],
                                        "cluster size (documents, the kept copy included)", "clusters (log scale)"),
                           "plot-dup-clusters", "Duplicate clusters by size"))
        parts.append(h.table(["cluster size", "clusters", "documents in this run", "removed as duplicates"],
                             [(h.cell_num(h.esc(b)), n, docs, dups) for b, n, docs, dups in d.clusters],
                             table_id="table-dup-clusters"))
        parts.append(h.note("Size is dup_cluster_size (documents the cluster stands for, over every dedup stage so "
                            "far); clusters are grouped by dup_cluster, the kept representative's id."))
        parts.append("<h3>Largest clusters</h3>" + h.table(
            ["representative", "url", "size", "documents in this run"],
            [(h.code(rep), url, s, n) for rep, url, s, n in d.largest], table_id="table-dup-largest"))
    if d.removals:
        parts.append("<h3>Dedup removals</h3>" + h.table(["stage", "reason", "documents"], d.removals,
                                                          table_id="table-dedup-removals"))
    if d.barriers:
        keys = sorted({k for v in d.barriers.values() if isinstance(v, dict) for k in v})
        rows = [(stage, *[v.get(k) if isinstance(v, dict) else None for k in keys]) for stage, v in d.barriers.items()]
        parts.append("<h3>Clustering</h3>" + h.table(["stage", *[k.replace("_", " ") for k in keys]], rows,
                                                     table_id="table-dedup-clustering"))
    return h.section("section-dedup", "Duplicates", *parts)
