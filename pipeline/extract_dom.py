"""Main text by one parse: an lxml DOM cut into text blocks, each kept or dropped by a small learned model.

This is the fast path of :func:`pipeline.extract.html_to_text`. One walk over the parsed page
(``lxml.etree.iterwalk``, no Python recursion) cuts its visible text into *segments*: the text
between two block-level boundaries (``p``, ``div``, ``li``, ``h2``, ``td``, ...), with the
characters inside links counted. Scripts, styles, forms' controls and elements hidden by
``hidden``/``aria-hidden``/``display:none`` are skipped. Each segment gets about fifty cheap
features: its length and link density, its block tag, how many of its block ancestors carry
boilerplate class or id words (``footer``, ``sidebar``, ``share``, ``comment``...) or content
words (``article``, ``post``, ``entry``...), whether it lies under ``nav``/``aside``/``footer``/
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
from functools import lru_cache
from pathlib import Path

import numpy as np
from lxml import etree

MODEL_PATH = Path(__file__).with_name("extract_model.json")
THRESHOLD = 0.5

# Subtrees whose text is never page text (scripts, media, form controls, ruby annotations).
SKIP = frozenset(
    "script style noscript template svg head link meta canvas iframe object embed applet audio video map "
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
_BOILERPLATE_TEXT = re.compile(
    r"impressum|datenschutz|kontakt|cookie|newsletter|log ?in|anmelden|registrier|teilen|share|copyright|"
    r"rights reserved|rechte vorbehalten|privacy|abonn|subscribe|read more|weiterlesen|kommentar|comment|"
    r"follow|folge|werbung|advertis|anzeige|related|mehr zum thema|tags?:|sign up|download|app",
    re.IGNORECASE,
)
_DATE = re.compile(r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b")
_DIGIT = re.compile(r"\d")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")
_END_PUNCT = frozenset('.!?:;"”»)')
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, recover=True)

N_FEATURES = 48
# Elements checked for hidden/aria-hidden/display:none (blocks and spans; an inline link hidden alone is rare).
_MAY_HIDE = BLOCK | {"span"}


class _Block:
    """A block element on the walk's stack: its tag, inherited counts and the segments it spans."""

    __slots__ = ("tag", "boil", "cont", "bits", "parent", "start", "end")

    def __init__(self, tag, boil, cont, bits, parent, start):
        self.tag, self.boil, self.cont, self.bits, self.parent, self.start = tag, boil, cont, bits, parent, start
        self.end = None


@lru_cache(maxsize=65536)
def _key_hits(key: str) -> tuple[int, int]:
    low = key.lower()
    return (1 if _BOILERPLATE_KEY.search(low) else 0, 1 if _CONTENT_KEY.search(low) else 0)


def _hidden(el) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    return bool(style and "none" in style and _HIDDEN_STYLE.search(style))


def segments(html: str) -> list[tuple[_Block, str, int, int]]:
    """The page's visible text as (block, text, characters inside links, walk index), in page order.

    Raises what lxml raises on input it cannot parse."""
    if html.lstrip()[:5] == "<?xml":  # lxml refuses str input that declares an encoding
        html = _XML_DECL.sub("", html, 1)
    root = etree.fromstring(html, _PARSER)
    if root is None:
        return []
    body = root.find("body")
    if body is None:
        body = root
    raw: list[list] = []  # [block, parts, link chars]
    top = _Block("body", 0, 0, 0, None, 0)
    stack = [top]
    raw.append([top, [], 0])
    in_link = 0
    skipped = None
    walker = etree.iterwalk(body, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if event == "start":
            if el is body:
                if el.text:
                    raw[-1][1].append(el.text)
                continue
            if tag in SKIP or (tag in _MAY_HIDE and _hidden(el)):
                walker.skip_subtree()
                skipped = el
                continue
            if tag == "a":
                in_link += 1
            elif tag in BLOCK:
                parent = stack[-1]
                boil, cont, bits = parent.boil, parent.cont, parent.bits | _ANCESTOR_BIT.get(tag, 0)
                cls, ident = el.get("class"), el.get("id")
                if cls or ident:
                    b, c = _key_hits(cls + " " + ident if cls and ident else cls or ident)
                    boil += b
                    cont += c
                if el.get("itemprop") == "articleBody":
                    bits |= 256
                block = _Block(tag, boil, cont, bits, parent, len(raw))
                stack.append(block)
                raw.append([block, [], 0])
            elif tag == "br":
                raw[-1][1].append("\n")
            text = el.text
            if text:
                seg = raw[-1]
                seg[1].append(text)
                if in_link:
                    seg[2] += len(text)
            continue
        if el is body:
            break
        if el is skipped:
            skipped = None
        elif tag == "a":
            in_link -= 1
        elif tag in BLOCK:
            block = stack.pop()
            block.end = len(raw)
            raw.append([stack[-1], [], 0])
        tail = el.tail
        if tail:
            seg = raw[-1]
            seg[1].append(tail)
            if in_link:
                seg[2] += len(tail)
    top.end = len(raw)
    out = []
    for i, (block, parts, link) in enumerate(raw):
        text = " ".join("".join(parts).split())
        if text:
            out.append((block, text, min(link, len(text)), i))
    return out


def features(segs: list[tuple[_Block, str, int, int]]) -> np.ndarray:
    """One row of ``N_FEATURES`` floats per segment (see the module docstring)."""
    n = len(segs)
    # Densest container: long, link-poor segments credit their block parent and (half) grandparent.
    score: dict[_Block, float] = {}
    for block, text, link, _ in segs:
        size = len(text)
        if size >= 40 and link < 0.3 * size:
            v = size - link
            score[block] = score.get(block, 0.0) + v
            p = block.parent
            if p is not None:
                score[p] = score.get(p, 0.0) + v
                if p.parent is not None:
                    score[p.parent] = score.get(p.parent, 0.0) + v / 2
    best = max(score, key=score.get) if score else None
    lo, hi = (best.start, best.end) if best is not None else (0, -1)
    repeats: dict[str, int] = {}
    for seg in segs:
        repeats[seg[1]] = repeats.get(seg[1], 0) + 1
    rows = []
    first = last = None
    zeros = [0.0] * N_FEATURES
    for i, (block, text, link, at) in enumerate(segs):
        size = len(text)
        words = text.count(" ") + 1
        f = zeros[:]
        ld = link / size
        log_size = math.log1p(size)
        if lo <= at < hi:
            if first is None:
                first = i
            last = i
            f[25] = 1.0
        f[0] = 1.0
        f[1] = log_size
        f[2] = ld
        f[3] = ld * log_size
        f[4 + _TAG_GROUP.get(block.tag, 8)] = 1.0  # 4..12
        f[13] = min(block.boil, 3)
        f[14] = min(block.cont, 3)
        bits = block.bits
        if bits:
            for b in range(_N_BITS):  # 15..23
                if bits >> b & 1:
                    f[15 + b] = 1.0
        if block.parent is None:
            f[24] = 1.0  # the body's own text
        if text[-1] in _END_PUNCT:
            f[26] = 1.0
        f[27] = i / n
        f[28] = (text.count(",") + text.count(".")) / words
        if "©" in text or "opyright" in text:
            f[29] = 1.0
        f[30] = text.count("|") / words
        f[31] = len(_DIGIT.findall(text)) / size
        f[32] = math.log1p(words)
        if size <= 200:
            if _BOILERPLATE_TEXT.search(text):
                f[33] = 1.0
            if _DATE.search(text):
                f[34] = 1.0
        f[35] = min(repeats[text], 5)
        head = text[:100]
        f[36] = sum(map(str.isupper, head)) / len(head)
        rows.append(f)
    X = np.array(rows) if rows else np.zeros((0, N_FEATURES))
    if n:
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
        if first is not None:
            idx = np.arange(n)
            X[:, 44] = idx < first
            X[:, 45] = idx > last
            X[:, 46] = np.where(X[:, 25] > 0, 0.0, np.minimum(np.abs(idx - first), np.abs(idx - last)) / n)
        X[:, 47] = math.log1p(n)
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
    """The segments the model keeps, one per line."""
    if not segs:
        return ""
    keep = model().predict(features(segs)) >= THRESHOLD
    return "\n".join(seg[1] for seg, k in zip(segs, keep) if k)
