"""Benchmark files read as items, and the text normalisation that items and documents share (``decontam_v1``).

Normalisation (the same for benchmark items and documents): Unicode NFKC, case-folding, then words are maximal
runs of letters, digits and combining marks; everything else (punctuation, symbols, whitespace of any kind) only
separates words. Two joins keep light reformatting from splitting a word differently: apostrophes inside a word
are dropped (``don't``, ``don’t`` and ``dont`` are all ``dont``) and digit groups are joined across ``.``/``,``
(``80,000`` and ``80000`` are one word). Kana and CJK ideographs, written without spaces, count one character per
word.

Benchmark files load as their authors ship them: MMLU's header-less CSVs, ARC's, GSM8K's, PIQA's, HumanEval's and
HellaSwag's jsonl, HF parquet (``resolve_benchmarks``, ``load_benchmarks``). What counts as an item's text, and the
ways each item is written, are described in ``filters.decontam``'s docstring; :func:`item_texts` and
``BenchmarkItem.variants`` implement them.
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from pipeline.errors import ConfigError

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


NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "billion".split())


def _shape(word: str, text: str, start: int) -> str:
    """A normalised word as template matching sees it: NUMBER (it starts or ends with a digit, or is a number
    word: "three" -> "five"), NAME (its first character in ``text`` is upper case), or the word itself."""
    if word[0].isdigit() or word[-1].isdigit() or word in NUMBER_WORDS:
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
            for batch in pq.ParquetFile(path, pre_buffer=False).iter_batches(batch_size=1024):
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
    texts = ["\n".join(p for p in parts if p)
             for parts in ((with_labels, without) if shown else (without, with_labels))]
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
