"""The demo data: a small crawl, its labelled sets and three PDFs, all generated, the same bytes on every run.

``make demo`` has to show every stage at work on a fresh clone, offline, without copying anyone's text, and the
tests need inputs whose make-up they know. So the project writes its own: the pages of a Common Crawl-like
WARC that a FineWeb-style pipeline keeps or drops for a reason a test can name (articles under navigation and
cookie banners, other languages, spam, placeholders, exact and near duplicates, broken markup and encodings,
non-HTML payloads, a corrupt tail), the quality classifier's training sets and a quiz benchmark that three pages
quote, and PDFs for the text-layer/OCR triage. All text is written for the demo and assembled with a seeded
``random.Random``; domains are under the reserved ``example.com`` / ``example.org`` / ``example.net`` names.
The committed files under ``configs/data/`` are this package's output, and a test checks that they still are.

Modules:

``crawl``        which pages the crawl captures: the plan of page kinds, their order, one builder per kind
``warc``         the crawl written as a WARC: captures, warcinfo and DNS records, the corrupt tail
``render``       the HTML of each kind of page, in five site layouts, and the small non-HTML payloads
``articles``     English article text, near-duplicate edits, recipe cards
``pages``        the English word and sentence banks, the sites, the quiz benchmark (constants)
``pages_other``  other languages, spam, lorem ipsum, boilerplate (constants)
``sets``         the quality classifier's training sets and the benchmark file beside the crawl
``pdfs``         the one PDF maker (PyMuPDF): the demo PDFs and the PDF inside the crawl

One entry point, ``main`` (``python -m pipeline.demo``; ``winnow demo-data`` and ``winnow pdf-demo`` call it):

    python -m pipeline.demo crawl configs/data/demo.warc.gz [--pages 300] [--seed 0]
    python -m pipeline.demo pdfs out/demo-pdfs

``crawl`` writes the WARC and, beside it, ``demo_benchmark.jsonl``, ``quality_positive.jsonl`` and
``quality_negative.jsonl``; ``pdfs`` writes ``born_digital.pdf``, ``scanned.pdf`` and ``broken_layer.pdf``.
Editing the generator or its text changes these files: regenerate them with ``make demo-data``.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m pipeline.demo", description="Write Winnow's demo data.")
    sub = ap.add_subparsers(dest="what", required=True)
    c = sub.add_parser("crawl", help="the demo WARC, and the benchmark and quality sets beside it")
    c.add_argument("path", help="output .warc.gz, e.g. configs/data/demo.warc.gz")
    c.add_argument("--pages", type=int, default=300, help="number of captured URLs (default 300)")
    c.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p = sub.add_parser("pdfs", help="three PDFs for the text-layer/OCR triage")
    p.add_argument("dir", help="output directory, e.g. out/demo-pdfs")
    return ap


def write_crawl(path: str | Path, pages: int = 300, seed: int = 0) -> None:
    """The demo WARC at ``path`` and its labelled files beside it, saying what was written."""
    from pipeline.demo.sets import write_demo_benchmark, write_demo_quality_sets
    from pipeline.demo.warc import write_demo_warc

    s = write_demo_warc(path, n_pages=pages, seed=seed)
    records = ", ".join(f"{k} {v}" for k, v in s["records"].items() if v)
    print(f"wrote {s['path']}: {s['bytes']:,} bytes, {s['total_records']} records ({records}), "
          f"sha256 {s['sha256'][:16]}")
    print("pages:", ", ".join(f"{k}={v}" for k, v in s["pages"].items() if v))
    print(f"html_pages={s['html_pages']} corrupt_tail={s['corrupt_tail']}")
    bench = Path(path).parent / "demo_benchmark.jsonl"
    n = write_demo_benchmark(bench)
    print(f"wrote {bench}: {n} benchmark items (quoted by {len(s['contaminated_urls'])} pages)")
    for out in write_demo_quality_sets(Path(path).parent).values():
        print(f"wrote {out}: labelled text for the demo quality classifier")


def write_pdfs(directory: str | Path) -> None:
    """The three demo PDFs in ``directory``, saying what was written."""
    from pipeline.demo.pdfs import write_demo_pdfs

    for out in write_demo_pdfs(directory):
        print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.demo crawl PATH [--pages N] [--seed S]`` or ``python -m pipeline.demo pdfs DIR``."""
    args = _parser().parse_args(argv)
    if args.what == "crawl":
        write_crawl(args.path, pages=args.pages, seed=args.seed)
    else:
        write_pdfs(args.dir)
    return 0
