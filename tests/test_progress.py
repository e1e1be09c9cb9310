"""The run's progress display (pipeline/progress.py): the readers' progress files and the lines it prints."""

import io
import json
import re
import threading
import time
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import progress as progress_mod
from pipeline.config import parse_config
from pipeline.layout import RunLayout
from pipeline.progress import ProgressDisplay, TaskProgress, read_progress, show_progress
from pipeline.readers import DocumentReader
from pipeline.run import run


def _jsonl(path, ids, dup_every=0):
    with open(path, "w") as f:
        for i in ids:
            text = "The same sentence repeated here. " * 5 if dup_every and i % dup_every == 0 else \
                f"Document number {i} talks about its own topic at some length. " * 3
            f.write(json.dumps({"id": str(i), "text": text}) + "\n")


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """Two tasks, an exact-dedup barrier: jobs 0, 0-cluster, 0-barrier, 1, finalize; the display on a fake stream."""
    tmp = tmp_path_factory.mktemp("progress_run")
    _jsonl(tmp / "a.jsonl", range(0, 60), dup_every=7)
    _jsonl(tmp / "b.jsonl", range(60, 100), dup_every=7)
    cfg = parse_config({"name": "prog", "input": {"format": "jsonl", "paths": str(tmp / "*.jsonl")},
                        "output": str(tmp / "out"), "executor": {"kind": "local", "tasks": 2, "workers": 1},
                        "stages": [{"exact_dedup_v1": {}}]})
    stream, seen = io.StringIO(), {}

    def progress(jobs):
        seen["jobs"] = jobs
        seen["display"] = show_progress(jobs, stream=stream, tty=False, poll=0.05)
        return seen["display"]

    result = run(cfg, quiet=True, progress=progress)
    return SimpleNamespace(result=result, out=tmp / "out", cfg=cfg, stream=stream, **seen)


def test_progress_files_have_the_counts(small_run):
    layout = RunLayout(small_run.out)
    first = read_progress(layout.progress("0"))
    assert sorted(first) == [0, 1]
    assert sum(r["documents"] for r in first.values()) == 100  # every input line is a document
    for rank, rec in first.items():
        assert rec["done"] is True and rec["bytes_done"] == rec["bytes_total"] > 0
    sizes = [p.stat().st_size for p in small_run.out.parent.glob("*.jsonl")]
    assert sum(r["bytes_total"] for r in first.values()) == sum(sizes)
    second = read_progress(layout.progress("1"))
    work = [layout.work_file(0, r) for r in range(2)]
    rows = sum(pq.ParquetFile(w).metadata.num_rows for w in work if w.exists())
    assert sum(r["documents"] for r in second.values()) == rows == 100  # phase 1 reads what phase 0 wrote
    assert not layout.progress("0-barrier").exists() and not layout.progress("finalize").exists()  # no reader there


def test_plain_lines_of_a_run(small_run):
    lines = small_run.stream.getvalue().splitlines()
    # one line per job
    assert [line.split()[0] for line in lines] == ["phase", "0-cluster", "0-barrier", "phase", "finalize"]
    assert re.fullmatch(r"phase 0    done  100 docs(  [\d,]+/s)?  2 of 2 tasks  \d+:\d\d", lines[0]), lines[0]
    assert re.fullmatch(r"0-cluster  done  \d+:\d\d", lines[1]), lines[1]
    assert re.fullmatch(r"0-barrier  done  \d+:\d\d", lines[2]), lines[2]
    assert re.fullmatch(r"phase 1    done  100 docs(  [\d,]+/s)?  2 of 2 tasks  \d+:\d\d", lines[3]), lines[3]
    assert re.fullmatch(r"finalize   done  \d+:\d\d", lines[4]), lines[4]
    assert small_run.display.error is None
    assert not small_run.display._thread.is_alive()
    # what the ETAs were based on: phase 0's input bytes per task (the reader's units), phase 1's work-file rows
    tmp = small_run.out.parent
    phase0, _, _, phase1, _ = small_run.display.jobs
    assert phase0.totals == [(tmp / "a.jsonl").stat().st_size, (tmp / "b.jsonl").stat().st_size]
    layout = RunLayout(small_run.out)
    assert phase1.totals == [pq.ParquetFile(layout.work_file(0, r)).metadata.num_rows for r in range(2)]


def test_resumed_run_says_done_earlier(small_run):
    stream = io.StringIO()
    run(small_run.cfg, quiet=True, progress=lambda jobs: show_progress(jobs, stream=stream, tty=False, poll=0.05))
    lines = stream.getvalue().splitlines()
    assert lines[0] == "phase 0    done earlier  100 docs  2 of 2 tasks"
    assert lines[1:] == ["0-cluster  done earlier", "0-barrier  done earlier",
                         "phase 1    done earlier  100 docs  2 of 2 tasks",
                         "finalize   done earlier"]


def test_a_reader_outside_a_run_writes_nothing(tmp_path):
    _jsonl(tmp_path / "a.jsonl", range(20))
    reader = DocumentReader([str(tmp_path / "a.jsonl")])
    assert len(list(reader.run())) == 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl"]


def test_reader_writes_at_start_at_most_every_interval_and_at_end(tmp_path, monkeypatch):
    _jsonl(tmp_path / "a.jsonl", range(300))
    writes = []
    real = TaskProgress.write

    def counting(self, documents, bytes_done, bytes_total, done=False, now=None):
        writes.append((documents, bytes_done, bytes_total, done))
        real(self, documents, bytes_done, bytes_total, done, now)

    monkeypatch.setattr(TaskProgress, "write", counting)
    reader = DocumentReader([str(tmp_path / "a.jsonl")])
    reader.progress_dir = str(tmp_path / "progress")
    reader.progress_every = 3600.0
    assert len(list(reader.run(rank=0))) == 300
    size = (tmp_path / "a.jsonl").stat().st_size
    assert writes == [(0, 0, size, False), (300, size, size, True)]  # nothing in between within the interval
    assert json.loads((tmp_path / "progress" / "00000.json").read_text()) == {
        "documents": 300, "bytes_done": size, "bytes_total": size, "done": True}

    writes.clear()
    reader.progress_every = 0.0  # a write per document: the counts and byte offsets only grow
    list(reader.run(rank=0))
    assert len(writes) == 302
    docs = [w[0] for w in writes]
    offsets = [w[1] for w in writes]
    assert docs == sorted(docs) and offsets == sorted(offsets) and 0 < offsets[150] < size


def test_byte_progress_of_a_gzipped_file_is_the_compressed_offset(tmp_path):
    import gzip

    path = tmp_path / "a.jsonl.gz"
    with gzip.open(path, "wt") as f:
        for i in range(3000):
            f.write(json.dumps({"id": str(i), "text": f"text {i} " * 20}) + "\n")
    reader = DocumentReader([str(path)])
    reader.progress_dir = str(tmp_path / "progress")
    reader.progress_every = 0.0
    size = path.stat().st_size
    seen = []
    for i, _ in enumerate(reader.run()):
        if i == 1500:
            seen.append(read_progress(tmp_path / "progress")[0])
    assert 0 < seen[0]["bytes_done"] < size and seen[0]["bytes_total"] == size


# ----- the display, driven with fake files -----


def _fake_jobs(tmp_path, names=(("0", 2), ("0-barrier", 1), ("1", 2), ("finalize", 1))):
    return SimpleNamespace(last=None, tasks=2, names=list(names), layout=RunLayout(tmp_path / "out"))


def _progress(layout, job, rank, docs, done_bytes=0, total=0, done=False):
    TaskProgress(layout.progress(job), rank).write(docs, done_bytes, total, done)


def _complete(layout, job, *ranks):
    d = layout.job_logs(job) / "completions"
    d.mkdir(parents=True, exist_ok=True)
    for r in ranks:
        (d / f"{r:05d}").touch()


def _wait_for(stream, pattern, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if re.search(pattern, stream.getvalue(), re.M):
            return
        time.sleep(0.01)
    raise AssertionError(f"{pattern!r} not in {stream.getvalue()!r}")


def _progress_threads():
    return [t for t in threading.enumerate() if t.name == "winnow-progress"]


def test_plain_display_format_and_silence_after_exit(tmp_path, monkeypatch):
    monkeypatch.setattr(progress_mod, "MIN_ETA_SECONDS", 0.0)
    monkeypatch.setattr(progress_mod, "MIN_RATE_SECONDS", 0.0)
    jobs = _fake_jobs(tmp_path)
    layout = jobs.layout
    stream = io.StringIO()
    with show_progress(jobs, stream=stream, tty=False, poll=0.02, every=0.1) as display:
        # nothing reported yet: no basis for an ETA
        _wait_for(stream, r"^phase 0    0 docs  \S+/s  ETA \?  0 of 2 tasks  \d+:\d\d$")
        _progress(layout, "0", 0, 40, 300, 1000)
        _progress(layout, "0", 1, 10, 200, 1000)
        _wait_for(stream, r"^phase 0    50 docs  [\d,]+/s  25%  ETA \d+:\d\d  0 of 2 tasks  \d+:\d\d$")
        _progress(layout, "0", 0, 80, 1000, 1000, done=True)
        _progress(layout, "0", 1, 70, 1000, 1000, done=True)
        _complete(layout, "0", 0, 1)
        _wait_for(stream, r"^phase 0    done  150 docs  [\d,]+/s  2 of 2 tasks  \d+:\d\d$")
        # phase 1 knows its total from the work files' footers
        layout.work(0).mkdir(parents=True)
        pq.write_table(pa.table({"id": [str(i) for i in range(90)]}), layout.work_file(0, 0))
        pq.write_table(pa.table({"id": [str(i) for i in range(30)]}), layout.work_file(0, 1))
        _complete(layout, "0-barrier", 0)
        _wait_for(stream, r"^0-barrier  done  \d+:\d\d$")
        _progress(layout, "1", 0, 30)
        _progress(layout, "1", 1, 30)
        _wait_for(stream, r"^phase 1    60 docs  [\d,]+/s  50%  ETA \d+:\d\d  0 of 2 tasks  \d+:\d\d$")
        _progress(layout, "1", 0, 90, done=True)
        _complete(layout, "1", 0)
        _wait_for(stream, r"^phase 1    120 docs  [\d,]+/s  100%  ETA 0:00  1 of 2 tasks")
        _progress(layout, "1", 1, 30, done=True)
        _complete(layout, "1", 1)
        _complete(layout, "finalize", 0)  # its end line may come from the thread or from the exit
    text = stream.getvalue()
    lines = text.splitlines()
    ends = [line for line in lines if " done " in line or line.endswith(" done")]
    assert [line.split("  ")[0].strip() for line in ends] == ["phase 0", "0-barrier", "phase 1", "finalize"]
    assert re.fullmatch(r"phase 1    done  120 docs  [\d,]+/s  2 of 2 tasks  \d+:\d\d", ends[2])
    assert lines[-1].startswith("finalize   done")
    assert "\r" not in text and "\x1b" not in text  # not a terminal: plain lines only
    assert display.error is None and not display._thread.is_alive() and not _progress_threads()
    _progress(layout, "1", 0, 999)
    time.sleep(0.2)  # ten polls' worth
    assert stream.getvalue() == text  # nothing after the context has exited


def test_an_earlier_attempts_files_count_only_for_tasks_completed_then(tmp_path):
    jobs = _fake_jobs(tmp_path)
    layout = jobs.layout
    _progress(layout, "0", 0, 500, 500, 1000)  # interrupted: task 0 starts over
    _progress(layout, "0", 1, 100, 1000, 1000, done=True)
    _complete(layout, "0", 1)
    stream = io.StringIO()
    with show_progress(jobs, stream=stream, tty=True, poll=0.02, width=200):
        _wait_for(stream, r"phase 0    \[-+\?-+\]  100 docs  ")  # task 1 only; task 0's size is not known yet
        time.sleep(0.01)  # a new modification stamp even on a coarse clock
        _progress(layout, "0", 0, 10, 100, 1000)
        _wait_for(stream, r"phase 0    \[#{11}-{9}\]  110 docs  ")


def test_jobs_complete_before_progress_files_existed_claim_no_counts(tmp_path):
    jobs = _fake_jobs(tmp_path)
    for name, n in jobs.names:
        _complete(jobs.layout, name, *range(n))
    stream = io.StringIO()
    with show_progress(jobs, stream=stream, tty=False, poll=0.01):
        pass
    assert stream.getvalue().splitlines() == ["phase 0    done earlier  2 of 2 tasks", "0-barrier  done earlier",
                                              "phase 1    done earlier  2 of 2 tasks", "finalize   done earlier"]


def test_plain_lines_come_every_interval_not_every_poll(tmp_path, monkeypatch):
    # The display reads the test's clock, and the test makes each look at the files (the thread's own poll is an
    # hour away): 40 polls 1/64 s apart, so the count depends on the display's rule, not on thread scheduling.
    clock = [1024.0]  # binary fractions: the sums are exact
    monkeypatch.setattr(progress_mod, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    jobs = _fake_jobs(tmp_path, names=(("0", 1), ("finalize", 1)))
    stream = io.StringIO()
    with show_progress(jobs, stream=stream, tty=False, poll=3600, every=0.25) as display:
        for _ in range(40):
            clock[0] += 1 / 64
            display._tick()
    lines = stream.getvalue().splitlines()
    # at 0.25 and 0.5 s of the 0.625 s: one line per interval, not one per poll (40)
    assert len(lines) == 2 and all(re.match(r"phase 0 +0 docs  ", line) for line in lines), lines


def test_terminal_display_redraws_one_line_per_job(tmp_path):
    jobs = _fake_jobs(tmp_path, names=(("0", 1), ("0-barrier", 1), ("1", 1), ("finalize", 1)))
    layout = jobs.layout
    stream = io.StringIO()
    with show_progress(jobs, stream=stream, tty=True, poll=0.02, width=200):
        _progress(layout, "0", 0, 5, 50, 100)
        _wait_for(stream, r"phase 0    \[#{10}-{10}\]  5 docs")
        _progress(layout, "0", 0, 9, 100, 100, done=True)
        for job in ("0", "0-barrier", "1", "finalize"):
            _complete(layout, job, 0)
    text = stream.getvalue()
    assert text.endswith("\n") and text.count("\n") == 4  # each job's line finalised once
    finals = [seg.rsplit("\r\x1b[K", 1)[-1] for seg in text.split("\n")[:-1]]
    assert re.fullmatch(r"phase 0    \[#{20}\]  9 docs(  [\d,]+/s)?  1 of 1 tasks  \d+:\d\d", finals[0]), finals[0]
    assert re.fullmatch(r"0-barrier  done  \d+:\d\d", finals[1])
    assert finals[3].startswith("finalize   done")


def test_unknown_phase_zero_total_shows_eta_question_mark(tmp_path, monkeypatch):
    """Without the reader's shard sizes, the total is known only once every task has reported."""
    monkeypatch.setattr(progress_mod, "MIN_ETA_SECONDS", 0.0)
    jobs = _fake_jobs(tmp_path)
    stream = io.StringIO()
    with show_progress(jobs, stream=stream, tty=True, poll=0.02, width=200):
        _progress(jobs.layout, "0", 0, 40, 300, 1000)  # task 1 has not started: its bytes are unknown
        _wait_for(stream, r"phase 0    \[-+\?-+\]  40 docs  \S+  ETA \?  0 of 2 tasks")


def test_exception_inside_stops_the_thread_and_propagates(tmp_path):
    jobs = _fake_jobs(tmp_path)
    stream = io.StringIO()
    with pytest.raises(RuntimeError, match="task failed"):
        with show_progress(jobs, stream=stream, tty=True, poll=0.01, width=200) as display:
            _wait_for(stream, r"phase 0")
            raise RuntimeError("task failed")
    assert not display._thread.is_alive() and not _progress_threads()
    text = stream.getvalue()
    assert text.endswith("\n")  # the live line is ended, so an error message starts on its own line
    time.sleep(0.1)
    assert stream.getvalue() == text


def test_ctrl_c_propagates_without_a_traceback_from_the_thread(tmp_path, capfd):
    jobs = _fake_jobs(tmp_path)
    stream = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        with show_progress(jobs, stream=stream, tty=False, poll=0.01) as display:
            time.sleep(0.05)
            raise KeyboardInterrupt
    assert not display._thread.is_alive() and not _progress_threads()
    assert "Traceback" not in capfd.readouterr().err


def test_an_error_in_the_display_stops_it_quietly(tmp_path, monkeypatch, capfd):
    def broken(self, *a, **k):
        raise OSError("disk gone")

    jobs = _fake_jobs(tmp_path)
    stream = io.StringIO()
    display = ProgressDisplay(jobs, stream, tty=False, poll=0.01)
    with display:
        monkeypatch.setattr(ProgressDisplay, "_figures", broken)
        deadline = time.monotonic() + 5
        while display.error is None and time.monotonic() < deadline:
            time.sleep(0.01)
    assert isinstance(display.error, OSError) and not display._thread.is_alive()
    assert "Traceback" not in capfd.readouterr().err
