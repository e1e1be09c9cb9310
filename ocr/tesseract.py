"""OCR on CPU: Tesseract through tesserocr (the in-process C++ API: no subprocess or image file per page).

A page is rendered grayscale at ``dpi`` (300 by default; Tesseract is trained on ~300 dpi text), as
displayed, so ``/Rotate`` is honoured; pages so large that the render would exceed
``max_pixels`` are rendered at a lower resolution instead. When a page reads badly (mean word
confidence below 0.5) and Tesseract's orientation model (``osd``) is installed, the page's
orientation is detected and the page is read again turned upright (scans rotated inside the image).

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
RETRY_BELOW = 0.5  # mean confidence under which an upright-ness check is worth its second read of the page


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


def _orientation(pix: pymupdf.Pixmap, dpi: int, tessdata: str | None) -> int:
    """Degrees the page image is turned (0, 90, 180, 270) by Tesseract's OSD, 0 if it cannot tell."""
    try:
        api = _api(("eng",), tessdata, osd=True)
    except OcrUnavailable:
        return 0
    api.SetImageBytes(pix.samples, pix.width, pix.height, 1, pix.stride)
    api.SetSourceResolution(dpi)
    try:
        result = api.DetectOrientationScript()
    except RuntimeError:
        return 0
    if not result or result.get("orient_conf", 0) < 2.0:
        return 0
    return int(result.get("orient_deg", 0)) % 360


def ocr_page(page: pymupdf.Page, dpi: int = 300, languages: tuple[str, ...] = ("eng",), tessdata: str | None = None,
             max_pixels: int = 60_000_000) -> OcrPage:
    """The page's words (in points, on the page as displayed, or as turned upright) and their mean confidence 0..1."""
    api = _api(tuple(languages), tessdata)
    pix, used = render_gray(page, dpi, max_pixels)
    words, conf = _read(api, pix, used)
    width, height = page.rect.width, page.rect.height
    if conf < RETRY_BELOW:
        deg = _orientation(pix, used, tessdata)
        if deg:
            pix2, used2 = render_gray(page, dpi, max_pixels, rotate=deg)
            words2, conf2 = _read(api, pix2, used2)
            if conf2 > conf:
                words, conf = words2, conf2
                if deg in (90, 270):
                    width, height = height, width
    return OcrPage(words, conf, width, height)
