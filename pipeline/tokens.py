"""Offline token counters, by name (no downloads, no vocabulary file). A run fills ``n_tokens`` with its
config's ``tokenizer``; a mix budgets in its own (``weights.json`` and manifests name the one used).

- ``words_v1``: the regex ``\\w+|[^\\w\\s]`` (runs of word characters, and each punctuation mark), a cheap
  stand-in for a BPE count (about 1.2 tokens per English word). The default for runs.
- ``utf8_bytes_v1``: one token per UTF-8 byte (what the mixer's byte-level proxies model, so the proxy
  budget and the loss unit, bits per byte, agree exactly). The default for mixes.
"""

from __future__ import annotations

import re

_WORDS = re.compile(r"\w+|[^\w\s]")


def _bytes_count(text: str) -> int:
    return len(text.encode("utf-8"))


def _words_count(text: str) -> int:
    return len(_WORDS.findall(text))


TOKENIZERS = {"utf8_bytes_v1": _bytes_count, "words_v1": _words_count}
DEFAULT_RUN_TOKENIZER = "words_v1"


def count_tokens(text: str, tokenizer: str) -> int:
    return TOKENIZERS[tokenizer](text)
