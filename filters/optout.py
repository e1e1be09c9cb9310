"""Opt-outs and offline URL blocklists: drop documents by where they come from.

``optout_v1`` drops documents whose URL matches a rule of a user-supplied list
file (``rules``: a local path; one rule a line, ``#`` starts a comment):

- ``example.com`` or ``domain:example.com``: the host and all its subdomains
  (``www.`` is ignored), any scheme and path.
- ``https://example.org/user/42``: a URL prefix (scheme and host
  case-insensitive, ``www.`` ignored).
- ``glob:*://*.example.net/private/*`` or any line with ``*``/``?``/``[``: a
  shell-style glob matched against the whole URL (``fnmatch``, case-sensitive
  on the path).
- ``re:^https?://(www\\.)?foo\\.org/(?:u|user)/`` : a Python regex searched in
  the URL.

Reasons: ``optout_domain``, ``optout_prefix``, ``optout_glob``,
``optout_regex``; the matching rule, as written in the file with its line
number (``optouts.txt:12: example.com``), goes to the metadata key
``optout_rule``. A document without a URL is kept and counted
(``no_url``). Domain rules are a set lookup per parent domain of the host
(independent of the number of rules); prefixes, globs and regexes are tried in
file order.

``url_blocklist_v1`` applies datatrove's bundled URL blocklists (the UT1
Toulouse lists FineWeb uses, ``datatrove/assets/url_filterblacklistsv0_3_0.tar.gz``,
4.56M domains and 19.6k URLs; and its banned / soft-banned / banned-subword
URL word lists) with datatrove ``URLFilter``'s rules, read straight from the
installed package: nothing is downloaded and ``tldextract`` is not used
(instead of its registered-domain / fqdn checks the host and every parent
domain are looked up, which covers both without a public-suffix list).
Reasons: ``url_blocklist_domain``, ``url_blocklist_url``,
``url_blocklist_hard_word``, ``url_blocklist_soft_words`` (at least
``soft_word_threshold`` soft words), ``url_blocklist_subword``. Loading the domain list
costs seconds and hundreds of MB per process, once (``lists`` can leave it out; docs/measurements.md).
"""

from __future__ import annotations

import re
import tarfile
from fnmatch import fnmatchcase
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa
from datatrove.data import Document
from datatrove.utils.logging import logger

from pipeline.errors import ConfigError
from pipeline.stage import Column, Stage, register
from pipeline.urls import normalise_host, parent_domains


def _url_parts(url: str) -> tuple[str, str] | None:
    """(host without www., URL with lower-cased scheme and host and without www.) or None."""
    try:
        sp = urlsplit(url.strip())
        host, port = sp.hostname, sp.port  # .port raises on a port out of range or not a number
    except ValueError:
        return None
    host = normalise_host(host)
    if not host:
        return None
    netloc = host + (f":{port}" if port else "")
    rest = url.strip().split(sp.netloc, 1)[1] if sp.netloc else ""
    return host, f"{sp.scheme.lower()}://{netloc}{rest}"


class OptOutRules:
    """Rules parsed from a list file; ``match(url)`` -> (kind, rule text) or None."""

    def __init__(self, path: str):
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"stages.optout_v1.rules: {path} does not exist")
        self.domains: dict[str, str] = {}
        self.ordered: list[tuple[str, object, str]] = []
        for n, raw in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            where = f"{p.name}:{n}: {line}"
            kind, sep, value = line.partition(":")
            kind = kind.lower() if sep and kind.lower() in ("domain", "glob", "re", "regex", "prefix") else ""
            value = value.strip() if kind else line
            if kind in ("re", "regex"):
                try:
                    self.ordered.append(("regex", re.compile(value), where))
                except re.error as e:
                    raise ConfigError(f"stages.optout_v1.rules: {where}: bad regex ({e})") from None
            elif kind == "glob" or (not kind and any(c in value for c in "*?[")):
                self.ordered.append(("glob", value, where))
            elif kind == "prefix" or (not kind and "://" in value):
                parts = _url_parts(value)
                if parts is None:
                    raise ConfigError(f"stages.optout_v1.rules: {where}: not a URL")
                self.ordered.append(("prefix", parts[1], where))
            else:
                d = value.lower().strip("/").rstrip(".")
                if "/" in d or " " in d or "." not in d:
                    raise ConfigError(f"stages.optout_v1.rules: {where}: expected a domain, URL, glob:, or re: rule")
                self.domains[normalise_host(d)] = where

    def __len__(self) -> int:
        return len(self.domains) + len(self.ordered)

    def match(self, url: str) -> tuple[str, str] | None:
        parts = _url_parts(url)
        if parts:
            host, norm = parts
            for d in parent_domains(host):
                if d in self.domains:
                    return "domain", self.domains[d]
        else:
            norm = url
        for kind, rule, where in self.ordered:
            if kind == "prefix" and norm.startswith(rule):
                return kind, where
            if kind == "glob" and (fnmatchcase(url, rule) or fnmatchcase(norm, rule)):
                return kind, where
            if kind == "regex" and rule.search(url):
                return kind, where
        return None


@register("optout_v1")
class OptOutFilter(Stage):
    """Drop documents whose URL matches an opt-out list (domains, URL prefixes, globs, regexes).

    ``rules``: local list file (see the module docstring for the line syntax).
    Reasons ``optout_domain|prefix|glob|regex``; the rule goes to ``optout_rule``.
    """

    columns = (Column("optout_rule", pa.string(), "the opt-out rule that matched, as file:line: rule"),)


    def __init__(self, rules: str, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.rules_path = rules
        self.rules = OptOutRules(rules)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        url = doc.metadata.get("url")
        if not url:
            self.stat_update("no_url")
            return True
        hit = self.rules.match(str(url))
        if hit is None:
            return True
        kind, where = hit
        doc.metadata["optout_rule"] = where
        return self.drop(kind)


# --- datatrove's bundled URL blocklists -------------------------------------------------------------------------
_NORMALIZER = re.compile(r"[^a-zA-Z0-9]+")
_LISTS = ("domains", "urls", "words")
_CACHE: dict[str, object] = {}


def _assets_dir() -> Path:
    from datatrove.utils._import_utils import ASSETS_PATH

    return Path(ASSETS_PATH)


def _word_list(name: str) -> set[str]:
    with open(_assets_dir() / name, encoding="utf-8") as f:
        return {_NORMALIZER.sub("", x).lower() for x in f if x.strip() and x[0] != "#"}


def _tar_list(member: str) -> frozenset[str]:
    key = f"tar:{member}"
    if key not in _CACHE:
        tar_path = _assets_dir() / "url_filterblacklistsv0_3_0.tar.gz"
        if not tar_path.is_file():
            raise ConfigError(f"stages.url_blocklist_v1: datatrove's bundled blocklist {tar_path} is missing "
                              "(reinstall datatrove)")
        with tarfile.open(tar_path, "r:gz") as tar:
            f = tar.extractfile(member)
            _CACHE[key] = frozenset(line.strip().decode("utf-8", "replace") for line in f if line.strip())
        logger.info(f"url_blocklist_v1: loaded {len(_CACHE[key])} entries of datatrove's '{member}' list")
    return _CACHE[key]


@register("url_blocklist_v1")
class URLBlocklist(Stage):
    """datatrove URLFilter's rules with its bundled lists (FineWeb), offline and without tldextract.

    ``lists``: any of domains, urls, words. ``extra_domains``/``extra_urls``:
    more entries. Reasons ``url_blocklist_domain|url|hard_word|soft_words|subword``.
    """


    def __init__(
        self,
        lists: list[str] = _LISTS,
        soft_word_threshold: int = 2,
        extra_domains: list[str] = (),
        extra_urls: list[str] = (),
        exclusion_writer=None,
    ):
        super().__init__(exclusion_writer)
        bad = [x for x in lists if x not in _LISTS]
        if bad:
            raise ConfigError(f"stages.url_blocklist_v1.lists: unknown list(s) {bad}; valid: {', '.join(_LISTS)}")
        self.lists = tuple(lists)
        self.soft_word_threshold = soft_word_threshold
        self.extra_domains = frozenset(normalise_host(d) for d in extra_domains)
        self.extra_urls = frozenset(extra_urls)
        self._loaded = False

    def _load(self):
        # Lazily, once per worker process: the step is pickled to workers before it runs.
        self.domains = _tar_list("domains") if "domains" in self.lists else frozenset()
        self.urls = _tar_list("urls") if "urls" in self.lists else frozenset()
        if "words" in self.lists:
            import ahocorasick

            self.banned_words = _word_list("banned_words.txt")
            self.soft_words = _word_list("soft_banned_words.txt")
            self.subwords = ahocorasick.Automaton(ahocorasick.STORE_INTS)
            for i, w in enumerate(_word_list("banned_subwords.txt")):
                self.subwords.add_word(w, i)
            self.subwords.make_automaton()
        else:
            self.banned_words = self.soft_words = set()
            self.subwords = None
        self._loaded = True

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if not self._loaded:
            self._load()
        url = doc.metadata.get("url")
        if not url:
            self.stat_update("no_url")
            return True
        url = str(url)
        parts = _url_parts(url)
        if parts:
            for d in parent_domains(parts[0]):
                if d in self.domains or d in self.extra_domains or ("www." + d) in self.domains:
                    return self.drop("domain")
        if url in self.urls or url in self.extra_urls:
            return self.drop("url")
        if self.subwords is not None:
            words = set(_NORMALIZER.split(url.lower()))
            if words & self.banned_words:
                return self.drop("hard_word")
            if len(words & self.soft_words) >= self.soft_word_threshold:
                return self.drop("soft_words")
            if next(self.subwords.iter(_NORMALIZER.sub("", url).lower()), False):
                return self.drop("subword")
        return True
