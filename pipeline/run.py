"""Build a datatrove pipeline from a RunConfig, run it on datatrove's executor, write stats and manifest.

The run directory ``OUT`` holds ``documents/``, ``removed/``, optional
``shards/``, ``stats.json``, ``manifest.json`` and ``logs/`` (datatrove's
per-task logs, stats and completion markers). Running the same command again
skips the tasks that completed, so an interrupted run resumes; an ``OUT`` that
holds a run of a different config is refused rather than mixed.
"""

from __future__ import annotations

import json
import resource
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor

from filters.base import WinnowFilter
from pipeline.config import RunConfig
from pipeline.errors import ConfigError
from pipeline.manifest import build_manifest
from pipeline.outputs import DocumentsWriter, RemovedWriter, ShardWriter
from pipeline.registry import get_stage
from pipeline.stats import aggregate_stats
from pipeline.warc import WarcReader, resolve_inputs


@dataclass
class RunResult:
    output: Path
    stats: dict
    manifest: dict


def build_pipeline(cfg: RunConfig, files: list[str]) -> list:
    """The list of datatrove steps a config describes (reader, stages, writers)."""
    out = Path(cfg.output)
    if cfg.input.format != "warc":
        raise ConfigError(f"input.format: {cfg.input.format!r} is not readable by `winnow run` yet; use warc")
    steps: list = [WarcReader(files, limit=cfg.input.limit, source=cfg.name)]
    quality_columns: tuple[str, ...] = ()
    for stage in cfg.stages:
        cls = get_stage(stage.name)
        kwargs = dict(stage.params)
        if issubclass(cls, WinnowFilter):
            kwargs["exclusion_writer"] = RemovedWriter(str(out / "removed"), stage.name, quality_columns)
        steps.append(cls(**kwargs))
    steps.append(DocumentsWriter(str(out / "documents"), quality_columns))
    if cfg.shards:
        steps.append(ShardWriter(str(out / "shards")))
    return steps


def _check_output_dir(cfg: RunConfig, out: Path, config_hash: str) -> None:
    manifest = out / "manifest.json"
    if manifest.is_file():
        previous = json.loads(manifest.read_text()).get("config_hash")
        if previous != config_hash:
            raise ConfigError(
                f"output: {out} holds a run of a different config (hash {previous}, now {config_hash}); "
                "choose another --output or delete that directory"
            )
    elif (out / "logs").exists():
        # A run that died before its manifest: the config is recorded in the pending marker.
        pending = out / "logs" / "winnow_config_hash"
        if pending.is_file() and pending.read_text().strip() != config_hash:
            raise ConfigError(f"output: {out} holds an unfinished run of a different config; delete it or choose another --output")


def run(cfg: RunConfig, progress: bool = False) -> RunResult:
    """Run ``cfg`` end to end and return its stats and manifest."""
    out = Path(cfg.output)
    files = resolve_inputs(cfg.input.paths)
    config_hash = cfg.config_hash()
    _check_output_dir(cfg, out, config_hash)
    pipeline = build_pipeline(cfg, files)  # builds every stage: bad params and missing models fail here

    (out / "logs").mkdir(parents=True, exist_ok=True)
    (out / "logs" / "winnow_config_hash").write_text(config_hash)
    tasks = min(cfg.executor.tasks, max(len(files), 1))
    executor = LocalPipelineExecutor(
        pipeline=pipeline,
        tasks=tasks,
        workers=min(cfg.executor.workers, tasks),
        logging_dir=str(out / "logs"),
        skip_completed=True,
    )
    t0 = time.time()
    cpu0 = _cpu_seconds()
    executor.run()
    wall, cpu = time.time() - t0, _cpu_seconds() - cpu0

    stats = aggregate_stats(out / "logs" / "stats", cfg, tasks)
    stats["run"] = {"tasks": tasks, "wall_seconds": round(wall, 3), "cpu_seconds": round(cpu, 3)}
    _write_json(out / "stats.json", stats)
    manifest = build_manifest(cfg, files, pipeline, config_hash)
    _write_json(out / "manifest.json", manifest)
    return RunResult(out, stats, manifest)


def _cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    tmp.replace(path)


def clean_output(out: str | Path) -> None:
    """Delete a run directory (``winnow run --overwrite``)."""
    shutil.rmtree(out, ignore_errors=True)
