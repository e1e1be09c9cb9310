"""ocr/: triage on real PDFs, column order, Tesseract CER on a rendered page, the VLM client against a local stub.

Tests that need Tesseract skip with the install command when tesserocr or its traineddata is missing,
and fail instead when WINNOW_REQUIRE_OCR=1 (CI installs them).
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pymupdf
import pytest

from ocr.extract import PageExtractor, PdfOptions, parse_pages
from ocr.layout import compose, read_page
from ocr.metrics import cer, levenshtein, normalise
from ocr.textlayer import find_gutters, page_blocks, page_text
from ocr.triage import plausibility, triage_page, triage_text
from ocr.vlm import VlmClient, VlmError, parse_reply
from pipeline.urls import chat_url
from tests.conftest import shared_data


def require_ocr(languages: tuple[str, ...] = ("eng",)) -> None:
    from ocr.tesseract import OcrUnavailable, check_available

    try:
        check_available(languages)
    except OcrUnavailable as e:
        if os.environ.get("WINNOW_REQUIRE_OCR") == "1":
            pytest.fail(f"WINNOW_REQUIRE_OCR=1 but OCR is unavailable: {e}")
        pytest.skip(f"OCR test needs Tesseract: {e}")


def _triage(path, index=0):
    with pymupdf.open(str(path)) as doc:
        page = doc[index]
        return triage_page(page, page_text(page)[0])


# --- triage on real PDFs ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["2400dpi.pdf", "c02-22.pdf", "cardinal.pdf", "epson.pdf", "francais.pdf", "linn.pdf",
                                  "multipage.pdf", "rotated_skew.pdf", "skew.pdf"])
def test_scans_go_to_ocr(name):
    path = shared_data("pdfs", "ocrmypdf", name)
    with pymupdf.open(str(path)) as doc:
        for page in doc:
            tri = triage_page(page, page_text(page)[0])
            assert tri.decision == "ocr", (name, page.number, tri)
            assert tri.reason in ("no_text", "mostly_image")


@pytest.mark.parametrize("name", ["olmo-page-1.pdf", "dolma-page-1.pdf"])
def test_letter_shifted_text_layer_is_garbage(name):
    tri = _triage(shared_data("pdfs", "olmocr-gnarly", name))
    assert tri.decision == "ocr" and tri.reason == "garbage", tri
    assert tri.chars > 1000  # a full text layer: a letters-ratio check alone would pass it


@pytest.mark.parametrize("rel", ["debian/R-intro.pdf", "debian/usrguide.pdf",
                                 "olmocr-gnarly/pdftotext_two_column_issue.pdf",
                                 "olmocr-gnarly/repeating_references_on_pg9_pg10.pdf",
                                 "olmocr-gnarly/lots_of_chem_tables.pdf"])
def test_born_digital_pages_keep_their_text_layer(rel):
    path = shared_data("pdfs", *rel.split("/"))
    with pymupdf.open(str(path)) as doc:
        for page in list(doc)[:12]:
            tri = triage_page(page, page_text(page)[0])
            assert tri.decision in ("text", "blank"), (rel, page.number, tri)


def test_mostly_image_page():
    tri = _triage(shared_data("pdfs", "olmocr-gnarly", "most_content_in_image_form.pdf"))
    assert tri.decision == "ocr" and tri.reason == "mostly_image"


def test_triage_signals_on_synthetic_text():
    prose = ("The committee met on Tuesday to discuss the budget for the coming year, and agreed that the library "
             "should stay open in the evenings. ") * 3
    shifted = "".join(chr((ord(c) - 97 - 1) % 26 + 97) if "a" <= c <= "z" else c for c in prose)
    assert triage_text(prose, 500000, 0.0, False).decision == "text"
    assert triage_text(shifted, 500000, 0.0, False).reason == "garbage"
    soup = "".join(chr(0xF000 + (i * 7) % 200) for i in range(300))  # private-use glyph codes
    assert triage_text(soup, 500000, 0.0, False).reason == "bad_chars"
    assert triage_text(prose.replace("e", "\ufffd"), 500000, 0.0, False).reason == "bad_chars"
    assert triage_text("", 500000, 0.0, False).decision == "blank"
    assert triage_text("", 500000, 1.0, False).reason == "no_text"
    french = ("Le conseil municipal a décidé mardi de prolonger les horaires de la bibliothèque pendant "
              "toute l'année scolaire, afin que les élèves puissent y travailler le soir. ") * 2
    assert triage_text(french, 500000, 0.0, False).decision == "text"  # not English, still language
    bits, shifted_better, _ = plausibility(shifted)
    assert shifted_better and bits > plausibility(prose)[0]
    # a Chinese lab report: its Latin letters are units and acronyms, which read as no language; the page is
    # judged by its own script, not by them (it was sent to an English OCR that read nothing of it)
    report = "\n".join(f"{name}({abbr}) 仪器法 {v} E+9/L [4.0-10.0] 样本类型:EDTA抗凝血" for name, abbr, v in [
        ("白细胞计数", "WBC", 3.9), ("中性粒细胞计数", "NEU", 2.33), ("淋巴细胞计数", "LYM", 1.16),
        ("红细胞分布宽度标准差", "RDW-SD", 42.2), ("平均血小板体积", "MPV", 13.2)])
    latin = "".join(c if c.isascii() else " " for c in report)
    assert triage_text(latin, 500000, 0.0, False).reason == "garbage"
    assert triage_text(report, 500000, 0.0, False).decision == "text"


# --- reading order ---------------------------------------------------------------------------------

def test_two_column_order_on_real_page():
    path = shared_data("pdfs", "olmocr-gnarly", "pdftotext_two_column_issue.pdf")
    with pymupdf.open(str(path)) as doc:
        page = doc[1]
        blocks = page_blocks(page)
        assert len(find_gutters(blocks)) == 1
        text, cols = page_text(page)
        assert cols == 2
        mid = find_gutters(blocks)[0]
        left = [b[4] for b in blocks if b[2] <= mid]
        right = [b[4] for b in blocks if b[0] >= mid]
        left_end = max(text.index(t[:30]) for t in left)
        right_start = min(text.index(t[:30]) for t in right)
        assert left_end < right_start


def test_synthetic_two_columns_read_column_by_column():
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_textbox(pymupdf.Rect(50, 40, 562, 80), "A Title Across Both Columns", fontsize=16)
    left = "Left column sentence number {}. " * 1
    for i in range(6):
        page.insert_textbox(pymupdf.Rect(50, 100 + i * 90, 290, 180 + i * 90), left.format(i) * 4, fontsize=10)
        page.insert_textbox(pymupdf.Rect(322, 100 + i * 90, 562, 180 + i * 90),
                            f"Right column sentence number {i}. " * 4, fontsize=10)
    text, cols = page_text(page)
    assert cols == 2
    assert text.index("A Title") < text.index("Left column sentence number 0")
    assert text.index("Left column sentence number 5") < text.index("Right column sentence number 0")
    plain = page.get_text(sort=True)
    assert plain.index("Right column sentence number 0") < plain.index("Left column sentence number 5")  # what we fix


# --- metrics and options -----------------------------------------------------------------------------

def test_levenshtein_and_cer():
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == 3 and levenshtein("abc", "abc") == 0
    assert normalise("“Quoted”  —\n text") == '"quoted" - text'
    assert cer("hello world", "hello world") == 0.0
    assert cer("helo world", "hello world") == pytest.approx(1 / 11)


def test_parse_pages():
    assert parse_pages("1-3,5", 10) == [0, 1, 2, 4]
    assert parse_pages("8-", 10) == [7, 8, 9]
    assert parse_pages(None, 3) == [0, 1, 2]
    assert parse_pages("9-20", 10) == [8, 9]
    with pytest.raises(ValueError):
        parse_pages("x", 3)


def test_options_validation():
    with pytest.raises(ValueError, match="engine"):
        PdfOptions(engine="magic")
    with pytest.raises(ValueError, match="vlm_url"):
        PdfOptions(engine="vlm")
    assert PdfOptions().ocr_backend == "tesseract"
    assert PdfOptions(engine="text").ocr_backend is None
    assert PdfOptions(vlm_url="http://x", vlm_model="m").ocr_backend == "vlm"


# --- Tesseract ---------------------------------------------------------------------------------------

def test_tesseract_cer_on_rendered_born_digital_page():
    require_ocr()
    from ocr.tesseract import ocr_page

    path = shared_data("pdfs", "debian", "R-intro.pdf")
    with pymupdf.open(str(path)) as doc:
        page = doc[9]  # running prose, single column
        reference, _ = page_text(page)
        read = ocr_page(page, dpi=300)
        width, height = page.rect.width, page.rect.height
    assert read.confidence > 0.8
    assert cer(read.text, reference) <= 0.03
    assert all(0 <= w.x0 < w.x1 <= width and 0 <= w.y0 < w.y1 <= height for w in read.words)
    assert 9 < sorted(w.size for w in read.words)[len(read.words) // 2] < 12  # row heights of an 11-point font


def test_tesseract_reads_a_real_scan():
    require_ocr()
    path = shared_data("pdfs", "ocrmypdf", "linn.pdf")
    with pymupdf.open(str(path)) as doc:
        res = PageExtractor(PdfOptions()).page(doc, 0)
    assert res.method == "tesseract" and res.reason == "no_text"
    assert "LinnSequencer" in res.text and res.confidence > 0.8


def _ocr_words(rows: list[tuple[float, list[str]]], para_of=lambda k: k, size: float = 9.0):
    """Tesseract-like words: each row ``(y, [text placed at x, ...])`` one line of the image, its words 6 points
    per character wide; a list item ``"@x text"`` starts at ``x``."""
    from ocr.tesseract import Word

    out = []
    for k, (y, items) in enumerate(rows):
        x = 72.0
        for item in items:
            if item.startswith("@"):
                at, item = item[1:].split(" ", 1)
                x = float(at)
            for word in item.split():
                out.append(Word(x, y, x + 6.0 * len(word), y + 10.0, word, para_of(k), k, size))
                x += 6.0 * len(word) + 0.4 * size
    return out


def test_an_ocr_page_is_read_by_its_word_boxes_tables_included():
    """Tesseract sets a table's row as one line of words; where they stand far apart (or beside a figure) they are
    cells, and the page gets the table pass; prose lines stay whole, and the reading order is Tesseract's."""
    from ocr.layout import DocumentLayout, compose, ocr_layout
    from ocr.tesseract import OcrPage

    rows = [(80.0, ["Results of the survey"]),
            (100.0, ["The measurements below were taken at three sites over two years of sampling."])]
    rows += [(130.0 + 14 * k, [f"@72 {name}", f"@200 {a}", f"@300 {b}"]) for k, (name, a, b) in
             enumerate([("Site", "2019", "2020"), ("North ridge", "12.5", "30.1"), ("South bank", "8.0", "9.75"),
                        ("Old mill", "101", "99")])]
    rows.append((220.0, ["The second year was wetter, which explains most of the change."]))
    page = OcrPage(_ocr_words(rows), 0.9, 612.0, 792.0)
    lay = ocr_layout(page)
    assert lay.route == "tables" and lay.reading_order
    DocumentLayout([lay])
    text, tables = compose(lay)
    assert tables == 1
    assert text.split("\n\n") == [
        "Results of the survey",
        "The measurements below were taken at three sites over two years of sampling.",
        "| Site | 2019 | 2020 |\n|---|---|---|\n| North ridge | 12.5 | 30.1 |\n| South bank | 8.0 | 9.75 |\n"
        "| Old mill | 101 | 99 |",
        "The second year was wetter, which explains most of the change."]
    # the same rows with ordinary word gaps are prose: no cells, no table pass
    prose = OcrPage(_ocr_words([(y, [" ".join(it.split(" ", 1)[-1] for it in items)]) for y, items in rows]),
                    0.9, 612.0, 792.0)
    assert ocr_layout(prose).route == "fast"


def test_an_ocr_page_loses_its_folio_and_joins_a_paragraph_tesseract_split():
    """On one OCR'd page alone: the page number at the foot and a small running head set apart at the top are
    furniture, by place and size; a paragraph Tesseract broke after an unfinished line ("... of the") is one again."""
    from ocr.layout import DocumentLayout, compose, ocr_layout
    from ocr.tesseract import OcrPage

    body = [(150.0 + 12 * k, [f"line {k} of the body text that runs across the whole measure of the page and"])
            for k in range(12)]
    words = _ocr_words([(40.0, ["JOURNAL OF EXAMPLES 12 (2024)"])], size=6.0)
    words += _ocr_words(body + [(294.0, ["continues here in lower case."])], para_of=lambda k: 1 if k < 12 else 2)
    words += _ocr_words([(700.0, ["@300 17"])], para_of=lambda k: 3)
    words = [w._replace(line=w.line + 100 * w.para) for w in words]
    lay = ocr_layout(OcrPage(words, 0.9, 612.0, 792.0))
    DocumentLayout([lay])
    text, _ = compose(lay)
    assert "JOURNAL" not in text and not text.endswith("17")
    assert lay.removed == {"header": 1, "footer": 1}  # the foot row holding the page number goes whole
    assert text.count("\n\n") == 0 and text.endswith("page and continues here in lower case.")


def test_a_scanned_table_comes_out_as_markdown():
    """End to end with real Tesseract: a table rendered to an image-only page is OCR'd, and its cells come out as
    a markdown table under the page's prose."""
    require_ocr()
    src = pymupdf.open()
    page = src.new_page(width=612, height=792)
    page.insert_text((72, 90), "Quarterly sales by region, in thousands of dollars.", fontsize=12)
    data = [("Region", "Spring", "Autumn"), ("Northwest", "1,250", "1,410"), ("Southeast", "980", "1,105"),
            ("Midlands", "2,045", "2,310"), ("Coastal", "615", "702")]
    for k, row in enumerate(data):
        for x, cell in zip((72, 260, 400), row):
            page.insert_text((x, 140 + 22 * k), cell, fontsize=12)
    pix = page.get_pixmap(dpi=200, colorspace=pymupdf.csGRAY)
    scan = pymupdf.open()
    scan.new_page(width=612, height=792).insert_image(pymupdf.Rect(0, 0, 612, 792), pixmap=pix)
    res = PageExtractor(PdfOptions()).pages(scan)[0]
    assert res.method == "tesseract" and res.route == "tables" and res.tables == 1
    assert "| Region | Spring | Autumn |" in res.text and "| Midlands | 2,045 | 2,310 |" in res.text
    assert res.text.startswith("Quarterly sales by region")


def test_a_layer_set_under_a_quarter_point_goes_to_ocr_and_stays_where_ocr_reads_less():
    """Most characters set under ``MIN_BODY_SIZE`` is a layer with broken font metrics (a Type3 font's: words split,
    letters missing, boxes many times the glyphs' height): the page goes to OCR, and its layer stays where OCR reads
    less, as on this made-up page set too small for OCR to see."""
    prose = "The quick brown fox jumps over the lazy dog and keeps running through the field by the river. "
    assert triage_text(prose * 30, 500000, 0.0, False, 0.0).reason == "bad_sizes"
    assert triage_text(prose * 30, 500000, 0.0, False, 0.5).reason == "usable"
    assert triage_text(prose * 30, 500000, 0.0, False).reason == "usable"  # no size read (the plain layout)
    require_ocr()
    doc = pymupdf.open()
    page = doc.new_page()
    for k in range(30):
        page.insert_text((72, 72 + k * 0.4), prose * 2, fontsize=0.2)
    res = PageExtractor(PdfOptions()).pages(doc)[0]
    assert res.method == "text" and res.reason.startswith("bad_sizes; OCR") and "text layer kept" in res.reason
    assert "quick brown fox" in res.text


def test_a_type3_layer_with_broken_sizes_is_read_by_ocr():
    """A real layer set at 0.12 pt (large_prompt_hint3.pdf) lost letters ("Do you a  ept redit ards"); Tesseract
    reads the page again, letters and all."""
    path = shared_data("pdfs", "olmocr-gnarly", "large_prompt_hint3.pdf")
    require_ocr()
    with pymupdf.open(str(path)) as real:
        layer = compose(read_page(real[1]))[0]
        res = PageExtractor(PdfOptions()).pages(real, [1])[0]
    assert "redit ards" in layer and "credit cards" not in layer
    assert res.method == "tesseract" and res.reason.startswith("bad_sizes") and "credit cards" in res.text


def test_a_page_scanned_on_its_side_is_read_upright():
    """A scan whose text runs up the page (a landscape table or figure on a portrait page) is read badly as it
    stands; Tesseract's OSD says how the text is turned and the page is read again turned back (OSD gives the
    text's orientation: turning back is the other way round; text running down the page Tesseract reads unaided)."""
    require_ocr(("eng", "osd"))
    from ocr import tesseract

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    text = "The committee met on the first of the month to review the budget for the coming year."
    for i in range(12):
        page.insert_text((100 + 22 * i, 700), text, fontsize=12, rotate=90)
    read = tesseract.ocr_page(page, 200, ("eng",), None, 40_000_000, other_languages=False)
    assert read.confidence > 0.85 and read.text.startswith("The committee met on the first of the month"), read.text


@pytest.mark.parametrize("rel, pack, expected", [
    pytest.param("diverse/pdfjs/issue7229.pdf", "rus", "Диагностическая карта",  # Cyrillic, by Tesseract's OSD
                 marks=pytest.mark.slow),  # 20 s: a dense form read three times (make test-slow, CI)
    pytest.param("diverse/kreuzberg/image_only_german_pdf.pdf", "deu", "Staatsministerium für",  # German, by its
                 marks=pytest.mark.slow),  # function words; 7 s. make test keeps test_latin_language_by_function_words
])
def test_a_scan_in_another_language_is_read_with_its_pack(rel, pack, expected):
    """eng's model reads a Russian scan as junk and a German one without its umlauts and sharp s; the page is read
    again with the script's or language's pack (installed in CI), and says so; with ``other_languages`` off it is
    not."""
    require_ocr((pack,))
    path = shared_data("pdfs", *rel.split("/"))
    with pymupdf.open(str(path)) as doc:
        res = PageExtractor(PdfOptions()).page(doc, 0)
        plain = PageExtractor(PdfOptions(other_languages=False)).page(doc, 0)
    assert res.method == "tesseract" and f"read as {pack}+eng" in res.reason and expected in res.text
    assert expected not in plain.text and "read as" not in plain.reason


def test_latin_language_by_function_words():
    from ocr.tesseract import Word, latin_language

    def words(text):
        return [Word(0, 0, 1, 1, t, 0, 0, 10) for t in text.split()]

    german = "Wir danken für die Gelegenheit und sind der Meinung, dass die Änderung nicht mit dem Gesetz zu " \
             "vereinbaren ist, auf die eine Antwort von den Behörden bei uns aussteht."
    assert latin_language(words(german)) == "deu"
    english = "The committee thanks you for the opportunity and is of the view that this change is not in line " \
              "with the law, and that the answer of the agency to us is still to come, as it was in the past."
    assert latin_language(words(english)) is None
    assert latin_language(words("der die das")) is None  # too few to tell


def test_missing_tesseract_names_the_install_command(monkeypatch):
    from ocr import tesseract

    monkeypatch.setattr(tesseract, "TESSDATA_DIRS", ())
    monkeypatch.delenv("TESSDATA_PREFIX", raising=False)
    with pytest.raises(tesseract.OcrUnavailable, match="apt-get install tesseract-ocr tesseract-ocr-eng"):
        tesseract.find_tessdata(("eng",))
    with pytest.raises(tesseract.OcrUnavailable, match="pip install tesserocr"):
        tesseract.find_tessdata(("eng",), "/nonexistent")


# --- VLM client against a stub server on 127.0.0.1 -----------------------------------------------------

class _Stub(BaseHTTPRequestHandler):
    script: ClassVar[list] = []  # (status, reply or None) per request, last one repeats
    seen: ClassVar[list] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((self.path, body))
        status, content = self.script[min(len(self.seen) - 1, len(self.script) - 1)]
        if status != 200:
            self.send_response(status)
            self.end_headers()
            return
        finish = "length" if content == "TRUNCATED" else "stop"
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": content},
                                           "finish_reason": finish}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub():
    server = HTTPServer(("127.0.0.1", 0), _Stub)
    _Stub.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()
    server.server_close()


def _one_page_pdf() -> pymupdf.Document:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Hello from a stub test page.", fontsize=12)
    return doc


def test_vlm_reads_olmocr_front_matter(stub):
    _, url = stub
    _Stub.script = [(200, "---\nprimary_language: en\nis_rotation_valid: True\nrotation_correction: 0\n---\n"
                          "Hello, page.")]
    client = VlmClient(url, "olmocr-test", timeout=5, retries=0)
    assert client.ocr_page(_one_page_pdf()[0]) == "Hello, page."
    path, body = _Stub.seen[0]
    assert path == "/v1/chat/completions" and body["model"] == "olmocr-test"
    image = body["messages"][0]["content"][1]["image_url"]["url"]
    assert image.startswith("data:image/png;base64,")


def test_vlm_retries_then_succeeds(stub):
    _, url = stub
    _Stub.script = [(503, None), (200, "TRUNCATED"), (200, '{"primary_language": "en", "natural_text": "Third time."}')]
    client = VlmClient(url, "m", timeout=5, retries=3, backoff=0.01)
    assert client.ocr_png(b"png")[0] == "Third time."
    assert len(_Stub.seen) == 3


def test_vlm_gives_up_and_extractor_falls_back_to_tesseract(stub):
    _, url = stub
    _Stub.script = [(500, None)]
    with pytest.raises(VlmError, match="HTTP 500"):
        VlmClient(url, "m", timeout=5, retries=1, backoff=0.01).ocr_png(b"png")
    _Stub.script = [(400, None)]
    _Stub.seen = []
    with pytest.raises(VlmError, match="HTTP 400"):
        VlmClient(url, "m", timeout=5, retries=3, backoff=0.01).ocr_png(b"png")
    assert len(_Stub.seen) == 1  # a 4xx is not retried
    require_ocr()
    _Stub.script = [(500, None)]
    ex = PageExtractor(PdfOptions(engine="vlm", vlm_url=url, vlm_model="m", vlm_retries=0))
    res = ex.page(_one_page_pdf(), 0)
    assert res.method == "tesseract" and "vlm failed" in res.reason and "Hello" in res.text


def test_vlm_timeout_is_an_error(stub):
    server, url = stub

    class Slow(_Stub):
        def do_POST(self):
            threading.Event().wait(1.0)
            super().do_POST()

    server.RequestHandlerClass = Slow
    _Stub.script = [(200, "late")]
    with pytest.raises(VlmError, match="[Tt]imeout|timed out"):
        VlmClient(url, "m", timeout=0.2, retries=0).ocr_png(b"png")


def test_vlm_helpers():
    assert chat_url("http://h:8000") == "http://h:8000/v1/chat/completions"
    assert chat_url("http://h:8000/v1/") == "http://h:8000/v1/chat/completions"
    assert chat_url("http://h/x/chat/completions") == "http://h/x/chat/completions"
    assert parse_reply("plain text") == ("plain text", {})
    assert parse_reply("---\nis_table: False\n---\nbody")[1] == {"is_table": "False"}
