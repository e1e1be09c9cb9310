"""``winnow pdf FILE.pdf``: the extracted text and how each page was handled, for debugging triage and OCR."""

from __future__ import annotations

import sys

from ocr.extract import ENGINES, PdfOptions, extract_parallel, parse_pages
from pipeline.errors import WinnowError


def pdf_command(path: str, pages: str | None = None, engine: str = "auto", dpi: int = 300,
                vlm_url: str | None = None, vlm_model: str | None = None, languages: str = "eng",
                workers: int | None = None, out=None, layout: str = "auto") -> int:
    """Print the document's text, then a per-page table (method, confidence, the page's span ``start-end`` in the
    document's text as ``page_spans`` records it, triage signals, reason).

    Returns 0, or 2 for a file that cannot be read (the message says why). OCR pages run in a pool of
    one process per core (``workers``)."""
    import pymupdf

    out = out or sys.stdout
    if engine not in ENGINES:
        raise WinnowError(f"--engine: {engine!r}; valid engines: {', '.join(ENGINES)}")
    try:
        options = PdfOptions(engine=engine, dpi=dpi, languages=tuple(languages.split("+")), vlm_url=vlm_url,
                             vlm_model=vlm_model, layout=layout)
    except ValueError as e:
        raise WinnowError(str(e)) from None
    from ocr.reader import HEADER_WINDOW, not_pdf_reason

    try:
        with open(path, "rb") as f:
            why = not_pdf_reason(f.read(HEADER_WINDOW))
    except OSError as e:
        print(f"winnow pdf: cannot open {path}: {e.strerror or e}", file=sys.stderr)
        return 2
    if why is not None:
        print(f"winnow pdf: {path} is not a PDF: {why}", file=sys.stderr)
        return 2
    try:
        with pymupdf.open(path) as doc:
            if doc.needs_pass:
                print(f"winnow pdf: {path} is encrypted (needs a password)", file=sys.stderr)
                return 2
            count = doc.page_count
    except (RuntimeError, ValueError) as e:
        print(f"winnow pdf: cannot open {path}: {e}", file=sys.stderr)
        return 2
    if count == 0:
        print(f"winnow pdf: {path} has no pages", file=sys.stderr)
        return 2
    try:
        indices = parse_pages(pages, count)
    except ValueError as e:
        raise WinnowError(str(e)) from None
    if options.ocr_backend == "tesseract":
        from ocr.tesseract import check_available

        check_available(options.languages)
    results = extract_parallel(path, options, indices, workers)
    for r in results:
        print(f"===== page {r.page} ({r.method}) =====", file=out)
        print(r.text, file=out)
    print(file=out)
    print(f"{path}: {count} pages, engine {engine}"
          + (f", OCR with {options.ocr_backend}" if options.ocr_backend else ""),
          file=out)
    from ocr.reader import join_pages

    _, spans = join_pages([r.text for r in results])  # where each page is in the document's text (page_spans)
    print(f"{'page':>4}  {'method':9}  {'conf':>5}  {'span':>15}  {'bits/ch':>7}  {'bad':>5}  {'images':>6}  "
          f"{'route':6}  {'tables':>6}  removed  reason", file=out)
    for r, (a, b) in zip(results, spans):
        t = r.triage
        conf = "" if r.confidence is None else f"{r.confidence:.2f}"
        bits = "" if t is None or t.bits is None else f"{t.bits:.2f}"
        print(f"{r.page:>4}  {r.method:9}  {conf:>5}  {f'{a}-{b}':>15}  {bits:>7}  "
              f"{'' if t is None else f'{t.bad_chars:.0%}':>5}  {'' if t is None else f'{t.image_coverage:.0%}':>6}  "
              f"{r.route or '':6}  {r.tables if r.route else '':>6}  "
              f"{','.join(f'{k} {v}' for k, v in sorted(r.removed.items())) or '-':7}  {r.reason}", file=out)
    methods: dict[str, int] = {}
    for r in results:
        methods[r.method] = methods.get(r.method, 0) + 1
    print("pages by method: " + ", ".join(f"{m} {n}" for m, n in sorted(methods.items())), file=out)
    return 0
