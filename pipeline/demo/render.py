"""HTML and other payloads of the demo crawl: the five site layouts, the pages the pipeline should drop, damage.

A good page carries the chrome that a FineWeb-style extractor has to strip: head scripts, navigation, a cookie
banner, sidebars, comments, related links and a footer, in one of five layouts (blog, news, recipe, forum, guide)
so that extraction is not tuned to one template. The other renderers make the pages the filters should drop
(other languages, spam, lorem ipsum, one-liners, "enable JavaScript" boilerplate, a 404, a redirect), markup
broken the way real pages are broken, and the small non-HTML payloads (an image, a stylesheet). Every random draw
comes from the caller's ``random.Random``, in a fixed order.
"""

from __future__ import annotations

import html
import random
import re
import struct
import zlib
from datetime import timedelta

from pipeline.demo.articles import make_recipe_extras, slug, title_case
from pipeline.demo.pages import CITIES, COMMENTS, CSS_LINKS, FIRST_NAMES, LAST_NAMES, TOPICS, USERNAMES
from pipeline.demo.pages_other import BOILERPLATE_LINES, FOREIGN, JAPANESE, LOREM_WORDS, SHORT_LINES, SPAM_PRODUCTS

E = html.escape


# --------------------------------------------------------------------------
# Page chrome shared by the layouts
# --------------------------------------------------------------------------

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
    lis = "".join(f'<li><a href="/{slug(i) or "index"}/">{E(i)}</a></li>' for i in items)
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
        a = title_case(rng.choice(TOPICS[t]["acts"]))
        links.append(f'<li><a href="/{slug(a)}/">{E(a)}</a></li>')
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
    """An article as a full page in its site's layout (blog, news, recipe, forum or guide), chrome included."""
    layout = site["layout"]
    title = art["title"]
    date = art["published"].strftime("%B %d, %Y").replace(" 0", " ")
    paras = "".join(f"<p>{E(p)}</p>\n" for p in art["paragraphs"])
    parts = [_head(title, site), f'<body class="{layout}">\n',
             f'<header class="site-header"><a class="logo" href="/">{E(site["name"])}</a></header>\n',
             _nav(rng, site), _cookie_banner(rng)]
    if layout == "blog":
        tags = "".join(f'<a rel="tag" href="/tag/{slug(t)}/">{E(t)}</a> ' for t in art["tags"])
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
        related = "".join(f'<li><a href="/local/{slug(a)}">{E(title_case(a))}</a></li>'
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
                h = title_case(rng.choice(TOPICS[art["topic"]]["acts"]))
                blocks.append(f"<h2>{E(h)}</h2>\n")
            blocks.append(f"<p>{E(p)}</p>\n")
        toc = "".join(f"<li>{E(title_case(a))}</li>" for a in rng.sample(TOPICS[art["topic"]]["acts"], 3))
        parts.append(
            '<div class="layout"><main>\n<article class="guide">\n'
            f'<h1>{E(title)}</h1>\n<p class="updated">Last updated {date} &middot; '
            f'{rng.randint(4, 14)} min read</p>\n<div class="toc"><strong>In this guide</strong><ol>{toc}</ol></div>\n'
            + "".join(blocks) + "</article>\n</main>\n" + _sidebar(rng, site) + "</div>\n")
    parts.append(_footer(rng, site))
    return "".join(parts)


def render_foreign(rng: random.Random, lang: str) -> tuple[str, str, str]:
    """An article in ``lang`` (de, fr, es, it) on one of its sites: (html, domain, path)."""
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
    nav = "".join(f'<li><a href="/{slug(n) or "x"}/">{E(n)}</a></li>' for n in bank["nav"])
    body = (
        _head(title, site, lang=lang) + "<body>\n"
        f'<header><a class="logo" href="/">{E(site["name"])}</a></header>\n<nav><ul>{nav}</ul></nav>\n'
        f"<main><article>\n<h1>{E(title)}</h1>\n"
        f"<p class=\"meta\">{E(bank['byline'].format(date=date, author=author))}</p>\n"
        + "".join(f"<p>{E(p)}</p>\n" for p in paras)
        + f"</article></main>\n<footer><p>&copy; 2024 {E(site['name'])}. {E(bank['footer'])}</p></footer>\n"
        "</body>\n</html>\n")
    return body, domain, f"/{slug(title.encode('ascii', 'ignore').decode()) or 'artikel'}-{rng.randint(100, 9999)}/"


def render_spam(rng: random.Random) -> tuple[str, str]:
    """A spam page in one of three styles (keyword stuffing, a list of "buy cheap" links, one line repeated):
    (html, path)."""
    prods = rng.sample(SPAM_PRODUCTS, 3)
    p = prods[0]
    style = rng.randrange(3)
    site = dict(name="Best Deals", domain="x", layout="blog")
    if style == 0:  # keyword stuffing
        kw = [f"cheap {p}", f"best {p}", f"buy {p} online", f"{p} discount", f"{p} sale",
              f"{p} near me", f"top {p} 2024", f"{p} free shipping"]
        stuffed = " ".join(rng.choice(kw) for _ in range(rng.randint(80, 160)))
        body = f"<h1>{E(title_case('best cheap ' + p))}</h1>\n<p>{E(stuffed)}</p>\n<p>{E(stuffed[:400])}</p>\n"
    elif style == 1:  # bullet list of buy-cheap lines
        lines = []
        for _ in range(rng.randint(30, 60)):
            q = rng.choice(prods)
            lines.append(rng.choice([
                f"Buy cheap {q} - click here!", f"BEST {q.upper()} DEALS - CLICK HERE",
                f"{q} 90% off today only!!!", f"Click here for {q}", f"Cheap {q} in {rng.choice(CITIES)}"]))
        body = f"<h1>{E(title_case(p))} Deals</h1>\n<ul>" + "".join(
            f'<li><a href="/go?id={rng.randint(1, 999)}">{E(x)}</a></li>' for x in lines) + "</ul>\n"
    else:  # repeated lines
        line = f"Best {p} deals online today! Click here to buy now and save big on {p}!"
        reps = "".join(f"<p>{E(line)}</p>\n" for _ in range(rng.randint(15, 30)))
        links = " | ".join(f'<a href="/{slug(p + " " + c)}">{E(p)} {E(c)}</a>' for c in CITIES)
        body = f"<h1>{E(title_case(p))}!!!</h1>\n{reps}<div class=\"seo-links\">{links}</div>\n"
    html_ = _head(title_case(f"cheap {p} buy {p} online best {p}"), site,
                  extra=f'<meta name="keywords" content="{E(", ".join(p for p in prods * 4))}">\n') \
        + "<body>\n" + body + "</body>\n</html>\n"
    return html_, f"/{slug('cheap ' + p)}-{rng.randint(1, 9999)}.html"


def render_lorem(rng: random.Random, site: dict) -> str:
    """A template page left with its lorem ipsum placeholder text."""
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
    """A title and one placeholder line ("Coming soon."): too short to keep."""
    title = rng.choice(["Coming Soon", "Welcome", "Thank You", "Cart", "Login", "Update"])
    return (_head(title, site) + f"<body>\n<h1>{E(title)}</h1>\n<p>{E(rng.choice(SHORT_LINES))}</p>\n"
            "</body>\n</html>\n")


def render_boilerplate(rng: random.Random, site: dict) -> str:
    """An app shell with no content: "enable JavaScript", consent and policy lines."""
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


def make_png(rng: random.Random, w: int = 24, h: int = 24) -> bytes:
    """A small two-colour checkerboard PNG (``w`` x ``h`` pixels), written by hand so no imaging library is needed."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    c1 = [rng.randrange(256) for _ in range(3)]
    c2 = [rng.randrange(256) for _ in range(3)]
    raw = b"".join(b"\x00" + b"".join(bytes(c1 if (x // 4 + y // 4) % 2 else c2) for x in range(w))
                   for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def make_css(rng: random.Random) -> bytes:
    """A site stylesheet: a few rules with random colours and sizes."""
    colors = ["#1d3557", "#457b9d", "#e63946", "#2a9d8f", "#264653", "#f4a261"]
    rules = []
    for sel in ["body", ".site-header", ".main-nav a", ".entry-content p", ".sidebar .widget",
                ".site-footer", ".cookie-notice", "h1, h2, h3"]:
        rules.append(f"{sel} {{\n  color: {rng.choice(colors)};\n  margin: {rng.randint(0, 24)}px;\n"
                     f"  font-size: {rng.choice([14, 16, 18, 22, 28])}px;\n}}\n")
    return ("/* theme stylesheet */\n" + "".join(rules)).encode()


def render_japanese(rng: random.Random) -> str:
    """A short Japanese blog post that declares Shift_JIS in its ``<meta>`` (the caller encodes it so)."""
    title = rng.choice(JAPANESE["titles"])
    sents = rng.sample(JAPANESE["sentences"], rng.randint(5, 8))
    site = dict(name="静かな日々", domain=JAPANESE["domain"], layout="blog")
    nav = "".join(f'<li><a href="/{i}/">{E(n)}</a></li>' for i, n in enumerate(JAPANESE["nav"]))
    return (_head(title, site, lang="ja", charset="Shift_JIS") + "<body>\n"
            f"<nav><ul>{nav}</ul></nav>\n<main><h1>{E(title)}</h1>\n"
            f"<p>{''.join(sents[:len(sents) // 2])}</p>\n<p>{''.join(sents[len(sents) // 2:])}</p>\n"
            "</main>\n<footer>&copy; 2024</footer>\n</body>\n</html>\n")


def render_not_found(site: dict) -> str:
    """A site's 404 page."""
    return (_head("Page not found", site) + "<body>\n<h1>404 - Page not found</h1>\n"
            "<p>Sorry, the page you were looking for does not exist.</p>\n"
            '<p><a href="/">Return to the home page</a></p>\n</body>\n</html>\n')


def render_redirect(status: str, target: str) -> bytes:
    """The small HTML body a server sends with a 301 or 302 (``status`` is "301 Moved Permanently", ...)."""
    return (f'<html><head><title>{status}</title></head><body><h1>{status[4:]}</h1>'
            f'<p>The document has moved <a href="{target}">here</a>.</p></body></html>\n').encode()
