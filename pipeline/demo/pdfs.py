"""The demo's one PDF maker (PyMuPDF): the PDFs of ``winnow pdf-demo`` and the PDF inside the demo crawl.

``write_demo_pdfs`` writes three PDFs that show triage and OCR at work, each with its own text (written for the
demo), so dedup keeps all three:

``born_digital.pdf``   two pages with a clean text layer: read from the text layer
``scanned.pdf``        pages that are only images (rendered at 200 dpi, no text layer): OCR'd (``no_text``)
``broken_layer.pdf``   page images under an invisible text layer whose letters are shifted by one
                       ("Uif" for "The"), as a wrong font encoding produces: triage finds it
                       ``garbage`` and OCR reads the image instead

``winnow pdf out/demo-pdfs/broken_layer.pdf`` shows the per-page decisions; ``winnow run configs/pdf.yaml --input
'out/demo-pdfs/*.pdf'`` runs them through the pipeline. ``article_pdf`` makes the born-digital kind as bytes for the
crawl's one ``application/pdf`` response (``pipeline.demo.crawl``).

Every file is the same bytes on every call and in every process, because the committed demo crawl is compared byte
for byte with a fresh one: the metadata dates are fixed, the fonts are PDF base-14 fonts (named, not embedded) and
the file identifier is not drawn at random (``no_new_id``).
"""

from __future__ import annotations

from pathlib import Path

import pymupdf

TEXTS = {
    "born_digital": [
        "Rivers and the Towns Beside Them",
        ("A river town grows along the water because the water brings trade, food and news. Boats carried grain "
         "and timber downstream long before roads were paved, and the first streets of many towns ran parallel "
         "to the bank so that every warehouse could reach a landing. When floods came, the lowest streets were "
         "given up to the river for a few weeks each spring, and the people who lived there learned to keep "
         "their valuables on the upper floors."),
        ("Over time the towns built walls of stone and earth to hold the water back. The walls protected the "
         "markets, but they also cut the town off from the river that had made it. Today many of these towns are "
         "opening their banks again, with parks that can flood safely and paths where people walk in the "
         "evening. The river is no longer a road for goods, yet it remains the reason the town is there at all."),
    ],
    "scanned": [
        "Notes on Keeping Bees in a Small Garden",
        ("Bees need three things from a garden: flowers through the whole season, clean water close to the hive, "
         "and a sheltered place that is warm in the morning. A small garden can provide all three if the "
         "planting is chosen with care. Early willows and crocuses feed the colony when it wakes in spring, "
         "while herbs such as thyme and marjoram carry it through the dry weeks of summer."),
        ("A beekeeper should open the hive only on calm, warm days and should move slowly. Most colonies are "
         "gentle when they are handled with patience, and the keeper learns to read the sound of the hive as a "
         "sign of its mood. In autumn enough honey must be left for the bees to survive the winter, because a "
         "colony that is robbed too thoroughly will starve before the first flowers return."),
    ],
    "broken_layer": [
        "How a Village Library Was Rebuilt",
        ("When the old library closed, the village lost more than a room full of books. It lost the place where "
         "children did their homework after school, where older residents read the newspaper, and where notices "
         "about lost cats and choir rehearsals were pinned beside the door. A group of neighbours decided to "
         "reopen it in the back of the community hall, with shelves made from donated timber."),
        ("The new library has no catalogue on a computer. Each book carries a card, and readers write their "
         "names on it when they borrow. The system is slow, but it has an unexpected benefit: people see who read "
         "a book before them and often stop to talk about it. The librarians say the conversations are the best "
         "part of the work, and the shelves are fuller now than they ever were before."),
    ],
}


# Fixed, so that the bytes do not depend on when a file is made.
METADATA = {"producer": "winnow demo", "creator": "winnow pipeline.demo", "creationDate": "D:20240101000000Z",
            "modDate": "D:20240101000000Z"}


def _shift(text: str) -> str:
    """Letters moved one place on (a->b, z->a): the text layer a broken font encoding leaves behind."""
    out = []
    for c in text:
        if "a" <= c <= "z":
            out.append(chr((ord(c) - 97 + 1) % 26 + 97))
        elif "A" <= c <= "Z":
            out.append(chr((ord(c) - 65 + 1) % 26 + 65))
        else:
            out.append(c)
    return "".join(out)


def _write_text(page: pymupdf.Page, title: str, paragraphs: list[str], render_mode: int = 0,
                shift: bool = False) -> None:
    """A title and paragraphs in Times on an A4 page; ``render_mode=3`` writes them invisible (an OCR layer)."""
    f = _shift if shift else (lambda s: s)
    page.insert_textbox(pymupdf.Rect(72, 72, 523, 120), f(title), fontsize=18, fontname="tibo",
                        render_mode=render_mode)
    y = 130
    for para in paragraphs:
        rect = pymupdf.Rect(72, y, 523, 800)
        left = page.insert_textbox(rect, f(para), fontsize=12, fontname="tiro", lineheight=1.4,
                                   render_mode=render_mode)
        if left < 0:
            raise ValueError(f"demo paragraph does not fit the page: {para[:40]!r}")
        y = rect.y1 - left + 18


def _page_split(paragraphs: list[str], n_pages: int) -> list[list[str]]:
    """The paragraphs cut into ``n_pages`` runs, the first ones one longer where they do not divide evenly."""
    per = -(-len(paragraphs) // n_pages)
    return [paragraphs[i * per:(i + 1) * per] for i in range(n_pages)]


def _born_digital(title: str, paragraphs: list[str], n_pages: int = 2) -> pymupdf.Document:
    doc = pymupdf.open()
    for i, paras in enumerate(_page_split(paragraphs, n_pages)):
        _write_text(doc.new_page(width=595, height=842), title if i == 0 else f"{title} (continued)", paras)
    return doc


def _images_of(doc: pymupdf.Document, dpi: int = 200) -> pymupdf.Document:
    """A new document whose pages are grayscale images of ``doc``'s pages (what a scanner produces)."""
    out = pymupdf.open()
    for page in doc:
        pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
        new = out.new_page(width=page.rect.width, height=page.rect.height)
        new.insert_image(new.rect, stream=pix.tobytes("png"))
    return out


def _to_bytes(doc: pymupdf.Document, title: str) -> bytes:
    """The document's bytes with the fixed metadata; closes ``doc``."""
    doc.set_metadata({**METADATA, "title": title, "author": "Winnow", "subject": "demo; CC0-1.0"})
    data = doc.tobytes(garbage=3, deflate=True, no_new_id=True)
    doc.close()
    return data


def article_pdf(title: str, paragraphs: list[str]) -> bytes:
    """A one-page born-digital PDF (title and paragraphs, with a text layer), as bytes."""
    return _to_bytes(_born_digital(title, paragraphs, n_pages=1), title)


def born_digital_pdf(title: str, paragraphs: list[str]) -> bytes:
    """Two pages with a clean text layer: triage reads them from the text layer."""
    return _to_bytes(_born_digital(title, paragraphs), title)


def scanned_pdf(title: str, paragraphs: list[str]) -> bytes:
    """Two pages that are only images of the born-digital ones: triage finds no text and OCRs them."""
    src = _born_digital(title, paragraphs)
    scan = _images_of(src)
    src.close()
    return _to_bytes(scan, title)


def broken_layer_pdf(title: str, paragraphs: list[str]) -> bytes:
    """Page images under an invisible, letter-shifted text layer: triage finds the layer garbage and OCRs."""
    src = _born_digital(title, paragraphs)
    broken = _images_of(src)
    src.close()
    for i, (page, paras) in enumerate(zip(broken, _page_split(paragraphs, 2))):
        _write_text(page, title if i == 0 else f"{title} (continued)", paras, render_mode=3, shift=True)
    return _to_bytes(broken, title)


MAKERS = {"born_digital": born_digital_pdf, "scanned": scanned_pdf, "broken_layer": broken_layer_pdf}


def write_demo_pdfs(directory: str | Path) -> list[str]:
    """Write the three demo PDFs into ``directory``; returns their paths (same bytes on every call)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in MAKERS.items():
        title, *paras = TEXTS[name]
        path = directory / f"{name}.pdf"
        path.write_bytes(make(title, paras))
        paths.append(str(path))
    return paths
