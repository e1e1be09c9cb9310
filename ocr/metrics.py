"""Character error rate of OCR output against a reference (the born-digital text layer).

Both texts are normalised first (NFKC, lower case, typographic quotes and dashes to ASCII, any run
of whitespace to one space) so that only reading errors and reading order count, not layout.
Levenshtein distance in NumPy, one row at a time: O(n*m) work, O(m) memory, each row a few vectorised
NumPy operations (the insertions as a running minimum) rather than a Python loop over its cells.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

_TRANS = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                        "\u2212": "-", "\u00ad": None, "\u2022": " ", "\u00b7": " "})
_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_TRANS).lower()
    return _WS.sub(" ", text).strip()


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    bv = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    cols = np.arange(len(b) + 1, dtype=np.int64)
    prev = cols.copy()
    for i, ch in enumerate(a, 1):
        cost = (bv != ord(ch)).astype(np.int64)
        cur = np.empty_like(prev)
        cur[0] = i
        cur[1:] = np.minimum(prev[1:] + 1, prev[:-1] + cost)
        # insertions run along the row: cur[j] = min_k (cur[k] + j - k)
        cur = np.minimum.accumulate(cur - cols) + cols
        prev = cur
    return int(prev[-1])


def cer(hypothesis: str, reference: str) -> float:
    """Levenshtein distance of the normalised texts over the normalised reference's length."""
    h, r = normalise(hypothesis), normalise(reference)
    if not r:
        return 0.0 if not h else 1.0
    return levenshtein(h, r) / len(r)
