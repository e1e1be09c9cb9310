"""pipeline.urls: the one host normal form and the one parent-domain walk that every domain list uses."""

from __future__ import annotations

from datatrove.data import Document

from filters.license import detect
from filters.optout import URLBlocklist
from filters.pii import PIIMatcher
from pipeline.urls import host_of, normalise_host, parent_domains


def test_host_normal_form():
    assert host_of("https://WWW.Example.com.:8080/a?b") == "example.com"
    assert normalise_host("www.Example.ORG") == "example.org" and host_of("not a url") is None


def test_parent_domains_walk_down_to_the_bare_tld():
    """The bare TLD is part of the walk: lists name whole TLDs on purpose (UT1's ``xxx``, RFC 6761's ``test``)."""
    assert list(parent_domains("a.example.co.uk")) == ["a.example.co.uk", "example.co.uk", "co.uk", "uk"]
    assert list(parent_domains("localhost")) == ["localhost"]


def test_every_domain_list_honours_a_bare_tld_entry():
    """URL blocklist, licence domain list and PII e-mail allow list agree: an entry for a TLD covers the TLD."""
    blocklist = URLBlocklist(lists=[], extra_domains=["xxx"])
    assert blocklist.filter(Document(id="a", text="t", metadata={"url": "https://www.Site.XXX/p"})) == (
        False, "url_blocklist_domain")
    assert blocklist.filter(Document(id="b", text="t", metadata={"url": "https://site.xxx.example/p"})) is True
    doc = Document(id="c", text="no licence here", metadata={"url": "https://data.agency.gov/x"})
    assert detect(doc, {"gov": "CC0-1.0"}) == ("CC0-1.0", "domain-list")
    assert detect(doc, {"mil": "CC0-1.0"}) == (None, None)
    assert PIIMatcher(types=("email",), allow_emails=["@corp"]).find("write to jo@mail.corp today") == []
    assert PIIMatcher(types=("email",)).find("write to jo@mail.corp today") != []
