"""The cross-task steps of a run: a barrier's cluster step (and its parallel part), and the last job that writes
the run's files.

``finalize`` runs once every task of every phase has finished (its job depends on the last phase), in
this order: ``stats.json`` (the funnel with every stage's and job's CPU and wall seconds), then
``manifest.json``, then ``report.html`` (which reads both), so a Slurm or Ray run that the command
only submitted still ends with the full output contract, timings included.
"""

from __future__ import annotations

import json
import time

from datatrove.pipeline.base import PipelineStep

from pipeline.atomic import atomic_write_json
from pipeline.layout import RunLayout


class BarrierStep(PipelineStep):
    """The cross-task step of a barrier stage (dedup's join, a top-fraction cut), as a one-task job."""

    type = "barrier"
    step = "cluster"  # the step's name after the stage's

    def __init__(self, barrier, tasks: int):
        self.name = f"{barrier.stage_name}:{self.step}"
        super().__init__()
        self.barrier, self.tasks = barrier, tasks

    def __repr__(self) -> str:
        return self.name

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        done = RunLayout.barrier_done(self.barrier.workdir)
        if not done.is_file():  # resuming after it already ran: keep its result
            atomic_write_json(done, self.barrier.cluster(self.tasks))
        yield from ()


class ClusterPartStep(BarrierStep):
    """The parallel part of a barrier's cluster step (dedup: one task's bands and key ranges), one task each."""

    step = "cluster_part"

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        for key, value in self.barrier.cluster_part(self.tasks, rank, world_size).items():
            self.stat_update(key, value=value, unit="task")
        yield from ()


class FinalizeStep(PipelineStep):
    """Last job: aggregate the tasks' stats and timings, then write the manifest, then the report.

    ``jobs`` is the run's list of (job name, tasks) before this one; ``barriers`` maps each barrier
    stage's name to its work directory.
    """

    type = "finalize"
    name = "finalize"

    def __init__(self, cfg, files: list[str], config_hash: str, tasks: int, n_phases: int,
                 barriers: dict[str, str], jobs: list[tuple[str, int]], assets: list[dict]):
        super().__init__()
        self.cfg, self.files, self.config_hash = cfg, files, config_hash
        self.tasks, self.n_phases, self.barriers, self.jobs, self.assets = tasks, n_phases, barriers, jobs, assets

    def __repr__(self) -> str:
        return self.name

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        from pipeline.manifest import build_manifest
        from pipeline.report import write_report
        from pipeline.stats import aggregate_stats, drop_alarms, job_timings

        layout = RunLayout(self.cfg.output)
        stats = aggregate_stats(layout, self.n_phases, self.tasks)
        stats["alarms"] = drop_alarms(stats, self.cfg.drop_alarm)
        if self.barriers:
            stats["barriers"] = {stage: json.loads(RunLayout.barrier_done(workdir).read_text())
                                 for stage, workdir in self.barriers.items()}
        jobs = {job: job_timings(layout.job_stats(job), n) for job, n in self.jobs}
        cpu = round(sum(j["cpu_seconds"] for j in jobs.values()), 3)
        started = float(layout.started_file.read_text()) if layout.started_file.is_file() else None
        # The run's wall time is this invocation's, start to now (startup and the gaps between jobs
        # included); a resumed run did part of its work earlier, so it has no honest documents per second.
        wall = round(time.time() - started, 3) if started is not None else None
        resumed = started is None or any(j.get("first_started", started) < started for j in jobs.values())
        stats["jobs"] = jobs
        stats["run"] = {
            "executor": self.cfg.executor.kind, "tasks": self.tasks, "phases": self.n_phases,
            "tokenizer": self.cfg.tokenizer, "cpu_seconds": cpu, "wall_seconds": wall, "resumed": resumed,
            "started": started,
            "task_seconds": round(sum(j["wall_seconds"] for j in jobs.values()), 3),
            "documents_per_second": round(stats["input"] / wall, 1) if wall and not resumed else None,
            "documents_per_cpu_second": round(stats["input"] / cpu, 1) if cpu else None,
        }
        stats["work_disk_bytes"] = work_disk(layout.work_root)
        atomic_write_json(layout.stats, stats)
        atomic_write_json(layout.manifest, build_manifest(self.cfg, self.files, self.assets, self.config_hash))
        if self.cfg.report:
            write_report(layout.out)
        yield from ()


def work_disk(work) -> dict[str, int]:
    """Bytes under ``OUT/work`` by folder (a phase's documents, a barrier's keys, pairs and decisions), as the
    run left them: what a run of this size needs on its work disk besides its output."""
    out: dict[str, int] = {}
    if not work.is_dir():
        return out
    for folder in sorted(p for p in work.iterdir() if p.is_dir()):
        subs = [p for p in folder.iterdir() if p.is_dir()]
        for part in [folder, *subs]:
            size = sum(f.stat().st_size for f in part.iterdir() if f.is_file())
            if size or part is not folder:
                out[str(part.relative_to(work))] = size
    return out

