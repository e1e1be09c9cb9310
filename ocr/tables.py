"""Tables in a page's text layer, found from the lines' geometry and the page's drawn rules, written as markdown.

In born-digital PDFs each table cell is its own text line, and the cells of a row share a baseline.
A *grid row* is a set of lines on one baseline, apart from each other, that is not two columns of
prose (three or more cells, cells all narrower than ``MAX_PROSE_CELL`` of the text width, or one as narrow
as a key column, ``KEY_CELL``). A
table is a run of at least ``MIN_ROWS`` grid rows close together (lines under a cell that wrap its
text are joined to that cell). Its columns are the union of the cells' x-extents across the rows;
a run whose cells do not fall into at least two columns is not a table, nor is a run where in every
column most lines fill the column and hold several words (columns of justified prose).

Drawn rules refine this: horizontal rules between a table's rows say which lines are one row (a wrapped cell, a
header set on two lines; :func:`ruled_rows`, :func:`_in_band`; rows ruled one by one may stand further apart,
:func:`_ruled_apart`), and a form's "label: value" rows ruled off above a table are not its header
(:func:`_below_lead_in`). Where horizontal and vertical rules cross to draw a grid, the
grid's cells are read from the rules themselves (:func:`lattice_tables`), spans included.

Cost: one sort of the page's lines; only pages with grid rows (``may_hold_tables``) have their words and rules
extracted: the router's table pass (``ocr.layout``); the rest is the fast path.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import numpy as np

MIN_ROWS = 3
NUMBER = re.compile(r"[-+\u2212(]?[\d.,%$\u20ac\u00a3]*\d[\d.,%)]*")  # a figure: "-3.5", "$1,200", "(12%)"
MIN_GAP = 6.0  # points between two cells of a row
MAX_PROSE_CELL = 0.4  # share of the text width: two cells wider than this are two columns of prose
KEY_CELL = 0.2  # ... unless one of them is narrower than this (a table's key column)
PROSE_FILL = 0.85  # a line of justified prose fills this share of its column
ROW_GAP = 2.2  # a table's rows are at most this many line heights apart
CELL_GAP = 0.6  # font sizes between two words of one line that make them two cells
RULED_ROW_GAP = 4.0  # ... or this many where one rule across both lies between them


@dataclass
class Table:
    x0: float
    y0: float
    x1: float
    y1: float
    rows: list[list[str]]
    lines: list  # the ocr.layout.Line objects it replaces

    def markdown(self) -> str:
        width = max(len(r) for r in self.rows)
        rows = [[c.replace("|", "\\|") for c in r] + [""] * (width - len(r)) for r in self.rows]
        out = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
        out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        return "\n".join(out)


def _rows(lines: list) -> list[list]:
    """Lines grouped by baseline (vertical centres within half a line height), each row sorted by x."""
    rows: list[list] = []
    for ln in sorted(lines, key=lambda ln: ((ln.y0 + ln.y1) / 2, ln.x0)):
        cy = (ln.y0 + ln.y1) / 2
        if rows:
            last = rows[-1]
            ref = last[0]
            if abs(cy - (ref.y0 + ref.y1) / 2) <= 0.5 * max(min(ln.y1 - ln.y0, ref.y1 - ref.y0), 1.0):
                last.append(ln)
                continue
        rows.append([ln])
    for r in rows:
        r.sort(key=lambda ln: ln.x0)
    return rows


def _is_grid(row: list, text_width: float) -> bool:
    if len(row) < 2:
        return False
    if any(b.x0 - a.x1 < MIN_GAP for a, b in zip(row, row[1:])):
        return False
    widths = [ln.x1 - ln.x0 for ln in row]
    return len(row) >= 3 or max(widths) < MAX_PROSE_CELL * text_width or min(widths) < KEY_CELL * text_width


def _union(spans: list[tuple[float, float]]) -> list[list[float]]:
    cols: list[list[float]] = []
    for a, z in sorted(spans):
        if cols and a <= cols[-1][1]:
            cols[-1][1] = max(cols[-1][1], z)
        else:
            cols.append([a, z])
    return cols


def _columns(rows: list[list]) -> list[tuple[float, float]]:
    """x-intervals of the columns: the union of the grid rows' cell extents. Where a few wide cells (a section's
    title across the figures, a head over two columns) would merge columns that the fullest rows keep apart, the
    columns are the fullest rows' (at least ``MIN_ROWS`` rows with all but one of the most cells a row has, or with
    the most alone where a row short of one cell has a wide one too: an average's label over two columns), and
    the other rows add only the columns they hold alone; a wide cell then spans columns (:func:`_column_of`)."""
    grid = [r for r in rows if len(r) >= 2]
    cols = _union([(ln.x0, ln.x1) for r in grid for ln in r])
    most = max((len(r) for r in grid), default=0)
    full = [r for r in grid if len(r) >= most - 1]
    if len(full) < MIN_ROWS or most <= len(cols):
        return [(a, z) for a, z in cols]
    dense = _union([(ln.x0, ln.x1) for r in full for ln in r])
    fullest = [r for r in grid if len(r) == most]
    if len(dense) <= len(cols) and len(fullest) >= MIN_ROWS:
        dense = _union([(ln.x0, ln.x1) for r in fullest for ln in r])
    if len(dense) <= len(cols):
        return [(a, z) for a, z in cols]
    alone = [(ln.x0, ln.x1) for r in grid for ln in r
             if not any(min(z, ln.x1) > max(a, ln.x0) for a, z in dense)]
    return sorted((a, z) for a, z in dense + _union(alone))


def _column_of(ln, cols) -> int:
    """The column a line falls in: the one its centre is in, or nearest; a line over several columns (a spanning
    cell), the first of them."""
    over = [i for i, (a, z) in enumerate(cols) if min(z, ln.x1) > max(a, ln.x0)]
    if len(over) > 1:
        return over[0]
    cx = (ln.x0 + ln.x1) / 2
    best = min(range(len(cols)), key=lambda i: 0 if cols[i][0] <= cx <= cols[i][1] else
               min(abs(cx - cols[i][0]), abs(cx - cols[i][1])))
    return best


def may_hold_tables(lines: list, text_width: float) -> bool:
    """Whether the page has enough grid rows to look for tables (the router's test; most pages fail it)."""
    if len(lines) < MIN_ROWS * 2 or text_width <= 0:
        return False
    return sum(_is_grid(r, text_width) for r in _rows(lines)) >= MIN_ROWS


def find_tables(lines: list, text_width: float, words: list | None = None, rules: list | None = None,
                vrules: list | None = None) -> list[Table]:
    """Tables among ``lines`` (body lines of one page, ``ocr.layout.Line``), in top-to-bottom order. ``words``: the
    page's words ``(x0, y0, x1, y1, text)``: MuPDF keeps cells that sit close on one line ("34.1   2.42") and the
    words' gaps split them. ``rules``: the page's horizontal rules ``(x0, x1, y)``, which join the lines of a
    cell that wraps (:func:`ruled_rows`); with the vertical ones, ``vrules`` ``(y0, y1, x)``, they draw grids, whose
    cells are read from the grid (:func:`lattice_tables`) and the rest of the page from its baselines."""
    latt = lattice_tables(lines, words, rules, vrules)
    if latt:
        inside = {id(ln) for t in latt for ln in t.lines}
        lines = [ln for ln in lines if id(ln) not in inside]
        return _continued(sorted(latt + find_tables(lines, text_width, words, rules), key=lambda t: t.y0))
    if len(lines) < MIN_ROWS * 2 or text_width <= 0:
        return []
    rows = _rows(lines)
    grid = [_is_grid(r, text_width) for r in rows]
    if sum(grid) < MIN_ROWS:
        return []
    tables = []
    i = done = 0
    while i < len(rows):
        if not grid[i]:
            i += 1
            continue
        j = i + 1
        members = [rows[i]]
        while j < len(rows):
            prev = members[-1]
            height = max(ln.y1 - ln.y0 for ln in prev)
            gap = min(ln.y0 for ln in rows[j]) - max(ln.y1 for ln in prev)
            if gap > ROW_GAP * height and not (grid[j] and _ruled_apart(prev, rows[j], rules)):
                break
            if not grid[j] and not _continues(rows[j], members) and not _in_band(rows[j], members, rules) and not (
                    j + 1 < len(rows) and grid[j + 1] and _first_column_line(rows[j], rows[j + 1], members)):
                break
            members.append(rows[j])
            j += 1
        cols = _columns(members)
        while i - 1 >= done and not grid[i - 1] and _in_band(rows[i - 1], members, rules, above=True) and all(
                sum(min(z, ln.x1) > max(a, ln.x0) for a, z in cols) == 1 for ln in rows[i - 1]):
            i -= 1  # a header's first lines, each over one column, under the table's top rule
            members.insert(0, rows[i])
        done = j
        members = _below_lead_in(members, rules)
        table = _build(members, text_width, rules)
        if table is not None and words:
            inside = [w for w in words if table.x0 - 1 <= (w[0] + w[2]) / 2 <= table.x1 + 1
                      and table.y0 - 1 <= (w[1] + w[3]) / 2 <= table.y1 + 1]
            table = _build([[seg for ln in r for seg in _split(ln, inside)] for r in members], text_width,
                           rules) or table
        if table is not None:
            tables.append(table)
        i = j
    return tables


CONTINUED_GAP = 12.0  # points between a table and the next one below it on the same columns: one table


def _continued(tables: list[Table]) -> list[Table]:
    """Tables read in two parts (the rows above a grid read from their baselines, the grid from its rules) that
    follow each other on the same columns, joined: the header stays the header of every row."""
    out: list[Table] = []
    for t in tables:
        if out:
            p = out[-1]
            overlap = min(p.x1, t.x1) - max(p.x0, t.x0)
            if (0 <= t.y0 - p.y1 <= CONTINUED_GAP and len(p.rows[0]) == len(t.rows[0])
                    and overlap >= 0.8 * max(p.x1 - p.x0, t.x1 - t.x0)):
                out[-1] = Table(min(p.x0, t.x0), p.y0, max(p.x1, t.x1), t.y1, p.rows + t.rows, p.lines + t.lines)
                continue
        out.append(t)
    return out


SNAP = 2.0  # points: rules this close are one line of a grid
MAX_GAP = 150.0  # points between two pieces of one grid whose rows between are ruled but not divided into cells
MAX_CROSSINGS = 250_000  # horizontal x vertical rules compared at most (a chart drawn with thousands of strokes)


def _snap(values: list[float]) -> list[float]:
    groups: list[list[float]] = []
    for v in sorted(values):
        if groups and v - groups[-1][-1] <= SNAP:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [sum(g) / len(g) for g in groups]


def _grids(hrules: list, vrules: list) -> list[tuple[list, list]]:
    """Groups of crossing rules (horizontal, vertical) that draw at least two rows and two columns of cells."""
    h = np.asarray(hrules, dtype=float)
    v = np.asarray(vrules, dtype=float)
    cross = ((h[:, None, 0] - SNAP <= v[None, :, 2]) & (v[None, :, 2] <= h[:, None, 1] + SNAP)
             & (v[None, :, 0] - SNAP <= h[:, None, 2]) & (h[:, None, 2] <= v[None, :, 1] + SNAP))
    seen_h, seen_v = np.zeros(len(h), bool), np.zeros(len(v), bool)
    out = []
    for start in range(len(h)):
        if seen_h[start] or not cross[start].any():
            continue
        hs, vs = {start}, set()
        todo_h, todo_v = [start], []
        seen_h[start] = True
        while todo_h or todo_v:
            if todo_h:
                for j in np.flatnonzero(cross[todo_h.pop()] & ~seen_v):
                    seen_v[j] = True
                    vs.add(int(j))
                    todo_v.append(int(j))
            else:
                for i in np.flatnonzero(cross[:, todo_v.pop()] & ~seen_h):
                    seen_h[i] = True
                    hs.add(int(i))
                    todo_h.append(int(i))
        out.append(([hrules[i] for i in hs], [vrules[j] for j in vs]))
    # one table drawn in pieces (rows ruled one by one; rows shaded but not divided): pieces stacked on the same
    # columns join
    out.sort(key=lambda g: min(r[2] for r in g[0]))
    joined: list[tuple[list, list]] = []
    for hh, vv in out:
        if joined:
            ph, pv = joined[-1]
            xs, pxs = _snap([r[2] for r in vv]), _snap([r[2] for r in pv])
            top, bottom = max(r[2] for r in ph), min(r[2] for r in hh)
            between = [r for r in hrules if top + SNAP < r[2] < bottom - SNAP and xs[0] - SNAP <= r[0]
                       and r[1] <= xs[-1] + SNAP]
            if (len(xs) == len(pxs) and all(abs(a - b) <= 2 * SNAP for a, b in zip(xs, pxs))
                    and (bottom - top <= 2 * SNAP or between and bottom - top <= MAX_GAP)):
                joined[-1] = (ph + between + hh, pv + vv)  # rows between them ruled (shaded) but not divided
                continue
        joined.append((hh, vv))
    return [(hh, vv) for hh, vv in joined
            if len(_snap([r[2] for r in hh])) >= 3 and len(_snap([r[2] for r in vv])) >= 3]


_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")  # Hebrew and Arabic letters


def _baselines(items: list, box=lambda it: it) -> list[list]:
    """``items`` grouped into visual lines, top to bottom: an item joins the line whose first item's centre lies within
    half its own height. ``box(item)`` gives its ``(x0, y0, x1, y1, ...)``."""
    lines: list[list] = []
    for it in sorted(items, key=lambda it: (box(it)[1] + box(it)[3]) / 2):
        b = box(it)
        if lines and (b[1] + b[3]) / 2 - (box(lines[-1][0])[1] + box(lines[-1][0])[3]) / 2 <= 0.5 * (b[3] - b[1]):
            lines[-1].append(it)
        else:
            lines.append([it])
    return lines


def _cell_text(items: list) -> str:
    """Lines (or words) of one cell in reading order: visual lines top to bottom, each left to right (right to left
    for words in Hebrew or Arabic script)."""
    return " ".join(it[4] for r in _baselines(items)
                    for it in sorted(r, key=lambda it: -it[0] if _RTL.search(it[4]) else it[0]))


def lattice_tables(lines: list, words: list | None, hrules: list | None, vrules: list | None) -> list[Table]:
    """Tables drawn as grids (ruled rows and columns). A cell holds the lines whose centres lie in it; a line that
    crosses a column rule is cut into its words, each to its own cell. A cell that no rule divides from its left
    neighbour spans both (its text goes to the first); rows and columns with no text are dropped. A grid needs two
    rows and two columns of text, and no text beside it on its rows (rules between some columns of a wider table
    leave that table to the baselines)."""
    if not words or not hrules or not vrules or len(hrules) < 3 or len(vrules) < 3:
        return []
    if len(hrules) * len(vrules) > MAX_CROSSINGS:
        return []
    tables = []
    for hh, vv in _grids(hrules, vrules):
        ys, xs = _snap([r[2] for r in hh]), _snap([r[2] for r in vv])
        x0, y0, x1, y1 = xs[0], ys[0], xs[-1], ys[-1]
        inside = [ln for ln in lines if x0 < (ln.x0 + ln.x1) / 2 < x1 and y0 < (ln.y0 + ln.y1) / 2 < y1]
        reach = (x1 - x0) / 3
        if any(y0 < (ln.y0 + ln.y1) / 2 < y1 and (x0 - reach < ln.x1 <= x0 or x1 <= ln.x0 < x1 + reach)
               for ln in lines):
            continue  # text beside the grid on its rows: the rules draw part of a wider table (inner column rules)
        grid_words = [w for w in words if x0 < (w[0] + w[2]) / 2 < x1 and y0 < (w[1] + w[3]) / 2 < y1]

        at_x: list[list[tuple[float, float]]] = [[] for _ in xs]  # each x position's vertical rules
        for a, z, x in vv:
            at_x[min(range(len(xs)), key=lambda k: abs(xs[k] - x))].append((a, z))
        divided: dict[int, list[bool]] = {}  # per row: whether a rule stands at each of the grid's x positions

        def cell(cx: float, cy: float) -> tuple[int, int]:
            r, c = bisect.bisect(ys, cy) - 1, bisect.bisect(xs, cx) - 1
            if r not in divided:
                mid = (ys[r] + ys[r + 1]) / 2
                divided[r] = [any(a - SNAP <= mid <= z + SNAP for a, z in segs) for segs in at_x]
            if any(divided[r][1:-1]):  # a row with no inner rule (shaded, not divided) is read by the columns
                while c > 0 and not divided[r][c]:
                    c -= 1  # no rule on this cell's left in this row: it spans the cell to its left
            return r, c

        cells: dict[tuple[int, int], list] = {}
        for ln in inside:
            cy = (ln.y0 + ln.y1) / 2
            if cell(ln.x0 + 1, cy) == cell(ln.x1 - 1, cy):
                cells.setdefault(cell((ln.x0 + ln.x1) / 2, cy), []).append((ln.x0, ln.y0, ln.x1, ln.y1, ln.text))
                continue
            for w in grid_words:
                if ln.x0 - 1 <= (w[0] + w[2]) / 2 <= ln.x1 + 1 and ln.y0 - 1 <= (w[1] + w[3]) / 2 <= ln.y1 + 1:
                    cells.setdefault(cell((w[0] + w[2]) / 2, (w[1] + w[3]) / 2), []).append(w)
        rows = _grid_rows(cells)
        cols = sorted({c for _, c in cells})
        if len(rows) < 2 or len(cols) < 2:
            continue
        out = [[_cell_text(row.get(c, [])) for c in cols] for row in rows]
        out = _heads_over_their_columns(out, [(xs[c], xs[c + 1]) for c in cols])
        tables.append(Table(x0, y0, x1, y1, out, inside))
    return tables


def _grid_rows(cells: dict[tuple[int, int], list]) -> list[dict[int, list]]:
    """A grid's rows ({column: items}), top to bottom: each ruled row, or its text rows where two or more of them
    hold a number (rows ruled as a group, "OTSL" over "HTML", as :func:`_joinable` keeps them)."""
    out: list[dict[int, list]] = []
    for r in sorted({r for r, _ in cells}):
        lines = _baselines([(it, c) for (rr, c), its in cells.items() if rr == r for it in its], lambda ic: ic[0])
        numeric = sum(1 for ln in lines if any(NUMBER.fullmatch(it[4]) for it, _ in ln))
        groups = lines if len(lines) >= 2 and numeric >= 2 else [[ic for ln in lines for ic in ln]]
        for g in groups:
            row: dict[int, list] = {}
            for it, c in g:
                row.setdefault(c, []).append(it)
            out.append(row)
    return out


@dataclass
class _Cell:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    source: object  # the line it was cut from


def _split(ln, words: list) -> list:
    """The line cut into cells where its words are more than ``CELL_GAP`` font sizes apart."""
    inside = sorted((w for w in words if ln.x0 - 1 <= (w[0] + w[2]) / 2 <= ln.x1 + 1
                     and ln.y0 - 1 <= (w[1] + w[3]) / 2 <= ln.y1 + 1), key=lambda w: w[0])
    if len(inside) < 2:
        return [ln]
    cells, cur = [], [inside[0]]
    for w in inside[1:]:
        if w[0] - cur[-1][2] > CELL_GAP * ln.size:
            cells.append(cur)
            cur = [w]
        else:
            cur.append(w)
    cells.append(cur)
    if len(cells) == 1:
        return [ln]
    return [_Cell(c[0][0], min(w[1] for w in c), c[-1][2], max(w[3] for w in c), " ".join(w[4] for w in c), ln)
            for c in cells]


LEAD_IN = 3  # rows at most above a table's top rule that are not of the table (a form's fields over a lab report)
_FIELD = re.compile(r"\w[^:\uff1a]{0,40}[:\uff1a]")  # a form field's label: "Sample type:", "样本类型:"


def _below_lead_in(members: list[list], rules: list | None) -> list[list]:
    """The run without the rows above a rule across it when those rows are a form's fields ("label: value" in most
    of their cells), not header rows of the table below: a lab report's patient fields over its results."""
    if not rules or len(members) <= MIN_ROWS:
        return members
    flat = [ln for r in members for ln in r]
    x0, x1 = min(ln.x0 for ln in flat), max(ln.x1 for ln in flat)
    ys = _spanning(rules, x0, x1)
    for k in range(min(LEAD_IN, len(members) - MIN_ROWS), 0, -1):
        if any(_centre(members[k - 1]) < y < _centre(members[k]) for y in ys) and all(
                2 * sum(bool(_FIELD.match(ln.text)) for ln in r) > len(r) for r in members[:k]):
            return members[k:]
    return members


def _centre(row: list) -> float:
    return sum((ln.y0 + ln.y1) / 2 for ln in row) / len(row)


def _spanning(rules: list, x0: float, x1: float) -> list[float]:
    """The heights of the horizontal rules that span at least half of x0..x1."""
    return [y for a, z, y in rules if min(z, x1) - max(a, x0) >= 0.5 * (x1 - x0)]


def _in_band(row: list, members: list[list], rules: list | None, above: bool = False) -> bool:
    """Whether a row of one line belongs to the table of ``members``, whose rows are ruled, as a line of its last row
    (of its first when ``above``): rules lie between the table's rows, none between ``row`` and that row, and one
    across both closes the row within a line height or two on ``row``'s side (a wrapped cell of a grid; a header's
    first line under the table's top rule). A frame around a block (rules above and below it only) is no grid."""
    if not rules:
        return False
    near = members[0] if above else members[-1]
    flat = row + near
    x0, x1 = min(ln.x0 for ln in flat), max(ln.x1 for ln in flat)
    ys = _spanning(rules, x0, x1)
    if not above and (x0 < min(ln.x0 for ln in near) - 1 or x1 > max(ln.x1 for ln in near) + 1) and not (
            len(row) == 1 and _centred_in_band(row[0], ys)
            and sum(min(z, row[0].x1) > max(a, row[0].x0) for a, z in _columns(members)) == 1):
        return False  # a wrapped cell's line lies under the row it wraps; a label set at its band's middle, in one
        # of the table's columns, may lie anywhere
    centres = [_centre(r) for r in members]
    if not any(a < y < b for a, b in zip(centres, centres[1:]) for y in ys):
        return False
    lo, hi = sorted((_centre(row), _centre(near)))
    height = max(ln.y1 - ln.y0 for ln in flat)
    if any(lo < y < hi for y in ys):
        return False
    if above:
        return any(min(ln.y0 for ln in row) - ROW_GAP * height <= y < lo for y in ys)
    return any(hi < y <= max(ln.y1 for ln in row) + ROW_GAP * height for y in ys)


def _centred_in_band(ln, ys: list[float]) -> bool:
    """Whether a line lies at the middle, within half its height, of the band between the rules above and below it."""
    cy, h = (ln.y0 + ln.y1) / 2, ln.y1 - ln.y0
    above, below = [y for y in ys if y < ln.y0], [y for y in ys if y > ln.y1]
    return bool(above and below) and abs((max(above) + min(below)) / 2 - cy) <= 0.5 * h


def _ruled_apart(row: list, below: list, rules: list | None) -> bool:
    """Two grid rows up to ``RULED_ROW_GAP`` line heights apart, each between two rules across both, one rule
    between them: a table ruled row by row, its rows set with room around each rule (an invoice's items). A rule
    that only closes a table (no rule over its last row, or none under the next) joins nothing."""
    if not rules:
        return False
    flat = row + below
    x0, x1 = min(ln.x0 for ln in flat), max(ln.x1 for ln in flat)
    top, bottom = min(ln.y0 for ln in row), max(ln.y1 for ln in below)
    mid_top, mid_bottom = max(ln.y1 for ln in row), min(ln.y0 for ln in below)
    reach = RULED_ROW_GAP * max(ln.y1 - ln.y0 for ln in flat)
    if mid_bottom - mid_top > reach:
        return False
    ys = _spanning(rules, x0, x1)
    return (len(_snap([y for y in ys if mid_top < y < mid_bottom])) == 1 and any(top - reach <= y < top for y in ys)
            and any(bottom < y <= bottom + reach for y in ys))


def _continues(row: list, members: list[list]) -> bool:
    """A one-line row that wraps a cell of the table above: it starts right of the table's first cell."""
    if len(row) != 1:
        return False
    first_col_x1 = min(r[0].x1 for r in members if len(r) >= 2)
    return row[0].x0 > first_col_x1


LABEL_WORDS = 8


def _first_column_line(row: list, below: list, members: list[list]) -> bool:
    """A line alone in the table's first column between two of its rows: the rest of a first cell set on two lines
    ("Democratic Republic of the Congo - République" / "démocratique du Congo") or a section's label ("AFRICA"),
    short, starting where the first column does, with the table going on right under it."""
    if len(row) != 1 or len(row[0].text.split()) > LABEL_WORDS:
        return False
    ln = row[0]
    height = ln.y1 - ln.y0
    left = min(r[0].x0 for r in members if len(r) >= 2)
    first_x1 = min(r[0].x1 for r in members if len(r) >= 2)
    return abs(ln.x0 - left) <= 2.0 and ln.x1 < below[1].x0 and ln.x0 < first_x1 and \
        min(b.y0 for b in below) - ln.y1 <= ROW_GAP * height


def _justified_prose(members: list[list], cols: list[tuple[float, float]]) -> bool:
    """Columns of running text beside each other, not a table: the columns where most lines fill the column's
    width and hold several words (table cells vary in width: numbers, short labels) hold most of the text."""
    prose = total = 0
    for a, z in cols:
        # a row's part in this column (MuPDF splits a widely justified line into several lines)
        parts = [[ln for ln in r if a <= (ln.x0 + ln.x1) / 2 <= z] for r in members]
        parts = [p for p in parts if p]
        chars = sum(len(ln.text) for p in parts for ln in p)
        total += chars
        full = sum(1 for p in parts if max(ln.x1 for ln in p) - min(ln.x0 for ln in p) >= PROSE_FILL * (z - a)
                   and sum(len(ln.text.split()) for ln in p) >= 4)
        if parts and full >= 0.7 * len(parts):
            prose += chars
    return total > 0 and prose >= 0.7 * total


_WORD_START = re.compile(r"[a-z]+(?:[\s,.;:]|$)")  # a lower-case word (not "bis(4-chlorophenyl)", not "1000 ppm")
_GLUE = frozenset("the a an of to in on for and or with by as at from that which than under is are be".split())
FLOW = 0.6  # share of a column's cell pairs that read on as one sentence ("... the reason for any" / "recommended")


def _flowing_prose(out: list[list[str]]) -> bool:
    """Columns of text cut into rows, not a table: in two or more columns (or the column holding most of the text),
    most cells of four or more words run on into the cell below as one sentence does (a word or a comma, then a
    lower-case word; or a cell that ends in "the", "of", "and", ...). A table's cells start afresh in each row."""
    flowing, chars, total = 0, 0, 0
    for k in range(len(out[0]) if out else 0):
        cells = [r[k] for r in out if k < len(r) and r[k]]
        total += sum(map(len, cells))
        pairs = [(a, b) for a, b in zip(cells, cells[1:]) if len(a.split()) >= 4]
        if len(pairs) < 3:
            continue
        runs_on = sum(1 for a, b in pairs if _runs_on(a, b, ",-"))
        if runs_on >= FLOW * len(pairs):
            flowing += 1
            chars += sum(map(len, cells))
    if flowing >= 2 or (total > 0 and chars >= 0.5 * total):
        return True
    # a justified line cut at its wide spaces: along the rows, most cells of two or more words go on from the cell
    # before them
    pairs = [(a, b) for r in out for a, b in zip(r, r[1:]) if len(a.split()) >= 2 and len(b.split()) >= 2]
    return len(pairs) >= 6 and sum(1 for a, b in pairs if _runs_on(a, b)) >= FLOW * len(pairs)


def _runs_on(a: str, b: str, also: str = "") -> bool:
    """Cell ``b`` goes on from cell ``a`` as a sentence does: ``a`` ends in a letter (or one of ``also``) and ``b``
    starts with a lower-case word, or ``a`` ends in "the", "of", "and", ..."""
    return (a[-1].isalpha() or a[-1] in also) and bool(
        _WORD_START.match(b) or a.rsplit(None, 1)[-1].lower() in _GLUE)


RULED_BAND = 4  # text rows at most between two rules of a fully ruled table (a cell wrapped onto four lines)


def _joinable(band: list[list]) -> bool:
    """Whether a band's text rows are the lines of one row: not two rows that each hold a number (the rows of a
    group ruled together, "OTSL" over "HTML", are data rows of their own)."""
    return sum(1 for r in band if any(NUMBER.fullmatch(ln.text) for ln in r)) < 2


def _one_wrapped_cell(band: list[list], cols: list[tuple[float, float]]) -> bool:
    """Whether a band's lines are one paragraph wrapped onto many lines (one block of the layer) beside cells of one
    line each (a description between its label and its value, each set at the band's middle)."""
    per: dict[int, list] = {}
    for r in band:
        for ln in r:
            per.setdefault(_column_of(ln, cols), []).append(ln)
    wrapped = [lines for lines in per.values() if len(lines) > 1]
    return len(wrapped) <= 1 and all(len({getattr(ln, "block", None) for ln in lines}) == 1 for lines in wrapped)


def ruled_rows(members: list[list], rules: list | None) -> list[list]:
    """Rows of a table whose rules mark its rows: text rows that no rule separates are one row, their cells' lines
    joined. A rule separates two text rows when it lies between their centres and spans half the table's width.
    Every band between rules is a row when there are three or more bands of at most ``RULED_BAND`` text rows, or of
    one paragraph beside one-line cells (a grid, rows banded by shading, a certificate's categories); otherwise only
    a header of two or three text rows above the first rule is joined (a booktabs table: rules above and below the
    header and at the end, none between body rows). A band whose text rows each hold a number is left as rows
    (:func:`_joinable`)."""
    if not rules or len(members) < 2:
        return members
    flat = [ln for r in members for ln in r]
    x0, x1 = min(ln.x0 for ln in flat), max(ln.x1 for ln in flat)
    ys = _spanning(rules, x0, x1)
    if not ys:
        return members
    centres = [_centre(r) for r in members]
    bands = [[members[0]]]
    for k in range(1, len(members)):
        if any(centres[k - 1] < y < centres[k] for y in ys):
            bands.append([])
        bands[-1].append(members[k])
    if len(bands) == 1:
        return members
    long = [b for b in bands if len(b) > RULED_BAND]
    cols = _columns(members) if long else []
    if len(bands) >= 3 and all(_one_wrapped_cell(b, cols) for b in long):
        join = [_joinable(b) for b in bands]
    elif len(bands[0]) in (2, 3) and len(bands[0]) < len(bands[1]):
        join = [_joinable(bands[0])] + [False] * (len(bands) - 1)
    else:
        return members
    if not any(join):
        return members
    out: list[list] = []
    for band, j in zip(bands, join):
        out += [[ln for r in band for ln in r]] if j else band
    return out


def _build(members: list[list], text_width: float, rules: list | None = None) -> Table | None:
    if sum(1 for r in members if len(r) >= 2) < MIN_ROWS:
        return None
    cols = _columns(members)
    if len(cols) < 2:
        return None
    out: list[list[str]] = []
    rows = ruled_rows(members, rules)
    for r in rows:
        cells = [""] * len(cols)
        for ln in r:
            k = _column_of(ln, cols)
            cells[k] = (cells[k] + " " + ln.text).strip()
        if len(r) == 1 and out:  # a wrapped cell's next line; in the first column, unless it starts afresh
            k = _column_of(r[0], cols)
            if k or not r[0].text[:1].isupper():
                out[-1][k] = (out[-1][k] + " " + r[0].text).strip()
                continue
        out.append(cells)
    # rows read from rules around each of them (bands joined) are a table's though a column holds prose
    ruled = rows is not members and len(out) >= MIN_ROWS
    if len(out) < (MIN_ROWS if rows is members else 2) or not ruled and _justified_prose(members, cols) or \
            _flowing_prose(out):
        return None
    out = _heads_over_their_columns(out, cols)
    flat = [getattr(ln, "source", ln) for r in members for ln in r]
    return Table(min(ln.x0 for ln in flat), min(ln.y0 for ln in flat), max(ln.x1 for ln in flat),
                 max(ln.y1 for ln in flat), out, flat)


def _heads_over_their_columns(out: list[list[str]], cols: list[tuple[float, float]]) -> list[list[str]]:
    """A column that holds only its head (the first row's cell) beside a column with no head of its own is one
    column: a head set centred over figures set left or right lands in a column of its own ("Start Address" over
    "0x0000 0000"). The head joins the nearer such neighbour."""
    k = 0
    while k < len(cols) and len(out) >= MIN_ROWS:
        heads_only = out[0][k] and not any(r[k] for r in out[1:])
        sides = [j for j in (k - 1, k + 1) if 0 <= j < len(cols) and not out[0][j] and any(r[j] for r in out[1:])]
        if not heads_only or not sides:
            k += 1
            continue
        j = min(sides, key=lambda j: max(cols[j][0] - cols[k][1], cols[k][0] - cols[j][1]))
        out[0][j] = out[0][k]
        for r in out:
            del r[k]
        cols = cols[:k] + cols[k + 1:]
    return out
