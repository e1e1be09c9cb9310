"""PdfReader (ocr/reader.py), pdf_quality_v1, the demo PDFs and `winnow pdf` (ocr/cli.py).

Bad inputs (encrypted, corrupt, zero-page, enormous) are counted as skipped_<why>, never crash, and
``input = documents + skipped`` holds.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest
from datatrove.data import Document

from ocr.extract import PdfOptions
from ocr.quality import PdfQualityFilter
from ocr.reader import PdfReader
from pipeline.errors import ConfigError
from tests.conftest import ROOT, shared_data
from tests.test_ocr import require_ocr


def _counts(reader) -> dict:
    return {k: v.total for k, v in reader.stats.stats.items()}


def _read(files, **kw):
    reader = PdfReader(list(map(str, files)), source="test", options=PdfOptions(**kw))
    docs = list(reader.run())
    counts = _counts(reader)
    skipped = sum(v for k, v in counts.items() if k.startswith("skipped_"))
    assert counts.get("input", 0) == len(docs) + skipped  # every file accounted for
    return docs, counts


def _pdf(path, pages=1, text="Some words on a page.", **save):
    doc = pymupdf.open()
    for _ in range(pages):
        doc.new_page().insert_text((72, 72), text)
    doc.save(str(path), **save)
    return path


def _zero_page_pdf() -> bytes:
    """A well-formed PDF (valid xref table) whose page tree is empty: PyMuPDF will not save one."""
    objs = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[]/Count 0>>"]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


def test_born_digital_document_and_metadata():
    path = shared_data("pdfs", "debian", "usrguide.pdf")
    docs, counts = _read([path], engine="text")
    (doc,) = docs
    md = doc.metadata
    assert doc.id == str(path) and md["pdf_path"] == str(path)
    assert md["page_count"] == 21 and md["ocr_pages"] == 0 and md["failed_pages"] == 0
    assert len(md["page_methods"]) == 21
    assert {p["method"] for p in md["page_methods"]} <= {"text", "blank"}
    for p in md["page_methods"]:
        text_keys = {"route", "removed", "tables"} if p["method"] == "text" else set()
        assert set(p) == {"page", "method", "confidence", "reason"} | text_keys
    assert md["pdf_metadata"].get("title", "").startswith("LaTeX")  # from the PDF info dict
    assert md["source"] == "test"
    assert "LATEX for authors" in doc.text[:200]
    assert counts["pages_text"] >= 20


def test_garbage_layer_is_ocrd():
    require_ocr()
    docs, _ = _read([shared_data("pdfs", "olmocr-gnarly", "olmo-page-1.pdf")])
    (doc,) = docs
    (page,) = doc.metadata["page_methods"]
    assert page["method"] == "tesseract" and page["reason"] == "garbage"
    assert doc.metadata["ocr_pages"] == 1
    assert "Language Models" in doc.text and "Lncdkr" not in doc.text  # "Models" shifted by one letter


def test_engine_text_rejects_garbage_without_ocr():
    docs, counts = _read([shared_data("pdfs", "olmocr-gnarly", "olmo-page-1.pdf")], engine="text")
    assert docs[0].metadata["page_methods"][0]["method"] == "rejected" and docs[0].text == ""
    assert counts["pages_rejected"] == 1


def test_bad_inputs_are_counted_not_fatal(tmp_path):
    good = _pdf(tmp_path / "good.pdf", text="A perfectly ordinary page of text for the reader to extract.")
    locked = _pdf(tmp_path / "locked.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="user")
    open_locked = _pdf(tmp_path / "owner_only.pdf", text="Readable without a password.",
                       encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="")
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    not_pdf = tmp_path / "notes.pdf"
    not_pdf.write_text("just some text, not a PDF")
    empty_file = tmp_path / "empty.pdf"
    empty_file.write_bytes(b"")
    zero = tmp_path / "zero.pdf"
    zero.write_bytes(_zero_page_pdf())
    big = _pdf(tmp_path / "big.pdf", pages=3)
    html = tmp_path / "blog.pdf"  # a web page saved under a PDF's name: PyMuPDF would lay it out as pages
    html.write_text("<!DOCTYPE html><html><head><title>Blog</title></head><body>"
                    + "<p>A paragraph of a blog post, long enough to fill pages.</p>" * 400 + "</body></html>")
    files = [good, locked, open_locked, corrupt, not_pdf, empty_file, zero, big, html]
    docs, counts = _read(files, engine="text", max_pages=2)
    assert sorted(os.path.basename(d.id) for d in docs) == ["good.pdf", "owner_only.pdf"]
    assert counts["skipped_encrypted"] == 1
    assert counts["skipped_corrupt"] == 1  # a PDF header, then random bytes
    assert counts["skipped_not_pdf"] == 2  # plain text and HTML named .pdf
    assert counts["skipped_empty_file"] == 1  # zero bytes (any reader counts these)
    assert counts["skipped_empty"] == 1
    assert counts["skipped_too_large"] == 1
    _, counts = _read([good], engine="text", max_file_mb=0.0001)
    assert counts["skipped_too_large"] == 1


def test_truncated_pdf_does_not_crash(tmp_path):
    src = shared_data("pdfs", "debian", "usrguide.pdf").read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(src[: len(src) // 3])
    docs, counts = _read([cut], engine="text")  # PyMuPDF repairs what it can; otherwise skipped_corrupt
    assert len(docs) + counts.get("skipped_corrupt", 0) == 1


def _pdf_config(pdf):
    return {"name": "p", "input": {"format": "pdf", "paths": "x/*.pdf", "pdf": pdf}, "stages": [{"pdf_quality_v1": {}}]}


@pytest.mark.parametrize("pdf, message", [
    ({"engin": "auto"}, r"input.pdf: unknown option 'engin'; valid options: engine, dpi"),
    ({"engine": "magic"}, r"input.pdf.engine: 'magic' is not one of auto, text"),
    ({"dpi": "300"}, r"input.pdf.dpi: expected int, got '300' \(str\)"),
    ({"dpi": 20}, r"input.pdf.dpi: 20 is outside 50..1200"),
    ({"languages": "eng"}, r"input.pdf.languages: expected tuple\[str, ...\], got 'eng'"),
    ({"max_pages": 0}, r"input.pdf.max_pages: expected a positive number, got 0"),
    ({"engine": "vlm"}, r"input.pdf.engine: 'vlm' needs vlm_url and vlm_model"),
    ([1], r"input.pdf: expected a mapping, got list"),
])
def test_pdf_options_are_typed_and_checked_when_the_config_is_parsed(pdf, message):
    from pipeline.config import parse_config

    with pytest.raises(ConfigError, match=message):
        parse_config(_pdf_config(pdf))


def test_pdf_options_parsed_into_a_frozen_object_the_reader_uses():
    from pipeline.config import parse_config

    cfg = parse_config(_pdf_config({"engine": "text", "dpi": 200, "languages": ["eng", "deu"]}))
    assert cfg.input.options == PdfOptions(engine="text", dpi=200, languages=("eng", "deu"))
    with pytest.raises(AttributeError):
        cfg.input.options.dpi = 100  # frozen
    reader = PdfReader(["x.pdf"], options=cfg.input.options)
    assert reader.options.dpi == 200 and reader.name == "read_pdf"


def test_missing_tesseract_fails_at_build_time(monkeypatch):
    from ocr import tesseract

    monkeypatch.setattr(tesseract, "TESSDATA_DIRS", ())
    monkeypatch.delenv("TESSDATA_PREFIX", raising=False)
    with pytest.raises(tesseract.OcrUnavailable, match="apt-get install tesseract-ocr"):
        PdfReader(["x.pdf"], options=PdfOptions(engine="auto"))
    PdfReader(["x.pdf"], options=PdfOptions(engine="text"))  # no OCR asked for: fine


def _doc(pages, failed, text="some text"):
    return Document(text=text, id="x.pdf", metadata={"page_count": pages, "failed_pages": failed})


def test_pdf_quality_keep_and_drop():
    f = PdfQualityFilter(max_failed_fraction=0.1)
    assert f.filter(_doc(20, 2)) is True
    assert f.filter(_doc(20, 3)) == (False, "pdf_quality_ocr_failed")
    assert f.filter(_doc(3, 0, text="  ")) == (False, "pdf_quality_no_text")
    assert f.filter(Document(text="web page", id="w", metadata={})) is True  # not a PDF: untouched
    with pytest.raises(ConfigError):
        PdfQualityFilter(max_failed_fraction=2.0)


def test_pdf_quality_is_registered():
    from pipeline.registry import get_stage, validate_params

    assert get_stage("pdf_quality_v1") is PdfQualityFilter
    with pytest.raises(ConfigError, match="valid parameters"):
        validate_params("pdf_quality_v1", {"max_failed": 0.1})


def test_demo_pdfs_triage_and_ocr(tmp_path):
    from pipeline.demo.pdfs import write_demo_pdfs

    paths = write_demo_pdfs(tmp_path)
    assert [p.rsplit("/", 1)[1] for p in paths] == ["born_digital.pdf", "scanned.pdf", "broken_layer.pdf"]
    again = write_demo_pdfs(tmp_path / "again")
    assert [Path(p).read_bytes() for p in paths] == [Path(p).read_bytes() for p in again]
    require_ocr()
    docs, _ = _read(paths)
    by_name = {os.path.basename(d.id): d for d in docs}
    methods = {n: [(p["method"], p["reason"]) for p in d.metadata["page_methods"]] for n, d in by_name.items()}
    assert methods["born_digital.pdf"] == [("text", "usable")] * 2
    assert methods["scanned.pdf"] == [("tesseract", "no_text")] * 2
    assert methods["broken_layer.pdf"] == [("tesseract", "garbage")] * 2
    assert "library" in by_name["broken_layer.pdf"].text and "mjcsbsz" not in by_name["broken_layer.pdf"].text
    assert "beekeeper" in by_name["scanned.pdf"].text
    assert by_name["scanned.pdf"].metadata["ocr_pages"] == 2


def test_winnow_pdf_command(tmp_path):
    from ocr.cli import pdf_command
    from pipeline.demo.pdfs import write_demo_pdfs

    born, _, broken = write_demo_pdfs(tmp_path)
    out = io.StringIO()
    assert pdf_command(born, pages="1", engine="text", dpi=300, vlm_url=None, vlm_model=None, out=out) == 0
    text = out.getvalue()
    assert "Rivers and the Towns" in text and "text layer" not in text
    assert "   1  text" in text and "pages by method: text 1" in text
    out = io.StringIO()  # every page, with where each is in the document's text (page_spans)
    assert pdf_command(born, pages=None, engine="text", dpi=300, vlm_url=None, vlm_model=None, out=out) == 0
    (got,), _ = _read([born], engine="text")
    for page, (a, b) in enumerate(got.metadata["page_spans"], 1):
        assert re.search(rf"^ +{page}  text .* {a}-{b}  ", out.getvalue(), re.M), (page, a, b, out.getvalue()[-600:])
    out = io.StringIO()
    assert pdf_command(broken, pages=None, engine="text", dpi=300, vlm_url=None, vlm_model=None, out=out) == 0
    assert "rejected" in out.getvalue() and "garbage" in out.getvalue()
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    assert pdf_command(str(bad), None, "text", 300, None, None, out=io.StringIO()) == 2


def test_winnow_pdf_refuses_a_web_page_named_pdf(tmp_path, capsys):
    from ocr.cli import pdf_command

    page = tmp_path / "blog.pdf"
    page.write_text("<html><body>" + "<p>A paragraph of a blog post.</p>" * 300 + "</body></html>")
    out = io.StringIO()
    assert pdf_command(str(page), None, "text", 300, None, None, out=out) == 2
    assert out.getvalue() == ""
    assert "is not a PDF: no %PDF- header" in capsys.readouterr().err


def test_pdf_path_through_the_web_stages(tmp_path):
    """Reader -> pdf_quality -> the web path's heuristic filters, as configs/pdf.yaml chains them."""
    from pipeline.demo.pdfs import write_demo_pdfs
    from pipeline.registry import get_stage

    paths = write_demo_pdfs(tmp_path)
    reader = PdfReader(paths[:1], source="pdf", options=PdfOptions(engine="text"))
    docs = list(reader.run())
    for name in ("pdf_quality_v1", "gopher_repetition_v1", "gopher_quality_v1", "fineweb_quality_v1"):
        docs = list(get_stage(name)().run(iter(docs)))
    assert len(docs) == 1 and docs[0].metadata["page_count"] == 2
    from pipeline.outputs import document_row

    row = document_row(docs[0])
    assert row["pdf_path"] == paths[0] and row["page_count"] == 2 and row["ocr_pages"] == 0
    assert json.loads(row["metadata"])["page_methods"][0]["method"] == "text"


def test_pdf_config_runs_end_to_end(tmp_path):
    """`winnow run configs/pdf.yaml` on the demo PDFs."""
    require_ocr()
    from pipeline.config import load_config
    from pipeline.demo.pdfs import write_demo_pdfs
    from pipeline.run import run

    write_demo_pdfs(tmp_path / "pdfs")
    cfg = load_config("configs/pdf.yaml").with_overrides(input_glob=str(tmp_path / "pdfs" / "*.pdf"),
                                                         output=str(tmp_path / "out"), tasks=1, workers=1)
    result = run(cfg)
    import pyarrow.parquet as pq

    rows = pq.read_table(str(tmp_path / "out" / "documents")).to_pylist()
    assert result.stats["input"] == 3
    assert sorted(r["page_count"] for r in rows) == [2] * len(rows)
    assert sum(r["ocr_pages"] for r in rows) == 4 or result.stats["removed"] > 0


def test_join_pages_gives_each_page_its_span():
    from ocr.reader import join_pages

    text, spans = join_pages(["first page", "", "third", ""])
    assert text == "first page\n\nthird"
    assert spans == [[0, 10], [10, 10], [12, 17], [17, 17]]
    assert [text[a:b] for a, b in spans] == ["first page", "", "third", ""]
    assert join_pages([]) == ("", [])


def test_page_spans_cut_the_document_into_its_pages(tmp_path):
    """Every PDF document says where each page's text is, in the reader's metadata and in the run's parquet
    (a column, and the metadata JSON, where olmOCR-bench's scoring reads it)."""
    import pyarrow.parquet as pq

    from pipeline.cli import main

    doc = pymupdf.open()
    words = ["alpha", "", "gamma delta"]  # page 2 is blank
    for w in words:
        page = doc.new_page()
        if w:
            page.insert_text((72, 300), f"The {w} page has a sentence of its own on it.")
    path = tmp_path / "in" / "three.pdf"
    path.parent.mkdir()
    doc.save(str(path))
    (got,), _ = _read([path], engine="text")
    spans = got.metadata["page_spans"]
    pages = [got.text[a:b] for a, b in spans]
    assert pages == [f"The {w} page has a sentence of its own on it." if w else "" for w in words]

    cfg = tmp_path / "pdf.yaml"
    cfg.write_text(f"name: spans\ninput: {{format: pdf, paths: '{path}', pdf: {{engine: text}}}}\n"
                   f"output: {tmp_path / 'out'}\nstages: [{{pdf_quality_v1: {{}}}}]\n"
                   "executor: {kind: local, tasks: 1, workers: 1}\n")
    assert main(["run", str(cfg)]) == 0
    (f,) = (tmp_path / "out" / "documents").glob("*.parquet")
    row = pq.read_table(f).to_pylist()[0]
    assert [row["text"][a:b] for a, b in row["page_spans"]] == pages
    assert json.loads(row["metadata"])["page_spans"] == row["page_spans"]


def test_ocr_that_reads_nothing_keeps_the_pages_own_text_layer(tmp_path):
    """A page that is mostly a picture, with a few words in its text layer, is sent to OCR; when OCR reads nothing
    there (a faded scan under its hidden OCR layer, a logo's lettering), the layer's words are the page's text, not
    a blank page."""
    require_ocr()
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 200, 260), False)
    pix.set_rect(pix.irect, (205, 205, 205))  # a flat grey picture: nothing to read
    page.insert_image(pymupdf.Rect(20, 20, 592, 740), pixmap=pix)
    page.insert_text((40, 770), "Figure one: the harbour at dawn", fontsize=9, render_mode=3)  # invisible
    path = tmp_path / "photo.pdf"
    doc.save(str(path))
    (got,), counts = _read([path])
    (method,) = got.metadata["page_methods"]
    assert "harbour at dawn" in got.text
    assert method["method"] == "text" and "text layer kept" in method["reason"], method
    assert counts.get("pages_text") == 1


def test_keep_better_prefers_the_reading_with_more_letters():
    from ocr.extract import PageResult, keep_better

    layer = PageResult(1, "text", 0.9, "mostly_image", "A caption of six words here")
    ocr = PageResult(1, "tesseract", 0.8, "mostly_image", "A caption of six words here, and the body of the scan")
    assert keep_better(ocr, layer) is ocr
    assert keep_better(PageResult(1, "tesseract", 0.5, "mostly_image", "l1 |"), layer) is layer
    assert keep_better(PageResult(1, "failed", 0.1, "mostly_image", ""), layer) is layer
    assert keep_better(ocr, None) is ocr


@pytest.mark.slow
def test_every_file_of_the_diverse_set_is_accounted_for(tmp_path):
    """`winnow run configs/pdf.yaml` over the 102 diverse real PDFs (encrypted, broken, huge pages, many scripts):
    every file kept, removed with a reason or skipped with one; the encrypted ones as "encrypted"; no task fails;
    memory stays bounded with the 18,000 x 36,000 pt page."""
    require_ocr()
    folder = shared_data("pdfs", "diverse")
    manifest = [json.loads(line) for line in (folder / "MANIFEST.jsonl").read_text().splitlines() if line.strip()]
    out = tmp_path / "out"
    # its own process: a job's peak RSS is its process's, and this one's would carry the tests run before it
    res = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(ROOT / "configs" / "pdf.yaml"), "--input",
                          str(folder / "**" / "*.pdf"), "--output", str(out), "--tasks", "1", "--workers", "1"],
                         capture_output=True, text=True)
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr[-3000:]
    stats = json.loads((out / "stats.json").read_text())
    assert stats["input"] == len(manifest) and stats["conserved"], stats
    assert stats["input"] == stats["kept"] + stats["removed"] + stats["skipped"]
    needs_password = 0  # encrypted with a user password (an owner password alone does not stop reading)
    for m in manifest:
        try:
            with pymupdf.open(str(folder / m["file"])) as doc:
                needs_password += bool(doc.needs_pass)
        except (RuntimeError, ValueError):
            pass  # the damaged file: skipped as corrupt
    assert stats["skipped_by_reason"].get("encrypted") == needs_password, stats["skipped_by_reason"]
    assert all(stats["removed_by_reason"]), stats["removed_by_reason"]
    assert max(job["peak_rss_bytes"] for job in stats["jobs"].values()) < 2 * 2**30


def test_text_is_read_with_mupdfs_own_character_boxes():
    """Whether PyMuPDF corrects fonts' character boxes is process-wide state, which ``pymupdf4llm`` sets on import;
    the PDF path sets it itself, so a process reads PDFs alike whatever else is installed or imported."""
    code = "import ocr.extract, pymupdf; print(pymupdf.TOOLS.unset_quad_corrections())"
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == "True", (res.stdout, res.stderr[-2000:])


def test_reading_pdfs_leaves_pymupdfs_layout_model_unloaded():
    """PyMuPDF 2 loads an ONNX layout model when first imported (0.9 CPU-s, 38 MB a process), and ``pymupdf4llm``
    where that is installed (0.12 s); Winnow calls neither, so a process that imports the PDF path first has neither,
    and WINNOW_PYMUPDF_LAYOUT=1 keeps both."""
    code = ("import importlib.util; has = importlib.util.find_spec('pymupdf4llm') is not None; "
            "import ocr.extract, pymupdf; doc = pymupdf.open(); doc.new_page().insert_text((72, 72), 'hi'); "
            "print(pymupdf._get_layout is None, pymupdf.pymupdf4llm is None, has, doc[0].get_text().strip())")
    for keep in (False, True):
        res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "WINNOW_PYMUPDF_LAYOUT": "1" if keep else ""})
        assert res.returncode == 0, res.stderr[-2000:]
        no_layout, no_llm, has, text = res.stdout.split()
        assert (no_layout, no_llm, text) == (str(not keep), str(not (keep and has == "True")), "hi"), res.stdout
