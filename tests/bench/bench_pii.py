"""Benchmark: pii_v1 against datatrove's PIIFormatter on the same real documents.

    python tests/bench/bench_pii.py [--repeat N]

Both run in this one process, interleaved round by round (so a neighbour's load
on the shared CPU hits both alike), over the documents of
``../shared/data/domains`` (docs, code, abstracts, encyclopedic, Q&A, reviews,
books, speeches). Prints documents per CPU-second (``time.process_time``) of
each and the ratio pii_v1 / PIIFormatter, best of ``--repeat`` rounds. The two
do different work: PIIFormatter looks for e-mails and IPv4 only; pii_v1 also for
phones, IPv6 and cards. The number of replacements each made is printed too.

Exits 0 with a message when the shared data folder is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))


def _load() -> list[str]:
    texts = []
    for path in sorted((SHARED_DATA / "domains").glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            texts.extend(json.loads(line)["text"] for line in f)
    return texts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not (SHARED_DATA / "domains").is_dir():
        print(f"bench_pii: {SHARED_DATA / 'domains'} is absent; nothing to measure")
        return 0

    from datatrove.pipeline.formatters.pii import PIIFormatter

    from filters.pii import PIIMatcher, mask_text

    texts = _load()
    n_chars = sum(map(len, texts))
    ref = PIIFormatter()
    ours = PIIMatcher()

    def run_ref():
        changed = 0
        for t in texts:
            changed += ref.format(t) != t
        return changed

    def run_ours():
        found = 0
        for t in texts:
            spans = ours.find(t)
            if spans:
                mask_text(t, spans)
                found += 1
        return found

    best = {"ref": float("inf"), "ours": float("inf")}
    changed = {}
    for _ in range(args.repeat):
        for name, fn in (("ref", run_ref), ("ours", run_ours)):
            t0 = time.process_time()
            changed[name] = fn()
            best[name] = min(best[name], time.process_time() - t0)
    n = len(texts)
    ref_rate, our_rate = n / best["ref"], n / best["ours"]
    print(f"{n} documents, {n_chars / 1e6:.1f} M characters, best of {args.repeat} interleaved rounds")
    print(f"datatrove PIIFormatter (e-mail, IPv4): {ref_rate:10.0f} docs/CPU-s  ({changed['ref']} documents changed)")
    print(f"winnow pii_v1 (e-mail, phone, IP v4/v6, card): {our_rate:10.0f} docs/CPU-s  "
          f"({changed['ours']} documents masked)")
    print(f"ratio pii_v1 / PIIFormatter: {our_rate / ref_rate:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
