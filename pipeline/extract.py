"""HTML -> main text: trafilatura's own extractor in balanced mode, without its fallback chain.

Choice, by measurement (tests/bench/bench_extract.py and the candidates below;
2-CPU dev box, one process, same pages for every candidate, ``time.process_time``).
"Snippet" is trafilatura's own evaluation: on 82 pages of ``trafilatura-eval/cache``
with ground-truth snippets from its ``tests/evaldata.py``, a kept 'with' snippet is
a TP, a missed one an FN, a kept 'without' snippet an FP. "Agree" is the 4-gram
shingle F1 against the reference's output on 200 ``trafilatura-eval/eval`` pages
(closeness to the reference, not correctness: no human text exists for those).
"Reference" is how datatrove calls trafilatura:
``extract(html, favor_precision=True, include_comments=False, deduplicate=True)``.

    candidate                                  snippet P/R/F1       agree  pages/CPU-s  vs ref
    datatrove reference (with fallbacks)       0.933/0.899/0.916    1.000      60-68    1.0x
    no_fallback, balanced        <- chosen     0.913/0.917/0.915    0.925    137-179    2.3-2.6x
    no_fallback, favor_precision               0.918/0.876/0.897    0.954    128-159    2.2x
    no_fallback, favor_recall                  0.905/0.917/0.911      -        173      2.5x
    trafilatura defaults (with fallbacks)      0.932/0.936/0.934    0.963      83-107   1.4-1.6x
    no_fallback, then the full reference where
      a resiliparse length check says the
      fallback would matter ("gated hybrid")   0.928/0.885/0.906    0.988     89-108    1.5x
    resiliparse main_content=True              0.694/0.894/0.782    0.791    860-900     14x
    resiliparse main_content, no comments,
      block formatting, no post meta           0.771/0.881/0.822    0.823  1020-1060     16x
    same + CSS skip-list built from
      trafilatura's discard XPaths             0.807/0.748/0.776    0.787    760-830     12x

Why this one: it matches the reference's snippet F1 (0.915 against 0.916: a
little less precision, more recall) at 2.3-2.6x its speed. Most of the
reference's cost is readability-lxml and jusText, which it runs on every page
though they rarely change the result; of what is left, about a third is
trafilatura's XPath pruning and an eighth lxml parsing. Resiliparse is 14-16x
faster but keeps boilerplate (snippet precision 0.69-0.81 against 0.93) and
neither its options, a CSS skip-list nor line filtering closed the gap.
Pre-cleaning the DOM with resiliparse before trafilatura made it slower, and a
regex pre-strip of scripts and styles saved nothing. The issue's target (F1 0.95
at 3x) is not met by the extractor alone; the pipeline reaches its 3x by not
extracting pages that cannot survive (``langid_prefilter_v1``).

``deduplicate`` is off here: trafilatura's dedup is a process-global LRU cache
of text segments, so with it a page's output depends on which pages that worker
processed before (the reference's snippet F1 moved by 0.002 between runs
for this reason). Turning it off left snippet F1 unchanged. Repeated
boilerplate across pages is for the dedup stages to remove.
"""

from __future__ import annotations

import logging
import re


from pipeline.encoding import decode_html

# Above this many characters a page is almost never an article, and lxml plus
# trafilatura's XPath passes grow superlinearly on it. Cut rather than stall a worker.
MAX_HTML_CHARS = 5_000_000

# Share of NUL and other C0 control characters (not tab/LF/CR) in a sample above
# which the input is treated as binary (image, PDF, archive) and not HTML.
_BINARY_CONTROL_SHARE = 0.10

# trafilatura logs every empty or rejected page at WARNING/ERROR; at crawl scale
# that is noise. Our caller counts empty results instead.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    return bool(sample) and len(_CONTROL_RE.findall(sample)) / len(sample) > _BINARY_CONTROL_SHARE


def html_to_text(html: str | bytes, url: str | None = None) -> str:
    """Main text of an HTML page, or ``""`` when there is none.

    Bytes are decoded by :func:`pipeline.encoding.decode_html` (BOM, meta charset,
    UTF-8, uchardet guess, then replacement characters). Binary data, markup without
    text and pages trafilatura rejects give ``""`` (the stage drops them as
    ``extract_html_empty``); trafilatura catches its own parse errors and timeouts.
    Anything else is a bug and raises, so the task fails and a rerun resumes it.
    """
    if isinstance(html, (bytes, bytearray, memoryview)):
        html, _ = decode_html(bytes(html))
    if not isinstance(html, str) or not html.strip() or _looks_binary(html):
        return ""
    # lxml rejects NUL characters in str input; they are never content.
    html = html[:MAX_HTML_CHARS].replace("\x00", "")

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

