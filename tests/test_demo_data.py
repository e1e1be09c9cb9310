"""Tests for pipeline.demo_data (the deterministic demo Common Crawl WARC)."""

from __future__ import annotations

import gzip
import zlib

import pytest
from fastwarc.warc import ArchiveIterator as FastArchiveIterator
from fastwarc.warc import WarcRecordType
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from pipeline.demo_data import ALL_KINDS, CORRUPT_KINDS, KIND_PLAN_PER_300, main, write_demo_warc

TAIL_ERRORS = (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.warc.gz"
    summary = write_demo_warc(path)
    return path, summary


def _warcio_records(path):
    """All records warcio yields (content read fully), plus the exception that ended iteration."""
    out, exc = [], None
    with open(path, "rb") as fh:
        try:
            for rec in ArchiveIterator(fh):
                body = rec.content_stream().read()
                out.append(dict(
                    type=rec.rec_type,
                    id=rec.rec_headers.get_header("WARC-Record-ID"),
                    uri=rec.rec_headers.get_header("WARC-Target-URI"),
                    status=rec.http_headers.get_statuscode() if rec.http_headers else None,
                    ctype=rec.http_headers.get_header("Content-Type") if rec.http_headers else None,
                    clen=rec.rec_headers.get_header("Content-Length"),
                    body=body,
                ))
        except TAIL_ERRORS as e:  # pragma: no cover - depends on the tail layout
            exc = e
    return out, exc


def _fastwarc_records(path):
    out, exc = [], None
    with open(path, "rb") as fh:
        try:
            for rec in FastArchiveIterator(fh, parse_http=True):
                body = rec.reader.read()
                out.append(dict(
                    type=rec.record_type,
                    id=rec.headers.get("WARC-Record-ID"),
                    uri=rec.headers.get("WARC-Target-URI"),
                    status=rec.http_headers.status_code if rec.http_headers else None,
                    ctype=rec.http_headers.get("Content-Type") if rec.http_headers else None,
                    body=body,
                ))
        except TAIL_ERRORS as e:
            exc = e
    return out, exc


# --------------------------------------------------------------------------
# determinism and summary
# --------------------------------------------------------------------------

def test_same_seed_identical_bytes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    # WARC-Filename is part of the warcinfo record, so use the same file name
    sa = write_demo_warc(a / "demo.warc.gz", n_pages=120, seed=7)
    sb = write_demo_warc(b / "demo.warc.gz", n_pages=120, seed=7)
    assert (a / "demo.warc.gz").read_bytes() == (b / "demo.warc.gz").read_bytes()
    assert sa["sha256"] == sb["sha256"]
    assert sa["pages"] == sb["pages"]


def test_different_seed_different_bytes(tmp_path):
    s0 = write_demo_warc(tmp_path / "s0.warc.gz", n_pages=120, seed=0)
    s1 = write_demo_warc(tmp_path / "s1.warc.gz", n_pages=120, seed=1)
    assert s0["sha256"] != s1["sha256"]
    # same plan, different content
    assert s0["pages"] == s1["pages"]
    assert set(s0["kind_by_url"]) != set(s1["kind_by_url"])


def test_counts_add_up(demo):
    path, s = demo
    assert s["n_pages"] == 300
    assert sum(s["pages"].values()) == 300
    assert set(s["pages"]) == set(ALL_KINDS)
    expected = dict(KIND_PLAN_PER_300)
    for kind, n in expected.items():
        assert s["pages"][kind] == n, kind
    assert s["pages"]["good_en"] == 300 - sum(expected.values())
    assert s["pages"]["good_en"] > 150  # majority
    rec = s["records"]
    assert sum(rec.values()) == s["total_records"]
    assert rec["request"] == rec["response"] == 300
    assert rec["warcinfo"] == 1
    assert rec["corrupt"] == len(CORRUPT_KINDS) == len(s["corrupt_tail"])
    assert s["well_formed_records"] == s["total_records"] - rec["corrupt"]
    non_html = sum(s["pages"][k] for k in ("image", "pdf", "css", "not_found", "redirect"))
    assert s["html_pages"] == 300 - non_html
    assert len(s["kind_by_url"]) == 300
    assert s["bytes"] == path.stat().st_size
    assert 200_000 < s["bytes"] < 1_500_000


@pytest.mark.parametrize("n", [1, 5, 37])
def test_small_runs(tmp_path, n):
    s = write_demo_warc(tmp_path / "small.warc.gz", n_pages=n, seed=3)
    assert sum(s["pages"].values()) == n
    assert s["records"]["response"] == n
    assert sum(s["records"].values()) == s["total_records"]
    recs, _ = _warcio_records(tmp_path / "small.warc.gz")
    assert sum(r["type"] == "response" for r in recs[: s["well_formed_records"]]) == n


def test_invalid_page_count(tmp_path):
    with pytest.raises(ValueError):
        write_demo_warc(tmp_path / "x.warc.gz", n_pages=0)


# --------------------------------------------------------------------------
# readers
# --------------------------------------------------------------------------

def _check_well_formed(recs, s, type_name):
    wf = recs[: s["well_formed_records"]]
    assert len(wf) == s["well_formed_records"]
    assert type_name(wf[0]["type"]) == "warcinfo"
    types = [type_name(r["type"]) for r in wf]
    for t in ("request", "response", "metadata", "resource"):
        assert types.count(t) == s["records"][t], t
    responses = [r for r in wf if type_name(r["type"]) == "response"]
    assert [r["uri"] for r in responses] == list(s["kind_by_url"])
    html_200 = [r for r in responses if r["status"] in (200, "200") and (r["ctype"] or "").startswith("text/html")]
    assert len(html_200) == s["html_pages"]
    assert len({r["id"] for r in wf}) == len(wf)  # unique record ids
    return wf


def test_warcio_reads_all_well_formed_records_then_tail(demo):
    """Documents warcio 1.8.1 on the tail: it is lenient and raises nothing.

    * garbage_header     -> a record with rec_type None (no parsable WARC-Type)
    * bad_content_length -> a 'response' whose content is shorter than Content-Length
    * truncated_gzip     -> a 'response' with only the part of the body that decompressed
    """
    path, s = demo
    recs, exc = _warcio_records(path)
    _check_well_formed(recs, s, lambda t: t)
    tail = recs[s["well_formed_records"]:]
    wf_ids = {r["id"] for r in recs[: s["well_formed_records"]]}
    assert all(r["id"] not in wf_ids for r in tail)
    assert exc is None
    assert [r["type"] for r in tail] == [None, "response", "response"]
    assert tail[0]["clen"] == "banana"
    assert tail[1]["uri"].endswith("/partial-capture/")
    assert len(tail[1]["body"]) < int(tail[1]["clen"])
    assert tail[2]["uri"].endswith("/truncated-download")
    assert 0 < len(tail[2]["body"]) < int(tail[2]["clen"])


def test_fastwarc_reads_all_well_formed_records_then_tail(demo):
    """Documents fastwarc 2.0.1 on the tail: one untyped record (no_type), then OSError('Invalid WARC header')."""
    path, s = demo
    recs, exc = _fastwarc_records(path)
    _check_well_formed(recs, s, lambda t: t.name if hasattr(t, "name") else str(t).rsplit(".", 1)[-1])
    tail = recs[s["well_formed_records"]:]
    assert len(tail) <= len(CORRUPT_KINDS)
    assert len(tail) == 1 and tail[0]["type"] in (WarcRecordType.no_type, WarcRecordType.unknown)
    assert isinstance(exc, OSError)


def test_no_corrupt_tail_reads_cleanly(tmp_path):
    path = tmp_path / "clean.warc.gz"
    s = write_demo_warc(path, n_pages=80, seed=2, corrupt_tail=False)
    assert s["records"]["corrupt"] == 0 and s["corrupt_tail"] == []
    assert s["well_formed_records"] == s["total_records"]
    recs, exc = _warcio_records(path)
    assert exc is None and len(recs) == s["total_records"]
    frecs, fexc = _fastwarc_records(path)
    assert fexc is None and len(frecs) == s["total_records"]
    with gzip.open(path) as fh:  # every member complete
        assert fh.read().startswith(b"WARC/1.0\r\n")


def test_truncated_gzip_member_at_end(demo):
    path, _ = demo
    with gzip.open(path) as fh, pytest.raises(EOFError):
        while fh.read(1 << 20):
            pass


# --------------------------------------------------------------------------
# content
# --------------------------------------------------------------------------

def test_page_content_by_kind(demo):
    path, s = demo
    recs, _ = _warcio_records(path)
    kinds = s["kind_by_url"]
    by_kind: dict[str, list] = {}
    for r in recs[: s["well_formed_records"]]:
        if r["type"] == "response":
            by_kind.setdefault(kinds[r["uri"]], []).append(r)

    for r in by_kind["good_en"]:
        html = r["body"].decode("utf-8")
        assert "<nav" in html and "cookie" in html and "<footer" in html and "<head>" in html
        assert "<article" in html or 'class="post"' in html
    # exact duplicates are byte-identical to some good page on another URL
    good_bodies = {r["body"] for r in by_kind["good_en"]}
    assert all(r["body"] in good_bodies for r in by_kind["exact_dup"])
    assert not any(r["body"] in good_bodies for r in by_kind["near_dup"])
    # encodings
    for r in by_kind["enc_declared"]:
        assert "charset=" in r["ctype"]
        with pytest.raises(UnicodeDecodeError):
            r["body"].decode("utf-8")
        r["body"].decode(r["ctype"].split("charset=")[1])
    for r in by_kind["enc_undeclared"]:
        assert "charset" not in r["ctype"] and b"charset" not in r["body"]
        with pytest.raises(UnicodeDecodeError):
            r["body"].decode("utf-8")
    for r in by_kind["shift_jis"]:
        assert b'charset="Shift_JIS"' in r["body"]
        assert "\u3002" in r["body"].decode("shift_jis")
    assert by_kind["image"][0]["body"].startswith(b"\x89PNG\r\n\x1a\n")
    assert by_kind["pdf"][0]["body"].startswith(b"%PDF-")
    assert all(r["status"] == "404" for r in by_kind["not_found"])
    assert sorted(r["status"] for r in by_kind["redirect"]) == ["301", "302"]
    assert all(b"lorem ipsum" in r["body"].lower() for r in by_kind["lorem"])
    assert all(b"javascript" in r["body"].lower() or b"cookie" in r["body"].lower()
               for r in by_kind["boilerplate"])
    for lang in ("de", "fr", "es", "it"):
        assert any(f'lang="{lang}"'.encode() in r["body"] for r in by_kind["foreign"]), lang


def test_cli(tmp_path, capsys):
    out = tmp_path / "cli.warc.gz"
    assert main([str(out), "--pages", "40", "--seed", "5"]) == 0
    assert out.exists()
    printed = capsys.readouterr().out
    assert "records" in printed and "good_en=" in printed
    assert out.read_bytes() == _rewrite(tmp_path, 40, 5)


def _rewrite(tmp_path, n, seed):
    d = tmp_path / "again"
    d.mkdir()
    write_demo_warc(d / "cli.warc.gz", n_pages=n, seed=seed)
    return (d / "cli.warc.gz").read_bytes()


def test_bundled_demo_file_is_the_generators_output(tmp_path):
    """configs/data/demo.warc.gz is made by `make demo-data`; regenerate it when the generator changes."""
    from pipeline.assets import sha256_file
    from tests.conftest import ROOT

    bundled = ROOT / "configs" / "data" / "demo.warc.gz"
    fresh = tmp_path / "demo.warc.gz"
    write_demo_warc(fresh)
    assert sha256_file(fresh) == sha256_file(bundled), "bundled demo WARC is stale: run `make demo-data`"
    from pipeline.demo_data import write_demo_benchmark

    write_demo_benchmark(tmp_path / "b.jsonl")
    assert (tmp_path / "b.jsonl").read_bytes() == (bundled.parent / "demo_benchmark.jsonl").read_bytes()
    from pipeline.demo_data import write_demo_quality_sets

    for name, path in write_demo_quality_sets(tmp_path).items():
        assert open(path, "rb").read() == (bundled.parent / f"{name}.jsonl").read_bytes(), name
