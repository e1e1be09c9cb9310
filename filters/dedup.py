"""Deduplication: exact (normalised text), URL, and MinHash LSH near-duplicates, verified.

Dedup needs every document before it can decide, so each dedup stage is a *barrier* in a run
(``pipeline.run`` splits the pipeline there) and works in four steps, each a datatrove job:

1. **keys** (parallel, one pass with the stages before it): per document, the keys that can make it
   collide with another (one text hash, one URL hash, or one LSH band key per band), its payload for
   verification (exact and URL: the full 64-bit hash; MinHash: a 128-byte sketch, the low bit of 1,024
   minima, or with ``verification: exact`` its shingle hashes) and its canonical-order key (hash of id,
   hash of text). Written per task to ``OUT/work/<stage>/keys/``; each band file is sorted at the task's
   end, as (40-bit key prefix << 24 | row) entries, so a key range is found by binary search.
2. **cluster** (``cluster_tasks`` tasks, :func:`cluster_part`): the (band, key range) units are dealt
   round-robin to the tasks; each unit holds at most ``_UNIT_ENTRIES`` entries, read from every key task's
   band file. Within a bucket (equal band keys) documents are visited in canonical order and each is
   verified against earlier members of every other component of the bucket (bounded); the verified pairs
   are written per task. A bucket's pairs depend on its members only.
3. **join** (one task, :func:`cluster`): the distinct pairs become clusters (connected components: every
   removed document has a verified near-duplicate in its cluster); each keeps its first member in the
   canonical order. Every decision is a function of the documents and the parameters only, not of the
   task count, the cluster task count, the file split or the input order. Memory follows the documents
   that have a duplicate.
4. **filter** (parallel, the first step after the barrier): documents that are not their cluster's
   representative are dropped as ``<stage>_duplicate`` with ``dup_of`` (the kept representative's id)
   and ``dup_cluster``; every document gets ``dup_cluster_size``, the number of input documents it
   stands for (1 for unique documents), so a mix can up- or down-weight by cluster size (FineWeb-2's
   rehydration). Chained stages add up: a document that an exact stage made the representative of 3
   copies, and that a MinHash stage then finds unique, keeps ``dup_cluster`` from the exact stage and
   size 3; a MinHash cluster of it and one other document has size 4.

MinHash follows Broder (1997) and FineWeb's near-dedup (5-gram word shingles after lower-casing and
removing punctuation), but with 20 bands of 5 rows by default instead of FineWeb's 14 x 8: with
verification the LSH only has to *find* pairs, so it is tuned for recall (a pair at Jaccard 0.8 becomes
a candidate with probability 0.9996; see :func:`lsh_curve`, printed by ``winnow dedup``). The sketch is
b-bit minwise hashing (Li and Konig 2010) with b = 1: two documents' bits agree with probability
(1 + J) / 2, so 1,024 of them estimate J with a standard error of about 0.019 at 0.8; pairs that close to
the threshold can go either way (the README gives the measured precision and recall).
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
_CHUNK = 1024  # shingles per block when computing MinHash, to bound memory on huge documents
_ROW_BITS = 24  # a band entry is (the key's top 40 bits | the document's row in its key task)
_ROW_MASK = (1 << _ROW_BITS) - 1
_KEY_BITS = 64 - _ROW_BITS
_MAX_TASK_ROWS = 1 << _ROW_BITS
_UNIT_ENTRIES = 8_000_000  # band entries one cluster unit holds at most (about 200 MB with its buckets)
_MAX_ROWS = (1 << 32) - 1  # documents one dedup stage numbers (a verified pair is two 32-bit rows in one uint64)
_READ_GAP = 32  # rows apart that are still read in one request
_MAX_TRIES = 64  # verifications per document and bucket; buckets of unrelated documents are rare (5 equal minima)
_TRIES_PER_COMPONENT = 4
_SKETCH_HASHES = 1024  # b-bit MinHash sketch for verification: the low bit of 1,024 minima (128 bytes a document)
_SKETCH_BITS = 1


def normalise(text: str) -> str:
    """Lower-case, NFKC, punctuation removed, whitespace collapsed (the comparison form of a text)."""
    if not unicodedata.is_normalized("NFKC", text):  # the check is ~20x cheaper than normalising
        text = unicodedata.normalize("NFKC", text)
    return " ".join(_PUNCT.sub(" ", text.lower()).split())  # str.split's whitespace is re's \s


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
    payload_width = 8  # bytes a document's payload (what verify compares) takes; 0: a uint32 array of any length

    def __init__(self, exclusion_writer=None, cluster_tasks: int = 1):
        super().__init__(exclusion_writer)
        if cluster_tasks < 1:
            raise ConfigError(
                f"stages.{self.stage_name}.cluster_tasks: expected a positive integer, got {cluster_tasks}")
        self.cluster_tasks = cluster_tasks

    # -- phase 1 -------------------------------------------------------------------------------------
    def doc_keys(self, doc: Document) -> tuple[np.ndarray, np.ndarray]:
        """(band keys, uint64 array of length n_bands, 0 for none; payload) for one document."""
        raise NotImplementedError

    @property
    def n_bands(self) -> int:
        return 1

    def key_step(self) -> "KeyWriter":
        return KeyWriter(self)

    # -- phase 2 -------------------------------------------------------------------------------------
    def verify(self, a: np.ndarray, b: np.ndarray) -> bool:
        """Whether two documents that share a band key are duplicates, from their payloads (exact and URL:
        the full 64-bit hash, as a band entry keeps only its top 40 bits)."""
        return bool(np.array_equal(a, b))

    def cluster_part(self, tasks: int, rank: int, world_size: int) -> dict:
        return cluster_part(self, tasks, rank, world_size)

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
        dup_of, cluster_id, size = next(self._assign, (None, None, None))
        if cluster_id is not None:  # a singleton here keeps the cluster an earlier dedup stage gave it
            doc.metadata["dup_cluster"] = cluster_id
        doc.metadata["dup_cluster_size"] = _weight(doc) if size is None else size
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

    param_help = {"cluster_tasks": "tasks the cluster step's key ranges are spread over"}

    def __init__(self, cluster_tasks: int = 1, exclusion_writer=None):
        super().__init__(exclusion_writer, cluster_tasks)

    def doc_keys(self, doc):
        norm = normalise(doc.text)
        key = np.array([xxhash.xxh64_intdigest(norm) or 1 if norm else _EMPTY], dtype=np.uint64)
        return key, key.view(np.uint8)


@register("url_dedup_v1")
class URLDedup(_DedupBase):
    """Drop documents whose normalised URL (no scheme, ``www.``, fragment or trailing slash) was seen on
    another document: one per URL is kept (reason ``url_dedup_duplicate``). Documents without a URL are
    kept."""

    method = "url"

    param_help = {"cluster_tasks": "tasks the cluster step's key ranges are spread over"}

    def __init__(self, cluster_tasks: int = 1, exclusion_writer=None):
        super().__init__(exclusion_writer, cluster_tasks)

    def doc_keys(self, doc):
        url = url_key(doc.metadata.get("url"))
        key = np.array([xxhash.xxh64_intdigest(url) or 1 if url else _EMPTY], dtype=np.uint64)
        return key, key.view(np.uint8)


@register("minhash_dedup_v1")
class MinHashDedup(_DedupBase):
    """Drop near-duplicates: documents whose word-``ngram`` shingle sets have Jaccard similarity at least
    ``threshold`` with a kept document (MinHash LSH with ``bands`` x ``rows`` hash functions finds the
    candidates; a 128-byte b-bit MinHash sketch, or with ``verification: exact`` the shingle sets themselves,
    confirms them). Reason ``minhash_dedup_duplicate``. Documents shorter than ``ngram`` words are one shingle
    (the whole text)."""

    method = "minhash"

    param_help = {  # `winnow dedup --method minhash` flags (pipeline.registry.add_stage_flags)
        "threshold": "Jaccard similarity of shingle sets at which two documents are duplicates",
        "ngram": "words per shingle",
        "bands": "LSH bands",
        "rows": "rows (hash functions) per band",
        "seed": "seed of the hash functions",
        "verification": "how a candidate pair is confirmed: sketch (Jaccard estimated from the low bits of 1,024 "
                        "minima, 128 bytes a document) or exact (the shingle sets, about 4 bytes a word)",
        "cluster_tasks": "tasks the cluster step's bands and key ranges are spread over",
    }

    def __init__(self, threshold: float = 0.8, ngram: int = 5, bands: int = 20, rows: int = 5, seed: int = 1,
                 verification: str = "sketch", cluster_tasks: int = 1, exclusion_writer=None):
        super().__init__(exclusion_writer, cluster_tasks)
        if not 0 < threshold <= 1:
            raise ConfigError(f"stages.minhash_dedup_v1.threshold: expected a value in (0, 1], got {threshold}")
        for name, v in (("ngram", ngram), ("bands", bands), ("rows", rows)):
            if v < 1:
                raise ConfigError(f"stages.minhash_dedup_v1.{name}: expected a positive integer, got {v}")
        if verification not in ("sketch", "exact"):
            raise ConfigError(f"stages.minhash_dedup_v1.verification: expected sketch or exact, got {verification!r}")
        self.threshold, self.ngram, self.bands, self.rows, self.seed = threshold, ngram, bands, rows, seed
        self.verification = verification
        self.payload_width = _SKETCH_HASHES * _SKETCH_BITS // 8 if verification == "sketch" else 0
        # h_k(x) = a_k * x + b_k (mod 2^32), a_k odd, on the top 32 bits of the (already mixed) shingle hashes: a
        # permutation each, and 32-bit products vectorise where 64-bit ones do not; the first bands x rows make the
        # band keys, the next _SKETCH_HASHES the verification sketch
        n = bands * rows + (_SKETCH_HASHES if verification == "sketch" else 0)
        rng = np.random.default_rng(seed)
        self._mul = (rng.integers(0, 2**31, size=n, dtype=np.uint64) * 2 + 1).astype(np.uint32)
        self._add = rng.integers(0, 2**32, size=n, dtype=np.uint64).astype(np.uint32)
        self._band_mix = rng.integers(1, 2**63, size=rows, dtype=np.uint64) | np.uint64(1)
        # a sketch's bits agree by chance with probability 1/2: the estimate corrects for it
        self._sketch_matches = int(np.ceil(_SKETCH_HASHES * (threshold + (1 - threshold) / 2**_SKETCH_BITS) - 1e-9))

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
        if self.verification == "exact":
            payload = sh.astype(np.uint32)  # 32 bits per shingle are enough to verify a pair
        if sh.size == 0:
            empty = np.zeros(self.payload_width, np.uint8) if self.verification == "sketch" else payload
            return np.full(self.bands, _EMPTY, dtype=np.uint64), empty
        mins = np.full(self._mul.size, np.iinfo(np.uint32).max, dtype=np.uint32)
        top = (sh >> np.uint64(32)).astype(np.uint32)
        for start in range(0, top.size, _CHUNK):
            h = np.multiply.outer(self._mul, top[start : start + _CHUNK])
            h += self._add[:, None]
            np.minimum(mins, h.min(axis=1), out=mins)
        n = self.bands * self.rows
        bands = mins[:n].astype(np.uint64).reshape(self.bands, self.rows)
        keys = _fmix64(
            (bands * self._band_mix[None, :]).sum(axis=1, dtype=np.uint64) + np.arange(self.bands, dtype=np.uint64)
        )
        keys[keys == _EMPTY] = 1
        if self.verification == "sketch":  # the low bit of each minimum, eight to a byte
            payload = np.packbits((mins[n:] & np.uint32(1)).astype(np.uint8))
        return keys, payload

    def verify(self, a: np.ndarray, b: np.ndarray) -> bool:
        if self.verification == "sketch":  # 1-bit MinHash (Li and Konig 2010): P(bits equal) = J + (1 - J) / 2
            return _SKETCH_HASHES - int(np.bitwise_count(a ^ b).sum()) >= self._sketch_matches
        if a.size == 0 or b.size == 0:
            return False
        inter = np.intersect1d(a, b, assume_unique=False).size
        return inter / (np.unique(a).size + np.unique(b).size - inter) >= self.threshold


class KeyWriter(PipelineStep):
    """Phase 1: pass documents through unchanged, appending each one's keys to this task's key files.

    Per task: one file per band of (40-bit key prefix << 24 | row) entries, sorted at the end of the task so that
    a cluster task reads one key range of a band by binary search (documents without a key are left out);
    ``order`` (hash of id, hash of text), ``weight`` ((row, weight) where a document stands for more than one),
    ``payload`` (what ``verify`` compares: fixed-width rows, or
    uint32 arrays indexed by ``offsets``) and ``ids`` (one JSON string per line)."""

    type = "dedup"

    def __init__(self, stage: _DedupBase):
        self.name = f"{stage.stage_name}:keys"  # before super().__init__, which names the stats
        super().__init__()
        self.stage = stage

    def __repr__(self) -> str:
        return self.name

    def run(self, data, rank: int = 0, world_size: int = 1):
        stage = self.stage
        names = [f"band{b:03d}" for b in range(stage.n_bands)] + ["order", "weight", "payload", "ids"]
        if not stage.payload_width:
            names.append("offsets")
        final = {name: RunLayout.barrier_keys(stage.workdir, rank, name) for name in names}
        final["ids"].parent.mkdir(parents=True, exist_ok=True)
        tmp = {name: path.with_name(path.name + ".tmp") for name, path in final.items()}
        # One file per band (column-major), so the cluster tasks read one band without touching the others.
        files = {name: open(path, "w" if name == "ids" else "wb") for name, path in tmp.items()}
        rows = 0
        try:
            offset = 0
            if "offsets" in files:
                np.array([0], dtype=np.uint64).tofile(files["offsets"])
            band_files = [files[f"band{b:03d}"] for b in range(stage.n_bands)]
            for doc in data:
                with self.track_time():
                    if rows == _MAX_TASK_ROWS:
                        raise RuntimeError(
                            f"{stage.stage_name}: task {rank} has more than {_MAX_TASK_ROWS:,} documents, the most "
                            "one task's dedup keys can number; run with more tasks (--tasks) so that each has fewer")
                    keys, payload = stage.doc_keys(doc)
                    for f, key in zip(band_files, keys.astype(np.uint64)):
                        f.write(key.tobytes())
                    np.array(
                        [xxhash.xxh64_intdigest(doc.id), xxhash.xxh64_intdigest(doc.text)], dtype=np.uint64
                    ).tofile(files["order"])
                    if (weight := _weight(doc)) > 1:  # (row, weight) of the documents that stand for others
                        np.array([rows, weight], dtype=np.uint64).tofile(files["weight"])
                    payload.tofile(files["payload"])
                    if "offsets" in files:
                        offset += payload.size
                        np.array([offset], dtype=np.uint64).tofile(files["offsets"])
                    files["ids"].write(json.dumps(doc.id) + "\n")
                    rows += 1
                    self.stat_update("keyed")
                yield doc
        finally:
            for f in files.values():
                f.close()
        with self.track_time():
            for b in range(stage.n_bands):  # into (key prefix | row) entries, sorted: a task's keys fit its memory
                path = tmp[f"band{b:03d}"]
                keys = np.fromfile(path, dtype=np.uint64)
                keep = np.flatnonzero(keys != _EMPTY)
                entries = (keys[keep] & ~np.uint64(_ROW_MASK)) | keep.astype(np.uint64)
                del keys, keep
                entries.sort()
                entries.tofile(path)
                del entries
        for name, path in tmp.items():  # complete files appear only when the task succeeded
            when_task_succeeds(path, final[name])


def _weight(doc: Document) -> int:
    """How many input documents ``doc`` stands for: the cluster size an earlier dedup stage (or run) gave it."""
    size = doc.metadata.get("dup_cluster_size")
    return size if isinstance(size, int) and not isinstance(size, bool) and size > 1 else 1


class _KeyFiles:
    """One key task's files (phase 1), read without mapping them: a cluster task's memory is what it holds."""

    def __init__(self, workdir: Path, rank: int, width: int):
        self.workdir, self.rank, self.width = workdir, rank, width
        order = self.path("order")
        self.rows = os.path.getsize(order) // 16 if order.exists() else 0

    def path(self, name: str) -> Path:
        return RunLayout.barrier_keys(self.workdir, self.rank, name)

    def band_range(self, band: int, lo: int, hi: int | None) -> np.ndarray:
        """The band's entries with lo <= entry < hi (hi None: to the end), by binary search in the sorted file."""
        path = self.path(f"band{band:03d}")
        if not self.rows or not os.path.getsize(path):  # a task without documents, or none with this band's key
            return np.empty(0, np.uint64)
        entries = np.memmap(path, dtype=np.uint64, mode="r")
        i = int(np.searchsorted(entries, np.uint64(lo)))
        j = entries.size if hi is None else int(np.searchsorted(entries, np.uint64(hi)))
        del entries  # only the pages the search touched were mapped; the slice is read plainly
        return np.fromfile(path, dtype=np.uint64, count=j - i, offset=8 * i)

    def rows_of(self, name: str, width: int, rows: np.ndarray) -> np.ndarray:
        """Rows ``rows`` (sorted, unique) of file ``name`` of ``width``-byte rows, as a (len, width) uint8 array."""
        out = np.empty((rows.size, width), np.uint8)
        if not rows.size:
            return out
        with open(self.path(name), "rb") as f:
            fd = f.fileno()
            cuts = np.flatnonzero(np.diff(rows) > _READ_GAP) + 1  # nearby rows are read in one request
            for seg_lo, seg_hi in zip([0, *cuts.tolist()], [*cuts.tolist(), rows.size]):
                a, b = int(rows[seg_lo]), int(rows[seg_hi - 1]) + 1
                block = np.frombuffer(os.pread(fd, (b - a) * width, a * width), np.uint8).reshape(b - a, width)
                out[seg_lo:seg_hi] = block[rows[seg_lo:seg_hi] - a]
        return out

    def payloads(self, rows: np.ndarray) -> list[np.ndarray]:
        """What ``verify`` compares, for rows ``rows`` (sorted, unique)."""
        if self.width:
            return list(self.rows_of("payload", self.width, rows))
        ends = np.unique(np.concatenate([rows, rows + 1]))  # row i's shingles lie between offsets i and i + 1
        bounds = self.rows_of("offsets", 8, ends).view(np.uint64).ravel()
        where = np.searchsorted(ends, rows)
        out = []
        with open(self.path("payload"), "rb") as f:
            for k in where.tolist():
                a, b = int(bounds[k]), int(bounds[k + 1])
                out.append(np.frombuffer(os.pread(f.fileno(), 4 * (b - a), 4 * a), np.uint32))
        return out


class _Rows:
    """Every key task's files as one numbering: global row = the task's start + its own row."""

    def __init__(self, stage: _DedupBase, tasks: int):
        workdir = Path(stage.workdir)
        self.files = [_KeyFiles(workdir, r, stage.payload_width) for r in range(tasks)]
        self.starts = np.concatenate([[0], np.cumsum([f.rows for f in self.files])]).astype(np.int64)
        self.n = int(self.starts[-1])

    def by_task(self, rows: np.ndarray):
        """(task files, that task's own rows) for sorted global ``rows``, task by task."""
        cuts = np.searchsorted(rows, self.starts)
        for t, f in enumerate(self.files):
            if cuts[t + 1] > cuts[t]:
                yield f, slice(cuts[t], cuts[t + 1]), rows[cuts[t]:cuts[t + 1]] - self.starts[t]

    def order_keys(self, rows: np.ndarray) -> np.ndarray:
        """(len, 2) uint64 canonical-order keys (hash of id, hash of text) of sorted global ``rows``."""
        out = np.empty((rows.size, 2), np.uint64)
        for f, sl, own in self.by_task(rows):
            out[sl] = f.rows_of("order", 16, own).view(np.uint64)
        return out

    def weights(self, rows: np.ndarray) -> np.ndarray:
        """How many input documents each of sorted global ``rows`` stands for (1 unless its task's file says)."""
        out = np.ones(rows.size, np.int64)
        for f, sl, own in self.by_task(rows):
            listed = np.fromfile(f.path("weight"), dtype=np.uint64).reshape(-1, 2).astype(np.int64)
            at = np.searchsorted(listed[:, 0], own)
            hit = at < len(listed)
            hit[hit] = listed[at[hit], 0] == own[hit]
            out[sl][hit] = listed[at[hit], 1]
        return out

    def payloads(self, rows: np.ndarray) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for f, _, own in self.by_task(rows):
            out += f.payloads(own)
        return out


def _key_ranges(n: int, bands: int, cluster_tasks: int) -> int:
    """Key ranges each band is cut into: enough for every cluster task to have a unit, and for no unit to hold more
    than ``_UNIT_ENTRIES`` entries (one per document). A function of the document count and parameters only."""
    return max(1, -(-cluster_tasks // bands), -(-n // _UNIT_ENTRIES))


def cluster_part(stage: _DedupBase, tasks: int, rank: int, world_size: int) -> dict:
    """Phase 2a, cluster task ``rank`` of ``world_size``: find and verify the candidate pairs of its units.

    The units are (band, key range) pairs, dealt round-robin to the cluster tasks. A unit reads its entries from
    every key task's sorted band file by binary search, so a task holds one unit's keys at a time (bounded by
    ``_UNIT_ENTRIES``), plus the order keys and payloads of the documents that share a key with another. Within a
    bucket (documents with equal band key) the members are visited in the canonical order (hash of id, hash of
    text): each is verified against earlier members of every *other* component of the bucket (up to
    ``_TRIES_PER_COMPONENT`` members each, ``_MAX_TRIES`` in all), and a verified pair merges the two. A bucket's
    pairs depend on its members only, so the pairs, and the clusters :func:`cluster` joins from them, are the same
    for any number of cluster tasks, key tasks or input order. Writes the pairs (global rows) and the counts."""
    rows = _Rows(stage, tasks)
    if rows.n > _MAX_ROWS:
        raise RuntimeError(f"{stage.stage_name}: {rows.n:,} documents; one dedup stage numbers at most {_MAX_ROWS:,}: "
                           "deduplicate the input in parts (one run each) and the parts' kept documents together")
    ranges = _key_ranges(rows.n, stage.n_bands, world_size)
    units = [(b, r) for b in range(stage.n_bands) for r in range(ranges)][rank::world_size]
    found: list[tuple[int, int]] = []  # this unit's verified pairs
    kept: list[np.ndarray] = []  # earlier units' pairs, as unique uint64 keys (a Python tuple costs ten times more)
    counts = {"units": len(units), "entries": 0, "largest_unit": 0, "candidate_pairs": 0, "linked_pairs": 0,
              "capped_documents": 0}
    for band, r in units:
        lo = (r << _KEY_BITS) // ranges << _ROW_BITS
        hi = None if r == ranges - 1 else ((r + 1) << _KEY_BITS) // ranges << _ROW_BITS
        parts = [(f.band_range(band, lo, hi), rows.starts[t]) for t, f in enumerate(rows.files)]
        key = np.concatenate([p >> np.uint64(_ROW_BITS) for p, _ in parts]) if parts else np.empty(0, np.uint64)
        grow = (np.concatenate([(p & np.uint64(_ROW_MASK)).astype(np.int64) + s for p, s in parts])
                if parts else np.empty(0, np.int64))
        del parts
        counts["entries"] += key.size
        counts["largest_unit"] = max(counts["largest_unit"], int(key.size))
        order = np.argsort(key, kind="stable")
        key, grow = key[order], grow[order]
        del order
        dup = key[1:] == key[:-1]
        if not dup.any():
            continue
        edges = np.flatnonzero(np.diff(np.concatenate([[False], dup, [False]]).astype(np.int8)))
        shared = np.zeros(key.size, bool)
        shared[1:] |= dup
        shared[:-1] |= dup
        need = np.unique(grow[shared])
        del key, dup, shared
        okeys = rows.order_keys(need)
        payload = rows.payloads(need)
        for lo_, hi_ in zip(edges[0::2].tolist(), edges[1::2].tolist()):
            members = grow[lo_: hi_ + 1]
            ix = np.searchsorted(need, members)
            canon = np.lexsort((members, okeys[ix, 1], okeys[ix, 0]))
            _link_bucket(stage, members[canon].tolist(), [payload[i] for i in ix[canon].tolist()], found, counts)
        del grow, need, okeys, payload
        kept.append(np.unique(_pair_keys(np.array(found, dtype=np.uint64).reshape(-1, 2))))
        found.clear()
    pairs = np.unique(np.concatenate(kept)) if kept else np.empty(0, np.uint64)  # a pair once per task
    atomic_write(RunLayout.barrier_pairs(stage.workdir, rank),
                 lambda tmp: _savez(tmp, pairs=pairs, **{k: np.int64(v) for k, v in counts.items()}))
    return counts


def _pair_keys(pairs: np.ndarray) -> np.ndarray:
    """A verified pair of global rows as one uint64, (smaller << 32) | larger."""
    if not pairs.size:
        return np.empty(0, np.uint64)
    return (pairs.min(axis=1) << np.uint64(32)) | pairs.max(axis=1)


def _link_bucket(stage: _DedupBase, members: list[int], payloads: list, found: list, counts: dict) -> None:
    """Verify one bucket's members (global rows, in canonical order) and append the verified pairs to ``found``."""
    groups: dict[int, list[int]] = {}  # component (its first member's position) -> positions of its members
    for b in range(len(members)):
        rb, tries = b, 0
        for r in list(groups):
            if r == rb or r not in groups:
                continue
            for a in groups[r][:_TRIES_PER_COMPONENT]:
                tries += 1
                counts["candidate_pairs"] += 1
                if stage.verify(payloads[a], payloads[b]):
                    counts["linked_pairs"] += 1
                    found.append((members[a], members[b]))
                    merged = groups.pop(r, []) + groups.pop(rb, [])
                    rb = min(r, rb)
                    groups[rb] = merged
                    break
            if tries >= _MAX_TRIES:
                counts["capped_documents"] += 1
                break
        groups.setdefault(rb, []).append(b)


def cluster(stage: _DedupBase, tasks: int) -> dict:
    """Phase 2b, one task: join every cluster task's pairs into clusters and write per-task assignments.

    Clusters are the connected components of the verified pairs (every member has a verified near-duplicate in
    its cluster); each keeps its first member in the canonical order (hash of id, hash of text). Memory and the
    assignments written grow with the documents that have a duplicate, not with the run."""
    workdir = Path(stage.workdir)
    rows = _Rows(stage, tasks)
    keys, pending = np.empty(0, np.uint64), []
    counts = {"candidate_pairs": 0, "capped_documents": 0, "units": 0, "largest_unit": 0}
    for r in range(stage.cluster_tasks):
        path = RunLayout.barrier_pairs(workdir, r)
        if not path.is_file():
            raise RuntimeError(f"{stage.stage_name}: cluster task {r} left no pairs ({path}); the cluster job did "
                               f"not finish: run again to resume it")
        with np.load(path) as part:
            pending.append(part["pairs"])
            for k in counts:
                counts[k] = max(counts[k], int(part[k])) if k == "largest_unit" else counts[k] + int(part[k])
        # a pair found in several bands (tasks) counts once; merged as they come, so memory follows the pairs
        if sum(p.size for p in pending) >= max(keys.size, 1 << 20) or r == stage.cluster_tasks - 1:
            keys = np.unique(np.concatenate([keys, *pending]))
            pending = []
    pairs = np.stack([keys >> np.uint64(32), keys & np.uint64(0xFFFFFFFF)], axis=1).astype(np.int64)
    del keys
    linked = np.unique(pairs)
    if linked.size:
        from scipy.sparse import coo_matrix  # 0.26 s to import: only where there are duplicates
        from scipy.sparse.csgraph import connected_components

        ix = np.searchsorted(linked, pairs)
        graph = coo_matrix((np.ones(len(ix), np.int8), (ix[:, 0], ix[:, 1])), shape=(linked.size, linked.size))
        n_clusters, label = connected_components(graph, directed=False)
        okeys = rows.order_keys(linked)
        canon = np.lexsort((linked, okeys[:, 1], okeys[:, 0]))
        first = np.unique(label[canon], return_index=True)[1]  # per cluster, its first member in canonical order
        rep_of = linked[canon[first]]
        size_of = np.bincount(label, weights=rows.weights(linked), minlength=n_clusters).astype(np.int64)
        del okeys, canon, first
    else:
        n_clusters, label = 0, np.empty(0, np.int64)
        rep_of, size_of = np.empty(0, np.int64), np.empty(0, np.int64)
    ids = _read_ids(rows, np.unique(rep_of))
    for t in range(len(rows.files)):  # per task, its documents that have a duplicate (the others keep theirs)
        lo, hi = int(rows.starts[t]), int(rows.starts[t + 1])
        a, b = np.searchsorted(linked, [lo, hi])
        own, rep, size = linked[a:b] - lo, rep_of[label[a:b]], size_of[label[a:b]]
        atomic_write(RunLayout.barrier_assigned_ids(workdir, t),
                     json.dumps({str(g): ids[g] for g in np.unique(rep).tolist()}))
        atomic_write(RunLayout.barrier_assignment(workdir, t),
                     lambda tmp: _savez(tmp, start=np.int64(lo), rows=np.int64(hi - lo), own=own, rep=rep, size=size))
    summary = {"documents": rows.n, "candidate_pairs": counts["candidate_pairs"], "linked_pairs": int(len(pairs)),
               "duplicates": int(linked.size - n_clusters), "clusters": int(n_clusters),
               "capped_documents": counts["capped_documents"], "cluster_tasks": stage.cluster_tasks,
               "units": counts["units"], "largest_unit": counts["largest_unit"]}
    atomic_write_json(RunLayout.barrier_decision(workdir, "cluster"), summary)
    logger.info(f"{stage.stage_name}: {summary}")
    return summary


def _read_ids(rows: _Rows, needed: np.ndarray) -> dict[int, str]:
    """Document ids of sorted global rows ``needed``, read task by task."""
    out: dict[int, str] = {}
    for f, _, own in rows.by_task(needed):
        want, start = set(own.tolist()), int(rows.starts[f.rank])
        with open(f.path("ids"), encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if i in want:
                    out[start + i] = json.loads(line)
    return out


def _savez(path: Path, **arrays) -> None:
    with path.open("wb") as f:  # a file object: np.savez would add ".npz" to a name that lacks it
        np.savez(f, **arrays)


class _Assignments:
    """One task's cluster assignments: per row (dup_of id or None, cluster id or None, cluster size or None: a
    document without a duplicate keeps the size it came with)."""

    def __init__(self, workdir: Path, rank: int):
        path = RunLayout.barrier_assignment(workdir, rank)
        self.start, self.rows, self.linked, self.ids = 0, 0, {}, {}
        if path.exists():  # else this task had no documents
            with np.load(path) as data:
                self.start, self.rows = int(data["start"]), int(data["rows"])
                self.linked = dict(zip(data["own"].tolist(), zip(data["rep"].tolist(), data["size"].tolist())))
            self.ids = json.loads(RunLayout.barrier_assigned_ids(workdir, rank).read_text())

    def __len__(self) -> int:
        return self.rows

    def __iter__(self):
        for i in range(self.rows):
            if (hit := self.linked.get(i)) is None:
                yield None, None, None
            else:
                rep, size = hit
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
