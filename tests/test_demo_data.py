"""Tests for pipeline.demo: the deterministic demo Common Crawl WARC, its labelled sets, its one entry point."""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from fastwarc.warc import ArchiveIterator as FastArchiveIterator
from fastwarc.warc import WarcRecordType
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from pipeline.demo import crawl, main, warc
from pipeline.demo.crawl import ALL_KINDS, KIND_PLAN_PER_300
from pipeline.demo.pages_other import LOREM_WORDS, SHORT_LINES
from pipeline.demo.sets import write_demo_benchmark, write_demo_quality_sets
from pipeline.demo.warc import CORRUPT_KINDS, write_demo_warc
from tests.conftest import ROOT

TAIL_ERRORS = (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError)
BUNDLED = ROOT / "configs" / "data"

# The default crawl's make-up, written out from pipeline.demo.crawl's docstring table rather than taken from
# KIND_PLAN_PER_300, so a change to the plan or to how pages are counted shows up here.
EXPECTED_300 = {
    "good_en": 165, "foreign": 30, "spam": 21, "lorem": 9, "short": 12, "boilerplate": 9, "exact_dup": 15,
    "near_dup": 15, "broken_html": 9, "enc_declared": 3, "enc_undeclared": 3, "shift_jis": 2, "image": 1,
    "pdf": 1, "css": 1, "not_found": 2, "redirect": 2,
}


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
    """Same bytes from another process with another hash seed (set order, clocks and gzip mtimes must not leak in)."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    # WARC-Filename is part of the warcinfo record, so use the same file name
    sa = write_demo_warc(a / "demo.warc.gz", n_pages=120, seed=7)
    env = dict(os.environ, PYTHONHASHSEED="4321" if os.environ.get("PYTHONHASHSEED") == "1234" else "1234")
    subprocess.run([sys.executable, "-m", "pipeline.demo", "crawl", str(b / "demo.warc.gz"), "--pages", "120",
                    "--seed", "7"], check=True, cwd=ROOT, env=env, capture_output=True)
    data = (a / "demo.warc.gz").read_bytes()
    assert data == (b / "demo.warc.gz").read_bytes()
    # the summary describes the file as it is on disk
    assert sa["sha256"] == hashlib.sha256(data).hexdigest() and sa["bytes"] == len(data)


def test_different_seed_different_bytes(tmp_path):
    s0 = write_demo_warc(tmp_path / "s0.warc.gz", n_pages=120, seed=0)
    s1 = write_demo_warc(tmp_path / "s1.warc.gz", n_pages=120, seed=1)
    assert s0["sha256"] != s1["sha256"]
    # same plan, different content
    assert s0["pages"] == s1["pages"]
    assert set(s0["kind_by_url"]) != set(s1["kind_by_url"])


def _documented_kinds() -> dict[str, int]:
    """pipeline.demo.crawl's docstring table of page kinds, in its order: kind -> pages per 300."""
    out = {}
    for kinds, n in re.findall(r"^([a-z_]+(?: / [a-z_]+)*) +(\d+)(?: each)? ", crawl.__doc__, re.M):
        out.update(dict.fromkeys(kinds.split(" / "), int(n)))
    return out


def test_plan_matches_the_documented_table():
    """The plan, the kinds and the corrupt tail are what the modules' docstrings document, in their order."""
    assert _documented_kinds() == EXPECTED_300 and list(_documented_kinds()) == list(EXPECTED_300)
    assert KIND_PLAN_PER_300 == [(k, n) for k, n in EXPECTED_300.items() if k != "good_en"]
    assert ALL_KINDS == list(EXPECTED_300)
    assert CORRUPT_KINDS == re.findall(r"^\d\. ``(\w+)`` - ", warc.__doc__, re.M)


def test_counts_add_up(demo):
    path, s = demo
    assert s["n_pages"] == 300
    assert s["pages"] == EXPECTED_300
    # 1 warcinfo, a request and a response per URL, metadata for the first two good pages,
    # one dns resource record, then the three corrupt members
    assert s["records"] == {"warcinfo": 1, "request": 300, "response": 300, "metadata": 2, "resource": 1,
                            "corrupt": 3}
    assert s["total_records"] == 607
    assert s["well_formed_records"] == 604
    assert s["corrupt_tail"] == ["garbage_header", "bad_content_length", "truncated_gzip"]
    assert s["html_pages"] == 300 - 7  # image, pdf, css, 2 x 404, 2 x redirect
    assert len(s["kind_by_url"]) == 300  # every URL distinct
    assert s["bytes"] == path.stat().st_size
    assert 200_000 < s["bytes"] < 1_500_000


@pytest.mark.parametrize("n", [1, 5, 37])
def test_small_runs(tmp_path, n):
    s = write_demo_warc(tmp_path / "small.warc.gz", n_pages=n, seed=3)
    assert sum(s["pages"].values()) == n
    assert s["pages"]["good_en"] >= 1  # duplicates and broken copies need a source page
    assert s["records"]["request"] == s["records"]["response"] == n
    assert s["records"]["metadata"] == min(2, s["pages"]["good_en"])
    assert s["records"]["warcinfo"] == s["records"]["resource"] == 1
    assert s["well_formed_records"] == 2 * n + 2 + s["records"]["metadata"]
    recs, _ = _warcio_records(tmp_path / "small.warc.gz")
    wf = recs[: s["well_formed_records"]]
    assert len(wf) == s["well_formed_records"] and wf[0]["type"] == "warcinfo"
    assert sum(r["type"] == "response" for r in wf) == n
    assert [r["type"] for r in recs[s["well_formed_records"]:]] == [None, "response", "response"]


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
    _check_crawl_pdf(by_kind["pdf"][0]["body"])
    assert all(r["status"] == "404" for r in by_kind["not_found"])
    assert sorted(r["status"] for r in by_kind["redirect"]) == ["301", "302"]
    assert all(b"lorem ipsum" in r["body"].lower() for r in by_kind["lorem"])
    assert all(b"javascript" in r["body"].lower() or b"cookie" in r["body"].lower()
               for r in by_kind["boilerplate"])
    for lang in ("de", "fr", "es", "it"):
        assert any(f'lang="{lang}"'.encode() in r["body"] for r in by_kind["foreign"]), lang


def _check_crawl_pdf(data: bytes) -> None:
    """The crawl's PDF comes from the demo's one PDF maker: one page with a text layer, fixed metadata."""
    import pymupdf

    from pipeline.demo.pdfs import METADATA

    doc = pymupdf.open(stream=data, filetype="pdf")
    assert doc.page_count == 1 and doc.metadata["creationDate"] == METADATA["creationDate"]
    assert doc.metadata["title"] and doc.metadata["title"] in doc[0].get_text().replace("\n", " ")
    assert len(doc[0].get_text().split()) > 30


def test_cli(tmp_path, capsys):
    out = tmp_path / "cli.warc.gz"
    assert main(["crawl", str(out), "--pages", "40", "--seed", "5"]) == 0
    printed = capsys.readouterr().out
    size = out.stat().st_size
    assert f"wrote {out}: {size:,} bytes" in printed and "good_en=" in printed
    recs, _ = _warcio_records(out)
    info = recs[0]["body"].decode()
    assert recs[0]["type"] == "warcinfo" and "seed=5, pages=40." in info
    assert sum(r["type"] == "response" for r in recs) == 40 + 2  # 40 captures, 2 corrupt-tail responses
    assert recs[0]["id"] != _warcio_records(BUNDLED / "demo.warc.gz")[0][0]["id"]  # ids depend on the seed


def test_bundled_demo_files_are_the_generators_output(demo, tmp_path):
    """configs/data/* are made by `make demo-data`; regenerate them when the generator or its page text changes.

    The fixture's crawl is written as demo.warc.gz (the name is inside the warcinfo record), with the defaults
    `winnow demo-data` uses, so its bytes must be the committed file's.
    """
    path, s = demo
    bundled = BUNDLED / "demo.warc.gz"
    assert path.read_bytes() == bundled.read_bytes(), "bundled demo WARC is stale: run `make demo-data`"
    assert s["sha256"] == hashlib.sha256(bundled.read_bytes()).hexdigest()
    assert write_demo_benchmark(tmp_path / "demo_benchmark.jsonl") == 6
    assert (tmp_path / "demo_benchmark.jsonl").read_bytes() == (BUNDLED / "demo_benchmark.jsonl").read_bytes(), \
        "bundled demo benchmark is stale: run `make demo-data`"
    paths = write_demo_quality_sets(tmp_path)
    assert sorted(paths) == ["quality_negative", "quality_positive"]
    for name, p in paths.items():
        assert open(p, "rb").read() == (BUNDLED / f"{name}.jsonl").read_bytes(), \
            f"bundled {name}.jsonl is stale: run `make demo-data`"


def test_contaminated_pages_quote_the_benchmark(demo):
    """Exactly the pages the summary names quote a benchmark question, each one a different item."""
    path, s = demo
    items = [json.loads(line) for line in (BUNDLED / "demo_benchmark.jsonl").read_text().splitlines()]
    assert [i["id"] for i in items] == [f"quiz-{k}" for k in range(6)]
    recs, _ = _warcio_records(path)
    quoting = {}
    for r in recs[: s["well_formed_records"]]:
        if r["type"] == "response" and (r["ctype"] or "").startswith("text/html"):
            text = html.unescape(r["body"].decode("utf-8", "replace"))
            for item in items:
                if item["question"] in text:
                    quoting.setdefault(item["id"], set()).add(r["uri"])
    assert len(s["contaminated_urls"]) == 3
    # a quoted page may be copied by an exact/near duplicate, which then quotes it too
    assert len(quoting) == 3
    for urls in quoting.values():
        assert len(set(s["contaminated_urls"]) & urls) == 1
        assert all(s["kind_by_url"][u] in ("good_en", "exact_dup", "near_dup", "broken_html") for u in urls)


def test_quality_sets_are_labelled_and_distinct(tmp_path):
    paths = write_demo_quality_sets(tmp_path, n=40, seed=3)
    rows = {name: [json.loads(line) for line in open(p, encoding="utf-8")] for name, p in paths.items()}
    for name, rs in rows.items():
        assert [r["id"] for r in rs] == [f"{name}-{i}" for i in range(40)]
        assert all(r["text"].strip() for r in rs)
    pos = {r["text"] for r in rows["quality_positive"]}
    neg = {r["text"] for r in rows["quality_negative"]}
    assert not pos & neg
    # negatives cycle word salad, keyword spam, boilerplate, lorem ipsum + a placeholder line
    lorem_vocab = set(LOREM_WORDS)
    for i, r in enumerate(rows["quality_negative"]):
        lines = r["text"].split("\n")
        if i % 4 == 1:
            assert len(lines) >= 15 and all(line.endswith("!") for line in lines), i
        elif i % 4 == 3:
            assert len(lines) == 2 and set(lines[0].split()) <= lorem_vocab and lines[1] in SHORT_LINES, i
    assert not any(set(r["text"].split()) <= lorem_vocab for r in rows["quality_positive"])


def test_winnow_commands_call_the_one_entry_point(tmp_path, capsys):
    """`winnow demo-data` and `winnow pdf-demo` write what pipeline.demo writes, the same bytes in another process
    (another hash seed): fixed PDF dates and ids, no clock."""
    from pipeline.cli import main as winnow
    from pipeline.demo.pdfs import write_demo_pdfs

    (tmp_path / "a").mkdir()
    assert winnow(["demo-data", str(tmp_path / "a" / "d.warc.gz"), "--pages", "20", "--seed", "4"]) == 0
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "d.warc.gz", "demo_benchmark.jsonl", "quality_negative.jsonl", "quality_positive.jsonl"]
    (tmp_path / "b").mkdir()
    s = write_demo_warc(tmp_path / "b" / "d.warc.gz", n_pages=20, seed=4)
    assert (tmp_path / "a" / "d.warc.gz").read_bytes() == (tmp_path / "b" / "d.warc.gz").read_bytes()
    assert f"wrote {tmp_path / 'a' / 'd.warc.gz'}: {s['bytes']:,} bytes" in capsys.readouterr().out

    assert winnow(["pdf-demo", str(tmp_path / "pdfs")]) == 0
    env = dict(os.environ, PYTHONHASHSEED="4321" if os.environ.get("PYTHONHASHSEED") == "1234" else "1234")
    subprocess.run([sys.executable, "-m", "pipeline.demo", "pdfs", str(tmp_path / "again")], check=True, cwd=ROOT,
                   env=env, capture_output=True)
    made = [Path(p) for p in write_demo_pdfs(tmp_path / "in-process")]
    assert [p.name for p in made] == ["born_digital.pdf", "scanned.pdf", "broken_layer.pdf"]
    for p in made:
        assert p.read_bytes() == (tmp_path / "pdfs" / p.name).read_bytes() == (tmp_path / "again" / p.name).read_bytes()
