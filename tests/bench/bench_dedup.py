"""Benchmark: Winnow's MinHash dedup against datatrove's four MinHash stages, same input, same run.

Reference: datatrove 0.10's MinhashDedupSignature -> MinhashDedupBuckets -> MinhashDedupCluster ->
MinhashDedupFilter with FineWeb's settings (5-gram shingles, 14 buckets x 8 hashes, 64-bit hashes), each
stage on datatrove's LocalPipelineExecutor, reading JSON lines and writing parquet, as Winnow does. Winnow:
``winnow dedup --method minhash`` (keys, cluster tasks verifying by sketch, join, filter) on the same files, as
parquet out.
Each side runs in its own fresh process; CPU counts the process and its children from the first stage
to the last, and peak memory is that process's maximum RSS.

Input: real documents from ../shared/data/domains plus planted near-duplicates of a fifth of them at
mutation rates 0-12% (as tests/test_dedup.py plants them). Prints documents per CPU-second for both and
their ratio, peak memory, and what each removed.

    python tests/bench/bench_dedup.py [--per-file N]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

from tests.bench.bench_cc import cpu_seconds, peak_rss_mb  # noqa: E402


def build_input(dest: Path, per_file: int) -> int:
    from tests.test_dedup import _mutate, _real_docs

    rng = random.Random(0)
    corpus = _real_docs(n_per_file=per_file)
    docs = list(corpus)
    for i, src in enumerate(rng.sample(corpus, len(corpus) // 5)):
        docs.append({"id": f"planted/{i}",
                     "text": _mutate(src["text"], rng.choice([0.0, 0.01, 0.03, 0.06, 0.12]), rng)})
    dest.mkdir(parents=True, exist_ok=True)
    n = 0
    for part in range(4):
        with open(dest / f"part{part}.jsonl", "w") as f:
            for d in docs[part::4]:
                f.write(json.dumps(d) + "\n")
                n += 1
    return n


def run_datatrove(inp: str, work: str) -> dict:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupBuckets
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import ParquetWriter
    from datatrove.utils.hashing import HashConfig

    cfg = MinhashConfig(hash_config=HashConfig(precision=64), num_buckets=14, hashes_per_bucket=8, n_grams=5)
    tasks = 4
    stages = [
        ([JsonlReader(inp), MinhashDedupSignature(f"{work}/sigs", config=cfg)], tasks),
        ([MinhashDedupBuckets(f"{work}/sigs", f"{work}/buckets", config=cfg)], cfg.num_buckets),
        ([MinhashDedupCluster(f"{work}/buckets", f"{work}/remove_ids", config=cfg)], 1),
        ([JsonlReader(inp), MinhashDedupFilter(f"{work}/remove_ids", exclusion_writer=ParquetWriter(f"{work}/removed")),
          ParquetWriter(f"{work}/kept")], tasks),
    ]
    for i, (pipeline, n_tasks) in enumerate(stages):
        LocalPipelineExecutor(pipeline, tasks=n_tasks, workers=1, logging_dir=f"{work}/logs/{i}").run()
    import pyarrow.parquet as pq

    removed = sum(pq.read_metadata(p).num_rows for p in Path(f"{work}/removed").glob("*.parquet"))
    return {"removed": removed}


def run_winnow(inp: str, work: str) -> dict:
    from pipeline.config import parse_config
    from pipeline.run import run

    cfg = parse_config({
        "name": "bench", "input": {"format": "jsonl", "paths": f"{inp}/*.jsonl"}, "output": work,
        "executor": {"tasks": 4, "workers": 1}, "stages": [{"minhash_dedup_v1": {"threshold": 0.8}}],
        "report": False,  # measure the dedup, not the HTML report the last job would also write
    })
    res = run(cfg)
    return {"removed": res.stats["removed"]}


def worker(side: str, inp: str, work: str, result: str) -> None:
    from loguru import logger

    logger.remove()
    t0 = cpu_seconds()
    out = run_datatrove(inp, work) if side == "datatrove" else run_winnow(inp, work)
    out.update(cpu=cpu_seconds() - t0, peak_mb=peak_rss_mb())
    Path(result).write_text(json.dumps(out))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-file", type=int, default=1500, help="documents taken from each real corpus (default 1500)")
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return 0
    if not (SHARED / "domains").is_dir():
        print(f"bench_dedup: skipped: needs {SHARED}/domains (the shared data folder)")
        return 0
    base = Path(tempfile.mkdtemp(prefix="winnow-bench-dedup-"))
    n = build_input(base / "input", args.per_file)
    res = {}
    for side in ("datatrove", "winnow"):
        t = time.time()
        subprocess.run([sys.executable, __file__, "--worker", side, str(base / "input"), str(base / side),
                        str(base / f"{side}.json")],
                       check=True)
        res[side] = json.loads((base / f"{side}.json").read_text())
        res[side]["wall"] = time.time() - t
    ref, win = res["datatrove"], res["winnow"]
    print(f"\ninput: {n} documents (real text + planted near-duplicates), 4 files, 4 tasks")
    print(f"{'dedup':<44}{'removed':>9}{'CPU s':>9}{'docs/CPU-s':>12}{'peak MB':>9}")
    for name, r in (("datatrove MinHash, 4 stages (FineWeb settings)", ref), ("winnow dedup --method minhash", win)):
        print(f"{name:<44}{r['removed']:>9}{r['cpu']:>9.2f}{n / r['cpu']:>12.1f}{r['peak_mb']:>9.0f}")
    print(f"\nspeed ratio (winnow / datatrove, documents per CPU-second): {ref['cpu'] / win['cpu']:.2f}x")
    print(f"peak memory ratio (winnow / datatrove): {win['peak_mb'] / ref['peak_mb']:.2f}")
    shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
