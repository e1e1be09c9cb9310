"""Tables in a page's text layer, found from the lines' geometry and written as markdown.

In born-digital PDFs each table cell is its own text line, and the cells of a row share a baseline.
A *grid row* is a set of lines on one baseline, apart from each other, that is not two columns of
prose (three or more cells, cells all narrower than ``MAX_PROSE_CELL`` of the text width, or one as narrow
as a key column, ``KEY_CELL``). A
table is a run of at least ``MIN_ROWS`` grid rows close together (lines under a cell that wrap its
text are joined to that cell). Its columns are the union of the cells' x-extents across the rows;
a run whose cells do not fall into at least two columns is not a table. Cost: one sort of the
page's lines (well under a millisecond); pages without grid rows are not looked at further, which
is the router's fast path (``ocr.layout``).
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_ROWS = 3
MIN_GAP = 6.0  # points between two cells of a row
MAX_PROSE_CELL = 0.4  # share of the text width: two cells wider than this are two columns of prose
KEY_CELL = 0.2  # ... unless one of them is narrower than this (a table's key column)
ROW_GAP = 2.2  # a table's rows are at most this many line heights apart


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


def _columns(rows: list[list]) -> list[tuple[float, float]]:
    """x-intervals of the columns: the union of the grid rows' cell extents."""
    spans = sorted((ln.x0, ln.x1) for r in rows if len(r) >= 2 for ln in r)
    cols: list[list[float]] = []
    for a, z in spans:
        if cols and a <= cols[-1][1]:
            cols[-1][1] = max(cols[-1][1], z)
        else:
            cols.append([a, z])
    return [(a, z) for a, z in cols]


def _column_of(ln, cols) -> int:
    cx = (ln.x0 + ln.x1) / 2
    best = min(range(len(cols)), key=lambda i: 0 if cols[i][0] <= cx <= cols[i][1] else
               min(abs(cx - cols[i][0]), abs(cx - cols[i][1])))
    return best


def find_tables(lines: list, text_width: float) -> list[Table]:
    """Tables among ``lines`` (body lines of one page, ``ocr.layout.Line``), in top-to-bottom order."""
    if len(lines) < MIN_ROWS * 2 or text_width <= 0:
        return []
    rows = _rows(lines)
    grid = [_is_grid(r, text_width) for r in rows]
    if sum(grid) < MIN_ROWS:
        return []  # the fast path: most pages stop here
    tables = []
    i = 0
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
            if gap > ROW_GAP * height:
                break
            if not grid[j] and not _continues(rows[j], members):
                break
            members.append(rows[j])
            j += 1
        table = _build([r for r in members], text_width)
        if table is not None:
            tables.append(table)
        i = j
    return tables


def _continues(row: list, members: list[list]) -> bool:
    """A one-line row that wraps a cell of the table above: it starts right of the table's first cell."""
    if len(row) != 1:
        return False
    first_col_x1 = min(r[0].x1 for r in members if len(r) >= 2)
    return row[0].x0 > first_col_x1


def _build(members: list[list], text_width: float) -> Table | None:
    if sum(1 for r in members if len(r) >= 2) < MIN_ROWS:
        return None
    cols = _columns(members)
    if len(cols) < 2:
        return None
    out: list[list[str]] = []
    for r in members:
        cells = [""] * len(cols)
        for ln in r:
            k = _column_of(ln, cols)
            cells[k] = (cells[k] + " " + ln.text).strip()
        if len(r) == 1 and out:  # a wrapped cell's next line
            k = _column_of(r[0], cols)
            out[-1][k] = (out[-1][k] + " " + r[0].text).strip()
            continue
        out.append(cells)
    if len(out) < MIN_ROWS:
        return None
    flat = [ln for r in members for ln in r]
    return Table(min(ln.x0 for ln in flat), min(ln.y0 for ln in flat), max(ln.x1 for ln in flat),
                 max(ln.y1 for ln in flat), out, flat)
