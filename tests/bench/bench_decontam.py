"""Benchmark: recall and false positives of ``winnow decontam`` on the benchmarks' own files, end to end.

    python tests/bench/bench_decontam.py [--piqa N] [--seed S]

Benchmarks, as their authors ship them (``../shared/data/benchmarks``, nothing reshaped): MMLU's header-less
dev CSVs (question, A, B, C, D, answer letter; 57 subjects, 285 items), ARC-Challenge dev jsonl (``question.stem``,
``question.choices[{text, label}]``, ``answerKey``; 299), GSM8K test jsonl (``question``, ``answer`` with its
``<<48/2=24>>`` annotations; first 200), HumanEval jsonl (``prompt`` + ``canonical_solution``; first 40) and PIQA
dev jsonl (``goal``, ``sol1``, ``sol2``; ``--piqa`` of its 1,838, seeded). HellaSwag is not in the shared data;
its native layout is covered by a generated file in ``tests/test_decontam.py``.

Each item is written every way a web page shows it, rendered here from the raw record (not by the module under
test): multiple-choice items (MMLU, ARC) ``labelled`` (Hendrycks' prompt: the question, ``A. text`` lines,
``Answer: B``), ``unlabelled`` (question, then the choice texts one a line) and ``answer`` (the question with the
correct choice's text alone after it); GSM8K ``question`` and ``solution`` (the question and the file's answer,
annotations and all); PIQA ``unlabelled`` and ``labelled``; HumanEval ``solution`` (prompt + canonical solution).
Each written form is reformatted five ways (``verbatim``, ``upper`` case, ``respaced``: random runs of spaces,
tabs and newlines between words, ``stripped``: every punctuation character deleted, ``all`` three) and planted at
a random word boundary inside the first 3,000 characters of a real document (WikiText, movie reviews, SciTLDR
abstracts). The clean documents are every document of ``../shared/data/domains`` (20,048, ten sources), unchanged.

One ``winnow decontam`` command (one task, one process) reads planted and clean documents from one jsonl file;
recall is the share of planted documents in ``removed/``, the false-positive rate the share of clean documents
there, both read back with DuckDB from the command's parquet outputs.

Split (by source): ``dev`` rows are MMLU's first 28 subjects (alphabetical, ``abstract_algebra`` ..
``high_school_physics``) and GSM8K; ``held-out`` rows are MMLU's other 29 subjects, ARC, PIQA
and HumanEval. The module has no tuned parameter (13-grams and the 8-word floor are GPT-3's); its one choice made
after a first run of this benchmark, indexing each way with the punctuation inside words deleted, answered the
dev rows' misses on stripped copies, though the held-out rows were printed beside them.

Exits 0 with a message when the shared data folder is absent.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
BENCHMARKS = SHARED / "benchmarks"
HOST_SOURCES = ("encyclopedic_wikitext", "reviews", "scientific")
DEV_MMLU_SUBJECTS = 28  # the first 28 subjects, alphabetically, are development data; the other 29 held out


@dataclass
class Item:
    benchmark: str
    split: str  # "dev" or "held-out"
    item_id: str  # as the decontam_item column names it
    forms: dict[str, str] = field(default_factory=dict)  # written form -> text


# --- the items, rendered from the raw files ---------------------------------------------------------------------


def _jsonl(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _choice_forms(question: str, choices: list[tuple[str, str]], answer: str) -> dict[str, str]:
    texts = dict(choices)
    return {
        "labelled": "\n".join([question, *(f"{label}. {t}" for label, t in choices), f"Answer: {answer}"]),
        "unlabelled": "\n".join([question, *(t for _, t in choices)]),
        "answer": f"{question} {texts[answer]}",
    }


def native_items(piqa: int = 300, seed: int = 13) -> list[Item]:
    """Every item of the shared benchmark slices (PIQA: ``piqa`` of them), each with its written forms."""
    items: list[Item] = []
    subjects = sorted((BENCHMARKS / "mmlu" / "dev").glob("*.csv"))
    for k, path in enumerate(subjects):
        split = "dev" if k < DEV_MMLU_SUBJECTS else "held-out"
        with open(path, encoding="utf-8", newline="") as f:
            for row, rec in enumerate(csv.reader(f), 1):
                q, *choices, answer = rec
                forms = _choice_forms(q, list(zip("ABCD", choices)), answer)
                items.append(Item("mmlu", split, f"{path.name}:{row}", forms))
    for rec in _jsonl(BENCHMARKS / "arc" / "ARC-Challenge-Dev.jsonl.gz"):
        q = rec["question"]
        forms = _choice_forms(q["stem"], [(c["label"], c["text"]) for c in q["choices"]], rec["answerKey"])
        items.append(Item("arc", "held-out", rec["id"], forms))
    gsm = BENCHMARKS / "gsm8k" / "test_first200.jsonl.gz"
    for row, rec in enumerate(_jsonl(gsm), 1):
        forms = {"question": rec["question"], "solution": rec["question"] + "\n" + rec["answer"]}
        items.append(Item("gsm8k", "dev", f"{gsm.name}:{row}", forms))
    for rec in _jsonl(BENCHMARKS / "humaneval" / "HumanEval_first40.jsonl.gz"):
        items.append(Item("humaneval", "held-out", rec["task_id"],
                          {"solution": rec["prompt"] + rec["canonical_solution"]}))
    records = _jsonl(BENCHMARKS / "piqa" / "dev.jsonl.gz")
    for rec in random.Random(seed).sample(records, min(piqa, len(records))):
        forms = {"unlabelled": f"{rec['goal']}\n{rec['sol1']}\n{rec['sol2']}",
                 "labelled": f"{rec['goal']}\nA. {rec['sol1']}\nB. {rec['sol2']}"}
        items.append(Item("piqa", "held-out", rec["id"], forms))
    return items


# --- reformatting and planting ----------------------------------------------------------------------------------

_PUNCT = re.compile(r"[^\w\s]")
_SPACES = ["  ", "\n", "\t", " \n", "   ", "\n\n"]


def respace(text: str, rng: random.Random) -> str:
    return "".join(w + (rng.choice(_SPACES) if rng.random() < 0.4 else " ") for w in text.split()).strip()


REFORMATS = {
    "verbatim": lambda t, rng: t,
    "upper": lambda t, rng: t.upper(),
    "respaced": respace,
    "stripped": lambda t, rng: _PUNCT.sub("", t),
    "all": lambda t, rng: _PUNCT.sub("", respace(t, rng).upper()),
}


def domain_docs() -> list[tuple[str, str, str]]:
    """(source, id, text) of every document of ../shared/data/domains."""
    out = []
    for path in sorted((SHARED / "domains").glob("*.jsonl.gz")):
        source = path.name.split(".")[0]
        out.extend((source, rec["id"], rec["text"]) for rec in _jsonl(path))
    return out


def plant(text: str, host: str, rng: random.Random) -> str:
    host = host[:3000]
    cut = max(host.rfind(" ", 0, rng.randrange(len(host) + 1)), 0)
    return host[:cut] + " " + text + " " + host[cut:]


def build_input(path: Path, items: list[Item], clean: list[tuple[str, str, str]], seed: int) -> dict[str, tuple]:
    """Write planted and clean documents to ``path`` (jsonl); return planted id -> (item, form, reformat)."""
    rng = random.Random(seed)
    hosts = [t for src, _, t in clean if src.startswith(HOST_SOURCES)]
    planted: dict[str, tuple] = {}
    with open(path, "w", encoding="utf-8") as f:
        for src, doc_id, text in clean:
            f.write(json.dumps({"id": f"clean/{src}/{doc_id}", "text": text}) + "\n")
        for item in items:
            for form, text in item.forms.items():
                for name, reformat in REFORMATS.items():
                    doc_id = f"planted/{len(planted)}"
                    planted[doc_id] = (item, form, name)
                    f.write(json.dumps({"id": doc_id,
                                        "text": plant(reformat(text, rng), rng.choice(hosts), rng)}) + "\n")
    return planted


# --- the measurement --------------------------------------------------------------------------------------------


def winnow_command() -> list[str]:
    script = Path(sys.executable).parent / "winnow"
    return [str(script)] if script.exists() else [sys.executable, "-m", "pipeline.cli"]


def evaluate(work: Path, piqa: int = 300, seed: int = 13) -> dict:
    """Run ``winnow decontam`` over planted and clean documents in ``work``; return what it removed.

    Returns ``recall`` {(split, benchmark, form, reformat): [removed, planted]}, ``misses`` [(split,
    benchmark, item id, form, reformat)], ``wrong_item`` (planted documents removed as another benchmark's
    item), ``false_positives`` [(clean id, benchmark, item)], ``clean`` (number of clean documents) and
    ``cpu_s`` (the command's CPU seconds, user + system, itself and its children)."""
    import duckdb

    items = native_items(piqa, seed)
    clean = domain_docs()
    work.mkdir(parents=True, exist_ok=True)
    planted = build_input(work / "input.jsonl", items, clean, seed)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [*winnow_command(), "decontam", str(work / "input.jsonl"), "--benchmarks", str(BENCHMARKS / "mmlu"),
           str(BENCHMARKS / "arc"), str(BENCHMARKS / "gsm8k"), str(BENCHMARKS / "humaneval"),
           str(BENCHMARKS / "piqa"), "--output", str(work / "out"), "--overwrite", "--tasks", "1", "--workers", "1"]
    res = subprocess.run(cmd, cwd=work, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {res.returncode}:\n{res.stdout[-2000:]}\n{res.stderr[-4000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    removed = duckdb.sql(
        f"select id, decontam_benchmark, decontam_item from read_parquet('{work / 'out' / 'removed'}/*.parquet', "
        "union_by_name=true)").fetchall()
    by_id = {doc_id: (bench, item) for doc_id, bench, item in removed}
    recall: dict[tuple, list[int]] = {}
    misses, wrong = [], []
    for doc_id, (item, form, reformat) in planted.items():
        key = (item.split, item.benchmark, form, reformat)
        counts = recall.setdefault(key, [0, 0])
        counts[1] += 1
        if doc_id in by_id:
            counts[0] += 1
            if by_id[doc_id][0] != item.benchmark:
                wrong.append((doc_id, item.item_id, by_id[doc_id]))
        else:
            misses.append((item.split, item.benchmark, item.item_id, form, reformat))
    fps = [(doc_id, *hit) for doc_id, hit in by_id.items() if doc_id.startswith("clean/")]
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"recall": recall, "misses": misses, "wrong_item": wrong, "false_positives": fps, "clean": len(clean),
            "cpu_s": cpu, "documents": len(clean) + len(planted)}


def pooled(recall: dict[tuple, list[int]], split: str, position: int | None = None) -> dict[str, float]:
    """Recall of ``split`` pooled over all keys, or per value of key field ``position`` (1 benchmark, 2 form,
    3 reformat)."""
    sums: dict[str, list[int]] = {}
    for key, (hit, n) in recall.items():
        if key[0] != split:
            continue
        name = "all" if position is None else key[position]
        s = sums.setdefault(name, [0, 0])
        s[0] += hit
        s[1] += n
    return {k: hit / n for k, (hit, n) in sorted(sums.items())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--piqa", type=int, default=300, help="PIQA items to plant (of 1,838)")
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    if not BENCHMARKS.is_dir() or not (SHARED / "domains").is_dir():
        print(f"bench_decontam: {BENCHMARKS} or {SHARED / 'domains'} is absent; nothing to measure")
        return 0
    with tempfile.TemporaryDirectory(prefix="winnow-bench-decontam-") as tmp:
        r = evaluate(Path(tmp), args.piqa, args.seed)
    for split in ("dev", "held-out"):
        planted = sum(n for key, (_, n) in r["recall"].items() if key[0] == split)
        print(f"\n{split}: recall {pooled(r['recall'], split)['all']:.4f} over {planted} planted documents")
        for position, what in ((1, "benchmark"), (2, "written form"), (3, "reformat")):
            print(f"  by {what}: " + ", ".join(f"{k} {v:.4f}" for k, v in pooled(r["recall"], split, position).items()))
        missed = Counter((b, f, ref) for s, b, _, f, ref in r["misses"] if s == split)
        if missed:
            print(f"  misses by (benchmark, form, reformat): {dict(missed.most_common(12))}")
            print(f"  missed items: {sorted({(b, i) for s, b, i, _, _ in r['misses'] if s == split})[:20]}")
    fp = r["false_positives"]
    print(f"\nfalse positives: {len(fp)} of {r['clean']} clean documents ({len(fp) / r['clean']:.4%}) {fp[:10]}")
    if r["wrong_item"]:
        print(f"planted documents removed as another benchmark's item: {r['wrong_item'][:10]}")
    print(f"winnow decontam: {r['documents']} documents, {r['cpu_s']:.1f} CPU s "
          f"({r['documents'] / r['cpu_s']:.0f} documents per CPU-second, index build included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
