"""One PDF -> per-page text: text layer where triage trusts it, OCR elsewhere.

Shared by the pipeline's reader (``ocr.reader.PdfReader``) and ``winnow pdf`` (``ocr.cli``).

Engines (``PdfOptions.engine``):

``auto``       triage each page (``ocr.triage``); OCR the pages that fail it with the VLM when
               ``vlm_url`` is set, else with Tesseract
``text``       text layer only; pages that fail triage get no text (method ``rejected``)
``tesseract``  OCR every page with Tesseract (ignore the text layer)
``vlm``        OCR every page with the VLM endpoint, falling back to Tesseract per page

Layouts (``PdfOptions.layout``): ``auto`` reads text layers with ``ocr.layout`` (running heads, footers,
page numbers, line numbers and margin stamps removed, tables as markdown); ``plain`` keeps every
line, blocks in column order (``ocr.textlayer``).

Per-page methods (``PageResult.method``, ``metadata.page_methods[].method``): ``text``,
``tesseract``, ``vlm``, ``blank`` (nothing on the page, or OCR found no text), ``rejected``
(engine ``text`` and the layer failed triage), ``failed`` (OCR raised, or read with a mean
confidence below ``min_ocr_confidence``: its text is left out). Confidence: the text layer's
language plausibility, Tesseract's mean word confidence (0..1); null for the VLM (it reports none).
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field

import pymupdf

from ocr import tesseract
from ocr.format import ENGINES, LAYOUTS, PdfOptions  # noqa: F401 - PdfOptions is this module's API too
from ocr.layout import DocumentLayout, PageLayout, compose, ocr_layout, raw_text, read_page, strip_ocr_furniture
from ocr.textlayer import page_text, unwrap
from ocr.triage import Triage, triage_page

SPARSE_LAYER = ("mostly_image", "no_text")  # triage reasons whose layer is real text, only little of it
FALLBACK_LAYER = SPARSE_LAYER + ("bad_sizes",)  # ... or real text, misread: kept where OCR reads less (keep_better)


@dataclass
class PageResult:
    page: int  # 1-based
    method: str
    confidence: float | None
    reason: str  # triage reason, or why OCR failed
    text: str = ""
    triage: Triage | None = field(default=None, repr=False)
    removed: dict = field(default_factory=dict)  # boilerplate lines dropped, by kind (ocr.layout)
    tables: int = 0  # tables written as markdown
    route: str | None = None  # pages read with ocr.layout: fast, or tables (the word-level table pass ran)
    layout: PageLayout | None = field(default=None, repr=False)  # an OCR'd page's, until ``finish`` composes it

    def summary(self) -> dict:
        out = {"page": self.page, "method": self.method, "confidence": self.confidence, "reason": self.reason}
        if self.route is not None:
            out.update(route=self.route, removed=self.removed, tables=self.tables)
        elif self.removed:  # an OCR'd page's running heads, feet and page numbers
            out.update(removed=self.removed)
        return out


def parse_pages(spec: str | None, page_count: int) -> list[int]:
    """'1-5,8' -> [0, 1, 2, 3, 4, 7] (0-based, clipped to the document); None -> every page."""
    if not spec:
        return list(range(page_count))
    out: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)(?:-(\d*))?", part)
        if not m:
            raise ValueError(f"--pages: cannot read {part!r} (use e.g. 1-5,8)")
        a = int(m.group(1))
        b = a if m.group(2) is None else (int(m.group(2)) if m.group(2) else page_count)
        if a < 1 or b < a:
            raise ValueError(f"--pages: bad range {part!r}")
        out += [p - 1 for p in range(a, min(b, page_count) + 1)]
    return list(dict.fromkeys(out))


def pdf_info(doc: pymupdf.Document) -> dict:
    """Title, author, dates, producer and rights (PDF info dict + XMP dc:rights / xmpRights) - non-empty only."""
    info = {k: v for k, v in (doc.metadata or {}).items() if isinstance(v, str) and v.strip() and k != "encryption"}
    try:
        xmp = doc.get_xml_metadata() or ""
    except (RuntimeError, ValueError):
        xmp = ""
    if xmp:
        rights = re.search(r"<dc:rights>.*?<rdf:li[^>]*>(.*?)</rdf:li>", xmp, re.DOTALL)
        if rights and rights.group(1).strip():
            info["rights"] = rights.group(1).strip()
        url = re.search(r"xmpRights:WebStatement\s*=\s*\"([^\"]+)\"|<xmpRights:WebStatement>([^<]+)<", xmp)
        if url:
            info["license"] = (url.group(1) or url.group(2)).strip()
    return info


class PageExtractor:
    """Triage and OCR the pages of PDFs with one set of options (keeps its OCR clients per process)."""

    def __init__(self, options: PdfOptions):
        self.options = options
        self._vlm = None

    def check(self) -> None:
        """Fail early (OcrUnavailable, naming the install command) if the options need Tesseract and it is missing."""
        if self.options.ocr_backend == "tesseract":
            tesseract.check_available(self.options.languages, self.options.tessdata)

    def vlm(self):
        if self._vlm is None:
            from ocr.vlm import VlmClient

            o = self.options
            self._vlm = VlmClient(o.vlm_url, o.vlm_model, timeout=o.vlm_timeout, retries=o.vlm_retries)
        return self._vlm

    def text_layers(self, doc: pymupdf.Document, indices: list[int]
                    ) -> list[tuple[PageResult | None, Triage, PageResult | None]]:
        """For each page: its result from the text layer, or None when it must be OCR'd; its triage; and for a
        page sent to OCR whose layer is sparse rather than junk (``mostly_image``, ``no_text``), the layer's
        reading, kept if OCR reads worse (:func:`keep_better`). Running heads and feet are found across the
        pages whose layer is used (``ocr.layout``)."""
        o = self.options
        first = []
        for i in indices:
            page = doc[i]
            if o.layout == "plain":
                text, _ = page_text(page, columns=o.columns)
                first.append((i, None, text, triage_page(page, text)))
            else:
                lay = read_page(page)
                first.append((i, lay, None, triage_page(page, raw_text(lay), lay.body_size)))
        if o.layout != "plain":
            DocumentLayout([lay for _, lay, _, tri in first if tri.decision == "text"])
        out = []
        for i, lay, text, tri in first:
            layer = None
            forced = o.engine in ("tesseract", "vlm")  # every page OCR'd: no layer is read
            if not forced and (tri.decision == "text" or tri.reason in FALLBACK_LAYER and tri.chars):
                layer = PageResult(i + 1, "text", tri.confidence, tri.reason, text or "", tri)
                if lay is not None:
                    layer.text, layer.tables = compose(lay, columns=o.columns)
                    layer.removed, layer.route = dict(lay.removed), lay.route
                    lay.words = None
            if forced:
                out.append((None, tri, None))
            elif tri.decision == "text":
                out.append((layer, tri, None))
            elif tri.decision == "blank":
                out.append((PageResult(i + 1, "blank", None, tri.reason, "", tri), tri, None))
            elif o.ocr_backend is None:
                out.append((PageResult(i + 1, "rejected", 0.0, tri.reason, "", tri), tri, None))
            else:
                out.append((None, tri, layer))
        return out

    def page(self, doc: pymupdf.Document, index: int) -> PageResult:
        """One page on its own (no running heads across pages)."""
        return self.pages(doc, [index])[0]

    def ocr(self, page: pymupdf.Page, index: int, tri: Triage | None) -> PageResult:
        o = self.options
        reason = tri.reason if tri else "forced"
        if o.ocr_backend == "vlm":
            from ocr.vlm import VlmError

            try:
                text = self.vlm().ocr_page(page)
                return PageResult(index + 1, "vlm" if text.strip() else "blank", None, reason, text.strip(), tri)
            except VlmError as e:
                reason = f"{reason}; vlm failed ({e}), tesseract fallback"
        try:
            read = tesseract.ocr_page(page, o.dpi, o.languages, o.tessdata, o.max_pixels, o.other_languages)
        except tesseract.OcrUnavailable as e:
            if o.ocr_backend == "vlm":  # the fallback is optional for VLM users
                return PageResult(index + 1, "failed", 0.0, f"{reason}; {e}", "", tri)
            raise
        except (RuntimeError, ValueError, MemoryError) as e:
            return PageResult(index + 1, "failed", 0.0, f"{reason}; tesseract error: {e}", "", tri)
        conf = read.confidence
        if read.languages != tuple(o.languages):
            reason = f"{reason}; read as {'+'.join(read.languages)}"
        lay = ocr_layout(read) if o.layout != "plain" and read.words else None
        text = compose(lay, columns=o.columns)[0] if lay is not None else unwrap(read.text)
        if not text:
            return PageResult(index + 1, "blank", round(conf, 3), f"{reason}; OCR found no text", "", tri)
        if conf < o.min_ocr_confidence:
            return PageResult(index + 1, "failed", round(conf, 3), f"{reason}; OCR confidence {conf:.2f} below "
                              f"{o.min_ocr_confidence}", "", tri)
        return PageResult(index + 1, "tesseract", round(conf, 3), reason, text, tri, layout=lay)

    def pages(self, doc: pymupdf.Document, indices: list[int] | None = None) -> list[PageResult]:
        indices = list(range(doc.page_count)) if indices is None else indices
        return finish([res if res is not None else keep_better(self.ocr(doc[i], i, tri), layer)
                       for i, (res, tri, layer) in zip(indices, self.text_layers(doc, indices))], self.options.columns)


# --- a process pool for `winnow pdf`: one process per core, each with one Tesseract thread ---------

_WORKER: dict = {}


def _init_worker(options_dict: dict, path: str) -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    _WORKER["extractor"] = PageExtractor(PdfOptions(**options_dict))
    _WORKER["doc"] = pymupdf.open(path)


def _work(job: tuple[int, Triage]) -> PageResult:
    index, tri = job
    res = _WORKER["extractor"].ocr(_WORKER["doc"][index], index, tri)
    return res


def extract_parallel(
    path: str, options: PdfOptions, indices: list[int], workers: int | None = None
) -> list[PageResult]:
    """Pages of one file: text layers and triage here, OCR across ``workers`` processes (default: one per core)."""
    workers = workers or os.cpu_count() or 1
    extractor = PageExtractor(options)
    with pymupdf.open(path) as doc:
        first = [(i, *triple) for i, triple in zip(indices, extractor.text_layers(doc, indices))]
        todo = [(i, tri) for i, res, tri, _ in first if res is None]
        if workers <= 1 or len(todo) <= 1:
            done = {i: extractor.ocr(doc[i], i, tri) for i, tri in todo}
        else:
            with ProcessPoolExecutor(max_workers=min(workers, len(todo)), initializer=_init_worker,
                                     initargs=(asdict(options), path)) as pool:
                done = dict(zip([i for i, _ in todo], pool.map(_work, todo)))
    return finish([res if res is not None else keep_better(done[i], layer) for i, res, _, layer in first],
                  options.columns)


def finish(results: list[PageResult], columns: bool = True) -> list[PageResult]:
    """The document's OCR'd pages without their running heads, feet and page numbers: Tesseract's pages by the words'
    places (``ocr.layout``, across the document's OCR'd pages as across its text layers), a VLM's (or ``plain``
    layout's) by their text alone (``strip_ocr_furniture``)."""
    laid = [r for r in results if r.layout is not None]
    if laid:
        DocumentLayout([r.layout for r in laid])
        for r in laid:
            r.text, r.tables = compose(r.layout, columns=columns)
            r.removed, r.route, r.layout = dict(r.layout.removed), r.layout.route, None
    texts = [r.text if r.method in ("tesseract", "vlm") and r.route is None else None for r in results]
    if not any(texts):
        return results
    for r, text, removed in zip(results, texts, strip_ocr_furniture(texts)):
        if removed:
            r.text, r.removed = text, dict(removed)
    return results


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def keep_better(ocr: PageResult, layer: PageResult | None) -> PageResult:
    """OCR's reading of a page, unless it read nothing, failed, or read fewer letters than the page's own text layer
    (a sparse layer, ``SPARSE_LAYER``): then the layer's, which is the page's real text where OCR cannot read it
    (a photograph with a caption, handwriting next to typed text, a logo's lettering), or a misread layer
    (``bad_sizes``) where OCR is missing or fails."""
    if layer is None or not layer.text.strip():
        return ocr
    if ocr.method in ("blank", "failed") or _letters(ocr.text) < _letters(layer.text):
        what = "read nothing" if ocr.method == "blank" else "failed" if ocr.method == "failed" else "read less"
        layer.reason = f"{layer.reason}; OCR {what}, text layer kept"
        return layer
    return ocr
