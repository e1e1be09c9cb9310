"""Mixers: sampling, proxy, regression, optimiser, resume, materialise, bad input (synthetic data, seconds)."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
import zstandard

from mixers import constraints as cons
from mixers import mix as mixmod
from mixers.cli import materialise_command, mix_command
from mixers.config import load_mix_config, parse_mix_config
from mixers.materialise import materialise
from mixers.proxy import NgramKN, make_proxy
from mixers.regression import LogLinearLaw, MixLaw, cross_validate
from mixers.sampling import candidates, check_bounds, design, project
from pipeline.errors import ConfigError, WinnowError
from pipeline.holdout import in_holdout
from tests.conftest import shared_data

pytestmark = pytest.mark.usefixtures("demo_quality_model")  # runs configs/demo.yaml, which scores with it


def _words(rng, alphabet: str, n: int) -> list[str]:
    letters = np.array(list(alphabet))
    vocab = ["".join(rng.choice(letters, size=rng.integers(2, 7))) for _ in range(300)]
    return [vocab[i] for i in rng.zipf(1.3, size=n) % len(vocab)]


def write_source(path, alphabet: str, n_docs: int, words: int = 120, seed: int = 0, prefix: str = "d"):
    """JSON lines of documents whose bytes come from ``alphabet``: each source has its own statistics."""
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        for i in range(n_docs):
            n = int(rng.integers(words // 2, words * 3 // 2))
            f.write(json.dumps({"id": f"{prefix}{i}", "text": " ".join(_words(rng, alphabet, n)) + "."}) + "\n")
    return str(path)


@pytest.fixture
def corpora(tmp_path):
    return {
        "a": write_source(tmp_path / "a.jsonl", "abcdefgh", 120, seed=1, prefix="a"),
        "b": write_source(tmp_path / "b.jsonl", "qrstuvwx", 120, seed=2, prefix="b"),
        "c": write_source(tmp_path / "c.jsonl", "abcdqrst", 40, seed=3, prefix="c"),
    }


def mix_cfg(tmp_path, corpora, **over) -> dict:
    raw = {
        "name": "t", "seed": 0, "output": str(tmp_path / "mix"),
        "sources": dict(corpora),
        "targets": {"a_held": {"holdout_of": "a", "fraction": 0.25, "weight": 2.0},
                    "c_held": {"holdout_of": "c", "fraction": 0.25, "weight": 1.0}},
        "runs": 10, "proxy": {"kind": "ngram_kn_v1", "budget_tokens": 40_000, "order": 3},
        "regression": {"models": ["loglinear", "gbm"], "folds": 5},
        "optimiser": {"kind": "simulate", "candidates": 5000, "top_k": 20},
        "constraints": {"max_epochs": 4},
        "validate": {"budget_multiplier": 2, "seeds": 1},
        "eval_max_bytes": 20_000,
    }
    raw.update(over)
    return raw


def write_cfg(tmp_path, raw) -> str:
    p = tmp_path / "mix.yaml"
    p.write_text(yaml.safe_dump(raw))
    return str(p)


# --- sampling ---------------------------------------------------------------------------------------

def test_design_covers_simplex_within_bounds():
    natural = np.array([0.6, 0.25, 0.1, 0.05])
    lo = np.array([0.0, 0.05, 0.0, 0.0])
    hi = np.array([0.7, 1.0, 0.5, 0.3])
    W, kinds = design(64, natural, lo, hi, seed=3)
    assert W.shape == (64, 4)
    assert np.allclose(W.sum(axis=1), 1)
    assert (W >= lo - 1e-12).all() and (W <= hi + 1e-12).all()
    assert kinds[:2] == ["uniform", "natural"] and kinds.count("vertex") == 4
    assert {"dirichlet", "near_uniform"} <= set(kinds)
    for s in range(4):  # every source reaches its upper bound and comes near its lower one
        assert W[:, s].max() == pytest.approx(hi[s])
        assert W[:, s].min() <= lo[s] + 0.05
    assert len({tuple(np.round(w, 6)) for w in W}) == 64  # distinct points
    # a design grows by appending: the first 20 points of 64 are the 20-point design (resume relies on it)
    assert np.array_equal(design(20, natural, lo, hi, seed=3)[0], W[:20])
    assert not np.array_equal(design(20, natural, lo, hi, seed=4)[0], W[:20])
    # Dirichlet search candidates respect the bounds too
    C = candidates(2000, natural, lo, hi, seed=0)
    assert (C >= lo - 1e-12).all() and (C <= hi + 1e-12).all() and np.allclose(C.sum(axis=1), 1)


def test_projection_and_infeasible_bounds():
    w = project(np.array([[2.0, -1.0, 0.5]]), np.zeros(3), np.array([0.5, 1.0, 1.0]))[0]
    assert w.sum() == pytest.approx(1) and w[0] == pytest.approx(0.5)
    with pytest.raises(ConfigError, match="min_weights sum"):
        check_bounds(["a", "b"], np.array([0.6, 0.6]), np.ones(2))
    with pytest.raises(ConfigError, match="max weights sum to 0.5"):
        check_bounds(["a", "b"], np.zeros(2), np.array([0.2, 0.3]))
    with pytest.raises(ConfigError, match="b \\(min 0.4 > max 0.3"):
        check_bounds(["a", "b"], np.array([0.0, 0.4]), np.array([1.0, 0.3]))


def test_constraints_report_a_point_region_names_the_caps_and_suggests_tokens():
    # epoch caps 100x4/4000, 200x4/4000, 700x4/4000 = 0.1, 0.2, 0.7: they sum to 1, the only feasible mix
    available, max_epochs, tokens = np.array([100, 200, 700]), np.array([4.0, 4.0, 4.0]), 4000
    caps = available * max_epochs / tokens
    r = cons.report(["a", "b", "c"], available, np.zeros(3), np.ones(3), max_epochs, tokens, caps)
    assert r["nearly_a_point"] and r["width"] == pytest.approx(0.0, abs=1e-12)
    assert "no choice" in r["warning"] and "max weights sum to 1.000" in r["warning"]
    assert [(b["source"], b["constraint"]) for b in r["binding"]] == [("a", "max_epochs"), ("b", "max_epochs"),
                                                                      ("c", "max_epochs")]
    assert r["sources"]["a"]["max_from"] == "max_epochs" and r["sources"]["a"]["epochs"] == pytest.approx(4.0)
    sug = r["suggestions"]
    # uniform fits while tokens / 3 <= available x max_epochs for every source: tokens <= 3 x 400
    assert sug["target_tokens"] == 3 * int((available * max_epochs).min()) == 1200
    assert sug["max_epochs"] == {"a": pytest.approx(13.34), "b": pytest.approx(6.67)}  # 4000/3/available, up
    assert sug["more_tokens"] == {"a": 234, "b": 134}  # ceil(4000/3/4 - available)
    # a width of 0.05: the caps must sum to 1.05, tokens = 4000 / 1.05
    assert abs(sug["target_tokens_for_choice"] - 4000 / 1.05) <= 1
    assert not r["uniform"]["within"] and set(r["uniform"]["epochs_needed"]) == {"a", "b"}
    text = "\n".join(r["summary"])
    assert "a: 0.100 at its epoch cap 0.100 = 100 tokens x max_epochs 4 / target_tokens 4,000" in text
    assert "target_tokens <= 1,200" in text and "nearly a point" in text


def test_constraints_report_when_nothing_binds():
    available, max_epochs = np.full(3, 1000), np.full(3, 4.0)
    r = cons.report(["a", "b", "c"], available, np.zeros(3), np.full(3, 0.6), max_epochs, 3000, np.full(3, 1 / 3))
    assert not r["nearly_a_point"] and r["warning"] is None and r["width"] == pytest.approx(0.8)
    assert r["binding"] == [] and r["suggestions"] == {} and r["uniform"]["within"]
    assert "binds: none" in "\n".join(r["summary"])
    assert all(v["max_from"] == "max_weight" and v["binds"] is None for v in r["sources"].values())
    # the same bounds, a mix at max_weight for a and at min_weight for c: both named, no suggestion
    r = cons.report(["a", "b", "c"], available, np.zeros(3), np.full(3, 0.6), max_epochs, 3000, [0.6, 0.4, 0.0])
    assert [(b["source"], b["constraint"]) for b in r["binding"]] == [("a", "max_weight"), ("c", "min_weight")]
    assert not r["nearly_a_point"] and r["suggestions"] == {}


def test_constraints_report_on_real_sources_at_100m_tokens(tmp_path):
    d = shared_data("domains")
    srcs = {"code": "code_python_stdlib", "speeches": "speeches_us_presidential_speeches",
            "dictionary": ["encyclopedic_foldoc_entries", "encyclopedic_jargon_entries"],
            "qa": "qa_stackexchange_coffee_beer", "books": "books_gutenberg_nltk",
            "scientific": "scientific_scitldr_abstracts"}
    files = {s: [str(d / f"{n}.jsonl.gz") for n in ([v] if isinstance(v, str) else v)] for s, v in srcs.items()}
    cfg = parse_mix_config({"name": "real", "output": str(tmp_path / "mix"), "sources": files,
                            "targets": {"qa": {"holdout_of": "qa", "fraction": 0.2}}, "target_tokens": 100_000_000,
                            "proxy": {"budget_tokens": 200_000}, "constraints": {"max_weight": 0.6, "max_epochs": 4}})
    study = mixmod.prepare(cfg)
    r = mixmod.constraints_of(study, study.natural)
    capacity = float((study.available * 4).sum())  # every cap is an epoch cap: the width is capacity / 1e8 - 1
    assert r["nearly_a_point"] and r["width"] == pytest.approx(capacity / 1e8 - 1)
    assert r["suggestions"]["target_tokens"] == int(6 * (study.available * 4).min())
    assert {b["constraint"] for b in r["binding"]} == {"max_epochs"}


# --- proxy ------------------------------------------------------------------------------------------

def test_proxy_loss_falls_with_more_in_domain_data(tmp_path):
    a = open(write_source(tmp_path / "a.jsonl", "abcdefgh", 200, seed=1), "rb").read()
    b = open(write_source(tmp_path / "b.jsonl", "qrstuvwx", 200, seed=2), "rb").read()
    a_train, a_dev = np.frombuffer(a[:100_000], np.uint8), np.frombuffer(a[-20_000:], np.uint8)
    b_train = np.frombuffer(b[:100_000], np.uint8)
    losses = []
    for frac in (0.05, 0.25, 0.5, 0.9):
        n = int(frac * 60_000)
        losses.append(NgramKN(4).train_eval([a_train[:n], b_train[: 60_000 - n]], {"a": a_dev})["a"])
    assert all(x > y for x, y in zip(losses, losses[1:])), losses
    assert losses[0] - losses[-1] > 0.3  # bits per byte: a clear ranking signal
    # a proper distribution: after any context, seen or not, the 256 next-byte probabilities sum to one
    m = NgramKN(4).fit(a_train)
    for ctx in (b"abc", b"e a", b"zzz"):
        total = sum(2 ** -m.bits_per_byte(np.frombuffer(ctx + bytes([b]), np.uint8)) for b in range(256))
        assert total == pytest.approx(1.0, abs=1e-9)


def test_transformer_proxy_needs_the_torch_extra():
    try:
        import torch  # noqa: F401
    except ImportError:
        with pytest.raises(WinnowError, match=r"pip install -e \.\[torch\]"):
            make_proxy("transformer_v1", {}).train_eval([np.zeros(1000, np.uint8)], {"t": np.zeros(500, np.uint8)})
    else:
        pytest.skip("torch is installed: the missing-extra error cannot be shown")


# --- regression -------------------------------------------------------------------------------------

def test_regression_recovers_a_known_law():
    natural = np.array([0.4, 0.3, 0.2, 0.1])
    W, _ = design(48, natural, np.zeros(4), np.ones(4), seed=0)
    c1, t1 = np.log(1.5), np.array([-0.2, 0.6, 0.3, 0.9])
    c2, t2 = np.log(2.0), np.array([0.8, -0.5, 0.4, 0.1])
    rng = np.random.default_rng(0)
    y1 = np.exp(c1) + np.exp(W @ t1) + rng.normal(0, 0.002, len(W))
    y2 = np.exp(c2) + np.exp(W @ t2) + rng.normal(0, 0.002, len(W))
    law = LogLinearLaw().fit(W, y1)
    assert law.c == pytest.approx(c1, abs=0.05)
    assert np.allclose(law.t, t1, atol=0.1)
    cv = cross_validate("loglinear", W, {"x": y1, "y": y2}, {"x": 1.0, "y": 1.0}, folds=5)
    assert cv["spearman"] > 0.97 and cv["rmse"] < 0.01
    # the per-target combination finds the true optimum of the combined law
    mix = MixLaw("loglinear", {"x": 1.0, "y": 1.0}).fit(W, {"x": y1, "y": y2})
    C = candidates(20000, natural, np.zeros(4), np.ones(4), seed=1)
    truth = np.exp(c1) + np.exp(C @ t1) + np.exp(c2) + np.exp(C @ t2)
    best = C[np.argmin(mix.predict(C))]
    true_best = np.exp(c1) + np.exp(best @ t1) + np.exp(c2) + np.exp(best @ t2)
    assert true_best - truth.min() < 0.01 * 2


# --- the study: outputs, resume, bad input -----------------------------------------------------------

def test_mix_end_to_end_and_resume(tmp_path, corpora, monkeypatch, capsys):
    path = write_cfg(tmp_path, mix_cfg(tmp_path, corpora))
    calls = []
    real = mixmod.train_proxy

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(mixmod, "train_proxy", counting)
    assert mix_command(path, None, None, None, None, None, validate=True) == 0
    out = tmp_path / "mix"
    runs = pq.read_table(out / "runs.parquet").to_pylist()
    assert len(runs) == 10 and len(calls) == 10 + 4  # 10 search runs, 4 validation mixes x 1 seed
    r = runs[0]
    for col in ("w_a", "w_b", "w_c", "tokens_a", "epochs_c", "loss_a_held", "loss_c_held", "loss", "seconds"):
        assert col in r
    assert abs(sum(r[f"tokens_{s}"] for s in "abc") - 40_000) <= 2
    fit = json.loads((out / "fit.json").read_text())
    assert {"loglinear", "gbm"} <= set(fit["models"]) and -1 <= fit["spearman"] <= 1
    w = json.loads((out / "weights.json").read_text())
    assert sum(w["weights"].values()) == pytest.approx(1)
    assert {"uniform", "natural", "best_sampled"} <= set(w["baselines"])
    assert w["tokenizer"] == "utf8_bytes_v1" and "total_variation" in w["distance_to_nearest_run"]
    assert "fallback" in w and set(w["validation"]["mixes"]) == {"chosen", "uniform", "natural", "best_sampled"}
    assert w["constraints"]["summary"] and set(w["constraints"]["sources"]) == {"a", "b", "c"}
    assert (out / "pred_vs_actual.png").stat().st_size > 0 and (out / "weights.png").stat().st_size > 0
    # the target (held-out a and c) is served by sources a and c: the chosen mix puts little on b
    assert w["weights"]["b"] < 1 / 3

    calls.clear()  # same study again: nothing retrained
    assert mix_command(path, None, None, None, None, None, validate=False) == 0
    assert calls == [] and "0 trained now, 10 resumed" in capsys.readouterr().out
    assert mix_command(path, None, None, None, 13, None, validate=False) == 0  # three more runs, then refit
    assert len(calls) == 3 and len(pq.read_table(out / "runs.parquet")) == 13
    calls.clear()  # a new budget is a new setting: its runs are trained, the old rows are kept
    assert mix_command(path, None, None, None, 6, 30_000, validate=False) == 0
    assert len(calls) == 6 and len(pq.read_table(out / "runs.parquet")) == 19


def test_untrusted_fit_falls_back_and_convex_search(tmp_path, corpora):
    cfg = parse_mix_config(mix_cfg(tmp_path, corpora, runs=8, optimiser={"kind": "convex", "kl": 0.01}))
    study = mixmod.prepare(cfg)
    W, losses, rows = mixmod.run_study(study, tmp_path / "mix")
    law, rep = mixmod.fit(study, W, losses)
    law = mixmod.MixLaw("loglinear", study.target_weights).fit(W, losses)
    w = mixmod.choose_mix(study, law, {**rep, "spearman": 0.9}, W, losses, rows)
    assert w["search"]["method"] == "convex" and w["fallback"] is None
    v = np.array(list(w["weights"].values()))
    assert v.sum() == pytest.approx(1) and (v <= study.hi + 1e-9).all() and (v >= study.lo - 1e-9).all()
    # a rank correlation below trust.min_spearman: the best sampled run, and weights.json says why
    w = mixmod.choose_mix(study, law, {**rep, "spearman": 0.1}, W, losses, rows)
    assert "cannot be trusted" in w["fallback"]
    assert w["weights"] == w["baselines"]["best_sampled"]["weights"] and "optimum" in w
    # an optimum far from every sampled run: also the best sampled run
    far = replace(study, cfg=replace(cfg, max_distance=0.0))
    w = mixmod.choose_mix(far, law, {**rep, "spearman": 0.9}, W, losses, rows)
    assert w["distance_to_nearest_run"]["total_variation"] > 0  # the convex optimum is no sampled run
    assert "an extrapolation" in w["fallback"] and w["weights"] == w["baselines"]["best_sampled"]["weights"]


def test_bad_input_errors_before_training(tmp_path, corpora, monkeypatch, caplog):
    monkeypatch.setattr(mixmod, "train_proxy", lambda *a, **k: pytest.fail("trained despite bad input"))
    (tmp_path / "empty.jsonl").write_text("")
    cases = [
        (mix_cfg(tmp_path, {**corpora, "e": str(tmp_path / "empty.jsonl")}), "sources.e: no documents"),
        (mix_cfg(tmp_path, {**corpora, "z": str(tmp_path / "nothing*.jsonl")}), "sources.z: no files match"),
        (mix_cfg(tmp_path, corpora, constraints={"min_weight": 0.5}), "min_weights sum to 1.5"),
        (mix_cfg(tmp_path, corpora, constraints={"max_weight": {"a": 0.1, "b": 0.1, "c": 0.1}}), "max weights sum"),
        (mix_cfg(tmp_path, corpora, proxy={"budget_tokens": 10**9}), "proxy.budget_tokens: 1,000,000,000 is more"),
        (mix_cfg(tmp_path, corpora, target_tokens=10**9), "target_tokens: 1,000,000,000 is more than the data"),
        (mix_cfg(tmp_path, corpora, proxy={"kind": "gpt9"}), "valid proxies: ngram_kn_v1, transformer_v1"),
        (mix_cfg(tmp_path, corpora, proxy={"depth": 3}), "unknown parameter 'depth'"),
        (mix_cfg(tmp_path, corpora, regression={"models": ["forest"]}), "valid models: loglinear, gbm"),
        (mix_cfg(tmp_path, corpora, targets={"x": {"holdout_of": "nope"}}), "unknown source 'nope'"),
        (mix_cfg(tmp_path, corpora, optimiser={"kind": "grid"}), "valid optimisers: simulate, convex"),
        (mix_cfg(tmp_path, corpora, tokenizer="gpt2"), "valid tokenizers: utf8_bytes_v1, words_v1"),
        (mix_cfg(tmp_path, corpora, colour="red"), "unknown key 'colour'"),
    ]
    for raw, msg in cases:
        with pytest.raises(ConfigError, match=msg.replace("(", "\\(").replace("[", "\\[")):
            mixmod.prepare(parse_mix_config(raw))
    # a target that is a source's own file: leakage warning (not an error)
    raw = mix_cfg(tmp_path, corpora, targets={"leak": {"paths": corpora["b"]}})
    with caplog.at_level(logging.WARNING, logger="winnow.mixers"):
        study = mixmod.prepare(parse_mix_config(raw))
    assert any("leakage: target 'leak' shares 120 documents with source 'b'" in w for w in study.warnings)
    assert "leakage" in caplog.text
    # command-line overrides: NAME=GLOB shape, and a held-out target whose source was replaced
    cfg = parse_mix_config(mix_cfg(tmp_path, corpora))
    with pytest.raises(ConfigError, match="--source: expected NAME=GLOB"):
        cfg.with_overrides(sources=["just-a-glob"])
    with pytest.raises(ConfigError, match="holdout_of: unknown source 'a'"):
        cfg.with_overrides(sources=[f"x={corpora['b']}"])
    over = cfg.with_overrides(sources=[f"x={corpora['a']}", f"y={corpora['b']}"], targets=[f"t={corpora['c']}:2"])
    assert list(over.sources) == ["x", "y"] and over.targets[0].weight == 2.0
    cfg = parse_mix_config(mix_cfg(tmp_path, corpora, constraints={"max_epochs": {"a": 1, "*": 2}}))
    assert cfg.limit("max_epochs", "a") == 1 and cfg.limit("max_epochs", "b") == 2
    over = cfg.with_overrides(sources=[f"x={corpora['a']}"], targets=[f"t={corpora['c']}"])
    assert over.limit("max_epochs", "x") == 2


# --- materialise ------------------------------------------------------------------------------------

def _weights_file(tmp_path, weights, max_epochs, holdout=None):
    p = tmp_path / "weights.json"
    p.write_text(json.dumps({"weights": weights, "max_epochs": max_epochs, "tokenizer": "utf8_bytes_v1",
                             "holdout": holdout or {}}))
    return str(p)


def test_materialise_hits_budget_and_epoch_caps(tmp_path, corpora, capsys):
    sizes = {s: sum(len(json.loads(x)["text"].encode()) for x in open(p)) for s, p in corpora.items()}
    n = 200_000
    # c is small: its share needs about 1.9 passes, within its cap of 2 epochs
    wc = 1.9 * sizes["c"] / n
    weights = {"a": 0.5, "b": 0.5 - wc, "c": wc}
    wf = _weights_file(tmp_path, weights, {"a": 4, "b": 4, "c": 2})
    specs = [f"{s}={p}" for s, p in corpora.items()]
    assert materialise_command(wf, specs, n, str(tmp_path / "out"), seed=1) == 0
    assert "wrote" in capsys.readouterr().out
    man = json.loads((tmp_path / "out" / "manifest.json").read_text())
    rows = pq.read_table(tmp_path / "out" / "documents").to_pylist()
    total = sum(r["n_tokens"] for r in rows)
    longest = max(len(json.loads(x)["text"].encode()) for p in corpora.values() for x in open(p))
    assert total == man["tokens"] and abs(total - n) <= longest  # within one document
    assert sum(len(r["text"].encode()) for r in rows) == total
    for s in "abc":
        got = sum(r["n_tokens"] for r in rows if r["source"] == s)
        assert got <= sizes[s] * {"a": 4, "b": 4, "c": 2}[s]  # the epoch cap holds
        assert abs(got - weights[s] * n) <= longest + 1
    ids_c = [r["id"].split("#pass")[0] for r in rows if r["source"] == "c"]
    assert max(ids_c.count(i) for i in set(ids_c)) == 2 == man["sources"]["c"]["max_passes_of_a_document"]
    lines = zstandard.ZstdDecompressor().decompress(
        (tmp_path / "out" / "shards" / "00000.jsonl.zst").read_bytes(), max_output_size=10**8).decode().splitlines()
    assert len(lines) == len(rows) == man["documents"]

    # past the cap: a clear error naming the source and the most tokens these weights allow
    with pytest.raises(ConfigError, match=r"--tokens 400,000: more than the data allows.*c needs"):
        materialise(wf, specs, 400_000, str(tmp_path / "out2"))
    with pytest.raises(ConfigError, match="no files given for c"):
        materialise(wf, specs[:2], n, str(tmp_path / "out3"))
    with pytest.raises(ConfigError, match="d not in the mix"):
        materialise(wf, specs + [f"d={corpora['a']}"], n, str(tmp_path / "out3"))
    # rerunning into the same directory replaces the earlier materialisation
    assert materialise_command(wf, specs, n // 2, str(tmp_path / "out"), seed=1) == 0
    assert len(list((tmp_path / "out" / "documents").glob("*.parquet"))) == 1


def test_materialise_excludes_held_out_target_documents(tmp_path, corpora):
    docs_a = [json.loads(line) for line in open(corpora["a"])]
    held = {d["id"] for d in docs_a if in_holdout(d["id"], seed=0, fraction=0.25)}
    assert 10 <= len(held) <= 40  # about a quarter of 120: the exclusion below is not vacuous
    kept_bytes = sum(len(d["text"].encode()) for d in docs_a if d["id"] not in held)
    wf = _weights_file(tmp_path, {"a": 0.5, "b": 0.5}, {"a": 4, "b": 4}, holdout={"a": {"fraction": 0.25, "seed": 0}})
    # 1.2 passes over what a has outside the holdout: every such document is used, no held-out one
    materialise(wf, [f"a={corpora['a']}", f"b={corpora['b']}"], int(2.4 * kept_bytes), str(tmp_path / "out"))
    ids = {r["id"].split("#pass")[0] for r in pq.read_table(tmp_path / "out" / "documents").to_pylist()
           if r["source"] == "a"}
    assert ids == {d["id"] for d in docs_a} - held


def test_holdout_rule_is_fixed():
    # weights.json records only (fraction, seed) and `winnow materialise` recomputes the split from them, so
    # the rule must not change: these are the ids the rule xxh64(f"{seed}:{id}") < fraction * 2**64 holds out.
    ids = [f"a{i}" for i in range(40)]
    assert [i for i in ids if in_holdout(i, seed=0, fraction=0.25)] == ["a2", "a4", "a20", "a28", "a33"]
    assert [i for i in ids if in_holdout(i, seed=1, fraction=0.25)] != ["a2", "a4", "a20", "a28", "a33"]
    assert not any(in_holdout(i, seed=0, fraction=0.0) for i in ids)
    assert all(in_holdout(i, seed=0, fraction=1.0) for i in ids)
    small = {i for i in ids if in_holdout(i, seed=0, fraction=0.1)}
    assert small <= {i for i in ids if in_holdout(i, seed=0, fraction=0.25)}  # a larger share, a superset
    with pytest.raises(TypeError):
        in_holdout("a2", 0.25, 0)  # keyword-only: seed and fraction cannot be swapped by position


def test_mix_configs_parse(monkeypatch):
    monkeypatch.chdir(mixmod.Path(__file__).resolve().parents[1])
    for name in ("configs/mix.yaml", "configs/mix_demo.yaml"):
        cfg = load_mix_config(name)
        assert cfg.sources and cfg.targets
