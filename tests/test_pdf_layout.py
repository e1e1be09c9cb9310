"""Text layers read like a person (ocr.layout, ocr.tables), the olmOCR-bench-format scorer (ocr.checks) and the PDF
recipe (configs/pdf.yaml), on real shared PDFs where the behaviour is about real documents."""

from __future__ import annotations

import json

import pymupdf
import pytest
import yaml

from filters.langid import body_text
from ocr.checks import Check, load_checks, markdown_tables, match_ends, normalise, score
from ocr.extract import PageExtractor, PdfOptions
from ocr.layout import _dict_lines, _ligatures_in_order, compose, read_page
from ocr.tables import _heads_over_their_columns
from tests.conftest import ROOT, shared_data

CHECKS = ROOT / "tests" / "bench" / "pdf_checks.jsonl"


def _pages(rel: str, layout: str = "auto"):
    with pymupdf.open(shared_data("pdfs", *rel.split("/"))) as doc:
        return PageExtractor(PdfOptions(engine="text", layout=layout)).pages(doc)


# --- the scorer ----------------------------------------------------------------------------------------------


def _check(**kw) -> Check:
    return Check.from_json({"pdf": "x.pdf", "page": 1, "id": "c", **kw}, "test")


def test_present_absent_with_edit_budget():
    text = "The quick brown fox jumps over the lazy dog."
    assert _check(type="present", text="quick brown fox").run(text)[0]
    assert not _check(type="present", text="quick brown cat").run(text)[0]
    assert _check(type="present", text="quick brown cat", max_diffs=3).run(text)[0]
    assert not _check(type="absent", text="lazy dog").run(text)[0]
    assert _check(type="absent", text="lazy cat").run(text)[0]
    assert _check(type="present", text="QUICK brown", case_sensitive=False).run(text)[0]
    assert _check(type="present", text="\u201cquoted\u201d \u2013 dash").run('say "quoted" - dash')[0]
    assert _check(type="present", text="bold word").run("a **bold** word")[0]


def test_semi_global_distance_is_exact():
    assert match_ends("abcdef", "xxabdefxx", 1)  # one deletion
    assert not match_ends("abcdef", "xxabxxefxx", 1)
    assert match_ends("abcdef", "xxabxxefxx", 2)
    assert match_ends("hello", "say hello", 0) == [9]


def test_order_check():
    c = _check(type="order", before="first part", after="second part")
    assert c.run("first part, then second part")[0]
    ok, why = c.run("second part, then first part")
    assert not ok and "comes before" in why
    assert not c.run("only the first part")[0]


def test_table_check_reads_markdown_neighbours():
    md = "intro\n\n| Name | Limit |\n|---|---|\n| Lead | 1000 ppm |\n| Cadmium | 100 ppm |\n\nafter"
    assert markdown_tables(md) == [[["Name", "Limit"], ["Lead", "1000 ppm"], ["Cadmium", "100 ppm"]]]
    assert _check(type="table", cell="100 ppm", left="Cadmium", up="1000 ppm", top_heading="Limit").run(md)[0]
    assert not _check(type="table", cell="100 ppm", left="Lead").run(md)[0]
    assert not _check(type="table", cell="100 ppm", left="Cadmium").run("Cadmium 100 ppm")[0]  # no table at all


def test_bad_check_lines_name_file_line_and_field(tmp_path):
    f = tmp_path / "checks.jsonl"
    f.write_text('{"pdf": "a.pdf", "page": 1, "id": "a", "type": "present", "text": "x"}\n'
                 '{"pdf": "a.pdf", "page": 1, "id": "b", "type": "order", "before": "x"}\n')
    with pytest.raises(ValueError, match=r"checks.jsonl:2: a order check needs a non-empty 'after'"):
        load_checks(f)
    f.write_text('{"pdf": "a.pdf", "page": 1, "id": "a", "type": "present", "text": "x"}\n' * 2)
    with pytest.raises(ValueError, match="duplicate id"):
        load_checks(f)


def test_score_counts_a_missing_page_as_failed():
    checks = [_check(type="present", text="hello"), Check.from_json(
        {"pdf": "y.pdf", "page": 2, "id": "d", "type": "present", "text": "hello"}, "t")]
    res = score(checks, {("x.pdf", 1): "hello world"})
    assert res["overall"] == 0.5 and res["by_type"]["present"] == (0.5, 2)


def test_normalise_matches_olmocr_bench():
    assert normalise("a<br/>b  \n c") == "a b c"
    assert normalise("__under__ and *it*") == "under and it"


# --- the layout on real pages --------------------------------------------------------------------------------


def test_two_column_page_reads_column_by_column():
    """pdftotext_two_column_issue.pdf page 2: a two-column journal page whose line order interleaves columns."""
    text = _pages("olmocr-gnarly/pdftotext_two_column_issue.pdf")[1].text
    flat = normalise(text)
    for before, after in [("Careful counselling of these young individuals", "Current expert consensus recommends"),
                          ("Pubertal development in TS", "TS is associated with hypergonadotropic")]:
        assert before in flat and after in flat
        assert flat.index(before) < flat.index(after)
    # the line under a paragraph's line in the same column follows it directly (no line of the other column between)
    assert "have the classical features of TS, and a low threshold for investigations" in flat


def test_running_heads_footers_and_page_numbers_removed_on_a_manual():
    """R-intro.pdf: every page has a running head "Chapter N: title" with the page number; removed everywhere,
    while the chapter's own title on its first page and the body stay."""
    pages = _pages("debian/R-intro.pdf")
    page11 = pages[10]
    assert page11.removed == {"header": 2}
    assert "Chapter 1: Introduction and preliminaries" not in page11.text
    assert not any(line.strip() == "5" for line in page11.text.splitlines())
    assert "R commands, case sensitivity, etc." in page11.text
    with_heads = sum(1 for p in pages if p.removed.get("header") or p.removed.get("page_number"))
    assert with_heads >= 0.9 * sum(1 for p in pages[6:])  # the front matter aside, nearly every page had one
    plain = _pages("debian/R-intro.pdf", layout="plain")[10].text
    assert "Chapter 1: Introduction and preliminaries" in plain  # what the plain layer gives, for contrast


def test_one_page_paper_journal_header_and_margin_stamp_removed():
    page = _pages("olmocr-gnarly/pdftotext_two_column_issue.pdf")[0]
    assert "Downloaded from https://academic.oup.com" not in page.text  # written up the margin
    assert "British Medical Bulletin, 2015" not in page.text
    assert page.text.lstrip().startswith("Turner syndrome")
    assert page.removed.get("margin") == 1


def test_repository_stamps_removed_and_tex_accents_combined():
    """load_v_error.pdf page 1: a repository's cover lines at the very top and bottom (its URL, "Erschienen in")
    are stamps; the TeX layer writes "Ste\u00b4phane", which reads as "St\u00e9phane"."""
    text = _pages("olmocr-gnarly/load_v_error.pdf")[0].text
    assert "Konstanzer Online-Publikations-System" not in text and "Erschienen in" not in text
    assert "St\u00e9phane Douady" in text and "Universit\u00e9 Paris-Diderot" in text
    assert "Coupled ultradian growth and curvature" in text


def test_table_as_markdown():
    """lots_of_sci_tables.pdf page 2: a substance / limit table becomes a markdown table with its rows intact."""
    page = _pages("olmocr-gnarly/lots_of_sci_tables.pdf")[1]
    assert page.route == "tables" and page.tables >= 3
    tables = markdown_tables(page.text)
    rows = [r for t in tables for r in t]
    assert ["Cadmium (Cd)", "100 ppm (0.01 weight %)"] in rows
    assert ["Mercury (Hg)", "1000 ppm (0.10 weight %)"] in rows
    # two-column prose is not a table
    prose = _pages("olmocr-gnarly/tobacco_missed_tokens_pg1.pdf")[0]
    assert prose.tables == 0 and "|" not in prose.text


def test_cells_close_on_one_line_are_split_by_word_gaps():
    page = _pages("olmocr-gnarly/lots_of_chem_tables.pdf")[2]
    assert ["S7", "[C2mim][OAc]", "-", "80", "34.1", "2.42", "Fig. S5"] in [r for t in markdown_tables(page.text)
                                                                           for r in t]


def test_hyphenation_and_drop_capital_joined():
    text = _pages("olmocr-gnarly/pdftotext_two_column_issue.pdf")[1].text
    assert "dysmorphic features" in text and "dys- morphic" not in text
    tobacco = _pages("olmocr-gnarly/tobacco_missed_tokens_pg1.pdf")[0].text
    assert "In May 1998, the tobacco industry" in tobacco


def test_code_lines_keep_their_breaks():
    text = _pages("debian/R-intro.pdf")[40].text  # page 41: data(...) examples between paragraphs
    assert '\ndata(package="rpart")\ndata(Puromycin, package="datasets")\n' in text


@pytest.mark.slow  # an evaluation over the shared PDFs: `make test-slow`
def test_layout_scores_above_plain_text_on_the_shared_checks():
    """The bench's checks (tests/bench/pdf_checks.jsonl) as a regression guard: Winnow's layout stays well above the
    plain text layer and above the issue's bar."""
    shared_data("pdfs")
    checks = load_checks(CHECKS)
    pages = sorted({(c.pdf, c.page) for c in checks})
    res = {}
    for layout in ("auto", "plain"):
        texts = {}
        for pdf in sorted({p for p, _ in pages}):
            got = _pages(pdf, layout)
            texts.update({(f, pg): got[pg - 1].text for f, pg in pages if f == pdf})
        res[layout] = score(checks, texts)
    assert res["auto"]["overall"] >= 0.75, res["auto"]["failures"][:10]
    assert res["auto"]["overall"] >= res["plain"]["overall"] + 0.2
    assert res["auto"]["by_type"]["absent"][0] >= 0.75


# --- the recipe ---------------------------------------------------------------------------------------------


def test_body_text_leaves_out_tables_and_formulas():
    text = "| a | b |\n|---|---|\n| 1 | 2 |\nx = 3.2 + 4 * y^2 (12)\nThis is a sentence of running prose, in English.\n"
    assert body_text(text) == "This is a sentence of running prose, in English."
    assert body_text("| only | a table |") == "| only | a table |"  # nothing else: the whole text


def test_pdf_recipe_keeps_a_paper_and_a_manual_and_drops_blank_and_junk(tmp_path):
    from pipeline.config import load_config
    from pipeline.run import run

    files = ["olmocr-gnarly/pdftotext_two_column_issue.pdf", "olmocr-gnarly/lots_of_sci_tables.pdf",
             "debian/usrguide.pdf", "olmocr-gnarly/blanktext.pdf", "olmocr-gnarly/ambiguous.pdf"]
    for f in files:
        (tmp_path / f.replace("/", "_")).symlink_to(shared_data("pdfs", *f.split("/")))
    raw = yaml.safe_load((ROOT / "configs" / "pdf.yaml").read_text())
    raw["input"]["pdf"]["engine"] = "text"  # the kept/dropped decisions here need no OCR
    raw["input"]["paths"] = str(tmp_path / "*.pdf")
    raw["output"] = str(tmp_path / "out")
    raw["executor"] = {"kind": "local", "tasks": 1, "workers": 1}
    cfg_path = tmp_path / "pdf.yaml"
    cfg_path.write_text(yaml.safe_dump(raw))
    run(load_config(cfg_path), quiet=True)
    import duckdb

    kept = {r[0].rsplit("/", 1)[1] for r in duckdb.sql(
        f"select id from '{tmp_path}/out/documents/*.parquet'").fetchall()}
    removed = dict(duckdb.sql(f"select id, reason from '{tmp_path}/out/removed/*.parquet'").fetchall())
    removed = {k.rsplit("/", 1)[1]: v for k, v in removed.items()}
    assert kept == {"olmocr-gnarly_pdftotext_two_column_issue.pdf", "olmocr-gnarly_lots_of_sci_tables.pdf",
                    "debian_usrguide.pdf"}, removed
    assert removed == {"olmocr-gnarly_blanktext.pdf": "pdf_quality_no_text",
                       "olmocr-gnarly_ambiguous.pdf": "pdf_quality_no_text"}
    md = json.loads(duckdb.sql(f"select metadata from '{tmp_path}/out/documents/*.parquet' "
                               "where id like '%usrguide%'").fetchall()[0][0])
    assert {p["route"] for p in md["page_methods"] if p["method"] == "text"} <= {"fast", "tables"}
    assert sum(p["removed"].get("page_number", 0) + p["removed"].get("footer", 0) for p in md["page_methods"]) > 10


def _one_page(tmp_path, rows):
    """A generated one-page PDF: ``rows`` of (y, [(x, text, size)])."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    for y, cells in rows:
        for x, text, size in cells:
            page.insert_text((x, y), text, fontsize=size)
    path = tmp_path / "page.pdf"
    doc.save(str(path))
    return path


def test_a_single_pages_folio_row_is_removed_and_a_numbered_heading_kept(tmp_path):
    """A page cut from a journal: no other page to repeat its running foot, and no white space above it. The
    outermost row that holds a page number set apart is furniture; a section number beside its heading is not."""
    body = "This sentence is a line of the body of the article and it runs on for a while longer."
    rows = [(72, [(72, "1", 14), (90, "Introduction", 14)])]
    rows += [(100 + 14 * i, [(72, body, 10)]) for i in range(45)]
    rows += [(100 + 14 * 45, [(72, "168", 11), (420, "Na'aman Hirschfeld", 11)])]
    path = _one_page(tmp_path, rows)
    with pymupdf.open(str(path)) as doc:
        (res,) = PageExtractor(PdfOptions(engine="text")).pages(doc)
    assert res.text.startswith("1 Introduction"), res.text[:80]
    assert "168" not in res.text and "Hirschfeld" not in res.text
    assert res.removed.get("footer") == 2


def test_doubled_single_quotes_and_unicode_hyphens_normalised_in_prose_and_table_cells(tmp_path):
    """TeX sets ``quotes'' as two single quotation marks: the text says what the reader sees, one double quote.
    Unicode's hyphen (U+2010, some producers' "-") reads as "-", in prose and in a table's cells (which are read
    from the page's words, not its lines)."""
    body = ("He called it \u2018\u2018the last picaresque novel\u2019\u2019 and moved on to "
            "DARPA\u2010BAA\u201015\u201058.")
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    writer = pymupdf.TextWriter(page.rect)
    font = pymupdf.Font("cjk")  # a font with the quotation marks and the hyphen (the base-14 fonts' encoding has none)
    for i in range(3):
        writer.append((72, 100 + 14 * i), body, font=font, fontsize=10)
    for i, (code, value) in enumerate([("Code", "Amount"), ("BAA\u201015", "1,200"), ("BAA\u201016", "3,400"),
                                        ("BAA\u201017", "5,600")]):
        writer.append((72, 300 + 14 * i), code, font=font, fontsize=10)
        writer.append((300, 300 + 14 * i), value, font=font, fontsize=10)
    writer.write_text(page)
    path = tmp_path / "quotes.pdf"
    doc.save(str(path))
    with pymupdf.open(str(path)) as doc:
        (res,) = PageExtractor(PdfOptions(engine="text")).pages(doc)
    assert "\u201cthe last picaresque novel\u201d" in res.text and "DARPA-BAA-15-58." in res.text
    assert "\u2018" not in res.text and "\u2019" not in res.text and "\u2010" not in res.text
    (table,) = markdown_tables(res.text)
    assert table[1] == ["BAA-15", "1,200"], res.text


def test_three_columns_of_prose_are_not_a_table():
    """The Federal Register's three ragged columns share their baselines, as a table's rows do; their lines run on
    into each other as sentences, so they are prose, not a markdown table across the columns."""
    page = _pages("diverse/pdfplumber/federal-register-2020-17221.pdf")[0]
    assert page.route == "tables"  # rows of cells on shared baselines: the table pass looked
    table_lines = [ln for ln in page.text.splitlines() if ln.startswith("|")]
    assert len(table_lines) < 15, "\n".join(table_lines)  # the three columns' 42 rows were one table
    assert "SUMMARY: The FAA proposes to supersede Airworthiness Directive (AD) 2018" in page.text


def test_ocr_pages_lose_their_page_numbers_and_running_heads():
    """A VLM's pages (and ``layout: plain`` OCR) come as paragraphs only: a first or last paragraph that is a page
    number, or a short one that opens or closes three pages alike (digits masked), is furniture; the body stays."""
    from ocr.layout import strip_ocr_furniture

    body = "The inductive step assumes the claim for n and proves it for n plus one, which completes the proof."
    texts = [f"CHAPTER 2. MATHEMATICAL INDUCTION {10 + k}\n\n{body}\n\n{10 + k}" for k in range(3)]
    texts += [None, "A single page, short.\n\nIt ends on a paragraph of its own that reads as a sentence."]
    removed = strip_ocr_furniture(texts)
    assert texts[:3] == [body] * 3
    assert removed[0] == {"header": 1, "page_number": 1}
    assert texts[3] is None and removed[3] == {}
    assert texts[4].startswith("A single page, short.") and removed[4] == {}


def test_vertical_japanese_read_from_the_plain_text_when_the_layout_output_drops_it():
    """MuPDF's dict output drops the glyphs of a vertical CJK font (azlayout's 4inch.pdf: 2,146 pages of Natsume
    Soseki) while its plain text keeps them; the page is read from there, and CJK lines join without spaces."""
    with pymupdf.open(shared_data("pdfs", "diverse", "azlayout", "4inch.pdf")) as doc:
        first, third = PageExtractor(PdfOptions(engine="text")).pages(doc, [0, 2])
    assert first.method == "text" and third.method == "text"  # was "no_text": sent to OCR, 2,146 pages of it
    assert "吾輩は猫である。名前はまだ無い。" in first.text


def test_cjk_lines_join_without_a_space():
    from ocr.layout import _join_prose

    assert _join_prose(["吾輩は猫で", "ある。", "Then English", "goes on"]) == "吾輩は猫である。 Then English goes on"


def _ruled_table(tmp_path, rows, rules, name="ruled.pdf"):
    """A generated page: text ``rows`` of (y, [(x, text)]) at 10 pt and horizontal ``rules`` at the given y, drawn
    across x 60..460."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    for y, cells in rows:
        for x, text in cells:
            page.insert_text((x, y), text, fontsize=10)
    for y in rules:
        page.draw_line((60, y), (460, y), width=0.5)
    path = tmp_path / name
    doc.save(str(path))
    with pymupdf.open(str(path)) as doc:
        (res,) = PageExtractor(PdfOptions(engine="text")).pages(doc)
    return res


def test_a_ruled_tables_wrapped_cells_are_one_cell_each(tmp_path):
    """A grid: a header cell set on two lines ("Cost on U.S." over "operators", its first line above the row's other
    cells) and body cells that wrap; the rules say which lines are one row. Without rules, the same lines are read
    as more rows than the table has (the header's first line left outside the table)."""
    rows = [(100, [(400, "Cost on U.S.")]), (108, [(70, "Action"), (170, "Labor cost"), (290, "Parts cost"),
                                                   (400, "operators")]),
            (130, [(70, "Stabilizer wiring"), (170, "79 work-hours"), (290, "Up to $3,790"), (400, "$766,865")]),
            (142, [(70, "change")]),
            (164, [(70, "Sensor test"), (170, "40 work-hours"), (290, "$0"), (400, "$248,200")]),
            (186, [(70, "Flight check"), (170, "2 work-hours"), (290, "$10"), (400, "$12,100")])]
    ruled = _ruled_table(tmp_path, rows, [88, 114, 150, 172, 194])
    assert markdown_tables(ruled.text) == [[["Action", "Labor cost", "Parts cost", "Cost on U.S. operators"],
                                            ["Stabilizer wiring change", "79 work-hours", "Up to $3,790", "$766,865"],
                                            ["Sensor test", "40 work-hours", "$0", "$248,200"],
                                            ["Flight check", "2 work-hours", "$10", "$12,100"]]], ruled.text
    bare = _ruled_table(tmp_path, rows, [], "bare.pdf")
    assert markdown_tables(bare.text) != markdown_tables(ruled.text)


def test_rows_ruled_in_groups_of_numbers_stay_rows(tmp_path):
    """Rules around groups of rows that each hold numbers (a result for "OTSL" over one for "HTML") mark groups,
    not wrapped cells: every row stays a row."""
    rows = [(100, [(70, "Layers"), (170, "Language"), (290, "TEDs"), (400, "mAP")])]
    for k, y in enumerate((124, 158, 192)):
        rows += [(y, [(70, str(6 - k)), (170, "OTSL"), (290, f"0.9{k}5"), (400, f"0.8{k}")]),
                 (y + 12, [(170, "HTML"), (290, f"0.9{k}9"), (400, f"0.7{k}")])]
    res = _ruled_table(tmp_path, rows, [88, 110, 146, 180, 214])
    (table,) = markdown_tables(res.text)
    assert len(table) == 7, res.text
    assert ["", "HTML", "0.919", "0.71"] in table


def test_rows_ruled_one_by_one_with_room_around_each_rule_are_one_table(tmp_path):
    """An invoice's items: each row between two rules across the table, the rows further apart than a table's rows
    usually are. The rules say the rows are one table; a row of cells under a rule that only closes a table (no rule
    over the table's last row) stays out of it."""
    items = [("DESCRIPTION", "RATE", "AMOUNT"), ("Room Charges", "Rs 1939 x 1 Night", "Rs 1939"),
             ("Grand Total", "", "Rs 1939"), ("Balance", "", "Rs 0")]
    rows = [(100 + 44 * k, [(x, t) for x, t in zip((70, 250, 400), item) if t]) for k, item in enumerate(items)]
    res = _ruled_table(tmp_path, rows, [78 + 44 * k for k in range(5)])
    (table,) = markdown_tables(res.text)
    assert table == [list(items[0]), ["Room Charges", "Rs 1939 x 1 Night", "Rs 1939"], ["Grand Total", "", "Rs 1939"],
                     ["Balance", "", "Rs 0"]], res.text
    rows = [(100 + 14 * k, [(70, f"Item {k}"), (250, f"{k}.50"), (400, f"{k}.00")]) for k in range(4)]
    rows += [(100 + 14 * 3 + 44, [(70, "Signed"), (250, "Dated"), (400, "Stamped")])]
    res = _ruled_table(tmp_path, rows, [88, 100 + 14 * 3 + 4], name="closed.pdf")
    (table,) = markdown_tables(res.text)
    assert len(table) == 4 and "Signed" not in str(table), res.text


_CLAUSE = ["If marked, the product meets the requirements of the directive",
           "on hazardous substances in electrical equipment, pursuant to",
           "the exemptions listed in the appendix, where each exemption",
           "is named with its number and the date it lapses. The status",
           "of the product under each is given. See Appendix A."]


def _ruled_bands(tmp_path, lines: int, step: float = 11, label_between: bool = False):
    """A table ruled row by row (a certificate's categories): a label, a description set as one paragraph of
    ``lines`` lines ``step`` points apart, and a value, label and value at the band's middle; with
    ``label_between``, the value on the description's second line and every label but the first half a line below
    it, on no line's baseline."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    y, rules = 100.0, [100.0]
    items = [("RoHS", "Y"), ("Halogen Free", "TBD"), ("REACH", "N"), ("TSCA", "Y")]
    for k, (label, value) in enumerate(items):
        for i, text in enumerate(_CLAUSE[:lines]):
            page.insert_text((155, y + 14 + step * i), text, fontsize=9)
        mid = y + 14 + step * (lines - 1) / 2
        page.insert_text((430, y + 14 + step if label_between else mid), value, fontsize=9)
        page.insert_text((85, y + 14 + step * (1.5 if k else 1) if label_between else mid), label, fontsize=9)
        y += 14 + step * (lines - 1) + 10
        rules.append(y)
    for r in rules:
        page.draw_line((80, r), (514, r), width=0.5)
    path = tmp_path / f"bands{lines}.pdf"
    doc.save(str(path))
    with pymupdf.open(str(path)) as doc:
        (res,) = PageExtractor(PdfOptions(engine="text")).pages(doc)
    return res, [[label, " ".join(_CLAUSE[:lines]), value] for label, value in items]


def test_a_table_ruled_row_by_row_with_a_paragraph_in_each_row_is_a_table(tmp_path):
    """Rules around each row make a table of a label, a paragraph and a value, though the paragraphs' lines fill
    their column as justified prose does; the paragraph may run to more lines than a wrapped cell usually does
    beside one-line cells, and a label at its row's middle need not share a line's baseline."""
    for lines, step, between in ((3, 11, False), (5, 11, False), (3, 13, True)):
        res, rows = _ruled_bands(tmp_path, lines, step, between)
        assert markdown_tables(res.text) == [rows], (lines, res.text)


def test_a_grid_is_read_by_its_rules(tmp_path):
    """A table drawn as a grid: cells are the rules' rectangles, a header cell with no rule under its middle spans
    two columns, and a cell's two lines are one cell."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    ys, xs = [100, 120, 140, 172, 192], [60, 160, 260, 360]
    for y in ys:
        page.draw_line((xs[0], y), (xs[-1], y), width=0.5)
    for x in xs:
        for top, bottom in zip(ys, ys[1:]):
            if not (x == 260 and top == 100):  # the first row's "Results" spans the last two columns
                page.draw_line((x, top), (x, bottom), width=0.5)
    for x, y, text in [(65, 114, "Model"), (220, 114, "Results"), (65, 134, "Name"), (165, 134, "Score"),
                       (265, 134, "Time"), (65, 154, "Small model"), (65, 166, "trained twice"), (165, 154, "0.91"),
                       (265, 154, "2.7 s"), (65, 186, "Large"), (165, 186, "0.95"), (265, 186, "5.3 s")]:
        page.insert_text((x, y), text, fontsize=10)
    path = tmp_path / "grid.pdf"
    doc.save(str(path))
    with pymupdf.open(str(path)) as doc:
        (res,) = PageExtractor(PdfOptions(engine="text")).pages(doc)
    assert markdown_tables(res.text) == [[["Model", "Results", ""], ["Name", "Score", "Time"],
                                          ["Small model trained twice", "0.91", "2.7 s"],
                                          ["Large", "0.95", "5.3 s"]]], res.text


def test_page_x_of_y_in_a_crowded_foot_and_a_line_under_the_page_number_are_removed(tmp_path):
    """One page on its own: a foot row whose "page 1 of 1" sits close to shipment fields is furniture (a page number
    with a word in it needs no space around it), and so is a court reporter's name under a page's number."""
    body = "This sentence is a line of the body of the page and it runs on for a while longer than that."
    rows = [(100 + 14 * i, [(72, body, 10)]) for i in range(40)]
    invoice = _one_page(tmp_path, rows + [(700, [(72, "PL: 7", 9), (400, "S: S132415345", 9),
                                                 (482, "page 1 of 1", 9)])])
    with pymupdf.open(str(invoice)) as doc:
        (res,) = PageExtractor(PdfOptions(engine="text")).pages(doc)
    assert "page 1 of 1" not in res.text and "S132415345" not in res.text and res.text.endswith("than that.")
    (tmp_path / "court").mkdir()
    court = _one_page(tmp_path / "court", rows + [(680, [(300, "1", 12)]), (700, [(260, "Alderson Reporting", 10)])])
    with pymupdf.open(str(court)) as doc:
        (res,) = PageExtractor(PdfOptions(engine="text")).pages(doc)
    assert "Alderson" not in res.text and res.text.endswith("than that.")
    assert res.removed.get("footer") == 1 and res.removed.get("page_number") == 1


def test_a_section_title_across_the_figures_does_not_merge_the_columns(tmp_path):
    """A results table with section rows ("Chemistry  Exploring combinations and hill climbing") whose titles run
    over the first figures' columns: the columns are the full rows', the title spans from its own column."""
    rows = [(100, [(60, "#"), (80, "Task"), (240, "A"), (280, "B"), (320, "C")])]
    y = 116
    for section, tasks in (("Chemistry", ["Single substances", "Mix of 3 substances"]),
                           ("Archaeology", ["Simple instrument", "Instrument use", "Correlation"])):
        rows.append((y, [(60, section), (150, "Exploring combinations and hill climbing")]))
        y += 12
        for k, task in enumerate(tasks):
            rows.append((y, [(60, str(k + 1)), (80, task), (240, "0.87"), (280, "0.20"), (320, f"0.{k}5")]))
            y += 12
    res = _ruled_table(tmp_path, rows, [], name="sections.pdf")
    assert res.tables == 1, res.text
    table = [ln for ln in res.text.splitlines() if ln.startswith("|")]
    assert table[0] == "| # | Task | A | B | C |"
    assert "| 2 | Mix of 3 substances | 0.87 | 0.20 | 0.15 |" in table
    assert "| Chemistry | Exploring combinations and hill climbing |  |  |  |" in table


def test_a_summary_row_across_the_first_two_columns_does_not_merge_them(tmp_path):
    """A results table ending in an average row whose label runs over the number column and the topic column: that
    row lacks one cell of the fullest rows and merges their columns, so the columns are the fullest rows' alone."""
    rows = [(100, [(60, "#"), (80, "Unit test topic"), (240, "A"), (280, "B"), (320, "C")])]
    topics = ["Multi-turn dialog with an agent", "Measure an object", "Pick-and-place object", "Move through doors"]
    for k, topic in enumerate(topics):
        rows.append((112 + 12 * k, [(60, str(25 + k)), (80, topic), (240, "0.87"), (280, "0.20"), (320, f"0.{k}5")]))
    rows.append((112 + 12 * len(topics), [(60, "Average (unit tests)"), (240, "0.76"), (280, "0.60"), (320, "0.64")]))
    res = _ruled_table(tmp_path, rows, [], name="average.pdf")
    (table,) = markdown_tables(res.text)
    assert ["26", "Measure an object", "0.87", "0.20", "0.15"] in table, res.text
    assert table[-1] == ["Average (unit tests)", "", "0.76", "0.60", "0.64"], res.text


def test_a_first_cell_on_two_lines_and_a_section_label_keep_the_table_whole(tmp_path):
    """A population table (the UN's annex): a country's name set on two lines, its second line alone in the first
    column, and a continent's label between the head and the rows. Neither breaks the table: the wrapped name joins
    its cell, the label is a row of its own, and the figures below keep the years above them as heads."""
    years = [(260 + 50 * k, str(2003 + k)) for k in range(4)]
    rows = [(100, [(60, "Country"), *years]), (112, [(60, "AFRICA")])]
    y = 124
    for name, more in (("Algeria", None), ("Democratic Republic of the Congo -", "démocratique du Congo"),
                       ("Djibouti", None), ("Egypt", None)):
        rows.append((y, [(60, name), *[(260 + 50 * k, f"{(y + k) % 97} 0{k}3") for k in range(4)]]))
        y += 12
        if more:
            rows.append((y, [(60, more)]))
            y += 12
    res = _ruled_table(tmp_path, rows, [], name="annex.pdf")
    assert res.tables == 1, res.text
    table = [ln for ln in res.text.splitlines() if ln.startswith("|")]
    assert table[0] == "| Country | 2003 | 2004 | 2005 | 2006 |"
    assert table[2] == "| AFRICA |  |  |  |  |"
    assert any(ln.startswith("| Democratic Republic of the Congo - démocratique du Congo | ") for ln in table)
    assert len(table) == 2 + 1 + 4


def test_justified_prose_cut_at_its_wide_spaces_is_not_a_table():
    from ocr.tables import _flowing_prose

    prose = [["which type", "of linkage", "to make are needed."], ["be best established", "by the", "programmer"],
             ["he knows about", "the future", "usages of procedures,"], ["it can be", "made by the", "compiler"],
             ["cases. For", "example, it", "might be fairly"]]
    assert _flowing_prose(prose)
    table = [["negative binomial", "nbinom", "size, prob"], ["signed rank", "signrank", "n"],
             ["Student's t", "t", "df, ncp"], ["log-normal", "lnorm", "meanlog, sdlog"]]
    assert not _flowing_prose(table)


def test_form_fields_ruled_off_above_a_table_are_not_its_header(tmp_path):
    """A lab report: patient fields ("label: value") in rows above the rule that opens the results table share the
    table's baselines and its run of rows; the table starts at its own header under the rule."""
    rows = [(100, [(70, "Sex: M"), (200, "Age: 50"), (330, "Ward: 4")]),
            (114, [(70, "Sample: blood"), (200, "Taken: 09:00"), (330, "State: normal")]),
            (134, [(70, "Test"), (200, "Result"), (300, "Unit"), (380, "Range")])]
    rows += [(148 + 14 * k, [(70, name), (200, value), (300, "g/L"), (380, "[1-9]")])
             for k, (name, value) in enumerate([("WBC", "3.9"), ("HGB", "159"), ("MCHC", "333")])]
    res = _ruled_table(tmp_path, rows, [90, 104, 118, 124, 190])
    (table,) = markdown_tables(res.text)
    assert table[0] == ["Test", "Result", "Unit", "Range"] and table[-1] == ["MCHC", "333", "g/L", "[1-9]"], res.text
    assert "Sample: blood" in res.text.split("|")[0]


def test_a_grid_drawn_cell_by_cell_is_one_rule_per_row_and_column(tmp_path):
    """A spreadsheet printed to PDF draws every cell's box (each inner edge twice): its rules are joined into one
    per row and per column (2,400 of each would be compared pairwise otherwise), and the grid reads as one table."""
    doc = pymupdf.open()
    page = doc.new_page(width=1200, height=1000)
    for r in range(40):
        for c in range(12):
            x, y = 20 + c * 90, 20 + r * 20
            page.draw_rect((x, y, x + 90, y + 20), width=0.3)
            page.insert_text((x + 3, y + 14), f"r{r}c{c}", fontsize=8)
    path = tmp_path / "sheet.pdf"
    doc.save(str(path))
    with pymupdf.open(str(path)) as doc:
        lay = read_page(doc[0])
        text, tables = compose(lay)
    assert len(lay.rules) == 41 and len(lay.vrules) == 13
    (table,) = markdown_tables(text)
    assert tables == 1 and len(table) == 40 and table[7][11] == "r7c11"


def _glyph(c: str, x0: float, x1: float) -> dict:
    return {"c": c, "bbox": (x0, 10.0, x1, 20.0)}


def test_lam_alef_ligatures_read_in_order_and_the_article_kept():
    """MuPDF gives a lam-alef ligature's glyph as a zero-width alef at its right edge, then the lam ("كال" for
    "كلا"); the article "ال" is two glyphs, its alef as wide as a letter, and stays as it is."""
    # right to left: alef (the article), lam, kaf, then the ligature glyph lam-alef, then teh
    chars = [_glyph("\u0627", 96, 100), _glyph("\u0644", 92, 96), _glyph("\u0643", 86, 92),
             _glyph("\u0627", 86, 86), _glyph("\u0644", 80, 86), _glyph("\u062a", 74, 80)]
    blocks = [{"type": 0, "lines": [{"spans": [{"chars": chars}]}]}]
    fixed: dict[str, str] = {}
    (span,) = _ligatures_in_order(blocks, fixed)[0]["lines"][0]["spans"]
    assert span["text"] == "\u0627\u0644\u0643\u0644\u0627\u062a"
    assert fixed == {"\u0627\u0644\u0643\u0627\u0644\u062a": span["text"]}


def test_an_arabic_word_documents_ligatures_read_in_order():
    """right_to_left_01.pdf (docling's fixture, Word's Times New Roman): "الإنتاجية" and "المشكلات", not
    "اإلنتاجية" and "المشكالت"."""
    text = _pages("diverse/docling/right_to_left_01.pdf")[0].text
    assert "تحسين الإنتاجية وحل المشكلات من خلال البرمجة" in text
    assert "المشكالت" not in text


_PROSE = ["The committee met on the first of the month to review the budget for the coming year and",
          "agreed that the reserve should be kept at its present level until the audit is finished, after",
          "which the treasurer will report on the state of the accounts and propose any changes needed."]


def test_a_page_whose_rotation_turns_its_text_sideways_is_read_as_written(tmp_path):
    """A page stored upright with /Rotate 90 (a print driver's rotation) shows its text on its side; it is read as
    written, line after line, not column by column of the rotated image (which read the last line first)."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 80), "Minutes of the Meeting", fontsize=16)
    for i, line in enumerate(_PROSE * 3):
        page.insert_text((72, 120 + 14 * i), line, fontsize=10)
    page.set_rotation(90)
    path = tmp_path / "rotated.pdf"
    doc.save(str(path))
    with pymupdf.open(str(path)) as doc:
        (res,) = PageExtractor(PdfOptions(engine="text")).pages(doc)
    assert res.text.startswith("Minutes of the Meeting\n\nThe committee met on the first"), res.text[:300]
    assert res.text.index("agreed that the reserve") < res.text.index("which the treasurer will report")


def test_running_feet_with_the_page_number_on_alternate_sides_are_removed(tmp_path):
    """A book sets its running foot's page number on the outer side: "528  Appendix A" on a left page and
    "Appendix A  529" on a right one are one running foot; a roman "Page iv of iv" is a page number, and so is
    "Index   601", its number spaced off within its line, and an appendix's "A-116"."""
    doc = pymupdf.open()
    for n, foot in enumerate(["528    Appendix A: Functions and Instructions",
                              "Appendix A: Functions and Instructions    529",
                              "530    Appendix A: Functions and Instructions"]):
        page = doc.new_page(width=612, height=792)
        for i, line in enumerate(_PROSE * 4):
            page.insert_text((72, 80 + 14 * i), line, fontsize=10)
        page.insert_text((72 if n % 2 == 0 else 300, 740), foot, fontsize=8)
    page = doc.new_page(width=612, height=792)
    for i, line in enumerate(_PROSE * 4):
        page.insert_text((72, 80 + 14 * i), line, fontsize=10)
    page.insert_text((500, 740), "Page iv of iv", fontsize=8)
    page = doc.new_page(width=612, height=792)
    for i, line in enumerate(_PROSE * 4):
        page.insert_text((72, 80 + 14 * i), line, fontsize=10)
    page.insert_text((480, 740), "Index   601", fontsize=8)  # the number spaced off within its line
    page = doc.new_page(width=612, height=792)
    for i, line in enumerate(_PROSE * 4):
        page.insert_text((72, 80 + 14 * i), line, fontsize=10)
    page.insert_text((290, 740), "A-116", fontsize=10)  # an appendix's page
    path = tmp_path / "book.pdf"
    doc.save(str(path))
    with pymupdf.open(str(path)) as doc:
        pages = PageExtractor(PdfOptions(engine="text")).pages(doc)
    assert all("Appendix A" not in p.text for p in pages), [p.text[-80:] for p in pages]
    assert "Page iv" not in pages[3].text and pages[3].text.endswith("propose any changes needed.")
    assert "601" not in pages[4].text and pages[4].text.endswith("propose any changes needed.")
    assert "A-116" not in pages[5].text and pages[5].text.endswith("propose any changes needed.")


def test_a_head_in_a_column_of_its_own_joins_the_column_below_it():
    """A head set centred over figures can fall in a column of its own, beside the figures' column with no head:
    the two are one column. Columns that both hold figures (debits and credits) stay apart."""
    out = [["", "", "Start Address", "", "Content"],
           ["Internal", "0x0000 0000", "", "IOP Registers", ""],
           ["", "0x0002 0000", "", "Block 0", ""],
           ["", "0x0002 8000", "", "Block 1", ""]]
    cols = [(10, 40), (50, 90), (95, 130), (150, 200), (205, 240)]
    assert _heads_over_their_columns([r[:] for r in out], cols) == [
        ["", "Start Address", "Content"], ["Internal", "0x0000 0000", "IOP Registers"],
        ["", "0x0002 0000", "Block 0"], ["", "0x0002 8000", "Block 1"]]
    ledger = [["Item", "Debit", "Credit"], ["Rent", "1,200", ""], ["Fees", "", "300"], ["Tax", "80", ""]]
    assert _heads_over_their_columns([r[:] for r in ledger], [(0, 40), (50, 90), (100, 140)]) == ledger


def test_a_ruled_memory_map_reads_its_heads_over_their_columns():
    """instructions_and_schematics.pdf page 31: a ruled table whose heads fell in columns of their own."""
    text = _pages("olmocr-gnarly/instructions_and_schematics.pdf")[30].text
    (table,) = markdown_tables(text)
    assert table[0][1:] == ["Start Address", "End Address", "Content"], table[:2]
    assert table[1][1:] == ["0x0000 0000", "0x0001 FFFF", "IOP Registers (Internal)"]


def test_a_forms_title_block_on_every_page_goes_though_no_space_sets_it_apart(tmp_path):
    """A form repeats its title block at the top of every page, set right above its fields with no white space
    between: lines alone on their rows in the same place on every page are running heads. A table's head row,
    repeated in the same place over its continuation, is cells side by side and stays."""
    doc = pymupdf.open()
    for n in range(3):
        page = doc.new_page(width=612, height=792)
        page.insert_text((43, 46), "Form 101-02", fontsize=11)
        page.insert_text((43, 64), "Application for an Operator's Certificate", fontsize=11)
        page.insert_text((43, 78), "Initial Issue and Variation", fontsize=11)
        page.insert_text((43, 94), f"Part {'ABC'[n]} - Applicant Details", fontsize=10)
        for i, line in enumerate(_PROSE * 3):
            page.insert_text((43, 108 + 12 * i), line, fontsize=10)
        for i, cells in enumerate([("Item", "Count", "Cost")] + [(f"Part {k}", str(k), f"{k}.00") for k in range(5)]):
            for x, cell in zip((43, 250, 400), cells):
                page.insert_text((x, 260 + 14 * i), cell, fontsize=10)
        for i, line in enumerate(_PROSE * 10):
            page.insert_text((43, 400 + 12 * i), line, fontsize=10)
    path = tmp_path / "form.pdf"
    doc.save(str(path))
    with pymupdf.open(str(path)) as doc:
        pages = PageExtractor(PdfOptions(engine="text")).pages(doc)
    for n, p in enumerate(pages):
        assert "Application for an Operator" not in p.text and "Form 101-02" not in p.text, p.text[:200]
        assert p.text.startswith(f"Part {'ABC'[n]} - Applicant Details"), p.text[:200]
        assert "| Item | Count | Cost |" in p.text


def _word_line(x0: float, x1: float, text: str) -> dict:
    """A line of PyMuPDF's dict output holding one word, its space before it in its box (a 0 pt span)."""
    return {"bbox": (x0, 100.0, x1, 109.0), "dir": (1.0, 0.0),
            "spans": [{"text": " ", "size": 0.0, "flags": 0}, {"text": text, "size": 9.0, "flags": 0}]}


def test_words_each_a_line_of_their_own_whose_boxes_touch_are_one_line():
    """Some layers give every word its own line, the space before it inside its box, so each box starts where the
    one before it ends: one line again, figures and their units too ("62.7 U mg-1"); a cell apart from them stays a
    line of its own."""
    words = [(64.9, 89.1, "Bacillus"), (89.098, 127.6, "aryabhattai"), (263.8, 281.2, "680.5"),
             (281.2, 306.3, "U mg-1"), (372.4, 389.9, "0.257")]
    blocks = [{"type": 0, "lines": [_word_line(*w) for w in words]}]
    lines, _ = _dict_lines(blocks, None)
    assert [ln.text for ln, _ in lines] == ["Bacillus aryabhattai", "680.5 U mg-1", "0.257"]


def test_a_table_whose_words_are_each_a_line_of_their_own_is_found():
    """not_parsing2.pdf page 5: a table in such a layer (olmocr-gnarly)."""
    rows = [row[:2] for table in markdown_tables(_pages("olmocr-gnarly/not_parsing2.pdf")[4].text) for row in table]
    assert ["Talaromyces pinophilus", "SmF"] in rows, rows[:4]
