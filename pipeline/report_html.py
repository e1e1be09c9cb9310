"""The report's HTML building blocks: the small public API a stage's report section is written with.

``winnow report`` (:mod:`pipeline.report`) builds the run-wide sections itself and then asks every
registered stage for its own (``Stage.report_section(rd)``, see :mod:`pipeline.stage`). A stage module
imports this module inside its hook, never at module level, so loading a stage loads no report code::

    @classmethod
    def report_section(cls, rd):
        from pipeline import report_html as h

        if not rd.has("shout_share"):
            return h.section("section-shout", "Shouting", h.status("shout", h.NOT_RUN, "shout_v1 did not run."))
        rows = rd.rows("select kept, count(*) from all_documents where shout_share > 0.5 group by 1")
        return h.section("section-shout", "Shouting", h.table(["", "documents"], [(h.kept(k), n) for k, n in rows]))

Everything that comes from the run (text, names, ids) is HTML-escaped by these helpers; markup a
caller builds itself goes through :func:`esc`. A stage-specific section says whether its stage ran
with :func:`status` (``<p id="<name>-status">``: ``not run``, ``none found`` or ``found``), so a stage
that is registered but absent from the run still has its section, saying so.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any, Iterable

from pipeline.report_data import RunData, ran_stage

NOT_RUN, NONE_FOUND, FOUND = "not run", "none found", "found"


def esc(v: Any) -> str:
    """``v`` as text safe inside HTML (``None`` is the empty string)."""
    return html.escape("" if v is None else str(v), quote=True)


def num(v: Any) -> str:
    """A value as a table shows it: thousands separators, three significant decimals, ``–`` for none."""
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if math.isnan(v):
            return "–"
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e6):
            return f"{v:.3g}"
        return f"{v:,.3f}".rstrip("0").rstrip(".") if abs(v) < 1000 else f"{v:,.1f}"
    return esc(v)


def pct(part: float | None, whole: float | None) -> str:
    """``part`` as a percentage of ``whole`` with one decimal, ``–`` when there is no whole."""
    return "–" if not whole or part is None else f"{100.0 * part / whole:.1f}%"


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def cell_num(text: str) -> tuple[str, str]:
    """A table cell of pre-formatted text, right-aligned."""
    return ("num", text)


def cell_html(markup: str) -> tuple[str, str]:
    """A table cell of markup (already escaped)."""
    return ("html", markup)


def code(v: Any) -> tuple[str, str]:
    """A table cell of ``<code>``: ids, hashes, commands."""
    return cell_html(f"<code>{esc(v)}</code>")


def table(headers: list[str], rows: Iterable[Iterable[Any]], table_id: str | None = None,
          empty: str = "none", head: bool = True) -> str:
    """A table; numbers (and :func:`cell_num` cells) are right-aligned, text is escaped, ``empty`` fills a table
    without rows."""
    body = []
    for row in rows:
        cells = []
        for v in row:
            if isinstance(v, tuple) and len(v) == 2 and v[0] == "num":
                cells.append(f'<td class="num">{v[1]}</td>')
            elif isinstance(v, tuple) and len(v) == 2 and v[0] == "html":
                cells.append(f"<td>{v[1]}</td>")
            elif is_number(v) or v is None:
                cells.append(f'<td class="num">{num(v)}</td>')
            else:
                cells.append(f"<td>{esc(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(headers)}" class="empty">{esc(empty)}</td></tr>')
    tid = f' id="{esc(table_id)}"' if table_id else ""
    thead = "<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr></thead>" if head else ""
    return f"<table{tid}>{thead}<tbody>{''.join(body)}</tbody></table>"


def section(sid: str, title: str, *parts: str, nav: str | None = None) -> str:
    """``<section id="sid">`` with an ``<h2>`` title and the non-empty ``parts``. The page's navigation links it
    by its title, or by ``nav`` where the title is too long for the bar."""
    h2 = f'<h2 data-nav="{esc(nav)}">' if nav else "<h2>"
    return f'<section id="{sid}">{h2}{esc(title)}</h2>\n' + "\n".join(p for p in parts if p) + "\n</section>"


def note(text: str) -> str:
    """A paragraph of explanation under a table or plot."""
    return f'<p class="note">{esc(text)}</p>'


def status(name: str, state: str, text: str) -> str:
    """``<p id="<name>-status">``: whether a stage ran and found anything, in words a test can read."""
    cls = {NOT_RUN: "status off", NONE_FOUND: "status none"}.get(state, "status")
    return f'<p id="{esc(name)}-status" class="{cls}"><strong>{esc(state)}</strong>: {esc(text)}</p>'


def slug(name: str) -> str:
    """``name`` as a piece of an HTML id (lower case, runs of other characters as ``-``)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "x"


def img(png_b64: str, plot_id: str, alt: str) -> str:
    """An inline PNG (base64, as :mod:`pipeline.report_data`'s figures return it) with its caption."""
    return (f'<figure><img id="{esc(plot_id)}" class="plot" alt="{esc(alt)}" '
            f'src="data:image/png;base64,{png_b64}"><figcaption>{esc(alt)}</figcaption></figure>')


def kept(flag: bool) -> str:
    """The word for the ``kept`` column's value."""
    return "kept" if flag else "removed"


def stage_ran(rd: RunData, family: str) -> str:
    """`` (<stage>: N documents entered it)`` for the first stage of the run whose name starts with ``family``,
    or the empty string when none ran."""
    st = ran_stage(rd.stats, family)
    return f" ({st['stage']}: {st.get('in', 0):,} documents entered it)" if st else ""
