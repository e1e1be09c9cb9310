"""PII: mask (or drop documents with) e-mail addresses, phone numbers, IP addresses and payment-card numbers.

``pii_v1`` finds four kinds of personal data in ``doc.text`` and replaces each
with a typed placeholder (``<EMAIL>``, ``<PHONE>``, ``<IP>``, ``<CARD>``), or,
in ``mode: drop``, drops the document with reason ``pii_contains_<type>`` (the
first type found in the order email, phone, ip, card). Either way it records the
number of matches of each enabled type as the integer metadata keys
``pii_email``, ``pii_phone``, ``pii_ip``, ``pii_card`` (0 when none; absent for
a type that is not enabled).

The rules are FineWeb's (datatrove ``PIIFormatter``: e-mails, and IPv4
addresses that are globally routable) widened to phones, IPv6 and cards, with
each pattern anchored so that the look-alikes of technical text do not match:

- e-mail: ``local@host.tld`` with a letters-only TLD of 2-24 characters (so
  ``user@1.2.3`` and Python decorators ``@property`` do not match). Addresses at
  the RFC 2606/6761 reserved names (``example.com/.net/.org``, ``*.example``,
  ``*.test``, ``*.invalid``, ``*.localhost``) are never PII; more by
  ``allow_emails`` (a full address, or a domain, which also covers its
  subdomains).
- IP: dotted-quad IPv4 and IPv6 (full or ``::``-compressed, optionally with an
  embedded IPv4), parsed by :mod:`ipaddress`. Only globally routable addresses
  are masked by default (``ip_public_only``), as in FineWeb: private, loopback,
  link-local and documentation ranges (192.0.2.0/24, 2001:db8::/32...) are left
  alone. ``allow_ips`` lists addresses or CIDR networks that are never masked
  (default: the well-known public DNS resolvers, which appear in
  documentation, not as anyone's address). A dotted quad inside a longer
  dotted run (``1.2.3.4.5``, an OID or a version) is not an address.
- card: 13-19 digits, unseparated or in groups split by single spaces or
  hyphens, with a known issuer prefix (Visa, Mastercard, Amex, Discover, JCB,
  Diners, UnionPay, Maestro) and a valid Luhn check digit.
- phone: an international number (``+`` and country code, then 6-14 more digits
  in groups split by spaces, dots, hyphens or brackets, E.164's 15 at most); a
  North American number (``(555) 123-4567``, ``555-123-4567``,
  ``555.123.4567``, ``1-800-555-0199``); a European national number starting
  with a trunk ``0`` (``020 7946 0958``, ``030 1234567``, ``01 23 45 67 89``,
  ``06-12345678``); and, only after a cue word (``tel``, ``phone``, ``fax``,
  ``mobile``, ``call``...), a run of 7-15 digits in any of those forms.

What is left alone, and why it does not match: dates (``2024-01-15``,
``15.01.2024``: the groups are 4-2-2 or 2-2-4, never a phone shape), times,
version numbers (``3.11.2``, ``1.2.3.4.5``), ISBNs (a phone or card candidate
preceded by ``ISBN`` or shaped 978/979-..., is skipped), DOIs (``10.1000/182``:
a ``/`` joined to the digits rejects a candidate), numbers inside identifiers,
hex or longer digit runs (a candidate must not touch a letter, digit, ``_`` or
a joining ``.``/``-``/``/`` followed by a digit), arithmetic (a ``+`` after a
word, digit or bracket is an operator, not a country code).

Known trade-off: the version rule leaves quads like ``8.8.8.8`` or
``10.0.0.1`` alone (first part <= 20 and two small parts).
``tests/test_pii.py`` measures recall on values planted in real text and false masks on clean real text
(results in docs/measurements.md); ``tests/bench/bench_pii.py`` the speed against datatrove's
``PIIFormatter``, which looks for e-mails and IPv4 only (README).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

import pyarrow as pa
from datatrove.data import Document

from pipeline.errors import ConfigError
from pipeline.stage import Column, Stage, register
from pipeline.text_edits import apply_edits, replace_spans
from pipeline.urls import parent_domains

PII_TYPES = ("email", "phone", "ip", "card")
PLACEHOLDERS = {"email": "<EMAIL>", "phone": "<PHONE>", "ip": "<IP>", "card": "<CARD>"}

# RFC 2606 / RFC 6761 names: documentation and test addresses are nobody's.
_RESERVED_EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "example", "test", "invalid", "localhost")
# Public resolvers are quoted in documentation and configuration, not as someone's address.
DEFAULT_ALLOW_IPS = ("8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112",
                     "208.67.222.222", "208.67.220.220", "2001:4860:4860::8888", "2001:4860:4860::8844",
                     "2606:4700:4700::1111", "2606:4700:4700::1001")

# A match must not be glued to a word character, or to a joining punctuation mark that continues a number.
_LEFT = r"(?<![\w@.+\-/])(?<![\w][.\-/])"
_LEFT_NUM = r"(?<![\w.\-/+])"
_RIGHT_NUM = r"(?![\w])(?![.\-/]\d)"

_EMAIL_RE = re.compile(
    r"(?<![\w.%+\-])[A-Za-z0-9](?:[A-Za-z0-9._%+\-]{0,63}[A-Za-z0-9_%+\-])?"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})(?![\w\-]|\.[A-Za-z0-9]|:[\w~/])"
)
_IPV4 = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
_IPV4_CANDIDATE_RE = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
_IPV4_RE = re.compile(rf"(?<![\w.])(?<!\d\.){_IPV4}(?![\w])(?!\.\w)(?!/\d)")
_H = r"[0-9A-Fa-f]{1,4}"
_IPV6_RE = re.compile(
    r"(?<![\w:.])(?:"
    rf"(?:{_H}:){{7}}{_H}"
    rf"|(?:{_H}:){{1,7}}:(?:{_H}(?::{_H}){{0,6}})?"
    rf"|::(?:{_H}(?::{_H}){{0,6}})"
    rf"|(?:{_H}:){{6}}{_IPV4}|(?:{_H}:){{1,5}}:(?:{_H}:){{0,4}}{_IPV4}|::(?:ffff:)?{_IPV4}"
    r")(?![\w:])(?!\.\d)(?!/\d)"
)
# Card: 13-19 digits, groups separated by one space or hyphen (one separator kind per number).
_CARD_RE = re.compile(
    rf"{_LEFT_NUM}(?:\d{{13,19}}|\d{{4}}(?:([ \-])\d{{4,6}})(?:\1\d{{4,5}}){{1,3}}|\d{{4}}( )\d{{6}}\2\d{{5}})"
    rf"{_RIGHT_NUM}"
)
_SEP = r"[ \-\u00a0]"
_PHONE_RE = re.compile(
    "|".join(
        [
            # international: +CC then groups split by spaces/hyphens/brackets, or by dots throughout
            rf"(?<![\w)\]+\-.])\+[1-9]\d{{0,2}}(?:{_SEP}?\(0\))?(?:{_SEP}?(?:\(\d{{1,5}}\)|\d{{1,5}})){{2,6}}{_RIGHT_NUM}",
            rf"(?<![\w)\]+\-.])\+[1-9]\d{{0,2}}(?:\.\d{{2,5}}){{2,5}}{_RIGHT_NUM}",
            rf"(?<![\w)\]+\-.])00[1-9]\d{{0,2}}(?:{_SEP}\d{{1,5}}){{2,6}}{_RIGHT_NUM}",
            # North American: (555) 123-4567, 555-123-4567, 555.123.4567, 1-800-555-0199 (one separator kind)
            rf"{_LEFT_NUM}(?<!\d:)(?:1([ .\-]))?(?:\(\d{{3}}\)[ \-\u00a0]?\d{{3}}[ .\-]|\d{{3}}([ .\-])\d{{3}}\2)"
            rf"\d{{4}}{_RIGHT_NUM}",
            # European national, trunk 0: 020 7946 0958, 030 1234567, 01 23 45 67 89, 06-12345678
            rf"{_LEFT_NUM}(?<!\d:)(?:\(0[1-9]\d{{0,3}}\)|0[1-9]\d{{0,3}})(?:[ \-/]\d{{2,8}}){{1,4}}{_RIGHT_NUM}",
        ]
    )
)
_PHONE_CUE_RE = re.compile(
    r"(?i)\b(?:tel|telephone|phone|ph|fax|mobile|mob|cell|call|whatsapp|sms|text|contact|hotline|tfn)\b\.?"
    r"(?:\s*(?:no|nr|number)\.?)?\s*[:.\-]?\s*(?:on|at|us|me)?\s*$"
)
_PHONE_CUED_RE = re.compile(rf"{_LEFT_NUM}\+?\(?\d[\d\u00a0 ().\-/]{{5,22}}\d{_RIGHT_NUM}")
_ISBN_CUE_RE = re.compile(r"(?i)(?:isbn(?:-1[03])?|issn|doi|arxiv|pmid|isrc|ean|upc|sku|patent)\W{0,4}$")
_DATE_RE = re.compile(r"^\(?(?:\d{4}([.\-/])\d{1,2}\1\d{1,2}|\d{1,2}([.\-/])\d{1,2}\2\d{2,4})(?!\d)")
_NON_DIGIT = re.compile(r"\D")
_HAS_DIGIT = re.compile(r"\d")
_CANDIDATE_RE = re.compile(r"[+(]?\d[\d \-.()/\u00a0]*\d\)?")
_DIGIT_GROUPS_RE = re.compile(r"\d+")
_RUN_LEFT_RE = re.compile(r"(?:^|\s)\d+ $")
_RUN_RIGHT_RE = re.compile(r" \d+(?:[\s,;:.)\]]|$)")


_VERSION_CUE_RE = re.compile(
    r"(?i)(?:\b(?:version|release|v|ver|rev|build|section|sect|rfc)|§|[a-z]+(?:/|==|-))\W{0,2}$"
)


def _looks_like_version(text: str, start: int, quad: str) -> bool:
    """Dotted versions and section numbers ("2.7.2.2", "13.2.5.33"): small numbers, or a version cue before.

    Two of the last three parts under 10 and a first part of at most 20 happen by chance in 4 of 10,000
    random public addresses; those are the price of leaving "zlib 1.2.3.4" and "section 8.2.4.44" alone."""
    parts = [int(x) for x in quad.split(".")]
    if parts[0] <= 20 and sum(p < 10 for p in parts[1:]) >= 2:
        return True
    return bool(_VERSION_CUE_RE.search(text, max(0, start - 12), start))


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card_issuer_ok(digits: str) -> bool:
    n = len(digits)
    p2, p4 = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":
        return n in (13, 16, 19)  # Visa
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16  # Mastercard
    if p2 in (34, 37):
        return n == 15  # Amex
    if digits.startswith("6011") or p2 == 65 or 644 <= int(digits[:3]) <= 649:
        return 16 <= n <= 19  # Discover
    if 3528 <= p4 <= 3589:
        return 16 <= n <= 19  # JCB
    if p2 in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:
        return 14 <= n <= 19  # Diners Club
    if p2 == 62:
        return 16 <= n <= 19  # UnionPay
    if p2 in (50, 56, 57, 58, 67) or p2 == 63:
        return 12 <= n <= 19  # Maestro
    return False


def is_card(candidate: str) -> bool:
    digits = _NON_DIGIT.sub("", candidate)
    return 13 <= len(digits) <= 19 and _card_issuer_ok(digits) and luhn_ok(digits)


class PIIMatcher:
    """The detectors, independent of datatrove: ``find(text)`` -> sorted, non-overlapping (start, end, type)."""

    def __init__(self, types=PII_TYPES, allow_emails=(), allow_ips=DEFAULT_ALLOW_IPS, ip_public_only=True):
        self.types = tuple(types)
        self.allow_addresses = set()
        self.allow_domains = set(_RESERVED_EMAIL_DOMAINS)
        for entry in allow_emails:
            entry = entry.strip().lower()
            if "@" in entry.lstrip("@"):
                self.allow_addresses.add(entry)
            else:
                self.allow_domains.add(entry.lstrip("@").lstrip("*."))
        self.allow_ips = set()
        self.allow_nets = []
        for entry in allow_ips:
            try:
                if "/" in entry:
                    self.allow_nets.append(ipaddress.ip_network(entry, strict=False))
                else:
                    self.allow_ips.add(ipaddress.ip_address(entry))
            except ValueError as e:
                raise ConfigError(f"stages.pii_v1.allow_ips: {entry!r} is not an IP address or network ({e})") from None
        self.ip_public_only = ip_public_only

    # -- per type ------------------------------------------------------------------------------------------------
    def _emails(self, text, out):
        if "@" not in text:
            return
        for m in _EMAIL_RE.finditer(text):
            domain = m.group(1).lower()
            if m.group(0).lower() in self.allow_addresses or self._domain_allowed(domain):
                continue
            out.append((m.start(), m.end(), "email"))

    def _domain_allowed(self, domain: str) -> bool:
        return any(d in self.allow_domains for d in parent_domains(domain))

    def _ip_ok(self, s: str) -> bool:
        try:
            ip = ipaddress.ip_address(s)
        except ValueError:
            return False
        if ip in self.allow_ips or any(ip in net for net in self.allow_nets):
            return False
        return ip.is_global or not self.ip_public_only

    def _ips(self, text, out):
        if "." in text:
            # Scan with a plain dotted-quad pattern, then apply the anchored one where it matched.
            for c in _IPV4_CANDIDATE_RE.finditer(text):
                m = _IPV4_RE.match(text, c.start(), min(len(text), c.end() + 2))
                if m and not _looks_like_version(text, m.start(), m.group(0)) and self._ip_ok(m.group(0)):
                    out.append((m.start(), m.end(), "ip"))
        if "::" in text or text.count(":") >= 7:
            for m in _IPV6_RE.finditer(text):
                s = m.group(0)
                # "a::b" / "Foo::bar"-like scope operators: an address has 3+ groups and a digit.
                if len([g for g in s.split(":") if g]) >= 3 and _HAS_DIGIT.search(s) and self._ip_ok(s):
                    out.append((m.start(), m.end(), "ip"))

    @staticmethod
    def _windows(text: str) -> list[tuple[int, int]]:
        """Stretches of digits and separators holding 7+ digits: the only places a phone or card can be.

        The detailed patterns (lookbehinds at every position) run only inside these, with 2 characters of
        right context for their lookaheads; lookbehinds still see the text before the window."""
        wins = []
        for m in _CANDIDATE_RE.finditer(text):
            if m.end() - m.start() >= 7 and len(_NON_DIGIT.sub("", m.group(0))) >= 7:
                wins.append((m.start(), min(len(text), m.end() + 2)))
        return wins

    def _cards(self, text, out, windows=None):
        for pos, endpos in (self._windows(text) if windows is None else windows):
            self._cards_in(text, out, pos, endpos)

    def _cards_in(self, text, out, pos, endpos):
        for m in _CARD_RE.finditer(text, pos, endpos):
            if is_card(m.group(0)) and not _ISBN_CUE_RE.search(text, max(0, m.start() - 12), m.start()):
                out.append((m.start(), m.end(), "card"))

    def _phones(self, text, out, windows=None):
        for pos, endpos in (self._windows(text) if windows is None else windows):
            self._phones_in(text, out, pos, endpos)

    def _phones_in(self, text, out, pos, endpos):
        for m in _PHONE_RE.finditer(text, pos, endpos):
            s = m.group(0)
            if self._phone_ok(text, m.start(), s, cued=False):
                out.append((m.start(), m.end(), "phone"))
        strict = list(out)
        for m in _PHONE_CUED_RE.finditer(text, pos, endpos):
            start, end = m.start(), m.end()
            if any(s[0] < end and start < s[1] for s in strict):
                continue  # the strict patterns' reading of the number wins
            if _PHONE_CUE_RE.search(text, max(0, start - 30), start) and self._phone_ok(
                text, start, m.group(0), cued=True
            ):
                out.append((start, end, "phone"))

    @staticmethod
    def _phone_ok(text: str, start: int, s: str, cued: bool) -> bool:
        n = len(_NON_DIGIT.sub("", s))
        if not 7 <= n <= 15 or _DATE_RE.search(s):
            return False
        if s.count("(") != s.count(")"):
            return False
        end = start + len(s)
        # One number of a run of numbers ("1 2 3 5 8 13 21 34", "--> 012 013 023 123") is not a phone.
        if _RUN_LEFT_RE.search(text, max(0, start - 12), start) or _RUN_RIGHT_RE.match(text, end):
            return False
        groups = _DIGIT_GROUPS_RE.findall(s)
        if len(groups) >= 4 and len({len(g) for g in groups}) == 1 and len(groups[0]) >= 3:
            return False
        if not cued and len(groups) == 2 and len(groups[0]) == 5 and len(groups[1]) == 4 and "-" in s:
            return False  # US ZIP+4
        if _ISBN_CUE_RE.search(text, max(0, start - 12), start):
            return False
        if s[0] != "+" and not s.startswith("00") and s.replace(" ", "").startswith(("978", "979")) and n in (10, 13):
            return False  # ISBN-shaped
        if not cued and s[0] != "+" and not s.startswith("00"):
            # A trunk-0 national number needs at least 9 digits and no group of one digit.
            if s.lstrip("(").startswith("0") and (n < 9 or re.search(r"(?:^|\D)\d(?:\D|$)", s)):
                return False
        return True

    def find(self, text: str) -> list[tuple[int, int, str]]:
        spans: list[tuple[int, int, str]] = []
        # Priority on overlap: e-mail > IP > card > phone (an address may hold digits; a card is never a phone).
        if "email" in self.types:
            self._emails(text, spans)
        if "ip" in self.types:
            self._ips(text, spans)
        if "card" in self.types or "phone" in self.types:
            windows = self._windows(text)
            card_spans: list = []
            self._cards(text, card_spans, windows)
            if "card" in self.types:
                spans.extend(card_spans)
            if "phone" in self.types:
                phones: list = []
                self._phones(text, phones, windows)
                # a card number is never also a phone, even when cards are not being masked
                spans.extend(p for p in phones if not any(c[0] < p[1] and p[0] < c[1] for c in card_spans))
        if len(spans) < 2:
            return spans
        order = {t: i for i, t in enumerate(("email", "ip", "card", "phone"))}
        spans.sort(key=lambda s: (order[s[2]], s[0]))
        taken: list[tuple[int, int, str]] = []
        for s in spans:
            if not any(t[0] < s[1] and s[0] < t[1] for t in taken):
                taken.append(s)
        taken.sort()
        return taken


def mask_text(text: str, spans: list[tuple[int, int, str]]) -> str:
    return apply_edits(text, _edits(spans))


def _edits(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    return [(start, end, PLACEHOLDERS[kind]) for start, end, kind in spans]


@register("pii_v1")
class PIIFilter(Stage):
    """Mask e-mails, phones, IPs and Luhn-valid card numbers with <EMAIL>/<PHONE>/<IP>/<CARD>, or drop the document.

    ``types``: which of email, phone, ip, card. ``mode``: ``mask`` rewrites the
    text; ``drop`` drops with ``pii_contains_<type>``. Counts per type go to the
    metadata keys ``pii_<type>`` (ints). ``allow_emails``: addresses or domains
    never masked (reserved example/test domains always are); ``allow_ips``:
    addresses or CIDR networks never masked; ``ip_public_only``: mask only
    globally routable IPs (FineWeb's rule).
    """

    columns = tuple(
        Column(f"pii_{kind}", pa.int64(), f"{what} found (and masked when the stage masks)")
        for kind, what in (("email", "e-mail addresses"), ("phone", "phone numbers"), ("ip", "IP addresses"),
                           ("card", "payment card numbers (Luhn-checked)"))
    )


    def __init__(
        self,
        types: list[str] = PII_TYPES,
        mode: Literal["mask", "drop"] = "mask",
        allow_emails: list[str] = (),
        allow_ips: list[str] = DEFAULT_ALLOW_IPS,
        ip_public_only: bool = True,
        exclusion_writer=None,
    ):
        super().__init__(exclusion_writer)
        bad = [t for t in types if t not in PII_TYPES]
        if bad or not types:
            raise ConfigError(
                f"stages.pii_v1.types: unknown type(s) {bad or '(none given)'}; valid: {', '.join(PII_TYPES)}"
            )
        if mode not in ("mask", "drop"):
            raise ConfigError(f"stages.pii_v1.mode: expected 'mask' or 'drop', got {mode!r}")
        self.types = tuple(t for t in PII_TYPES if t in types)
        self.mode = mode
        self.matcher = PIIMatcher(self.types, allow_emails, allow_ips, ip_public_only)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        text = doc.text or ""
        spans = self.matcher.find(text)
        counts = dict.fromkeys(self.types, 0)
        for _, _, kind in spans:
            counts[kind] += 1
        for kind, n in counts.items():
            doc.metadata[f"pii_{kind}"] = n
            if n:
                self.stat_update(f"pii_{kind}", value=n)
        if not spans:
            return True
        if self.mode == "drop":
            first = next(k for k in self.types if counts[k])
            return self.drop(f"contains_{first}")
        replace_spans(doc, _edits(spans))
        return True

    @classmethod
    def report_section(cls, rd) -> str | None:
        """``section-pii`` of ``winnow report`` (:func:`report_section`)."""
        return report_section(rd)


# ----------------------------------------------------------------------------------------------- the report


def pii_findings(rd) -> list[tuple] | None:
    """(type, documents checked, documents with any, occurrences, kept with any, removed with any) per PII type,
    from the integer ``pii_<type>`` columns; ``None``: pii_v1 did not run."""
    from pipeline.report_data import INTEGER_TYPES, quote_ident

    cols = [c for c, t in rd.columns.items() if c.startswith("pii_") and t.startswith(INTEGER_TYPES)]
    if not cols:
        return None
    rows = []
    for col in cols:
        c = quote_ident(col)
        n, with_any, total, kept, removed = rd.one(
            f"select count({c}), count(*) filter (where {c} > 0), coalesce(sum({c}), 0), "
            f"count(*) filter (where {c} > 0 and kept), count(*) filter (where {c} > 0 and not kept) from all_documents"
        )
        rows.append((col.removeprefix("pii_"), n, with_any, int(total), kept, removed))
    return rows


def report_section(rd) -> str:
    """``section-pii``: documents checked, documents with any and occurrences per PII type, kept and removed;
    ``not run`` / ``none found`` in ``pii-status``."""
    from pipeline import report_html as h

    rows = pii_findings(rd)
    title = "Personal data (PII)"
    if rows is None:
        return h.section("section-pii", title, h.status("pii", h.NOT_RUN, "pii_v1 did not run (no pii_* columns)."),
                         nav="PII")
    table = h.table(["type", "documents checked", "documents with any", "occurrences", "kept with any",
                     "removed with any"], rows, table_id="table-pii")
    if not any(r[3] for r in rows):
        return h.section("section-pii", title, h.status(
            "pii", h.NONE_FOUND,
            "no e-mail address, phone number, IP address or card number" + h.stage_ran(rd, "pii_") + "."),
            table, nav="PII")
    docs = max(r[2] for r in rows)
    occ = sum(r[3] for r in rows)
    return h.section("section-pii", title,
                     h.status("pii", h.FOUND, f"{occ:,} occurrences (up to {docs:,} documents for one type)."), table,
                     h.note("Occurrences are masked in kept text when the stage masks (mode: mask); "
                            "documents checked: those that reached pii_v1."), nav="PII")
