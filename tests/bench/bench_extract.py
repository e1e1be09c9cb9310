"""Benchmark: pipeline.extract.html_to_text against trafilatura, same pages, same process.

    python tests/bench/bench_extract.py [--limit N]

Pages: the real pages of ``../shared/data/web/trafilatura-eval`` listed in its ``evaldata.json`` (990, most
of them German, English and French), each with snippets a main-text extractor must keep and must drop.
Candidates, each run twice over all pages in alternating order in this one process, CPU time by
``time.process_time``: trafilatura's ``extract`` with its defaults (fallbacks on); trafilatura as datatrove's
``Trafilatura`` block calls it (favour precision, dedup); ``html_to_text(extractor="trafilatura")`` (balanced
mode without fallbacks); ``html_to_text`` (the model path of pipeline.extract_dom). Prints pages per
CPU-second and the ratio to trafilatura's defaults, and precision/recall/F1 three ways
(pipeline.extract_train.evaluate): snippets, 4-gram shingles pooled over pages, and 4-gram shingles as the
public article benchmarks average them per page. The model was trained on these pages, so its score here is
in-sample; the cross-validated score (folds by page), which is the one to quote, is printed from the model file, where
``python -m pipeline.extract_train`` recorded it. Also: how many pages the model path handed to trafilatura.

Exits 0 with a message when the shared data folder is absent.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EVAL_DIR = ROOT.parent / "shared" / "data" / "web" / "trafilatura-eval"
sys.path.insert(0, str(ROOT))


def _fmt(scores) -> str:
    return "/".join(f"{v:.3f}" for v in scores)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="at most N pages (0 = all)")
    args = ap.parse_args()
    if not (EVAL_DIR / "evaldata.json").is_file():
        print(f"SKIP: benchmark needs {EVAL_DIR}/evaldata.json (the shared data folder beside the project); "
              "it is absent")
        return 0

    logging.disable(logging.WARNING)
    import json

    import trafilatura
    from datatrove.pipeline.extractors import Trafilatura

    from pipeline import extract
    from pipeline.extract_dom import MODEL_PATH
    from pipeline.extract_train import KINDS, evaluate, load_pages

    pages = load_pages(EVAL_DIR)
    if args.limit:
        pages = pages[: args.limit]
    datatrove_block = Trafilatura(favour_precision=True).extract
    candidates = {
        "trafilatura.extract (defaults)": lambda p: trafilatura.extract(p["html"], url=p["url"]),
        "datatrove Trafilatura block": lambda p: datatrove_block(p["html"]),
        "html_to_text(extractor='trafilatura')": lambda p: extract.html_to_text(p["html"], p["url"], "trafilatura"),
        "html_to_text (model)": lambda p: extract.html_to_text(p["html"], p["url"]),
    }
    for fn in candidates.values():  # imports, compiled XPaths, the model file: not inside the timing
        fn(pages[0])
    outputs, cpu = {}, {name: 0.0 for name in candidates}
    for round_ in range(2):
        for name in (list(candidates) if round_ == 0 else list(reversed(candidates))):
            fn = candidates[name]
            start, outs = time.process_time(), []
            for p in pages:
                try:
                    outs.append(fn(p) or "")
                except Exception:  # trafilatura may raise on odd pages: count as empty
                    outs.append("")
            cpu[name] += time.process_time() - start
            outputs[name] = outs
    base = 2 * len(pages) / cpu["trafilatura.extract (defaults)"]
    print(f"pages: {len(pages)} from {EVAL_DIR}; CPU: time.process_time of this one process, two rounds each")
    print(f"{'extractor':40s} {'pages/CPU-s':>11s} {'vs defaults':>11s}   " +
          "  ".join(f"{kind + ' P/R/F1':17s}" for kind in KINDS))
    for name in candidates:
        pps = 2 * len(pages) / cpu[name]
        scores = evaluate(outputs[name], pages)
        print(f"{name:40s} {pps:11.1f} {pps / base:10.2f}x   " + "  ".join(_fmt(scores[kind]) for kind in KINDS))
    fallback = sum(extract.model_text(p["html"].replace("\x00", "")) is None for p in pages)
    print(f"model path handed {fallback} of {len(pages)} pages to trafilatura (unparsable, or almost nothing kept "
          f"of a page with text)")
    trained = json.loads(MODEL_PATH.read_text()).get("trained_on", {})
    cv = trained.get("cv")
    if cv:
        print("model, cross-validated by page (python -m pipeline.extract_train): " +
              "  ".join(f"{kind} {_fmt(cv[kind])}" for kind in KINDS if kind in cv) +
              "  <- the scores to quote; the row above is in-sample")
    interval, gain = trained.get("cv_public_f1_interval"), trained.get("cv_public_f1_minus_teacher_interval")
    if interval and gain:
        print(f"cross-validated public F1, 95% bootstrap interval over pages: {interval[0]:.3f}-{interval[1]:.3f}; "
              f"minus trafilatura's defaults on the same draws: {gain[0]:+.3f} to {gain[1]:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
