"""``winnow materialise --schedule``: phases with their own budgets, weights and SQL predicates, epoch caps
across phases, the manifest, and errors that say how many tokens a phase could have."""

from __future__ import annotations

import json
import random
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from mixers.schedule import materialise_schedule
from pipeline.cli import main
from pipeline.errors import ConfigError
from pipeline.holdout import in_holdout

WORDS = "alpha beta gamma delta river stone lamp meadow copper signal garden winter ladder market".split()


def _source(path, prefix, n, seed):
    rng = random.Random(seed)
    rows = [{"id": f"{prefix}{i}", "text": " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 120))) + ".",
             "quality": round(rng.random(), 4)} for i in range(n)]
    pq.write_table(pa.Table.from_pylist(rows), path)
    return {r["id"]: r for r in rows}


@pytest.fixture
def setup(tmp_path):
    docs = {s: _source(tmp_path / f"{s}.parquet", s, n, k) for k, (s, n) in enumerate({"a": 300, "b": 300, "c": 30}.items())}
    (tmp_path / "weights.json").write_text(json.dumps({
        "weights": {"a": 0.4, "b": 0.4, "c": 0.2}, "tokenizer": "utf8_bytes_v1",
        "holdout": {"a": {"fraction": 0.2, "seed": 0}}}))
    return tmp_path, docs


def _schedule(tmp_path, **over):
    raw = {"max_epochs": 2, "seed": 3,
           "sources": {s: str(tmp_path / f"{s}.parquet") for s in "abc"},
           "phases": [{"name": "pretrain", "tokens": 60_000, "weights": str(tmp_path / "weights.json")},
                      {"name": "anneal", "tokens": 40_000, "weights": {"a": 0.5, "b": 0.35, "c": 0.15},
                       "where": {"a": "quality >= 0.6", "c": "quality >= (select median(quality) from documents)"}}]}
    raw.update(over)
    path = tmp_path / "schedule.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def test_two_phase_schedule(setup, capsys):
    tmp_path, docs = setup
    out = tmp_path / "out"
    assert main(["materialise", "--schedule", _schedule(tmp_path), "--output", str(out)]) == 0
    assert "anneal" in capsys.readouterr().out
    man = json.loads((out / "manifest.json").read_text())
    longest = man["longest_document_tokens"]
    uses: dict[str, list[int]] = {}
    spent = {s: 0 for s in "abc"}
    median_c = sorted(d["quality"] for d in docs["c"].values())[14:16]
    for name, weights in (("pretrain", {"a": 0.4, "b": 0.4, "c": 0.2}), ("anneal", {"a": 0.5, "b": 0.35, "c": 0.15})):
        rows = pq.read_table(out / name / "documents").to_pylist()
        ph = man["phases"][name]
        total = sum(r["n_tokens"] for r in rows)
        assert total == ph["tokens"] and abs(total - ph["tokens_requested"]) <= longest  # within one document
        assert len({r["id"] for r in rows}) == len(rows)
        for s, w in weights.items():
            got = sum(r["n_tokens"] for r in rows if r["source"] == s)
            assert abs(got / total - w) <= 0.02, (name, s, got / total)
            assert ph["sources"][s]["tokens"] == got
            spent[s] += got
        for r in rows:
            base = r["id"].split("#pass")[0]
            src = docs[r["source"]][base]
            assert r["text"] == src["text"] and r["quality"] == src["quality"]  # the source's columns travel
            assert not (r["source"] == "a" and in_holdout(base, fraction=0.2, seed=0))  # held out: never used
            if name == "anneal" and r["source"] == "a":
                assert src["quality"] >= 0.6
            if name == "anneal" and r["source"] == "c":
                assert src["quality"] >= median_c[0]
            uses.setdefault(base, []).append(int(r["id"].split("#pass")[1]) if "#pass" in r["id"] else 0)
    # each use of a document has the next use number, across both phases: no id twice, no gap
    assert all(sorted(u) == list(range(len(u))) for u in uses.values())
    assert max(len(u) for u in uses.values()) == 2  # max_epochs 2 across the phases, and it binds (c is small)
    for s in "abc":
        avail = sum(len(d["text"].encode()) for i, d in docs[s].items()
                    if not (s == "a" and in_holdout(i, fraction=0.2, seed=0)))
        assert man["sources"][s]["available_tokens"] == avail
        assert spent[s] == man["sources"][s]["tokens"] <= 2 * avail
    assert man["phases"]["anneal"]["sources"]["a"]["where"] == "quality >= 0.6"
    assert man["holdout_excluded"] == {"a": {"fraction": 0.2, "seed": 0}}
    # run again into the same directory: replaced, the same bytes
    first = sorted((p.name, p.read_bytes()) for p in (out / "anneal" / "documents").glob("*.parquet"))
    assert main(["materialise", "--schedule", _schedule(tmp_path), "--output", str(out)]) == 0
    assert sorted((p.name, p.read_bytes()) for p in (out / "anneal" / "documents").glob("*.parquet")) == first


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    return capsys.readouterr().err


def test_a_phase_that_cannot_be_filled_says_what_is_available(setup, capsys):
    tmp_path, _ = setup
    phases = [{"name": "anneal", "tokens": 50_000, "weights": {"a": 0.5, "b": 0.5}, "where": {"a": "quality >= 0.95"}}]
    err = _error(capsys, ["materialise", "--schedule", _schedule(tmp_path, phases=phases), "--output", str(tmp_path / "o")])
    assert re.search(r"phase anneal: 50,000 tokens cannot be filled: a needs 25,000 tokens, [\d,]+ available under "
                     r"'quality >= 0.95'.*At most [\d,]+ tokens", err), err
    assert not (tmp_path / "o" / "anneal").exists()


def test_schedule_errors_name_the_key(setup, capsys):
    tmp_path, _ = setup
    bad = [
        ({"phases": [{"name": "p", "tokens": 100, "weights": {"a": 1.0}, "where": {"a": "no_such_column > 1"}}]},
         r"phases.p.where.a: 'no_such_column > 1' is not a predicate.*columns: id, quality"),
        ({"phases": [{"name": "p", "tokens": 100, "weights": {"z": 1.0}}]}, r"source 'z' is not in sources"),
        ({"phases": [{"name": "p", "tokens": 100, "weights": {"a": 0.5}}]}, r"weights sum to 0.5"),
        ({"phases": [{"name": "p", "tokens": 100, "weights": {"a": 1.0}, "where": {"b": "quality > 0"}}]},
         r"where.b: the phase takes nothing from this source"),
        ({"phases": [{"name": "p", "tokens": 100, "weights": {"a": 1.0}}] * 2}, r"unique directory name"),
        ({"phase": []}, r"unknown key 'phase'"),
    ]
    for over, pattern in bad:
        with pytest.raises(ConfigError, match=pattern):
            materialise_schedule(_schedule(tmp_path, **over), str(tmp_path / "o"))
    assert "give no WEIGHTS_JSON" in _error(capsys, ["materialise", str(tmp_path / "weights.json"), "--schedule",
                                                      _schedule(tmp_path), "--output", str(tmp_path / "o")])
    assert "--source, --tokens required" in _error(capsys, ["materialise", str(tmp_path / "weights.json"),
                                                            "--output", str(tmp_path / "o")])
