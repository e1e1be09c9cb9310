"""Read documents from parquet or JSON lines (Winnow outputs or anyone's): ``id`` and ``text`` columns.

Every other column of Winnow's contract (``url``, ``lang``, ``dup_cluster``, ...) goes back into the
document's metadata, and a ``metadata`` column (JSON text or a struct) is merged in, so a run over
existing outputs keeps what earlier runs recorded. JSON lines may be plain, ``.gz`` or ``.zst``.

Counters: ``input`` per row read; ``skipped_no_text`` (text missing or not a string), ``skipped_bad_json``
(a line that does not parse, or is not an object: logged once with file and line number). A row with no
``id`` gets ``<file>#<row>`` and is counted under ``missing_id``.
"""

from __future__ import annotations

import json

import fsspec
from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.logging import logger

_BATCH = 1024


def format_of(path: str) -> str:
    name = path.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if any(name.endswith(s) for s in (".jsonl", ".jsonl.gz", ".jsonl.zst", ".json", ".json.gz", ".json.zst", ".ndjson")):
        return "jsonl"
    if ".warc" in name or name.endswith((".arc.gz", ".wet.gz")):
        return "warc"
    return "unknown"


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


class DocumentReader(PipelineStep):
    """Documents from parquet / JSON-lines files; task ``rank`` reads every world_size-th file.

    With ``aligned=True`` task ``rank`` reads exactly ``files[rank]`` (the work files of an earlier
    phase of the same run, written one per task), and a missing file means that task kept nothing.
    """

    type = "reader"

    def __init__(self, files: list[str], limit: int = -1, source: str | None = None, aligned: bool = False):
        self.name = "read_work" if aligned else "read_documents"  # before super().__init__, which names the stats
        super().__init__()
        self.files = list(files)
        self.limit = limit
        self.source = source
        self.aligned = aligned
        self._warned: set[str] = set()

    def __repr__(self) -> str:
        return self.name

    def _warn(self, why: str, msg: str) -> None:
        if why not in self._warned:
            self._warned.add(why)
            logger.warning(f"{msg} (further '{why}' cases are only counted)")

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        if data:
            yield from data
        if self.aligned:
            fs, _, (p,) = fsspec.get_fs_token_paths(self.files[rank])
            shard = [self.files[rank]] if fs.exists(p) else []
        else:
            shard = self.files[rank::world_size]
        n = 0
        for path in shard:
            self.stat_update("input_files")
            for doc in self.read_file(path):
                n += 1
                if self.source and "source" not in doc.metadata:
                    doc.metadata["source"] = self.source
                self.update_doc_stats(doc)
                yield doc
                if n == self.limit:
                    return

    def read_file(self, path: str):
        fmt = format_of(path)
        rows = self._parquet_rows(path) if fmt == "parquet" else self._jsonl_rows(path)
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

    def _parquet_rows(self, path: str):
        import pyarrow.parquet as pq

        with fsspec.open(path, "rb") as f:
            pf = pq.ParquetFile(f)
            index = 0
            for batch in pf.iter_batches(batch_size=_BATCH):
                for row in batch.to_pylist():
                    yield index, row
                    index += 1

    def _jsonl_rows(self, path: str):
        with fsspec.open(path, "rt", compression="infer", encoding="utf-8", errors="replace") as f:
            for index, line in enumerate(f):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    row = e
                if not isinstance(row, dict):
                    self.stat_update("skipped_bad_json")
                    self._warn("bad_json", f"{path} line {index + 1}: not a JSON object ({row}); line skipped")
                    yield index, None
                    continue
                yield index, row
