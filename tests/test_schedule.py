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
    docs = {s: _source(tmp_path / f"{s}.parquet", s, n, k)
            for k, (s, n) in enumerate({"a": 300, "b": 300, "c": 30}.items())}
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
    err = _error(capsys, ["materialise", "--schedule", _schedule(tmp_path, phases=phases),
                          "--output", str(tmp_path / "o")])
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


def test_mix_chooses_the_anneal_weights_on_the_documents_a_where_selects(setup, capsys):
    """A mix config source with `where` is studied on the selected documents only; weights.json records the
    predicate, and `winnow materialise` and a schedule phase using that weights.json take the same selection."""
    tmp_path, docs = setup
    pred = "quality >= 0.6"
    mix = {"name": "anneal", "output": str(tmp_path / "mix"), "seed": 0,
           "sources": {"a": {"paths": str(tmp_path / "a.parquet"), "where": pred},
                       "b": str(tmp_path / "b.parquet")},
           "targets": {"a_held": {"holdout_of": "a", "fraction": 0.25}},
           "runs": 6, "target_tokens": 30_000, "proxy": {"kind": "ngram_kn_v1", "budget_tokens": 10_000, "order": 3},
           "regression": {"models": ["loglinear"], "folds": 3}, "optimiser": {"kind": "simulate", "candidates": 2000,
                                                                            "top_k": 10},
           "trust": {"min_spearman": -1.0, "max_distance": 1.0}, "eval_max_bytes": 10_000}
    (tmp_path / "mix.yaml").write_text(yaml.safe_dump(mix))
    assert main(["mix", str(tmp_path / "mix.yaml")]) == 0
    assert f"a: {pred}" in capsys.readouterr().out
    w = json.loads((tmp_path / "mix" / "weights.json").read_text())
    selected = {i for i, d in docs["a"].items() if d["quality"] >= 0.6}
    trained_on = {i for i in selected if not in_holdout(i, fraction=0.25, seed=0)}
    assert w["where"] == {"a": pred}
    assert w["available_tokens"]["a"] == sum(len(docs["a"][i]["text"].encode()) for i in trained_on)

    # plain materialise: the predicate comes with the weights
    out = tmp_path / "train"
    assert main(["materialise", str(tmp_path / "mix" / "weights.json"), "--tokens", "20000", "--output", str(out),
                 "--source", f"a={tmp_path / 'a.parquet'}", "--source", f"b={tmp_path / 'b.parquet'}"]) == 0
    rows = pq.read_table(out / "documents").to_pylist()
    assert {r["id"].split("#pass")[0] for r in rows if r["source"] == "a"} <= trained_on
    assert json.loads((out / "manifest.json").read_text())["sources"]["a"]["where"] == pred

    # a schedule: the anneal phase uses the mix's weights and so its selection; a phase's own where wins
    phases = [{"name": "pretrain", "tokens": 20_000, "weights": {"a": 0.5, "b": 0.5}},
              {"name": "anneal", "tokens": 10_000, "weights": str(tmp_path / "mix" / "weights.json")},
              {"name": "last", "tokens": 2_000, "weights": str(tmp_path / "mix" / "weights.json"),
               "where": {"a": "quality >= 0.9"}}]
    sched = _schedule(tmp_path, phases=phases, max_epochs=3)
    man = materialise_schedule(sched, str(tmp_path / "sched"))
    assert man["phases"]["anneal"]["sources"]["a"]["where"] == pred
    assert man["phases"]["last"]["sources"]["a"]["where"] == "quality >= 0.9"
    used = {name: {r["id"].split("#pass")[0] for r in pq.read_table(tmp_path / "sched" / name / "documents").to_pylist()
                   if r["source"] == "a"} for name in ("pretrain", "anneal", "last")}
    assert used["anneal"] and used["anneal"] <= trained_on
    assert used["last"] and all(docs["a"][i]["quality"] >= 0.9 for i in used["last"])
    assert not used["pretrain"] <= selected  # the first phase, with a mapping of weights, takes every document


def test_mix_source_where_errors_name_the_source(setup):
    from mixers.config import parse_mix_config
    from mixers.mix import prepare

    tmp_path, _ = setup
    base = {"sources": {"b": str(tmp_path / "b.parquet")}, "targets": {"t": {"holdout_of": "b"}}}
    with pytest.raises(ConfigError, match=r"sources.a: expected `paths`"):
        parse_mix_config({**base, "sources": {"a": {"where": "quality > 0.5"}}})
    with pytest.raises(ConfigError, match=r"sources.a.where: expected a SQL predicate"):
        parse_mix_config({**base, "sources": {"a": {"paths": "x", "where": 3}}})
    cfg = parse_mix_config({**base, "sources": {"a": {"paths": str(tmp_path / "a.parquet"), "where": "qualty > 0.5"},
                                                "b": str(tmp_path / "b.parquet")}})
    with pytest.raises(ConfigError, match=r"sources.a.where: 'qualty > 0.5' is not a predicate.*columns: id, quality"):
        prepare(cfg)
    cfg = parse_mix_config({**base, "sources": {"a": {"paths": str(tmp_path / "a.parquet"), "where": "quality > 2"},
                                                "b": str(tmp_path / "b.parquet")}})
    with pytest.raises(ConfigError, match=r"sources.a: no documents with text .* under where 'quality > 2'"):
        prepare(cfg)
