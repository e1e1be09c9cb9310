"""Benchmark: `winnow run configs/cc.yaml` against datatrove's stock FineWeb chain, same input, same run.

Reference chain (datatrove 0.10 blocks, FineWeb's settings): WarcReader -> Trafilatura(favour_precision)
-> LanguageFilter(en, 0.65, lid.176) -> GopherRepetition -> GopherQuality -> C4Quality(no terminal-punct
rule) -> FineWebQuality -> ParquetWriter. Winnow's chain is the pipeline configs/cc.yaml builds, up to its
dedup stages, which the stock chain lacks (bench_dedup.py measures those); it also writes every dropped
document to removed/. Each chain runs in its own fresh process on one core through
datatrove's LocalPipelineExecutor; CPU time counts the process and its children (datatrove extracts in a
sandbox subprocess) from the first record to the last write, and peak RSS is the worker's.

Input: the real Common Crawl samples in ../shared/data/warc plus the ~1,000 real pages of
../shared/data/web/trafilatura-eval wrapped into WARC response records (made here, in a temp dir).

Prints documents per CPU-second for each chain and their ratio, peak memory, and how often the two
chains agree on which documents to keep.

    python tests/bench/bench_cc.py [--max-pages N] [--keep-dir DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"


def cpu_seconds() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def peak_rss_mb() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return max(own.ru_maxrss, kids.ru_maxrss) / 1024


def build_input(dest: Path, max_pages: int, english: float | None) -> int:
    """Copy the real CC samples and wrap the real eval pages into WARC files under ``dest``; return page count.

    The eval pages are mostly German (about 65%), which flatters a pipeline that skips extraction on other
    languages; with ``english`` the pages are sampled so that that share of them is English (Common Crawl
    is about 45% English): every English page, and the first non-English ones in file order."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    dest.mkdir(parents=True, exist_ok=True)
    for f in sorted((SHARED / "warc").glob("*.warc.gz")):
        if not f.name.endswith((".wet.gz", ".wat.gz")):
            shutil.copy(f, dest / f.name)
    pages = sorted((SHARED / "web" / "trafilatura-eval").glob("*/*.html.gz"))[:max_pages]
    if english:
        from filters.langid import FastTextLID
        from pipeline.encoding import decode_html
        from pipeline.extract import html_to_text

        lid = FastTextLID()
        is_en = [lid.predict(html_to_text(decode_html(gzip.decompress(p.read_bytes()))[0]))[0] == "en" for p in pages]
        n_en = sum(is_en)
        others = round(n_en * (1 - english) / english)
        kept_other = [p for p, en in zip(pages, is_en) if not en][:others]
        pages = sorted([p for p, en in zip(pages, is_en) if en] + kept_other)
    half = (len(pages) + 1) // 2
    for part, chunk in enumerate((pages[:half], pages[half:])):
        with open(dest / f"eval-pages-{part}.warc.gz", "wb") as out:
            writer = WARCWriter(out, gzip=True)
            for p in chunk:
                body = gzip.decompress(p.read_bytes())
                http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
                rec = writer.create_warc_record(
                    f"https://eval.example/{p.parent.name}/{p.name[:-8]}", "response", payload=_bytes_io(body),
                    http_headers=http, warc_headers_dict={"WARC-Identified-Payload-Type": "text/html"},
                )
                writer.write_record(rec)
    return len(pages)


def _bytes_io(b: bytes):
    import io

    return io.BytesIO(b)


def stock_pipeline(input_dir: str, out: str) -> list:
    import datatrove.utils.lid as dt_lid
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import (
        C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter, LanguageFilter,
    )
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import ParquetWriter

    from pipeline.assets import LID176, resolve

    # Same model file as Winnow's; datatrove would otherwise download lid.176.bin at run time.
    local_model = str(resolve(LID176))
    dt_lid.cached_asset_path_or_download = lambda *a, **k: local_model
    lang = LanguageFilter(languages=["en"], language_threshold=0.65)
    return [
        WarcReader(input_dir, glob_pattern="*.warc.gz"),
        Trafilatura(favour_precision=True, timeout=10),
        lang,
        GopherRepetitionFilter(),
        GopherQualityFilter(),
        C4QualityFilter(filter_no_terminal_punct=False),
        FineWebQualityFilter(),
        ParquetWriter(out),
    ]


def winnow_pipeline(input_dir: str, out: str) -> list:
    from pipeline.config import load_config
    from pipeline.run import phase_pipelines
    from pipeline.warc import resolve_inputs

    from dataclasses import replace

    from pipeline.registry import get_stage

    cfg = load_config(ROOT / "configs" / "cc.yaml").with_overrides(input_glob=f"{input_dir}/*.warc.gz", output=out)
    # The stock chain has no dedup: compare the streaming part (dedup is measured in bench_dedup.py).
    cfg = replace(cfg, stages=tuple(s for s in cfg.stages if not getattr(get_stage(s.name), "is_barrier", False)))
    ((steps, _),) = phase_pipelines(cfg, [(f, 0, None) for f in resolve_inputs(cfg.input.paths)], tasks=1)
    return steps


def worker(chain: str, input_dir: str, out: str, result: str) -> None:
    """Run one chain in this (fresh) process and write its measurements to ``result``."""
    sys.path.insert(0, str(ROOT))
    from datatrove.executor import LocalPipelineExecutor
    from loguru import logger

    logger.remove()
    steps = stock_pipeline(input_dir, out) if chain == "datatrove" else winnow_pipeline(input_dir, out)
    ex = LocalPipelineExecutor(steps, tasks=1, workers=1, logging_dir=f"{out}/logs", skip_completed=False)
    t0, w0 = cpu_seconds(), time.time()
    ex.run()
    cpu, wall = cpu_seconds() - t0, time.time() - w0
    stats = json.loads(Path(f"{out}/logs/stats/00000.json").read_text())
    reader = stats[0]["stats"]
    docs = reader["doc_len"]["n"] if isinstance(reader.get("doc_len"), dict) else 0
    import pyarrow.parquet as pq

    kept_files = list(Path(out).glob("*.parquet")) + list(Path(out).glob("documents/*.parquet"))
    kept = sorted(set().union(*(pq.read_table(f, columns=["id"]).column("id").to_pylist() for f in kept_files)))
    Path(result).write_text(json.dumps({
        "docs": docs, "cpu": cpu, "wall": wall, "peak_mb": peak_rss_mb(), "kept": [k.strip("<>") for k in kept],
    }))


def language_mix(out: Path) -> str:
    """Share of each language among the documents a Winnow run wrote (kept and removed), top five."""
    import duckdb

    files = [str(p) for p in sorted(out.glob("*/*.parquet"))]
    if not files:
        return "unknown"
    rows = duckdb.sql(f"select coalesce(lang, 'none') as lang, count(*) from read_parquet({files!r}, union_by_name=true) "
                      "group by 1 order by 2 desc").fetchall()
    total = sum(n for _, n in rows)
    top = ", ".join(f"{lang} {n / total:.0%}" for lang, n in rows[:5])
    return top + (f", {len(rows) - 5} others {sum(n for _, n in rows[5:]) / total:.0%}" if len(rows) > 5 else "")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-pages", type=int, default=2000, help="eval pages to wrap into WARC (default: all)")
    ap.add_argument("--keep-dir", help="keep inputs and outputs here instead of a temp dir")
    ap.add_argument("--english", type=float, default=0.45,
                    help="share of English among the eval pages (default 0.45, Common Crawl's; 0: all pages)")
    ap.add_argument("--worker", nargs=4, metavar=("CHAIN", "INPUT", "OUT", "RESULT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return 0
    if not (SHARED / "warc").is_dir():
        print(f"bench_cc: skipped: needs {SHARED}/warc and web/trafilatura-eval (the shared data folder)")
        return 0
    base = Path(args.keep_dir or tempfile.mkdtemp(prefix="winnow-bench-"))
    n_pages = build_input(base / "input", args.max_pages, args.english)
    results = {}
    for chain in ("datatrove", "winnow"):
        out, res = base / f"out-{chain}", base / f"{chain}.json"
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([sys.executable, __file__, "--worker", chain, str(base / "input"), str(out), str(res)], check=True)
        results[chain] = json.loads(res.read_text())
    ref, win = results["datatrove"], results["winnow"]
    print(f"\ninput: {ref['docs']} HTML documents ({n_pages} real eval pages + real Common Crawl samples); "
          f"languages (lid.176 label of the documents Winnow wrote, kept or removed): {language_mix(base / 'out-winnow')}")
    print(f"{'chain':<34}{'docs':>7}{'kept':>7}{'CPU s':>9}{'docs/CPU-s':>12}{'peak MB':>10}")
    for name, r in (("datatrove stock FineWeb chain", ref), ("winnow run configs/cc.yaml", win)):
        print(f"{name:<34}{r['docs']:>7}{len(r['kept']):>7}{r['cpu']:>9.2f}{r['docs'] / r['cpu']:>12.1f}{r['peak_mb']:>10.0f}")
    a, b = set(ref["kept"]), set(win["kept"])
    speed = (win["docs"] / win["cpu"]) / (ref["docs"] / ref["cpu"])
    print(f"\nspeed ratio (winnow / datatrove, documents per CPU-second): {speed:.2f}x")
    print(f"peak memory ratio (winnow / datatrove): {win['peak_mb'] / ref['peak_mb']:.2f}")
    print(f"kept-set agreement: {len(a & b)} kept by both, {len(a - b)} only by datatrove, {len(b - a)} only by winnow "
          f"(Jaccard {len(a & b) / max(len(a | b), 1):.3f})")
    if not args.keep_dir:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
