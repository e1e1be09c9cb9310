"""Benchmark: honest validation of ``winnow mix`` on the real domain corpora in ../shared/data/domains.

Runs the study of ``configs/mix.yaml`` (8 sources; targets: WikiText-2 articles, which are no source, and
the held-out splits of the Q&A and scientific sources) from scratch in a temporary directory, then trains
fresh proxies (seeds the search never used, ``budget_multiplier`` x the search budget) on the chosen mix,
the uniform mix, the natural (token-proportional) mix and the best sampled run, and prints their target
losses side by side on the targets' dev halves (what the mix was chosen on) and their untouched test halves,
as ratios to the uniform and natural mixes measured in the same run. Also prints the regression's
cross-validated Spearman per family, against one law fitted to the averaged loss, and the runtimes.

    python tests/bench/bench_mix.py [--runs N] [--budget-tokens N] [--keep DIR]

Exits 0 with a message when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "domains"
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=None, help="proxy runs (default: the config's 64)")
    ap.add_argument("--budget-tokens", type=int, default=None, help="tokens per proxy run (default: the config's)")
    ap.add_argument("--keep", default=None, help="write the study here instead of a temporary directory")
    args = ap.parse_args()
    if not SHARED.is_dir():
        print(f"bench_mix: skipped: the real domain corpora ({SHARED}) are absent here")
        return 0
    os.chdir(ROOT)  # configs/mix.yaml names ../shared/data/... relative to the project root
    from mixers.config import load_mix_config
    from mixers.mix import run_mix

    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or str(Path(tmp) / "mix")
        cfg = load_mix_config("configs/mix.yaml").with_overrides(output=out, runs=args.runs,
                                                                 budget_tokens=args.budget_tokens)
        t0 = time.perf_counter()
        res = run_mix(cfg, do_validate=True)
        wall = time.perf_counter() - t0
    w, fit, v = res["weights"], res["fit"], res["weights"]["validation"]
    print(f"study: {res['total_runs']} proxy runs ({cfg.proxy.kind}, {cfg.proxy.budget_tokens:,} "
          f"{cfg.tokenizer} tokens each), {len(res['study'].names)} sources, targets "
          + ", ".join(f"{t} x{a:g}" for t, a in w["targets"].items()))
    print(f"time: {wall:.1f} s in all: prepare {w['seconds']['prepare']:.1f} s, "
          f"proxy runs {w['seconds']['runs']:.1f} s "
          f"({w['seconds']['runs'] / max(res['trained'], 1):.2f} s per run), validation {v['seconds']:.1f} s")
    print("fit, held-out Spearman of the combined loss (5-fold over runs):")
    for m, r in fit["models"].items():
        per = ", ".join(f"{t} {x['spearman']:.3f}" for t, x in r["per_target"].items())
        print(f"  {m:<10} {r['spearman']:.3f}  RMSE {r['rmse']:.4f} bits/byte  (per target: {per})")
    if "direct_average_loglinear" in fit:
        d = fit["direct_average_loglinear"]
        print(f"  {'averaged':<10} {d['spearman']:.3f}  RMSE {d['rmse']:.4f}  (one loglinear law on the averaged loss)")
    print(f"chosen by {fit['chosen_model']} ({w['search']['method']}); distance to nearest run "
          f"{w['distance_to_nearest_run']['total_variation']:.3f} TV; fallback: {w['fallback'] or 'none'}")
    names = list(w["weights"])
    print("weights   " + " ".join(f"{s[:10]:>10}" for s in names))
    for label, ws in (("chosen", w["weights"]), ("natural", w["natural"]),
                      ("best run", w["baselines"]["best_sampled"]["weights"])):
        print(f"{label:<9} " + " ".join(f"{ws[s]:10.3f}" for s in names))
    print(f"validation: fresh proxies, {v['budget_tokens']:,} tokens x {v['seeds']} seeds; bits per byte "
          "(lower is better)")
    targets = list(w["targets"])
    print(f"  {'mix':<13} {'dev':>7} {'test':>7}  " + "  ".join(f"{'test:' + t:>16}" for t in targets)
          + "   test/uniform  test/natural")
    mixes = v["mixes"]
    for name, r in mixes.items():
        print(f"  {name:<13} {r['dev_loss']:7.4f} {r['test_loss']:7.4f}  "
              + "  ".join(f"{r['test'][t]:16.4f}" for t in targets)
              + f"   {r['test_loss'] / mixes['uniform']['test_loss']:12.4f}"
              f"  {r['test_loss'] / mixes['natural']['test_loss']:12.4f}")
    ok_dev, ok_test = v["chosen_beats_uniform_and_natural_dev"], v["chosen_beats_uniform_and_natural_test"]
    print(f"chosen beats uniform and natural: dev {ok_dev}, test {ok_test}")
    return 0 if ok_dev else 1


if __name__ == "__main__":
    sys.exit(main())
