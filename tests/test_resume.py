"""Crash safety: SIGKILL a real `winnow run` at several points, run the same command again, and get
exactly the output of an uninterrupted run. Also: changing the task count of a started run is refused."""

import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError
from pipeline.run import run
from tests.conftest import ROOT, demo_copies



@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return demo_copies(tmp_path_factory.mktemp("inputs"), 4)


def _cmd(inputs, out):
    return [sys.executable, "-m", "pipeline.cli", "run", str(ROOT / "configs" / "demo.yaml"),
            "--input", str(inputs / "*.warc.gz"), "--output", str(out), "--tasks", "4", "--workers", "2"]


def _summary(out):
    import json

    stats = json.loads((out / "stats.json").read_text())
    kept = sorted(pq.read_table(out / "documents", columns=["id"]).column("id").to_pylist())
    removed = sorted(
        (r["id"], r["reason"]) for r in pq.read_table(out / "removed", columns=["id", "reason"]).to_pylist()
    )
    keys = ("input", "kept", "removed", "skipped", "removed_by_reason", "skipped_by_reason", "conserved")
    return kept, removed, {k: stats[k] for k in keys}


@pytest.fixture(scope="module")
def reference(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "out"
    subprocess.run(_cmd(inputs, out), check=True, cwd=ROOT, capture_output=True)
    return _summary(out)


KILL_POINTS = {
    "a worker writing its first files": lambda out: any(out.glob("removed/*.part")),
    "after the first task completed": lambda out: any((out / "logs" / "0" / "completions").glob("*")),
    "in the phase after the first barrier": lambda out: (out / "logs" / "1").exists(),
    "in the last phase": lambda out: (out / "logs" / "2").exists(),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_kill_and_rerun_gives_the_uninterrupted_output(inputs, reference, tmp_path, point):
    out = tmp_path / "out"
    proc = subprocess.Popen(_cmd(inputs, out), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    while proc.poll() is None and time.time() < deadline and not KILL_POINTS[point](out):
        time.sleep(0.005)
    killed = proc.poll() is None
    if killed:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole job: driver and worker processes
    proc.wait()
    assert killed, f"the run finished before reaching the kill point ({point})"
    assert not (out / "stats.json").exists()
    # nothing half-written is visible to readers: only complete files match *.parquet
    for f in out.glob("*/*.parquet"):
        pq.read_metadata(f)
    done = subprocess.run(_cmd(inputs, out), cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert _summary(out) == reference


def test_changing_the_task_count_of_a_started_run_is_refused(inputs, tmp_path):
    cfg = load_config(ROOT / "configs" / "demo.yaml").with_overrides(
        input_glob=str(inputs / "*.warc.gz"), output=str(tmp_path / "o"), tasks=2, workers=1, limit=5)
    run(cfg)
    with pytest.raises(ConfigError, match="started with 2 task"):
        run(cfg.with_overrides(tasks=4))
