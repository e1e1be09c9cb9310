"""Benchmark: quality models on real, noisy labels, against the baselines a user would try, in one run.

1. Stack Exchange answers labelled by votes (``../shared/data/quality``: a good answer is in its site's top 13% by
   votes, 87:13 as in the issue): train on one site, evaluate on the other (a site the model has never seen),
   both ways; within one site (beer, 70/30 by id); and train on the older 80% of answers, evaluate on the
   newest 20%. Side by side on the same split: ``winnow quality train --model fasttext`` (hyperparameters
   chosen on a validation split), fastText with its own default hyperparameters (same text preprocessing),
   ``--model linear``, a plain TF-IDF logistic regression (scikit-learn defaults), answer length alone.
2. SMS spam (UCI, 13% spam): a seeded 80/20 split by id, the same five.
3. Graded labels on a learnable rule: real documents (WikiText articles, SciTLDR abstracts, movie reviews) with
   0-8 occurrences of a dozen subject words planted at random places; the label is how many the text holds.
   ``--model linear`` regression trained on 1,200 documents, Spearman on 400 held out; also ``--no-tune``.

Prints held-out ROC AUC (Spearman for 3) per model; targets (issue #14): fastText >= default fastText, linear >=
the plain TF-IDF logistic regression, Spearman >= 0.7 on the rule.

    python tests/bench/bench_labels.py
"""

from __future__ import annotations

import gzip
import json
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

import numpy as np

GOOD_SHARE = 0.87  # answers above this quantile of their site's votes are good
SUBJECT_WORDS = ["telescope", "glacier", "violin", "enzyme", "harbor", "lantern", "orchid", "satellite", "canyon",
                 "bakery", "compass", "volcano"]


def _read(rel: str) -> list[dict]:
    with gzip.open(SHARED / rel, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _auc(y, p) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.asarray(y, dtype=int), np.asarray(p, dtype=float)))


def _winnow(train_rows, test_texts, model: str, tmp: Path, task_field="label", tune=True) -> np.ndarray:
    """Winnow's model with hyperparameters chosen by cross-validation (the default) or, ``tune=False``, its base
    values."""
    from filters.quality import QualityModel
    from filters.quality_train import train

    src = tmp / f"train-{model}-{tune}.jsonl"
    graded = task_field == "score"
    src.write_text("".join(json.dumps({"id": r["id"], "text": r["text"], "label": r["label"] if graded else
                                       ("good" if r["label"] else "bad")}) + "\n" for r in train_rows))
    out = tmp / f"model-{model}-{tune}"
    train(str(out), input=[str(src)], label_field="label", positive_value=None if graded else "good", model=model,
          holdout=0.0, tune=tune)
    return QualityModel(str(out)).score(test_texts)


def _default_fasttext(train_rows, test_texts, tmp: Path) -> np.ndarray:
    """fastText's own defaults (lr 0.1, epoch 5, wordNgrams 1, dim 100, minCount 1), the same lower-casing, in a
    fresh process as a user's script would run it (fastText with thread=1 reads uninitialised memory otherwise)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_default_fasttext_here, train_rows, test_texts, str(tmp)).result()


def _default_fasttext_here(train_rows, test_texts, tmp: str) -> np.ndarray:
    import fasttext

    from filters.quality import preprocess

    path = Path(tmp) / "default.txt"
    path.write_text("".join(f"__label__{int(r['label'])} {preprocess(r['text'], lower=True)}\n" for r in train_rows))
    ft = fasttext.train_supervised(input=str(path), thread=1, seed=0, verbose=0)
    labels, probs = ft.predict([preprocess(t, lower=True) for t in test_texts], k=1, threshold=0.0)
    return np.array([p[0] if lab[0] == "__label__1" else 1 - p[0] for lab, p in zip(labels, probs)])


def _plain_tfidf(train_rows, test_texts) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
    pipe.fit([r["text"] for r in train_rows], [int(r["label"]) for r in train_rows])
    return pipe.predict_proba(test_texts)[:, 1]


def compare(name: str, train_rows: list[dict], test_rows: list[dict], tmp: Path) -> None:
    texts = [r["text"] for r in test_rows]
    y = [r["label"] for r in test_rows]
    res = {
        "winnow fasttext": _auc(y, _winnow(train_rows, texts, "fasttext", tmp)),
        "default fastText": _auc(y, _default_fasttext(train_rows, texts, tmp)),
        "winnow linear": _auc(y, _winnow(train_rows, texts, "linear", tmp)),
        "plain tf-idf LR": _auc(y, _plain_tfidf(train_rows, texts)),
        "length alone": _auc(y, [len(t) for t in texts]),
    }
    pos = sum(r["label"] for r in train_rows) / len(train_rows)
    print(f"{name} (train {len(train_rows)}, {pos:.0%} positive; test {len(test_rows)}): held-out ROC AUC "
          + ", ".join(f"{k} {v:.3f}" for k, v in res.items()))
    ft_ok = res["winnow fasttext"] >= res["default fastText"]
    lin_ok = res["winnow linear"] >= res["plain tf-idf LR"]
    print(f"  fastText >= default fastText: {'met' if ft_ok else 'NOT met'}; linear >= plain tf-idf LR: "
          f"{'met' if lin_ok else 'NOT met'}")


def stack_exchange(tmp: Path) -> None:
    rows = []
    for site in ("beer", "coffee"):  # good: the site's top 13% by votes (sites differ in how much they vote)
        site_rows = [r for r in _read("quality/stackexchange_answers_coffee_beer.jsonl.gz") if site in r["site"]]
        cut = np.quantile([r["score"] for r in site_rows], GOOD_SHARE)
        rows += [{"id": r["id"], "text": r["text"], "label": float(r["score"] > cut), "site": r["site"],
                  "date": r["creation_date"]} for r in site_rows]
    for a, b in (("beer", "coffee"), ("coffee", "beer")):
        compare(f"Stack Exchange votes, train {a} -> test {b}", [r for r in rows if a in r["site"]],
                [r for r in rows if b in r["site"]], tmp)
    from pipeline.holdout import in_holdout

    beer = [r for r in rows if "beer" in r["site"]]  # what a user of a new site does: label some, train, score the rest
    held = [in_holdout(r["id"], seed=1, fraction=0.3) for r in beer]
    compare("Stack Exchange votes, beer 70/30 by id", [r for r, h in zip(beer, held) if not h],
            [r for r, h in zip(beer, held) if h], tmp)
    rows.sort(key=lambda r: r["date"])
    n = int(0.8 * len(rows))
    compare("Stack Exchange votes, older 80% -> newest 20%", rows[:n], rows[n:], tmp)


def sms(tmp: Path) -> None:
    from pipeline.holdout import in_holdout

    rows = [{"id": r["id"], "text": r["text"], "label": float(r["label"] == "spam")}
            for r in _read("quality/sms_spam_collection.jsonl.gz")]
    held = [in_holdout(r["id"], seed=1, fraction=0.2) for r in rows]
    compare("SMS spam, 80/20 by id", [r for r, h in zip(rows, held) if not h], [r for r, h in zip(rows, held) if h],
            tmp)


def planted(tmp: Path) -> None:
    from scipy.stats import spearmanr

    rng = random.Random(0)
    base = []
    for rel in ("domains/encyclopedic_wikitext2_test_articles.jsonl.gz",
                "domains/scientific_scitldr_abstracts.jsonl.gz",
                "domains/reviews_movie_reviews.jsonl.gz"):
        base += [r["text"] for r in _read(rel) if len(r["text"].split()) >= 40]
    rng.shuffle(base)
    base = base[:1600]
    if len(base) < 1600:
        raise SystemExit(f"bench_labels: only {len(base)} documents of 40+ words for the planted rule")
    rows = []
    for i, text in enumerate(base):
        words = text.split()
        k = rng.randint(0, 8)
        for _ in range(k):
            words.insert(rng.randrange(len(words) + 1), rng.choice(SUBJECT_WORDS))
        text = " ".join(words)
        label = sum(1 for w in text.lower().split() if w.strip(".,;:!?\"'()") in SUBJECT_WORDS)
        rows.append({"id": f"planted-{i}", "text": text, "label": float(label)})
    train_rows, test_rows = rows[:1200], rows[1200:]
    out = {}
    for tune in (True, False):
        p = _winnow(train_rows, [r["text"] for r in test_rows], "linear", tmp, task_field="score", tune=tune)
        out[tune] = float(spearmanr([r["label"] for r in test_rows], p).statistic)
    print(f"graded rule (0-8 planted subject words in {len(rows)} real documents; train 1200, test 400): Spearman "
          f"winnow linear {out[True]:.3f} (hyperparameters chosen), {out[False]:.3f} (base values, TF-IDF only); "
          f"target >= 0.7: {'met' if out[True] >= 0.7 else 'NOT met'}")


def main() -> int:
    if not SHARED.is_dir():
        print(f"bench_labels: {SHARED} is absent; nothing to measure")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        stack_exchange(Path(tmp))
        sms(Path(tmp))
        planted(Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
