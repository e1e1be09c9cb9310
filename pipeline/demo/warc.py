"""The demo crawl written as a Common Crawl WARC, with a damaged tail that the readers must survive.

The file mimics a Common Crawl WARC: ``.warc.gz`` with one gzip member per record, a ``warcinfo`` record first,
then for each captured URL (``pipeline.demo.crawl``) a ``request`` and a ``response`` record, a ``metadata``
record after the first two good pages, and one ``resource`` record (a DNS lookup) after the first capture.
Record ids, capture times and IP addresses (from the TEST-NET ranges) come from a random stream of their own,
seeded from the crawl's seed, and every gzip member is written with mtime 0, so a seed gives the same bytes.

After all well-formed records, three corrupt records are appended, each as its own gzip member, in this order:

1. ``garbage_header`` - ``WARC/1.0`` followed by a header block of junk: a
   ``WARC-Type response`` line without a colon, 48 random bytes, a free-text
   line and ``Content-Length: banana``.
2. ``bad_content_length`` - a response record whose WARC ``Content-Length``
   claims 4096 bytes more than the block holds (its gzip member ends early).
3. ``truncated_gzip`` - a well-formed response record whose gzip member is cut
   in half, mid deflate stream (no gzip trailer); this is the end of the file.

What readers make of the tail (warcio 1.8.1, fastwarc 2.0.1), after every well-formed record:

* warcio ``ArchiveIterator`` raises nothing.  It yields a record with
  ``rec_type None`` (and prints "Record not followed by newline" to stderr),
  then a ``response`` whose content is shorter than its declared length,
  then a ``response`` holding only the part of the body that decompressed.
* fastwarc ``ArchiveIterator`` yields one record of type ``no_type`` and then
  raises ``OSError("Invalid WARC header")``; records 2 and 3 are never yielded.
* ``gzip.open(path).read()`` raises ``EOFError`` at the truncated last member.

``write_demo_warc(..., corrupt_tail=False)`` leaves the tail out.
"""

from __future__ import annotations

import io
import random
import re
import uuid
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.assets import sha256_file
from pipeline.demo.articles import fill
from pipeline.demo.crawl import ALL_KINDS, Crawl, Page, build_crawl
from pipeline.demo.pages import CORES, TOPICS

CORRUPT_KINDS = ["garbage_header", "bad_content_length", "truncated_gzip"]
CRAWL_START = datetime(2024, 2, 20, 9, 0, 0, tzinfo=timezone.utc)
CRAWL_ID = "CC-MAIN-2024-10"
RECORD_TYPES = ("warcinfo", "request", "response", "metadata", "resource")


def write_demo_warc(path: str | Path, n_pages: int = 300, seed: int = 0, *,
                    corrupt_tail: bool = True) -> dict:
    """Write a deterministic demo Common Crawl WARC to ``path`` (``.warc.gz``).

    Returns a summary dict with ``pages`` (count per page kind, summing to
    ``n_pages``), ``records`` (count per WARC record type plus ``corrupt``,
    summing to ``total_records``), ``html_pages`` (well-formed 200 responses
    whose Content-Type is text/html), ``well_formed_records``,
    ``corrupt_tail`` (the corrupt records in file order), ``kind_by_url``
    (page kind for each captured URL, in crawl order), ``contaminated_urls``
    (the pages that quote the demo benchmark), ``bytes``, ``sha256`` and ``path``.

    With ``corrupt_tail=False`` the three corrupt members are not appended.
    """
    if n_pages < 1:
        raise ValueError("n_pages must be >= 1")
    path = Path(path)
    rng = random.Random(seed)  # the pages, then their HTTP headers, then the corrupt tail
    ids = _Ids(seed)
    crawl = build_crawl(n_pages, rng)
    counts = dict.fromkeys((*RECORD_TYPES, "corrupt"), 0)
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.0")
        warcinfo_id = _write_warcinfo(writer, ids, path.name, seed, n_pages)
        counts["warcinfo"] += 1
        with_metadata = set([i for i, p in enumerate(crawl.pages) if p.kind == "good_en"][:2])
        for i, page in enumerate(crawl.pages):
            for record_type in _write_capture(writer, rng, ids, page, warcinfo_id, with_metadata=i in with_metadata):
                counts[record_type] += 1
            if i == 0:
                _write_dns(writer, ids, page.url, warcinfo_id)
                counts["resource"] += 1
        for member in (_corrupt_tail(rng, ids) if corrupt_tail else []):
            fh.write(member)
            counts["corrupt"] += 1
    return _summary(path, n_pages, seed, crawl, counts, corrupt_tail)


def _summary(path: Path, n_pages: int, seed: int, crawl: Crawl, counts: dict, corrupt_tail: bool) -> dict:
    page_counts = dict.fromkeys(ALL_KINDS, 0)
    for p in crawl.pages:
        page_counts[p.kind] += 1
    total = sum(counts.values())
    return {
        "path": str(path),
        "n_pages": n_pages,
        "seed": seed,
        "pages": page_counts,
        "records": counts,
        "total_records": total,
        "well_formed_records": total - counts["corrupt"],
        "html_pages": sum(1 for p in crawl.pages if p.status.startswith("200") and p.ctype.startswith("text/html")),
        "corrupt_tail": list(CORRUPT_KINDS) if corrupt_tail else [],
        "kind_by_url": {p.url: p.kind for p in crawl.pages},
        "contaminated_urls": crawl.contaminated,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
    }


class _Ids:
    """Record ids, capture times and IP addresses, drawn from a stream of their own so that they do not shift
    the pages' random draws."""

    def __init__(self, seed: int):
        self.idrng = random.Random(f"winnow-demo-ids-{seed}")
        self.clock = CRAWL_START

    def rec_id(self) -> str:
        return f"<urn:uuid:{uuid.UUID(int=self.idrng.getrandbits(128), version=4)}>"

    def tick(self) -> str:
        """The next capture time, 1 to 40 seconds on, as a WARC-Date."""
        self.clock += timedelta(seconds=self.idrng.randint(1, 40))
        return self.clock.strftime("%Y-%m-%dT%H:%M:%SZ")

    def ip(self) -> str:
        return f"{self.idrng.choice(['192.0.2', '198.51.100', '203.0.113'])}.{self.idrng.randint(2, 250)}"


# --------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------

def _write_warcinfo(writer: WARCWriter, ids: _Ids, filename: str, seed: int, n_pages: int) -> str:
    """The ``warcinfo`` record that opens the file; returns its id, which every later record refers to."""
    warcinfo_id = ids.rec_id()
    info = (f"isPartOf: {CRAWL_ID}-demo\r\npublisher: Winnow demo data generator\r\n"
            f"description: Synthetic demo crawl, seed={seed}, pages={n_pages}. All text is generated.\r\n"
            "operator: Winnow\r\nhostname: demo-crawler-01\r\nsoftware: winnow-demo-data/1.0\r\n"
            "robots: checked via crawler-commons\r\nformat: WARC File Format 1.0\r\n"
            "conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.0/\r\n"
            ).encode()
    rec = writer.create_warc_record("", "warcinfo", payload=io.BytesIO(info), length=len(info),
                                    warc_content_type="application/warc-fields",
                                    warc_headers_dict={"WARC-Date": ids.tick(), "WARC-Record-ID": warcinfo_id,
                                                       "WARC-Filename": filename})
    writer.write_record(rec)
    return warcinfo_id


def _http_headers(rng: random.Random, page: Page, date: str) -> StatusAndHeaders:
    server = rng.choice(["nginx", "Apache", "cloudflare", "nginx/1.24.0", "LiteSpeed"])
    hdrs = [("Date", datetime.strptime(date, "%Y-%m-%dT%H:%M:%SZ").strftime("%a, %d %b %Y %H:%M:%S GMT")),
            ("Server", server)]
    if page.ctype:
        hdrs.append(("Content-Type", page.ctype))
    hdrs.append(("Content-Length", str(len(page.body))))
    hdrs += page.extra
    if rng.random() < 0.5:
        hdrs.append(("Cache-Control", rng.choice(["max-age=600", "no-cache", "public, max-age=86400"])))
    if rng.random() < 0.4:
        hdrs.append(("X-Crawler-Content-Encoding", "gzip"))
    return StatusAndHeaders(page.status, hdrs, protocol="HTTP/1.1")


def _write_capture(writer: WARCWriter, rng: random.Random, ids: _Ids, page: Page, warcinfo_id: str,
                   with_metadata: bool = False) -> list[str]:
    """One URL's ``request`` and ``response`` records (and a ``metadata`` record with the crawler's language
    guess where asked, as Common Crawl writes); returns the record types written."""
    date = ids.tick()
    m = re.match(r"https?://([^/]+)(/.*)?$", page.url)
    host, path = m.group(1), m.group(2) or "/"
    req_id, resp_id = ids.rec_id(), ids.rec_id()
    ip = ids.ip()
    req_http = StatusAndHeaders(f"GET {path} HTTP/1.1", [
        ("User-Agent", "CCBot/2.0 (https://commoncrawl.org/faq/)"),
        ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        ("Accept-Language", "en-US,en;q=0.5"), ("Accept-Encoding", "br,gzip"),
        ("Host", host), ("Connection", "Keep-Alive")], is_http_request=True)
    rec = writer.create_warc_record(page.url, "request", payload=io.BytesIO(b""), length=0, http_headers=req_http,
                                    warc_headers_dict={"WARC-Date": date, "WARC-Record-ID": req_id,
                                                       "WARC-IP-Address": ip, "WARC-Warcinfo-ID": warcinfo_id})
    writer.write_record(rec)
    hh = {"WARC-Date": date, "WARC-Record-ID": resp_id, "WARC-IP-Address": ip,
          "WARC-Warcinfo-ID": warcinfo_id, "WARC-Concurrent-To": req_id,
          "WARC-Identified-Payload-Type": page.ptype}
    rec = writer.create_warc_record(page.url, "response", payload=io.BytesIO(page.body), length=len(page.body),
                                    http_headers=_http_headers(rng, page, date), warc_headers_dict=hh)
    writer.write_record(rec)
    if not with_metadata:
        return ["request", "response"]
    md = (f"fetchTimeMs: {rng.randint(80, 2400)}\r\ncharset-detected: UTF-8\r\n"
          f'languages-cld2: {{"reliable":true,"text-bytes":{len(page.body) // 3},'
          f'"languages":[{{"code":"en","code-iso-639-3":"eng","text-covered":0.97,"score":1011.0,'
          f'"name":"ENGLISH"}}]}}\r\n').encode()
    rec = writer.create_warc_record(page.url, "metadata", payload=io.BytesIO(md), length=len(md),
                                    warc_content_type="application/warc-fields",
                                    warc_headers_dict={"WARC-Date": date, "WARC-Record-ID": ids.rec_id(),
                                                       "WARC-Warcinfo-ID": warcinfo_id,
                                                       "WARC-Concurrent-To": resp_id})
    writer.write_record(rec)
    return ["request", "response", "metadata"]


def _write_dns(writer: WARCWriter, ids: _Ids, url: str, warcinfo_id: str) -> None:
    """A ``resource`` record holding the DNS answer for ``url``'s host, as crawlers record their lookups."""
    host = re.match(r"https?://([^/]+)", url).group(1)
    dns = f"{ids.clock.strftime('%Y%m%d%H%M%S')}\n{host}.\t300\tIN\tA\t{ids.ip()}\n".encode()
    rec = writer.create_warc_record(f"dns:{host}", "resource", payload=io.BytesIO(dns),
                                    length=len(dns), warc_content_type="text/dns",
                                    warc_headers_dict={"WARC-Date": ids.tick(), "WARC-Record-ID": ids.rec_id(),
                                                       "WARC-Warcinfo-ID": warcinfo_id})
    writer.write_record(rec)


# --------------------------------------------------------------------------
# Corrupt tail
# --------------------------------------------------------------------------

def _gzip_member(data: bytes) -> bytes:
    co = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip wrapper, mtime 0 -> deterministic
    return co.compress(data) + co.flush()


def _corrupt_tail(rng: random.Random, ids: _Ids) -> list[bytes]:
    """The three damaged gzip members of ``CORRUPT_KINDS``, in file order."""
    return [_garbage_header(rng), _bad_content_length(ids), _truncated_gzip(rng, ids)]


def _garbage_header(rng: random.Random) -> bytes:
    junk = bytes(rng.randrange(1, 256) for _ in range(48)).replace(b":", b";").replace(b"\n", b" ")
    return _gzip_member(
        b"WARC/1.0\r\nWARC-Type response\r\n" + junk + b"\r\nthis is not a header line\r\n"
        b"Content-Length: banana\r\n\r\n<html><body>garbage</body></html>\r\n\r\n")


def _bad_content_length(ids: _Ids) -> bytes:
    body = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            b"<html><head><title>Partial capture</title></head><body><p>This capture was cut short "
            b"while it was being written to disk, so the record is shorter than its header says.</p>")
    hdr = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Date: {ids.tick()}\r\n"
           f"WARC-Record-ID: {ids.rec_id()}\r\n"
           f"WARC-Target-URI: https://www.lanternfieldgardens.example.com/partial-capture/\r\n"
           f"WARC-Identified-Payload-Type: text/html\r\n"
           f"Content-Type: application/http; msgtype=response\r\n"
           f"Content-Length: {len(body) + 4096}\r\n\r\n").encode()
    return _gzip_member(hdr + body + b"\r\n\r\n")


def _truncated_gzip(rng: random.Random, ids: _Ids) -> bytes:
    rows = "".join(f"<p>Row {i}: {fill(rng, rng.choice(CORES), TOPICS['history'])}</p>" for i in range(40))
    body = ("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>"
            + rows + "</body></html>").encode()
    rec = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Date: {ids.tick()}\r\n"
           f"WARC-Record-ID: {ids.rec_id()}\r\n"
           f"WARC-Target-URI: https://www.meridianpost.example.net/2024/02/20/truncated-download\r\n"
           f"WARC-Identified-Payload-Type: text/html\r\n"
           f"Content-Type: application/http; msgtype=response\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body + b"\r\n\r\n"
    gz = _gzip_member(rec)
    return gz[: len(gz) // 2]
