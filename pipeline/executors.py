"""A run as a chain of datatrove jobs, on datatrove's Local, Slurm or Ray executor (no scheduler of our own).

A run is a list of jobs, each a datatrove executor that depends on the one before it:

    phase 0 (N tasks) -> <barrier> cross-task step (1 task) -> phase 1 (N tasks) -> ... -> finalize (1 task)

``finalize`` writes OUT/stats.json, OUT/manifest.json and OUT/report.html, so a Slurm run that the
command only submitted still ends with the full output contract. Every job keeps datatrove's
per-task completion markers under OUT/logs/<job>/, which is what makes reruns resume.

Local runs block; Ray runs block on the cluster at ``executor.ray_address`` (or ``$RAY_ADDRESS``), else on
a local Ray instance started for the run; Slurm runs submit one job array per phase with ``afterok``
dependencies and return.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

from datatrove.executor.ray import RayPipelineExecutor  # imports without ray installed
from datatrove.pipeline.base import PipelineStep

from pipeline.config import ExecutorConfig
from pipeline.errors import WinnowError


class BarrierStep(PipelineStep):
    """The cross-task step of a barrier stage (dedup clustering, a top-fraction cut), as a one-task job."""

    type = "barrier"

    def __init__(self, barrier, tasks: int):
        self.name = f"{barrier.stage_name}:cluster"
        super().__init__()
        self.barrier, self.tasks = barrier, tasks

    def __repr__(self) -> str:
        return self.name

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        done = Path(self.barrier.workdir) / "barrier_done.json"
        if not done.is_file():  # resuming after it already ran: keep its result
            summary = self.barrier.cluster(self.tasks)
            write_json(done, summary)
        yield from ()


class FinalizeStep(PipelineStep):
    """Last job: aggregate the tasks' stats, write the manifest and the report."""

    type = "finalize"
    name = "finalize"

    def __init__(self, cfg, files: list[str], config_hash: str, tasks: int, n_phases: int, barriers: list[str],
                 assets: list[dict]):
        super().__init__()
        self.cfg, self.files, self.config_hash = cfg, files, config_hash
        self.tasks, self.n_phases, self.barriers, self.assets = tasks, n_phases, barriers, assets

    def __repr__(self) -> str:
        return self.name

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        from pipeline.manifest import build_manifest
        from pipeline.report import write_report
        from pipeline.stats import aggregate_stats, drop_alarms

        out = Path(self.cfg.output)
        stats = aggregate_stats(out / "logs", self.n_phases, self.tasks)
        stats["alarms"] = drop_alarms(stats, self.cfg.drop_alarm)
        barriers = {}
        for workdir in self.barriers:
            done = Path(workdir) / "barrier_done.json"
            barriers[Path(workdir).name.split("_", 1)[1]] = json.loads(done.read_text())
        if barriers:
            stats["barriers"] = barriers
        stats["run"] = {"executor": self.cfg.executor.kind, "tasks": self.tasks, "phases": self.n_phases}
        write_json(out / "stats.json", stats)
        write_json(out / "manifest.json", build_manifest(self.cfg, self.files, self.assets, self.config_hash))
        if self.cfg.report:
            write_report(out)
        yield from ()


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)


class RayExecutor(RayPipelineExecutor):
    """datatrove's Ray executor, but a job whose tasks failed raises instead of returning.

    datatrove's RayPipelineExecutor only logs "Only k/n tasks completed" when a task raised, and the job
    that depends on it then polls the completion markers every two minutes, forever: a failed shard
    would hang `winnow run --executor ray` instead of failing it (the local executor raises).
    """

    def run(self):
        super().run()
        if incomplete := self.get_incomplete_ranks(skip_completed=True):
            raise RuntimeError(
                f"{len(incomplete)} of {self.world_size} Ray task(s) failed (ranks {incomplete[:10]}); see "
                f"{self.logging_dir.resolve_paths('logs')}/task_*.log; run the same command again to resume them"
            )


def _start_forkserver_deaf_to_ctrl_c() -> None:
    """Start the forkserver that datatrove's local pool forks its workers from with SIGINT ignored.

    Ctrl-C reaches the whole process group. The driver alone should answer it (the pool is terminated,
    unfinished tasks keep only ``.part`` files); a worker that inherits "ignore" from birth prints no
    traceback, even while it is still starting. The forkserver hands its children the SIGINT handling
    it was started with, and an ignored signal stays ignored across exec, so it is started here, once.
    """
    import signal

    from multiprocess import forkserver

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


def make_executor(ex: ExecutorConfig, steps: list, tasks: int, logging_dir: str, depends=None, job_name: str = "winnow"):
    """One datatrove executor of the configured kind."""
    if ex.kind == "local":
        from datatrove.executor import LocalPipelineExecutor

        workers = tasks if ex.workers == -1 else min(ex.workers, tasks)
        if workers > 1:
            _start_forkserver_deaf_to_ctrl_c()
        return LocalPipelineExecutor(steps, tasks=tasks, workers=workers, logging_dir=logging_dir, depends=depends,
                                     skip_completed=True)
    if ex.kind == "ray":
        return RayExecutor(
            steps, tasks=tasks, workers=ex.workers, logging_dir=logging_dir, depends=depends, skip_completed=True,
            cpus_per_task=ex.cpus_per_task, mem_per_cpu_gb=ex.mem_per_cpu_gb,
            time=None if ex.time is None else int(ex.time),
        )
    if ex.kind == "slurm":
        from datatrove.executor.slurm import SlurmPipelineExecutor

        # datatrove writes `--mem-per-cpu={mem}G`, and Slurm wants an integer there (Slurm 22.05 refuses "2.0G":
        # "Invalid --mem-per-cpu specification"), so whole gigabytes go as an int and fractions as megabytes.
        mem, sbatch_args = ex.mem_per_cpu_gb, dict(ex.sbatch_args or {})
        if float(mem).is_integer():
            mem = int(mem)
        else:
            sbatch_args = {"mem-per-cpu": f"{math.ceil(mem * 1024)}M", **sbatch_args}
        return SlurmPipelineExecutor(
            steps, tasks=tasks, time=ex.time, partition=ex.partition, cpus_per_task=ex.cpus_per_task,
            mem_per_cpu_gb=mem, workers=ex.workers, job_name=job_name, logging_dir=logging_dir,
            depends=depends, sbatch_args=sbatch_args, skip_completed=True,
            # jobs run with this installation's Python and packages
            env_command=f"source {Path(sys.prefix) / 'bin' / 'activate'}",
        )
    raise ValueError(f"unknown executor kind {ex.kind!r}")


def import_ray():
    """The ray module, or a WinnowError naming the install command (checked before any work starts)."""
    try:
        import ray
    except ImportError:
        raise WinnowError("the Ray executor needs the ray package: pip install -e '.[ray]' "
                          "(or make .venv/.winnow-ray)") from None
    return ray


def connect_ray(ex: ExecutorConfig) -> bool:
    """Connect this driver to the cluster at ``executor.ray_address`` or ``$RAY_ADDRESS``; with neither,
    start a local Ray instance for this run (Ray's convention when no address is given).

    The local instance is the run's own (``address="local"``: a cluster already running on this machine
    is joined only with ``RAY_ADDRESS=auto``); it gets ``workers * cpus_per_task`` CPUs (all cores when
    workers is -1), binds to 127.0.0.1 only, and has no dashboard. Returns True when this call
    initialised Ray: the caller then calls ``ray.shutdown()`` when the run ends, which disconnects from
    a cluster and stops a local instance's processes.
    """
    ray = import_ray()
    if ray.is_initialized():  # a driver of the caller's own (a notebook, the tests)
        return False
    address = ex.ray_address or os.environ.get("RAY_ADDRESS")
    if address:
        try:
            ray.init(address=address, log_to_driver=False)
        except ConnectionError as e:
            where = "executor.ray_address" if ex.ray_address else "$RAY_ADDRESS"
            raise WinnowError(f"{where}: no Ray cluster at {address} ({e}); start one (`ray start --head`) or "
                              "leave both unset to run on a local Ray instance") from None
        return True
    # Ray 2.60 resolves 127.0.0.1 to the interface address, and its servers then listen on every interface,
    # unless clusters are "disabled" (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, read once when ray is imported).
    # Disable them just while the local instance starts: its processes inherit the variable and bind to
    # loopback, and a later connect to a real cluster in this process still reports a reachable address.
    from ray._private import ray_constants

    var = ray_constants.ENABLE_RAY_CLUSTERS_ENV_VAR
    saved_env, saved_flag = os.environ.get(var), ray_constants.ENABLE_RAY_CLUSTER
    os.environ[var], ray_constants.ENABLE_RAY_CLUSTER = "0", False
    try:
        ray.init(address="local", num_cpus=None if ex.workers == -1 else ex.workers * ex.cpus_per_task,
                 include_dashboard=False, log_to_driver=False)
    finally:
        if saved_env is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = saved_env
        ray_constants.ENABLE_RAY_CLUSTER = saved_flag
    return True
