"""Benchmark: scoring speed of Winnow's quality models, and fastText against datatrove's FastTextClassifierFilter.

Trains a fastText and a linear model (default hyperparameters) on a real clean-vs-web pair from
../shared/data (SciTLDR abstracts + WikiText articles against SMS messages + Stack Exchange threads), then
scores real documents from six shared folders (SMS, Stack Exchange answers, SciTLDR, movie reviews, Python
docs, WikiText) with ``quality_score_v1`` (batched, ``filter_batch``) and, as the reference, datatrove 0.10's
``FastTextClassifierFilter`` on the same model file and the same documents (one ``predict(k=-1)`` per
document; its model is loaded from the local file, never downloaded). Both run as ``list(step.run(...))``
in this process; CPU time is process time around that call, best of ``--repeat``.

Prints documents per CPU-second for each and the fastText ratio Winnow / datatrove, measured in this run,
also against datatrove fed texts already cut to Winnow's 10,000-character cap (so the cap's share of the gain
shows).

    python tests/bench/bench_quality.py [--docs N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

SOURCES = [
    "quality/sms_spam_collection.jsonl.gz",
    "quality/stackexchange_answers_coffee_beer.jsonl.gz",
    "domains/scientific_scitldr_abstracts.jsonl.gz",
    "domains/reviews_movie_reviews.jsonl.gz",
    "domains/technical_docs_python_docs_rst.jsonl.gz",
    "domains/encyclopedic_wikitext2_test_articles.jsonl.gz",
]


def _texts(n: int) -> list[str]:
    from filters.quality_train import read_labelled

    per = max(1, n // len(SOURCES))
    out: list[str] = []
    for src in SOURCES:
        docs, _ = read_labelled([str(SHARED / src)], max_docs=per)
        out += [d["text"] for d in docs]
    return out


def _cpu_rate(make_docs, step, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        docs = make_docs()
        t = time.process_time()
        n = sum(1 for _ in step.run(iter(docs)))
        best = min(best, time.process_time() - t)
    return len(docs) / best if n else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=6000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not SHARED.is_dir():
        print(f"bench_quality: {SHARED} is absent; nothing to measure (it needs the shared real data)")
        return 0

    from datatrove.data import Document
    from datatrove.pipeline.filters import FastTextClassifierFilter
    from fasttext.FastText import _FastText

    from filters.quality import QualityScore
    from filters.quality_train import train

    d = SHARED / "domains"
    pos = [str(d / "scientific_scitldr_abstracts.jsonl.gz"), str(d / "encyclopedic_wikitext2_test_articles.jsonl.gz")]
    neg = [str(SHARED / "quality/sms_spam_collection.jsonl.gz"), str(d / "qa_stackexchange_coffee_beer.jsonl.gz")]
    texts = _texts(args.docs)
    long = sum(len(t) > 10_000 for t in texts)
    print(f"{len(texts)} real documents, mean {sum(map(len, texts)) / len(texts):.0f} chars, "
          f"{long} over Winnow's 10,000-char cap")

    def make_docs(cap: int | None = None):
        return [Document(text=t[:cap], id=str(i)) for i, t in enumerate(texts)]

    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("fasttext", "linear"):
            m = train(f"{tmp}/{kind}", positive=pos, negative=neg, model=kind)
            print(f"trained {kind}: held-out ROC AUC {m['roc_auc']:.4f} on {m['n_holdout']} documents")
            rates[kind] = _cpu_rate(make_docs, QualityScore(model=f"{tmp}/{kind}"), args.repeat)

        ref = FastTextClassifierFilter(model_url=f"{tmp}/fasttext/model.bin", newline_replacement=" ")
        ref._model = _FastText(f"{tmp}/fasttext/model.bin")  # preloaded: the property would copy it into a cache
        rates["datatrove"] = _cpu_rate(make_docs, ref, args.repeat)
        # the same reference on texts cut to Winnow's cap: separates the cap's gain from batching's
        rates["datatrove_capped"] = _cpu_rate(lambda: make_docs(10_000), ref, args.repeat)

    print(json.dumps({k: round(v, 1) for k, v in rates.items()}))
    print(f"quality_score_v1 fasttext: {rates['fasttext']:,.0f} docs/CPU-s")
    print(f"quality_score_v1 linear:   {rates['linear']:,.0f} docs/CPU-s")
    print(f"datatrove FastTextClassifierFilter (same model.bin): {rates['datatrove']:,.0f} docs/CPU-s")
    print(f"datatrove, texts cut to 10,000 chars first: {rates['datatrove_capped']:,.0f} docs/CPU-s")
    print(f"ratio fasttext Winnow / datatrove: {rates['fasttext'] / rates['datatrove']:.2f}x "
          f"({rates['fasttext'] / rates['datatrove_capped']:.2f}x against the capped reference)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
