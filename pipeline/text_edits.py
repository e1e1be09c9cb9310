"""Rewriting a document's text without breaking offsets into it (``page_spans``: where each PDF page's text is).

Stages that mask spans of text (``pii_v1``, ``decontam_v1``) go through :func:`replace_spans`, which moves every
page boundary by what the replacements before it added or removed. Stages that rewrite the text as a whole
(C4's line filter, rephrasing) call :func:`text_rewritten`: page boundaries no longer exist there, so
``page_spans`` is removed rather than left pointing at the wrong characters.
"""

from __future__ import annotations

from datatrove.data import Document


def replace_spans(doc: Document, edits: list[tuple[int, int, str]]) -> None:
    """``doc.text`` with each ``(start, end, replacement)`` applied (sorted, not overlapping), ``page_spans`` moved
    with it: a boundary inside a replaced span moves to the replacement's start (a page start) or end (a page end)."""
    doc.text = apply_edits(doc.text or "", edits)
    spans = doc.metadata.get("page_spans")
    if spans:
        doc.metadata["page_spans"] = [[_moved(a, edits, start=True), _moved(b, edits, start=False)] for a, b in spans]


def apply_edits(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with each ``(start, end, replacement)`` applied (sorted, not overlapping)."""
    parts, pos = [], 0
    for start, end, new in edits:
        parts.append(text[pos:start])
        parts.append(new)
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _moved(offset: int, edits: list[tuple[int, int, str]], start: bool) -> int:
    shift = 0
    for s, e, new in edits:
        if e <= offset:  # wholly before the offset
            shift += len(new) - (e - s)
        elif s < offset:  # the offset is inside the replaced span
            return s + shift + (0 if start else len(new))
        else:
            break
    return offset + shift


def text_rewritten(doc: Document) -> None:
    """The text was rewritten as a whole: offsets into the old text are dropped."""
    doc.metadata.pop("page_spans", None)
