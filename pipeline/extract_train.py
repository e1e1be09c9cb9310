"""Train the segment model of :mod:`pipeline.extract_dom` and measure it by page-grouped cross-validation.

    python -m pipeline.extract_train [--data ../shared/data/web/trafilatura-eval] [--out pipeline/extract_model.json]

Data: the real pages of trafilatura's evaluation set, each with snippets a main-text extractor must
keep (``with``) and must drop (``without``), listed in ``evaldata.json``. Labels per segment: a
segment holding a ``with`` snippet is main text, one holding a ``without`` snippet is not (weight
1); every other segment takes trafilatura's verdict (full ``extract`` with its fallbacks: is the
segment's text in its output?) at weight ``TEACHER_WEIGHT``, so the model learns the page
structure from trafilatura and the hard cases from the human snippets.

It prints the 5-fold cross-validated scores (folds by page, so no page is scored by a model that
saw it; repeated over ``SPLITS`` assignments of pages to folds, their mean is the score quoted) next to
trafilatura's on the same pages, then fits on every page and writes the trees as
JSON. Scores (:func:`evaluate`): snippet P/R/F1 as trafilatura's evaluation counts them (a kept ``with``
snippet is a TP, a missed one an FN, a kept ``without`` one an FP); the same over the snippets' word 4-gram
shingles, pooled over all pages; and ``public``, the shingles as the public article benchmarks score an
extractor (scrapinghub's article-extraction-benchmark): case kept, precision and recall per page, each
averaged over the pages, F1 of the two means. Text is compared as a reader sees it: whitespace runs are one
space and invisible characters (soft hyphens, zero-width spaces) are dropped on both sides, output and snippet.
It also prints a bootstrap interval over pages for the public F1 (:func:`public_interval`) and for its
difference to trafilatura's: how far the figure on these pages carries over to other pages like them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import re
import sys
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "web" / "trafilatura-eval"
TEACHER_WEIGHT = 0.05
FOLDS = 5
# Cross-validation is repeated over this many assignments of pages to folds, and the mean is the score: one
# split's F1 moves with the split as much as most changes to the model move it (docs/measurements.md).
SPLITS = 3
# min_samples_leaf 100 (sklearn's default is 20) and no early stopping (sklearn's 'auto' holds out a random
# tenth of the segments above 10,000 of them). Chosen by cross-validation on the shared trafilatura-eval pages;
# see docs/measurements.md.
PARAMS = dict(max_iter=80, learning_rate=0.2, max_depth=6, max_leaf_nodes=31, min_samples_leaf=100,
              early_stopping=False, random_state=0)

_WS = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
KINDS = ("snippet", "shingle", "public")


def norm(text: str) -> str:
    """Whitespace runs as one space, invisible characters dropped (as the extractor drops them from pages)."""
    from pipeline.extract_dom import INVISIBLE

    return _WS.sub(" ", (text or "").translate(INVISIBLE)).strip()


def _grams(tokens: list[str], n: int = 4) -> set[tuple[str, ...]]:
    if len(tokens) < n:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def _prf(tp: int, fn: int, fp: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate(outputs: list[str], pages: list[dict]) -> dict[str, tuple[float, float, float]]:
    """Precision/recall/F1 of ``outputs`` against the pages' with/without snippets: ``snippet``, ``shingle``
    (word 4-grams, lowercased, pooled over pages) and ``public`` (word 4-grams with case, per page, averaged)."""
    return summarise([page_counts(out, page) for out, page in zip(outputs, pages)])


def summarise(counts: list[tuple[tuple[int, int, int], ...]]) -> dict[str, tuple[float, float, float]]:
    """:func:`evaluate`'s scores from every page's :func:`page_counts`."""
    snip, shin = ([sum(c[kind][j] for c in counts) for j in range(3)] for kind in (0, 1))
    return {"snippet": _prf(*snip), "shingle": _prf(*shin), "public": public_prf([c[2] for c in counts])}


def page_counts(out: str, page: dict) -> tuple[tuple[int, int, int], ...]:
    """(tp, fn, fp) of one page's output three ways: its snippets, their lowercased word 4-grams, and their word
    4-grams with case (the public metric's per-page counts)."""
    text = norm(out)
    tokens = {True: _WORD.findall(text.lower()), False: _WORD.findall(text)}  # each tokenised once
    have: dict[tuple[bool, int], set] = {}

    def present(gram: tuple[str, ...], lower: bool) -> bool:
        key = (lower, min(len(gram), 4))
        if key not in have:
            have[key] = _grams(tokens[lower], key[1])
        return gram in have[key]

    snip, shin, public = [0, 0, 0], [0, 0, 0], [0, 0, 0]
    for kind, snippets in (("with", page.get("with", [])), ("without", page.get("without", []))):
        for s in map(norm, snippets):
            if not s:
                continue
            found = s in text
            if kind == "with":
                snip[0 if found else 1] += 1
            elif found:
                snip[2] += 1
            for counts, lower in ((shin, True), (public, False)):
                for g in _grams(_WORD.findall(s.lower() if lower else s)):
                    hit = present(g, lower)
                    if kind == "with":
                        counts[0 if hit else 1] += 1
                    elif hit:
                        counts[2] += 1
    return tuple(snip), tuple(shin), tuple(public)


def _public_page(tp: int, fn: int, fp: int) -> tuple[float, float]:
    """One page's (precision, recall) as the public benchmark takes them; NaN where the page does not count."""
    if fp == fn == 0:
        return (1.0, 1.0) if tp else (math.nan, math.nan)
    return (tp / (tp + fp) if tp + fp else math.nan), (tp / (tp + fn) if tp + fn else math.nan)


def public_prf(per_page: list[tuple[int, int, int]]) -> tuple[float, float, float]:
    """P/R/F1 from per-page (tp, fn, fp) shingle counts as scrapinghub's article-extraction-benchmark computes
    them: a page with no error scores 1 both ways, precision is averaged over pages that kept anything checked
    and recall over pages with something to keep, and F1 is that of the two means (so every page weighs the same,
    however long)."""
    pr = np.array([_public_page(*c) for c in per_page], dtype=np.float64).reshape(-1, 2)
    p, r = (float(np.nanmean(col)) if np.isfinite(col).any() else 0.0 for col in pr.T)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def public_interval(per_page: list[tuple[int, int, int]], versus: list[tuple[int, int, int]] | None = None,
                    resamples: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval over pages of the public F1 of ``per_page`` (pages drawn with replacement),
    or, given ``versus`` (another extractor's counts on the same pages), of the difference of the two F1s with
    both scored on the same draws. It says how far a figure on these 990 pages can be trusted to carry over to
    other pages like them."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(per_page), size=(resamples, len(per_page)))

    def f1(counts):
        pr = np.array([_public_page(*c) for c in counts], dtype=np.float64).reshape(-1, 2)
        p, r = (np.nanmean(col[draws], axis=1) for col in pr.T)
        return np.where(p + r > 0, 2 * p * r / np.where(p + r > 0, p + r, 1), 0.0)

    stat = f1(per_page) - (f1(versus) if versus is not None else 0.0)
    lo, hi = np.quantile(stat, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def load_pages(data: Path) -> list[dict]:
    """``evaldata.json``'s pages that have their HTML file, each with ``url``, ``html``, ``with``, ``without``."""
    from pipeline.encoding import decode_html

    index = data / "evaldata.json"
    if not index.is_file():
        raise FileNotFoundError(f"{index}: not found (the shared trafilatura evaluation pages)")
    pages = []
    for url, item in json.loads(index.read_text()).items():
        for sub in ("cache", "eval"):
            path = data / sub / f"{item['file']}.gz"
            if path.is_file():
                html = decode_html(gzip.decompress(path.read_bytes()))[0]
                pages.append({"url": url, "html": html, "with": item.get("with", []),
                              "without": item.get("without", [])})
                break
    return pages


def fold_of(url: str, split: int = 0) -> int:
    return zlib.crc32((f"{url}#{split}" if split else url).encode()) % FOLDS


def cross_validate(X, y, w, where, texts, pages, split: int) -> list[str]:
    """The pages' outputs, each page's segments decided by a model fitted on the other folds."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from pipeline.extract_dom import THRESHOLD

    folds = np.array([fold_of(pages[i]["url"], split) for i in where])
    prob = np.zeros(len(y))
    for k in range(FOLDS):
        test = folds == k
        clf = HistGradientBoostingClassifier(**PARAMS).fit(X[~test], y[~test], sample_weight=w[~test])
        prob[test] = clf.predict_proba(X[test])[:, 1]
    kept: list[list[bool]] = [[] for _ in pages]
    for i, p in zip(where, prob):
        kept[i].append(p >= THRESHOLD)
    return _outputs(texts, kept, pages)


def dataset(pages: list[dict], teacher: list[str]):
    """Features, labels, weights, page index of every segment, and each page's segment texts."""
    from pipeline.extract_dom import N_FEATURES, features, repair, segments

    X, y, w, where, texts = [], [], [], [], []
    for i, (page, ref) in enumerate(zip(pages, teacher)):
        try:
            segs = segments(page["html"])
        except Exception:
            segs = []
        texts.append([s[1] for s in segs])
        if not segs:
            continue
        X.append(features(segs))
        ref = norm(repair(ref))  # the segments are repaired the same way
        keep = [norm(s) for s in page["with"] if norm(s)]
        drop = [norm(s) for s in page["without"] if norm(s)]
        for _, text, _, _ in segs:
            if any(s in text for s in keep):
                y.append(1), w.append(1.0)
            elif any(s in text for s in drop):
                y.append(0), w.append(1.0)
            else:
                y.append(1 if len(text) >= 10 and text in ref else 0), w.append(TEACHER_WEIGHT)
            where.append(i)
    X = np.vstack(X) if X else np.zeros((0, N_FEATURES))
    return X, np.array(y), np.array(w), np.array(where), texts


def export(clf) -> dict:
    """The fitted HistGradientBoostingClassifier's trees as plain lists (see extract_dom.TreeModel)."""
    trees, depth = [], 0
    for (pred,) in clf._predictors:
        nodes = pred.nodes
        leaf = nodes["is_leaf"].astype(bool)
        trees.append({
            "feature": nodes["feature_idx"].astype(int).tolist(),
            "threshold": [float(t) for t in nodes["num_threshold"]],
            "left": np.where(leaf, -1, nodes["left"].astype(np.int64)).tolist(),
            "right": np.where(leaf, -1, nodes["right"].astype(np.int64)).tolist(),
            "value": [float(v) for v in nodes["value"]],
        })
        depth = max(depth, int(nodes["depth"].max()))
    from pipeline.extract_dom import N_FEATURES

    return {"n_features": N_FEATURES, "baseline": float(np.ravel(clf._baseline_prediction)[0]),
            "max_depth": depth, "params": PARAMS, "trees": trees}


def _outputs(texts: list[list[str]], kept: list[list[bool]], pages: list[dict]) -> list[str]:
    """What html_to_text returns for each page given the model's decisions: the kept segments, or trafilatura's
    text for a page with text of which the model keeps (almost) nothing."""
    from pipeline.extract import trafilatura_text
    from pipeline.extract_dom import kept_text

    outs = []
    for ts, ks, page in zip(texts, kept, pages):
        text = kept_text(ts, ks)
        outs.append(text if text or not ts else trafilatura_text(page["html"], page["url"]))
    return outs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with evaldata.json, cache/, eval/")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("extract_model.json"))
    ap.add_argument("--no-write", action="store_true", help="cross-validate only")
    args = ap.parse_args(argv)
    import logging

    import trafilatura
    from sklearn.ensemble import HistGradientBoostingClassifier

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    pages = load_pages(args.data)
    print(f"{len(pages)} pages from {args.data}", flush=True)
    teacher = [trafilatura.extract(p["html"], url=p["url"]) or "" for p in pages]
    X, y, w, where, texts = dataset(pages, teacher)
    print(f"{len(y)} segments, {int(y.sum())} labelled main text", flush=True)
    theirs = [page_counts(out, page) for out, page in zip(teacher, pages)]
    ref = summarise(theirs)

    def show(name, scores):
        print(f"{name:38s} " + "   ".join(f"{kind} {'/'.join(f'{v:.3f}' for v in scores[kind])}" for kind in KINDS),
              flush=True)

    show("trafilatura.extract (teacher)", ref)
    runs = []
    for split in range(SPLITS):
        outputs = cross_validate(X, y, w, where, texts, pages, split)
        counts = [page_counts(out, page) for out, page in zip(outputs, pages)]
        if split == 0:
            ours = counts
        runs.append(summarise(counts))
        show(f"{FOLDS}-fold cross-validated, split {split}", runs[-1])
    cv = {kind: tuple(float(np.mean([r[kind][j] for r in runs])) for j in range(3)) for kind in KINDS}
    spread = {kind: float(np.std([r[kind][2] for r in runs])) for kind in KINDS}
    show(f"mean of the {SPLITS} splits", cv)
    print(f"{'':38s} F1 standard deviation across splits: " + ", ".join(f"{k} {v:.4f}" for k, v in spread.items()))
    interval = public_interval([c[2] for c in ours])
    gain = public_interval([c[2] for c in ours], [c[2] for c in theirs])
    print(f"{'':38s} public F1 95% bootstrap interval over pages (split 0): {interval[0]:.3f}-{interval[1]:.3f}; "
          f"minus trafilatura's on the same draws: {gain[0]:+.3f} to {gain[1]:+.3f}")
    if args.no_write:
        return 0
    clf = HistGradientBoostingClassifier(**PARAMS).fit(X, y, sample_weight=w)
    spec = export(clf)
    spec["trained_on"] = {"pages": len(pages), "segments": int(len(y)), "cv": cv, "cv_splits": SPLITS,
                          "cv_f1_sd": spread,
                          "cv_public_f1_interval": interval, "cv_public_f1_minus_teacher_interval": gain}
    args.out.write_text(json.dumps(spec, separators=(",", ":")))
    print(f"wrote {args.out} ({len(spec['trees'])} trees, depth {spec['max_depth']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
