"""The README is true: its column list is the output contract, and its commands run as written."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.outputs import CORE, REMOVED
from pipeline.registry import stages
from tests.conftest import ROOT, SHARED_DATA

README = (ROOT / "README.md").read_text()
CLUSTER = "# needs a cluster"


def readme_commands() -> list[str]:
    """Every command line of the README's ```sh blocks, continuation lines joined, `make` lines left out."""
    out = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S):
        for cmd in block.replace("\\\n", " ").splitlines():
            cmd = cmd.strip()
            if cmd and not cmd.startswith(("make ", "#")):
                out.append(cmd)
    return out


def makefile_demo_commands() -> list[str]:
    """The winnow commands of `make demo`, in order."""
    recipe = re.search(r"^demo:.*?\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), flags=re.M).group(1)
    lines = recipe.replace("\\\n", " ").splitlines()
    return [line.strip().replace("$(WINNOW)", ".venv/bin/winnow") for line in lines if "$(WINNOW)" in line]


def test_readme_lists_every_core_column_in_order():
    para = README[README.index("starts with the same core columns"):README.index("Then come the")]
    listed = re.findall(r"`([a-z_]+)`", para)
    assert listed == [c.name for c in CORE] + [c.name for c in REMOVED]


def test_readme_stage_column_table_is_what_the_stages_declare():
    table = README[README.index("| stage | columns it adds |"):]
    table = table[: table.index("\n\n")]
    in_readme = {}
    for row in table.splitlines()[2:]:
        names, cols = row.split("|")[1:3]
        for stage in re.findall(r"`([a-z0-9_]+)`", names):
            in_readme[stage] = re.findall(r"`([a-z_<>]+)`", cols)
    core = {c.name for c in CORE}
    declared = {name: [c.name for c in cls.columns if c.name not in core] for name, cls in stages().items()}
    assert len(in_readme) >= 8
    for stage, cols in in_readme.items():  # what the README says is true (`winnow stages` lists every stage)
        assert cols == declared[stage], stage


def test_readme_commands_parse():
    """Every command's arguments are valid for the CLI (the slow test below runs them)."""
    from pipeline.cli import build_parser

    cmds = readme_commands()
    assert len(cmds) >= 15
    for cmd in cmds:
        argv = shlex.split(cmd.split(" # ")[0].split("  #")[0])
        assert argv[0] in (".venv/bin/winnow", ".venv/bin/duckdb"), cmd
        if argv[0].endswith("winnow"):
            build_parser().parse_args(argv[1:])  # argparse exits (SystemExit) on a bad flag


@pytest.mark.slow
def test_readme_commands_run_as_written(tmp_path):
    """In a fresh directory: `make demo`'s steps, then every README command in order, each must succeed."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the README's commands read {SHARED_DATA}; it is absent here")
    work = tmp_path / "project"
    work.mkdir()
    (work / "configs").symlink_to(ROOT / "configs")
    (work / ".venv").mkdir()
    (work / ".venv" / "bin").symlink_to(Path(sys.executable).parent)
    (tmp_path / "shared").symlink_to(SHARED_DATA.parent)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def sh(cmd: str, check_only: bool = False):
        if check_only:  # a cluster submission: check the config and arguments the way `winnow run` would
            from pipeline.cli import build_parser
            from pipeline.config import load_config

            args = build_parser().parse_args(shlex.split(cmd.split("#")[0])[1:])
            load_config(work / args.config).with_overrides(executor=args.executor, tasks=args.tasks,
                                                          partition=args.partition, time=args.time)
            return
        res = subprocess.run(cmd, shell=True, cwd=work, env=env, capture_output=True, text=True, timeout=900,
                             executable="/bin/bash")
        assert res.returncode == 0, f"{cmd}\n--- stdout\n{res.stdout[-3000:]}\n--- stderr\n{res.stderr[-3000:]}"
        return res

    for cmd in makefile_demo_commands():
        sh(cmd)
    for cmd in readme_commands():
        sh(cmd, check_only=CLUSTER in cmd)
    out = sh('.venv/bin/duckdb -csv -c "select count(*) from \'out/demo/documents/*.parquet\'"').stdout
    assert int(out.split()[-1]) > 50
