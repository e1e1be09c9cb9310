"""``pdf_quality_v1``: drop PDF documents whose OCR failed on too many pages, or that hold no text.

olmOCR drops a document when more than a fraction of its pages failed (``--max_page_error_rate``,
1/250 by default, with a VLM where failures are rare); Tesseract fails more often on hard scans
(handwriting, photographs of text), so the default here is 10% of the pages. A page *failed* when
its OCR raised or read with a mean confidence below the reader's ``min_ocr_confidence``
(``ocr.extract``); blank pages are not failures.

Drops: ``pdf_quality_ocr_failed`` (``failed_pages / page_count > max_failed_fraction``),
``pdf_quality_no_text`` (no text at all, e.g. every page blank or rejected). Documents that are
not PDFs (no ``page_count``) pass untouched, so the stage is safe in any config.
"""

from __future__ import annotations

from pipeline.stage import Stage, register


@register("pdf_quality_v1")
class PdfQualityFilter(Stage):
    """Drop PDFs whose OCR failed on more than max_failed_fraction of pages (olmOCR), or with no text."""


    def __init__(self, max_failed_fraction: float = 0.1, drop_empty: bool = True, exclusion_writer=None):
        super().__init__(exclusion_writer)
        if not 0.0 <= max_failed_fraction <= 1.0:
            from pipeline.errors import ConfigError

            raise ConfigError(f"stages.pdf_quality_v1.max_failed_fraction: {max_failed_fraction} is outside 0..1")
        self.max_failed_fraction = max_failed_fraction
        self.drop_empty = drop_empty

    def filter(self, doc) -> bool | tuple[bool, str]:
        pages = doc.metadata.get("page_count")
        if not pages:
            return True
        failed = doc.metadata.get("failed_pages") or 0
        if failed / pages > self.max_failed_fraction:
            return self.drop("ocr_failed")
        if self.drop_empty and not (doc.text or "").strip():
            return self.drop("no_text")
        return True
