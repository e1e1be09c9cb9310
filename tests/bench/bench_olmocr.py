"""PDF text scored the way olmOCR-bench scores it: ``winnow run configs/pdf.yaml`` end to end against
``pymupdf4llm``'s settings, on the same pages in the same run, by source repository.

Check files (olmOCR-bench format: present / absent / order / table, one JSON a line with ``pdf`` relative to
``../shared/data/pdfs`` and a 1-based ``page``):

``tests/bench/pdf_checks_diverse_tune.jsonl``     pages of ``pdfs/diverse`` from docling, pdfplumber, pdf.js,
                                                   camelot, kreuzberg, invoice2data, azlayout: tuned on
``tests/bench/pdf_checks_diverse_heldout.jsonl``  pages from PyMuPDF, pdfminer, tabula, unstructured, pypdf,
                                                   py-pdf, OCRmyPDF: reported, never tuned on
``tests/bench/pdf_checks.jsonl``                   the older check file (olmocr-gnarly, debian, ocrmypdf)
``tests/bench/pdf_checks_gnarly.jsonl``            other pages of olmocr-gnarly's and OCRmyPDF's files (37 pages of
                                                   21): first scored as it came, then tuned on

Each was written from the pages' images by someone who had not seen any extractor's output. Winnow reads
every page of every file (a whole document, as a run does); pymupdf4llm reads only the checked pages. Scoring is
``../shared/tools/olmocr_bench_score.py`` (olmOCR-bench's rules; a PDF with no output fails its checks): for
Winnow it reads the run folder (``page_spans`` gives each page's text), for pymupdf4llm a texts file of pages.

Run: ``.venv/bin/python tests/bench/bench_olmocr.py [CHECKS ...] [--no-engines]`` (default: all four files).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PDFS = ROOT.parent / "shared" / "data" / "pdfs"
SCORER = ROOT.parent / "shared" / "tools" / "olmocr_bench_score.py"
HERE = Path(__file__).parent
DEFAULT = [HERE / "pdf_checks_diverse_tune.jsonl", HERE / "pdf_checks_diverse_heldout.jsonl", HERE / "pdf_checks.jsonl",
           HERE / "pdf_checks_gnarly.jsonl"]


def _bench_dir(tmp: Path, checks: list[dict]) -> Path:
    """BENCH_DIR for the scorer: dataset.jsonl and pdfs/ holding the checked files (links to the shared ones)."""
    bench = tmp / "bench"
    for rel in sorted({c["pdf"] for c in checks}):
        dst = bench / "pdfs" / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists():
            os.symlink(PDFS / rel, dst)
    with open(bench / "dataset.jsonl", "w") as f:
        for c in checks:
            f.write(json.dumps(c) + "\n")
    return bench


def _score(bench: Path, *args: str) -> tuple[dict, dict]:
    """(the scorer's summary, {check id: passed})."""
    res = subprocess.run([sys.executable, str(SCORER), str(bench), *args, "--verbose"], capture_output=True, text=True)
    if res.returncode:
        raise SystemExit(f"scorer failed: {res.stderr[-2000:]}")
    lines = res.stdout.strip().splitlines()
    verdicts = {}
    for line in lines[:-1]:
        parts = line.split("\t")
        if len(parts) >= 3:
            verdicts[parts[0]] = parts[2] == "pass"
    return json.loads(lines[-1]), verdicts


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_winnow(bench: Path, out: Path) -> float:
    """CPU seconds of ``winnow run configs/pdf.yaml`` over the checked files (one process)."""
    before = _children_cpu()
    res = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(ROOT / "configs" / "pdf.yaml"),
                          "--input", str(bench / "pdfs" / "**" / "*.pdf"), "--output", str(out), "--tasks", "1",
                          "--workers", "1", "--overwrite"], cwd=ROOT, capture_output=True, text=True)
    if res.returncode:
        raise SystemExit(f"winnow run failed ({res.returncode}):\n{res.stderr[-3000:]}")
    return _children_cpu() - before


# pymupdf4llm turns its layout engine (pymupdf.layout, an ONNX model) on by itself wherever pymupdf-layout is
# installed, as it is here; ``layout=False`` turns it off (pymupdf4llm.use_layout(False): its legacy path, which
# ignores header/footer), ``ocr=False`` passes use_ocr=False (its default OCRs pages it judges to need it).
ENGINES = {
    "pymupdf4llm defaults (layout engine, OCR)": dict(layout=True, ocr=True, header=True, footer=True),
    "pymupdf4llm layout, heads/feet out, OCR": dict(layout=True, ocr=True, header=False, footer=False),
    "pymupdf4llm layout, heads/feet out, no OCR": dict(layout=True, ocr=False, header=False, footer=False),
    "pymupdf4llm without layout (legacy)": dict(layout=False, ocr=True, header=True, footer=True),
}


def _engine_texts(bench: Path, pages: dict[str, list[int]], layout: bool, ocr: bool, header: bool, footer: bool
                  ) -> tuple[dict, float]:
    """{pdf: [page texts]} of the checked pages (0-based ``pages``; the others empty) from pymupdf4llm in a fresh
    process, and its CPU seconds a page."""
    code = f"""
import json, sys, time, pymupdf
import pymupdf4llm
pymupdf4llm.use_layout({layout})
out = {{}}
t0 = time.process_time()
n = 0
for rel, want in json.load(open(sys.argv[1])).items():
    try:
        with pymupdf.open(sys.argv[2] + '/' + rel) as doc:
            if doc.needs_pass:
                continue
            texts = [''] * doc.page_count
            for i in want:
                n += 1
                texts[i] = pymupdf4llm.to_markdown(doc, pages=[i], header={header}, footer={footer},
                                                   show_progress=False{'' if ocr else ', use_ocr=False'})
            out[rel] = texts
    except Exception as e:
        print(rel, type(e).__name__, e, file=sys.stderr)
json.dump({{'texts': out, 'cpu': (time.process_time() - t0) / max(n, 1)}}, open(sys.argv[3], 'w'))
"""
    with tempfile.TemporaryDirectory() as tmp:
        listing, result = Path(tmp) / "rels.json", Path(tmp) / "out.json"
        listing.write_text(json.dumps(pages))
        subprocess.run([sys.executable, "-c", code, str(listing), str(bench / "pdfs"), str(result)],
                       capture_output=True, text=True, timeout=3600)
        data = json.loads(result.read_text())
    return data["texts"], data["cpu"]


def _line(label: str, summary: dict, cpu: float | None) -> str:
    types = "  ".join(f"{t} {summary[t]}" for t in ("present", "absent", "order", "table") if t in summary)
    spent = f"  ({cpu:.2f} CPU-s a checked page)" if cpu is not None else ""
    return f"  {label:42s} {summary['pass_rate']:.3f}  {types}{spent}"


def bench(path: Path, engines: bool) -> None:
    checks = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rels = sorted({c["pdf"] for c in checks})
    print(f"{path.name}: {len(checks)} checks on {len({(c['pdf'], c['page']) for c in checks})} pages of "
          f"{len(rels)} PDFs")
    by_repo = defaultdict(list)
    for c in checks:
        parts = c["pdf"].split("/")
        by_repo[parts[1] if parts[0] == "diverse" else parts[0]].append(c["id"])
    with tempfile.TemporaryDirectory() as tmp:
        bench_dir = _bench_dir(Path(tmp), checks)
        results = []
        t0 = time.time()
        cpu = run_winnow(bench_dir, Path(tmp) / "run")
        summary, verdicts = _score(bench_dir, "--run", str(Path(tmp) / "run"))
        results.append(("winnow run configs/pdf.yaml", summary, verdicts, None))
        print(f"  (winnow: {cpu:.0f} CPU-s for every page of the {len(rels)} files, OCR included)")
        if engines:
            pages: dict[str, list[int]] = {}
            for c in checks:
                pages.setdefault(c["pdf"], [])
                if c["page"] - 1 not in pages[c["pdf"]]:
                    pages[c["pdf"]].append(c["page"] - 1)
            for label, kw in ENGINES.items():
                texts, cpu = _engine_texts(bench_dir, pages, **kw)
                tf = Path(tmp) / "texts.json"
                tf.write_text(json.dumps(texts))
                summary, verdicts = _score(bench_dir, str(tf))
                results.append((label, summary, verdicts, cpu))
        for label, summary, _, cpu in results:
            print(_line(label, summary, cpu))
        print("  by source (pass rate per setting, in the order above):")
        for repo, ids in sorted(by_repo.items()):
            rates = " ".join(f"{sum(v.get(i, False) for i in ids) / len(ids):.2f}" for _, _, v, _ in results)
            print(f"    {repo:22s} {len(ids):4d} checks  {rates}")
        print(f"  ({time.time() - t0:.0f} s wall)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checks", nargs="*", type=Path, default=None)
    ap.add_argument("--no-engines", action="store_true", help="Winnow only (no pymupdf4llm runs)")
    args = ap.parse_args()
    if not PDFS.is_dir() or not SCORER.is_file():
        raise SystemExit(f"skipped: {PDFS} or {SCORER} is absent (they come with ../shared)")
    for path in args.checks or DEFAULT:
        if not path.is_file():
            print(f"{path}: absent, skipped")
            continue
        bench(path, not args.no_engines)


if __name__ == "__main__":
    main()
