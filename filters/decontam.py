"""Benchmark decontamination: drop (or mask) documents that contain a benchmark item's word n-gram.

The recipe is GPT-3's (Brown et al. 2020, appendix C) as Dolma also applies it
(Soldaini et al. 2024, decontamination against the Paloma/eval sets): normalise
text, cut it into word 13-grams, and treat a training document as contaminated
when it shares any 13-gram with a benchmark item. 13 words is long enough that a
shared run is almost never chance in natural text, short enough to survive a
benchmark item being quoted inside other text. GPT-3 used shorter N (down to 8
words) for benchmarks whose items are short; here an item (each way it is written,
below) shorter than ``ngram`` words is matched *whole* (all of its words, in order,
as one n-gram), and one shorter than ``min_item_words`` (default 8, GPT-3's smallest N) is not
indexed at all: a run of 5-7 common words ("which of the following is true") is
found in clean text by chance, so matching it would drop innocent documents.
``load_benchmarks`` reports such items and the index counts them
(``DecontamIndex.skipped_items``).

Text is normalised as ``filters.benchmarks`` describes (the same for benchmark items and documents). N-grams are
the words joined by single spaces, hashed to stable 64-bit integers (xxh3-64; blake2b-64 where ``xxhash`` is
missing); never Python's per-process ``hash()``.

What counts as an item's text is what a leaked copy contains, in every way a page writes it: the question
(``question``, ``question.stem``, ``goal``, ``prompt``, ``ctx`` or a ``text`` field), then its choices, then a
worked answer (GSM8K's ``answer`` solution, with its ``<<48/2=24>>`` calculator annotations removed because copies
on the web show the arithmetic in prose; HumanEval's ``canonical_solution`` after its ``prompt``, i.e. the
completed function as it would appear in code). A multiple-choice item is indexed three ways
(``BenchmarkItem.text``, the way the benchmark is usually shown, and ``variants``): its choices one a line
labelled ``A.``, ``B.``... (MMLU's A-D columns, ARC's labelled choices, HF ``choices`` lists; the usual way for
these), the same without the labels (the usual way for PIQA's ``sol1``/``sol2`` and HellaSwag's ``endings``), and
the question with the correct choice alone after it (MMLU's answer letter, ARC's ``answerKey``, HellaSwag's
``label``; every choice in turn where the file does not say, as PIQA's does not). An n-gram across a label or a
wrong choice is not in a copy written another way, so an item whose question is under 13 words ("Find all c in
Z_3 such that Z_3[x]/(x^2 + c) is a field.", choices 0-3) had no n-gram that an unlabelled copy contains. Each
way is also indexed with the punctuation inside its words deleted (``x^2``, ``U.S.``, ``well-known`` as ``x2``,
``us``, ``wellknown``), as a copy stripped of punctuation reads. HellaSwag's WikiHow step markers (``[header]``,
``[title]``, ``[step]``) are indexed with and without, as lm-eval-harness deletes them. Native files load as their
authors ship them: MMLU's header-less CSVs, ARC's, GSM8K's, PIQA's, HumanEval's and HellaSwag's jsonl, HF parquet.
Not included: bare answer labels or numbers (``B``, ``2``: a choice letter is not text, and absent or formatted
differently in copies), HumanEval's ``test`` harness (boilerplate shared by every item, not what a model is asked
to produce) and ``entry_point`` (one word).

Template contamination (``template``: ``auto`` by default, ``on``, ``off``): a benchmark item rewritten with
other numbers, names or amounts ("almost identical problems") shares few exact 13-grams with the original. Items
that hold a number (``auto``; every item with ``on``) are also indexed as templates (:func:`template_words`):
numbers (digit words and number words) become ``#`` and capitalised words ``@``, and a template 13-gram is kept
only when it holds at least one and at most ``ngram // 2`` placeholders, so at least 7 literal words must agree
in their places. A document matched by templates only is dropped with reason ``decontam_template`` (stat
``template_<benchmark>``), apart from exact matches (``decontam_contaminated``); ``decontam_match`` says which.
Recall on rewritten items, false positives on clean text and the extra scan cost are in the README
(``tests/test_decontam.py``, slow suite).

``decontam_v1`` in ``mode: drop`` (default) drops a contaminated document with
reason ``decontam_contaminated`` (so it lands in ``removed/``); in ``mode: mask``
the document keeps its place and each matching span of its original text
(first to last character of the matching words, overlapping matches merged) is
replaced with ``mask``. Both record in the document's metadata
``decontam_benchmark`` and ``decontam_item`` (the item with the most matching
n-grams; its benchmark is the file's or folder's name, its id the record's
``id``/``task_id`` or ``<file>:<row>``) and ``decontam_ngrams`` (number of
word positions at which an indexed n-gram matches), and count
``contaminated_<benchmark>`` in the stage stats. Clean documents, including
empty ones and documents with fewer words than the shortest indexed n-gram,
pass untouched.

Recall, false positives and cost are measured end to end by ``tests/bench/bench_decontam.py`` (``winnow
decontam`` over the shared benchmark files planted every way above in real documents; the README has the results,
docs/measurements.md the index sizes and speeds). Indexing every way multiplies the n-grams and the index build
time but not the scan's cost: a document costs dict lookups per word position, whatever the index holds. A way
of writing an item under ``min_item_words`` words is not indexed, so a copy written only that way is not found.
The index is a dict whose memory grows with the number of distinct n-grams; it is built lazily, once per worker
process, because the step is pickled to workers before it runs.
"""

from __future__ import annotations

from collections import Counter, deque
from itertools import islice
from typing import Iterator

import pyarrow as pa
from datatrove.data import Document
from datatrove.utils.logging import logger

from pipeline.errors import ConfigError
from pipeline.stage import Column, Stage, register
from pipeline.text_edits import replace_spans

try:
    import xxhash

    def ngram_hash(gram: str) -> int:
        """Stable 64-bit hash of a normalised n-gram (its words joined by single spaces)."""
        return xxhash.xxh3_64_intdigest(gram)

except ImportError:  # pragma: no cover - xxhash comes with datatrove[io]
    from hashlib import blake2b

    def ngram_hash(gram: str) -> int:
        """Stable 64-bit hash of a normalised n-gram (its words joined by single spaces)."""
        return int.from_bytes(blake2b(gram.encode("utf-8"), digest_size=8).digest(), "little")


from filters.benchmarks import (  # noqa: F401 - load_benchmarks and the normalisation are this stage's API too
    NAME,
    NUMBER,
    NUMBER_WORDS,
    BenchmarkItem,
    check_benchmark_like,
    iter_words,
    load_benchmark_file,
    load_benchmarks,
    normalize_words,
    resolve_benchmarks,
    stripped,
    template_words,
)

# --- the index ----------------------------------------------------------------------------------------------------


class DecontamIndex:
    """Hashes of every benchmark n-gram -> the first item containing it, and the lookup over a document's words."""

    def __init__(self, items: list[BenchmarkItem], ngram: int = 13, min_item_words: int = 8,
                 template: str = "auto", template_max_shapes: int | None = None):
        self.ngram = ngram
        self.min_item_words = min_item_words
        self.items = items
        self.grams: dict[int, int] = {}  # ngram_hash -> index into items
        # Template n-grams (see template_words) of items that hold a number (template "auto") or of every item
        # ("on"): only windows with at least one NUMBER/NAME (the others are in grams already) and at most
        # template_max_shapes of them, so at least ngram - max literal words in their places must agree.
        self.template_max_shapes = ngram // 2 if template_max_shapes is None else template_max_shapes
        self.tgrams: dict[int, int] = {}
        self.tvocab: set[str] = {NUMBER, NAME}
        # Items shorter than ngram are matched whole: per length k, the first words of such items, so a
        # k-gram is only hashed where it can start one.
        self.short_heads: dict[int, set[str]] = {}
        # Every word of an indexed item: a document word outside it cannot be part of a match, so the scan
        # restarts after it without hashing (most windows of clean text hold such a word).
        self.vocab: set[str] = set()
        self.skipped_items = self.short_items = 0
        self.items_per_benchmark: Counter = Counter()
        for i, item in enumerate(items):
            self.items_per_benchmark[item.benchmark] += 1
            # Every way the item is written is indexed apart (an n-gram across a choice label or a wrong choice is
            # not in a copy written another way), and each with the punctuation inside its words deleted.
            texts = (item.text, *item.variants)
            words = normalize_words(item.text)
            lengths = [self._add(i, words)]
            lengths += [self._add(i, normalize_words(t)) for t in dict.fromkeys((*texts[1:], *map(stripped, texts)))
                        if t != item.text]
            self.skipped_items += not any(lengths)
            self.short_items += any(0 < k < ngram for k in lengths)
            if lengths[0] >= ngram and (
                template == "on" or (template == "auto" and any(w[0].isdigit() for w in words))
            ):
                self._add_template(i, template_words(item.text))
        self.template_items = len(set(self.tgrams.values()))
        self._short = sorted(self.short_heads.items())

    def _add(self, i: int, words: list[str]) -> int:
        """Index the n-grams of one text of item ``i`` (the whole text when shorter than ``ngram``); return its
        length in words, or 0 when it is under ``min_item_words`` and not indexed."""
        n = self.ngram
        if len(words) < self.min_item_words:
            return 0
        self.vocab.update(words)
        if len(words) < n:
            self.grams.setdefault(ngram_hash(" ".join(words)), i)
            self.short_heads.setdefault(len(words), set()).add(words[0])
            return len(words)
        window: deque[str] = deque(words[: n - 1], maxlen=n)
        for w in islice(words, n - 1, None):
            window.append(w)
            self.grams.setdefault(ngram_hash(" ".join(window)), i)
        return len(words)

    def _add_template(self, i: int, shapes: list[str]) -> None:
        n, most = self.ngram, self.template_max_shapes
        for k in range(len(shapes) - n + 1):
            window = shapes[k:k + n]
            placeholders = sum(1 for w in window if w in (NUMBER, NAME))
            if 0 < placeholders <= most:
                self.tgrams.setdefault(ngram_hash(" ".join(window)), i)
                self.tvocab.update(window)

    def __len__(self) -> int:
        return len(self.grams)

    def matches(self, text: str) -> Iterator[tuple[int, int, int, bool]]:
        """(item index, start char, end char, template) of every indexed n-gram in ``text``, streaming over its
        words once; ``template`` is True for a match of a template n-gram only (numbers and names aside)."""
        n, grams, short, vocab = self.ngram, self.grams, self._short, self.vocab
        tgrams, tvocab, number_words = self.tgrams, self.tvocab, NUMBER_WORDS
        words: deque[str] = deque(maxlen=n)
        starts: deque[int] = deque(maxlen=n)
        shapes: deque[str] = deque(maxlen=n)
        tstarts: deque[int] = deque(maxlen=n)
        for w, start, end in iter_words(text):
            if tgrams:  # _shape inlined: this loop runs once per word of every document
                if w[0].isdigit() or w[-1].isdigit() or w in number_words:
                    shape = NUMBER
                elif text[start].isupper():
                    shape = NAME
                else:
                    shape = w
                if shape in tvocab:
                    shapes.append(shape)
                    tstarts.append(start)
                    if len(shapes) == n:
                        hit = tgrams.get(ngram_hash(" ".join(shapes)))
                        if hit is not None:
                            yield hit, tstarts[0], end, True
                elif shapes:
                    shapes.clear()
                    tstarts.clear()
            if w not in vocab:
                if words:
                    words.clear()
                    starts.clear()
                continue
            words.append(w)
            starts.append(start)
            size = len(words)
            if size == n:
                hit = grams.get(ngram_hash(" ".join(words)))
                if hit is not None:
                    yield hit, starts[0], end, False
            for k, heads in short:
                if k > size:
                    break
                if words[size - k] in heads:
                    hit = grams.get(ngram_hash(" ".join(islice(words, size - k, size))))
                    if hit is not None:
                        yield hit, starts[size - k], end, False


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


_MODES = ("drop", "mask")
_TEMPLATE = ("auto", "on", "off")


@register("decontam_v1")
class Decontaminate(Stage):
    """Drop (or mask) documents sharing a word 13-gram with a benchmark item (GPT-3 appendix C; Dolma).

    Reason: ``decontam_contaminated`` (mode ``drop``). Metadata on a contaminated
    document: ``decontam_benchmark``, ``decontam_item``, ``decontam_ngrams``
    (matching n-gram positions). ``benchmarks``: files, folders or globs (jsonl,
    json, csv, parquet; ``NAME=PATH`` names one). ``ngram``: words per n-gram
    after normalisation. ``min_item_words``: items with fewer normalised words
    are not indexed; items between that and ``ngram`` words are matched whole.
    ``mask``: the replacement for each matching span in ``mode: mask``.
    ``force``: index JSON/parquet files whose records hold only plain text (no
    question/choices/answer field); without it such a file is an error, since
    it is most likely training data given as a benchmark by mistake.
    ``template``: ``auto`` (items holding a number), ``on`` or ``off``: also match
    items rewritten with other numbers and names (reason ``decontam_template``;
    see the module docstring).
    """

    columns = (
        Column("decontam_benchmark", pa.string(), "benchmark whose item shares the most n-grams with the document"),
        Column("decontam_item", pa.string(), "id of that benchmark item"),
        Column("decontam_ngrams", pa.int64(), "n-grams the document shares with benchmark items"),
        Column("decontam_match", pa.string(), "exact (normalised n-grams) or template (numbers and names aside)"),
    )


    param_help = {  # `winnow decontam` flags (pipeline.registry.add_stage_flags)
        "benchmarks": "benchmark files or globs: jsonl/parquet with text or question/answer fields, MMLU-style CSV",
        "ngram": "words per n-gram after normalisation",
        "mode": "drop the document, or mask the matching spans",
        "min_item_words": "benchmark items with fewer words are matched whole, not by n-grams",
        "mask": "what replaces a matching span in mask mode",
        "force": "index files that hold only plain text (no question/answer fields) as benchmarks",
        "template": "also match items rewritten with other numbers and names (reason decontam_template): auto for "
                    "items that hold a number, on for every item, off",
    }

    def __init__(
        self,
        benchmarks: list[str],
        ngram: int = 13,
        mode: str = "drop",
        min_item_words: int = 8,
        mask: str = "[MASKED]",
        force: bool = False,
        template: str | bool = "auto",
        exclusion_writer=None,
    ):
        super().__init__(exclusion_writer)
        template = {True: "on", False: "off"}.get(template, template)
        if template not in _TEMPLATE:
            raise ConfigError(f"stages.decontam_v1.template: {template!r} is not one of {', '.join(_TEMPLATE)} "
                              "(or true/false)")
        self.template = template
        if mode not in _MODES:
            raise ConfigError(f"stages.decontam_v1.mode: {mode!r} is not one of {', '.join(_MODES)}")
        if not isinstance(ngram, int) or ngram < 1:
            raise ConfigError(f"stages.decontam_v1.ngram: expected a positive number of words, got {ngram!r}")
        if not isinstance(min_item_words, int) or min_item_words < 1:
            raise ConfigError(
                f"stages.decontam_v1.min_item_words: expected a positive number of words, got {min_item_words!r}"
            )
        self.ngram = ngram
        self.mode = mode
        self.min_item_words = min_item_words
        self.mask = mask
        # Resolve now so a bad path fails when the pipeline is built, not inside a worker.
        self.benchmark_files = resolve_benchmarks(benchmarks)
        if not force:
            for _, path in self.benchmark_files:
                check_benchmark_like(path)
        self.asset_paths = [f for _, f in self.benchmark_files]  # for the run manifest
        self._index: DecontamIndex | None = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_index"] = None
        return state

    @property
    def index(self) -> DecontamIndex:
        if self._index is None:
            items = [it for name, path in self.benchmark_files for it in load_benchmark_file(name, path)]
            self._index = DecontamIndex(items, self.ngram, self.min_item_words, self.template)
            logger.info(
                f"decontam: {len(self._index)} {self.ngram}-grams from {len(items)} benchmark items "
                f"({dict(self._index.items_per_benchmark)}); {self._index.short_items} matched whole, "
                f"{self._index.skipped_items} under {self.min_item_words} words not indexed; "
                f"{len(self._index.tgrams)} template {self.ngram}-grams of {self._index.template_items} items"
            )
        return self._index

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        index = self.index
        text = doc.text or ""
        hits, thits = Counter(), Counter()
        spans: list[tuple[int, int]] = []
        want_spans = self.mode == "mask"
        for item, start, end, template in index.matches(text):
            (thits if template else hits)[item] += 1
            if want_spans:
                spans.append((start, end))
        if not hits and not thits:
            return True
        kind = "contaminated" if hits else "template"  # an exact match wins: it is the stronger evidence
        found = hits or thits
        top = index.items[found.most_common(1)[0][0]]
        doc.metadata["decontam_benchmark"] = top.benchmark
        doc.metadata["decontam_item"] = top.item_id
        doc.metadata["decontam_ngrams"] = sum(found.values())
        doc.metadata["decontam_match"] = "exact" if hits else "template"
        self.stat_update(f"{kind}_{top.benchmark}")
        if self.mode == "drop":
            return self.drop(kind)
        merged = _merge(spans)
        self.stat_update("masked_spans", value=len(merged))
        replace_spans(doc, [(s, e, self.mask) for s, e in merged])
        return True

    @classmethod
    def report_section(cls, rd) -> str | None:
        """``section-decontam`` of ``winnow report`` (:func:`report_section`)."""
        return report_section(rd)


# ----------------------------------------------------------------------------------------------- the report


def findings_by_benchmark(rd) -> list[tuple] | None:
    """(benchmark, kept, removed, distinct items, mean shared n-grams) per benchmark, most documents first;
    ``None``: decontam_v1 did not run (no ``decontam_benchmark`` column)."""
    if not rd.has("decontam_benchmark"):
        return None
    items = "count(distinct decontam_item)" if rd.has("decontam_item") else "null"
    ngrams = "avg(decontam_ngrams)" if rd.has("decontam_ngrams") else "null"
    return rd.rows(
        f"select decontam_benchmark, count(*) filter (where kept), count(*) filter (where not kept), {items}, {ngrams} "
        "from all_documents where decontam_benchmark is not null group by 1 order by count(*) desc, 1"
    )


def report_section(rd) -> str:
    """``section-decontam``: documents that share n-grams with a benchmark item, per benchmark, kept (masked) and
    removed; ``not run`` / ``none found`` in ``decontam-status``."""
    from pipeline import report_html as h

    rows = findings_by_benchmark(rd)
    if rows is None:
        return h.section("section-decontam", "Decontamination",
                         h.status("decontam", h.NOT_RUN, "decontam_v1 did not run (no decontam_benchmark column)."))
    if not rows:
        return h.section("section-decontam", "Decontamination", h.status(
            "decontam", h.NONE_FOUND,
            "no document shares n-grams with a benchmark item" + h.stage_ran(rd, "decontam_") + "."))
    n = sum(r[1] + r[2] for r in rows)
    table = h.table(["benchmark", "kept (masked)", "removed", "distinct items", "mean matching n-grams"], rows,
                    table_id="table-decontam")
    return h.section("section-decontam", "Decontamination",
                     h.status("decontam", h.FOUND, f"{n:,} documents share n-grams with a benchmark item."), table)
