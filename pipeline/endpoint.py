"""The one module that speaks to OpenAI-compatible chat endpoints (vLLM, SGLang, llama.cpp's server, a hosted API).

``quality annotate``, ``rephrase_v1`` and the VLM OCR engine all send prompts to such an endpoint and all need the
same things done the same way, so they live here once:

- :class:`Client`: one ``POST /v1/chat/completions`` per attempt, with text or text-and-image content
  (:func:`image_content`), ``temperature`` 0. HTTP 429, 5xx, timeouts, refused or cut-off connections and replies
  that are no chat completion are retried ``retries`` more times with exponential backoff (``backoff`` seconds,
  doubling, jittered by 0.5-1.5x so many clients do not retry in step), waiting what a ``Retry-After`` header asks
  instead (seconds or an HTTP date, at most 60 s). The API key is read from the environment variable named by
  ``api_key_env`` and goes only into the ``Authorization: Bearer`` header: never into a repr, an output or a log.
- Failure semantics: another 4xx is a final answer about the request (:class:`RequestFailed`: not retried; the
  caller records it). What outlasts the retries is an outage (:class:`EndpointDown`), which says nothing about the
  document: the client sends nothing more after it (:class:`NotSent`), and the caller fails its task with
  :func:`outage` (which endpoint, why, what is pending, run again), so a rerun resumes instead of recording
  documents as failed. A caller that has a fallback per request (the VLM falls back to Tesseract per page) keeps
  sending with ``stop_on_outage=False``.
- :func:`bounded_map`: a function mapped over a stream of items on ``concurrency`` threads, so at most that many
  requests are in flight; items are pulled only as results are taken (a bounded look-ahead, never the whole
  input), and results come back in input order or as they complete. The threads are daemons: Ctrl-C or a failure
  downstream does not wait for answers on their way (those are asked again by the rerun).
- :class:`AnswerParts`: answers written as append-only parquet parts, each atomic (:mod:`pipeline.atomic`), and
  read back so a rerun sends no request for what was answered. With ``journal=True`` each answer is also appended
  to a JSON-lines journal the moment it arrives and flushed, so a SIGKILL loses none; the journal becomes a part
  when the writer flushes, closes or is opened again after a kill.
"""

from __future__ import annotations

import base64
import collections
import email.utils
import http.client
import json
import os
import queue
import random
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.atomic import atomic_write
from pipeline.errors import ConfigError, EndpointUnavailable, WinnowError
from pipeline.urls import chat_url


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: urllib would send the Authorization header on to wherever a 3xx points."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)  # proxies from the environment still apply

DEFAULT_KEY_ENV = "OPENAI_API_KEY"
MAX_RETRY_AFTER = 60.0  # seconds: a server asking for longer is waited on by the rerun, not by a held task
_END = object()


class RequestFailed(Exception):
    """The endpoint refused the request for good (HTTP 4xx other than 429): a final answer, not retried."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


class EndpointDown(Exception):
    """No usable answer after every attempt: refused connections, timeouts, HTTP 429 or 5xx, or a reply that is
    no chat completion. An outage says nothing about the document, so callers fail the task (the rerun asks
    again) instead of recording the document as failed."""

    def __init__(self, reason: str, detail: str, attempts: int):
        super().__init__(detail)
        self.reason, self.attempts = reason, attempts


class NotSent(EndpointDown):
    """Not sent at all: the endpoint had already stayed down for an earlier request of the same client."""

    def __init__(self, down: EndpointDown):
        super().__init__(down.reason, str(down), 0)


def load_prompt(spec: str, prompts: dict[str, str]) -> tuple[str, str]:
    """(name, template) for a built-in prompt name (of ``prompts``) or a prompt file holding ``{text}``."""
    if spec in prompts:
        return spec, prompts[spec]
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(f"--prompt: {spec!r} is neither a built-in prompt ({', '.join(prompts)}) nor a file")
    template = path.read_text(encoding="utf-8")
    if "{text}" not in template:
        raise ConfigError(f"--prompt {spec}: the file has no {{text}} placeholder for the document")
    return path.stem, template


def image_content(text: str, png: bytes) -> list[dict]:
    """A user message's content: ``text`` and one PNG image sent inline as a base64 data URL."""
    return [{"type": "text", "text": text},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode()}}]


def _retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), at most MAX_RETRY_AFTER."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(when.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER)


@dataclass
class Client:
    """One OpenAI-compatible chat endpoint and model; :meth:`complete` sends one prompt, retrying as the module
    docstring says. ``url`` may be the server (``http://host:8000``), its ``/v1`` or the full completions URL."""

    url: str
    model: str
    _: KW_ONLY
    api_key_env: str = DEFAULT_KEY_ENV
    api_key: str | None = field(default=None, repr=False)  # given: used instead of the environment variable
    timeout: float = 120.0
    retries: int = 4
    backoff: float = 0.5
    max_tokens: int = 512
    stop_on_outage: bool = True
    sleep: Callable[[float], object] = time.sleep
    down: EndpointDown | None = field(default=None, init=False, repr=False)  # the first outage

    def __post_init__(self):
        self.url = chat_url(self.url)
        if self.api_key is None:
            self.api_key = os.environ.get(self.api_key_env) or None

    def ask(self, prompt: str) -> tuple[str, int]:
        """(answer, attempts) for a text prompt."""
        answer, _, attempts = self.complete(prompt)
        return answer, attempts

    def complete(self, content: str | list, max_attempts: int | None = None) -> tuple[str, str | None, int]:
        """(answer, finish_reason, attempts) for one user message (text, or parts as :func:`image_content` makes);
        ``finish_reason`` is ``length`` where ``max_tokens`` cut the answer off. Raises :class:`RequestFailed`
        for a final refusal, :class:`EndpointDown` when the attempts (``retries`` + 1, or ``max_attempts``) are
        spent, and :class:`NotSent` after an outage (``stop_on_outage``)."""
        if self.stop_on_outage and self.down is not None:
            raise NotSent(self.down)
        attempts = self.retries + 1 if max_attempts is None else max_attempts
        body = json.dumps({"model": self.model, "messages": [{"role": "user", "content": content}],
                           "temperature": 0, "max_tokens": self.max_tokens}).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        reason, detail = "connection", "no attempt"
        for attempt in range(1, attempts + 1):
            wait_s = self.backoff * 2 ** (attempt - 1) * (0.5 + random.random())
            try:
                req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
                with _OPENER.open(req, timeout=self.timeout) as resp:
                    payload = json.loads(resp.read().decode("utf-8"))
                try:
                    choice = payload["choices"][0]
                    return choice["message"]["content"] or "", choice.get("finish_reason"), attempt
                except (KeyError, IndexError, TypeError, AttributeError):  # a proxy's page, not the model's answer
                    reason, detail = "bad_response", f"no choices[0].message.content in {str(payload)[:200]}"
            except urllib.error.HTTPError as e:
                reason, detail = f"http_{e.code}", f"HTTP {e.code} {e.reason}"
                if 300 <= e.code < 400:  # the endpoint is elsewhere: no document is at fault, and no retry helps
                    where = e.headers.get("Location") if e.headers else None
                    down = EndpointDown(reason, f"{detail}: redirected to {where}; give that URL as the endpoint "
                                        "(the key is not sent on to a redirect)", attempt)
                    self.down = self.down or down
                    raise down from None
                if e.code != 429 and e.code < 500:
                    raise RequestFailed(reason, detail) from None
                asked = _retry_after(e.headers.get("Retry-After") if e.headers else None)
                if asked is not None:
                    wait_s = asked
            except TimeoutError as e:
                reason, detail = "timeout", str(e) or "timed out"
            except (OSError, http.client.HTTPException) as e:  # refused, reset, cut off mid-answer
                timeout = "timed out" in str(e).lower()
                reason, detail = "timeout" if timeout else "connection", str(getattr(e, "reason", e))
            except ValueError as e:  # JSONDecodeError, UnicodeDecodeError
                reason, detail = "bad_response", f"not JSON: {e}"
            if attempt < attempts:
                self.sleep(wait_s)
        down = EndpointDown(reason, detail, attempts)
        if self.down is None:
            self.down = down
        raise down


def public_url(url: str) -> str:
    """The URL without user info or query (where some hosted APIs put a key): safe for stats and messages."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.hostname + (f":{parts.port}" if parts.port else ""), parts.path, "", ""))


def outage(command: str, url: str, down: EndpointDown, pending: str) -> EndpointUnavailable:
    """The error a task raises when the endpoint stayed down, as the one line a person reads: which endpoint, why,
    what is pending (``pending``), what to do."""
    return EndpointUnavailable(
        f"{command}: the endpoint {public_url(url)} stayed unavailable for {down.attempts} attempts "
        f"({down.reason}: {down}); {pending}. Every answer received is kept: run the same command again "
        "once the endpoint is back to resume.")


def bounded_map(fn: Callable, items: Iterable, concurrency: int, ordered: bool = True,
                ahead: int | None = None) -> Iterator[tuple[object, Future]]:
    """``(item, future of fn(item))`` for every item, ``fn`` running on ``concurrency`` daemon threads: at most
    ``concurrency`` calls at once. Items are pulled from ``items`` in the caller's thread, only while fewer than
    ``ahead`` (default twice ``concurrency``) are unreturned, so the input is streamed. ``ordered``: results in
    input order; otherwise as they complete. Each future is done when yielded (``result()`` returns or raises
    what ``fn`` did). Closing the generator early cancels the calls not started and lets the threads go."""
    if concurrency < 1:
        raise ConfigError(f"concurrency: expected 1 or more, got {concurrency}")
    ahead = max(ahead or 2 * concurrency, 1)
    jobs: queue.SimpleQueue = queue.SimpleQueue()

    def work():
        while (job := jobs.get()) is not None:
            fut, item = job
            if fut.set_running_or_notify_cancel():
                try:
                    fut.set_result(fn(item))
                except BaseException as e:  # handed to whoever reads the future
                    fut.set_exception(e)

    for _ in range(concurrency):
        threading.Thread(target=work, daemon=True).start()
    window: collections.deque = collections.deque()  # (item, future), in input order
    source = iter(items)
    try:
        while True:
            while len(window) < ahead:
                item = next(source, _END)
                if item is _END:
                    break
                fut: Future = Future()
                jobs.put((fut, item))
                window.append((item, fut))
            if not window:
                return
            if ordered:
                item, fut = window.popleft()
                wait([fut])
            else:
                finished, _ = wait([f for _, f in window], return_when=FIRST_COMPLETED)
                at = next(n for n, (_, f) in enumerate(window) if f in finished)
                item, fut = window[at]
                del window[at]
            yield item, fut
    finally:
        for _, fut in window:
            fut.cancel()  # not started yet; a call on its way runs to its end on its daemon thread
        for _ in range(concurrency):
            jobs.put(None)



class AnswerParts:
    """Answer rows (dicts matching ``schema``, identified by the column ``key``) of one writer, appended as atomic
    parquet parts ``DIR/<prefix>-NNNNN.parquet`` numbered after those already there: a part every ``flush_every``
    rows (None: only on :meth:`flush`/:meth:`close`). Without a journal a kill loses the rows not yet in a part;
    with one (``DIR/<prefix>.journal.jsonl``, a line written and flushed per row) it loses none (only a power cut
    can lose what the OS had not written), and opening the writer again turns a killed run's journal into a part,
    leaving out rows a part already holds (a kill between writing the part and removing the journal).
    :meth:`add` may be called from several threads; after :meth:`close` it drops the row (asked again later)."""

    def __init__(self, directory: str | Path, schema: pa.Schema, key: str, prefix: str = "part",
                 flush_every: int | None = None, journal: bool = False):
        self.dir, self.schema, self.key, self.prefix = Path(directory), schema, key, prefix
        self.flush_every = flush_every
        self.dir.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.closed = False
        self.rows: list[dict] = []  # without a journal: rows not in a part yet
        self.pending = 0  # rows since the last part
        self.journal_path = self.dir / f"{prefix}.journal.jsonl" if journal else None
        self.journal = None
        if self.journal_path is not None:
            self._compact()
            self.journal = self.journal_path.open("a", encoding="utf-8")

    def parts(self) -> list[Path]:
        return sorted(self.dir.glob(f"{self.prefix}-*.parquet"))

    def read(self, columns: list[str] | None = None) -> list[dict]:
        """Every row in this writer's parts (a killed run's journal included: it became a part on opening)."""
        return [row for part in self.parts() for row in pq.read_table(part, columns=columns).to_pylist()]

    def keys(self) -> set:
        """The keys of every row in the parts: what a rerun need not ask for."""
        return {k for part in self.parts()
                for k in pq.read_table(part, columns=[self.key]).column(self.key).to_pylist()}

    def add(self, row: dict) -> None:
        with self.lock:
            if self.closed:  # the writer is stopping (Ctrl-C): this answer is asked for again
                return
            if self.journal is not None:
                self.journal.write(json.dumps(row) + "\n")
                self.journal.flush()
            else:
                self.rows.append(row)
            self.pending += 1
            if self.flush_every is not None and self.pending >= self.flush_every:
                self._flush()

    def flush(self) -> None:
        with self.lock:
            if not self.closed:
                self._flush()

    def close(self) -> None:
        with self.lock:
            if not self.closed:
                self._flush()
                self.closed = True
                if self.journal is not None:
                    self.journal.close()
                    self.journal_path.unlink(missing_ok=True)

    def _flush(self) -> None:
        if self.journal is not None:
            self.journal.close()
            self._compact()
            self.journal = self.journal_path.open("a", encoding="utf-8")
        elif self.rows:
            self._write(self.rows)
            self.rows = []
        self.pending = 0

    def _write(self, rows: list[dict]) -> None:
        numbers = [int(n) for p in self.parts() if (n := p.stem.rpartition("-")[2]).isdigit()]
        table = pa.Table.from_pylist(rows, schema=self.schema)
        atomic_write(self.dir / f"{self.prefix}-{max(numbers, default=-1) + 1:05d}.parquet",
                     lambda tmp: pq.write_table(table, tmp))

    def _compact(self) -> None:
        """The journal's complete lines (a kill may cut the last one short: asked again) into a part; then it goes."""
        if not self.journal_path.is_file():
            return
        have = self.keys()
        rows = []
        with self.journal_path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.endswith("\n"):
                    break
                try:
                    row = json.loads(line)
                    key = row[self.key]
                except (ValueError, KeyError, TypeError) as e:
                    raise WinnowError(f"{self.journal_path}: line {n} is not an answer record ({e!r}); delete the "
                                      "file to ask the endpoint again for the answers it held") from None
                if key not in have:
                    have.add(key)
                    rows.append(row)
        if rows:
            self._write(rows)
        self.journal_path.unlink()
