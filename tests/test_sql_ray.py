"""`winnow sql` and `winnow run --executor ray` fail with one line saying what to do, not a traceback.

The local-Ray test (marker ``cluster``, run by ``make test-cluster``) unsets $RAY_ADDRESS, so the run
starts its own Ray instance rather than joining the shared one, and checks that no process of it is left.
"""

import shutil
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.run import run
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("demo_quality_model")  # runs configs/demo.yaml, which scores with it

DEMO = ROOT / "configs" / "demo.yaml"


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    return run(load_config(DEMO).with_overrides(output=str(tmp_path_factory.mktemp("sql") / "o"), limit=5)).output


def _sql_error(capsys, out, query):
    code = main(["sql", str(out), query])
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    return code, err.splitlines()[-1] if err else ""


def test_sql_syntax_error_prints_duckdbs_message(finished, capsys):
    code, line = _sql_error(capsys, finished, "selec count(*) from documents")
    assert code == 2
    assert line == 'winnow: error: Parser Error: syntax error at or near "selec"'


def test_sql_unknown_column_prints_duckdbs_message(finished, capsys):
    code, line = _sql_error(capsys, finished, "select no_such_column from documents")
    assert code == 2
    assert line.startswith('winnow: error: Binder Error: Referenced column "no_such_column" not found')
    assert "LINE 1" not in line


def test_sql_refuses_an_unfinished_run(finished, tmp_path, capsys):
    partial = tmp_path / "partial"
    shutil.copytree(finished, partial)
    (partial / "stats.json").unlink()  # as before the finalize step ran: logs and parquet, no stats
    code, line = _sql_error(capsys, partial, "select count(*) from documents")
    assert code == 2
    assert line == (f"winnow: error: {partial}: the run has not finished (no stats.json): "
                    "run the same `winnow run` command again to finish it")


def test_sql_reads_a_parquet_dir_that_is_not_a_run(tmp_path, capsys):
    (tmp_path / "documents").mkdir()
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["x", "y"]}), tmp_path / "documents" / "mine.parquet")
    assert main(["sql", str(tmp_path), "select count(*) as n from documents", "--json"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == '{"n": 2}'


def test_ray_executor_without_ray_names_the_install_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    out = tmp_path / "o"
    assert main(["run", str(DEMO), "--output", str(out), "--limit", "5", "--executor", "ray"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "ModuleNotFoundError" not in err
    assert err.strip().splitlines()[-1] == ("winnow: error: the Ray executor needs the ray package: "
                                            "pip install -e '.[ray]' (or make .venv/.winnow-ray)")
    assert not (out / "logs").exists()  # refused before any work started


@pytest.mark.cluster
def test_ray_without_address_starts_and_stops_a_local_instance(tmp_path, monkeypatch, capsys):
    ray = pytest.importorskip("ray", reason="the Ray tests need ray: pip install -e '.[ray]' (make test-cluster does)")
    import psutil  # ray ships it (ray/thirdparty_files) where it is not installed

    if ray.is_initialized():
        pytest.skip("this process already has a Ray driver; the run would use it instead of starting one")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    ours, listening = {}, set()  # the run's Ray processes and their listening addresses, just before shutdown
    real_shutdown = ray.shutdown

    def shutdown(*args, **kwargs):
        for p in psutil.Process().children(recursive=True):
            try:
                if "ray" in " ".join(p.cmdline()):
                    ours[p] = p.name()
                    listening.update(c.laddr.ip for c in p.net_connections("tcp") if c.status == psutil.CONN_LISTEN)
            except psutil.NoSuchProcess:  # a worker that exited meanwhile
                pass
        return real_shutdown(*args, **kwargs)

    monkeypatch.setattr(ray, "shutdown", shutdown)
    out = tmp_path / "o"
    cmd = ["run", str(DEMO), "--output", str(out), "--limit", "10", "--executor", "ray", "--workers", "1"]
    assert main(cmd) == 0
    assert "input = kept + removed + skipped" in capsys.readouterr().out
    assert not ray.is_initialized()
    assert {"raylet", "gcs_server"} <= set(ours.values()), ours  # a local instance was started, and shut down
    assert listening and listening <= {"127.0.0.1", "::ffff:127.0.0.1"}, listening  # loopback only
    _, alive = psutil.wait_procs(list(ours), timeout=30)
    assert not alive, [(p.pid, ours[p]) for p in alive]
