"""PDF benchmark on the real PDFs in ../shared/data/pdfs: extraction quality on olmOCR-bench-format checks, the PDF
recipe's keep rate and drops, text-layer throughput end to end, OCR accuracy and triage.

1. Checks (``tests/bench/pdf_checks.jsonl``: present / absent / order / table checks on 34 pages of 20 shared PDFs,
   written from the page images; ``ocr.checks`` scores them): pass rate per check type for Winnow's text layer
   (``layout: auto``), against plain PyMuPDF blocks in column order (``layout: plain``) and PyMuPDF's layout engine
   with no tuning (``pymupdf4llm.to_markdown`` with ``pymupdf.layout``, headers and footers off, no OCR), same run.
2. Recipe: ``winnow run configs/pdf.yaml`` over every shared PDF, one process (``--tasks 1 --workers 1``): drops by
   reason, and the keep rate on the PDFs whose every non-blank page has a usable text layer (known junk and
   duplicates aside), and whether the blank / junk cases are dropped.
3. Throughput: ``winnow run configs/pdf.yaml`` on the born-digital manuals (debian/), one process, its whole CPU
   (``RUSAGE_CHILDREN`` of the one process): pages per CPU-second marginal (8 copies against 1, so startup and
   finalisation cancel; each copy distinct by a sentence under its last page's body, so every stage after exact
   dedup runs on every copy, as on distinct manuals; two rounds) and with startup; the router's split (fast path /
   table pass); PyMuPDF's bare ``page.get_text()`` over the same files as the reference ratio.
4. OCR pages per CPU-second and character error rate against born-digital text layers rendered to images, single-
   and two-column pages. 5. Triage decisions per file family.

Targets (issue #13): checks >= 0.65 overall; recipe keeps >= 80% of usable text-layer PDFs and drops the junk;
>= 100 text-layer pages per CPU-second end to end; OCR CER <= 3% single-column, <= 8% two-column (issue #5).
Run: ``.venv/bin/python tests/bench/bench_pdf.py [--pages N] [--skip-engine]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PDFS = ROOT.parent / "shared" / "data" / "pdfs"
CHECKS = Path(__file__).with_name("pdf_checks.jsonl")

import pymupdf

from ocr.checks import load_checks, score
from ocr.extract import PageExtractor, PdfOptions
from ocr.metrics import cer
from ocr.textlayer import find_gutters, page_blocks, page_text
from ocr.triage import image_coverage

MANUALS = ["debian/R-intro.pdf", "debian/usrguide.pdf"]
BORN_DIGITAL = MANUALS + ["olmocr-gnarly/bws_book_ch2.pdf",
                "olmocr-gnarly/overrun_on_pg8.pdf", "olmocr-gnarly/tobacco_missed_tokens_pg1.pdf",
                "olmocr-gnarly/pdftotext_two_column_issue.pdf", "olmocr-gnarly/repeating_references_on_pg9_pg10.pdf",
                "olmocr-gnarly/failing_pdf_pg9.pdf", "olmocr-gnarly/badlines.pdf"]
SINGLE = ["debian/R-intro.pdf", "debian/usrguide.pdf", "olmocr-gnarly/bws_book_ch2.pdf",
          "olmocr-gnarly/overrun_on_pg8.pdf"]
TWO = ["olmocr-gnarly/pdftotext_two_column_issue.pdf", "olmocr-gnarly/repeating_references_on_pg9_pg10.pdf",
       "olmocr-gnarly/tobacco_missed_tokens_pg1.pdf", "olmocr-gnarly/failing_pdf_pg9.pdf", "olmocr-gnarly/badlines.pdf"]
COPIES = 8  # of the manuals, for the marginal cost (startup, planning and finalisation cancel)
# Cases the recipe must drop (looked at by hand): no text, one word, handwriting read as junk, a map's labels.
# (olmocr-gnarly/some_ocr1.pdf, an upside-down scan of a chart, was read upside down as junk until OSD's turn was
# mended; it now reads the right way up, a figure's caption and its axis labels, and is no longer a junk case.)
JUNK = ["olmocr-gnarly/blanktext.pdf", "olmocr-gnarly/ambiguous.pdf", "olmocr-gnarly/handwriting_bad_ocr.pdf",
        "olmocr-gnarly/map1.pdf"]


def cpu() -> float:
    return time.process_time()


def _texts_winnow(pdfs: list[str], pages: list[tuple[str, int]], layout: str) -> dict:
    out = {}
    ex = PageExtractor(PdfOptions(engine="text", layout=layout))
    for pdf in pdfs:
        with pymupdf.open(str(PDFS / pdf)) as doc:
            res = ex.pages(doc)  # the whole file: running heads are found across its pages
        out.update({(f, pg): res[pg - 1].text for f, pg in pages if f == pdf})
    return out


def _texts_engine(pdfs: list[str], pages: list[tuple[str, int]]) -> dict:
    import pymupdf.layout  # noqa: F401 - turns pymupdf4llm's layout engine on
    import pymupdf4llm

    out = {}
    for pdf in pdfs:
        with pymupdf.open(str(PDFS / pdf)) as doc:
            for f, pg in pages:
                if f == pdf:
                    out[(f, pg)] = pymupdf4llm.to_markdown(doc, pages=[pg - 1], header=False, footer=False,
                                                           use_ocr=False, show_progress=False)
    return out


def bench_checks(engine: bool) -> None:
    checks = load_checks(CHECKS)
    pages = sorted({(c.pdf, c.page) for c in checks})
    pdfs = sorted({p for p, _ in pages})
    print(f"checks: {len(checks)} ({', '.join(f'{t} {n}' for t, n in sorted(Counter(c.type for c in checks).items()))})"
          f" on {len(pages)} pages of {len(pdfs)} PDFs")
    runs = [("winnow (layout auto)", lambda: _texts_winnow(pdfs, pages, "auto")),
            ("plain PyMuPDF blocks", lambda: _texts_winnow(pdfs, pages, "plain"))]
    if engine:
        runs.append(("PyMuPDF layout engine", lambda: _texts_engine(pdfs, pages)))
    for label, fn in runs:
        t0 = cpu()
        texts = fn()
        spent = cpu() - t0
        res = score(checks, texts)
        types = "  ".join(f"{t} {rate:.2f}" for t, (rate, _) in res["by_type"].items())
        print(f"  {label:22s} overall {res['overall']:.3f}  {types}  ({spent:.1f} CPU-s)")


def _winnow_run(inputs: str, out: Path) -> float:
    """CPU seconds of one ``winnow run configs/pdf.yaml`` in one process (tasks 1, workers 1)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(ROOT / "configs" / "pdf.yaml"),
                          "--input", inputs,
                    "--output", str(out), "--tasks", "1", "--workers", "1", "--overwrite"], cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if res.returncode:
        raise SystemExit(f"winnow run failed ({res.returncode}):\n{res.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _rows(out: Path) -> list[tuple]:
    """(id, drop reason or None, metadata JSON) of every document the run wrote, kept and removed."""
    import pyarrow.parquet as pq

    rows = []
    for part in ("documents", "removed"):
        for f in sorted(out.glob(f"{part}/*.parquet")):
            t = pq.read_table(f).to_pydict()
            reasons = t.get("reason", [None] * len(t["id"]))
            rows += list(zip(t["id"], reasons, t["metadata"]))
    return rows


def bench_recipe(tmp: Path) -> None:
    try:
        from ocr.tesseract import check_available

        check_available()
    except Exception as e:  # noqa: BLE001 - the recipe OCRs the scans; report and skip
        print(f"recipe benchmark skipped: {e}")
        return
    out = tmp / "recipe"
    inputs = tmp / "recipe-inputs"  # the 50 PDFs of debian/, ocrmypdf/ and olmocr-gnarly/; pdfs/diverse (102 files in
    inputs.mkdir()  # many languages, for bench_olmocr.py) is not this English recipe's keep-rate population
    for f in sorted(PDFS.glob("*/*.pdf")):
        (inputs / f"{f.parent.name}_{f.name}").symlink_to(f)
    spent = _winnow_run(str(inputs / "*.pdf"), out)
    rows = _rows(out)
    drops = Counter(r[1] for r in rows if r[1])
    usable_kept = usable = 0
    junk_kept, usable_dropped = [], []
    for pid, reason, md in rows:
        rel = "/".join(pid.rsplit("/", 1)[1].split("_", 1))
        methods = {p["method"] for p in json.loads(md)["page_methods"]} - {"blank"}
        if rel in JUNK:
            if reason is None:
                junk_kept.append(rel)
        elif methods == {"text"}:
            usable += 1
            usable_kept += reason is None
            if reason is not None and "dedup" in reason:
                usable -= 1  # a copy of another file (edgar-rotated90.pdf read upright is edgar.pdf): dropped rightly
                usable_dropped.append(f"{rel} ({reason}, not counted)")
            elif reason is not None:
                usable_dropped.append(f"{rel} ({reason})")
    kept = sum(1 for r in rows if not r[1])
    print(f"recipe (configs/pdf.yaml on the {len(rows)} PDFs of debian/, ocrmypdf/, olmocr-gnarly/, {spent:.0f} "
          f"CPU-s with OCR): kept {kept}; "
          f"usable text-layer PDFs kept {usable_kept}/{usable} ({usable_kept / max(usable, 1):.0%}, target >= 80%: "
          f"{'met' if usable_kept >= 0.8 * usable else 'NOT met'}); junk cases dropped "
          f"{len(JUNK) - len(junk_kept)}/{len(JUNK)}" + (f" (kept: {', '.join(junk_kept)})" if junk_kept else ""))
    print("  drops by reason: " + ", ".join(f"{r} {n}" for r, n in drops.most_common()))
    print("  usable text-layer PDFs dropped: " + (", ".join(usable_dropped) or "none"))


def bench_text_layer(tmp: Path) -> None:
    files = [str(PDFS / f) for f in MANUALS]
    t0 = cpu()
    ref_pages = 0
    for f in files:
        with pymupdf.open(f) as doc:
            for page in doc:
                page.get_text()
                ref_pages += 1
    ref = cpu() - t0
    one, many = tmp / "one", tmp / "many"
    one.mkdir()
    many.mkdir()
    for f in files:
        _marked_copy(f, COPIES, one / Path(f).name)
        for k in range(COPIES):
            _marked_copy(f, k, many / f"{k}-{Path(f).name}")
    marginal, with_startup = [], []
    for _ in range(2):  # twice: this shared machine is noisy; the range is printed
        c1 = _winnow_run(str(one / "*.pdf"), tmp / "out1")
        cn = _winnow_run(str(many / "*.pdf"), tmp / "outn")
        routes = Counter()
        pages = 0
        for _, _, md in _rows(tmp / "out1"):
            md = json.loads(md)
            pages += len(md["page_methods"])
            routes.update(p.get("route", p["method"]) for p in md["page_methods"])
        exact = sum(1 for _, reason, _ in _rows(tmp / "outn") if reason and reason.startswith("exact_dedup"))
        if exact:  # MinHash finds the copies near-duplicates, as it should, after keying every one
            raise SystemExit(f"{exact} of the {COPIES * len(files)} copies were exact duplicates: each must differ "
                             "in its text, or the stages after exact dedup would not run on it")
        marginal.append((COPIES - 1) * pages / (cn - c1))
        with_startup.append(pages / c1)
    lo, hi = min(marginal), max(marginal)
    print(f"text layer end to end (winnow run configs/pdf.yaml, 1 process, {len(files)} manuals, {pages} pages): "
          f"{lo:,.0f}-{hi:,.0f} pages/CPU-s marginal ({COPIES} copies against 1, two rounds), "
          f"{min(with_startup):,.0f}-{max(with_startup):,.0f} with the run's startup on one copy; router: "
          f"{', '.join(f'{k} {v}' for k, v in routes.most_common())}; target >= 100 pages/CPU-s: "
          f"{'met' if lo >= 100 else 'NOT met'}; reference page.get_text() {ref_pages / ref:,.0f} pages/CPU-s "
          f"({ref_pages / ref / hi:.1f}-{ref_pages / ref / lo:.1f}x Winnow's marginal cost)")
    print("  routes in one process (read_page + compose a page, best of 3 rounds): " + ", ".join(
        f"{route} {n} pages, {ms:.2f} ms a page" for route, (n, ms) in _route_costs(files).items()))


def _marked_copy(src: str, k: int, dest: Path) -> None:
    """``src`` saved as ``dest`` with a sentence naming copy ``k`` under the body text of its last page (in the body,
    where no running-head or footer rule removes it): the copies are distinct documents, so exact dedup keeps each
    and every stage after it runs on each, as on distinct manuals."""
    with pymupdf.open(src) as doc:
        page = doc[-1]
        bottoms = [b[3] for b in page.get_text("blocks") if b[3] < 0.8 * page.rect.height]
        page.insert_text((72, max(bottoms, default=72) + 24), f"This is copy {k} of the manual, printed for a "
                         "benchmark of the PDF path.", fontsize=10)
        doc.save(str(dest))


def _route_costs(files: list[str]) -> dict[str, tuple[int, float]]:
    """{route: (pages, CPU ms a page)} of ``ocr.layout``'s two routes over ``files``: the fast path, and the table
    pass (words, rules, the table finder); best of three rounds, one process."""
    from ocr.layout import compose, read_page

    best: dict[str, list[float]] = {}
    for _ in range(3):
        spent: dict[str, list[float]] = {}
        for f in files:
            with pymupdf.open(f) as doc:
                for page in doc:
                    t0 = cpu()
                    p = read_page(page)
                    compose(p)
                    spent.setdefault(p.route, []).append(cpu() - t0)
        for route, times in spent.items():
            if route not in best or sum(times) < sum(best[route]):
                best[route] = times
    return {route: (len(t), 1000 * sum(t) / len(t)) for route, t in sorted(best.items())}


def _prose_page(page, columns: int) -> bool:
    """A body page of running text: >= 1,500 characters, no images, no dot leaders (tables of contents),
    and the wanted number of columns. Title pages (page 1) are left out: author blocks and affiliations
    have no single reading order to compare against."""
    blocks = page_blocks(page)
    text = "".join(b[4] for b in blocks)
    return (page.number > 0 and len(text) >= 1500 and ". . ." not in text and "...." not in text
            and image_coverage(page) == 0 and len(find_gutters(blocks)) + 1 == columns)


def pick_pages(files: list[str], columns: int, k: int) -> list[tuple[str, int]]:
    """k prose pages, round-robin over the files (their 2nd, 4th, 6th ... qualifying page), deterministic."""
    per_file = {}
    for f in files:
        with pymupdf.open(str(PDFS / f)) as doc:
            per_file[f] = [p.number for p in doc if _prose_page(p, columns)][1::2]
    out = []
    for j in range(max(map(len, per_file.values()), default=0)):
        out += [(f, pages[j]) for f, pages in per_file.items() if j < len(pages)]
    return out[:k]


def bench_ocr(k: int, dpi: int) -> None:
    from ocr.tesseract import ocr_page

    for label, files, cols in (("single-column", SINGLE, 1), ("two-column", TWO, 2)):
        chosen = pick_pages(files, cols, k)
        errs, sorted_errs, spent, n = [], [], 0.0, 0
        for f, i in chosen:
            with pymupdf.open(str(PDFS / f)) as doc:
                page = doc[i]
                ref, _ = page_text(page)
                plain = page.get_text(sort=True)
                t0 = cpu()
                read = ocr_page(page, dpi=dpi)
                text, conf = read.text, read.confidence
                spent += cpu() - t0
                n += 1
                errs.append(cer(text, ref))
                sorted_errs.append(cer(text, plain))
                print(f"  {label:13s} {f}:{i + 1:<3d} CER {errs[-1]:6.2%}  "
                      f"(vs sort=True order {sorted_errs[-1]:6.2%})  "
                      f"conf {conf:.2f}")
        mean = sum(errs) / len(errs)
        target = 0.03 if cols == 1 else 0.08
        print(f"OCR {label}: {n} pages at {dpi} dpi, {n / spent:.2f} pages/CPU-s; mean CER {mean:.2%} "
              f"(target <= {target:.0%}: {'met' if mean <= target else 'NOT met'}); against PyMuPDF sort=True order "
              f"{sum(sorted_errs) / len(sorted_errs):.2%}")


def bench_triage() -> None:
    expected = {  # file family -> what its pages should get
        "scans (ocrmypdf)": (sorted((PDFS / "ocrmypdf").glob("*.pdf")), "ocr"),
        "garbage layer": ([PDFS / "olmocr-gnarly/olmo-page-1.pdf", PDFS / "olmocr-gnarly/dolma-page-1.pdf"], "ocr"),
        "born-digital": ([PDFS / f for f in BORN_DIGITAL], "text"),
    }
    from ocr.triage import triage_page

    for label, (files, want) in expected.items():
        right = total = 0
        wrong = []
        for f in files:
            with pymupdf.open(str(f)) as doc:
                for i, page in enumerate(doc):
                    tri = triage_page(page, page_text(page)[0])
                    if tri.decision == "blank":
                        continue
                    total += 1
                    if tri.decision == want:
                        right += 1
                    else:
                        wrong.append(f"{f.name}:{i + 1}({tri.reason})")
        print(f"triage {label}: {right}/{total} pages -> {want}"
              + (f"; other: {', '.join(wrong[:8])}" if wrong else ""))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=6, help="OCR pages per layout")
    ap.add_argument("--dpi", type=int, default=300)
    ap.add_argument("--skip-engine", action="store_true", help="leave out PyMuPDF's layout engine (~5 CPU-s a page)")
    args = ap.parse_args()
    if not PDFS.is_dir():
        print(f"bench_pdf: {PDFS} is absent; nothing to measure")
        return 0
    bench_checks(engine=not args.skip_engine)
    with tempfile.TemporaryDirectory() as tmp:
        bench_text_layer(Path(tmp))
        bench_recipe(Path(tmp))
    bench_triage()
    try:
        from ocr.tesseract import check_available

        check_available()
    except Exception as e:  # noqa: BLE001 - report and skip the OCR part
        print(f"OCR benchmarks skipped: {e}")
        return 0
    bench_ocr(args.pages, args.dpi)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
