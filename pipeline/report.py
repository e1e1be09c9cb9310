"""``winnow report OUT``: one self-contained HTML page (``OUT/report.html``) describing a run.

This module is the page: HTML, CSS and the order of the sections. What the page shows comes from
:mod:`pipeline.report_data` (the DuckDB queries over the run and the matplotlib figures). The page opens
offline: plots are inline base64 PNG, styles inline, fonts the system's, and it makes no network request.
Every piece of document text or name from the run is HTML-escaped.

Sections, with the ids tests and readers link to. A stage-specific section whose stage did not run
says ``not run``; one whose stage ran and found nothing says ``none found`` (``<p id="<name>-status">``):

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
``section-dedup``      duplicate clusters by size (``plot-dup-clusters``), largest clusters,
                       dedup removals, the dedup stages' clustering summaries
``section-decontam``   documents matching a benchmark, by benchmark and kept/removed
``section-license``    licences found (license_v1): per SPDX id and per ``license_source``
``section-pii``        PII found (pii_v1): documents and occurrences per type
``section-ocr``        PDF pages by extraction method (``plot-ocr``), only for PDF runs
``section-mixture``    ``weights.json`` (``plot-weights``) and ``fit.json`` (``plot-fit``), only
                       where ``winnow mix`` wrote them
=====================  ===================================================================
"""

from __future__ import annotations

import html
import math
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from pipeline import report_data as data
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
        sections = [build(rd) for build in _SECTIONS]
    return _page(rd, [s for s in sections if s])


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


def _pct(part: float | None, whole: float | None) -> str:
    return "–" if not whole or part is None else f"{100.0 * part / whole:.1f}%"


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _cell_num(text: str) -> tuple[str, str]:
    """A table cell of pre-formatted text, right-aligned."""
    return ("num", text)


def _cell_html(markup: str) -> tuple[str, str]:
    """A table cell of markup (already escaped)."""
    return ("html", markup)


def _code(v: Any) -> tuple[str, str]:
    return _cell_html(f"<code>{esc(v)}</code>")


def _table(headers: list[str], rows: Iterable[Iterable[Any]], table_id: str | None = None,
           empty: str = "none", head: bool = True) -> str:
    """A table; numbers (and :func:`_cell_num` cells) are right-aligned, text is escaped."""
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
        body.append(f'<tr><td colspan="{len(headers)}" class="empty">{esc(empty)}</td></tr>')
    tid = f' id="{esc(table_id)}"' if table_id else ""
    thead = "<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr></thead>" if head else ""
    return f"<table{tid}>{thead}<tbody>{''.join(body)}</tbody></table>"


def _section(sid: str, title: str, *parts: str) -> str:
    return f'<section id="{sid}"><h2>{esc(title)}</h2>\n' + "\n".join(p for p in parts if p) + "\n</section>"


def _note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


NOT_RUN, NONE_FOUND, FOUND = "not run", "none found", "found"


def _status(name: str, state: str, text: str) -> str:
    """``<p id="<name>-status">``: whether a stage ran and found anything, in words a test can read."""
    cls = {NOT_RUN: "status off", NONE_FOUND: "status none"}.get(state, "status")
    return f'<p id="{esc(name)}-status" class="{cls}"><strong>{esc(state)}</strong>: {esc(text)}</p>'


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "x"


def _img(png_b64: str, plot_id: str, alt: str) -> str:
    return (f'<figure><img id="{esc(plot_id)}" class="plot" alt="{esc(alt)}" '
            f'src="data:image/png;base64,{png_b64}"><figcaption>{esc(alt)}</figcaption></figure>')


def _kept(flag: bool) -> str:
    return "kept" if flag else "removed"


def _stage_ran(rd: RunData, family: str) -> str:
    st = data.ran_stage(rd.stats, family)
    return f" ({st['stage']}: {st.get('in', 0):,} documents entered it)" if st else ""


# ----------------------------------------------------------------------------------------------- sections


def _summary(rd: RunData) -> str:
    s, m = rd.stats, rd.manifest
    n_docs, n_removed = data.parquet_counts(rd)
    holds = s.get("input") == s.get("kept", 0) + s.get("removed", 0) + s.get("skipped", 0)
    run = s.get("run") if isinstance(s.get("run"), dict) else {}
    counts = [("input", "records read", s.get("input")), ("kept", "kept documents", s.get("kept")),
              ("removed", "removed documents", s.get("removed")), ("skipped", "skipped records", s.get("skipped"))]
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
    command = " ".join(map(str, m["command"])) if isinstance(m.get("command"), list) else m.get("command")
    info = [
        ("run name", m.get("name") or rd.out.name), ("config hash", _code(m["config_hash"]) if m.get("config_hash") else None),
        ("created", m.get("created")), ("command", _code(command) if command else None), ("output", _code(rd.out)),
        ("executor", run.get("executor")), ("tasks", run.get("tasks", s.get("tasks_reported"))),
        ("CPU seconds", run.get("cpu_seconds")), ("wall seconds", run.get("wall_seconds")),
        ("documents / second", run.get("documents_per_second")),
        ("documents / CPU second", run.get("documents_per_cpu_second")),
        ("tokenizer", run.get("tokenizer")),
    ]
    parts = [f'<div class="tiles">{tiles}</div>', check, parquet,
             _table(["", ""], [(k, v) for k, v in info if v is not None], table_id="table-run", head=False)]
    versions = sorted((m.get("versions") or {}).items())
    if versions:
        per_row = 4
        rows = [sum(([k, str(v)] for k, v in versions[i:i + per_row]), []) for i in range(0, len(versions), per_row)]
        rows = [r + [""] * (2 * per_row - len(r)) for r in rows]
        parts.append("<h3>Versions</h3>" + _table(["package", "version"] * per_row, rows, table_id="table-versions"))
    inputs = m.get("inputs") or []
    if inputs:
        rows = [(i.get("path"), i.get("bytes"), _code(str(i.get("sha256", ""))[:16])) for i in inputs[:50]]
        more = _note(f"and {len(inputs) - 50:,} more input files") if len(inputs) > 50 else ""
        parts.append("<h3>Inputs</h3>" + _table(["path", "bytes", "sha256 (prefix)"], rows, table_id="table-inputs") + more)
    assets = m.get("assets") or []
    if assets:
        rows = [(a.get("stage"), a.get("path"), _code(str(a.get("sha256", ""))[:16])) for a in assets]
        parts.append("<h3>Assets</h3>" + _table(["stage", "path", "sha256 (prefix)"], rows, table_id="table-assets"))
    return _section("section-summary", "Run summary", *parts)


def _timing(rd: RunData) -> str:
    t = data.timings(rd.stats)
    if t is None:
        return ""
    parts = []
    timed = [st for st in t.stages if st.seconds is not None or st.cpu_seconds is not None]
    if timed:
        parts.append(_img(data.timing_png([st.stage for st in timed], [st.seconds or 0.0 for st in timed],
                                          [st.cpu_seconds or 0.0 for st in timed]),
                          "plot-timing", "Wall and CPU seconds inside each stage"))
        cpu_total = sum(st.cpu_seconds or 0.0 for st in timed)
        wall_total = sum(st.seconds or 0.0 for st in timed)
        rows = [(st.stage, st.n_in, st.seconds, st.cpu_seconds,
                 st.cpu_ms_per_doc,
                 round(st.n_in / st.seconds, 1) if st.seconds else None, _cell_num(_pct(st.cpu_seconds, cpu_total)))
                for st in timed]
        rows.append((_cell_html("<strong>all stages</strong>"), None, round(wall_total, 3), round(cpu_total, 3), None,
                     None, _cell_num(_pct(cpu_total, cpu_total))))
        parts.append(_table(["stage", "documents in", "wall seconds", "CPU seconds", "CPU ms / document",
                             "documents / wall second", "% of stage CPU"], rows, table_id="table-timing"))
        parts.append(_note("Time inside each stage, summed over tasks (the reader's entry has no CPU figure). "
                           "The jobs' totals below also count reading, writing and starting the task processes."))
    if t.jobs:
        parts.append("<h3>Jobs</h3>" + _table(["job", "tasks", "CPU seconds", "wall seconds"], t.jobs, table_id="table-jobs"))
    if t.run:
        r = t.run
        rows = [(k, r.get(key)) for k, key in (
            ("CPU seconds", "cpu_seconds"), ("wall seconds", "wall_seconds"),
            ("documents / second", "documents_per_second"), ("documents / CPU second", "documents_per_cpu_second"),
            ("executor", "executor"), ("tasks", "tasks"), ("phases", "phases"), ("tokenizer", "tokenizer"),
        ) if r.get(key) is not None]
        parts.append("<h3>Run</h3>" + _table(["", ""], rows, table_id="table-run-timing", head=False))
        parts.append(_note("Documents per second count records read (stats.json input) over the jobs' wall or CPU "
                           "seconds added up."))
    return _section("section-timing", "Time", *parts)


def _funnel(rd: RunData) -> str:
    stages = data.funnel(rd.stats)
    if not stages:
        return ""
    rows, reasons = [], []
    for name, n_in, n_kept, dropped in stages:
        rows.append((name, n_in, n_kept, n_in - n_kept, _cell_num(_pct(n_kept, n_in))))
        for reason, n in sorted(dropped.items(), key=lambda kv: -kv[1]):
            reasons.append((name, reason, n, _cell_num(_pct(n, n_in))))
    plot = _img(data.funnel_png([s[0] for s in stages], [s[1] for s in stages], [s[2] for s in stages]),
                "plot-funnel", "Documents entering and kept per stage")
    table = _table(["stage", "in", "kept", "dropped", "kept %"], rows, table_id="table-funnel")
    reason_table = "<h3>Drop reasons</h3>" + _table(["stage", "reason", "documents", "% of stage input"], reasons,
                                                    table_id="table-drop-reasons")
    return _section("section-funnel", "Funnel", plot, table, reason_table)


def _removed(rd: RunData) -> str:
    groups = data.drop_examples(rd)
    if not groups:
        return ""
    parts = [_note(f"For each reason, the first {data.EXAMPLES_PER_REASON} removed documents by id (text with "
                   f"whitespace collapsed, cut at {data.SNIPPET_CHARS} characters; a document removed before text "
                   "extraction has no text yet) and the command that lists them all.")]
    for g in groups:
        rows = [(_code(doc_id), url, _cell_html(f'<span class="snippet">{esc(snippet)}</span>' if snippet
                                                 else '<span class="empty">(no text)</span>'))
                for doc_id, url, snippet in g.examples]
        parts.append(
            f'<div class="reason" id="examples-{_slug(g.reason)}"><h3>{esc(g.reason)} '
            f'<span class="count">{g.count:,} documents, {esc(g.removed_by)}</span></h3>'
            f'<pre class="cmd"><code>{esc(g.command)}</code></pre>'
            + _table(["id", "url", "text"], rows) + "</div>"
        )
    return _section("section-removed", "Removed documents", *parts)


def _skipped(rd: RunData) -> str:
    skipped = rd.stats.get("skipped_by_reason") or {}
    if not skipped:
        return ""
    n_input = rd.stats.get("input", 0)
    rows = [(why, n, _cell_num(_pct(n, n_input))) for why, n in sorted(skipped.items(), key=lambda kv: -kv[1])]
    rows.append(("total", sum(skipped.values()), _cell_num(_pct(sum(skipped.values()), n_input))))
    return _section("section-skipped", "Skipped records",
                    _note("Records the reader did not turn into documents (not an HTTP response, bad status, "
                          "not HTML, truncated or corrupt, an unreadable file); they appear in no parquet file."),
                    _table(["why", "records", "% of input"], rows, table_id="table-skipped"))


def _languages(rd: RunData) -> str:
    rows, n_langs = data.languages(rd)
    if not rows or all(r[0] == "(none)" for r in rows):
        return ""
    labels = [r[0] for r in rows]
    plot = _img(data.kept_removed_png(labels, [r[1] for r in rows], [r[2] for r in rows]),
                "plot-languages", "Documents per language, kept and removed (top 15)")
    table = _table(["language", "kept", "removed", "kept %"],
                   [(r[0], r[1], r[2], _cell_num(_pct(r[1], r[1] + r[2]))) for r in rows], table_id="table-languages")
    note = _note((f"Top 15 of {n_langs:,} languages." if n_langs > 15 else f"All {n_langs:,} languages.")
                 + (" '(none)': removed before language identification." if "(none)" in labels else ""))
    return _section("section-languages", "Languages", plot, table, note)


def _length(rd: RunData) -> str:
    hist = data.length_histogram(rd)
    sizes = data.sizes(rd)
    if hist is None and not sizes:
        return ""
    parts = []
    if hist:
        edges, kept, removed = hist
        parts.append(_img(data.hist_png(edges, kept, removed, "words per document (log scale)", logx=True),
                          "plot-length", "Words per document (log scale), kept and removed"))
        empty = data.empty_documents(rd)
        if empty[0] or empty[1]:
            parts.append(_note(f"Documents with no words ({empty[0]:,} kept, {empty[1]:,} removed; e.g. dropped "
                               "before text extraction) are counted in the first bin."))
    rows = [(measure, _kept(k), *rest) for measure, k, *rest in sizes]
    parts.append(_table(["per document", "", "documents", "min", "p10", "median", "p90", "max", "total", "mean"], rows,
                        table_id="table-length"))
    tokenizer = (rd.stats.get("run") or {}).get("tokenizer") if isinstance(rd.stats.get("run"), dict) else None
    parts.append(_note("Words are whitespace-separated; tokens are counted with the run's tokenizer"
                       + (f" ({tokenizer})." if tokenizer else ".")))
    return _section("section-length", "Text length", *parts)


def _domains(rd: RunData) -> str:
    d = data.domains(rd)
    if d is None:
        return ""
    kept_note = (f"Top 20 of {d.n_kept_domains:,} domains among kept documents." if d.n_kept_domains > 20
                 else f"All {d.n_kept_domains:,} domains of kept documents.")
    kept = _table(["domain", "kept documents", "words", "tokens", "% of kept"],
                  [(dom, c, w, t, _cell_num(_pct(c, d.n_kept_docs))) for dom, c, w, t in d.kept],
                  table_id="table-domains", empty="no kept documents with a domain")
    removed_note = (f"Top 20 of {d.n_removal_domains:,} domains with removed documents, by removed count."
                    if d.n_removal_domains > 20 else f"All {d.n_removal_domains:,} domains with removed documents.")
    removals = _table(["domain", "kept", "removed", "removal rate", "most frequent reason"],
                      [(dom, k, r, _cell_num(f"{100 * rate:.1f}%"), reason) for dom, k, r, rate, reason in d.removals],
                      table_id="table-domain-removals", empty="no removed documents with a domain")
    return _section("section-domains", "Domains", "<h3>Kept</h3>", _note(kept_note), kept,
                    "<h3>Removed</h3>", _note(removed_note), removals)


def _quality(rd: RunData) -> str:
    parts, summary = [], []
    for q in data.quality(rd):
        name = q.column.removeprefix("quality_")
        parts.append(f"<h3>{esc(q.column)}</h3>")
        parts.append(_img(data.hist_png(q.edges, q.kept, q.removed, q.column), f"plot-quality-{_slug(name)}",
                          f"Quality score {q.column}, kept and removed"))
        summary.extend((q.column, _kept(r[0]), *r[1:]) for r in q.summary)
    if not parts:
        return ""
    table = "<h3>Summary</h3>" + _table(["column", "", "scored", "min", "p10", "median", "p90", "max"], summary,
                                        table_id="table-quality")
    return _section("section-quality", "Quality scores", *parts, table)


def _dedup(rd: RunData) -> str:
    d = data.dedup(rd)
    if not d.ran and not d.clusters:
        return _section("section-dedup", "Duplicates", _status("dedup", NOT_RUN, "no dedup stage in this run "
                                                                "(no dup_of column, no dedup stage in stats.json)."))
    if not d.clusters and not d.removals:
        return _section("section-dedup", "Duplicates", _status("dedup", NONE_FOUND, f"no duplicate clusters; "
                                                                f"{d.singletons:,} documents reached dedup."))
    n_clusters = sum(c[1] for c in d.clusters)
    parts = [_status("dedup", FOUND, f"{n_clusters:,} duplicate clusters; {d.singletons:,} documents that reached "
                                      "dedup have no duplicate.")]
    if d.clusters:
        parts.append(_img(data.clusters_png([str(c[0]) for c in d.clusters], [c[1] for c in d.clusters]),
                          "plot-dup-clusters", "Duplicate clusters by size"))
        parts.append(_table(["cluster size", "clusters", "documents in this run", "removed as duplicates"],
                            [(_cell_num(esc(b)), n, docs, dups) for b, n, docs, dups in d.clusters],
                            table_id="table-dup-clusters"))
        parts.append(_note("Size is dup_cluster_size (documents the cluster stands for, over every dedup stage so "
                           "far); clusters are grouped by dup_cluster, the kept representative's id."))
        parts.append("<h3>Largest clusters</h3>" + _table(
            ["representative", "url", "size", "documents in this run"],
            [(_code(rep), url, s, n) for rep, url, s, n in d.largest], table_id="table-dup-largest"))
    if d.removals:
        parts.append("<h3>Dedup removals</h3>" + _table(["stage", "reason", "documents"], d.removals,
                                                         table_id="table-dedup-removals"))
    if d.barriers:
        keys = sorted({k for v in d.barriers.values() if isinstance(v, dict) for k in v})
        rows = [(stage, *[v.get(k) if isinstance(v, dict) else None for k in keys]) for stage, v in d.barriers.items()]
        parts.append("<h3>Clustering</h3>" + _table(["stage", *[k.replace("_", " ") for k in keys]], rows,
                                                    table_id="table-dedup-clustering"))
    return _section("section-dedup", "Duplicates", *parts)


def _decontam(rd: RunData) -> str:
    rows = data.decontam(rd)
    if rows is None:
        return _section("section-decontam", "Decontamination",
                        _status("decontam", NOT_RUN, "decontam_v1 did not run (no decontam_benchmark column)."))
    if not rows:
        return _section("section-decontam", "Decontamination", _status(
            "decontam", NONE_FOUND, "no document shares n-grams with a benchmark item" + _stage_ran(rd, "decontam_") + "."))
    n = sum(r[1] + r[2] for r in rows)
    table = _table(["benchmark", "kept (masked)", "removed", "distinct items", "mean matching n-grams"], rows,
                   table_id="table-decontam")
    return _section("section-decontam", "Decontamination",
                    _status("decontam", FOUND, f"{n:,} documents share n-grams with a benchmark item."), table)


def _license(rd: RunData) -> str:
    lic = data.licences(rd)
    title = "Licences"
    if not lic.ran and not lic.by_licence:
        return _section("section-license", title, _status("license", NOT_RUN, "license_v1 did not run "
                                                          "(no license_source column) and the input carries no licence."))
    if lic.ran and not lic.by_licence:
        return _section("section-license", title, _status(
            "license", NONE_FOUND, "no document carries a licence signal" + _stage_ran(rd, "license_") + "."))
    n = sum(r[1] + r[2] for r in lic.by_licence)
    total = n + sum(lic.unlicensed)
    text = (f"{n:,} of {total:,} documents carry a licence." if lic.ran
            else f"license_v1 did not run; {n:,} of {total:,} documents carry a licence from the input.")
    parts = [_status("license", FOUND, text),
             "<h3>By licence</h3>" + _table(["licence", "kept", "removed", "% of documents"],
                                             [(k, a, b, _cell_num(_pct(a + b, total))) for k, a, b in lic.by_licence],
                                             table_id="table-licences")]
    if lic.ran:
        parts.append("<h3>By where it was found</h3>" + _table(["license_source", "kept", "removed"], lic.by_source,
                                                                table_id="table-license-sources"))
    parts.append(_note(f"Without a licence: {lic.unlicensed[0]:,} kept, {lic.unlicensed[1]:,} removed."))
    return _section("section-license", title, *parts)


def _pii(rd: RunData) -> str:
    p = data.pii(rd)
    if p is None:
        return _section("section-pii", "Personal data (PII)",
                        _status("pii", NOT_RUN, "pii_v1 did not run (no pii_* columns)."))
    table = _table(["type", "documents checked", "documents with any", "occurrences", "kept with any", "removed with any"],
                   p.rows, table_id="table-pii")
    if not p.found:
        return _section("section-pii", "Personal data (PII)", _status(
            "pii", NONE_FOUND, "no e-mail address, phone number, IP address or card number" + _stage_ran(rd, "pii_") + "."),
            table)
    docs = max(r[2] for r in p.rows)
    occ = sum(r[3] for r in p.rows)
    return _section("section-pii", "Personal data (PII)",
                    _status("pii", FOUND, f"{occ:,} occurrences (up to {docs:,} documents for one type)."), table,
                    _note("Occurrences are masked in kept text when the stage masks (mode: mask); "
                          "documents checked: those that reached pii_v1."))


def _ocr(rd: RunData) -> str:
    o = data.ocr(rd)
    if o is None:
        return ""
    if o.methods:
        labels, values = [m for m, _ in o.methods], [n for _, n in o.methods]
        caption = "PDF pages by extraction method (from metadata.page_methods)"
    else:
        pages = sum(r[2] or 0 for r in o.rows)
        n_ocr = sum(r[3] or 0 for r in o.rows)
        labels, values = ["text layer", "OCR"], [max(pages - n_ocr, 0), n_ocr]
        caption = "PDF pages by extraction method (text layer = page_count - ocr_pages)"
    parts = [_img(data.values_png(labels, values, "pages"), "plot-ocr", caption)]
    rows = [(_kept(r[0]), r[1], r[4], r[2], r[3], _cell_num(_pct(r[3] or 0, r[2] or 0))) for r in o.rows]
    parts.append(_table(["", "documents", "PDFs", "pages", "OCR pages", "OCR %"], rows, table_id="table-ocr"))
    if o.methods:
        parts.append(_table(["method", "pages"], o.methods, table_id="table-ocr-methods"))
    return _section("section-ocr", "PDF pages and OCR", *parts)


def _mixture(rd: RunData) -> str:
    mix = data.mixture(rd.out)
    if mix is None:
        return ""
    parts = []
    if mix.weights:
        parts.append("<h3>Weights</h3>")
        parts.append(_img(data.values_png([w[0] for w in mix.weights], [w[1] for w in mix.weights], "weight", "{:.3g}"),
                          "plot-weights", "Chosen mixture weights"))
        parts.append(_table(["source", "weight", "natural", "available tokens"], mix.weights, table_id="table-weights"))
    if mix.facts:
        parts.append(_table(["", ""], mix.facts, table_id="table-mix-facts", head=False))
    if mix.warnings:
        parts.append("<ul class=\"warnings\">" + "".join(f"<li>{esc(w)}</li>" for w in mix.warnings) + "</ul>")
    if mix.fit or mix.held_out:
        parts.append("<h3>Fit</h3>")
        if mix.held_out:
            parts.append(_img(data.fit_png(*mix.held_out), "plot-fit", "Regression fit: held-out predicted vs actual loss"))
        parts.append(_table(["metric", "value"], mix.fit, table_id="table-fit"))
        if mix.models:
            parts.append(_table(["model", "Spearman", "MAE", "RMSE"], mix.models, table_id="table-fit-models"))
    if not parts:
        return ""
    return _section("section-mixture", "Mixture", *parts)


_SECTIONS = (_summary, _funnel, _timing, _removed, _skipped, _languages, _length, _domains, _quality, _dedup,
             _decontam, _license, _pii, _ocr, _mixture)

_TITLES = {
    "section-summary": "Summary", "section-funnel": "Funnel", "section-timing": "Time",
    "section-removed": "Removed", "section-skipped": "Skipped", "section-languages": "Languages",
    "section-length": "Length", "section-domains": "Domains", "section-quality": "Quality",
    "section-dedup": "Duplicates", "section-decontam": "Decontamination", "section-license": "Licences",
    "section-pii": "PII", "section-ocr": "OCR", "section-mixture": "Mixture",
}


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
    ids = [m.group(1) for s in sections if (m := re.match(r'<section id="([^"]+)"', s))]
    nav = "".join(f'<a href="#{i}">{esc(_TITLES.get(i, i))}</a>' for i in ids)
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>Winnow report: {esc(name)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>Winnow report: {esc(name)}</h1>\n"
        f"<p class=\"sub\">config <code>{esc(rd.manifest.get('config_hash', '?'))}</code> · "
        f"{esc(str(rd.out))} · generated {esc(made)}</p>\n<nav>{nav}</nav></header>\n"
        + "\n".join(sections)
        + "\n<footer>Made by <code>winnow report</code> from stats.json, manifest.json and the run's parquet files; "
        "the page is self-contained and makes no network requests.</footer>\n</body>\n</html>\n"
    )
