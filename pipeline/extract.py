"""HTML -> main text: one lxml parse and a learned keep/drop per text block, trafilatura where that cannot decide.

``html_to_text(html, url)`` is the entry point. Its default path is :mod:`pipeline.extract_dom`:
the page goes once through lxml's parser (no tree built) and is cut into text segments at block
boundaries, and a small gradient-boosted tree model over cheap structural features (link density, tag,
boilerplate/content class words of the ancestors, the densest text container, neighbours...) keeps or drops
each one. The model is trained by :mod:`pipeline.extract_train` on the real pages of the shared trafilatura
evaluation set, labelled by their human ``with``/``without`` snippets, with trafilatura's own output as a weak
teacher for the other segments. Pages lxml cannot parse, and pages with text of which the model keeps almost
nothing (under ``extract_dom.MIN_KEPT_SHARE`` of the characters: a title, a date), go to trafilatura. Text that
reads as UTF-8 decoded as Windows-1252 ("FÃ¼r") is decoded again (``extract_dom.repair``).
``extractor="trafilatura"`` uses trafilatura alone, configured as before (balanced mode without its
readability/jusText fallback chain).

Why a model over segments rather than cheaper rules: resiliparse's main-content text is much faster but keeps
far more boilerplate, and a skip-list of trafilatura's discard XPaths on it does not recover that; pruning
subtrees by boilerplate class words loses whole articles (WordPress puts ``tag-*`` and ``has-sidebar`` classes
on the article's own container), so the model takes those words as evidence, not as a verdict. Speed and
scores against trafilatura on the same pages (``tests/bench/bench_extract.py``, ``python -m
pipeline.extract_train``) are in the README's benchmark table; where the time goes and the variants tried and
not kept are in docs/measurements.md.

``deduplicate`` is off for trafilatura: its dedup is a process-global LRU cache of text segments,
so with it a page's output depends on which pages that worker processed before. Repeated
boilerplate across pages is for the dedup stages to remove.
"""

from __future__ import annotations

import logging
import re

from lxml import etree

from pipeline.encoding import decode_html

# Above this many characters a page is almost never an article, and lxml plus
# trafilatura's XPath passes grow superlinearly on it. Cut rather than stall a worker.
MAX_HTML_CHARS = 5_000_000


# trafilatura logs every empty or rejected page at WARNING/ERROR; at crawl scale
# that is noise. Our caller counts empty results instead.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)


# Share of control characters (C0 but tab/LF/FF/CR, DEL, C1) and U+FFFD (bytes no codec could map) in a
# sample above which the input is treated as binary (image, PDF, archive) and not HTML: random bytes score well
# above it, real HTML pages 0. Chosen on random binary inputs and the shared HTML pages; see docs/measurements.md.
_BINARY_CONTROL_SHARE = 0.05
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    return bool(sample) and len(_CONTROL_RE.findall(sample)) / len(sample) > _BINARY_CONTROL_SHARE


EXTRACTORS = ("model", "trafilatura")


def html_to_text(html: str | bytes, url: str | None = None, extractor: str = "model") -> str:
    """Main text of an HTML page, or ``""`` when there is none.

    ``extractor``: ``model`` (default) is :mod:`pipeline.extract_dom`, one lxml parse and a
    learned keep/drop decision per text block; pages it cannot parse, or where it keeps nothing of
    a page with text, go to trafilatura. ``trafilatura`` is trafilatura alone, as configured above.

    Bytes are decoded by :func:`pipeline.encoding.decode_html` (BOM, meta charset,
    UTF-8, uchardet guess, then replacement characters). Binary data, markup without
    text and pages both reject give ``""`` (the stage drops them as
    ``extract_html_empty``); trafilatura catches its own parse errors and timeouts.
    Anything else is a bug and raises, so the task fails and a rerun resumes it.
    """
    if extractor not in EXTRACTORS:
        raise ValueError(f"extractor {extractor!r} is not one of {', '.join(EXTRACTORS)}")
    if isinstance(html, (bytes, bytearray, memoryview)):
        html, _ = decode_html(bytes(html))
    if not isinstance(html, str) or not html.strip() or _looks_binary(html):
        return ""
    # lxml rejects NUL characters in str input; they are never content.
    html = html[:MAX_HTML_CHARS].replace("\x00", "")
    if extractor == "model":
        text = model_text(html)
        if text is not None:
            return text
    return trafilatura_text(html, url)


def model_text(html: str) -> str | None:
    """The fast path's text, or None where trafilatura should decide (an unparsable page, or a page with
    visible text of which the model keeps nothing: short pages, text straight in the body)."""
    from pipeline import extract_dom

    try:
        segs = extract_dom.segments(html)
    except (ValueError, etree.LxmlError):
        return None
    if not segs:
        return ""
    text = extract_dom.decide(segs)
    if not text:
        return None
    return text


def trafilatura_text(html: str, url: str | None = None) -> str:
    import trafilatura  # imported here so importing this module stays cheap

    text = trafilatura.extract(
        html,
        url=url,
        no_fallback=True,  # skip readability/jusText: the bulk of the reference's cost
        favor_precision=False,  # without fallbacks, balanced mode recovers the recall (see above)
        include_comments=False,  # user comments are not the page's main text
        deduplicate=False,  # process-global state; see module docstring
    )
    return text.strip() if text else ""
