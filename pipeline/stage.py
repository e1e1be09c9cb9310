"""The stage contract: what every Winnow stage is, how it registers, and which columns it writes.

A new stage is one class in one module of ``filters/``, ``ocr/`` or ``pipeline/``::

    @register("shouting_v1")
    class Shouting(Stage):
        '''Drop documents that are mostly upper case (``shouting_caps``).'''

        columns = (Column("caps_share", pa.float64(), "share of letters in upper case (0..1)"),)

        def __init__(self, max_share: float = 0.5, exclusion_writer=None):
            super().__init__(exclusion_writer)
            self.max_share = max_share

        def filter(self, doc):
            letters = [c for c in doc.text if c.isalpha()]
            share = sum(c.isupper() for c in letters) / max(len(letters), 1)
            doc.metadata["caps_share"] = share
            return True if share <= self.max_share else self.drop("caps")

``pipeline.registry`` finds it by module name (no import back from here to the stage modules), the
``__init__`` parameters are its YAML schema, and the declared column lands in every output file of a
run that uses the stage (``pipeline.outputs.run_columns``), typed, with its meaning in
``winnow stages``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import pyarrow as pa
from datatrove.pipeline.filters.base_filter import BaseFilter


@dataclass(frozen=True)
class Column:
    """One output column a stage writes (from ``doc.metadata[name]``): its Arrow type and its meaning."""

    name: str
    type: pa.DataType
    meaning: str


_STAGES: dict[str, type] = {}


def register(name: str) -> Callable[[type], type]:
    """Class decorator: make a stage available to configs under ``name`` (must end in ``_vN``)."""
    base, _, version = name.rpartition("_v")
    if not base or not version.isdigit():
        raise ValueError(f"stage name {name!r} must carry a version suffix like '_v1'")

    def deco(cls: type) -> type:
        if name in _STAGES and _STAGES[name] is not cls:
            raise ValueError(f"stage {name!r} is registered twice ({_STAGES[name].__name__}, {cls.__name__})")
        _STAGES[name] = cls
        cls.stage_name = name
        cls.name = base  # datatrove's display name: the family (``gopher_quality``), never set by hand
        return cls

    return deco


def registered() -> dict[str, type]:
    """The stages registered so far in this process (``pipeline.registry.stages`` loads them all first)."""
    return dict(_STAGES)


class Stage(BaseFilter):
    """A Winnow stage: a datatrove ``BaseFilter`` that keeps, drops or annotates each document.

    ``filter(doc)`` returns True to keep, or ``self.drop(why)`` = ``(False, "<family>_<why>")`` to drop,
    where the family is the registry name without its version suffix (``gopher_quality_few_words``).
    The runner gives every stage an exclusion writer, so each dropped document lands in ``removed/``
    with ``removed_by`` (the versioned stage name) and ``reason``. A stage that only annotates returns
    True always and writes its values into ``doc.metadata``.

    ``columns`` declares the metadata keys the stage writes as output columns (name, Arrow type,
    meaning); a run's files carry the declared columns of every stage in it, null where a stage did not
    set one. Keys a stage writes without declaring them go into the JSON ``metadata`` column.
    ``reads_columns`` names columns the stage needs from earlier stages or the input; the runner checks them
    before any work starts. ``model_path``, ``asset_paths`` and ``uses_cache`` (below) declare the files the
    runner and the manifest handle for the stage.

    Two class-level hooks let a stage speak for itself where the spine would otherwise name it:
    ``report_section(rd)`` returns its section of ``winnow report`` and ``summary_line(summary)`` the line the
    CLI prints for a barrier's summary. Both default to None (no section; the summary as JSON).
    """

    stage_name: str = "unregistered_v0"  # set by @register, with ``name`` (the family)
    columns: tuple[Column, ...] = ()
    reads_columns: tuple[str, ...] = ()
    is_barrier: bool = False
    # Files the stage reads, which the run manifest lists with their checksums (``pipeline.manifest``): a model
    # file, and any other data (benchmark sets, word lists). Set them in ``__init__``.
    model_path: str | None = None
    asset_paths: tuple[str, ...] = ()
    # A stage that keeps a cache across attempts of a run (answers of an endpoint) sets ``uses_cache``; the
    # runner then sets ``cache_dir`` to its own directory under OUT/work before any task starts.
    uses_cache: bool = False
    cache_dir: str | None = None

    @property
    def family(self) -> str:
        return self.stage_name.rpartition("_v")[0]

    def drop(self, why: str) -> tuple[bool, str]:
        return False, f"{self.family}_{why}"

    def __repr__(self) -> str:
        return self.stage_name

    @classmethod
    def report_section(cls, rd) -> str | None:
        """This stage's section of ``winnow report`` (``<section id="section-...">``), or None for none.

        ``rd`` is the finished run (``pipeline.report_data.RunData``: its stats, manifest and DuckDB views).
        The report asks every registered stage, whether or not it ran, so a section says ``not run`` when the
        stage's columns are absent; stages that share one hook get one section. Build it with
        ``pipeline.report_html``, imported inside the hook."""
        return None

    @classmethod
    def summary_line(cls, summary: dict) -> str | None:
        """The line the CLI prints after a run for this barrier's ``cluster`` summary (``stats.json``
        ``barriers``), starting with the stage's name; None prints ``<stage>: <summary as JSON>``."""
        return None

    def track_time(self, unit: str | None = None):
        """datatrove's wall-time tracking of each ``filter`` call, plus the CPU seconds it took
        (``cpu_seconds`` in the stage's stats; ``stats.json`` reports both per stage)."""
        if unit:
            self.stats.time_stats.unit = unit
        return _Timed(self)


class _Timed:
    __slots__ = ("stage", "wall", "cpu")

    def __init__(self, stage: Stage):
        self.stage = stage

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *exc):
        self.stage.stats.time_stats.update(time.perf_counter() - self.wall)
        self.stage.stat_update("cpu_seconds", value=time.process_time() - self.cpu, unit="task")


class Barrier(Stage):
    """A stage that must see every document of the run before deciding on any (dedup, a top-fraction cut).

    The runner cuts the run into phases at each barrier (``pipeline.run``):

    1. ``key_step()`` is a datatrove step that runs at the end of the phase before, in every task, and
       writes what the decision needs (hashes, scores) under ``self.workdir``;
    2. where ``cluster_tasks`` is set, ``cluster_part(tasks, rank, cluster_tasks)`` runs first in that many
       tasks (dedup: each finds and verifies the pairs of its bands and key ranges); then ``cluster(tasks)``
       runs once, in one task, over all tasks' keys (and the parts' results), writes its decisions under
       ``self.workdir`` and returns a JSON-able summary (kept in ``stats.json`` under ``barriers``);
    3. the stage itself then runs at the start of the next phase and applies the decisions in ``filter``.
    """

    is_barrier = True
    cluster_tasks = 0  # tasks of the parallel part of the cluster step; 0: there is none

    def cluster_part(self, tasks: int, rank: int, world_size: int) -> dict:
        raise NotImplementedError

    def __init__(self, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.workdir: str | None = None  # set by the runner (pipeline.layout)

    def key_step(self):
        raise NotImplementedError

    def cluster(self, tasks: int) -> dict:
        raise NotImplementedError
