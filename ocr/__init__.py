"""PDFs: text layer first, OCR where it is missing or garbage.

Modules:

``layout``     a text layer read like a person: running heads, footers, page numbers, line numbers and
               margin stamps removed across a document's pages, columns in order, code lines kept
``tables``     tables found from the lines' geometry, written as markdown (the router's table pass)
``textlayer``  PyMuPDF text blocks in reading order (column gutters found per page; the XY cut)
``triage``     per page: use the text layer, OCR it, or nothing there (no text, mostly images,
               bad characters, letters that do not read as language)
``tesseract``  CPU OCR via tesserocr (one thread per process, ``OMP_THREAD_LIMIT=1``)
``vlm``        OCR through an OpenAI-compatible endpoint (vLLM + an olmOCR-style model)
``extract``    one PDF -> per-page results, shared by the reader and ``winnow pdf``
``format``     the ``pdf`` input format: its options (``PdfOptions``), columns and report section, declared
               without loading the PDF stack (``pipeline.formats``)
``reader``     ``PdfReader`` (``read_pdf``): one document per PDF, bad files counted as skipped
``report``     the report's section of PDF pages by extraction method
``quality``    ``pdf_quality_v1``: drops documents whose OCR failed on too many pages
``cli``        ``winnow pdf FILE.pdf``: text and a per-page table
``metrics``    character error rate (normalised Levenshtein) for tests and ``tests/bench/bench_pdf.py``
``checks``     olmOCR-bench-format checks (present / absent / order / table) and their scorer
"""

import os
import sys

# PyMuPDF 2 imports its layout package on its own first import, and that loads an ONNX layout model: about 0.9 CPU-s
# and 38 MB in every process that reads a PDF, OCR workers and cluster tasks included (docs/measurements.md). Winnow
# reads layouts itself and never calls the model, so unless PyMuPDF is loaded already, that import is declined
# (``import pymupdf.layout`` raises ImportError, as where the package is absent, and PyMuPDF goes on without it).
# Where ``pymupdf4llm`` is installed (the bench extra), PyMuPDF imports it too (0.12 s a process), for methods Winnow
# never calls: declined the same way. WINNOW_PYMUPDF_LAYOUT=1 keeps both, for code in the same process that wants
# ``pymupdf4llm``'s layout engine.
if "pymupdf" not in sys.modules and os.environ.get("WINNOW_PYMUPDF_LAYOUT") != "1":
    sys.modules.setdefault("pymupdf.layout", None)
    sys.modules.setdefault("pymupdf4llm", None)
