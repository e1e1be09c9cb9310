"""`winnow quality train` (config file and flags) and `winnow quality score` end to end."""

import json

import pyarrow.parquet as pq

from pipeline.cli import main
from tests.conftest import ROOT


def test_train_from_the_recipe_then_score(tmp_path, capsys):
    model = tmp_path / "model"
    assert main(["quality", "train", "--config", str(ROOT / "configs" / "quality_train.yaml"), "--output", str(model),
                 "--positive", str(ROOT / "configs/data/quality_positive.jsonl"),
                 "--negative", str(ROOT / "configs/data/quality_negative.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "held-out evaluation:" in out and "roc_auc" in out
    metrics = json.loads((model / "metrics.json").read_text())
    assert metrics["model"] == "linear" and metrics["roc_auc"] > 0.95 and metrics["n_holdout"] > 0

    docs = tmp_path / "docs.jsonl"
    with open(ROOT / "configs/data/quality_positive.jsonl") as f:
        good_text = json.loads(f.readline())["text"]
    with open(docs, "w") as f:
        f.write(json.dumps({"id": "good", "text": good_text}) + "\n")
        f.write(json.dumps({"id": "bad", "text": "Buy cheap flights now! Click here! Best payday loans today!"}) + "\n")
    assert main(["quality", "score", str(docs), "--model", str(model), "--output", str(tmp_path / "scored"),
                 "--name", "demo"]) == 0
    rows = {r["id"]: r["quality_demo"] for r in pq.read_table(tmp_path / "scored" / "documents").to_pylist()}
    assert set(rows) == {"good", "bad"} and rows["good"] > 0.5 > rows["bad"]


def test_train_errors_are_clear(tmp_path, capsys):
    assert main(["quality", "train", "--positive", str(tmp_path / "none*.jsonl"), "--negative", "x",
                 "--output", str(tmp_path / "m")]) == 2
    assert "no files match" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("positve: a.jsonl\n")
    assert main(["quality", "train", "--config", str(bad)]) == 2
    assert "unknown key 'positve'" in capsys.readouterr().err
