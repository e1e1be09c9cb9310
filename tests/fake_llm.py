"""A small OpenAI-compatible chat server on 127.0.0.1 for the annotation tests (not a mock of our client: a real
HTTP server the client talks to over a socket).

Annotation prompts: it grades a document by a rule: the number of ``SUBJECT_WORDS`` in the extract, capped at 5,
answered in FineWeb-Edu's format ("... Educational score: N"). Markers in a document's text make it misbehave:
``FAIL500`` (HTTP 500 on the first two attempts), ``FAIL429`` (429 with Retry-After: 0 on the first attempt),
``ALWAYS500``, ``BAD400`` (400, not retried), ``NOSCORE`` (an answer without a score). It records every request
(which document, the Authorization header) and the most requests it had in flight at once.

Rephrasing prompts (``filters.rephrase``, the chunk after "Text:"): the answer is the chunk rewritten by a rule
(:func:`rewrite`: each line's words in reverse order, prefixed "In other words:"), so no 8-gram of it is copied.
Markers: ``EMPTYANSWER`` (a blank answer), ``TRUNCATE`` (``finish_reason: length``), ``ECHO`` (the prompt itself
as the answer), and the HTTP markers above. ``port`` restarts a server where a stopped one listened.

It records every request (``requests``: which document, the Authorization header, the prompt's text), the texts
it answered with a 200 (``answered``), and the most requests it held at once (``max_in_flight``: from reading a
request to starting its answer, so never more than the client has open; a client may send its next request as
soon as it has read an answer, before the handler thread that wrote it runs again). Outages on cue:
``down_after=K`` stops the server once it has answered K requests (it drops the requests it holds, unanswered,
and stops listening: connections are refused); ``hold_after=K`` answers the first K requests and holds every
later one (``held`` counts them) until the server is closed, then drops them unanswered.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SUBJECT_WORDS = ("telescope", "glacier", "violin", "enzyme", "harbor", "lantern", "orchid", "satellite")
_DOC = re.compile(r"The extract:\n(.*)\n\nAfter examining the extract", re.S)
_ID = re.compile(r"\bDOC(\d+)\b")
_CHUNK = re.compile(r"\nText:\n(.*)\n$", re.S)


def rewrite(chunk: str) -> str:
    """The fake model's rephrasing of a chunk (tests check the output against it)."""
    return "\n".join("In other words: " + " ".join(reversed(line.split())) if line.strip() else ""
                     for line in chunk.split("\n"))


def grade(text: str) -> int:
    words = re.findall(r"[a-z]+", text.lower())
    return min(5, sum(1 for w in words if w in SUBJECT_WORDS))


class FakeLLM:
    def __init__(self, delay: float = 0.01, port: int = 0, down_after: int | None = None,
                 hold_after: int | None = None):
        self.delay, self.down_after, self.hold_after = delay, down_after, hold_after
        self.lock = threading.Lock()
        self.requests: list[dict] = []  # {"doc": DOC id or None, "auth": header, "text": the prompt's text}
        self.answered: list[str] = []  # texts answered with a 200, in order
        self.attempts: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.held = 0
        self.down = False
        self.closing = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                prompt = body["messages"][0]["content"]
                m = _DOC.search(prompt)
                chunk = _CHUNK.search(prompt)
                text = m.group(1) if m else chunk.group(1) if chunk else prompt
                ident = _ID.search(text)
                doc = ident.group(0) if ident else None
                with server.lock:
                    server.requests.append({"doc": doc, "auth": self.headers.get("Authorization"), "text": text})
                    n = server.attempts[text] = server.attempts.get(text, 0) + 1
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    hold = server.hold_after is not None and len(server.requests) > server.hold_after
                    server.held += hold
                    if server.down_after is not None and len(server.answered) >= server.down_after:
                        server._go_down()
                try:
                    if hold:
                        server.closing.wait()
                    else:
                        time.sleep(server.delay)
                    reply = None if hold or server.down else self._reply(prompt, text, chunk, n)
                finally:
                    with server.lock:  # before the answer goes out: see the module docstring
                        server.in_flight -= 1
                if reply is None:  # dropped: the client sees the connection closed without an answer
                    self.close_connection = True
                    return
                self._send(*reply)
                if reply[0] == 200:
                    with server.lock:
                        server.answered.append(text)

            def _reply(self, prompt, text, chunk, n):
                if "ALWAYS500" in text or ("FAIL500" in text and n <= 2):
                    return 500, {"error": "boom"}
                if "FAIL429" in text and n == 1:
                    return 429, {"error": "slow down"}, {"Retry-After": "0"}
                if "BAD400" in text:
                    return 400, {"error": "bad request"}
                finish = "stop"
                if chunk:
                    answer = ("" if "EMPTYANSWER" in text else prompt if "ECHO" in text else rewrite(text))
                    finish = "length" if "TRUNCATE" in text else "stop"
                else:
                    answer = ("The extract is short." if "NOSCORE" in text else
                              f"The extract mentions a few subjects. Educational score: {grade(text)}")
                return 200, {"choices": [{"message": {"role": "assistant", "content": answer},
                                          "finish_reason": finish}]}

            def _send(self, code, payload, headers=None):
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _go_down(self) -> None:
        """Stop listening (from a thread of its own: ``shutdown`` waits for the serving loop); called under the lock."""
        if not self.down:
            self.down = True
            threading.Thread(target=self._stop, daemon=True).start()

    def _stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "FakeLLM":
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.closing.set()  # held requests are dropped
        self._stop()

    def docs_requested(self) -> list[str]:
        with self.lock:
            return [r["doc"] for r in self.requests]
