"""``winnow report OUT``: one self-contained HTML page (``OUT/report.html``) describing a run.

The page reads ``OUT/stats.json``, ``OUT/manifest.json`` and the parquet outputs
(through :func:`pipeline.query.connect`; every figure is an aggregate computed in
DuckDB, so no document text is loaded into Python), plus ``OUT/weights.json`` and
``OUT/fit.json`` when a mixture was fitted. Plots are matplotlib (Agg canvas, no
pyplot state) embedded as base64 PNG, styles are inline and fonts are the
system's: the file opens offline and makes no network request.

Sections (each only when it has data), with the ids tests and readers can link to:

=====================  ===================================================================
``section-summary``    name, config hash, input / kept / removed / skipped, conservation,
                       CPU seconds, versions, inputs and assets from the manifest
``section-funnel``     documents entering and kept per stage (``plot-funnel``), drop reasons
``section-skipped``    records that never became documents, by why
``section-languages``  kept vs removed per language, top 15 (``plot-languages``)
``section-length``     words per document, log scale, kept vs removed (``plot-length``)
``section-domains``    top 20 domains among kept documents
``section-quality``    one histogram per ``quality_*`` column (``plot-quality-<name>``)
``section-dedup``      kept documents by duplicate-cluster size (``plot-dup-clusters``),
                       dedup removals and the dedup stages' clustering summaries
``section-decontam``   documents matching a benchmark, by benchmark and kept/removed
``section-ocr``        PDF pages by extraction method (``plot-ocr``) when ``page_count`` /
                       ``ocr_pages`` have values; per-page methods are read from the
                       ``metadata`` JSON key ``page_methods`` (a list of method names, one
                       per page, a list of ``{"method": ...}`` objects, or a mapping
                       method -> page count) when present
``section-mixture``    ``weights.json`` as a bar chart (``plot-weights``) and table,
                       ``fit.json`` as a table of its keys, and ``plot-fit`` (predicted vs
                       observed) when it holds two such equal-length number lists
=====================  ===================================================================
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import duckdb

from pipeline.errors import WinnowError
from pipeline.query import connect

KEPT_COLOUR = "#2b6cb0"
REMOVED_COLOUR = "#dd6b20"
IN_COLOUR = "#cbd5e0"
PAGE_METHOD_KEYS = ("page_methods",)
_FIT_OBSERVED = ("observed", "actual", "y_true", "true", "targets", "target", "y")
_FIT_PREDICTED = ("predicted", "prediction", "predictions", "y_pred", "pred", "fitted")


def write_report(output_dir: str | Path) -> Path:
    """Write ``OUT/report.html`` for the run in ``output_dir`` and return its path."""
    out = Path(output_dir)
    page = build_report(out)
    path = out / "report.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path


def build_report(output_dir: str | Path) -> str:
    """The report page for ``output_dir`` as a string (see the module docstring for its sections)."""
    out = Path(output_dir)
    stats_path = out / "stats.json"
    if not stats_path.is_file():
        raise WinnowError(f"{out}: no stats.json (is this a run directory, and has the run finished?)")
    stats = _read_json(stats_path)
    manifest = _read_json(out / "manifest.json") if (out / "manifest.json").is_file() else {}
    con = connect(out)
    try:
        columns = {name: str(typ).upper() for name, typ, *_ in con.execute("describe all_documents").fetchall()}
        ctx = _Ctx(out, stats, manifest, con, columns)
        sections = [
            _summary(ctx),
            _funnel(ctx),
            _skipped(ctx),
            _languages(ctx),
            _length(ctx),
            _domains(ctx),
            _quality(ctx),
            _dedup(ctx),
            _decontam(ctx),
            _ocr(ctx),
            _mixture(ctx),
        ]
    finally:
        con.close()
    sections = [s for s in sections if s]
    return _page(ctx, sections)


class _Ctx:
    def __init__(self, out: Path, stats: dict, manifest: dict, con, columns: dict[str, str]):
        self.out, self.stats, self.manifest, self.con, self.columns = out, stats, manifest, con, columns

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def one(self, sql: str, params: list | None = None) -> tuple:
        return self.con.execute(sql, params or []).fetchone()


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise WinnowError(f"{path}: cannot read JSON ({e})") from None


# ----------------------------------------------------------------------------------------------- HTML bits


def esc(v: Any) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def _num(v: Any) -> str:
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


def _pct(part: float, whole: float) -> str:
    return "–" if not whole else f"{100.0 * part / whole:.1f}%"


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _table(headers: list[str], rows: Iterable[Iterable[Any]], table_id: str | None = None, caption: str | None = None) -> str:
    """A table; numbers (and cells given as ``("num", text)``) are right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for v in row:
            if isinstance(v, tuple) and len(v) == 2 and v[0] == "num":
                cells.append(f'<td class="num">{v[1]}</td>')
            elif isinstance(v, tuple) and len(v) == 2 and v[0] == "html":
                cells.append(f"<td>{v[1]}</td>")
            elif _is_number(v) or v is None:
                cells.append(f'<td class="num">{_num(v)}</td>')
            else:
                cells.append(f"<td>{esc(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(headers)}" class="empty">none</td></tr>')
    tid = f' id="{esc(table_id)}"' if table_id else ""
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table{tid}>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _section(sid: str, title: str, *parts: str) -> str:
    return f'<section id="{sid}"><h2>{esc(title)}</h2>\n' + "\n".join(p for p in parts if p) + "\n</section>"


def _note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "x"


# ----------------------------------------------------------------------------------------------- plots


def _figure(width: float = 8.0, height: float = 3.6):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _style(ax) -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.tick_params(labelsize=9)
    ax.grid(axis="both", color="#e2e8f0", linewidth=0.6)
    ax.set_axisbelow(True)


def _img(fig, plot_id: str, alt: str) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'<figure><img id="{esc(plot_id)}" class="plot" alt="{esc(alt)}" '
            f'src="data:image/png;base64,{data}"><figcaption>{esc(alt)}</figcaption></figure>')


def _hist_plot(plot_id: str, alt: str, edges: list[float], kept: list[int], removed: list[int],
               xlabel: str, logx: bool = False) -> str:
    fig = _figure()
    ax = fig.add_subplot()
    for counts, colour, label in ((kept, KEPT_COLOUR, "kept"), (removed, REMOVED_COLOUR, "removed")):
        if sum(counts):
            ax.stairs(counts, edges, fill=True, alpha=0.35, color=colour)
            ax.stairs(counts, edges, color=colour, linewidth=1.4, label=f"{label} ({sum(counts):,})")
    if logx:
        from matplotlib.ticker import FuncFormatter

        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel("documents", fontsize=9)
    _style(ax)
    if sum(kept) or sum(removed):
        ax.legend(fontsize=9, frameon=False)
    return _img(fig, plot_id, alt)


def _hbar_pairs(plot_id: str, alt: str, labels: list[str], kept: list[int], removed: list[int],
                xlabel: str = "documents") -> str:
    """Horizontal stacked bars, one per label (first label on top), kept and removed."""
    fig = _figure(8.0, max(1.6, 0.32 * len(labels) + 0.9))
    ax = fig.add_subplot()
    y = list(range(len(labels)))[::-1]
    ax.barh(y, kept, color=KEPT_COLOUR, label="kept", height=0.7)
    ax.barh(y, removed, left=kept, color=REMOVED_COLOUR, label="removed", height=0.7)
    ax.set_yticks(y, [_short(lb) for lb in labels])
    ax.set_xlabel(xlabel, fontsize=9)
    _style(ax)
    ax.grid(axis="y", visible=False)
    ax.legend(fontsize=9, frameon=False, loc="lower right")
    return _img(fig, plot_id, alt)


def _short(label: str, n: int = 40) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


# ----------------------------------------------------------------------------------------------- sections


def _summary(ctx: _Ctx) -> str:
    s, m = ctx.stats, ctx.manifest
    n_docs = ctx.one("select count(*) from documents")[0]
    n_removed = ctx.one("select count(*) from removed")[0]
    total = s.get("kept", 0) + s.get("removed", 0) + s.get("skipped", 0)
    holds = s.get("input") == total
    run = s.get("run", {})
    counts = [
        ("input", "records read", s.get("input")),
        ("kept", "kept documents", s.get("kept")),
        ("removed", "removed documents", s.get("removed")),
        ("skipped", "skipped records", s.get("skipped")),
    ]
    tiles = "".join(
        f'<div class="tile"><div class="value" id="count-{key}">{_num(v)}</div><div class="label">{esc(label)}</div></div>'
        for key, label, v in counts
    )
    check = (f'<p id="conservation" class="{"ok" if holds else "bad"}">input = kept + removed + skipped: '
             f'{_num(s.get("input"))} = {_num(s.get("kept"))} + {_num(s.get("removed"))} + {_num(s.get("skipped"))} '
             f'<strong>{"holds" if holds else "BROKEN"}</strong></p>')
    parquet_ok = n_docs == s.get("kept") and n_removed == s.get("removed")
    parquet = (f'<p class="{"ok" if parquet_ok else "bad"}">parquet rows: documents/ {_num(n_docs)}, removed/ {_num(n_removed)} '
               f'<strong>{"match stats.json" if parquet_ok else "DO NOT match stats.json"}</strong></p>')
    info = [
        ("run name", m.get("name") or ctx.out.name),
        ("config hash", m.get("config_hash")),
        ("created", m.get("created")),
        ("command", " ".join(map(str, m["command"])) if isinstance(m.get("command"), list) else m.get("command")),
        ("output", str(ctx.out)),
        ("tasks", run.get("tasks", s.get("tasks_reported"))),
        ("CPU seconds", run.get("cpu_seconds")),
        ("wall seconds", run.get("wall_seconds")),
    ]
    info_rows = [(k, v if _is_number(v) else ("html", f"<code>{esc(v)}</code>") if k in ("config hash", "command", "output") else v)
                 for k, v in info if v is not None]
    parts = [f'<div class="tiles">{tiles}</div>', check, parquet,
             _table(["", ""], info_rows, table_id="table-run").replace("<thead><tr><th></th><th></th></tr></thead>", "")]
    versions = m.get("versions") or {}
    if versions:
        items = sorted(versions.items())
        per_row = 4
        rows = [sum(([k, str(v)] for k, v in items[i:i + per_row]), [])
                for i in range(0, len(items), per_row)]
        rows = [r + [""] * (2 * per_row - len(r)) for r in rows]
        parts.append("<h3>Versions</h3>" + _table(["package", "version"] * per_row, rows, table_id="table-versions"))
    inputs = m.get("inputs") or []
    if inputs:
        rows = [(i.get("path"), i.get("bytes"), ("html", f"<code>{esc(str(i.get('sha256', ''))[:16])}</code>")) for i in inputs[:50]]
        more = _note(f"and {len(inputs) - 50:,} more input files") if len(inputs) > 50 else ""
        parts.append("<h3>Inputs</h3>" + _table(["path", "bytes", "sha256 (prefix)"], rows, table_id="table-inputs") + more)
    assets = m.get("assets") or []
    if assets:
        rows = [(a.get("stage"), a.get("path"), ("html", f"<code>{esc(str(a.get('sha256', ''))[:16])}</code>")) for a in assets]
        parts.append("<h3>Assets</h3>" + _table(["stage", "path", "sha256 (prefix)"], rows, table_id="table-assets"))
    return _section("section-summary", "Run summary", *parts)


def _funnel(ctx: _Ctx) -> str:
    stages = ctx.stats.get("stages") or []
    if not stages:
        return ""
    names, ins, kepts, rows, reasons = [], [], [], [], []
    for st in stages:
        n_in = st.get("in", 0)
        n_kept = st.get("kept", st.get("out", 0))
        names.append(st["stage"])
        ins.append(n_in)
        kepts.append(n_kept)
        rows.append((st["stage"], n_in, n_kept, n_in - n_kept, ("num", _pct(n_kept, n_in)), st.get("seconds")))
        for reason, n in sorted(st.get("dropped_by_reason", {}).items(), key=lambda kv: -kv[1]):
            reasons.append((st["stage"], reason, n, ("num", _pct(n, n_in))))
    fig = _figure(8.0, max(2.0, 0.36 * len(names) + 1.0))
    ax = fig.add_subplot()
    y = list(range(len(names)))[::-1]
    ax.barh(y, ins, color=IN_COLOUR, height=0.75, label="entering")
    ax.barh(y, kepts, color=KEPT_COLOUR, height=0.75, label="kept")
    top = max(ins) if ins else 0
    for yi, n_in, n_kept in zip(y, ins, kepts):
        ax.text(n_in + top * 0.01, yi, f"{n_kept:,} / {n_in:,}", va="center", fontsize=8, color="#2d3748")
    ax.set_yticks(y, names)
    ax.set_xlim(0, top * 1.18 if top else 1)
    ax.set_xlabel("documents (for the reader: WARC records)", fontsize=9)
    _style(ax)
    ax.grid(axis="y", visible=False)
    ax.legend(fontsize=9, frameon=False, loc="lower right")
    plot = _img(fig, "plot-funnel", "Documents entering and kept per stage")
    table = _table(["stage", "in", "kept", "dropped", "kept %", "seconds"], rows, table_id="table-funnel")
    reason_table = "<h3>Drop reasons</h3>" + _table(["stage", "reason", "documents", "% of stage input"], reasons,
                                                    table_id="table-drop-reasons")
    return _section("section-funnel", "Funnel", plot, table, reason_table)


def _skipped(ctx: _Ctx) -> str:
    skipped = ctx.stats.get("skipped_by_reason") or {}
    if not skipped:
        return ""
    n_input = ctx.stats.get("input", 0)
    rows = [(why, n, ("num", _pct(n, n_input))) for why, n in sorted(skipped.items(), key=lambda kv: -kv[1])]
    rows.append(("total", sum(skipped.values()), ("num", _pct(sum(skipped.values()), n_input))))
    return _section("section-skipped", "Skipped records",
                    _note("Records the reader did not turn into documents (not an HTTP response, bad status, "
                          "not HTML, truncated or corrupt); they appear in no parquet file."),
                    _table(["why", "records", "% of input"], rows, table_id="table-skipped"))


def _languages(ctx: _Ctx) -> str:
    rows = ctx.rows(
        "select coalesce(lang, '(none)') as l, count(*) filter (where kept), count(*) filter (where not kept) "
        "from all_documents group by l order by count(*) desc, l limit 15"
    )
    if not rows or all(r[0] == "(none)" for r in rows):
        return ""
    n_langs = ctx.one("select count(distinct coalesce(lang, '(none)')) from all_documents")[0]
    labels = [r[0] for r in rows]
    plot = _hbar_pairs("plot-languages", "Documents per language, kept and removed (top 15)",
                       labels, [r[1] for r in rows], [r[2] for r in rows])
    table = _table(["language", "kept", "removed", "kept %"],
                   [(r[0], r[1], r[2], ("num", _pct(r[1], r[1] + r[2]))) for r in rows], table_id="table-languages")
    note = _note((f"Top 15 of {n_langs:,} languages." if n_langs > 15 else f"All {n_langs:,} languages.")
                 + (" '(none)': removed before language identification." if "(none)" in labels else ""))
    return _section("section-languages", "Languages", plot, table, note)


def _log_edges(hi: float, n: int = 40) -> list[float]:
    top = math.log10(max(hi, 10) * 1.001)
    return [10 ** (top * i / n) for i in range(n + 1)]


def _binned(ctx: _Ctx, expr: str, lo: float, hi: float, n: int, log: bool, where: str = "true") -> tuple[list[int], list[int]]:
    """Counts of ``expr`` over ``n`` equal bins of [lo, hi] (in log10 space when ``log``), kept and removed."""
    x = f"log10(greatest({expr}, 1))" if log else f"({expr})"
    lo_, hi_ = (math.log10(max(lo, 1)), math.log10(max(hi, 1))) if log else (lo, hi)
    width = (hi_ - lo_) / n if hi_ > lo_ else 1.0
    rows = ctx.rows(
        f"select kept, least(greatest(cast(floor(({x} - ?) / ?) as bigint), 0), ?) as b, count(*) "
        f"from all_documents where {expr} is not null and {where} group by all",
        [lo_, width, n - 1],
    )
    kept, removed = [0] * n, [0] * n
    for is_kept, b, c in rows:
        (kept if is_kept else removed)[int(b)] += c
    return kept, removed


def _length(ctx: _Ctx) -> str:
    n, hi = ctx.one("select count(n_words), max(n_words) from all_documents")
    if not n:
        return ""
    n_bins = 40
    edges = _log_edges(float(hi), n_bins)
    kept, removed = _binned(ctx, "n_words", 1, edges[-1], n_bins, log=True)
    plot = _hist_plot("plot-length", "Words per document (log scale), kept and removed", edges, kept, removed,
                      "words per document (log scale)", logx=True)
    q = ctx.rows(
        "select kept, count(n_words), min(n_words), quantile_cont(n_words, 0.1), median(n_words), "
        "quantile_cont(n_words, 0.9), max(n_words), sum(n_words), avg(n_chars) "
        "from all_documents where n_words is not null group by kept order by kept desc"
    )
    rows = [("kept" if r[0] else "removed", r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in q]
    empty = ctx.one("select count(*) filter (where kept), count(*) filter (where not kept) from all_documents where n_words = 0")
    note = (_note(f"Documents with no words ({empty[0]:,} kept, {empty[1]:,} removed; e.g. dropped before text "
                  "extraction) are counted in the first bin.") if empty[0] or empty[1] else "")
    table = _table(["", "documents", "min", "p10", "median", "p90", "max", "total words", "mean chars"], rows,
                   table_id="table-length")
    return _section("section-length", "Text length", plot, note, table)


def _domains(ctx: _Ctx) -> str:
    rows = ctx.rows(
        "select domain, count(*), sum(n_words) from documents where domain is not null "
        "group by domain order by count(*) desc, domain limit 20"
    )
    if not rows:
        return ""
    n_kept = ctx.one("select count(*) from documents")[0]
    n_domains = ctx.one("select count(distinct domain) from documents")[0]
    table = _table(["domain", "kept documents", "words", "% of kept"],
                   [(d, c, w, ("num", _pct(c, n_kept))) for d, c, w in rows], table_id="table-domains")
    note = f"Top 20 of {n_domains:,} domains among kept documents." if n_domains > 20 else f"All {n_domains:,} domains of kept documents."
    return _section("section-domains", "Domains", _note(note), table)


def _quality_columns(ctx: _Ctx) -> list[str]:
    numeric = ("DOUBLE", "FLOAT", "REAL", "BIGINT", "INTEGER", "DECIMAL", "SMALLINT", "HUGEINT")
    return sorted(c for c, t in ctx.columns.items() if c.startswith("quality_") and t.startswith(numeric))


def _quality(ctx: _Ctx) -> str:
    parts = []
    summary = []
    for col in _quality_columns(ctx):
        q = f'"{col}"'
        n, lo, hi = ctx.one(f"select count({q}), min({q}), max({q}) from all_documents where isfinite({q})")
        if not n:
            continue
        lo, hi = float(lo), float(hi)
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        n_bins = 30
        edges = [lo + (hi - lo) * i / n_bins for i in range(n_bins + 1)]
        kept, removed = _binned(ctx, q, lo, hi, n_bins, log=False, where=f"isfinite({q})")
        name = col.removeprefix("quality_")
        parts.append(f"<h3>{esc(col)}</h3>")
        parts.append(_hist_plot(f"plot-quality-{_slug(name)}", f"Quality score {col}, kept and removed",
                                edges, kept, removed, col))
        for r in ctx.rows(
            f"select kept, count({q}), min({q}), quantile_cont({q}, 0.1), median({q}), quantile_cont({q}, 0.9), max({q}) "
            f"from all_documents where isfinite({q}) group by kept order by kept desc"
        ):
            summary.append((col, "kept" if r[0] else "removed", *r[1:]))
    if not parts:
        return ""
    table = "<h3>Summary</h3>" + _table(["column", "", "scored", "min", "p10", "median", "p90", "max"], summary,
                                        table_id="table-quality")
    return _section("section-quality", "Quality scores", *parts, table)


def _dedup(ctx: _Ctx) -> str:
    sizes = ctx.rows(
        "select case when s <= 10 then cast(s as varchar) when s <= 20 then '11-20' when s <= 50 then '21-50' "
        "when s <= 100 then '51-100' when s <= 1000 then '101-1000' else '>1000' end as bucket, count(*) "
        "from (select dup_cluster_size as s from documents where dup_cluster_size is not null) group by bucket "
        "order by min(s)"
    )
    removals = ctx.rows(
        "select removed_by, reason, count(*) from removed where removed_by like '%dedup%' or reason like '%dedup%' "
        "group by all order by 3 desc, 1, 2"
    )
    barriers = ctx.stats.get("barriers") or {}
    if not sizes and not removals and not barriers:
        return ""
    parts = []
    if sizes:
        from matplotlib.ticker import FuncFormatter

        fig = _figure(min(8.0, 2.6 + 0.6 * len(sizes)), 3.2)
        ax = fig.add_subplot()
        labels = [str(s) for s, _ in sizes]
        ax.bar(range(len(sizes)), [c for _, c in sizes], color=KEPT_COLOUR)
        ax.set_xticks(range(len(sizes)), labels)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else ""))
        ax.set_ylim(0.8, max(c for _, c in sizes) * 2)
        for i, (_, c) in enumerate(sizes):
            ax.text(i, c, f"{c:,}", ha="center", va="bottom", fontsize=8)
        ax.set_xlabel("cluster size (documents, including the kept copy)", fontsize=9)
        ax.set_ylabel("kept documents (log scale)", fontsize=9)
        _style(ax)
        ax.grid(axis="x", visible=False)
        parts.append(_img(fig, "plot-dup-clusters", "Kept documents by duplicate cluster size"))
        parts.append(_table(["cluster size", "kept documents"], [(("num", esc(b)), c) for b, c in sizes],
                            table_id="table-dup-clusters"))
    if removals:
        parts.append("<h3>Dedup removals</h3>" + _table(["stage", "reason", "documents"], removals, table_id="table-dedup-removals"))
    if barriers:
        keys = sorted({k for v in barriers.values() if isinstance(v, dict) for k in v})
        rows = [(stage, *[v.get(k) if isinstance(v, dict) else None for k in keys]) for stage, v in barriers.items()]
        parts.append("<h3>Clustering</h3>" + _table(["stage", *[k.replace("_", " ") for k in keys]], rows,
                                                    table_id="table-dedup-clustering"))
    return _section("section-dedup", "Duplicates", *parts)


def _decontam(ctx: _Ctx) -> str:
    rows = ctx.rows(
        "select decontam_benchmark, count(*) filter (where kept), count(*) filter (where not kept), "
        "count(distinct decontam_item), avg(decontam_ngrams) "
        "from all_documents where decontam_benchmark is not null group by 1 order by count(*) desc, 1"
    )
    if not rows:
        return ""
    table = _table(["benchmark", "kept (masked)", "removed", "distinct items", "mean matching n-grams"], rows,
                   table_id="table-decontam")
    return _section("section-decontam", "Decontamination", _note("Documents sharing n-grams with a benchmark item."), table)


def _page_methods(ctx: _Ctx) -> list[tuple[str, int]]:
    """Pages per method from the metadata JSON key ``page_methods`` (list of names, list of objects, or mapping)."""
    if "metadata" not in ctx.columns:
        return []
    counts: dict[str, int] = {}
    for key in PAGE_METHOD_KEYS:
        path = f"$.{key}"
        base = f"from all_documents where metadata is not null and json_valid(metadata) and json_type(metadata, '{path}')"
        queries = [
            # one entry per page: a name ("text") or an object ({"page": 1, "method": "text", ...})
            f"select case when json_type(m) = 'OBJECT' then json_extract_string(m, '$.method') "
            f"else json_extract_string(m, '$') end as method, count(*) from ("
            f"select unnest(from_json(json_extract(metadata, '{path}'), '[\"JSON\"]')) as m "
            f"{base} = 'ARRAY') where m is not null group by 1",
            # {"text": 10, "ocr": 2}
            f"select k, sum(cast(json_extract(metadata, '{path}.\"' || k || '\"') as double)) from ("
            f"select metadata, unnest(json_keys(metadata, '{path}')) as k {base} = 'OBJECT') group by 1",
        ]
        for sql in queries:
            try:
                for method, n in ctx.rows(sql):
                    if method is not None and n is not None:
                        counts[str(method)] = counts.get(str(method), 0) + int(n)
            except duckdb.Error:  # a JSON shape this query does not read (e.g. numbers in a list): try the next
                continue
    return sorted(counts.items(), key=lambda kv: -kv[1])


def _ocr(ctx: _Ctx) -> str:
    if "page_count" not in ctx.columns or "ocr_pages" not in ctx.columns:
        return ""
    rows = ctx.rows(
        "select kept, count(*), sum(page_count), sum(ocr_pages), count(distinct pdf_path) from all_documents "
        "where page_count is not null or ocr_pages is not null group by kept order by kept desc"
    )
    if not rows:
        return ""
    methods = _page_methods(ctx)
    parts = []
    if methods:
        labels, values = [m for m, _ in methods], [n for _, n in methods]
        caption = "PDF pages by extraction method (from metadata.page_methods)"
    else:
        pages = sum(r[2] or 0 for r in rows)
        ocr = sum(r[3] or 0 for r in rows)
        labels, values = ["text layer", "OCR"], [max(pages - ocr, 0), ocr]
        caption = "PDF pages by extraction method (text layer = page_count - ocr_pages)"
    fig = _figure(8.0, max(1.6, 0.4 * len(labels) + 0.9))
    ax = fig.add_subplot()
    y = list(range(len(labels)))[::-1]
    ax.barh(y, values, color=KEPT_COLOUR, height=0.65)
    top = max(values) if values else 0
    for yi, v in zip(y, values):
        ax.text(v + top * 0.01, yi, f"{v:,}", va="center", fontsize=8)
    ax.set_yticks(y, [_short(lb) for lb in labels])
    ax.set_xlim(0, top * 1.15 if top else 1)
    ax.set_xlabel("pages", fontsize=9)
    _style(ax)
    ax.grid(axis="y", visible=False)
    parts.append(_img(fig, "plot-ocr", caption))
    table_rows = [("kept" if r[0] else "removed", r[1], r[4], r[2], r[3], ("num", _pct(r[3] or 0, r[2] or 0))) for r in rows]
    parts.append(_table(["", "documents", "PDFs", "pages", "OCR pages", "OCR %"], table_rows, table_id="table-ocr"))
    if methods:
        parts.append(_table(["method", "pages"], methods, table_id="table-ocr-methods"))
    return _section("section-ocr", "PDF pages and OCR", *parts)


def _flatten(obj: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted key, value) pairs; long lists are summarised rather than dumped."""
    if isinstance(obj, dict):
        out = []
        for k, v in obj.items():
            out.extend(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(obj, list):
        if len(obj) <= 8 and all(not isinstance(v, (dict, list)) for v in obj):
            return [(prefix, ", ".join(_num(v) if _is_number(v) else str(v) for v in obj))]
        if all(_is_number(v) for v in obj) and obj:
            return [(prefix, f"{len(obj):,} numbers, min {_num(min(obj))}, max {_num(max(obj))}")]
        return [(prefix, f"list of {len(obj):,} items")]
    return [(prefix, obj)]


def _weights_of(obj: Any) -> dict[str, float]:
    """The name -> weight mapping in a weights file, whatever its wrapping."""
    def numeric_map(d):
        return isinstance(d, dict) and d and all(_is_number(v) for v in d.values())

    if numeric_map(obj):
        return {str(k): float(v) for k, v in obj.items()}
    if isinstance(obj, dict):
        for key in ("weights", "mixture", "domain_weights", "mix"):
            if key in obj:
                w = _weights_of(obj[key])
                if w:
                    return w
        for v in obj.values():
            w = _weights_of(v) if isinstance(v, (dict, list)) else {}
            if w:
                return w
    if isinstance(obj, list) and obj and all(isinstance(v, dict) for v in obj):
        name = next((k for k in ("name", "source", "domain") if all(k in v for v in obj)), None)
        weight = next((k for k in ("weight", "value", "w") if all(_is_number(v.get(k)) for v in obj)), None)
        if name and weight:
            return {str(v[name]): float(v[weight]) for v in obj}
    return {}


def _fit_pairs(fit: Any) -> tuple[list[float], list[float]] | None:
    if not isinstance(fit, dict):
        return None
    scopes = [fit] + [v for v in fit.values() if isinstance(v, dict)]
    for scope in scopes:
        lower = {str(k).lower(): v for k, v in scope.items()}
        obs = next((lower[k] for k in _FIT_OBSERVED if k in lower), None)
        pred = next((lower[k] for k in _FIT_PREDICTED if k in lower), None)
        if (isinstance(obs, list) and isinstance(pred, list) and len(obs) == len(pred) and obs
                and all(_is_number(v) for v in obs + pred)):
            return [float(v) for v in obs], [float(v) for v in pred]
    return None


def _mixture(ctx: _Ctx) -> str:
    wpath, fpath = ctx.out / "weights.json", ctx.out / "fit.json"
    if not wpath.is_file() and not fpath.is_file():
        return ""
    parts = []
    if wpath.is_file():
        raw = _read_json(wpath)
        weights = _weights_of(raw)
        if weights:
            items = sorted(weights.items(), key=lambda kv: -kv[1])
            fig = _figure(8.0, max(1.6, 0.32 * len(items) + 0.9))
            ax = fig.add_subplot()
            y = list(range(len(items)))[::-1]
            ax.barh(y, [v for _, v in items], color=KEPT_COLOUR, height=0.65)
            top = max((v for _, v in items), default=0)
            for yi, (_, v) in zip(y, items):
                ax.text(v + abs(top) * 0.01, yi, f"{v:.3g}", va="center", fontsize=8)
            ax.set_yticks(y, [_short(k) for k, _ in items])
            ax.set_xlim(0, top * 1.15 if top > 0 else 1)
            ax.set_xlabel("weight", fontsize=9)
            _style(ax)
            ax.grid(axis="y", visible=False)
            parts.append("<h3>Weights</h3>")
            parts.append(_img(fig, "plot-weights", "Mixture weights"))
            total = sum(weights.values())
            parts.append(_table(["source", "weight", "share"], [(k, v, ("num", _pct(v, total))) for k, v in items],
                                table_id="table-weights"))
        other = [(k, v) for k, v in _flatten(raw) if not weights or k.split(".")[0] not in ("weights", *weights)]
        if other:
            parts.append("<h3>weights.json</h3>" + _table(["key", "value"], other, table_id="table-weights-file"))
    if fpath.is_file():
        fit = _read_json(fpath)
        pairs = _fit_pairs(fit)
        parts.append("<h3>Fit</h3>")
        if pairs:
            obs, pred = pairs
            fig = _figure(4.6, 4.2)
            ax = fig.add_subplot()
            ax.scatter(obs, pred, s=14, color=KEPT_COLOUR)
            lo, hi = min(obs + pred), max(obs + pred)
            ax.plot([lo, hi], [lo, hi], color="#a0aec0", linewidth=1, linestyle="--")
            ax.set_xlabel("observed", fontsize=9)
            ax.set_ylabel("predicted", fontsize=9)
            _style(ax)
            parts.append(_img(fig, "plot-fit", "Regression fit: predicted vs observed"))
        parts.append(_table(["metric", "value"], _flatten(fit), table_id="table-fit"))
    if not parts:
        return ""
    return _section("section-mixture", "Mixture", *parts)


# ----------------------------------------------------------------------------------------------- page

_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif;
       color: #1a202c; background: #fff; margin: 0 auto; max-width: 1100px; padding: 1.5rem 2rem 3rem;
       line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.6rem; margin: 0 0 .2rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #e2e8f0; padding-bottom: .25rem; margin-top: 2.2rem; }
h3 { font-size: 1.02rem; margin: 1.4rem 0 .4rem; }
.sub { color: #4a5568; margin: 0 0 1rem; }
nav { font-size: .9rem; margin: .8rem 0 1rem; }
nav a { margin-right: .9rem; color: #2b6cb0; text-decoration: none; white-space: nowrap; }
nav a:hover { text-decoration: underline; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .88rem; }
caption { text-align: left; font-weight: 600; padding-bottom: .3rem; }
th, td { border-bottom: 1px solid #e2e8f0; padding: .25rem .7rem; text-align: left; vertical-align: top; }
th { background: #f7fafc; font-weight: 600; border-bottom: 2px solid #cbd5e0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.empty { color: #718096; font-style: italic; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
td code, p code { font-size: .85em; word-break: break-all; }
figure { margin: .8rem 0; }
img.plot { max-width: 100%; height: auto; display: block; }
figcaption { font-size: .82rem; color: #4a5568; }
.tiles { display: flex; flex-wrap: wrap; gap: .8rem; margin: .6rem 0; }
.tile { border: 1px solid #e2e8f0; border-radius: 6px; padding: .5rem 1rem; min-width: 9rem; }
.tile .value { font-size: 1.5rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .label { font-size: .82rem; color: #4a5568; }
.ok strong { color: #276749; }
.bad strong { color: #c53030; }
.note { color: #4a5568; font-size: .88rem; }
footer { margin-top: 3rem; font-size: .8rem; color: #718096; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav { display: none; }
  section, figure, table { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""

_TITLES = {
    "section-summary": "Summary", "section-funnel": "Funnel", "section-skipped": "Skipped",
    "section-languages": "Languages", "section-length": "Length", "section-domains": "Domains",
    "section-quality": "Quality", "section-dedup": "Duplicates", "section-decontam": "Decontamination",
    "section-ocr": "OCR", "section-mixture": "Mixture",
}


def _page(ctx: _Ctx, sections: list[str]) -> str:
    name = ctx.manifest.get("name") or ctx.out.name
    ids = [m.group(1) for s in sections if (m := re.match(r'<section id="([^"]+)"', s))]
    nav = "".join(f'<a href="#{i}">{esc(_TITLES.get(i, i))}</a>' for i in ids)
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>Winnow report: {esc(name)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>Winnow report: {esc(name)}</h1>\n"
        f"<p class=\"sub\">config <code>{esc(ctx.manifest.get('config_hash', '?'))}</code> · "
        f"{esc(str(ctx.out))} · generated {esc(made)}</p>\n<nav>{nav}</nav></header>\n"
        + "\n".join(sections)
        + "\n<footer>Made by <code>winnow report</code> from stats.json, manifest.json and the run's parquet files; "
        "the page is self-contained and makes no network requests.</footer>\n</body>\n</html>\n"
    )
