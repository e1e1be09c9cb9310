"""Build datatrove pipelines from a RunConfig, run them on datatrove's executor, write stats and manifest.

Most stages stream: one document at a time, any number of tasks. A dedup stage is a *barrier*: it
must see every document before deciding. A run is therefore cut into phases at each barrier:

    phase 0: read input -> stages -> <barrier>:keys -> OUT/work/0/<rank>.parquet
    0-cluster: <barrier>'s cluster tasks find and verify pairs, each in its bands and key ranges (dedup)
    0-barrier: <barrier> joins them into clusters and decides per document (see filters/dedup.py)
    phase 1: OUT/work/0/<rank>.parquet -> <barrier> (drops duplicates) -> stages -> OUT/documents

Each phase, each cross-task step and a final step (stats, manifest, report) is one datatrove
executor with its own logs and completion markers under ``OUT/logs/<job>/``, chained by
dependencies (``pipeline.executors``), so an interrupted run resumes where it stopped. Phase k+1 task r reads exactly
what phase k task r wrote, so all phases use the same number of tasks. A run directory that holds a
run of a different config is refused rather than mixed.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.atomic import atomic_write
from pipeline.commit import CommitStep
from pipeline.config import RunConfig
from pipeline.errors import ConfigError
from pipeline.executors import connect_ray, import_ray, make_executor, require_sbatch
from pipeline.finalize import BarrierStep, ClusterPartStep, FinalizeStep
from pipeline.formats import format_of, get_format
from pipeline.layout import RunLayout
from pipeline.manifest import stage_assets
from pipeline.outputs import DocumentsWriter, RemovedWriter, ShardWriter, WorkWriter, run_columns
from pipeline.readers import (
    TASK_GC_THRESHOLDS,
    DocumentReader,
    describe_formats,
    input_columns,
    input_fields,
    split_units,
    unit_bytes,
)
from pipeline.registry import get_stage
from pipeline.stage import Stage
from pipeline.warc import resolve_inputs


@dataclass
class RunResult:
    output: Path
    stats: dict
    manifest: dict


@dataclass
class Phase:
    stages: list = field(default_factory=list)  # built step objects, streaming
    barrier: object = None  # a barrier stage ending this phase, or None for the last phase


def check_read_columns(cfg: RunConfig, steps: list, files: list[str]) -> None:
    """A stage that reads a column (``reads_columns``) needs it in the input or from a stage before it."""
    if not any(step.reads_columns for step in steps):
        return
    have = input_fields(files)
    for sc, step in zip(cfg.stages, steps):
        for col in step.reads_columns:
            if col not in have:
                scores = sorted(c for c in have if c.startswith("quality_"))
                raise ConfigError(
                    f"stages.{sc.name}.column: no input document has {col!r} and no stage before it writes it; "
                    f"score columns that exist: {', '.join(scores) if scores else 'none'}")
        have.update(c.name for c in step.columns)


def plan(cfg: RunConfig, files: list[str] = ()) -> tuple[list[Phase], tuple]:
    """Build every stage (bad parameters and missing models fail here) and cut the list at barriers.
    Also returns the run's own columns (``pipeline.outputs.run_columns``)."""
    layout = RunLayout(cfg.output)
    steps = [get_stage(sc.name)(**sc.params) for sc in cfg.stages]
    check_read_columns(cfg, steps, list(files))
    columns = run_columns(input_columns(list(files)), steps)
    for sc, step in zip(cfg.stages, steps):
        if isinstance(step, Stage):
            step.exclusion_writer = RemovedWriter(str(layout.removed), sc.name, columns, cfg.tokenizer)
        if getattr(step, "uses_cache", False):
            step.cache_dir = str(layout.stage_cache(sc.name))
    phases = [Phase()]
    for stage_cfg, step in zip(cfg.stages, steps):
        if step.is_barrier:
            step.workdir = str(layout.barrier_dir(len(phases) - 1, stage_cfg.name))
            phases[-1].barrier = step
            phases.append(Phase())
        else:
            phases[-1].stages.append(step)
    return phases, columns


def input_reader(cfg: RunConfig, units: list):
    """The reader of the config's input format (``pipeline.formats``) over ``units``."""
    files = [u[0] for u in units]
    fmt = cfg.input.format
    bad = sorted(f for f in files if format_of(f) != fmt)
    if bad:
        raise ConfigError(f"input.paths: {bad[0]} is not {fmt} (input.format); the files are {describe_formats(files)}")
    return get_format(fmt).make_reader(units, limit=cfg.input.limit, source=cfg.name, options=cfg.input.options)


def phase_pipelines(cfg: RunConfig, units: list, tasks: int) -> list[tuple[list, object]]:
    """[(steps, barrier)] for each phase, in order."""
    layout = RunLayout(cfg.output)
    phases, columns = plan(cfg, list(dict.fromkeys(u[0] for u in units)))  # a split file once
    result = []
    previous = None
    for k, phase in enumerate(phases):
        steps: list = []
        if k == 0:
            steps.append(input_reader(cfg, units))
        else:
            work = [str(layout.work_file(k - 1, r)) for r in range(tasks)]
            steps += [DocumentReader(work, aligned=True), previous]
        steps[0].progress_dir = str(layout.progress(str(k)))  # per-task progress files (pipeline.progress)
        steps[0].gc_thresholds = TASK_GC_THRESHOLDS  # the collector tuned for streaming (pipeline.readers)
        steps += phase.stages
        if phase.barrier is not None:
            steps += [phase.barrier.key_step(), WorkWriter(str(layout.work(k)), columns)]
        else:
            steps.append(DocumentsWriter(str(layout.documents), columns, cfg.tokenizer))
            if cfg.shards:
                steps.append(ShardWriter(str(layout.shards)))
        steps.append(CommitStep(layout.commits(str(k))))
        result.append((steps, phase.barrier))
        previous = phase.barrier
    return result


def _check_output_dir(layout: RunLayout, config_hash: str, tasks: int) -> None:
    out = layout.out
    if layout.manifest.is_file():
        previous = json.loads(layout.manifest.read_text()).get("config_hash")
        if previous != config_hash:
            raise ConfigError(
                f"output: {out} holds a run of a different config (hash {previous}, now {config_hash}); "
                "choose another --output or delete that directory"
            )
    pending = layout.config_hash_file
    if pending.is_file() and pending.read_text().strip() != config_hash:
        raise ConfigError(
            f"output: {out} holds an unfinished run of a different config; delete it or choose another --output"
        )
    # Task r of a resumed run must redo exactly what task r of the first attempt did.
    started = layout.tasks_file
    if started.is_file() and int(started.read_text()) != tasks:
        raise ConfigError(
            f"output: {out} was started with {int(started.read_text())} task(s), now {tasks}; resume it with "
            f"--tasks {int(started.read_text())}, or start over with --overwrite or another --output"
        )


@dataclass
class Jobs:
    """The run as datatrove jobs: ``last`` is the finalize executor (running it runs every job it depends on)."""

    last: object
    tasks: int
    names: list[tuple[str, int]]  # (job, tasks) in order, finalize last
    layout: RunLayout
    files: list[str]  # the input files
    input_bytes: int  # their size (0 where a size cannot be read)
    config_hash: str


def build_jobs(cfg: RunConfig, quiet: bool = False) -> Jobs:
    """The chain of executors for ``cfg``; ``quiet`` keeps datatrove's logs off the terminal (they stay in OUT/logs)."""
    layout = RunLayout(cfg.output)
    files = resolve_inputs(cfg.input.paths)
    config_hash = cfg.config_hash()
    units = split_units(files, cfg.input.split_mb * 2**20)
    tasks = min(cfg.executor.tasks, max(len(units), 1))
    _check_output_dir(layout, config_hash, tasks)
    phases = phase_pipelines(cfg, units, tasks)  # builds every stage before any work starts
    assets = stage_assets([s for steps, _ in phases for s in steps])  # checksums now, before any job runs
    try:
        atomic_write(layout.config_hash_file, config_hash)
    except OSError as e:
        raise ConfigError(f"output: cannot write to {layout.out}: {e.strerror or e}") from None
    atomic_write(layout.tasks_file, str(tasks))
    atomic_write(layout.started_file, repr(time.time()))

    jobs: list[tuple[str, list, int]] = []
    barriers: dict[str, str] = {}
    for k, (steps, barrier) in enumerate(phases):
        jobs.append((str(k), steps, tasks))
        if barrier is not None and barrier.cluster_tasks:
            jobs.append((f"{k}-cluster", [ClusterPartStep(barrier, tasks), CommitStep(layout.commits(f"{k}-cluster"))],
                         barrier.cluster_tasks))
        if barrier is not None:
            jobs.append((f"{k}-barrier", [BarrierStep(barrier, tasks), CommitStep(layout.commits(f"{k}-barrier"))], 1))
            barriers[barrier.stage_name] = barrier.workdir
    names = [(name, n) for name, _, n in jobs]
    jobs.append(("finalize", [FinalizeStep(cfg, files, config_hash, tasks, len(phases), barriers, names, assets)], 1))
    executor = None
    for name, steps, n in jobs:
        executor = make_executor(cfg.executor, steps, n, str(layout.job_logs(name)), depends=executor,
                                 job_name=f"winnow-{cfg.name}-{name}", quiet=quiet)
    return Jobs(executor, tasks, names + [("finalize", 1)], layout, files, sum(unit_bytes(u) for u in units),
                config_hash)


def run(cfg: RunConfig, quiet: bool = False, progress=None) -> RunResult | None:
    """Run ``cfg`` end to end (local, ray) and return its stats and manifest; on Slurm, submit and return None.

    ``progress``: a callable given the :class:`Jobs` that returns a context manager shown while the jobs run
    (``pipeline.progress``)."""
    if cfg.executor.kind == "ray":
        import_ray()  # a missing package is an install hint before any work starts, not a traceback
    if cfg.executor.kind == "slurm":
        require_sbatch()
    jobs = build_jobs(cfg, quiet=quiet)
    started_ray = cfg.executor.kind == "ray" and connect_ray(cfg.executor)
    try:
        if progress is not None and cfg.executor.kind != "slurm":
            with progress(jobs):
                jobs.last.run()
        else:
            jobs.last.run()
    finally:
        if started_ray:  # disconnect, and stop the local instance if connect_ray started one
            import_ray().shutdown()
    if cfg.executor.kind == "slurm":
        return None
    layout = jobs.layout
    return RunResult(layout.out, json.loads(layout.stats.read_text()), json.loads(layout.manifest.read_text()))


def clean_output(out: str | Path) -> None:
    """Delete a run directory (``winnow run --overwrite``)."""
    shutil.rmtree(out, ignore_errors=True)
