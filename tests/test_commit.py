"""A task's commit is all-or-nothing (pipeline.commit): interrupts injected between its renames."""

import os
import signal
import subprocess
import sys

import pytest

from pipeline import commit as commit_mod
from pipeline.commit import CommitStep, journal_path, when_task_succeeds
from tests.conftest import ROOT


def _parts(tmp_path, n=3):
    names = [tmp_path / f"file{i}.parquet" for i in range(n)]
    for i, name in enumerate(names):
        name.with_name(name.name + ".part").write_text(f"content {i}")
    return names


def _task(names, journal_dir, rank=0):
    def steps():
        for name in names:
            when_task_succeeds(name.with_name(name.name + ".part"), name)
        yield from ()
    return list(CommitStep(journal_dir).run(steps(), rank))


KILL_SCRIPT = r"""
import os, signal, sys
from pathlib import Path
from pipeline import commit
from pipeline.commit import CommitStep, when_task_succeeds

folder, journal_dir = Path(sys.argv[1]), sys.argv[2]
real = commit._rename
done = []

def replace_then_die(src, dst):
    real(src, dst)
    done.append(dst)
    if len(done) == 1:
        os.kill(os.getpid(), signal.{sig})  # a kill, a Slurm time limit or a Ctrl-C between two renames

commit._rename = replace_then_die
signal.signal(signal.SIGINT, signal.default_int_handler)

def steps():
    for i in range(3):
        when_task_succeeds(folder / f"file{{i}}.parquet.part", folder / f"file{{i}}.parquet")
    yield from ()

list(CommitStep(journal_dir).run(steps(), 0))
print("committed")
"""


def _commit_in_child(tmp_path, sig):
    names = _parts(tmp_path)
    journal_dir = tmp_path / "commits"
    res = subprocess.run([sys.executable, "-c", KILL_SCRIPT.format(sig=sig), str(tmp_path), str(journal_dir)],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    return names, journal_dir, res


def test_a_kill_between_renames_is_rolled_forward_at_the_next_start(tmp_path):
    names, journal_dir, res = _commit_in_child(tmp_path, "SIGKILL")
    assert res.returncode == -signal.SIGKILL, res.stderr
    # killed half-way: one file final, the others not yet, and the journal says what is left to do
    assert [n.exists() for n in names] == [True, False, False]
    assert journal_path(journal_dir, 0).is_file()
    # the task's next start (any step list: its rerun) finishes the renames before anything else
    seen = []

    def rerun():
        seen.append([n.exists() for n in names])
        yield from ()

    list(CommitStep(journal_dir).run(rerun(), 0))
    assert seen == [[True, True, True]]
    assert [n.read_text() for n in names] == ["content 0", "content 1", "content 2"]
    assert not journal_path(journal_dir, 0).exists() and not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize("sig,code", [("SIGTERM", -signal.SIGTERM), ("SIGINT", -signal.SIGINT)],
                         ids=["sigterm", "sigint"])
def test_a_signal_between_renames_waits_for_the_last_one(tmp_path, sig, code):
    """SIGTERM (default action: the process dies) and SIGINT (KeyboardInterrupt) land after the commit."""
    names, journal_dir, res = _commit_in_child(tmp_path, sig)
    assert res.returncode == code, res.stderr
    assert "committed" not in res.stdout  # the signal did stop the task, once the commit was whole
    if sig == "SIGINT":
        assert "KeyboardInterrupt" in res.stderr
    assert all(n.exists() for n in names) and not list(tmp_path.glob("*.part"))
    assert not journal_path(journal_dir, 0).exists()


def test_a_failed_task_commits_nothing_and_its_renames_do_not_leak(tmp_path):
    names = _parts(tmp_path, 2)
    journal_dir = tmp_path / "commits"

    def failing():
        when_task_succeeds(names[0].with_name(names[0].name + ".part"), names[0])
        raise RuntimeError("a step failed")
        yield

    with pytest.raises(RuntimeError):
        list(CommitStep(journal_dir).run(failing(), 0))
    assert not any(n.exists() for n in names) and not journal_dir.exists()
    _task(names[1:], journal_dir)  # the next task in the same process commits only its own files
    assert [n.exists() for n in names] == [False, True]


def test_a_journal_is_per_task(tmp_path):
    names = _parts(tmp_path, 2)
    journal_dir = tmp_path / "commits"
    journal_dir.mkdir()
    (journal_dir / "00001.json").write_text(
        '{"renames": [["%s", "%s"]]}' % (f"{names[1]}.part", names[1]))
    _task([], journal_dir, rank=0)  # task 0's start does not touch task 1's journal
    assert not names[1].exists()
    _task([], journal_dir, rank=1)
    assert names[1].read_text() == "content 1" and not os.listdir(journal_dir)
    assert commit_mod._PENDING == []
