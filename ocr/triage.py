"""Page triage: is a page's text layer usable, or must the page be OCR'd?

A text layer is used when it is present, covers the page's content and reads as language. Decisions
(``Triage.decision``) and why (``Triage.reason``):

``text``   usable text layer (confidence = its language plausibility, 0..1)
``ocr``    ``no_text`` (a scan: images or drawings but no text), ``mostly_image`` (images cover most
           of the page and the text layer holds only a few words, e.g. a scanned page with a
           typed header), ``bad_chars`` (U+FFFD, control or private-use characters: glyphs without
           a Unicode mapping), ``garbage`` (letters that do not read as language: wrong font
           encodings give letter-shifted text such as "Opnbddchmfr ne sgd" for "Proceedings of
           the", which a letters-ratio check passes), ``bad_sizes`` (most characters set under
           ``MIN_BODY_SIZE`` (0.25 pt): a Type3 font's broken metrics, whose layer splits words, drops letters and
           gives boxes many times the glyphs' height: "Do you a  ept redit ards")
``blank``  nothing on the page (no text, images or drawings): nothing to OCR

Language plausibility is a character-trigram model over a-z and space (add-one smoothing, log base
2) built at first use from English prose shipped with Python itself (``pydoc_data.topics``, the
interpreter's help text, ~460k characters), so no data file is copied or downloaded. A page's
score is its cross-entropy in bits per character: English prose scores lowest, other Latin-script
languages and dense tables of words and numbers higher, and letter-shifted text layers higher still. Pages
above ``MAX_BITS`` are garbage, and so are pages whose letters read ``SHIFT_GAIN_BITS`` better
rotated by a few places (a Caesar-shifted encoding, caught whatever the vocabulary). Pages with fewer
than ``MIN_LETTERS`` Latin letters (numbers, tables of symbols, non-Latin scripts), or with more letters of other
scripts than Latin ones (a Chinese lab report with its units and acronyms), are not judged by the model, only by
the bad-character ratio.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

MAX_BITS = 5.6  # bits per character above which letters do not read as language
# (chosen on the shared PDFs and sample sentences; see docs/measurements.md)
SHIFT_GAIN_BITS = 1.0  # a letter shift that reads this much better marks a shifted font encoding
MIN_LETTERS = 40
# the fewest bits per character a text reads at, shifted or not (docs/measurements.md): the shift test runs only
# where a shift could gain SHIFT_GAIN_BITS
MIN_SHIFTED_BITS = 2.4
# letters of scripts the model does not read (Greek, Cyrillic, Armenian, Hebrew, Arabic, Indic, Thai, CJK, Hangul)
_OTHER_SCRIPT = re.compile("[\u0370-\u03ff\u0400-\u052f\u0530-\u058f\u0590-\u08ff\u0900-\u0dff\u0e00-\u0eff"
                           "\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
                           "\ufb1d-\ufdff\ufe70-\ufefc]")
MAX_BAD_CHAR_RATIO = 0.05  # U+FFFD, C0/C1 controls, private-use characters per non-space character
MIN_TEXT_CHARS = 20  # fewer non-space characters than this is "no text"
MOSTLY_IMAGE_COVERAGE = 0.5  # images cover at least this share of the page ...
MOSTLY_IMAGE_CHARS_PER_AREA = 0.0015  # ... and there are fewer non-space characters than this per pt^2 (~140 on A4)
# points: a layer whose most characters are set smaller has broken font metrics (no print is); ``ocr.layout`` reads
# body sizes in half-point steps, so this is a body size that rounds to 0
MIN_BODY_SIZE = 0.25

_ALPHA = 27  # a-z and space
# str.translate table: letters (accents stripped later) to lower case, everything else to space.
_KEEP = {c: c for c in range(ord("a"), ord("z") + 1)}
_KEEP.update({c: c + 32 for c in range(ord("A"), ord("Z") + 1)})


def _to_ids(text: str) -> np.ndarray:
    """a-z -> 1..26, every other run of characters -> one 0 (space)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    raw = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    lower = raw | 0x20
    letter = (lower >= 97) & (lower <= 122)
    ids = np.where(letter, lower - 96, 0).astype(np.int32)
    if ids.size == 0:
        return ids
    keep = np.ones(ids.size, dtype=bool)
    keep[1:] = (ids[1:] != 0) | (ids[:-1] != 0)  # collapse runs of non-letters
    return ids[keep]


@functools.lru_cache(maxsize=1)
def trigram_logp() -> np.ndarray:
    """log2 P(c | a, b) over a-z + space, a flat array indexed by a*729 + b*27 + c."""
    import pydoc_data.topics

    text = " ".join(pydoc_data.topics.topics.values())
    ids = _to_ids(text)
    idx = ids[:-2] * _ALPHA * _ALPHA + ids[1:-1] * _ALPHA + ids[2:]
    counts = np.bincount(idx, minlength=_ALPHA**3).astype(np.float64).reshape(_ALPHA * _ALPHA, _ALPHA) + 1.0
    return np.log2(counts / counts.sum(axis=1, keepdims=True)).ravel()


def cross_entropy(ids: np.ndarray) -> float:
    """Mean bits per character of an id sequence under the trigram model."""
    idx = ids[:-2] * _ALPHA * _ALPHA + ids[1:-1] * _ALPHA + ids[2:]
    return -float(np.mean(trigram_logp()[idx]))


def _shift(ids: np.ndarray, k: int) -> np.ndarray:
    """Rotate letters by k places (a Caesar shift), leaving spaces alone."""
    return np.where(ids > 0, (ids - 1 + k) % 26 + 1, 0)


def plausibility(text: str, max_chars: int = 4000) -> tuple[float | None, bool, int]:
    """(bits per character under the trigram model, whether a letter shift reads better, letters).

    Bits are None below ``MIN_LETTERS`` letters. The shift test re-scores the text with its letters
    rotated by -3..3 places: a font whose encoding is off by k letters reads as language once
    shifted back, which no amount of odd vocabulary (tables, formulae, names) does.
    """
    text = text[:max_chars]
    ids = _to_ids(text)
    letters = int(np.count_nonzero(ids))
    if letters < MIN_LETTERS or not text.isascii() and len(_OTHER_SCRIPT.findall(text)) > letters:
        return None, False, letters  # too few Latin letters, or a page in another script with Latin acronyms
    bits = cross_entropy(ids)
    if bits - SHIFT_GAIN_BITS < MIN_SHIFTED_BITS:
        return bits, False, letters  # no shift can read that much better
    shifted = min(cross_entropy(_shift(ids, k)) for k in (-3, -2, -1, 1, 2, 3))
    return bits, shifted < bits - SHIFT_GAIN_BITS, letters


_BAD = re.compile("[\ufffd\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ue000-\uf8ff\U000f0000-\U0010ffff]")


def _non_space(text: str) -> int:
    return sum(map(len, text.split()))  # str.split's whitespace is exactly re's \s


def bad_char_ratio(text: str, chars: int | None = None) -> float:
    """Share of non-space characters (``chars``, where counted already) that are U+FFFD, control (not whitespace) or
    private-use."""
    chars = _non_space(text) if chars is None else chars
    if chars <= 0:
        return 0.0
    return len(_BAD.findall(text)) / chars


@dataclass(frozen=True)
class Triage:
    decision: str  # text | ocr | blank
    reason: str  # usable | no_text | mostly_image | bad_chars | garbage | bad_sizes | blank
    chars: int  # non-space characters in the text layer
    bits: float | None  # trigram cross-entropy of the text layer, bits per character
    bad_chars: float
    image_coverage: float

    @property
    def confidence(self) -> float:
        """How much the text layer is trusted (0..1), for ``page_methods``."""
        if self.decision != "text":
            return 0.0
        if self.bits is None:
            return round(1.0 - self.bad_chars, 3)
        # 2.5 bits/char (clean English) -> 1.0, MAX_BITS -> 0.0
        return round(min(max((MAX_BITS - self.bits) / (MAX_BITS - 2.5), 0.0), 1.0), 3)


def image_coverage(page) -> float:
    """Share of the page's area covered by images (union approximated by the sum, capped at 1)."""
    if not page.get_images(full=False):
        return 0.0
    area = abs(page.rect) or 1.0
    covered = 0.0
    for info in page.get_image_info():
        r = page.rect & info["bbox"]  # clip to the page
        if not r.is_empty:
            covered += abs(r)
    return min(covered / area, 1.0)


def triage_text(text: str, page_area: float, coverage: float, has_drawings: bool, body_size: float | None = None
                ) -> Triage:
    """Decide for one page from its text layer, how much of it is images and, where read, the size most of its
    characters are set in (pure: used by the tests)."""
    chars = _non_space(text)
    bad = bad_char_ratio(text, chars) if chars else 0.0
    score, shifted, _ = plausibility(text) if chars else (None, False, 0)
    if chars < MIN_TEXT_CHARS:
        if coverage > 0.0 or has_drawings or chars:
            return Triage("ocr", "no_text", chars, score, bad, coverage)
        return Triage("blank", "blank", chars, score, bad, coverage)
    if bad > MAX_BAD_CHAR_RATIO:
        return Triage("ocr", "bad_chars", chars, score, bad, coverage)
    if score is not None and (score > MAX_BITS or shifted):
        return Triage("ocr", "garbage", chars, score, bad, coverage)
    if coverage >= MOSTLY_IMAGE_COVERAGE and chars < MOSTLY_IMAGE_CHARS_PER_AREA * page_area:
        return Triage("ocr", "mostly_image", chars, score, bad, coverage)
    if body_size is not None and body_size < MIN_BODY_SIZE:
        return Triage("ocr", "bad_sizes", chars, score, bad, coverage)
    return Triage("text", "usable", chars, score, bad, coverage)


def triage_page(page, text: str, body_size: float | None = None) -> Triage:
    """Triage a PyMuPDF page given its extracted text and, where read, the size most of its characters are set in
    (``ocr.layout``'s ``body_size``)."""
    cov = image_coverage(page)
    stripped = len(text.strip())
    # Drawings are only looked at for pages with no text and no images (vector scans, text as paths).
    drawings = bool(stripped < MIN_TEXT_CHARS and cov == 0.0 and page.get_cdrawings())
    return triage_text(text, abs(page.rect), cov, drawings, body_size)
