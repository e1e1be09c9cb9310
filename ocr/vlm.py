"""OCR with a vision-language model behind any OpenAI-compatible endpoint (vLLM, SGLang, ...).

Meant for GPU users serving an olmOCR-style model, e.g.::

    vllm serve allenai/olmOCR-2-7B-1025-FP8 --port 8000
    winnow pdf paper.pdf --engine vlm --vlm-url http://127.0.0.1:8000/v1 --vlm-model allenai/olmOCR-2-7B-1025-FP8

Each page is rendered to a PNG whose longest side is ``image_dim`` pixels (1288, olmOCR's
default) and sent as a base64 ``image_url`` with olmOCR's prompt to ``/v1/chat/completions``.
Replies are read as olmOCR writes them (YAML front matter then the text; or JSON with
``natural_text``), or as plain text from any other model. Front matter asking for a rotation
(``rotation_correction: 90``) re-renders the page turned and asks once more.

Network errors, timeouts, HTTP 429/5xx and truncated replies (``finish_reason: length``) are
retried ``retries`` times with exponential backoff; then :class:`VlmError` is raised and the
caller (``ocr.extract``) falls back to Tesseract for that page. Nothing is fetched from a model
hub: the client only talks to the URL it is given.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
import urllib.error
import urllib.request

from pipeline.urls import chat_url

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
                 max_tokens: int = 4096, image_dim: int = 1288, prompt: str = PROMPT, api_key: str | None = None):
        self.url = chat_url(url)
        self.model = model
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_tokens = max_tokens
        self.image_dim = image_dim
        self.prompt = prompt
        self.api_key = api_key if api_key is not None else os.environ.get("WINNOW_VLM_API_KEY")

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
        body = json.dumps({
            "model": self.model,
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": self.prompt},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode()}},
            ]}],
            "max_tokens": self.max_tokens,
            "temperature": 0.0,
        }).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        last = "no attempt"
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    reply = json.loads(resp.read().decode("utf-8"))
                choice = reply["choices"][0]
                if choice.get("finish_reason") == "length":
                    last = "reply truncated (finish_reason: length)"
                    continue
                return parse_reply(choice["message"]["content"])
            except urllib.error.HTTPError as e:
                last = f"HTTP {e.code}"
                if e.code != 429 and e.code < 500:
                    break  # a request the server will never accept
            except (urllib.error.URLError, TimeoutError, OSError) as e:
                last = f"{type(e).__name__}: {getattr(e, 'reason', e)}"
            except (ValueError, KeyError, IndexError, TypeError) as e:
                last = f"malformed reply ({type(e).__name__}: {e})"
        raise VlmError(f"{self.url} ({self.model}): {last}")
