"""What ``winnow report`` shows, as data: DuckDB queries over a run and matplotlib figures (no HTML).

Every query goes through :func:`pipeline.query.connect` (views ``documents``, ``removed``,
``all_documents``) and is an aggregate computed in DuckDB, so no document text is loaded into Python
except the few ~200-character snippets of removed examples. A run's files hold the core columns
(``pipeline.outputs.CORE``) and only the columns its stages declare, so each query first checks the
columns it needs (:meth:`RunData.has`) and answers ``None`` ("the stage did not run") when they are
absent, instead of failing.

This module holds the run-wide queries only. A stage's own findings (duplicates, licences, PII, ...)
are queried by that stage's ``report_section`` hook, in its own module, with :class:`RunData`,
:func:`quote_ident`, :func:`ran_stage` and the figures here.

Figures are matplotlib on an Agg canvas (no pyplot state), returned as base64 PNG text for an
``<img src="data:...">``; :mod:`pipeline.report` turns all of this into the page.
"""

from __future__ import annotations

import base64
import io
import json
import math
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import WinnowError
from pipeline.layout import RunLayout
from pipeline.query import connect

KEPT_COLOUR = "#2b6cb0"
REMOVED_COLOUR = "#dd6b20"
IN_COLOUR = "#cbd5e0"
EXAMPLES_PER_REASON = 3
SNIPPET_CHARS = 200
NUMERIC_TYPES = ("DOUBLE", "FLOAT", "REAL", "BIGINT", "INTEGER", "DECIMAL", "SMALLINT", "HUGEINT", "TINYINT", "UBIGINT")
INTEGER_TYPES = ("BIGINT", "INTEGER", "SMALLINT", "HUGEINT", "TINYINT", "UBIGINT")
_SHELL_SPECIAL = frozenset('"$`\\!')  # characters a double-quoted shell word would interpret


# ----------------------------------------------------------------------------------------------- the run


class RunData:
    """A finished run opened for reading: ``stats.json``, ``manifest.json`` and the parquet views.

    ``columns`` maps each column of ``all_documents`` to its DuckDB type (upper case).
    """

    def __init__(self, output_dir: str | Path):
        layout = RunLayout(output_dir)
        self.out = layout.out
        stats_path = layout.stats
        if not stats_path.is_file():
            raise WinnowError(f"{self.out}: no stats.json (is this a run directory, and has the run finished?)")
        self.stats: dict = read_json(stats_path)
        manifest = layout.manifest
        self.manifest: dict = read_json(manifest) if manifest.is_file() else {}
        self.con = connect(self.out)
        self.columns = {name: str(typ).upper()
                        for name, typ, *_ in self.con.execute("describe all_documents").fetchall()}

    def __enter__(self) -> "RunData":
        return self

    def __exit__(self, *exc) -> None:
        self.con.close()

    def has(self, *names: str) -> bool:
        return all(n in self.columns for n in names)

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def one(self, sql: str, params: list | None = None) -> tuple:
        return self.con.execute(sql, params or []).fetchone()


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise WinnowError(f"{path}: cannot read JSON ({e})") from None


def quote_ident(col: str) -> str:
    """A column name as a DuckDB identifier (double-quoted)."""
    return '"' + col.replace('"', '""') + '"'


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def parquet_counts(rd: RunData) -> tuple[int, int]:
    """Rows in documents/ and removed/."""
    return rd.one("select count(*) from documents")[0], rd.one("select count(*) from removed")[0]


# ----------------------------------------------------------------------------------------------- stats.json


@dataclass
class StageTiming:
    stage: str
    n_in: int
    seconds: float | None  # wall time inside the stage, summed over tasks
    cpu_seconds: float | None  # CPU time inside the stage (absent for the reader)
    cpu_ms_per_doc: float | None = None  # that CPU time per document entering the stage


@dataclass
class Timings:
    stages: list[StageTiming]
    jobs: list[tuple]  # job, tasks, CPU seconds, wall seconds, the largest task's peak memory (MB)
    run: dict  # stats["run"]: executor, tasks, phases, tokenizer, cpu_seconds, wall_seconds, documents_per_*
    work_disk: dict[str, int] = field(default_factory=dict)  # stats["work_disk_bytes"]: OUT/work by folder


def funnel(stats: dict) -> list[tuple[str, int, int, dict[str, int]]]:
    """(stage, entering, kept, dropped by reason) per stage; for the reader, kept = records that became documents."""
    out = []
    for st in stats.get("stages") or []:
        n_in = st.get("in", 0)
        out.append((st.get("stage", "?"), n_in, st.get("kept", st.get("out", 0)),
                    dict(st.get("dropped_by_reason") or {})))
    return out


def timings(stats: dict) -> Timings | None:
    """Per-stage, per-job and run seconds from stats.json; ``None`` for an old run that recorded none."""
    stages = [StageTiming(st.get("stage", "?"), st.get("in", 0), st.get("seconds"), st.get("cpu_seconds"),
                          st.get("cpu_ms_per_doc"))
              for st in stats.get("stages") or []]
    jobs = [(name, j.get("tasks"), j.get("cpu_seconds"), j.get("wall_seconds"),
             round(j["peak_rss_bytes"] / 2**20, 1) if j.get("peak_rss_bytes") else None)
            for name, j in (stats.get("jobs") or {}).items() if isinstance(j, dict)]
    run = stats.get("run") if isinstance(stats.get("run"), dict) else {}
    if not jobs and not run and all(s.seconds is None and s.cpu_seconds is None for s in stages):
        return None
    return Timings(stages, jobs, run, dict(stats.get("work_disk_bytes") or {}))


# ----------------------------------------------------------------------------------------------- removed examples


@dataclass
class ReasonExamples:
    reason: str
    removed_by: str
    count: int
    examples: list[tuple[str | None, str | None, str]]  # id, url, text snippet (whitespace collapsed)
    command: str  # the `winnow sql` command that lists every document removed for this reason


def reason_query(reason: str, url: bool = True) -> str:
    cols = "id, url, left(text, 200) as text" if url else "id, left(text, 200) as text"
    return f"select {cols} from removed where reason = {_sql_str(reason)} order by id"


def sql_command(out: Path, sql: str, max_rows: int | None = None) -> str:
    """``winnow sql OUT "SQL"`` as one would type it (``--max-rows`` when the default 40 would cut it short)."""
    word = f'"{sql}"' if not (set(sql) & _SHELL_SPECIAL) else shlex.quote(sql)
    rows = f" --max-rows {max_rows}" if max_rows and max_rows > 40 else ""
    return f"winnow sql {shlex.quote(str(out))} {word}{rows}"


def drop_examples(rd: RunData, per_reason: int = EXAMPLES_PER_REASON) -> list[ReasonExamples]:
    """For every drop reason (most frequent first): its count, the first ``per_reason`` removed documents by id
    and the ``winnow sql`` command that lists them all."""
    if not rd.has("reason", "removed_by", "id"):
        return []
    url = rd.has("url")
    counts = rd.rows("select coalesce(reason, '(none)'), string_agg(distinct removed_by, ', ' order by removed_by), "
                     "count(*) from removed group by 1 order by 3 desc, 1")
    if not counts:
        return []
    picks: dict[str, list] = {}
    for reason, doc_id, doc_url, head in rd.rows(
        f"select coalesce(reason, '(none)'), id, {'url' if url else 'null'}, left(text, {SNIPPET_CHARS * 5}) "
        f"from removed qualify row_number() over (partition by reason order by id) <= ? order by 1, 2",
        [per_reason],
    ):
        text = " ".join((head or "").split())
        snippet = text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rstrip() + "…"
        picks.setdefault(reason, []).append((doc_id, doc_url, snippet))
    return [ReasonExamples(reason, by or "?", n, picks.get(reason, []),
                           sql_command(rd.out, reason_query(reason, url), n))
            for reason, by, n in counts]


# ----------------------------------------------------------------------------------------------- documents


def languages(rd: RunData, top: int = 15) -> tuple[list[tuple[str, int, int]], int]:
    """(language, kept, removed) for the ``top`` languages, and the number of distinct labels."""
    if not rd.has("lang"):
        return [], 0
    rows = rd.rows(
        "select coalesce(lang, '(none)') as l, count(*) filter (where kept), count(*) filter (where not kept) "
        f"from all_documents group by l order by count(*) desc, l limit {int(top)}"
    )
    n = rd.one("select count(distinct coalesce(lang, '(none)')) from all_documents")[0]
    return rows, n


SIZE_MEASURES = (("n_words", "words"), ("n_chars", "characters"), ("n_tokens", "tokens"))


def sizes(rd: RunData) -> list[tuple]:
    """(measure, kept?, documents, min, p10, median, p90, max, total, mean) per size column present."""
    out = []
    for col, label in SIZE_MEASURES:
        if not rd.has(col):
            continue
        c = quote_ident(col)
        for r in rd.rows(
            f"select kept, count({c}), min({c}), quantile_cont({c}, 0.1), median({c}), quantile_cont({c}, 0.9), "
            f"max({c}), sum({c}), avg({c}) from all_documents where {c} is not null group by kept order by kept desc"
        ):
            out.append((label, *r))
    return out


def empty_documents(rd: RunData) -> tuple[int, int]:
    """Documents with no words, kept and removed (e.g. dropped before text extraction)."""
    if not rd.has("n_words"):
        return 0, 0
    return rd.one("select count(*) filter (where kept), count(*) filter (where not kept) from all_documents "
                  "where n_words = 0")


def log_edges(hi: float, n: int = 40) -> list[float]:
    top = math.log10(max(hi, 10) * 1.001)
    return [10 ** (top * i / n) for i in range(n + 1)]


def binned(rd: RunData, expr: str, lo: float, hi: float, n: int, log: bool,
           where: str = "true") -> tuple[list[int], list[int]]:
    """Counts of ``expr`` over ``n`` equal bins of [lo, hi] (in log10 space when ``log``), kept and removed."""
    x = f"log10(greatest({expr}, 1))" if log else f"({expr})"
    lo_, hi_ = (math.log10(max(lo, 1)), math.log10(max(hi, 1))) if log else (lo, hi)
    width = (hi_ - lo_) / n if hi_ > lo_ else 1.0
    rows = rd.rows(
        f"select kept, least(greatest(cast(floor(({x} - ?) / ?) as bigint), 0), ?) as b, count(*) "
        f"from all_documents where {expr} is not null and {where} group by all",
        [lo_, width, n - 1],
    )
    kept, removed = [0] * n, [0] * n
    for is_kept, b, c in rows:
        (kept if is_kept else removed)[int(b)] += c
    return kept, removed


def length_histogram(rd: RunData, n_bins: int = 40) -> tuple[list[float], list[int], list[int]] | None:
    """Words per document on log-spaced bins: (edges, kept, removed); ``None`` without word counts."""
    if not rd.has("n_words"):
        return None
    n, hi = rd.one("select count(n_words), max(n_words) from all_documents")
    if not n:
        return None
    edges = log_edges(float(hi), n_bins)
    kept, removed = binned(rd, "n_words", 1, edges[-1], n_bins, log=True)
    return edges, kept, removed


@dataclass
class Domains:
    kept: list[tuple]  # domain, kept documents, words, tokens
    n_kept_docs: int
    n_kept_domains: int
    removals: list[tuple]  # domain, kept, removed, removal rate (0..1), most frequent reason
    n_removal_domains: int


def domains(rd: RunData, top: int = 20) -> Domains | None:
    """Top domains of kept documents, and top domains by removed documents with their removal rate."""
    if not rd.has("domain"):
        return None
    words = "sum(n_words)" if rd.has("n_words") else "null"
    tokens = "sum(n_tokens)" if rd.has("n_tokens") else "null"
    kept = rd.rows(
        f"select domain, count(*), {words}, {tokens} from all_documents where kept and domain is not null "
        f"group by domain order by count(*) desc, domain limit {int(top)}"
    )
    n_docs, n_domains = rd.one("select count(*), count(distinct domain) from all_documents where kept")
    reason = "mode(reason) filter (where not kept)" if rd.has("reason") else "null"
    removals = rd.rows(
        "select domain, count(*) filter (where kept) as k, count(*) filter (where not kept) as r, r / count(*), "
        f"{reason} from all_documents where domain is not null group by domain "
        f"having r > 0 order by r desc, r / count(*) desc, domain limit {int(top)}"
    )
    n_removal = rd.one("select count(distinct domain) from all_documents where not kept and domain is not null")[0]
    if not kept and not removals:
        return None
    return Domains(kept, n_docs, n_domains, removals, n_removal)


# ----------------------------------------------------------------------------------------------- quality


def quality_columns(rd: RunData) -> list[str]:
    return sorted(c for c, t in rd.columns.items() if c.startswith("quality_") and t.startswith(NUMERIC_TYPES))


@dataclass
class Quality:
    column: str
    edges: list[float]
    kept: list[int]
    removed: list[int]
    summary: list[tuple]  # kept?, scored, min, p10, median, p90, max


def quality(rd: RunData, n_bins: int = 30) -> list[Quality]:
    """One histogram and summary per numeric ``quality_*`` column with finite values."""
    out = []
    for col in quality_columns(rd):
        q = quote_ident(col)
        n, lo, hi = rd.one(f"select count({q}), min({q}), max({q}) from all_documents where isfinite({q})")
        if not n:
            continue
        lo, hi = float(lo), float(hi)
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        edges = [lo + (hi - lo) * i / n_bins for i in range(n_bins + 1)]
        kept, removed = binned(rd, q, lo, hi, n_bins, log=False, where=f"isfinite({q})")
        summary = rd.rows(
            f"select kept, count({q}), min({q}), quantile_cont({q}, 0.1), median({q}), quantile_cont({q}, 0.9), "
            f"max({q}) from all_documents where isfinite({q}) group by kept order by kept desc"
        )
        out.append(Quality(col, edges, kept, removed, summary))
    return out


# ----------------------------------------------------------------------------------------------- stages


def ran_stage(stats: dict, family: str) -> dict | None:
    """The stats.json entry of the first stage whose registry name starts with ``family`` (``license_v1``)."""
    for st in stats.get("stages") or []:
        if str(st.get("stage", "")).startswith(family):
            return st
    return None


# ----------------------------------------------------------------------------------------------- figures


def figure(width: float = 8.0, height: float = 3.6):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="tight")
    FigureCanvasAgg(fig)
    return fig


def style_axes(ax) -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.tick_params(labelsize=9)
    ax.grid(axis="both", color="#e2e8f0", linewidth=0.6)
    ax.set_axisbelow(True)


def png_b64(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def short(label: str, n: int = 40) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def hist_png(edges: list[float], kept: list[int], removed: list[int], xlabel: str, logx: bool = False) -> str:
    """Kept and removed counts over the same bins, as outlined filled steps."""
    fig = figure()
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
    style_axes(ax)
    if sum(kept) or sum(removed):
        ax.legend(fontsize=9, frameon=False)
    return png_b64(fig)


def _bars(n: int, per_row: float, base: float, min_height: float):
    """A figure of ``n`` horizontal bars: (figure, axes, y positions with the first bar on top)."""
    fig = figure(8.0, max(min_height, per_row * n + base))
    return fig, fig.add_subplot(), list(range(n))[::-1]


def _bars_png(fig, ax, xlabel: str, legend: bool = True) -> str:
    ax.set_xlabel(xlabel, fontsize=9)
    style_axes(ax)
    ax.grid(axis="y", visible=False)
    if legend:
        ax.legend(fontsize=9, frameon=False, loc="lower right")
    return png_b64(fig)


def kept_removed_png(labels: list[str], kept: list[int], removed: list[int], xlabel: str = "documents") -> str:
    """Horizontal stacked bars, one per label (first label on top), kept and removed."""
    fig, ax, y = _bars(len(labels), 0.32, 0.9, 1.6)
    ax.barh(y, kept, color=KEPT_COLOUR, label="kept", height=0.7)
    ax.barh(y, removed, left=kept, color=REMOVED_COLOUR, label="removed", height=0.7)
    ax.set_yticks(y, [short(lb) for lb in labels])
    return _bars_png(fig, ax, xlabel)


def funnel_png(names: list[str], ins: list[int], kepts: list[int]) -> str:
    """Documents entering (grey) and kept (blue) per stage, labelled kept / entering."""
    fig, ax, y = _bars(len(names), 0.36, 1.0, 2.0)
    ax.barh(y, ins, color=IN_COLOUR, height=0.75, label="entering")
    ax.barh(y, kepts, color=KEPT_COLOUR, height=0.75, label="kept")
    top = max(ins) if ins else 0
    for yi, n_in, n_kept in zip(y, ins, kepts):
        ax.text(n_in + top * 0.01, yi, f"{n_kept:,} / {n_in:,}", va="center", fontsize=8, color="#2d3748")
    ax.set_yticks(y, names)
    ax.set_xlim(0, top * 1.18 if top else 1)
    return _bars_png(fig, ax, "documents (for the reader: records)")


def timing_png(names: list[str], wall: list[float], cpu: list[float]) -> str:
    """Wall and CPU seconds inside each stage, side by side."""
    fig, ax, y = _bars(len(names), 0.42, 1.0, 2.0)
    ax.barh([v + 0.19 for v in y], wall, color=IN_COLOUR, height=0.38, label="wall seconds")
    ax.barh([v - 0.19 for v in y], cpu, color=KEPT_COLOUR, height=0.38, label="CPU seconds")
    ax.set_yticks(y, [short(n) for n in names])
    return _bars_png(fig, ax, "seconds inside the stage, summed over tasks")


def values_png(labels: list[str], values: list[float], xlabel: str, fmt: str = "{:,}") -> str:
    """One horizontal bar per label (first on top), each labelled with its value."""
    fig, ax, y = _bars(len(labels), 0.36, 0.9, 1.6)
    ax.barh(y, values, color=KEPT_COLOUR, height=0.65)
    top = max(values, default=0)
    for yi, v in zip(y, values):
        ax.text(v + abs(top) * 0.01, yi, fmt.format(v), va="center", fontsize=8)
    ax.set_yticks(y, [short(lb) for lb in labels])
    ax.set_xlim(0, top * 1.15 if top > 0 else 1)
    return _bars_png(fig, ax, xlabel, legend=False)


def log_bars_png(labels: list[str], counts: list[int], xlabel: str, ylabel: str) -> str:
    """One vertical bar per label on a log count axis, each labelled with its count (e.g. clusters by size)."""
    from matplotlib.ticker import FuncFormatter

    fig = figure(min(8.0, 2.6 + 0.6 * len(labels)), 3.2)
    ax = fig.add_subplot()
    ax.bar(range(len(labels)), counts, color=KEPT_COLOUR)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else ""))
    ax.set_ylim(0.8, max(counts, default=1) * 2)
    for i, c in enumerate(counts):
        ax.text(i, c, f"{c:,}", ha="center", va="bottom", fontsize=8)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=9)
    style_axes(ax)
    ax.grid(axis="x", visible=False)
    return png_b64(fig)
