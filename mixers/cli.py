"""Entry points for ``winnow mix`` and ``winnow materialise`` (the CLI parses arguments and calls these).

Both print a short summary and return an exit code; bad input raises ``ConfigError`` / ``WinnowError``,
which the CLI prints without a traceback.
"""

from __future__ import annotations

from mixers.config import load_mix_config
from mixers.materialise import materialise
from mixers.mix import run_mix
from mixers.schedule import materialise_schedule


def mix_command(config_path: str, output: str | None = None, sources: list[str] | None = None,
                targets: list[str] | None = None, runs: int | None = None, budget_tokens: int | None = None,
                validate: bool = False) -> int:
    """``winnow mix CONFIG [--output DIR] [--source NAME=GLOB ...] [--target NAME=GLOB[:WEIGHT] ...]
    [--runs N] [--budget-tokens N] [--validate]``"""
    cfg = load_mix_config(config_path).with_overrides(output=output, sources=sources, targets=targets, runs=runs,
                                                      budget_tokens=budget_tokens)
    res = run_mix(cfg, do_validate=validate, progress=None)
    w, fit, study = res["weights"], res["fit"], res["study"]
    out = res["output"]
    for msg in w["warnings"]:
        print(f"warning: {msg}")
    print(f"proxy runs             {res['total_runs']} ({res['trained']} trained now, "
          f"{res['total_runs'] - res['trained']} resumed from {out}/runs.parquet)  proxy {cfg.proxy.kind}, "
          f"{cfg.proxy.budget_tokens:,} {cfg.tokenizer} tokens each")
    models = ", ".join(f"{m} {r['spearman']:.3f}" for m, r in fit["models"].items())
    print(f"fit (held-out Spearman) {models}; chose {fit['chosen_model']} (RMSE {fit['rmse']:.4f} bits/byte)")
    width = max(len(s) for s in study.names)
    c = w["constraints"]
    print(f"{'source':<{width}}  chosen  natural  uniform    max  binds")
    for s in study.names:
        print(f"{s:<{width}}  {w['weights'][s]:6.3f}  {w['natural'][s]:7.3f}  {1 / len(study.names):7.3f}  "
              f"{w['bounds']['max'][s]:.3f}  {c['sources'][s]['binds'] or '-'}")
    for s, pred in w.get("where", {}).items():
        print(f"where                  {s}: {pred} ({w['available_tokens'][s]:,} tokens selected)")
    for line in c["summary"]:
        print(f"constraints            {line}")
    b = w["baselines"]

    def outside(name):
        return "" if b[name]["within_constraints"] else " (outside the constraints)"

    print(f"predicted loss         chosen {w['predicted_loss']:.4f}, uniform {b['uniform']['predicted_loss']:.4f}"
          f"{outside('uniform')}, natural {b['natural']['predicted_loss']:.4f}{outside('natural')}, best sampled "
          f"run {b['best_sampled']['run']} {b['best_sampled']['actual_loss']:.4f} (actual)  [bits/byte]")
    d = w["distance_to_nearest_run"]
    print(f"distance to runs       {d['total_variation']:.3f} (total variation, nearest run {d['run']})")
    if w["fallback"]:
        print(f"fallback               {w['fallback']}")
    v = w.get("validation")
    if v:
        print(f"validation             fresh proxies at {v['budget_tokens']:,} tokens x {v['seeds']} seeds "
              "(dev / test bits per byte)")
        for name, r in v["mixes"].items():
            print(f"  {name:<13} {r['dev_loss']:.4f} / {r['test_loss']:.4f}")
        print(f"  chosen beats uniform and natural: dev {v['chosen_beats_uniform_and_natural_dev']}, "
              f"test {v['chosen_beats_uniform_and_natural_test']}")
    print(f"wrote {out}/runs.parquet, fit.json, weights.json, {', '.join(res['plots'])} "
          f"({w['seconds']['total']:.1f} s)")
    return 0


def materialise_command(weights_json: str, sources: list[str], tokens: int, output: str, seed: int = 0) -> int:
    """``winnow materialise WEIGHTS_JSON --source NAME=GLOB ... --tokens N --output OUT [--seed N]``"""
    m = materialise(weights_json, sources, tokens, output, seed)
    print(f"wrote {m['tokens']:,} {m['tokenizer']} tokens ({m['documents']:,} documents) to {output} "
          f"for {m['tokens_requested']:,} requested (longest document {m['longest_document_tokens']:,})")
    width = max(len(s) for s in m["sources"])
    print(f"{'source':<{width}}  weight  actual  epochs  max_epochs")
    for s, r in m["sources"].items():
        print(f"{s:<{width}}  {r['weight']:6.3f}  {r['fraction']:6.3f}  {r['epochs']:6.2f}  {r['max_epochs']:g}")
    return 0


def schedule_command(schedule: str, output: str) -> int:
    """``winnow materialise --schedule S.yaml --output DIR``"""
    m = materialise_schedule(schedule, output)
    print(f"wrote {m['tokens']:,} {m['tokenizer']} tokens in {len(m['phases'])} phases to {output} "
          f"(longest document {m['longest_document_tokens']:,})")
    width = max(len(s) for s in m["sources"])
    print(f"{'phase':<12} {'source':<{width}}  weight  actual      tokens  documents  pool_docs  epochs")
    for name, ph in m["phases"].items():
        for s, r in ph["sources"].items():
            print(f"{name:<12} {s:<{width}}  {r['weight']:6.3f}  {r['fraction']:6.3f}  {r['tokens']:>10,}  "
                  f"{r['documents']:>9,}  {r['pool_documents']:>9,}  {r['epochs']:6.2f}"
                  + (f"  where {r['where']}" if r["where"] else ""))
    for s, r in m["sources"].items():
        print(f"{'all phases':<12} {s:<{width}}  epochs {r['epochs']:.2f} of max {r['max_epochs']:g}, a document "
              f"used at most {r['max_uses_of_a_document']} times")
    return 0
