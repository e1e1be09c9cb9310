"""Parquet writers for the output contract: OUT/documents, OUT/removed, OUT/shards.

Every file starts with the same core columns (``CORE``, plus ``removed_by`` and ``reason`` in
removed/), null where a column does not apply, so one DuckDB query spans runs and sources. After them
come the run's own columns (:func:`run_columns`): the input's own columns (a parquet input's schema,
type and values kept, so commands chain without loss), then the columns its stages declare
(``pipeline.stage.Column``), then score columns a stage reads. Metadata that is not a column is kept
as JSON in ``metadata``. ``n_tokens`` is counted with the run's tokenizer (``pipeline.tokens``) when
the row is written, so it matches the text written.
"""

from __future__ import annotations

import json

import pyarrow as pa
from datatrove.data import Document
from datatrove.pipeline.writers.jsonl import JsonlWriter
from datatrove.pipeline.writers.parquet import ParquetWriter

from pipeline.commit import when_task_succeeds
from pipeline.formats import format_columns, metadata_keys
from pipeline.stage import Column
from pipeline.tokens import DEFAULT_RUN_TOKENIZER, text_counts
from pipeline.urls import host_of

# Arrow's default pool (mimalloc/jemalloc) keeps freed memory mapped; with the system allocator a
# worker's RSS follows the documents it holds (docs/measurements.md).
pa.set_memory_pool(pa.system_memory_pool())

CORE: tuple[Column, ...] = (
    Column("id", pa.string(), "the source's id: WARC-Record-ID, file path (+ #page), or the input's id"),
    Column("text", pa.string(), "the document's text (a web page's main text, a file's text)"),
    Column("source", pa.string(), "the run's name, or the mix source the document was drawn from"),
    Column("url", pa.string(), "WARC-Target-URI or the input's url"),
    Column("domain", pa.string(), "host of the URL, lower-cased, without www. and port"),
    Column("lang", pa.string(), "language label (langid stages), null before language ID"),
    Column("lang_score", pa.float64(), "its probability (0..1)"),
    Column("n_chars", pa.int64(), "characters of text"),
    Column("n_words", pa.int64(), "whitespace-separated words of text"),
    Column("n_tokens", pa.int64(), "tokens of text under the run's tokenizer (stats.json names it)"),
    Column("dup_cluster", pa.string(), "id of the duplicate cluster's kept representative (dedup stages)"),
    Column("dup_cluster_size", pa.int64(), "documents the cluster stands for (dedup stages)"),
    *format_columns(),  # the columns input formats fill (pipeline.formats), in every run's files
    Column("license", pa.string(), "SPDX id of a licence found (license_v1), or the input's"),
    Column("crawl_date", pa.string(), "WARC-Date of the capture (ISO 8601)"),
    Column("metadata", pa.string(), "JSON of every other metadata key"),
)
REMOVED: tuple[Column, ...] = (
    Column("removed_by", pa.string(), "the versioned stage that dropped the document"),
    Column("reason", pa.string(), "why: <stage family>_<why>, e.g. gopher_quality_few_words"),
)
DOC_COLUMNS: list[tuple[str, pa.DataType]] = [(c.name, c.type) for c in CORE]
REMOVED_COLUMNS = DOC_COLUMNS + [(c.name, c.type) for c in REMOVED]
CORE_NAMES = frozenset(name for name, _ in REMOVED_COLUMNS)
_COMPUTED = ("id", "text", "source", "url", "domain", "n_chars", "n_words", "n_tokens", "metadata")
_FROM_METADATA = tuple(c.name for c in CORE if c.name not in _COMPUTED)  # core columns copied from metadata
_NOT_METADATA = CORE_NAMES | {"filter_reason"}
_ALSO_METADATA = tuple(sorted(metadata_keys()))

Extra = tuple[tuple[str, pa.DataType], ...]  # (name, type) of the columns after the core ones


def document_row(doc: Document, extra: tuple[str, ...] = (), tokenizer: str | None = DEFAULT_RUN_TOKENIZER) -> dict:
    """The one output row of ``doc`` (every writer uses it); ``extra`` names the run's own columns;
    ``tokenizer`` None leaves ``n_tokens`` null (work files between phases)."""
    md = doc.metadata
    text = doc.text or ""
    n_words, n_tokens = text_counts(text, tokenizer)
    row = {
        "id": doc.id,
        "text": text,
        "source": md.get("source"),
        "url": md.get("url"),
        "domain": md.get("domain") or host_of(md.get("url")),
        "n_chars": len(text),
        "n_words": n_words,
        "n_tokens": n_tokens,
    }
    for name in _FROM_METADATA:
        row[name] = md.get(name)
    for col in extra:
        row[col] = md.get(col)
    rest = {k: v for k, v in md.items() if k not in _NOT_METADATA and k not in extra}
    for key in _ALSO_METADATA:  # a format's columns that tools also read from the metadata JSON
        if md.get(key) is not None:
            rest[key] = md[key]
    row["metadata"] = json.dumps(rest, default=str, sort_keys=True) if rest else None
    return row


def output_schema(extra: Extra = (), removed: bool = False) -> pa.Schema:
    return pa.schema((REMOVED_COLUMNS if removed else DOC_COLUMNS) + list(extra))


def write_documents_file(path, docs, extra: Extra = (), tokenizer: str = DEFAULT_RUN_TOKENIZER) -> int:
    """``docs`` as one zstd parquet file of the output contract at ``path``, atomically; returns the rows.

    For commands that write documents outside a datatrove task (``winnow materialise``); runs use the
    writers below. Same rows (:func:`document_row`) and schema (:func:`output_schema`) either way."""
    import pyarrow.parquet as pq

    from pipeline.atomic import atomic_write

    names = tuple(n for n, _ in extra)
    rows = [document_row(d, names, tokenizer) for d in docs]
    table = pa.Table.from_pylist(rows, schema=output_schema(extra))
    atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
    return len(rows)


def run_columns(input_columns: Extra, steps: list) -> Extra:
    """The run's own columns after the core: the input's (in order, with their types), then the columns the
    stages declare, then score columns a stage reads (float64; a JSON-lines input's scores become columns too).

    A declared column the input already has keeps the input's place. It keeps the input's type too, unless
    the stage writes a float over a number (a score written again): then it is the stage's float. Any other
    disagreement (a stage writes int64 where the input holds strings) would fail on the first row the
    stage does not rewrite, so it is a ConfigError naming the column, both types and the stage, before work starts.
    """
    have = dict(input_columns)
    declared: dict[str, pa.DataType] = {}
    for step in steps:
        for col in getattr(step, "columns", ()):
            if col.name in have and col.type != have[col.name]:
                numeric = pa.types.is_integer(have[col.name]) or pa.types.is_floating(have[col.name])
                if not (pa.types.is_floating(col.type) and numeric):
                    from pipeline.errors import ConfigError

                    raise ConfigError(f"input.paths: column {col.name!r} is {have[col.name]} in the input, but "
                                      f"stage {getattr(step, 'stage_name', step)} writes it as {col.type}; rename or "
                                      "drop the input's column, or leave the stage out")
            declared.setdefault(col.name, col.type)
        for name in getattr(step, "reads_columns", ()):
            declared.setdefault(name, have.get(name, pa.float64()))
    own = tuple((n, declared.get(n, t)) for n, t in input_columns)  # equal, a float over a number, or read only
    return own + tuple((n, t) for n, t in declared.items() if n not in have and n not in CORE_NAMES)


_PART = ".part"


class _AtomicFiles:
    """Write each file as ``<name>.part``; it becomes ``<name>`` when its task has succeeded (CommitStep).

    Readers (``*.parquet`` globs, DuckDB) never see a half-written file or a file of a task that did not
    finish (``pipeline.commit``). Run outputs are local files (``pipeline.layout``). Files are never split
    (``max_file_size=-1``), so every task writes exactly one file per writer.
    """

    def _write(self, document, file_handler, filename):
        self._parts = getattr(self, "_parts", set())
        self._parts.add(filename)
        return super()._write(document, file_handler, filename)

    def _get_output_filename(self, document, rank=0, **kwargs):
        return super()._get_output_filename(document, rank, **kwargs) + _PART

    def close(self):
        super().close()
        for name in sorted(getattr(self, "_parts", ())):
            path = self.output_folder.resolve_paths(name)
            when_task_succeeds(path, path[: -len(_PART)])
        self._parts = set()


class _RowsWriter(_AtomicFiles, ParquetWriter):
    """Output-contract rows (:func:`document_row`) as zstd parquet, one file per task."""

    def __init__(self, output_folder: str, filename: str, extra: Extra, tokenizer: str | None, removed: bool = False):
        self.tokenizer = tokenizer
        self._extra_names = tuple(n for n, _ in extra)
        super().__init__(output_folder, output_filename=filename, compression="zstd",
                         schema=output_schema(tuple(extra), removed=removed), max_file_size=-1)

    def _default_adapter(self, document: Document) -> dict:
        return document_row(document, self._extra_names, self.tokenizer)

    def __repr__(self) -> str:
        return self.name


class DocumentsWriter(_RowsWriter):
    """Kept documents -> ``OUT/documents/<rank>.parquet`` (zstd), fixed schema."""

    name = "documents_writer"

    def __init__(self, output_folder: str, extra: Extra = (), tokenizer: str = DEFAULT_RUN_TOKENIZER):
        super().__init__(output_folder, "${rank}.parquet", extra, tokenizer)


class WorkWriter(_RowsWriter):
    """Documents between the phases of a run (before a barrier) -> ``OUT/work/<phase>/<rank>.parquet``.

    One file per task: task r of the next phase reads exactly ``<r>.parquet``. ``n_tokens`` is left null
    here: the run's final writers count it on the text they write (tokenising is the costliest part of a row)."""

    name = "work_writer"

    def __init__(self, output_folder: str, extra: Extra = ()):
        super().__init__(output_folder, "${rank}.parquet", extra, None)


class RemovedWriter(_RowsWriter):
    """Dropped documents of one stage -> ``OUT/removed/<stage>_<rank>.parquet`` with ``removed_by`` and ``reason``.

    Used as a datatrove filter's ``exclusion_writer``: BaseFilter stores the drop
    reason in ``metadata["filter_reason"]`` before writing.
    """

    name = "removed_writer"

    def __init__(self, output_folder: str, stage: str, extra: Extra = (), tokenizer: str = DEFAULT_RUN_TOKENIZER):
        self.stage = stage
        super().__init__(output_folder, f"{stage}_${{rank}}.parquet", extra, tokenizer, removed=True)

    def _default_adapter(self, doc: Document) -> dict:
        row = super()._default_adapter(doc)
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
