"""Run configs: YAML parsed into frozen, validated objects before any work starts.

Shape (every key but ``name``, ``input.paths`` and ``stages`` has a default)::

    name: cc
    seed: 0
    input: {format: warc, paths: "data/cc/*.warc.gz", limit: -1, split_mb: 256}
    output: out/cc
    executor: {kind: local, tasks: 4, workers: 2}
    shards: false                       # true: also write OUT/shards/*.jsonl.zst
    tokenizer: words_v1                 # how n_tokens is counted (pipeline.tokens); offline
    drop_alarm: 0.9                     # warn loudly when a stage drops more than this share of its input
    stages:
      - extract_html_v1: {}
      - langid_v1: {languages: [en], threshold: 0.65}
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import ConfigError
from pipeline.formats import formats, get_format
from pipeline.registry import typed_options, validate_params
from pipeline.tokens import DEFAULT_RUN_TOKENIZER, TOKENIZERS

EXECUTORS = ("local", "slurm", "ray")
# The files a run keeps between its phases (OUT/work): bumped when their layout changes, so that an unfinished run
# started by an older Winnow is refused rather than resumed on files the new code would misread.
WORK_FORMAT = 2  # 2: dedup keys as sorted band entries and sketches, cluster tasks' pairs
_TOP_KEYS = ("name", "seed", "input", "output", "executor", "shards", "report", "tokenizer", "drop_alarm", "stages")


@dataclass(frozen=True)
class InputConfig:
    format: str
    paths: tuple[str, ...]
    limit: int = -1  # documents per task, -1 for all (debugging aid)
    split_mb: int = 256  # files larger than this are read as several units (WARC, plain JSON lines)
    options: Any = None  # the format's typed options (``input.<format>``, ``pipeline.formats``), checked when parsed


@dataclass(frozen=True)
class ExecutorConfig:
    """Where tasks run: datatrove's Local, Slurm or Ray executor (``pipeline.executors``)."""

    kind: str = "local"
    tasks: int = 1
    workers: int = 1  # tasks at once (local: processes; slurm/ray: -1 for no limit)
    cpus_per_task: int = 1  # slurm, ray
    mem_per_cpu_gb: float = 2  # slurm, ray
    time: str | None = None  # slurm: "HH:MM:SS" per task (required); ray: seconds per task, or none
    partition: str | None = None  # slurm (required)
    sbatch_args: dict | None = None  # slurm: extra #SBATCH options, e.g. {account: myteam}
    ray_address: str | None = None  # ray: cluster address; default: $RAY_ADDRESS, else a local instance for the run


@dataclass(frozen=True)
class StageConfig:
    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunConfig:
    name: str
    input: InputConfig
    output: str
    stages: tuple[StageConfig, ...]
    executor: ExecutorConfig = ExecutorConfig()
    seed: int = 0
    shards: bool = False
    report: bool = True  # write OUT/report.html in the last job
    tokenizer: str = DEFAULT_RUN_TOKENIZER  # counts n_tokens (pipeline.tokens)
    drop_alarm: float = 0.9  # a stage dropping more than this share of its input is flagged in the funnel

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def config_hash(self) -> str:
        """Hash of everything that changes what a run produces (not where it writes or how it is scheduled)."""
        d = self.to_dict()
        for key in ("output", "executor", "report", "drop_alarm"):
            d.pop(key)
        d["work_format"] = WORK_FORMAT
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def with_overrides(
        self,
        input_glob: str | None = None,
        output: str | None = None,
        tasks: int | None = None,
        workers: int | None = None,
        limit: int | None = None,
        executor: str | None = None,
        partition: str | None = None,
        time: str | None = None,
        cpus_per_task: int | None = None,
        mem_per_cpu_gb: float | None = None,
    ) -> "RunConfig":
        cfg = self
        if input_glob is not None:
            cfg = replace(cfg, input=replace(cfg.input, paths=(input_glob,)))
        if limit is not None:
            cfg = replace(cfg, input=replace(cfg.input, limit=_positive_or_all("--limit", limit)))
        if output is not None:
            cfg = replace(cfg, output=output)
        ex = cfg.executor
        if tasks is not None:
            ex = replace(ex, tasks=positive_int("--tasks", tasks))
        if workers is not None:
            ex = replace(ex, workers=positive_int("--workers", workers))
        changes = {k: v for k, v in (("kind", executor), ("partition", partition), ("time", time),
                                     ("cpus_per_task", cpus_per_task), ("mem_per_cpu_gb", mem_per_cpu_gb))
                   if v is not None}
        if changes:
            ex = parse_executor({**{k: v for k, v in asdict(ex).items() if v is not None}, **changes})
        return replace(cfg, executor=ex)


def positive_int(where: str, v: Any) -> int:
    """``v`` if it is an integer >= 1, else a ConfigError naming ``where``."""
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise ConfigError(f"{where}: expected a positive integer, got {v!r}")
    return v


def _positive_or_all(where: str, v: Any) -> int:
    if v == -1:
        return -1
    return positive_int(where, v)


def checked_mapping(where: str, v: Any, allowed: tuple[str, ...] | None) -> dict:
    """``v`` if it is a mapping whose keys are all in ``allowed`` (any keys when None), else a ConfigError."""
    if not isinstance(v, dict):
        raise ConfigError(f"{where}: expected a mapping, got {v!r}")
    for k in v:
        if allowed is not None and k not in allowed:
            raise ConfigError(f"{where}: unknown key {k!r}; valid keys: {', '.join(allowed)}")
    return v


def parse_executor(ex: Any) -> ExecutorConfig:
    fields = ("kind", "tasks", "workers", "cpus_per_task", "mem_per_cpu_gb", "time", "partition", "sbatch_args",
              "ray_address")
    ex = checked_mapping("executor", ex, fields)
    kind = ex.get("kind", "local")
    if kind not in EXECUTORS:
        raise ConfigError(f"executor.kind: unknown executor {kind!r}; valid executors: {', '.join(EXECUTORS)}")
    workers = ex.get("workers", 1)
    if workers != -1:
        workers = positive_int("executor.workers", workers)
    mem = ex.get("mem_per_cpu_gb", 2)
    if not isinstance(mem, (int, float)) or isinstance(mem, bool) or mem <= 0:
        raise ConfigError(f"executor.mem_per_cpu_gb: expected a positive number, got {mem!r}")
    for key in ("time", "partition", "ray_address"):
        if ex.get(key) is not None and not isinstance(ex[key], (str, int)):
            raise ConfigError(f"executor.{key}: expected a string, got {ex[key]!r}")
    if ex.get("sbatch_args") is not None and not isinstance(ex["sbatch_args"], dict):
        raise ConfigError(f"executor.sbatch_args: expected a mapping, got {ex['sbatch_args']!r}")
    cfg = ExecutorConfig(
        kind, positive_int("executor.tasks", ex.get("tasks", 1)), workers,
        positive_int("executor.cpus_per_task", ex.get("cpus_per_task", 1)), float(mem),
        None if ex.get("time") is None else str(ex["time"]), ex.get("partition"), ex.get("sbatch_args"),
        ex.get("ray_address"),
    )
    if kind == "slurm" and (not cfg.partition or not cfg.time):
        raise ConfigError("executor: slurm needs `partition` and `time` (HH:MM:SS per task), in the config or as "
                          "--partition / --time")
    return cfg


def parse_named(parse, raw: Any, source: str):
    """``parse(raw)``, with every ConfigError prefixed by ``source`` (the file or command it came from)."""
    try:
        return parse(raw)
    except ConfigError as e:
        raise ConfigError(f"{source}: {e}") from None


def parse_config(raw: Any, source: str = "<config>") -> RunConfig:
    """Validate a loaded YAML mapping; every error names ``source`` and the offending key."""
    return parse_named(_parse, raw, source)


def _parse(raw: Any) -> RunConfig:
    raw = checked_mapping("config", raw, _TOP_KEYS)
    for key in ("name", "input", "stages"):
        if key not in raw:
            raise ConfigError(f"missing required key {key!r}")
    name = raw["name"]
    if not isinstance(name, str) or not name:
        raise ConfigError(f"name: expected a non-empty string, got {name!r}")

    with_options = tuple(f.name for f in formats().values() if f.options is not None)
    inp = checked_mapping("input", raw["input"], ("format", "paths", "limit", "split_mb") + with_options)
    fmt = inp.get("format", "warc")
    input_format = get_format(fmt)
    for other in with_options:
        if inp.get(other) is not None and other != fmt:
            raise ConfigError(f"input.{other}: options for format {other}, but input.format is {fmt!r}")
    paths = inp.get("paths")
    if isinstance(paths, str):
        paths = [paths]
    if not paths or not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
        raise ConfigError(f"input.paths: expected a glob or a list of globs, got {paths!r}")
    options = None
    if input_format.options is not None:
        options = typed_options(input_format.options, inp.get(fmt), f"input.{fmt}")
    input_cfg = InputConfig(fmt, tuple(paths), _positive_or_all("input.limit", inp.get("limit", -1)),
                            positive_int("input.split_mb", inp.get("split_mb", 256)), options)

    executor = parse_executor(raw.get("executor", {}))

    output = raw.get("output", f"out/{name}")
    if not isinstance(output, str) or not output:
        raise ConfigError(f"output: expected a directory path, got {output!r}")
    seed = raw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"seed: expected an integer, got {seed!r}")
    shards = raw.get("shards", False)
    if not isinstance(shards, bool):
        raise ConfigError(f"shards: expected true or false, got {shards!r}")

    stages_raw = raw["stages"]
    if not isinstance(stages_raw, list) or not stages_raw:
        raise ConfigError("stages: expected a non-empty list of {stage_name: {params}} entries")
    stage_cfgs = []
    seen = set()
    for i, entry in enumerate(stages_raw):
        if isinstance(entry, str):
            entry = {entry: {}}
        if not isinstance(entry, dict) or len(entry) != 1:
            raise ConfigError(f"stages[{i}]: expected one mapping {{stage_name: {{params}}}}, got {entry!r}")
        (stage, params), = entry.items()
        if stage in seen:
            raise ConfigError(f"stages[{i}]: stage {stage!r} appears twice; each stage runs once per pipeline")
        seen.add(stage)
        stage_cfgs.append(StageConfig(stage, validate_params(stage, params)))
    report = raw.get("report", True)
    if not isinstance(report, bool):
        raise ConfigError(f"report: expected true or false, got {report!r}")
    tokenizer = raw.get("tokenizer", DEFAULT_RUN_TOKENIZER)
    if tokenizer not in TOKENIZERS:
        raise ConfigError(f"tokenizer: unknown tokenizer {tokenizer!r}; valid tokenizers: {', '.join(TOKENIZERS)}")
    alarm = raw.get("drop_alarm", 0.9)
    if isinstance(alarm, bool) or not isinstance(alarm, (int, float)) or not 0 < alarm <= 1:
        raise ConfigError(f"drop_alarm: expected a share in (0, 1], got {alarm!r}")
    return RunConfig(name, input_cfg, output, tuple(stage_cfgs), executor, seed, shards, report, tokenizer,
                     float(alarm))


def load_yaml(path: str | Path, what: str = "config file") -> Any:
    """The YAML document in ``path`` (JSON is YAML too), or None for an empty file: the one way a file is read as
    YAML. A file that is missing, not UTF-8 or not YAML is a ConfigError naming ``what`` and the file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{what} not found: {path}")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise ConfigError(f"{what} {path}: not UTF-8 text ({e})") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{what} {path}: not valid YAML: {e}") from None


def load_config(path: str | Path) -> RunConfig:
    return parse_config(load_yaml(path), str(path))
