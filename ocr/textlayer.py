"""A page's text layer in reading order, two-column layouts included (PyMuPDF).

PyMuPDF gives text *blocks* (paragraph-like groups of lines) in content-stream order, which for
many PDFs is not reading order; ``sort=True`` sorts blocks top-to-bottom, left-to-right, which
interleaves the lines of two columns. We order blocks with a light XY-cut instead:

1. blocks narrower than ``column_max_width`` (55%) of the text area are column candidates;
2. vertical gutters are x-intervals at least ``min_gutter`` points wide that no candidate block
   covers, inside the middle of the text area, with enough text on both sides;
3. blocks that cross a gutter (titles, abstracts, full-width figures and captions) split the page
   into horizontal bands; inside a band, columns are read left to right, each top to bottom.

Pages without a gutter fall back to top-to-bottom, left-to-right order (PyMuPDF's ``sort``).
Coordinates are taken after the page's ``/Rotate``, so rotated pages read as displayed.
Measured in ``tests/bench/bench_pdf.py``: the OCR-vs-text-layer CER on two-column pages with this
order against the plain sorted order.
"""

from __future__ import annotations

import itertools
import re

import pymupdf

# Expand ligatures (no TEXT_PRESERVE_LIGATURES), join words hyphenated across lines, keep U+FFFD
# for glyphs without a Unicode mapping (triage counts them), clip to the visible page.
TEXT_FLAGS = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP | pymupdf.TEXT_DEHYPHENATE
# Character boxes as MuPDF computes them from the fonts, without PyMuPDF's corrections of fonts' ascenders and
# descenders: a process-wide switch, set here so every process reads alike (pymupdf4llm sets it on import, so it
# was on wherever that is installed, as in the venv every figure in docs/measurements.md was tuned in; with the
# corrections, 18 of 147 shared PDFs read differently and the gnarly checks lose two table cells).
pymupdf.TOOLS.unset_quad_corrections(True)

COLUMN_MAX_WIDTH = 0.55  # share of the text area's width
MIN_GUTTER = 6.0  # points
MIN_SIDE_SHARE = 0.15  # each side of a gutter holds at least this share of the candidates' characters


def page_blocks(page: pymupdf.Page) -> list[tuple[float, float, float, float, str]]:
    """Non-empty text blocks ``(x0, y0, x1, y1, text)`` in displayed (rotated) coordinates."""
    rot = page.rotation_matrix if page.rotation else None
    out = []
    for b in page.get_text("blocks", flags=TEXT_FLAGS):
        if b[6] != 0:  # image block
            continue
        text = b[4].strip()
        if not text:
            continue
        x0, y0, x1, y1 = b[:4]
        if rot is not None:
            r = pymupdf.Rect(x0, y0, x1, y1) * rot
            x0, y0, x1, y1 = r.x0, r.y0, r.x1, r.y1
        out.append((x0, y0, x1, y1, text))
    return out


def find_gutters(blocks: list[tuple]) -> list[float]:
    """x positions of the column gutters of a page (empty for a single-column page)."""
    if len(blocks) < 3:
        return []
    left = min(b[0] for b in blocks)
    right = max(b[2] for b in blocks)
    width = right - left
    if width <= 0:
        return []
    cands = [b for b in blocks if (b[2] - b[0]) < COLUMN_MAX_WIDTH * width]
    total = sum(len(b[4]) for b in cands)
    if len(cands) < 2 or total == 0:
        return []
    # Merge candidate x-intervals; the holes between them, inside the middle of the page, are gutters.
    spans = sorted((b[0], b[2]) for b in cands)
    merged = [list(spans[0])]
    for a, z in spans[1:]:
        if a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], z)
        else:
            merged.append([a, z])
    gutters = []
    for (_, z), (a, _) in itertools.pairwise(merged):
        mid = (z + a) / 2
        if a - z < MIN_GUTTER or not (left + 0.2 * width <= mid <= right - 0.2 * width):
            continue
        lhs = sum(len(b[4]) for b in cands if b[2] <= mid)
        if min(lhs, total - lhs) >= MIN_SIDE_SHARE * total:
            gutters.append(mid)
    return gutters


def order_blocks(blocks: list[tuple]) -> list[tuple]:
    """Blocks in reading order (see the module docstring)."""
    gutters = find_gutters(blocks)
    if not gutters:
        return sorted(blocks, key=lambda b: (round(b[1], 0), b[0]))
    tol = MIN_GUTTER / 2
    spanning = sorted((b for b in blocks if any(b[0] < g - tol and b[2] > g + tol for g in gutters)),
                      key=lambda b: b[1])
    span_ids = {id(b) for b in spanning}
    bands: list[list[tuple]] = [[] for _ in range(len(spanning) + 1)]
    for b in blocks:
        if id(b) in span_ids:
            continue
        centre = (b[1] + b[3]) / 2
        k = sum(1 for s in spanning if (s[1] + s[3]) / 2 <= centre)
        bands[k].append(b)
    out: list[tuple] = []
    for k, band in enumerate(bands):
        band.sort(key=lambda b: (sum(1 for g in gutters if (b[0] + b[2]) / 2 > g), b[1], b[0]))
        out += band
        if k < len(spanning):
            out.append(spanning[k])
    return out


_PARA = re.compile(r"\n\s*\n")
SENTENCE_ENDS = (".", "!", "?", ":", ";", '"', "'", ")", "\u201d")
_HYPHEN = re.compile(r"(?<=[a-z])-\n(?=[a-z])")


def unwrap(text: str) -> str:
    """Paragraphs (blank-line separated) kept, the line breaks inside them made spaces, and words hyphenated
    across a line break joined: one paragraph per line, as web text is and as FineWeb's line filters expect."""
    out: list[str] = []
    for p in _PARA.split(text):
        p = _HYPHEN.sub("", p).replace("\n", " ").strip()
        if not p:
            continue
        # OCR often sets a paragraph's short last line apart: rejoin a lower-case start to an unfinished paragraph
        if out and p[0].islower() and not out[-1].endswith(SENTENCE_ENDS):
            out[-1] += " " + p
        else:
            out.append(p)
    return "\n\n".join(out)


def page_text(page: pymupdf.Page, columns: bool = True) -> tuple[str, int]:
    """(text of the page in reading order, number of columns found). One block per paragraph, the lines of a
    block joined by spaces (``unwrap``), paragraphs separated by a blank line."""
    blocks = page_blocks(page)
    if columns:
        n_cols = len(find_gutters(blocks)) + 1 if blocks else 0
        ordered = order_blocks(blocks)
    else:
        n_cols = 1 if blocks else 0
        ordered = sorted(blocks, key=lambda b: (round(b[1], 0), b[0]))
    return "\n\n".join(" ".join(line.strip() for line in b[4].split("\n")) for b in ordered), n_cols
