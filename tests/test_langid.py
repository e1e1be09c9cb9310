"""Language ID with the offline lid.176 model."""

import pytest
from datatrove.data import Document

from filters.langid import LangID, LangIDPrefilter
from pipeline.assets import asset_dir
from pipeline.errors import AssetError

EN = "The committee met on Tuesday to discuss the budget for the coming year and agreed to publish its report."
FR = "Le comité s'est réuni mardi pour discuter du budget de l'année prochaine et a accepté de publier son rapport."


@pytest.fixture(scope="module")
def lid():
    if not (asset_dir() / "lid.176.ftz").is_file():
        pytest.fail("lid.176.ftz is missing: `make setup` runs `winnow assets fetch`")
    return LangID(languages=["en"], threshold=0.65)


def test_keeps_english_and_labels_it(lid):
    d = Document(EN, "1")
    assert lid.filter(d) is True
    assert d.metadata["lang"] == "en" and d.metadata["lang_score"] > 0.65


def test_drops_other_language_with_label(lid):
    d = Document(FR, "2")
    assert lid.filter(d) == (False, "langid_other_language")
    assert d.metadata["lang"] == "fr"


def test_drops_low_score(lid):
    d = Document("ok ok 123 ## zz", "3")
    lang, score = lid.predict(d.text)
    strict = LangID(languages=[lang], threshold=min(1.0, score + 0.01))
    assert strict.filter(d) == (False, "langid_low_score")


def test_languages_null_keeps_everything(lid):
    d = Document(FR, "4")
    assert LangID(languages=None).filter(d) is True and d.metadata["lang"] == "fr"


def test_missing_model_names_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setenv("WINNOW_ASSETS", str(tmp_path))
    with pytest.raises(AssetError, match="winnow assets fetch"):
        LangID()
    with pytest.raises(AssetError, match="model file not found"):
        LangID(model=str(tmp_path / "nope.ftz"))


def test_real_multilingual_text(lid):
    import gzip
    import json

    from tests.conftest import shared_data

    path = shared_data("langid", "genesis_bibles.jsonl.gz")
    want = {"english": "en", "french": "fr", "german": "de", "finnish": "fi", "portuguese": "pt", "swedish": "sv"}
    seen = {}
    with gzip.open(path, "rt") as f:
        for line in f:
            rec = json.loads(line)
            label = str(rec.get("label") or rec.get("lang") or "").lower()
            code = next((c for k, c in want.items() if k in label or label == c), None)
            if code and code not in seen:
                seen[code] = lid.predict(rec["text"])[0]
    assert set(seen) == set(want.values()), f"languages found in {path}: {seen}"
    assert all(got == code for code, got in seen.items()), seen


def _page(body: str) -> Document:
    html = (f"<html><head><title>t</title></head><body><nav>Home | News | Contact</nav><article><p>{body}</p>"
            "</article></body></html>")
    return Document(html, "p", metadata={"content_type": "text/html"})


def test_prefilter_drops_confident_other_language_before_extraction(lid):
    pre = LangIDPrefilter(languages=["en"], min_score=0.9)
    d = _page(FR * 3)
    assert pre.filter(d) == (False, "langid_prefilter_other_language")
    assert d.metadata["lang"] == "fr" and d.text == ""


def test_prefilter_passes_english_short_and_uncertain_pages(lid):
    pre = LangIDPrefilter(languages=["en"], min_score=0.9)
    english = _page(EN * 3)
    assert pre.filter(english) is True and "<article>" in english.text  # untouched for the extractor
    assert pre.filter(_page("Bonjour à tous.")) is True  # too short to decide
    assert LangIDPrefilter(languages=["en"], min_score=1.01).filter(_page(FR * 3)) is True  # never that sure
    assert pre.filter(Document(FR * 3, "w", metadata={"content_type": "text/plain"})) is True  # WET text: not HTML


def _headed(lang: str, title: str, body: str) -> Document:
    html = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="og:description" content="{title}"></head><body><article><p>{body}</p>'
            '</article></body></html>')
    return Document(html, "h", metadata={"content_type": "text/html"})


def test_prefilter_head_rule_needs_the_declared_language_and_the_title_to_agree(lid, monkeypatch):
    """Declared fr and a French title: dropped from the head alone (no rendering). Declared en and an English
    title: passed from the head alone, for extraction and langid_v1 to decide. A declared language the title does
    not confirm goes to the main-content rendering, which decides by the body."""
    import resiliparse.extract.html2text as h2t

    from filters.langid import declared_language, head_text

    rendered = []
    real = h2t.extract_plain_text
    monkeypatch.setattr(h2t, "extract_plain_text", lambda *a, **k: rendered.append(1) or real(*a, **k))
    pre = LangIDPrefilter(languages=["en"], min_score=0.9)

    french = _headed("fr-FR", FR, FR * 3)
    assert declared_language(french.text) == "fr" and head_text(french.text) == f"{FR} {FR}"
    assert pre.filter(french) == (False, "langid_prefilter_other_language") and rendered == []
    assert french.metadata["lang"] == "fr"

    mislabelled = _headed("fr", EN, EN * 3)  # a French site's English article: the title says English
    assert pre.filter(mislabelled) is True and rendered == [1]
    template = _headed("en-US", FR, FR * 3)  # a French page on an English template: the body decides
    assert pre.filter(template) == (False, "langid_prefilter_other_language") and rendered == [1, 1]
    english = _headed("en-US", EN, EN * 3)  # declared and titled English: passed on without rendering
    assert pre.filter(english) is True and rendered == [1, 1]
    # an English title over a French body passes too: langid_v1 drops it after extraction
    passed = _headed("en", EN, FR * 3)
    assert pre.filter(passed) is True and rendered == [1, 1]
    assert LangIDPrefilter(languages=["en"], head_pass_score=1.01).filter(_headed("en", EN, FR * 3)) == (
        False, "langid_prefilter_other_language") and rendered == [1, 1, 1]
    assert LangID(languages=["en"]).filter(Document(FR * 3, "x")) == (False, "langid_other_language")
    assert LangIDPrefilter(languages=["en"], head_check=False).filter(_headed("fr", FR, FR * 3)) == (
        False, "langid_prefilter_other_language") and rendered == [1, 1, 1, 1]
    assert declared_language("<html><head><title>x</title></head></html>") is None
