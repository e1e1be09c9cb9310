"""Tests for pipeline.extract.html_to_text."""

from __future__ import annotations

import gzip
import os
import random

import pytest

from pipeline.encoding import decode_html
from pipeline.extract import html_to_text
from tests.conftest import shared_data

ARTICLE = [
    "The committee met on Tuesday to review the water quality report for the northern district.",
    "Samples taken from eleven wells showed nitrate levels well below the national limit, the report said.",
    "Residents had raised concerns after a dry summer lowered the groundwater table by almost two metres.",
    "The next round of sampling is planned for March, when the spring thaw usually changes the readings.",
]


def _page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}<title>Report</title></head><body>{body}</body></html>"


def _article_page() -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in ARTICLE)
    return _page(
        '<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience. '
        '<button>Accept all cookies</button></div>'
        '<header><nav class="main-menu"><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>'
        '<li><a href="/sport">Sport desk</a></li></ul></nav></header>'
        f'<main><article><h1>Well water passes inspection</h1>{paragraphs}</article>'
        '<div class="related-posts"><h3>Related stories</h3><ul><li><a href="/a">Bridge repairs delayed again</a></li>'
        '<li><a href="/b">Library opens on Sundays</a></li></ul></div></main>'
        '<footer><p>Copyright 2024 Northern Gazette. All rights reserved.</p><a href="/imprint">Imprint</a></footer>'
    )


def test_str_input_keeps_article_and_drops_boilerplate():
    text = html_to_text(_article_page(), url="https://example.org/news/water")
    for paragraph in ARTICLE:
        assert paragraph in text
    for boilerplate in ("We use cookies", "Accept all cookies", "Sport desk", "Related stories",
                        "Bridge repairs delayed again", "All rights reserved", "Imprint"):
        assert boilerplate not in text


def test_bytes_input_utf8_same_as_str():
    html = _article_page().replace("Tuesday", "Tuesday (Dienstag, 5. März)")
    assert html_to_text(html.encode("utf-8")) == html_to_text(html)
    assert "Dienstag, 5. März" in html_to_text(html.encode("utf-8"))


@pytest.mark.parametrize(
    "charset, sentence",
    [
        ("windows-1251", "Съешь же ещё этих мягких французских булок, да выпей же чаю, сказал повар."),
        ("shift_jis", "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。"
                      "何でも薄暗いじめじめした所でニャーニャー泣いていた事だけは記憶している。"),
    ],
)
def test_declared_non_utf8_charset(charset, sentence):
    html = _page("<article>" + f"<p>{sentence}</p>" * 4 + "</article>", head=f'<meta charset="{charset}">')
    data = html.encode(charset)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the test only means something if the bytes are not UTF-8
    assert sentence in html_to_text(data)


@pytest.mark.parametrize("empty", ["", b"", "   \n\t", b"\n"])
def test_empty_input(empty):
    assert html_to_text(empty) == ""


@pytest.mark.parametrize(
    "garbage",
    [
        os.urandom(20_000),
        b"\x89PNG\r\n\x1a\n" + os.urandom(5_000),
        b"%PDF-1.7\n" + bytes(range(256)) * 40,
        "\x00" * 1000,
        "<<<>>><html<body</p></div></div></table>&&&;;",
    ],
    ids=["random-bytes", "png", "pdf", "nul", "broken-markup"],
)
def test_garbage_gives_no_text(garbage):
    assert html_to_text(garbage) == ""


def test_random_bytes_give_no_text_every_time():
    # seeded, so the test is the same every run: with only C0 controls counted at a 0.10 cut, about one in
    # twenty of these decoded into "text"
    rng = random.Random(0)
    leaked = [k for k in range(200) if html_to_text(rng.randbytes(20_000))]
    assert leaked == []


def test_deep_nesting_keeps_the_article_before_it():
    paragraphs = "".join(f"<p>{p}</p>" for p in ARTICLE)
    html = _page(f"<article>{paragraphs}</article>" + "<div>" * 50_000 + "deep" + "</div>" * 50_000)
    text = html_to_text(html)
    assert all(paragraph in text for paragraph in ARTICLE)


def test_a_charset_label_that_fails_with_unicode_error_falls_back_and_keeps_the_text():
    # "undefined" is a real codec name (and a label some sites emit) that fails with a bare UnicodeError, not
    # UnicodeDecodeError: decoding goes on to the next step (UTF-8 here) instead of losing the page
    page = _page("<article>" + "".join(f"<p>{p}</p>" for p in ARTICLE) + "</article>",
                 head='<meta charset="undefined">').encode("utf-8")
    text = html_to_text(page)
    assert all(paragraph in text for paragraph in ARTICLE)
    assert decode_html(page) == (page.decode("utf-8"), "utf-8")


@pytest.mark.parametrize("extractor", ["model", "trafilatura"])
def test_unexpected_errors_are_not_swallowed(monkeypatch, extractor):
    import trafilatura

    from pipeline import extract_dom

    def broken(*args, **kwargs):
        raise KeyError("a bug in the extractor")

    monkeypatch.setattr(trafilatura, "extract", broken)
    monkeypatch.setattr(extract_dom, "features", broken)
    with pytest.raises(KeyError, match="a bug in the extractor"):
        html_to_text(_article_page(), extractor=extractor)


def test_unknown_extractor_is_an_error():
    with pytest.raises(ValueError, match="not one of model, trafilatura"):
        html_to_text(_article_page(), extractor="readability")


def test_non_html_types_return_empty():
    assert html_to_text(None) == ""  # type: ignore[arg-type]


# A handful of pages from trafilatura's evaluation set, with snippets from its
# tests/evaldata.py: 'with' must be kept, 'without' must be dropped.
REAL_PAGES = {
    "caktusgroup.com.django.html": (
        ["Was I losing my mind?", "being cached after their first access."],
        ["Mark Lavin", "New Call-to-action"],
    ),
    "theverge.com.ios13.html": (
        ["Normally, video calls tend to", "across both the eyes and nose."],
        ["Command Line delivers daily updates"],
    ),
    "kulinariaathome.com.mandelplätzchen.html": (
        ["(+ 15 Minuten backen)", "200 g Zucker"],
        ["Sharen mit", "Creative Commons"],
    ),
    "shingon-reiki.de.schamanismus.html": (
        ["神道", "War Mikao Usui Schamane?"],
        ["Hinterlasse eine Antwort"],
    ),
}


@pytest.mark.parametrize("name", sorted(REAL_PAGES))
def test_real_pages(name):
    path = shared_data("web", "trafilatura-eval", "cache", f"{name}.gz")
    text = " ".join(html_to_text(gzip.open(path).read()).split())
    keep, drop = REAL_PAGES[name]
    for snippet in keep:
        assert snippet in text, f"{name}: main text {snippet!r} missing"
    for snippet in drop:
        assert snippet not in text, f"{name}: boilerplate {snippet!r} kept"
