"""`winnow report`: OUT/report.html from a real run of configs/demo.yaml, checked as text and in headless Chromium."""

from __future__ import annotations

import base64
import json
import re
import shutil
import struct
import subprocess

import pytest

from pipeline.config import load_config, parse_config
from pipeline.query import connect
from pipeline.report import KEPT_COLOUR, write_report
from pipeline.run import run
from tests.conftest import ROOT

DEMO_SECTIONS = ["summary", "funnel", "skipped", "languages", "length", "domains", "quality", "dedup", "decontam"]
DEMO_PLOTS = ["plot-funnel", "plot-languages", "plot-length", "plot-quality-demo", "plot-dup-clusters"]
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


def _decorate(src, dst):
    """A copy of the demo run with quality scores, PDF pages (OCR methods in metadata) and a fitted mixture."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("work", "logs", "shards", "report.html"))
    con = connect(dst)
    for view in ("documents", "removed"):
        for f in sorted((dst / view).glob("*.parquet")):
            tmp = f.with_suffix(".tmp")
            q = str(f).replace("'", "''")
            con.execute(f"""
                copy (select * replace (
                        case when hash(id) % 3 = 0 then 4 end as page_count,
                        case when hash(id) % 3 = 0 then hash(id) % 3 + 1 end as ocr_pages,
                        case when hash(id) % 3 = 0
                             then '{{"page_methods": ["text", "tesseract", "text", "vlm"], "x": 1}}'
                             else metadata end as metadata),
                        (hash(id) % 1000) / 1000.0 as quality_fasttext
                      from read_parquet('{q}'))
                to '{str(tmp).replace("'", "''")}' (format parquet)""")
            tmp.replace(f)
    (dst / "weights.json").write_text(json.dumps(
        {"weights": {"cc": 0.6, "pdf": 0.3, "<script>alert(1)</script>": 0.1}, "token_budget": 1_000_000}))
    (dst / "fit.json").write_text(json.dumps(
        {"model": "lightgbm", "r2": 0.91, "spearman": 0.88, "observed": [1.0, 2.0, 3.0, 4.0], "predicted": [1.1, 1.9, 3.2, 3.9]}))
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
    methods = re.search(r'<table id="table-ocr-methods">.*?</table>', page, re.S).group(0)
    assert f'<td>text</td><td class="num">{2 * n_pdf_docs:,}</td>' in methods
    assert f'<td>vlm</td><td class="num">{n_pdf_docs:,}</td>' in methods
    assert "<td>r2</td>" in page and "<td>lightgbm</td>" in page and "<td>token_budget</td>" in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_report_of_a_run_that_kept_nothing(tmp_path):
    raw = {
        "name": "nothing_kept",
        "input": {"format": "warc", "paths": str(ROOT / "configs" / "data" / "demo.warc.gz")},
        "output": str(tmp_path / "out"),
        "executor": {"kind": "local", "tasks": 1, "workers": 1},
        "stages": [{"extract_html_v1": {}}, {"gopher_quality_v1": {"min_doc_words": 10**9}}],
    }
    result = run(parse_config(raw, "test"))
    assert result.stats["kept"] == 0 and result.stats["removed"] > 0
    page = write_report(tmp_path / "out").read_text(encoding="utf-8")
    _assert_self_contained(page)
    assert '<div class="value" id="count-kept">0</div>' in page
    for s in ("summary", "funnel", "length"):
        assert f'<section id="section-{s}">' in page
    assert 'id="section-domains"' not in page and 'id="plot-dup-clusters"' not in page
    _assert_plots(page, ["plot-funnel", "plot-length"])


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
