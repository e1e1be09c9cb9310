"""``winnow rephrase`` / ``rephrase_v1`` against a real OpenAI-compatible HTTP server on 127.0.0.1
(tests/fake_llm.py): the output contract, failures as removals with reasons, the API key, bounded
concurrency, and a run whose server is restarted and which is killed mid-way, then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from filters.annotate import Client
from filters.rephrase import PROMPTS, Rephrase, chunks, echo_share
from pipeline.cli import main
from pipeline.errors import ConfigError
from pipeline.urls import chat_url
from tests.conftest import ROOT
from tests.fake_llm import FakeLLM, rewrite

SECRET = "sk-test-rephrase-0123456789"
WORDS = ("river", "stone", "market", "winter", "lamp", "garden", "signal", "copper", "meadow", "ladder")


def _text(i: int, marker: str = "", paragraphs: int = 2) -> str:
    paras = [f"DOC{i} " + " ".join(WORDS[(i + k + j) % len(WORDS)] for j in range(12)) + f" {marker}".rstrip()
             for k in range(paragraphs)]
    return "\n\n".join(paras)


def _write_input(path: Path, texts: list[str]) -> list[dict]:
    rows = [{"id": f"src-{i}", "text": t, "url": f"https://example.org/{i}", "quality_x": i / 100}
            for i, t in enumerate(texts)]
    pq.write_table(pa.Table.from_pylist(rows), path)
    return rows


def _expected(text: str, chunk_chars: int = 6000) -> str:
    return "\n\n".join(rewrite(c).strip() for c in chunks(text, chunk_chars))


def test_chunks_cover_the_text_in_order_within_the_limit():
    text = "\n\n".join(f"Paragraph {i}. " + "word " * (i * 37 % 300) for i in range(60))
    text += "\n\n" + "A very long sentence without end " * 200  # one paragraph far over the limit
    pieces = chunks(text, 1000)
    assert all(0 < len(p) <= 1000 for p in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())  # nothing lost, nothing reordered
    assert chunks("  \n\n ", 1000) == []
    assert chunks("short", 1000) == ["short"]


def test_echo_share():
    prompt = PROMPTS["wikipedia"].replace("{text}", "the cat sat on the mat near the door of the house today")
    assert echo_share(prompt, prompt) == 1.0
    assert echo_share("A cat was sitting on a mat, close to the house's door, earlier today.", prompt) == 0.0
    assert echo_share("too short", prompt) == 0.0


def test_bad_parameters_are_refused():
    with pytest.raises(ConfigError, match="credentials"):
        Rephrase(endpoint="http://user:key@host/v1", model="m")
    with pytest.raises(ConfigError, match="neither a built-in prompt"):
        Rephrase(endpoint="http://h/v1", model="m", prompt="no-such-prompt")
    with pytest.raises(ConfigError, match="concurrency"):
        Rephrase(endpoint="http://h/v1", model="m", concurrency=0)


def test_rephrase_end_to_end(tmp_path, monkeypatch):
    markers = {3: "FAIL500", 4: "FAIL429", 6: "BAD400", 7: "EMPTYANSWER", 8: "TRUNCATE", 9: "ECHO"}
    texts = [_text(i, markers.get(i, "")) for i in range(30)]
    texts[10] = _text(10, paragraphs=40)  # about 3,500 characters: two chunks at --chunk-chars 2000
    rows = _write_input(tmp_path / "in.parquet", texts)
    monkeypatch.setenv("REPHRASE_KEY", SECRET)
    out = tmp_path / "out"
    with FakeLLM(delay=0.02) as llm:
        rc = main(["rephrase", str(tmp_path / "in.parquet"), "--endpoint", llm.url, "--model", "fake-7b",
                   "--output", str(out), "--concurrency", "3", "--chunk-chars", "2000",
                   "--api-key-env", "REPHRASE_KEY"])
        assert rc == 0
        assert 1 < llm.max_in_flight <= 3
        sent = len(llm.requests)
        assert {r["auth"] for r in llm.requests} == {f"Bearer {SECRET}"}
    docs = duckdb.sql(f"select * from '{out}/documents/*.parquet' order by rephrase_of").to_arrow_table().to_pylist()
    counts = next(s for s in json.loads((out / "stats.json").read_text())["stages"] if s["stage"] == "rephrase_v1")
    assert counts["counts"] == {"requests": 31}  # 30 documents, one of them in two chunks; retries not counted
    assert sent == 31 + 2 + 1  # FAIL500 twice more, FAIL429 once more
    removed = dict(duckdb.sql(f"select id, reason from '{out}/removed/*.parquet'").fetchall())
    assert removed == {"src-6": "rephrase_http_400", "src-7": "rephrase_empty", "src-8": "rephrase_truncated",
                       "src-9": "rephrase_echo"}  # final answers only; an outage is not one (below)
    assert len(docs) + len(removed) == len(rows)  # input = kept + removed
    by_source = {r["id"]: r for r in rows}
    for d in docs:
        src = by_source[d["rephrase_of"]]
        assert d["id"].startswith(src["id"] + "#rephrase=wikipedia:")
        assert d["text"] == _expected(src["text"], 2000)
        assert (d["url"], d["quality_x"]) == (src["url"], src["quality_x"])  # the source's columns travel along
        assert (d["rephrase_prompt"], d["rephrase_model"]) == ("wikipedia", "fake-7b")
    assert len(chunks(texts[10], 2000)) == 2
    assert len({d["id"] for d in docs}) == len(docs)
    for f in out.rglob("*"):  # the key is nowhere: outputs, stats, manifest, logs, the answer cache
        if f.is_file():
            assert SECRET.encode() not in f.read_bytes(), f


def test_rephrase_is_a_config_stage_with_a_user_prompt(tmp_path):
    prompt = tmp_path / "textbook.txt"
    prompt.write_text("Rewrite this as a textbook section.\n\nText:\n{text}\n", encoding="utf-8")
    rows = _write_input(tmp_path / "in.parquet", [_text(i) for i in range(5)])
    with FakeLLM() as llm:
        cfg = {"name": "wrap", "input": {"format": "parquet", "paths": str(tmp_path / "in.parquet")},
               "output": str(tmp_path / "out"), "executor": {"kind": "local", "tasks": 1, "workers": 1},
               "stages": [{"rephrase_v1": {"endpoint": llm.url, "model": "m", "prompt": str(prompt)}},
                          {"exact_dedup_v1": {}}]}
        (tmp_path / "wrap.yaml").write_text(json.dumps(cfg), encoding="utf-8")
        assert main(["run", str(tmp_path / "wrap.yaml")]) == 0
    got = duckdb.sql(f"select rephrase_of, rephrase_prompt, text from '{tmp_path}/out/documents/*.parquet' "
                     "order by 1").fetchall()
    assert [(r[0], r[1]) for r in got] == [(r["id"], "textbook") for r in rows]
    assert [r[2] for r in got] == [_expected(r["text"]) for r in rows]


def _cache_keys(out: Path) -> set[str]:
    """Keys of the answers kept so far: compacted parts and the journal's complete lines."""
    cache = out / "work" / "cache_rephrase_v1"
    keys = {k for part in cache.glob("*.parquet")
            for k in pq.read_table(part, columns=["key"]).column("key").to_pylist()}
    for journal in cache.glob("*.journal.jsonl"):
        keys.update(json.loads(line)["key"] for line in journal.read_text().splitlines(keepends=True)
                    if line.endswith("\n"))
    return keys


# two runs with a kill; test_a_killed_run_resends_only_what_was_in_flight checks kills fast: `make test-slow`
@pytest.mark.slow
def test_server_restarted_and_run_killed_mid_way_then_resumed(tmp_path):
    """The must-show: a server that fails some requests is restarted on the same port mid-run, the run is
    killed (SIGKILL) later and run again: one rephrased document per input, nothing doubled, and no request
    re-sent for a document whose answer had been written."""
    n = 60
    texts = [_text(i, "FAIL500" if i % 20 == 0 else "") for i in range(n)]
    rows = _write_input(tmp_path / "in.parquet", texts)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "pipeline.cli", "rephrase", str(tmp_path / "in.parquet"), "--endpoint", "", "--model",
           "m", "--output", str(out), "--concurrency", "2"]
    stage = Rephrase(endpoint="http://127.0.0.1/v1", model="m")
    key_of = {r["id"]: stage._key(chunks(r["text"], 6000)[0]) for r in rows}
    first = FakeLLM(delay=0.1)
    port = first.port
    cmd[cmd.index("--endpoint") + 1] = first.url
    with first:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
        deadline = time.monotonic() + 120
        while not _cache_keys(out) and time.monotonic() < deadline:  # the first answers are written
            time.sleep(0.02)
        assert _cache_keys(out), proc.communicate()
    time.sleep(0.5)  # down for half a second: requests are refused and retried
    with FakeLLM(delay=0.1, port=port) as second:
        while len(_cache_keys(out)) < 32 and proc.poll() is None:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)  # with the helpers it forked: none is left behind holding the pipes
        proc.wait()
        cached = _cache_keys(out)
        assert 32 <= len(cached) < n, "the run was not killed mid-way"
        mark = len(second.requests)
        rerun = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
        assert rerun.returncode == 0, rerun.stderr[-3000:]
        resent = [d for d in second.docs_requested()[mark:] if key_of[f"src-{d[3:]}"] in cached]
    assert resent == [], f"requests sent again for answers already written: {sorted(set(resent))}"
    docs = duckdb.sql(f"select rephrase_of, text from '{out}/documents/*.parquet'").fetchall()
    assert sorted(d[0] for d in docs) == sorted(r["id"] for r in rows)  # one per input, none doubled
    by_id = {r["id"]: r["text"] for r in rows}
    assert all(text == _expected(by_id[src]) for src, text in docs)
    stats = json.loads((out / "stats.json").read_text())
    assert (stats["input"], stats["kept"], stats["removed"]) == (n, n, 0)
    counts = next(s for s in stats["stages"] if s["stage"] == "rephrase_v1")["counts"]
    assert counts["cached_answers"] >= 32  # the rerun's task read back what the killed one had written


def test_the_fake_server_counts_in_flight_as_the_client_sees_it():
    """The flake of test_rephrase_end_to_end (max_in_flight 4 for --concurrency 3): a client sends its next
    request as soon as it has read an answer, possibly before the handler thread that wrote the answer runs
    again, so a server that counted that handler as in flight until it returned saw one more than the client
    had open. Here the handler is held up after writing, and a client that sends one request at a time must
    be seen with one in flight."""
    client = Client(chat_url("http://127.0.0.1/v1"), "m", retries=2)
    with FakeLLM(delay=0.0) as llm:
        client.url = chat_url(llm.url)
        handler = llm.httpd.RequestHandlerClass
        send = handler._send

        def send_then_stall(self, *args):
            send(self, *args)
            time.sleep(0.3)  # this thread descheduled right after its answer went out

        handler._send = send_then_stall
        for i in range(3):
            answer, _, _ = client.complete(PROMPTS["wikipedia"].replace("{text}", _text(i)))
            assert answer == rewrite(_text(i))
        assert llm.max_in_flight == 1


def _run_args(inp: Path, url: str, out: Path, concurrency: int) -> list[str]:
    return ["rephrase", str(inp), "--endpoint", url, "--model", "m", "--output", str(out), "--concurrency",
            str(concurrency)]


@pytest.mark.slow  # 24 s; make test covers outages with quality annotate's, which shares the endpoint client
def test_endpoint_down_mid_run_fails_the_task_and_the_rerun_resumes(tmp_path):
    """The endpoint stops (connections refused) after 15 answers: the command exits non-zero naming the endpoint
    and the pending documents, records nothing as removed and leaves no finished run; run again against the
    restarted endpoint it sends exactly the prompts never answered, so every document is answered once.
    (``winnow rephrase`` runs in a process of its own: a process forked from this one would hold the stopped
    server's listening socket open, and connections to it would hang instead of being refused.)"""
    n = 40
    texts = [_text(i) for i in range(n)]
    rows = _write_input(tmp_path / "in.parquet", texts)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with FakeLLM(delay=0.02, down_after=15) as first:
        cmd = [sys.executable, "-m", "pipeline.cli", *_run_args(tmp_path / "in.parquet", first.url, out, 3)]
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
        answered = list(first.answered)
    assert res.returncode == 2, res.stderr[-3000:]
    pending = sum(chunks(t, 6000)[0] not in answered for t in texts)
    assert 0 < pending < n and pending == n - len(answered)
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith(f"winnow: error: rephrase_v1: the endpoint {first.url}/chat/completions stayed "
                           "unavailable for 5 attempts (connection: "), last
    assert f"task 0: {pending} of its {n} documents pending" in last and "run the same command again" in last
    assert "Traceback" not in res.stderr, res.stderr[-3000:]  # one line for the person; the task log keeps the rest
    assert not list((out / "removed").glob("*.parquet")) and not (out / "stats.json").exists()

    with FakeLLM(delay=0.02, port=first.port) as second:
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
        sent = [r["text"] for r in second.requests]
        answered_now = list(second.answered)
    assert res.returncode == 0, res.stderr[-3000:]
    assert not set(sent) & set(answered), "prompts answered before the outage were sent again"
    assert sorted(answered + answered_now) == sorted(chunks(t, 6000)[0] for t in texts)  # each answered once
    stats = json.loads((out / "stats.json").read_text())
    assert (stats["input"], stats["kept"], stats["removed"]) == (n, n, 0)
    docs = dict(duckdb.sql(f"select rephrase_of, text from '{out}/documents/*.parquet'").fetchall())
    assert docs == {r["id"]: _expected(r["text"]) for r in rows}


@pytest.mark.slow  # 6 s; test_annotate's killed run covers the same resume in make test: make test-slow (CI runs it)
def test_a_killed_run_resends_only_what_was_in_flight(tmp_path):
    """SIGKILL half-way: the server answers the first 61 prompts, then holds every request, so the kill lands
    with the client's 4 request threads each waiting on one and every answer it received already in hand. The
    rerun sends none of the 61 again: only the 4 that were in flight and those never sent, each once."""
    n, answered_first, concurrency = 120, 61, 4  # 61: not a multiple of any batch size a cache might flush at
    texts = [_text(i) for i in range(n)]
    _write_input(tmp_path / "in.parquet", texts)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = FakeLLM(delay=0.01, hold_after=answered_first)
    cmd = [sys.executable, "-m", "pipeline.cli", *_run_args(tmp_path / "in.parquet", first.url, out, concurrency)]
    with first:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                                start_new_session=True)
        deadline = time.monotonic() + 180
        while first.held < concurrency and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)  # the run and the helpers it forked, as a job scheduler kills a job
        _, err = proc.communicate()
        assert first.held == concurrency, err[-3000:]
        answered, in_flight = set(first.answered), first.held
    with FakeLLM(delay=0.01, port=first.port) as second:
        rerun = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
        sent = [r["text"] for r in second.requests]
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    resent = set(sent) & answered
    assert not resent, f"{len(resent)} answered prompts sent again; {in_flight} were in flight at the kill"
    assert sorted(sent) == sorted({chunks(t, 6000)[0] for t in texts} - answered)
    assert len(answered) == answered_first
    stats = json.loads((out / "stats.json").read_text())
    assert (stats["input"], stats["kept"], stats["removed"]) == (n, n, 0)
