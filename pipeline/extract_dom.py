"""Main text by one parse: the page cut into text blocks by lxml's parser, each kept or dropped by a learned model.

This is the fast path of :func:`pipeline.extract.html_to_text`. One pass of lxml's HTML parser with a
parser target (SAX events, no tree built) cuts the page's visible text into *segments*: the text
between two block-level boundaries (``p``, ``div``, ``li``, ``h2``, ``td``, ...), with the
characters inside links counted. Scripts, styles, forms' controls and elements hidden by
``hidden``/``aria-hidden``/``display:none`` are skipped. Each segment gets about sixty cheap
features: its length and link density, its block tag, how many of its block ancestors carry
boilerplate class or id words (``footer``, ``sidebar``, ``share``, ``comment``...) or content
words (``article``, ``post``, ``entry``...), the block's own such words and its depth, the text and
link share of its block and its parent block, whether it lies under ``nav``/``aside``/``footer``/
``header``/``figure``/``article``, whether it lies in the densest text container of the page (a
readability-style score: text of long, link-poor segments credited to their block parent and
grandparent), its position, punctuation, digits, boilerplate phrases, repeats on the page, and
the same for its neighbours. A gradient-boosted tree model (``extract_model.json``, trained by
:mod:`pipeline.extract_train` on the shared trafilatura evaluation pages) gives each segment a
probability of being main text; segments at or above ``THRESHOLD`` are kept, in page order,
one per line.

The model file is plain JSON (the trees' split features, thresholds and leaf values); inference
is numpy over all segments and all trees at once, so no scikit-learn version is needed to load it.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np
from lxml import etree

MODEL_PATH = Path(__file__).with_name("extract_model.json")
THRESHOLD = 0.5
# A page of which the model keeps less than this share of the characters goes to trafilatura (see kept_text).
# Chosen on the cross-validated public F1 of the shared trafilatura-eval pages; see docs/measurements.md.
MIN_KEPT_SHARE = 0.02

# Subtrees whose text is never page text (scripts, media, form controls, ruby annotations). Not <noscript>:
# libxml2 parses inside it, and a block left open there (``<noscript><div id="nojs"></noscript>``, which a
# browser reads as raw text) takes the rest of the page with it; its text goes to the model like any other.
SKIP = frozenset(
    "script style template svg head link meta canvas iframe object embed applet audio video map "
    "picture math button select option optgroup input textarea datalist dialog frame frameset area source "
    "track param use rp rt rtc progress output".split()
)
BLOCK = frozenset(
    "p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd pre blockquote table tr td th tbody thead "
    "tfoot caption figcaption header footer nav aside figure address hr center details summary body form "
    "fieldset legend menu".split()
)
_TAG_GROUP = {
    "p": 0, "h1": 1, "h2": 1, "h3": 1, "h4": 1, "h5": 1, "h6": 1, "li": 2, "dd": 2, "dt": 2,
    "td": 3, "th": 3, "tr": 3, "caption": 3, "pre": 4, "blockquote": 4, "figcaption": 5, "address": 6,
    "div": 7, "section": 7,
}  # anything else: 8
# Ancestor flags (bit -> feature): nav/menu, aside, footer, header, figure, form/fieldset, li, table, article/main.
_ANCESTOR_BIT = {
    "nav": 1, "menu": 1, "aside": 2, "footer": 4, "header": 8, "figure": 16, "form": 32, "fieldset": 32,
    "li": 64, "table": 128, "article": 256, "main": 256,
}
_N_BITS = 9
_BOILERPLATE_KEY = re.compile(
    r"footer|related|viral|shar(e|ing)|social|sociable|syndication|newsletter|subnav|cookie|sidebar|banner|"
    r"breadcrumb|(?<![a-z])nav|navigation|menu|comment|reply|akismet|(?<![a-z])hid(e|den)|noprint|popup|modal|"
    r"advert|(?<![a-z])ads?(?![a-z])|sponsor|widget|masthead|byline|author|skip|(?<![a-z])meta(?![a-z])|"
    r"pagination|pager|toolbar|print|teaser|promo|subscribe|signup|login|recommend|most-?read|trending|"
    r"disclaimer|(?<![a-z])tags?(?![a-z-])|header|top-?bar|copyright|cta|search|rating|caption|date|time"
)
_CONTENT_KEY = re.compile(r"article|content|post|entry|story|(?<![a-z])main|(?<![a-z])text|body|blog|news|single|page")
_HIDDEN_STYLE = re.compile(r"display:\s*none|visibility:\s*hidden")
_BOILERPLATE_TEXT = re.compile(  # matched against lowercased text (IGNORECASE is several times slower)
    r"impressum|datenschutz|kontakt|cookie|newsletter|log ?in|anmelden|registrier|teilen|share|copyright|"
    r"rights reserved|rechte vorbehalten|privacy|abonn|subscribe|read more|weiterlesen|kommentar|comment|"
    r"follow|folge|werbung|advertis|anzeige|related|mehr zum thema|tags?:|sign up|download|app"
)
_DATE = re.compile(r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")
# Characters that render as nothing: soft hyphen, zero-width space, word joiner, BOM (kept: ZWJ/ZWNJ, which
# shape Indic and Arabic script). A reader, and a benchmark's snippet, sees "autonome" where the page has
# "auto\xadnome".
_INVISIBLE = ("\xad", "\u200b", "\u2060", "\ufeff")
INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE))  # the same as a str.translate table (the trainer's comparisons)
_END_PUNCT = frozenset('.!?:;"”»)')

# UTF-8 read as Windows-1252 (or Latin-1): a lead byte's character (Â..ô) before a continuation byte's (0x80-0xBF as
# Windows-1252 shows them, or as C1 controls). Pages saved that way ("FÃ¼r" for "Für") are a few in a thousand.
_CP1252_HIGH = bytes(range(0x80, 0xA0)).decode("cp1252", errors="ignore")
_MOJIBAKE = re.compile(f"[\u00c2-\u00f4][\u0080-\u00bf{_CP1252_HIGH}]")
# Character -> byte as Latin-1 or Windows-1252 reads it (they differ only in 0x80-0x9F: C1 controls or € ‚ ƒ ...).
_TO_BYTE = {b: b for b in range(256)} | {ord(ch): 0x80 + i for i, ch in enumerate(
    bytes(range(0x80, 0xA0)).decode("cp1252", errors="replace")) if ch != "\ufffd"}


def undo_mojibake(text: str) -> str:
    """``text`` with UTF-8 that was decoded as Windows-1252 decoded again, or ``text`` unchanged unless every
    character maps back to a byte and the bytes are valid UTF-8 (text really written in a single-byte encoding
    almost never is: "São" as bytes is ``S\\xe3o``, not UTF-8)."""
    try:
        return bytes(_TO_BYTE[ord(ch)] for ch in text).decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return text


def repair(text: str) -> str:
    """``text`` with its lines that read as UTF-8 decoded as Windows-1252 decoded again (:func:`undo_mojibake`)."""
    if text.isascii() or not _MOJIBAKE.search(text):
        return text
    return "\n".join(undo_mojibake(line) if _MOJIBAKE.search(line) else line for line in text.split("\n"))


N_FEATURES = 58
_BITS = 1 << np.arange(_N_BITS)
# Elements checked for hidden/aria-hidden/display:none (blocks and spans; an inline link hidden alone is rare).
_MAY_HIDE = BLOCK | {"span"}


class _Block:
    """A block element on the walk's stack: its tag, inherited counts and the segments it spans."""

    __slots__ = ("tag", "boil", "cont", "bits", "parent", "start", "end", "own", "depth")

    def __init__(self, tag, boil, cont, bits, parent, start, own=0):
        self.tag, self.boil, self.cont, self.bits, self.parent, self.start = tag, boil, cont, bits, parent, start
        self.end = None
        self.own = own  # this element's own class/id words: 1 boilerplate, 2 content
        self.depth = parent.depth + 1 if parent is not None else 0


_TOKEN_HITS: dict[str, int] = {}


@lru_cache(maxsize=65536)
def _key_hits(key: str) -> int:
    """1 if a class/id word of ``key`` is a boilerplate word, | 2 if one is a content word.

    Per whitespace-separated token, each token's answer cached: class strings differ from page to page,
    their tokens (``entry-content``, ``clearfix``) repeat. Neither pattern matches across whitespace, so
    this is the patterns' answer on the whole string."""
    hits = 0
    for tok in key.split():
        h = _TOKEN_HITS.get(tok)
        if h is None:
            low = tok.lower()
            h = (1 if _BOILERPLATE_KEY.search(low) else 0) | (2 if _CONTENT_KEY.search(low) else 0)
            if len(_TOKEN_HITS) >= 262_144:  # bounded: a crawl has unbounded class names
                _TOKEN_HITS.clear()
            _TOKEN_HITS[tok] = h
        hits |= h
    return hits


class _Walk:
    """lxml parser target: the page's SAX events cut into raw segments, with no tree built.

    ``raw`` holds [block, text parts, characters inside links] per segment: a segment starts at every
    block element's start and end. ``skip`` counts the depth inside a skipped subtree (a ``SKIP`` tag, or
    a block or span hidden by ``hidden``/``aria-hidden``/``display:none``); after ``</body>`` nothing counts."""

    __slots__ = ("raw", "stack", "in_link", "skip", "done")

    def __init__(self):
        top = _Block("body", 0, 0, 0, None, 0)
        self.stack = [top]
        self.raw = [[top, [], 0]]
        self.in_link = self.skip = 0
        self.done = False

    def start(self, tag, attrib):
        if self.skip:
            self.skip += 1
            return
        if self.done:
            return
        if tag in SKIP:
            self.skip = 1
            return
        if tag == "body":  # not a block of its own, and never hidden (pages hide it until their scripts run)
            return
        if tag in _MAY_HIDE and attrib:
            if "hidden" in attrib or attrib.get("aria-hidden") == "true":
                self.skip = 1
                return
            style = attrib.get("style")
            if style and "none" in style and _HIDDEN_STYLE.search(style):
                self.skip = 1
                return
        if tag == "a":
            self.in_link += 1
        elif tag in BLOCK:
            parent = self.stack[-1]
            boil, cont, bits = parent.boil, parent.cont, parent.bits | _ANCESTOR_BIT.get(tag, 0)
            own = 0
            if attrib:
                cls, ident = attrib.get("class"), attrib.get("id")
                if cls or ident:
                    own = _key_hits(cls + " " + ident if cls and ident else cls or ident)
                    boil += own & 1
                    cont += own >> 1
                if attrib.get("itemprop") == "articleBody":
                    bits |= 256
            block = _Block(tag, boil, cont, bits, parent, len(self.raw), own)
            self.stack.append(block)
            self.raw.append([block, [], 0])
        elif tag == "br":
            self.raw[-1][1].append("\n")

    def end(self, tag):
        if self.skip:
            self.skip -= 1
            return
        if self.done:
            return
        if tag == "a":
            self.in_link -= 1
        elif tag in BLOCK:
            if tag == "body":
                self.done = True
                return
            if len(self.stack) > 1:
                block = self.stack.pop()
                block.end = len(self.raw)
            self.raw.append([self.stack[-1], [], 0])

    def data(self, text):
        if self.skip or self.done:
            return
        seg = self.raw[-1]
        seg[1].append(text)
        if self.in_link:
            seg[2] += len(text)

    def close(self):
        return self


def segments(html: str) -> list[tuple[_Block, str, int, int]]:
    """The page's visible text as (block, text, characters inside links, raw index), in page order.

    One pass of lxml's HTML parser (libxml2, recovering from broken markup) with :class:`_Walk` as its
    target: the same events a tree would be built from, without building it. Raises what lxml raises
    on input it cannot parse."""
    if html.lstrip()[:5] == "<?xml":  # lxml refuses str input that declares an encoding
        html = _XML_DECL.sub("", html, 1)
    walk = _Walk()
    etree.fromstring(html, etree.HTMLParser(target=walk, remove_comments=True, remove_pis=True,
                                            no_network=True, recover=True))
    # lxml's parser and its target context refer to each other, so the walk stays alive until a cyclic
    # collection: take its segments out and leave it empty, or every page's lists and blocks wait for (and
    # trigger) the collector instead of going at once.
    raw, walk.raw, walk.stack = walk.raw, None, None
    raw[0][0].end = len(raw)
    texts = ["".join(parts) for _, parts, _ in raw]
    page = "".join(texts)
    invisible = [ch for ch in _INVISIBLE if ch in page]
    ascii_page = page.isascii()
    # One form for one string: a page written decomposed (u + combining diaeresis) reads as the composed
    # form, as trafilatura's output does.
    compose = not ascii_page and not unicodedata.is_normalized("NFC", page)
    mojibake = not ascii_page and _MOJIBAKE.search(page) is not None
    out = []
    for i, ((block, _, link), text) in enumerate(zip(raw, texts)):
        for ch in invisible:
            text = text.replace(ch, "")
        text = " ".join(text.split())
        if mojibake:
            text = repair(text)
        if compose:
            text = unicodedata.normalize("NFC", text)
        if text:
            out.append((block, text, min(link, len(text)), i))
    return out


def features(segs: list[tuple[_Block, str, int, int]]) -> np.ndarray:
    """One row of ``N_FEATURES`` floats per segment (see the module docstring), column by column."""
    n = len(segs)
    X = np.zeros((n, N_FEATURES))
    if not n:
        return X
    blocks = [s[0] for s in segs]
    texts = [s[1] for s in segs]
    size = np.array([len(t) for t in texts], dtype=np.float64)
    link = np.array([s[2] for s in segs], dtype=np.float64)
    at = np.array([s[3] for s in segs])
    # Densest container: long, link-poor segments credit their block parent and (half) grandparent.
    # Also each block's (and its parent's) text and link characters, and each block's segment count.
    score: dict[_Block, float] = {}
    chars: dict[_Block, list] = {}
    for block, text, lk, _ in segs:
        sz = len(text)
        p = block.parent
        for b in (block, p) if p is not None else (block,):
            c = chars.get(b)
            if c is None:
                chars[b] = [sz, lk, 1]
            else:
                c[0] += sz
                c[1] += lk
                c[2] += 1
        if sz >= 40 and lk < 0.3 * sz:
            v = sz - lk
            score[block] = score.get(block, 0.0) + v
            if p is not None:
                score[p] = score.get(p, 0.0) + v
                if p.parent is not None:
                    score[p.parent] = score.get(p.parent, 0.0) + v / 2
    # Character classes of all segments at once: code points of the texts joined by newlines (segment text
    # has none), summed per segment. Digits and capitals are ASCII, Latin-1, Greek and Cyrillic ones.
    cp = np.frombuffer("\n".join(texts).encode("utf-32-le"), dtype=np.uint32)
    lens = np.array([len(t) for t in texts], dtype=np.intp)
    starts = np.zeros(n, dtype=np.intp)
    np.cumsum(lens[:-1] + 1, out=starts[1:])
    per_seg = np.add.reduceat

    def count(mask):
        return per_seg(mask, starts).astype(np.float64)

    words = count(cp == 32) + 1
    upper = (((cp >= 65) & (cp <= 90)) | ((cp >= 0xC0) & (cp <= 0xDE) & (cp != 0xD7))
             | ((cp >= 0x391) & (cp <= 0x3A9)) | ((cp >= 0x400) & (cp <= 0x42F)))
    head = np.minimum(size, 100)
    upper &= (np.arange(len(cp)) - np.repeat(starts, lens + 1)[: len(cp)]) < 100
    ld = link / size
    log_size = np.log1p(size)
    X[:, 0] = 1.0
    X[:, 1] = log_size
    X[:, 2] = ld
    X[:, 3] = ld * log_size
    rows = np.arange(n)
    X[rows, 4 + np.array([_TAG_GROUP.get(b.tag, 8) for b in blocks])] = 1.0
    X[:, 13] = np.minimum([b.boil for b in blocks], 3)
    X[:, 14] = np.minimum([b.cont for b in blocks], 3)
    bits = np.array([b.bits for b in blocks])
    X[:, 15:24] = (bits[:, None] & _BITS) > 0
    X[:, 24] = [b.parent is None for b in blocks]
    if score:
        best = max(score, key=score.get)
        X[:, 25] = (at >= best.start) & (at < best.end)
    X[:, 26] = [t[-1] in _END_PUNCT for t in texts]
    X[:, 27] = rows / n
    X[:, 28] = count((cp == 44) | (cp == 46)) / words
    X[:, 29] = ["©" in t or "opyright" in t for t in texts]
    X[:, 30] = count(cp == 124) / words
    X[:, 31] = count((cp >= 48) & (cp <= 57)) / size
    X[:, 32] = np.log1p(words)
    short = np.flatnonzero(size <= 200)
    if len(short):
        X[short, 33] = [_BOILERPLATE_TEXT.search(texts[i].lower()) is not None for i in short]
        X[short, 34] = [_DATE.search(texts[i]) is not None for i in short]
    repeats: dict[str, int] = {}
    for t in texts:
        repeats[t] = repeats.get(t, 0) + 1
    X[:, 35] = np.minimum([repeats[t] for t in texts], 5)
    X[:, 36] = count(upper) / head
    # Neighbours: previous and next segment's size and link density, and how many of them are in the root.
    X[1:, 37] = X[:-1, 1]
    X[0, 38] = 1.0
    X[1:, 38] = X[:-1, 2]
    X[:-1, 39] = X[1:, 1]
    X[-1, 40] = 1.0
    X[:-1, 40] = X[1:, 2]
    for src, dst in ((25, 41), (13, 42), (4, 43)):
        X[1:, dst] += X[:-1, src]
        X[:-1, dst] += X[1:, src]
    inroot = np.flatnonzero(X[:, 25])
    if len(inroot):
        first, last = inroot[0], inroot[-1]
        X[:, 44] = rows < first
        X[:, 45] = rows > last
        X[:, 46] = np.where(X[:, 25] > 0, 0.0, np.minimum(np.abs(rows - first), np.abs(rows - last)) / n)
    X[:, 47] = math.log1p(n)
    # The block's own class/id words, its depth, and the text and link share of its block and its parent.
    own = np.array([b.own for b in blocks])
    X[:, 48] = own & 1
    X[:, 49] = own >> 1 & 1
    X[:, 50] = np.minimum([b.depth for b in blocks], 30)
    mine = np.array([chars[b] for b in blocks], dtype=np.float64)
    par = np.array([chars[b.parent if b.parent is not None else b] for b in blocks], dtype=np.float64)
    total = size.sum()
    X[:, 51] = np.log1p(par[:, 0])
    X[:, 52] = par[:, 1] / par[:, 0]
    X[:, 53] = par[:, 0] / total
    X[:, 54] = size / total
    X[:, 55] = np.minimum(mine[:, 2], 20)
    X[:, 56] = np.log1p(mine[:, 0])
    X[:, 57] = mine[:, 1] / mine[:, 0]
    return X


class TreeModel:
    """Gradient-boosted trees from ``extract_model.json``, evaluated for all rows and all trees at once."""

    def __init__(self, spec: dict):
        if spec.get("n_features") != N_FEATURES:
            raise ValueError(f"extract model: built for {spec.get('n_features')} features, code has {N_FEATURES}; "
                             "retrain with python -m pipeline.extract_train")
        self.baseline = float(spec["baseline"])
        feat, thr, left, right, value, roots = [], [], [], [], [], []
        for tree in spec["trees"]:
            base = len(feat)
            roots.append(base)
            for j, (f, t, lc, rc, v) in enumerate(zip(tree["feature"], tree["threshold"], tree["left"],
                                                      tree["right"], tree["value"])):
                if lc < 0:  # leaf: loops onto itself
                    feat.append(0), thr.append(math.inf), left.append(base + j), right.append(base + j)
                else:
                    feat.append(f), thr.append(t), left.append(base + lc), right.append(base + rc)
                value.append(v)
        self.feature = np.array(feat, dtype=np.intp)
        self.threshold = np.array(thr)
        self.children = np.empty(2 * len(feat), dtype=np.intp)  # [2k]: right child of k, [2k+1]: left child
        self.children[0::2] = right
        self.children[1::2] = left
        self.value = np.array(value)
        self.roots = np.array(roots, dtype=np.intp)
        self.depth = int(spec["max_depth"])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Probability of main text for each row of ``X``."""
        if not len(X):
            return np.zeros(0)
        flat = np.ascontiguousarray(X, dtype=np.float64).ravel()
        offset = (np.arange(len(X)) * X.shape[1])[:, None]
        node = np.broadcast_to(self.roots, (len(X), len(self.roots)))
        for _ in range(self.depth):
            go_left = flat[offset + self.feature[node]] <= self.threshold[node]
            node = self.children[2 * node + go_left]
        raw = self.baseline + self.value[node].sum(axis=1)
        return 1.0 / (1.0 + np.exp(-raw))


@lru_cache(maxsize=1)
def model() -> TreeModel:
    return TreeModel(json.loads(MODEL_PATH.read_text()))


def decide(segs: list[tuple[_Block, str, int, int]]) -> str:
    """The segments the model keeps, one per line (see :func:`kept_text`)."""
    if not segs:
        return ""
    return kept_text([seg[1] for seg in segs], model().predict(features(segs)) >= THRESHOLD)


def kept_text(texts: list[str], keep) -> str:
    """The kept ``texts``, one per line; ``""`` where they are under ``MIN_KEPT_SHARE`` of the page's characters.

    A page of which the model keeps almost nothing (a title, a date) is mostly a page whose main text it did
    not recognise: the caller hands it to trafilatura."""
    total = kept = 0
    for text, k in zip(texts, keep):
        total += len(text)
        if k:
            kept += len(text)
    if kept < MIN_KEPT_SHARE * total:
        return ""
    return "\n".join(t for t, k in zip(texts, keep) if k)
