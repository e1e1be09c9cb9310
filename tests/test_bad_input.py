"""Bad input is skipped, counted under its reason and named, and the run goes on (real text from
../shared/data): truncated parquet and .jsonl.gz files, non-UTF-8 JSON lines, empty files, mixed formats."""

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.cli import main
from tests.conftest import shared_data


def real_rows(n=300):
    out = []
    with gzip.open(shared_data("domains", "reviews_movie_reviews.jsonl.gz"), "rt") as f:
        for line in f:
            rec = json.loads(line)
            out.append({"id": rec["id"], "text": rec["text"]})
            if len(out) == n:
                break
    return out


def _stats(out):
    return json.loads((out / "stats.json").read_text())


def test_truncated_parquet_is_skipped_and_named(tmp_path, capsys):
    rows = real_rows()
    inp = tmp_path / "in"
    inp.mkdir()
    pq.write_table(pa.Table.from_pylist(rows[:100]), inp / "good.parquet")
    pq.write_table(pa.Table.from_pylist(rows[100:]), inp / "whole.parquet", row_group_size=50)
    data = (inp / "whole.parquet").read_bytes()
    (inp / "cut.parquet").write_bytes(data[: len(data) // 2])  # the footer is gone
    (inp / "whole.parquet").unlink()
    rc = main(["dedup", str(inp / "*.parquet"), "--output", str(tmp_path / "out"), "--method", "exact"])
    err = capsys.readouterr().err
    assert rc == 0
    stats = _stats(tmp_path / "out")
    assert stats["skipped_by_reason"] == {"bad_file": 1}
    assert stats["input"] == 101 and stats["kept"] + stats["removed"] == 100 and stats["conserved"]
    assert err.count(str(inp / "cut.parquet")) == 1 and "Traceback" not in err


def test_truncated_gzip_jsonl_keeps_what_came_before(tmp_path, capsys):
    rows = real_rows()
    inp = tmp_path / "in"
    inp.mkdir()
    blob = gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode())
    (inp / "cut.jsonl.gz").write_bytes(blob[: len(blob) // 2])
    rc = main(["dedup", str(inp / "*.jsonl.gz"), "--output", str(tmp_path / "out"), "--method", "exact"])
    err = capsys.readouterr().err
    assert rc == 0
    stats = _stats(tmp_path / "out")
    assert stats["skipped_by_reason"] == {"truncated_file": 1}
    read = stats["kept"] + stats["removed"]
    assert 0 < read < len(rows) and stats["input"] == read + 1 and stats["conserved"]
    assert err.count(str(inp / "cut.jsonl.gz")) == 1 and "Traceback" not in err
    assert f"unreadable after line {read}" in err


def test_non_utf8_lines_are_counted_and_empty_files_named(tmp_path, capsys):
    rows = real_rows(20)
    inp = tmp_path / "in"
    inp.mkdir()
    lines = [json.dumps(r, ensure_ascii=False).encode() for r in rows]
    lines[3] = json.dumps({"id": "latin", "text": "Un film très réussi, à voir."}, ensure_ascii=False).encode("cp1252")
    (inp / "a.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (inp / "empty.jsonl").write_bytes(b"")
    rc = main(["dedup", str(inp / "*.jsonl"), "--output", str(tmp_path / "out"), "--method", "exact"])
    err = capsys.readouterr().err
    assert rc == 0
    stats = _stats(tmp_path / "out")
    assert stats["stages"][0]["decoded"] == {"replaced": 1}
    assert stats["skipped_by_reason"] == {"empty_file": 1} and stats["input"] == 21 and stats["conserved"]
    assert "a.jsonl line 4: not valid UTF-8" in err and f"{inp / 'empty.jsonl'}: empty file" in err
    text = {r["id"]: r["text"] for r in pq.read_table(tmp_path / "out" / "documents").to_pylist()}
    assert text["latin"] == "Un film tr\ufffds r\ufffdussi, \ufffd voir."


def test_mixed_formats_say_which_files_are_which(tmp_path, capsys):
    (tmp_path / "a.jsonl").write_text('{"id": "1", "text": "x"}\n')
    (tmp_path / "b.parquet").write_bytes(b"")
    rc = main(["dedup", str(tmp_path / "*"), "--output", str(tmp_path / "out")])
    assert rc == 2
    err = capsys.readouterr().err
    assert f"jsonl: {tmp_path / 'a.jsonl'}" in err and f"parquet: {tmp_path / 'b.parquet'}" in err
