"""Progress of a run while it runs: per-task counter files written by the readers, and a display that polls them.

Tasks may run in worker processes (datatrove's local pool, Ray), so progress goes through files:

- **writer** (:class:`TaskProgress`): the first step of every phase is a reader (``pipeline.readers.UnitReader``);
  when the runner has set ``reader.progress_dir`` (``OUT/logs/<job>/progress/``, ``RunLayout.progress``) the
  reader of task ``rank`` keeps ``<progress_dir>/<rank:05d>.json`` up to date: ``documents`` yielded so far,
  ``bytes_done`` / ``bytes_total`` of the task's input units, and ``done`` once the reader has finished. It is
  rewritten atomically (``pipeline.atomic``) when the task starts, at most once per ``every`` seconds (1 s)
  while it reads, and when the reader ends. The reader already reads the clock once per document for its log
  line, so the per-document cost is one comparison. A reader with ``progress_dir = None`` (the default, e.g. a
  reader used outside a run) writes nothing.
- **display** (:func:`show_progress`): a daemon thread that polls those files and datatrove's completion
  markers (``OUT/logs/<job>/completions/<rank>``) and prints one line per job to ``stream`` (stderr):

  on a terminal, the running job's line is redrawn in place every ``poll`` seconds (0.5 s) and finalised
  when the job ends::

      phase 0    [########------------]  1,234 docs  1,234/s  ETA 0:04  1 of 4 tasks  0:01
      phase 0    [####################]  607 docs  1,234/s  4 of 4 tasks  0:02
      0-barrier  done  0:00

  elsewhere (a log file, CI), a phase prints a plain line every ``every`` seconds (30 s) while it runs and one
  when it ends; a barrier or finalize job prints one line when it ends (its elapsed time).

ETA, and what it is based on (``ETA ?`` whenever there is no honest basis yet):

- phase 0 reads the run's input: its total is the input bytes of the units each task reads (the reader's
  ``shard_bytes``; sizes come from ``stat``, no file is opened), and a task's bytes done is the byte offset its
  reader has reached (WARC: the compressed offset of the current record; JSON lines: the line's offset, or the
  compressed offset for .gz/.zst; parquet: the share of rows read; PDF: whole files). With ``input.limit`` a
  task also counts as documents / limit done. ETA = bytes left / bytes per second so far.
- later phases read the earlier phase's work files, whose parquet footers give the exact document count:
  ETA = documents left / documents per second so far.

Rates count only work done in this attempt: a progress file unchanged since the display started (left by an
earlier, interrupted attempt of a resumed run) counts only for a task that completed then; files are told apart
by their modification stamps, so no clocks of different machines are compared. A job already complete when the display
starts (resume) prints one ``done earlier`` line. The display never raises into the run: an error in the thread
stops the display silently (kept in ``error``), and it prints nothing once its context has exited.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.atomic import atomic_write

WRITE_EVERY = 1.0  # seconds between two writes of a task's progress file
POLL = 0.5  # seconds between two looks at the files
PLAIN_EVERY = 30.0  # seconds between two plain lines of a running phase (not a terminal)
BAR = 20  # characters of the bar
MIN_ETA_SECONDS = 1.0  # no ETA before a phase has run this long
MIN_RATE_SECONDS = 0.5  # no rate over a shorter time (a job that ran between two looks)


class TaskProgress:
    """``<directory>/<rank:05d>.json`` of one task (the reader side); a failed write disables it, with a warning."""

    __slots__ = ("path", "every", "due")

    def __init__(self, directory: str | Path, rank: int, every: float = WRITE_EVERY):
        self.path: Path | None = Path(directory) / f"{rank:05d}.json"
        self.every = every
        self.due = 0.0  # monotonic time of the next write; 0: the first call writes

    def write(self, documents: int, bytes_done: int, bytes_total: int, done: bool = False,
              now: float | None = None) -> None:
        if self.path is None:
            return
        self.due = (time.monotonic() if now is None else now) + self.every
        record = {"documents": documents, "bytes_done": bytes_done, "bytes_total": bytes_total, "done": done}
        try:
            atomic_write(self.path, json.dumps(record))
        except OSError as e:  # progress is a nicety: never fail a task for it
            from datatrove.utils.logging import logger

            logger.warning(f"{self.path}: cannot write progress ({e}); this task reports no more progress")
            self.path = None


def _progress_files(directory: str | Path) -> list:
    """``os.DirEntry`` of the progress files in ``directory`` (not atomic_write's temporary files)."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    return [e for e in entries if len(e.name) == 10 and e.name.endswith(".json") and e.name[:5].isdigit()]


def read_progress(directory: str | Path) -> dict[int, dict]:
    """{rank: record} of the progress files in ``directory`` (missing or half-read files are left out)."""
    out = {}
    for entry in _progress_files(directory):
        name = entry.name
        try:
            out[int(name[:5])] = json.loads(Path(entry.path).read_text())
        except (OSError, ValueError):
            continue
    return out


def _clock(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    h, m, s = seconds // 3600, seconds // 60 % 60, seconds % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _completed(directory: Path) -> set[int]:
    try:
        return {int(n) for n in os.listdir(directory) if len(n) == 5 and n.isdigit()}
    except OSError:
        return set()


@dataclass
class _Job:
    name: str
    tasks: int
    phase: int | None  # k for phase jobs ("0", "1", ...), None for barrier and finalize jobs
    reader: object = None  # the phase's first step, for its shard sizes and limit
    started: float | None = None  # monotonic, when the display saw it become the running job
    ended: float | None = None
    earlier: bool = False  # complete before the display started
    totals: list | None = None  # per task: input bytes (phase 0) or documents (later phases); None: unknown
    next_plain: float = 0.0
    cache: dict = field(default_factory=dict)  # progress file name -> (mtime_ns, size, record)
    last: dict = field(default_factory=dict)  # the latest figures (docs, rate, frac, eta, done)


class ProgressDisplay:
    """The display; use :func:`show_progress`. ``tty`` overrides ``stream.isatty()`` (tests)."""

    def __init__(self, jobs, stream=None, tty: bool | None = None, poll: float = POLL, every: float = PLAIN_EVERY,
                 width: int | None = None):
        self.stream = sys.stderr if stream is None else stream
        if tty is None:
            try:
                tty = self.stream.isatty()
            except (AttributeError, ValueError):
                tty = False
        self.tty, self.poll, self.every = tty, poll, every
        self.width = width
        self.layout = jobs.layout
        steps = _pipelines(jobs.last)
        self.jobs: list[_Job] = []
        for i, (name, n) in enumerate(jobs.names):
            phase = int(name) if name.isdigit() else None
            reader = None
            if phase is not None and i < len(steps) and steps[i]:
                reader = steps[i][0]
            self.jobs.append(_Job(name, n, phase, reader))
        self.label_width = max((len(self._label(j)) for j in self.jobs), default=0)
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._live = ""  # a terminal line drawn without its newline (the cursor at its start)
        self._current = 0  # index of the first job not seen complete
        self._before: dict[str, dict[str, int]] = {}  # job -> progress file -> mtime_ns when the display started

    # ----- context -----

    def __enter__(self):
        try:
            self._before = {job.name: {e.name: e.stat().st_mtime_ns
                                       for e in _progress_files(self.layout.progress(job.name))}
                            for job in self.jobs if job.phase is not None}
            self._tick(first=True)  # jobs already complete (a resumed run) are reported now
        except Exception as e:  # noqa: BLE001 - a display problem must never stop the run from starting
            self.error = e
            return self
        self._thread = threading.Thread(target=self._loop, name="winnow-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        with self._lock:
            self._stop.set()  # from here on the thread prints nothing
        if self._thread is not None:
            self._thread.join(timeout=max(self.poll, 0.1) + 2.0)
        try:
            if exc_type is None:
                self._tick(final=True)  # the jobs' end lines the thread had not printed yet
            if self._live:  # keep the last figures (redrawn over a "^C" echo); what follows starts below
                self._write("\r\x1b[K" + self._live + "\n")
                self._live = ""
        except Exception as e:  # noqa: BLE001 - the display must never turn a finished run into a failure
            self.error = e
        return False

    def _loop(self):
        try:
            while not self._stop.wait(self.poll):
                self._tick()
        except Exception as e:  # noqa: BLE001 - a display problem stops the display, never the run
            self.error = e

    # ----- one look at the files -----

    def _tick(self, first: bool = False, final: bool = False) -> None:
        now = time.monotonic()
        if self._current >= len(self.jobs):
            return
        # complete jobs in order; the first incomplete one is the running job (the chain runs one job at a time)
        done_ranks: dict[int, set[int]] = {}
        running = self._current
        while running < len(self.jobs):
            job = self.jobs[running]
            done_ranks[running] = _completed(self.layout.completions(job.name))
            if len(done_ranks[running]) < job.tasks:
                break
            running += 1
        # the first look (before the run starts) reads only what jobs complete earlier need: no input sizes
        figures = {i: self._figures(self.jobs[i], done_ranks[i], now, with_totals=not first)
                   for i in done_ranks if self.jobs[i].phase is not None and not (first and i == running)}
        with self._lock:
            if self._stop.is_set() and not final:
                return
            for i in range(self._current, running):
                job = self.jobs[i]
                if first:
                    job.earlier = True
                elif job.started is None:  # it started and ended between two looks
                    job.started = now
                job.ended = now
                if i in figures:
                    job.last = figures[i]
                self._end_line(job, len(done_ranks[i]))
            self._current = running
            if running < len(self.jobs) and not final:
                job = self.jobs[running]
                if job.started is None:  # the job before it ended at `now` (or the display just started)
                    job.started = now
                    job.next_plain = job.started + self.every
                if running in figures:
                    job.last = figures[running]
                self._live_line(job, len(done_ranks[running]), now)

    def _figures(self, job: _Job, done_ranks: set[int], now: float, with_totals: bool = True) -> dict:
        """Documents, rate, done fraction and ETA of a phase job from its progress files."""
        if job.totals is None and with_totals:
            job.totals = self._totals(job)
        records = self._records(job, done_ranks)
        docs = sum(r["documents"] for r, _ in records.values())
        new_docs = sum(r["documents"] for r, fresh in records.values() if fresh)
        totals = job.totals
        limit = getattr(job.reader, "limit", -1) if job.phase == 0 else -1
        total = done = new = 0
        known = True  # every task's total is known
        for rank in range(job.tasks):
            rec, fresh = records.get(rank, (None, False))
            if job.phase == 0:
                t = totals[rank] if totals is not None else (rec or {}).get("bytes_total")
                if t is None:
                    known = False
                    continue
                if rank in done_ranks or (rec and rec.get("done")):
                    d = t
                elif rec:
                    d = min(rec.get("bytes_done", 0), t)
                    if limit and limit > 0:
                        d = max(d, t * min(rec["documents"] / limit, 1.0))
                else:
                    d = 0
            else:
                if totals is None:
                    known = False
                    continue
                t = totals[rank]
                d = t if rank in done_ranks or (rec and rec.get("done")) else min(rec["documents"] if rec else 0, t)
            total += t
            done += d
            if fresh:
                new += d
        elapsed = now - (job.started if job.started is not None else now)
        frac = (min(done / total, 1.0) if total else 1.0) if known else None
        eta = None
        if known and elapsed > 0 and elapsed >= MIN_ETA_SECONDS and new > 0:
            eta = max(total - done, 0) / (new / elapsed)
        rate = new_docs / elapsed if elapsed > 0 and elapsed >= MIN_RATE_SECONDS else None
        return {"docs": docs, "rate": rate, "frac": frac, "eta": eta, "reported": len(records)}

    def _totals(self, job: _Job) -> list | None:
        """Per task: input bytes (phase 0) or documents in the earlier phase's work file; None when unknown."""
        if job.phase == 0:
            shard_bytes = getattr(job.reader, "shard_bytes", None)
            if shard_bytes is None:
                return None
            return [shard_bytes(rank, job.tasks) for rank in range(job.tasks)]
        import pyarrow.parquet as pq

        out = []
        for rank in range(job.tasks):
            path = self.layout.work_file(job.phase - 1, rank)
            if not path.exists():
                out.append(0)  # that task kept nothing
                continue
            try:
                out.append(pq.ParquetFile(path).metadata.num_rows)
            except (OSError, ValueError):
                return None
        return out

    def _records(self, job: _Job, done_ranks: set[int]) -> dict[int, tuple[dict, bool]]:
        """{rank: (record, fresh)}; a file unchanged since the display started (an earlier attempt) counts
        only for a task that completed then, and is not fresh."""
        out = {}
        before = self._before.get(job.name, {})
        for entry in _progress_files(self.layout.progress(job.name)):
            name = entry.name
            try:
                st = entry.stat()
            except OSError:
                continue
            cached = job.cache.get(name)
            if cached and cached[0] == st.st_mtime_ns and cached[1] == st.st_size:
                record = cached[2]
            else:
                try:
                    record = json.loads(Path(entry.path).read_text())
                except (OSError, ValueError):
                    continue
                job.cache[name] = (st.st_mtime_ns, st.st_size, record)
            rank = int(name[:5])
            fresh = before.get(name) != st.st_mtime_ns  # written since the display started (no clocks compared)
            if fresh or rank in done_ranks:
                out[rank] = (record, fresh)
        return out

    # ----- lines -----

    def _label(self, job: _Job) -> str:
        return f"phase {job.name}" if job.phase is not None else job.name

    def _bar(self, frac) -> str:
        if frac is None:
            return "[" + "?".center(BAR, "-") + "]"
        filled = int(round(frac * BAR))
        return "[" + "#" * filled + "-" * (BAR - filled) + "]"

    def _end_line(self, job: _Job, done: int) -> None:
        f = job.last or {}
        tasks = f"{done} of {job.tasks} tasks"
        if job.earlier:
            parts = ["done earlier"] + ([_docs(f), tasks] if job.phase is not None else [])
        elif job.phase is None:
            parts = ["done", _clock(job.ended - job.started)]
        else:
            parts = [self._bar(1.0) if self.tty else "done", _docs(f), _rate(f), tasks, _clock(job.ended - job.started)]
        self._emit(self._line(job, parts), final=True)

    def _live_line(self, job: _Job, done: int, now: float) -> None:
        elapsed = _clock(now - job.started)
        if job.phase is None:
            if self.tty:
                self._emit(self._line(job, ["running", elapsed]), final=False)
            return
        f = job.last or {}
        eta = "ETA ?" if f.get("eta") is None else f"ETA {_clock(f['eta'])}"
        docs = f"{f.get('docs', 0):,} docs"  # while it runs, no report yet means none so far
        tasks = f"{done} of {job.tasks} tasks"
        if self.tty:
            self._emit(self._line(job, [self._bar(f.get("frac")), docs, _rate(f), eta, tasks, elapsed]), final=False)
        elif now >= job.next_plain:
            job.next_plain = now + self.every
            share = None if f.get("frac") is None else f"{f['frac']:.0%}"
            self._emit(self._line(job, [docs, _rate(f), share, eta, tasks, elapsed]), final=True)

    def _line(self, job: _Job, parts: list) -> str:
        return "  ".join([self._label(job).ljust(self.label_width)] + [p for p in parts if p])

    def _emit(self, text: str, final: bool) -> None:
        if self.tty:
            # A live line leaves the cursor at its start: a warning another process prints meanwhile then
            # overwrites the bar instead of being glued to its end, and the next redraw comes below it.
            width = self.width or _columns(self.stream)
            text = text[: max(width - 1, 20)]
            self._write("\r\x1b[K" + text + ("\n" if final else "\r"))
            self._live = "" if final else text
        else:
            self._write(text + "\n")

    def _write(self, s: str) -> None:
        self.stream.write(s)
        self.stream.flush()


def _docs(figures: dict) -> str | None:
    """"607 docs", or nothing where no task reported (a run from before progress files, say)."""
    return f"{figures['docs']:,} docs" if figures.get("reported") else None


def _rate(figures: dict) -> str | None:
    return None if figures.get("rate") is None else f"{figures['rate']:,.0f}/s"


def _columns(stream) -> int:
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        columns = 0
    return columns if columns > 0 else 100  # a pseudo-terminal may report 0


def _pipelines(last) -> list:
    """Each job's steps, in run order, from datatrove's ``depends`` chain (``[]`` where it cannot be followed)."""
    chain = []
    ex = last
    while ex is not None:
        chain.append(getattr(ex, "pipeline", None))
        ex = getattr(ex, "depends", None)
    return chain[::-1]


def show_progress(jobs, stream=None, **options) -> ProgressDisplay:
    """A context manager showing the progress of ``jobs`` (``pipeline.run.Jobs``) on ``stream`` (stderr) while
    they run (``pipeline.run.run(cfg, progress=show_progress)``); ``options``: ``tty``, ``poll``, ``every``,
    ``width``."""
    return ProgressDisplay(jobs, stream, **options)
