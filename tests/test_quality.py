"""Quality classifiers (filters/quality.py, filters/quality_train.py): train, held-out metrics, scoring stage,
bad input, tiny data."""

from __future__ import annotations

import json
import pickle
import random

import numpy as np
import pytest
from datatrove.data import Document

from filters.quality import QualityModel, QualityScore
from filters.quality_train import read_labelled, split, train
from pipeline.errors import ConfigError, WinnowError
from pipeline.holdout import RULE, in_holdout
from tests.conftest import shared_data

SMALL_FT = dict(dim=16, bucket=20_000, epoch=10)  # small, fast fastText models for tests


def _sms():
    return str(shared_data("quality", "sms_spam_collection.jsonl.gz"))


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


@pytest.fixture(scope="module")
def sms_fasttext(tmp_path_factory):
    out = tmp_path_factory.mktemp("q") / "sms_ft"
    metrics = train(str(out), input=[_sms()], label_field="label", positive_value="ham", model="fasttext",
                    holdout=0.2, max_docs=2000, **SMALL_FT)
    return out, metrics


def test_fasttext_sms_metrics_and_files(sms_fasttext):
    out, metrics = sms_fasttext
    assert {p.name for p in out.iterdir()} >= {"model.bin", "meta.json", "metrics.json", "calibration.png"}
    on_disk = json.loads((out / "metrics.json").read_text())
    assert on_disk == json.loads(json.dumps(metrics))
    assert metrics["task"] == "classify" and metrics["n_train"] + metrics["n_holdout"] == 2000
    assert metrics["roc_auc"] > 0.9 and metrics["average_precision"] > 0.9
    assert set(metrics["thresholds"]) == {f"{t / 10:.1f}" for t in range(1, 10)}
    assert set(metrics["top_fraction"]) == {"0.1", "0.2"}
    assert metrics["top_fraction"]["0.1"]["precision"] > 0.95  # ham is 87%; top scores should be all ham
    assert 0.8 < metrics["positive_rate"] < 0.95
    meta = json.loads((out / "meta.json").read_text())
    assert meta["kind"] == "fasttext" and meta["task"] == "classify" and meta["name"] == "sms_ft"
    assert meta["hyperparameters"]["wordNgrams"] == 2 and meta["hyperparameters"]["thread"] == 1
    assert meta["counts"] == {"read": 2000, "train": metrics["n_train"], "holdout": metrics["n_holdout"]}
    assert meta["inputs"][0]["bytes"] > 0 and len(meta["model_sha256"]) == 64
    assert meta["preprocessing"]["max_chars"] == 10_000 and meta["versions"]["fasttext-numpy2-wheel"]


def test_holdout_never_in_training_and_independent_of_order(sms_fasttext, tmp_path):
    out, metrics = sms_fasttext
    docs, _ = read_labelled([_sms()], label_field="label", max_docs=2000)
    train_docs, held = split(docs, 0.2, seed=0)
    train_ids, held_ids = {d["id"] for d in train_docs}, {d["id"] for d in held}
    assert not train_ids & held_ids and len(train_ids | held_ids) == len(docs)
    assert (out / "holdout_ids.txt").read_text().split() == [d["id"] for d in held]
    assert metrics["n_holdout"] == len(held)
    shuffled = list(docs)
    random.Random(1).shuffle(shuffled)
    assert {d["id"] for d in split(shuffled, 0.2, seed=0)[1]} == held_ids
    assert {d["id"] for d in split(docs, 0.2, seed=1)[1]} != held_ids  # the seed moves the split
    assert abs(len(held) / len(docs) - 0.2) < 0.03
    # the one project-wide rule (pipeline.holdout), recorded in meta.json
    assert held_ids == {d["id"] for d in docs if in_holdout(d["id"], seed=0, fraction=0.2)}
    assert json.loads((out / "meta.json").read_text())["holdout"] == {"fraction": 0.2, "rule": RULE}


@pytest.mark.slow  # trains twice: `make test-slow`
def test_same_seed_same_scores(tmp_path):
    texts = ["Free entry! Text WIN to 80086 now", "Ok, see you at the station at six.", ""]
    for model, hyper in (("fasttext", SMALL_FT), ("linear", {})):
        scores = []
        for run in ("a", "b"):
            train(str(tmp_path / f"{model}_{run}"), input=[_sms()], label_field="label", positive_value="ham",
                  model=model, max_docs=800, **hyper)
            scores.append(QualityModel.load(str(tmp_path / f"{model}_{run}")).score(texts))
        assert scores[0].dtype == np.float64 and np.isfinite(scores[0]).all()
        np.testing.assert_array_equal(scores[0], scores[1])
        assert scores[0][1] > scores[0][0]  # ham above spam


@pytest.mark.slow  # an evaluation on real text: `make test-slow`
def test_linear_clean_vs_web_pair(tmp_path):
    pos = str(shared_data("domains", "scientific_scitldr_abstracts.jsonl.gz"))
    neg = str(shared_data("domains", "qa_stackexchange_coffee_beer.jsonl.gz"))
    m = train(str(tmp_path / "pair"), positive=[pos], negative=[neg], model="linear", max_docs=400, holdout=0.25)
    assert m["roc_auc"] > 0.97 and m["brier"] < 0.1
    assert (tmp_path / "pair" / "model.joblib").is_file() and (tmp_path / "pair" / "calibration.png").is_file()


@pytest.mark.slow  # an evaluation on real labelled data: `make test-slow`
def test_regression_on_stack_exchange_votes(tmp_path):
    se = str(shared_data("quality", "stackexchange_answers_coffee_beer.jsonl.gz"))
    m = train(str(tmp_path / "se_lin"), input=[se], label_field="score", model="linear", holdout=0.2)
    assert m["task"] == "regress" and m["spearman"] > 0.25  # measured 0.41 (text length alone: 0.40)
    assert {"pearson", "mae", "rmse", "cut", "binary_at_cut"} <= set(m)
    assert m["binary_at_cut"]["roc_auc"] > 0.6
    ft = train(str(tmp_path / "se_ft"), input=[se], label_field="score", model="fasttext", holdout=0.2, **SMALL_FT)
    meta = json.loads((tmp_path / "se_ft" / "meta.json").read_text())
    classes = meta["labels"]["classes"]
    s = QualityModel.load(str(tmp_path / "se_ft")).score(["Grind just before brewing.", "no idea"])
    assert np.isfinite(s).all() and (min(classes) <= s).all() and (s <= max(classes)).all()
    assert ft["spearman"] is not None


def test_graded_labels_0_to_5_cut_at_3(tmp_path):
    rows = [{"id": f"d{i}", "text": ("good " * (i % 6 + 1)) + f"doc {i}", "edu": i % 6} for i in range(300)]
    m = train(str(tmp_path / "edu"), input=[_write(tmp_path / "edu.jsonl", rows)], label_field="edu",
              model="linear", holdout=0.3)
    assert m["cut"] == 3.0 and m["spearman"] > 0.8


def test_bad_input_is_a_config_error(tmp_path):
    good = _write(tmp_path / "good.jsonl", [{"id": f"g{i}", "text": f"fine text {i}"} for i in range(20)])
    other = _write(tmp_path / "other.jsonl", [{"id": f"o{i}", "text": f"other text {i}"} for i in range(20)])
    empty = _write(tmp_path / "empty.jsonl", [])
    no_text = _write(tmp_path / "body.jsonl", [{"id": "b", "body": "text under another name"}])
    out = str(tmp_path / "m")
    cases = [
        (dict(positive=[empty], negative=[good]), "empty.jsonl"),
        (dict(positive=[no_text], negative=[good]), "body.jsonl"),
        (dict(positive=[good], negative=[other], text_field="title"), "'title'"),
        (dict(positive=[good], negative=[other], model="bert"), "unknown model type 'bert'; valid: fasttext, linear"),
        (dict(positive=[good], negative=[str(tmp_path / "nothing*.jsonl")]), "no files match"),
        (dict(positive=[good]), "both --positive and --negative"),
        (dict(positive=[good], negative=[good]), "both --positive and --negative"),
        (dict(input=[_sms()], label_field="label", positive_value="neither", max_docs=50), "needs both classes"),
        (dict(input=[_sms()], label_field="label", max_docs=50), "must be numeric"),
        (dict(positive=[good], negative=[other], model="linear", dims=3), "unknown linear hyperparameter"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ConfigError) as e:
            train(out, **kwargs)
        assert message in str(e.value), (kwargs, str(e.value))


def test_text_field_from_metadata(tmp_path):
    def rows(tag, n):
        return [{"id": f"{tag}{i}", "text": "x", "body": f"{tag} words here {i}"} for i in range(n)]

    m = train(str(tmp_path / "m"), positive=[_write(tmp_path / "p.jsonl", rows("alpha", 30))],
              negative=[_write(tmp_path / "n.jsonl", rows("beta", 30))], text_field="body", model="linear",
              holdout=0.3)
    assert m["roc_auc"] == 1.0


@pytest.mark.parametrize("n_pos,n_neg", [(3, 200), (2, 2)])
def test_fasttext_tiny_or_skewed_gives_working_model_or_clear_error(tmp_path, n_pos, n_neg):
    sms, _ = read_labelled([_sms()], label_field="label", max_docs=1500)
    ham = [d for d in sms if d["label"] == "ham"][:n_pos]
    spam = [d for d in sms if d["label"] == "spam"][:n_neg]
    pos = _write(tmp_path / "pos.jsonl", [{"id": d["id"], "text": d["text"]} for d in ham])
    neg = _write(tmp_path / "neg.jsonl", [{"id": d["id"], "text": d["text"]} for d in spam])
    try:
        m = train(str(tmp_path / "m"), positive=[pos], negative=[neg], model="fasttext", holdout=0.0, **SMALL_FT)
    except (ConfigError, WinnowError) as e:
        assert "documents" in str(e)  # says what is wrong and what to do
        return
    assert m["n_holdout"] == 0 and m["roc_auc"] is None
    s = QualityModel.load(str(tmp_path / "m")).score([d["text"] for d in ham + spam] + ["", "x" * 50_000])
    assert np.isfinite(s).all() and ((0 <= s) & (s <= 1)).all()


def test_score_stage_keeps_every_document_and_writes_the_column(sms_fasttext, tmp_path):
    out, _ = sms_fasttext
    stage = QualityScore(model=str(out), batch_size=7)
    assert stage.column == "quality_sms_ft" and stage.model_path.endswith("model.bin")
    stage = pickle.loads(pickle.dumps(stage))  # as the executor ships it to a worker, model not loaded
    assert stage.qm._model is None
    texts = ["WIN cash now!!! call 0800", "see you later", "", "x" * 30_000] * 5
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]
    kept = list(stage.run(iter(docs)))
    assert len(kept) == len(docs)
    scores = [d.metadata["quality_sms_ft"] for d in kept]
    assert all(isinstance(s, float) and 0 <= s <= 1 for s in scores)
    assert scores[1] > scores[0]
    assert QualityScore(model=str(out), name="My Model-2").column == "quality_my_model_2"


def test_score_stage_missing_model_fails_at_build(tmp_path):
    with pytest.raises(ConfigError, match="nope"):
        QualityScore(model=str(tmp_path / "nope"))
    (tmp_path / "half").mkdir()
    with pytest.raises(ConfigError, match="meta.json"):
        QualityScore(model=str(tmp_path / "half"))
