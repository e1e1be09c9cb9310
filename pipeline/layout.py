"""Where everything of a run lives under its output directory ``OUT`` (the only module that builds these paths).

::

    OUT/documents/<rank>.parquet          kept documents
    OUT/removed/<stage>_<rank>.parquet    dropped documents of one stage
    OUT/shards/<rank>.jsonl.zst           optional training shards
    OUT/work/<phase>/<rank>.parquet       documents between phases (before a barrier)
    OUT/work/<phase>_<stage>/             a barrier stage's keys and decisions:
        keys/<rank>.<name>                    its key step's files (dedup: one per band, order, ids, ...)
        scores/<rank>.npy                     or its per-document rows (score thresholds, ensembles)
        pairs/<rank>.npz                      one cluster task's verified pairs (dedup)
        assign/<rank>.npz  <rank>.ids.json    per-task decisions and the ids they name (dedup)
        <name>.json                           a decision every task reads (cut, edges) or a summary (cluster)
        barrier_done.json                     the cluster step's summary, once it has run
    OUT/work/cache_<stage>/               a stage's answers from an endpoint, kept across reruns (rephrase_v1)
    OUT/logs/<job>/                       datatrove's per-task logs, stats and completion markers
    OUT/logs/<job>/commits/<rank>.json    a task's renames while it commits (pipeline.commit)
    OUT/logs/winnow_config_hash           the config an unfinished run was started with
    OUT/logs/winnow_tasks                 its task count (a resume must use the same)
    OUT/logs/winnow_started               when the latest invocation started (the run's wall time counts from it)
    OUT/stats.json  OUT/manifest.json  OUT/report.html
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunLayout:
    out: Path

    def __init__(self, out: str | Path):
        object.__setattr__(self, "out", Path(out))

    @property
    def documents(self) -> Path:
        return self.out / "documents"

    @property
    def removed(self) -> Path:
        return self.out / "removed"

    @property
    def shards(self) -> Path:
        return self.out / "shards"

    @property
    def logs(self) -> Path:
        return self.out / "logs"

    @property
    def stats(self) -> Path:
        return self.out / "stats.json"

    @property
    def manifest(self) -> Path:
        return self.out / "manifest.json"

    @property
    def report(self) -> Path:
        return self.out / "report.html"

    @property
    def config_hash_file(self) -> Path:
        return self.logs / "winnow_config_hash"

    @property
    def tasks_file(self) -> Path:
        return self.logs / "winnow_tasks"

    @property
    def started_file(self) -> Path:
        """When the latest invocation of the run started (Unix seconds): its wall time counts from there."""
        return self.logs / "winnow_started"

    @property
    def work_root(self) -> Path:
        """Everything between the phases of a run (``OUT/work``)."""
        return self.out / "work"

    def work(self, phase: int) -> Path:
        """Documents phase ``phase`` hands to the next one."""
        return self.out / "work" / str(phase)

    def work_file(self, phase: int, rank: int) -> Path:
        return self.work(phase) / f"{rank:05d}.parquet"

    def barrier_dir(self, phase: int, stage: str) -> Path:
        """Keys and decisions of the barrier stage ``stage`` that ends phase ``phase``."""
        return self.out / "work" / f"{phase}_{stage}"

    def stage_cache(self, stage: str) -> Path:
        """What a stage that calls an endpoint has been answered so far (``rephrase_v1``): a rerun reads it."""
        return self.out / "work" / f"cache_{stage}"

    @staticmethod
    def barrier_done(workdir: str | Path) -> Path:
        """The cluster step's summary; present once it has run (a resumed run keeps it)."""
        return Path(workdir) / "barrier_done.json"

    @staticmethod
    def barrier_keys(workdir: str | Path, rank: int, name: str) -> Path:
        """Task ``rank``'s key file ``name`` from a barrier's key step (dedup: ``band000``, ``order``, ``ids``, ...)."""
        return Path(workdir) / "keys" / f"{rank:05d}.{name}"

    @staticmethod
    def barrier_rows(workdir: str | Path, rank: int) -> Path:
        """Task ``rank``'s per-document rows (one ``.npy`` array) from the key step of a barrier that decides on
        numbers (``filters.threshold.KeyRows``)."""
        return Path(workdir) / "scores" / f"{rank:05d}.npy"

    @staticmethod
    def barrier_assignment(workdir: str | Path, rank: int) -> Path:
        """What the cluster step decided for each document of task ``rank`` (dedup)."""
        return Path(workdir) / "assign" / f"{rank:05d}.npz"

    @staticmethod
    def barrier_pairs(workdir: str | Path, rank: int) -> Path:
        """Cluster task ``rank``'s verified pairs (dedup: an ``.npz`` of global rows and its counts)."""
        return Path(workdir) / "pairs" / f"{rank:05d}.npz"

    @staticmethod
    def barrier_assigned_ids(workdir: str | Path, rank: int) -> Path:
        """The document ids task ``rank``'s decisions refer to by number (dedup: its rows' representatives)."""
        return Path(workdir) / "assign" / f"{rank:05d}.ids.json"

    @staticmethod
    def barrier_decision(workdir: str | Path, name: str) -> Path:
        """``<name>.json``: a decision of the cluster step that every task reads (``cut``, ``edges``) or its
        summary (``cluster``)."""
        return Path(workdir) / f"{name}.json"

    def job_logs(self, job: str) -> Path:
        """Logs of one datatrove job: a phase (``0``, ``1``), a barrier (``0-barrier``) or ``finalize``."""
        return self.logs / job

    def job_stats(self, job: str) -> Path:
        """datatrove's per-task stats of one job (``<rank>.json``)."""
        return self.job_logs(job) / "stats"

    def phase_stats(self, phase: int) -> Path:
        """datatrove's per-task stats of one phase (``<rank>.json``)."""
        return self.job_stats(str(phase))

    def completions(self, job: str) -> Path:
        """datatrove's completion markers of one job's finished tasks (one file a rank)."""
        return self.job_logs(job) / "completions"

    def commits(self, job: str) -> Path:
        """Commit journals of one job's tasks that were killed while renaming (``pipeline.commit``)."""
        return self.job_logs(job) / "commits"

    def progress(self, job: str) -> Path:
        """Per-task progress counters of one job (``pipeline.progress``)."""
        return self.job_logs(job) / "progress"
