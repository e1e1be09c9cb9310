"""OCR with a vision-language model behind any OpenAI-compatible endpoint (vLLM, SGLang, ...).

Meant for GPU users serving an olmOCR-style model, e.g.::

    vllm serve allenai/olmOCR-2-7B-1025-FP8 --port 8000
    winnow pdf paper.pdf --engine vlm --vlm-url http://127.0.0.1:8000/v1 --vlm-model allenai/olmOCR-2-7B-1025-FP8

Each page is rendered to a PNG whose longest side is ``image_dim`` pixels (1288, olmOCR's
default) and sent as a base64 ``image_url`` with olmOCR's prompt to ``/v1/chat/completions``.
Replies are read as olmOCR writes them (YAML front matter then the text; or JSON with
``natural_text``), or as plain text from any other model. Front matter asking for a rotation
(``rotation_correction: 90``) re-renders the page turned and asks once more.

Requests go through :mod:`pipeline.endpoint`: network errors, timeouts, HTTP 429/5xx (a
``Retry-After`` honoured) and, here, truncated replies (``finish_reason: length``) share
``retries`` more attempts, with jittered exponential backoff; then :class:`VlmError` is raised and
the caller (``ocr.extract``) falls back to Tesseract for that page. An outage does not stop later
pages from asking again: each page has its own fallback. The API key is read from
``WINNOW_VLM_API_KEY``. Nothing is fetched from a model hub: the client only talks to the URL it
is given.
"""

from __future__ import annotations

import json
import re

from pipeline.endpoint import Client, EndpointDown, RequestFailed, image_content

PROMPT = (
    "Attached is one page of a document that you must process. Just return the plain text representation of "
    "this document as if you were reading it naturally. Convert equations to LaTeX and tables to HTML.\n"
    "If there are any figures or charts, label them with the following markdown syntax "
    "![Alt text describing the contents of the figure](page_startx_starty_width_height.png)\n"
    "Return your output as markdown, with a front matter section on top specifying values for the "
    "primary_language, is_rotation_valid, rotation_correction, is_table, and is_diagram parameters."
)
_FRONT = re.compile(r"\A\s*---\s*\n(.*?)\n---\s*\n?", re.DOTALL)


class VlmError(RuntimeError):
    """The endpoint did not give a usable answer after the retries."""


def parse_reply(content: str) -> tuple[str, dict]:
    """(text, front matter) of a model's reply."""
    content = content or ""
    stripped = content.strip()
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and "natural_text" in obj:
            meta = {k: v for k, v in obj.items() if k != "natural_text"}
            return obj.get("natural_text") or "", meta
    m = _FRONT.match(content)
    if not m:
        return content.strip(), {}
    meta = {}
    for line in m.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            meta[key.strip()] = value.strip()
    return content[m.end():].strip(), meta


class VlmClient:
    """A page-image-to-text client for one OpenAI-compatible endpoint and model."""

    def __init__(self, url: str, model: str, timeout: float = 120.0, retries: int = 3, backoff: float = 1.0,
                 max_tokens: int = 4096, image_dim: int = 1288, prompt: str = PROMPT, api_key: str | None = None,
                 api_key_env: str = "WINNOW_VLM_API_KEY"):
        self.client = Client(url, model, api_key_env=api_key_env, api_key=api_key, timeout=timeout, retries=retries,
                             backoff=backoff, max_tokens=max_tokens, stop_on_outage=False)
        self.url, self.model = self.client.url, model
        self.image_dim = image_dim
        self.prompt = prompt

    def render_png(self, page, rotate: int = 0) -> bytes:
        import pymupdf

        longest = max(page.rect.width, page.rect.height) or 1.0
        zoom = self.image_dim / longest
        mat = pymupdf.Matrix(zoom, zoom)
        if rotate:
            mat = mat.prerotate(rotate)
        return page.get_pixmap(matrix=mat, alpha=False).tobytes("png")

    def ocr_page(self, page) -> str:
        text, meta = self.ocr_png(self.render_png(page))
        rot = str(meta.get("rotation_correction", "0")).strip()
        if str(meta.get("is_rotation_valid", "true")).lower() == "false" and rot in ("90", "180", "270"):
            text, _ = self.ocr_png(self.render_png(page, rotate=int(rot)))
        return text

    def ocr_png(self, png: bytes) -> tuple[str, dict]:
        """(text, front matter) of one page image; a truncated reply is asked again within the same attempts."""
        content = image_content(self.prompt, png)
        left = self.client.retries + 1
        while True:
            try:
                answer, finish_reason, used = self.client.complete(content, max_attempts=left)
            except (RequestFailed, EndpointDown) as e:
                raise VlmError(f"{self.url} ({self.model}): {e.reason}: {e}") from None
            left -= used
            if finish_reason != "length":
                return parse_reply(answer)
            if left <= 0:
                raise VlmError(f"{self.url} ({self.model}): reply truncated (finish_reason: length)")
