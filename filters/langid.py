"""Language identification with fastText lid.176 (Joulin et al. 2016), as FineWeb does.

Writes ``lang`` (ISO 639 code as lid.176 labels it) and ``lang_score`` (the top
label's probability, 0-1) into every document's metadata, kept or dropped.
``langid_prefilter_v1`` runs the same model before extraction on the page's head (its declared
``<html lang>`` and title, when the two agree) or on a cheap rendering of the HTML (resiliparse's
main-content text, a fraction of the extractor's cost) and drops only pages that are
confidently in another language, so the extractor runs on pages that can survive language ID.

Drops of ``langid_v1``, when ``languages`` is set: ``langid_other_language`` (top label not in
``languages``) and ``langid_low_score`` (an allowed language below
``threshold``). FineWeb keeps English at 0.65. With ``languages: null`` every
document is kept and only labelled. The model is read from a local file (see
``pipeline.assets``); it is never downloaded here.

``text: body`` (the PDF recipe) predicts on the document's prose only: lines with at least
``BODY_MIN_LETTERS`` letters that are mostly letters, leaving out markdown table rows, formulas, code
and number columns, up to ``BODY_MAX_CHARS`` characters (a 700-page manual is judged on its first
pages of prose). A document with no such lines is judged on its whole text. fastText's probability
over a whole PDF mixed with tables and formulas is low even for plain English, so the web recipe's 0.65
on the whole text dropped English PDFs (the shared PDFs' figures are in docs/measurements.md).
"""

from __future__ import annotations

import html as html_lib
import re

import pyarrow as pa
from datatrove.data import Document

from pipeline.assets import LID176, resolve
from pipeline.stage import Column, Stage, register

BODY_MIN_LETTERS = 20
BODY_LETTER_SHARE = 0.6  # letters and spaces among a body line's characters
BODY_MAX_CHARS = 20_000


def body_text(text: str) -> str:
    """The prose lines of ``text`` (see the module docstring), or ``text`` itself when it has none."""
    out: list[str] = []
    size = 0
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("|"):
            continue
        letters = sum(c.isalpha() for c in s)
        if letters < BODY_MIN_LETTERS or (letters + s.count(" ")) < BODY_LETTER_SHARE * len(s):
            continue
        out.append(s)
        size += len(s)
        if size >= BODY_MAX_CHARS:
            break
    return "\n".join(out) if out else text

LANG_COLUMNS = (
    Column("lang", pa.string(), "language of the best fastText lid.176 label (en, de, ...)"),
    Column("lang_score", pa.float64(), "fastText probability of that label (0..1)"),
)


class FastTextLID:
    """lid.176 loaded lazily (steps are pickled to workers before they run); ``predict`` -> (lang, prob)."""

    def __init__(self, model: str | None = None):
        # Resolve now so a missing model fails when the pipeline is built, not inside a worker.
        self.model_path = str(resolve(LID176, model))
        self._model = None

    def __getstate__(self):
        return {"model_path": self.model_path, "_model": None}

    @property
    def model(self):
        if self._model is None:
            import fasttext

            self._model = fasttext.load_model(self.model_path)
        return self._model

    def predict(self, text: str) -> tuple[str, float]:
        labels, scores = self.model.predict(text.replace("\n", " "), k=1)
        if not labels:
            return "und", 0.0
        return labels[0].removeprefix("__label__"), float(min(scores[0], 1.0))


@register("langid_v1")
class LangID(Stage):
    """Label the language (fastText lid.176) and keep the listed languages above a score threshold."""

    columns = LANG_COLUMNS


    def __init__(
        self,
        languages: list[str] | None = ("en",),
        threshold: float = 0.65,
        model: str | None = None,
        text: str = "all",
        exclusion_writer=None,
    ):
        """``text``: ``all`` (the whole document, as FineWeb) or ``body`` (its prose lines, see the module
        docstring)."""
        super().__init__(exclusion_writer)
        if text not in ("all", "body"):
            from pipeline.errors import ConfigError

            raise ConfigError(f"stages.langid_v1.text: {text!r} is not one of all, body")
        self.body = text == "body"
        self.languages = frozenset(languages) if languages else None
        self.threshold = threshold
        self.lid = FastTextLID(model)
        self.model_path = self.lid.model_path  # listed in the run manifest

    def predict(self, text: str) -> tuple[str, float]:
        return self.lid.predict(text)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        lang, score = self.predict(body_text(doc.text) if self.body else doc.text)
        doc.metadata["lang"] = lang
        doc.metadata["lang_score"] = round(score, 4)
        if self.languages is None:
            return True
        if lang not in self.languages:
            return self.drop("other_language")
        if score < self.threshold:
            return self.drop("low_score")
        return True


# The page's declared language (<html lang="de-DE"> -> "de") and its title and meta descriptions, looked for in
# the first HEAD_CHARS characters (the head; a page whose head is longer takes the full path).
HEAD_CHARS = 50_000
_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?\s*([a-zA-Z]{2,3})(?![a-zA-Z])", re.I)
_TITLE = re.compile(r"<title\b[^>]*>([^<]*)</title", re.I)
_DESCRIPTION = re.compile(
    r"<meta\b[^>]*?\b(?:name|property)\s*=\s*[\"']?(?:og:|twitter:)?description[\"']?[^>]*?\bcontent\s*=\s*(\"[^\"]*\"|'[^']*')"
    r"|<meta\b[^>]*?\bcontent\s*=\s*(\"[^\"]*\"|'[^']*')[^>]*?\b(?:name|property)\s*=\s*[\"']?(?:og:|twitter:)?description\b",
    re.I,
)


def declared_language(page: str) -> str | None:
    """The primary subtag of the ``<html lang>`` attribute, lower-cased, or None."""
    m = _HTML_LANG.search(page, 0, HEAD_CHARS)
    return m.group(1).lower() if m else None


def head_text(page: str) -> str:
    """The page's ``<title>`` and meta (``og:``/``twitter:``) descriptions, unescaped, whitespace collapsed."""
    head = page[:HEAD_CHARS]
    title = _TITLE.search(head)
    parts = [title.group(1)] if title else []
    parts += [(m.group(1) or m.group(2))[1:-1] for m in _DESCRIPTION.finditer(head)]
    return " ".join(html_lib.unescape(" ".join(parts)).split())


@register("langid_prefilter_v1")
class LangIDPrefilter(Stage):
    """Before extraction: drop HTML pages confidently in a language outside ``languages``.

    Confident means one of two things; a page is dropped (``langid_prefilter_other_language``) when

    1. (``head_check``) its ``<html lang>`` declares a language outside ``languages`` and lid.176 labels
       its title and meta descriptions (at least ``min_head_chars`` of them) with that same language at
       probability at least ``min_score``: two independent signals agree, read from the head with a regular
       expression, with no rendering; or else
    2. its resiliparse main-content text (fast, rougher than the extractor) gets a top label not in
       ``languages`` with probability at least ``min_score``.

    The head also passes pages on unrendered (``head_check``): where ``<html lang>`` declares one of
    ``languages`` and lid.176 gives the title and descriptions that same label at probability at least
    ``head_pass_score``, the page goes straight to extraction. A wrong pass costs only CPU, never a
    decision: ``langid_v1`` decides every page the prefilter passes, on the extracted text. Everything else
    goes on to extraction and ``langid_v1`` likewise. Pages shorter than ``min_chars`` rendered characters
    are passed on undecided. The label is taken on the first ``max_chars`` characters: fastText's cost grows
    with the text, and the start of a page already carries its language.

    Rule 1 runs first because it needs no rendering: it decides most foreign pages at a fraction of rule 2's
    cost and agrees with rule 2 on almost all of them. A page that declares a foreign language and carries a
    foreign title over an English body is the case rule 1 gives up; ``head_check: false`` turns rule 1 and the
    pass off. The pass lets pages whose head says a wanted language skip the rendering and its fastText call.
    The figures on the shared evaluation pages (both rules, the pass, ``max_chars``) are in
    docs/measurements.md.
    """

    columns = LANG_COLUMNS


    def __init__(
        self,
        languages: list[str] = ("en",),
        min_score: float = 0.9,
        min_chars: int = 200,
        max_chars: int = 2000,
        head_check: bool = True,
        min_head_chars: int = 20,
        head_pass_score: float = 0.5,
        model: str | None = None,
        exclusion_writer=None,
    ):
        super().__init__(exclusion_writer)
        self.head_pass_score = head_pass_score
        self.languages = frozenset(languages)
        self.min_score = min_score
        self.min_chars = min_chars
        self.max_chars = max_chars
        self.head_check = head_check
        self.min_head_chars = min_head_chars
        self.lid = FastTextLID(model)
        self.model_path = self.lid.model_path

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if doc.metadata.get("content_type") == "text/plain":
            return True
        if self.head_check:
            declared = declared_language(doc.text)
            if declared is not None:
                head = head_text(doc.text)
                if len(head) >= self.min_head_chars:
                    lang, score = self.lid.predict(head[: self.max_chars])
                    if lang == declared:
                        if declared in self.languages:
                            if score >= self.head_pass_score:
                                return True
                        elif score >= self.min_score:
                            return self._drop(doc, lang, score)
        from resiliparse.extract.html2text import extract_plain_text

        text = extract_plain_text(doc.text, main_content=True)
        if len(text) < self.min_chars:
            return True
        lang, score = self.lid.predict(text[: self.max_chars])
        if lang in self.languages or score < self.min_score:
            return True
        return self._drop(doc, lang, score)

    def _drop(self, doc: Document, lang: str, score: float) -> tuple[bool, str]:
        doc.metadata["lang"] = lang
        doc.metadata["lang_score"] = round(score, 4)
        doc.text = ""  # the HTML is not worth keeping in removed/; its id and URL locate it
        return self.drop("other_language")
