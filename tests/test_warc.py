"""WARC reading: real Common Crawl samples, and damaged files that must be counted, not crash or lose records."""

import gzip
import io

import pytest

from pipeline.encoding import decode_html
from pipeline.errors import ConfigError
from pipeline.warc import WarcReader, resolve_inputs
from tests.conftest import shared_data


def read(path, with_input=False):
    reader = WarcReader([str(path)])
    docs = list(reader.run())
    counts = {k: v.total for k, v in reader.stats.stats.items()}
    skipped = {k.removeprefix("skipped_"): v for k, v in counts.items() if k.startswith("skipped_")}
    assert counts.get("input", 0) == len(docs) + sum(skipped.values()), counts  # every record is accounted for
    return (docs, skipped, counts.get("input", 0)) if with_input else (docs, skipped)


def member_offsets(data: bytes) -> list[int]:
    from fastwarc.warc import ArchiveIterator

    return [r.stream_pos for r in ArchiveIterator(io.BytesIO(data), parse_http=False)]


@pytest.fixture(scope="module")
def sample():
    path = shared_data("warc", "dolma-sample-0000.warc.gz")
    return path.read_bytes()


def test_real_common_crawl_sample(sample, tmp_path):
    docs, skipped = read(shared_data("warc", "dolma-sample-0000.warc.gz"))
    assert len(docs) == 22 and skipped == {"not_response": 26}
    d = docs[0]
    assert d.id.startswith("urn:uuid:") and d.metadata["url"].startswith("http")
    assert d.metadata["crawl_date"].startswith("20") and "<html" in d.text.lower()


@pytest.mark.parametrize("name", ["warcfile.warc.gz", "clueweb-quirk.warc.gz", "whirlwind.warc.gz",
                                  "cmoncrawl-mini.warc.gz", "warcio-example.warc.gz"])
def test_all_real_samples_read_without_crash(name):
    docs, skipped = read(shared_data("warc", name))
    assert docs or skipped


def test_wet_conversion_records_are_text():
    docs, _ = read(shared_data("warc", "whirlwind.warc.wet.gz"))
    assert docs and all(d.metadata["content_type"] == "text/plain" for d in docs)
    assert "<html" not in docs[0].text.lower()


def _with_member_replaced(data: bytes, i: int, new: bytes) -> bytes:
    offs = member_offsets(data)
    return data[: offs[i]] + new + data[offs[i + 1]:]


def test_truncated_gzip_member_costs_only_that_record(sample, tmp_path):
    offs = member_offsets(sample)
    i = 6  # a response record
    bad = sample[: offs[i]] + sample[offs[i]: offs[i] + (offs[i + 1] - offs[i]) // 2] + sample[offs[i + 1]:]
    (tmp_path / "t.warc.gz").write_bytes(bad)
    docs, skipped, n_input = read(tmp_path / "t.warc.gz", with_input=True)
    assert len(docs) == 21 and skipped["corrupt"] == 1 and n_input == len(offs)


def test_garbage_header_and_bad_length(sample, tmp_path):
    garbage = gzip.compress(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: zz\r\n\r\nhello\r\n\r\n")
    (tmp_path / "g.warc.gz").write_bytes(_with_member_replaced(sample, 6, garbage))
    docs, skipped = read(tmp_path / "g.warc.gz")
    assert len(docs) == 21 and skipped.get("corrupt", 0) >= 1


def test_file_cut_inside_a_response(sample, tmp_path):
    raw = gzip.decompress(sample)
    cut = raw.rfind(b"WARC-Type: response")
    (tmp_path / "cut.warc").write_bytes(raw[: cut + 2000])  # uncompressed WARC, last response cut short
    docs, skipped = read(tmp_path / "cut.warc")
    assert len(docs) == 21 and skipped["truncated"] == 1


def test_bundled_demo_counts_its_corrupt_tail(tmp_path):
    from pipeline.demo.warc import write_demo_warc

    summary = write_demo_warc(tmp_path / "d.warc.gz", n_pages=60, seed=3)
    docs, skipped, n_input = read(tmp_path / "d.warc.gz", with_input=True)
    assert n_input == summary["total_records"]  # each damaged record counted once, none twice
    assert skipped.get("corrupt", 0) + skipped.get("truncated", 0) == summary["records"]["corrupt"] == 3
    assert len(docs) == summary["html_pages"]


def test_empty_and_non_warc_files(tmp_path):
    (tmp_path / "empty.warc.gz").write_bytes(b"")
    assert read(tmp_path / "empty.warc.gz") == ([], {"empty_file": 1})  # counted and named, not silent
    (tmp_path / "junk.warc").write_bytes(b"this is not a web archive\n" * 100)
    docs, skipped = read(tmp_path / "junk.warc")
    assert docs == [] and skipped == {"corrupt": 1}


def test_resolve_inputs(tmp_path):
    (tmp_path / "a.warc.gz").write_bytes(b"")
    (tmp_path / "b.warc.gz").write_bytes(b"")
    assert resolve_inputs([str(tmp_path / "*.warc.gz")]) == [str(tmp_path / "a.warc.gz"), str(tmp_path / "b.warc.gz")]
    with pytest.raises(ConfigError, match="no files match"):
        resolve_inputs([str(tmp_path / "*.warc")])


@pytest.mark.parametrize(
    "data, declared, text, how",
    [
        ("<p>héllo</p>".encode("utf-8"), None, "<p>héllo</p>", "utf-8"),
        ("<p>héllo</p>".encode("cp1252"), "ISO-8859-1", "<p>héllo</p>", "declared"),
        ('<meta charset="windows-1251"><p>привет</p>'.encode("cp1251"), None, "привет", "meta"),
        ("<p>日本語のテキスト</p>".encode("shift_jis"), "shift_jis", "日本語", "declared"),
        ("\ufeff<p>bom</p>".encode("utf-8"), "latin-1", "<p>bom</p>", "bom"),
        ("<p>héllo wörld, ça va très bien à côté</p>".encode("cp1252"), "no-such-codec", "très", None),
    ],
)
def test_decode_html(data, declared, text, how):
    got, got_how = decode_html(data, declared)
    assert text in got
    if how:
        assert got_how == how
    else:
        assert got_how in ("detected", "replaced")


@pytest.mark.parametrize("split_bytes", [30_000, 77_777, 150_000])
def test_byte_range_units_read_every_record_once(tmp_path, split_bytes):
    from pipeline.demo.warc import write_demo_warc
    from pipeline.readers import split_units

    path = tmp_path / "d.warc.gz"
    write_demo_warc(path, n_pages=120, seed=5)
    whole = WarcReader([str(path)])
    whole_docs = [d.id for d in whole.run()]
    units = split_units([str(path)], split_bytes)
    assert len(units) > 1
    reader = WarcReader(units)
    split_docs = [d.id for rank in range(len(units)) for d in reader.run(rank=rank, world_size=len(units))]
    assert split_docs == whole_docs  # same records, once each, in order
    def totals(r):
        return {k: v.total for k, v in r.stats.stats.items() if k == "input" or k.startswith("skipped_")}
    assert totals(reader) == totals(whole)  # damaged records in the tail are counted once too


def test_jsonl_byte_ranges(tmp_path):
    from pipeline.readers import DocumentReader, split_units

    path = tmp_path / "d.jsonl"
    with open(path, "w") as f:
        for i in range(500):
            f.write('{"id": "%d", "text": "%s"}\n' % (i, "word " * (i % 37)))
        f.write("not json\n")
    units = split_units([str(path)], 1000)
    assert len(units) > 5
    reader = DocumentReader(units)
    ids = [d.id for rank in range(len(units)) for d in reader.run(rank=rank, world_size=len(units))]
    assert ids == [str(i) for i in range(500)]
    assert reader.stats.stats["skipped_bad_json"].total == 1 and reader.stats.stats["input"].total == 501


def test_progress_lines(tmp_path, monkeypatch):
    from loguru import logger

    from pipeline.demo.warc import write_demo_warc

    write_demo_warc(tmp_path / "d.warc.gz", n_pages=40, seed=2)
    lines = []
    sink = logger.add(lambda m: lines.append(str(m)), level="INFO", format="{message}")
    try:
        reader = WarcReader([str(tmp_path / "d.warc.gz")])
        monkeypatch.setattr(reader, "progress_seconds", 0.0)
        docs = list(reader.run())
    finally:
        logger.remove(sink)
    progress = [line for line in lines if line.startswith("task 0:")]
    assert len(progress) == len(docs)  # with progress_seconds=0, one line per document
    assert "documents" in progress[-1] and "/s" in progress[-1] and "% of" in progress[-1] and "ETA" in progress[-1]
