"""The README is true: its column list is the output contract, and its commands run as written."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
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
    """Every command line of the README's ```sh and ```console blocks, continuation lines joined."""
    out = []
    for block in re.findall(r"```(?:sh|console)\n(.*?)```", README, flags=re.S):
        for cmd in block.replace("\\\n", " ").splitlines():
            cmd = cmd.strip()
            if cmd and not cmd.startswith("#"):
                out.append(cmd)
    return out


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), flags=re.M))


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
        assert argv[0] in (".venv/bin/winnow", ".venv/bin/duckdb", "make"), cmd
        if argv[0].endswith("winnow"):
            build_parser().parse_args(argv[1:])  # argparse exits (SystemExit) on a bad flag
        if argv[0] == "make":
            assert {a for a in argv[1:] if "=" not in a} <= make_targets(), cmd


def test_make_demo_and_test_never_install_system_packages(tmp_path):
    """A user's machine is theirs: without Tesseract, `make demo` and `make test` print the apt command and go on
    (the demo without its PDF run, whose scanned and garbled PDFs need OCR: it says so).

    Make runs its real recipes with a PATH that holds no tesseract, only recorders for apt-get, apt and sudo (and
    mkdir), and a venv of recorders, so nothing is installed or run for real."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    log = tmp_path / "calls.log"
    bin_dir, venv_bin = tmp_path / "bin", tmp_path / "venv" / "bin"
    bin_dir.mkdir()
    venv_bin.mkdir(parents=True)
    for name in ("apt-get", "apt", "sudo", "python", "winnow"):
        where = bin_dir if name in ("apt-get", "apt", "sudo") else venv_bin
        (where / name).write_text(f'#!/bin/sh\necho "{name} $*" >> {log}\n')
        (where / name).chmod(0o755)
    (bin_dir / "mkdir").symlink_to(shutil.which("mkdir"))
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env["PATH"] = str(bin_dir)
    venv = tmp_path / "venv"
    res = subprocess.run([make, "-f", str(ROOT / "Makefile"), "-o", f"{venv}/.winnow-setup", f"VENV={venv}",
                          "demo", "test"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    calls = log.read_text().splitlines()
    assert not [c for c in calls if c.split()[0] in ("apt-get", "apt", "sudo")], calls
    assert not [c for c in calls if "pip install" in c], calls  # the OCR binding is of no use without tesseract
    assert "run: sudo apt-get install tesseract-ocr tesseract-ocr-eng" in res.stdout
    assert "python -m pytest -q" in calls and any(c.startswith("winnow run configs/demo.yaml") for c in calls)
    assert not [c for c in calls if c.startswith("winnow run configs/pdf.yaml")], calls
    assert "skipped the PDF run: two of the three demo PDFs need OCR" in res.stdout


def test_ci_runs_the_readme_test_command_first():
    """.ci/run runs `make test`, the README's command, before anything installs an extra into the venv."""
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    make_lines = [line for line in ci if re.match(r"(\w+=\S+ )*make ", line)]
    assert "make test    # sets up .venv and runs the test suite" in README
    assert make_lines and make_lines[0] == "make test", make_lines
    assert not any("pip install" in line for line in ci[: ci.index("make test")])


def demo_run_block() -> list[str]:
    """The README's copy of what `winnow run configs/demo.yaml` prints, and the line count it states."""
    block = re.search(r"```\n(winnow run demo:.*?)```", README, flags=re.S).group(1).splitlines()
    stated = int(re.search(r"\((\d+) lines; datatrove's own logs", README).group(1))
    return block, stated


def same_but_timing(readme_line: str, printed: str) -> bool:
    """A README line matches the printed one: equal, or cut short with " ...", times and rates aside (a job's
    rate is printed only when it ran long enough to measure one)."""
    readme_line, printed = readme_line.rstrip(), printed.rstrip()
    if re.match(r"(phase \d|\d+-barrier|finalize|done:)", printed):
        readme_line, printed = (re.sub(r"\d[\d.:]*", "#", re.sub(r",? +[\d,.]+ ?(records)?/s", "", x))
                                for x in (readme_line, printed))
    if readme_line.endswith(" ..."):
        return printed.startswith(readme_line[:-4])
    return readme_line == printed


def test_readme_demo_block_names_the_demo_configs_hash():
    """The README's demo run prints configs/demo.yaml's config hash: a change to what the config hashes (a new
    option, a renamed section) must update the README in the same commit, not surface in the slow suite."""
    from pipeline.config import load_config

    block, _ = demo_run_block()
    printed = re.match(r"winnow run demo: config ([0-9a-f]{16}),", block[0]).group(1)
    cwd = os.getcwd()
    os.chdir(ROOT)  # the demo runs from the project root, so its input path hashes relative to it
    try:
        expected = load_config(ROOT / "configs" / "demo.yaml").config_hash()
    finally:
        os.chdir(cwd)
    assert printed == expected, "README's demo block shows an old config hash; rerun `make demo` and copy it"


@pytest.mark.slow
def test_readme_commands_run_as_written(tmp_path):
    """In a fresh directory, every README command in order (`make demo` first); each must do what it says.

    Only what the README says is needed beyond the project is stubbed: the OpenAI-compatible endpoint
    (tests/fake_llm.py, in place of the README's URL) and the cluster (an sbatch whose controller is down, a
    closed Ray address): the cluster commands must get as far as submitting, and fail there. The venv is the
    one running this test, so make's install steps (setup, ocr-deps) count as done; `make test` is the suite
    this test belongs to (.ci/run runs it: test_ci_runs_the_readme_test_command_first). The demo's printed
    run and its anneal shares must be what the README shows."""
    import json

    from tests.fake_llm import FakeLLM

    if not SHARED_DATA.is_dir():
        pytest.skip(f"the README's commands read {SHARED_DATA}; it is absent here")
    from tests.test_ocr import require_ocr

    require_ocr()  # the PDF commands OCR pages: skips without Tesseract, fails where CI requires it
    work = tmp_path / "project"
    work.mkdir()
    for name in ("configs", "Makefile"):
        (work / name).symlink_to(ROOT / name)
    (work / ".venv").mkdir()
    (work / ".venv" / "bin").symlink_to(Path(sys.executable).parent)
    (tmp_path / "shared").symlink_to(SHARED_DATA.parent)
    no_cluster = tmp_path / "no-cluster"
    no_cluster.mkdir()
    (no_cluster / "sbatch").write_text(
        f'#!/bin/sh\necho "$*" >> {no_cluster}/sbatch.log\n'
        'echo "sbatch: error: Batch job submission failed: Unable to contact slurm controller" >&2\nexit 1\n')
    (no_cluster / "sbatch").chmod(0o755)
    with socket.socket() as s:  # a loopback port nothing listens on: the Ray cluster is absent
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.update(PYTHONUNBUFFERED="1", PATH=f"{no_cluster}{os.pathsep}{env['PATH']}", RAY_ADDRESS=f"127.0.0.1:{closed}")

    def sh(cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, shell=True, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=900, executable="/bin/bash")

    ran = []
    with FakeLLM() as llm:
        for cmd in readme_commands():
            if cmd.startswith("make test"):
                continue
            run = cmd.replace("http://127.0.0.1:8000/v1", llm.url)
            if run.startswith("make "):
                run = f"make -o .venv/.winnow-setup -o ocr-deps {run[5:]}"
            res = sh(run)
            tail = f"{cmd}\n--- output\n{res.stdout[-4000:]}"
            if CLUSTER in cmd:
                assert res.returncode != 0, tail  # there is no cluster here
                if "--executor slurm" in cmd:
                    assert (no_cluster / "sbatch.log").is_file(), tail  # it got as far as submitting
                else:
                    assert "ray" in res.stdout.lower(), tail
            else:
                assert res.returncode == 0, tail
            ran.append((cmd, res.stdout))
        assert llm.docs_requested()  # the console blocks reached the endpoint

    demo = next(out.replace(f"{work}/", "") for cmd, out in ran if cmd.startswith("make demo")).splitlines()
    start = next(i for i, line in enumerate(demo) if line.startswith("winnow run demo:"))
    end = next(i for i, line in enumerate(demo) if i > start and line.startswith("query:"))
    printed = demo[start:end + 1]
    block, stated = demo_run_block()
    assert stated == len(printed) == len(block), (stated, printed)
    for readme_line, line in zip(block, printed):
        assert same_but_timing(readme_line, line), (readme_line, line)

    anneal = json.loads((work / "out" / "schedule_demo" / "manifest.json").read_text())["phases"]["anneal"]
    shares = [f"{anneal['sources'][s]['fraction']:.3f}" for s in ("crawl", "clean")]
    assert f"(shares {shares[0]} / {shares[1]} against 0.6 / 0.4" in README

    out = sh('.venv/bin/duckdb -csv -c "select count(*) from \'out/demo/documents/*.parquet\'"').stdout
    assert int(out.split()[-1]) > 50
