"""Mistakes that would throw a corpus away without a word: a typo'd score column, training data given as a
benchmark, a stage that drops almost everything (real text from ../shared/data)."""

import gzip
import json
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from filters.decontam import Decontaminate
from pipeline.cli import main
from pipeline.errors import ConfigError
from tests.conftest import ROOT, shared_data


@pytest.fixture
def scored(tmp_path):
    rows = []
    with gzip.open(shared_data("domains", "scientific_scitldr_abstracts.jsonl.gz"), "rt") as f:
        for i, line in enumerate(f):
            if i == 200:
                break
            rec = json.loads(line)
            rows.append({"id": rec["id"], "text": rec["text"], "quality_sci": (i % 100) / 100})
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "scored.parquet")
    return tmp_path / "scored.parquet"


def test_unknown_score_column_is_an_error_before_any_work(scored, tmp_path, capsys):
    rc = main(["apply", "score_filter_v1", str(scored), "--output", str(tmp_path / "o"),
               "--set", "column=quality_nope", "--set", "min_score=0.5"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "'quality_nope'" in err and "score columns that exist: quality_sci" in err
    assert not (tmp_path / "o" / "documents").exists()


def test_known_score_column_runs(scored, tmp_path):
    assert main(["apply", "score_filter_v1", str(scored), "--output", str(tmp_path / "o"),
                 "--set", "column=quality_sci", "--set", "min_score=0.5"]) == 0
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["kept"] == 100 and stats["alarms"] == []


def test_a_stage_dropping_almost_everything_is_shouted(scored, tmp_path, capsys):
    assert main(["apply", "score_filter_v1", str(scored), "--output", str(tmp_path / "o"),
                 "--set", "column=quality_sci", "--set", "min_score=0.95"]) == 0
    out = capsys.readouterr().out
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    (alarm,) = stats["alarms"]
    assert alarm["stage"] == "score_filter_v1" and alarm["share"] == 0.95
    assert "WARNING: score_filter_v1 dropped 95% of its input (190 of 200, mostly score_filter_below_threshold)" in out


def test_training_data_given_as_benchmarks_is_an_error(tmp_path, capsys):
    docs = tmp_path / "docs.jsonl"
    docs.write_text(json.dumps({"id": "1", "text": "some words " * 20}) + "\n")
    rc = main(["decontam", str(docs), "--benchmarks", str(ROOT / "configs" / "data"), "--output", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and "quality_negative.jsonl does not look like a benchmark" in err and "--force" in err
    assert main(["decontam", str(docs), "--benchmarks", str(ROOT / "configs" / "data"), "--force",
                 "--output", str(tmp_path / "f")]) == 0


def test_real_benchmarks_pass_the_check_and_real_corpora_do_not():
    step = Decontaminate(benchmarks=[str(shared_data("benchmarks"))])
    assert len(step.benchmark_files) >= 5
    corpora = sorted(shared_data("domains").glob("*.jsonl.gz")) + sorted(shared_data("quality").glob("*.jsonl.gz"))
    # the check covers every corpus ../shared/data/README.md documents in those folders, and only such corpora
    readme = shared_data("README.md").read_text(encoding="utf-8")
    for folder in ("domains", "quality"):
        section = readme.split(f"\n## {folder}/", 1)[1].split("\n## ", 1)[0]
        documented = {f"{name}.jsonl.gz" for name in re.findall(r"^\| (\w+) \|", section, re.M)} - {"file.jsonl.gz"}
        documented |= set(re.findall(r"`(\w+\.jsonl\.gz)`", section))
        found = {p.name for p in corpora if p.parent.name == folder}
        assert documented, f"no corpus documented under ## {folder}/ in ../shared/data/README.md"
        assert documented <= found, f"documented in ../shared/data/README.md but absent: {documented - found}"
        assert found <= documented, f"no entry in ../shared/data/README.md: {found - documented}"
    for path in corpora:
        with pytest.raises(ConfigError, match="does not look like a benchmark"):
            Decontaminate(benchmarks=[str(path)])
