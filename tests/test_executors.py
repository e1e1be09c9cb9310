"""`winnow run --executor local|slurm|ray`: the same demo run on each of datatrove's executors gives the same output.

Slurm runs against the fake sbatch/srun/squeue/scontrol in tests/fake_slurm (no slurmctld here): it
checks each submission as Slurm would (options, memory and time syntax, dependencies on jobs that
finished), records it and runs the generated script at once, so the test sees the real sbatch
scripts, their #SBATCH directives and the dependency chain, and the jobs really run datatrove's
`launch_pickled_pipeline` under `srun`. What the fake does not exercise: queueing, resource
limits, preemption/requeue and several nodes.

With a real Slurm installed (``.ci/run`` runs slurmctld + slurmd on loopback), the ``cluster`` test
``test_real_slurm_run_matches_local`` submits the same run to it and waits for the queue to empty.

Ray (marker ``cluster``) runs on a real Ray cluster at $RAY_ADDRESS (``make test-cluster`` starts one
on loopback); without ray or a reachable cluster it skips and says why, and with
WINNOW_REQUIRE_CLUSTER=1 (CI) it fails instead.
"""

import json
import os
import shutil
import socket
import sys
import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.cli import main
from pipeline.config import ExecutorConfig, load_config, parse_config
from pipeline.errors import ConfigError
from pipeline.executors import make_executor
from pipeline.run import run
from tests.conftest import ROOT, demo_copies

pytestmark = pytest.mark.usefixtures("demo_quality_model")  # runs configs/demo.yaml, which scores with it

# Ray 2.60 swaps 127.0.0.1 for the machine's interface address unless this is 0; it must be set
# before ray starts a driver in this process (the cluster is started with it too).
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"

DEMO = ROOT / "configs" / "demo.yaml"
FAKE_SLURM = ROOT / "tests" / "fake_slurm"
TASKS = 2
# the demo's jobs in submission order: a phase per barrier plus the last one, each barrier's cluster tasks and join,
# then finalize (stats, manifest, report)
JOBS = ["0", "0-cluster", "0-barrier", "1", "1-cluster", "1-barrier", "2", "finalize"]
def _tasks(job: str) -> int:
    """Tasks of one of the demo's jobs: a phase has TASKS; a barrier's join, its cluster (the demo's dedup stages
    keep the default of one cluster task) and finalize have one."""
    return TASKS if job.isdigit() else 1


STAT_KEYS = ("input", "kept", "removed", "skipped", "removed_by_reason", "skipped_by_reason", "conserved")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return demo_copies(tmp_path_factory.mktemp("inputs"), 2)


def _config(inputs, out, **executor):
    return load_config(DEMO).with_overrides(input_glob=str(inputs / "*.warc.gz"), output=str(out), tasks=TASKS,
                                            workers=2, **executor)


def _summary(out):
    stats = json.loads((out / "stats.json").read_text())
    kept = sorted(pq.read_table(out / "documents", columns=["id"]).column("id").to_pylist())
    removed = sorted((r["id"], r["reason"])
                     for r in pq.read_table(out / "removed", columns=["id", "reason"]).to_pylist())
    return {"kept_ids": kept, "removed": removed, **{k: stats[k] for k in STAT_KEYS}}


@pytest.fixture(scope="module")
def local_reference(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "out"
    res = run(_config(inputs, out))
    assert res.stats["run"]["executor"] == "local" and res.stats["tasks_reported"] == TASKS
    summary = _summary(out)
    assert summary["kept"] > 50 and summary["removed"] > 20 and summary["conserved"]
    return summary


# ---------------------------------------------------------------- config


def test_slurm_needs_partition_and_time():
    raw = {"name": "t", "input": {"paths": "x.warc.gz"}, "stages": ["gopher_quality_v1"]}
    for executor in ({"kind": "slurm"}, {"kind": "slurm", "partition": "cpu"}, {"kind": "slurm", "time": "01:00:00"}):
        with pytest.raises(ConfigError) as e:
            parse_config({**raw, "executor": executor}, "cfg.yaml")
        assert "partition" in str(e.value) and "time" in str(e.value), str(e.value)
    cfg = parse_config({**raw, "executor": {"kind": "slurm", "partition": "cpu", "time": "01:00:00"}}, "cfg.yaml")
    assert (cfg.executor.kind, cfg.executor.partition, cfg.executor.time) == ("slurm", "cpu", "01:00:00")
    # --executor slurm on a local config: --partition and --time are required too
    local = parse_config(raw, "cfg.yaml")
    with pytest.raises(ConfigError, match="partition.*time"):
        local.with_overrides(executor="slurm")
    assert local.with_overrides(executor="slurm", partition="cpu", time="1:00:00").executor.partition == "cpu"


def test_unknown_executor_lists_the_valid_ones():
    raw = {"name": "t", "input": {"paths": "x.warc.gz"}, "stages": ["gopher_quality_v1"], "executor": {"kind": "k8s"}}
    with pytest.raises(ConfigError) as e:
        parse_config(raw, "cfg.yaml")
    assert "executor.kind: unknown executor 'k8s'; valid executors: local, slurm, ray" in str(e.value)


def test_slurm_memory_is_written_the_way_slurm_reads_it(tmp_path):
    """Slurm refuses `--mem-per-cpu=2.0G` (an integer and a unit only), and the config holds a float."""
    def mem(gb, **extra):
        ex = ExecutorConfig(kind="slurm", tasks=2, workers=1, mem_per_cpu_gb=gb, time="1:00:00", partition="cpu",
                            **extra)
        return make_executor(ex, [], 2, str(tmp_path / str(gb))).get_sbatch_args(2)["mem-per-cpu"]

    assert mem(2.0) == "2G"
    assert mem(1.5) == "1536M"
    assert mem(1.5, sbatch_args={"mem-per-cpu": "3G"}) == "3G"  # the user's own sbatch_args win


# ---------------------------------------------------------------- slurm (fake sbatch on PATH)


@pytest.fixture()
def fake_slurm(tmp_path, monkeypatch):
    if shutil.which("bash") is None:
        pytest.skip("the Slurm test runs sbatch scripts with bash, which is not installed")
    log = tmp_path / "slurm"
    monkeypatch.setenv("PATH", f"{FAKE_SLURM}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SLURM_LOG", str(log))
    monkeypatch.setenv("FAKE_SLURM_PARTITIONS", "cpu")
    assert shutil.which("sbatch") == str(FAKE_SLURM / "sbatch")
    return log


def _submissions(log):
    if not (log / "submissions.jsonl").is_file():
        return []
    return [json.loads(line) for line in (log / "submissions.jsonl").read_text().splitlines()]


def _job(log, jid):
    return json.loads((log / "jobs" / f"{jid}.json").read_text())


def test_fake_sbatch_checks_like_slurm(fake_slurm, tmp_path):
    """The fake refuses what Slurm refuses, so the pipeline test below means something."""
    import subprocess

    def sbatch(script, *args):
        p = subprocess.run(["sbatch", *args], input=script, capture_output=True, text=True, cwd=tmp_path)
        return p.returncode, p.stdout + p.stderr

    ok = "#!/bin/bash\n#SBATCH --array=0-2%2\n#SBATCH --time=00:01:00\necho $SLURM_ARRAY_TASK_ID >> tasks\n"
    assert sbatch(ok) == (0, "Submitted batch job 1001\n")
    assert sorted((tmp_path / "tasks").read_text().split()) == ["0", "1", "2"]
    assert sbatch("#!/bin/bash\nexit 3\n", "--parsable") == (0, "1002\n")  # submitted; the job itself failed
    assert _job(fake_slurm, 1002)["state"] == "FAILED"
    refused = {
        "--dependency=afterok:999": "job 999 was never submitted",
        "--dependency=afterok:1002": "ended FAILED",
        "--mem-per-cpu=2.0G": "Invalid --mem-per-cpu specification",
        "--time=ten minutes": "Invalid --time specification",
        "--partition=gpu": "invalid partition specified: gpu",
        "--bogus": "unrecognized option '--bogus'",
    }
    for arg, message in refused.items():
        rc, out = sbatch(ok, arg)
        assert rc == 1 and message in out, (arg, out)
    assert sbatch(ok, "--dependency=afterany:1002")[0] == 0  # afterany: any end state will do


@pytest.mark.slow  # the whole chain through a fake sbatch and srun, 50 s: `make test-slow`
def test_slurm_run_matches_local(fake_slurm, inputs, local_reference, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["run", str(DEMO), "--input", str(inputs / "*.warc.gz"), "--output", str(out), "--tasks", str(TASKS),
            "--workers", "2", "--executor", "slurm", "--partition", "cpu", "--time", "00:10:00"]
    assert main(argv) == 0
    assert "submitted to Slurm" in capsys.readouterr().out

    subs = _submissions(fake_slurm)
    assert all(s["id"] is not None for s in subs), [s.get("refused") for s in subs]
    # datatrove submits each job array with --export=ALL,RUN_OFFSET=0, then a one-task merge_stats job after it
    arrays = [s for s in subs if any(a.startswith("--export=") for a in s["argv"])]
    merges = [s for s in subs if s not in arrays]
    assert [s["job_name"] for s in arrays] == [f"winnow-demo-{j}" for j in JOBS]
    assert arrays[0]["dependency"] == ""
    for before, after in zip(arrays, arrays[1:]):  # each job waits for the one before it to succeed
        assert after["dependency"] == f"afterok:{before['id']}", after
    assert [m["dependency"] for m in merges] == [f"afterok:{a['id']}" for a in arrays]

    for name, sub in zip(JOBS, arrays):
        job = _job(fake_slurm, sub["id"])
        assert job["state"] == "COMPLETED", (name, job["tasks"])
        n = _tasks(name)
        assert job["array"] == list(range(n)) and len(job["tasks"]) == n
        d = job["directives"]
        assert (d["partition"], d["time"], d["cpus-per-task"], d["mem-per-cpu"]) == ("cpu", "00:10:00", "1", "2G")
        assert d["array"] == f"0-{n - 1}%2" and d["job-name"] == f"winnow-demo-{name}"
        assert d["output"] == str(out / "logs" / name / "slurm_logs" / "%A_%a.out")
        script = (fake_slurm / "jobs" / f"{sub['id']}.sh").read_text()
        assert script == (out / "logs" / name / "launch_script.slurm").read_text()
        assert f"launch_pickled_pipeline {out / 'logs' / name / 'executor.pik'}" in script and "srun " in script
        assert f"source {Path(sys.prefix) / 'bin' / 'activate'}" in script  # the jobs use this installation
        assert sorted(p.name for p in (out / "logs" / name / "slurm_logs").glob(f"{sub['id']}_*.out")) == [
            f"{sub['id']}_{i}.out" for i in range(n)]
    # every array task went through srun, with its own SLURM_ARRAY_TASK_ID
    sruns = (fake_slurm / "srun.log").read_text().splitlines()
    assert len(sruns) == sum(_tasks(j) for j in JOBS)

    assert _summary(out) == local_reference
    stats = json.loads((out / "stats.json").read_text())
    run = stats["run"]
    assert (run["executor"], run["tasks"], run["phases"]) == ("slurm", TASKS, 3)
    # the finalize job adds up every task's CPU and wall seconds, on Slurm as locally
    assert run["cpu_seconds"] > 0 and run["wall_seconds"] > 0 and run["documents_per_cpu_second"] > 0
    # every phase task ran its stages inside the process whose CPU the commit step measured
    assert all(j["cpu_seconds"] > 0 for name, j in stats["jobs"].items() if name.isdigit())
    assert run["cpu_seconds"] >= sum(st.get("cpu_seconds") or 0 for st in stats["stages"])
    assert json.loads((out / "manifest.json").read_text())["config_hash"]
    assert (out / "report.html").is_file()

    # the same command again: every job's tasks are complete, so nothing is submitted
    assert main(argv) == 0
    assert len(_submissions(fake_slurm)) == len(subs)

    # a lost finalize (its completion marker and outputs gone): only finalize is submitted, with no dependency
    shutil.rmtree(out / "logs" / "finalize" / "completions")
    (out / "stats.json").unlink()
    assert main(argv) == 0
    again = _submissions(fake_slurm)[len(subs):]
    assert [(s["job_name"], s["dependency"]) for s in again if "--export=ALL,RUN_OFFSET=0" in s["argv"]] == [
        ("winnow-demo-finalize", "")]
    assert _summary(out) == local_reference


# ---------------------------------------------------------------- slurm (a real one-node cluster)


def _real_slurm():
    """The partition of a reachable real Slurm cluster ($WINNOW_SLURM_PARTITION, default cpu), or skip."""
    import subprocess

    sbatch = shutil.which("sbatch")
    if sbatch is None or Path(sbatch).parent == FAKE_SLURM:
        _skip_or_fail_slurm("no real Slurm: sbatch is not installed (.ci/run starts a one-node slurm-wlm cluster)")
    conf = Path(os.environ.get("SLURM_CONF", "/etc/slurm/slurm.conf"))
    if not conf.is_file():  # without one, sinfo would look for a controller in DNS
        _skip_or_fail_slurm(f"no real Slurm: no {conf} (set SLURM_CONF; .ci/run writes one for a loopback cluster)")
    partition = os.environ.get("WINNOW_SLURM_PARTITION", "cpu")
    p = subprocess.run(["sinfo", "-h", "-p", partition, "-o", "%a %D"], capture_output=True, text=True, timeout=30)
    if p.returncode != 0 or not p.stdout.startswith("up"):
        _skip_or_fail_slurm(f"no real Slurm cluster with an up partition {partition!r}: "
                            f"{(p.stdout + p.stderr).strip()}")
    return partition


@pytest.mark.cluster
def test_real_slurm_run_matches_local(inputs, local_reference, tmp_path, capsys):
    """`winnow run --executor slurm` on a real slurmctld + slurmd: submit, wait for the queue, compare."""
    import subprocess
    import time

    partition = _real_slurm()
    out = tmp_path / "out"
    argv = ["run", str(DEMO), "--input", str(inputs / "*.warc.gz"), "--output", str(out), "--tasks", str(TASKS),
            "--workers", "2", "--executor", "slurm", "--partition", partition, "--time", "00:10:00"]
    assert main(argv) == 0
    assert "submitted to Slurm" in capsys.readouterr().out

    def ours():
        q = subprocess.run(["squeue", "-h", "-o", "%i %j %T %r"], capture_output=True, text=True, check=True)
        return [line.split() for line in q.stdout.splitlines() if line.split()[1].startswith("winnow-demo-")]

    deadline = time.time() + 600
    try:
        while (queued := ours()) and time.time() < deadline:
            stuck = [q for q in queued if q[3] == "DependencyNeverSatisfied"]
            assert not stuck, f"a job failed, its dependants never start: {stuck}; see {out}/logs/*/slurm_logs"
            time.sleep(2)
        assert not queued, f"jobs still queued after 10 minutes: {queued}"
    finally:
        left = [q[0] for q in ours()]
        if left:
            subprocess.run(["scancel", *left], check=False)
    assert _summary(out) == local_reference
    run = json.loads((out / "stats.json").read_text())["run"]
    assert (run["executor"], run["tasks"], run["phases"]) == ("slurm", TASKS, 3) and run["cpu_seconds"] > 0
    # resubmitting the finished run submits nothing (every job's tasks are complete)
    assert main(argv) == 0
    assert not ours()


# ---------------------------------------------------------------- ray (a real cluster at $RAY_ADDRESS)


def _skip_or_fail(reason):
    if os.environ.get("WINNOW_REQUIRE_CLUSTER") == "1":
        pytest.fail(f"{reason} (WINNOW_REQUIRE_CLUSTER=1: the cluster tests must run here)")
    pytest.skip(reason)


def _skip_or_fail_slurm(reason):
    """.ci/run sets WINNOW_REQUIRE_SLURM=1 only when its one-node slurm-wlm cluster came up."""
    if os.environ.get("WINNOW_REQUIRE_SLURM") == "1":
        pytest.fail(f"{reason} (WINNOW_REQUIRE_SLURM=1: the real Slurm test must run here)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def ray_cluster():
    try:
        import ray
    except ImportError:
        _skip_or_fail("the Ray tests need ray: pip install -e '.[ray]' (make test-cluster does)")
    address = os.environ.get("RAY_ADDRESS")
    if not address or address == "auto":
        _skip_or_fail("no Ray cluster: set RAY_ADDRESS=host:port of a running head (make test-cluster starts one)")
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except (OSError, ValueError) as e:
        _skip_or_fail(f"no Ray cluster reachable at RAY_ADDRESS={address}: {e}")
    ray.init(address=address, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.cluster
def test_ray_run_matches_local(ray_cluster, inputs, local_reference, tmp_path):
    out = tmp_path / "out"
    res = run(_config(inputs, out, executor="ray"))
    assert res.stats["run"]["executor"] == "ray" and res.stats["tasks_reported"] == TASKS
    assert res.stats["run"]["cpu_seconds"] > 0  # counted in the Ray workers, summed by the finalize job
    assert ray_cluster.get_runtime_context().gcs_address == os.environ["RAY_ADDRESS"]
    for job in JOBS:  # each job was run by datatrove's Ray executor
        assert "ray_remote_kwargs" in json.loads((out / "logs" / job / "executor.json").read_text()), job
    assert _summary(out) == local_reference


@pytest.mark.cluster
def test_ray_cli_prints_the_funnel(ray_cluster, tmp_path, capsys):
    assert main(["run", str(DEMO), "--output", str(tmp_path / "o"), "--limit", "30", "--executor", "ray"]) == 0
    assert "input = kept + removed + skipped" in capsys.readouterr().out


@pytest.mark.cluster
def test_ray_failed_task_fails_the_run(ray_cluster, tmp_path):
    """A task that raises must fail the run, not leave the next job polling for it forever."""
    ex = ExecutorConfig(kind="ray", tasks=2, workers=2)

    def boom(data, rank, world_size):
        if rank == 1:
            raise RuntimeError("boom in rank 1")
        yield from ()

    def after(data, rank, world_size):
        yield from ()

    first = make_executor(ex, [boom], 2, str(tmp_path / "first"))
    second = make_executor(ex, [after], 1, str(tmp_path / "second"), depends=first)
    errors = []

    def target():
        try:
            second.run()
        except RuntimeError as e:
            errors.append(e)

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout=180)
    assert not t.is_alive(), "the run hung after a failed Ray task"
    assert errors and "1 of 2 Ray task(s) failed (ranks [1])" in str(errors[0])
    assert not (tmp_path / "second" / "completions").exists()


def test_slurm_without_a_cluster_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    """No sbatch on PATH: refused before any work (not "input not found" or a traceback); an sbatch whose
    controller is down: one line, exit 2."""
    from pipeline.cli import main

    argv = ["run", str(ROOT / "configs" / "demo.yaml"), "--executor", "slurm", "--partition", "cpu", "--time",
            "01:00:00", "--output", str(tmp_path / "o")]
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.strip() == "winnow: error: --executor slurm needs a Slurm cluster: no `sbatch` on PATH (run it on " \
                          "a login node)"
    assert not (tmp_path / "o").exists()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sbatch").write_text('#!/bin/sh\necho "sbatch: error: Unable to contact slurm controller" >&2\nexit 1\n')
    (bin_dir / "sbatch").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ.get('PATH', '')}:/usr/bin:/bin")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("winnow: error: sbatch failed (exit 1)")


_IDLE_WORKER_SCRIPT = r'''
import sys, time
from pathlib import Path

from pipeline.interrupts import Terminated, interruptible
from pipeline.config import ExecutorConfig
from pipeline.executors import make_executor

out = Path(sys.argv[1])


def step(data, rank, world_size):  # rank 0 finishes at once; rank 1 runs until the signal
    if rank == 1:
        (out / "busy").touch()
        time.sleep(300)
    yield from ()


if __name__ == "__main__":
    executor = make_executor(ExecutorConfig(kind="local", workers=2), [step], tasks=2, logging_dir=str(out / "logs"))
    try:
        interruptible(executor.run)
    except Terminated:
        sys.exit(143)
'''


def test_sigterm_to_the_group_with_an_idle_worker_stops_the_local_pool(tmp_path):
    """Slurm (a time limit, a preemption) sends SIGTERM to every process of the job. An idle pool worker waits
    for its next task holding the task queue's read lock; killed there, it never released it, and the driver's
    ``pool.terminate()`` waited for that lock forever (issue 28). Now the command stops within seconds."""
    import signal
    import subprocess
    import time

    script = tmp_path / "idle_worker.py"
    script.write_text(_IDLE_WORKER_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not ((tmp_path / "busy").exists() and (tmp_path / "logs" / "completions" / "00000").exists()):
            assert proc.poll() is None, proc.communicate()[0]
            assert time.monotonic() < deadline, "the two tasks never started"
            time.sleep(0.1)
        time.sleep(1.0)  # the idle worker is back in the task queue's get(), holding its read lock
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail("the driver hung in pool.terminate() after SIGTERM to the process group")
        assert proc.returncode == 143, output
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
