"""`winnow quality annotate` against a real loopback OpenAI-compatible server (tests/fake_llm.py): retries, failures
counted, bounded concurrency, the API key kept out of outputs, resume after a kill, training on the annotations."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from filters.annotate import annotate, load_prompt, parse_score
from pipeline.cli import main
from pipeline.errors import ConfigError
from pipeline.urls import chat_url
from tests.conftest import ROOT
from tests.fake_llm import _ID, SUBJECT_WORDS, FakeLLM, grade

BASE = [json.loads(line)["text"] for line in (ROOT / "configs" / "data" / "quality_positive.jsonl").open()]


def _docs(path, n, markers=None, duplicate=False):
    """n documents (real-looking demo text) with 0-5 planted subject words; ``markers``: {index: marker}."""
    rng = random.Random(n)
    rows = []
    for i in range(n):
        words = BASE[i % len(BASE)].split()[:120]
        for _ in range(i % 6):
            words.insert(rng.randrange(len(words) + 1), rng.choice(SUBJECT_WORDS))
        text = f"DOC{i} " + " ".join(words) + (f" {markers[i]}" if markers and i in markers else "")
        rows.append({"id": f"d{i}", "text": text})
    if duplicate:
        rows.append(dict(rows[0]))
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


def _annotations(out):
    parts = sorted((out / "annotations").glob("part-*.parquet"))
    return [r for p in parts for r in pq.read_table(p).to_pylist()]


def test_parse_score_prompt_and_url():
    assert parse_score("Reasons... Educational score: 3") == 3.0
    assert parse_score("score: 1 at first, then Educational score: **4**") == 4.0
    assert parse_score("no number here") is None
    name, template = load_prompt("fineweb_edu")
    assert name == "fineweb_edu" and "{text}" in template and 'Educational score: <total points>' in template
    assert chat_url("http://127.0.0.1:8000/v1/") == "http://127.0.0.1:8000/v1/chat/completions"
    with pytest.raises(ConfigError, match="not an http"):
        chat_url("127.0.0.1:8000")


def test_prompt_file_needs_a_text_placeholder(tmp_path):
    bad = tmp_path / "mine.txt"
    bad.write_text("Rate this document.")
    with pytest.raises(ConfigError, match="no {text} placeholder"):
        load_prompt(str(bad))
    good = tmp_path / "mine.txt"
    good.write_text("Rate this: {text}\nAnswer with score: N")
    assert load_prompt(str(good)) == ("mine", "Rate this: {text}\nAnswer with score: N")


def test_annotate_counts_every_document_retries_and_bounds_concurrency(tmp_path, monkeypatch):
    rows = _docs(tmp_path / "docs.jsonl", 40, {3: "FAIL500", 5: "FAIL429", 9: "BAD400", 11: "NOSCORE"},
                 duplicate=True)
    monkeypatch.setenv("WINNOW_TEST_KEY", "sk-secret-123")
    out = tmp_path / "ann"
    with FakeLLM() as llm:
        stats = annotate([str(tmp_path / "docs.jsonl")], llm.url, "fake-model", str(out), concurrency=4,
                         api_key_env="WINNOW_TEST_KEY", backoff=0.01, progress=None)
        requested = llm.docs_requested()
        auth = {r["auth"] for r in llm.requests}
        max_in_flight = llm.max_in_flight
    assert stats["documents"] == 41 and stats["duplicate_id"] == 1
    assert stats["annotated"] == 39 and stats["scored"] == 38 and stats["unparseable"] == 1
    assert stats["failed"] == {"http_400": 1} and stats["pending"] == 0
    got = {r["id"]: r for r in _annotations(out)}
    assert len(got) == 39 and "d9" not in got
    for r in rows[:40]:
        if r["id"] in got and r["id"] != "d11":
            assert got[r["id"]]["score"] == grade(r["text"]), r["id"]
    assert got["d11"]["score"] is None and got["d11"]["answer"] == "The extract is short."
    assert got["d3"]["attempts"] == 3 and got["d5"]["attempts"] == 2
    counts = {d: requested.count(d) for d in set(requested)}
    assert counts["DOC9"] == 1 and counts["DOC3"] == 3 and counts["DOC5"] == 2  # 400 is not retried
    assert all(n == 1 for d, n in counts.items() if d not in ("DOC3", "DOC5")), counts
    assert 2 <= max_in_flight <= 4
    assert auth == {"Bearer sk-secret-123"}
    for f in out.rglob("*"):
        if f.is_file():
            assert b"sk-secret-123" not in f.read_bytes(), f


def test_rerun_sends_requests_only_for_documents_not_annotated(tmp_path):
    _docs(tmp_path / "docs.jsonl", 20, {4: "BAD400"})
    out = tmp_path / "ann"
    with FakeLLM() as llm:
        annotate([str(tmp_path / "docs.jsonl")], llm.url, "m", str(out), concurrency=3, backoff=0.01, progress=None)
        llm.requests.clear()
        again = annotate([str(tmp_path / "docs.jsonl")], llm.url, "m", str(out), concurrency=3, backoff=0.01,
                         progress=None)
        assert set(llm.docs_requested()) == {"DOC4"}  # only the one that failed is tried again
    assert again["already_annotated"] == 19 and again["annotated"] == 0 and again["failed"] == {"http_400": 1}
    assert len(_annotations(out)) == 19


def test_killed_run_resumes_without_resending_annotated_documents(tmp_path):
    _docs(tmp_path / "docs.jsonl", 150)
    out = tmp_path / "ann"
    with FakeLLM(delay=0.03) as llm:
        cmd = [sys.executable, "-m", "pipeline.cli", "quality", "annotate", str(tmp_path / "docs.jsonl"),
               "--endpoint", llm.url, "--model", "m", "--output", str(out), "--concurrency", "2"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.time()
        while not list((out / "annotations").glob("part-*.parquet")) and time.time() - t0 < 60:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        first = {r["id"] for r in _annotations(out)}
        assert 0 < len(first) < 150
        llm.requests.clear()
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        second = set(llm.docs_requested())
    assert not second & {f"DOC{i[1:]}" for i in first}  # nothing annotated before the kill is sent again
    ids = [r["id"] for r in _annotations(out)]
    assert len(ids) == len(set(ids)) == 150
    stats = json.loads((out / "stats.json").read_text())
    assert stats["already_annotated"] == len(first) and stats["annotated"] == 150 - len(first)


@pytest.mark.slow  # trains and evaluates a classifier (about 15 s); make test covers annotating and training apart
def test_a_model_trained_on_the_annotations_ranks_held_out_documents_by_the_rule(tmp_path):
    from filters.quality_train import train

    _docs(tmp_path / "docs.jsonl", 400)
    out = tmp_path / "ann"
    with FakeLLM(delay=0.0) as llm:
        annotate([str(tmp_path / "docs.jsonl")], llm.url, "m", str(out), concurrency=8, progress=None)
    metrics = train(str(tmp_path / "model"), input=[str(out / "annotations" / "*.parquet")], label_field="score",
                    model="linear", holdout=0.25)
    assert metrics["task"] == "regress" and metrics["spearman"] >= 0.7, metrics["spearman"]


def test_sample_is_the_same_documents_whatever_the_file_order(tmp_path):
    rows = _docs(tmp_path / "docs.jsonl", 30, duplicate=True)
    shuffled = tmp_path / "other" / "docs.jsonl"
    shuffled.parent.mkdir()
    mixed = rows[:]
    random.Random(3).shuffle(mixed)
    shuffled.write_text("".join(json.dumps(r) + "\n" for r in mixed))
    with FakeLLM() as llm:
        a = annotate([str(tmp_path / "docs.jsonl")], llm.url, "m", str(tmp_path / "a"), sample=7, progress=None)
        b = annotate([str(shuffled)], llm.url, "m", str(tmp_path / "b"), sample=7, progress=None)
        again = annotate([str(tmp_path / "docs.jsonl")], llm.url, "m", str(tmp_path / "a"), sample=7, progress=None)
        n_requests = len(llm.requests)
    ids_a = {r["id"] for r in _annotations(tmp_path / "a")}
    assert len(ids_a) == 7 and ids_a == {r["id"] for r in _annotations(tmp_path / "b")}
    assert a["documents"] == 31 and a["duplicate_id"] == 1 and a["sampled"] == 7 and a["annotated"] == 7
    assert b["sampled"] == 7 and again["already_annotated"] == 7 and again["requests"] == 0 and n_requests == 14


@pytest.mark.slow  # 11 s: a server that dies mid-run, then a rerun: make test-slow (CI runs it)
def test_endpoint_down_mid_run_exits_non_zero_and_the_rerun_resumes(tmp_path, capsys):
    """The endpoint stops (connections refused) after 25 answers; later requests exhaust their retries. The
    command exits non-zero naming the endpoint and how many documents are pending, having written every answer
    it received; run again against the restarted endpoint it sends exactly the documents never answered."""
    n = 60
    _docs(tmp_path / "docs.jsonl", n)
    out = tmp_path / "ann"
    with FakeLLM(down_after=25) as first:
        args = ["quality", "annotate", str(tmp_path / "docs.jsonl"), "--endpoint", first.url, "--model", "m",
                "--output", str(out), "--concurrency", "3"]
        rc = main(args)
        answered = {_ID.search(t).group(0) for t in first.answered}
    err = capsys.readouterr().err
    assert rc == 2, err[-3000:]
    pending = n - len(answered)
    assert pending > 0
    assert err.strip().splitlines()[-1].startswith(
        f"winnow: error: quality annotate: the endpoint {first.url}/chat/completions stayed unavailable for 5 "
        f"attempts (connection: "), err
    assert f"{pending} of {n} documents pending ({len(answered)} annotated now, 0 before)" in err
    assert {f"DOC{r['id'][1:]}" for r in _annotations(out)} == answered  # every answer received is written
    stats = json.loads((out / "stats.json").read_text())
    assert stats["pending"] == pending and stats["failed"] == {}

    with FakeLLM(port=first.port) as second:
        assert main(args) == 0
        sent = second.docs_requested()
    assert sorted(sent) == sorted(f"DOC{i}" for i in range(n) if f"DOC{i}" not in answered)  # each once
    ids = [r["id"] for r in _annotations(out)]
    assert len(ids) == len(set(ids)) == n
