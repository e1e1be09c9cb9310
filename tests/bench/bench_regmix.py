"""Benchmark: ``winnow mix fit`` on RegMix's own proxy runs against RegMix's regression (LightGBM), same run.

Data: ../shared/data/mixing/regmix/ (sail-sg/regmix ``data/``, MIT; never copied into this repository): 512
mixtures over 17 Pile domains with the 13 validation losses of the 1M-parameter model trained on each
(``train_*_1m.csv``), and 256 other mixtures trained at 60M parameters (``test_*_60m.csv``). The task is
RegMix's cross-scale one: fit on the 512 small runs, rank the 60M runs (Spearman of predicted against
measured loss, per target, on Pile-CC and averaged over the 13 targets). The 60M runs are the development
set; nothing here looks at the 1M test runs or at the 1B-parameter runs RegMix also published.

- Winnow: ``winnow mix fit --mixtures train_mixture_1m.csv --losses train_pile_loss_1m.csv --predict
  test_mixture_60m.csv --output DIR`` as a subprocess (files in, ``predictions.parquet`` out), its CPU
  seconds from the child's rusage. It does more than the reference: 5-fold cross-validation of three law
  families, the refit, the predictions and the choice of a mix over 100,000 candidates.
- Reference: RegMix's ``regression_fitting/regression.ipynb`` settings, one LightGBM per target on the 17
  weights (``LGBMRegressor(boosting_type='gbdt', objective='regression', n_estimators=1000, learning_rate=0.01,
  seed=42)``, LightGBM's defaults otherwise), with no early stopping (the notebook stops on its validation
  split, which here would be the test runs); one thread, as Winnow's laws. CPU from ``time.process_time``.

    python tests/bench/bench_regmix.py [--repeats N] [--keep DIR]

Exits 0 with a message where the data are absent; needs the ``bench`` extra (lightgbm) for the reference.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "mixing" / "regmix"
sys.path.insert(0, str(ROOT))

FILES = ("train_mixture_1m.csv", "train_pile_loss_1m.csv", "test_mixture_60m.csv", "test_pile_loss_60m.csv")
HEADLINE = "metric/the_pile_pile_cc_val_loss"


def read_csv(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    """(key column values, other column names, their values) of one of RegMix's tables."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return [r[0] for r in rows[1:]], rows[0][1:], np.array([[float(x) for x in r[1:]] for r in rows[1:]])


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def winnow_fit(out: Path) -> tuple[dict[str, np.ndarray], list[str], float, float]:
    """Run ``winnow mix fit`` end to end; (predictions per target, their keys, CPU s, wall s)."""
    exe = Path(sys.executable).with_name("winnow")
    cmd = [str(exe)] if exe.is_file() else [sys.executable, "-m", "pipeline.cli"]
    cmd += ["mix", "fit", "--mixtures", str(DATA / FILES[0]), "--losses", str(DATA / FILES[1]),
            "--predict", str(DATA / FILES[2]), "--output", str(out)]
    cpu0, t0 = children_cpu(), time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, children_cpu() - cpu0
    if r.returncode != 0:
        raise SystemExit(f"bench_regmix: `{' '.join(cmd)}` failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    import pyarrow.parquet as pq

    t = pq.read_table(out / "predictions.parquet")
    keys = [str(k) for k in t.column(0).to_pylist()]
    return {c: t.column(c).to_numpy() for c in t.column_names[1:]}, keys, cpu, wall


def lightgbm_fit() -> tuple[dict[str, np.ndarray], float]:
    """RegMix's regression: one LightGBM per target; (predictions of the 60M mixtures, CPU s)."""
    import lightgbm as lgb

    _, sources, X = read_csv(DATA / FILES[0])
    _, targets, Y = read_csv(DATA / FILES[1])
    _, test_sources, Xt = read_csv(DATA / FILES[2])
    assert test_sources == sources
    t0 = time.process_time()
    preds = {}
    for j, t in enumerate(targets):
        m = lgb.LGBMRegressor(boosting_type="gbdt", objective="regression", n_estimators=1000, learning_rate=0.01,
                              random_state=42, n_jobs=1, verbose=-1)
        m.fit(X, Y[:, j])
        preds[t] = m.predict(Xt)
    return preds, time.process_time() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2, help="runs of each side (Spearman is seeded; CPU varies)")
    ap.add_argument("--keep", default=None, help="keep the last `winnow mix fit` output here")
    args = ap.parse_args()
    missing = [f for f in FILES if not (DATA / f).is_file()]
    if missing:
        print(f"bench_regmix: skipped: RegMix's runs ({', '.join(missing)}) are absent from {DATA}")
        return 0
    try:
        import lightgbm
    except ImportError:
        print("bench_regmix: the reference needs lightgbm: pip install -e '.[bench]' (make bench does)",
              file=sys.stderr)
        return 2
    from scipy.stats import spearmanr

    test_keys, targets, Yt = read_csv(DATA / FILES[3])
    truth = {t: Yt[:, j] for j, t in enumerate(targets)}
    rho_w, rho_l, cpu_w, wall_w, cpu_l = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            out = Path(tmp) / f"fit{i}"
            pw, keys, cw, ww = winnow_fit(out)
            order = [keys.index(k) for k in test_keys]
            rho_w.append({t: spearmanr(pw[t][order], truth[t]).statistic for t in targets})
            cpu_w.append(cw)
            wall_w.append(ww)
            pl, cl = lightgbm_fit()
            rho_l.append({t: spearmanr(pl[t], truth[t]).statistic for t in targets})
            cpu_l.append(cl)
        if args.keep:
            shutil.rmtree(args.keep, ignore_errors=True)
            shutil.copytree(out, args.keep)
        import json

        fit = json.loads((out / "fit.json").read_text())

    def rng(xs, fmt="{:.4f}"):
        lo, hi = min(xs), max(xs)
        return fmt.format(lo) if fmt.format(lo) == fmt.format(hi) else f"{fmt.format(lo)}-{fmt.format(hi)}"

    print(f"RegMix runs: fit on {len(read_csv(DATA / FILES[0])[0])} mixtures x {len(targets)} losses at 1M "
          f"parameters, rank {len(test_keys)} mixtures trained at 60M; lightgbm {lightgbm.__version__}, "
          f"{args.repeats} repeats, {os.cpu_count()} cores")
    print(f"winnow mix fit chose {fit['chosen_model']} (held-out Spearman of the combined loss on the 1M runs, "
          + ", ".join(f"{m} {r['spearman']:.4f}" for m, r in fit["models"].items()) + ")")
    width = max(len(t) for t in targets)
    print(f"\n{'Spearman on the 60M runs':<{width}}  {'winnow':>13}  {'LightGBM':>13}  {'difference':>10}")
    for t in targets:
        w, lg = [r[t] for r in rho_w], [r[t] for r in rho_l]
        print(f"{t:<{width}}  {rng(w):>13}  {rng(lg):>13}  {np.mean(w) - np.mean(lg):+10.4f}")
    avg_w, avg_l = [float(np.mean(list(r.values()))) for r in rho_w], [float(np.mean(list(r.values()))) for r in rho_l]
    print(f"{'average over the ' + str(len(targets)) + ' targets':<{width}}  {rng(avg_w):>13}  {rng(avg_l):>13}  "
          f"{np.mean(avg_w) - np.mean(avg_l):+10.4f}")
    cc_w, cc_l = [r[HEADLINE] for r in rho_w], [r[HEADLINE] for r in rho_l]
    print(f"{'Pile-CC':<{width}}  {rng(cc_w):>13}  {rng(cc_l):>13}  {np.mean(cc_w) - np.mean(cc_l):+10.4f}")
    worse = [t for t in targets if np.mean([r[t] for r in rho_w]) < np.mean([r[t] for r in rho_l])]
    print(f"targets where winnow ranks worse than LightGBM: {', '.join(worse) or 'none'}")
    ratio = [c / r for c, r in zip(cpu_w, cpu_l)]
    print(f"\nCPU seconds: winnow mix fit end to end {rng(cpu_w, '{:.1f}')} (wall {rng(wall_w, '{:.1f}')}; "
          f"CV of {len(fit['models'])} families, refit, predictions, mix choice), LightGBM fit + predict "
          f"{rng(cpu_l, '{:.1f}')}: {rng(ratio, '{:.1f}')}x the reference's CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
