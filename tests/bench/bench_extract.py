"""Benchmark: pipeline.extract.html_to_text against trafilatura as datatrove calls it.

    python tests/bench/bench_extract.py [--eval-json PATH] [--limit N]

Runs both extractors in this one process on the same pages of
``../shared/data/web/trafilatura-eval`` (``cache/`` and ``eval/``) and prints:

* pages per CPU-second (``time.process_time``) of each, and the speed ratio;
* 4-gram shingle precision/recall/F1 of html_to_text against the reference's
  output (closeness to the reference, not correctness: no human text exists);
* with an eval JSON (a list of ``{"file", "with", "without"}``; given by
  ``--eval-json`` or found at ``trafilatura-eval/evaldata.json``): snippet
  precision/recall/F1 of each as trafilatura's own evaluation counts them
  (kept 'with' = TP, missed 'with' = FN, kept 'without' = FP).

Exits 0 with a message when the shared data folder is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"
EVAL_DIR = SHARED_DATA / "web" / "trafilatura-eval"
sys.path.insert(0, str(ROOT))

_WS = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


def _norm(text: str) -> str:
    return _WS.sub(" ", text or "").strip()


def _shingles(text: str, n: int = 4) -> set[tuple[str, ...]]:
    toks = _WORD.findall((text or "").lower())
    if len(toks) < n:
        return {tuple(toks)} if toks else set()
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


def _prf(tp: int, fn: int, fp: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def shingle_prf(pred: str, ref: str) -> tuple[float, float, float]:
    a, b = _shingles(pred), _shingles(ref)
    if not a and not b:
        return 1.0, 1.0, 1.0
    common = len(a & b)
    if not common:
        return 0.0, 0.0, 0.0
    p, r = common / len(a), common / len(b)
    return p, r, 2 * p * r / (p + r)


def snippet_prf(outputs: list[str], items: list[dict]) -> tuple[float, float, float]:
    tp = fn = fp = 0
    for out, item in zip(outputs, items):
        text = _norm(out)
        for s in item.get("with", []):
            if _norm(s) in text:
                tp += 1
            else:
                fn += 1
        fp += sum(1 for s in item.get("without", []) if _norm(s) in text)
    return _prf(tp, fn, fp)


def timed(fn, pages: list[str]) -> tuple[list[str], float]:
    outs, start = [], time.process_time()
    for html in pages:
        try:
            outs.append(fn(html) or "")
        except Exception:  # the reference may raise on odd pages; count as empty
            outs.append("")
    return outs, time.process_time() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval-json", type=Path, help="list of {file, with, without}")
    ap.add_argument("--limit", type=int, default=0, help="at most N pages from eval/ (0 = all)")
    args = ap.parse_args()

    if not EVAL_DIR.is_dir():
        print(f"SKIP: benchmark needs {EVAL_DIR} (the shared data folder beside the project); it is absent")
        return 0

    logging.disable(logging.WARNING)
    from datatrove.pipeline.extractors import Trafilatura

    from pipeline.encoding import decode_html
    from pipeline.extract import html_to_text

    reference = Trafilatura().extract  # favour_precision=True, deduplicate=True, include_comments=False

    def load(path: Path) -> str:
        return decode_html(gzip.open(path).read())[0]

    eval_json = args.eval_json or (EVAL_DIR / "evaldata.json")
    items = []
    if eval_json.is_file():
        raw = json.loads(eval_json.read_text())  # {url: {file, with, without}} (a list of those in older copies)
        items = [it for it in (raw.values() if isinstance(raw, dict) else raw)
                 if (EVAL_DIR / "cache" / f"{it['file']}.gz").is_file()]
    free = sorted((EVAL_DIR / "eval").glob("*.html.gz"))
    if args.limit:
        free = free[: args.limit]
    snippet_pages = [load(EVAL_DIR / "cache" / f"{it['file']}.gz") for it in items]
    pages = snippet_pages + [load(p) for p in free]
    if not pages:
        print(f"SKIP: no pages under {EVAL_DIR}")
        return 0

    # Warm both up (imports, compiled XPaths) so neither pays it inside the timing.
    reference(pages[0])
    html_to_text(pages[0])
    # Alternate the order so neither side systematically runs on a warmer cache.
    ref_out, ref_t = timed(reference, pages)
    ours_out, ours_t = timed(html_to_text, pages)
    ref_t2 = timed(reference, pages)[1]
    ours_t2 = timed(html_to_text, pages)[1]
    ref_pps, ours_pps = 2 * len(pages) / (ref_t + ref_t2), 2 * len(pages) / (ours_t + ours_t2)

    n = len(pages)
    print(f"pages: {n} ({len(snippet_pages)} with snippets, {len(free)} from eval/)")
    print(f"{'extractor':34s} {'pages/CPU-s':>12s} {'vs reference':>13s}")
    print(f"{'datatrove Trafilatura (reference)':34s} {ref_pps:12.1f} {1.0:12.2f}x")
    print(f"{'pipeline.extract.html_to_text':34s} {ours_pps:12.1f} {ours_pps / ref_pps:12.2f}x")

    per_page = [shingle_prf(o, r) for o, r in zip(ours_out, ref_out)]
    mean = [sum(x[i] for x in per_page) / n for i in range(3)]
    print(
        f"4-gram shingle agreement with the reference (mean per page): "
        f"P={mean[0]:.3f} R={mean[1]:.3f} F1={mean[2]:.3f}"
    )
    print(
        f"empty outputs: reference {sum(not o.strip() for o in ref_out)}/{n}, "
        f"html_to_text {sum(not o.strip() for o in ours_out)}/{n}"
    )

    if items:
        k = len(items)
        rp, rr, rf = snippet_prf(ref_out[:k], items)
        op, orr, of = snippet_prf(ours_out[:k], items)
        print(f"snippet evaluation on {k} pages ({eval_json}):")
        print(f"  reference      P={rp:.3f} R={rr:.3f} F1={rf:.3f}")
        print(f"  html_to_text   P={op:.3f} R={orr:.3f} F1={of:.3f}  (F1 ratio {of / rf if rf else 0:.3f})")
    else:
        print(f"snippet evaluation skipped: no eval JSON (pass --eval-json; looked for {eval_json})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
