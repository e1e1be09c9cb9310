"""The house rules that hold the packages together: no import cycles, one registry, declared columns."""

from __future__ import annotations

import ast
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.outputs import CORE, CORE_NAMES, REMOVED, run_columns
from pipeline.registry import STAGE_MODULES, stages
from pipeline.stage import Column
from tests.conftest import ROOT

PACKAGES = ("pipeline", "filters", "ocr", "mixers")


def _modules() -> dict[str, Path]:
    """module name -> file, for every module of the packages, subpackages (``pipeline.demo``) included."""
    return {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
            for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the project modules it imports, at any depth (function-level imports count too)."""
    graph = {}
    for name, path in modules.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            else:
                continue
            for t in targets:
                while t and t not in modules:
                    t = t.rpartition(".")[0]
                if t and t != name:
                    deps.add(t)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_planted_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_in_a_circle():
    modules = _modules()
    assert {"pipeline.demo", "pipeline.demo.warc", "pipeline.demo.pdfs"} <= set(modules)  # subpackages count
    found = cycles(import_graph(modules))
    assert found == [], f"import cycles: {found}"


def test_the_spine_does_not_import_stage_modules_at_module_level():
    """The registry finds stages by module name; pipeline.stage and pipeline.registry import no stage module."""
    graph = import_graph(_modules())
    assert not graph["pipeline.stage"] & set(STAGE_MODULES)
    assert not graph["pipeline.registry"] & set(STAGE_MODULES)


def test_every_module_with_a_stage_is_listed_in_the_registry():
    with_register = {name for name, path in _modules().items()
                     if "@register(" in path.read_text() and name != "pipeline.stage"}
    assert with_register == set(STAGE_MODULES)


def test_every_stage_declares_its_columns_typed_and_explained():
    core_types = {c.name: c.type for c in CORE}
    seen: dict[str, tuple[str, pa.DataType]] = {}
    for name, cls in stages().items():
        for col in cls.columns:
            assert isinstance(col, Column) and isinstance(col.type, pa.DataType), name
            assert col.meaning and col.name, name
            assert col.name not in {c.name for c in REMOVED}, (name, col.name)
            if col.name in core_types:  # a core column a stage fills: same type as the contract's
                assert col.type == core_types[col.name], (name, col.name)
            if col.name in seen and "<" not in col.name:
                assert seen[col.name][1] == col.type, (name, seen[col.name][0], col.name)
            seen[col.name] = (name, col.type)


class _Writes:
    def __init__(self, *cols, reads=()):
        self.columns, self.reads_columns = cols, reads


def test_run_columns_core_then_input_then_declared_then_read():
    steps = [_Writes(Column("lang", pa.string(), "core"), Column("pii_email", pa.int64(), "x")),
             _Writes(Column("quality_a", pa.float64(), "x")), _Writes(reads=("quality_b", "quality_c"))]
    cols = run_columns((("kept_from_input", pa.int32()), ("quality_a", pa.float32()), ("quality_c", pa.float32())),
                       steps)
    assert cols == (("kept_from_input", pa.int32()), ("quality_a", pa.float64()),  # rewritten by a stage: its float
                    ("quality_c", pa.float32()),  # only read: the input's type, untouched
                    ("pii_email", pa.int64()), ("quality_b", pa.float64()))
    assert not CORE_NAMES & {n for n, _ in cols}


def test_a_stage_column_that_contradicts_the_inputs_type_is_an_error():
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError,
                       match="column 'badwords_count' is string in the input, but stage .* writes it as int64"):
        run_columns((("badwords_count", pa.string()),), [_Writes(Column("badwords_count", pa.int64(), "x"))])


@pytest.mark.parametrize("module", STAGE_MODULES)
def test_stage_modules_import_the_contract_from_the_spine(module):
    graph = import_graph(_modules())
    assert "pipeline.stage" in graph[module]


def _subcommands(parser, prefix=()):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name), sub
                yield from _subcommands(sub, (*prefix, name))


def test_every_command_has_a_help_description():
    from pipeline.cli import build_parser

    commands = dict(_subcommands(build_parser()))
    assert {("run",), ("materialise",), ("report",), ("stages",), ("assets",), ("pdf-demo",),
            ("quality", "score")} <= set(commands)
    missing = [" ".join(c) for c, p in commands.items() if not (p.description or "").strip()]
    assert missing == [], f"commands without a --help description: {missing}"


# One helper per chore: the one home of each, and the mark of a second implementation, cheap to grep for.
ONE_HELPER = {
    "atomic write": ("pipeline/atomic.py",
                     r"\bos\.(replace|rename)\(|\.rename\(|shutil\.move\(|\.replace\([^,()'\"=]+\)"),
    "file SHA-256": ("pipeline/assets.py",
                     r"hashlib\.(sha256|file_digest)\(.*(read_bytes|open)\(|def \w*sha256\w*\("),
    "package versions": ("pipeline/manifest.py", r"\bmetadata\.version\(|importlib_metadata|pkg_resources"),
    "YAML file loading": ("pipeline/config.py", r"yaml\.(safe_)?load\(.*(read_text|read|open)\(|yaml\.load\("),
    "parent-domain walk": ("pipeline/urls.py", r"\"\.\"\.join\(\w+\[\w+:\]\)"),
    "host normalisation": ("pipeline/urls.py", r"removeprefix\([\"']www\."),
    "run-directory paths": ("pipeline/layout.py",
                            r"/ [\"'](documents|removed|shards|logs|work|keys|assign|scores|stats|"
                            r"completions|commits|progress|manifest\.json|report\.html|"
                            r"(cut|edges|cluster|barrier_done)\.json)[\"']"),
}
# Copies still left in modules this change could not edit, to move to the helper: (file, chore). Each must still
# hold its copy, so the list only shrinks.
ONE_HELPER_LEFT: set[tuple[str, str]] = set()


def test_each_chore_has_one_implementation():
    """Atomic writes go through pipeline.atomic (a task's outputs through pipeline.commit, which renames by a name
    of its own), file checksums through pipeline.assets.sha256_file, package versions through
    pipeline.manifest.package_versions, YAML files through pipeline.config.load_yaml, domain lists through
    pipeline.urls.parent_domains and normalise_host, and paths under a run directory through pipeline.layout."""
    import re

    found = set()
    lines = []
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for chore, (home, pattern) in ONE_HELPER.items():
                    if rel != home and re.search(pattern, line):
                        found.add((rel, chore))
                        if (rel, chore) not in ONE_HELPER_LEFT:
                            lines.append(f"{rel}:{n}: {chore} outside {home}: {line.strip()}")
    assert lines == [], "a second implementation:\n" + "\n".join(lines)
    assert ONE_HELPER_LEFT <= found, f"now in the helper, drop from ONE_HELPER_LEFT: {ONE_HELPER_LEFT - found}"


def test_one_helper_patterns_catch_the_copies_they_replaced():
    import re

    copies = {
        "atomic write": 'tmp_dest.replace(dest)',
        "file SHA-256": '"sha256": hashlib.sha256(path.read_bytes()).hexdigest(),',
        "package versions": "out[pkg] = importlib_metadata.version(pkg)",
        "YAML file loading": 'raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}',
        "parent-domain walk": 'sid = domains.get(".".join(parts[i:]))',
        "host normalisation": 'host = host.lower().removeprefix("www.")',
        "run-directory paths": 'path = work / "scores" / f"{r:05d}.npy"',
    }
    assert set(copies) == set(ONE_HELPER)
    for chore, line in copies.items():
        assert re.search(ONE_HELPER[chore][1], line), chore
    for harmless in ('s.replace("a", "b")', "replace(cfg, output=out)", "t.replace(tzinfo=utc)",
                     'params[key] = yaml.safe_load(value)', '" ".join(words[i:])'):
        assert not any(re.search(p, harmless) for _, p in ONE_HELPER.values()), harmless
