"""Build datatrove pipelines from a RunConfig, run them on datatrove's executor, write stats and manifest.

Most stages stream: one document at a time, any number of tasks. A dedup stage is a *barrier*: it
must see every document before deciding. A run is therefore cut into phases at each barrier:

    phase 0: read input -> stages -> <barrier>:keys -> OUT/work/0/<rank>.parquet
    cluster: <barrier> links duplicates over all tasks' keys (bounded memory, see filters/dedup.py)
    phase 1: OUT/work/0/<rank>.parquet -> <barrier> (drops duplicates) -> stages -> OUT/documents

Each phase, each cross-task step and a final step (stats, manifest, report) is one datatrove
executor with its own logs and completion markers under ``OUT/logs/<job>/``, chained by
dependencies (``pipeline.executors``), so an interrupted run resumes where it stopped. Phase k+1 task r reads exactly
what phase k task r wrote, so all phases use the same number of tasks. A run directory that holds a
run of a different config is refused rather than mixed.
"""

from __future__ import annotations

import json
import resource
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from filters.base import WinnowFilter
from pipeline.config import RunConfig
from pipeline.errors import ConfigError
from pipeline.executors import BarrierStep, FinalizeStep, connect_ray, import_ray, make_executor, write_json
from pipeline.manifest import stage_assets
from pipeline.outputs import CommitStep, DocumentsWriter, RemovedWriter, ShardWriter, WorkWriter, extra_columns
from pipeline.readers import DocumentReader, describe_formats, format_of, input_columns, input_fields, split_units
from pipeline.registry import get_stage
from pipeline.warc import WarcReader, resolve_inputs


@dataclass
class RunResult:
    output: Path
    stats: dict
    manifest: dict


@dataclass
class Phase:
    stages: list = field(default_factory=list)  # built step objects, streaming
    barrier: object = None  # a dedup stage ending this phase, or None for the last phase


def score_columns(steps: list) -> tuple[str, ...]:
    """The ``quality_*`` columns the scoring stages of a run add or read (every output file carries all of them)."""
    written = (c for s in steps if isinstance(c := getattr(s, "column", None), str) and c.startswith("quality_"))
    read = (c for s in steps for c in getattr(s, "reads_columns", ()))  # JSON-lines scores become columns too
    return tuple(dict.fromkeys([*written, *read]))


def check_read_columns(cfg: RunConfig, steps: list, files: list[str]) -> None:
    """A stage that reads a score column (``reads_columns``) needs it in the input or from a stage before it."""
    if not any(getattr(step, "reads_columns", ()) for step in steps):
        return
    have = input_fields(files)
    for sc, step in zip(cfg.stages, steps):
        for col in getattr(step, "reads_columns", ()):
            if col not in have:
                scores = sorted(c for c in have if c.startswith("quality_"))
                raise ConfigError(
                    f"stages.{sc.name}.column: no input document has {col!r} and no stage before it writes it; "
                    f"score columns that exist: {', '.join(scores) if scores else 'none'}")
        if isinstance(c := getattr(step, "column", None), str):
            have.add(c)


def plan(cfg: RunConfig, files: list[str] = ()) -> tuple[list[Phase], tuple]:
    """Build every stage (bad parameters and missing models fail here) and cut the list at barriers.
    Also returns the run's extra columns: the input files' own, then the stages' scores."""
    out = Path(cfg.output)
    steps = [get_stage(sc.name)(**sc.params) for sc in cfg.stages]
    check_read_columns(cfg, steps, list(files))
    columns = extra_columns(input_columns(list(files)), score_columns(steps))
    for sc, step in zip(cfg.stages, steps):
        if isinstance(step, WinnowFilter):
            step.exclusion_writer = RemovedWriter(str(out / "removed"), sc.name, columns, cfg.tokenizer)
    phases = [Phase()]
    for stage_cfg, step in zip(cfg.stages, steps):
        if getattr(step, "is_barrier", False):
            step.workdir = str(out / "work" / f"{len(phases) - 1}_{stage_cfg.name}")
            phases[-1].barrier = step
            phases.append(Phase())
        else:
            phases[-1].stages.append(step)
    return phases, columns


def input_reader(cfg: RunConfig, units: list):
    files = [u[0] for u in units]
    fmt = cfg.input.format
    bad = sorted(f for f in files if format_of(f) != fmt)
    if bad:
        raise ConfigError(f"input.paths: {bad[0]} is not {fmt} (input.format); the files are {describe_formats(files)}")
    if fmt == "warc":
        return WarcReader(units, limit=cfg.input.limit, source=cfg.name)
    if fmt == "pdf":
        from ocr.reader import PdfReader

        return PdfReader.from_config(units, limit=cfg.input.limit, source=cfg.name, options=cfg.input.pdf)
    return DocumentReader(units, limit=cfg.input.limit, source=cfg.name)


def phase_pipelines(cfg: RunConfig, units: list, tasks: int) -> list[tuple[list, object]]:
    """[(steps, barrier)] for each phase, in order."""
    out = Path(cfg.output)
    phases, columns = plan(cfg, list(dict.fromkeys(u[0] for u in units)))  # a split file once
    result = []
    previous = None
    for k, phase in enumerate(phases):
        steps: list = []
        if k == 0:
            steps.append(input_reader(cfg, units))
        else:
            work = [str(out / "work" / str(k - 1) / f"{r:05d}.parquet") for r in range(tasks)]
            steps += [DocumentReader(work, aligned=True), previous]
        steps += phase.stages
        if phase.barrier is not None:
            steps += [phase.barrier.key_step(), WorkWriter(str(out / "work" / str(k)), columns, cfg.tokenizer)]
        else:
            steps.append(DocumentsWriter(str(out / "documents"), columns, cfg.tokenizer))
            if cfg.shards:
                steps.append(ShardWriter(str(out / "shards")))
        steps.append(CommitStep())
        result.append((steps, phase.barrier))
        previous = phase.barrier
    return result


def _check_output_dir(out: Path, config_hash: str, tasks: int) -> None:
    manifest = out / "manifest.json"
    if manifest.is_file():
        previous = json.loads(manifest.read_text()).get("config_hash")
        if previous != config_hash:
            raise ConfigError(
                f"output: {out} holds a run of a different config (hash {previous}, now {config_hash}); "
                "choose another --output or delete that directory"
            )
    pending = out / "logs" / "winnow_config_hash"
    if pending.is_file() and pending.read_text().strip() != config_hash:
        raise ConfigError(f"output: {out} holds an unfinished run of a different config; delete it or choose another --output")
    # Task r of a resumed run must redo exactly what task r of the first attempt did.
    started = out / "logs" / "winnow_tasks"
    if started.is_file() and int(started.read_text()) != tasks:
        raise ConfigError(
            f"output: {out} was started with {int(started.read_text())} task(s), now {tasks}; resume it with "
            f"--tasks {int(started.read_text())}, or start over with --overwrite or another --output"
        )


def build_jobs(cfg: RunConfig) -> tuple[list, int]:
    """The chain of executors for ``cfg`` (last first depends on the rest) and the task count."""
    out = Path(cfg.output)
    files = resolve_inputs(cfg.input.paths)
    config_hash = cfg.config_hash()
    units = split_units(files, cfg.input.split_mb * 2**20)
    tasks = min(cfg.executor.tasks, max(len(units), 1))
    _check_output_dir(out, config_hash, tasks)
    phases = phase_pipelines(cfg, units, tasks)  # builds every stage before any work starts
    assets = stage_assets([s for steps, _ in phases for s in steps])  # checksums now, before any job runs
    try:
        (out / "logs").mkdir(parents=True, exist_ok=True)
        (out / "logs" / "winnow_config_hash").write_text(config_hash)
    except OSError as e:
        raise ConfigError(f"output: cannot write to {out}: {e.strerror or e}") from None
    (out / "logs" / "winnow_tasks").write_text(str(tasks))

    jobs: list[tuple[str, list, int]] = []
    for k, (steps, barrier) in enumerate(phases):
        jobs.append((str(k), steps, tasks))
        if barrier is not None:
            jobs.append((f"{k}-barrier", [BarrierStep(barrier, tasks)], 1))
    barriers = [b.workdir for _, b in phases if b is not None]
    jobs.append(("finalize", [FinalizeStep(cfg, files, config_hash, tasks, len(phases), barriers, assets)], 1))
    executor = None
    for name, steps, n in jobs:
        executor = make_executor(cfg.executor, steps, n, str(out / "logs" / name), depends=executor,
                                 job_name=f"winnow-{cfg.name}-{name}")
    return executor, tasks


def run(cfg: RunConfig) -> RunResult | None:
    """Run ``cfg`` end to end (local, ray) and return its stats and manifest; on Slurm, submit and return None."""
    out = Path(cfg.output)
    if cfg.executor.kind == "ray":
        import_ray()  # a missing package is an install hint before any work starts, not a traceback
    last, tasks = build_jobs(cfg)
    started_ray = cfg.executor.kind == "ray" and connect_ray(cfg.executor)
    t0, cpu0 = time.time(), _cpu_seconds()
    try:
        last.run()
    finally:
        if started_ray:  # disconnect, and stop the local instance if connect_ray started one
            import_ray().shutdown()
    if cfg.executor.kind == "slurm":
        return None
    stats = json.loads((out / "stats.json").read_text())
    if cfg.executor.kind == "local":
        stats["run"].update(wall_seconds=round(time.time() - t0, 3), cpu_seconds=round(_cpu_seconds() - cpu0, 3))
        write_json(out / "stats.json", stats)
    return RunResult(out, stats, json.loads((out / "manifest.json").read_text()))


def _cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def clean_output(out: str | Path) -> None:
    """Delete a run directory (``winnow run --overwrite``)."""
    shutil.rmtree(out, ignore_errors=True)
