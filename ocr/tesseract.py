"""OCR on CPU: Tesseract through tesserocr (the in-process C++ API: no subprocess or image file per page).

A page is rendered grayscale at ``dpi`` (300 by default; Tesseract is trained on ~300 dpi text), as
displayed, so ``/Rotate`` is honoured; pages so large that the render would exceed
``max_pixels`` are rendered at a lower resolution instead. When a page reads badly (mean word
confidence below ``RETRY_BELOW``) and Tesseract's orientation and script model (``osd``) is installed, the page
is read again turned upright (scans rotated inside the image) or, in another script, with that script's language
pack; a Latin-script page in another language than the configured ones is read again with that language's pack
(``ocr_page``). Packs come from Debian's ``tesseract-ocr-<lang>`` (``.ci/run`` installs the ones its tests read).

Parallelism is one process per core, each with one Tesseract thread: ``OMP_THREAD_LIMIT=1`` is set
before libtesseract loads (its OpenMP threads only contend with the other processes). A pipeline's
tasks are those processes; ``winnow pdf`` uses a process pool (``ocr.extract``). One
``PyTessBaseAPI`` per process and language set is kept alive (a language's model is loaded once per process,
not once per page).
"""

from __future__ import annotations

import os
from typing import NamedTuple

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # before libtesseract (and its OpenMP runtime) loads

import pymupdf

from pipeline.errors import WinnowError

INSTALL_HINT = (
    "install Tesseract and its Python binding: `apt-get install tesseract-ocr tesseract-ocr-eng` "
    "(plus tesseract-ocr-<lang> for other languages; macOS: `brew install tesseract`) and "
    "`.venv/bin/pip install tesserocr==2.13.0` (`make ocr-deps` installs the binding once Tesseract is there)"
)
TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)
RETRY_BELOW = 0.7  # mean confidence under which an upright-ness and script check is worth a second read of the page


class Word(NamedTuple):
    """One word Tesseract read: its box in points, its paragraph and line (numbered down the page) and the line's
    row height in points (x-height plus ascenders: the font size, whichever letters the line happens to hold)."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    para: int
    line: int
    size: float


class OcrPage(NamedTuple):
    words: list[Word]
    confidence: float  # mean word confidence, 0..1
    width: float  # the page (as displayed, or as turned upright) in points
    height: float
    languages: tuple[str, ...] = ("eng",)  # the language packs it was read with

    @property
    def text(self) -> str:
        """Lines joined by newlines, paragraphs by blank lines (Tesseract's own text, as ``GetUTF8Text`` gives it)."""
        out: list[str] = []
        prev = None
        for w in self.words:
            if prev is None:
                out.append(w.text)
            elif w.para != prev.para:
                out.append("\n\n" + w.text)
            elif w.line != prev.line:
                out.append("\n" + w.text)
            else:
                out.append(" " + w.text)
            prev = w
        return "".join(out)


class OcrUnavailable(WinnowError):
    """Tesseract, tesserocr or a language's traineddata is missing; the message says how to install them."""


def find_tessdata(languages: tuple[str, ...] | list[str], tessdata: str | None = None) -> str:
    """The tessdata folder holding every language in ``languages`` (``TESSDATA_PREFIX`` first)."""
    candidates = [tessdata] if tessdata else [os.environ.get("TESSDATA_PREFIX"), *TESSDATA_DIRS]
    for d in candidates:
        if d and all(os.path.isfile(os.path.join(d, f"{lang}.traineddata")) for lang in languages):
            return d.rstrip("/") + "/"
    where = tessdata or "TESSDATA_PREFIX or " + ", ".join(TESSDATA_DIRS)
    raise OcrUnavailable(f"no traineddata for {'+'.join(languages)} in {where}: {INSTALL_HINT}")


def check_available(languages: tuple[str, ...] | list[str] = ("eng",), tessdata: str | None = None) -> str:
    """Raise OcrUnavailable (with the install command) unless tesserocr and the languages are installed."""
    try:
        import tesserocr  # noqa: F401
    except ImportError as e:
        raise OcrUnavailable(f"tesserocr is not importable ({e}): {INSTALL_HINT}") from None
    return find_tessdata(languages, tessdata)


def render_gray(page: pymupdf.Page, dpi: int, max_pixels: int, rotate: int = 0) -> tuple[pymupdf.Pixmap, int]:
    """(grayscale pixmap of the page as displayed, the dpi actually used)."""
    w_in, h_in = page.rect.width / 72.0, page.rect.height / 72.0
    used = dpi
    if w_in * h_in * dpi * dpi > max_pixels:
        used = max(int((max_pixels / (w_in * h_in)) ** 0.5), 1)
    mat = pymupdf.Matrix(used / 72.0, used / 72.0)
    if rotate:
        mat = mat.prerotate(rotate)
    return page.get_pixmap(matrix=mat, colorspace=pymupdf.csGRAY, alpha=False), used


_APIS: dict[tuple, object] = {}


def _api(languages: tuple[str, ...], tessdata: str | None, osd: bool = False):
    key = (languages, tessdata, osd)
    if key not in _APIS:
        import tesserocr

        path = check_available(("osd",) if osd else languages, tessdata)
        psm = tesserocr.PSM.OSD_ONLY if osd else tesserocr.PSM.AUTO
        _APIS[key] = tesserocr.PyTessBaseAPI(path=path, lang="osd" if osd else "+".join(languages), psm=psm)
    return _APIS[key]


def _read(api, pix: pymupdf.Pixmap, dpi: int) -> tuple[list[Word], float]:
    """The page image's words in points, top to bottom as Tesseract segments them, and the mean word confidence."""
    import tesserocr

    api.SetImageBytes(pix.samples, pix.width, pix.height, 1, pix.stride)
    api.SetSourceResolution(dpi)
    api.Recognize()
    it = api.GetIterator()
    words: list[Word] = []
    if it is None:
        return words, 0.0
    ril, scale = tesserocr.RIL, 72.0 / dpi
    para = line = -1
    size = 0.0
    while True:
        if it.IsAtBeginningOf(ril.PARA):
            para += 1
        if it.IsAtBeginningOf(ril.TEXTLINE):
            line += 1
            size = (it.RowAttributes() or {}).get("row_height", 0.0) * scale
        text = (it.GetUTF8Text(ril.WORD) or "").strip()
        box = it.BoundingBox(ril.WORD)
        if text and box:
            x0, y0, x1, y1 = (v * scale for v in box)
            words.append(Word(x0, y0, x1, y1, text, para, line, size or (y1 - y0)))
        if not it.Next(ril.WORD):
            break
    conf = api.MeanTextConf() if words else 0
    return words, max(conf, 0) / 100.0


# Tesseract's OSD script names -> the language packs that read them (with eng, for the Latin words such pages hold)
SCRIPT_LANGUAGES = {"Cyrillic": "rus", "Arabic": "ara", "Han": "chi_sim", "Japanese": "jpn", "Hangul": "kor",
                    "Korean": "kor", "Greek": "ell", "Hebrew": "heb", "Devanagari": "hin", "Thai": "tha"}
MIN_SCRIPT_CONF = 1.0  # OSD's script confidence under which the script is not trusted (an Urdu page read "Japanese")
MIN_ORIENT_CONF = 2.0
# the commonest words of Latin-script languages that eng's model reads but whose letters it lacks (ä, ß, é, ñ, ã)
_FUNCTION_WORDS = {
    "deu": frozenset("der die das und ist nicht mit von den dem zu für auf ein eine wir sie bei".split()),
    "fra": frozenset("le la les et des est une pour dans qui que sur pas par au aux du".split()),
    "spa": frozenset("el la los las y de que en por para con una del se es".split()),
    "ita": frozenset("il la che di e per con non una sono del della gli le".split()),
    "por": frozenset("o a os as e de que em para com uma do da não se".split()),
    "nld": frozenset("de het een en van is dat niet met voor op zijn te".split()),
}
_ENGLISH = frozenset("the and of to in is that for with as on by this are be".split())
MIN_FUNCTION_WORDS = 8  # a page's words must hold this many function words of a language, and more than English's


def _osd(pix: pymupdf.Pixmap, dpi: int, tessdata: str | None) -> tuple[int, str | None]:
    """(degrees the page image is turned: 0, 90, 180 or 270; its script, or None) by Tesseract's OSD, where it
    can tell."""
    try:
        api = _api(("eng",), tessdata, osd=True)
    except OcrUnavailable:
        return 0, None
    api.SetImageBytes(pix.samples, pix.width, pix.height, 1, pix.stride)
    api.SetSourceResolution(dpi)
    try:
        result = api.DetectOrientationScript()
    except RuntimeError:
        return 0, None
    if not result:
        return 0, None
    deg = int(result.get("orient_deg", 0)) % 360 if result.get("orient_conf", 0) >= MIN_ORIENT_CONF else 0
    return deg, result.get("script_name") if result.get("script_conf", 0) >= MIN_SCRIPT_CONF else None


def installed(language: str, tessdata: str | None) -> bool:
    try:
        find_tessdata((language,), tessdata)
    except OcrUnavailable:
        return False
    return True


def latin_language(words: list[Word]) -> str | None:
    """The Latin-script language other than English whose function words the page's words hold most (at least
    ``MIN_FUNCTION_WORDS`` and more than English's), else None."""
    lower = [w.text.lower().strip(".,;:!?()\"'") for w in words]
    english = sum(t in _ENGLISH for t in lower)
    counts = {lang: sum(t in vocab for t in lower) for lang, vocab in _FUNCTION_WORDS.items()}
    lang, n = max(counts.items(), key=lambda kv: kv[1])
    return lang if n >= MIN_FUNCTION_WORDS and n > english else None


def ocr_page(page: pymupdf.Page, dpi: int = 300, languages: tuple[str, ...] = ("eng",), tessdata: str | None = None,
             max_pixels: int = 60_000_000, other_languages: bool = True) -> OcrPage:
    """The page's words (in points, on the page as displayed, or as turned upright) and their mean confidence 0..1.

    A page read badly (mean confidence under ``RETRY_BELOW``) is checked with Tesseract's OSD, when installed: a page
    turned in its image is read again upright, and with ``other_languages`` a page in another script is read again
    with that script's language pack (``SCRIPT_LANGUAGES``, plus eng) where it is installed. A Latin-script page
    whose words are mostly another language's function words (``latin_language``: German, French, ...) is read again
    with that language's pack, where installed. The reading with the higher confidence is kept."""
    languages = tuple(languages)
    pix, used = render_gray(page, dpi, max_pixels)
    words, conf = _read(_api(languages, tessdata), pix, used)
    best = OcrPage(words, conf, page.rect.width, page.rect.height, languages)
    retry: tuple[str, ...] | None = None
    deg = 0
    if conf < RETRY_BELOW:
        deg, script = _osd(pix, used, tessdata)
        lang = SCRIPT_LANGUAGES.get(script or "")
        if other_languages and lang and lang not in languages and installed(lang, tessdata):
            eng = ("eng",) if "eng" not in languages and installed("eng", tessdata) else ()
            retry = (lang, *eng, *languages)
        elif deg:
            retry = languages
    elif other_languages:
        lang = latin_language(words)
        if lang and lang not in languages and installed(lang, tessdata):
            retry = (lang, *languages)
    if retry is not None:
        # OSD gives the text's orientation (counter-clockwise); turning the image back is the other way round
        turn = (360 - deg) % 360
        pix2, used2 = render_gray(page, dpi, max_pixels, rotate=turn) if turn else (pix, used)
        words2, conf2 = _read(_api(retry, tessdata), pix2, used2)
        if conf2 > conf:
            w, h = (page.rect.height, page.rect.width) if deg in (90, 270) else (page.rect.width, page.rect.height)
            best = OcrPage(words2, conf2, w, h, retry)
    return best
