"""Input-format registry: format names (``warc``, ``jsonl``, ``parquet``, ``pdf``) -> how to recognise, read and
configure their files.

A format is declared once, by the module that owns its reader, with :func:`register_format`::

    register_format(InputFormat(
        name="lines", suffixes=(".txt",), reader="myproject.lines:LinesReader",
        options=LinesOptions,                      # a frozen dataclass: the config's ``input.lines`` mapping
        columns=(Column("line_count", pa.int64(), "lines in the file"),),
    ))

The reader is named as ``"module:Class"`` and imported only when a run reads that format, so declaring a
format costs nothing to runs of the others (a heavy stack, such as PDF rendering, loads only where it is
read). The reader is
built as ``Class(units, limit=..., source=..., options=...)`` (``options`` only when the format has options)
and is a ``pipeline.readers.UnitReader``. The columns a format fills are written in every run's output files,
null where they do not apply, so one DuckDB query spans runs of every format (``pipeline.outputs``).

The declaring modules are imported by name (``FORMAT_MODULES``) when the registry is first asked, like the
stage registry's ``STAGE_MODULES``: the spine never imports a family package at module level. Formats of your
own live in your modules, named in the environment variable ``WINNOW_FORMATS`` (comma-separated module names,
importable on every node of the run); the output columns are fixed when ``pipeline.outputs`` is first imported,
so declare formats through the variable rather than by importing a module later.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass, field
from typing import Callable

from pipeline.errors import ConfigError
from pipeline.stage import Column

FORMAT_MODULES = ("pipeline.readers", "pipeline.warc", "ocr.format")


@dataclass(frozen=True)
class InputFormat:
    name: str
    suffixes: tuple[str, ...]  # lower-case endings of the file names this format reads
    reader: str  # "module:Class" of its pipeline.readers.UnitReader
    options: type | None = None  # frozen dataclass of the config's ``input.<name>`` options (None: no options)
    columns: tuple[Column, ...] = ()  # metadata keys its reader fills, written as columns of every run
    metadata_keys: tuple[str, ...] = ()  # of those, the ones also kept in the metadata JSON (tools read them there)
    splittable: tuple[str, ...] = ()  # endings of files that may be cut into byte ranges between tasks
    report: str | None = None  # "module:function" giving the format's section of ``winnow report`` (rd -> html)
    match: Callable[[str], bool] | None = field(default=None, compare=False)  # instead of ``suffixes``

    def matches(self, path: str) -> bool:
        name = path.lower()
        return self.match(name) if self.match is not None else name.endswith(self.suffixes)

    def report_section(self, rd) -> str | None:
        return None if self.report is None else _load(self.report)(rd)

    def reader_class(self) -> type:
        return _load(self.reader)

    def make_reader(self, units: list, limit: int = -1, source: str | None = None, options=None):
        kwargs = {"options": options} if self.options is not None else {}
        return self.reader_class()(units, limit=limit, source=source, **kwargs)


def _load(ref: str):
    """The object a ``"module:name"`` reference names (its module imported now)."""
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


_FORMATS: dict[str, InputFormat] = {}
_DECLARED_IN: dict[str, str] = {}  # format -> the module that registered it (orders the registry)
_loaded = False
_extra: list[str] = []


def register_format(fmt: InputFormat) -> InputFormat:
    """Make ``fmt`` readable by runs (``input.format: <name>``); a second, different declaration is an error."""
    if fmt.name in _FORMATS and _FORMATS[fmt.name] != fmt:
        raise ValueError(f"input format {fmt.name!r} is registered twice")
    _FORMATS[fmt.name] = fmt
    _DECLARED_IN.setdefault(fmt.name, sys._getframe(1).f_globals.get("__name__", ""))
    return fmt


def formats() -> dict[str, InputFormat]:
    """Every registered format: the built-in ones first, then those of ``WINNOW_FORMATS``, each module's in the
    order it declares them, whatever order the modules were imported in (the first format whose files a path
    looks like is its format)."""
    global _loaded
    if not _loaded:
        _loaded = True
        _extra[:] = [m.strip() for m in os.environ.get("WINNOW_FORMATS", "").split(",") if m.strip()]
        for module in (*FORMAT_MODULES, *_extra):
            try:
                importlib.import_module(module)
            except ImportError as e:
                if module in FORMAT_MODULES:
                    raise
                raise ConfigError(f"WINNOW_FORMATS: cannot import {module!r}: {e}") from None
    modules = [*FORMAT_MODULES, *_extra]
    rank = {name: modules.index(m) if m in modules else len(modules) for name, m in _DECLARED_IN.items()}
    return {name: _FORMATS[name] for name in sorted(_FORMATS, key=lambda n: rank[n])}


def get_format(name: str) -> InputFormat:
    all_formats = formats()
    if name not in all_formats:
        raise ConfigError(f"input.format: unknown format {name!r}; valid formats: {', '.join(all_formats)}")
    return all_formats[name]


def format_of(path: str) -> str:
    """The name of the first format whose files ``path`` looks like, or ``unknown``."""
    return next((f.name for f in formats().values() if f.matches(path)), "unknown")


def splittable(path: str) -> bool:
    """Whether ``path`` may be read as several byte ranges (its format says so for its ending)."""
    name = path.lower()
    return any(name.endswith(f.splittable) for f in formats().values() if f.splittable)


def format_columns() -> tuple[Column, ...]:
    """The columns every registered format fills, in registration order, each once."""
    out: dict[str, Column] = {}
    for f in formats().values():
        for c in f.columns:
            out.setdefault(c.name, c)
    return tuple(out.values())


def metadata_keys() -> frozenset[str]:
    return frozenset(k for f in formats().values() for k in f.metadata_keys)
