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

Requests go through :mod:`pipeline.endpoint`, which retries HTTP 429, 5xx, timeouts and broken replies
(``retries`` more attempts, ``backoff`` seconds doubling, jittered, a ``Retry-After`` honoured) and keeps at most
``concurrency`` in flight. What outlasts the retries is an outage, not an answer about the document: no further
request is sent, the requests on their way finish (their answers are written), and the run raises
:class:`pipeline.errors.EndpointUnavailable` naming the endpoint and how many documents are pending, so the
command exits non-zero and running it again resumes. Other 4xx are final refusals: not retried, counted under
``failed``, not written (a rerun asks again). A document is sent once per run (ids are de-duplicated). Results
are written in parts of at most ``flush_every`` rows, each atomically (:class:`pipeline.endpoint.AnswerParts`),
and when the run stops (an outage or an error included), so a run killed at any point loses only answers not
yet written; a rerun reads the ids already annotated and sends no request for them. The API key comes from the
environment variable ``api_key_env`` (default ``OPENAI_API_KEY``) and goes only into the request's Authorization
header: never into an output, the stats or a log line.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import re
import sys
import time
from pathlib import Path

import pyarrow as pa
import xxhash

from pipeline.atomic import atomic_write_json
from pipeline.endpoint import AnswerParts, Client, EndpointDown, NotSent, RequestFailed, bounded_map, outage, public_url
from pipeline.endpoint import load_prompt as _load_prompt
from pipeline.errors import ConfigError

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


def parse_score(answer: str) -> float | None:
    """The last "score: N" in an answer ("Educational score: 3" -> 3.0), or None."""
    found = _SCORE.findall(answer or "")
    return float(found[-1]) if found else None


def load_prompt(spec: str, prompts: dict[str, str] = PROMPTS) -> tuple[str, str]:
    """(name, template) for a built-in annotation prompt name or a prompt file holding ``{text}``."""
    return _load_prompt(spec, prompts)


SCHEMA = pa.schema([("id", pa.string()), ("text", pa.string()), ("score", pa.float64()), ("answer", pa.string()),
                    ("model", pa.string()), ("prompt", pa.string()), ("prompt_sha256", pa.string()),
                    ("attempts", pa.int64())])


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
    client = Client(endpoint, model, api_key_env=api_key_env, timeout=timeout, retries=retries, backoff=backoff)
    out = Path(output)
    chosen = _sample_ids(inputs, sample, seed) if sample is not None else None
    parts = AnswerParts(out / "annotations", SCHEMA, key="id", flush_every=flush_every)
    done = parts.keys()
    stats = {"documents": 0, "no_text": 0, "duplicate_id": 0, "sampled": 0, "already_annotated": 0, "annotated": 0,
             "scored": 0, "unparseable": 0, "failed": {}, "pending": 0, "requests": 0}

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

    rest = todo()

    def sending():  # nothing more is taken once the endpoint is down: the rest is counted as pending
        for item in rest:
            yield item
            if client.down is not None:
                return

    sha = hashlib.sha256(template.encode()).hexdigest()
    last_report = time.monotonic()
    try:
        answers = bounded_map(lambda item: client.ask(template.replace("{text}", item[1][:max_chars])), sending(),
                              concurrency, ordered=False)
        with contextlib.closing(answers):
            for (doc_id, text), got in answers:
                try:
                    answer, attempts = got.result()
                except RequestFailed as e:  # final: counted, not written (a rerun asks again)
                    stats["requests"] += 1
                    stats["failed"][e.reason] = stats["failed"].get(e.reason, 0) + 1
                    continue
                except EndpointDown as e:  # the rerun sends it
                    stats["requests"] += not isinstance(e, NotSent)
                    stats["pending"] += 1
                    continue
                stats["requests"] += 1
                score = parse_score(answer)
                stats["annotated"] += 1
                stats["scored" if score is not None else "unparseable"] += 1
                parts.add({"id": doc_id, "text": text, "score": score, "answer": answer, "model": model,
                           "prompt": name, "prompt_sha256": sha, "attempts": attempts})
                if progress is not None and time.monotonic() - last_report > 5:
                    last_report = time.monotonic()
                    print(f"annotate: {stats['documents']} documents read, {stats['annotated']} annotated, "
                          f"{sum(stats['failed'].values())} failed", file=progress, flush=True)
        if client.down is not None:  # counted, not sent: the rest of the input
            stats["pending"] += sum(1 for _ in rest)
    finally:
        parts.close()
        stats["failed_total"] = sum(stats["failed"].values())
        atomic_write_json(out / "stats.json", {**stats, "model": model, "prompt": name, "prompt_sha256": sha,
                                               "endpoint": public_url(client.url), "sample_seed": seed})
    if client.down is not None:
        raise outage("quality annotate", client.url, client.down,
                     f"{stats['pending']} of {stats['sampled']} documents pending ({stats['annotated']} annotated "
                     f"now, {stats['already_annotated']} before)")
    return stats
