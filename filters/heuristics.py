"""Heuristic quality filters: Gopher repetition, Gopher quality, C4 and FineWeb; a RedPajama-V2 signal.

The rules and default thresholds are FineWeb's, which are datatrove's
implementations of the recipes they cite (Gopher: Rae et al. 2021, table A1; C4:
Raffel et al. 2020, section 2.2; FineWeb: Penedo et al. 2024, section 3.3). Every
threshold is a stage parameter. What differs from datatrove is the work, not the
rules: the text is tokenised once for all four stages (``filters.textstats``),
and word n-grams are tuples of interned ids rather than joined strings.

Units: ``*_frac`` and ``*_ratio`` are fractions in [0, 1]; ``*_char_frac``
compares characters of the flagged parts with characters of the whole text;
word counts are tokens from ``filters.textstats.tokenize_words``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import islice

import numpy as np
import pyarrow as pa
from datatrove.data import Document
from datatrove.utils.text import PUNCTUATION_SET, TERMINAL_PUNCTUATION

from filters.textstats import count_sentences, stats_for
from pipeline.stage import Column, Stage, register
from pipeline.text_edits import text_rewritten

_TERMINAL = tuple(TERMINAL_PUNCTUATION)


def _dup_count(items: list[str]) -> tuple[int, int]:
    """(number of repeated items, characters in repeats): the second and later copies count."""
    seen: set[str] = set()
    n = chars = 0
    for x in items:
        if x in seen:
            n += 1
            chars += len(x)
        else:
            seen.add(x)
    return n, chars


def _ngrams(ids: list[int], n: int):
    return zip(*(islice(ids, i, None) for i in range(n)))


_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit multiplier (the golden ratio's bits)


def _gram_hashes(ids: np.ndarray, n: int) -> np.ndarray:
    """A 64-bit polynomial hash of every word n-gram of ``ids`` (uint64 word ids), position by position.
    Distinct n-grams of a document collide with probability about (grams / 2**32)**2: none in practice."""
    m = len(ids) - n + 1
    h = ids[:m] + np.uint64(1)
    for k in range(1, n):
        h = h * _HASH_MUL + (ids[k : k + m] + np.uint64(1))
    return h


@register("gopher_repetition_v1")
class GopherRepetition(Stage):
    """Drop documents dominated by repeated lines, paragraphs or word n-grams (Gopher, table A1).

    Reasons: ``dup_para_frac``, ``dup_para_char_frac``, ``dup_line_frac``,
    ``dup_line_char_frac`` (repeated paragraphs/lines by count or by characters),
    ``top_<n>_gram`` (the most frequent n-gram, n in 2-4, covers too many
    characters), ``duplicated_<n>_n_grams`` (characters inside repeated n-grams,
    n in 5-10, too many), ``empty``.
    """


    def __init__(
        self,
        dup_line_frac: float | None = 0.3,
        dup_para_frac: float | None = 0.3,
        dup_line_char_frac: float | None = 0.2,
        dup_para_char_frac: float | None = 0.2,
        top_n_grams: list[list[float]] = ((2, 0.2), (3, 0.18), (4, 0.16)),
        dup_n_grams: list[list[float]] = ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10)),
        exclusion_writer=None,
    ):
        super().__init__(exclusion_writer)
        self.dup_line_frac = dup_line_frac
        self.dup_para_frac = dup_para_frac
        self.dup_line_char_frac = dup_line_char_frac
        self.dup_para_char_frac = dup_para_char_frac
        self.top_n_grams = [(int(n), float(f)) for n, f in top_n_grams]
        self.dup_n_grams = [(int(n), float(f)) for n, f in dup_n_grams]

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        text = doc.text
        if not text.strip():
            return self.drop("empty")
        st = stats_for(text)
        n_chars = len(text)

        paras = st.paragraphs
        dup, dup_chars = _dup_count(paras)
        if self.dup_para_frac and dup / len(paras) > self.dup_para_frac:
            return self.drop("dup_para_frac")
        if self.dup_para_char_frac and dup_chars / n_chars > self.dup_para_char_frac:
            return self.drop("dup_para_char_frac")

        lines = st.repetition_lines
        dup, dup_chars = _dup_count(lines)
        if self.dup_line_frac and dup / len(lines) > self.dup_line_frac:
            return self.drop("dup_line_frac")
        if self.dup_line_char_frac and dup_chars / n_chars > self.dup_line_char_frac:
            return self.drop("dup_line_char_frac")

        ids = st.word_ids.astype(np.uint64)
        cum = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(st.word_lengths, out=cum[1:])
        for n, frac in self.top_n_grams:
            if len(ids) < n:
                continue
            # The most frequent n-gram, ties to the one seen first (as Counter.most_common).
            _, first, counts = np.unique(_gram_hashes(ids, n), return_index=True, return_counts=True)
            count = int(counts.max())
            at = int(first[counts == count].min())
            # Gopher measures the n-gram as its words joined by single spaces.
            gram_chars = int(cum[at + n] - cum[at]) + n - 1
            if gram_chars * count / n_chars > frac:
                return self.drop(f"top_{n}_gram")

        unique_from = None  # an n at which no n-gram repeats: no longer n-gram repeats either
        for n, frac in self.dup_n_grams:
            if unique_from is not None and n >= unique_from:
                continue
            chars = self._dup_ngram_chars(ids, cum, n)
            if chars is None:
                unique_from = n if unique_from is None else min(unique_from, n)
            elif chars / n_chars > frac:
                return self.drop(f"duplicated_{n}_n_grams")
        return True

    @staticmethod
    def _dup_ngram_chars(ids: np.ndarray, cum: np.ndarray, n: int) -> int | None:
        """Characters (words joined without spaces) inside n-grams already seen; skips past each repeat
        so overlapping repeats count once, as Gopher's reference does. ``None`` when no n-gram repeats.
        ``ids``: the words' ids; ``cum``: prefix sums of the words' lengths (``cum[i]`` = first i words).

        Same result as walking every position with a set of the grams seen (``_dup_ngram_chars_walk``),
        but only positions whose gram occurred earlier are visited in Python: each position's first
        occurrence comes from one sort of the grams' hashes (numpy), and a gram counts as seen at a repeat
        unless every earlier occurrence lay inside a skipped window."""
        if len(ids) < n:
            return None
        grams = _gram_hashes(ids, n)
        _, first_at, inverse = np.unique(grams, return_index=True, return_inverse=True)
        m = len(grams)
        if len(first_at) == m:
            return None
        first = first_at[inverse.reshape(-1)]
        repeats = np.flatnonzero(first != np.arange(m)).tolist()
        first = first.tolist()
        grams = grams.tolist()
        cum = cum.tolist()
        window_starts: list[int] = []  # skipped windows [start, start + n - 1), in increasing order
        seen_at_repeats: set = set()  # grams of repeat positions that were visited (not skipped)
        chars = skip_until = 0
        for idx in repeats:
            if idx < skip_until:
                continue
            g = grams[idx]
            j = first[idx]
            k = bisect_right(window_starts, j) - 1
            first_skipped = k >= 0 and j < window_starts[k] + n - 1
            if not first_skipped or g in seen_at_repeats:
                chars += cum[idx + n] - cum[idx]
                skip_until = idx + n
                window_starts.append(idx + 1)
            else:
                seen_at_repeats.add(g)
        return chars

    @staticmethod
    def _dup_ngram_chars_walk(ids: list[int], lens: list[int], n: int) -> int:
        """The reference walk over every position (kept for the equivalence test)."""
        grams = list(_ngrams(ids, n))
        seen: set[tuple[int, ...]] = set()
        chars = idx = 0
        end = len(grams)
        while idx < end:
            g = grams[idx]
            if g in seen:
                chars += sum(lens[idx : idx + n])
                idx += n
            else:
                seen.add(g)
                idx += 1
        return chars


_STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")


@register("gopher_quality_v1")
class GopherQuality(Stage):
    """Drop documents that do not look like prose (Gopher quality rules, Rae et al. 2021).

    Reasons: ``few_words`` / ``too_many_words`` (non-symbol words outside
    [min_doc_words, max_doc_words]), ``short_words`` / ``long_words`` (mean word
    length outside [min_avg_word_length, max_avg_word_length] characters),
    ``too_many_hashes`` / ``too_many_ellipsis`` (symbol-to-word ratio),
    ``too_many_bullets`` (fraction of lines starting with a bullet),
    ``too_many_end_ellipsis`` (fraction of lines ending in an ellipsis),
    ``few_alpha_words`` (fraction of words with a letter below the minimum),
    ``few_stop_words`` (fewer than min_stop_words distinct English stop words).
    """


    def __init__(
        self,
        min_doc_words: int | None = 50,
        max_doc_words: int | None = 100000,
        min_avg_word_length: float | None = 3,
        max_avg_word_length: float | None = 10,
        max_symbol_word_ratio: float | None = 0.1,
        max_bullet_lines_ratio: float | None = 0.9,
        max_ellipsis_lines_ratio: float | None = 0.3,
        min_alpha_words_ratio: float | None = 0.8,
        min_stop_words: int | None = 2,
        stop_words: list[str] | None = None,
        exclusion_writer=None,
    ):
        super().__init__(exclusion_writer)
        self.min_doc_words = min_doc_words
        self.max_doc_words = max_doc_words
        self.min_avg_word_length = min_avg_word_length
        self.max_avg_word_length = max_avg_word_length
        self.max_symbol_word_ratio = max_symbol_word_ratio
        self.max_bullet_lines_ratio = max_bullet_lines_ratio
        self.max_ellipsis_lines_ratio = max_ellipsis_lines_ratio
        self.min_alpha_words_ratio = min_alpha_words_ratio
        self.min_stop_words = min_stop_words
        self.stop_words = frozenset(_STOP_WORDS if stop_words is None else stop_words)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        text = doc.text
        st = stats_for(text)
        words = st.words
        if not words:
            return self.drop("few_words")
        # Per distinct word, weighted by its count (the same sums as over every word, a fraction of the calls).
        vocab, counts = st.vocab, st.vocab_counts
        n_vocab = len(vocab)
        content = np.fromiter((not all(map(PUNCTUATION_SET.__contains__, w)) for w in vocab), bool, n_vocab)
        n_content = int(counts[content].sum())
        if self.min_doc_words and n_content < self.min_doc_words:
            return self.drop("few_words")
        if self.max_doc_words and n_content > self.max_doc_words:
            return self.drop("too_many_words")
        if n_content:
            lengths = np.fromiter(map(len, vocab), np.int64, n_vocab)
            mean_len = int((counts * lengths)[content].sum()) / n_content
            if self.min_avg_word_length and mean_len < self.min_avg_word_length:
                return self.drop("short_words")
            if self.max_avg_word_length and mean_len > self.max_avg_word_length:
                return self.drop("long_words")
        n_words = len(words)
        if self.max_symbol_word_ratio:
            if text.count("#") / n_words > self.max_symbol_word_ratio:
                return self.drop("too_many_hashes")
            if (text.count("...") + text.count("…")) / n_words > self.max_symbol_word_ratio:
                return self.drop("too_many_ellipsis")
        lines = st.lines
        if lines and self.max_bullet_lines_ratio:
            bullets = sum(1 for s in lines if s.lstrip().startswith(("•", "-")))
            if bullets / len(lines) > self.max_bullet_lines_ratio:
                return self.drop("too_many_bullets")
        if lines and self.max_ellipsis_lines_ratio:
            ellipsis = sum(1 for s in lines if s.rstrip().endswith(("...", "…")))
            if ellipsis / len(lines) > self.max_ellipsis_lines_ratio:
                return self.drop("too_many_end_ellipsis")
        if self.min_alpha_words_ratio:
            alpha = int(counts[np.fromiter((any(map(str.isalpha, w)) for w in vocab), bool, n_vocab)].sum())
            if alpha / n_words < self.min_alpha_words_ratio:
                return self.drop("few_alpha_words")
        if self.min_stop_words and len(self.stop_words.intersection(vocab)) < self.min_stop_words:
            return self.drop("few_stop_words")
        return True


_CITATION_RE = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
_C4_END = (".", "?", "!", '"', "'")
_POLICY_SUBSTRINGS = (
    "terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies"
)


@register("c4_quality_v1")
class C4Quality(Stage):
    """C4's line and page rules (Raffel et al. 2020; datatrove's C4QualityFilter).

    Lines are removed (the document's text is rewritten): lines with a word longer
    than max_word_length characters, without terminal punctuation (when
    filter_no_terminal_punct; FineWeb turns this off), with fewer than
    min_words_per_line words, mentioning "javascript", or cookie/terms-of-use
    boilerplate. Wikipedia-style citations ("[1]", "[edit]") are stripped.
    Documents are dropped: ``lorem_ipsum``, ``curly_bracket`` (code or templates),
    ``too_few_sentences`` (fewer than min_num_sentences in the kept lines).
    """


    def __init__(
        self,
        filter_no_terminal_punct: bool = True,
        min_num_sentences: int = 5,
        min_words_per_line: int = 3,
        max_word_length: int = 1000,
        remove_citations: bool = True,
        filter_lorem_ipsum: bool = True,
        filter_javascript: bool = True,
        filter_curly_bracket: bool = True,
        filter_policy: bool = True,
        exclusion_writer=None,
    ):
        super().__init__(exclusion_writer)
        self.filter_no_terminal_punct = filter_no_terminal_punct
        self.min_num_sentences = min_num_sentences
        self.min_words_per_line = min_words_per_line
        self.max_word_length = max_word_length
        self.remove_citations = remove_citations
        self.filter_lorem_ipsum = filter_lorem_ipsum
        self.filter_javascript = filter_javascript
        self.filter_curly_bracket = filter_curly_bracket
        self.filter_policy = filter_policy

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        citation = _CITATION_RE if self.remove_citations else None
        kept: list[str] = []
        n_sentences = 0
        for line in stats_for(doc.text).lines:
            line = line.strip()
            words = line.split()
            if self.max_word_length != -1 and any(len(w) > self.max_word_length for w in words):
                continue
            if citation is not None:
                line = citation.sub("", line)
            if self.filter_no_terminal_punct and (not line.endswith(_C4_END) or line.endswith("...")):
                continue
            if len(words) < self.min_words_per_line:
                continue
            low = line.lower()
            if self.filter_lorem_ipsum and "lorem ipsum" in low:
                return self.drop("lorem_ipsum")
            if self.filter_javascript and "javascript" in low:
                continue
            if self.filter_curly_bracket and "{" in line:
                return self.drop("curly_bracket")
            if self.filter_policy and any(p in low for p in _POLICY_SUBSTRINGS):
                continue
            n_sentences += count_sentences(line)
            kept.append(line)
        if self.min_num_sentences != -1 and n_sentences < self.min_num_sentences:
            return self.drop("too_few_sentences")
        doc.text = "\n".join(kept).strip()
        text_rewritten(doc)
        return True


@register("fineweb_quality_v1")
class FineWebQuality(Stage):
    """FineWeb's own line-level rules (Penedo et al. 2024, section 3.3).

    Reasons: ``empty``; ``line_punct_ratio`` (fraction of non-empty lines ending
    in terminal punctuation below line_punct_thr); ``short_line_ratio`` (fraction
    of lines of at most short_line_length characters above short_line_thr);
    ``char_dup_ratio`` (characters in repeated lines over all non-newline
    characters above char_duplicates_ratio); ``list_ratio`` (newlines per word
    above new_line_ratio).
    """


    def __init__(
        self,
        line_punct_thr: float = 0.12,
        line_punct_exclude_zero: bool = False,
        short_line_thr: float = 0.67,
        short_line_length: int = 30,
        char_duplicates_ratio: float = 0.01,
        new_line_ratio: float = 0.3,
        exclusion_writer=None,
    ):
        super().__init__(exclusion_writer)
        self.line_punct_thr = line_punct_thr
        self.line_punct_exclude_zero = line_punct_exclude_zero
        self.short_line_thr = short_line_thr
        self.short_line_length = short_line_length
        self.char_duplicates_ratio = char_duplicates_ratio
        self.new_line_ratio = new_line_ratio

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        st = stats_for(doc.text)
        lines = st.nonempty_lines
        if not lines:
            return self.drop("empty")
        ratio = sum(1 for line in lines if line.endswith(_TERMINAL)) / len(lines)
        if ratio < self.line_punct_thr and not (ratio == 0 and self.line_punct_exclude_zero):
            return self.drop("line_punct_ratio")
        if sum(1 for line in lines if len(line) <= self.short_line_length) / len(lines) > self.short_line_thr:
            return self.drop("short_line_ratio")
        non_newline = len(doc.text) - doc.text.count("\n")
        if non_newline and _dup_count(lines)[1] / non_newline > self.char_duplicates_ratio:
            return self.drop("char_dup_ratio")
        # Every whitespace-separated chunk holds at least one token, so the chunk count bounds the words from
        # below: when newlines per chunk pass, newlines per word pass too, without tokenising the rewritten text.
        newlines = doc.text.count("\n")
        chunks = len(doc.text.split())
        if chunks and newlines / chunks <= self.new_line_ratio:  # (division is monotonic in floats too)
            return True
        n_words = len(st.words)
        if not n_words or newlines / n_words > self.new_line_ratio:
            return self.drop("list_ratio")
        return True


@register("unique_words_v1")
class UniqueWords(Stage):
    """Write ``unique_word_frac``, the share of distinct words among a document's words; drops nothing.

    RedPajama-V2's quality signal ``rps_doc_frac_unique_words`` (Together 2023; "degeneracy"): words are
    the lower-cased alphanumeric tokens of ``filters.textstats`` (punctuation left out), so 1.0 means no
    word repeats and machine-generated loops of a few words score near 0. A document without words gets
    null. Score first, decide late: keep by it with
    ``score_filter_v1: {column: unique_word_frac, min_score: ...}`` (any cut chosen from its distribution, e.g.
    ``winnow sql OUT "select quantile_cont(unique_word_frac, 0.05) from documents"``).
    """

    columns = (Column("unique_word_frac", pa.float64(),
                      "distinct words / words (lower-cased, punctuation left out; "
                      "RedPajama-V2 rps_doc_frac_unique_words)"),)

    def filter(self, doc: Document) -> bool:
        words = [w.lower() for w in stats_for(doc.text).words if any(c.isalnum() for c in w)]
        doc.metadata["unique_word_frac"] = len(set(words)) / len(words) if words else None
        return True
