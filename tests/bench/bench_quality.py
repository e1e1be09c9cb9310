"""Benchmark: `winnow quality score` end to end against datatrove's reader -> FastTextClassifierFilter -> writer.

Real data from ../shared/data, split by corpus: a fastText model is trained with ``winnow quality train`` on
SciTLDR abstracts + WikiText articles (positive) against SMS messages + Stack Exchange threads (negative), and
documents from six other corpora are scored (FOLDOC and Jargon File entries, movie reviews, Python docs,
Python stdlib code, US presidential speeches; 11,972 documents, mean 2,667 characters, 486 over 10,000). They are
written once as a parquet file of Winnow's output contract (what a user scores: a run's
``OUT/documents/*.parquet``), and copied to make the 3-copy input. A second input holds the same documents cut
to 10,000 characters: Winnow's scorer reads only that much (``filters.quality.MAX_CHARS``), datatrove's the
whole text, so the ratio on it is the gain that is not the cap's.

Each chain runs as a user runs it, in its own process, files in and files out, one task, one worker:

- Winnow: ``winnow quality score 'IN/*.parquet' --model M --output OUT --tasks 1 --workers 1``;
- datatrove 0.10: ``ParquetReader -> FastTextClassifierFilter(newline_replacement=" ") -> ParquetWriter`` on
  ``LocalPipelineExecutor(tasks=1, workers=1)``, the same ``model.bin`` (copied into a scratch asset cache),
  annotating only (as Winnow's score-first stage), the writer given its schema (see the chain's comment).

CPU is the child's rusage (user + system, the whole process tree it waits for). Marginal CPU per document =
(CPU over 3 copies - CPU over 1 copy) / (2 n), which leaves out start-up (imports, model load). The chains
alternate which runs first; each repeat gives one ratio per input (documents per CPU-second, Winnow /
datatrove), and the median and range over ``--repeats`` are printed. Winnow's output is checked to hold
every document with its score.

    python tests/bench/bench_quality.py [--repeats R] [--docs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

TRAIN_POS = ["domains/scientific_scitldr_abstracts.jsonl.gz", "domains/encyclopedic_wikitext2_test_articles.jsonl.gz"]
TRAIN_NEG = ["quality/sms_spam_collection.jsonl.gz", "domains/qa_stackexchange_coffee_beer.jsonl.gz"]
# scored corpora (none is trained on), with how many documents each gives at most
SCORED = {
    "domains/encyclopedic_foldoc_entries.jsonl.gz": 7000,
    "domains/encyclopedic_jargon_entries.jsonl.gz": None,
    "domains/reviews_movie_reviews.jsonl.gz": None,
    "domains/technical_docs_python_docs_rst.jsonl.gz": None,
    "domains/code_python_stdlib.jsonl.gz": None,
    "domains/speeches_us_presidential_speeches.jsonl.gz": None,
}

MAX_CHARS = 10_000  # Winnow's default cap (filters.quality.MAX_CHARS); datatrove predicts on the whole text
LABELS = {"as_read": "documents as read", "cut": f"documents cut to {MAX_CHARS:,} characters first"}

DATATROVE_CHAIN = """
import sys
import pyarrow as pa, pyarrow.parquet as pq
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.filters import FastTextClassifierFilter
from datatrove.pipeline.readers import ParquetReader
from datatrove.pipeline.writers import ParquetWriter
inp, model, out = sys.argv[1:4]
# an explicit schema: inferred from the first row, the metadata struct's label order follows that row's top label
# and a later batch led by the other label fails the write (datatrove 0.10.1)
have = pq.read_schema(f"{inp}/00000.parquet")
meta = [f for f in have if f.name not in ("id", "text")] + [pa.field("file_path", pa.string())]
meta += [pa.field(f"__label__{c}", pa.float64()) for c in "01"]
schema = pa.schema([("text", pa.string()), ("id", pa.string()), ("metadata", pa.struct(meta))])
LocalPipelineExecutor([
    ParquetReader(inp, glob_pattern="*.parquet"),
    FastTextClassifierFilter(model_url=model, newline_replacement=" ", remove_labels=[]),  # annotate (None fails)
    ParquetWriter(f"{out}/documents", schema=schema),
], tasks=1, workers=1, logging_dir=f"{out}/logs").run()
"""

def _child_cpu(cmd: list[str], env: dict) -> float:
    """CPU seconds (user + system) of ``cmd`` and every process it waited for; fails loudly on a non-zero exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"bench_quality: {' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _documents(limit: int | None):
    """The scored documents (ids name corpus and line)."""
    from datatrove.data import Document

    from filters.quality_train import read_labelled

    docs = []
    for src, cap in SCORED.items():
        rows, _ = read_labelled([str(SHARED / src)], max_docs=cap)
        docs += [Document(text=r["text"], id=f"{src}#{i}", metadata={"source": Path(src).name.split(".")[0]})
                 for i, r in enumerate(rows)]
    return docs[:limit] if limit else docs


def _write_inputs(folder: Path, docs: list) -> None:
    """``folder/1/00000.parquet`` (the documents as one output-contract file) and ``folder/3/`` (three copies)."""
    from pipeline.outputs import write_documents_file

    (folder / "1").mkdir(parents=True)
    (folder / "3").mkdir()
    write_documents_file(folder / "1" / "00000.parquet", docs)
    for k in range(3):
        shutil.copy(folder / "1" / "00000.parquet", folder / "3" / f"{k:05d}.parquet")


def _winnow(inp: Path, model: Path, out: Path, env: dict) -> float:
    shutil.rmtree(out, ignore_errors=True)
    return _child_cpu([str(BIN / "winnow"), "quality", "score", f"{inp}/*.parquet", "--model", str(model),
                       "--output", str(out), "--tasks", "1", "--workers", "1"], env)


def _datatrove(inp: Path, model: Path, out: Path, env: dict) -> float:
    shutil.rmtree(out, ignore_errors=True)
    return _child_cpu([sys.executable, "-c", DATATROVE_CHAIN, str(inp), str(model / "model.bin"), str(out)], env)


def _check_scored(out: Path, n: int) -> None:
    import pyarrow.parquet as pq

    t = pq.read_table(sorted((out / "documents").glob("*.parquet")))
    col = next(c for c in t.column_names if c.startswith("quality_"))
    if t.num_rows != n or t[col].null_count:
        raise SystemExit(
            f"bench_quality: winnow wrote {t.num_rows} rows ({t[col].null_count} unscored) for {n} documents"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--docs", type=int, default=None, help="score only the first N documents (default all)")
    args = ap.parse_args()
    if not SHARED.is_dir():
        print(f"bench_quality: {SHARED} is absent; nothing to measure (it needs the shared real data)")
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "HF_HOME": str(tmp / "hf"), "PYTHONPATH": str(ROOT)}  # datatrove's asset cache
        model = tmp / "model"
        subprocess.run([str(BIN / "winnow"), "quality", "train", "--model", "fasttext", "--no-tune",
                        "--output", str(model),
                        "--positive", *[str(SHARED / p) for p in TRAIN_POS],
                        "--negative", *[str(SHARED / p) for p in TRAIN_NEG]],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        docs = _documents(args.docs)
        n, lengths = len(docs), [len(d.text) for d in docs]
        _write_inputs(tmp / "as_read", docs)
        for d in docs:  # both chains then predict on the same text: the cap's share of the gain is left out
            d.text = d.text[:MAX_CHARS]
        _write_inputs(tmp / "cut", docs)
        over = sum(k > MAX_CHARS for k in lengths)
        print(f"{n:,} real documents from {len(SCORED)} corpora not trained on (mean {sum(lengths) / n:,.0f} "
              f"characters, {over:,} over Winnow's {MAX_CHARS:,}-character cap); 1 and 3 copies; one process each, "
              f"--tasks 1 --workers 1; {args.repeats} repeats, chains alternating")

        ratios = {"as_read": [], "cut": []}
        for r in range(args.repeats):
            order = ("winnow", "datatrove") if r % 2 == 0 else ("datatrove", "winnow")
            for name in ratios:
                cpu = {}
                for copies in (1, 3):
                    for chain in order:
                        fn = _winnow if chain == "winnow" else _datatrove
                        cpu[chain, copies] = fn(tmp / name / str(copies), model, tmp / f"out_{chain}", env)
                        if chain == "winnow":
                            _check_scored(tmp / "out_winnow", n * copies)
                rate = {c: 2 * n / (cpu[c, 3] - cpu[c, 1]) for c in order}
                ratios[name].append(rate["winnow"] / rate["datatrove"])
                print(f"repeat {r + 1}, {LABELS[name]}: {ratios[name][-1]:.2f}x")

    def med_range(xs):
        return f"{statistics.median(xs):.2f}x ({min(xs):.2f}x-{max(xs):.2f}x)"

    print(f"winnow quality score / datatrove reader-fastText-writer, marginal documents per CPU-second, median (range) "
          f"over {args.repeats} repeats:")
    for name, xs in ratios.items():
        print(f"  {LABELS[name]}: {med_range(xs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
