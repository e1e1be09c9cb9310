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

An outage is not an answer: requests go through :mod:`pipeline.endpoint`, which retries HTTP 429 and 5xx,
timeouts, refused or cut-off connections and replies that are no chat completion ``retries`` more times
(``backoff`` seconds, doubling, jittered; a ``Retry-After`` honoured). One that outlasts the retries stops the
task: no request is sent after it, the requests on their way finish (their answers are kept), and the task raises
:class:`pipeline.errors.EndpointUnavailable` naming the endpoint and how many of its documents are pending. The
task is then not complete, so the command exits non-zero and running it again redoes the task, sending requests
only for what has no answer yet.

Resumable: every answer the endpoint gives (kept or not) is appended to a journal under
``OUT/work/cache_<stage>/`` the moment it arrives, keyed by the sha256 of model, prompt, output limit and chunk,
and compacted into parquet parts when the task stops or starts again (:class:`pipeline.endpoint.AnswerParts`,
one writer per task, named after its rank). A rerun of a killed or failed run reads the answers of its task
first and sends no request for them, so what a SIGKILL costs is the requests that were on their way. Refusals
(4xx) are not kept: a rerun asks again. At most ``concurrency`` requests are in flight per task (``workers``
tasks run at once). The API key comes from the environment variable ``api_key_env`` and goes only into the
Authorization header, never into a config, the manifest, an output or a log line. ``stats.json`` counts the
stage's ``requests`` and ``cached_answers`` (answers read back from an earlier, killed run) under ``counts``.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from pathlib import Path

import pyarrow as pa

from pipeline.endpoint import AnswerParts, Client, EndpointDown, RequestFailed, bounded_map, load_prompt, outage
from pipeline.errors import ConfigError
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


@register("rephrase_v1")
class Rephrase(Stage):
    """Rewrite each document with an LLM (see the module docstring): the answer replaces the text, the source
    id goes to ``rephrase_of``; failed, empty, truncated or echoed answers are removed with a reason."""

    uses_cache = True  # the answers, under OUT/work/<stage> (the runner sets cache_dir)

    columns = (
        Column("rephrase_of", pa.string(), "id of the document this one is a rephrasing of"),
        Column("rephrase_prompt", pa.string(), "the rephrasing prompt's name (a built-in name or the file's stem)"),
        Column("rephrase_model", pa.string(), "the model that wrote the rephrasing"),
    )

    param_help = {  # `winnow rephrase` flags (pipeline.registry.add_stage_flags)
        "endpoint": "OpenAI-compatible API base, e.g. http://localhost:8000/v1 (vLLM, SGLang, llama.cpp)",
        "model": "model name the endpoint serves",
        "prompt": "wikipedia (encyclopedic prose), qa (question-answer pairs), summary (distilled knowledge), or a "
                  "file with {text} where the chunk goes",
        "concurrency": "requests in flight per task",
        "max_output_tokens": "answer limit per chunk; an answer cut off there is removed (rephrase_truncated)",
        "chunk_chars": "longer documents are sent in chunks of paragraphs up to this many characters",
        "max_echo": "an answer with at least this share of its word 8-grams copied from the prompt is an echo "
                    "(rephrase_echo)",
        "api_key_env": "environment variable holding the API key (never written anywhere)",
        "retries": "retries of a request that failed with 429 or 5xx or did not connect",
        "timeout": "seconds to wait for one answer",
        "backoff": "seconds before the first retry (doubling, with jitter, or the endpoint's Retry-After)",
    }

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
        client = Client(self.endpoint, self.model, api_key_env=self.api_key_env, timeout=self.timeout,
                        retries=self.retries, backoff=self.backoff, max_tokens=self.max_output_tokens)
        cache = (AnswerParts(Path(self.cache_dir), CACHE_SCHEMA, key="key", prefix=f"{rank:05d}", journal=True)
                 if self.cache_dir else None)
        known = {r["key"]: (r["answer"], r["finish_reason"], r["attempts"]) for r in cache.read()} if cache else {}
        docs = iter(data)
        read = 0

        def requests():
            """(doc, last chunk?, prompt, key) for every chunk of every document, in order (one item without a
            prompt for a document without text); whole documents, and none after an outage."""
            nonlocal read
            for doc in docs:
                read += 1
                pieces = chunks(doc.text or "", self.chunk_chars)
                if not pieces:
                    yield doc, True, None, None
                for i, chunk in enumerate(pieces):
                    key = self._key(chunk)
                    self.stat_update("count_cached_answers" if key in known else "count_requests")
                    yield doc, i == len(pieces) - 1, self.template.replace("{text}", chunk), key
                if client.down is not None:
                    return

        def ask(item):
            """An answer (persisted the moment it arrives) or a final refusal; an outage raises EndpointDown."""
            _, _, prompt, key = item
            if prompt is None or key in known:
                return known.get(key)
            try:
                got = client.complete(prompt)
            except RequestFailed as e:  # final: the document is removed; not kept, so a rerun asks again
                return e
            if cache is not None:
                cache.add({"key": key, "answer": got[0], "finish_reason": got[1], "attempts": got[2]})
            known[key] = got
            return got

        answers = bounded_map(ask, requests(), self.concurrency, ordered=True)
        pending = 0
        with self.exclusion_writer if self.exclusion_writer else contextlib.nullcontext() as writer:
            try:
                doc_answers = []
                for (doc, last, prompt, _), got in answers:
                    try:
                        result = got.result()
                    except EndpointDown:
                        result = None  # not answered: the task fails (below) and the rerun asks again
                    if prompt is not None:
                        doc_answers.append((prompt, result))
                    if not last:
                        continue
                    doc_answers, done = [], doc_answers
                    if client.down is not None:  # the requests on their way finish; nothing more is passed on
                        pending += any(r is None for _, r in done)
                        continue
                    with self.track_time():
                        keep, reason = self._outcome(doc, done)
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
                if client.down is not None:  # the rest of the input: documents lacking an answer
                    for doc in docs:
                        read += 1
                        pending += any(self._key(c) not in known for c in chunks(doc.text or "", self.chunk_chars))
                    raise outage(self.stage_name, client.url, client.down,
                                 f"task {rank}: {pending} of its {read} documents pending")
            finally:  # the end, an outage, Ctrl-C or a failure downstream: nothing more is sent
                answers.close()
                if cache is not None:
                    cache.close()
