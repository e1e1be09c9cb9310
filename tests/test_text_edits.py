"""Stages that rewrite a document's text keep ``page_spans`` true (masking) or remove it (whole rewrites)."""

from datatrove.data import Document

from pipeline.text_edits import replace_spans, text_rewritten


def _doc(pages):
    text = "\n\n".join(pages)
    spans, pos = [], 0
    for p in pages:
        spans.append([pos, pos + len(p)])
        pos += len(p) + 2
    return Document(text=text, id="a.pdf", metadata={"page_spans": spans})


def test_masks_move_the_page_boundaries_after_them():
    doc = _doc(["mail me at someone@example.org now", "page two 10.1.2.3 here", "page three"])
    text = doc.text
    a = text.index("someone@example.org")
    b = text.index("10.1.2.3")
    replace_spans(doc, [(a, a + len("someone@example.org"), "<EMAIL>"), (b, b + len("10.1.2.3"), "<IP>")])
    pages = [doc.text[s:e] for s, e in doc.metadata["page_spans"]]
    assert pages == ["mail me at <EMAIL> now", "page two <IP> here", "page three"]


def test_a_mask_across_a_page_break_stays_whole_on_both_sides():
    doc = _doc(["the question is what", "is two plus two", "next"])
    a, b = doc.text.index("what"), doc.text.index(" plus")
    replace_spans(doc, [(a, b, "[MASKED]")])
    assert doc.text == "the question is [MASKED] plus two\n\nnext"
    pages = [doc.text[s:e] for s, e in doc.metadata["page_spans"]]
    assert pages == ["the question is [MASKED]", "[MASKED] plus two", "next"]


def test_no_spans_no_change_and_whole_rewrites_drop_them():
    doc = Document(text="web page with a@b.co", id="x", metadata={})
    replace_spans(doc, [(14, 20, "<EMAIL>")])
    assert doc.text == "web page with <EMAIL>"
    assert "page_spans" not in doc.metadata
    pdf = _doc(["one", "two"])
    text_rewritten(pdf)
    assert "page_spans" not in pdf.metadata


def test_pii_mask_keeps_pdf_pages_true():
    from filters.pii import PIIFilter

    doc = _doc(["Contact alice@corp.io for the first page.", "The second page lists 192.0.2.44 only."])
    assert PIIFilter(mode="mask").filter(doc) is True
    pages = [doc.text[s:e] for s, e in doc.metadata["page_spans"]]
    assert pages[0] == "Contact <EMAIL> for the first page."
    assert pages[1].startswith("The second page lists")
