"""What the demo crawl captures: the plan of page kinds, their order, and one builder per kind.

The mix of pages is chosen so that a FineWeb-style pipeline keeps some documents and drops others, each for a
reason a test can name:

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

Counts scale with ``n_pages`` (``good_en`` takes the remainder). The kinds are shuffled, then a duplicate or broken
copy that would come before any good page swaps places with the next good page, since it copies one. Three good
pages quote a question of the demo benchmark (``CONTAMINATED_GOOD_EN``) for the decontamination stage to find.

Every page comes from one ``random.Random`` in crawl order, so a seed gives the same pages, and the same bytes.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass

from pipeline.demo.articles import make_article, make_recipe_extras, mutate_article, slug, typographic
from pipeline.demo.pages import CONTAMINATED_GOOD_EN, CSS_LINKS, DEMO_BENCHMARK, MIRROR_DOMAINS, SITES, TOPICS
from pipeline.demo.pages_other import JAPANESE, SPAM_DOMAINS
from pipeline.demo.pdfs import article_pdf
from pipeline.demo.render import (
    break_html,
    make_css,
    make_png,
    render_boilerplate,
    render_foreign,
    render_japanese,
    render_lorem,
    render_not_found,
    render_page,
    render_redirect,
    render_short,
    render_spam,
)

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
#: Kinds that copy an earlier good page, so one must come first.
COPIES = ("exact_dup", "near_dup", "broken_html")


@dataclass(frozen=True)
class Page:
    """One captured URL and what the server answered."""

    kind: str
    url: str
    body: bytes
    status: str = "200 OK"
    ctype: str = "text/html; charset=utf-8"  # the HTTP Content-Type
    ptype: str = "text/html"  # WARC-Identified-Payload-Type
    extra: tuple[tuple[str, str], ...] = ()  # further HTTP headers


# --------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------

def plan_counts(n_pages: int) -> dict[str, int]:
    """Pages per kind for a crawl of ``n_pages``: the table's shares, rounded, ``good_en`` first with the rest.

    A tiny crawl keeps at least one good page where it has copies, since they need a page to copy."""
    counts = {}
    remaining = n_pages
    for kind, per300 in KIND_PLAN_PER_300:
        c = int(per300 * n_pages / 300 + 0.5)
        c = max(0, min(c, remaining - 1)) if remaining > 1 else 0
        counts[kind] = c
        remaining -= c
    counts = {"good_en": remaining, **counts}
    if counts["good_en"] == 0 and n_pages > 0:
        for k in COPIES:
            if counts[k]:
                counts[k] -= 1
                counts["good_en"] += 1
                break
    return counts


def kind_order(counts: dict[str, int], rng: random.Random) -> list[str]:
    """The kinds in crawl order: shuffled, with no copy before the first good page."""
    kinds = [k for k, c in counts.items() for _ in range(c)]
    rng.shuffle(kinds)
    seen_good = False
    for i, k in enumerate(kinds):
        if k == "good_en":
            seen_good = True
        elif k in COPIES and not seen_good:
            j = kinds.index("good_en", i)
            kinds[i], kinds[j] = kinds[j], kinds[i]
            seen_good = True
    return kinds


# --------------------------------------------------------------------------
# Pages, one builder per kind
# --------------------------------------------------------------------------

class Crawl:
    """The pages of one crawl, built in order from one random stream.

    It remembers what later pages need: the URLs taken (every URL is captured once), the good pages that copies
    are made of, and the URLs of the pages that quote the benchmark."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.pages: list[Page] = []
        self.contaminated: list[str] = []
        self._urls: set[str] = set()
        self._originals: list[dict] = []  # good pages: site, art, html, url
        self._nth: Counter[str] = Counter()

    def add(self, kind: str) -> Page:
        """Build the next page, of ``kind``, and add it to the crawl."""
        i = self._nth[kind]
        self._nth[kind] += 1
        page = BUILDERS[kind](self, i)
        self.pages.append(page)
        return page

    def _unique(self, url: str) -> str:
        base, n = url, 2
        while url in self._urls:
            url = f"{base}?p={n}"
            n += 1
        self._urls.add(url)
        return url

    def _article_url(self, site: dict, art: dict) -> str:
        pub = art["published"]
        return self._unique("https://" + site["domain"] + site["path"].format(
            y=pub.year, m=pub.month, d=pub.day, slug=slug(art["title"]), id=self.rng.randint(1000, 99999)))

    def _new_article(self) -> tuple[dict, dict]:
        """A site and an article for it (a recipe site's article gets a recipe card and a dish title)."""
        rng = self.rng
        site = rng.choice(SITES)
        art = make_article(rng, rng.choice(site["topics"]))
        if site["layout"] == "recipe":
            art["recipe"] = rx = make_recipe_extras(rng)
            art["title"] = rng.choice(["{d}", "Easy {d}", "{d} for Busy Weeknights", "My Favourite {d}",
                                       "How to Make {d}", "The Only {d} Recipe You Need"]).format(d=rx["dish"])
        return site, art

    def good_en(self, i: int) -> Page:
        site, art = self._new_article()
        quoted = CONTAMINATED_GOOD_EN.get(i)
        if quoted is not None:  # a page that quotes a benchmark item verbatim
            _, q, a = DEMO_BENCHMARK[quoted]
            art["paragraphs"].insert(len(art["paragraphs"]) // 2, f"A reader sent us this quiz question: {q} {a}")
        page_html = render_page(self.rng, site, art)
        url = self._article_url(site, art)
        if quoted is not None:
            self.contaminated.append(url)
        self._originals.append(dict(site=site, art=art, html=page_html, url=url))
        return Page("good_en", url, page_html.encode())

    def exact_dup(self, i: int) -> Page:
        """A good page's bytes again, under tracking parameters or on a mirror site."""
        rng = self.rng
        src = rng.choice(self._originals)
        if rng.random() < 0.5:
            url = self._unique(src["url"] + rng.choice(["?utm_source=newsletter&utm_medium=email", "?amp=1",
                                                        "?replytocom=" + str(rng.randint(10, 999))]))
        else:
            url = self._unique(f"https://{rng.choice(MIRROR_DOMAINS)}/{slug(src['art']['title'])}-"
                               f"{rng.randint(10, 99999)}")
        return Page("exact_dup", url, src["html"].encode())

    def near_dup(self, i: int) -> Page:
        """A good page's article, lightly edited, on a site with another layout."""
        rng = self.rng
        src = rng.choice(self._originals)
        site = rng.choice([s for s in SITES if s["layout"] != src["site"]["layout"]])
        art = mutate_article(rng, src["art"])
        return Page("near_dup", self._article_url(site, art), render_page(rng, site, art).encode())

    def broken_html(self, i: int) -> Page:
        site, art = self._new_article()
        page_html = break_html(self.rng, render_page(self.rng, site, art))
        return Page("broken_html", self._article_url(site, art), page_html.encode())

    def foreign(self, i: int) -> Page:
        body, domain, path = render_foreign(self.rng, ["de", "fr", "es", "it"][i % 4])
        return Page("foreign", self._unique(f"https://{domain}{path}"), body.encode())

    def spam(self, i: int) -> Page:
        body, path = render_spam(self.rng)
        return Page("spam", self._unique(f"https://{self.rng.choice(SPAM_DOMAINS)}{path}"), body.encode())

    def lorem(self, i: int) -> Page:
        rng = self.rng
        site = rng.choice(SITES)
        body = render_lorem(rng, site)
        return Page("lorem", self._unique(f"https://{site['domain']}/sample-page-{rng.randint(1, 999)}/"),
                    body.encode())

    def short(self, i: int) -> Page:
        rng = self.rng
        site = rng.choice(SITES)
        path = rng.choice(["coming-soon", "cart", "login", "thanks", "update"])
        url = self._unique(f"https://{site['domain']}/{path}-{rng.randint(1, 999)}")
        return Page("short", url, render_short(rng, site).encode())

    def boilerplate(self, i: int) -> Page:
        rng = self.rng
        site = rng.choice(SITES)
        path = rng.choice(["account", "checkout", "dashboard", "consent"])
        url = self._unique(f"https://{site['domain']}/app/{path}/{rng.randint(1, 999)}")
        return Page("boilerplate", url, render_boilerplate(rng, site).encode())

    def enc_declared(self, i: int) -> Page:
        """Not UTF-8, the charset in the HTTP header: English windows-1252 (the second one also declares it in a
        ``<meta http-equiv>``), then German ISO-8859-1."""
        url, body, charset = self._legacy_encoded(foreign_lang="de" if i % 3 == 2 else None)
        if i % 3 == 1:
            meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
            body = body.replace("<head>\n", "<head>\n" + meta, 1)
        header = charset.upper() if charset.startswith("iso") else charset
        return Page("enc_declared", url, body.encode(charset), ctype=f"text/html; charset={header}")

    def enc_undeclared(self, i: int) -> Page:
        """Not UTF-8, and no charset anywhere: English windows-1252, German and Spanish ISO-8859-1."""
        url, body, charset = self._legacy_encoded(foreign_lang=[None, "de", "es"][i % 3])
        return Page("enc_undeclared", url, body.encode(charset), ctype="text/html")

    def _legacy_encoded(self, foreign_lang: str | None) -> tuple[str, str, str]:
        """(url, html without its UTF-8 ``<meta>``, charset): a foreign article in ISO-8859-1, or an English one with
        typographic quotes, dashes and signs in windows-1252."""
        rng = self.rng
        if foreign_lang:
            body, domain, path = render_foreign(rng, foreign_lang)
            url, charset = self._unique(f"https://{domain}{path}"), "iso-8859-1"
        else:
            site, art = self._new_article()
            art["paragraphs"] = [typographic(p, rng) for p in art["paragraphs"]]
            art["title"] = art["title"].replace("'", "\u2019")
            body = render_page(rng, site, art)
            url, charset = self._article_url(site, art), "windows-1252"
        return url, body.replace('<meta charset="utf-8">\n', ""), charset

    def shift_jis(self, i: int) -> Page:
        body = render_japanese(self.rng)
        url = self._unique(f"https://{JAPANESE['domain']}/entry/{self.rng.randint(10000, 99999)}.html")
        return Page("shift_jis", url, body.encode("shift_jis"), ctype="text/html")

    def image(self, i: int) -> Page:
        site = self.rng.choice(SITES)
        url = self._unique(f"https://{site['domain']}/images/header-{self.rng.randint(1, 99)}.png")
        return Page("image", url, make_png(self.rng), ctype="image/png", ptype="image/png")

    def pdf(self, i: int) -> Page:
        """An article as a one-page PDF (the first paragraph, at most eight sentences)."""
        rng = self.rng
        site = rng.choice(SITES)
        art = make_article(rng, rng.choice(site["topics"]))
        sentences = re.split(r"(?<=[.!?]) ", art["paragraphs"][0])[:8]
        url = self._unique(f"https://{site['domain']}/files/{slug(art['title'])}.pdf")
        return Page("pdf", url, article_pdf(art["title"], [" ".join(sentences)]), ctype="application/pdf",
                    ptype="application/pdf")

    def css(self, i: int) -> Page:
        site = self.rng.choice(SITES)
        url = self._unique(f"https://{site['domain']}{CSS_LINKS[site['layout']].split('?')[0]}")
        return Page("css", url, make_css(self.rng), ctype="text/css", ptype="text/css")

    def not_found(self, i: int) -> Page:
        rng = self.rng
        site = rng.choice(SITES)
        path = slug(rng.choice(TOPICS[rng.choice(site["topics"])]["acts"]))
        return Page("not_found", self._unique(f"https://{site['domain']}/{path}-old/"),
                    render_not_found(site).encode(), status="404 Not Found")

    def redirect(self, i: int) -> Page:
        """A 301, then a 302, from an old ``index.php`` address to the site's home page."""
        site = self.rng.choice(SITES)
        target = f"https://{site['domain']}/"
        status = ["301 Moved Permanently", "302 Found"][i % 2]
        url = self._unique(f"http://{site['domain']}/index.php?page_id={self.rng.randint(1, 500)}")
        return Page("redirect", url, render_redirect(status, target), status=status, extra=(("Location", target),))


BUILDERS = {kind: getattr(Crawl, kind) for kind in ALL_KINDS}


def build_crawl(n_pages: int, rng: random.Random) -> Crawl:
    """Every page of a crawl of ``n_pages``, in crawl order."""
    crawl = Crawl(rng)
    for kind in kind_order(plan_counts(n_pages), rng):
        crawl.add(kind)
    return crawl
