"""The input-format registry (pipeline/formats.py): the built-in formats, and a format of one's own
(tests/toy_format.py) declared in one module and run end to end by `winnow run`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.errors import ConfigError
from pipeline.formats import format_of, formats, get_format

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path, fmt", [
    ("a/CC-MAIN-1.warc.gz", "warc"), ("b.warc", "warc"), ("c.wet.gz", "warc"), ("d.PDF", "pdf"),
    ("e.parquet", "parquet"), ("f.jsonl.zst", "jsonl"), ("g.json.gz", "jsonl"), ("h.txt", "unknown"),
])
def test_each_file_has_the_format_its_name_says(path, fmt):
    assert format_of(path) == fmt


def test_the_built_in_formats_and_their_options():
    assert list(formats())[:4] == ["parquet", "jsonl", "warc", "pdf"]
    assert get_format("pdf").options.__name__ == "PdfOptions"
    assert get_format("warc").options is None
    with pytest.raises(ConfigError, match=r"unknown format 'tiff'; valid formats: parquet, jsonl, warc, pdf"):
        get_format("tiff")


def test_options_of_another_format_are_refused():
    from pipeline.config import parse_config

    raw = {"name": "x", "input": {"format": "warc", "paths": "a.warc.gz", "pdf": {"dpi": 200}},
           "stages": [{"langid_v1": {}}]}
    with pytest.raises(ConfigError, match=r"input.pdf: options for format pdf, but input.format is 'warc'"):
        parse_config(raw)


def _winnow(args: list[str], **env) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True, env=full,
                          cwd=ROOT, timeout=300)


def test_a_format_of_ones_own_runs_end_to_end(tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    (data / "a.lines").write_text("A line said twice.\nx\nThe third line, kept.\n", encoding="utf-8")
    (data / "b.lines").write_text("A line said twice.\n", encoding="utf-8")
    config = tmp_path / "toy.yaml"
    config.write_text(json.dumps({
        "name": "toy", "input": {"format": "lines", "paths": str(data / "*.lines"), "lines": {"min_chars": 2}},
        "output": str(tmp_path / "out"), "executor": {"kind": "local", "tasks": 2, "workers": 1},
        "stages": [{"exact_dedup_v1": {}}]}))
    res = _winnow(["run", str(config)], WINNOW_FORMATS="tests.toy_format")
    assert res.returncode == 0, res.stderr[-3000:]
    docs = pq.read_table(list((tmp_path / "out" / "documents").glob("*.parquet"))).to_pylist()
    removed = pq.read_table(list((tmp_path / "out" / "removed").glob("*.parquet"))).to_pylist()
    kept = sorted(((Path(d["id"]).name, d["line_no"], d["text"]) for d in docs), key=lambda k: k[2])
    assert [k[2] for k in kept] == ["A line said twice.", "The third line, kept."]
    assert ("a.lines#3", 3, "The third line, kept.") in kept  # the format's own column, typed, in the output
    assert [(r["line_no"], r["text"], r["reason"].startswith("exact_dedup")) for r in removed] == [
        (1, "A line said twice.", True)]
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert (stats["input"], stats["kept"], stats["removed"], stats["skipped"]) == (4, 2, 1, 1)

    # its options are typed and checked like the built-in ones, before any work
    config.write_text(config.read_text().replace('"min_chars": 2', '"min_chars": 0'))
    bad = _winnow(["run", str(config), "--output", str(tmp_path / "out2")], WINNOW_FORMATS="tests.toy_format")
    assert bad.returncode != 0 and "input.lines.min_chars: expected 1 or more, got 0" in bad.stderr


def test_an_unimportable_format_module_is_a_clear_error(tmp_path):
    res = _winnow(["run", str(ROOT / "configs" / "demo.yaml"), "--output", str(tmp_path / "o")],
                  WINNOW_FORMATS="no_such_module_here")
    assert res.returncode != 0 and "WINNOW_FORMATS: cannot import 'no_such_module_here'" in res.stderr
