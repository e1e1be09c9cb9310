"""Language identification with fastText lid.176 (Joulin et al. 2016), as FineWeb does.

Writes ``lang`` (ISO 639 code as lid.176 labels it) and ``lang_score`` (the top
label's probability, 0-1) into every document's metadata, kept or dropped.
``langid_prefilter_v1`` runs the same model before extraction on a cheap
rendering of the HTML (resiliparse's main-content text, about 1 ms a page against
8 for the extractor) and drops only pages that are confidently in another
language, so the expensive extractor runs on pages that can survive language ID.

Drops of ``langid_v1``, when ``languages`` is set: ``langid_other_language`` (top label not in
``languages``) and ``langid_low_score`` (an allowed language below
``threshold``). FineWeb keeps English at 0.65. With ``languages: null`` every
document is kept and only labelled. The model is read from a local file (see
``pipeline.assets``); it is never downloaded here.
"""

from __future__ import annotations

import pyarrow as pa
from datatrove.data import Document

from pipeline.stage import Column, Stage, register

LANG_COLUMNS = (
    Column("lang", pa.string(), "language of the best fastText lid.176 label (en, de, ...)"),
    Column("lang_score", pa.float64(), "fastText probability of that label (0..1)"),
)
from pipeline.assets import LID176, resolve


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

    name = "langid"

    def __init__(
        self,
        languages: list[str] | None = ("en",),
        threshold: float = 0.65,
        model: str | None = None,
        exclusion_writer=None,
    ):
        super().__init__(exclusion_writer)
        self.languages = frozenset(languages) if languages else None
        self.threshold = threshold
        self.lid = FastTextLID(model)
        self.model_path = self.lid.model_path  # listed in the run manifest

    def predict(self, text: str) -> tuple[str, float]:
        return self.lid.predict(text)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        lang, score = self.predict(doc.text)
        doc.metadata["lang"] = lang
        doc.metadata["lang_score"] = round(score, 4)
        if self.languages is None:
            return True
        if lang not in self.languages:
            return self.drop("other_language")
        if score < self.threshold:
            return self.drop("low_score")
        return True


@register("langid_prefilter_v1")
class LangIDPrefilter(Stage):
    """Before extraction: drop HTML pages confidently in a language outside ``languages``.

    The page is rendered with resiliparse's main-content text (fast, rougher than
    the extractor) and labelled with lid.176; a page is dropped
    (``langid_prefilter_other_language``) only when the top label is not in
    ``languages`` with probability at least ``min_score``. Everything else goes on
    to extraction and ``langid_v1``, which makes the final decision. Pages
    shorter than ``min_chars`` rendered characters are passed on undecided.
    """

    columns = LANG_COLUMNS

    name = "langid_prefilter"

    def __init__(
        self,
        languages: list[str] = ("en",),
        min_score: float = 0.9,
        min_chars: int = 200,
        model: str | None = None,
        exclusion_writer=None,
    ):
        super().__init__(exclusion_writer)
        self.languages = frozenset(languages)
        self.min_score = min_score
        self.min_chars = min_chars
        self.lid = FastTextLID(model)
        self.model_path = self.lid.model_path

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if doc.metadata.get("content_type") == "text/plain":
            return True
        from resiliparse.extract.html2text import extract_plain_text

        text = extract_plain_text(doc.text, main_content=True)
        if len(text) < self.min_chars:
            return True
        lang, score = self.lid.predict(text)
        if lang in self.languages or score < self.min_score:
            return True
        doc.metadata["lang"] = lang
        doc.metadata["lang_score"] = round(score, 4)
        doc.text = ""  # the HTML is not worth keeping in removed/; its id and URL locate it
        return self.drop("other_language")
