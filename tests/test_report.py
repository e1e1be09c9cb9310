"""`winnow report`: OUT/report.html from real runs (configs/demo.yaml, and a small run without the optional stages),
checked as text against DuckDB over the same outputs, and in headless Chromium."""

from __future__ import annotations

import base64
import html
import json
import re
import shlex
import shutil
import struct
import subprocess
from collections import Counter

import pytest

from pipeline.cli import main
from pipeline.config import load_config, parse_config
from pipeline.query import connect
from pipeline.report import build_report, write_report
from pipeline.report_data import KEPT_COLOUR
from pipeline.run import run
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("demo_quality_model")  # runs configs/demo.yaml, which scores with it

DEMO_SECTIONS = ["summary", "funnel", "timing", "removed", "skipped", "languages", "length", "domains", "quality",
                 "dedup", "decontam", "license", "pii"]
DEMO_PLOTS = ["plot-funnel", "plot-timing", "plot-languages", "plot-length", "plot-quality-demo", "plot-dup-clusters"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "out"
    cfg = load_config(ROOT / "configs" / "demo.yaml").with_overrides(output=str(out))
    run(cfg)
    return out


@pytest.fixture(scope="module")
def demo_report(demo_out):
    path = write_report(demo_out)
    return path, path.read_text(encoding="utf-8")


def _images(page: str) -> dict[str, bytes]:
    """Plot id -> decoded PNG bytes for every <img> in the page."""
    out = {}
    for tag in re.findall(r"<img\b[^>]*>", page):
        pid = re.search(r'\bid="([^"]+)"', tag)
        src = re.search(r'\bsrc="data:image/png;base64,([A-Za-z0-9+/=]+)"', tag)
        assert pid and src, f"plot without id or inline PNG: {tag[:120]}"
        assert re.search(r'\balt="[^"]+"', tag), f"{pid.group(1)} has no alt text"
        out[pid.group(1)] = base64.b64decode(src.group(1))
    return out


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    return struct.unpack(">II", data[16:24])


def _assert_self_contained(page: str) -> None:
    low = page.lower()
    assert 'src="http' not in low and "src='http" not in low
    assert "<link" not in low
    assert "<script" not in low
    assert "@import" not in low and "url(" not in low  # no web fonts or remote CSS


def _assert_plots(page: str, expected: list[str]) -> dict[str, bytes]:
    images = _images(page)
    for pid in expected:
        assert pid in images, f"{pid} missing (have {sorted(images)})"
        w, h = _png_size(images[pid])
        assert w >= 300 and h >= 100 and len(images[pid]) > 3000, (pid, w, h, len(images[pid]))
    assert page.count('id="plot-') == len(images)
    return images


def test_demo_report_is_self_contained_and_complete(demo_out, demo_report):
    path, page = demo_report
    assert path == demo_out / "report.html" and path.is_file()
    assert page.startswith("<!DOCTYPE html>")
    _assert_self_contained(page)
    for s in DEMO_SECTIONS:
        assert f'<section id="section-{s}">' in page
    for s in ("ocr", "mixture"):  # the demo has no PDFs or mixture
        assert f'id="section-{s}"' not in page
    images = _assert_plots(page, DEMO_PLOTS)
    assert set(images) == set(DEMO_PLOTS)

    stats = json.loads((demo_out / "stats.json").read_text())
    manifest = json.loads((demo_out / "manifest.json").read_text())
    for key in ("input", "kept", "removed", "skipped"):
        assert f'<div class="value" id="count-{key}">{stats[key]:,}</div>' in page
    assert "<strong>holds</strong>" in page and "match stats.json" in page
    assert manifest["config_hash"] in page
    assert f"<td>duckdb</td><td>{manifest['versions']['duckdb']}</td>" in page
    for reason, n in stats["removed_by_reason"].items():
        assert re.search(rf"<td>{reason}</td><td class=\"num\">{n:,}</td>", page), reason
    for why in stats["skipped_by_reason"]:
        assert f"<td>{why}</td>" in page
    # languages and domains come from the parquet: the table's first row is the biggest language
    con = connect(demo_out)
    lang, n_kept = con.execute("select lang, count(*) from documents group by 1 order by 2 desc limit 1").fetchone()
    assert f"<td>{lang}</td><td class=\"num\">{n_kept:,}</td>" in page
    domain = con.execute("select domain from documents group by 1 order by count(*) desc, 1 limit 1").fetchone()[0]
    assert f"<td>{domain}</td>" in page
    assert "<td>demo_benchmark</td>" in page


def _table(page: str, table_id: str) -> str:
    m = re.search(rf'<table id="{table_id}">.*?</table>', page, re.S)
    assert m, f"no table {table_id}"
    return m.group(0)


def _status(page: str, name: str) -> str:
    """What a stage-specific section says about its stage: 'not run', 'none found' or 'found'."""
    m = re.search(rf'<p id="{name}-status"[^>]*><strong>([^<]+)</strong>', page)
    assert m, f"no {name}-status"
    return m.group(1)


def _fmt(v) -> str:
    """A number as the page writes it."""
    if isinstance(v, int):
        return f"{v:,}"
    if v and (abs(v) < 1e-3 or abs(v) >= 1e6):
        return f"{v:.3g}"
    return f"{v:,.3f}".rstrip("0").rstrip(".") if abs(v) < 1000 else f"{v:,.1f}"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def test_timing_per_stage_job_and_run(demo_out, demo_report):
    _, page = demo_report
    stats = json.loads((demo_out / "stats.json").read_text())
    table = _table(page, "table-timing")
    for st in stats["stages"]:
        cpu = _fmt(st["cpu_seconds"]) if "cpu_seconds" in st else "–"  # the reader has no CPU figure
        per_doc = _fmt(st["cpu_ms_per_doc"]) if st.get("cpu_ms_per_doc") is not None else "–"
        if "cpu_seconds" in st and st["in"]:
            # cpu_seconds is rounded to 1 ms in stats.json, the per-document figure is not
            assert abs(st["cpu_ms_per_doc"] - 1000 * st["cpu_seconds"] / st["in"]) <= 0.5 / st["in"] + 1e-3
        assert (f'<td>{st["stage"]}</td><td class="num">{st["in"]:,}</td><td class="num">{_fmt(st["seconds"])}</td>'
                f'<td class="num">{cpu}</td><td class="num">{per_doc}</td>') in table, st["stage"]
    total_cpu = round(sum(st.get("cpu_seconds", 0.0) for st in stats["stages"]), 3)
    assert re.search(rf'<strong>all stages</strong></td><td class="num">–</td><td class="num">[^<]+</td>'
                     rf'<td class="num">{re.escape(_fmt(total_cpu))}</td>', table)
    jobs = _table(page, "table-jobs")
    assert set(stats["jobs"]) >= {"0", "0-barrier", "1"}
    for job, j in stats["jobs"].items():
        assert (f'<td>{job}</td><td class="num">{j["tasks"]:,}</td><td class="num">{_fmt(j["cpu_seconds"])}</td>'
                f'<td class="num">{_fmt(j["wall_seconds"])}</td>') in jobs, job
    run_table = _table(page, "table-run-timing")
    for label, key in (("CPU seconds", "cpu_seconds"), ("wall seconds", "wall_seconds"),
                       ("documents / second", "documents_per_second"),
                       ("documents / CPU second", "documents_per_cpu_second")):
        assert f'<td>{label}</td><td class="num">{_fmt(stats["run"][key])}</td>' in run_table, key
    assert f'<td>tokenizer</td><td>{stats["run"]["tokenizer"]}</td>' in run_table


def test_report_of_an_old_run_without_timings(demo_out, tmp_path):
    out = tmp_path / "old"
    shutil.copytree(demo_out, out, ignore=shutil.ignore_patterns("work", "logs", "shards", "report.html"))
    stats = json.loads((out / "stats.json").read_text())
    stats.pop("jobs"), stats.pop("run")
    for st in stats["stages"]:
        st.pop("cpu_seconds", None)
    (out / "stats.json").write_text(json.dumps(stats))
    page = build_report(out)
    assert '<section id="section-timing">' in page
    assert 'id="table-jobs"' not in page and 'id="table-run-timing"' not in page
    assert re.search(r'<td>gopher_quality_v1</td><td class="num">[\d,]+</td><td class="num">[\d.]+</td>'
                     r'<td class="num">–</td>', _table(page, "table-timing"))
    for st in stats["stages"]:
        st.pop("seconds")
    (out / "stats.json").write_text(json.dumps(stats))
    page = build_report(out)
    assert 'id="section-timing"' not in page and '<section id="section-funnel">' in page


def test_removed_examples_and_the_query_that_lists_them(demo_out, demo_report, capsys):
    _, page = demo_report
    stats = json.loads((demo_out / "stats.json").read_text())
    con = connect(demo_out)
    section = re.search(r'<section id="section-removed">.*?</section>', page, re.S).group(0)
    for reason, n in stats["removed_by_reason"].items():
        block = re.search(rf'<div class="reason" id="examples-{_slug(reason)}">.*?</table></div>', section, re.S)
        assert block, reason
        block = block.group(0)
        assert f"{n:,} documents" in block
        ids = [r[0] for r in con.execute("select id from removed where reason = ? order by id", [reason]).fetchall()]
        assert re.findall(r"<tr><td><code>([^<]+)</code></td>", block) == ids[:3]
        cmd = html.unescape(re.search(r'<pre class="cmd"><code>(.*?)</code></pre>', block).group(1))
        argv = shlex.split(cmd)
        assert argv[:3] == ["winnow", "sql", str(demo_out)] and f"from removed where reason = '{reason}'" in argv[3]
        capsys.readouterr()
        assert main([*argv[1:], "--json"]) == 0  # the command, as printed, lists every document of the reason
        assert [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()] == ids
    doc_id, text = con.execute("select id, text from removed where reason = 'gopher_repetition_dup_line_frac' "
                               "order by id limit 1").fetchone()
    snippet = " ".join(text.split())[:200].rstrip()
    assert len(text) > 250 and f"{html.escape(snippet)}…</span>" in section
    assert '<span class="empty">(no text)</span>' in section  # the language prefilter drops before extraction


def test_sql_command_quotes_for_the_shell():
    from pipeline.report_data import reason_query, sql_command

    reason = "odd_'quote'_$HOME"
    cmd = sql_command(ROOT / "out dir", reason_query(reason), 120)
    argv = shlex.split(cmd)
    assert argv[:3] == ["winnow", "sql", str(ROOT / "out dir")] and argv[4:] == ["--max-rows", "120"]
    assert argv[3] == reason_query(reason) and "reason = 'odd_''quote''_$HOME'" in argv[3]
    assert sql_command(ROOT, "select 1", 40) == f'winnow sql {ROOT} "select 1"'


def test_sizes_in_words_characters_and_tokens(demo_out, demo_report):
    _, page = demo_report
    con = connect(demo_out)
    table = _table(page, "table-length")
    for measure, col in (("words", "n_words"), ("characters", "n_chars"), ("tokens", "n_tokens")):
        for kept in (True, False):
            n, total = con.execute(f"select count({col}), sum({col}) from all_documents where kept = ?",
                                   [kept]).fetchone()
            assert n and re.search(rf'<tr><td>{measure}</td><td>{"kept" if kept else "removed"}</td>'
                                   rf'<td class="num">{n:,}</td>'
                                   rf'(<td class="num">[^<]*</td>){{5}}<td class="num">{total:,}</td>', table), (
                measure, kept)
    domain, docs, words, tokens = con.execute(
        "select domain, count(*), sum(n_words), sum(n_tokens) from documents group by 1 order by 2 desc, 1 limit 1"
    ).fetchone()
    assert words != tokens
    assert (f'<td>{domain}</td><td class="num">{docs:,}</td><td class="num">{words:,}</td>'
            f'<td class="num">{tokens:,}</td>') in _table(page, "table-domains")


def test_domains_by_removals(demo_out, demo_report):
    _, page = demo_report
    con = connect(demo_out)
    rows = con.execute(
        "select domain, count(*) filter (where kept) k, count(*) filter (where not kept) r from all_documents "
        "where domain is not null group by 1 having r > 0 order by r desc, r / (k + r) desc, domain").fetchall()
    table = _table(page, "table-domain-removals")
    assert len(rows) > 3 and table.count("<tr>") == 1 + min(20, len(rows))
    for domain, k, r in rows[:20]:
        assert (f'<td>{domain}</td><td class="num">{k:,}</td><td class="num">{r:,}</td>'
                f'<td class="num">{100 * r / (k + r):.1f}%</td>') in table, domain
    assert any(k == 0 for _, k, _ in rows) and '<td class="num">100.0%</td>' in table  # wholly removed domains


def test_duplicate_clusters_by_size(demo_out, demo_report):
    _, page = demo_report
    con = connect(demo_out)
    sizes = Counter(s for s, in con.execute("select max(dup_cluster_size) from all_documents "
                                            "where dup_cluster is not null "
                                            "group by dup_cluster").fetchall())
    assert sizes and max(sizes) <= 10
    table = _table(page, "table-dup-clusters")
    for size, n in sizes.items():
        assert f'<tr><td class="num">{size}</td><td class="num">{n:,}</td>' in table
    assert _status(page, "dedup") == "found" and f"{sum(sizes.values()):,} duplicate clusters" in page
    biggest = con.execute("select dup_cluster from all_documents where dup_cluster is not null group by 1 "
                          "order by max(dup_cluster_size) desc, 1 limit 1").fetchone()[0]
    assert f"<tr><td><code>{biggest}</code></td>" in _table(page, "table-dup-largest")


def test_stage_findings_in_the_demo(demo_out, demo_report):
    """The demo runs license_v1, pii_v1 and decontam_v1: licence and PII find nothing, and say so."""
    _, page = demo_report
    con = connect(demo_out)
    assert con.execute("select count(license), sum(pii_email + pii_phone + pii_ip + pii_card) from all_documents"
                       ).fetchone() == (0, 0)
    assert _status(page, "license") == "none found" and _status(page, "pii") == "none found"
    checked = con.execute("select count(pii_email) from all_documents").fetchone()[0]
    assert (f'<td>email</td><td class="num">{checked:,}</td><td class="num">0</td><td class="num">0</td>'
            in _table(page, "table-pii"))
    assert _status(page, "decontam") == "found"


def test_stage_sections_come_from_the_stages_hooks(demo_out, demo_report, monkeypatch):
    """Stage-specific sections come from Stage.report_section, asked of every registered stage: a hook that several
    stages share (exact, URL and MinHash dedup) runs once, and the navigation keeps a section's short label."""
    import filters.dedup
    from pipeline.registry import stages

    _, page = demo_report
    assert page.count('<section id="section-dedup">') == 1 and page.count('<section id="section-pii">') == 1
    assert '<a href="#section-dedup">Duplicates</a>' in page and '<a href="#section-pii">PII</a>' in page
    sharing = [name for name, cls in stages().items()
               if getattr(cls.report_section, "__func__", None) is filters.dedup._DedupBase.report_section.__func__]
    assert len(sharing) >= 2, sharing
    calls = []
    real = filters.dedup.report_section
    monkeypatch.setattr(filters.dedup, "report_section", lambda rd: calls.append(rd) or real(rd))
    assert build_report(demo_out).count('<section id="section-dedup">') == 1 and len(calls) == 1


def test_dedup_summary_line_for_the_cli():
    from filters.dedup import ExactDedup, MinHashDedup
    from pipeline.stage import Stage

    summary = {"documents": 10, "candidate_pairs": 7, "linked_pairs": 5, "duplicates": 4, "clusters": 2,
               "capped_documents": 0}
    assert MinHashDedup.summary_line(summary) == ("minhash_dedup_v1: 4 duplicates in 2 clusters "
                                                  "(7 candidate pairs, 5 linked)")
    assert ExactDedup.summary_line(summary).startswith("exact_dedup_v1: 4 duplicates")
    assert MinHashDedup.summary_line({"kept": 3}) is None  # another shape: the CLI prints it as JSON
    assert Stage.summary_line(summary) is None and Stage.report_section(None) is None


def _decorate(src, dst):
    """A copy of the demo run with quality scores, PDF pages (OCR methods in metadata), licences, PII counts, HTML in
    a removed document's text, and a fitted mixture (weights.json and fit.json as `winnow mix` writes them)."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("work", "logs", "shards", "report.html"))
    con = connect(dst)
    methods = json.dumps({"page_methods": [{"page": i, "method": m, "confidence": 0.9, "reason": "test"}
                                           for i, m in enumerate(["text", "tesseract", "text", "vlm"])], "x": 1})
    for view in ("documents", "removed"):
        text = (", case when reason = 'gopher_quality_few_words' then '<script>alert(2)</script> & ' || text "
                "else text end as text") if view == "removed" else ""
        for f in sorted((dst / view).glob("*.parquet")):
            tmp = f.with_suffix(".tmp")
            q = str(f).replace("'", "''")
            con.execute(f"""
                copy (select * replace (
                        case when hash(id) % 3 = 0 then 4 end as page_count,
                        case when hash(id) % 3 = 0 then 2 end as ocr_pages,  -- page_methods' tesseract and vlm pages
                        case when hash(id) % 3 = 0 then '{methods}' else metadata end as metadata,
                        case hash(id) % 4 when 0 then 'CC-BY-4.0' when 1 then 'CC0-1.0' end as license,
                        case hash(id) % 4 when 0 then 'html-rel' when 1 then 'html-meta' end as license_source,
                        case when pii_email is not null and hash(id) % 5 = 0 then 2 else pii_email end as pii_email
                        {text}),
                        (hash(id) % 1000) / 1000.0 as quality_fasttext
                      from read_parquet('{q}'))
                to '{str(tmp).replace("'", "''")}' (format parquet)""")
            tmp.replace(f)
    names = ["cc", "pdf", "<script>alert(1)</script>"]
    (dst / "weights.json").write_text(json.dumps({  # the keys of mixers.mix.choose_mix
        "weights": dict(zip(names, [0.6, 0.3, 0.1])), "predicted_loss": 1.234, "fallback": None,
        "distance_to_nearest_run": {"total_variation": 0.05, "run": 3},
        "regression": {"model": "loglinear", "cv_spearman": 0.88, "cv_rmse": 0.02},
        "tokenizer": "utf8_bytes_v1", "loss_unit": "bits per byte",
        "available_tokens": dict(zip(names, [1_000_000, 400_000, 10_000])),
        "natural": dict(zip(names, [0.5, 0.4, 0.1])), "target_tokens": 500_000, "runs": 12,
        "warnings": ["max_weight <b>binds</b> for cc"],
    }))
    (dst / "fit.json").write_text(json.dumps({  # the keys of mixers.mix.fit
        "chosen_model": "loglinear", "runs": 12, "folds": 4, "spearman": 0.88, "mae": 0.01, "rmse": 0.02,
        "models": {"loglinear": {"folds": 4, "spearman": 0.88, "mae": 0.01, "rmse": 0.02},
                   "gbm": {"folds": 4, "spearman": 0.71, "mae": 0.03, "rmse": 0.04}},
        "loss_unit": "bits per byte of target dev text", "tokenizer": "utf8_bytes_v1",
        "held_out": {"predicted": [1.1, 1.9, 3.2, 3.9], "actual": [1.0, 2.0, 3.0, 4.0]},
    }))
    return dst


def test_report_optional_sections(demo_out, tmp_path):
    out = _decorate(demo_out, tmp_path / "decorated")
    page = write_report(out).read_text(encoding="utf-8")
    _assert_self_contained(page)
    for s in ("quality", "ocr", "mixture"):
        assert f'<section id="section-{s}">' in page
    _assert_plots(page, DEMO_PLOTS + ["plot-quality-fasttext", "plot-ocr", "plot-weights", "plot-fit"])
    con = connect(out)
    n_pdf_docs = con.execute("select count(*) from all_documents where page_count is not null").fetchone()[0]
    methods = _table(page, "table-ocr-methods")
    assert f'<td>text</td><td class="num">{2 * n_pdf_docs:,}</td>' in methods
    assert f'<td>vlm</td><td class="num">{n_pdf_docs:,}</td>' in methods
    # pages and OCR pages per kept/removed, and the OCR share the report computes from them
    ocr_rows = con.execute("select kept, count(*), sum(page_count), sum(ocr_pages) from all_documents "
                           "where page_count is not null group by kept").fetchall()
    assert len(ocr_rows) == 2
    for kept, docs, pages, ocr_pages in ocr_rows:
        row = re.search(rf'<tr><td>{"kept" if kept else "removed"}</td>.*?</tr>', _table(page, "table-ocr")).group(0)
        assert row.startswith(f'<tr><td>{"kept" if kept else "removed"}</td><td class="num">{docs:,}</td>'), row
        # 2 OCR pages of each document's 4
        assert row.endswith(f'<td class="num">{pages:,}</td><td class="num">{ocr_pages:,}</td>'
                            '<td class="num">50.0%</td></tr>'), row
    # licences: per SPDX id and per license_source, kept and removed
    assert _status(page, "license") == "found"
    for table_id, col in (("table-licences", "license"), ("table-license-sources", "license_source")):
        rows = con.execute(f"select {col}, count(*) filter (where kept), count(*) filter (where not kept) "
                           "from all_documents where license is not null group by 1").fetchall()
        assert len(rows) == 2
        for value, k, r in rows:
            assert f'<td>{value}</td><td class="num">{k:,}</td><td class="num">{r:,}</td>' in _table(page, table_id)
    # PII: documents and occurrences per type
    assert _status(page, "pii") == "found"
    n, docs, occ, k, r = con.execute(
        "select count(pii_email), count(*) filter (where pii_email > 0), sum(pii_email), "
        "count(*) filter (where pii_email > 0 and kept), count(*) filter (where pii_email > 0 and not kept) "
        "from all_documents").fetchone()
    assert docs > 5 and occ == 2 * docs
    assert (f'<td>email</td><td class="num">{n:,}</td><td class="num">{docs:,}</td><td class="num">{occ:,}</td>'
            f'<td class="num">{k:,}</td><td class="num">{r:,}</td>') in _table(page, "table-pii")
    assert '<td>phone</td><td class="num">' in _table(page, "table-pii")
    # text from the run is escaped, in snippets as in names
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt; &amp; " in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # the mixture, read from the one shape `winnow mix` writes
    weights = _table(page, "table-weights")
    assert '<td>cc</td><td class="num">0.6</td><td class="num">0.5</td><td class="num">1,000,000</td>' in weights
    assert "<td>predicted loss</td><td class=\"num\">1.234</td>" in _table(page, "table-mix-facts")
    assert "max_weight &lt;b&gt;binds&lt;/b&gt; for cc" in page
    assert "<td>chosen_model</td><td>loglinear</td>" in _table(page, "table-fit")
    assert '<td>gbm</td><td class="num">0.71</td>' in _table(page, "table-fit-models")
    # a weights file in a shape `winnow mix` never writes is not guessed at
    (out / "weights.json").write_text(json.dumps({"mixture": {"cc": 0.7, "pdf": 0.3}}))
    assert 'id="plot-weights"' not in build_report(out)


def test_report_of_a_run_without_optional_stages_that_kept_nothing(tmp_path):
    """No licence, dedup, decontam or PII stage: their columns are absent, and their sections say 'not run'."""
    raw = {
        "name": "nothing_kept",
        "input": {"format": "warc", "paths": str(ROOT / "configs" / "data" / "demo.warc.gz")},
        "output": str(tmp_path / "out"),
        "executor": {"kind": "local", "tasks": 1, "workers": 1},
        "stages": [{"extract_html_v1": {}}, {"gopher_quality_v1": {"min_doc_words": 10**9}}],
    }
    result = run(parse_config(raw, "test"))
    assert result.stats["kept"] == 0 and result.stats["removed"] > 0
    columns = {c for c, *_ in connect(tmp_path / "out").execute("describe all_documents").fetchall()}
    assert not columns & {"license_source", "dup_of", "decontam_benchmark", "pii_email"}
    page = write_report(tmp_path / "out").read_text(encoding="utf-8")
    _assert_self_contained(page)
    assert '<div class="value" id="count-kept">0</div>' in page
    for s in ("summary", "timing", "funnel", "removed", "length", "domains"):
        assert f'<section id="section-{s}">' in page
    for name in ("license", "dedup", "decontam", "pii"):
        assert _status(page, name) == "not run", name
    assert "no kept documents with a domain" in _table(page, "table-domains")
    assert '<td class="num">100.0%</td>' in _table(page, "table-domain-removals")
    _assert_plots(page, ["plot-timing", "plot-funnel", "plot-length"])
    assert 'id="plot-dup-clusters"' not in page


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.skip("headless Chromium not found on PATH: install it with `apt-get install chromium` "
                    "(Debian) to run the browser test (pytest -m browser)")
    return exe


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--mute-audio"]


@pytest.mark.browser
def test_report_renders_in_headless_chromium(demo_report, tmp_path):
    from matplotlib.image import imread

    exe = _chromium()
    path, _ = demo_report
    url = path.resolve().as_uri()
    common = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]

    dom = subprocess.run([*common, "--dump-dom", url], capture_output=True, text=True, timeout=60)
    assert dom.returncode == 0, dom.stderr[-2000:]
    for pid in DEMO_PLOTS:
        assert re.search(rf'<img id="{pid}"[^>]* src="data:image/png;base64,', dom.stdout), pid
    for title in ("Run summary", "Funnel", "Languages", "Text length", "Duplicates"):
        assert f"<h2>{title}</h2>" in dom.stdout

    shot = tmp_path / "report.png"
    res = subprocess.run([*common, f"--screenshot={shot}", "--window-size=1200,3000", url],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and shot.is_file(), res.stderr[-2000:]
    img = imread(shot)[..., :3]  # floats in [0, 1]
    assert img.shape[:2] == (3000, 1200)
    assert img.std() > 0.05, "screenshot is blank"
    # the plots' bars are drawn in KEPT_COLOUR: thousands of such pixels only if the PNGs decoded and were painted
    rgb = [int(KEPT_COLOUR[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    near = (abs(img - rgb) < 0.03).all(axis=-1).sum()
    assert near > 20_000, f"only {near} plot-coloured pixels: the plots did not render"
