"""Read PDFs into documents: one document per file, text layer first, OCR where it is missing or garbage.

``text`` is the pages' texts in page order (each page in reading order, two columns included, running
heads, footers and page numbers removed, tables as markdown: see ``ocr.layout``), joined by a blank line;
``id`` is the file path. Metadata:

``pdf_path``      the file
``page_count``    pages in the file
``page_spans``    ``[start, end)`` character offsets of each page's text in ``text``, page 1 first (an empty
                  span for a page with no text): ``text[start:end]`` is the page
``ocr_pages``     pages whose text came from OCR (``tesseract`` or ``vlm``)
``failed_pages``  pages whose OCR failed (``pdf_quality_v1`` drops documents with too many)
``page_methods``  one ``{page, method, confidence, reason}`` per page (``ocr.extract`` lists the methods);
                  text-layer pages add ``route`` (``fast``, or ``tables``: the table pass ran), ``tables``
                  (markdown tables written) and ``removed`` (boilerplate lines dropped, by kind)
``pdf_metadata``  title, author, subject, keywords, dates, producer, XMP rights/licence URL
``source``        the run's name

Files that cannot become a document are counted, logged once per reason with the file, and never
fail the task (``input = documents + skipped``):

``skipped_encrypted``  needs a password (files encrypted with an empty user password are read)
``skipped_not_pdf``    no ``%PDF-`` header in its first 1024 bytes (an HTML page or a text file named
                       ``.pdf``: PyMuPDF would render it as pages)
``skipped_corrupt``    PyMuPDF cannot open it, repairs it to zero pages (e.g. truncated), or fails
                       while reading its pages
``skipped_empty``      zero pages
``skipped_too_large``  more than ``max_pages`` pages or ``max_file_mb`` megabytes (before opening)

Units are whole files: one PDF is not split between tasks. Parallelism comes from tasks (one
process per core, Tesseract single-threaded in each, ``OMP_THREAD_LIMIT=1``).
"""

from __future__ import annotations

import dataclasses
import os

import fsspec
import pymupdf
from datatrove.data import Document

from ocr.extract import PageExtractor, pdf_info
from ocr.format import PdfOptions
from pipeline.readers import UnitReader

OCR_METHODS = ("tesseract", "vlm")
HEADER_WINDOW = 1024  # bytes: where readers (Acrobat, pdf.js) look for the header, junk before it allowed


def not_pdf_reason(head: bytes) -> str | None:
    """Why a file whose first bytes are ``head`` is not a PDF, or None: a PDF has ``%PDF-`` near its start."""
    if b"%PDF-" in head[:HEADER_WINDOW]:
        return None
    start = head[:40].decode("latin-1").replace("\n", " ").replace("\r", " ").strip()
    return f"no %PDF- header in its first {HEADER_WINDOW} bytes (it starts {start!r})"


def join_pages(texts: list[str]) -> tuple[str, list[list[int]]]:
    """The pages' texts joined by a blank line, and each page's ``[start, end)`` character offsets in the result
    (a page with no text gets an empty span where it would be)."""
    parts: list[str] = []
    spans: list[list[int]] = []
    pos = 0
    for t in texts:
        if t and parts:
            pos += 2  # the blank line between two pages' texts
        spans.append([pos, pos + len(t)])
        if t:
            parts.append(t)
            pos += len(t)
    return "\n\n".join(parts), spans


class PdfReader(UnitReader):
    """Documents from PDF files (see the module docstring); task ``rank`` reads every world_size-th file."""

    name = "read_pdf"

    def __init__(self, units: list, limit: int = -1, source: str | None = None, options: PdfOptions | None = None):
        """``options``: the config's typed ``input.pdf`` (``PdfOptions``; its defaults when None)."""
        super().__init__(units, limit, source)
        self.options = options or PdfOptions()
        self.max_pages = self.options.max_pages
        self.max_file_mb = self.options.max_file_mb
        self.extractor = PageExtractor(self.options)
        self.extractor.check()  # a missing Tesseract fails the run at build time, naming the install command

    def skip(self, why: str, path: str, detail: str) -> None:
        self.stat_update(f"skipped_{why}")
        self._warn(why, f"skipping PDF ({why}) {path}: {detail}")

    def read_file(self, path: str, start: int = 0, end: int | None = None):
        self.stat_update("input")
        with self.track_time():
            doc = self._document(path)
        if doc is not None:
            yield doc

    def _open(self, path: str) -> pymupdf.Document | None:
        fs, _, (p,) = fsspec.get_fs_token_paths(path)
        size = fs.size(p) or 0
        if size > self.max_file_mb * 2**20:
            self.skip("too_large", path, f"{size / 2**20:,.0f} MB > max_file_mb {self.max_file_mb:g}")
            return None
        if size == 0:
            self.skip("corrupt", path, "empty file")
            return None
        with fs.open(p, "rb") as f:
            head = f.read(HEADER_WINDOW)
        if (why := not_pdf_reason(head)) is not None:
            self.skip("not_pdf", path, why)
            return None
        try:
            if "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)) and os.path.isfile(p):
                return pymupdf.open(p, filetype="pdf")
            with fs.open(p, "rb") as f:
                return pymupdf.open(stream=f.read(), filetype="pdf")
        except (RuntimeError, ValueError) as e:  # pymupdf.FileDataError is a RuntimeError
            self.skip("corrupt", path, str(e) or type(e).__name__)
            return None

    def _document(self, path: str) -> Document | None:
        pdf = self._open(path)
        if pdf is None:
            return None
        with pdf:
            if pdf.needs_pass:
                self.skip("encrypted", path, "needs a password")
                return None
            n = pdf.page_count
            if n == 0 and getattr(pdf, "is_repaired", False):
                self.skip("corrupt", path, "damaged beyond repair (no pages recovered)")
                return None
            if n == 0:
                self.skip("empty", path, "zero pages")
                return None
            if n > self.max_pages:
                self.skip("too_large", path, f"{n:,} pages > max_pages {self.max_pages:,}")
                return None
            try:
                pages = self.extractor.pages(pdf)
                info = pdf_info(pdf)
            except (RuntimeError, ValueError) as e:  # a broken page tree or content stream
                self.skip("corrupt", path, f"{type(e).__name__}: {e}")
                return None
        for res in pages:
            self.stat_update(f"pages_{res.method}")
        ocr = sum(1 for r in pages if r.method in OCR_METHODS)
        failed = sum(1 for r in pages if r.method == "failed")
        text, spans = join_pages([r.text for r in pages])
        return Document(
            text=text,
            id=path,
            metadata={
                "pdf_path": path,
                "page_count": n,
                "page_spans": spans,
                "ocr_pages": ocr,
                "failed_pages": failed,
                "page_methods": [r.summary() for r in pages],
                "pdf_metadata": info,
                "source": self.source,
            },
        )

    @property
    def settings(self) -> dict:
        """The options in effect (for the manifest)."""
        return dataclasses.asdict(self.options)
