"""Read documents from parquet or JSON lines (Winnow outputs or anyone's): ``id`` and ``text`` columns.

Every other column of Winnow's contract (``url``, ``lang``, ``dup_cluster``, ...) goes back into the
document's metadata, and a ``metadata`` column (JSON text or a struct) is merged in, so a run over
existing outputs keeps what earlier runs recorded. JSON lines may be plain, ``.gz`` or ``.zst``.

Counters (every one lands in ``stats.json``; input = documents + skipped):

- ``input`` per row read, plus one per file that could not be read to its end;
- ``skipped_no_text`` (text missing or not a string), ``skipped_bad_json`` (a line that does not parse,
  or is not an object), each logged once with file and line number;
- ``skipped_bad_file`` (nothing readable: not parquet, a bad footer, a corrupt compressed stream) and
  ``skipped_truncated_file`` (the file breaks off after some rows; those rows are kept), each logged
  with its path and the last row read; ``skipped_empty_file`` (zero bytes), logged with its path;
- ``decoded_replaced``: a JSON line that is not valid UTF-8, read with U+FFFD for the bad bytes (logged
  once with file and line);
- ``missing_id``: a row with no ``id`` gets ``<file>#<line>`` (``<file>#@<byte offset>`` when the file
  is read in byte ranges).
"""

from __future__ import annotations

import gc
import json
import time
import zlib

import fsspec
import zstandard
from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.logging import logger

from pipeline.formats import InputFormat, format_of, register_format, splittable
from pipeline.progress import TaskProgress

_BATCH = 1024


def split_units(files: list[str], split_bytes: int) -> list[tuple[str, int, int | None]]:
    """(path, start, end) work units: files larger than ``split_bytes`` are cut into byte ranges where the
    format allows it (WARC: per-record gzip members or records; uncompressed JSON lines: lines). A reader
    aligns each range to the first record (line) starting in it, so every record is read exactly once."""
    units = []
    for path in files:
        fs, _, (p,) = fsspec.get_fs_token_paths(path)
        size = fs.size(p) or 0
        if split_bytes <= 0 or size <= split_bytes or not splittable(path):
            units.append((path, 0, None))
            continue
        cuts = list(range(0, size, split_bytes))
        units += [(path, a, b if b < size else None) for a, b in zip(cuts, cuts[1:] + [size])]
    return units


def input_columns(files: list[str]) -> tuple:
    """The parquet inputs' own columns beyond Winnow's core ones, with their types, in first-seen order:
    a run writes them back as columns (lossless chaining). Only footers are read. A column whose type
    differs between files is an error naming both files (JSON lines have no schema: their extra fields
    travel in ``metadata``)."""
    import pyarrow.parquet as pq

    from pipeline.errors import ConfigError
    from pipeline.outputs import CORE_NAMES

    seen: dict[str, tuple] = {}
    for path in files:
        if format_of(path) != "parquet":
            continue
        try:
            with fsspec.open(path, "rb") as f:
                schema = pq.read_schema(f)
        except (OSError, ValueError):  # truncated or not parquet: the reader skips it, counts it and says so
            continue
        for field in schema:
            if field.name in CORE_NAMES or field.name == "filter_reason":
                continue
            if field.name in seen and seen[field.name][0] != field.type:
                raise ConfigError(f"input.paths: column {field.name!r} is {seen[field.name][0]} "
                                  f"in {seen[field.name][1]} "
                                  f"but {field.type} in {path}; make the types agree (or read the files separately)")
            seen.setdefault(field.name, (field.type, path))
    return tuple((name, t) for name, (t, _) in seen.items())


def input_fields(files: list[str]) -> set[str]:
    """Field names the input documents carry, cheaply: parquet schemas, and the keys (and ``metadata``
    keys) of the first record of each JSON-lines file. Unreadable files add nothing (the reader reports them)."""
    import pyarrow.parquet as pq

    names: set[str] = set()
    for path in files:
        fmt = format_of(path)
        try:
            if fmt == "parquet":
                with fsspec.open(path, "rb") as f:
                    names.update(pq.read_schema(f).names)
            elif fmt == "jsonl":
                with fsspec.open(path, "rb", compression="infer") as f:
                    first = next((line for line in f if line.strip()), b"")
                rec = json.loads(first.decode("utf-8", errors="replace")) if first else {}
                if isinstance(rec, dict):
                    names.update(rec)
                    md = rec.get("metadata")
                    md = json.loads(md) if isinstance(md, str) else md
                    if isinstance(md, dict):
                        names.update(md)
        except _BAD_FILE_ERRORS:
            continue
    return names


def describe_formats(files: list[str], limit: int = 3) -> str:
    """"jsonl: a.jsonl, b.jsonl; parquet: c.parquet" (at most ``limit`` names a format), for errors."""
    by_fmt: dict[str, list[str]] = {}
    for f in files:
        by_fmt.setdefault(format_of(f), []).append(f)
    return "; ".join(f"{fmt}: {', '.join(fs[:limit])}" + (f" and {len(fs) - limit} more" if len(fs) > limit else "")
                     for fmt, fs in sorted(by_fmt.items()))


def row_to_document(row: dict, path: str, index: int) -> tuple[Document | None, str | None]:
    """(document, None), or (None, why) for a row that cannot be one."""
    text = row.pop("text", None)
    if not isinstance(text, str):
        return None, "no_text"
    doc_id = row.pop("id", None)
    missing_id = doc_id is None
    metadata = row.pop("metadata", None)
    md: dict = {}
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except json.JSONDecodeError:
            metadata = {"metadata": metadata}
    if isinstance(metadata, dict):
        md.update(metadata)
    md.update({k: v for k, v in row.items() if v is not None})
    return Document(text=text, id=f"{path}#{index}" if missing_id else str(doc_id), metadata=md), (
        "missing_id" if missing_id else None
    )


# CPython's cyclic collector by default runs once 700 more tracked objects are alive than before, and a full
# collection every hundred of those, each scanning every object the task's imports and models hold. A task
# streams documents through short-lived lists, dicts and blocks that reference counting frees anyway, so the
# collector's scans are wasted work there; higher thresholds make them rare (docs/measurements.md has the cost).
# The runner sets ``UnitReader.gc_thresholds`` for its tasks; a threshold the process already set higher is kept.
TASK_GC_THRESHOLDS = (20_000, 20, 20)


def raise_gc_thresholds(thresholds: tuple[int, int, int] = TASK_GC_THRESHOLDS) -> None:
    """Raise the collector's thresholds to at least ``thresholds`` for this process (none is lowered)."""
    gc.set_threshold(*(max(have, want) for have, want in zip(gc.get_threshold(), thresholds)))


class UnitReader(PipelineStep):
    """Base of Winnow's readers: deals (path, start, end) units to tasks, applies ``limit``, logs progress.

    Subclasses implement ``read_file(path, start, end)`` and may keep ``self.position`` (the byte offset
    reached in the current file), or set ``self._tell`` to a function returning it, for a finer progress
    estimate. Every ``progress_seconds`` a task logs one plain line: documents, documents per second, share
    of its input bytes, ETA. With ``progress_dir`` set (the runner sets it, ``RunLayout.progress``), task
    ``rank`` also keeps ``<progress_dir>/<rank:05d>.json`` current for the run's display (``pipeline.progress``).
    """

    type = "reader"
    progress_seconds = 30.0
    progress_dir: str | None = None  # None: no progress files (a reader used outside a run)
    progress_every = 1.0  # seconds between two writes of the progress file
    gc_thresholds: tuple[int, int, int] | None = None  # set by the runner: raise_gc_thresholds for the task

    def __init__(self, units: list, limit: int = -1, source: str | None = None):
        super().__init__()
        self.units = [u if isinstance(u, tuple) else (u, 0, None) for u in units]
        self.limit = limit
        self.source = source
        self._warned: set[str] = set()
        self.position = 0
        self._tell = None  # optional: a function giving the byte offset reached in the current file
        self._unit_size = 0  # input bytes of the unit being read

    def __repr__(self) -> str:
        return self.name

    def _warn(self, why: str, msg: str, level: str = "WARNING") -> None:
        """Log ``msg`` the first time ``why`` happens in this task (every case is counted in the stats)."""
        if why not in self._warned:
            self._warned.add(why)
            logger.log(level, f"{msg} (further '{why}' cases are only counted)")

    def shard(self, rank: int, world_size: int) -> list[tuple]:
        return self.units[rank::world_size]

    def shard_bytes(self, rank: int, world_size: int) -> int:
        """Input bytes task ``rank`` reads (sizes from ``stat``; no file is opened)."""
        return sum(unit_bytes(u) for u in self.shard(rank, world_size))

    def _unit_read(self, start: int, size: int) -> int:
        """Bytes of the current unit read so far."""
        pos = self._tell() if self._tell is not None else self.position
        return min(max(pos - start, 0), size)

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        if data:
            yield from data
        if self.gc_thresholds:
            raise_gc_thresholds(self.gc_thresholds)
        shard = self.shard(rank, world_size)
        sizes = [unit_bytes(u) for u in shard]
        total_bytes, done = sum(sizes), 0
        total = total_bytes or 1
        t0 = last_log = time.monotonic()
        n = 0
        progress = TaskProgress(self.progress_dir, rank, self.progress_every) if self.progress_dir else None
        if progress is not None:
            progress.write(0, 0, total_bytes, now=t0)
        finished = False
        try:
            for (path, start, end), size in zip(shard, sizes):
                self.stat_update("input_files")
                self.position, self._tell, self._unit_size = start, None, size
                if start == 0 and end is None and size == 0 and _is_empty(path):
                    self.stat_update("input")
                    self.stat_update("skipped_empty_file")
                    logger.warning(f"{path}: empty file (0 bytes); skipped")
                    continue
                for doc in self.read_file(path, start, end):
                    n += 1
                    self.update_doc_stats(doc)
                    yield doc
                    if n == self.limit:  # stop before reading another record, so every record read is counted
                        done += self._unit_read(start, size)
                        finished = True
                        return
                    now = time.monotonic()
                    if progress is not None and now >= progress.due:
                        progress.write(n, done + self._unit_read(start, size), total_bytes, now=now)
                    if now - last_log >= self.progress_seconds:
                        last_log = now
                        frac = min((done + self._unit_read(start, size)) / total, 1.0)
                        rate = n / (now - t0)
                        eta = (now - t0) * (1 - frac) / frac if frac > 0 else float("nan")
                        logger.info(f"task {rank}: {n:,} documents, {rate:,.0f}/s, {frac:.0%} of "
                                    f"{total / 2**20:,.1f} MB read, ETA {_hms(eta)}")
                done += size
            finished = True
        finally:
            self._tell = None  # the file it reads from is closed
            if progress is not None:  # also when the task fails: the display then shows where it stopped
                progress.write(n, done, total_bytes, done=finished)

    def read_file(self, path: str, start: int = 0, end: int | None = None):
        raise NotImplementedError


def _is_empty(path: str) -> bool:
    try:
        fs, _, (p,) = fsspec.get_fs_token_paths(path)
        return (fs.size(p) or 0) == 0
    except (OSError, ValueError):
        return False


# what reading a broken file raises: arrow (ArrowInvalid is a ValueError, ArrowIOError an OSError), gzip
# (BadGzipFile is an OSError; EOFError when cut short), zlib, zstandard
_BAD_FILE_ERRORS = (OSError, EOFError, ValueError, zlib.error, zstandard.ZstdError)


def unit_bytes(unit: tuple) -> int:
    """Bytes of a (path, start, end) input unit (local or any fsspec URL); 0 if its size cannot be read."""
    path, start, end = unit
    if end is not None:
        return end - start
    try:
        fs, _, (p,) = fsspec.get_fs_token_paths(path)
        return max((fs.size(p) or 0) - start, 0)
    except (OSError, ValueError):
        return 0


def _hms(seconds: float) -> str:
    if seconds != seconds:  # NaN
        return "?"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class DocumentReader(UnitReader):
    """Documents from parquet / JSON-lines files; task ``rank`` reads every world_size-th unit.

    With ``aligned=True`` task ``rank`` reads exactly ``units[rank]`` (the work files of an earlier
    phase of the same run, written one per task), and a missing file means that task kept nothing.
    """

    def __init__(self, units: list, limit: int = -1, source: str | None = None, aligned: bool = False):
        self.name = "read_work" if aligned else "read_documents"  # before super().__init__, which names the stats
        super().__init__(units, limit, source)
        self.aligned = aligned

    def shard(self, rank: int, world_size: int) -> list[tuple]:
        if not self.aligned:
            return super().shard(rank, world_size)
        unit = self.units[rank]
        fs, _, (p,) = fsspec.get_fs_token_paths(unit[0])
        return [unit] if fs.exists(p) else []

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        for doc in super().run(data, rank, world_size):
            if self.source and "source" not in doc.metadata:
                doc.metadata["source"] = self.source
            yield doc

    def read_file(self, path: str, start: int = 0, end: int | None = None):
        fmt = format_of(path)
        rows = self._parquet_rows(path) if fmt == "parquet" else self._jsonl_rows(path, start, end)
        index = None
        try:
            for index, row in rows:
                self.stat_update("input")
                if row is None:
                    continue  # counted by the row source
                doc, why = row_to_document(row, path, index)
                if doc is None:
                    self.stat_update(f"skipped_{why}")
                    self._warn(why, f"{path} row {index}: field 'text' is missing or not a string; row skipped")
                    continue
                if why:
                    self.stat_update(why)
                yield doc
        except _BAD_FILE_ERRORS as e:  # a broken file is skipped and counted; the run goes on
            self.stat_update("input")
            where = "row" if fmt == "parquet" else "line"
            if index is None:
                self.stat_update("skipped_bad_file")
                logger.warning(f"{path}: cannot read it as {fmt} ({type(e).__name__}: {e}); file skipped")
            else:
                self.stat_update("skipped_truncated_file")
                logger.warning(f"{path}: unreadable after {where} {index} ({type(e).__name__}: {e}); the rows "
                               f"before it are kept, the rest of the file is skipped")

    def _parquet_rows(self, path: str):
        import pyarrow.parquet as pq

        with fsspec.open(path, "rb") as f:
            # no pre-buffering: Arrow's read cache keeps what it pre-buffered until the file closes, so a task's
            # memory grew with the rows it had read (about 600 bytes a row of 1.8 KB text; docs/measurements.md)
            pf = pq.ParquetFile(f, pre_buffer=False)
            rows = pf.metadata.num_rows or 1
            index = 0
            for batch in pf.iter_batches(batch_size=_BATCH):
                self.position = self._unit_size * index // rows  # progress: the share of rows read, in bytes
                for row in batch.to_pylist():
                    yield index, row
                    index += 1

    def _jsonl_rows(self, path: str, start: int = 0, end: int | None = None):
        if start or end is not None:
            yield from self._jsonl_range(path, start, end)
            return
        opened = fsspec.open(path, "rb", compression="infer")
        with opened as f:
            self._tell = opened.fobjects[0].tell  # progress: the offset in the file as stored (compressed or not)
            yield from self._parse_lines(path, enumerate(f, 1))  # 1-based line numbers

    def _jsonl_range(self, path: str, start: int, end: int | None):
        """Lines whose first byte is in [start, end) of an uncompressed JSON-lines file; rows are numbered
        by their byte offset (``<file>#@<offset>`` ids for rows without one)."""
        with fsspec.open(path, "rb") as f:
            pos = start
            if start > 0:
                f.seek(start - 1)
                pos = start - 1 + len(f.readline())  # finish the line that started before this range
            while end is None or pos < end:
                raw = f.readline()
                if not raw:
                    break
                self.position = pos
                yield from self._parse_lines(path, [(f"@{pos}", raw)])
                pos += len(raw)

    def _parse_lines(self, path: str, lines):
        """(index, row dict or None) for (index, bytes) lines; blank lines are not rows."""
        for index, raw in lines:
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                line = raw.decode("utf-8", errors="replace")
                self.stat_update("decoded_replaced")
                self._warn("decoded_replaced", f"{path} line {index}: not valid UTF-8 ({e.reason} at byte {e.start}); "
                           "read with U+FFFD in place of the bad bytes")
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                row = e
            if not isinstance(row, dict):
                self.stat_update("skipped_bad_json")
                self._warn("bad_json", f"{path} line {index}: not a JSON object ({row}); line skipped")
                yield index, None
                continue
            yield index, row


_JSONL = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".json", ".json.gz", ".json.zst", ".ndjson")
register_format(InputFormat("parquet", (".parquet",), "pipeline.readers:DocumentReader"))
register_format(InputFormat("jsonl", _JSONL, "pipeline.readers:DocumentReader",
                            splittable=(".jsonl", ".ndjson", ".json")))  # compressed ones are read whole
