"""The one normal form of a host and of a URL, shared by every stage that compares them.

``www.`` is dropped, case is folded and a trailing dot (the DNS root, ``example.com.``) is removed, so
``https://WWW.Example.com./a`` and ``http://example.com/a`` name the same host everywhere: the
``domain`` column, URL dedup, opt-out and licence domain lists. A domain list matches a host through
:func:`parent_domains`, the one walk from a host up to its top-level domain.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def normalise_host(host: str | None) -> str | None:
    """``host`` lower-cased, without a trailing dot and a leading ``www.``; None if nothing is left."""
    if not host:
        return None
    host = str(host).strip().lower().rstrip(".")
    host = host.removeprefix("www.")
    return host or None


def host_of(url: str | None) -> str | None:
    """The normal host of ``url`` (no port, no credentials); None if it has none or does not parse."""
    if not url:
        return None
    try:
        return normalise_host(urlsplit(str(url).strip()).hostname)
    except ValueError:
        return None


def parent_domains(host: str):
    """``host`` and every domain above it, longest first, down to and including the bare top-level domain:
    ``a.example.co.uk`` -> ``a.example.co.uk``, ``example.co.uk``, ``co.uk``, ``uk``.

    The one walk behind every domain list (opt-out rules, URL blocklists, licence domain lists, PII e-mail
    allow lists): an entry covers its domain and everything under it. The bare TLD is included because
    lists name whole TLDs on purpose: datatrove's UT1 blocklist lists ``xxx``, ``porn``, ``adult`` and
    ``sex``, and the reserved names ``test``, ``invalid`` and ``localhost`` (RFC 2606, RFC 6761) are TLDs.
    A list that does not name a TLD is unaffected. ``host`` is taken as given: normalise it first
    (:func:`normalise_host`, :func:`host_of`) where it comes from a URL.
    """
    parts = host.split(".")
    for i in range(len(parts)):
        yield ".".join(parts[i:])


def url_key(url: str | None) -> str | None:
    """A URL's identity for URL dedup: scheme, fragment and trailing slash removed, host normalised
    (path and query kept as written). None if there is no URL."""
    if not url:
        return None
    url = _SCHEME.sub("", url.strip().split("#", 1)[0])
    host, sep, rest = url.partition("/")
    return ((normalise_host(host) or "") + sep + rest).rstrip("/") or None


def chat_url(endpoint: str) -> str:
    """An OpenAI-compatible server's address -> its chat completions URL: ``http://host:8000``, ``.../v1`` or the
    full ``.../v1/chat/completions``. A ConfigError when it is not an http(s) URL."""
    from pipeline.errors import ConfigError

    if not re.match(r"https?://", endpoint):
        raise ConfigError(f"endpoint {endpoint!r} is not an http(s) URL (e.g. http://127.0.0.1:8000/v1)")
    url = endpoint.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    return url + ("/chat/completions" if url.endswith("/v1") else "/v1/chat/completions")
