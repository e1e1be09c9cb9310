"""optout_v1 (user opt-out lists), url_blocklist_v1 (datatrove's bundled lists, offline), badwords_v1."""

import json
import re
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from datatrove.data import Document

import filters.optout  # noqa: F401  (registers optout_v1, url_blocklist_v1)
from filters.badwords import BadWords
from filters.optout import OptOutFilter, URLBlocklist
from pipeline.cli import main
from pipeline.errors import ConfigError

_RULES = """# opt-outs received
optedout.com
domain:News.Example.ORG   # case and www. do not matter
https://blog.site.net/authors/jane/
glob:*://*.photos.io/private/*
re:^https?://(www\\.)?forum\\.org/(u|user)/\\d+
"""


def _doc(url, text="some text"):
    return Document(id=url or "none", text=text, metadata={"url": url} if url else {})


@pytest.fixture
def rules(tmp_path):
    p = tmp_path / "optouts.txt"
    p.write_text(_RULES)
    return str(p)


@pytest.mark.parametrize("url,reason,line", [
    ("https://optedout.com/a", "optout_domain", 2),
    ("http://www.optedout.com", "optout_domain", 2),
    ("https://deep.sub.optedout.com/x?y=1", "optout_domain", 2),
    ("https://news.example.org/2020/story", "optout_domain", 3),
    ("https://blog.site.net/authors/jane/post-1", "optout_prefix", 4),
    ("HTTPS://WWW.Blog.Site.net/authors/jane/", "optout_prefix", 4),
    ("https://cdn.photos.io/private/img.png", "optout_glob", 5),
    ("https://forum.org/user/1234", "optout_regex", 6),
])
def test_optout_drops_with_rule(rules, url, reason, line):
    doc = _doc(url)
    assert OptOutFilter(rules=rules).filter(doc) == (False, reason)
    assert doc.metadata["optout_rule"].startswith(f"optouts.txt:{line}: ")


@pytest.mark.parametrize("url", [
    "https://notoptedout.com/", "https://optedout.com.evil.net/", "https://example.org/",
    "https://blog.site.net/authors/john/", "https://photos.io/public/x", "https://forum.org/about", None,
])
def test_optout_keeps(rules, url):
    assert OptOutFilter(rules=rules).filter(_doc(url)) is True


def test_optout_bad_rules(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        OptOutFilter(rules=str(tmp_path / "none.txt"))
    bad = tmp_path / "bad.txt"
    bad.write_text("re:(unclosed\n")
    with pytest.raises(ConfigError, match="bad regex"):
        OptOutFilter(rules=str(bad))


def test_url_blocklist_words_and_urls_offline(monkeypatch):
    # Any network access would be a bug: datatrove's bundled files only, tldextract unused.
    import socket

    def no_net(*a, **k):
        raise AssertionError("url_blocklist_v1 tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", no_net)
    monkeypatch.setattr(socket.socket, "connect", no_net)
    f = URLBlocklist(lists=["urls", "words"], extra_domains=["blocked.example"])
    assert f.filter(_doc("https://en.wikipedia.org/wiki/Bread")) is True
    assert f.filter(_doc("https://xxx-videos.example/clip")) == (False, "url_blocklist_hard_word")
    assert f.filter(_doc("https://a.b.blocked.example/page")) == (False, "url_blocklist_domain")
    assert f.filter(_doc(None)) is True
    some_url = next(iter(f.urls))
    assert f.filter(_doc(some_url)) == (False, "url_blocklist_url")


@pytest.mark.slow  # 6 s: the whole domain list: make test-slow (CI runs it)
def test_url_blocklist_domains_list():
    f = URLBlocklist(lists=["domains"])
    f._load()
    assert len(f.domains) > 4_000_000
    blocked = sorted(d for d in list(f.domains)[:1000] if d.count(".") == 1)[0]
    assert f.filter(_doc(f"https://{blocked}/x")) == (False, "url_blocklist_domain")
    assert f.filter(_doc(f"https://sub.{blocked}/x")) == (False, "url_blocklist_domain")
    assert f.filter(_doc("https://www.python.org/doc/")) is True


def test_url_blocklist_bad_list():
    with pytest.raises(ConfigError, match="lists"):
        URLBlocklist(lists=["nope"])


def test_badwords(tmp_path):
    wl = tmp_path / "words.txt"
    wl.write_text("# test list\nfrobnicate\nbad phrase\n")
    f = BadWords(wordlist=str(wl))
    doc = Document(id="a", text="Please do not Frobnicate the widget.")
    assert f.filter(doc) == (False, "badwords_contains")
    assert doc.metadata["badwords_count"] == 1
    assert f.filter(Document(id="b", text="A bad phrase here.")) == (False, "badwords_contains")
    assert f.filter(Document(id="c", text="A phrase that is bad, and frobnicated.")) is True
    assert BadWords(wordlist=str(wl), max_bad_words=1).filter(Document(id="d", text="frobnicate once")) is True


def test_badwords_report_section(tmp_path):
    """badwords_v1 brings its own section of `winnow report` (its report_section hook): documents holding listed
    words by occurrences, kept and removed, and the domains with most of them; 'not run' without its column."""
    from types import SimpleNamespace

    from pipeline.config import parse_config
    from pipeline.query import connect
    from pipeline.report import build_report
    from pipeline.run import run
    from tests.conftest import ROOT

    wl = tmp_path / "words.txt"
    wl.write_text("cheap\nclick\ncasino\n")
    out = tmp_path / "out"
    run(parse_config({
        "name": "badwords", "input": {"format": "warc", "paths": str(ROOT / "configs" / "data" / "demo.warc.gz")},
        "output": str(out), "executor": {"kind": "local", "tasks": 1, "workers": 1},
        "stages": [{"extract_html_v1": {}}, {"badwords_v1": {"wordlist": str(wl), "max_bad_words": 1}}],
    }, "test"))
    page = build_report(out)
    section = re.search(r'<section id="section-badwords">.*?</section>', page, re.S).group(0)
    con = connect(out)
    docs, checked = con.execute("select count(*) filter (where badwords_count > 0), count(badwords_count) "
                                "from all_documents").fetchone()
    assert docs and f"{docs:,} of {checked:,} documents checked hold words of the list" in section
    assert re.search(r'<p id="badwords-status"[^>]*><strong>found</strong>', section)
    once = con.execute("select count(*) from documents where badwords_count = 1").fetchone()[0]
    assert once and f'<tr><td>1</td><td class="num">{once:,}</td><td class="num">0</td></tr>' in section
    more = con.execute("select count(*) from removed where reason = 'badwords_contains'").fetchone()[0]
    table = re.search(r'<table id="table-badwords">.*?</table>', section).group(0)
    removed = [int(n.replace(",", "")) for n in re.findall(r'<td class="num">([\d,]+)</td></tr>', table)]
    assert more and sum(removed) == more  # more than max_bad_words occurrences: removed
    domain, n = con.execute("select domain, count(*) from all_documents where badwords_count > 0 "
                            "group by 1 order by 2 desc, 1 limit 1").fetchone()
    assert f'<tr><td>{domain}</td><td class="num">{n:,}</td>' in section
    assert '<a href="#section-badwords">Bad words</a>' in page
    not_run = BadWords.report_section(SimpleNamespace(has=lambda *cols: False))
    assert 'id="badwords-status" class="status off"><strong>not run</strong>' in not_run


def test_badwords_without_list_explains(monkeypatch):
    monkeypatch.setitem(sys.modules, "better_profanity", None)  # as if not installed: import raises ImportError
    with pytest.raises(ConfigError, match=r"better-profanity.*set wordlist: PATH"):
        BadWords()


def test_badwords_default_list_from_better_profanity():
    pytest.importorskip("better_profanity", reason="the default list needs the badwords extra (better-profanity)")
    f = BadWords()
    assert Path(f.wordlist).name == "profanity_wordlist.txt"
    doc = Document(id="a", text="Well, shit happens, said the bastard.")
    assert f.filter(doc) == (False, "badwords_contains") and doc.metadata["badwords_count"] == 2
    doc = Document(id="b", text="No blow job ads here.")  # a phrase of the list, matched as consecutive words
    assert f.filter(doc) == (False, "badwords_contains") and doc.metadata["badwords_count"] == 1
    # whole words only: "ass" is on the list, "assassin" and "class" are not dropped for containing it
    doc = Document(id="c", text="The assassin skipped class to review the water quality report.")
    assert f.filter(doc) is True and doc.metadata["badwords_count"] == 0


def test_winnow_apply_end_to_end(tmp_path, rules):
    inp = tmp_path / "in.jsonl"
    docs = [{"id": "1", "text": "a", "url": "https://optedout.com/p"}, {"id": "2", "text": "b", "url": "https://ok.org/"}]
    inp.write_text("".join(json.dumps(d) + "\n" for d in docs))
    out = tmp_path / "out"
    assert main(["apply", "optout_v1", str(inp), "--output", str(out), "--set", f"rules={rules}"]) == 0
    assert [r["id"] for r in pq.read_table(out / "documents").to_pylist()] == ["2"]
    removed = pq.read_table(out / "removed").to_pylist()
    assert [(r["id"], r["reason"]) for r in removed] == [("1", "optout_domain")]
    assert removed[0]["optout_rule"] == "optouts.txt:2: optedout.com"


@pytest.mark.parametrize("stage,sets,reason", [
    ("url_blocklist_v1", ["lists=[urls, words]"], "url_blocklist_hard_word"),
    ("badwords_v1", ["wordlist={wl}"], "badwords_contains"),
])
def test_winnow_apply_blocklist_and_badwords(tmp_path, stage, sets, reason):
    wl = tmp_path / "words.txt"
    wl.write_text("frobnicate\n")
    inp = tmp_path / "in.jsonl"
    docs = [{"id": "1", "text": "do not frobnicate", "url": "https://xxx-videos.example/p"},
            {"id": "2", "text": "fine text", "url": "https://ok.org/"}]
    inp.write_text("".join(json.dumps(d) + "\n" for d in docs))
    out = tmp_path / "out"
    argv = ["apply", stage, str(inp), "--output", str(out)]
    for s in sets:
        argv += ["--set", s.format(wl=wl)]
    assert main(argv) == 0
    assert [r["id"] for r in pq.read_table(out / "documents").to_pylist()] == ["2"]
    assert [(r["id"], r["reason"]) for r in pq.read_table(out / "removed").to_pylist()] == [("1", reason)]


def test_a_url_with_a_bad_port_is_judged_without_its_host_not_a_crash(rules):
    """urlsplit(...).port raises on 'a.com:99999' or ':abc' (it failed the task before); such a URL is matched
    by the rules that need no host (prefix, glob, regex) only."""
    f = OptOutFilter(rules=rules)
    assert f.filter(_doc("https://safe.example:99999/page")) is True
    assert f.filter(_doc("https://optedout.com:abc/x")) is True  # no host to match the domain rule against
    assert URLBlocklist(lists=["words"]).filter(_doc("https://fine.example:99999/")) is True
