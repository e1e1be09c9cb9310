"""score_filter_v1: a fixed threshold (streaming) and a top fraction of the corpus (a barrier)."""

import json

import pyarrow.parquet as pq
import pytest
from datatrove.data import Document

from filters.threshold import ScoreFilter
from pipeline.cli import main
from pipeline.errors import ConfigError


def test_min_score_keep_drop_and_missing():
    f = ScoreFilter(column="quality_x", min_score=0.5)
    assert f.filter(Document("a", "1", metadata={"quality_x": 0.7})) is True
    assert f.filter(Document("a", "2", metadata={"quality_x": 0.5})) is True
    assert f.filter(Document("a", "3", metadata={"quality_x": 0.2})) == (False, "score_filter_below_threshold")
    assert f.filter(Document("a", "4", metadata={})) == (False, "score_filter_missing_score")
    assert f.filter(Document("a", "5", metadata={"quality_x": float("nan")})) == (False, "score_filter_missing_score")
    keep = ScoreFilter(column="quality_x", min_score=0.5, keep_missing=True)
    assert keep.filter(Document("a", "6", metadata={})) is True


@pytest.mark.parametrize("kwargs",
                         [{}, {"min_score": 1, "top_fraction": 0.1}, {"top_fraction": 0}, {"top_fraction": 1.5}])
def test_bad_params(kwargs):
    with pytest.raises(ConfigError):
        ScoreFilter(column="quality_x", **kwargs)


def _corpus(tmp_path, n=200, files=3):
    inp = tmp_path / "in"
    inp.mkdir()
    docs = [{"id": f"d{i}", "text": f"document {i}", "quality_x": (i * 37 % 101) / 100} for i in range(n)]
    docs += [{"id": f"tie{i}", "text": "tie", "quality_x": 0.5} for i in range(20)]  # ties at one score
    docs.append({"id": "none", "text": "no score"})
    for k in range(files):
        with open(inp / f"p{k}.jsonl", "w") as f:
            for d in docs[k::files]:
                f.write(json.dumps(d) + "\n")
    return inp, docs


def _apply(inp, out, tasks, *sets):
    argv = ["apply", "score_filter_v1", str(inp / "*.jsonl"), "--output", str(out), "--tasks", str(tasks)]
    for s in sets:
        argv += ["--set", s]
    assert main(argv) == 0
    return pq.read_table(out / "documents").to_pylist(), pq.read_table(out / "removed").to_pylist()


def test_top_fraction_is_exact_and_independent_of_tasks(tmp_path, capsys):
    inp, docs = _corpus(tmp_path)
    kept1, removed1 = _apply(inp, tmp_path / "o1", 1, "column=quality_x", "top_fraction=0.25")
    kept3, _ = _apply(inp, tmp_path / "o3", 3, "column=quality_x", "top_fraction=0.25")
    scored = [d for d in docs if "quality_x" in d]
    assert len(kept1) == -(-len(scored) * 25 // 100)  # ceil(25% of the scored documents)
    assert sorted(d["id"] for d in kept1) == sorted(d["id"] for d in kept3)
    cut = min(d["quality_x"] for d in kept1)
    assert all(d["quality_x"] >= cut for d in kept1)
    assert all(r["reason"] in ("score_filter_below_top_fraction", "score_filter_missing_score") for r in removed1)
    below = [r for r in removed1 if r["reason"] == "score_filter_below_top_fraction"]
    assert len(below) + len(kept1) == len(scored) and all(r["quality_x"] <= cut for r in below)
    assert [r["quality_x"] for r in removed1 if r["reason"] == "score_filter_missing_score"] == [None]


def test_min_score_via_apply(tmp_path):
    inp, docs = _corpus(tmp_path)
    kept, removed = _apply(inp, tmp_path / "o", 2, "column=quality_x", "min_score=0.9")
    assert {d["id"] for d in kept} == {d["id"] for d in docs if d.get("quality_x", -1) >= 0.9}
    assert len(kept) + len(removed) == len(docs)


def test_apply_rejects_bad_set(tmp_path, capsys):
    inp, _ = _corpus(tmp_path)
    assert main(["apply", "score_filter_v1", str(inp / "*.jsonl"), "--output", str(tmp_path / "x"),
                 "--set", "oops"]) == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err
