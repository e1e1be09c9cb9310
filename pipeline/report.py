"""``winnow report OUT``: one self-contained HTML page (``OUT/report.html``) describing a run.

This module is the page: HTML, CSS and the order of the sections. What the page shows comes from
:mod:`pipeline.report_data` (the DuckDB queries over the run and the matplotlib figures), written with the
HTML helpers of :mod:`pipeline.report_html`. The page opens offline: plots are inline base64 PNG, styles
inline, fonts the system's, and it makes no network request. Every piece of document text or name from the
run is HTML-escaped.

The run-wide sections, with the ids tests and readers link to, come first:

=====================  ===================================================================
``section-summary``    name, config hash, input / kept / removed / skipped, conservation, CPU and
                       wall seconds, documents per second, versions, inputs and assets
``section-funnel``     documents entering and kept per stage (``plot-funnel``), drop reasons
``section-timing``     wall and CPU seconds per stage (``plot-timing``), per job and for the run,
                       documents per second
``section-removed``    per drop reason: three removed documents (id, URL, text snippet) and the
                       ``winnow sql`` command that lists them all
``section-skipped``    records that never became documents, by why
``section-languages``  kept vs removed per language, top 15 (``plot-languages``)
``section-length``     words per document, log scale (``plot-length``); words, characters and
                       tokens per document, kept vs removed
``section-domains``    top 20 kept domains; top 20 domains by removed documents, with removal rate
``section-quality``    one histogram per ``quality_*`` column (``plot-quality-<name>``)
=====================  ===================================================================

Then each registered input format's own section (``InputFormat.report``, ``pipeline.formats``): ``section-ocr``
from ``ocr.report``, the PDF pages by extraction method, only for runs with PDF documents. Then each registered
stage's own section: the page asks every stage class for
``report_section(rd)`` (:class:`pipeline.stage.Stage`), in registry-name order, calling a hook that
several stages share once. A stage-specific section whose stage did not run says ``not run``; one
whose stage ran and found nothing says ``none found`` (``<p id="<name>-status">``). For example,
``section-dedup`` comes from ``filters.dedup`` (one section for the exact, URL and MinHash stages). Last come
the sections
of the modules in :data:`REPORT_MODULES`, which are not stages: ``section-mixture`` (``mixers.report``:
``weights.json`` and ``fit.json``, where ``winnow mix`` wrote them).
"""

from __future__ import annotations

import importlib
import re
from datetime import datetime, timezone
from pathlib import Path

from pipeline import report_data as data
from pipeline import report_html as h
from pipeline.atomic import atomic_write
from pipeline.layout import RunLayout
from pipeline.report_data import RunData


def write_report(output_dir: str | Path) -> Path:
    """Write ``OUT/report.html`` for the run in ``output_dir`` and return its path."""
    layout = RunLayout(output_dir)
    return atomic_write(layout.report, build_report(layout.out))


def build_report(output_dir: str | Path) -> str:
    """The report page for ``output_dir`` as a string (see the module docstring for its sections)."""
    with RunData(output_dir) as rd:
        sections = [build(rd) for build in _SECTIONS] + format_sections(rd) + stage_sections(rd) + _module_sections(rd)
    return _page(rd, [s for s in sections if s])


def format_sections(rd: RunData) -> list[str]:
    """Each registered input format's own section (``InputFormat.report``; the pdf format's pages by method)."""
    from pipeline.formats import formats

    return [s for s in (f.report_section(rd) for f in formats().values()) if s]


def stage_sections(rd: RunData) -> list[str]:
    """Every registered stage's own section (``Stage.report_section``), whether or not the stage ran, so a stage
    absent from the run says ``not run``. Stages that share one hook (exact, URL and MinHash dedup) give one
    section: each distinct hook function is called once, at the first stage (by registry name) that has it."""
    from pipeline.registry import stages
    from pipeline.stage import Stage

    seen, out = {Stage.report_section.__func__}, []
    for cls in stages().values():
        hook = cls.report_section
        func = getattr(hook, "__func__", hook)
        if func in seen:
            continue
        seen.add(func)
        out.append(hook(rd))
    return [s for s in out if s]


# Sections of modules that are not stages (the mixers write weights.json and fit.json after a run): each module
# has ``report_section(rd) -> str | None``, imported by name so the spine imports no family package.
REPORT_MODULES = ("mixers.report",)


def _module_sections(rd: RunData) -> list[str]:
    return [s for s in (importlib.import_module(m).report_section(rd) for m in REPORT_MODULES) if s]


# ----------------------------------------------------------------------------------------------- sections


def _summary(rd: RunData) -> str:
    s, m = rd.stats, rd.manifest
    n_docs, n_removed = data.parquet_counts(rd)
    holds = s.get("input") == s.get("kept", 0) + s.get("removed", 0) + s.get("skipped", 0)
    run = s.get("run") if isinstance(s.get("run"), dict) else {}
    counts = [("input", "records read", s.get("input")), ("kept", "kept documents", s.get("kept")),
              ("removed", "removed documents", s.get("removed")), ("skipped", "skipped records", s.get("skipped"))]
    tiles = "".join(
        f'<div class="tile"><div class="value" id="count-{key}">{h.num(v)}</div>'
        f'<div class="label">{h.esc(label)}</div></div>'
        for key, label, v in counts
    )
    check = (f'<p id="conservation" class="{"ok" if holds else "bad"}">input = kept + removed + skipped: '
             f'{h.num(s.get("input"))} = {h.num(s.get("kept"))} + {h.num(s.get("removed"))} + '
             f'{h.num(s.get("skipped"))} '
             f'<strong>{"holds" if holds else "BROKEN"}</strong></p>')
    parquet_ok = n_docs == s.get("kept") and n_removed == s.get("removed")
    parquet = (f'<p class="{"ok" if parquet_ok else "bad"}">parquet rows: documents/ {h.num(n_docs)}, '
               f'removed/ {h.num(n_removed)} '
               f'<strong>{"match stats.json" if parquet_ok else "DO NOT match stats.json"}</strong></p>')
    command = " ".join(map(str, m["command"])) if isinstance(m.get("command"), list) else m.get("command")
    info = [
        ("run name", m.get("name") or rd.out.name),
        ("config hash", h.code(m["config_hash"]) if m.get("config_hash") else None),
        ("created", m.get("created")), ("command", h.code(command) if command else None), ("output", h.code(rd.out)),
        ("executor", run.get("executor")), ("tasks", run.get("tasks", s.get("tasks_reported"))),
        ("CPU seconds", run.get("cpu_seconds")), ("wall seconds", run.get("wall_seconds")),
        ("documents / second", run.get("documents_per_second")),
        ("documents / CPU second", run.get("documents_per_cpu_second")),
        ("tokenizer", run.get("tokenizer")),
    ]
    parts = [f'<div class="tiles">{tiles}</div>', check, parquet,
             h.table(["", ""], [(k, v) for k, v in info if v is not None], table_id="table-run", head=False)]
    versions = sorted((m.get("versions") or {}).items())
    if versions:
        per_row = 4
        rows = [sum(([k, str(v)] for k, v in versions[i:i + per_row]), []) for i in range(0, len(versions), per_row)]
        rows = [r + [""] * (2 * per_row - len(r)) for r in rows]
        parts.append("<h3>Versions</h3>" + h.table(["package", "version"] * per_row, rows, table_id="table-versions"))
    inputs = m.get("inputs") or []
    if inputs:
        rows = [(i.get("path"), i.get("bytes"), h.code(str(i.get("sha256", ""))[:16])) for i in inputs[:50]]
        more = h.note(f"and {len(inputs) - 50:,} more input files") if len(inputs) > 50 else ""
        parts.append("<h3>Inputs</h3>" + h.table(["path", "bytes", "sha256 (prefix)"], rows, table_id="table-inputs")
                     + more)
    assets = m.get("assets") or []
    if assets:
        rows = [(a.get("stage"), a.get("path"), h.code(str(a.get("sha256", ""))[:16])) for a in assets]
        parts.append("<h3>Assets</h3>" + h.table(["stage", "path", "sha256 (prefix)"], rows, table_id="table-assets"))
    return h.section("section-summary", "Run summary", *parts)


def _timing(rd: RunData) -> str:
    t = data.timings(rd.stats)
    if t is None:
        return ""
    parts = []
    timed = [st for st in t.stages if st.seconds is not None or st.cpu_seconds is not None]
    if timed:
        parts.append(h.img(data.timing_png([st.stage for st in timed], [st.seconds or 0.0 for st in timed],
                                          [st.cpu_seconds or 0.0 for st in timed]),
                           "plot-timing", "Wall and CPU seconds inside each stage"))
        cpu_total = sum(st.cpu_seconds or 0.0 for st in timed)
        wall_total = sum(st.seconds or 0.0 for st in timed)
        rows = [(st.stage, st.n_in, st.seconds, st.cpu_seconds,
                 st.cpu_ms_per_doc,
                 round(st.n_in / st.seconds, 1) if st.seconds else None, h.cell_num(h.pct(st.cpu_seconds, cpu_total)))
                for st in timed]
        rows.append((h.cell_html("<strong>all stages</strong>"), None, round(wall_total, 3), round(cpu_total, 3), None,
                     None, h.cell_num(h.pct(cpu_total, cpu_total))))
        parts.append(h.table(["stage", "documents in", "wall seconds", "CPU seconds", "CPU ms / document",
                              "documents / wall second", "% of stage CPU"], rows, table_id="table-timing"))
        parts.append(h.note("Time inside each stage, summed over tasks (the reader's entry has no CPU figure). "
                            "The jobs' totals below also count reading, writing and starting the task processes."))
    if t.jobs:
        parts.append("<h3>Jobs</h3>" + h.table(["job", "tasks", "CPU seconds", "wall seconds",
                                                "largest task's peak memory (MB)"], t.jobs, table_id="table-jobs"))
        parts.append(h.note("A task's peak memory is its worker process's peak resident set while it ran (where "
                            "the kernel lets the peak be reset; else over the process's life), libraries included."))
    if t.work_disk:
        rows = [(h.code(k), round(v / 2**20, 2)) for k, v in t.work_disk.items()]
        rows.append((h.cell_html("<strong>all</strong>"), round(sum(t.work_disk.values()) / 2**20, 2)))
        parts.append("<h3>Work disk</h3>" + h.table(["OUT/work/", "MB"], rows, table_id="table-work-disk"))
        parts.append(h.note("Documents between phases and each barrier's keys, pairs and decisions, as the run "
                            "left them: what a run of this size needs on its work disk besides its output."))
    if t.run:
        r = t.run
        rows = [(k, r.get(key)) for k, key in (
            ("CPU seconds", "cpu_seconds"), ("wall seconds", "wall_seconds"),
            ("documents / second", "documents_per_second"), ("documents / CPU second", "documents_per_cpu_second"),
            ("executor", "executor"), ("tasks", "tasks"), ("phases", "phases"), ("tokenizer", "tokenizer"),
        ) if r.get(key) is not None]
        parts.append("<h3>Run</h3>" + h.table(["", ""], rows, table_id="table-run-timing", head=False))
        parts.append(h.note("Documents per second count records read (stats.json input) over the jobs' wall or CPU "
                            "seconds added up."))
    return h.section("section-timing", "Time", *parts)


def _funnel(rd: RunData) -> str:
    stages = data.funnel(rd.stats)
    if not stages:
        return ""
    rows, reasons = [], []
    for name, n_in, n_kept, dropped in stages:
        rows.append((name, n_in, n_kept, n_in - n_kept, h.cell_num(h.pct(n_kept, n_in))))
        for reason, n in sorted(dropped.items(), key=lambda kv: -kv[1]):
            reasons.append((name, reason, n, h.cell_num(h.pct(n, n_in))))
    plot = h.img(data.funnel_png([s[0] for s in stages], [s[1] for s in stages], [s[2] for s in stages]),
                 "plot-funnel", "Documents entering and kept per stage")
    table = h.table(["stage", "in", "kept", "dropped", "kept %"], rows, table_id="table-funnel")
    reason_table = "<h3>Drop reasons</h3>" + h.table(["stage", "reason", "documents", "% of stage input"], reasons,
                                                     table_id="table-drop-reasons")
    return h.section("section-funnel", "Funnel", plot, table, reason_table)


def _removed(rd: RunData) -> str:
    groups = data.drop_examples(rd)
    if not groups:
        return ""
    parts = [h.note(f"For each reason, the first {data.EXAMPLES_PER_REASON} removed documents by id (text with "
                    f"whitespace collapsed, cut at {data.SNIPPET_CHARS} characters; a document removed before text "
                    "extraction has no text yet) and the command that lists them all.")]
    for g in groups:
        rows = [(h.code(doc_id), url, h.cell_html(f'<span class="snippet">{h.esc(snippet)}</span>' if snippet
                                                  else '<span class="empty">(no text)</span>'))
                for doc_id, url, snippet in g.examples]
        parts.append(
            f'<div class="reason" id="examples-{h.slug(g.reason)}"><h3>{h.esc(g.reason)} '
            f'<span class="count">{g.count:,} documents, {h.esc(g.removed_by)}</span></h3>'
            f'<pre class="cmd"><code>{h.esc(g.command)}</code></pre>'
            + h.table(["id", "url", "text"], rows) + "</div>"
        )
    return h.section("section-removed", "Removed documents", *parts)


def _skipped(rd: RunData) -> str:
    skipped = rd.stats.get("skipped_by_reason") or {}
    if not skipped:
        return ""
    n_input = rd.stats.get("input", 0)
    rows = [(why, n, h.cell_num(h.pct(n, n_input))) for why, n in sorted(skipped.items(), key=lambda kv: -kv[1])]
    rows.append(("total", sum(skipped.values()), h.cell_num(h.pct(sum(skipped.values()), n_input))))
    return h.section("section-skipped", "Skipped records",
                     h.note("Records the reader did not turn into documents (not an HTTP response, bad status, "
                            "not HTML, truncated or corrupt, an unreadable file); they appear in no parquet file."),
                     h.table(["why", "records", "% of input"], rows, table_id="table-skipped"))


def _languages(rd: RunData) -> str:
    rows, n_langs = data.languages(rd)
    if not rows or all(r[0] == "(none)" for r in rows):
        return ""
    labels = [r[0] for r in rows]
    plot = h.img(data.kept_removed_png(labels, [r[1] for r in rows], [r[2] for r in rows]),
                 "plot-languages", "Documents per language, kept and removed (top 15)")
    table = h.table(["language", "kept", "removed", "kept %"],
                   [(r[0], r[1], r[2], h.cell_num(h.pct(r[1], r[1] + r[2]))) for r in rows], table_id="table-languages")
    note = h.note((f"Top 15 of {n_langs:,} languages." if n_langs > 15 else f"All {n_langs:,} languages.")
                  + (" '(none)': removed before language identification." if "(none)" in labels else ""))
    return h.section("section-languages", "Languages", plot, table, note)


def _length(rd: RunData) -> str:
    hist = data.length_histogram(rd)
    sizes = data.sizes(rd)
    if hist is None and not sizes:
        return ""
    parts = []
    if hist:
        edges, kept, removed = hist
        parts.append(h.img(data.hist_png(edges, kept, removed, "words per document (log scale)", logx=True),
                           "plot-length", "Words per document (log scale), kept and removed"))
        empty = data.empty_documents(rd)
        if empty[0] or empty[1]:
            parts.append(h.note(f"Documents with no words ({empty[0]:,} kept, {empty[1]:,} removed; e.g. dropped "
                                "before text extraction) are counted in the first bin."))
    rows = [(measure, h.kept(k), *rest) for measure, k, *rest in sizes]
    parts.append(h.table(["per document", "", "documents", "min", "p10", "median", "p90", "max", "total", "mean"], rows,
                         table_id="table-length"))
    tokenizer = (rd.stats.get("run") or {}).get("tokenizer") if isinstance(rd.stats.get("run"), dict) else None
    parts.append(h.note("Words are whitespace-separated; tokens are counted with the run's tokenizer"
                        + (f" ({tokenizer})." if tokenizer else ".")))
    return h.section("section-length", "Text length", *parts)


def _domains(rd: RunData) -> str:
    d = data.domains(rd)
    if d is None:
        return ""
    kept_note = (f"Top 20 of {d.n_kept_domains:,} domains among kept documents." if d.n_kept_domains > 20
                 else f"All {d.n_kept_domains:,} domains of kept documents.")
    kept = h.table(["domain", "kept documents", "words", "tokens", "% of kept"],
                  [(dom, c, w, t, h.cell_num(h.pct(c, d.n_kept_docs))) for dom, c, w, t in d.kept],
                   table_id="table-domains", empty="no kept documents with a domain")
    removed_note = (f"Top 20 of {d.n_removal_domains:,} domains with removed documents, by removed count."
                    if d.n_removal_domains > 20 else f"All {d.n_removal_domains:,} domains with removed documents.")
    removals = h.table(["domain", "kept", "removed", "removal rate", "most frequent reason"],
                      [(dom, k, r, h.cell_num(f"{100 * rate:.1f}%"), reason) for dom, k, r, rate, reason in d.removals],
                       table_id="table-domain-removals", empty="no removed documents with a domain")
    return h.section("section-domains", "Domains", "<h3>Kept</h3>", h.note(kept_note), kept,
                     "<h3>Removed</h3>", h.note(removed_note), removals)


def _quality(rd: RunData) -> str:
    parts, summary = [], []
    for q in data.quality(rd):
        name = q.column.removeprefix("quality_")
        parts.append(f"<h3>{h.esc(q.column)}</h3>")
        parts.append(h.img(data.hist_png(q.edges, q.kept, q.removed, q.column), f"plot-quality-{h.slug(name)}",
                           f"Quality score {q.column}, kept and removed"))
        summary.extend((q.column, h.kept(r[0]), *r[1:]) for r in q.summary)
    if not parts:
        return ""
    table = "<h3>Summary</h3>" + h.table(["column", "", "scored", "min", "p10", "median", "p90", "max"], summary,
                                         table_id="table-quality")
    return h.section("section-quality", "Quality scores", *parts, table)


# The run-wide sections, in page order; the stages' and REPORT_MODULES' sections follow them.
_SECTIONS = (_summary, _funnel, _timing, _removed, _skipped, _languages, _length, _domains, _quality)

# Navigation labels of the run-wide sections; other sections are linked by their <h2 data-nav> or their title.
_TITLES = {
    "section-summary": "Summary", "section-funnel": "Funnel", "section-timing": "Time",
    "section-removed": "Removed", "section-skipped": "Skipped", "section-languages": "Languages",
    "section-length": "Length", "section-domains": "Domains", "section-quality": "Quality",
}
_HEAD = re.compile(r'<section id="([^"]+)"><h2(?: data-nav="([^"]*)")?>([^<]*)</h2>')


# ----------------------------------------------------------------------------------------------- page

_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif;
       color: #1a202c; background: #fff; margin: 0 auto; max-width: 1100px; padding: 1.5rem 2rem 3rem;
       line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.6rem; margin: 0 0 .2rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #e2e8f0; padding-bottom: .25rem; margin-top: 2.2rem; }
h3 { font-size: 1.02rem; margin: 1.4rem 0 .4rem; }
h3 .count { font-weight: normal; color: #4a5568; font-size: .88rem; margin-left: .5rem; }
.sub { color: #4a5568; margin: 0 0 1rem; }
nav { font-size: .9rem; margin: .8rem 0 1rem; }
nav a { margin-right: .9rem; color: #2b6cb0; text-decoration: none; white-space: nowrap; }
nav a:hover { text-decoration: underline; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .88rem; }
th, td { border-bottom: 1px solid #e2e8f0; padding: .25rem .7rem; text-align: left; vertical-align: top; }
th { background: #f7fafc; font-weight: 600; border-bottom: 2px solid #cbd5e0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.empty, span.empty { color: #718096; font-style: italic; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
td code, p code { font-size: .85em; word-break: break-all; }
.snippet { font-size: .84rem; color: #2d3748; word-break: break-word; }
pre.cmd { background: #f7fafc; border: 1px solid #e2e8f0; border-radius: 4px; padding: .4rem .7rem;
          font-size: .82rem; white-space: pre-wrap; word-break: break-all; margin: .3rem 0; }
figure { margin: .8rem 0; }
img.plot { max-width: 100%; height: auto; display: block; }
figcaption { font-size: .82rem; color: #4a5568; }
.tiles { display: flex; flex-wrap: wrap; gap: .8rem; margin: .6rem 0; }
.tile { border: 1px solid #e2e8f0; border-radius: 6px; padding: .5rem 1rem; min-width: 9rem; }
.tile .value { font-size: 1.5rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .label { font-size: .82rem; color: #4a5568; }
.ok strong { color: #276749; }
.bad strong { color: #c53030; }
.status strong { color: #2b6cb0; }
.status.none strong { color: #276749; }
.status.off strong { color: #718096; }
.warnings li { color: #975a16; }
.note { color: #4a5568; font-size: .88rem; }
footer { margin-top: 3rem; font-size: .8rem; color: #718096; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav { display: none; }
  section, figure, table { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""


def _page(rd: RunData, sections: list[str]) -> str:
    name = rd.manifest.get("name") or rd.out.name
    heads = [m.groups() for s in sections if (m := _HEAD.match(s))]
    # labels and titles are escaped already, in the section's markup
    nav = "".join(f'<a href="#{i}">{h.esc(_TITLES[i]) if i in _TITLES else label or title}</a>'
                  for i, label, title in heads)
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>Winnow report: {h.esc(name)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>Winnow report: {h.esc(name)}</h1>\n"
        f"<p class=\"sub\">config <code>{h.esc(rd.manifest.get('config_hash', '?'))}</code> · "
        f"{h.esc(str(rd.out))} · generated {h.esc(made)}</p>\n<nav>{nav}</nav></header>\n"
        + "\n".join(sections)
        + "\n<footer>Made by <code>winnow report</code> from stats.json, manifest.json and the run's parquet files; "
        "the page is self-contained and makes no network requests.</footer>\n</body>\n</html>\n"
    )
