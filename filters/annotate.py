"""Quality labels from an LLM (``winnow quality annotate``): FineWeb-Edu's way of getting labels.

Each document (its first ``max_chars`` characters) goes into a prompt, the prompt to any OpenAI-compatible
``/chat/completions`` endpoint (vLLM, SGLang, llama.cpp's server, a hosted API), and the score is parsed from the
answer. The default prompt is FineWeb-Edu's published additive 0-5 educational-value prompt (Penedo et al. 2024,
"The FineWeb Datasets"), answered with "Educational score: N"; ``--prompt FILE`` uses a user's prompt, with
``{text}`` where the document goes, whose answer ends with "score: N".

Output ``DIR/annotations/part-*.parquet``: ``id``, ``text``, ``score`` (float64; null when the answer has no
score), ``answer`` (the model's raw answer), ``model``, ``prompt`` (its name), ``prompt_sha256``, ``attempts``.
``DIR/stats.json`` counts every document: ``annotated`` (``scored`` + ``unparseable``), ``already_annotated``
(earlier runs), ``failed`` by reason (``http_<status>``: a final refusal), ``pending`` (not answered because the
endpoint was down), ``duplicate_id``, ``no_text`` (a row whose text is not a string) and, with ``sample``,
``sampled``. Then ``winnow quality train --input 'DIR/annotations/*.parquet' --label-field score`` trains a
classifier on them (rows with a null score are skipped).

Requests: HTTP 429, 5xx, timeouts, refused or cut-off connections and replies that are no chat completion are
retried with exponential backoff (``backoff`` seconds, doubling, jittered; honouring a ``Retry-After`` of up to
60 s) for ``retries`` more attempts. What outlasts the retries is an outage, not an answer about the document: no
further request is sent, the requests on their way finish (their answers are written), and the run raises
:class:`pipeline.errors.EndpointUnavailable` naming the endpoint and how many documents are pending, so the
command exits non-zero and running it again resumes. Other 4xx are final refusals: not retried, counted under
``failed``, not written (a rerun asks again). ``concurrency`` requests are in flight at most. A document is sent
once per run (ids are de-duplicated). Results are written in parts of at most ``flush_every`` rows, each
atomically (``pipeline.atomic``), and when the run stops (an outage or an error included), so a run killed at
any point loses only answers not yet written; a rerun reads the ids already annotated and sends no request for
them. The API key comes from the environment variable ``api_key_env`` (default ``OPENAI_API_KEY``) and goes only
into the request's Authorization header: never into an output, the stats or a log line.
"""

from __future__ import annotations

import hashlib
import heapq
import http.client
import json
import os
import random
import re
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from pipeline.errors import ConfigError, EndpointUnavailable
from pipeline.urls import chat_url

FINEWEB_EDU_PROMPT = """Below is an extract from a web page. Evaluate whether the page has a high educational \
value and could be useful in an educational setting for teaching from primary school to grade school levels using \
the additive 5-point scoring system described below. Points are accumulated based on the satisfaction of each \
criterion:

- Add 1 point if the extract provides some basic information relevant to educational topics, even if it includes \
some irrelevant or non-academic content like advertisements and promotional material.
- Add another point if the extract addresses certain elements pertinent to education but does not align closely \
with educational standards. It might mix educational content with non-educational material, offering a \
superficial overview of potentially useful topics, or presenting information in a disorganized manner and \
incoherent writing style.
- Award a third point if the extract is appropriate for educational use and introduces key concepts relevant to \
school curricula. It is coherent though it may not be comprehensive or could include some extraneous \
information. It may resemble an introductory section of a textbook or a basic tutorial that is suitable for \
learning but has notable limitations like treating concepts that are too complex for grade school students.
- Grant a fourth point if the extract highly relevant and beneficial for educational purposes for a level not \
higher than grade school, exhibiting a clear and consistent writing style. It could be similar to a chapter from \
a textbook or a tutorial, offering substantial educational content, including exercises and solutions, with \
minimal irrelevant information, and the concepts aren't too advanced for grade school students. The content is \
coherent, focused, and valuable for structured learning.
- Bestow a fifth point if the extract is outstanding in its educational value, perfectly suited for teaching \
either at primary school or grade school. It follows detailed reasoning, the writing style is easy to follow and \
offers profound and thorough insights into the subject matter, devoid of any non-educational or complex content.

The extract:
{text}

After examining the extract:
- Briefly justify your total score, up to 100 words.
- Conclude with the score using the format: "Educational score: <total points>"
"""
PROMPTS = {"fineweb_edu": FINEWEB_EDU_PROMPT}
_SCORE = re.compile(r"score\s*[:=]\s*\**\s*(-?\d+(?:\.\d+)?)", re.I)
MAX_CHARS = 10_000
_NOT_SENT = object()


def parse_score(answer: str) -> float | None:
    """The last "score: N" in an answer ("Educational score: 3" -> 3.0), or None."""
    found = _SCORE.findall(answer or "")
    return float(found[-1]) if found else None


def load_prompt(spec: str, prompts: dict[str, str] = PROMPTS) -> tuple[str, str]:
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


class RequestFailed(Exception):
    """The endpoint refused the request for good (HTTP 4xx other than 429): a final answer, not retried."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


class EndpointDown(Exception):
    """No usable answer after every attempt: refused connections, timeouts, HTTP 429 or 5xx, or a reply that
    is no chat completion. An outage says nothing about the document, so callers fail the task (the rerun asks
    again) instead of recording the document as failed."""

    def __init__(self, reason: str, detail: str, attempts: int):
        super().__init__(detail)
        self.reason, self.attempts = reason, attempts


@dataclass
class Client:
    """One OpenAI-compatible chat endpoint; ``ask(prompt)`` -> (answer, attempts), retrying as documented above.
    Raises :class:`RequestFailed` for a final refusal, :class:`EndpointDown` when the retries are spent."""

    url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 120.0
    retries: int = 4
    backoff: float = 0.5
    max_tokens: int = 512
    sleep: object = time.sleep

    def ask(self, prompt: str) -> tuple[str, int]:
        answer, _, attempts = self.complete(prompt)
        return answer, attempts

    def complete(self, prompt: str) -> tuple[str, str | None, int]:
        """(answer, finish_reason, attempts); ``finish_reason`` is ``length`` where ``max_tokens`` cut it off."""
        body = json.dumps({"model": self.model, "messages": [{"role": "user", "content": prompt}],
                           "temperature": 0, "max_tokens": self.max_tokens}).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        reason, detail = "connection", "no attempt"
        for attempt in range(1, self.retries + 2):
            wait_s = self.backoff * 2 ** (attempt - 1) * (0.5 + random.random())
            try:
                req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    payload = json.loads(resp.read().decode("utf-8"))
                try:
                    choice = payload["choices"][0]
                    return choice["message"]["content"] or "", choice.get("finish_reason"), attempt
                except (KeyError, IndexError, TypeError, AttributeError):  # a proxy's page, not the model's answer
                    reason, detail = "bad_response", f"no choices[0].message.content in {str(payload)[:200]}"
            except urllib.error.HTTPError as e:
                reason, detail = f"http_{e.code}", f"HTTP {e.code} {e.reason}"
                if e.code != 429 and e.code < 500:
                    raise RequestFailed(reason, detail) from None
                retry_after = e.headers.get("Retry-After") if e.headers else None
                if retry_after and retry_after.isdigit():
                    wait_s = min(float(retry_after), 60.0)
            except (urllib.error.URLError, ConnectionError, http.client.HTTPException) as e:  # cut off mid-answer too
                timeout = "timed out" in str(e).lower()
                reason, detail = "timeout" if timeout else "connection", str(getattr(e, "reason", e))
            except TimeoutError as e:
                reason, detail = "timeout", str(e) or "timed out"
            except ValueError as e:  # JSONDecodeError, UnicodeDecodeError
                reason, detail = "bad_response", f"not JSON: {e}"
            if attempt <= self.retries:
                self.sleep(wait_s)
        raise EndpointDown(reason, detail, self.retries + 1)


def outage_message(command: str, url: str, down: EndpointDown, pending: str) -> str:
    """The one line a person reads when the endpoint stayed down: which endpoint, why, what is pending, what to do."""
    return (f"{command}: the endpoint {_public(url)} stayed unavailable for {down.attempts} attempts "
            f"({down.reason}: {down}); {pending}. Every answer received is kept: run the same command again "
            "once the endpoint is back to resume.")


def _public(url: str) -> str:
    """The URL without user info or query (where some hosted APIs put a key), for the stats file."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.hostname + (f":{parts.port}" if parts.port else ""), parts.path, "", ""))


def _done_ids(out: Path) -> set[str]:
    ids: set[str] = set()
    for part in sorted((out / "annotations").glob("part-*.parquet")):
        ids.update(pq.read_table(part, columns=["id"]).column("id").to_pylist())
    return ids


SCHEMA = pa.schema([("id", pa.string()), ("text", pa.string()), ("score", pa.float64()), ("answer", pa.string()),
                    ("model", pa.string()), ("prompt", pa.string()), ("prompt_sha256", pa.string()),
                    ("attempts", pa.int64())])


class _Parts:
    """Annotation rows written in atomic parquet parts, numbered after the parts already there."""

    def __init__(self, out: Path, flush_every: int):
        self.dir = out / "annotations"
        self.dir.mkdir(parents=True, exist_ok=True)
        existing = [int(p.stem.split("-")[1]) for p in self.dir.glob("part-*.parquet")]
        self.next = max(existing, default=-1) + 1
        self.rows: list[dict] = []
        self.flush_every = flush_every

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        from pipeline.atomic import atomic_write

        if not self.rows:
            return
        table = pa.Table.from_pylist(self.rows, schema=SCHEMA)
        atomic_write(self.dir / f"part-{self.next:05d}.parquet", lambda tmp: pq.write_table(table, tmp))
        self.next += 1
        self.rows = []


def _documents(inputs: list[str]):
    """(id, text or None) of every input document, streamed (:func:`filters.quality_train.iter_texts`)."""
    from filters.quality_train import iter_texts

    return ((doc.id, text) for _, doc, text in iter_texts(inputs))


def _sample_ids(inputs: list[str], n: int, seed: int) -> set[str]:
    """The ``n`` distinct ids with the smallest xxh64(seed:id): the same ones on every rerun, whatever the order.
    One pass over the input holding ``n`` ids, not the documents."""
    heap: list[tuple[int, str]] = []  # (-hash, id): the largest kept hash on top
    seen: set[str] = set()
    for doc_id, text in _documents(inputs):
        if text is None or doc_id in seen:
            continue
        seen.add(doc_id)
        item = (-xxhash.xxh64_intdigest(f"{seed}:{doc_id}"), doc_id)
        if len(heap) < n:
            heapq.heappush(heap, item)
        elif item > heap[0]:
            heapq.heapreplace(heap, item)
    return {doc_id for _, doc_id in heap}


def annotate(inputs: list[str], endpoint: str, model: str, output: str, prompt: str = "fineweb_edu",
             sample: int | None = None, concurrency: int = 8, seed: int = 0, api_key_env: str = "OPENAI_API_KEY",
             max_chars: int = MAX_CHARS, retries: int = 4, timeout: float = 120.0, backoff: float = 0.5,
             flush_every: int = 32, progress=sys.stderr) -> dict:
    """Annotate documents (see the module docstring); returns the run's stats (also in ``DIR/stats.json``).
    The input is streamed (with ``sample``, read twice: the sample's ids first), so its size is not bounded by
    memory; only ids are held."""
    if concurrency < 1:
        raise ConfigError(f"--concurrency: expected 1 or more, got {concurrency}")
    if sample is not None and sample < 1:
        raise ConfigError(f"--sample: expected 1 or more, got {sample}")
    if retries < 2:
        raise ConfigError(f"retries: expected at least 2 (three attempts), got {retries}")
    name, template = load_prompt(prompt)
    client = Client(chat_url(endpoint), model, os.environ.get(api_key_env) or None, timeout=timeout,
                    retries=retries, backoff=backoff)
    out = Path(output)
    chosen = _sample_ids(inputs, sample, seed) if sample is not None else None
    done = _done_ids(out)
    stats = {"documents": 0, "no_text": 0, "duplicate_id": 0, "sampled": 0, "already_annotated": 0, "annotated": 0, "scored": 0,
             "unparseable": 0, "failed": {}, "pending": 0, "requests": 0}

    def todo():  # streamed: the documents are read as requests are sent, never all held at once
        seen: set[str] = set()
        for doc_id, text in _documents(inputs):
            stats["documents"] += 1
            if text is None:
                stats["no_text"] += 1
                continue
            if doc_id in seen:
                stats["duplicate_id"] += 1
                continue
            seen.add(doc_id)
            if chosen is not None and doc_id not in chosen:
                continue
            stats["sampled"] += 1
            if doc_id in done:
                stats["already_annotated"] += 1
                continue
            yield doc_id, text

    sha = hashlib.sha256(template.encode()).hexdigest()
    parts = _Parts(out, flush_every)
    last_report = time.monotonic()
    down: list[EndpointDown] = []  # the first outage: no request is sent after it

    def one(doc_id: str, text: str):
        if down:
            return _NOT_SENT  # the endpoint is down: the rerun sends it
        try:
            answer, attempts = client.ask(template.replace("{text}", text[:max_chars]))
        except EndpointDown as e:
            down.append(e)
            return None
        return doc_id, text, answer, attempts

    try:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            pending = set()
            it = todo()
            while True:
                while not down and len(pending) < 2 * concurrency:  # at most `concurrency` requests in flight
                    nxt = next(it, None)
                    if nxt is None:
                        break
                    pending.add(pool.submit(one, *nxt))
                    stats["requests"] += 1
                if not pending:
                    break
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    try:
                        got = fut.result()
                    except RequestFailed as e:  # final: counted, not written (a rerun asks again)
                        stats["failed"][e.reason] = stats["failed"].get(e.reason, 0) + 1
                        continue
                    if got is None or got is _NOT_SENT:
                        stats["pending"] += 1
                        stats["requests"] -= got is _NOT_SENT
                        continue
                    doc_id, text, answer, attempts = got
                    score = parse_score(answer)
                    stats["annotated"] += 1
                    stats["scored" if score is not None else "unparseable"] += 1
                    parts.add({"id": doc_id, "text": text, "score": score, "answer": answer, "model": model,
                               "prompt": name, "prompt_sha256": sha, "attempts": attempts})
                if progress is not None and time.monotonic() - last_report > 5:
                    last_report = time.monotonic()
                    print(f"annotate: {stats['documents']} documents read, {stats['annotated']} annotated, "
                          f"{sum(stats['failed'].values())} failed", file=progress, flush=True)
            if down:  # counted, not sent: the rest of the input
                stats["pending"] += sum(1 for _ in it)
    finally:
        parts.flush()
        stats["failed_total"] = sum(stats["failed"].values())
        from pipeline.atomic import atomic_write_json

        atomic_write_json(out / "stats.json", {**stats, "model": model, "prompt": name, "prompt_sha256": sha,
                                               "endpoint": _public(client.url), "sample_seed": seed})
    if down:
        raise EndpointUnavailable(outage_message(
            "quality annotate", client.url, down[0],
            f"{stats['pending']} of {stats['sampled']} documents pending ({stats['annotated']} annotated now, "
            f"{stats['already_annotated']} before)"))
    return stats
