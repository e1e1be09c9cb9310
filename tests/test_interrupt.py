"""Ctrl-C, SIGTERM and SIGKILL at many points of a multi-task run (4 tasks, 2 workers, three phases): afterwards
every file under a final name is whole (identical to the same file of an uninterrupted run), Ctrl-C
ends with one line and exit code 130 (SIGTERM, a Slurm time limit or preemption: 143), and running the same
command again gives exactly the uninterrupted output. The full matrix is slow (`make test-slow`); one point
of each signal runs in `make test`. Also: changing the task count of a started run is refused."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError
from pipeline.run import run
from tests.conftest import ROOT, demo_copies

pytestmark = pytest.mark.usefixtures("demo_quality_model")  # runs configs/demo.yaml, which scores with it

INTERRUPTED = "winnow: interrupted; run the same command again to resume"
TERMINATED = "winnow: terminated (SIGTERM); run the same command again to resume"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return demo_copies(tmp_path_factory.mktemp("inputs"), 4)


def _cmd(inputs, out):
    return [sys.executable, "-m", "pipeline.cli", "run", str(ROOT / "configs" / "demo.yaml"),
            "--input", str(inputs / "*.warc.gz"), "--output", str(out), "--tasks", "4", "--workers", "2"]


def final_files(out: Path) -> list[Path]:
    """Every output file under its final name (parquet outputs, work files, dedup key and assignment files)."""
    return sorted(p for p in out.rglob("*") if p.is_file() and "logs" not in p.parts
                  and not p.name.endswith((".part", ".tmp", ".tmp.npz")))


def content(path: Path):
    if path.suffix == ".parquet":
        t = pq.read_table(path)
        return sorted(map(str, t.column("id").to_pylist())), t.num_rows
    return path.read_bytes()


@pytest.fixture(scope="module")
def reference(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "out"
    t0 = time.time()
    subprocess.run(_cmd(inputs, out), check=True, capture_output=True)
    return out, time.time() - t0


_SKIP_COMPARE = {"stats.json", "manifest.json", "report.html", "barrier_done.json", "cluster.json"}


def _interrupt(inputs, out, sig, when):
    proc = subprocess.Popen(_cmd(inputs, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    t0 = time.time()
    while proc.poll() is None and time.time() - t0 < 120 and not when(out, time.time() - t0):
        time.sleep(0.005)
    fired = proc.poll() is None
    if fired:
        os.killpg(proc.pid, sig)  # the whole process group, as a terminal's Ctrl-C or a scheduler's kill does
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    return fired, proc.returncode, err


def _check(inputs, reference, out, sig, point, when):
    ref_out, _ = reference
    fired, rc, err = _interrupt(inputs, out, sig, when)
    assert fired, f"the run finished before the interrupt point ({point})"
    if sig in (signal.SIGINT, signal.SIGTERM):
        assert rc == (130 if sig == signal.SIGINT else 143), err[-3000:]
        assert err.rstrip().splitlines()[-1] == (INTERRUPTED if sig == signal.SIGINT else TERMINATED), err[-3000:]
        assert "Traceback" not in err, f"{point}: " + err[max(err.find("Traceback") - 300, 0):][:2500]
        assert "leaked" not in err, err[-3000:]  # the pool's semaphores were released, not left to the tracker
    time.sleep(0.5)  # let killed workers go
    # every file under a final name is whole: the same as that file of the uninterrupted run
    for f in final_files(out):
        rel = f.relative_to(out)
        if rel.name in _SKIP_COMPARE or not (ref_out / rel).exists():
            continue
        assert content(f) == content(ref_out / rel), f"{rel} differs from the uninterrupted run's ({point})"
    done = subprocess.run(_cmd(inputs, out), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    for f in final_files(ref_out):
        rel = f.relative_to(ref_out)
        if rel.name in _SKIP_COMPARE:
            continue
        assert content(out / rel) == content(f), f"{rel} after the rerun differs ({point})"
    stats, ref = (json.loads((d / "stats.json").read_text()) for d in (out, ref_out))
    for key in ("input", "kept", "removed", "skipped", "removed_by_reason", "skipped_by_reason", "conserved"):
        assert stats[key] == ref[key], key


POINTS = {
    "first files being written": lambda out, t: any(out.glob("removed/*.part")),
    "first task completed": lambda out, t: any((out / "logs" / "0" / "completions").glob("*")),
    "first barrier's cluster tasks": lambda out, t: (out / "logs" / "0-cluster").exists(),
    "first barrier's join": lambda out, t: (out / "logs" / "0-barrier").exists(),
    "phase after the first barrier": lambda out, t: (out / "logs" / "1").exists(),
    "last phase": lambda out, t: (out / "logs" / "2").exists(),
    "finalize": lambda out, t: (out / "logs" / "finalize").exists(),
}
FRACTIONS = (0.1, 0.25, 0.4)  # of the reference run's wall time; later points are events above


SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGKILL]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["sigint", "sigterm", "sigkill"])
# A whole run stopped once and resumed (with its reference run, about 45 s a signal) is in the slow suite, with
# the matrix of every point. make test keeps the CLI's Ctrl-C handling (the tests below), killed and resumed
# annotate and rephrase runs, and SIGTERM to a pool's whole process group (tests/test_executors.py)
def test_interrupt_once_then_resume(inputs, reference, tmp_path, sig):
    _check(inputs, reference, tmp_path / "out", sig, "first files being written", POINTS["first files being written"])


@pytest.mark.slow
@pytest.mark.parametrize("sig", SIGNALS, ids=["sigint", "sigterm", "sigkill"])
@pytest.mark.parametrize("point", list(POINTS)[1:] + [f"{f:.0%} of the run" for f in FRACTIONS])
def test_interrupt_anywhere_then_resume(inputs, reference, tmp_path, sig, point):
    if point in POINTS:
        when = POINTS[point]
    else:
        at = float(point.split("%")[0]) / 100 * reference[1]
        when = lambda out, t: t >= at  # noqa: E731
    _check(inputs, reference, tmp_path / "out", sig, point, when)


def test_changing_the_task_count_of_a_started_run_is_refused(inputs, tmp_path):
    cfg = load_config(ROOT / "configs" / "demo.yaml").with_overrides(
        input_glob=str(inputs / "*.warc.gz"), output=str(tmp_path / "o"), tasks=2, workers=1, limit=5)
    run(cfg)
    with pytest.raises(ConfigError, match="started with 2 task"):
        run(cfg.with_overrides(tasks=4))


FORK_SCRIPT = r"""
import os, signal, sys, time
done = []

def slow_hook():  # a library's at-fork hook, hit by Ctrl-C half-way (filelock 4 keeps state this way)
    os.kill(os.getpid(), signal.SIGINT)
    end = time.monotonic() + 0.2
    while time.monotonic() < end:
        pass
    done.append(True)

os.register_at_fork(before=slow_hook)
from pipeline.interrupts import interruptible

def fork_once():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    end = time.monotonic() + 2  # the held-back Ctrl-C lands here, outside the hook
    while time.monotonic() < end:
        pass

try:
    interruptible(fork_once)
except KeyboardInterrupt:
    print("interrupted", "hook finished" if done else "hook cut short")
"""


def test_ctrl_c_during_a_fork_waits_for_the_at_fork_hooks():
    """A Ctrl-C that lands while a library's at-fork hook runs (a pool or manager starting) is held back
    until the fork is done: the hook finishes, nothing prints a traceback, and the run is interrupted."""
    proc = subprocess.run([sys.executable, "-c", FORK_SCRIPT], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.stdout.strip() == "interrupted hook finished", proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr


def test_an_error_on_the_way_out_of_a_ctrl_c_is_the_interrupt():
    """A Ctrl-C that makes the interrupted code fail otherwise (a pipe to a stopped pool breaks) still ends as
    the interrupt: the CLI maps BrokenPipeError to exit 0 (a closed stdout), which would hide the Ctrl-C."""
    from pipeline.interrupts import interruptible

    def interrupted_then_broken_pipe():
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        except KeyboardInterrupt:
            raise BrokenPipeError("pipe to a stopped worker") from None
        raise AssertionError("SIGINT did not interrupt")

    def fails_alone():
        raise BrokenPipeError("no Ctrl-C: stays what it is")

    with pytest.raises(KeyboardInterrupt):
        interruptible(interrupted_then_broken_pipe)
    with pytest.raises(BrokenPipeError):
        interruptible(fails_alone)


@pytest.mark.parametrize("argv,func,resumes", [
    (["run", "configs/demo.yaml"], "_cmd_run", True),
    (["quality", "annotate", "in.parquet", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--output", "o"],
     "_cmd_quality_annotate", True),
    (["quality", "train", "--output", "o"], "_cmd_quality_train", False),
    (["pdf", "x.pdf"], "_cmd_pdf", False),
    (["materialise", "w.json", "--tokens", "10", "--output", "o"], "_cmd_materialise", False),
], ids=["run", "annotate", "quality-train", "pdf", "materialise"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_an_interrupt_says_resume_only_where_the_command_resumes(monkeypatch, capsys, argv, func, resumes, sig):
    """`winnow pdf` and `quality train` keep nothing of an interrupted call: telling the user that running it
    again resumes would be false. SIGTERM stops every command as Ctrl-C does, with exit code 143."""
    import pipeline.cli as cli

    def interrupted(args):
        os.kill(os.getpid(), sig)
        time.sleep(5)
        raise AssertionError(f"{sig!r} did not stop the command")

    monkeypatch.setattr(cli, func, interrupted)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        rc = cli.main(argv)
    finally:
        signal.signal(signal.SIGINT, previous)
    last = capsys.readouterr().err.rstrip().splitlines()[-1]
    what = "interrupted" if sig == signal.SIGINT else "terminated (SIGTERM)"
    assert last == f"winnow: {what}" + ("; run the same command again to resume" if resumes else "")
    assert rc == (130 if sig == signal.SIGINT else 143)
