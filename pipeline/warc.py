"""Read Common Crawl WARC / WARC.gz / WET files into documents, losing nothing silently.

One document per HTML ``response`` record (or per ``conversion`` record of a WET
file): ``id`` is the WARC-Record-ID, ``text`` the decoded payload; metadata holds
``url``, ``crawl_date`` (WARC-Date), ``content_type`` and where the record came
from (``warc_path``, ``warc_offset``). Every other record is counted under
``skipped_<why>``:

``not_response``  warcinfo, request, metadata, ... records
``not_html``      responses whose payload is not HTML (images, PDFs, CSS)
``http_status``   responses other than HTTP 200 (redirects, errors)
``empty``         an HTML response with no payload
``truncated``     a record whose payload is shorter than its Content-Length
``corrupt``       a region FastWARC cannot parse (bad header, broken gzip member);
                  reading resumes at the next gzip member / ``WARC/`` header, so one
                  bad record costs only itself (one count per corrupt region)

and the stage's ``input`` counter is the number of records seen, so
``input = documents + skipped``. Each kind of skip is logged once per task with the
file, offset and record id. Parsing is FastWARC (resiliparse), about an order of
magnitude faster than warcio.
"""

from __future__ import annotations

import os
import re
import zlib

import fsspec
from datatrove.data import Document

from pipeline.encoding import decode_html
from pipeline.errors import ConfigError
from pipeline.formats import InputFormat, register_format
from pipeline.readers import UnitReader

HTML_TYPES = ("text/html", "application/xhtml+xml")
_GZIP_MAGIC = b"\x1f\x8b\x08"
_SCAN_CHUNK = 1 << 20


def resolve_inputs(globs: tuple[str, ...] | list[str]) -> list[str]:
    """Expand local paths or fsspec URLs with globs into a sorted, de-duplicated file list."""
    files: list[str] = []
    for pattern in globs:
        fs, _, paths = fsspec.get_fs_token_paths(pattern)
        paths = [p for p in paths if fs.isfile(p)]
        if not paths:
            raise ConfigError(f"input.paths: no files match {pattern!r}")
        if "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)):
            unreadable = [p for p in paths if not os.access(p, os.R_OK)]
            if unreadable:
                raise ConfigError(f"input.paths: cannot read {unreadable[0]} (permission denied)")
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        files += [p if protocol in ("file", "local") else f"{protocol}://{p}" for p in paths]
    return sorted(dict.fromkeys(files))


def _mime(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


class WarcReader(UnitReader):
    """Documents from WARC files; task ``rank`` of ``world_size`` reads every world_size-th *unit*.

    A unit is a whole file or, for a large one, a byte range of it (``pipeline.readers.split_units``):
    a range starts at the first real record at or after its first byte and ends where the next range
    starts, so every record belongs to exactly one unit and a huge file does not pin one task.
    """

    name = "read_warc"

    # Records every crawl is full of (requests, metadata, redirects, images): counted, logged to the task's
    # file once each, but not warnings; a damaged record is a warning on the terminal.
    ROUTINE = frozenset({"not_response", "http_status", "not_html", "empty"})

    def skip(self, why: str, path: str, offset: int, record_id: str | None, detail: str = "") -> None:
        self.stat_update(f"skipped_{why}")
        self._warn(why, f"skipping WARC record ({why}) in {path} at offset {offset}, record {record_id or '?'}"
                   + (f": {detail}" if detail else ""), level="INFO" if why in self.ROUTINE else "WARNING")

    def read_file(self, path: str, start: int = 0, end: int | None = None):
        """Documents of one file (or of its byte range [start, end)). A damaged record costs itself only:
        reading resumes at the next record start (a gzip member, or a ``WARC/1.x`` line, that really
        parses as a record header)."""
        from fastwarc.warc import ArchiveIterator, WarcRecordType

        with fsspec.open(path, "rb") as f:
            gzipped = f.read(3) == _GZIP_MAGIC
            # This unit owns everything from its first record start to the next unit's first record start.
            limit = None if end is None else self._next_record_start(f, end, gzipped)
            if start > 0:
                start = self._next_record_start(f, start, gzipped)
            while start is not None and (limit is None or start < limit):
                f.seek(start)
                last = None  # offset of the last record FastWARC returned in this pass
                last_bad = False  # ... and whether it was unparseable (already counted as corrupt)
                error = None
                try:
                    for record in ArchiveIterator(f, parse_http=False):
                        if limit is not None and record.stream_pos >= limit:
                            return  # the next unit's first record
                        last = self.position = record.stream_pos  # absolute: from where the file is positioned
                        self.stat_update("input")
                        last_bad = record.record_type in (WarcRecordType.no_type, WarcRecordType.unknown)
                        if last_bad:
                            self.skip("corrupt", path, last, record.record_id, "unreadable WARC header")
                            continue
                        with self.track_time():
                            doc = self._to_document(record, path, last, WarcRecordType)
                        if doc is not None:
                            yield doc
                except OSError as e:
                    error = str(e)
                start = self._after_pass(f, path, gzipped, start, last, last_bad, error, limit)

    def _after_pass(self, f, path, gzipped, start, last, last_bad, error, limit=None) -> int | None:
        """Count what a pass over the file lost, if anything, and return where the next pass starts."""
        if last is None:  # nothing readable at `start`
            if start == 0 and not self._is_record_start(f, 0, gzipped):
                if error is not None or self._file_has_data(f):
                    self.stat_update("input")
                    self.skip("corrupt", path, 0, None, error or "not a WARC file")
                return self._next_record_start(f, 1, gzipped)
            self.stat_update("input")
            self.skip("corrupt" if error else "truncated", path, start, None, error or "record cut short")
            return self._next_record_start(f, start + 1, gzipped)
        nxt = self._next_record_start(f, last + 1, gzipped)
        if error is None or last_bad:
            # Normal end, or the error belongs to the unreadable record already counted: resume at the next
            # real record start, if FastWARC stopped before one (the next pass counts it if it cannot read it).
            return nxt
        # The error is in the record after the last one returned (which the next unit owns if it starts there).
        if limit is not None and nxt is not None and nxt >= limit:
            return None
        self.stat_update("input")
        self.skip("corrupt", path, nxt if nxt is not None else last, None, error)
        return None if nxt is None else self._next_record_start(f, nxt + 1, gzipped)

    @staticmethod
    def _file_has_data(f) -> bool:
        f.seek(0)
        return bool(f.read(1))

    @staticmethod
    def _is_record_start(f, offset: int, gzipped: bool) -> bool:
        f.seek(offset)
        head = f.read(4096)
        if gzipped:
            try:
                head = zlib.decompressobj(wbits=31).decompress(head, 16)
            except zlib.error:
                return False
        return head.startswith(b"WARC/1.")

    @classmethod
    def _next_record_start(cls, f, offset: int, gzipped: bool) -> int | None:
        """Offset of the next gzip member (or ``WARC/`` header) that really starts a WARC record."""
        marker = _GZIP_MAGIC if gzipped else b"\nWARC/1."
        skip = 0 if gzipped else 1
        pos = offset
        while True:
            f.seek(pos)
            chunk = f.read(_SCAN_CHUNK)
            if not chunk:
                return None
            i = chunk.find(marker)
            while i != -1:
                if cls._is_record_start(f, pos + i + skip, gzipped):
                    return pos + i + skip
                i = chunk.find(marker, i + 1)
            if len(chunk) < _SCAN_CHUNK:
                return None
            pos += len(chunk) - len(marker) + 1

    def _to_document(self, record, path: str, offset: int, types) -> Document | None:
        rid = record.record_id
        rtype = record.record_type
        if rtype not in (types.response, types.conversion):
            self.skip("not_response", path, offset, rid)
            return None
        block = record.reader.read()
        if len(block) < record.content_length:
            self.skip("truncated", path, offset, rid, f"{len(block)} of {record.content_length} bytes")
            return None
        headers = record.headers
        if rtype == types.conversion:  # WET: the block is the extracted text
            payload, mime, charset = block, _mime(headers.get("Content-Type")) or "text/plain", "utf-8"
        else:
            http = _split_http(block)
            if http is None:
                self.skip("not_html", path, offset, rid, "response without an HTTP header block")
                return None
            status, http_headers, payload = http
            if status != 200:
                self.skip("http_status", path, offset, rid, f"HTTP {status}")
                return None
            content_type = http_headers.get("content-type", "")
            charset = _CHARSET_RE.search(content_type)
            charset = charset.group(1) if charset else None
            mime = _mime(headers.get("WARC-Identified-Payload-Type")) or _mime(content_type)
            if not mime:
                head = payload[:1024].lower()
                mime = "text/html" if (b"<html" in head or b"<!doctype html" in head) else "unknown"
            if mime not in HTML_TYPES:
                self.skip("not_html", path, offset, rid, f"payload type {mime}")
                return None
        if not payload.strip():
            self.skip("empty", path, offset, rid)
            return None
        text, how = decode_html(payload, charset)
        self.stat_update(f"decoded_{how}")
        return Document(
            text=text,
            id=(rid or f"{path}@{offset}").strip("<>"),
            metadata={
                "url": (headers.get("WARC-Target-URI") or "").strip("<>") or None,  # some writers bracket it
                "crawl_date": headers.get("WARC-Date"),
                "content_type": mime,
                "source": self.source,
                "warc_path": path,
                "warc_offset": offset,
            },
        )


_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([\w.:\-]+)", re.IGNORECASE)


def _split_http(block: bytes) -> tuple[int, dict[str, str], bytes] | None:
    """(status, lower-cased headers, body) of an HTTP response block, or None if it is not one."""
    end = block.find(b"\r\n\r\n")
    sep = 4
    if end == -1:
        end, sep = block.find(b"\n\n"), 2
    if end == -1 or not block.startswith(b"HTTP/"):
        return None
    lines = block[:end].decode("latin-1").splitlines()
    try:
        status = int(lines[0].split(None, 2)[1])
    except (IndexError, ValueError):
        return None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, block[end + sep :]


register_format(InputFormat(
    "warc", (), "pipeline.warc:WarcReader", splittable=(".warc", ".warc.gz"),
    match=lambda name: ".warc" in name or name.endswith((".arc.gz", ".wet.gz"))))
