"""Benchmark: `winnow run configs/cc.yaml` against datatrove's stock FineWeb chain: marginal CPU per record.

Reference chain (datatrove 0.10 blocks, FineWeb's settings): WarcReader -> Trafilatura(favour_precision)
-> LanguageFilter(en, 0.65, lid.176) -> GopherRepetition -> GopherQuality -> C4Quality(no terminal-punct
rule) -> FineWebQuality -> ParquetWriter. Winnow's chain is the pipeline configs/cc.yaml builds, up to its
dedup stages, which the stock chain lacks (bench_dedup.py measures those); it also writes every dropped
document to removed/.

CPU accounting: every chain runs in its own fresh process, one task, one worker (datatrove's
LocalPipelineExecutor runs it in that process), and CPU is that process's user+system time plus its waited
children's, from before the executor starts to after the last write. datatrove's Trafilatura block normally
extracts in a sandbox subprocess; here its sandbox calls the extractor in-process instead, so no CPU escapes
the count (and the reference saves its pipe overhead: the comparison favours it). Startup (imports, model
loading) is cancelled by running each chain on 1 and on 4 copies of the input: the marginal cost per record
is (CPU(4) - CPU(1)) / (records(4) - records(1)).

Inputs (made here, in a temp dir), both with the real Common Crawl samples of ../shared/data/warc:
``english``: plus every English page of ../shared/data/web/trafilatura-eval (by lid.176 on the extracted
text), wrapped into WARC response records; ``mix``: plus eval pages sampled so that 45% are English, about
Common Crawl's share (the eval pages are mostly German, which would flatter a language prefilter).

Each input is measured ``--repeats`` times (three by default; the two chains alternate which runs first), and
every figure is printed as the median with its range, since one run on a shared machine moves by 10-25%.
Prints for each input the marginal ms per record of each chain and the ratio of their marginal CPU on the
same input (datatrove's reader silently drops records it cannot decode, so per record of its own it looks
costlier than it is: the CPU ratio on the same files is the fair one), Winnow's CPU ms per
document entering each stage, and the kept-set agreement (Jaccard of kept URLs) with the differences.

    python tests/bench/bench_cc.py [--inputs english,mix] [--repeats 3] [--keep-dir DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import shutil
import statistics
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


def build_input(dest: Path, max_pages: int, english: float | None, copies: int = 1) -> int:
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
    for copy in range(1, copies):  # the same files again under other names: marginal cost, startup cancels
        for f in sorted(dest.glob("*.warc.gz")):
            if "-copy" not in f.name:
                shutil.copy(f, dest / f"{f.name[:-8]}-copy{copy}.warc.gz")
    return len(pages)


def _bytes_io(b: bytes):
    import io

    return io.BytesIO(b)


def stock_pipeline(input_dir: str, out: str) -> list:
    import datatrove.utils.lid as dt_lid
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        LanguageFilter,
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
    from dataclasses import replace

    from pipeline.config import load_config
    from pipeline.registry import get_stage
    from pipeline.run import phase_pipelines
    from pipeline.warc import resolve_inputs

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
    if chain == "datatrove":  # extract in this process, so its CPU is counted (see the module docstring)
        from datatrove.pipeline.extractors.base import ExtractorSandbox

        ExtractorSandbox.process_document = lambda self, text, fn: fn(*text) if isinstance(text, tuple) else fn(text)
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
    stage_ms = {}
    for step in stats[1:]:
        st = step.get("stats", {})
        total, cpu_s = st.get("total"), st.get("cpu_seconds")
        n = total["total"] if isinstance(total, dict) else total
        c = cpu_s["total"] if isinstance(cpu_s, dict) else cpu_s
        if n and c is not None:
            stage_ms[step["name"]] = (n, 1000 * c / n)
    Path(result).write_text(json.dumps({
        "docs": docs, "cpu": cpu, "wall": wall, "peak_mb": peak_rss_mb(), "kept": [k.strip("<>") for k in kept],
        "stage_ms": stage_ms,
    }))


def language_mix(out: Path) -> str:
    """Share of each language among the documents a Winnow run wrote (kept and removed), top five."""
    import duckdb

    files = [str(p) for p in sorted(out.glob("*/*.parquet"))]
    if not files:
        return "unknown"
    rows = duckdb.sql(f"select coalesce(lang, 'none') as lang, count(*) "
                      f"from read_parquet({files!r}, union_by_name=true) "
                      "group by 1 order by 2 desc").fetchall()
    total = sum(n for _, n in rows)
    top = ", ".join(f"{lang} {n / total:.0%}" for lang, n in rows[:5])
    return top + (f", {len(rows) - 5} others {sum(n for _, n in rows[5:]) / total:.0%}" if len(rows) > 5 else "")


INPUTS = {"english": 1.0, "mix": 0.45}  # share of English among the eval pages added to the CC samples


def _run(chain: str, inp: Path, base: Path, tag: str) -> dict:
    out, res = base / f"out-{tag}-{chain}", base / f"{tag}-{chain}.json"
    shutil.rmtree(out, ignore_errors=True)
    log = base / f"{tag}-{chain}.log"
    with open(log, "w") as fh:
        done = subprocess.run([sys.executable, __file__, "--worker", chain, str(inp), str(out), str(res)],
                              stdout=fh, stderr=subprocess.STDOUT)
    if done.returncode:
        sys.exit(f"bench_cc: the {chain} chain failed on {inp}; its log:\n{log.read_text()[-4000:]}")
    r = json.loads(res.read_text())
    r["out"] = str(out)
    return r


def measure(kind: str, base: Path, max_pages: int, repeats: int) -> dict:
    """Both chains on 1 and 4 copies of one input, ``repeats`` times (chains alternating within each repeat):
    marginal ms per record and the CPU ratio of each repeat, stage costs, kept sets."""
    inputs = {}
    for copies in (1, 4):
        inputs[copies] = base / f"input-{kind}-{copies}"
        shutil.rmtree(inputs[copies], ignore_errors=True)
        n_pages = build_input(inputs[copies], max_pages, INPUTS[kind], copies)
    out: dict = {"pages": n_pages, "ratios": []}
    for rep in range(repeats):
        runs = {}
        for copies in (1, 4):
            for chain in (("datatrove", "winnow") if rep % 2 == 0 else ("winnow", "datatrove")):
                runs[chain, copies] = _run(chain, inputs[copies], base, f"{kind}-{copies}")
        for chain in ("datatrove", "winnow"):
            one, four = runs[chain, 1], runs[chain, 4]
            out.setdefault(chain, {"records": one["docs"], "kept": one["kept"], "ms": [], "cpu": [], "peak_mb": [],
                                   "stage_ms": []})
            out[chain]["cpu"].append(four["cpu"] - one["cpu"])
            out[chain]["ms"].append(1000 * (four["cpu"] - one["cpu"]) / max(four["docs"] - one["docs"], 1))
            out[chain]["peak_mb"].append(four["peak_mb"])
            out[chain]["stage_ms"].append(four["stage_ms"])
        out["ratios"].append(out["datatrove"]["cpu"][-1] / out["winnow"]["cpu"][-1])
        print(f"  [{kind}] repeat {rep + 1}/{repeats}: datatrove / winnow marginal CPU {out['ratios'][-1]:.2f}x",
              flush=True)
    out["languages"] = language_mix(Path(runs["winnow", 1]["out"]))
    out["winnow_reasons"] = removal_reasons(Path(runs["winnow", 1]["out"]))
    return out


def _spread(values: list[float], fmt: str = ".2f") -> str:
    """median (min-max) of ``values``"""
    med = statistics.median(values)
    return f"{med:{fmt}}" if len(values) == 1 else f"{med:{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def removal_reasons(out: Path) -> dict[str, str]:
    """Winnow's removal reason of every document it removed, by id (from its removed/ parquet)."""
    import pyarrow.parquet as pq

    reasons = {}
    for f in sorted((out / "removed").glob("*.parquet")):
        t = pq.read_table(f, columns=["id", "reason"])
        reasons.update(zip((i.strip("<>") for i in t.column("id").to_pylist()), t.column("reason").to_pylist()))
    return reasons


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-pages", type=int, default=2000, help="eval pages to consider (default: all)")
    ap.add_argument("--keep-dir", help="keep inputs and outputs here instead of a temp dir")
    ap.add_argument("--inputs", default="english,mix", help="comma-separated: english, mix")
    ap.add_argument("--repeats", type=int, default=3,
                    help="measure each input this many times and print the median ratio and its range (default 3)")
    ap.add_argument("--worker", nargs=4, metavar=("CHAIN", "INPUT", "OUT", "RESULT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return 0
    if not (SHARED / "warc").is_dir():
        print(f"bench_cc: skipped: needs {SHARED}/warc and web/trafilatura-eval (the shared data folder)")
        return 0
    base = Path(args.keep_dir or tempfile.mkdtemp(prefix="winnow-bench-"))
    print("CPU: one fresh process per chain and input, one task, one worker, datatrove's extraction in-process; "
          f"marginal cost between 1 and 4 copies of the input; {args.repeats} repeat(s), median (range)")
    for kind in args.inputs.split(","):
        m = measure(kind, base, args.max_pages, args.repeats)
        ref, win = m["datatrove"], m["winnow"]
        print(f"\n[{kind}] {win['records']} records per copy ({m['pages']} real eval pages + the real Common Crawl "
              f"samples; datatrove's reader yielded {ref['records']}); languages (lid.176, Winnow's output): "
              f"{m['languages']}")
        print(f"{'chain':<34}{'ms/record':>22}{'kept':>7}{'peak MB':>9}")
        for name, r in (("datatrove stock FineWeb chain", ref), ("winnow run configs/cc.yaml", win)):
            print(f"{name:<34}{_spread(r['ms']):>22}{len(r['kept']):>7}{max(r['peak_mb']):>9.0f}")
        # Same WARC files for both, so the CPU ratio is the ratio per input record. datatrove's reader drops
        # the records it cannot decode without a count (Winnow reads and counts them), so its own ms/record
        # above is over fewer records.
        per_yield = [d / w for d, w in zip(ref["ms"], win["ms"])]
        print(f"marginal CPU on the same input (3 extra copies), datatrove / winnow: {_spread(m['ratios'])}x "
              f"(per record each chain yielded: {_spread(per_yield)}x)")
        names = list(win["stage_ms"][0])
        print("winnow CPU ms per document entering each stage (4 copies, median): " + ", ".join(
            f"{name} {statistics.median(r[name][1] for r in win['stage_ms'] if name in r):.2f} "
            f"({win['stage_ms'][0][name][0]})" for name in names))
        a, b = set(ref["kept"]), set(win["kept"])
        print(f"kept-set agreement (1 copy): {len(a & b)} kept by both, {len(a - b)} only by datatrove, "
              f"{len(b - a)} only by winnow (Jaccard {len(a & b) / max(len(a | b), 1):.3f})")
        why: dict[str, int] = {}
        for doc_id in a - b:
            reason = m["winnow_reasons"].get(doc_id, "not read by winnow")
            why[reason] = why.get(reason, 0) + 1
        print("  winnow's reasons for the pages only datatrove keeps: " +
              (", ".join(f"{r} {n}" for r, n in sorted(why.items(), key=lambda kv: -kv[1])) or "none") +
              " (the stock chain writes no removals, so pages only winnow keeps have no datatrove reason)")
    if not args.keep_dir:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
