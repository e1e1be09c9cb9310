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

Normalisation (the same for benchmark items and documents): Unicode NFKC,
case-folding, then words are maximal runs of letters, digits and combining marks;
everything else (punctuation, symbols, whitespace of any kind) only separates
words. Two joins keep light reformatting from splitting a word differently:
apostrophes inside a word are dropped (``don't``, ``don’t`` and ``dont`` are all
``dont``) and digit groups are joined across ``.``/``,`` (``80,000`` and
``80000`` are one word). Kana and CJK ideographs, written without spaces, count
one character per word. N-grams are the words joined by single spaces, hashed
to stable 64-bit integers (xxh3-64; blake2b-64 where ``xxhash`` is missing);
never Python's per-process ``hash()``.

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

import csv
import glob
import gzip
import io
import json
import re
import unicodedata
from collections import Counter, deque
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Iterator

import pyarrow as pa
from datatrove.data import Document
from datatrove.utils.logging import logger

from pipeline.stage import Column, Stage, register
from pipeline.text_edits import replace_spans
from pipeline.errors import ConfigError

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


# --- normalisation ------------------------------------------------------------------------------------------------

# ASCII text (most documents) is lower-cased in one call, which keeps every offset, and scanned with a small pattern.
_ASCII_WORD_RE = re.compile(r"[a-z0-9]+(?:['`][a-z0-9]+|(?<=[0-9])[.,][0-9]+)*")
_ASCII_JOINERS = str.maketrans("", "", "'`.,")

# Other text: letters, digits and combining marks (which \w leaves out: Devanagari vowel signs, decomposed
# accents), except kana/CJK ideographs, which are words of one character each.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u0900-\u0963\u0966-\u0dff\u0e31-\u0e3a\u0e47-\u0e4e\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
)
_WCHAR = rf"(?:(?![{_CJK}])(?:[^\W_]|[{_MARKS}]))"
_JOIN = "'`\u2019\u02bc"
_WORD_RE = re.compile(rf"[{_CJK}]|{_WCHAR}+(?:[{_JOIN}]{_WCHAR}+|(?<=\d)[.,]\d+)*")
_JOINERS = str.maketrans("", "", _JOIN + ".,")


def iter_words(text: str) -> Iterator[tuple[str, int, int]]:
    """Normalised words of ``text`` with the [start, end) character offsets of each in ``text``, lazily."""
    if text.isascii():
        for m in _ASCII_WORD_RE.finditer(text.lower()):
            w = m.group()
            yield (w.translate(_ASCII_JOINERS) if len(w) > 1 else w), m.start(), m.end()
        return
    for m in _WORD_RE.finditer(text):
        w = unicodedata.normalize("NFKC", m.group()).casefold().translate(_JOINERS)
        if w.isalnum() or _WORD_RE.fullmatch(w):
            yield w, m.start(), m.end()
        else:
            # NFKC can turn one character into several words ("½" -> "1⁄2"); they share the original span.
            for sub in _WORD_RE.findall(w):
                yield sub.translate(_JOINERS), m.start(), m.end()


def normalize_words(text: str) -> list[str]:
    """The normalised words of ``text`` (see the module docstring for the rules)."""
    return [w for w, _, _ in iter_words(text)]


_INNER_PUNCT_RE = re.compile(r"(?<=\w)[^\w\s]+(?=\w)")


def stripped(text: str) -> str:
    """``text`` with the punctuation inside its words deleted, as a copy stripped of punctuation reads: "x^2",
    "U.S." and "well-known" become "x2", "US" and "wellknown" (two words each for ``normalize_words``)."""
    return _INNER_PUNCT_RE.sub("", text)


# --- benchmark files ----------------------------------------------------------------------------------------------


# Template matching: a number becomes NUMBER and a capitalised word NAME, so an item rewritten with other numbers
# and names ("Natalia sold 48 clips in April" -> "Maria sold 52 clips in May") still matches. Neither can be a
# normalised word (words are letters, digits and marks only).
NUMBER, NAME = "#", "@"


_NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "billion".split())


def _shape(word: str, text: str, start: int) -> str:
    """A normalised word as template matching sees it: NUMBER (it starts or ends with a digit, or is a number
    word: "three" -> "five"), NAME (its first character in ``text`` is upper case), or the word itself."""
    if word[0].isdigit() or word[-1].isdigit() or word in _NUMBER_WORDS:
        return NUMBER
    if text[start].isupper():
        return NAME
    return word


def template_words(text: str) -> list[str]:
    """The normalised words of ``text`` with numbers as NUMBER and capitalised words as NAME."""
    return [_shape(w, text, start) for w, start, _ in iter_words(text)]


@dataclass(frozen=True, slots=True)
class BenchmarkItem:
    benchmark: str  # the file's or folder's name (gsm8k, mmlu)
    item_id: str  # the record's id/task_id, else "<file name>:<row>" (rows count from 1, header excluded)
    text: str  # the item as the benchmark is usually shown; see the module docstring for which fields count
    variants: tuple[str, ...] = ()  # the same item written the other ways (choices without labels, answer alone)


_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".json.gz", ".csv", ".csv.gz", ".parquet")
_ID_FIELDS = ("id", "task_id", "idx", "uid", "qid", "ind")
_GSM8K_CALC_RE = re.compile(r"<<[^<>]*>>")
_LABEL_RE = re.compile(r"^[A-Ja-j]$")
_HEAD_FIELDS = ("question", "goal", "prompt", "ctx", "sentence")


def _supported(path: Path) -> bool:
    return path.name.lower().endswith(_SUFFIXES)


def _stem(path: Path) -> str:
    name = path.name
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def resolve_benchmarks(paths: list[str]) -> list[tuple[str, str]]:
    """``(benchmark name, file)`` for every benchmark file that ``paths`` names, or ConfigError.

    An entry is a file, a folder (every supported file below it, recursively; the
    benchmark is the folder's name), a glob, or ``NAME=PATH`` to name the benchmark
    explicitly. A file on its own is named after its file name without suffixes.
    """
    if isinstance(paths, str) or not paths:
        raise ConfigError("decontam: 'benchmarks' must be a non-empty list of files, folders or globs")
    out: list[tuple[str, str]] = []
    for entry in paths:
        if not isinstance(entry, str) or not entry.strip():
            raise ConfigError(f"decontam: benchmark path {entry!r} is not a path")
        name = None
        m = re.fullmatch(r"([\w.-]+)=(.+)", entry)
        if m and "/" not in m.group(1):
            name, entry = m.group(1), m.group(2)
        spec = str(Path(entry).expanduser())
        if glob.has_magic(spec):
            matches = [Path(p) for p in sorted(glob.glob(spec, recursive=True))]
            if not matches:
                raise ConfigError(f"decontam: benchmark glob {entry!r} matched no files")
        else:
            matches = [Path(spec)]
            if not matches[0].exists():
                raise ConfigError(f"decontam: benchmark path {entry!r} does not exist")
        for p in matches:
            if p.is_dir():
                files = sorted(f for f in p.rglob("*") if f.is_file() and _supported(f))
                if not files:
                    raise ConfigError(
                        f"decontam: benchmark folder {str(p)!r} holds no benchmark files ({', '.join(_SUFFIXES)})"
                    )
                out.extend((name or p.name, str(f)) for f in files)
            elif _supported(p):
                out.append((name or _stem(p), str(p)))
            elif not glob.has_magic(spec):
                raise ConfigError(
                    f"decontam: benchmark file {entry!r} has an unsupported format; use one of {', '.join(_SUFFIXES)}"
                )
    if not out:
        raise ConfigError(f"decontam: no benchmark files ({', '.join(_SUFFIXES)}) found in {paths!r}")
    return out


def _open_text(path: str):
    if path.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _iter_records(path: str) -> Iterator[tuple[int, dict | list]]:
    """(row number from 1, record) of a benchmark file; ConfigError naming file and row on bad input."""
    low = path.lower()
    if low.endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            row = 0
            for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
                for rec in batch.to_pylist():
                    row += 1
                    yield row, rec
        except (pa.ArrowException, OSError) as e:
            raise ConfigError(f"decontam: cannot read benchmark file {path}: {e}") from e
        return
    try:
        if low.endswith((".csv", ".csv.gz")):
            with _open_text(path) as f:
                yield from enumerate(csv.reader(f), 1)
        elif low.endswith((".json", ".json.gz")):
            with _open_text(path) as f:
                raw = f.read()
            try:
                data = json.loads(raw)
            except json.JSONDecodeError:
                data = None  # JSON lines under a .json name
            if data is None:
                yield from _jsonl_records(path, io.StringIO(raw))
                return
            if isinstance(data, dict):
                data = next((v for k, v in data.items() if k in ("data", "examples", "rows", "items")), None)
            if not isinstance(data, list):
                raise ConfigError(f"decontam: {path}: expected a JSON list of records (or JSON lines)")
            yield from enumerate(data, 1)
        else:
            with _open_text(path) as f:
                yield from _jsonl_records(path, f)
    except (OSError, UnicodeDecodeError, EOFError, csv.Error) as e:
        raise ConfigError(f"decontam: cannot read benchmark file {path}: {e}") from e


def _jsonl_records(path: str, f) -> Iterator[tuple[int, dict]]:
    for row, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            yield row, json.loads(line)
        except json.JSONDecodeError as e:
            raise ConfigError(f"decontam: {path}, line {row}: not valid JSON ({e.msg})") from e


def _s(v) -> str:
    return v.strip() if isinstance(v, str) else ""


def _choices(rec: dict) -> tuple[list[tuple[str, str]], bool]:
    """(label, text) of each choice, from the layouts the common benchmarks use, and whether the benchmark shows
    the labels (MMLU, ARC: ``A. text``) or not (PIQA's solutions, HellaSwag's endings)."""
    labelled: list[tuple[str, str]] = []
    ch = rec.get("choices", rec.get("options"))
    if isinstance(ch, dict) and isinstance(ch.get("text"), list):  # HF ARC: {"text": [...], "label": [...]}
        labels = ch.get("label") or []
        labelled = [(str(labels[i]) if i < len(labels) else chr(65 + i), _s(t)) for i, t in enumerate(ch["text"])]
    elif isinstance(ch, list):
        for i, c in enumerate(ch):
            if isinstance(c, dict):  # ARC jsonl: [{"text", "label"}]
                labelled.append((str(c.get("label") or chr(65 + i)), _s(c.get("text"))))
            else:
                labelled.append((chr(65 + i), _s(c) if isinstance(c, str) else str(c)))
    else:
        for letter in "ABCDEFGHIJ":  # MMLU's CSV: A, B, C, D columns
            key = letter if letter in rec else letter.lower() if letter.lower() in rec else None
            if key is None:
                break
            labelled.append((letter, _s(rec[key]) if isinstance(rec[key], str) else str(rec[key])))
    if labelled:
        return [(label, text) for label, text in labelled if text], True
    sols = [_s(rec.get(k)) for k in ("sol1", "sol2", "sol3", "sol4")]  # PIQA
    if not any(sols) and isinstance(rec.get("endings"), list):  # HellaSwag
        sols = [_s(e) for e in rec["endings"]]
    return [(chr(65 + i), s) for i, s in enumerate(sols) if s], False


def _answers(rec: dict, choices: list[tuple[str, str]]) -> list[str]:
    """Text of the correct choice, from ``answerKey`` (ARC: a label), ``answer`` (MMLU: a letter; HF MMLU: an
    index) or ``label`` (HellaSwag, HF PIQA: an index); every choice's text when the record does not say."""
    labels = [label.upper() for label, _ in choices]
    for key in ("answerKey", "answer", "label"):
        v = rec.get(key)
        if isinstance(v, str) and v.strip().upper() in labels:
            return [choices[labels.index(v.strip().upper())][1]]
        if isinstance(v, str) and v.strip().isdigit():
            v = int(v)
        if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < len(choices):
            return [choices[v][1]]
    return [text for _, text in choices]


# HellaSwag's WikiHow contexts carry step markers ("[header]", "[title]", "[step]") that lm-eval-harness deletes
# before showing the item; both copies are on the web.
_MARKER_RE = re.compile(r"\[(?:header|title|step|substeps)\]")


def item_texts(rec: dict) -> tuple[str, ...] | None:
    """Every way one benchmark record is written, the usual one first (see the module docstring), or None when
    the record has no field this module knows."""
    text = rec.get("text")
    if isinstance(text, str) and text.strip():
        return (text.strip(),)
    q = rec.get("question")
    if isinstance(q, dict):  # ARC jsonl: {"stem", "choices"}
        head = _s(q.get("stem"))
        choices, shown = _choices(q)
    else:
        head = next((rec[k] for k in _HEAD_FIELDS if isinstance(rec.get(k), str)), None)
        if head is None and isinstance(rec.get("ctx_a"), str):  # HellaSwag without its joined ctx
            head = f"{rec['ctx_a']} {_s(rec.get('ctx_b'))}"
        if head is None:
            return None
        # A code prompt keeps its own layout: the solution continues it directly.
        if isinstance(rec.get("canonical_solution"), str):
            return ((head + rec["canonical_solution"]).strip(),)
        head = head.strip()
        choices, shown = _choices(rec)
    worked = ""
    for key in ("answer", "solution", "canonical_solution"):
        ans = rec.get(key)
        # A worked answer counts; a bare label or number ("B", "2", 18) does not.
        if isinstance(ans, str) and len(ans.split()) > 1:
            worked = _GSM8K_CALC_RE.sub("", ans).strip()
            break
    with_labels = [head, *(f"{label}. {t}" for label, t in choices), worked]
    without = [head, *(t for _, t in choices), worked]
    texts = ["\n".join(p for p in parts if p) for parts in ((with_labels, without) if shown else (without, with_labels))]
    # The question with the correct answer alone after it: a short question with short choices ("Find the
    # degree of Q(sqrt 2) over Q." / "4") has no n-gram that is free of labels and of the wrong choices.
    if choices:
        texts.extend(f"{head}\n{answer}" for answer in _answers(rec, choices))
    texts.extend([_MARKER_RE.sub(" ", t) for t in texts if _MARKER_RE.search(t)])
    return tuple(dict.fromkeys(texts))  # each way once, the usual first


def _csv_items(benchmark: str, path: str, rows: Iterator[tuple[int, list]]) -> Iterator[BenchmarkItem]:
    fname = Path(path).name
    first = next(rows, None)
    if first is None:
        return
    _, head = first
    header = [h.strip() for h in head]
    lowered = {h.lower() for h in header}
    if lowered & {"text", "question", "goal", "prompt"}:
        keys = [h if h in ("A", "B", "C", "D", "E") else h.lower() for h in header]
        for row, rec in rows:
            if len(rec) != len(keys):
                raise ConfigError(f"decontam: {path}, row {row}: {len(rec)} columns, the header has {len(keys)}")
            d = dict(zip(keys, rec))
            texts = item_texts(d)
            if texts is None:
                raise ConfigError(f"decontam: {path}, row {row}: no text, question, goal or prompt value")
            rid = next((_s(d[k]) for k in _ID_FIELDS if _s(d.get(k))), None)
            yield BenchmarkItem(benchmark, rid or f"{fname}:{row - 1}", texts[0], texts[1:])
        return
    if len(head) < 3 or not _LABEL_RE.match(head[-1].strip()):
        raise ConfigError(
            f"decontam: {path}, row 1: unrecognised CSV layout; expected a header with a text/question column, "
            "or MMLU's headerless rows: question, A, B, C, D, answer letter"
        )
    width = len(head)
    for row, rec in [first, *rows]:
        if len(rec) != width or not _LABEL_RE.match(rec[-1].strip()):
            raise ConfigError(
                f"decontam: {path}, row {row}: expected {width} columns (question, choices, answer letter), "
                f"got {len(rec)}"
            )
        d = {"question": rec[0], **{chr(65 + i): c for i, c in enumerate(rec[1:-1])}, "answer": rec[-1]}
        texts = item_texts(d)
        yield BenchmarkItem(benchmark, f"{fname}:{row}", texts[0], texts[1:])


def load_benchmark_file(benchmark: str, path: str) -> Iterator[BenchmarkItem]:
    """Items of one benchmark file (jsonl/json/csv, optionally gzipped, or parquet); ConfigError naming file and row."""
    rows = _iter_records(path)
    if path.lower().endswith((".csv", ".csv.gz")):
        yield from _csv_items(benchmark, path, rows)
        return
    fname = Path(path).name
    for row, rec in rows:
        if not isinstance(rec, dict):
            raise ConfigError(f"decontam: {path}, row {row}: expected a JSON object, got {type(rec).__name__}")
        texts = item_texts(rec)
        if texts is None:
            raise ConfigError(
                f"decontam: {path}, row {row}: no benchmark text; expected a 'text' field or "
                f"'question'/'goal'/'prompt' (with choices/answer fields); got fields {sorted(rec)}"
            )
        rid = next((rec[k] for k in _ID_FIELDS if rec.get(k) not in (None, "")), None)
        yield BenchmarkItem(benchmark, str(rid) if rid is not None else f"{fname}:{row}", texts[0], texts[1:])


# fields that say "an evaluation item" (a question, its choices, its answer), as opposed to plain text
_BENCHMARK_FIELDS = set(_HEAD_FIELDS) | {"answer", "answers", "choices", "options", "endings", "sol1",
                                         "canonical_solution", "solution", "entry_point", "answerKey"}


def check_benchmark_like(path: str, sample: int = 5) -> None:
    """ConfigError when the first records of a JSON/parquet benchmark file carry only plain ``text`` (no
    question, choices or answer field): that is what training data looks like, and indexing it would
    drop every document that quotes it. CSV files are checked by their own layout rules when loaded."""
    if path.lower().endswith((".csv", ".csv.gz")):
        return
    fields: set[str] = set()
    for k, (_, rec) in enumerate(_iter_records(path)):
        if k == sample:
            break
        if isinstance(rec, dict):
            fields.update(rec)
    if fields and not fields & _BENCHMARK_FIELDS:
        raise ConfigError(
            f"decontam: {path} does not look like a benchmark: its first records have the fields "
            f"{sorted(fields)} and none of {sorted(_BENCHMARK_FIELDS)[:8]}...; indexing training data as a "
            "benchmark drops every document that shares text with it. Name the benchmark files, or set "
            "force: true (winnow decontam --force) to index plain text anyway")


def load_benchmarks(paths: list[str]) -> list[BenchmarkItem]:
    """Every item of the benchmark files that ``paths`` names (files, folders, globs; see resolve_benchmarks)."""
    items: list[BenchmarkItem] = []
    for name, path in resolve_benchmarks(paths):
        items.extend(load_benchmark_file(name, path))
    return items


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
            if lengths[0] >= ngram and (template == "on" or (template == "auto" and any(w[0].isdigit() for w in words))):
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
        tgrams, tvocab, number_words = self.tgrams, self.tvocab, _NUMBER_WORDS
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
