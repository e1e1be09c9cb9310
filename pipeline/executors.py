"""A run as a chain of datatrove jobs, on datatrove's Local, Slurm or Ray executor (no scheduler of our own).

A run is a list of jobs, each a datatrove executor that depends on the one before it:

    phase 0 (N tasks) -> <barrier> cross-task step (1 task) -> phase 1 (N tasks) -> ... -> finalize (1 task)

``finalize`` (``pipeline.finalize``) writes OUT/stats.json, OUT/manifest.json and OUT/report.html, so
a Slurm run that the command only submitted still ends with the full output contract. Every job keeps datatrove's
per-task completion markers under OUT/logs/<job>/, which is what makes reruns resume.

Local runs block; Ray runs block on the cluster at ``executor.ray_address`` (or ``$RAY_ADDRESS``), else on
a local Ray instance started for the run; Slurm runs submit one job array per phase with ``afterok``
dependencies and return.
"""

from __future__ import annotations

import functools
import math
import os
import sys
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor
from datatrove.executor.ray import RayPipelineExecutor  # imports without ray installed

from pipeline.config import ExecutorConfig
from pipeline.errors import WinnowError


def terminal_logs(verbose: bool) -> None:
    """datatrove's own log lines on the terminal: warnings and errors only, or everything with ``-v``.

    Each task's full log is written to ``OUT/logs/<job>/logs/task_<rank>.log`` either way."""
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="DEBUG" if verbose else "WARNING")


class _QuietTasks:
    """Executor mixin: with ``quiet``, a task's INFO lines go to its log file only; warnings (a skipped bad
    record, named with its file) and errors still reach the terminal.

    datatrove's task logger (``add_task_logger``) sends INFO to the terminal for local rank 0 and ERROR
    only for the others, and ``close_task_logger`` re-adds a DEBUG terminal sink when the task ends. A
    quiet task therefore sets up its logger as a non-zero local rank plus a terminal sink for warnings,
    and restores the quiet driver sink afterwards. (On Ray a task's terminal is its worker's log under
    Ray's session directory: the driver connects with ``log_to_driver=False``.)"""

    quiet = False

    def _run_for_rank(self, rank: int, local_rank: int = 0, node_rank: int = -1):
        if not self.quiet:
            return super()._run_for_rank(rank, local_rank, node_rank)
        run_for_rank = super()._run_for_rank
        module = sys.modules[run_for_rank.__func__.__module__]  # where datatrove looks add_task_logger up
        datatrove_logger = module.add_task_logger
        module.add_task_logger = _quiet_task_logger(datatrove_logger)
        try:
            return run_for_rank(rank, local_rank, node_rank)
        finally:
            module.add_task_logger = datatrove_logger
            terminal_logs(verbose=False)


_TASK_LOG_FORMAT = "{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <8} | {name}:{function}:{line} - {message}"


def _not_a_winnow_error(record) -> bool:
    return not (record["exception"] and isinstance(record["exception"].value, WinnowError))


def _cache_loguru_lib_dirs() -> None:
    """loguru works out the interpreter's library folders from sysconfig each time a sink is added, and every task
    adds five (docs/measurements.md). They do not change within a process."""
    from loguru import _better_exceptions

    fmt = _better_exceptions.ExceptionFormatter
    if not hasattr(fmt._get_lib_dirs, "cache_info"):
        fmt._get_lib_dirs = staticmethod(functools.lru_cache(maxsize=1)(fmt._get_lib_dirs))


def _quiet_task_logger(datatrove_logger):
    _cache_loguru_lib_dirs()

    def add_task_logger(logging_dir, rank, local_rank=0, node_rank=-1):
        from loguru import logger

        logfile = datatrove_logger(logging_dir, rank, 1, node_rank=node_rank)  # opens the task's log file
        # datatrove's terminal sink prints a failed task's error with its traceback. A WinnowError (an endpoint
        # that stayed down, say) is a message for the person: the CLI prints it as one line; the file keeps it all.
        logger.remove()
        logger.add(logfile, level="DEBUG", format=_TASK_LOG_FORMAT, colorize=False)
        logger.add(sys.stderr, level="WARNING", format="winnow: warning: {message}",
                   filter=lambda record: record["level"].no < 40)  # warnings too, once each
        logger.add(sys.stderr, level="ERROR", format=_TASK_LOG_FORMAT, filter=_not_a_winnow_error)
        return logfile

    return add_task_logger


class RayExecutor(_QuietTasks, RayPipelineExecutor):
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


class LocalExecutor(_QuietTasks, LocalPipelineExecutor):
    """datatrove's local executor, with quiet task logs; its pool stops even when SIGTERM killed its workers."""

    def run(self):
        from multiprocess.pool import Pool

        original = Pool.__dict__["_terminate_pool"]
        if not getattr(original.__func__, "winnow", False):  # (a job runs the job it depends on first, nested)
            Pool._terminate_pool = _terminate_pool_of_killed_workers(original)
        try:
            return super().run()
        finally:
            Pool._terminate_pool = original


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


def _terminate_pool_of_killed_workers(terminate_pool):
    """``Pool._terminate_pool`` that first kills the workers, then frees the queue locks a killed worker held.

    SIGTERM reaches every worker too (``kill -TERM -<pgid>``; Slurm's time limit or a preemption signals every
    process of the job). A worker waiting for its next task holds the task queue's read lock; killed there, it
    never releases it, and the pool's own stop, which takes that lock first, waited for it forever (as it would
    for the result queue's write lock, had a worker been killed while it sent a result). The pool
    stop kills its workers anyway (SIGTERM, whose default action is the same as SIGKILL's for them), so here
    they are killed and reaped first; every lock still held then belongs to a dead process and is released
    for it. Unfinished tasks keep only their ``.part`` files, as before.
    """

    from multiprocess.pool import TERMINATE

    def _terminate(cls, taskqueue, inqueue, outqueue, pool, change_notifier, worker_handler, *rest):
        worker_handler._state = TERMINATE  # start no replacement workers
        change_notifier.put(None)
        worker_handler.join()
        for p in list(pool):
            if p.exitcode is None:
                p.kill()
        for p in list(pool):
            p.join()
        # the task queue's read lock is only the workers'; the result queue's write lock is also the driver's task
        # thread's, which holds it for a moment (its last put): a lock held for a second belongs to the dead
        for lock, wait in ((inqueue._rlock, 0), (outqueue._wlock, 1.0)):
            if lock is not None:
                lock.acquire(timeout=wait)  # free: now taken; held by a dead worker: still taken
                lock.release()
        return terminate_pool.__func__(cls, taskqueue, inqueue, outqueue, pool, change_notifier, worker_handler,
                                       *rest)

    _terminate.winnow = True
    return classmethod(_terminate)


def make_executor(ex: ExecutorConfig, steps: list, tasks: int, logging_dir: str, depends=None, job_name: str = "winnow",
                  quiet: bool = False):
    """One datatrove executor of the configured kind; ``quiet``: task logs to files only (local, ray)."""
    if ex.kind == "local":
        workers = tasks if ex.workers == -1 else min(ex.workers, tasks)
        if workers > 1:
            _start_forkserver_deaf_to_ctrl_c()
        executor = LocalExecutor(steps, tasks=tasks, workers=workers, logging_dir=logging_dir, depends=depends,
                                 skip_completed=True)
        executor.quiet = quiet
        return executor
    if ex.kind == "ray":
        executor = RayExecutor(
            steps, tasks=tasks, workers=ex.workers, logging_dir=logging_dir, depends=depends, skip_completed=True,
            cpus_per_task=ex.cpus_per_task, mem_per_cpu_gb=ex.mem_per_cpu_gb,
            time=None if ex.time is None else int(ex.time),
        )
        executor.quiet = quiet
        return executor
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


def require_sbatch() -> None:
    """``--executor slurm`` submits with ``sbatch``: without it there is no cluster to submit to (checked before
    any work starts, as the missing input would otherwise be reported first)."""
    import shutil

    if shutil.which("sbatch") is None:
        raise WinnowError("--executor slurm needs a Slurm cluster: no `sbatch` on PATH (run it on a login node)")


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
