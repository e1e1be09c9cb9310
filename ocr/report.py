"""The PDF section of ``winnow report``: PDF pages by extraction method, kept and removed (``section-ocr``).

It reads what the ``pdf`` input format's reader (``ocr.reader``) fills: ``page_count``, ``ocr_pages``,
``pdf_path`` and, in the JSON ``metadata`` column, ``page_methods`` (one ``{"page", "method",
"confidence", "reason"}`` object per page). A run of another format has none of these columns, and the
page then has no PDF section at all (not a ``not run`` line: PDFs are an input, not a stage to run).

The report reaches it through ``pdf_quality_v1`` (``ocr.quality``)'s ``report_section`` hook, since the
report asks every registered stage for its section whether or not it ran; the section describes the
input format's columns, so it would sit better on the format once input formats have such a hook.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.report_data import RunData


@dataclass
class PdfPages:
    rows: list[tuple]  # kept?, documents, pages, OCR pages, PDFs
    methods: list[tuple[str, int]]  # method, pages (from metadata.page_methods)


def pdf_pages(rd: RunData) -> PdfPages | None:
    """PDF pages and OCR pages, kept and removed, and pages per extraction method; ``None`` for a run without
    PDF documents."""
    if not rd.has("page_count", "ocr_pages"):
        return None
    pdfs = "count(distinct pdf_path)" if rd.has("pdf_path") else "null"
    rows = rd.rows(
        f"select kept, count(*), sum(page_count), sum(ocr_pages), {pdfs} from all_documents "
        "where page_count is not null or ocr_pages is not null group by kept order by kept desc"
    )
    if not rows:
        return None
    methods = []
    if rd.has("metadata"):
        methods = rd.rows(
            "select json_extract_string(m, '$.method') as method, count(*) from ("
            "select unnest(from_json(json_extract(metadata, '$.page_methods'), '[\"JSON\"]')) as m from all_documents "
            "where metadata is not null and json_valid(metadata) and json_type(metadata, '$.page_methods') = 'ARRAY') "
            "where method is not null group by 1 order by 2 desc, 1"
        )
    return PdfPages(rows, methods)


def report_section(rd: RunData) -> str | None:
    """``section-ocr``: pages by extraction method (``plot-ocr``; from ``page_methods`` where the reader wrote
    them, else text layer = ``page_count - ocr_pages``), documents, PDFs, pages and OCR share kept and removed
    (``table-ocr``), pages per method (``table-ocr-methods``); None for a run without PDFs."""
    from pipeline import report_html as h
    from pipeline.report_data import values_png

    o = pdf_pages(rd)
    if o is None:
        return None
    if o.methods:
        labels, values = [m for m, _ in o.methods], [n for _, n in o.methods]
        caption = "PDF pages by extraction method (from metadata.page_methods)"
    else:
        pages = sum(r[2] or 0 for r in o.rows)
        n_ocr = sum(r[3] or 0 for r in o.rows)
        labels, values = ["text layer", "OCR"], [max(pages - n_ocr, 0), n_ocr]
        caption = "PDF pages by extraction method (text layer = page_count - ocr_pages)"
    parts = [h.img(values_png(labels, values, "pages"), "plot-ocr", caption)]
    rows = [(h.kept(r[0]), r[1], r[4], r[2], r[3], h.cell_num(h.pct(r[3] or 0, r[2] or 0))) for r in o.rows]
    parts.append(h.table(["", "documents", "PDFs", "pages", "OCR pages", "OCR %"], rows, table_id="table-ocr"))
    if o.methods:
        parts.append(h.table(["method", "pages"], o.methods, table_id="table-ocr-methods"))
    return h.section("section-ocr", "PDF pages and OCR", *parts, nav="OCR")
