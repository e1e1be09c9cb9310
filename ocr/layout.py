"""A PDF's text layer read like a person: running headers, footers, page numbers, line numbers and
margin stamps removed, columns in reading order, code lines kept as lines, tables as markdown.

Per document, in two passes (``DocumentLayout``):

1. Each page's text lines come from PyMuPDF's ``dict`` output (one TextPage per page) in
   displayed (rotated) coordinates with their font size, block and whether they are monospaced; a
   justified line MuPDF split at its wide spaces is one line again, as are words a layer set each on a line of
   its own, and dot leaders (". . . .") are dropped. Lines written across the page's main direction (an arXiv
   stamp up the margin) are ``margin``; lines that are only a number, left or right of the body text's column, are
   ``line_number``. Pages with rows of cells on shared baselines (``ocr.tables.may_hold_tables``, the
   router) also get their words and drawn rules, for the table pass.
2. The top and bottom ``BAND`` of the text on each page are where running heads live. A band line is dropped when
   its text with digits masked ("chapter # introduction #") recurs in the bands of several pages
   (``repeated``; FinePDFs removes lines repeated across pages the same way), when it reads as a page
   number ("12", "- 12 -", "Page 3 of 9", "xii"), or, on any page, when it is a small-font line at the
   very top set apart from the body (a journal's running head on a one-page PDF), a small-font stamp
   at the very bottom (copyright, "Preprint. Under review."), or in a group of up to ``STAMP_LINES``
   lines at the very top or bottom with a stamp in it (a repository's cover line with its URL or DOI). On any page,
   even one alone, the outermost row that holds a page number set apart ("168 ... Na'aman Hirschfeld"), or one with
   a word ("page 1 of 1"), is dropped whole, and so are up to two short lines further out than a page number.

What is left is ordered by ``ocr.textlayer.order_blocks`` (the XY-cut over blocks: two columns read
column by column). Lines of a block are joined by spaces (one paragraph per block), a word hyphenated
across a line break joined ("replace-" + "ment"), except runs of monospaced lines (code, console
sessions), which keep their line breaks; a drop capital joins the word it starts. On pages the router
sent to the table pass, the tables ``ocr.tables`` finds replace their lines as markdown tables.

``PageLayout.removed`` counts what was dropped per kind, for the page's provenance in ``page_methods``.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field

import pymupdf

from ocr.tables import CELL_GAP, MIN_ROWS, find_tables, may_hold_tables
from ocr.tables import NUMBER as _NUMBER
from ocr.textlayer import SENTENCE_ENDS, TEXT_FLAGS, order_blocks

BAND = 0.12  # share of the text's height at its top and bottom where running heads and feet live
MIN_REPEATS = 3  # pages whose bottom bands hold the same masked line for it to be a running foot (2 in files of
# up to 4 pages, and always 2 for a running head at the top)
SMALL_FONT = 0.92  # a band line set below this share of the body font size is "small"
MARGIN_DIRECTION_SHARE = 0.2  # lines across the main direction are stamps while they hold less than this share
_MONO = 8  # PyMuPDF span flag: monospaced
PLACED_CHECK = 400  # a page whose dict output has fewer characters than this is checked against its plain text
MIN_PLACED = 20
TOUCHING = 0.01  # points: boxes that overlap by less than this touch (a layer whose words each carry their space)

_PAGE_NUMBER = re.compile(
    # "7-45", "A-116"; roman numbers for front matter
    r"[\W_]*(?:(?:page|p\.|pg\.?|seite|pagina|página|страница)\s*:?\s*)?(?:(?:\d{1,3}|[a-z])\s*[-\u2013]\s*)?"
    r"(?:\d{1,4}|[ivx]{1,5})(?:\s*(?:of|/|de|von|из)\s*(?:\d{1,4}|[ivx]{1,5}))?[\W_]*", re.I)
_STAMP = re.compile(r"(?:©|\(c\)|copyright|all rights reserved|downloaded from|doi[:.]|https?://|www\.|"
                    r"licen[cs]e|published by|journal homepage|preprint|under review|erschienen in)", re.I)
STAMP_LINES = 4  # an edge group of at most this many lines, none in a title's size, with a stamp in it, is one
_DIGITS = re.compile(r"\d+")
_LEADER = re.compile(r"(?:\. ?){4,}")  # dot leaders of tables of contents and price lists
_SPACE = re.compile(r"\s+")
# TeX-made layers write an accent as a spacing character after its letter ("Ste\u00b4phane")
_SPACING_ACCENT = re.compile(r"(?<=[A-Za-z])[\u00b4\u00a8\u02c6\u02dc\u02c7](?=[a-z]|[\s,.;:)]|$)")
_COMBINING = {"\u00b4": "\u0301", "\u00a8": "\u0308", "\u02c6": "\u0302", "\u02dc": "\u0303", "\u02c7": "\u030c"}


def _accents(text: str) -> str:
    """"Ste\u00b4phane" -> "St\u00e9phane": a spacing accent after a letter inside a word combined with it."""
    import unicodedata

    return unicodedata.normalize("NFC", _SPACING_ACCENT.sub(lambda m: _COMBINING[m.group(0)], text))


def _typography(text: str) -> str:
    """A non-ASCII line or word with its TeX accents combined, TeX's ``quotes'' (two single quotes) as double quotes,
    and Unicode's hyphen and non-breaking hyphen as "-" ("DARPA\u2010BAA-15")."""
    if _SPACING_ACCENT.search(text):
        text = _accents(text)
    if "\u2018\u2018" in text or "\u2019\u2019" in text:
        text = text.replace("\u2018\u2018", "\u201c").replace("\u2019\u2019", "\u201d")
    if "\u2010" in text or "\u2011" in text:
        text = text.replace("\u2010", "-").replace("\u2011", "-")
    return text


@dataclass(slots=True)
class Line:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    size: float
    block: int
    mono: bool
    kind: str = "body"  # body | header | footer | page_number | line_number | margin


@dataclass
class PageLayout:
    lines: list[Line]
    width: float
    height: float
    body_size: float
    removed: Counter = field(default_factory=Counter)
    route: str = "fast"  # fast, or tables: rows on shared baselines sent the page to the table pass
    words: list | None = None  # the page's words, extracted for the table pass only
    rules: list | None = None  # horizontal rules ``(x0, x1, y)`` drawn on the page, for the table pass only
    vrules: list | None = None  # vertical rules ``(y0, y1, x)``, likewise

    reading_order: bool = False  # the lines come in reading order (Tesseract's): compose keeps it
    placed: bool = True  # False: the lines' places are made up (MuPDF could not place the glyphs)
    top: float = 0.0  # the text's extent on the page (the bands are measured on it: books have wide margins)
    bottom: float = 0.0

    def band(self, line: Line) -> str | None:
        """``top`` or ``bottom`` when the line lies in a margin band of the text's extent, else None."""
        span = (self.bottom - self.top) * BAND
        if line.y1 <= self.top + span:
            return "top"
        if line.y0 >= self.bottom - span:
            return "bottom"
        return None


def _direction(d) -> tuple[int, int]:
    return (round(d[0]), round(d[1]))


def read_page(page: pymupdf.Page) -> PageLayout:
    """The page's text lines with their kinds set for margin stamps and line numbers (pass 1)."""
    rot = page.rotation_matrix if page.rotation else None
    rect = page.rect  # displayed size (rotation applied)
    tp = page.get_textpage(flags=TEXT_FLAGS)
    blocks = tp.extractDICT()["blocks"]
    if rot is not None and _upright(blocks):
        # the text stands upright as stored and the page's /Rotate turns it on its side (a print driver's or a
        # scanner's rotation): it is read as written, as a reader would turn the page back
        rot, rect = None, pymupdf.Rect(0, 0, page.cropbox.width, page.cropbox.height)
    raw, arabic = _dict_lines(blocks, rot)
    fixed: dict[str, str] = {}
    if arabic:  # Arabic's lam-alef ligatures come out as alef-lam: their glyphs say which is which
        raw, _ = _dict_lines(_ligatures_in_order(tp.extractRAWDICT()["blocks"], fixed), rot)
    placed = sum(len(ln.text) for ln, _ in raw)
    made_up = placed < PLACED_CHECK and len("".join((plain := tp.extractText()).split())) > 2 * placed + MIN_PLACED
    if made_up:
        # MuPDF's dict output drops glyphs it cannot place (vertical CJK fonts): the plain text still has them, in
        # order. Its lines become one block down the page, with no geometry to judge (no furniture, no tables).
        raw = [(Line(0.0, float(k), rect.width, k + 1.0, text, 1.0, 0, False), (1, 0))
               for k, text in enumerate(t.strip() for t in plain.splitlines()) if text]
    chars = Counter()
    for ln, d in raw:
        chars[d] += len(ln.text)
    if len(chars) > 1:
        main = chars.most_common(1)[0][0]
        total = sum(chars.values())
        for ln, d in raw:
            if d != main and chars[d] < MARGIN_DIRECTION_SHARE * total:
                ln.kind = "margin"
    lines = [ln for ln, _ in raw]
    p = _page(lines, rect.width, rect.height, 0.5)
    p.placed = not made_up
    if may_hold_tables(lines, _text_width(lines)):
        p.route = "tables"
        p.words = _words(tp, rot)
        if fixed:
            p.words = [(*w[:4], fixed.get(w[4], w[4])) for w in p.words]
        p.rules, p.vrules = _rules(page, rot)
    return p


def _page(lines: list[Line], width: float, height: float, size_step: float, reading_order: bool = False
          ) -> PageLayout:
    """A page of lines (pass 1's end, for text layers and OCR'd pages alike): its body font size, the size most of
    its characters are set in (in steps of ``size_step`` points: half points for a text layer's sizes, whole ones
    for sizes from an image's row heights), its line numbers marked, and the text's extent over the body lines."""
    sizes: Counter = Counter()
    for ln in lines:
        sizes[round(ln.size / size_step) * size_step] += len(ln.text)
    _mark_line_numbers(lines)
    p = PageLayout(lines, width, height, float(sizes.most_common(1)[0][0]) if sizes else 0.0,
                   reading_order=reading_order)
    inner = [ln for ln in lines if ln.kind == "body"]
    if inner:
        p.top, p.bottom = min(ln.y0 for ln in inner), max(ln.y1 for ln in inner)
    return p


def _upright(blocks: list[dict]) -> bool:
    """Whether most of the characters of PyMuPDF's dict blocks run left to right as stored (before the page's
    rotation)."""
    chars: Counter = Counter()
    for b in blocks:
        for ln in b.get("lines", ()):
            chars[_direction(ln["dir"])] += sum(len(s["text"]) for s in ln["spans"])
    return bool(chars) and chars.most_common(1)[0][0] == (1, 0)


def _dict_lines(blocks: list[dict], rot) -> tuple[list[tuple[Line, tuple[int, int]]], bool]:
    """The text lines of PyMuPDF's dict blocks with their writing directions, and whether any holds an alef before
    a lam (perhaps a lam-alef ligature in the wrong order)."""
    raw: list[tuple[Line, tuple[int, int]]] = []
    arabic = False
    for bno, b in enumerate(blocks):
        if b.get("type", 0) != 0:
            continue
        for ln in b["lines"]:
            spans = ln["spans"]
            if len(spans) == 1:  # most lines: one span
                span = spans[0]
                text, size, mono = span["text"], span["size"], bool(span["flags"] & _MONO or not span["text"].strip())
            else:  # the spans' text joined, their largest size, monospaced if every span with a glyph is
                parts, size, mono = [], 0.0, True
                for span in spans:
                    if t := span["text"]:
                        parts.append(t)
                        size = max(size, span["size"])
                        mono = mono and bool(span["flags"] & _MONO or not t.strip())
                text = "".join(parts)
            if ".." in text or ". ." in text:
                text = _LEADER.sub(" ", text)
            text = text.strip()
            if not text.isascii():
                arabic = arabic or bool(_ALEF_LAM.search(text))
                text = _typography(text)
            if not text:
                continue  # blank, or only leader dots (a rule drawn with full stops)
            x0, y0, x1, y1 = ln["bbox"]
            if rot is not None:
                r = pymupdf.Rect(x0, y0, x1, y1) * rot
                x0, y0, x1, y1 = r.x0, r.y0, r.x1, r.y1
            line = Line(x0, y0, x1, y1, text, size, bno, mono)
            d = _direction(ln["dir"])
            prev = raw[-1][0] if raw else None
            if prev is not None and prev.block == bno and raw[-1][1] == d and _same_line(prev, line):
                # MuPDF splits a justified line at its wide spaces: one line again
                prev.text += " " + line.text
                prev.x1, prev.y0, prev.y1 = line.x1, min(prev.y0, line.y0), max(prev.y1, line.y1)
                prev.size, prev.mono = max(prev.size, size), prev.mono and mono
                continue
            raw.append((line, d))
    return raw, arabic


_ALEFS = "\u0622\u0623\u0625\u0627"  # alef, and alef with madda, hamza above, hamza below
_ALEF_LAM = re.compile(f"[{_ALEFS}]\u0644")


def _ligatures_in_order(blocks: list[dict], fixed: dict[str, str]) -> list[dict]:
    """PyMuPDF's rawdict blocks with each span's ``text`` set from its glyphs, a lam-alef ligature's two letters in
    reading order. MuPDF emits the ligature's glyph (mapped to lam, alef) in visual order as a zero-width alef at the
    glyph's right edge, then the lam: "المشكالت" for "المشكلات". A real alef-lam (the article "ال") has two glyphs,
    the alef as wide as a letter. ``fixed`` gets each word mended, wrong -> right, for the page's words."""
    for b in blocks:
        for ln in b.get("lines", ()):
            for span in ln["spans"]:
                chars = span.pop("chars")
                out = [c["c"] for c in chars]
                for k in range(len(chars) - 1):
                    a, lam = chars[k], chars[k + 1]
                    if (a["c"] in _ALEFS and lam["c"] == "\u0644" and a["bbox"][2] - a["bbox"][0] < 0.01
                            and abs(lam["bbox"][2] - a["bbox"][0]) < 0.5):
                        out[k], out[k + 1] = out[k + 1], out[k]
                span["text"] = text = "".join(out)
                before = "".join(c["c"] for c in chars)
                if text != before:
                    fixed.update((w, r) for w, r in zip(before.split(), text.split()) if w != r)
    return blocks


ROW_HEIGHT_TO_SIZE = 1.1  # Tesseract's row height (x-height plus ascenders) is about 0.9 of the font size
OCR_WORD_GAP = 2.0  # font sizes between two words of one OCR'd line that make them two cells (justified and typed
# text leaves word gaps of over a font size; beside a figure ``ocr.tables.CELL_GAP`` is enough)


def ocr_layout(page) -> PageLayout:
    """An OCR'd page (``ocr.tesseract.OcrPage``) as a text layer's would be read (pass 1), in Tesseract's reading
    order: its lines cut where their words stand apart (a table's cells on one line of the image, ``OCR_WORD_GAP``),
    one block per paragraph, the font size from the line's row height. The table pass runs where at least
    ``ocr.tables.MIN_ROWS`` of Tesseract's own lines were cut into cells (a sidebar beside a letter's body is two
    lines side by side, not cells), on the words (the image has no drawn rules to read)."""
    lines: list[Line] = []
    words = page.words
    start = 0
    cut: Counter = Counter()  # Tesseract's line -> the cells it was cut into
    for k in range(1, len(words) + 1):
        if k < len(words) and words[k].line == words[k - 1].line:
            a, b = words[k - 1], words[k]
            gap, size = b.x0 - a.x1, a.size * ROW_HEIGHT_TO_SIZE
            if gap <= OCR_WORD_GAP * size and (
                    gap <= CELL_GAP * size or not (_NUMBER.fullmatch(a.text) or _NUMBER.fullmatch(b.text))):
                continue
        seg = words[start:k]
        start = k
        cut[seg[0].line] += 1
        lines.append(Line(min(w.x0 for w in seg), min(w.y0 for w in seg), max(w.x1 for w in seg),
                          max(w.y1 for w in seg), _join_words([w.text for w in seg]), seg[0].size * ROW_HEIGHT_TO_SIZE,
                          seg[0].para, False))
    _join_broken_paragraphs(lines)
    p = _page(lines, page.width, page.height, 1.0, reading_order=True)
    if sum(n > 1 for n in cut.values()) >= MIN_ROWS and may_hold_tables(lines, _text_width(lines)):
        p.route, p.words, p.rules, p.vrules = "tables", words, [], []
    return p


def _join_words(words: list[str]) -> str:
    """Words joined by spaces, except between Chinese or Japanese characters (Tesseract splits their text into words
    the script does not space)."""
    out = words[0]
    for w in words[1:]:
        out += w if _CJK.match(out[-1]) and _CJK.match(w[0]) else " " + w
    return out


def _join_broken_paragraphs(lines: list[Line]) -> None:
    """Tesseract often sets a paragraph's last lines apart as a paragraph of their own: a paragraph whose first line
    starts in lower case right under an unfinished one ("... bei der weiteren Bearbeitung des" / "zu verbessernden
    Gesetzes ...") continues it (as ``ocr.textlayer.unwrap`` rejoins them in text)."""
    last: dict[int, Line] = {}
    for ln in lines:
        prev = last.get(ln.block - 1)
        if (ln.block not in last and prev is not None and ln.text[:1].islower()
                and not prev.text.endswith(SENTENCE_ENDS)
                and 0 <= ln.y0 - prev.y1 < ln.y1 - ln.y0 and ln.x0 < prev.x1 and prev.x0 < ln.x1):
            block = prev.block
            for other in lines:
                if other.block == ln.block:
                    other.block = block
        last[ln.block] = ln


MAX_DRAWINGS = 20_000  # a page with more vector paths (a map, a chart) is read without its rules
RULE_THICKNESS = 3.0  # points: a drawn shape this thin is a rule
MIN_RULE = 10.0  # points: shorter strokes are not rules (underlines of single letters, a chart's ticks)


def _visible_fill(path: dict) -> bool:
    fill = path.get("fill")
    return "f" in (path.get("type") or "") and fill is not None and min(fill) < 0.95 and path.get("fill_opacity", 1) > 0


def _rules(page: pymupdf.Page, rot) -> tuple[list, list]:
    """The page's rules in displayed coordinates: horizontal ``(x0, x1, y)`` and vertical ``(y0, y1, x)``. Thin drawn
    shapes, the straight strokes of stroked paths and the edges of shaded (non-white) areas, which separate a ruled or
    banded table's rows and columns."""
    try:
        paths = page.get_cdrawings()
    except (RuntimeError, ValueError):  # a broken content stream: the table pass goes on without rules
        return [], []
    if len(paths) > MAX_DRAWINGS:
        return [], []
    segs: list[tuple[float, float, float, float]] = []
    for path in paths:
        stroked, filled = "s" in (path.get("type") or ""), _visible_fill(path)
        if not (stroked or filled):
            continue
        x0, y0, x1, y1 = path["rect"]
        if y1 - y0 <= RULE_THICKNESS or x1 - x0 <= RULE_THICKNESS:
            segs.append((x0, (y0 + y1) / 2, x1, (y0 + y1) / 2) if x1 - x0 > y1 - y0 else
                        ((x0 + x1) / 2, y0, (x0 + x1) / 2, y1))
        elif filled and not stroked:
            segs += [(x0, y0, x1, y0), (x0, y1, x1, y1), (x0, y0, x0, y1), (x1, y0, x1, y1)]
        else:
            for item in path["items"]:
                if item[0] == "l":
                    (a, b), (c, d) = item[1], item[2]
                    segs.append((a, b, c, d))
                elif item[0] == "re":
                    r = pymupdf.Rect(item[1])
                    segs += [(r.x0, r.y0, r.x1, r.y0), (r.x0, r.y1, r.x1, r.y1), (r.x0, r.y0, r.x0, r.y1),
                             (r.x1, r.y0, r.x1, r.y1)]
    horizontal, vertical = [], []
    for a, b, c, d in segs:
        if rot is not None:
            p, q = pymupdf.Point(a, b) * rot, pymupdf.Point(c, d) * rot
            a, b, c, d = p.x, p.y, q.x, q.y
        if abs(d - b) <= RULE_THICKNESS and abs(c - a) >= MIN_RULE:
            horizontal.append((min(a, c), max(a, c), (b + d) / 2))
        elif abs(c - a) <= RULE_THICKNESS and abs(d - b) >= MIN_RULE:
            vertical.append((min(b, d), max(b, d), (a + c) / 2))
    return _joined(horizontal), _joined(vertical)


def _joined(segments: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """Collinear rules that touch or overlap as one: a grid drawn cell by cell (each cell's box, shared edges drawn
    twice) has one rule per row and per column, not four per cell."""
    out: list[list[float]] = []
    for a, z, at in sorted(segments, key=lambda s: (round(s[2] * 2), s[0])):
        last = out[-1] if out else None
        if last is not None and round(last[2] * 2) == round(at * 2) and a <= last[1] + 1.0:
            last[1] = max(last[1], z)
        else:
            out.append([a, z, at])
    return [(a, z, at) for a, z, at in out]


def _same_line(a: Line, b: Line) -> bool:
    """b continues a on its baseline, after a gap of at most a font size (a justified line's wide space), and
    neither is a number (columns of figures sit that close); or b's box starts where a's ends (a layer that gives
    each word its own line, its space inside its box: "62.7" + " U mg-1")."""
    h = min(a.y1 - a.y0, b.y1 - b.y0)
    gap = b.x0 - a.x1
    if abs((a.y0 + a.y1) - (b.y0 + b.y1)) / 2 >= 0.3 * h or not -TOUCHING <= gap <= max(a.size, b.size):
        return False
    return gap <= TOUCHING or not (_NUMBER.fullmatch(a.text.rsplit(" ", 1)[-1]) or
                                   _NUMBER.fullmatch(b.text.split(" ", 1)[0]))


def _mark_line_numbers(lines: list[Line]) -> None:
    """Lines that are only a number, left or right of where the body's long lines start and end."""
    long = [ln for ln in lines if ln.kind == "body" and len(ln.text) >= 25]
    if len(long) < 3:
        return
    lo = min(ln.x0 for ln in long)
    hi = max(ln.x1 for ln in long)
    for ln in lines:
        if ln.kind == "body" and ln.text.isdigit() and len(ln.text) <= 4 and (ln.x1 <= lo - 1 or ln.x0 >= hi + 1):
            ln.kind = "line_number"


@functools.lru_cache(maxsize=4096)  # a running head's text comes again on every page
def _key(text: str) -> str:
    """A band line's identity across pages: lower case, digits masked, spaces collapsed, and a page number at
    either end dropped (books set it on the outer side: "528  Appendix A" on the left page, "Appendix A  529" on
    the right)."""
    masked = _SPACE.sub(" ", _DIGITS.sub("#", text.lower())).strip(" .-|\u2013\u2014")
    return masked.strip(" .-|#\u2013\u2014") or masked  # a bare page number keeps its "#"


class DocumentLayout:
    """Pass 2 over a document's pages: running heads and feet found by repetition, then each page composed."""

    def __init__(self, pages: list[PageLayout]):
        self.pages = pages
        counts: Counter = Counter()
        at: Counter = Counter()  # (key, vertical position in 4-point steps): a running head keeps its place
        for p in pages:
            band = [ln for ln in p.lines if ln.kind == "body" and p.band(ln)]
            counts.update({_key(ln.text) for ln in band})
            at.update({(_key(ln.text), round((ln.y0 + ln.y1) / 8)) for ln in band})
        self.counts, self.at = counts, at
        self.need = 2 if len(pages) <= 4 else MIN_REPEATS
        for p in pages:
            self._mark_bands(p)

    def _mark_bands(self, p: PageLayout) -> None:
        groups = _edge_groups(p)
        tops = [g for g in groups if p.band(g[0]) == "top"]
        bottoms = [g for g in groups if p.band(g[0]) == "bottom"]
        outer = {id(ln) for g in tops[:1] + bottoms[-1:] for ln in g}
        for g in tops[:1] + bottoms[-1:]:
            # a repository's or publisher's stamp at the very top or bottom (a URL, a DOI, "Downloaded from")
            if len(g) <= STAMP_LINES and all(ln.size <= 1.2 * p.body_size for ln in g) and any(
                    _STAMP.search(ln.text) for ln in g):
                for ln in g:
                    ln.kind = "header" if p.band(ln) == "top" else "footer"
        for g in groups:
            # small fonts count only in the group at the page's very edge, and an inner group with cells side by side
            # repeats only in the same place: a table's caption and header row in the band are small, and repeat
            # (elsewhere on the page) where the table goes on over a page
            cells = len({round((ln.y0 + ln.y1) / 2) for ln in g}) < len(g)
            for ln in g:
                where = p.band(ln)
                edge = id(ln) in outer
                small = edge and p.body_size and ln.size < SMALL_FONT * p.body_size
                if ln.kind != "body":
                    continue
                key = _key(ln.text)
                if not key or len(self.pages) == 1:
                    repeats = 0
                elif edge or not cells:
                    repeats = self.counts[key]
                else:  # an inner row of cells repeats as a running head only in the same place
                    b = round((ln.y0 + ln.y1) / 8)
                    repeats = max(self.at[(key, b + d)] for d in (-1, 0, 1))
                if repeats >= self.need or (repeats >= 2 and where == "top"):
                    ln.kind = "header" if where == "top" else "footer"
                elif _PAGE_NUMBER.fullmatch(ln.text):
                    ln.kind = "page_number"
                elif small and where == "top" and len(ln.text.split()) <= 20:
                    ln.kind = "header"
                elif small and where == "bottom" and _STAMP.search(ln.text):
                    ln.kind = "footer"
        # a line alone on its row, in a band, in the same place on enough pages, is a running head or foot even where
        # no white space sets it apart (a form's title block right above its fields)
        for ln in p.lines if p.placed and len(self.pages) > 1 else ():
            if ln.kind != "body" or not (where := p.band(ln)) or not (key := _key(ln.text)):
                continue
            b = round((ln.y0 + ln.y1) / 8)
            if max(self.at[(key, b + d)] for d in (-1, 0, 1)) >= self.need and not any(
                    o is not ln and abs((o.y0 + o.y1) - (ln.y0 + ln.y1)) < (ln.y1 - ln.y0) for o in p.lines):
                ln.kind = "header" if where == "top" else "footer"
        for where in ("top", "bottom"):
            _mark_folio_row(p, where)
        # a number beside kept text on its baseline numbers that text ("1" + "Introduction"): not a page number
        for ln in p.lines:
            if ln.kind != "body" and _PAGE_NUMBER.fullmatch(ln.text) and any(
                    o.kind == "body" and abs((o.y0 + o.y1) - (ln.y0 + ln.y1)) < (ln.y1 - ln.y0) for o in p.lines):
                ln.kind = "body"
        for where in ("top", "bottom"):
            _mark_beyond_folio(p, where)
        p.removed = Counter(ln.kind for ln in p.lines if ln.kind != "body")


FOLIO_ROW_LINES = 5  # a page's outermost row with a page number in it and at most this many short lines is furniture
FOLIO_WORDS = 12
TITLE_SIZE = 1.2  # a line set this much larger than the body is a title, never part of a running head's row
BEYOND_FOLIO_LINES = 2
_SPACED_FOLIO = re.compile(r"\d{1,4}\s{2,}\S.*|.*\S\s{2,}\d{1,4}")  # starts or ends with a number spaced off
_FOLIO_WORD = re.compile(r"[^\W\d_]")  # a page number with a word in it: "page 3", "3 of 9", "Seite 2"
_FOLIO_KINDS = ("body", "page_number", "line_number")  # what the row may hold: the passes before may have taken a
# page number for a line number, or for a page number a heading's number would revert


def _mark_folio_row(p: PageLayout, where: str) -> None:
    """The outermost row of the page's text (lines on one baseline) at the top or bottom, when it holds a page
    number set apart from the rest of the row, is a running head or foot, all of it: "168 ... Na'aman Hirschfeld",
    "208  Global Study on Legal Aid  Annex  209", "page 1 of 1  PL:  Pack: BX". This needs no other page (a page
    cut from a journal), nor white space above the row. A number beside its text ("1  Introduction") is a heading,
    and a row of figures is a table's."""
    band = [ln for ln in p.lines if ln.kind != "margin" and p.band(ln) == where]
    if not band:
        return
    edge = min(band, key=lambda ln: ln.y0) if where == "top" else max(band, key=lambda ln: ln.y1)
    if edge.kind not in _FOLIO_KINDS:  # the outermost row is furniture already: the row inside it is the page's own
        return
    mid = (edge.y0 + edge.y1) / 2
    row = [ln for ln in band if ln.kind in _FOLIO_KINDS and abs((ln.y0 + ln.y1) / 2 - mid) < 0.5 * (edge.y1 - edge.y0)]
    if len(row) > FOLIO_ROW_LINES or any(len(ln.text.split()) > FOLIO_WORDS for ln in row):
        return
    folios = [ln for ln in row if _PAGE_NUMBER.fullmatch(ln.text)]
    rest = [ln for ln in row if not _PAGE_NUMBER.fullmatch(ln.text)]
    if not folios:  # "Index   601", "528    Appendix A": a line with its page number spaced off within it
        folios = [ln for ln in rest if _SPACED_FOLIO.fullmatch(ln.text) and ln.size <= TITLE_SIZE * p.body_size]
        rest = [ln for ln in rest if not any(ln is f for f in folios)]
    if not folios or any(_NUMBER.fullmatch(ln.text) for ln in rest):
        return
    apart = 3 * (p.body_size or edge.y1 - edge.y0)
    if not any(_FOLIO_WORD.search(f.text) for f in folios) and any(  # "page 3", "3 of 9" need not stand apart
            min(abs(o.x0 - f.x1), abs(f.x0 - o.x1)) < apart or o.size > TITLE_SIZE * p.body_size
            for f in folios for o in rest):
        return  # a bare number beside a title is not a folio (OCR reads a logo's "OLMo" as "0")
    for ln in row:
        ln.kind = "header" if where == "top" else "footer"


def _mark_beyond_folio(p: PageLayout, where: str) -> None:
    """Short lines further out than the page number at the top or bottom of the page (a court reporter's name under
    the page number) are furniture with it: at most ``BEYOND_FOLIO_LINES`` lines of at most ``FOLIO_WORDS`` words."""
    band = [ln for ln in p.lines if ln.kind != "margin" and p.band(ln) == where]
    folios = [ln for ln in band if ln.kind == "page_number" or ln.kind != "body" and _PAGE_NUMBER.fullmatch(ln.text)]
    if not folios:
        return
    if where == "bottom":
        limit = max(f.y1 for f in folios)
        beyond = [ln for ln in band if ln.kind == "body" and ln.y0 >= limit - 1]
    else:
        limit = min(f.y0 for f in folios)
        beyond = [ln for ln in band if ln.kind == "body" and ln.y1 <= limit + 1]
    if 0 < len(beyond) <= BEYOND_FOLIO_LINES and all(len(ln.text.split()) <= FOLIO_WORDS for ln in beyond):
        for ln in beyond:
            ln.kind = "header" if where == "top" else "footer"


OCR_HEAD_WORDS = 12  # an OCR'd page's first or last paragraph of at most this many words may be a running head


def strip_ocr_furniture(texts: list[str | None]) -> list[Counter]:
    """Running heads, feet and page numbers of OCR'd pages, from their text alone (``None``: a page not OCR'd).

    Tesseract returns a page's blocks top to bottom as paragraphs (``ocr.textlayer.unwrap``): a page number is a
    first or last paragraph that reads as one ("12", "- 12 -", "Page 3 of 9"), and a running head or foot is a short
    first or last paragraph that, digits masked, opens or closes two other OCR'd pages of the document too.
    Returns what was removed per page, by kind; ``texts`` is changed in place."""
    ends: Counter = Counter()
    paras = [t.split("\n\n") if t else [] for t in texts]
    for ps in paras:
        ends.update({_key(p) for p in {ps[0], ps[-1]} if len(p.split()) <= OCR_HEAD_WORDS} if ps else set())
    removed = [Counter() for _ in texts]
    for i, ps in enumerate(paras):
        if texts[i] is None or len(ps) < 2:
            continue
        for where, at in (("header", 0), ("footer", -1)):
            if len(ps) < 2:
                break
            p = ps[at]
            if _PAGE_NUMBER.fullmatch(p):
                kind = "page_number"
            elif len(p.split()) <= OCR_HEAD_WORDS and _key(p) and ends[_key(p)] >= 3:
                kind = where
            else:
                continue
            del ps[at]
            removed[i][kind] += 1
        texts[i] = "\n\n".join(ps)
    return removed


def _edge_groups(p: PageLayout) -> list[list[Line]]:
    """Groups of body lines that lie wholly inside a margin band, top to bottom. Lines are grouped top to bottom
    while each starts less than its own height below the group, so a paragraph or table running into a band is not
    a candidate, while a running head, a page number or a footer set apart by white space is."""
    body = sorted((ln for ln in p.lines if ln.kind == "body"), key=lambda ln: ln.y0)
    out: list[list[Line]] = []
    group: list[Line] = []
    bottom = -1e9
    for ln in body + [None]:
        if ln is None or ln.y0 - bottom >= max(ln.y1 - ln.y0, 1.0):
            if group and all(p.band(g) == p.band(group[0]) is not None for g in group):
                out.append(group)
            group, bottom = [], -1e9
            if ln is None:
                break
        group.append(ln)
        bottom = max(bottom, ln.y1)
    return out


def compose(p: PageLayout, tables: bool = True, columns: bool = True) -> tuple[str, int]:
    """(the page's kept lines as text in reading order, tables written as markdown); see the module docstring.
    ``columns`` False: blocks top to bottom, left to right, with no column detection."""
    body = [ln for ln in p.lines if ln.kind == "body"]
    found = find_tables(body, _text_width(body), p.words, p.rules, p.vrules) if tables and p.route == "tables" else []
    in_table = {id(ln) for t in found for ln in t.lines}
    blocks: dict[int, list[Line]] = {}
    for ln in body:
        if id(ln) not in in_table:
            blocks.setdefault(ln.block, []).append(ln)
    items = [(min(ln.x0 for ln in ls), min(ln.y0 for ln in ls), max(ln.x1 for ln in ls), max(ln.y1 for ln in ls),
              _block_text(ls)) for ls in blocks.values()]
    items += [(t.x0, t.y0, t.x1, t.y1, t.markdown()) for t in found]
    if p.reading_order:  # Tesseract's: blocks as their first lines come, a table where its first line was
        index = {id(ln): k for k, ln in enumerate(p.lines)}
        firsts = [index[id(ls[0])] for ls in blocks.values()]
        firsts += [min(index.get(id(ln), len(index)) for ln in t.lines) for t in found]
        ordered = [it for _, it in sorted(zip(firsts, items), key=lambda pair: pair[0])]
    elif columns:
        ordered = order_blocks(items)
    else:
        ordered = sorted(items, key=lambda b: (round(b[1], 0), b[0]))
    parts: list[str] = []
    for b in ordered:
        text = b[4]
        if parts and len(parts[-1]) == 1 and parts[-1].isupper() and text[:1].islower():
            parts[-1] += text  # a drop capital ("I" + "n May 1998")
        elif text:
            parts.append(text)
    return "\n\n".join(parts), len(found)


def _words(tp: pymupdf.TextPage, rot) -> list[tuple[float, float, float, float, str]]:
    """The page's words ``(x0, y0, x1, y1, text, ...)`` in the frame the page is read in (turned by ``rot`` where
    given), non-ASCII words with their typography mended as lines' are."""
    words = tp.extractWORDS()  # (x0, y0, x1, y1, text, block, line, word): the first five are what is read
    if rot is None:
        return [w if w[4].isascii() else (*w[:4], _typography(w[4])) for w in words]
    out = []
    for w in words:
        r = pymupdf.Rect(w[:4]) * rot
        out.append((r.x0, r.y0, r.x1, r.y1, w[4] if w[4].isascii() else _typography(w[4])))
    return out


def _text_width(lines: list[Line]) -> float:
    return (max(ln.x1 for ln in lines) - min(ln.x0 for ln in lines)) if lines else 0.0


def raw_text(p: PageLayout) -> str:
    """Every line of the page, boilerplate included, in the order PyMuPDF gave them (what triage judges)."""
    return "\n".join(ln.text for ln in p.lines)


_HYPHENATED = re.compile(r"(?<=[^\W\d_])-$")


_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _join_prose(lines: list[str]) -> str:
    """Lines of a paragraph joined by spaces; a word hyphenated across a line break ("replace-" + "ment") joined;
    Chinese and Japanese, which put no spaces between words, joined without one."""
    out = lines[0]
    for nxt in lines[1:]:
        if out[-1:] == "-" and _HYPHENATED.search(out, len(out) - 2) and nxt[:1].islower():
            out = out[:-1] + nxt
        elif _CJK.match(out[-1:]) and _CJK.match(nxt[:1]):
            out += nxt
        else:
            out += " " + nxt
    return out


def _block_text(lines: list[Line]) -> str:
    """One paragraph per block; runs of monospaced lines keep their line breaks."""
    parts: list[str] = []
    prose: list[str] = []
    code: list[str] = []
    for ln in lines:
        if ln.mono:
            if prose:
                parts.append(_join_prose(prose))
                prose = []
            code.append(ln.text)
        else:
            if code:
                parts.append("\n".join(code))
                code = []
            prose.append(ln.text)
    if prose:
        parts.append(_join_prose(prose))
    if code:
        parts.append("\n".join(code))
    return "\n".join(parts)
