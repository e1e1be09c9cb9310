"""Hyperparameters chosen by validation (filters.quality_train): the record in meta.json, the near-chance warning,
imbalance handling, count features for graded labels."""

from __future__ import annotations

import json
import random

import pytest

from filters.quality_train import LINEAR_GRID, _candidates, train
from tests.conftest import ROOT

BASE = [json.loads(line)["text"] for line in (ROOT / "configs" / "data" / "quality_positive.jsonl").open()]
WORDS = ("telescope", "glacier", "violin", "enzyme", "harbor", "lantern")


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


@pytest.mark.slow  # a real search (15 s)
def test_selection_is_recorded_and_user_values_are_not_searched(tmp_path):
    pos = str(ROOT / "configs" / "data" / "quality_positive.jsonl")
    neg = str(ROOT / "configs" / "data" / "quality_negative.jsonl")
    train(str(tmp_path / "m"), positive=[pos], negative=[neg], model="linear", holdout=0.2)
    sel = json.loads((tmp_path / "m" / "meta.json").read_text())["selection"]
    assert sel["tuned"] and sel["metric"] == "roc_auc" and len(sel["candidates"]) == len(
        _candidates("linear", "classify", set()))
    assert sel["chosen"] in [{k: c[k] for k in sel["chosen"]} for c in sel["candidates"]]
    best = max(c["roc_auc"] for c in sel["candidates"])
    assert sel["chosen_score"]["roc_auc"] == pytest.approx(best, abs=1e-3)
    train(str(tmp_path / "m2"), positive=[pos], negative=[neg], model="linear", holdout=0.2, C=2.0)
    meta = json.loads((tmp_path / "m2" / "meta.json").read_text())
    assert meta["hyperparameters"]["C"] == 2.0 and all("C" not in c for c in meta["selection"]["candidates"])
    assert len(meta["selection"]["candidates"]) == len(LINEAR_GRID["class_weight"])
    train(str(tmp_path / "m3"), positive=[pos], negative=[neg], model="linear", holdout=0.2, tune=False)
    assert json.loads((tmp_path / "m3" / "meta.json").read_text())["selection"] == {"tuned": False}


@pytest.mark.slow  # a tuned search on real labels: `make test-slow`
def test_near_chance_labels_are_a_loud_warning(tmp_path, capsys):
    rng = random.Random(0)
    rows = [{"id": f"r{i}", "text": BASE[i % len(BASE)], "label": rng.choice(["good", "bad"])} for i in range(600)]
    src = _write(tmp_path / "random.jsonl", rows)  # random labels: ROC AUC on 300 held out is 0.5 +- 0.035
    m = train(str(tmp_path / "m"), input=[src], label_field="label", positive_value="good", model="linear", holdout=0.5)
    assert m["roc_auc"] < 0.6 and m["warnings"] and "near chance" in m["warnings"][0]
    assert json.loads((tmp_path / "m" / "metrics.json").read_text())["warnings"] == m["warnings"]
    from pipeline.cli import main

    assert main(["quality", "train", "--input", src, "--label-field", "label", "--positive-value", "good",
                 "--model", "linear", "--holdout", "0.5", "--output", str(tmp_path / "cli")]) == 0
    assert "winnow: warning: held-out ROC AUC" in capsys.readouterr().err


@pytest.mark.slow  # 7 s: two tuning runs: make test-slow (CI runs it)
def test_graded_labels_keep_counts(tmp_path):
    """The label is how many subject words a text holds: unit-norm TF-IDF alone blurs that, raw counts keep it."""
    rng = random.Random(1)
    rows = []
    for i in range(600):
        words = BASE[i % len(BASE)].split()[:150]
        k = rng.randint(0, 8)
        for _ in range(k):
            words.insert(rng.randrange(len(words) + 1), rng.choice(WORDS))
        rows.append({"id": f"g{i}", "text": " ".join(words), "score": k})
    src = _write(tmp_path / "graded.jsonl", rows)
    tuned = train(str(tmp_path / "t"), input=[src], label_field="score", model="linear", holdout=0.25)
    base = train(str(tmp_path / "b"), input=[src], label_field="score", model="linear", holdout=0.25, tune=False)
    chosen = json.loads((tmp_path / "t" / "meta.json").read_text())["selection"]["chosen"]
    assert chosen["counts"] is True
    assert tuned["spearman"] >= 0.8 and tuned["spearman"] > base["spearman"] + 0.1, (tuned["spearman"],
                                                                                    base["spearman"])


@pytest.mark.slow  # a tuned fastText search: `make test-slow`
def test_fasttext_balance_is_searched_for_imbalanced_classes(tmp_path):
    pos = [{"id": f"p{i}", "text": BASE[i], "label": "good"} for i in range(30)]
    neg = [{"id": f"n{i}", "text": json.loads(line)["text"], "label": "bad"}
           for i, line in enumerate((ROOT / "configs" / "data" / "quality_negative.jsonl").open())]
    src = _write(tmp_path / "imb.jsonl", pos + neg)
    train(str(tmp_path / "ft"), input=[src], label_field="label", positive_value="good", model="fasttext", holdout=0.2)
    meta = json.loads((tmp_path / "ft" / "meta.json").read_text())
    sel = meta["selection"]
    assert sel["tuned"] and {c["balance"] for c in sel["candidates"]} == {False, True}
    assert len(sel["candidates"]) == 8 and all(c["roc_auc"] is not None for c in sel["candidates"])
    assert sel["folds"] == 3 and sel["validation_docs"] == meta["counts"]["train"]  # each validated once


def test_folds_cover_every_document_once_and_follow_the_holdout_rule(monkeypatch):
    import filters.quality_train as qt
    from pipeline.holdout import in_holdout

    docs = [{"id": f"d{i}"} for i in range(3000)]
    fold, evaluated = qt._folds(docs, seed=4)
    assert evaluated == [0, 1, 2] and set(fold) == {0, 1, 2}
    assert all(800 < (fold == k).sum() < 1200 for k in range(3))
    monkeypatch.setattr(qt, "CV_MAX_DOCS", 1000)  # a large set: one validation fifth, the holdout rule's
    fold, evaluated = qt._folds(docs, seed=4)
    assert evaluated == [0]
    assert [f == 0 for f in fold] == [in_holdout(f"validation:{d['id']}", seed=4, fraction=0.2) for d in docs]


def test_fitting_on_the_active_columns_gives_the_same_model(monkeypatch):
    """quality_train.ActiveColumns drops hashed columns no training text has: the fit is the same model as on all
    2**20 columns (those get weight 0), at a fraction of the solver's CPU."""
    import json

    import numpy as np

    from filters import quality_train as qt
    from tests.conftest import ROOT

    texts, labels = [], []
    for label, name in ((1, "quality_positive"), (0, "quality_negative")):
        with open(ROOT / "configs" / "data" / f"{name}.jsonl") as f:
            rows = [json.loads(line)["text"] for line in f][:60]
        texts += rows
        labels += [label] * len(rows)
    order = np.random.default_rng(0).permutation(len(texts))
    train, test = order[:90], order[90:]
    hp = dict(qt.LINEAR_DEFAULTS, C=16.0, class_weight="balanced")
    fit = qt._fit_linear([texts[i] for i in train], np.array(labels)[train], "classify", hp, 0)
    assert 0 < len(fit.steps[1][1].columns_) < hp["n_features"] // 10

    class AllColumns(qt.ActiveColumns):
        def fit(self, X, y=None):
            self.columns_ = np.arange(X.shape[1])
            return self

    monkeypatch.setattr(qt, "ActiveColumns", AllColumns)
    full = qt._fit_linear([texts[i] for i in train], np.array(labels)[train], "classify", hp, 0)
    held = [texts[i] for i in test]
    assert np.allclose(fit.predict_proba(held), full.predict_proba(held), atol=1e-9)
