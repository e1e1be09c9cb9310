"""quality_ensemble_v1: Nemotron-CC-style token-weighted percentile buckets of several scores, combined."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from pipeline.config import load_config
from pipeline.errors import ConfigError
from pipeline.run import run


def _input(tmp_path, n=300):
    rng = random.Random(0)
    rows = []
    for i in range(n):
        words = rng.randint(5, 200)
        rows.append({"id": f"doc{i}", "text": " ".join(["word"] * words), "quality_a": rng.random(),
                     "quality_b": None if i % 17 == 0 else rng.gauss(0, 1)})
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(3):
        pq.write_table(pa.Table.from_pylist(rows[k::3]), folder / f"part{k}.parquet")
    return rows, folder


def _run(tmp_path, folder, tasks, combine="max", name="out"):
    cfg = {"name": "ens", "input": {"format": "parquet", "paths": str(folder / "*.parquet")},
           "output": str(tmp_path / name), "executor": {"kind": "local", "tasks": tasks, "workers": 1},
           "stages": [{"quality_ensemble_v1": {"columns": ["quality_a", "quality_b"], "buckets": 10,
                                               "combine": combine}}]}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    run(load_config(path), quiet=True)
    t = pa.concat_tables([pq.read_table(p) for p in sorted((tmp_path / name / "documents").glob("*.parquet"))])
    return {r["id"]: r for r in t.to_pylist()}


def _expected_buckets(rows, col, buckets):
    """Token-weighted percentile buckets computed directly: a score's bucket = floor(buckets * share of tokens in
    documents scoring at or below it), capped at buckets - 1, the share taken over documents with a score."""
    scored = [(r[col], r["n_tokens"]) for r in rows if r[col] is not None]
    total = sum(w for _, w in scored)
    out = {}
    for r in rows:
        if r[col] is None:
            out[r["id"]] = 0
            continue
        below = sum(w for s, w in scored if s <= r[col])
        out[r["id"]] = min(int(buckets * below / total + 1e-9), buckets - 1)
    return out


def test_buckets_are_token_weighted_percentiles_and_do_not_depend_on_tasks(tmp_path):
    rows, folder = _input(tmp_path)
    one = _run(tmp_path, folder, 1, name="one")
    three = _run(tmp_path, folder, 3, name="three")
    assert {k: v["quality_ensemble"] for k, v in one.items()} == {k: v["quality_ensemble"] for k, v in three.items()}
    for r in rows:
        r["n_tokens"] = len(r["text"].split())  # between phases documents carry no n_tokens yet: words
    ea, eb = _expected_buckets(rows, "quality_a", 10), _expected_buckets(rows, "quality_b", 10)
    mismatches = [r["id"] for r in rows if one[r["id"]]["quality_ensemble"] != max(ea[r["id"]], eb[r["id"]])]
    assert not mismatches, mismatches
    assert all(one[r["id"]]["quality_a"] == pytest.approx(r["quality_a"]) for r in rows)  # inputs kept
    values = np.array([v["quality_ensemble"] for v in one.values()])
    assert values.min() >= 0 and values.max() == 9


def test_mean_combines_and_bad_params_fail_at_build(tmp_path):
    rows, folder = _input(tmp_path, 90)
    got = _run(tmp_path, folder, 2, combine="mean", name="mean")
    assert any(v["quality_ensemble"] % 1 == 0.5 for v in got.values())
    from filters.ensemble import QualityEnsemble

    with pytest.raises(ConfigError, match="combine"):
        QualityEnsemble(columns=["quality_a"], combine="median")
    with pytest.raises(ConfigError, match="buckets"):
        QualityEnsemble(columns=["quality_a"], buckets=1)
