"""Training quality models (``winnow quality train``): read labelled documents, hold some out, fit, evaluate.

The model kinds, the directory they are written to and the scoring stage are in :mod:`filters.quality`.

- ``fasttext``: supervised fastText, ``wordNgrams=2`` (DCLM, Li et al. 2024), one thread and a seed.
- ``linear``: scikit-learn hashing vectoriser (word 1-2 grams, 2**20 buckets, sublinear TF-IDF) plus
  logistic regression, for small label sets and better calibrated probabilities.

Regression on graded labels (FineWeb-Edu's 0-5 educational scores, Penedo et al. 2024): ``linear`` fits
Ridge on the same features; ``fasttext`` trains on the labels rounded to integer classes (clipped to the
1st-99th percentile of the training labels so a few outliers do not each become a class).

Preprocessing choices, made on held-out parts of the shared real sets (figures in docs/measurements.md):
fastText lower-cases (it did at least as well lower-cased on both the SMS and the Stack Exchange labels). The
linear model lower-cases in its vectoriser and adds one feature, log(1 + characters), because TF-IDF rows have
unit norm, so they carry no length, and length alone ranks Stack Exchange answers by votes.

Hyperparameters are chosen by validation, not fixed (``tune``, on by default; ``--no-tune``): every candidate of
a small seeded grid (``FASTTEXT_GRID``, ``LINEAR_GRID`` / ``LINEAR_REGRESS_GRID``) is fitted and scored (ROC AUC,
or Spearman for graded labels) by 3-fold cross-validation over the training documents (folds by a hash of the id,
:func:`_folds`; above ``CV_MAX_DOCS`` documents one validation fifth), and the best mean score is refitted on all
training documents. Three folds, not one fifth: on a few hundred documents with few positives one fifth's ROC AUC
varies so much with the split that a single split picks the luckiest candidate rather than the best. Class
imbalance is a grid dimension: fastText ``balance`` oversamples the minority class, the linear model's
``class_weight`` reweights it. For graded labels the linear model may add raw n-gram counts beside TF-IDF
(``counts``): unit-norm TF-IDF blurs how often a word occurs. The grid, every candidate's validation score and
the choice are in ``meta.json`` (``selection``). Hyperparameters given explicitly are not searched. Measured in
``tests/bench/bench_quality.py`` against default fastText and a plain TF-IDF logistic regression.

A held-out ROC AUC below ``WEAK_AUC`` (or Spearman below ``WEAK_SPEARMAN``) is reported as a warning in
``metrics.json`` and by the command: such a model ranks documents barely better than chance.

Honest evaluation: a document is held out by :func:`pipeline.holdout.in_holdout` (a hash of seed and id),
so the split depends on neither file order nor text, and held-out documents never reach the trainer.
``metrics.json`` (:func:`classify_metrics`, :func:`regress_metrics`) is computed on the held-out part only.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import xxhash

from filters.quality import MAX_CHARS, QualityModel, _log_length, normalise_name, preprocess
from filters.quality_plots import calibration_plot
from pipeline.assets import sha256_file
from pipeline.atomic import atomic_write, atomic_write_json
from pipeline.errors import ConfigError, WinnowError
from pipeline.holdout import RULE as HOLDOUT_RULE
from pipeline.holdout import fold_of, in_holdout
from pipeline.manifest import package_versions
from pipeline.readers import DocumentReader
from pipeline.warc import resolve_inputs

MODELS = ("fasttext", "linear")
THRESHOLDS = tuple(round(0.1 * i, 1) for i in range(1, 10))
TOP_FRACTIONS = (0.1, 0.2)
# The base values (used as they are with tune off, or as the grid's fixed part): fastText's own lr and epoch,
# DCLM's word bigrams. dim 64 x 200,000 buckets: 51 MB of bucket rows plus 256 bytes a vocabulary word.
FASTTEXT_DEFAULTS = dict(lr=0.1, epoch=5, wordNgrams=2, dim=64, bucket=200_000, minCount=1, loss="softmax",
                         balance=False)
LINEAR_DEFAULTS = dict(C=1.0, alpha=1.0, n_features=2**20, ngram_max=2, class_weight=None, length_feature=True,
                       counts=False)
# wordNgrams stays 2: with 1, fastText drops its hash buckets and the model then differs from run to run with the
# same seed, even in fresh processes (with bigrams the model files were identical; docs/measurements.md).
FASTTEXT_GRID = dict(lr=[0.1, 0.5], epoch=[5, 25], balance=[False, True])
LINEAR_GRID = dict(C=[0.25, 1.0, 4.0, 16.0], class_weight=[None, "balanced"])
LINEAR_REGRESS_GRID = dict(alpha=[0.3, 1.0, 3.0, 10.0], counts=[False, True])
VALIDATION = 0.2  # of the training documents, for choosing hyperparameters on large sets
CV_FOLDS = 3  # cross-validation folds for sets up to CV_MAX_DOCS: one small validation fifth picks by noise
CV_MAX_DOCS = 20_000
MIN_TUNE_DOCS = 50  # fewer training documents than this: no validation split, the base values
WEAK_AUC = 0.6
WEAK_SPEARMAN = 0.2


# ---------------------------------------------------------------- reading labelled documents and the split


def split(docs: list[dict], holdout: float, seed: int) -> tuple[list[dict], list[dict]]:
    """(train, held-out) lists of labelled docs, by :func:`pipeline.holdout.in_holdout` on each doc's ``id``."""
    train, held = [], []
    for d in docs:
        (held if in_holdout(d["id"], seed=seed, fraction=holdout) else train).append(d)
    return train, held


def read_labelled(
    globs: list[str], text_field: str = "text", label_field: str | None = None, max_docs: int | None = None
) -> tuple[list[dict], dict]:
    """Documents as ``{"id", "text", "label"?}`` dicts, plus ``{file: bytes}``; files in sorted order.

    Files are read with :class:`pipeline.readers.DocumentReader` (rows need a ``text`` column to be
    documents). The training text is ``text`` or, for another ``text_field``, that metadata key. A file in
    which no document has the field is a ConfigError naming file and field; single documents without it
    (or, with ``label_field``, without a label) are skipped. ``max_docs`` stops reading after that many.
    """
    out: list[dict] = []
    sizes: dict[str, int] = {}
    for path, doc, text in iter_texts(globs, text_field):
        if path not in sizes:
            sizes[path] = _size(path)
        if text is None:
            continue
        item = {"id": doc.id, "text": text}
        if label_field is not None:
            if doc.metadata.get(label_field) is None:
                continue
            item["label"] = doc.metadata[label_field]
        out.append(item)
        if max_docs is not None and len(out) >= max_docs:
            return out, sizes
    return out, sizes


def iter_texts(globs: list[str], text_field: str = "text"):
    """(file, document, its training text or None where the field is not a string) of every document, streamed
    file by file in sorted order. A file with no documents, or in which no document has the field, is a
    ConfigError naming file and field (raised when the reader reaches its end)."""
    files = resolve_inputs(globs)
    reader = DocumentReader(files)
    for path in files:
        n_docs = n_text = 0
        for doc in reader.read_file(path):
            n_docs += 1
            text = doc.text if text_field == "text" else doc.metadata.get(text_field)
            text = text if isinstance(text, str) else None
            n_text += text is not None
            yield path, doc, text
        if not n_docs:
            raise ConfigError(f"{path}: no documents (the file is empty, or no row has a string 'text' field)")
        if not n_text:
            raise ConfigError(f"{path}: no document has the text field {text_field!r} (set --text-field)")


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return -1


def _labelled_set(positive, negative, input, label_field, positive_value, text_field, max_docs):
    """(docs with numeric ``label``, task, label info, input files)."""
    if positive or negative:
        if not (positive and negative):
            raise ConfigError("classification needs both --positive and --negative globs")
        pos, pos_files = read_labelled(positive, text_field, max_docs=max_docs)
        neg, neg_files = read_labelled(negative, text_field, max_docs=max_docs)
        both = sorted(set(pos_files) & set(neg_files))
        if both:
            raise ConfigError(f"files match both --positive and --negative: {', '.join(both)}")
        docs = [{**d, "label": 1.0} for d in pos] + [{**d, "label": 0.0} for d in neg]
        info = {"positive": sorted(pos_files), "negative": sorted(neg_files)}
        return docs, "classify", info, {**pos_files, **neg_files}
    if not (input and label_field):
        raise ConfigError("give --positive and --negative globs, or --input with --label-field")
    docs, files = read_labelled(input, text_field, label_field, max_docs)
    if not docs:
        raise ConfigError(f"no document in {', '.join(files)} has the label field {label_field!r}")
    if positive_value is not None:
        want = str(positive_value).lower()
        docs = [{**d, "label": float(str(d["label"]).lower() == want)} for d in docs]
        return docs, "classify", {"label_field": label_field, "positive_value": positive_value}, files
    for d in docs:
        v = d["label"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ConfigError(
                f"label field {label_field!r} must be numeric for regression (document {d['id']} has {v!r}); "
                "for a categorical field give --positive-value"
            )
        d["label"] = float(v)
    return docs, "regress", {"label_field": label_field}, files


# ---------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainOptions:
    """``winnow quality train``'s options, from a YAML ``--config`` and flags (flags win); see :func:`train`."""

    output: str | None = None
    positive: str | tuple[str, ...] | None = None
    negative: str | tuple[str, ...] | None = None
    input: str | tuple[str, ...] | None = None
    label_field: str | None = None
    positive_value: str | None = None
    model: str = "fasttext"
    text_field: str = "text"
    holdout: float = 0.1
    seed: int = 0
    max_docs: int | None = None
    tune: bool = True
    hyper: dict | None = None  # the model's hyperparameters (see train)

    def __post_init__(self):
        for key in ("positive", "negative", "input"):  # one glob or several
            if isinstance(getattr(self, key), str):
                object.__setattr__(self, key, (getattr(self, key),))
        if self.model not in MODELS:
            raise ValueError(f"model: {self.model!r} is not one of {', '.join(MODELS)}")

    def train(self) -> dict:
        if not self.output:
            raise ConfigError("quality train: --output MODEL_DIR is required (or `output:` in --config)")
        kw = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "hyper"}
        for key in ("positive", "negative", "input"):
            kw[key] = list(kw[key]) if kw[key] else None
        return train(**kw, **(self.hyper or {}))


def train(
    output: str,
    positive: list[str] | None = None,
    negative: list[str] | None = None,
    input: list[str] | None = None,
    label_field: str | None = None,
    model: str = "fasttext",
    text_field: str = "text",
    holdout: float = 0.1,
    seed: int = 0,
    max_docs: int | None = None,
    positive_value: str | None = None,
    tune: bool = True,
    **hyper,
) -> dict:
    """Train a quality model into ``output`` (model file, meta.json, metrics.json, calibration.png); return the metrics.

    Classification: ``positive`` and ``negative`` globs (label 1 / 0), or ``input`` with a categorical
    ``label_field`` and ``positive_value``. Regression: ``input`` with a numeric ``label_field``.
    ``hyper`` overrides the model's defaults (FASTTEXT_DEFAULTS / LINEAR_DEFAULTS, plus ``max_chars``,
    ``lower`` and, for regression, ``cut``: the label at or above which a document counts as good in the
    binary metrics). ``max_docs`` caps documents read per label set. ``tune``: choose the hyperparameters not
    given in ``hyper`` by validation (see the module docstring); off: the base values.
    """
    if model not in MODELS:
        raise ConfigError(f"unknown model type {model!r}; valid: {', '.join(MODELS)}")
    if not 0 <= holdout < 1:
        raise ConfigError(f"holdout must be in [0, 1), got {holdout}")
    defaults = {**(FASTTEXT_DEFAULTS if model == "fasttext" else LINEAR_DEFAULTS), "max_chars": MAX_CHARS}
    defaults["lower"] = model == "fasttext"
    cut = hyper.pop("cut", None)
    unknown = sorted(set(hyper) - set(defaults))
    if unknown:
        raise ConfigError(f"unknown {model} hyperparameter(s) {', '.join(unknown)}; valid: {', '.join(defaults)}")
    hp = {**defaults, **hyper}

    docs, task, label_info, files = _labelled_set(
        positive, negative, input, label_field, positive_value, text_field, max_docs
    )
    if not docs:
        raise ConfigError("no labelled documents were read")
    labels = np.array([d["label"] for d in docs])
    if task == "classify":
        counts = {"positive": int(labels.sum()), "negative": int(len(labels) - labels.sum())}
        if not counts["positive"] or not counts["negative"]:
            raise ConfigError(f"classification needs both classes; got {counts['positive']} positive and "
                              f"{counts['negative']} negative documents")
    elif np.unique(labels).size < 2:
        raise ConfigError(f"regression needs at least two distinct label values; all are {labels[0]}")

    train_docs, held = split(docs, holdout, seed)
    y_train = np.array([d["label"] for d in train_docs])
    if task == "classify" and len(np.unique(y_train)) < 2:
        raise ConfigError(f"after holding out {len(held)} documents, training has only one class; "
                          "add documents or lower --holdout")
    if task == "regress" and np.unique(y_train).size < 2:
        raise ConfigError("after the holdout split, training labels have a single value; add documents")

    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    prep = {"max_chars": hp.pop("max_chars"), "lower": hp.pop("lower"), "newlines": "to spaces"}
    x_train = [preprocess(d["text"], prep["max_chars"], prep["lower"]) for d in train_docs]
    selection = _select(model, task, train_docs, x_train, hp, set(hyper), seed) if tune else {"tuned": False}
    hp.update(selection.get("chosen", {}))
    if model == "fasttext":
        model_file = out / "model.bin"
        extra = _train_fasttext(x_train, y_train, task, hp, seed, model_file)
    else:
        model_file = out / "model.joblib"
        extra = _train_linear(x_train, y_train, task, hp, seed, model_file)

    meta = {
        "kind": model,
        "task": task,
        "name": normalise_name(out.resolve().name),
        "preprocessing": prep,
        "labels": {**label_info, **extra.pop("labels", {})},
        "counts": {"read": len(docs), "train": len(train_docs), "holdout": len(held)},
        "holdout": {"fraction": holdout, "rule": HOLDOUT_RULE},
        "seed": seed,
        "text_field": text_field,
        "hyperparameters": {**hp, **extra},
        "selection": selection,
        "versions": package_versions(("fasttext-numpy2-wheel", "scikit-learn", "numpy", "datatrove")),
        "model_file": model_file.name,
        "model_sha256": sha256_file(model_file),
        "inputs": [{"path": p, "bytes": s} for p, s in sorted(files.items())],
    }
    atomic_write_json(out / "meta.json", meta)
    atomic_write(out / "holdout_ids.txt", "".join(f"{d['id']}\n" for d in held))

    qm = QualityModel(str(out))
    y_held = np.array([d["label"] for d in held])
    p_held = qm.score([d["text"] for d in held]) if held else np.zeros(0)
    if not np.all(np.isfinite(p_held)):
        raise WinnowError("the trained model gives non-finite scores on held-out documents")
    train_text = {xxhash.xxh64_intdigest(t) for t in x_train}
    seen = np.array([xxhash.xxh64_intdigest(preprocess(d["text"], prep["max_chars"], prep["lower"])) in train_text
                     for d in held], dtype=bool)
    if task == "classify":
        metrics = classify_metrics(y_held, p_held)
        unseen = {"roc_auc": classify_metrics(y_held[~seen], p_held[~seen])["roc_auc"]}
    else:
        cut = cut if cut is not None else _default_cut(y_train)
        metrics = regress_metrics(y_held, p_held, cut)
        unseen = {"spearman": regress_metrics(y_held[~seen], p_held[~seen], cut)["spearman"]}
    # Exact duplicates across the split (e.g. repeated SMS) flatter the scores: report both.
    metrics = {"task": task, "model": model, "n_train": len(train_docs), "n_holdout": len(held),
               "holdout_texts_also_in_train": int(seen.sum()), "unseen_text": unseen, **metrics}
    metrics["warnings"] = _weak(metrics, len(held))
    atomic_write_json(out / "metrics.json", metrics)
    calibration_plot(out / "calibration.png", task, y_held, p_held, metrics)
    return metrics


def _train_fasttext(texts, y, task, hp, seed, model_file: Path) -> dict:
    """Train in a fresh process: fastText reads uninitialised memory (see _fresh_pages_for_large_allocations),
    and only a new process guarantees that memory is zero whatever ran before in this one (measured: the
    same training gave different models after other tests had run in the same process)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_train_fasttext_here, texts, y, task, hp, seed, model_file).result()


def _train_fasttext_here(texts, y, task, hp, seed, model_file: Path) -> dict:
    """fastText supervised, one thread and a seed (reproducible).

    fastText stops with "Encountered NaN." when training diverges (too high an lr on tiny or skewed data):
    lr is then quartered and training retried, up to six times; a model whose predictions on training
    texts are not finite is treated the same way. The lr that worked is recorded as ``lr_used``.
    """
    import fasttext

    if int(hp["bucket"]) * int(hp["dim"]) < _MMAP_THRESHOLD // 4:
        raise ConfigError(f"fastText bucket x dim must be at least {_MMAP_THRESHOLD // 4} "
                          f"(got {hp['bucket']} x {hp['dim']}); see _fresh_pages_for_large_allocations")
    _fresh_pages_for_large_allocations()
    labels: dict = {}
    if task == "classify":
        classes = y.astype(int)
    else:
        lo, hi = np.percentile(y, [1, 99])
        classes = np.clip(np.round(y), math.floor(lo), math.ceil(hi)).astype(int)
        labels = {"classes": sorted(int(c) for c in np.unique(classes)), "rounding": "round, clip to p1-p99"}
        if len(labels["classes"]) < 2:
            raise ConfigError("regression with fasttext: rounded labels form a single class; use --model linear")
    rng = np.random.default_rng(seed)  # fastText reads the file in order: shuffle so classes interleave
    hp = dict(hp)
    order = np.arange(len(texts))
    if hp.pop("balance", False) and task == "classify":  # oversample every class to the largest one's count
        sizes = np.bincount(classes)
        order = np.concatenate([rng.choice(np.flatnonzero(classes == c), size=int(sizes.max()),
                                           replace=int(sizes.max()) > n) if n else np.array([], dtype=int)
                                for c, n in enumerate(sizes)])
    order = rng.permutation(order)
    lr = lr0 = float(hp["lr"])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "train.txt")
        with open(path, "w", encoding="utf-8") as f:
            for i in order:
                f.write(f"__label__{classes[i]} {texts[i]}\n")
        probe = [texts[i] for i in order[:200]]
        for _attempt in range(6):
            try:
                ft = fasttext.train_supervised(input=path, **{**hp, "lr": lr}, thread=1, seed=seed, verbose=0)
            except RuntimeError as e:
                if "NaN" not in str(e):
                    raise
                lr /= 4
                continue
            _, probs = ft.predict(probe, k=-1, threshold=0.0)
            if all(np.all(np.isfinite(p)) for p in probs):
                break
            lr /= 4
        else:
            raise WinnowError(f"fastText training on {len(texts)} documents gave NaN at every lr from {lr0:g} "
                              f"down to {lr * 4:.2g}; add documents or use --model linear")
    atomic_write(model_file, lambda tmp: ft.save_model(str(tmp)))
    return {"lr_used": lr, "thread": 1, "labels": labels}


_MMAP_THRESHOLD = 64 * 1024  # bytes


def _fresh_pages_for_large_allocations() -> None:
    """Make fastText's uninitialised input-matrix rows zero, so thread=1 training is reproducible.

    fastText 0.9.2 initialises its input matrix in ten blocks, one per training thread
    (``DenseMatrix::uniform``), so with ``thread=1`` only the first tenth is random and the rest is
    whatever the allocator hands back. Reused heap memory made two identical runs in one process differ
    and sometimes fail with "Encountered NaN." even at lr 0.01 (measured). Fixing glibc's mmap threshold
    at 64 KiB serves every larger allocation with fresh, zeroed pages (matrices of 16 MB and up already
    were). glibc only; a no-op elsewhere.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt(-3, _MMAP_THRESHOLD)  # -3 = M_MMAP_THRESHOLD
    except (OSError, AttributeError, TypeError):
        pass


def _fit_linear(texts, y, task, hp, seed):
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.preprocessing import FunctionTransformer

    def hashing():
        return HashingVectorizer(n_features=int(hp["n_features"]), ngram_range=(1, int(hp["ngram_max"])),
                                 alternate_sign=False, norm=None, lowercase=True)

    if task == "classify":
        est = LogisticRegression(C=float(hp["C"]), max_iter=2000, class_weight=hp["class_weight"],
                                 random_state=seed, solver="lbfgs")  # lbfgs leaves the intercept
        # unpenalised (liblinear penalises it, and the log-length feature then stood in for it with a negative weight)
    else:
        est = Ridge(alpha=float(hp["alpha"]), random_state=seed)
    parts = [make_pipeline(hashing(), TfidfTransformer(sublinear_tf=True))]
    if hp.get("counts"):  # raw n-gram counts: how often a word occurs, which unit-norm TF-IDF blurs
        parts.append(hashing())
    if hp["length_feature"]:  # TF-IDF rows have unit norm, so length is otherwise invisible to the model
        parts.append(FunctionTransformer(_log_length, accept_sparse=True))
    features = parts[0] if len(parts) == 1 else make_union(*parts)
    pipe = make_pipeline(features, ActiveColumns(), est)
    pipe.fit(texts, y)
    return pipe


class ActiveColumns:
    """Keep only the feature columns that occur in the training matrix.

    A column no training document has gets weight 0 from an L2-penalised fit whatever the solver does, but
    lbfgs still carries all 2**20 hashed columns through every step, and on small label sets most of the
    training CPU goes there. Dropping them fits the same model on a few thousand columns (predictions equal
    within the solver's tolerance, ``tests/test_quality.py``)."""

    def fit(self, X, y=None):
        self.columns_ = np.unique(X.tocsr().indices)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        return X.tocsr()[:, self.columns_]

    def fit_transform(self, X, y=None):
        return self.fit(X, y).transform(X)

    def get_params(self, deep=True):  # sklearn's clone and repr
        return {}

    def set_params(self, **params):
        return self


def _train_linear(texts, y, task, hp, seed, model_file: Path) -> dict:
    import joblib

    fitted = _fit_linear(texts, y, task, hp, seed)
    atomic_write(model_file, lambda tmp: joblib.dump(fitted, tmp))
    return {}


# ---------------------------------------------------------------- choosing hyperparameters by validation


def _candidates(model: str, task: str, fixed: set[str]) -> list[dict]:
    """Every combination of the grid's values, keys given explicitly left out."""
    import itertools

    grid = FASTTEXT_GRID if model == "fasttext" else (LINEAR_GRID if task == "classify" else LINEAR_REGRESS_GRID)
    grid = {k: v for k, v in grid.items() if k not in fixed and not (k == "balance" and task != "classify")}
    return [dict(zip(grid, values)) for values in itertools.product(*grid.values())] if grid else []


def _folds(train_docs: list[dict], seed: int) -> tuple[np.ndarray, list[int]]:
    """(each document's validation fold, the folds evaluated): ``CV_FOLDS`` folds, all evaluated, for up to
    ``CV_MAX_DOCS`` training documents; above that one fifth (fold 0 of 5), as training a grid K times over
    costs more than it helps there. The fold reads only the id and seed (:func:`pipeline.holdout.fold_of` of
    ``validation:<id>``, a salt apart from the held-out split)."""
    small = len(train_docs) <= CV_MAX_DOCS
    k = CV_FOLDS if small else round(1 / VALIDATION)
    fold = np.array([fold_of(f"validation:{d['id']}", seed=seed, folds=k) for d in train_docs])
    return fold, list(range(k)) if small else [0]


def _select(model, task, train_docs, x_train, hp, fixed, seed) -> dict:
    """Fit each candidate on all folds but one, score it on the fold left (see :func:`_folds`), average over the
    folds evaluated; return the record (grid, each candidate's mean validation score, the chosen values). Skipped,
    and said why, when the training set is too small or a fold lacks a class."""
    cands = _candidates(model, task, fixed)
    if not cands:
        return {"tuned": False, "why": "every searched hyperparameter was given"}
    if len(train_docs) < MIN_TUNE_DOCS:
        return {"tuned": False, "why": f"fewer than {MIN_TUNE_DOCS} training documents"}
    fold, evaluated = _folds(train_docs, seed)
    y = np.array([d["label"] for d in train_docs])
    jobs = []
    for k in evaluated:
        val = fold == k
        if task == "classify" and (len(np.unique(y[val])) < 2 or len(np.unique(y[~val])) < 2):
            return {"tuned": False, "why": f"validation fold {k} lacks a class"}
        if task == "regress" and (np.std(y[val]) == 0 or np.unique(y[~val]).size < 2):
            return {"tuned": False, "why": f"validation fold {k} has constant labels"}
        jobs.append(([x for x, v in zip(x_train, val) if not v], y[~val], [x for x, v in zip(x_train, val) if v],
                     y[val]))
    grid = [{**hp, **c} for c in cands]
    if model == "fasttext":
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            per_fold = [pool.submit(_validate_fasttext, *job, task, grid, seed).result() for job in jobs]
    else:
        per_fold = [_validate_linear(*job, task, grid, seed) for job in jobs]
    scores = []  # a candidate that failed on any fold is out
    for i in range(len(cands)):
        got = [f[i] for f in per_fold]
        scores.append(None if any(g is None for g in got) else tuple(float(np.mean(v)) for v in zip(*got)))
    # the best mean ranking score, rounded to 3 places; ties go to the smaller squared error (better calibrated)
    best = max(range(len(cands)), key=lambda i: (round(scores[i][0], 3), -scores[i][1], -i) if scores[i] else
               (-np.inf, 0.0, -i))
    metric, error = ("roc_auc", "brier") if task == "classify" else ("spearman", "mse")

    def rec(sc):
        return {metric: None, error: None} if sc is None else {metric: round(sc[0], 4), error: round(sc[1], 4)}

    return {"tuned": True, "metric": metric, "tie_breaker": error, "folds": len(evaluated),
            "fit_docs": len(jobs[0][0]), "validation_docs": sum(len(j[2]) for j in jobs), "seed": seed,
            "candidates": [{**c, **rec(sc)} for c, sc in zip(cands, scores)],
            "chosen": cands[best], "chosen_score": rec(scores[best])}


def _validation_score(task: str, y: np.ndarray, p: np.ndarray) -> tuple[float, float] | None:
    """(ranking score: ROC AUC or Spearman, squared error: Brier score or MSE, the tie-breaker), or None."""
    if not np.all(np.isfinite(p)):
        return None
    err = float(np.mean((p - y) ** 2))
    if task == "classify":
        from sklearn.metrics import roc_auc_score

        return float(roc_auc_score(y.astype(int), p)), err
    from scipy.stats import spearmanr

    return (float(spearmanr(y, p).statistic), err) if np.std(p) > 0 else None


def _validate_fasttext(x_fit, y_fit, x_val, y_val, task, candidates, seed) -> list[tuple[float, float] | None]:
    """Runs in a fresh process (see _train_fasttext): each candidate trained and scored on the validation texts."""
    import fasttext

    from filters.quality import model_scores

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, hp in enumerate(candidates):
            path = Path(tmp) / f"candidate{i}.bin"
            try:
                _train_fasttext_here(x_fit, y_fit, task, hp, seed, path)
            except (ConfigError, WinnowError):
                out.append(None)
                continue
            out.append(_validation_score(task, y_val, model_scores(fasttext.load_model(str(path)), "fasttext", task,
                                                                   x_val)))
            path.unlink()
    return out


def _validate_linear(x_fit, y_fit, x_val, y_val, task, candidates, seed) -> list[tuple[float, float] | None]:
    from filters.quality import model_scores

    return [_validation_score(task, y_val, model_scores(_fit_linear(x_fit, y_fit, task, hp, seed), "linear", task,
                                                        x_val)) for hp in candidates]


def _weak(metrics: dict, n_held: int) -> list[str]:
    """Warnings for a model that ranks held-out documents barely better than chance."""
    if metrics["task"] == "classify" and metrics.get("roc_auc") is not None and metrics["roc_auc"] < WEAK_AUC:
        return [f"held-out ROC AUC {metrics['roc_auc']:.3f} on {n_held} documents is near chance (below {WEAK_AUC}):"
                " the labels may not be learnable from the text, or there are too few of them"]
    if metrics["task"] == "regress" and metrics.get("spearman") is not None and metrics["spearman"] < WEAK_SPEARMAN:
        return [f"held-out Spearman {metrics['spearman']:.3f} on {n_held} documents is near chance (below "
                f"{WEAK_SPEARMAN}): the grades may not be learnable from the text, or there are too few of them"]
    return []


# ---------------------------------------------------------------- held-out metrics


def classify_metrics(y: np.ndarray, p: np.ndarray) -> dict:
    """ROC AUC, average precision, accuracy at 0.5, Brier score; precision/recall/F1 at thresholds and top fractions."""
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y = y.astype(int)
    both = len(np.unique(y)) == 2
    m = {
        "positive_rate": float(y.mean()) if len(y) else None,
        "roc_auc": float(roc_auc_score(y, p)) if both else None,
        "average_precision": float(average_precision_score(y, p)) if both else None,
        "accuracy": float(((p >= 0.5) == y).mean()) if len(y) else None,
        "brier": float(brier_score_loss(y, p)) if len(y) and 0 <= p.min() and p.max() <= 1 else None,
        "note": None if both else "held-out part lacks one class: ranking metrics undefined",
    }
    m["thresholds"] = {f"{t:.1f}": _prf(y, p >= t) for t in THRESHOLDS}
    top = {}
    for frac in TOP_FRACTIONS:
        k = max(1, int(round(frac * len(y)))) if len(y) else 0
        keep = np.zeros(len(y), dtype=bool)
        keep[np.argsort(-p, kind="stable")[:k]] = True
        top[f"{frac:.1f}"] = _prf(y, keep)
    m["top_fraction"] = top
    return m


def _prf(y: np.ndarray, keep: np.ndarray) -> dict:
    tp = int((keep & (y == 1)).sum())
    n_keep, n_pos = int(keep.sum()), int((y == 1).sum())
    prec = tp / n_keep if n_keep else None
    rec = tp / n_pos if n_pos else None
    f1 = 2 * prec * rec / (prec + rec) if prec and rec else 0.0
    return {"precision": prec, "recall": rec, "f1": f1, "kept_fraction": n_keep / len(y) if len(y) else None}


def regress_metrics(y: np.ndarray, p: np.ndarray, cut: float) -> dict:
    """Spearman, Pearson, MAE, RMSE on the held-out part, plus binary metrics for label >= ``cut``."""
    from scipy.stats import pearsonr, spearmanr

    ok = len(y) > 2 and np.std(y) > 0 and np.std(p) > 0
    m = {
        "spearman": float(spearmanr(y, p).statistic) if ok else None,
        "pearson": float(pearsonr(y, p).statistic) if ok else None,
        "mae": float(np.abs(y - p).mean()) if len(y) else None,
        "rmse": float(np.sqrt(((y - p) ** 2).mean())) if len(y) else None,
        "cut": cut,
    }
    m["binary_at_cut"] = {k: v for k, v in classify_metrics((y >= cut).astype(int), p).items()
                          if k in ("positive_rate", "roc_auc", "average_precision", "top_fraction", "note")}
    m["binary_at_cut"]["predicted_at_cut"] = _prf((y >= cut).astype(int), p >= cut) if len(y) else None
    return m


def _default_cut(y_train: np.ndarray) -> float:
    """3 for labels within 0-5 (FineWeb-Edu keeps >= 3); otherwise the training median."""
    if y_train.min() >= 0 and y_train.max() <= 5:
        return 3.0
    return float(np.median(y_train))
