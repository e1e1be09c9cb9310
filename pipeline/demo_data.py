"""Deterministic generator of a small, realistic demo Common Crawl WARC.

All text is generated here with ``random.Random(seed)`` from hand-written word
and sentence banks (``pipeline.demo_pages`` for the English articles and their
sites, ``pipeline.demo_pages_other`` for other languages, spam and boilerplate);
nothing is copied from the web.  Domains are under the reserved
``example.com`` / ``example.org`` / ``example.net`` names and IP addresses come
from the TEST-NET ranges.

The file mimics a Common Crawl WARC: ``.warc.gz`` with one gzip member per
record, a ``warcinfo`` record first, then for each captured URL a ``request``
and a ``response`` record (plus an occasional ``metadata`` record and one
``resource`` record).  The mix of pages is chosen so that a FineWeb-style
pipeline keeps some documents and drops others:

========================  ======  =============================================
kind                      /300    what it is
========================  ======  =============================================
good_en                   165     English article, full page chrome, 5 layouts
foreign                   30      German / French / Spanish / Italian articles
spam                      21      keyword stuffing, "buy cheap" lists, repeats
lorem                     9       lorem ipsum placeholder pages
short                     12      a title and one line
boilerplate               9       "JavaScript must be enabled" / policy text
exact_dup                 15      byte-identical copy of a good page, new URL
near_dup                  15      good article with a few edits, other layout
broken_html               9       unclosed tags, bad nesting, truncated HTML
enc_declared              3       windows-1252 / ISO-8859-1 in HTTP header
enc_undeclared            3       windows-1252 / ISO-8859-1, no charset given
shift_jis                 2       Japanese, Shift_JIS declared in <meta>
image / pdf / css         1 each  non-HTML payloads
not_found                 2       404 pages
redirect                  2       301 / 302 with Location header
========================  ======  =============================================

Counts scale with ``n_pages`` (``good_en`` takes the remainder).

After all well-formed records, three corrupt records are appended, each as its
own gzip member, in this order:

1. ``garbage_header`` - ``WARC/1.0`` followed by a header block of junk: a
   ``WARC-Type response`` line without a colon, 48 random bytes, a free-text
   line and ``Content-Length: banana``.
2. ``bad_content_length`` - a response record whose WARC ``Content-Length``
   claims 4096 bytes more than the block holds (its gzip member ends early).
3. ``truncated_gzip`` - a well-formed response record whose gzip member is cut
   in half, mid deflate stream (no gzip trailer); this is the end of the file.

What readers see (warcio 1.8.1, fastwarc 2.0.1), after every well-formed record:

* warcio ``ArchiveIterator`` raises nothing.  It yields a record with
  ``rec_type None`` (and prints "Record not followed by newline" to stderr),
  then a ``response`` whose content is 175 bytes instead of the declared
  length, then a ``response`` holding only the part of the body that
  decompressed.
* fastwarc ``ArchiveIterator`` yields one record of type ``no_type`` and then
  raises ``OSError("Invalid WARC header")``; records 2 and 3 are never yielded.
* ``gzip.open(path).read()`` raises ``EOFError`` at the truncated last member.

``write_demo_warc(..., corrupt_tail=False)`` leaves the tail out.
"""

from __future__ import annotations

import argparse
import json
import html
import io
import random
import re
import struct
import time
import uuid
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.assets import sha256_file
from pipeline.demo_pages import (
    CITIES, COMMENTS, CONTAMINATED_GOOD_EN, CORES, CSS_LINKS, DEMO_BENCHMARK, DISHES, FIRST_NAMES,
    INGREDIENTS, LAST_NAMES, MIRROR_DOMAINS, MONTHS, NUMWORDS, OPENER_OK, OPENERS, SEASONS, SITES,
    SMALL_WORDS, STEP_TEMPLATES, SYNONYMS, TITLE_TEMPLATES, TOPICS, USERNAMES,
)
from pipeline.demo_pages_other import (
    BOILERPLATE_LINES, FOREIGN, JAPANESE, LOREM_WORDS, SHORT_LINES, SPAM_DOMAINS, SPAM_PRODUCTS,
)

__all__ = ["write_demo_warc", "write_demo_quality_sets", "write_demo_benchmark", "KIND_PLAN_PER_300",
           "ALL_KINDS", "CORRUPT_KINDS", "main"]

# --------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------

#: (kind, pages per 300); ``good_en`` gets whatever remains.
KIND_PLAN_PER_300: list[tuple[str, int]] = [
    ("foreign", 30),
    ("spam", 21),
    ("lorem", 9),
    ("short", 12),
    ("boilerplate", 9),
    ("exact_dup", 15),
    ("near_dup", 15),
    ("broken_html", 9),
    ("enc_declared", 3),
    ("enc_undeclared", 3),
    ("shift_jis", 2),
    ("image", 1),
    ("pdf", 1),
    ("css", 1),
    ("not_found", 2),
    ("redirect", 2),
]

ALL_KINDS = ["good_en"] + [k for k, _ in KIND_PLAN_PER_300]
CORRUPT_KINDS = ["garbage_header", "bad_content_length", "truncated_gzip"]
CRAWL_START = datetime(2024, 2, 20, 9, 0, 0, tzinfo=timezone.utc)
CRAWL_ID = "CC-MAIN-2024-10"

# --------------------------------------------------------------------------
# Text generation helpers
# --------------------------------------------------------------------------

def _title_case(s: str) -> str:
    words = s.split()
    out = []
    for i, w in enumerate(words):
        if i > 0 and w.lower() in SMALL_WORDS:
            out.append(w.lower())
        else:
            out.append(w[:1].upper() + w[1:])
    return " ".join(out)


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")[:70]


def _lower_first(s: str) -> str:
    if s.startswith("I ") or s.startswith("I'"):
        return s
    return s[:1].lower() + s[1:]


def _fill(rng: random.Random, template: str, topic: dict) -> str:
    n1, n2 = rng.sample(topic["nouns"], 2)
    return template.format(
        n1=n1, n2=n2, act=rng.choice(topic["acts"]), expert=rng.choice(topic["experts"]),
        place=rng.choice(topic["places"]), city=rng.choice(CITIES), month=rng.choice(MONTHS),
        season=rng.choice(SEASONS), numw=rng.choice(NUMWORDS), num2=rng.randint(3, 40),
        pct=rng.choice([20, 30, 40, 60, 70, 80]),
    )


def write_demo_benchmark(path: str | Path) -> int:
    """Write DEMO_BENCHMARK as JSON lines ({id, question, answer}); returns the number of items."""
    path = Path(path)
    with open(path, "w", encoding="utf-8") as f:
        for item_id, question, answer in DEMO_BENCHMARK:
            f.write(json.dumps({"id": item_id, "question": question, "answer": answer}) + "\n")
    return len(DEMO_BENCHMARK)


def write_demo_quality_sets(directory: str | Path, n: int = 200, seed: int = 1) -> dict:
    """Labelled text for the demo's quality classifier (DCLM-style: reference text vs. web junk).

    ``quality_positive.jsonl``: coherent generated articles. ``quality_negative.jsonl``: the kinds of
    text the classifier should score low: word salad (an article's words shuffled), keyword spam,
    navigation/cookie/policy boilerplate, lorem ipsum and placeholder lines. Returns the file paths.
    """
    rng = random.Random(seed)
    directory = Path(directory)
    pos, neg = [], []
    topics = sorted(TOPICS)
    for i in range(n):
        art = make_article(rng, topics[i % len(topics)])
        pos.append(art["title"] + "\n\n" + "\n\n".join(art["paragraphs"]))
        kind = i % 4
        if kind == 0:  # word salad
            words = " ".join(make_article(rng, rng.choice(topics))["paragraphs"]).split()
            rng.shuffle(words)
            neg.append(" ".join(words[: rng.randint(80, 250)]))
        elif kind == 1:  # keyword spam
            prods = rng.sample(SPAM_PRODUCTS, 3)
            lines = [f"{rng.choice(['Buy', 'Cheap', 'Best', 'Top 10', 'Discount'])} {rng.choice(prods)} "
                     f"{rng.choice(['online', 'now', 'today', 'free shipping', 'click here'])}!" for _ in range(rng.randint(15, 40))]
            neg.append("\n".join(lines))
        elif kind == 2:  # boilerplate
            neg.append("\n".join(rng.sample(BOILERPLATE_LINES, min(len(BOILERPLATE_LINES), rng.randint(4, 10)))))
        else:  # lorem ipsum and placeholders
            words = list(LOREM_WORDS)
            neg.append(" ".join(rng.choice(words) for _ in range(rng.randint(60, 200))) + "\n" + rng.choice(SHORT_LINES))
    paths = {}
    for name, texts in (("quality_positive", pos), ("quality_negative", neg)):
        path = directory / f"{name}.jsonl"
        with open(path, "w", encoding="utf-8") as f:
            for i, text in enumerate(texts):
                f.write(json.dumps({"id": f"{name}-{i}", "text": text}) + "\n")
        paths[name] = str(path)
    return paths


def make_article(rng: random.Random, topic_key: str) -> dict:
    """Generate an English article (title + paragraphs) about one topic."""
    topic = TOPICS[topic_key]
    n_par = rng.randint(4, 10)
    per_par = [rng.randint(2, 5) for _ in range(n_par)]
    total = sum(per_par)
    cores = rng.sample(CORES, min(total, len(CORES)))
    facts = list(topic["facts"])
    rng.shuffle(facts)
    sentences: list[str] = []
    for core in cores:
        s = _fill(rng, core, topic)
        if rng.random() < 0.3 and core.split(" ", 1)[0] in OPENER_OK:
            op = rng.choice(OPENERS).format(season=rng.choice(SEASONS))
            s = f"{op} {_lower_first(s)}"
        sentences.append(s)
    # sprinkle in the topic's factual sentences
    for f in facts[: rng.randint(1, len(facts))]:
        sentences.insert(rng.randrange(len(sentences) + 1), f)
    paragraphs, i = [], 0
    for k in per_par:
        chunk = sentences[i:i + k]
        i += k
        if chunk:
            paragraphs.append(" ".join(chunk))
    if i < len(sentences):
        paragraphs[-1] += " " + " ".join(sentences[i:])
    n1 = rng.choice(topic["nouns"])
    title = rng.choice(TITLE_TEMPLATES).format(
        numc=rng.choice(["Five", "Seven", "Ten", "Twelve", "Three"]), T=topic["title"],
        N1=_title_case(n1), Act=_title_case(rng.choice(topic["acts"])),
        Place=_title_case(rng.choice(topic["places"])), Expert=_title_case(rng.choice(topic["experts"])),
    )
    author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    published = datetime(2023, 1, 1) + timedelta(days=rng.randint(0, 400))
    return dict(title=title, paragraphs=paragraphs, author=author, published=published,
                topic=topic_key, tags=rng.sample(topic["nouns"], 3))


def mutate_article(rng: random.Random, art: dict) -> dict:
    """Near-duplicate: swap a few words, replace/drop one sentence, keep the rest."""
    paras = [p for p in art["paragraphs"]]
    # a few synonym swaps
    swaps = 0
    for _ in range(30):
        if swaps >= rng.randint(3, 5):
            break
        pi = rng.randrange(len(paras))
        words = paras[pi].split(" ")
        idx = [j for j, w in enumerate(words) if w in SYNONYMS]
        if not idx:
            continue
        j = rng.choice(idx)
        words[j] = SYNONYMS[words[j]]
        paras[pi] = " ".join(words)
        swaps += 1
    # replace one sentence with a new one
    topic = TOPICS[art["topic"]]
    pi = rng.randrange(len(paras))
    sents = re.split(r"(?<=[.!?]) ", paras[pi])
    sents[rng.randrange(len(sents))] = _fill(rng, rng.choice(CORES), topic)
    paras[pi] = " ".join(sents)
    # drop one sentence elsewhere (if it leaves something behind)
    pi = rng.randrange(len(paras))
    sents = re.split(r"(?<=[.!?]) ", paras[pi])
    if len(sents) > 2:
        del sents[rng.randrange(len(sents))]
        paras[pi] = " ".join(sents)
    new = dict(art)
    new["paragraphs"] = paras
    if rng.random() < 0.5:
        new["title"] = art["title"] + rng.choice([" (Updated)", " - Revisited", " | Reader Favourite"])
    return new


def make_recipe_extras(rng: random.Random) -> dict:
    picked = rng.sample(INGREDIENTS, rng.randint(5, 9))
    ings = [name for name, _ in picked]
    ingredients = [f"{rng.choice(qtys)} {name}" for name, qtys in picked]
    steps = [t.format(temp=rng.choice([180, 190, 200, 220]), mins=rng.choice([5, 10, 15, 20, 25, 40]),
                      ing=rng.choice(ings).split(",")[0])
             for t in rng.sample(STEP_TEMPLATES, rng.randint(4, 7))]
    return dict(dish=_title_case(rng.choice(DISHES)), ingredients=ingredients, steps=steps,
                serves=rng.randint(2, 8), minutes=rng.choice([25, 35, 45, 60, 90, 120]))


# --------------------------------------------------------------------------
# HTML rendering
# --------------------------------------------------------------------------

E = html.escape


def _head(title: str, site: dict, lang: str = "en", charset: str | None = "utf-8", extra: str = "") -> str:
    cs = f'<meta charset="{charset}">\n' if charset else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n{cs}'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{E(title)} | {E(site['name'])}</title>\n"
        f'<link rel="stylesheet" href="{CSS_LINKS.get(site.get("layout", "blog"), "/style.css")}">\n'
        f'<link rel="canonical" href="https://{site["domain"]}/">\n{extra}'
        f"<script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments);}}"
        f"gtag('js',new Date());</script>\n</head>\n"
    )


def _nav(rng: random.Random, site: dict) -> str:
    items = ["Home"] + [TOPICS[t]["title"] for t in site["topics"]] + rng.sample(
        ["About", "Contact", "Newsletter", "Shop", "Archive", "Events", "Subscribe"], 3)
    lis = "".join(f'<li><a href="/{_slug(i) or "index"}/">{E(i)}</a></li>' for i in items)
    return f'<nav class="main-nav" role="navigation"><ul class="menu">{lis}</ul></nav>\n'


def _cookie_banner(rng: random.Random) -> str:
    return (
        '<div id="cookie-banner" class="cookie-notice" role="dialog">'
        "<p>We use cookies to make this site work and to understand how it is used. "
        'See our <a href="/privacy-policy/">privacy policy</a>.</p>'
        '<button class="accept">Accept all</button><button class="reject">Reject</button></div>\n'
    )


def _sidebar(rng: random.Random, site: dict) -> str:
    links = []
    for _ in range(rng.randint(4, 7)):
        t = rng.choice(site["topics"])
        a = _title_case(rng.choice(TOPICS[t]["acts"]))
        links.append(f'<li><a href="/{_slug(a)}/">{E(a)}</a></li>')
    cats = "".join(f'<li><a href="/category/{t}/">{E(TOPICS[t]["title"])}</a></li>' for t in site["topics"])
    return (
        '<aside class="sidebar"><section class="widget"><h3>Recent posts</h3><ul>' + "".join(links)
        + '</ul></section><section class="widget"><h3>Categories</h3><ul>' + cats
        + '</ul></section><section class="widget search"><form action="/search"><input type="search" '
        'name="q" placeholder="Search..."></form></section></aside>\n'
    )


def _footer(rng: random.Random, site: dict) -> str:
    year = 2024
    return (
        '<footer class="site-footer"><ul class="footer-links"><li><a href="/about/">About us</a></li>'
        '<li><a href="/contact/">Contact</a></li><li><a href="/privacy-policy/">Privacy Policy</a></li>'
        '<li><a href="/terms/">Terms of Use</a></li></ul>'
        f"<p>&copy; {rng.randint(2009, 2019)}-{year} {E(site['name'])}. All rights reserved.</p></footer>\n"
        '<script src="/js/app.min.js" async></script>\n</body>\n</html>\n'
    )


def render_page(rng: random.Random, site: dict, art: dict) -> str:
    layout = site["layout"]
    title = art["title"]
    date = art["published"].strftime("%B %d, %Y").replace(" 0", " ")
    paras = "".join(f"<p>{E(p)}</p>\n" for p in art["paragraphs"])
    parts = [_head(title, site), f'<body class="{layout}">\n',
             f'<header class="site-header"><a class="logo" href="/">{E(site["name"])}</a></header>\n',
             _nav(rng, site), _cookie_banner(rng)]
    if layout == "blog":
        tags = "".join(f'<a rel="tag" href="/tag/{_slug(t)}/">{E(t)}</a> ' for t in art["tags"])
        comments = "".join(
            f'<li class="comment"><span class="author">{E(rng.choice(USERNAMES))}</span> '
            f"<p>{E(c)}</p></li>" for c in rng.sample(COMMENTS, rng.randint(0, 4)))
        parts.append(
            '<div class="container"><main id="main">\n<article class="post">\n'
            f'<h1 class="entry-title">{E(title)}</h1>\n'
            f'<div class="entry-meta">Posted on <time>{date}</time> by {E(art["author"])}</div>\n'
            f'<div class="entry-content">\n{paras}</div>\n<div class="tags">Tags: {tags}</div>\n'
            f'</article>\n<section id="comments"><h3>Comments</h3><ol>{comments}</ol>'
            '<p><a href="#respond">Leave a reply</a></p></section>\n</main>\n'
            + _sidebar(rng, site) + "</div>\n")
    elif layout == "news":
        first, rest = art["paragraphs"][0], art["paragraphs"][1:]
        standfirst = re.split(r"(?<=[.!?]) ", first)[0]
        related = "".join(f'<li><a href="/local/{_slug(a)}">{E(_title_case(a))}</a></li>'
                          for a in rng.sample(TOPICS[art["topic"]]["acts"], 3))
        parts.append(
            '<div class="breaking">Live: traffic and travel updates</div>\n<main>\n<article>\n'
            f"<h1>{E(title)}</h1>\n<p class=\"standfirst\">{E(standfirst)}</p>\n"
            f'<p class="byline">By {E(art["author"])}, {rng.choice(["Local", "Science", "Money", "Education"])} '
            f'Reporter &middot; <time>{date}</time></p>\n'
            f"<p>{E(first)}</p>\n" + "".join(f"<p>{E(p)}</p>\n" for p in rest)
            + f'</article>\n<section class="related"><h2>Related stories</h2><ul>{related}</ul></section>\n'
            '<div class="newsletter"><h3>Get the morning briefing</h3><form><input type="email" '
            'placeholder="Email address"><button>Sign up</button></form></div>\n</main>\n')
    elif layout == "recipe":
        rx = art.get("recipe") or make_recipe_extras(rng)
        ings = "".join(f"<li>{E(i)}</li>" for i in rx["ingredients"])
        steps = "".join(f"<li>{E(s)}</li>" for s in rx["steps"])
        half = max(1, len(art["paragraphs"]) // 2)
        parts.append(
            '<main>\n<article class="recipe-post">\n'
            f"<h1>{E(title)}</h1>\n<p class=\"meta\">By {E(art['author'])} &middot; {date}</p>\n"
            '<div class="jump-links"><a class="jump" href="#recipe">Jump to recipe</a></div>\n'
            + "".join(f"<p>{E(p)}</p>\n" for p in art["paragraphs"][:half])
            + f'<div class="recipe-card" id="recipe"><h2>{E(rx["dish"])}</h2>'
            f'<p>Serves {rx["serves"]} &middot; Ready in {rx["minutes"]} minutes</p>'
            f'<h3>Ingredients</h3><ul class="ingredients">{ings}</ul>'
            f'<h3>Method</h3><ol class="method">{steps}</ol>'
            '<button onclick="window.print()">Print recipe</button></div>\n'
            + "".join(f"<p>{E(p)}</p>\n" for p in art["paragraphs"][half:])
            + '<div class="rating">Rated 4.6 out of 5 by readers</div>\n</article>\n</main>\n')
    elif layout == "forum":
        posts = []
        paras_ = art["paragraphs"]
        users = rng.sample(USERNAMES, min(len(USERNAMES), len(paras_)))
        for k, p in enumerate(paras_):
            d = art["published"] + timedelta(hours=5 * k + rng.randint(0, 4))
            posts.append(
                f'<div class="post" id="post-{1000 + k}"><div class="post-author">'
                f'<a href="/members/{users[k % len(users)]}/">{E(users[k % len(users)])}</a>'
                f'<span class="post-count">Posts: {rng.randint(3, 3000)}</span></div>'
                f'<div class="post-date">{d.strftime("%d %b %Y, %H:%M")}</div>'
                f'<div class="post-body"><p>{E(p)}</p></div>'
                '<div class="post-actions"><button>Quote</button><button>Like</button></div></div>\n')
        parts.append(
            f'<main class="thread">\n<div class="breadcrumb"><a href="/">Forums</a> &rsaquo; '
            f'<a href="/forums/{art["topic"]}/">{E(TOPICS[art["topic"]]["title"])}</a></div>\n'
            f'<h1 class="thread-title">{E(title)}</h1>\n' + "".join(posts)
            + '<div class="login-prompt">You must log in or register to reply here.</div>\n</main>\n')
    else:  # guide
        blocks = []
        for k, p in enumerate(art["paragraphs"]):
            if k and k % 3 == 0:
                h = _title_case(rng.choice(TOPICS[art["topic"]]["acts"]))
                blocks.append(f"<h2>{E(h)}</h2>\n")
            blocks.append(f"<p>{E(p)}</p>\n")
        toc = "".join(f"<li>{E(_title_case(a))}</li>" for a in rng.sample(TOPICS[art["topic"]]["acts"], 3))
        parts.append(
            '<div class="layout"><main>\n<article class="guide">\n'
            f'<h1>{E(title)}</h1>\n<p class="updated">Last updated {date} &middot; '
            f'{rng.randint(4, 14)} min read</p>\n<div class="toc"><strong>In this guide</strong><ol>{toc}</ol></div>\n'
            + "".join(blocks) + "</article>\n</main>\n" + _sidebar(rng, site) + "</div>\n")
    parts.append(_footer(rng, site))
    return "".join(parts)


def render_foreign(rng: random.Random, lang: str) -> tuple[str, str, str]:
    bank = FOREIGN[lang]
    domain = rng.choice(bank["domains"])
    title = rng.choice(bank["titles"])
    sents = rng.sample(bank["sentences"], rng.randint(7, 11))
    paras, i = [], 0
    while i < len(sents):
        k = rng.randint(2, 4)
        paras.append(" ".join(sents[i:i + k]))
        i += k
    site = dict(name=domain.split(".")[1].capitalize(), domain=domain, layout="blog")
    author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    date = f"{rng.randint(1, 28)}.{rng.randint(1, 12)}.2023"
    nav = "".join(f'<li><a href="/{_slug(n) or "x"}/">{E(n)}</a></li>' for n in bank["nav"])
    body = (
        _head(title, site, lang=lang) + "<body>\n"
        f'<header><a class="logo" href="/">{E(site["name"])}</a></header>\n<nav><ul>{nav}</ul></nav>\n'
        f"<main><article>\n<h1>{E(title)}</h1>\n<p class=\"meta\">{E(bank['byline'].format(date=date, author=author))}</p>\n"
        + "".join(f"<p>{E(p)}</p>\n" for p in paras)
        + f"</article></main>\n<footer><p>&copy; 2024 {E(site['name'])}. {E(bank['footer'])}</p></footer>\n"
        "</body>\n</html>\n")
    return body, domain, f"/{_slug(title.encode('ascii', 'ignore').decode()) or 'artikel'}-{rng.randint(100, 9999)}/"


def render_spam(rng: random.Random) -> tuple[str, str]:
    prods = rng.sample(SPAM_PRODUCTS, 3)
    p = prods[0]
    style = rng.randrange(3)
    site = dict(name="Best Deals", domain="x", layout="blog")
    if style == 0:  # keyword stuffing
        kw = [f"cheap {p}", f"best {p}", f"buy {p} online", f"{p} discount", f"{p} sale",
              f"{p} near me", f"top {p} 2024", f"{p} free shipping"]
        stuffed = " ".join(rng.choice(kw) for _ in range(rng.randint(80, 160)))
        body = f"<h1>{E(_title_case('best cheap ' + p))}</h1>\n<p>{E(stuffed)}</p>\n<p>{E(stuffed[:400])}</p>\n"
    elif style == 1:  # bullet list of buy-cheap lines
        lines = []
        for _ in range(rng.randint(30, 60)):
            q = rng.choice(prods)
            lines.append(rng.choice([
                f"Buy cheap {q} - click here!", f"BEST {q.upper()} DEALS - CLICK HERE",
                f"{q} 90% off today only!!!", f"Click here for {q}", f"Cheap {q} in {rng.choice(CITIES)}"]))
        body = f"<h1>{E(_title_case(p))} Deals</h1>\n<ul>" + "".join(
            f'<li><a href="/go?id={rng.randint(1, 999)}">{E(x)}</a></li>' for x in lines) + "</ul>\n"
    else:  # repeated lines
        line = f"Best {p} deals online today! Click here to buy now and save big on {p}!"
        reps = "".join(f"<p>{E(line)}</p>\n" for _ in range(rng.randint(15, 30)))
        links = " | ".join(f'<a href="/{_slug(p + " " + c)}">{E(p)} {E(c)}</a>' for c in CITIES)
        body = f"<h1>{E(_title_case(p))}!!!</h1>\n{reps}<div class=\"seo-links\">{links}</div>\n"
    html_ = _head(_title_case(f"cheap {p} buy {p} online best {p}"), site,
                  extra=f'<meta name="keywords" content="{E(", ".join(p for p in prods * 4))}">\n') \
        + "<body>\n" + body + "</body>\n</html>\n"
    return html_, f"/{_slug('cheap ' + p)}-{rng.randint(1, 9999)}.html"


def render_lorem(rng: random.Random, site: dict) -> str:
    paras = []
    for k in range(rng.randint(3, 6)):
        words = [rng.choice(LOREM_WORDS) for _ in range(rng.randint(40, 90))]
        if k == 0:
            words[:5] = ["lorem", "ipsum", "dolor", "sit", "amet,"]
        s = " ".join(words)
        paras.append(s[0].upper() + s[1:] + ".")
    title = rng.choice(["Sample Page", "Hello world!", "Untitled", "Our Services", "About Us"])
    return (_head(title, site) + "<body>\n" + _nav(rng, site)
            + f"<main><article><h1>{E(title)}</h1>\n" + "".join(f"<p>{E(p)}</p>\n" for p in paras)
            + "</article></main>\n" + _footer(rng, site))


def render_short(rng: random.Random, site: dict) -> str:
    title = rng.choice(["Coming Soon", "Welcome", "Thank You", "Cart", "Login", "Update"])
    return (_head(title, site) + f"<body>\n<h1>{E(title)}</h1>\n<p>{E(rng.choice(SHORT_LINES))}</p>\n"
            "</body>\n</html>\n")


def render_boilerplate(rng: random.Random, site: dict) -> str:
    lines = rng.sample(BOILERPLATE_LINES, rng.randint(3, 6))
    return (_head("Please enable JavaScript", site) + "<body>\n"
            + '<noscript><div class="noscript">' + E(lines[0]) + "</div></noscript>\n"
            + '<div id="app"></div>\n<div class="consent">' + "".join(f"<p>{E(x)}</p>\n" for x in lines[1:])
            + "</div>\n" + _footer(rng, site))


def break_html(rng: random.Random, page: str) -> str:
    """Damage markup: drop closing tags, mis-nest inline tags, maybe truncate."""
    page = page.replace("</p>", "", rng.randint(2, 50))
    page = re.sub(r"</div>", "", page, count=rng.randint(1, 4))
    page = page.replace("</li>", "").replace("</article>", "", 1)
    # mismatched nesting around a few words
    words = list(re.finditer(r"(?<=<p>)(\w+) (\w+)", page))
    for m in rng.sample(words, min(3, len(words)))[::-1]:
        a, b = m.group(1), m.group(2)
        page = page[:m.start()] + f"<b><i>{a}</b> {b}</i>" + page[m.end():]
    page = page.replace("<main", "<main><span><table><tr><td", 1)
    if rng.random() < 0.6:
        cut = int(len(page) * rng.uniform(0.55, 0.85))
        page = page[:cut]  # truncated mid-document, often mid-tag
    return page


def typographic(text: str, rng: random.Random) -> str:
    text = text.replace("'", "\u2019").replace(" - ", " \u2014 ")
    extra = rng.choice([
        "The caf\u00e9 near the station charges \u20ac3.50 for a flat white \u2014 about \u00a33 at today\u2019s rate.",
        "Our na\u00efve first attempt was, in hindsight, a lesson in humility \u2026 and in patience.",
        "As one reader put it, \u201cthe best tool is the one you actually use.\u201d",
        "It was 28\u00b0C in the shade, so we gave up at noon and went looking for a caf\u00e9.",
    ])
    return text + " " + extra


def make_png(rng: random.Random, w: int = 24, h: int = 24) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    c1 = [rng.randrange(256) for _ in range(3)]
    c2 = [rng.randrange(256) for _ in range(3)]
    raw = b"".join(b"\x00" + b"".join(bytes(c1 if (x // 4 + y // 4) % 2 else c2) for x in range(w))
                   for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def make_pdf(rng: random.Random, title: str, lines: list[str]) -> bytes:
    text = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(
        "(" + ln.replace("\\", "").replace("(", "").replace(")", "") + ") '" for ln in [title] + lines) + " ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text.encode("latin-1") + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def make_css(rng: random.Random) -> bytes:
    colors = ["#1d3557", "#457b9d", "#e63946", "#2a9d8f", "#264653", "#f4a261"]
    rules = []
    for sel in ["body", ".site-header", ".main-nav a", ".entry-content p", ".sidebar .widget",
                ".site-footer", ".cookie-notice", "h1, h2, h3"]:
        rules.append(f"{sel} {{\n  color: {rng.choice(colors)};\n  margin: {rng.randint(0, 24)}px;\n"
                     f"  font-size: {rng.choice([14, 16, 18, 22, 28])}px;\n}}\n")
    return ("/* theme stylesheet */\n" + "".join(rules)).encode()


# --------------------------------------------------------------------------
# WARC writing
# --------------------------------------------------------------------------

def _gzip_member(data: bytes) -> bytes:
    co = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip wrapper, mtime 0 -> deterministic
    return co.compress(data) + co.flush()


class _Ctx:
    def __init__(self, seed: int):
        self.idrng = random.Random(f"winnow-demo-ids-{seed}")
        self.clock = CRAWL_START

    def rec_id(self) -> str:
        return f"<urn:uuid:{uuid.UUID(int=self.idrng.getrandbits(128), version=4)}>"

    def tick(self) -> str:
        self.clock += timedelta(seconds=self.idrng.randint(1, 40))
        return self.clock.strftime("%Y-%m-%dT%H:%M:%SZ")

    def ip(self) -> str:
        return f"{self.idrng.choice(['192.0.2', '198.51.100', '203.0.113'])}.{self.idrng.randint(2, 250)}"


def _page(kind, url, body, *, status="200 OK", ctype="text/html; charset=utf-8",
          ptype="text/html", extra=None):
    return dict(kind=kind, url=url, body=body, status=status, ctype=ctype, ptype=ptype,
                extra=extra or [])


def _http_headers(rng, ctx, p, date_str):
    server = rng.choice(["nginx", "Apache", "cloudflare", "nginx/1.24.0", "LiteSpeed"])
    hdrs = [("Date", datetime.strptime(date_str, "%Y-%m-%dT%H:%M:%SZ").strftime("%a, %d %b %Y %H:%M:%S GMT")),
            ("Server", server)]
    if p["ctype"]:
        hdrs.append(("Content-Type", p["ctype"]))
    hdrs.append(("Content-Length", str(len(p["body"]))))
    hdrs += p["extra"]
    if rng.random() < 0.5:
        hdrs.append(("Cache-Control", rng.choice(["max-age=600", "no-cache", "public, max-age=86400"])))
    if rng.random() < 0.4:
        hdrs.append(("X-Crawler-Content-Encoding", "gzip"))
    return StatusAndHeaders(p["status"], hdrs, protocol="HTTP/1.1")


def _write_capture(writer, rng, ctx, p, warcinfo_id, counts, with_metadata=False):
    date = ctx.tick()
    url = p["url"]
    m = re.match(r"https?://([^/]+)(/.*)?$", url)
    host, path = m.group(1), m.group(2) or "/"
    req_id, resp_id = ctx.rec_id(), ctx.rec_id()
    ip = ctx.ip()
    req_http = StatusAndHeaders(f"GET {path} HTTP/1.1", [
        ("User-Agent", "CCBot/2.0 (https://commoncrawl.org/faq/)"),
        ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        ("Accept-Language", "en-US,en;q=0.5"), ("Accept-Encoding", "br,gzip"),
        ("Host", host), ("Connection", "Keep-Alive")], is_http_request=True)
    rec = writer.create_warc_record(url, "request", payload=io.BytesIO(b""), length=0, http_headers=req_http,
                                    warc_headers_dict={"WARC-Date": date, "WARC-Record-ID": req_id,
                                                       "WARC-IP-Address": ip, "WARC-Warcinfo-ID": warcinfo_id})
    writer.write_record(rec)
    counts["request"] += 1
    hh = {"WARC-Date": date, "WARC-Record-ID": resp_id, "WARC-IP-Address": ip,
          "WARC-Warcinfo-ID": warcinfo_id, "WARC-Concurrent-To": req_id,
          "WARC-Identified-Payload-Type": p["ptype"]}
    rec = writer.create_warc_record(url, "response", payload=io.BytesIO(p["body"]), length=len(p["body"]),
                                    http_headers=_http_headers(rng, ctx, p, date), warc_headers_dict=hh)
    writer.write_record(rec)
    counts["response"] += 1
    if with_metadata:
        md = (f"fetchTimeMs: {rng.randint(80, 2400)}\r\ncharset-detected: UTF-8\r\n"
              f'languages-cld2: {{"reliable":true,"text-bytes":{len(p["body"]) // 3},'
              f'"languages":[{{"code":"en","code-iso-639-3":"eng","text-covered":0.97,"score":1011.0,'
              f'"name":"ENGLISH"}}]}}\r\n').encode()
        rec = writer.create_warc_record(url, "metadata", payload=io.BytesIO(md), length=len(md),
                                        warc_content_type="application/warc-fields",
                                        warc_headers_dict={"WARC-Date": date, "WARC-Record-ID": ctx.rec_id(),
                                                           "WARC-Warcinfo-ID": warcinfo_id,
                                                           "WARC-Concurrent-To": resp_id})
        writer.write_record(rec)
        counts["metadata"] += 1


def _corrupt_tail(rng: random.Random, ctx: _Ctx) -> list[bytes]:
    members = []
    # 1. Garbage header block.
    junk = bytes(rng.randrange(1, 256) for _ in range(48)).replace(b":", b";").replace(b"\n", b" ")
    members.append(_gzip_member(
        b"WARC/1.0\r\nWARC-Type response\r\n" + junk + b"\r\nthis is not a header line\r\n"
        b"Content-Length: banana\r\n\r\n<html><body>garbage</body></html>\r\n\r\n"))
    # 2. Content-Length claims more than the block holds.
    body = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            b"<html><head><title>Partial capture</title></head><body><p>This capture was cut short "
            b"while it was being written to disk, so the record is shorter than its header says.</p>")
    hdr = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Date: {ctx.tick()}\r\n"
           f"WARC-Record-ID: {ctx.rec_id()}\r\n"
           f"WARC-Target-URI: https://www.lanternfieldgardens.example.com/partial-capture/\r\n"
           f"WARC-Identified-Payload-Type: text/html\r\n"
           f"Content-Type: application/http; msgtype=response\r\n"
           f"Content-Length: {len(body) + 4096}\r\n\r\n").encode()
    members.append(_gzip_member(hdr + body + b"\r\n\r\n"))
    # 3. Well-formed record, gzip member truncated mid-stream (no trailer; EOF).
    body = ("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>"
            + "".join(f"<p>Row {i}: {_fill(rng, rng.choice(CORES), TOPICS['history'])}</p>" for i in range(40)) + "</body></html>").encode()
    rec = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Date: {ctx.tick()}\r\n"
           f"WARC-Record-ID: {ctx.rec_id()}\r\n"
           f"WARC-Target-URI: https://www.meridianpost.example.net/2024/02/20/truncated-download\r\n"
           f"WARC-Identified-Payload-Type: text/html\r\n"
           f"Content-Type: application/http; msgtype=response\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body + b"\r\n\r\n"
    gz = _gzip_member(rec)
    members.append(gz[: len(gz) // 2])
    return members


def _plan_counts(n_pages: int) -> dict[str, int]:
    counts = {}
    remaining = n_pages
    for kind, per300 in KIND_PLAN_PER_300:
        c = int(per300 * n_pages / 300 + 0.5)
        c = max(0, min(c, remaining - 1)) if remaining > 1 else 0
        counts[kind] = c
        remaining -= c
    counts = {"good_en": remaining, **counts}
    if counts["good_en"] == 0 and n_pages > 0:  # tiny runs: duplicates need a source
        for k in ("exact_dup", "near_dup", "broken_html"):
            if counts[k]:
                counts[k] -= 1
                counts["good_en"] += 1
                break
    return counts


def write_demo_warc(path: str | Path, n_pages: int = 300, seed: int = 0, *,
                    corrupt_tail: bool = True) -> dict:
    """Write a deterministic demo Common Crawl WARC to ``path`` (``.warc.gz``).

    Returns a summary dict with ``pages`` (count per page kind, summing to
    ``n_pages``), ``records`` (count per WARC record type plus ``corrupt``,
    summing to ``total_records``), ``html_pages`` (well-formed 200 responses
    whose Content-Type is text/html), ``well_formed_records``,
    ``corrupt_tail`` (the corrupt records in file order), ``kind_by_url``
    (page kind for each captured URL, in crawl order), ``bytes``, ``sha256``
    and ``path``.

    With ``corrupt_tail=False`` the three corrupt members are not appended.
    """
    if n_pages < 1:
        raise ValueError("n_pages must be >= 1")
    path = Path(path)
    rng = random.Random(seed)
    ctx = _Ctx(seed)
    plan = _plan_counts(n_pages)
    kinds = [k for k, c in plan.items() for _ in range(c)]
    rng.shuffle(kinds)
    # duplicates and broken copies need an earlier good article: swap forward
    seen_good = False
    for i, k in enumerate(kinds):
        if k == "good_en":
            seen_good = True
        elif k in ("exact_dup", "near_dup", "broken_html") and not seen_good:
            j = kinds.index("good_en", i)
            kinds[i], kinds[j] = kinds[j], kinds[i]
            seen_good = True

    used_urls: set[str] = set()
    originals: list[dict] = []  # dicts: site, art, html, url

    def unique(url: str) -> str:
        base, n = url, 2
        while url in used_urls:
            url = f"{base}?p={n}"
            n += 1
        used_urls.add(url)
        return url

    def article_url(site: dict, art: dict) -> str:
        pub = art["published"]
        return unique("https://" + site["domain"] + site["path"].format(
            y=pub.year, m=pub.month, d=pub.day, slug=_slug(art["title"]), id=rng.randint(1000, 99999)))

    def new_good():
        site = rng.choice(SITES)
        art = make_article(rng, rng.choice(site["topics"]))
        if site["layout"] == "recipe":
            art["recipe"] = rx = make_recipe_extras(rng)
            art["title"] = rng.choice(["{d}", "Easy {d}", "{d} for Busy Weeknights", "My Favourite {d}",
                                       "How to Make {d}", "The Only {d} Recipe You Need"]).format(d=rx["dish"])
        return site, art

    pages = []
    contaminated: list[str] = []
    foreign_langs = ["de", "fr", "es", "it"]
    enc_declared_i = enc_undeclared_i = redirect_i = foreign_i = 0
    for kind in kinds:
        if kind == "good_en":
            site, art = new_good()
            n_good = len(originals)
            if n_good in CONTAMINATED_GOOD_EN:  # a page that quotes a benchmark item verbatim
                _, q, a = DEMO_BENCHMARK[CONTAMINATED_GOOD_EN[n_good]]
                art["paragraphs"].insert(len(art["paragraphs"]) // 2, f"A reader sent us this quiz question: {q} {a}")
            page_html = render_page(rng, site, art)
            url = article_url(site, art)
            if n_good in CONTAMINATED_GOOD_EN:
                contaminated.append(url)
            originals.append(dict(site=site, art=art, html=page_html, url=url))
            pages.append(_page(kind, url, page_html.encode()))
        elif kind == "exact_dup":
            src = rng.choice(originals)
            if rng.random() < 0.5:
                url = unique(src["url"] + rng.choice(["?utm_source=newsletter&utm_medium=email",
                                                      "?amp=1", "?replytocom=" + str(rng.randint(10, 999))]))
            else:
                slug = _slug(src["art"]["title"])
                url = unique(f"https://{rng.choice(MIRROR_DOMAINS)}/{slug}-{rng.randint(10, 99999)}")
            pages.append(_page(kind, url, src["html"].encode()))
        elif kind == "near_dup":
            src = rng.choice(originals)
            others = [s for s in SITES if s["layout"] != src["site"]["layout"]]
            site = rng.choice(others)
            art = mutate_article(rng, src["art"])
            pages.append(_page(kind, article_url(site, art), render_page(rng, site, art).encode()))
        elif kind == "broken_html":
            site, art = new_good()
            page_html = break_html(rng, render_page(rng, site, art))
            pages.append(_page(kind, article_url(site, art), page_html.encode()))
        elif kind == "foreign":
            lang = foreign_langs[foreign_i % 4]
            foreign_i += 1
            body, domain, path_ = render_foreign(rng, lang)
            pages.append(_page(kind, unique(f"https://{domain}{path_}"), body.encode()))
        elif kind == "spam":
            body, path_ = render_spam(rng)
            pages.append(_page(kind, unique(f"https://{rng.choice(SPAM_DOMAINS)}{path_}"), body.encode()))
        elif kind == "lorem":
            site = rng.choice(SITES)
            body = render_lorem(rng, site)
            pages.append(_page(kind, unique(f"https://{site['domain']}/sample-page-{rng.randint(1, 999)}/"),
                               body.encode()))
        elif kind == "short":
            site = rng.choice(SITES)
            slug = rng.choice(["coming-soon", "cart", "login", "thanks", "update"])
            pages.append(_page(kind, unique(f"https://{site['domain']}/{slug}-{rng.randint(1, 999)}"),
                               render_short(rng, site).encode()))
        elif kind == "boilerplate":
            site = rng.choice(SITES)
            slug = rng.choice(["account", "checkout", "dashboard", "consent"])
            pages.append(_page(kind, unique(f"https://{site['domain']}/app/{slug}/{rng.randint(1, 999)}"),
                               render_boilerplate(rng, site).encode()))
        elif kind in ("enc_declared", "enc_undeclared"):
            idx = enc_declared_i if kind == "enc_declared" else enc_undeclared_i
            variant = idx % 3
            if kind == "enc_declared":
                enc_declared_i += 1
            else:
                enc_undeclared_i += 1
            # declared: 0,1 English windows-1252 (1 also has a meta http-equiv), 2 German ISO-8859-1
            # undeclared: 0 English windows-1252, 1 German ISO-8859-1, 2 Spanish ISO-8859-1
            foreign_lang = {("enc_declared", 2): "de", ("enc_undeclared", 1): "de",
                            ("enc_undeclared", 2): "es"}.get((kind, variant))
            if foreign_lang:
                body, domain, path_ = render_foreign(rng, foreign_lang)
                url = unique(f"https://{domain}{path_}")
                charset = "iso-8859-1"
            else:
                site, art = new_good()
                art["paragraphs"] = [typographic(p, rng) for p in art["paragraphs"]]
                art["title"] = art["title"].replace("'", "\u2019")
                body = render_page(rng, site, art)
                url = article_url(site, art)
                charset = "windows-1252"
            # remove the utf-8 meta; declare in HTTP header (declared) or nowhere (undeclared)
            body = body.replace('<meta charset="utf-8">\n', "")
            if kind == "enc_declared" and variant == 1:
                meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
                body = body.replace("<head>\n", "<head>\n" + meta, 1)
            data = body.encode(charset)
            ctype = f"text/html; charset={charset.upper() if charset.startswith('iso') else charset}" \
                if kind == "enc_declared" else "text/html"
            pages.append(_page(kind, url, data, ctype=ctype))
        elif kind == "shift_jis":
            title = rng.choice(JAPANESE["titles"])
            sents = rng.sample(JAPANESE["sentences"], rng.randint(5, 8))
            site = dict(name="静かな日々", domain=JAPANESE["domain"], layout="blog")
            nav = "".join(f'<li><a href="/{i}/">{E(n)}</a></li>' for i, n in enumerate(JAPANESE["nav"]))
            body = (_head(title, site, lang="ja", charset="Shift_JIS") + "<body>\n"
                    f"<nav><ul>{nav}</ul></nav>\n<main><h1>{E(title)}</h1>\n"
                    f"<p>{''.join(sents[:len(sents) // 2])}</p>\n<p>{''.join(sents[len(sents) // 2:])}</p>\n"
                    "</main>\n<footer>&copy; 2024</footer>\n</body>\n</html>\n")
            pages.append(_page(kind, unique(f"https://{JAPANESE['domain']}/entry/{rng.randint(10000, 99999)}.html"),
                               body.encode("shift_jis"), ctype="text/html"))
        elif kind == "image":
            site = rng.choice(SITES)
            pages.append(_page(kind, unique(f"https://{site['domain']}/images/header-{rng.randint(1, 99)}.png"),
                               make_png(rng), ctype="image/png", ptype="image/png"))
        elif kind == "pdf":
            site = rng.choice(SITES)
            art = make_article(rng, rng.choice(site["topics"]))
            lines = re.split(r"(?<=[.!?]) ", art["paragraphs"][0])[:8]
            pages.append(_page(kind, unique(f"https://{site['domain']}/files/{_slug(art['title'])}.pdf"),
                               make_pdf(rng, art["title"], lines), ctype="application/pdf",
                               ptype="application/pdf"))
        elif kind == "css":
            site = rng.choice(SITES)
            pages.append(_page(kind, unique(f"https://{site['domain']}{CSS_LINKS[site['layout']].split('?')[0]}"),
                               make_css(rng), ctype="text/css", ptype="text/css"))
        elif kind == "not_found":
            site = rng.choice(SITES)
            body = (_head("Page not found", site) + "<body>\n<h1>404 - Page not found</h1>\n"
                    "<p>Sorry, the page you were looking for does not exist.</p>\n"
                    '<p><a href="/">Return to the home page</a></p>\n</body>\n</html>\n')
            slug = _slug(rng.choice(TOPICS[rng.choice(site["topics"])]["acts"]))
            pages.append(_page(kind, unique(f"https://{site['domain']}/{slug}-old/"),
                               body.encode(), status="404 Not Found"))
        elif kind == "redirect":
            site = rng.choice(SITES)
            target = f"https://{site['domain']}/"
            status = ["301 Moved Permanently", "302 Found"][redirect_i % 2]
            redirect_i += 1
            body = (f'<html><head><title>{status}</title></head><body><h1>{status[4:]}</h1>'
                    f'<p>The document has moved <a href="{target}">here</a>.</p></body></html>\n').encode()
            pages.append(_page(kind, unique(f"http://{site['domain']}/index.php?page_id={rng.randint(1, 500)}"),
                               body, status=status, extra=[("Location", target)]))
        else:  # pragma: no cover
            raise AssertionError(kind)

    counts = {"warcinfo": 0, "request": 0, "response": 0, "metadata": 0, "resource": 0, "corrupt": 0}
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.0")
        filename = path.name
        warcinfo_id = ctx.rec_id()
        info = (f"isPartOf: {CRAWL_ID}-demo\r\npublisher: Winnow demo data generator\r\n"
                f"description: Synthetic demo crawl, seed={seed}, pages={n_pages}. All text is generated.\r\n"
                "operator: Winnow\r\nhostname: demo-crawler-01\r\nsoftware: winnow-demo-data/1.0\r\n"
                "robots: checked via crawler-commons\r\nformat: WARC File Format 1.0\r\n"
                "conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.0/\r\n"
                ).encode()
        rec = writer.create_warc_record("", "warcinfo", payload=io.BytesIO(info), length=len(info),
                                        warc_content_type="application/warc-fields",
                                        warc_headers_dict={"WARC-Date": ctx.tick(), "WARC-Record-ID": warcinfo_id,
                                                           "WARC-Filename": filename})
        writer.write_record(rec)
        counts["warcinfo"] += 1
        metadata_slots = {i for i, p in enumerate(pages) if p["kind"] == "good_en"}
        metadata_slots = set(sorted(metadata_slots)[:2])
        for i, p in enumerate(pages):
            _write_capture(writer, rng, ctx, p, warcinfo_id, counts, with_metadata=i in metadata_slots)
            if i == 0:
                host = re.match(r"https?://([^/]+)", p["url"]).group(1)
                dns = f"{ctx.clock.strftime('%Y%m%d%H%M%S')}\n{host}.\t300\tIN\tA\t{ctx.ip()}\n".encode()
                rec = writer.create_warc_record(f"dns:{host}", "resource", payload=io.BytesIO(dns),
                                                length=len(dns), warc_content_type="text/dns",
                                                warc_headers_dict={"WARC-Date": ctx.tick(),
                                                                   "WARC-Record-ID": ctx.rec_id(),
                                                                   "WARC-Warcinfo-ID": warcinfo_id})
                writer.write_record(rec)
                counts["resource"] += 1
        for member in (_corrupt_tail(rng, ctx) if corrupt_tail else []):
            fh.write(member)
            counts["corrupt"] += 1

    page_counts = {k: 0 for k in ALL_KINDS}
    for p in pages:
        page_counts[p["kind"]] += 1
    html_pages = sum(1 for p in pages if p["status"].startswith("200") and p["ctype"].startswith("text/html"))
    total = sum(counts.values())
    return {
        "path": str(path),
        "n_pages": n_pages,
        "seed": seed,
        "pages": page_counts,
        "records": counts,
        "total_records": total,
        "well_formed_records": total - counts["corrupt"],
        "html_pages": html_pages,
        "corrupt_tail": list(CORRUPT_KINDS) if corrupt_tail else [],
        "kind_by_url": {p["url"]: p["kind"] for p in pages},
        "contaminated_urls": contaminated,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write the deterministic Winnow demo WARC.")
    ap.add_argument("out", help="output path, e.g. demo.warc.gz")
    ap.add_argument("--pages", type=int, default=300, help="number of captured URLs (default 300)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    summary = write_demo_warc(args.out, n_pages=args.pages, seed=args.seed)
    dt = time.perf_counter() - t0
    print(f"wrote {summary['path']}: {summary['bytes']:,} bytes, {summary['total_records']} records "
          f"({summary['records']}) in {dt:.2f}s")
    print("pages:", ", ".join(f"{k}={v}" for k, v in summary["pages"].items() if v))
    print(f"html_pages={summary['html_pages']} corrupt_tail={summary['corrupt_tail']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
