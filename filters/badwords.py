"""Bad-word lists: drop documents by what they say.

``badwords_v1`` drops documents containing more than ``max_bad_words``
occurrences of words of a word list, C4's rule (Raffel et al. 2020: any word of
the "List of Dirty, Naughty, Obscene or Otherwise Bad Words" drops the page).
datatrove downloads that list at run time; here the list is a local file
(``wordlist``: one word or phrase a line) or, when it is not given, the list
that the ``better-profanity`` PyPI package ships
(``better_profanity/profanity_wordlist.txt``, MIT) if that package is
installed; otherwise the stage fails at build time saying so. Matching is on
lower-cased word tokens; phrases match as consecutive tokens. Reason
``badwords_contains``; the count goes to ``badwords_count``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pyarrow as pa
from datatrove.data import Document

from pipeline.errors import ConfigError
from pipeline.stage import Column, Stage, register

_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def default_wordlist() -> str:
    """The word list the better-profanity package ships, or a ConfigError saying how to get one."""
    try:
        import better_profanity
    except ImportError:
        raise ConfigError(
            "stages.badwords_v1.wordlist: no word list given and the `better-profanity` package (which ships one, "
            "MIT) is not installed; `pip install -e '.[badwords]'` (or better-profanity) or set wordlist: PATH "
            "(one word a line, "
            "e.g. C4's LDNOOBW en list)"
        ) from None
    path = Path(better_profanity.__file__).parent / "profanity_wordlist.txt"
    if not path.is_file():
        raise ConfigError(f"stages.badwords_v1.wordlist: {path} not found in the installed better-profanity")
    return str(path)


@register("badwords_v1")
class BadWords(Stage):
    """Drop documents with more than ``max_bad_words`` words of a bad-word list (C4's rule with max 0).

    ``wordlist``: local file, one word or phrase a line (default: better-profanity's list).
    Reason ``badwords_contains``; the count goes to ``badwords_count``.
    """

    columns = (Column("badwords_count", pa.int64(), "occurrences of words or phrases of the bad-word list"),)


    def __init__(self, wordlist: str | None = None, max_bad_words: int = 0, exclusion_writer=None):
        super().__init__(exclusion_writer)
        path = wordlist or default_wordlist()
        if not os.path.isfile(path):
            raise ConfigError(f"stages.badwords_v1.wordlist: {path} does not exist")
        self.wordlist = path
        self.max_bad_words = max_bad_words
        self.words: set[str] = set()
        self.phrases: dict[str, list[tuple[str, ...]]] = {}
        for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
            toks = tuple(_WORD_RE.findall(line.strip().lower()))
            if not toks or line.startswith("#"):
                continue
            if len(toks) == 1:
                self.words.add(toks[0])
            else:
                self.phrases.setdefault(toks[0], []).append(toks)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        toks = _WORD_RE.findall((doc.text or "").lower())
        n = 0
        for i, t in enumerate(toks):
            if t in self.words:
                n += 1
            for ph in self.phrases.get(t, ()):
                if tuple(toks[i: i + len(ph)]) == ph:
                    n += 1
        doc.metadata["badwords_count"] = n
        if n > self.max_bad_words:
            return self.drop("contains")
        return True

    @classmethod
    def report_section(cls, rd) -> str | None:
        """``section-badwords`` of ``winnow report`` (:func:`report_section`)."""
        return report_section(rd)


# ----------------------------------------------------------------------------------------------- the report

_BUCKET = ("case when badwords_count = 1 then '1' when badwords_count <= 5 then '2-5' "
           "when badwords_count <= 20 then '6-20' else '>20' end")


def report_section(rd, top: int = 10) -> str:
    """``section-badwords``: documents holding words of the list, by occurrences per document (``table-badwords``:
    1, 2-5, 6-20, more; kept and removed), and the ``top`` domains by such documents (``table-badwords-domains``);
    ``not run`` / ``none found`` in ``badwords-status``. The stage counts occurrences, not which words matched."""
    from pipeline import report_html as h

    title = "Bad words"
    if not rd.has("badwords_count"):
        return h.section("section-badwords", title,
                         h.status("badwords", h.NOT_RUN, "badwords_v1 did not run (no badwords_count column)."))
    checked, docs, occ = rd.one("select count(badwords_count), count(*) filter (where badwords_count > 0), "
                                "coalesce(sum(badwords_count), 0) from all_documents")
    if not docs:
        return h.section("section-badwords", title, h.status(
            "badwords", h.NONE_FOUND, "no document holds a word of the list" + h.stage_ran(rd, "badwords_") + "."))
    rows = rd.rows(f"select {_BUCKET} as b, count(*) filter (where kept), count(*) filter (where not kept) "
                   "from all_documents where badwords_count > 0 group by b order by min(badwords_count)")
    parts = [h.status("badwords", h.FOUND, f"{docs:,} of {checked:,} documents checked hold words of the list "
                                           f"({int(occ):,} occurrences)."),
             h.table(["occurrences per document", "kept", "removed"], rows, table_id="table-badwords")]
    if rd.has("domain"):
        domains = rd.rows(
            "select domain, count(*) filter (where badwords_count > 0) as d, sum(badwords_count), "
            "d / count(badwords_count) from all_documents where domain is not null and badwords_count is not null "
            f"group by domain having d > 0 order by d desc, domain limit {int(top)}")
        parts.append(f"<h3>By domain (top {int(top)})</h3>" + h.table(
            ["domain", "documents with any", "occurrences", "% of its documents checked"],
            [(dom, d, int(o), h.cell_num(f"{100 * share:.1f}%")) for dom, d, o, share in domains],
            table_id="table-badwords-domains"))
    parts.append(h.note("Documents checked: those that reached badwords_v1; a document is removed when it holds more "
                        "than the stage's max_bad_words occurrences (or by another stage)."))
    return h.section("section-badwords", title, *parts)
