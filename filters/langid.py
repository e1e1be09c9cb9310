"""Language identification with fastText lid.176 (Joulin et al. 2016), as FineWeb does.

Writes ``lang`` (ISO 639 code as lid.176 labels it) and ``lang_score`` (the top
label's probability, 0-1) into every document's metadata, kept or dropped.
Drops, when ``languages`` is set: ``langid_other_language`` (top label not in
``languages``) and ``langid_low_score`` (an allowed language below
``threshold``). FineWeb keeps English at 0.65. With ``languages: null`` every
document is kept and only labelled. The model is read from a local file (see
``pipeline.assets``); it is never downloaded here.
"""

from __future__ import annotations

from datatrove.data import Document

from filters.base import WinnowFilter
from pipeline.assets import LID176, resolve
from pipeline.registry import register


@register("langid_v1")
class LangID(WinnowFilter):
    """Label the language (fastText lid.176) and keep the listed languages above a score threshold."""

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
        # Resolve now so a missing model fails when the pipeline is built, not inside a worker.
        self.model_path = str(resolve(LID176, model))
        self._model = None

    @property
    def model(self):
        if self._model is None:  # loaded lazily: the step is pickled to workers before it runs
            import fasttext

            self._model = fasttext.load_model(self.model_path)
        return self._model

    def predict(self, text: str) -> tuple[str, float]:
        labels, scores = self.model.predict(text.replace("\n", " "), k=1)
        if not labels:
            return "und", 0.0
        return labels[0].removeprefix("__label__"), float(min(scores[0], 1.0))

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
