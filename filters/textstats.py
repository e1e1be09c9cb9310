"""Tokenise a document once and share the pieces between filters.

datatrove's Gopher, C4 and FineWeb filters each split the same text again (words
through spaCy's blank English pipeline, sentences per line through its
sentencizer), a large share of the stock FineWeb chain's CPU (docs/measurements.md). Here a
document's lines, paragraphs and words are computed once, on first use, and
reused by every heuristic until the text changes (C4 rewrites it).

The word tokeniser is a regular expression that follows spaCy's English
tokenisation where the filters can tell the difference: words keep inner
dots, commas and underscores (``U.S.A.``, ``e.g.``, ``3.5``, ``1,000``), URLs and
e-mail addresses stay whole, hyphens split (``well - known``),
clitics split off (``do`` + ``n't``, ``It`` + ``'s``), and every punctuation
mark is its own token except runs of one mark (``...``, ``--``). ``make bench``
reports how often the resulting keep/drop decisions agree with datatrove's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

# A word: letters/digits with inner . ' ’ - joins, plus a trailing dot for abbreviations like "e.g." / "U.S.A.".
# Then clitics ('s, n't, 're, ...), then runs of one repeated punctuation character, then any other symbol.
_TOKEN_RE = re.compile(
    r"""
    https?://\S+ | [\w.+-]+@[\w-]+\.[\w.-]+  # URLs and e-mail addresses stay whole
    | (?:[^\W_]\.){2,}                      # U.S.A.  e.g.
    | \w+(?=n['’]t\b)                       # do|n't
    | n['’]t\b
    | ['’](?:s|re|ve|ll|d|m)\b(?=\W|$)      # 's 're 've 'll 'd 'm
    | \w+(?:[.,]\w+)*                        # words, user_name, 3.5, 1,000
    | ([^\w\s])\1*                          # ... -- !!  (runs of one mark); "well-known" -> well - known
    """,
    re.VERBOSE,
)
_PARAGRAPH_RE = re.compile(r"\n{2,}")
_LINE_RE = re.compile(r"\n+")
# Sentence ends inside a line: terminal marks (and closing quotes/brackets) followed by whitespace and more text.
_SENT_END_RE = re.compile(r"[.!?…。！？]+[\"'”’)\]]*\s+(?=\S)")


def tokenize_words(text: str) -> list[str]:
    """Words and punctuation tokens of ``text`` (see module docstring for the rules)."""
    return list(map(re.Match.group, _TOKEN_RE.finditer(text)))  # group(0) of each match, called from C


def count_sentences(line: str) -> int:
    """Sentences in one line: boundaries after terminal punctuation, plus the last one."""
    if not line.strip():
        return 0
    return len(_SENT_END_RE.findall(line)) + 1


@dataclass
class TextStats:
    """Lazily computed views of one text; each is computed at most once."""

    text: str

    @cached_property
    def words(self) -> list[str]:
        return tokenize_words(self.text)

    @cached_property
    def lines(self) -> list[str]:
        """``text.splitlines()``, as Gopher's bullet/ellipsis and C4's line rules use."""
        return self.text.splitlines()

    @cached_property
    def nonempty_lines(self) -> list[str]:
        """Lines split on ``\\n`` with blank ones dropped, as FineWeb's rules use."""
        return [line for line in self.text.split("\n") if line.strip()]

    @cached_property
    def repetition_lines(self) -> list[str]:
        """Lines split on runs of newlines, as Gopher's repetition rules use."""
        return _LINE_RE.split(self.text)

    @cached_property
    def paragraphs(self) -> list[str]:
        return _PARAGRAPH_RE.split(self.text.strip())

    @cached_property
    def vocab(self) -> list[str]:
        """The distinct words in order of first occurrence: ``word_ids`` index it."""
        return list(dict.fromkeys(self.words))

    @cached_property
    def word_ids(self) -> np.ndarray:
        """Words interned to small ints (int64), so n-grams hash as numbers instead of joined strings."""
        index = dict(zip(self.vocab, range(len(self.vocab))))
        return np.fromiter(map(index.__getitem__, self.words), np.int64, len(self.words))

    @cached_property
    def vocab_counts(self) -> np.ndarray:
        """How often each word of ``vocab`` occurs: per-word rules are decided once per distinct word."""
        return np.bincount(self.word_ids, minlength=len(self.vocab))

    @cached_property
    def word_lengths(self) -> list[int]:
        return [len(w) for w in self.words]


_last: TextStats | None = None


def stats_for(text: str) -> TextStats:
    """The shared TextStats for ``text``.

    Steps run as a chain of generators, so one document passes through every filter
    before the next is read: a one-entry cache keyed on the identity of the text
    object catches every reuse and holds no memory beyond the current document.
    """
    global _last
    if _last is None or _last.text is not text:
        _last = TextStats(text)
    return _last
