"""Model-based quality scores: the ``quality_score_v1`` stage and the trained model it loads.

Score first, decide late: :class:`QualityScore` (``quality_score_v1``) writes ``quality_<name>`` (float,
higher = better) into every document and drops nothing; thresholds are applied later. Models are trained by
``winnow quality train`` (:mod:`filters.quality_train`); two kinds:

- ``fasttext``: supervised fastText over word unigrams and bigrams, the DCLM quality classifier's recipe
  (Li et al. 2024, "DataComp-LM"). Classifier score = P(positive label); regressor score = the expected
  grade, sum over classes of P(class) * class, as FineWeb-Edu turns its classifier into a score (Penedo
  et al. 2024).
- ``linear``: a scikit-learn pipeline (hashed word 1-2 grams, sublinear TF-IDF, by default plus
  log(1 + characters)) with logistic regression (score = P(positive), 0-1) or Ridge (score = predicted
  grade, label units).

A model directory, as ``train`` writes it and :class:`QualityModel` reads it:

- ``meta.json``: ``kind`` (fasttext | linear), ``task`` (classify | regress), ``model_file``,
  ``model_sha256`` (checked before loading), ``preprocessing`` (``max_chars``, ``lower``), and the
  training record (labels, counts, holdout rule, seed, hyperparameters, versions, inputs);
- the model file: ``model.bin`` (fastText) or ``model.joblib`` (scikit-learn pipeline);
- ``metrics.json``, ``calibration.png``, ``holdout_ids.txt``: the held-out evaluation.

Text preprocessing, identical at training and scoring time and recorded in ``meta.json``: only the first
``max_chars`` characters (10,000 by default) are used, newlines become spaces, and for fastText the text is
lower-cased (the measurements are in :mod:`filters.quality_train`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
from datatrove.data import Document

from pipeline.assets import sha256_file
from pipeline.errors import ConfigError, WinnowError
from pipeline.stage import Column, Stage, register

MAX_CHARS = 10_000


def preprocess(text: str, max_chars: int = MAX_CHARS, lower: bool = False) -> str:
    """The text a model sees: first ``max_chars`` characters, newlines to spaces, optionally lower-cased.

    fastText splits tokens on any ASCII whitespace and skips empty ones, so only newlines (its end of
    line) need replacing; a regex collapsing whitespace cost as much CPU as the prediction itself.
    """
    text = text[:max_chars].replace("\n", " ")
    return text.lower() if lower else text


# Referenced by name from every pickled linear model (model.joblib): it must stay here, under this name.
def _log_length(texts) -> np.ndarray:
    """log(1 + characters) / 10: one column, about 0.3-0.9 for 20-10,000 characters."""
    return np.log1p(np.array([len(t) for t in texts], dtype=np.float64))[:, None] / 10


class QualityModel:
    """A trained model directory; ``score(texts)`` -> float64 array, higher = better. Loads the model lazily."""

    def __init__(self, model_dir: str):
        self.model_dir = str(Path(model_dir).resolve())
        meta_path = Path(self.model_dir) / "meta.json"
        if not meta_path.is_file():
            raise ConfigError(
                f"quality model {model_dir!r}: no meta.json there (train one with `winnow quality train`)"
            )
        self.meta = json.loads(meta_path.read_text())
        self.model_path = str(Path(self.model_dir) / self.meta["model_file"])
        if not Path(self.model_path).is_file():
            raise ConfigError(f"quality model {model_dir!r}: model file {self.model_path} is missing")
        self._model = None

    @classmethod
    def load(cls, model_dir: str) -> "QualityModel":
        return cls(model_dir)

    def __getstate__(self):
        return {**self.__dict__, "_model": None}

    @property
    def model(self):
        if self._model is None:
            if sha256_file(self.model_path) != self.meta["model_sha256"]:
                raise WinnowError(f"{self.model_path}: checksum differs from meta.json (file changed after training)")
            if self.meta["kind"] == "fasttext":
                import fasttext

                self._model = fasttext.load_model(self.model_path)
            else:
                import joblib

                self._model = joblib.load(self.model_path)
        return self._model

    def score(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.float64)
        prep = self.meta["preprocessing"]
        xs = [preprocess(t or "", prep["max_chars"], prep["lower"]) for t in texts]
        return model_scores(self.model, self.meta["kind"], self.meta["task"], xs)


def model_scores(m, kind: str, task: str, xs: list[str]) -> np.ndarray:
    """Scores of preprocessed texts by a loaded model (``kind`` fasttext | linear, ``task`` classify | regress)."""
    if kind == "linear":
        if task == "classify":
            return m.predict_proba(xs)[:, 1].astype(np.float64)
        return m.predict(xs).astype(np.float64)
    if task == "classify":  # two classes: P(1) from the top label alone
        labels, probs = m.predict(xs, k=1, threshold=0.0)
        out = np.array([p[0] if lab[0] == "__label__1" else 1.0 - p[0] for lab, p in zip(labels, probs)],
                       dtype=np.float64)
        return np.clip(out, 0.0, 1.0)
    # regress: expected class (FineWeb-Edu style), over all classes, probabilities renormalised
    labels, probs = m.predict(xs, k=-1, threshold=0.0)
    value = {lab: float(lab.removeprefix("__label__")) for lab in m.labels}
    out = np.empty(len(xs), dtype=np.float64)
    for i, (ls, ps) in enumerate(zip(labels, probs)):
        ps = np.clip(np.asarray(ps, dtype=np.float64), 0.0, 1.0)
        out[i] = ps @ np.array([value[lab] for lab in ls]) / max(ps.sum(), 1e-12)
    return out


@register("quality_score_v1")
class QualityScore(Stage):
    """Write ``quality_<name>`` (float, higher = better) into every document with a trained model; drops nothing.

    ``model`` is a directory written by ``winnow quality train`` (checked when the pipeline is built).
    ``name`` sets the column suffix (default: the directory's name, lower-cased, other characters to
    ``_``). The score is P(positive) in 0-1 for classifiers (DCLM, Li et al. 2024) and the expected grade
    in label units for regressors (FineWeb-Edu, Penedo et al. 2024). Documents are scored in batches of
    ``batch_size``.
    """

    columns = (Column("quality_<name>", pa.float64(), "the model's score: P(positive) 0..1, or the expected grade"),)

    def __init__(self, model: str, name: str | None = None, batch_size: int = 256, exclusion_writer=None):
        super().__init__(exclusion_writer, batch_size=batch_size)
        path = Path(model)
        if not path.is_dir():
            raise ConfigError(f"stages.quality_score_v1.model: {model!r} is not a directory (train one with "
                              "`winnow quality train`)")
        self.qm = QualityModel(str(path))
        self.model_path = self.qm.model_path  # listed in the run manifest
        suffix = normalise_name(name if name is not None else path.resolve().name)
        if not suffix:
            raise ConfigError(f"stages.quality_score_v1.name: {name!r} gives an empty column name")
        self.column = f"quality_{suffix}"
        self.columns = (Column(self.column, pa.float64(), f"score of the quality model in {model}: P(positive) "
                               "0..1 for a classifier, the expected grade for a regressor"),)

    def filter(self, doc: Document) -> bool:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[Document]) -> list[bool]:
        scores = self.qm.score([d.text if isinstance(d.text, str) else "" for d in batch])
        for doc, s in zip(batch, scores):
            doc.metadata[self.column] = float(s)
        return [True] * len(batch)


def normalise_name(name: str) -> str:
    """A model or directory name as a column suffix: lower case, runs of other characters to ``_``."""
    return re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
