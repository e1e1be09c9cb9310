"""Synthetic rephrasing (``rephrase_v1``, ``winnow rephrase``): good text rewritten by an LLM into cleaner prose.

WRAP (Maini et al. 2024, "Rephrasing the Web") and Nemotron-CC rewrite web documents with an instruction-tuned
model into Wikipedia-style prose, question-answer pairs or distilled summaries, and train on the rewrites beside
the originals. Each document (each chunk of a long one: paragraphs packed up to ``chunk_chars``, rejoined in
order with a blank line) goes into a prompt, the prompt to any OpenAI-compatible ``/chat/completions`` endpoint
(vLLM, SGLang, llama.cpp's server, a hosted API), and the answer becomes the document:

- ``text`` = the answer; ``id`` = ``<source id>#rephrase=<prompt>:<prompt sha256[:8]>``;
- ``rephrase_of`` = the source id, ``rephrase_prompt`` (its name), ``rephrase_model``;
- every column of the source document is kept (lossless chaining).

Built-in prompts (``prompt``): ``wikipedia`` (encyclopedic prose), ``qa`` (question-answer pairs), ``summary``
(a distilled summary of the knowledge in the text); or a file holding ``{text}`` where the chunk goes.

A document is removed (``removed/``, ``removed_by: rephrase_v1``) only for a final answer to one of its chunks:
``rephrase_http_<status>`` (a 4xx other than 429, not retried), ``rephrase_empty`` (a blank answer),
``rephrase_truncated`` (the model stopped at ``max_output_tokens``, ``finish_reason: length``), ``rephrase_echo``
(at least ``max_echo`` of the answer's word 8-grams are copied from the prompt: the model repeated its
instructions or the text instead of rewriting it).

An outage is not an answer: HTTP 429 and 5xx, timeouts, refused or cut-off connections and replies that are no
chat completion are retried ``retries`` more times with exponential backoff (``backoff`` seconds, doubling,
jittered; a ``Retry-After`` of up to 60 s honoured). One that outlasts the retries stops the task: no request is
sent after it, the requests on their way finish (their answers are kept), and the task raises
:class:`pipeline.errors.EndpointUnavailable` naming the endpoint and how many of its documents are pending. The
task is then not complete, so the command exits non-zero and running it again redoes the task, sending requests
only for what has no answer yet.

Resumable: every answer the endpoint gives (kept or not) is appended to a journal under
``OUT/work/cache_<stage>/`` the moment it arrives, keyed by the sha256 of model, prompt, output limit and chunk,
and compacted into parquet parts when the task stops or starts again (:class:`_AnswerCache`). A rerun of a
killed or failed run reads the answers of its task first and sends no request for them, so what a SIGKILL costs
is the requests that were on their way. Refusals (4xx) are not kept: a rerun asks again. At most
``concurrency`` requests are in flight per task (``workers`` tasks run at once). The API key comes from the
environment variable ``api_key_env`` and goes only into the Authorization header, never into a config, the
manifest, an output or a log line. ``stats.json`` counts the stage's ``requests`` and ``cached_answers``
(answers read back from an earlier, killed run) under ``counts``.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import os
import queue
import re
import threading
import uuid
from concurrent.futures import Future
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from filters.annotate import Client, EndpointDown, RequestFailed, load_prompt, outage_message
from pipeline.errors import ConfigError, EndpointUnavailable, WinnowError
from pipeline.stage import Column, Stage, register
from pipeline.text_edits import text_rewritten
from pipeline.urls import chat_url

WIKIPEDIA_PROMPT = """Rewrite the text below as a passage of a high-quality encyclopedia article, in the style of \
Wikipedia: clear, neutral, well-organised prose in complete sentences. Keep every fact, name, number and \
technical detail of the text; add nothing that is not in it; leave out navigation, advertising and chatter. \
Write in the language of the text. Answer with the rewritten passage only.

Text:
{text}
"""

QA_PROMPT = """Turn the text below into a set of question-answer pairs that together cover all the knowledge in \
it. Each question should be answerable from the text alone; each answer should be complete and correct, in full \
sentences. Use the format "Question: ..." then "Answer: ..." for each pair, with a blank line between pairs. \
Write in the language of the text. Answer with the pairs only.

Text:
{text}
"""

SUMMARY_PROMPT = """Distil the text below into a concise, self-contained summary of the knowledge it holds: the \
key facts, definitions, arguments and conclusions, in clear prose, without the text's filler, navigation or \
advertising. Keep names, numbers and technical terms exact. Write in the language of the text. Answer with the \
summary only.

Text:
{text}
"""

PROMPTS = {"wikipedia": WIKIPEDIA_PROMPT, "qa": QA_PROMPT, "summary": SUMMARY_PROMPT}
ECHO_N = 8
_WORD = re.compile(r"\w+")
CACHE_SCHEMA = pa.schema([("key", pa.string()), ("answer", pa.string()), ("finish_reason", pa.string()),
                          ("attempts", pa.int64())])


def chunks(text: str, limit: int) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` characters at paragraph breaks (blank lines, then lines),
    a paragraph longer than ``limit`` at sentence ends, then at spaces; no piece is blank."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    pieces: list[str] = []
    for p in paragraphs:
        if len(p) <= limit:
            pieces.append(p)
            continue
        for line in p.split("\n"):
            pieces.extend(_split_long(line.strip(), limit))
    out: list[str] = []
    for piece in pieces:  # pack short paragraphs together, up to the limit
        if out and len(out[-1]) + 2 + len(piece) <= limit:
            out[-1] += "\n\n" + piece
        elif piece:
            out.append(piece)
    return out


def _split_long(s: str, limit: int) -> list[str]:
    if len(s) <= limit:
        return [s] if s else []
    cut = max(s.rfind(". ", 0, limit), s.rfind("? ", 0, limit), s.rfind("! ", 0, limit))
    if cut < limit // 4:
        cut = s.rfind(" ", 0, limit)
    if cut < limit // 4:
        cut = limit - 1
    return [s[:cut + 1].strip()] + _split_long(s[cut + 1:].strip(), limit)


def echo_share(answer: str, prompt: str, n: int = ECHO_N) -> float:
    """Share of the answer's word n-grams (lower-cased) that occur in the prompt; 0 for answers under n words."""
    words = _WORD.findall(answer.lower())
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return 0.0
    p = _WORD.findall(prompt.lower())
    seen = {tuple(p[i:i + n]) for i in range(len(p) - n + 1)}
    return sum(g in seen for g in grams) / len(grams)


class _Requests:
    """``n`` daemon threads calling ``fn``: a Ctrl-C need not wait for answers still on their way (a request
    that is cut off is sent again by the rerun)."""

    def __init__(self, n: int, fn):
        self.n, self.fn, self.queue = n, fn, queue.SimpleQueue()
        for _ in range(n):
            threading.Thread(target=self._work, daemon=True).start()

    def submit(self, *args) -> Future:
        fut: Future = Future()
        self.queue.put((fut, args))
        return fut

    def _work(self) -> None:
        while (item := self.queue.get()) is not None:
            fut, args = item
            if fut.set_running_or_notify_cancel():
                try:
                    fut.set_result(self.fn(*args))
                except BaseException as e:  # handed to the reader of the future
                    fut.set_exception(e)

    def close(self) -> None:
        for _ in range(self.n):
            self.queue.put(None)


class _AnswerCache:
    """The endpoint's answers of one task (rank): compacted parquet parts, plus a journal that this run appends
    each answer to as it arrives (one JSON line, written and flushed at once: a SIGKILL loses none, only a power
    cut can lose what the OS had not written, for the cost of one ``write`` per answer). On start and on close the
    journal is compacted into one atomic part and removed; a part and a journal holding the same key (a kill
    between the two) agree, so reading both is safe. ``add`` is called from the request threads."""

    def __init__(self, directory: Path, rank: int):
        self.dir, self.rank = directory, rank
        self.dir.mkdir(parents=True, exist_ok=True)
        self.journal_path = self.dir / f"{rank:05d}.journal.jsonl"
        self.answers: dict[str, tuple[str, str | None, int]] = {}
        for part in sorted(self.dir.glob(f"{rank:05d}-*.parquet")):
            for row in pq.read_table(part).to_pylist():
                self.answers[row["key"]] = (row["answer"], row["finish_reason"], row["attempts"])
        self._compact()
        self.lock = threading.Lock()
        self.journal = open(self.journal_path, "a", encoding="utf-8")

    def add(self, key: str, answer: str, finish_reason: str | None, attempts: int) -> None:
        line = json.dumps({"key": key, "answer": answer, "finish_reason": finish_reason, "attempts": attempts})
        with self.lock:
            if self.journal.closed:  # the task is stopping (Ctrl-C): this answer is asked for again
                return
            self.journal.write(line + "\n")
            self.journal.flush()
            self.answers[key] = (answer, finish_reason, attempts)

    def close(self) -> None:
        with self.lock:
            self.journal.close()
        self._compact()

    def _compact(self) -> None:
        """The journal's answers into ``self.answers`` and one atomic parquet part; then the journal goes."""
        from pipeline.atomic import atomic_write

        if not self.journal_path.is_file():
            return
        rows = []
        with self.journal_path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.endswith("\n"):  # the line a kill cut short: its answer is asked for again
                    break
                try:
                    row = json.loads(line)
                    value = (row["answer"], row["finish_reason"], row["attempts"])
                    key = row["key"]
                except (ValueError, KeyError, TypeError) as e:
                    raise WinnowError(f"{self.journal_path}: line {n} is not an answer record ({e!r}); delete the "
                                      "file to ask the endpoint again for this task's unsaved answers") from None
                self.answers[key] = value
                rows.append({"key": key, "answer": value[0], "finish_reason": value[1], "attempts": value[2]})
        if rows:
            table = pa.Table.from_pylist(rows, schema=CACHE_SCHEMA)
            atomic_write(self.dir / f"{self.rank:05d}-{uuid.uuid4().hex}.parquet", lambda tmp: pq.write_table(table, tmp))
        self.journal_path.unlink()


@register("rephrase_v1")
class Rephrase(Stage):
    """Rewrite each document with an LLM (see the module docstring): the answer replaces the text, the source
    id goes to ``rephrase_of``; failed, empty, truncated or echoed answers are removed with a reason."""

    name = "rephrase"
    columns = (
        Column("rephrase_of", pa.string(), "id of the document this one is a rephrasing of"),
        Column("rephrase_prompt", pa.string(), "the rephrasing prompt's name (a built-in name or the file's stem)"),
        Column("rephrase_model", pa.string(), "the model that wrote the rephrasing"),
    )

    def __init__(self, endpoint: str, model: str, prompt: str = "wikipedia", concurrency: int = 8,
                 max_output_tokens: int = 2048, chunk_chars: int = 6000, max_echo: float = 0.8,
                 api_key_env: str = "OPENAI_API_KEY", retries: int = 4, timeout: float = 300.0,
                 backoff: float = 1.0, exclusion_writer=None):
        super().__init__(exclusion_writer)
        if concurrency < 1:
            raise ConfigError(f"rephrase_v1.concurrency: expected 1 or more, got {concurrency}")
        if retries < 2:
            raise ConfigError(f"rephrase_v1.retries: expected at least 2 (three attempts), got {retries}")
        if max_output_tokens < 1 or chunk_chars < 200:
            raise ConfigError("rephrase_v1: max_output_tokens must be >= 1 and chunk_chars >= 200")
        if not 0 < max_echo <= 1:
            raise ConfigError(f"rephrase_v1.max_echo: expected a share in (0, 1], got {max_echo}")
        if "@" in endpoint.split("//", 1)[-1].split("/", 1)[0]:
            raise ConfigError(f"rephrase_v1.endpoint: put no credentials in the URL; the key is read from "
                              f"the environment variable {api_key_env}")
        self.prompt_name, self.template = load_prompt(prompt, PROMPTS)
        self.prompt_sha = hashlib.sha256(self.template.encode()).hexdigest()
        self.endpoint, self.model, self.api_key_env = chat_url(endpoint), model, api_key_env
        self.concurrency, self.max_output_tokens, self.chunk_chars = concurrency, max_output_tokens, chunk_chars
        self.max_echo, self.retries, self.timeout, self.backoff = max_echo, retries, timeout, backoff
        self.cache_dir: str | None = None  # set by the runner (pipeline.layout): OUT/work/rephrase_<stage>

    def filter(self, doc):  # documents go through run(), which batches requests; kept for the contract
        raise NotImplementedError("rephrase_v1 works on a stream of documents (run)")

    def _key(self, chunk: str) -> str:
        h = hashlib.sha256()
        for part in (self.model, self.prompt_sha, str(self.max_output_tokens), chunk):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\0")
        return h.hexdigest()

    def _outcome(self, doc, answers: list) -> tuple[bool, str | None]:
        """Keep (rewriting ``doc``) or the reason to drop, from the answers (or failures) of its chunks."""
        texts = []
        for prompt, result in answers:
            if isinstance(result, RequestFailed):
                return False, f"{self.family}_{result.reason}"
            answer, finish_reason, _ = result
            if not answer.strip():
                return False, f"{self.family}_empty"
            if finish_reason == "length":
                return False, f"{self.family}_truncated"
            if echo_share(answer, prompt) >= self.max_echo:
                return False, f"{self.family}_echo"
            texts.append(answer.strip())
        if not texts:
            return False, f"{self.family}_empty"
        source = doc.id
        doc.id = f"{source}#rephrase={self.prompt_name}:{self.prompt_sha[:8]}"
        doc.text = "\n\n".join(texts)
        text_rewritten(doc)
        doc.metadata.update(rephrase_of=source, rephrase_prompt=self.prompt_name, rephrase_model=self.model)
        return True, None

    def run(self, data, rank: int = 0, world_size: int = 1):
        client = Client(self.endpoint, self.model, os.environ.get(self.api_key_env) or None, timeout=self.timeout,
                        retries=self.retries, backoff=self.backoff, max_tokens=self.max_output_tokens)
        cache = _AnswerCache(Path(self.cache_dir), rank) if self.cache_dir else None
        known = cache.answers if cache else {}
        down: list[EndpointDown] = []  # the first outage: no request is sent after it

        def ask(prompt: str, key: str):
            """An answer (persisted the moment it arrives), a final refusal, or None: not answered (an outage)."""
            if down:
                return None
            try:
                got = client.complete(prompt)
            except RequestFailed as e:  # final: the document is removed; not kept, so a rerun asks again
                return e
            except EndpointDown as e:
                down.append(e)
                return None
            if cache is not None:
                cache.add(key, *got)
            return got

        requests = _Requests(self.concurrency, ask)
        window: collections.deque = collections.deque()  # (doc, [(prompt, key, future or answer)]), in order
        in_flight = 0
        it = iter(data)
        exhausted = False
        read = 0
        with self.exclusion_writer if self.exclusion_writer else contextlib.nullcontext() as writer:
            try:
                while not down:
                    while not exhausted and in_flight < 2 * self.concurrency and len(window) < 8 * self.concurrency:
                        doc = next(it, None)
                        if doc is None:
                            exhausted = True
                            break
                        read += 1
                        parts = []
                        for chunk in chunks(doc.text or "", self.chunk_chars):
                            prompt, key = self.template.replace("{text}", chunk), self._key(chunk)
                            if key in known:
                                self.stat_update("count_cached_answers")
                                parts.append((prompt, key, known[key]))
                            else:
                                parts.append((prompt, key, requests.submit(prompt, key)))
                                in_flight += 1
                                self.stat_update("count_requests")
                        window.append((doc, parts))
                    if not window:
                        break
                    doc, parts = window[0]
                    answers = []
                    for prompt, key, got in parts:
                        if isinstance(got, Future):
                            got = got.result()
                        answers.append((prompt, got))
                    if down:  # this document or another went unanswered: the task fails (below)
                        break
                    window.popleft()
                    in_flight -= sum(isinstance(got, Future) for _, _, got in parts)
                    with self.track_time():
                        keep, reason = self._outcome(doc, answers)
                    self.stat_update("total")
                    if keep:
                        self.stat_update("forwarded")
                        self.update_doc_stats(doc)
                        yield doc
                    else:
                        self.stat_update("dropped")
                        self.stat_update(f"dropped_{reason}")
                        if writer is not None:
                            doc.metadata["filter_reason"] = reason
                            writer.write(doc, rank)
                if down:
                    raise self._outage(client, down[0], rank, window, it, known, read)
            finally:  # the end, an outage, Ctrl-C or a failure downstream: nothing more is sent
                requests.close()
                for _, parts in window:
                    for _, _, got in parts:
                        if isinstance(got, Future):
                            got.cancel()  # not started yet; one on its way keeps its answer as it arrives
                if cache is not None:
                    cache.close()

    def _outage(self, client: Client, down: EndpointDown, rank: int, window, rest, known, read: int):
        """The task's error once the endpoint is down: the requests on their way are waited for (their answers
        are kept), then the documents still lacking an answer are counted, the rest of the input included."""
        pending = 0
        for _, parts in window:
            results = [got.result() if isinstance(got, Future) else got for _, _, got in parts]
            pending += any(r is None for r in results)
        for doc in rest:
            read += 1
            pending += any(self._key(c) not in known for c in chunks(doc.text or "", self.chunk_chars))
        return EndpointUnavailable(outage_message(
            self.stage_name, client.url, down,
            f"task {rank}: {pending} of its {read} documents pending"))
