"""``winnow mix plan`` and ``winnow mix fit``: proxy runs trained elsewhere (synthetic tables and documents made here).

The losses of a run come from a known law of its mixture (``law``), so a fit can be checked against the law's own
optimum and predictions; every table is written by the test, none is copied from RegMix.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy.optimize import minimize
from scipy.stats import spearmanr

from mixers.regression import GPLaw
from pipeline.cli import main
from tests.test_mixers import write_source

SOURCES = ["web", "code", "books", "news"]
# two targets whose losses are bowls with different centres and curvatures: the combined optimum lies between
CENTRES = np.array([[0.45, 0.20, 0.25, 0.10], [0.20, 0.45, 0.15, 0.20]])
CURVES = np.array([[3.0, 1.0, 2.0, 1.5], [1.0, 4.0, 1.0, 2.0]])
FLOORS = np.array([2.0, 1.6])
TARGETS = ["loss/wiki", "loss/code"]  # a '/' as in RegMix's metric/... columns


def law(W: np.ndarray) -> np.ndarray:
    """Losses (runs x targets) of the mixtures ``W``."""
    W = np.atleast_2d(W)
    return FLOORS + ((W[:, None, :] - CENTRES[None]) ** 2 * CURVES[None]).sum(axis=2)


def optimum(lo: np.ndarray, hi: np.ndarray, target_weights=(1.0, 1.0)) -> np.ndarray:
    """The law's combined optimum within the bounds, found here by SLSQP."""
    a = np.asarray(target_weights, float) / sum(target_weights)
    r = minimize(lambda w: float(law(w)[0] @ a), np.full(4, 0.25), method="SLSQP", bounds=list(zip(lo, hi)),
                 constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}], options={"ftol": 1e-12})
    return r.x


def _num(v) -> str:
    return repr(float(v))


def write_csv(path, header: list[str], rows: list[list]) -> str:
    path.write_text("\n".join(",".join(str(c) for c in r) for r in [header, *rows]) + "\n")
    return str(path)


def read_plan(d) -> tuple[list[str], np.ndarray]:
    t = pq.read_table(d / "plan.parquet")
    return t.column("run").to_pylist(), np.column_stack([t.column(s).to_numpy() for s in SOURCES])


def losses_for(tmp_path, keys, W, name="losses.csv") -> str:
    L = law(W)
    return write_csv(tmp_path / name, ["run", *TARGETS], [[k, *map(_num, row)] for k, row in zip(keys, L)])


@pytest.fixture
def docs(tmp_path):
    """Four small sources of documents (token counts differ, so the natural mix is uneven)."""
    sizes = {"web": 160, "code": 120, "books": 80, "news": 60}
    return {s: write_source(tmp_path / f"{s}.jsonl", "abcdefghijklmnop"[i * 3:i * 3 + 8], n, words=60, seed=i,
                            prefix=s)
            for i, (s, n) in enumerate(sizes.items())}


def source_flags(docs) -> list[str]:
    return [a for s, g in docs.items() for a in ("--source", f"{s}={g}")]


def test_plan_then_fit_recovers_the_laws_optimum_and_materialises(tmp_path, docs, capsys):
    plan_dir, fit_dir = tmp_path / "plan", tmp_path / "fit"
    assert main(["mix", "plan", "--runs", "32", "--output", str(plan_dir), *source_flags(docs)]) == 0
    keys, W = read_plan(plan_dir)
    assert len(keys) == 32 and len(set(keys)) == 32 and np.allclose(W.sum(axis=1), 1)
    csv_head = (plan_dir / "plan.csv").read_text().splitlines()[0]
    assert csv_head == "run," + ",".join(SOURCES)
    losses = losses_for(tmp_path, keys, W)

    assert main(["mix", "fit", "--mixtures", str(plan_dir / "plan.csv"), "--losses", losses,
                 "--output", str(fit_dir), *source_flags(docs)]) == 0
    out = capsys.readouterr().out
    w = json.loads((fit_dir / "weights.json").read_text())
    fit = json.loads((fit_dir / "fit.json").read_text())
    lo = np.array([w["bounds"]["min"][s] for s in SOURCES])
    hi = np.array([w["bounds"]["max"][s] for s in SOURCES])
    best = optimum(lo, hi)
    chosen = np.array([w["weights"][s] for s in SOURCES])
    assert w["fallback"] is None
    assert np.abs(chosen - best).max() <= 0.02, (chosen, best)
    # the fit is no better than the law: a plan's best run is further from the optimum than the choice
    assert np.abs(chosen - best).max() < np.abs(W[np.argmin(law(W).mean(axis=1))] - best).max()
    assert fit["chosen_model"] in fit["models"] and set(fit["models"]) == {"loglinear", "gbm", "gp"}
    assert set(fit["per_target"]) == set(TARGETS)
    for m in fit["models"].values():
        assert set(m["per_target"]) == set(TARGETS)
    assert fit["per_target"]["loss/wiki"]["spearman"] > 0.9
    assert w["token_counts_from"] == "files" and w["available_tokens"]["web"] > w["available_tokens"]["news"]
    assert "loss/wiki" in out and fit["chosen_model"] in out

    # weights.json is the one `winnow mix` writes: `winnow materialise` takes it unchanged
    train = tmp_path / "train"
    assert main(["materialise", str(fit_dir / "weights.json"), *source_flags(docs), "--tokens", "20000",
                 "--output", str(train)]) == 0
    man = json.loads((train / "manifest.json").read_text())
    assert abs(man["tokens"] - 20000) <= man["longest_document_tokens"]
    for s in SOURCES:
        assert abs(man["sources"][s]["fraction"] - chosen[s == np.array(SOURCES)][0]) < 0.05


def test_fit_predicts_other_mixtures_named_as_in_the_losses(tmp_path):
    rng = np.random.default_rng(5)
    W = rng.dirichlet(np.ones(4), size=40)
    keys = [str(i) for i in range(1, 41)]  # RegMix-style numeric keys: read as text in every table
    mix = write_csv(tmp_path / "m.csv", ["index", *SOURCES], [[k, *map(_num, r)] for k, r in zip(keys, W)])
    losses = losses_for(tmp_path, keys, W)
    P = rng.dirichlet(np.ones(4) * 2, size=60)
    pkeys = [f"p{i:02d}" for i in range(60)]
    pq.write_table(pa.table({"mix_id": pkeys, **{s: P[:, j] for j, s in enumerate(SOURCES)}}), tmp_path / "p.parquet")
    assert main(["mix", "fit", "--mixtures", mix, "--losses", losses, "--predict", str(tmp_path / "p.parquet"),
                 "--output", str(tmp_path / "fit"), "--families", "gp"]) == 0
    t = pq.read_table(tmp_path / "fit" / "predictions.parquet")
    assert t.column_names == ["mix_id", *TARGETS]
    assert t.column("mix_id").to_pylist() == pkeys
    truth = law(P)
    for j, name in enumerate(TARGETS):
        assert spearmanr(t.column(name).to_numpy(), truth[:, j]).statistic > 0.95
    w = json.loads((tmp_path / "fit" / "weights.json").read_text())
    # no token counts: no epoch caps, no natural mix; the search starts from the runs' mean mixture
    assert w["available_tokens"] is None and w["natural"] is None and "natural" not in w["baselines"]
    assert w["constraints"]["sources"]["web"]["epoch_cap"] is None


def test_fit_honours_epoch_caps_and_target_weights(tmp_path):
    rng = np.random.default_rng(7)
    W = rng.dirichlet(np.ones(4) * 1.5, size=36)
    keys = [f"r{i}" for i in range(36)]
    mix = write_csv(tmp_path / "m.csv", ["run", *SOURCES], [[k, *map(_num, r)] for k, r in zip(keys, W)])
    losses = losses_for(tmp_path, keys, W)
    tokens = {"web": 50_000, "code": 6_000, "books": 40_000, "news": 30_000}
    flags = [a for s, n in tokens.items() for a in ("--source-tokens", f"{s}={n}")]
    out = tmp_path / "fit"
    # code's cap: 6,000 tokens x 2 epochs / 100,000 = 0.12, below the 0.45 code's law wants
    assert main(["mix", "fit", "--mixtures", mix, "--losses", losses, "--output", str(out), *flags,
                 "--target-tokens", "100000", "--max-epochs", "2", "--target", "loss/code=1",
                 "--min-weight", "news=0.15"]) == 0
    w = json.loads((out / "weights.json").read_text())
    assert w["targets"] == {"loss/wiki": 0.0, "loss/code": 1.0}
    assert w["bounds"]["max"]["code"] == pytest.approx(0.12)
    assert w["weights"]["code"] <= 0.12 + 1e-9 and w["weights"]["news"] >= 0.15 - 1e-9
    assert w["constraints"]["sources"]["code"]["binds"] == "max_epochs"
    lo = np.array([w["bounds"]["min"][s] for s in SOURCES])
    hi = np.array([w["bounds"]["max"][s] for s in SOURCES])
    best = optimum(lo, hi, target_weights=(0.0, 1.0))
    assert np.abs(np.array([w["weights"][s] for s in SOURCES]) - best).max() <= 0.03
    assert w["max_epochs"]["code"] == 2.0 and w["token_counts_from"] == "--source-tokens"


def test_fit_leaves_out_runs_without_losses_and_reads_a_spreadsheets_csv(tmp_path, capsys):
    rng = np.random.default_rng(9)
    W = rng.dirichlet(np.ones(4), size=30)
    keys = [f"r{i}" for i in range(30)]
    mix = tmp_path / "m.csv"
    rows = [",".join(["run", *SOURCES])] + [",".join([k, *map(_num, r)]) for k, r in zip(keys, W)]
    mix.write_text("\ufeff" + "\r\n".join(rows) + "\r\n", encoding="utf-8")  # as a spreadsheet saves it
    losses = losses_for(tmp_path, keys[:24], W[:24])
    assert main(["mix", "fit", "--mixtures", str(mix), "--losses", losses, "--output", str(tmp_path / "fit"),
                 "--families", "loglinear,gp"]) == 0
    assert "warning: 6 mixtures in" in capsys.readouterr().out
    fit = json.loads((tmp_path / "fit" / "fit.json").read_text())
    assert fit["runs"] == 24 and fit["key"] == {"mixtures": "run", "losses": "run"}


def test_plan_is_seeded_bounded_and_grows(tmp_path, capsys):
    base = ["mix", "plan", "--sources", "web,code,books,news", "--target-tokens", "100000", "--max-epochs", "2",
            "--source-tokens", "web=50000", "--source-tokens", "code=6e3", "--source-tokens", "books=40000",
            "--source-tokens", "news=30000", "--max-weight", "web=0.5"]
    assert main([*base, "--runs", "16", "--output", str(tmp_path / "a")]) == 0
    assert main([*base, "--runs", "16", "--output", str(tmp_path / "b")]) == 0
    assert main([*base, "--runs", "24", "--output", str(tmp_path / "c")]) == 0
    assert main([*base, "--runs", "16", "--seed", "3", "--output", str(tmp_path / "d")]) == 0
    ka, A = read_plan(tmp_path / "a")
    _, B = read_plan(tmp_path / "b")
    kc, C = read_plan(tmp_path / "c")
    _, D = read_plan(tmp_path / "d")
    assert np.array_equal(A, B) and np.allclose(C[:16], A) and kc[:16] == ka
    assert not np.allclose(A[10:], D[10:])  # the first points (uniform, natural, vertices) are not random
    assert np.allclose(A.sum(axis=1), 1) and (A >= 0).all()
    assert (A[:, 1] <= 0.12 + 1e-9).all() and (A[:, 0] <= 0.5 + 1e-9).all()  # code's epoch cap, web's max
    assert any(A[:, 1] > 0.11)  # the vertex for code goes up to its cap
    rec = json.loads((tmp_path / "a" / "plan.json").read_text())
    assert rec["bounds"]["max"]["code"] == pytest.approx(0.12) and len(rec["design"]) == 16
    assert "16 runs over 4 sources" in capsys.readouterr().out


def test_plan_materialises_each_run_and_resumes(tmp_path, docs, capsys):
    d = tmp_path / "plan"
    args = ["mix", "plan", "--runs", "3", "--materialise", "--tokens", "8000", "--output", str(d), *source_flags(docs)]
    assert main(args) == 0
    keys, W = read_plan(d)
    for key, w in zip(keys, W):
        man = json.loads((d / "runs" / key / "manifest.json").read_text())
        assert abs(man["tokens"] - 8000) <= man["longest_document_tokens"]
        assert list((d / "runs" / key / "documents").glob("*.parquet"))
        got = np.array([man["sources"].get(s, {"fraction": 0.0})["fraction"] for s in SOURCES])
        assert np.abs(got - w).max() < 0.1
    assert main(args) == 0
    assert "0 runs written, 3 already there" in capsys.readouterr().out


@pytest.fixture
def tables(tmp_path):
    """A good mixtures table and losses table (8 runs), as rows to spoil one cell at a time."""
    W = np.random.default_rng(2).dirichlet(np.ones(4), size=8).round(4)
    W[:, -1] = 1 - W[:, :-1].sum(axis=1)
    keys = [f"run{i}" for i in range(8)]
    mix = [[k, *map(str, r)] for k, r in zip(keys, W)]
    loss = [[k, *map(str, r)] for k, r in zip(keys, law(W).round(5))]
    return mix, loss


def _fit(tmp_path, mix_rows, loss_rows, *extra, mix_name="m.csv") -> int:
    if mix_name.endswith(".csv"):
        mpath = write_csv(tmp_path / mix_name, ["run", *SOURCES], mix_rows)
    else:
        cols = list(zip(*mix_rows))
        pq.write_table(pa.table({"run": list(cols[0]), **{s: [float(v) for v in cols[j + 1]]
                                                          for j, s in enumerate(SOURCES)}}), tmp_path / mix_name)
        mpath = str(tmp_path / mix_name)
    lpath = write_csv(tmp_path / "l.csv", ["run", *TARGETS], loss_rows)
    return main(["mix", "fit", "--mixtures", mpath, "--losses", lpath, "--output", str(tmp_path / "out"),
                 "--families", "loglinear", *extra])


def _spoil(rows, i, j, value):
    rows = [list(r) for r in rows]
    rows[i][j] = value
    return rows


@pytest.mark.parametrize("which,row,col,value,expect", [
    ("loss", 2, 1, "oops", "l.csv: row 3 (line 4), column 'loss/wiki': 'oops' is not a number"),
    ("loss", 4, 2, "nan", "l.csv: row 5 (line 6), column 'loss/code': NaN"),
    ("loss", 1, 2, "", "l.csv: row 2 (line 3), column 'loss/code': empty cell"),
    ("loss", 3, 0, "run1", "l.csv: row 4 (line 5), column 'run': duplicate key 'run1' (also"),
    ("loss", 6, 0, "run99", "l.csv: row 7 (line 8), column 'run': key 'run99' is not in the mixtures"),
    ("mix", 5, 0, "run0", "m.csv: row 6 (line 7), column 'run': duplicate key 'run0'"),
    ("mix", 4, 3, "0.9", "m.csv: row 5 (line 6): the weights (web, code, books, news) sum to"),
    ("mix", 2, 4, "-0.01", "m.csv: row 3 (line 4), column 'news': negative weight"),
    ("mix", 0, 1, "inf", "m.csv: row 1 (line 2), column 'web': inf is not a finite number"),
])
def test_bad_tables_name_file_row_and_column(tmp_path, tables, capsys, which, row, col, value, expect):
    mix, loss = tables
    if which == "mix":
        mix = _spoil(mix, row, col, value)
    else:
        loss = _spoil(loss, row, col, value)
    assert _fit(tmp_path, mix, loss) == 2
    assert expect in capsys.readouterr().err


def test_bad_sources_and_parquet_rows(tmp_path, tables, capsys):
    mix, loss = tables
    assert _fit(tmp_path, _spoil(mix, 3, 0, "run1"), loss, mix_name="m.parquet") == 2
    assert "m.parquet: row 4, column 'run': duplicate key 'run1'" in capsys.readouterr().err
    # a source named on the command line that the mixtures lack, and the other way round
    assert _fit(tmp_path, mix, loss, *[a for s in [*SOURCES, "wiki"] for a in ("--source-tokens", f"{s}=1000")]) == 2
    assert "--source-tokens: unknown source 'wiki'" in capsys.readouterr().err
    assert _fit(tmp_path, mix, loss, "--source", "web=a.jsonl", "--source", "code=b.jsonl") == 2
    assert "m.csv: column 'books', 'news' is not a source" in capsys.readouterr().err
    # a --predict table without a source column
    p = write_csv(tmp_path / "p.csv", ["run", "web", "code", "books"], [["x", "0.5", "0.25", "0.25"]])
    assert _fit(tmp_path, mix, loss, "--predict", p) == 2
    assert "--predict " + p + ": no column for source 'news'" in capsys.readouterr().err
    assert _fit(tmp_path, mix, loss, "--target", "loss/none=1") == 2
    assert "--target loss/none=1: no column 'loss/none' in the losses" in capsys.readouterr().err
    # weights that sum to 1 within 1% are accepted and scaled (RegMix rounds to three decimals)
    assert _fit(tmp_path, _spoil(mix, 4, 1, str(float(mix[4][1]) + 0.004)), loss) == 0


def test_mix_help_names_the_subcommands_and_config_still_parses(capsys):
    with pytest.raises(SystemExit) as e:
        main(["mix", "--help"])
    assert e.value.code == 0 and "winnow mix plan" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["mix", "fit", "--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0 and "usage: winnow mix fit" in out and "--predict" in out
    with pytest.raises(SystemExit) as e:
        main(["mix", "plan"])
    assert e.value.code == 2 and "--runs" in capsys.readouterr().err
    from pipeline.cli import build_parser

    args = build_parser("mix").parse_args(["mix", "configs/mix_demo.yaml", "--runs", "4"])
    assert args.config == "configs/mix_demo.yaml" and args.runs == 4 and args.func.__name__ == "_cmd_mix"


def test_gp_law_ranks_held_out_mixtures_and_predicts_in_chunks():
    rng = np.random.default_rng(0)
    W, V = rng.dirichlet(np.ones(4), size=48), rng.dirichlet(np.ones(4), size=300)
    g = GPLaw().fit(W, law(W)[:, 0])
    p = g.predict(V)
    assert spearmanr(p, law(V)[:, 0]).statistic > 0.97
    g.CHUNK = 7
    assert np.allclose(g.predict(V), p)
