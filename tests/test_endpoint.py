"""pipeline.endpoint against real sockets on 127.0.0.1: Retry-After, the key from a named variable, outage
semantics, bounded concurrency, and answer parts that survive a SIGKILL."""

from __future__ import annotations

import email.utils
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ocr.vlm import VlmClient
from pipeline.endpoint import (
    AnswerParts,
    Client,
    EndpointDown,
    NotSent,
    RequestFailed,
    bounded_map,
    image_content,
    outage,
)
from pipeline.errors import EndpointUnavailable
from tests.conftest import ROOT
from tests.fake_llm import FakeLLM

ANSWER = {"choices": [{"message": {"role": "assistant", "content": "fine"}, "finish_reason": "stop"}]}
SCHEMA = pa.schema([("id", pa.string()), ("answer", pa.string())])


class Scripted:
    """A chat server answering each request with the next (status, headers) of ``script`` (the last repeats):
    200 is a chat completion saying "fine". It records each request's headers and body."""

    def __init__(self, script):
        self.script, self.seen = list(script), []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.seen.append((dict(self.headers), body))
                status, headers = server.script[min(len(server.seen), len(server.script)) - 1]
                data = json.dumps(ANSWER if status == 200 else {"error": "no"}).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted():
    servers = []

    def start(*script):
        servers.append(Scripted(script))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def _client(url, **kw) -> tuple[Client, list[float]]:
    slept: list[float] = []
    return Client(url, "m", sleep=slept.append, **kw), slept


def test_retry_after_is_waited_instead_of_the_backoff(scripted):
    server = scripted((429, {"Retry-After": "7"}), (503, {"Retry-After": "3600"}), (503, {}), (200, {}))
    client, slept = _client(server.url, backoff=0.01)
    assert client.complete("hi") == ("fine", "stop", 4)
    assert slept[:2] == [7.0, 60.0]  # as asked, at most 60 s
    assert 0.02 <= slept[2] <= 0.06  # no header: backoff 0.01 doubled twice, jittered 0.5-1.5x
    assert len(server.seen) == 4


def test_retry_after_as_an_http_date(scripted):
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    client, slept = _client(scripted((503, {"Retry-After": when}), (200, {})).url, backoff=0.01)
    assert client.ask("hi") == ("fine", 2)
    assert 15 <= slept[0] <= 20


def test_retry_after_against_the_fake_llm():
    with FakeLLM() as llm:
        client, slept = _client(llm.url, backoff=30.0)  # 15-45 s if the header were ignored
        answer, attempts = client.ask("The extract:\nDOC1 FAIL429 telescope\n\nAfter examining the extract")
    assert attempts == 2 and slept == [0.0] and answer.endswith("Educational score: 1")


def test_key_comes_from_the_named_variable_as_a_bearer_token(scripted, monkeypatch):
    server = scripted((200, {}))
    monkeypatch.setenv("MY_LLM_KEY", "sk-named-123")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-default-456")
    monkeypatch.setenv("WINNOW_VLM_API_KEY", "sk-vlm-789")
    named, _ = _client(server.url, api_key_env="MY_LLM_KEY")
    default, _ = _client(server.url)
    for client in (named, default):
        client.ask("hi")
    VlmClient(server.url, "m", retries=0).ocr_png(b"\x89PNG")
    monkeypatch.delenv("MY_LLM_KEY")
    _client(server.url, api_key_env="MY_LLM_KEY")[0].ask("hi")
    auth = [headers.get("Authorization") for headers, _ in server.seen]
    assert auth == ["Bearer sk-named-123", "Bearer sk-default-456", "Bearer sk-vlm-789", None]
    assert "sk-named" not in repr(named) and "sk-default" not in repr(default)
    image = server.seen[2][1]["messages"][0]["content"]
    assert image == image_content(VlmClient(server.url, "m").prompt, b"\x89PNG")


def test_a_refusal_is_final_and_an_outage_stops_the_client(scripted):
    refusing = scripted((400, {}))
    client, slept = _client(refusing.url, retries=3)
    with pytest.raises(RequestFailed) as refused:
        client.ask("hi")
    assert refused.value.reason == "http_400" and len(refusing.seen) == 1 and slept == []
    assert client.down is None  # a refusal is an answer, not an outage

    down = scripted((503, {}))
    client, _ = _client(down.url, retries=2)
    with pytest.raises(EndpointDown) as first:
        client.ask("hi")
    assert (first.value.reason, first.value.attempts, len(down.seen)) == ("http_503", 3, 3)
    with pytest.raises(NotSent):
        client.ask("again")
    assert len(down.seen) == 3 and client.down is first.value  # nothing more was sent
    error = outage("quality annotate", "http://me:sk-user@h:8000/v1/chat/completions?key=sk-query", client.down,
                   "7 documents pending")
    assert isinstance(error, EndpointUnavailable) and "sk-" not in str(error)
    assert str(error).startswith("quality annotate: the endpoint http://h:8000/v1/chat/completions stayed "
                                 "unavailable for 3 attempts (http_503: HTTP 503 ")
    assert "7 documents pending" in str(error) and "run the same command again" in str(error)

    keeps_asking, _ = _client(down.url, retries=0, stop_on_outage=False)
    for _ in range(2):
        with pytest.raises(EndpointDown):
            keeps_asking.ask("hi")
    assert len(down.seen) == 5


def test_bounded_map_never_exceeds_n_in_flight_and_streams():
    lock = threading.Lock()
    now, most, pulled = [0], [0], []

    def call(i):
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        time.sleep(0.01 * (i % 3))
        with lock:
            now[0] -= 1
        return i * i

    def items(n):
        for i in range(n):
            pulled.append(i)
            yield i

    got = [(i, f.result()) for i, f in bounded_map(call, items(40), 3)]
    assert got == [(i, i * i) for i in range(40)] and most[0] == 3  # in order; reached 3, never more

    most[0] = 0
    done = [i for i, _ in bounded_map(call, items(40), 4, ordered=False)]
    assert sorted(done) == list(range(40)) and done != list(range(40)) and most[0] <= 4

    pulled.clear()
    results = bounded_map(call, items(10**6), 2)
    for _ in range(5):
        next(results)
    results.close()
    assert len(pulled) <= 5 + 4  # the five taken and the look-ahead of twice the concurrency, not the input


def test_bounded_map_against_the_fake_llm_and_cancel_on_close():
    with FakeLLM(delay=0.05) as llm:
        client = Client(llm.url, "m")
        prompts = [f"The extract:\nDOC{i} violin\n\nAfter examining the extract" for i in range(12)]
        answers = [f.result()[0] for _, f in bounded_map(client.ask, prompts, 3)]
        assert 2 <= llm.max_in_flight <= 3
    assert all(a.endswith("Educational score: 1") for a in answers)

    started, gate = [], threading.Event()

    def slow(i):
        started.append(i)
        if i:
            gate.wait(5)
        return i

    results = bounded_map(slow, range(100), 2)
    assert next(results)[0] == 0  # 1 and perhaps 2 now hold both threads; 3 waits to start
    results.close()
    gate.set()
    time.sleep(0.2)
    assert set(started) <= {0, 1, 2}  # closing cancelled what had not started


def _rows(ids):
    return [{"id": i, "answer": f"answer {i}"} for i in ids]


def test_parts_without_a_journal_keep_what_was_flushed(tmp_path):
    parts = AnswerParts(tmp_path, SCHEMA, key="id", flush_every=3)
    for row in _rows("abcdefg"):
        parts.add(row)
    del parts  # dropped without close: a kill
    again = AnswerParts(tmp_path, SCHEMA, key="id", flush_every=3)
    assert again.keys() == set("abcdef")  # two parts of three; "g" was not in a part yet
    again.add(_rows("g")[0])
    again.close()
    assert [p.name for p in again.parts()] == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert [r["id"] for r in again.read()] == list("abcdefg")


_KILLED = """
import os, signal, sys
import pyarrow as pa
from pipeline.endpoint import AnswerParts
parts = AnswerParts(sys.argv[1], pa.schema([("id", pa.string()), ("answer", pa.string())]), key="id",
                    prefix="00003", journal=True)
for i in "abcde":
    parts.add({"id": i, "answer": f"answer {i}"})
with open(parts.journal_path, "a") as f:
    f.write('{"id": "f", "answ')  # the line a kill cut short
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_journaled_parts_survive_a_sigkill(tmp_path):
    res = subprocess.run([sys.executable, "-c", _KILLED, str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == -9, res.stderr
    assert not list(tmp_path.glob("*.parquet")) and (tmp_path / "00003.journal.jsonl").is_file()
    parts = AnswerParts(tmp_path, SCHEMA, key="id", prefix="00003", journal=True)
    assert parts.keys() == set("abcde")  # every complete line; the cut one is asked again
    assert parts.read() == _rows("abcde")
    other = AnswerParts(tmp_path, SCHEMA, key="id", prefix="00004", journal=True)
    assert other.keys() == set()  # each writer reads its own parts
    other.close()
    parts.close()
    assert not (tmp_path / "00003.journal.jsonl").exists()


def test_a_kill_between_part_and_journal_removal_doubles_nothing(tmp_path):
    parts = AnswerParts(tmp_path, SCHEMA, key="id", journal=True)
    for row in _rows("xyz"):
        parts.add(row)
    journal = parts.journal_path.read_text()
    parts.close()  # the journal became a part and was removed...
    parts.journal_path.write_text(journal)  # ...or a kill came first
    again = AnswerParts(tmp_path, SCHEMA, key="id", journal=True)
    assert sorted(r["id"] for r in again.read()) == list("xyz")
    assert len(again.parts()) == 1 and again.journal_path.read_text() == ""  # a fresh journal
    again.close()
    assert [r["id"] for r in pq.read_table(again.parts()[0]).to_pylist()] == list("xyz")


def test_a_redirect_is_an_outage_and_the_key_is_not_sent_on(scripted, monkeypatch):
    target = scripted((200, {}))
    server = scripted((302, {"Location": target.url + "/chat/completions"}))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    client, slept = _client(server.url)
    with pytest.raises(EndpointDown, match="redirected to http://127.0.0.1"):
        client.ask("hi")
    assert target.seen == [] and len(server.seen) == 1 and slept == []  # not followed, not retried
    assert client.down is not None
