"""The ``extract_html_v1`` stage: HTML -> main text with :func:`pipeline.extract.html_to_text`.

``extractor``: ``model`` (default: :mod:`pipeline.extract_dom`, trafilatura for the pages it
cannot decide) or ``trafilatura`` (trafilatura alone, the extractor before December 2026).

Drops: ``extract_html_too_large`` (HTML over ``max_html_bytes``, which would
stall a worker for little text; the limit is in UTF-8 bytes of the decoded
page), ``extract_html_empty`` (no main text found). Plain-text inputs (WET
conversion records) pass through unchanged.
"""

from __future__ import annotations

from datatrove.data import Document

from pipeline.extract import EXTRACTORS, html_to_text
from pipeline.stage import Stage, register


@register("extract_html_v1")
class ExtractHTML(Stage):
    """Replace each HTML document's text with its main text (boilerplate, navigation and markup removed)."""


    def __init__(self, max_html_bytes: int = 10_000_000, extractor: str = "model", exclusion_writer=None):
        super().__init__(exclusion_writer)
        if extractor not in EXTRACTORS:
            from pipeline.errors import ConfigError

            raise ConfigError(f"stages.extract_html_v1.extractor: {extractor!r} is not one of {', '.join(EXTRACTORS)}")
        self.max_html_bytes = max_html_bytes
        self.extractor = extractor
        if extractor == "model":  # the trees decide what is kept: the run manifest records their checksum
            from pipeline.extract_dom import MODEL_PATH

            self.model_path = str(MODEL_PATH)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if doc.metadata.get("content_type") == "text/plain":
            return True if doc.text.strip() else self.drop("empty")
        # len() in characters is a lower bound on UTF-8 bytes: encode only when it could matter.
        if len(doc.text) * 4 > self.max_html_bytes and len(doc.text.encode("utf-8", "replace")) > self.max_html_bytes:
            doc.text = ""
            return self.drop("too_large")
        text = html_to_text(doc.text, doc.metadata.get("url"), self.extractor)
        doc.text = text
        if not text.strip():
            return self.drop("empty")
        return True
