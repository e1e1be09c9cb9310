"""Checks of extracted page text in olmOCR-bench's public format, and their scoring.

A check file is JSON lines; each line names a page (``pdf`` relative to a root folder, ``page``
1-based), an ``id``, a ``type`` and an edit budget ``max_diffs`` (default 0):

``present``  ``text`` occurs in the page's text (within ``max_diffs`` edits; ``case_sensitive``
             default true)
``absent``   ``text`` does not occur (running headers, footers, page numbers, line numbers)
``order``    ``before`` occurs, ``after`` occurs, and some occurrence of ``before`` starts first
``table``    a markdown table row holds a cell matching ``cell``, and the cells next to it match
             whichever of ``up``, ``down``, ``left``, ``right`` are given; ``top_heading`` is the
             first row's cell of its column, ``left_heading`` the first cell of its row

Text is normalised before matching as olmOCR-bench does (markdown emphasis and ``<br>`` removed,
whitespace collapsed, NFC, typographic quotes and dashes to ASCII), so markdown output is not
penalised. "Within k edits" is the smallest Levenshtein distance between the string and any
substring of the text (a semi-global alignment), which is what olmOCR-bench's fuzzy ratio
approximates. This module is the scorer of ``tests/bench/bench_pdf.py``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

TYPES = ("present", "absent", "order", "table")
_FIELDS = {"present": ("text",), "absent": ("text",), "order": ("before", "after"), "table": ("cell",)}
_NEIGHBOURS = ("up", "down", "left", "right", "top_heading", "left_heading")
_REPLACE = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
                          "\uff3f": "_", "\u2013": "-", "\u2014": "-", "\u2011": "-", "\u2012": "-", "\u2212": "-",
                          "\u00b5": "\u03bc", "\u00a0": " "})


def normalise(text: str) -> str:
    """olmOCR-bench's text normalisation (see the module docstring)."""
    text = re.sub(r"<br\s*/?>", " ", text)
    text = re.sub(r"</?(?:b|i|strong|em)>", "", text)
    text = re.sub(r"(\*\*|__)(.*?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])([*_])(\S(?:.*?\S)?)\1(?![\w*])", r"\2", text)
    text = re.sub(r"\s+", " ", text)
    return unicodedata.normalize("NFC", text).translate(_REPLACE).strip()


def _codes(s: str) -> np.ndarray:
    return np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32)


def match_ends(pattern: str, text: str, max_diffs: int) -> list[int]:
    """End offsets (exclusive) in ``text`` where ``pattern`` matches within ``max_diffs`` edits, best first."""
    if max_diffs == 0:
        out, i = [], text.find(pattern)
        while i >= 0:
            out.append(i + len(pattern))
            i = text.find(pattern, i + 1)
        return out
    p, t = _codes(pattern), _codes(text)
    n = len(t)
    positions = np.arange(n + 1)
    row = np.zeros(n + 1, dtype=np.int64)  # an alignment may start anywhere in the text
    for i, c in enumerate(p, 1):
        diag = row[:-1] + (t != c)
        new = np.empty_like(row)
        new[0] = i
        new[1:] = np.minimum(diag, row[1:] + 1)
        row = np.minimum.accumulate(new - positions) + positions  # insertions along the row
    ends = np.flatnonzero(row <= max_diffs)
    return [int(e) for e in ends[np.argsort(row[ends], kind="stable")]]


def contains(pattern: str, text: str, max_diffs: int) -> bool:
    return bool(match_ends(pattern, text, max_diffs))


def markdown_tables(text: str) -> list[list[list[str]]]:
    """Every markdown table in ``text`` as rows of normalised cells (separator rows left out)."""
    tables, rows = [], []
    for line in text.splitlines() + [""]:
        s = line.strip()
        if s.startswith("|") and s.count("|") >= 2:
            cells = [normalise(c) for c in s.strip("|").split("|")]
            if not all(re.fullmatch(r":?-{2,}:?", c.replace(" ", "")) or not c for c in cells) or not any(cells):
                rows.append(cells)
            continue
        if rows:
            tables.append(rows)
            rows = []
    return tables


@dataclass
class Check:
    pdf: str
    page: int
    id: str
    type: str
    max_diffs: int = 0
    case_sensitive: bool = True
    fields: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, obj: dict, where: str) -> "Check":
        for key in ("pdf", "page", "id", "type"):
            if key not in obj:
                raise ValueError(f"{where}: missing field {key!r}")
        if obj["type"] not in TYPES:
            raise ValueError(f"{where}: type {obj['type']!r} is not one of {', '.join(TYPES)}")
        for key in _FIELDS[obj["type"]]:
            if not isinstance(obj.get(key), str) or not obj[key].strip():
                raise ValueError(f"{where}: a {obj['type']} check needs a non-empty {key!r}")
        if obj["type"] == "table" and not any(obj.get(k) for k in _NEIGHBOURS):
            raise ValueError(f"{where}: a table check needs one of {', '.join(_NEIGHBOURS)}")
        if not isinstance(obj.get("page"), int) or obj["page"] < 1:
            raise ValueError(f"{where}: page must be a 1-based integer, got {obj.get('page')!r}")
        max_diffs = obj.get("max_diffs", 0)
        if not isinstance(max_diffs, int) or max_diffs < 0:
            raise ValueError(f"{where}: max_diffs must be an integer >= 0, got {max_diffs!r}")
        names = _FIELDS[obj["type"]] + (_NEIGHBOURS if obj["type"] == "table" else ())
        return cls(obj["pdf"], obj["page"], str(obj["id"]), obj["type"], max_diffs,
                   bool(obj.get("case_sensitive", True)),
                   {k: normalise(obj[k]) for k in names if isinstance(obj.get(k), str) and obj[k].strip()})

    def run(self, page_text: str) -> tuple[bool, str]:
        """(passed, why not) for the page's extracted text."""
        text = normalise(page_text)
        f = self.fields if self.case_sensitive else {k: v.lower() for k, v in self.fields.items()}
        if not self.case_sensitive:
            text = text.lower()
        k = self.max_diffs
        if self.type in ("present", "absent"):
            found = contains(f["text"], text, k)
            if self.type == "present":
                return found, "" if found else f"not found: {f['text'][:60]!r}"
            return not found, "" if not found else f"still there: {f['text'][:60]!r}"
        if self.type == "order":
            before = [e - len(f["before"]) for e in match_ends(f["before"], text, k)]
            after = [e - len(f["after"]) for e in match_ends(f["after"], text, k)]
            if not before or not after:
                return False, f"not found: {(f['before'] if not before else f['after'])[:60]!r}"
            ok = min(before) < max(after)
            return ok, "" if ok else f"{f['after'][:40]!r} comes before {f['before'][:40]!r}"
        return self._table(page_text, f)

    def _table(self, raw: str, f: dict) -> tuple[bool, str]:
        tables = markdown_tables(raw if self.case_sensitive else raw.lower())
        if not tables:
            return False, "no markdown table"

        def same(a: str, b: str) -> bool:
            return a == b or (self.max_diffs > 0 and len(a) <= len(b) + self.max_diffs
                              and contains(b, a, self.max_diffs) and contains(a, b, self.max_diffs))

        for rows in tables:
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    if not same(cell, f["cell"]):
                        continue

                    def at(rr, cc):
                        return rows[rr][cc] if 0 <= rr < len(rows) and 0 <= cc < len(rows[rr]) else None

                    want = {"up": at(r - 1, c), "down": at(r + 1, c), "left": at(r, c - 1), "right": at(r, c + 1),
                            "top_heading": at(0, c), "left_heading": at(r, 0)}
                    if all(want[k] is not None and same(want[k], f[k]) for k in _NEIGHBOURS if k in f):
                        return True, ""
        return False, f"no table cell {f['cell'][:40]!r} with the given neighbours"


def load_checks(path: str | Path) -> list[Check]:
    """Checks from a JSON-lines file; a bad line raises ValueError naming the file, line and field."""
    out, seen = [], set()
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{where}: not JSON ({e})") from None
        check = Check.from_json(obj, where)
        if check.id in seen:
            raise ValueError(f"{where}: duplicate id {check.id!r}")
        seen.add(check.id)
        out.append(check)
    return out


def score(checks: list[Check], texts: dict[tuple[str, int], str]) -> dict:
    """Pass rates per check type and overall for ``texts[(pdf, page)]`` (a missing page fails its checks)."""
    by_type: dict[str, list[bool]] = {}
    failures = []
    for ch in checks:
        ok, why = ch.run(texts.get((ch.pdf, ch.page), ""))
        by_type.setdefault(ch.type, []).append(ok)
        if not ok:
            failures.append((ch.id, why))
    allres = [x for v in by_type.values() for x in v]
    return {"overall": sum(allres) / len(allres) if allres else 0.0, "n": len(allres),
            "by_type": {t: (sum(v) / len(v), len(v)) for t, v in sorted(by_type.items())}, "failures": failures}
