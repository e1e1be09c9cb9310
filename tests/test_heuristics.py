"""One keep case and one drop case per reason for each heuristic filter, asserting the reason string."""

import pytest
from datatrove.data import Document

from filters.heuristics import C4Quality, FineWebQuality, GopherQuality, GopherRepetition
from filters.textstats import count_sentences, stats_for, tokenize_words

GOOD = (
    "The river rises in the northern hills and runs south through a broad valley of farms and small towns.\n"
    "In spring the water is high, and the people who live along the banks watch it closely for floods.\n"
    "Most years it stays within its course, but the old records describe several great floods that changed the land.\n"
    "Farmers have learned to plant later in wet years, and the town council keeps sandbags ready near the bridge.\n"
    "Scientists from the university measure the flow every week and publish the results for anyone to read.\n"
    "Their work shows that the average level has risen slowly over the last fifty years, with some variation.\n"
    "Visitors come in the summer to fish, to walk the long trail by the water, and to see the birds that nest there."
)


def doc(text: str) -> Document:
    return Document(text=text, id="t")


def run_filter(f, text):
    return f.filter(doc(text))


# --- tokenisation shared by all filters -------------------------------------------------------------------------


def test_tokenizer_matches_spacy_conventions():
    text = "It's the U.S.A. (e.g. 3.5%) -- don't... well-known user_name a@b.com https://x.org/a?b=1"
    assert tokenize_words(text) == [
        "It", "'s", "the", "U.S.A.", "(", "e.g.", "3.5", "%", ")", "--", "do", "n't", "...",
        "well", "-", "known", "user_name", "a@b.com", "https://x.org/a?b=1",
    ]


def test_sentence_count_and_cache_follow_text_identity():
    assert count_sentences("One. Two! Three? Four") == 4
    assert count_sentences("   ") == 0
    a = stats_for(GOOD)
    assert stats_for(GOOD) is a
    assert stats_for(GOOD + " ") is not a


# --- Gopher repetition ------------------------------------------------------------------------------------------


def test_gopher_repetition_keeps_prose():
    assert run_filter(GopherRepetition(), GOOD) is True


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "gopher_repetition_empty"),
        ("\n\n".join(["same paragraph here"] * 3 + ["another one", "a third"]), "gopher_repetition_dup_para_frac"),
        ("\n\n".join(["a much longer repeated paragraph " * 4] * 2 + ["x", "y", "z", "w", "v", "u"]),
         "gopher_repetition_dup_para_char_frac"),
        ("\n".join(["line one", "line one", "line one", "line two", "line three"]), "gopher_repetition_dup_line_frac"),
        ("\n".join(["a long repeated line of text for testing " * 3] * 2 + [f"l{i}" for i in range(8)]),
         "gopher_repetition_dup_line_char_frac"),
        (" ".join(["buy now"] * 30 + ["the end of it all is near"]), "gopher_repetition_top_2_gram"),
        (" ".join(f"w{i}" for i in range(150)) + " " + " ".join("alpha beta gamma".split() * 12),
         "gopher_repetition_top_3_gram"),
    ],
)
def test_gopher_repetition_drops(text, reason):
    assert run_filter(GopherRepetition(), text) == (False, reason)


def test_gopher_repetition_top_4_and_duplicated_ngrams():
    # Disable earlier rules to reach each later one in isolation.
    only_top4 = GopherRepetition(top_n_grams=[[4, 0.16]], dup_n_grams=[])
    text = " ".join(f"u{i}" for i in range(50)) + " " + "one two three four " * 8
    assert run_filter(only_top4, text) == (False, "gopher_repetition_top_4_gram")
    for n in (5, 10):
        f = GopherRepetition(top_n_grams=[], dup_n_grams=[[n, 0.1]])
        body = " ".join(f"repeatedword{i}" for i in range(n))
        text = " ".join(f"u{i}" for i in range(40)) + " " + body + " " + body
        assert run_filter(f, text) == (False, f"gopher_repetition_duplicated_{n}_n_grams")
        assert run_filter(f, " ".join(f"u{i}" for i in range(80))) is True


# --- Gopher quality ----------------------------------------------------------------------------------------------


def test_gopher_quality_keeps_prose():
    assert run_filter(GopherQuality(), GOOD) is True


def words(n, w="word"):
    return " ".join([w] * n)


@pytest.mark.parametrize(
    "kwargs, text, reason",
    [
        ({}, "the and of it", "gopher_quality_few_words"),
        ({"max_doc_words": 20}, GOOD, "gopher_quality_too_many_words"),
        ({}, "the and of " + words(60, "a b"), "gopher_quality_short_words"),
        ({}, "the and of " + words(60, "extraordinarily"), "gopher_quality_long_words"),
        ({}, GOOD + " " + "#tag " * 20, "gopher_quality_too_many_hashes"),
        ({}, GOOD + " " + "wait... " * 20, "gopher_quality_too_many_ellipsis"),
        ({}, "\n".join(f"- the item number {i} and more" for i in range(30)), "gopher_quality_too_many_bullets"),
        ({}, "\n".join(f"the long story of item {i} and what the people of the town said about it then..."
                       for i in range(30)),
         "gopher_quality_too_many_end_ellipsis"),
        ({}, "the and of that " + " ".join(str(100000 + i) for i in range(80)), "gopher_quality_few_alpha_words"),
        ({}, words(80, "river"), "gopher_quality_few_stop_words"),
    ],
)
def test_gopher_quality_drops(kwargs, text, reason):
    assert run_filter(GopherQuality(**kwargs), text) == (False, reason)


# --- C4 ----------------------------------------------------------------------------------------------------------


def test_c4_keeps_prose_and_removes_boilerplate_lines():
    f = C4Quality(filter_no_terminal_punct=False)
    d = doc(GOOD + "\nPlease enable JavaScript to view the comments.\nRead our privacy policy here.\nShort line"
            "\nSee [1] here [edit] now.")
    assert f.filter(d) is True
    assert "JavaScript" not in d.text and "privacy policy" not in d.text
    assert "See  here  now." in d.text  # citations stripped, line kept (3+ words)
    assert "Short line" not in d.text  # fewer than 3 words


def test_c4_terminal_punct_rule_is_configurable():
    text = GOOD + "\nA line without an end mark"
    strict, lax = doc(text), doc(text)
    assert C4Quality().filter(strict) is True and "without an end mark" not in strict.text
    assert C4Quality(filter_no_terminal_punct=False).filter(lax) is True and "without an end mark" in lax.text


@pytest.mark.parametrize(
    "text, reason",
    [
        (GOOD + "\nLorem ipsum dolor sit amet, consectetur.", "c4_quality_lorem_ipsum"),
        (GOOD + "\nIn code we write { return the value; } often.", "c4_quality_curly_bracket"),
        ("One sentence only here.\nAnd another one.", "c4_quality_too_few_sentences"),
    ],
)
def test_c4_drops(text, reason):
    assert run_filter(C4Quality(), text) == (False, reason)


# --- FineWeb -----------------------------------------------------------------------------------------------------


def test_fineweb_keeps_prose():
    assert run_filter(FineWebQuality(), GOOD) is True


@pytest.mark.parametrize(
    "text, reason",
    [
        ("   \n  ", "fineweb_quality_empty"),
        ("\n".join(f"a heading without any end mark number {i}" for i in range(10)),
         "fineweb_quality_line_punct_ratio"),
        ("\n".join(["Yes.", "No.", "Maybe so.", GOOD.split("\n")[0]]), "fineweb_quality_short_line_ratio"),
        (GOOD + "\n" + GOOD.split("\n")[0], "fineweb_quality_char_dup_ratio"),
        ("\n".join(f"Supercalifragilistic{i}expialidocious antidisestablishmentarianism." for i in range(20)),
         "fineweb_quality_list_ratio"),
    ],
)
def test_fineweb_drops(text, reason):
    assert run_filter(FineWebQuality(), text) == (False, reason)


def test_fineweb_list_ratio_counts_tokens_not_whitespace_chunks():
    """Lines of one whitespace chunk but many tokens: 9 newlines per 10 chunks, 9 per 120 words (kept);
    one long word and its full stop per line: 19 per 40 words (dropped). The chunk shortcut decides neither."""
    many = "\n".join(f"alpha{i};beta;gamma;delta;epsilon;zeta." for i in range(10))
    assert run_filter(FineWebQuality(), many) is True
    few = "\n".join(f"Supercalifragilistic{i}expialidociousantidisestablishmentarianism." for i in range(20))
    assert run_filter(FineWebQuality(), few) == (False, "fineweb_quality_list_ratio")


# --- unique_words_v1 (a score, no drops) ---------------------------------------------------------------------------


def test_unique_words_scores_repetition_and_drops_nothing():
    from filters.heuristics import UniqueWords

    docs = [doc("The cat saw the dog."), doc("buy now buy now buy now buy now"), doc("... !!! ---"), doc(GOOD)]
    out = list(UniqueWords().run(iter(docs)))
    assert len(out) == 4  # annotates only
    fracs = [d.metadata["unique_word_frac"] for d in out]
    assert fracs[0] == 4 / 5  # "the" twice (case folded), punctuation not a word
    assert fracs[1] == 2 / 8 and fracs[2] is None and 0.5 < fracs[3] < 1


def test_unique_words_column_lands_in_the_output_typed(tmp_path):
    """A stage's declared column reaches every output file of a run, with nothing else to change."""
    import json

    import pyarrow.parquet as pq

    from pipeline.cli import main

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate([GOOD, "a a a a"])))
    assert main(["apply", "unique_words_v1", str(src), "--output", str(tmp_path / "o")]) == 0
    table = pq.read_table(tmp_path / "o" / "documents")
    assert str(table.schema.field("unique_word_frac").type) == "double"
    assert dict(zip(table.column("id").to_pylist(), table.column("unique_word_frac").to_pylist()))["d1"] == 0.25


def test_top_ngram_rule_ties_and_counts_as_gopher():
    # "aa bb" and "cccccc dddddd" both occur twice; Gopher (datatrove's Counter.most_common) measures the
    # one seen first, words joined by spaces: 2 * 5 / 45 = 0.22, not the longer one's 2 * 13 / 45 = 0.58.
    # test_agreement.py checks the same text against datatrove's filter (which needs spaCy: make test-slow).
    text = "aa bb x cccccc dddddd y aa bb z cccccc dddddd"
    assert len(text) == 45
    off = dict(dup_line_frac=None, dup_para_frac=None, dup_line_char_frac=None, dup_para_char_frac=None)
    for frac, expected in ((0.25, True), (0.2, (False, "gopher_repetition_top_2_gram"))):
        ours = GopherRepetition(top_n_grams=[(2, frac)], dup_n_grams=[], **off).filter(Document(text=text, id="t"))
        assert ours == expected, frac


def test_duplicated_ngram_count_matches_the_reference_walk():
    # the fast count visits only repeated positions; it must equal the walk over every position (Gopher's
    # reference semantics: skip past each repeat, so overlapping repeats count once) on any input
    import random

    import numpy as np

    from filters.heuristics import GopherRepetition

    rng = random.Random(0)
    for _ in range(5000):
        size = rng.randint(0, 60)
        ids = [rng.randrange(rng.randint(1, 6)) for _ in range(size)]
        lens = [rng.randint(1, 9) for _ in range(size)]
        cum = np.concatenate([[0], np.cumsum(lens, dtype=np.int64)])
        for n in (2, 5, 7):
            fast = GopherRepetition._dup_ngram_chars(np.array(ids, dtype=np.uint64), cum, n)
            assert (fast or 0) == GopherRepetition._dup_ngram_chars_walk(ids, lens, n), (ids, n)
            assert (fast is None) == (len(set(zip(*(ids[i:] for i in range(n))))) == max(size - n + 1, 0))
