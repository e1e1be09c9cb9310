"""The extract_html_v1 stage: what it drops and why."""

from datatrove.data import Document

from pipeline.extract_step import ExtractHTML

ARTICLE = ("<html><body><nav>Home | About</nav><article>"
           + "<p>The harbour was quiet in the early morning, and the boats rocked gently at their moorings.</p>" * 4
           + "</article></body></html>")


def test_extracts_main_text():
    d = Document(ARTICLE, "a", metadata={"content_type": "text/html"})
    assert ExtractHTML().filter(d) is True
    assert "harbour was quiet" in d.text and "<p>" not in d.text


def test_drops_empty_and_too_large_pages():
    empty = Document("<html><body><script>var x = 1;</script></body></html>", "e", metadata={})
    assert ExtractHTML().filter(empty) == (False, "extract_html_empty")
    big = Document(ARTICLE + "<!--" + "x" * 2_000 + "-->", "b", metadata={})
    assert ExtractHTML(max_html_bytes=1_000).filter(big) == (False, "extract_html_too_large")
    assert big.text == ""  # the raw HTML is not carried into removed/


def test_plain_text_passes_through():
    d = Document("Already extracted text.", "w", metadata={"content_type": "text/plain"})
    assert ExtractHTML().filter(d) is True and d.text == "Already extracted text."
    assert ExtractHTML().filter(Document("  ", "w2", metadata={"content_type": "text/plain"})) == (
        False, "extract_html_empty")
