"""The ``pdf`` input format: its options (``input.pdf`` in a run config, ``PdfOptions``) and the columns its
reader fills. Kept apart from the reader (``ocr.reader``) so that declaring the format does not load the PDF
stack: a run of another format never imports PyMuPDF.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from pipeline.formats import InputFormat, register_format
from pipeline.stage import Column

ENGINES = ("auto", "text", "tesseract", "vlm")
LAYOUTS = ("auto", "plain")


@dataclass(frozen=True)
class PdfOptions:
    engine: str = "auto"
    dpi: int = 300
    languages: tuple[str, ...] = ("eng",)
    other_languages: bool = True  # pages in another script or language are read again with its pack, if installed
    tessdata: str | None = None
    min_ocr_confidence: float = 0.3
    max_pixels: int = 60_000_000  # render cap per page (~ a 20x30 inch page at 300 dpi)
    columns: bool = True
    layout: str = "auto"  # auto: ocr.layout (boilerplate removed, tables as markdown); plain: blocks in column order
    vlm_url: str | None = None
    vlm_model: str | None = None
    vlm_timeout: float = 120.0
    vlm_retries: int = 3
    max_pages: int = 5000  # a longer file is skipped (skipped_too_large) before its pages are read
    max_file_mb: float = 1024.0  # a larger file is skipped before it is opened

    def __post_init__(self):
        if self.engine not in ENGINES:
            raise ValueError(f"engine: {self.engine!r} is not one of {', '.join(ENGINES)}")
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout: {self.layout!r} is not one of {', '.join(LAYOUTS)}")
        if self.engine == "vlm" and not (self.vlm_url and self.vlm_model):
            raise ValueError("engine: 'vlm' needs vlm_url and vlm_model")
        if self.dpi < 50 or self.dpi > 1200:
            raise ValueError(f"dpi: {self.dpi} is outside 50..1200")
        if not 0 <= self.min_ocr_confidence <= 1:
            raise ValueError(f"min_ocr_confidence: {self.min_ocr_confidence} is outside 0..1")
        for name in ("max_pixels", "max_pages", "max_file_mb", "vlm_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: expected a positive number, got {getattr(self, name)}")
        if self.vlm_retries < 0:
            raise ValueError(f"vlm_retries: expected 0 or more, got {self.vlm_retries}")
        if not self.languages or not all(isinstance(x, str) and x for x in self.languages):
            raise ValueError(f"languages: expected Tesseract language codes such as ['eng'], got {self.languages!r}")

    @property
    def ocr_backend(self) -> str | None:
        if self.engine == "text":
            return None
        if self.engine == "vlm" or (self.engine == "auto" and self.vlm_url and self.vlm_model):
            return "vlm"
        return "tesseract"


register_format(InputFormat(
    name="pdf",
    suffixes=(".pdf",),
    reader="ocr.reader:PdfReader",
    options=PdfOptions,
    columns=(
        Column("pdf_path", pa.string(), "PDF inputs: the file the document came from"),
        Column("page_count", pa.int64(), "PDF inputs: pages in the document"),
        Column("ocr_pages", pa.int64(), "PDF inputs: pages read with OCR rather than from the text layer"),
        Column("page_spans", pa.list_(pa.list_(pa.int64())),
               "PDF inputs: [start, end) offsets of each page's text in text, page 1 first (also in metadata)"),
    ),
    metadata_keys=("page_spans",),  # olmOCR-bench's scorer and page-level tools read it from the metadata JSON
    report="ocr.report:report_section",  # PDF pages by extraction method
))
