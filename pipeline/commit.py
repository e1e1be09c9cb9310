"""A task's commit: all of its files get their final names, or none do.

Writers write ``<name>.part`` files (and the dedup key step its own temporary files); none renames its own
file, because a step after it can still fail (a dedup stage checks its counts at the end). Each registers the
rename with :func:`when_task_succeeds`, and :class:`CommitStep`, the last step of every job, does them all
once every step before it has finished:

1. the renames are written to a journal, ``OUT/logs/<job>/commits/<rank>.json``, atomically;
2. the files are renamed (``os.replace``), with SIGINT and SIGTERM held until the last one: a Ctrl-C, a
   Slurm time limit or preemption, or a local pool being stopped lands before the commit or after it;
3. the journal is deleted.

A process killed outright (SIGKILL, a lost node) between 1 and 3 leaves the journal; the task's next start
rolls it forward (renames what is still under its temporary name) before doing anything else, so no reader
ever works from a task's files half of which are final. The task itself has no completion marker then
(datatrove writes it after this step), so it runs again and writes the same files.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from pathlib import Path

from datatrove.pipeline.base import PipelineStep

from pipeline.atomic import atomic_write_json

_PENDING: list[tuple[str, str]] = []  # this process's current task: (temporary path, final path)
_rename = os.replace  # atomic on one filesystem; a name of its own so tests can interrupt between renames


def when_task_succeeds(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    """Rename local file ``src`` to ``dst`` when the current task commits (after its last step has finished)."""
    _PENDING.append((os.path.abspath(src), os.path.abspath(dst)))


def journal_path(journal_dir: str | os.PathLike, rank: int) -> Path:
    return Path(journal_dir) / f"{rank:05d}.json"


def roll_forward(journal: Path) -> int:
    """Finish the commit a killed task left in ``journal``; returns the number of files it renamed."""
    if not journal.is_file():
        return 0
    renamed = 0
    for src, dst in json.loads(journal.read_text())["renames"]:
        if os.path.exists(src):
            _rename(src, dst)
            renamed += 1
    journal.unlink()
    return renamed


@contextlib.contextmanager
def signals_held():
    """SIGINT and SIGTERM that arrive inside the block take effect when it ends (Python handlers run in the
    main thread only; elsewhere the journal alone covers the commit)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda signum, frame: got.append(signum)) for s in held}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)
        for s in dict.fromkeys(got):
            signal.raise_signal(s)


def commit(renames: list[tuple[str, str]], journal: Path | None) -> None:
    """Give every file of ``renames`` its final name: all of them, or (after a kill) all of them at the next start."""
    if not renames:
        return
    with signals_held():
        if journal is not None:
            atomic_write_json(journal, {"renames": renames})
        for src, dst in renames:
            _rename(src, dst)
        if journal is not None:
            journal.unlink()


class CommitStep(PipelineStep):
    """The last step of every job: the task's files get their final names once the task has succeeded.

    ``journal_dir``: where this job's commit journals go (``OUT/logs/<job>/commits``); None commits without
    one (a test calling steps directly). It also records the task's CPU seconds and start and end times
    (``pipeline.stats`` adds them up). A failed or interrupted task leaves only temporary files, which its
    rerun overwrites.
    """

    type = "writer"
    name = "commit"

    def __init__(self, journal_dir: str | os.PathLike | None = None):
        super().__init__()
        self.journal_dir = journal_dir

    def __repr__(self) -> str:
        return self.name

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        # The last step's generator is the first to start and the last to end: its span is the task's.
        started, cpu0 = time.time(), time.process_time()
        _reset_peak_rss()
        journal = journal_path(self.journal_dir, rank) if self.journal_dir is not None else None
        if journal is not None:
            roll_forward(journal)
        _PENDING.clear()  # what an earlier, failed task of this process registered
        if data:
            yield from data
        renames = list(_PENDING)
        _PENDING.clear()
        commit(renames, journal)
        # CPU of the whole worker process over the task (every thread), and when it ran (pipeline.stats)
        self.stat_update("task_cpu_seconds", value=time.process_time() - cpu0, unit="task")
        self.stat_update("task_started", value=started, unit="task")
        self.stat_update("task_finished", value=time.time(), unit="task")
        # the worker process's peak resident memory over this task (or, where the peak cannot be reset, over
        # the process's life so far: an upper bound); pipeline.stats reports the largest task of each job
        self.stat_update("task_peak_rss_bytes", value=_peak_rss(), unit="task")


def _reset_peak_rss() -> None:
    """Reset this process's peak-RSS counter (Linux: ``5`` to /proc/self/clear_refs), where the kernel allows it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _peak_rss() -> int:
    """Peak resident memory of this process in bytes (VmHWM, else ru_maxrss)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
