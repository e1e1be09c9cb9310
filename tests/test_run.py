"""End to end: the demo config on the bundled example, outputs checked with real parquet and DuckDB."""

import json
import subprocess
import sys

import duckdb
import pyarrow.parquet as pq
import pytest

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.errors import ConfigError
from pipeline.outputs import DOC_COLUMNS, REMOVED_COLUMNS
from pipeline.query import connect
from pipeline.run import run
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("demo_quality_model")  # runs configs/demo.yaml, which scores with it

DEMO_WARC = ROOT / "configs" / "data" / "demo.warc.gz"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    cfg = load_config(ROOT / "configs" / "demo.yaml").with_overrides(output=str(out))
    return run(cfg)


def test_conservation_per_run_and_per_stage(demo_run):
    s = demo_run.stats
    assert s["conserved"] and s["input"] == s["kept"] + s["removed"] + s["skipped"]
    assert s["kept"] > 50 and s["removed"] > 20 and s["skipped"] > 0
    read, *stages = s["stages"]
    assert read["out"] == read["in"] - sum(read["skipped"].values())
    prev_out = read["out"]
    for st in stages:
        assert st["in"] == prev_out, st["stage"]
        assert st["in"] == st["kept"] + st["dropped"] == st["kept"] + sum(st["dropped_by_reason"].values())
        assert all(r.startswith(st["stage"].rpartition("_v")[0] + "_") for r in st["dropped_by_reason"])
        prev_out = st["kept"]
    assert prev_out == s["kept"]


def test_parquet_rows_match_stats(demo_run):
    out = demo_run.output
    kept = pq.read_table(out / "documents").num_rows
    removed = pq.read_table(out / "removed").num_rows
    assert (kept, removed) == (demo_run.stats["kept"], demo_run.stats["removed"])


def test_columns_are_the_contract_with_nulls(demo_run):
    out = demo_run.output
    docs = pq.read_table(next((out / "documents").glob("*.parquet")))
    # the core, then the columns the demo's stages declare, in stage order (license_v1, dedup, decontam, pii,
    # the demo classifier); score_filter_v1 reads quality_demo
    declared = ["license_source", "dup_of", "decontam_benchmark", "decontam_item", "decontam_ngrams", "decontam_match",
                "pii_email", "pii_phone", "pii_ip", "pii_card", "quality_demo"]
    assert docs.schema.names == [c for c, _ in DOC_COLUMNS] + declared
    assert (str(docs.schema.field("pii_email").type) == "int64"
            and str(docs.schema.field("quality_demo").type) == "double")
    removed = pq.read_table(next((out / "removed").glob("*.parquet")))
    assert removed.schema.names == [c for c, _ in REMOVED_COLUMNS] + declared
    row = docs.slice(0, 1).to_pylist()[0]
    assert row["pdf_path"] is None and row["page_count"] is None  # not applicable: null, not absent
    assert row["lang"] == "en" and row["lang_score"] >= 0.65
    assert row["n_chars"] == len(row["text"]) and row["id"].startswith("urn:uuid:")
    assert row["url"].startswith("http") and row["domain"] and row["crawl_date"].startswith("20")


def test_duckdb_queries_and_reasons(demo_run):
    con = connect(demo_run.output)
    by_reason = dict(con.execute("select reason, count(*) from removed group by 1").fetchall())
    assert by_reason == demo_run.stats["removed_by_reason"]
    assert con.execute("select count(*) from documents where lang <> 'en'").fetchone()[0] == 0
    # dropped documents keep their language label, so analysts can see what langid removed
    other = con.execute(
        "select count(distinct lang) from removed where reason like 'langid%other_language'").fetchone()[0]
    assert other >= 3
    # a plain DuckDB over the files, as an analyst would run it
    n = duckdb.execute(f"select count(*) from '{demo_run.output}/documents/*.parquet'").fetchone()[0]
    assert n == demo_run.stats["kept"]


def test_demo_drops_what_it_should(demo_run):
    con = connect(demo_run.output)
    kept_text = " ".join(r[0] for r in con.execute("select text from documents").fetchall()).lower()
    assert "lorem ipsum" not in kept_text
    assert "accept all cookies" not in kept_text  # cookie banners are boilerplate, not main text
    reasons = demo_run.stats["removed_by_reason"]
    assert reasons.get("langid_prefilter_other_language", 0) + reasons.get("langid_other_language", 0) >= 20
    assert any(r.startswith("gopher_repetition_") for r in reasons)
    # the bundled crawl's exact duplicates, and the pages that quote the demo benchmark, are removed
    assert reasons.get("exact_dedup_duplicate", 0) >= 10 and reasons.get("decontam_contaminated", 0) >= 3
    con = connect(demo_run.output)
    rows = con.execute("select dup_of, dup_cluster from removed where reason = 'exact_dedup_duplicate'").fetchall()
    assert all(dup_of and dup_of == cluster for dup_of, cluster in rows)
    bench = con.execute(
        "select distinct decontam_benchmark from removed where reason = 'decontam_contaminated'").fetchall()
    assert bench == [("demo_benchmark",)]
    sizes = con.execute("select max(dup_cluster_size), min(dup_cluster_size) from documents").fetchone()
    assert sizes[0] >= 2 and sizes[1] == 1
    skipped = demo_run.stats["skipped_by_reason"]
    assert {"not_html", "http_status", "not_response"} <= set(skipped)
    assert skipped.get("corrupt", 0) + skipped.get("truncated", 0) >= 2


def test_manifest_and_shards(demo_run):
    m = json.loads((demo_run.output / "manifest.json").read_text())
    assert m["config_hash"] == demo_run.manifest["config_hash"]
    assert m["versions"]["datatrove"] == "0.10.1"
    (inp,) = m["inputs"]
    assert inp["bytes"] == DEMO_WARC.stat().st_size and len(inp["sha256"]) == 64
    assert [a["stage"] for a in m["assets"]] == ["langid_prefilter_v1", "extract_html_v1", "langid_v1", "decontam_v1",
                                                 "quality_score_v1"]
    assert m["assets"][1]["path"].endswith("extract_model.json")
    assert m["assets"][3]["path"].endswith("demo_benchmark.jsonl")
    import zstandard

    shard = next((demo_run.output / "shards").glob("*.jsonl.zst"))
    lines = zstandard.ZstdDecompressor().stream_reader(shard.open("rb")).read().decode().splitlines()
    assert len(lines) == demo_run.stats["kept"]
    assert set(json.loads(lines[0])) == {"id", "text", "source", "added", "metadata"}


def test_rerun_resumes_without_duplicates_and_refuses_other_configs(demo_run):
    cfg = load_config(ROOT / "configs" / "demo.yaml").with_overrides(output=str(demo_run.output))
    again = run(cfg)
    assert again.stats["kept"] == demo_run.stats["kept"]
    assert pq.read_table(demo_run.output / "documents").num_rows == demo_run.stats["kept"]
    other = cfg.with_overrides(limit=5)
    with pytest.raises(ConfigError, match="different config"):
        run(other)


def test_tasks_split_files_and_limit(tmp_path):
    import shutil

    for i in range(2):
        shutil.copy(DEMO_WARC, tmp_path / f"part{i}.warc.gz")
    cfg = load_config(ROOT / "configs" / "demo.yaml").with_overrides(
        input_glob=str(tmp_path / "*.warc.gz"), output=str(tmp_path / "out"), tasks=2, workers=1, limit=20
    )
    res = run(cfg)
    assert res.stats["tasks_reported"] == 2
    assert res.stats["kept"] + res.stats["removed"] == 40  # 20 documents per task
    assert res.stats["conserved"]


def test_cli_run_prints_funnel(tmp_path, capsys):
    assert main(["run", str(ROOT / "configs" / "demo.yaml"), "--output", str(tmp_path / "o"), "--limit", "30"]) == 0
    out = capsys.readouterr().out
    assert "records read" in out and "input = kept + removed + skipped" in out and "(holds)" in out
    assert main(["sql", str(tmp_path / "o"), "select count(*) as n from all_documents", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {"n": 30}


@pytest.mark.slow  # four demo runs; the dedup tests check task invariance fast: `make test-slow`
def test_parallel_workers_give_the_same_result(tmp_path):
    import shutil

    for i in range(2):
        shutil.copy(DEMO_WARC, tmp_path / f"part{i}.warc.gz")
    base = load_config(ROOT / "configs" / "demo.yaml").with_overrides(input_glob=str(tmp_path / "*.warc.gz"))
    serial = run(base.with_overrides(output=str(tmp_path / "serial"), tasks=1, workers=1))
    parallel = run(base.with_overrides(output=str(tmp_path / "parallel"), tasks=2, workers=2))
    def ids(r):
        return sorted(pq.read_table(r.output / "documents", columns=["id", "url"]).to_pylist(), key=str)
    assert ids(serial) == ids(parallel)
    for key in ("input", "kept", "removed", "skipped", "removed_by_reason", "skipped_by_reason"):
        assert serial.stats[key] == parallel.stats[key], key


def test_sql_on_a_run_that_kept_nothing(tmp_path):
    from dataclasses import replace

    from pipeline.config import StageConfig

    cfg = load_config(ROOT / "configs" / "demo.yaml").with_overrides(output=str(tmp_path / "o"), limit=3)
    strict = replace(cfg, stages=(StageConfig("gopher_quality_v1", {"min_doc_words": 10**9}),))
    res = run(strict)
    assert res.stats["kept"] == 0 and res.stats["removed"] == 3
    con = connect(res.output)
    assert con.execute("select count(*) from documents").fetchone()[0] == 0
    assert con.execute("select count(*), min(reason) from all_documents").fetchone() == (3, "gopher_quality_few_words")


def test_every_row_has_n_tokens(demo_run):
    con = connect(demo_run.output)
    missing, rows = con.execute(
        "select count(*) filter (where n_tokens is null), count(*) from all_documents").fetchone()
    assert rows == demo_run.stats["kept"] + demo_run.stats["removed"] and missing == 0
    # words_v1 counts word pieces and punctuation: at least the whitespace words of a text
    assert con.execute("select count(*) from all_documents where n_tokens < n_words").fetchone()[0] == 0


def _winnow(*args, out):
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "pipeline.cli", *args, "run", str(ROOT / "configs" / "demo.yaml"),
                          "--output", str(out)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    return (res.stdout + res.stderr).splitlines()


def test_the_demo_run_is_quiet_and_datatrove_logs_go_to_files(tmp_path):
    """Not on a terminal: at most 40 lines (header, a line per job, funnel, timings, where things are)."""
    lines = _winnow(out=tmp_path / "o")
    assert len(lines) <= 40, "\n".join(lines)
    text = "\n".join(lines)
    assert "Launching pipeline" not in text and "Stats:" not in text  # datatrove's banners are in the log files
    assert lines[0].startswith("winnow run demo: config ") and "1 task(s) on local" in lines[0]
    assert "input = kept + removed + skipped" in text and "CPU s" in text and "report.html" in text
    logs = sorted((tmp_path / "o" / "logs").glob("*/logs/task_*.log"))
    jobs = {"0", "0-cluster", "0-barrier", "1", "1-cluster", "1-barrier", "2", "finalize"}
    assert {p.parts[-3] for p in logs} == jobs
    assert "Launching pipeline" in logs[0].read_text()


@pytest.mark.slow  # a whole demo run for one flag: `make test-slow`
def test_verbose_brings_datatrove_logs_back(tmp_path):
    lines = _winnow("-v", out=tmp_path / "o")
    assert any("Launching pipeline" in line for line in lines)


def test_job_wall_seconds_are_the_union_of_task_spans(tmp_path):
    """A resumed run: tasks 0-1 overlap, task 2 ran much later; the pause between them is not work."""
    from pipeline.stats import job_timings

    for rank, (start, end, cpu) in enumerate([(0, 10, 5), (5, 12, 5), (1000, 1003, 2)]):
        (tmp_path / f"{rank:05d}.json").write_text(json.dumps([{"name": "commit", "stats": {
            "task_cpu_seconds": cpu, "task_started": start, "task_finished": end}}]))
    assert job_timings(tmp_path, 3) == {"cpu_seconds": 12.0, "wall_seconds": 15.0, "tasks": 3, "first_started": 0}


@pytest.mark.slow  # two real runs (18 s)
def test_wall_time_is_the_commands_own(tmp_path):
    """`done: N s wall` and stats.json's run wall seconds cover the whole command (startup and the gaps between
    jobs), not the tasks' spans added up; a resumed run reports no documents per second."""
    import re
    import time

    out = tmp_path / "o"
    cmd = [sys.executable, "-m", "pipeline.cli", "run", str(ROOT / "configs" / "demo.yaml"), "--output", str(out),
           "--tasks", "1", "--workers", "1", "--limit", "60"]
    t0 = time.monotonic()
    res = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.monotonic() - t0
    assert res.returncode == 0, res.stderr[-2000:]
    printed = float(re.search(r"^done: ([0-9.]+) s wall", res.stdout, re.M).group(1))
    run_stats = json.loads((out / "stats.json").read_text())["run"]
    # the command's wall time is at least the jobs' spans added up, and at most the process's life
    assert run_stats["task_seconds"] <= run_stats["wall_seconds"] <= printed + 0.1 <= elapsed + 0.1
    assert run_stats["resumed"] is False and run_stats["documents_per_second"] > 0
    # the startup before the first job (imports, planning) is part of the command's wall time
    first_task = min(j["first_started"] for j in json.loads((out / "stats.json").read_text())["jobs"].values())
    assert printed >= first_task - float((out / "logs" / "winnow_started").read_text())
    for job in ("2", "finalize"):  # as if the run had been stopped before its last phase: resuming redoes it
        for marker in (out / "logs" / job / "completions").iterdir():
            marker.unlink()
    rerun = subprocess.run(cmd, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    again = json.loads((out / "stats.json").read_text())["run"]
    assert again["resumed"] is True and again["documents_per_second"] is None and "records/s" not in rerun.stdout
    finished = subprocess.run(cmd, capture_output=True, text=True)  # nothing left to do: no rate either
    assert finished.returncode == 0 and "records/s" not in finished.stdout, finished.stdout


def test_run_cpu_seconds_agree_with_the_process_that_ran_the_tasks(tmp_path):
    """An independent measure: with one task and one worker the tasks run in this process, so the CPU
    stats.json reports must be most of this process's CPU over the run (planning and finalize are not in it)."""
    import dataclasses
    import time

    cfg = load_config(ROOT / "configs" / "demo.yaml").with_overrides(output=str(tmp_path / "o"), tasks=1, workers=1)
    cfg = dataclasses.replace(cfg, report=False)
    cpu0 = time.process_time()
    res = run(cfg)
    spent = time.process_time() - cpu0
    reported = res.stats["run"]["cpu_seconds"]
    assert 0.5 * spent <= reported <= spent + 0.05, (reported, spent)
    assert reported >= sum(st.get("cpu_seconds") or 0 for st in res.stats["stages"])


def test_a_task_raises_the_collector_thresholds_and_never_lowers_them():
    import gc

    from pipeline.readers import TASK_GC_THRESHOLDS, DocumentReader, raise_gc_thresholds
    from pipeline.run import phase_pipelines

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        cfg = load_config(ROOT / "configs" / "demo.yaml")
        reader = phase_pipelines(cfg, [(str(ROOT / "configs" / "data" / "demo.warc.gz"), 0, None)], tasks=1)[0][0][0]
        assert reader.gc_thresholds == TASK_GC_THRESHOLDS
        next(iter(reader.run()))  # the first document: the task has started
        assert gc.get_threshold() == TASK_GC_THRESHOLDS
        gc.set_threshold(100_000, 5, 50)
        raise_gc_thresholds()
        assert gc.get_threshold() == (100_000, 20, 50)
        assert DocumentReader.gc_thresholds is None  # a reader outside a run leaves the process alone
    finally:
        gc.set_threshold(*before)
