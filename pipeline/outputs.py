"""Parquet writers for the output contract: OUT/documents, OUT/removed, OUT/shards.

Every file has the same columns (``DOC_COLUMNS``, plus ``removed_by`` and
``reason`` in removed/), with nulls where a column does not apply, so one DuckDB
query spans runs and sources, followed by the run's *extra* columns: the
input's own columns (a parquet input's schema, type and values kept, so
commands chain without loss) and the ``quality_*`` scores its stages add
(float). Metadata a stage adds that is not a column is kept as JSON in
``metadata``. ``n_tokens`` is counted with the run's tokenizer
(``pipeline.tokens``) when the row is written, so it matches the text written.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pyarrow as pa

# Arrow's default pool (mimalloc/jemalloc) keeps freed memory mapped; with the system allocator a
# worker's RSS follows the documents it holds (measured: peak 203 -> 166 MB in tests/bench/bench_dedup.py).
pa.set_memory_pool(pa.system_memory_pool())
from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.jsonl import JsonlWriter
from datatrove.pipeline.writers.parquet import ParquetWriter

from pipeline.tokens import DEFAULT_RUN_TOKENIZER, count_tokens

DOC_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("id", pa.string()),
    ("text", pa.string()),
    ("source", pa.string()),
    ("url", pa.string()),
    ("domain", pa.string()),
    ("lang", pa.string()),
    ("lang_score", pa.float64()),
    ("n_chars", pa.int64()),
    ("n_words", pa.int64()),
    ("n_tokens", pa.int64()),
    ("dup_cluster", pa.string()),
    ("dup_cluster_size", pa.int64()),
    ("dup_of", pa.string()),
    ("decontam_benchmark", pa.string()),
    ("decontam_item", pa.string()),
    ("decontam_ngrams", pa.int64()),
    ("pdf_path", pa.string()),
    ("page_count", pa.int64()),
    ("ocr_pages", pa.int64()),
    ("license", pa.string()),
    ("license_source", pa.string()),
    ("pii_email", pa.int64()),
    ("pii_phone", pa.int64()),
    ("pii_ip", pa.int64()),
    ("pii_card", pa.int64()),
    ("optout_rule", pa.string()),
    ("badwords_count", pa.int64()),
    ("crawl_date", pa.string()),
    ("metadata", pa.string()),
]
REMOVED_COLUMNS = DOC_COLUMNS + [("removed_by", pa.string()), ("reason", pa.string())]
CORE_NAMES = frozenset(name for name, _ in REMOVED_COLUMNS)
_NOT_METADATA = CORE_NAMES | {"filter_reason"}

Extra = tuple[tuple[str, pa.DataType], ...]  # (name, type) of the columns after the core ones


def domain_of(url: str | None) -> str | None:
    """Host name of ``url``, lower-cased, without ``www.`` and port; None if there is none."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def document_row(doc: Document, extra: tuple[str, ...] = (), tokenizer: str = DEFAULT_RUN_TOKENIZER) -> dict:
    """One output row for ``doc`` (the shared mapping of writers and tests); ``extra`` names the extra columns."""
    md = doc.metadata
    text = doc.text or ""
    row = {
        "id": doc.id,
        "text": text,
        "source": md.get("source"),
        "url": md.get("url"),
        "domain": md.get("domain") or domain_of(md.get("url")),
        "lang": md.get("lang"),
        "lang_score": md.get("lang_score"),
        "n_chars": len(text),
        "n_words": len(text.split()),
        "n_tokens": count_tokens(text, tokenizer),
    }
    for name in _MD_COLUMNS:
        row[name] = md.get(name)
    for col in extra:
        row[col] = md.get(col)
    rest = {k: v for k, v in md.items() if k not in _NOT_METADATA and k not in extra}
    row["metadata"] = json.dumps(rest, default=str, sort_keys=True) if rest else None
    return row


# core columns filled straight from the metadata key of the same name
_MD_COLUMNS = tuple(name for name, _ in DOC_COLUMNS[DOC_COLUMNS.index(("n_tokens", pa.int64())) + 1 : -1])


def output_schema(extra: Extra = (), removed: bool = False) -> pa.Schema:
    return pa.schema((REMOVED_COLUMNS if removed else DOC_COLUMNS) + list(extra))


def extra_columns(input_columns: Extra, score_columns: tuple[str, ...]) -> Extra:
    """The run's extra columns: the input's own (in order), then its stages' scores not already among them."""
    names = {n for n, _ in input_columns}
    return tuple(input_columns) + tuple((c, pa.float64()) for c in score_columns if c not in names)


_PART = ".part"
_ON_SUCCESS: list = []  # this process's current task: renames to do once the whole task has succeeded


def when_task_succeeds(action) -> None:
    """Run ``action()`` (a rename to a final name) after the current task's last step has finished."""
    _ON_SUCCESS.append(action)


class CommitStep(PipelineStep):
    """The last step of every phase: gives the task's files their final names, once the task succeeded.

    Writers close one by one as the documents run out, and a step after them can still fail (a
    dedup stage checks its counts at the end), so no writer renames its own file: each registers the
    rename here, and this step, which runs only when every step before it has finished, does them all.
    A failed or interrupted task leaves only ``.part`` files (and the previous task's list is dropped
    when the next task in the same process starts), which its rerun overwrites.
    """

    type = "writer"
    name = "commit"

    def __repr__(self) -> str:
        return self.name

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        _ON_SUCCESS.clear()
        if data:
            yield from data
        actions = list(_ON_SUCCESS)
        _ON_SUCCESS.clear()
        for action in actions:
            action()


class _AtomicFiles:
    """Write each file as ``<name>.part``; it becomes ``<name>`` when its task has succeeded (CommitStep).

    Readers (``*.parquet`` globs, DuckDB) never see a half-written file or a file of a task that did not
    finish. Files are never split (``max_file_size=-1``), so every task writes exactly one file per writer.
    """

    def _write(self, document, file_handler, filename):
        self._parts = getattr(self, "_parts", set())
        self._parts.add(filename)
        return super()._write(document, file_handler, filename)

    def _get_output_filename(self, document, rank=0, **kwargs):
        return super()._get_output_filename(document, rank, **kwargs) + _PART

    def close(self):
        super().close()
        folder = self.output_folder
        for name in sorted(getattr(self, "_parts", ())):
            when_task_succeeds(lambda name=name: folder.mv(name, name[: -len(_PART)]))
        self._parts = set()


class DocumentsWriter(_AtomicFiles, ParquetWriter):
    """Kept documents -> ``OUT/documents/<rank>.parquet`` (zstd), fixed schema."""

    name = "documents_writer"

    def __init__(self, output_folder: str, extra: Extra = (), tokenizer: str = DEFAULT_RUN_TOKENIZER):
        self.extra, self.tokenizer = tuple(extra), tokenizer
        self._extra_names = tuple(n for n, _ in self.extra)
        super().__init__(
            output_folder,
            output_filename="${rank}.parquet",
            compression="zstd",
            schema=output_schema(self.extra),
            max_file_size=-1,
        )

    def _default_adapter(self, document: Document) -> dict:
        return document_row(document, self._extra_names, self.tokenizer)

    def __repr__(self) -> str:
        return self.name


class WorkWriter(DocumentsWriter):
    """Documents between the phases of a run (before a dedup barrier) -> ``OUT/work/<phase>/<rank>.parquet``.

    One file per task: task r of the next phase reads exactly ``<r>.parquet``."""

    name = "work_writer"


class RemovedWriter(_AtomicFiles, ParquetWriter):
    """Dropped documents of one stage -> ``OUT/removed/<stage>_<rank>.parquet`` with ``removed_by`` and ``reason``.

    Used as a datatrove filter's ``exclusion_writer``: BaseFilter stores the drop
    reason in ``metadata["filter_reason"]`` before writing.
    """

    name = "removed_writer"

    def __init__(self, output_folder: str, stage: str, extra: Extra = (), tokenizer: str = DEFAULT_RUN_TOKENIZER):
        self.stage = stage
        self.extra, self.tokenizer = tuple(extra), tokenizer
        self._extra_names = tuple(n for n, _ in self.extra)
        super().__init__(
            output_folder,
            output_filename=f"{stage}_${{rank}}.parquet",
            compression="zstd",
            schema=output_schema(self.extra, removed=True),
            max_file_size=-1,
        )

    def __repr__(self) -> str:
        return self.name

    def _default_adapter(self, doc: Document) -> dict:
        row = document_row(doc, self._extra_names, self.tokenizer)
        row["removed_by"] = self.stage
        row["reason"] = doc.metadata.get("filter_reason") or f"{self.stage}_unspecified"
        return row


class ShardWriter(_AtomicFiles, JsonlWriter):
    """Optional training shards -> ``OUT/shards/<rank>.jsonl.zst``, Dolma-style rows (id, text, source, metadata)."""

    name = "shard_writer"

    def __init__(self, output_folder: str):
        super().__init__(output_folder, output_filename="${rank}.jsonl", compression="zstd")

    def __repr__(self) -> str:
        return self.name

    def _default_adapter(self, doc: Document) -> dict:
        md = doc.metadata
        return {
            "id": doc.id,
            "text": doc.text,
            "source": md.get("source"),
            "added": md.get("crawl_date"),
            "metadata": {k: v for k, v in md.items() if k != "source"},
        }
