"""license_v1: SPDX ids from rel links, CC badges, meta tags, licence sentences (text and HTML footers), PDF metadata
and a domain list."""

import glob
import gzip
import json
import re

import pyarrow.parquet as pq
import pytest
from datatrove.data import Document

import filters.license  # noqa: F401  (registers license_v1)
from filters.license import LicenseFilter, detect
from pipeline.cli import main
from pipeline.errors import ConfigError
from tests.conftest import shared_data

_BODY = "<p>Some article text about gardening and the weather in spring.</p>"


def _page(head: str = "", body: str = "", footer: str = "") -> str:
    return (f"<!DOCTYPE html><html><head><title>T</title>{head}</head><body>{_BODY}{body}"
            f"<footer>{footer}</footer></body></html>")


_CC = {"by": "CC-BY", "by-sa": "CC-BY-SA", "by-nc": "CC-BY-NC", "by-nd": "CC-BY-ND", "by-nc-sa": "CC-BY-NC-SA",
       "by-nc-nd": "CC-BY-NC-ND"}
_WORDS = {"by": "Attribution", "by-sa": "Attribution-ShareAlike", "by-nc": "Attribution-NonCommercial",
          "by-nd": "Attribution-NoDerivatives", "by-nc-sa": "Attribution-NonCommercial-ShareAlike",
          "by-nc-nd": "Attribution-NonCommercial-NoDerivatives"}


def _cases():
    """(page, metadata, expected id, expected source): the common forms, generated here."""
    cases = []
    for code, sid in _CC.items():
        for ver in ("3.0", "4.0"):
            url = f"https://creativecommons.org/licenses/{code}/{ver}/"
            exp = f"{sid}-{ver}"
            cases += [
                (_page(body=f'<a rel="license" href="{url}">license</a>'), {}, exp, "html-rel"),
                (_page(head=f'<link rel="license" href="{url}">'), {}, exp, "html-rel"),
                (_page(footer=f'<a href="{url}"><img alt="Creative Commons License" '
                              f'src="https://i.creativecommons.org/l/{code}/{ver}/88x31.png"></a>'),
                 {}, exp, "html-rel"),
                (_page(footer=f'<img src="https://licensebuttons.net/l/{code}/{ver}/80x15.png">'), {}, exp, "html-rel"),
                (_page(head=f'<meta name="dcterms.license" content="{url}">'), {}, exp, "html-meta"),
                (_page(footer=f"Licensed under CC {code.upper()} {ver}"), {}, exp, "html-text"),
                (_page(footer=f"This work is licensed under a Creative Commons {_WORDS[code]} {ver} "
                              f"International License."), {}, exp, "html-text"),
            ]
    cases += [
        (_page(head='<meta name="license" content="CC0-1.0">'), {}, "CC0-1.0", "html-meta"),
        (_page(body='<a rel="license" href="http://creativecommons.org/publicdomain/zero/1.0/">CC0</a>'), {},
         "CC0-1.0", "html-rel"),
        (_page(head='<meta property="og:license" content="MIT">'), {}, "MIT", "html-meta"),
        (_page(head='<script type="application/ld+json">{"@type": "Article", "license": '
                    '"https://creativecommons.org/licenses/by/4.0/"}</script>'), {}, "CC-BY-4.0", "html-meta"),
        (_page(footer="Content is available under CC BY-SA 4.0 unless otherwise noted."), {}, "CC-BY-SA-4.0",
         "html-text"),
        (_page(footer="© 2023 Jane Doe. Released under the MIT License."), {}, "MIT", "html-text"),
        (_page(footer='<a rel="license" href="https://opensource.org/licenses/MIT">MIT</a>'), {}, "MIT", "html-rel"),
        (_page(footer='<a rel="license" href="https://www.apache.org/licenses/LICENSE-2.0">Apache</a>'), {},
         "Apache-2.0", "html-rel"),
        ("MIT License\n\nCopyright (c) 2020 Someone\n\nPermission is hereby granted, free of charge, to any person "
         "obtaining a copy of this software and associated documentation files...", {}, "MIT", "text"),
        ('# Licensed under the Apache License, Version 2.0 (the "License");\n# you may not use this file except in '
         "compliance with the License.\nimport os\n", {}, "Apache-2.0", "text"),
        ("// SPDX-License-Identifier: BSD-3-Clause\nint main() { return 0; }", {}, "BSD-3-Clause", "text"),
        ("This program is free software: you can redistribute it and/or modify it under the terms of the GNU General "
         "Public License as published by the Free Software Foundation, either version 3 of the License, or (at your "
         "option) any later version.", {}, "GPL-3.0-or-later", "text"),
        ("The text of this page is available under the Creative Commons Attribution-ShareAlike 3.0 Unported License.",
         {}, "CC-BY-SA-3.0", "text"),
        ("A scanned report about rivers.", {"pdf_metadata": {"title": "Rivers", "subject": "hydrology",
                                                              "rights": "CC BY 4.0"}}, "CC-BY-4.0", "pdf-metadata"),
        ("A scanned report.", {"pdf_metadata": {"xmp:dc:rights": "https://creativecommons.org/licenses/by-sa/4.0/"}},
         "CC-BY-SA-4.0", "pdf-metadata"),
        ("Extracted main text only.", {"html": _page(body='<a rel="license" href="https://creativecommons.org/licenses/by/4.0/">x</a>')},
         "CC-BY-4.0", "html-rel"),
    ]
    return cases


def test_common_forms_accuracy():
    cases = _cases()
    wrong = []
    for page, md, exp, src in cases:
        got = detect(Document(id="x", text=page, metadata=dict(md)))
        if got != (exp, src):
            wrong.append((page[-160:], md, exp, src, got))
    accuracy = 1 - len(wrong) / len(cases)
    print(f"licence forms: {len(cases)} pages, accuracy {accuracy:.3f}")
    assert len(cases) >= 100
    assert accuracy >= 0.98, wrong


@pytest.mark.parametrize("text", [
    _page(),
    "Linux is released under the GNU GPL version 2, which Torvalds chose in 1992.",
    "The Creative Commons organisation publishes licences such as Attribution and ShareAlike.",
    _page(footer="Photo: Jane Doe via Flickr, CC BY 2.0"),
    _page(body='<img src="x.jpg"> Bild: Max Muster / Wikimedia Commons '
               '<a href="https://creativecommons.org/licenses/by-sa/4.0/">CC BY-SA 4.0</a>'),
    "Licensed under a Creative Commons licence.",  # no version: not invented
    "All rights reserved. Copyright 2020.",
])
def test_absent_or_not_the_pages_licence_gives_null(text):
    assert detect(Document(id="x", text=text)) == (None, None)


# Prose licence statements: (sentence, SPDX id). Each is tested in doc.text ("text") and in an HTML footer
# ("html-text").
_PROSE = [
    ("This work is licensed under a Creative Commons Attribution-NonCommercial-NoDerivatives 4.0 International "
     "License.",
     "CC-BY-NC-ND-4.0"),
    ("Licensed under CC BY-SA 4.0", "CC-BY-SA-4.0"),
    ("This work is licensed under the Creative Commons Attribution 4.0 International License. To view a copy of this "
     "license, visit http://creativecommons.org/licenses/by/4.0/ or send a letter to Creative Commons.", "CC-BY-4.0"),
    ("This work is licensed under a Creative Commons Attribution-ShareAlike 3.0 Unported License.", "CC-BY-SA-3.0"),
    ("This work is licensed under a Creative Commons Attribution-NonCommercial-ShareAlike 3.0 Germany License.",
     "CC-BY-NC-SA-3.0"),  # ported -> the generic id
    ("This work is licensed under a Creative Commons Attribution-NoDerivs 2.5 Generic License.", "CC-BY-ND-2.5"),
    ("This work is licensed under a Creative Commons Attribution-NonCommercial 2.0 Generic License.", "CC-BY-NC-2.0"),
    ("This work is licensed under the Creative Commons Attribution 1.0 License.", "CC-BY-1.0"),
    ("Except where otherwise noted, content on this site is licensed under a Creative Commons Attribution 4.0 "
     "International license.", "CC-BY-4.0"),
    ("Unless otherwise stated, all content is CC BY-NC-SA 4.0.", "CC-BY-NC-SA-4.0"),
    ("This article is distributed under the terms of the Creative Commons Attribution License "
     "(http://creativecommons.org/licenses/by/4.0/), which permits unrestricted use.", "CC-BY-4.0"),  # URL, no version
    ("To the extent possible under law, Jane Doe has waived all copyright and related or neighboring rights to "
     "Garden Notes. This work is published from: Germany.", "CC0-1.0"),
    ("This work is dedicated to the public domain under the CC0 1.0 Universal Public Domain Dedication.", "CC0-1.0"),
    ("© 2023 Jane Doe. Text released under the MIT License.", "MIT"),
    ("Permission is granted to copy, distribute and/or modify this document under the terms of the GNU Free "
     "Documentation License, Version 1.3 or any later version published by the Free Software Foundation; with no "
     "Invariant Sections.", "GFDL-1.3-or-later"),
    ("Permission is granted to copy, distribute and/or modify this document under the terms of the GNU Free "
     "Documentation License, Version 1.2; with no Invariant Sections.", "GFDL-1.2-only"),
    ("The source code of this site is licensed under the MIT License.", "MIT"),  # "source" here is not a credit
    ("Dieses Werk ist lizenziert unter einer Creative Commons Namensnennung - Nicht kommerziell - Weitergabe unter "
     "gleichen Bedingungen 4.0 International Lizenz.", "CC-BY-NC-SA-4.0"),
    ("Soweit nicht anders gekennzeichnet, stehen unsere Texte auf dieser Seite unter einer Creative Commons "
     "Namensnennung - Keine Bearbeitung 3.0 Deutschland Lizenz.", "CC-BY-ND-3.0"),
    ("Dieser Beitrag ist unter einer Creative Commons Namensnennung-NichtKommerziell-KeineBearbeitung 3.0 Deutschland "
     "Lizenz veröffentlicht. Lizenziert unter CC BY-NC-ND 3.0.", "CC-BY-NC-ND-3.0"),
]


@pytest.mark.parametrize("sentence,expected", _PROSE, ids=[e + "-" + str(i) for i, (_, e) in enumerate(_PROSE)])
def test_prose_statement_in_text_and_html_footer(sentence, expected):
    text = "Some article text about gardening and the weather in spring.\n\n" + sentence
    assert detect(Document(id="t", text=text)) == (expected, "text")
    assert detect(Document(id="h", text=_page(footer=sentence))) == (expected, "html-text")


def test_prose_statement_in_html_beside_extracted_text():
    """After extraction the footer is gone from doc.text; the HTML kept in metadata still has it."""
    html = _page(footer="This work is licensed under a Creative Commons Attribution-ShareAlike 4.0 International "
                        "License.")
    doc = Document(id="x", text="Some article text about gardening.", metadata={"html": html})
    LicenseFilter().filter(doc)
    assert (doc.metadata["license"], doc.metadata["license_source"]) == ("CC-BY-SA-4.0", "html-text")
    # doc.text is read first
    doc = Document(id="y", text="All text is released under the MIT License.", metadata={"html": html})
    assert detect(doc) == ("MIT", "text")


@pytest.mark.parametrize("sentence", [
    "Photo by Jane Doe, licensed under CC BY 2.0",
    "Header image: John Smith, licensed under CC BY-SA 4.0.",
    "Image credit: NASA. Licensed under CC BY 2.0.",
    "Licensed under CC BY 4.0 via Wikimedia Commons",
    '" Wat Phnom " von Justin Watt\nLizenziert unter CC BY 3.0 über Wikimedia Commons .',
    "In this post we discuss the Creative Commons licenses, such as Attribution 4.0 International.",
    "In this post we discuss CC BY-SA 4.0 and CC BY 4.0 and when to use them.",
    "The Creative Commons licenses, e.g. Attribution-ShareAlike 4.0 International, are widely used.",
    "This article explains why Wikipedia is licensed under CC BY-SA 4.0.",
    "Wikipedia is licensed under CC BY-SA 4.0 and we explain what that means.",
    "Many photographers release their work under a Creative Commons Attribution 4.0 International License.",
    "Docker is released as open source under the Apache License 2.0.",
    "This is an open access article distributed under the terms of the Creative Commons Attribution License.",
    "Alle Fotos auf diesem Blog sind als Creative Commons Attribution-NonCommercial-NoDerivs 3.0 Unported License "
    "lizenziert.",  # the photos, not the page (and no "unter")
])
def test_prose_credit_or_mention_is_not_the_pages_licence(sentence):
    assert detect(Document(id="t", text=sentence)) == (None, None)
    assert detect(Document(id="h", text=_page(footer=sentence))) == (None, None)


def test_trafilatura_pages_with_prose_licence_statement():
    """Real pages whose only licence signal is a footer sentence (no rel=license link, no badge, no meta tag)."""
    root = shared_data("web", "trafilatura-eval")
    expected = {
        # "Soweit nicht anders gekennzeichnet, stehen unsere Texte auf dieser Seite unter einer Creative Commons
        # Namensnennung - Keine Bearbeitung 3.0 Deutschland Lizenz."
        "eval/bafa.de-mineraloelabsatz.html.gz": "CC-BY-ND-3.0",
        # "Dieser Text wurde veröffentlicht unter der Lizenz CC-BY-NC-ND-4.0-DE ."
        "eval/fluter.de.vorbild.html.gz": "CC-BY-NC-ND-4.0",
        # a caption: "Lizenziert unter CC BY 3.0 über Wikimedia Commons" licenses a photo, not the page
        "eval/aussengedanken.de.feuerholz.html.gz": None,
        # "Die Broschüre ist unter der Creative-Commons-Lizenz veröffentlicht CC BY-SA 4.0": the brochure's licence
        "eval/steinhau.com.zahlen.html.gz": None,
    }
    got = {}
    for name in expected:
        path = root / name
        if not path.is_file():
            pytest.skip(f"real-data test needs {path}; it is absent here")
        with gzip.open(path, "rt", errors="replace") as f:
            got[name] = detect(Document(id=name, text=f.read()))
    assert got == {name: (sid, "html-text" if sid else None) for name, sid in expected.items()}


@pytest.mark.slow  # an evaluation over ~1,000 real pages: `make test-slow`
def test_trafilatura_pages_without_licence_signals_give_null():
    """Real pages: no licence signal in the HTML -> null. Pages with one are reported (and spot-checked by hand)."""
    root = shared_data("web", "trafilatura-eval")
    files = sorted(glob.glob(str(root / "*" / "*.html.gz")))
    signal = re.compile(r"(?i)licen[sc]|creativecommons|licensebuttons|lizen[sz]|spdx|public domain|copyleft|\bcc.by")
    invented, found = [], {}
    for f in files:
        page = gzip.open(f, "rt", errors="replace").read()
        sid, src = detect(Document(id=f, text=page))
        if sid and not signal.search(page):
            invented.append((f, sid))
        elif sid:
            found[src] = found.get(src, 0) + 1
    print(f"{len(files)} real pages: licence found on {sum(found.values())} ({found}); invented {len(invented)}")
    assert len(files) > 1000
    assert invented == []
    # Most pages carry no licence; those that do are mostly German blogs with rel=license CC links.
    assert sum(found.values()) < 0.15 * len(files)


def test_policy_allow_and_unknown():
    cc = Document(id="a", text="Content is available under CC BY-SA 4.0.")
    nc = Document(id="b", text="This work is licensed under CC BY-NC 4.0.")
    none = Document(id="c", text="No licence statement here.")
    f = LicenseFilter(allow=["CC-BY-SA-*", "cc0-1.0", "MIT"])
    assert f.filter(cc) is True and cc.metadata["license"] == "CC-BY-SA-4.0"
    assert f.filter(nc) == (False, "license_not_allowed")
    assert f.filter(none) == (False, "license_unknown")
    assert none.metadata["license"] is None and none.metadata["license_source"] is None
    assert LicenseFilter(allow=["MIT"], keep_unknown=True).filter(Document(id="d", text="nothing")) is True
    assert LicenseFilter().filter(Document(id="e", text="nothing")) is True  # no policy: annotate only


def test_input_licence_kept_when_nothing_found():
    doc = Document(id="a", text="plain", metadata={"license": "CC-BY-SA-3.0"})
    LicenseFilter().filter(doc)
    assert (doc.metadata["license"], doc.metadata["license_source"]) == ("CC-BY-SA-3.0", "input")


@pytest.mark.parametrize("fmt", ["yaml", "json", "csv"])
def test_domain_list(tmp_path, fmt):
    path = tmp_path / f"domains.{fmt}"
    entries = {"wiki.example.org": "CC-BY-SA-4.0", "opendata.gov.xx": "CC0-1.0"}
    if fmt == "csv":
        path.write_text("domain,license\n" + "".join(f"{d},{lic}\n" for d, lic in entries.items()))
    elif fmt == "json":
        path.write_text(json.dumps(entries))
    else:
        path.write_text("".join(f"{d}: {lic}\n" for d, lic in entries.items()))
    f = LicenseFilter(domain_list=str(path))
    doc = Document(id="a", text="no statement", metadata={"url": "https://en.wiki.example.org/page"})
    f.filter(doc)
    assert (doc.metadata["license"], doc.metadata["license_source"]) == ("CC-BY-SA-4.0", "domain-list")
    # a page signal wins unless prefer_domain_list
    doc = Document(id="b", text="Released under the MIT License.", metadata={"url": "https://wiki.example.org/x"})
    f.filter(doc)
    assert doc.metadata["license"] == "MIT"
    LicenseFilter(domain_list=str(path), prefer_domain_list=True).filter(doc)
    assert doc.metadata["license_source"] == "domain-list"


def test_bad_domain_list(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        LicenseFilter(domain_list=str(tmp_path / "missing.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("a.org: Some Licence\n")
    with pytest.raises(ConfigError, match="not a known licence"):
        LicenseFilter(domain_list=str(bad))


def test_winnow_apply_end_to_end(tmp_path):
    inp = tmp_path / "in.jsonl"
    docs = [{"id": "1", "text": _page(body='<a rel="license" href="https://creativecommons.org/licenses/by/4.0/">x</a>')},
            {"id": "2", "text": "Nothing about licences."}]
    inp.write_text("".join(json.dumps(d) + "\n" for d in docs))
    out = tmp_path / "out"
    assert main(["apply", "license_v1", str(inp), "--output", str(out), "--set", "allow=[CC-BY-4.0]"]) == 0
    kept = pq.read_table(out / "documents").to_pylist()
    assert [(r["id"], r["license"]) for r in kept] == [("1", "CC-BY-4.0")]
    assert kept[0]["license_source"] == "html-rel"
    removed = pq.read_table(out / "removed").to_pylist()
    assert [(r["id"], r["reason"]) for r in removed] == [("2", "license_unknown")]
