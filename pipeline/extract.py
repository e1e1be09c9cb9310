"""HTML -> main text: one lxml parse and a learned keep/drop per text block, trafilatura where that cannot decide.

``html_to_text(html, url)`` is the entry point. Its default path is :mod:`pipeline.extract_dom`:
the page goes once through lxml's parser (no tree built) and is cut into text segments at block
boundaries, and a small gradient-boosted tree model over cheap structural features (link density, tag, boilerplate/content class words of
the ancestors, the densest text container, neighbours...) keeps or drops each one. The model is
trained by :mod:`pipeline.extract_train` on the 990 real pages of the shared trafilatura evaluation
set, labelled by their human ``with``/``without`` snippets, with trafilatura's own output as a weak
teacher for the other segments. Pages lxml cannot parse, and pages with text of which the model
keeps almost nothing (under ``extract_dom.MIN_KEPT_SHARE``, 2% of the characters: a title, a date), go to
trafilatura (1 of the 990 evaluation pages with the shipped model, 3 in each cross-validation split). Text that reads as
UTF-8 decoded as Windows-1252 ("FÃ¼r") is decoded again (``extract_dom.repair``). ``extractor="trafilatura"``
uses trafilatura alone, configured as before (balanced mode without its readability/jusText fallback chain).

Measured (tests/bench/bench_extract.py: the 990 pages, one process, ``time.process_time``, two
alternating rounds, 2026-12-06; P/R/F1 three ways (pipeline.extract_train.evaluate): snippets as
trafilatura's evaluation counts them; the snippets' word 4-gram shingles pooled over all pages; and
``public``, the shingles as the public article benchmarks score (scrapinghub's article-extraction-benchmark:
case kept, precision and recall per page, averaged over pages). The model's scores are 5-fold
cross-validated with folds by page, the mean over three assignments of pages to folds (one split's F1 moves
by about 0.001-0.002 with the split), and count the pages handed to trafilatura as html_to_text does; its
in-sample scores are higher and not quoted. Absolute speeds vary from day to day and machine to machine,
the ratios in one run much less: the model path measured 3.46x and, at the previous commit the same hour,
3.71x). How far the public F1 carries over: a bootstrap over the pages (``extract_train.public_interval``, split 0)
puts it at 0.942-0.955 (95%), and its margin over trafilatura's defaults at +0.012 to +0.028:

    candidate                                pages/CPU-s  vs defaults  snippet P/R/F1     shingle P/R/F1     public P/R/F1
    trafilatura.extract, defaults                  52.4       1.00x    0.894/0.932/0.913  0.903/0.938/0.920  0.932/0.926/0.929
    datatrove's Trafilatura block (precision)      39.6       0.76x    0.920/0.909/0.915  0.932/0.920/0.926  0.944/0.905/0.924
    extractor="trafilatura" (no fallbacks)         86.1       1.64x    0.901/0.915/0.908  0.906/0.924/0.915  0.936/0.910/0.923
    extractor="model" (default)                   181.0       3.46x    0.926/0.950/0.938  0.930/0.956/0.943  0.950/0.948/0.949

Where the model path's time goes (per page, same machine): libxml2's parse about 1.2 ms, the parser
target's Python callbacks about 2.5-3 ms (an average page has 840 elements and 1,100 text nodes), features
0.9 ms, the trees 0.4 ms. lxml's parser and its target context refer to each other, so a walk left holding
its segments kept every page's lists and blocks alive until a cyclic collection, and those collections
cost 2 ms a page in a process with a large heap (the benchmark ran at 2.5x before the walk was emptied
after the parse). Building an lxml tree, stripping skipped and hidden subtrees in C, marking block
boundaries and serialising the text once cost about as much as the parser target (4.0-4.1 against
4.1-4.2 ms a page). Tried and measured before this design: resiliparse's main-content text (14x the reference's speed, snippet precision 0.69-0.81), a CSS skip-list of trafilatura's discard XPaths on
it (F1 0.78), pruning subtrees by boilerplate class words (F1 0.63: WordPress puts ``tag-*`` and
``has-sidebar`` classes on the article's own container, so outright pruning loses the article; the
model uses those words as evidence instead). Tried on the model and not kept (cross-validated F1 within
0.003 of the above): a second, stacked model over the neighbours' probabilities, stop-word density,
weighting the labels by their snippets' shingle count, 200 trees, L2 regularisation, depth 4, 160 trees at
half the learning rate, labels spread from a human snippet's segment to the rest of its block or parent
block, trafilatura for pages where the model is unsure (probability 0.3-0.7) of 10-50% of the text (up to
179 pages handed over, F1 within 0.002); on 2026-12-06, also within 0.002 (snippet, shingle and public F1,
one or two splits): a logistic model over the ancestors' hashed class/id words stacked as a feature (alone it
scores public F1 0.867), resiliparse's main-content verdict as a feature, the good text's share before and
after each segment and the distance to the nearest long paragraph, self-training (the teacher's labels
replaced, blended or down-weighted by out-of-fold model labels), teacher weight normalised per page, and any
threshold from 0.4 to 0.6 (public F1 flat at 0.946). Training on a quarter, half, three quarters and all of
the other folds' pages gave snippet F1 0.926, 0.928, 0.931, 0.934: more labelled pages would help, slowly.
Also within 0.002 of the mean of three splits (public F1 0.9490), later that day: labels from segments that lie
inside a snippet (54 segments), page-bootstrap bagging of four models, feature subsampling, 160 trees at half the
rate, L2 regularisation, teacher weight 0.0125/0.025/0.1 (0.9482/0.9496/0.9475), a logistic model over the
segment's own words stacked as a feature (one split; alone it scores 0.796), the share of the segment's words in
the title and meta descriptions (0.9496), the position relative to the first ``h1`` (0.9481), JSON-LD
``articleBody`` containment (0.9474; 58 pages have one), and a threshold per page chosen to maximise the page's
expected F1 under the model's probabilities (0.9494); 0.001-0.004 lower, keeping unsure segments (probability
0.1-0.5) whose block or parent block is mostly kept (0.945-0.948).
The handed-over share (2%) was chosen on the cross-validated public F1 (one split, before the model's last
retraining): 0.9484 handing only pages the model keeps nothing of, 0.9498 at 2% (6 pages), 0.9500 at 5% (10),
0.9491 at 10% (28).

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
# sample above which the input is treated as binary (image, PDF, archive) and not HTML. 300 random 20 kB inputs
# score 0.109 at least, 0.133 on average, after decoding (C0 alone is about 0.10: a 0.10 cut let about one in
# twenty through); all 1,032 shared trafilatura-eval pages and the 70 HTML responses of the shared WARCs score 0.
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
