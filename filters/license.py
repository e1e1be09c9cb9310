"""Licence detection: write ``license`` (an SPDX id) and ``license_source``; optionally keep only allowed licences.

``license_v1`` looks for a licence statement, most specific first, and writes
the SPDX id (``CC-BY-SA-4.0``, ``CC0-1.0``, ``MIT``, ``Apache-2.0``, ...) to
the ``license`` column and where it came from to ``license_source``:

1. ``html-rel``: ``<a|link rel="license" href=...>``, and Creative Commons
   links and badges anywhere in the page (``<a href="https://creativecommons.org/licenses/by-sa/4.0/">``,
   ``<img src="https://licensebuttons.net/l/by/4.0/88x31.png">``,
   ``i.creativecommons.org/l/...``). A licence URL is read, not guessed: CC
   ``licenses/<code>/<version>`` and ``publicdomain/zero/1.0``, opensource.org,
   apache.org, gnu.org and spdx.org licence pages.
2. ``html-meta``: ``<meta name|property="license|dc.rights|dcterms.license|
   dc.license|rights|og:license|copyright" content=...>`` and JSON-LD
   ``"license": ...``, read as a URL or a licence name.
3. ``pdf-metadata``: string values of ``doc.metadata["pdf_metadata"]`` (a
   dict, e.g. PyMuPDF's metadata or XMP ``dc:rights``) under keys naming
   licence/rights/copyright/subject/keywords.
4. ``text`` (in ``doc.text``) and ``html-text`` (in the visible text of the
   HTML page, where footers keep the statement the extractor drops): a licence
   statement in prose. ``SPDX-License-Identifier: X``; "... licensed/released/
   available/distributed under <licence>" whose subject is the work itself
   ("This work", "Content", "The software", "All text", or the sentence starts
   with "Licensed under"), e.g. the Creative Commons chooser's "This work is
   licensed under a Creative Commons Attribution-NonCommercial-NoDerivatives
   4.0 International License." (-> ``CC-BY-NC-ND-4.0``) and its German form
   ("Dieses Werk ist lizenziert unter ...", "stehen unsere Texte ... unter
   ..."); the licence is read from the rest of that sentence, by name or by a
   licence URL in it; the MIT grant ("Permission is hereby granted, free of
   charge, ..."); the GFDL notice ("Permission is granted to copy, distribute
   and/or modify this document under the terms of the GNU Free Documentation
   License, Version 1.3 or any later version" -> ``GFDL-1.3-or-later``); the
   CC0 waiver ("To the extent possible under law, X has waived all copyright
   and related or neighboring rights ..." -> ``CC0-1.0``); and a bare
   "CC BY-SA 4.0"-style abbreviation in the first or last 1,500 characters (a
   header or footer). Not the page's licence, so skipped: a statement about
   something else ("Linux is released under the GPL"), a credit (a photo, map,
   font... named in the sentence or the line before it, or "via Wikimedia
   Commons" after it: "Photo by X, licensed under CC BY 2.0"), and talk about
   licences ("we discuss CC BY-SA 4.0", "the Creative Commons licenses, e.g.
   ...", "explains why Wikipedia is licensed under ..."). ``doc.text`` is read
   first; the HTML's visible text when it gives nothing.
5. ``domain-list``: the user's file (``domain_list``: YAML or JSON mapping
   domain -> licence id, or a CSV of ``domain,license`` rows) matched against
   the document's ``domain``/``url`` host and its parent domains; with
   ``prefer_domain_list`` it wins over page signals.

Licence names are mapped to SPDX ids (CC BY/BY-SA/BY-ND/BY-NC/BY-NC-SA/BY-NC-ND
1.0-4.0 by words or abbreviation, CC0, MIT, Apache 2.0, GPL/LGPL/AGPL 2.0-3.0
with "or later", BSD 2/3-clause, MPL 2.0, GFDL 1.2/1.3, ISC, Unlicense, or any
literal SPDX id). A Creative Commons licence without a version, or a ported
version's jurisdiction (``3.0/de``, "3.0 Germany"), is not invented: no version -> no id;
ported -> the generic id (``CC-BY-3.0``). When nothing is found the
document's own ``license`` (as read from the input, e.g. a source dump's
field) is kept with ``license_source`` ``input``; otherwise both are null.

Where to place it: HTML signals live in the raw HTML, which ``extract_html_v1``
replaces with the main text. The stage reads ``doc.metadata["html"]`` when a
string is there, else ``doc.text`` when it looks like HTML (starts with a
doctype, ``<html``, ``<head`` or ``<meta``). So it works placed BEFORE
``extract_html_v1`` on raw HTML (all sources), and after it on plain text
(text, pdf-metadata and domain-list sources only, unless the extractor keeps
the HTML in ``metadata["html"]``, which then gives html-rel, html-meta and
html-text too).

Policy: with ``allow`` (SPDX ids or globs such as ``CC-BY-*``, case-insensitive)
only documents whose licence matches are kept; drops are
``license_not_allowed`` and ``license_unknown`` (no licence found; kept
instead with ``keep_unknown``).

``tests/test_license.py`` checks every form above on generated pages, the things that must give null
(statements about something else, credits, talk about licences, version-less CC mentions), and, in the slow
suite, the real pages of ``../shared/data/web/trafilatura-eval``; what was found there is in
docs/measurements.md.
"""

from __future__ import annotations

import csv
import html as html_lib
import re
from fnmatch import fnmatchcase
from pathlib import Path

import pyarrow as pa
from datatrove.data import Document

from pipeline.errors import ConfigError
from pipeline.stage import Column, Stage, register
from pipeline.urls import host_of, normalise_host, parent_domains

SOURCES = ("html-rel", "html-meta", "pdf-metadata", "text", "html-text", "domain-list")

_CC_CODES = {"by", "by-sa", "by-nd", "by-nc", "by-nc-sa", "by-nc-nd"}
_CC_VERSIONS = {"1.0", "2.0", "2.5", "3.0", "4.0"}
_KNOWN_IDS = {
    "MIT", "Apache-2.0", "Apache-1.1", "CC0-1.0", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only",
    "GPL-3.0-or-later", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later",
    "AGPL-3.0-only", "AGPL-3.0-or-later", "BSD-2-Clause", "BSD-3-Clause", "MPL-2.0", "GFDL-1.2-only",
    "GFDL-1.2-or-later", "GFDL-1.3-only", "GFDL-1.3-or-later", "ISC", "Unlicense", "PSF-2.0", "ODbL-1.0",
    "PDDL-1.0", "ODC-By-1.0", "EPL-2.0", "Zlib", "BSL-1.0", "WTFPL",
} | {f"CC-{c.upper()}-{v}" for c in _CC_CODES for v in _CC_VERSIONS}
_KNOWN_BY_UPPER = {k.upper(): k for k in _KNOWN_IDS}
# Old deprecated GPL ids people still write.
_ALIASES = {"GPL-2.0": "GPL-2.0-only", "GPL-3.0": "GPL-3.0-only", "LGPL-2.1": "LGPL-2.1-only",
            "LGPL-3.0": "LGPL-3.0-only", "AGPL-3.0": "AGPL-3.0-only", "GPL-2.0+": "GPL-2.0-or-later",
            "GPL-3.0+": "GPL-3.0-or-later", "GFDL-1.3": "GFDL-1.3-only", "GFDL-1.2": "GFDL-1.2-only"}


def _cc_id(code: str, version: str | None) -> str | None:
    parts = code.lower().replace("_", "-").strip("-").split("-")
    if parts[:1] != ["by"]:
        return None
    rest = set(parts[1:])
    if not rest <= {"sa", "nc", "nd"} or ("sa" in rest and "nd" in rest):
        return None
    code = "-".join(["by"] + [p for p in ("nc", "sa", "nd") if p in rest])
    if code not in _CC_CODES or version not in _CC_VERSIONS:
        return None
    return f"CC-{code.upper()}-{version}"


# --- URLs -------------------------------------------------------------------------------------------------------
_CC_URL_RE = re.compile(r"(?i)(?:creativecommons\.org/licen[sc]es|licensebuttons\.net/l|i\.creativecommons\.org/l)/"
                        r"([a-z\-]+)/(\d\.\d)")
_CC0_URL_RE = re.compile(r"(?i)(?:creativecommons\.org/publicdomain/zero|licensebuttons\.net/p/zero|"
                         r"i\.creativecommons\.org/p/zero)/1\.0")
_OTHER_URLS = [
    (re.compile(r"(?i)opensource\.org/licen[sc]es/mit"), "MIT"),
    (re.compile(r"(?i)(?:apache\.org/licen[sc]es/LICENSE-2\.0|opensource\.org/licen[sc]es/apache-2\.0)"), "Apache-2.0"),
    (re.compile(r"(?i)gnu\.org/licen[sc]es/(?:old-licenses/)?gpl-([23])\.0"), "GPL-{}.0-only"),
    (re.compile(r"(?i)gnu\.org/licen[sc]es/(?:old-licenses/)?lgpl-(2\.1|3\.0)"), "LGPL-{}-only"),
    (re.compile(r"(?i)gnu\.org/licen[sc]es/agpl-3\.0"), "AGPL-3.0-only"),
    (re.compile(r"(?i)gnu\.org/licen[sc]es/fdl-(1\.[23])"), "GFDL-{}-only"),
    (re.compile(r"(?i)opensource\.org/licen[sc]es/bsd-([23])-clause"), "BSD-{}-Clause"),
    (re.compile(r"(?i)mozilla\.org/(?:en-US/)?MPL/2\.0"), "MPL-2.0"),
    (re.compile(r"(?i)unlicense\.org"), "Unlicense"),
]
_SPDX_URL_RE = re.compile(r"(?i)spdx\.org/licenses/([A-Za-z0-9.\-+]+?)(?:\.html|\.json)?(?:[#?/]|$)")


def spdx_from_url(url: str) -> str | None:
    """The SPDX id a licence URL names, or None."""
    m = _CC_URL_RE.search(url)
    if m:
        return _cc_id(m.group(1), m.group(2))
    if _CC0_URL_RE.search(url):
        return "CC0-1.0"
    for pattern, sid in _OTHER_URLS:
        m = pattern.search(url)
        if m:
            return sid.format(*m.groups())
    m = _SPDX_URL_RE.search(url)
    if m:
        return known_id(m.group(1))
    return None


def known_id(s: str) -> str | None:
    s = s.strip()
    s = _ALIASES.get(s, s)
    return _KNOWN_BY_UPPER.get(s.upper())


# --- names ------------------------------------------------------------------------------------------------------
_V = r"(?:v(?:ersion)?\.?\s*)?(\d\.\d)"
_CC_WORDS_RE = re.compile(
    r"(?i)creative\s+commons\s*(?:licen[sc]e\s*)?[\s:,(]*((?:attribution|namensnennung)(?:[\s\-–,]+(?:non-?commercial|share-?alike|no-?deriv(?:ative)?s?|no\s+derivatives?|-?\s?keine\s*bearbeitung|nicht\s?kommerziell|keine\s+kommerzielle\s+nutzung|weitergabe\s+unter\s+gleichen\s+bedingungen))*)"
    rf"[\s\-–,]*(?:licen[sc]e\s*)?{_V}"
)
_CC_ABBR_RE = re.compile(
    r"(?i)\b(?:cc|creative\s+commons)[\s\-]+(by(?:[\s\-]+(?:sa|nc|nd)){0,2})[\s\-]*" + _V + r"(?![\d.]\d)"
)
_CC0_RE = re.compile(r"(?i)\b(?:cc0|cc[\s\-]zero|creative\s+commons\s+zero)\b")
_NAMES = [
    (re.compile(r"(?i)\bMIT\s+licen[sc]e|\blicen[sc]e\W{0,3}\s*MIT\b|\(MIT\)|\bthe\s+MIT\b|^\s*MIT\s*$"
                r"|\bExpat\s+licen[sc]e"), "MIT"),
    (re.compile(r"(?i)\bapache\s+(?:software\s+)?(?:licen[sc]e,?\s*)?(?:v(?:ersion)?\.?\s*)?2(?:\.0)?\b"
                r"|\bASL\s*2\.0|\bAL2\b"), "Apache-2.0"),
    (re.compile(r"(?i)\b(?:GNU\s+)?(?:Affero\s+General\s+Public\s+Licen[sc]e|AGPL)[\s,]*(?:v(?:ersion)?\.?\s*)?3"),
     "AGPL-3.0"),
    (re.compile(r"(?i)\b(?:GNU\s+)?(?:Lesser|Library)\s+General\s+Public\s+Licen[sc]e[\s,]*"
                r"(?:as\s+published\s+by\s+the\s+Free\s+Software\s+Foundation[\s,;]*)?(?:either\s+)?"
                r"(?:v(?:ersion)?\.?\s*)?(2\.1|3)|\bLGPL[\s\-]*v?(2\.1|3)"), "LGPL"),
    (re.compile(r"(?i)\b(?:GNU\s+)?General\s+Public\s+Licen[sc]e[\s,]*"
                r"(?:as\s+published\s+by\s+the\s+Free\s+Software\s+Foundation[\s,;]*)?(?:either\s+)?"
                r"(?:v(?:ersion)?\.?\s*)?([23])\b|\bGPL[\s\-]*v?([23])\b"), "GPL"),
    (re.compile(r"(?i)\bGNU\s+Free\s+Documentation\s+Licen[sc]e[\s,]*(?:v(?:ersion)?\.?\s*)?(1\.[23])"
                r"|\bGFDL[\s\-]*v?(1\.[23])"), "GFDL"),
    (re.compile(r"(?i)\b(?:3|three)[\s\-]clause\s+BSD|\bBSD[\s\-]+(?:3|three)[\s\-]clause"
                r"|\b(?:new|modified|revised)\s+BSD\s+licen[sc]e"), "BSD-3-Clause"),
    (re.compile(r"(?i)\b(?:2|two)[\s\-]clause\s+BSD|\bBSD[\s\-]+(?:2|two)[\s\-]clause"
                r"|\b(?:simplified|freebsd)\s+(?:BSD\s+)?licen[sc]e"), "BSD-2-Clause"),
    (re.compile(r"(?i)\bMozilla\s+Public\s+Licen[sc]e[\s,]*(?:v(?:ersion)?\.?\s*)?2\.0|\bMPL[\s\-]*v?2\.0"), "MPL-2.0"),
    (re.compile(r"(?i)\bISC\s+licen[sc]e"), "ISC"),
    (re.compile(r"(?i)\bthe\s+unlicense\b"), "Unlicense"),
]
_OR_LATER_RE = re.compile(r"(?i)or\s+\(?at\s+your\s+option\)?\s+any\s+later|or\s+(?:any\s+)?later|\+|-or-later")
_SPDX_TOKEN_RE = re.compile(r"(?<![\w.\-])([A-Za-z][A-Za-z0-9.\-+]{1,30}[A-Za-z0-9+])(?![\w\-])")


def spdx_from_name(s: str) -> str | None:
    """The SPDX id a licence name or a short statement names (``CC BY-SA 4.0``, ``MIT License``...), or None."""
    if not s:
        return None
    m = _CC_WORDS_RE.search(s)
    if m:
        words = m.group(1).lower()
        code = ["by"]
        if re.search(r"non-?commercial|nicht\s?kommerziell|kommerzielle\s+nutzung", words):
            code.append("nc")
        if re.search(r"share-?alike|gleichen", words):
            code.append("sa")
        if re.search(r"no-?deriv|no\s+derivative|keine\s*bearbeitung", words):
            code.append("nd")
        return _cc_id("-".join(code), m.group(2))
    m = _CC_ABBR_RE.search(s)
    if m:
        return _cc_id(re.sub(r"[\s\-]+", "-", m.group(1)), m.group(2))
    if _CC0_RE.search(s):
        return "CC0-1.0"
    for pattern, sid in _NAMES:
        m = pattern.search(s)
        if not m:
            continue
        version = next((g for g in m.groups() if g), None) if m.groups() else None
        tail = s[m.end(): m.end() + 120]
        later = bool(_OR_LATER_RE.match(tail.lstrip(" ,;")) or _OR_LATER_RE.search(tail[:80]))
        if sid in ("GPL", "LGPL", "GFDL"):
            if sid == "LGPL" and version == "3":
                version = "3.0"
            if sid == "GPL":
                version = f"{version}.0"
            return f"{sid}-{version}-{'or-later' if later else 'only'}"
        if sid == "AGPL-3.0":
            return f"AGPL-3.0-{'or-later' if later else 'only'}"
        return sid
    for tok in _SPDX_TOKEN_RE.findall(s):
        if any(c.isdigit() for c in tok):
            sid = known_id(tok)
            if sid:
                return sid
        elif tok in ("MIT", "ISC", "Unlicense", "Zlib", "WTFPL"):  # exact case: German "mit" is "with"
            return tok
    return None


def spdx_from_value(s: str) -> str | None:
    """A meta/metadata value: a URL or a name."""
    return spdx_from_url(s) or spdx_from_name(s)


# --- HTML -------------------------------------------------------------------------------------------------------
_LOOKS_HTML_RE = re.compile(
    r"(?is)^\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html|<head|<meta|<\?xml[^>]*>\s*<(?:!doctype|html))"
)
_TAG_RE = re.compile(r"(?is)<(a|link|meta|img|area)\b([^>]{0,2000})>")
_ATTR_RE = re.compile(r"""(?is)([a-z_:\-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_JSONLD_LICENSE_RE = re.compile(r"""(?i)"license"\s*:\s*"([^"]{1,300})\"""")
_META_NAMES = {"license", "licence", "dc.rights", "dcterms.license", "dc.license", "dcterms.rights", "rights",
               "og:license", "copyright", "dc.rights.license", "citation_license", "twitter:license"}
_DROP_BLOCKS_RE = re.compile(r"(?is)<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->")
_STRIP_TAGS_RE = re.compile(r"(?s)<[^>]*>")
_WS_RE = re.compile(r"[ \t\r\f\v]+")
_BLOCK_TAG_RE = re.compile(r"(?i)</?(?:p|div|br|li|footer|section|tr|h[1-6]|ul|ol|table|article|header)\b[^>]*>")


def looks_like_html(text: str) -> bool:
    return bool(_LOOKS_HTML_RE.match(text[:2000]))


def _attrs(body: str) -> dict[str, str]:
    return {m.group(1).lower(): html_lib.unescape(m.group(2) or m.group(3) or m.group(4) or "")
            for m in _ATTR_RE.finditer(body)}


_BADGE_RE = re.compile(
    r"(?i)(?:licensebuttons\.net|i\.creativecommons\.org|mirrors\.creativecommons\.org)/[lp]/|(?:88x31|80x15)\.png"
)
# A Creative Commons link next to these words licenses a photo, a map or a song on the page, not the page.
_CREDIT_RE = re.compile(
    r"(?i)\b(?:bild\w*|foto\w*|photo\w*|image\w*|picture|credits?|quelle|source|via|flickr|wikimedia|unsplash|"
    r"pixabay|musik|music|map\s+data|openstreetmap|titelbild|beitragsbild|header|lightbox|font|icons?|theme)\b"
)
_SITE_RE = re.compile(
    r"(?i)\b(?:all|alle|this|these|dies\w*|content|contents|inhalte?|texte?|blog|site|website|webseite|seite|work|werk|"
    r"articles?|artikel|beitr\w*ge|published|ver\w*ffentlicht|licen[sc]ed|lizen[sz]iert|steh\w*\s+unter)\b|©|&copy;"
)


def _is_badge(tag: str, url: str, page: str, end: int) -> bool:
    """The CC badge image, or a link whose first content is that image."""
    if tag == "img":
        return bool(_BADGE_RE.search(url))
    return tag == "a" and bool(_BADGE_RE.search(page[end: end + 400].split("</a", 1)[0]))


def _site_statement_around(page: str, start: int, end: int) -> bool:
    before = visible_text(page[max(0, start - 1500): start])[-250:]
    after = visible_text(page[end: end + 600])[:100]
    return bool(_SITE_RE.search(before)) and not is_credit(before[-160:], after)


def is_credit(before: str, after: str) -> bool:
    """A licence mention that credits a photo, map or song (cue words just before it or right after it)."""
    return bool(_CREDIT_RE.search(before) or _CREDIT_RE.search(after))


def from_html(page: str) -> tuple[str | None, str | None]:
    """(SPDX id, source) from the HTML signals of ``page``: rel=license, CC links/badges, meta tags."""
    rel_found = meta_found = cc_found = None
    for m in _TAG_RE.finditer(page):
        tag = m.group(1).lower()
        body = m.group(2)
        low = body.lower()
        if "licen" not in low and "creativecommons" not in low and "licensebuttons" not in low and "rights" not in low:
            continue
        a = _attrs(body)
        if tag == "meta":
            key = (a.get("name") or a.get("property") or a.get("itemprop") or "").lower()
            if key in _META_NAMES and meta_found is None:
                meta_found = spdx_from_value(a.get("content", ""))
            continue
        rel = a.get("rel", "").lower().split()
        url = a.get("href") or a.get("src") or ""
        if "license" in rel and rel_found is None:
            rel_found = spdx_from_url(url)
        elif cc_found is None and ("creativecommons" in url.lower() or "licensebuttons" in url.lower()):
            if _is_badge(tag, url, page, m.end()) or _site_statement_around(page, m.start(), m.end()):
                cc_found = spdx_from_url(url)
    if rel_found or cc_found:
        return rel_found or cc_found, "html-rel"
    if meta_found is None:
        for m in _JSONLD_LICENSE_RE.finditer(page):
            meta_found = spdx_from_value(m.group(1))
            if meta_found:
                break
    if meta_found:
        return meta_found, "html-meta"
    return None, None


def visible_text(page: str) -> str:
    page = _DROP_BLOCKS_RE.sub(" ", page)
    page = _BLOCK_TAG_RE.sub("\n", page)
    text = html_lib.unescape(_STRIP_TAGS_RE.sub(" ", page))
    return _WS_RE.sub(" ", text)


# --- text -------------------------------------------------------------------------------------------------------
_SPDX_LINE_RE = re.compile(r"SPDX-License-Identifier:\s*([A-Za-z0-9.\-+]+)")
_STATEMENT_RE = re.compile(
    r"(?i)\b(?:licen[sc]ed|released|(?:made\s+)?available|distributed|published|dedicated|offered|provided|shared|"
    r"modify\s+it)"
    r"(?:\s+(?:to\s+the\s+public\s+domain\s+)?(?:\w+\s+){0,2}?)?\s*under\b"
    # German puts the subject after the verb ("stehen unsere Texte ... unter"), so the match includes it.
    r"|(?P<de>\b(?:lizen[sz]iert|ver\w{1,2}ffentlicht|steh\w{0,2}|verf\w{1,2}gbar)\s+(?:[\w\-]+\s+){0,5}?unter\b)"
)
_SUBJECT_RE = re.compile(
    r"(?i)(?:^|\b)(?:this|these|our|all|its|content|contents|text|texts|work|works|site|website|page|pages|article|"
    r"articles|material|materials|post|posts|blog|code|software|program|source|document|documentation|file|files|"
    r"photo|photos|image|images|dataset|data|project|repository|wiki|book|unless|except|©|copyright|\(c\)|"
    r"dies\w*|unser\w*|alle|inhalte?|texte|werk|beitr\w*ge?|artikel|seite|weblog|webseite|soweit|sofern)\b|©"
)
# "we discuss the CC BY-SA 4.0 licence", "what CC BY means": the sentence talks about a licence, it does not grant one.
_MENTION_RE = re.compile(
    r"(?i)\b(?:discuss\w*|explain\w*|compar\w*|differen\w*|versus|vs|such\s+as|e\.\s?g|for\s+(?:example|instance)|"
    r"what\s+(?:is|are|does)|means?|meaning|choos\w*|chose|whether|how|why|licenses|licences|lizenzen|erkl\w*rt?)\b"
)
_HAS_WORD_RE = re.compile(r"\w")
_MIT_GRANT_RE = re.compile(
    r"(?i)permission\s+is\s+hereby\s+granted,\s+free\s+of\s+charge,\s+to\s+any\s+person\s+obtaining"
)
# The GFDL's own notice; the licence name and version follow it.
_GFDL_GRANT_RE = re.compile(r"(?i)permission\s+is\s+granted\s+to\s+copy,\s+distribute\s+and/or\s+modify\s+this\s+"
                            r"document\s+under\s+the\s+terms\s+of\b")
# The CC0 chooser's waiver sentence and the CC0 deed's summary (neither names the licence).
_CC0_WAIVER_RE = re.compile(
    r"(?i)to\s+the\s+extent\s+possible\s+under\s+law,?[^.!?]{1,200}?\bha(?:s|ve)\s+waived\s+all\s+copyright\s+and\s+"
    r"related\s+or\s+neighbou?ring\s+rights|\bhas\s+dedicated\s+the\s+work\s+to\s+the\s+public\s+domain\s+by\s+waiving"
)
# A sentence break: not the dot in "4.0" or "v2.1".
_SENTENCE_BREAK_RE = re.compile(r"[.!?](?=\s|$)|[\n|•·]")
# The end of the sentence a licence name sits in ("4.0" and "e.g." are not ends; a line break inside a sentence
# is common in HTML source, so only a blank line ends it).
_SENTENCE_END_RE = re.compile(r"[.!?](?=\s|$)|[|•·]|\n\s*\n")


def _sentence_prefix(text: str, at: int) -> str:
    before = text[max(0, at - 160): at]
    cuts = [c.end() for c in _SENTENCE_BREAK_RE.finditer(before)]
    return before[cuts[-1]:].lstrip() if cuts else before


def _line_before(text: str, at: int) -> str:
    """The rest of the line before ``at`` (a caption's "Image credit: NASA." before "Licensed under ...")."""
    return text[max(0, at - 120): at].rsplit("\n", 1)[-1]


def _sentence_tail(text: str, at: int) -> str:
    tail = text[at: at + 200]
    cut = _SENTENCE_END_RE.search(tail)
    return tail[: cut.start()] if cut else tail


def _credits_something(prefix: str, tail: str) -> bool:
    """The sentence licenses a photo, map, font... ("Photo by X, licensed under CC BY 2.0", "... via Wikimedia")."""
    return is_credit(re.sub(r"(?i)\bsource\s+code\b", "", prefix), tail.split("\n", 1)[0])


def from_text(text: str) -> str | None:
    """SPDX id from a licence statement in plain text, or None (see the module docstring for what counts)."""
    m = _SPDX_LINE_RE.search(text)
    if m:
        sid = known_id(m.group(1))
        if sid:
            return sid
    for m in _STATEMENT_RE.finditer(text):
        prefix = _sentence_prefix(text, m.start())
        subject = prefix + (m.group("de") or "")
        if _HAS_WORD_RE.search(prefix) and not _SUBJECT_RE.search(subject):  # "# Licensed under" is fine
            continue
        tail = _sentence_tail(text, m.end())
        context = prefix if _HAS_WORD_RE.search(prefix) else _line_before(text, m.start())
        if _MENTION_RE.search(prefix) or _credits_something(context, tail):
            continue
        sid = spdx_from_name(tail) or spdx_from_url(tail)
        if sid:
            return sid
    for m in _GFDL_GRANT_RE.finditer(text):
        sid = spdx_from_name(_sentence_tail(text, m.end()))
        if sid and sid.startswith("GFDL"):
            return sid
    if _MIT_GRANT_RE.search(text):
        return "MIT"
    if _CC0_WAIVER_RE.search(text):
        return "CC0-1.0"
    edges = text if len(text) <= 3000 else text[:1500] + "\n" + text[-1500:]
    for m in _CC_ABBR_RE.finditer(edges):
        prefix, tail = _sentence_prefix(edges, m.start()), _sentence_tail(edges, m.end())
        if _STATEMENT_RE.search(prefix) or _MENTION_RE.search(prefix) or _MENTION_RE.search(tail):
            continue  # a statement about something else (rejected above) or talk about licences
        if not is_credit(edges[max(0, m.start() - 160): m.start()], edges[m.end(): m.end() + 100]):
            return _cc_id(re.sub(r"[\s\-]+", "-", m.group(1)), m.group(2))
    return None


_PDF_KEYS_RE = re.compile(r"(?i)licen[sc]e|rights|copyright|subject|keywords|xmp")


def from_pdf_metadata(md) -> str | None:
    if not isinstance(md, dict):
        return None
    for key, value in md.items():
        if not isinstance(value, str) or not _PDF_KEYS_RE.search(str(key)):
            continue
        sid = spdx_from_url(value) or (
            spdx_from_name(value) if re.search(r"(?i)licen|rights|creative|cc|spdx|gpl|mit", value) else None
        )
        if sid:
            return sid
    return None


# --- domain list ------------------------------------------------------------------------------------------------
def load_domain_list(path: str) -> dict[str, str]:
    """``{domain: SPDX id}`` from YAML/JSON (a mapping) or CSV (``domain,license`` rows; a header row is skipped)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"stages.license_v1.domain_list: {path} does not exist")
    suffix = p.suffix.lower()
    raw: dict
    if suffix in (".yaml", ".yml", ".json"):
        from pipeline.config import load_yaml

        raw = load_yaml(p, "stages.license_v1.domain_list") or {}  # JSON is YAML
        if not isinstance(raw, dict):
            raise ConfigError(f"stages.license_v1.domain_list: {path} must be a mapping of domain -> licence id")
    elif suffix in (".csv", ".tsv"):
        raw = {}
        with p.open(newline="", encoding="utf-8") as f:
            for row in csv.reader(f, delimiter="\t" if suffix == ".tsv" else ","):
                if (len(row) >= 2 and row[0].strip() and not row[0].startswith("#")
                        and row[0].strip().lower() != "domain"):
                    raw[row[0]] = row[1]
    else:
        raise ConfigError(f"stages.license_v1.domain_list: {path}: expected .yaml, .yml, .json, .csv or .tsv")
    out = {}
    for domain, lic in raw.items():
        sid = known_id(str(lic)) or spdx_from_value(str(lic))
        if not sid:
            raise ConfigError(
                f"stages.license_v1.domain_list: {path}: {lic!r} (for {domain}) is not a known licence id"
            )
        out[normalise_host(str(domain))] = sid
    return out


def _host(doc: Document) -> str | None:
    host = doc.metadata.get("domain")
    if not host or "." not in str(host):
        return host_of(doc.metadata.get("url"))
    return normalise_host(host)


def detect(doc: Document, domains: dict[str, str] | None = None, prefer_domain_list: bool = False):
    """(SPDX id, source) for ``doc``, or (None, None)."""
    by_domain = None
    if domains:
        host = _host(doc)
        if host:
            for d in parent_domains(host):
                sid = domains.get(d)
                if sid:
                    by_domain = (sid, "domain-list")
                    break
    if by_domain and prefer_domain_list:
        return by_domain
    text = doc.text or ""
    page = doc.metadata.get("html")
    if not isinstance(page, str) or not page:
        page = text if looks_like_html(text) else None
    if page is not None:
        sid, source = from_html(page)
        if sid:
            return sid, source
    sid = from_pdf_metadata(doc.metadata.get("pdf_metadata"))
    if sid:
        return sid, "pdf-metadata"
    if page is not text:  # plain text, or text extracted beside the HTML in metadata["html"]
        sid = from_text(text)
        if sid:
            return sid, "text"
    if page is not None:  # the statement usually sits in the footer, which the extractor drops
        sid = from_text(visible_text(page))
        if sid:
            return sid, "html-text"
    return by_domain or (None, None)


@register("license_v1")
class LicenseFilter(Stage):
    """Write ``license`` (SPDX id or null) and ``license_source``; with ``allow``, keep only those licences.

    Place before ``extract_html_v1`` to read HTML signals (rel=license, CC badges,
    meta tags); after it only text, PDF metadata and the domain list are seen.
    ``domain_list``: local YAML/JSON/CSV file of domain -> licence; an entry covers its subdomains
    (``pipeline.urls.parent_domains``: a bare TLD entry covers the whole TLD).
    ``allow``: SPDX ids or globs; drops ``license_not_allowed`` / ``license_unknown``
    (unless ``keep_unknown``).
    """

    columns = (
        Column("license", pa.string(), "SPDX id of the licence found (CC-BY-4.0, ...), null when none"),
        Column("license_source", pa.string(),
               "where it was found: html-rel, html-meta, pdf-metadata, text, html-text, input"),
    )


    def __init__(
        self,
        allow: list[str] | None = None,
        keep_unknown: bool = False,
        domain_list: str | None = None,
        prefer_domain_list: bool = False,
        exclusion_writer=None,
    ):
        super().__init__(exclusion_writer)
        self.allow = None if allow is None else [a.upper() for a in allow]
        self.keep_unknown = keep_unknown
        self.domain_list = domain_list
        self.domains = load_domain_list(domain_list) if domain_list else None
        self.prefer_domain_list = prefer_domain_list

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        sid, source = detect(doc, self.domains, self.prefer_domain_list)
        if sid is None and doc.metadata.get("license"):
            sid, source = doc.metadata["license"], doc.metadata.get("license_source") or "input"
        doc.metadata["license"] = sid
        doc.metadata["license_source"] = source
        self.stat_update(f"license_{source or 'none'}")
        if self.allow is None:
            return True
        if sid is None:
            return True if self.keep_unknown else self.drop("unknown")
        if any(fnmatchcase(sid.upper(), a) for a in self.allow):
            return True
        return self.drop("not_allowed")

    @classmethod
    def report_section(cls, rd) -> str | None:
        """``section-license`` of ``winnow report`` (:func:`report_section`)."""
        return report_section(rd)


# ----------------------------------------------------------------------------------------------- the report


def licence_findings(rd) -> tuple[bool, list[tuple], list[tuple], tuple[int, int]]:
    """Licences in a finished run: (license_v1 ran (its ``license_source`` column is present); (licence, kept,
    removed) per SPDX id; (license_source, kept, removed) for licensed documents; documents without a licence,
    kept and removed). The ``license`` column may also come from the input, without license_v1."""
    ran = rd.has("license_source")
    by_licence, by_source, none = [], [], (0, 0)
    if rd.has("license"):
        by_licence = rd.rows("select license, count(*) filter (where kept), count(*) filter (where not kept) "
                             "from all_documents where license is not null group by 1 order by count(*) desc, 1")
        none = rd.one("select count(*) filter (where kept), count(*) filter (where not kept) from all_documents "
                      "where license is null")
    if ran:
        by_source = rd.rows("select coalesce(license_source, '(none)'), count(*) filter (where kept), "
                            "count(*) filter (where not kept) from all_documents where license is not null "
                            "group by 1 order by count(*) desc, 1")
    return ran, by_licence, by_source, tuple(none)


def report_section(rd) -> str:
    """``section-license``: licences found, per SPDX id and per ``license_source``, kept and removed, and the
    documents without one; ``not run`` / ``none found`` in ``license-status``."""
    from pipeline import report_html as h

    ran, by_licence, by_source, unlicensed = licence_findings(rd)
    title = "Licences"
    if not ran and not by_licence:
        return h.section("section-license", title, h.status(
            "license", h.NOT_RUN,
            "license_v1 did not run (no license_source column) and the input carries no licence."))
    if ran and not by_licence:
        return h.section("section-license", title, h.status(
            "license", h.NONE_FOUND, "no document carries a licence signal" + h.stage_ran(rd, "license_") + "."))
    n = sum(r[1] + r[2] for r in by_licence)
    total = n + sum(unlicensed)
    text = (f"{n:,} of {total:,} documents carry a licence." if ran
            else f"license_v1 did not run; {n:,} of {total:,} documents carry a licence from the input.")
    parts = [h.status("license", h.FOUND, text),
             "<h3>By licence</h3>" + h.table(["licence", "kept", "removed", "% of documents"],
                                              [(k, a, b, h.cell_num(h.pct(a + b, total))) for k, a, b in by_licence],
                                              table_id="table-licences")]
    if ran:
        parts.append("<h3>By where it was found</h3>" + h.table(["license_source", "kept", "removed"], by_source,
                                                                 table_id="table-license-sources"))
    parts.append(h.note(f"Without a licence: {unlicensed[0]:,} kept, {unlicensed[1]:,} removed."))
    return h.section("section-license", title, *parts)
