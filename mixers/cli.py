"""Entry points for ``winnow mix``, ``winnow mix plan``, ``winnow mix fit`` and ``winnow materialise`` (the CLI
parses arguments and calls these).

Both print a short summary and return an exit code; bad input raises ``ConfigError`` / ``WinnowError``,
which the CLI prints without a traceback.
"""

from __future__ import annotations

from mixers.config import MixConfig, load_mix_config
from mixers.materialise import materialise, parse_sources
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


def _study_config(config_path: str | None, sources: list[str] | None, seed: int | None, tokenizer: str | None,
                  target_tokens: int | None, min_weight, max_weight, max_epochs) -> MixConfig:
    """The mix config (or the defaults) with ``--source NAME=GLOB`` and the constraint flags over it."""
    from dataclasses import replace

    from mixers.sources import empty_config, with_flags

    cfg = load_mix_config(config_path) if config_path else empty_config("runs")
    if sources:  # as for `winnow mix`: --source replaces the config's sources; a source's `where` stays with its name
        parsed = {name: tuple(globs) for name, globs in parse_sources(sources).items()}
        cfg = replace(cfg, sources=parsed, where={k: v for k, v in cfg.where.items() if k in parsed})
    return with_flags(cfg, seed, tokenizer, target_tokens, min_weight, max_weight, max_epochs)


def plan_command(config_path: str | None, output: str, runs: int, sources: list[str] | None = None,
                 names: str | None = None, source_tokens: list[str] | None = None, tokens: int | None = None,
                 materialise_runs: bool = False, seed: int | None = None, tokenizer: str | None = None,
                 target_tokens: int | None = None, min_weight=None, max_weight=None, max_epochs=None) -> int:
    """``winnow mix plan [CONFIG] --runs N --output DIR [--source NAME=GLOB ... | --sources a,b,c]
    [--source-tokens NAME=N ...] [--materialise --tokens N] [constraints]``"""
    from mixers.plan import plan
    from mixers.sources import parse_source_tokens
    from pipeline.errors import ConfigError

    if names and (sources or config_path):
        raise ConfigError("--sources: names the sources when there is no config and no --source; give one of them")
    name_list = [n.strip() for n in names.split(",") if n.strip()] if names else None
    if names is not None and not name_list:
        raise ConfigError(f"--sources: expected names separated by commas, got {names!r}")
    cfg = _study_config(config_path, sources, seed, tokenizer, target_tokens, min_weight, max_weight, max_epochs)
    rec = plan(cfg, runs, output, name_list, parse_source_tokens(source_tokens), tokens, materialise_runs,
               progress=print if materialise_runs else None)
    width = max(len(s) for s in rec["sources"])
    counts = rec["available_tokens"]
    print(f"plan                   {rec['runs']} runs over {len(rec['sources'])} sources, seed {rec['seed']}, "
          f"around the {rec['design_centre']} mix"
          + (f"; token counts from {rec['token_counts_from']}" if counts else "; no token counts: no epoch caps"))
    print(f"{'source':<{width}}  {'min':>6}  {'max':>6}  {'natural':>7}  {'tokens':>14}")
    for s in rec["sources"]:
        nat = f"{rec['natural'][s]:7.3f}" if rec["natural"] else f"{'-':>7}"
        tok = f"{counts[s]:>14,}" if counts else f"{'-':>14}"
        print(f"{s:<{width}}  {rec['bounds']['min'][s]:6.3f}  {rec['bounds']['max'][s]:6.3f}  {nat}  {tok}")
    print(f"constraints            {rec['feasible_region']['summary']}")
    if rec["feasible_region"]["warning"]:
        print(f"warning: {rec['feasible_region']['warning']}")
    m = rec.get("materialised")
    if m:
        print(f"materialised           {m['runs_written']} runs written, {m['runs_kept']} already there, "
              f"{m['tokens_per_run']:,} {rec['tokenizer']} tokens each, under {output}/runs/<run>/")
    print(f"wrote {output}/plan.csv, plan.parquet, plan.json ({rec['seconds']:.1f} s); after the runs: winnow mix fit "
          f"--mixtures {output}/plan.csv --losses LOSSES.csv --output DIR")
    return 0


def fit_command(config_path: str | None, mixtures: str, losses: str, output: str, key: str | None = None,
                predict: str | None = None, targets: list[str] | None = None, families: str | None = None,
                folds: int | None = None, sources: list[str] | None = None, source_tokens: list[str] | None = None,
                seed: int | None = None, tokenizer: str | None = None, target_tokens: int | None = None,
                min_weight=None, max_weight=None, max_epochs=None) -> int:
    """``winnow mix fit [CONFIG] --mixtures M --losses L --output DIR [--predict P] [--target NAME=WEIGHT ...]
    [--families a,b] [--source-tokens NAME=N ...] [constraints]``"""
    from mixers.fit import fit_runs
    from mixers.sources import parse_source_tokens

    cfg = _study_config(config_path, sources, seed, tokenizer, target_tokens, min_weight, max_weight, max_epochs)
    fams = [f.strip() for f in families.split(",") if f.strip()] if families else None
    res = fit_runs(cfg, mixtures, losses, output, key, predict, targets, fams, folds,
                   parse_source_tokens(source_tokens), progress=lambda m: print(f"cross-validated        {m}"))
    f, w, src = res["fit"], res["weights"], res["sources"]
    for msg in res["warnings"]:
        print(f"warning: {msg}")
    print(f"fit                    {f['runs']} runs, {len(f['targets'])} targets, {f['folds']}-fold; chose "
          f"{f['chosen_model']} (held-out Spearman {f['spearman']:.4f} combined)")
    tw = max(len(t) for t in f["per_target"])
    print(f"{'target':<{tw}}  weight  held-out Spearman  " + "  ".join(f"{m:>9}" for m in f["models"]))
    for t, r in f["per_target"].items():
        others = "  ".join(f"{m['per_target'][t]['spearman']:9.4f}" for m in f["models"].values())
        print(f"{t:<{tw}}  {f['targets'][t]:6.3g}  {r['spearman']:17.4f}  {others}")
    width = max(len(s) for s in src.names)
    print(f"{'source':<{width}}  chosen     min     max  binds")
    c = w["constraints"]
    for s in src.names:
        print(f"{s:<{width}}  {w['weights'][s]:6.3f}  {w['bounds']['min'][s]:6.3f}  {w['bounds']['max'][s]:6.3f}  "
              f"{c['sources'][s]['binds'] or '-'}")
    for line in c["summary"]:
        print(f"constraints            {line}")
    b = w["baselines"]
    print(f"predicted loss         chosen {w['predicted_loss']:.4f}, uniform {b['uniform']['predicted_loss']:.4f}, "
          f"best run {b['best_sampled']['run']} {b['best_sampled']['actual_loss']:.4f} (measured)")
    if w["fallback"]:
        print(f"fallback               {w['fallback']}")
    if res["predictions"] is not None:
        print(f"predicted              {res['predictions']} mixtures of {predict}: {output}/predictions.parquet")
    print(f"wrote {output}/{', '.join(res['files'])} ({f['seconds']:.1f} s)")
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
