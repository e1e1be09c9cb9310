"""Bytes -> text for web pages whose declared encoding may be missing or wrong.

Order, as browsers do it: a byte-order mark; the HTTP ``Content-Type`` charset;
a ``<meta charset>`` in the first 4 KiB; strict UTF-8; a statistical guess
(resiliparse's uchardet binding); finally Windows-1252 with replacement
characters, which always succeeds. ISO-8859-1 and US-ASCII labels are read as
Windows-1252, as the WHATWG encoding standard says. The returned ``how`` names the
step that succeeded, so a run can count undeclared and mis-declared pages.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_WHATWG_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252",
                   "ascii": "cp1252"}


def _codec(label: str | bytes | None) -> str | None:
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    label = label.strip().strip("\"'").lower()
    label = _WHATWG_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _try(data: bytes, codec: str | None) -> str | None:
    if codec is None:
        return None
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError):  # UnicodeError: codecs such as "undefined" (a label some sites emit)
        return None


def decode_html(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode ``data``; returns ``(text, how)`` with how in bom|declared|meta|utf-8|detected|replaced."""
    for bom, codec in _BOMS:
        if data.startswith(bom) and (text := _try(data, codec)) is not None:
            return text, "bom"
    if (text := _try(data, _codec(declared))) is not None:
        return text, "declared"
    m = _META_CHARSET.search(data, 0, 4096)
    if m and (text := _try(data, _codec(m.group(1)))) is not None:
        return text, "meta"
    if (text := _try(data, "utf-8")) is not None:
        return text, "utf-8"
    from resiliparse.parse.encoding import detect_encoding

    if (text := _try(data, _codec(detect_encoding(data[:65536])))) is not None:
        return text, "detected"
    return data.decode("cp1252", errors="replace"), "replaced"
