"""Offline token counters, by name (no downloads, no vocabulary file). A run fills ``n_tokens`` with its
config's ``tokenizer``; a mix budgets in its own (``weights.json`` and manifests name the one used).

- ``words_v1``: the count of the regex ``\\w+|[^\\w\\s]`` (runs of word characters, and each punctuation mark),
  a cheap stand-in for a BPE count (about 1.2 tokens per English word). The default for runs.
- ``utf8_bytes_v1``: one token per UTF-8 byte (what the mixer's byte-level proxies model, so the proxy
  budget and the loss unit, bits per byte, agree exactly). The default for mixes.

``words_v1`` is counted without the regex: every character is classed once (space, word or other, by the same
regex over every code point, so the classes are the regex's own), and the count is the number of word runs
plus the number of other characters. ``text_counts`` gives ``n_words`` (``len(text.split())``: runs of
non-space characters, and ``str.split`` spaces are the regex's ``\\s``) from the same classes, in one pass
that costs about as much as ``split`` alone and several times less than the regex's ``findall``
(docs/measurements.md).
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np

_WORDS = re.compile(r"\w+|[^\w\s]")  # what words_v1 counts; the classes below are built from it
_SPACE, _WORD, _OTHER = 0, 1, 2


@cache
def _class_table() -> np.ndarray:
    """uint8 class (_SPACE, _WORD, _OTHER) of every code point, 1.1 MB, built once by the regex itself."""
    every = np.arange(0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    table = np.full(0x110000, _OTHER, dtype=np.uint8)
    for cls, pattern in ((_SPACE, r"\s+"), (_WORD, r"\w+")):
        for m in re.finditer(pattern, every):
            table[m.start():m.end()] = cls
    return table


@cache
def _ascii_classes() -> bytes:
    return _class_table()[:256].tobytes()  # a bytes.translate table (ASCII text uses the first 128)


def _classes(text: str) -> np.ndarray:
    """The class of each character of ``text``, uint8."""
    if text.isascii():  # most documents: a byte translation, no per-character array indexing
        return np.frombuffer(text.encode("ascii").translate(_ascii_classes()), dtype=np.uint8)
    return _class_table()[np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)]


def text_counts(text: str, tokenizer: str | None) -> tuple[int, int | None]:
    """(n_words, n_tokens) of ``text``: whitespace-separated words, and tokens under ``tokenizer`` (None: None)."""
    if not text:
        return 0, (0 if tokenizer else None)
    if tokenizer and tokenizer != "words_v1":
        return len(text.split()), TOKENIZERS[tokenizer](text)
    cls = _classes(text)
    pairs = np.bincount(cls[:-1] * 3 + cls[1:], minlength=9)  # pairs[3a + b]: character of class a, then b
    first = int(cls[0])
    words = (first != _SPACE) + int(pairs[3 * _SPACE + _WORD] + pairs[3 * _SPACE + _OTHER])
    if not tokenizer:
        return words, None
    word_runs = (first == _WORD) + int(pairs[3 * _SPACE + _WORD] + pairs[3 * _OTHER + _WORD])
    others = (first == _OTHER) + int(pairs[_OTHER] + pairs[3 + _OTHER] + pairs[6 + _OTHER])
    return words, word_runs + others


def _bytes_count(text: str) -> int:
    return len(text.encode("utf-8"))


def _words_count(text: str) -> int:
    return text_counts(text, "words_v1")[1]


TOKENIZERS = {"utf8_bytes_v1": _bytes_count, "words_v1": _words_count}
DEFAULT_RUN_TOKENIZER = "words_v1"


def count_tokens(text: str, tokenizer: str) -> int:
    return TOKENIZERS[tokenizer](text)
