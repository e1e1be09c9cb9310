"""Benchmark decontamination (decontam_v1): loaders, drop/mask/keep cases, bad input, and the measured evaluation.

The evaluation plants real benchmark items (../shared/data/benchmarks) into real clean documents
(../shared/data/domains), verbatim and lightly reformatted, and measures recall; false positives are
measured on unmodified documents of every domain corpus.
"""

import gzip
import json
import random
import re
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datatrove.data import Document

from filters.decontam import (
    template_words,
    DecontamIndex,
    Decontaminate,
    load_benchmarks,
    normalize_words,
    resolve_benchmarks,
)
from pipeline.errors import ConfigError
from pipeline.registry import get_stage, validate_params
from tests.conftest import shared_data

ITEM = (
    "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins "
    "for her friends every day with four. How much in dollars does she make every day?"
)
HOST = (
    "The river rises in the northern hills and runs south through a broad valley of farms and small towns. "
    "In spring the water is high, and the people who live along the banks watch it closely for floods."
)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def bench(tmp_path) -> Path:
    folder = tmp_path / "toyqa"
    folder.mkdir()
    write_jsonl(folder / "test.jsonl", [{"id": "q1", "text": ITEM}, {"id": "q2", "text": "too short to index"}])
    return folder


def run(step, *texts):
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]
    return docs, list(step.run(iter(docs)))


# --- normalisation ----------------------------------------------------------------------------------------------


def test_normalisation_folds_case_punctuation_width_and_joins():
    assert normalize_words("Don’t STOP: 80,000 well-known ＡＢＣ cafe\u0301") == [
        "dont", "stop", "80000", "well", "known", "abc", "café",
    ]
    plain = "dont stop 80000 well known abc café"
    assert normalize_words(plain) == normalize_words("Don't stop: 80,000 well known ABC café")
    assert normalize_words("中文abc हिन्दी") == ["中", "文", "abc", "हिन्दी"]
    assert normalize_words("") == [] and normalize_words(" \n\t .,;!") == []


# --- the stage: keep, drop, mask --------------------------------------------------------------------------------


def test_registered_with_schema():
    assert get_stage("decontam_v1") is Decontaminate
    with pytest.raises(ConfigError, match="missing required parameter.*benchmarks"):
        validate_params("decontam_v1", {})


def test_keep_clean_document(bench):
    step = Decontaminate([str(bench)], force=True)
    docs, kept = run(step, HOST)
    assert kept == docs and docs[0].text == HOST and "decontam_item" not in docs[0].metadata


def test_drop_contaminated_document(bench):
    step = Decontaminate([str(bench)], force=True)
    doc = Document(text=HOST + "\n\n" + ITEM.upper().replace(".", " ") + "\n" + HOST, id="d")
    assert step.filter(doc) == (False, "decontam_contaminated")
    md = doc.metadata
    assert (md["decontam_benchmark"], md["decontam_item"]) == ("toyqa", "q1")
    assert md["decontam_ngrams"] == len(normalize_words(ITEM)) - 13 + 1
    step = Decontaminate([str(bench)], force=True)
    _, kept = run(step, doc.text)
    assert kept == [] and step.stats["dropped_decontam_contaminated"].total == 1
    assert step.stats["contaminated_toyqa"].total == 1


def test_mask_replaces_span_and_keeps_the_rest(bench):
    step = Decontaminate([str(bench)], mode="mask", mask="<X>", force=True)
    before, after = HOST + "\n\n", "\n" + HOST
    docs, kept = run(step, before + ITEM + after)
    assert kept == docs
    # The match runs from the first to the last matching word; the final "?" is not a word and stays.
    assert docs[0].text == before + "<X>?" + after
    assert docs[0].metadata["decontam_item"] == "q1" and docs[0].metadata["decontam_ngrams"] > 0


def test_mask_two_separate_passages_non_ascii(bench):
    step = Decontaminate([str(bench)], mode="mask", force=True)
    text = "Привет мир. " + ITEM + " — 中文文本 — " + ITEM.replace("'", "’") + " конец"
    doc = Document(text=text, id="d")
    assert step.filter(doc) is True
    assert doc.text == "Привет мир. [MASKED]? — 中文文本 — [MASKED]? конец"


def test_short_item_is_matched_whole_and_tiny_item_never(tmp_path):
    short = "the quick brown fox jumps over the dog"  # 8 words: indexed whole
    folder = tmp_path / "tiny"
    folder.mkdir()
    write_jsonl(folder / "t.jsonl", [{"text": short}, {"text": "over the lazy dog"}])
    step = Decontaminate([str(folder)], force=True)
    assert step.filter(Document(text="Yes: The Quick, brown fox jumps over the dog!", id="a")) == (
        False, "decontam_contaminated",
    )
    assert step.filter(Document(text="quick brown fox jumps over the dog", id="b")) is True
    assert step.filter(Document(text="he jumped over the lazy dog", id="c")) is True
    assert step.index.short_items == 1 and step.index.skipped_items == 1


def test_non_latin_item_is_found(tmp_path):
    item = "Съешь же ещё этих мягких французских булок, да выпей чаю, а потом иди домой и спи до самого утра"
    write_jsonl(tmp_path / "ru.jsonl", [{"id": "r1", "text": item}])
    step = Decontaminate([str(tmp_path / "ru.jsonl")], force=True)
    doc = Document(text="Начало. " + item.upper().replace(",", "") + " Конец.", id="d")
    assert step.filter(doc) == (False, "decontam_contaminated") and doc.metadata["decontam_benchmark"] == "ru"


EDGE_TEXTS = [
    "", "   \n\t", "word", "!!! ??? ...", "中", "Съешь же ещё этих мягких французских булок",
    "नमस्ते दुनिया " * 50, "مرحبا بالعالم " * 50, "\x00\ud800\ufeff lone surrogate", "a" * 100_000,
]


@pytest.mark.parametrize("text", EDGE_TEXTS)
def test_edge_documents_pass(bench, text):
    step = Decontaminate([str(bench)], force=True)
    docs, kept = run(step, text)
    assert kept == docs and docs[0].text == text


def test_huge_document_streams(bench):
    host = (HOST + "\n") * (10_000_000 // len(HOST))  # ~10 MB
    mid = len(host) // 2
    doc = Document(text=host[:mid] + ITEM + host[mid:], id="big")
    step = Decontaminate([str(bench)], force=True)
    step.index
    t = time.perf_counter()
    assert step.filter(doc) == (False, "decontam_contaminated")
    assert time.perf_counter() - t < 15


def test_pickled_step_builds_its_index_lazily(bench):
    import pickle

    step = Decontaminate([str(bench)], force=True)
    step.index
    clone = pickle.loads(pickle.dumps(step))
    assert clone._index is None
    assert clone.filter(Document(text=ITEM, id="x")) == (False, "decontam_contaminated")


# --- configuration errors ---------------------------------------------------------------------------------------


def test_bad_mode_names_the_allowed_values(bench):
    with pytest.raises(ConfigError, match="mode.*'delete'.*drop, mask"):
        Decontaminate([str(bench)], mode="delete", force=True)


def test_bad_paths_name_the_path(tmp_path):
    missing = str(tmp_path / "nope" / "gsm8k.jsonl")
    with pytest.raises(ConfigError, match=re.escape(missing)):
        Decontaminate([missing])
    with pytest.raises(ConfigError, match="matched no files"):
        Decontaminate([str(tmp_path / "*.parquet")])
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ConfigError, match="notes.txt.*unsupported format"):
        Decontaminate([str(tmp_path / "notes.txt")])
    with pytest.raises(ConfigError, match="non-empty list"):
        Decontaminate([])


def test_bad_records_name_file_and_row(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": broken\n')
    with pytest.raises(ConfigError, match=r"bad.jsonl, line 2: not valid JSON"):
        load_benchmarks([str(bad)])
    nofield = write_jsonl(tmp_path / "nofield.jsonl", [{"text": "fine"}, {"label": 1}])
    with pytest.raises(ConfigError, match=r"nofield.jsonl, row 2: no benchmark text.*\['label'\]"):
        load_benchmarks([str(nofield)])
    csvf = tmp_path / "odd.csv"
    csvf.write_text("alpha,beta\n1,2\n")
    with pytest.raises(ConfigError, match=r"odd.csv, row 1: unrecognised CSV layout"):
        load_benchmarks([str(csvf)])
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("What is one plus one?,1,2,3,4,B\nWhat is two plus two?,4,B\n")
    with pytest.raises(ConfigError, match=r"ragged.csv, row 2: expected 6 columns"):
        load_benchmarks([str(ragged)])


# --- loaders ----------------------------------------------------------------------------------------------------


def test_loaders_for_other_layouts(tmp_path):
    (tmp_path / "hdr.csv").write_text("question,A,B,C,D,answer\nWhich planet is largest?,Mars,Jupiter,Venus,Earth,B\n")
    pq.write_table(
        pa.table({"question": ["What is the boiling point of water at sea level?"], "choices": [["90", "100"]],
                  "answer": [1]}),
        tmp_path / "mmlu_hf.parquet",
    )
    (tmp_path / "list.json").write_text(json.dumps([{"goal": "Open a jar", "sol1": "Twist the lid", "sol2": "Hit it"}]))
    with gzip.open(tmp_path / "g.jsonl.gz", "wt") as f:
        f.write(json.dumps({"question": "Q one two?", "answer": "Half is 48/2 = <<48/2=24>>24.\n#### 24"}) + "\n")
    items = {i.benchmark: i for i in load_benchmarks([str(tmp_path / "*")])}
    assert items["hdr"].text == "Which planet is largest?\nA. Mars\nB. Jupiter\nC. Venus\nD. Earth"
    assert items["hdr"].item_id == "hdr.csv:1"
    assert items["mmlu_hf"].text == "What is the boiling point of water at sea level?\nA. 90\nB. 100"
    assert items["list"].text == "Open a jar\nTwist the lid\nHit it"
    assert items["g"].text == "Q one two?\nHalf is 48/2 = 24.\n#### 24" and items["g"].item_id == "g.jsonl.gz:1"
    named = load_benchmarks([f"myqa={tmp_path / 'list.json'}"])
    assert [i.benchmark for i in named] == ["myqa"]


def test_loaders_on_the_real_benchmark_slices():
    root = shared_data("benchmarks")
    expected = {"gsm8k": 200, "humaneval": 40, "mmlu": 285, "arc": 299, "piqa": 1838}
    assert dict(Counter(n for n, _ in resolve_benchmarks([str(root / "*")]))) == {
        "arc": 1, "gsm8k": 1, "humaneval": 1, "mmlu": 57, "piqa": 1,
    }
    by_name: dict[str, list] = {}
    for item in load_benchmarks([str(root / name) for name in expected]):
        by_name.setdefault(item.benchmark, []).append(item)
    assert {k: len(v) for k, v in by_name.items()} == expected
    for items in by_name.values():
        assert len({i.item_id for i in items}) == len(items)
        assert all(i.text.strip() for i in items)
    gsm = by_name["gsm8k"][0]
    assert gsm.item_id == "test_first200.jsonl.gz:1" and "<<" not in gsm.text and "#### 18" in gsm.text
    he = by_name["humaneval"][0]
    assert he.item_id == "HumanEval/0" and "def has_close_elements" in he.text and "return False" in he.text
    assert "def check(candidate)" not in he.text
    mmlu = by_name["mmlu"][0]
    assert mmlu.item_id == "abstract_algebra_dev.csv:1" and mmlu.text.endswith("\nC. 2\nD. 3")
    arc = by_name["arc"][0]
    assert arc.item_id == "Mercury_SC_407695" and "\nD. Record the details of the investigation." in arc.text
    piqa = by_name["piqa"][0]
    assert piqa.item_id == "c36c629e-12e9-43cc-8936-e1a96d869ab0" and piqa.text.count("\n") == 2


# --- measured evaluation: recall of planted items, false positives on clean text -------------------------------

_PUNCT = re.compile(r"[^\w\s]")
_WS = ["  ", "\n", "\t", " \n", "   ", "\n\n"]


def reformat_whitespace(text: str, rng: random.Random) -> str:
    return "".join(w + (rng.choice(_WS) if rng.random() < 0.4 else " ") for w in text.split()).strip()


def reformat_case(text: str, rng: random.Random) -> str:
    how = rng.choice(["upper", "lower", "title", "swap"])
    if how == "swap":
        return " ".join(w.upper() if rng.random() < 0.5 else w.lower() for w in text.split(" "))
    return getattr(text, how)()


def reformat_punctuation(text: str, rng: random.Random) -> str:
    how = rng.choice(["delete", "space", "pad", "curly"])
    if how == "delete":
        return _PUNCT.sub("", text)
    if how == "space":
        return _PUNCT.sub(" ", text)
    if how == "pad":  # tokenised-corpus style: "word , word ."
        return _PUNCT.sub(lambda m: f" {m.group()} ", text)
    return text.replace("'", "’").replace('"', "”").replace(" - ", " – ").replace("-", "‐")


REFORMATS = {
    "verbatim": lambda t, rng: t,
    "whitespace": reformat_whitespace,
    "case": reformat_case,
    "punctuation": reformat_punctuation,
    "all": lambda t, rng: reformat_punctuation(reformat_case(reformat_whitespace(t, rng), rng), rng),
}


def domain_docs(per_file: int) -> list[tuple[str, str, str]]:
    out = []
    for path in sorted(shared_data("domains").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line, _ in zip(f, range(per_file)):
                rec = json.loads(line)
                out.append((path.name.split(".")[0], rec["id"], rec["text"]))
    return out


@pytest.fixture(scope="module")
def real_step():
    step = Decontaminate([str(shared_data("benchmarks") / "*")])
    step.index
    return step


def test_recall_of_planted_benchmark_items(real_step):
    rng = random.Random(13)
    index: DecontamIndex = real_step.index
    indexed = [it for it in index.items if len(normalize_words(it.text)) >= index.min_item_words]
    # Items under min_item_words are not indexed by design; they are few.
    assert len(index.items) - len(indexed) == index.skipped_items <= 0.02 * len(index.items)
    by_bench: dict[str, list] = {}
    for it in indexed:
        by_bench.setdefault(it.benchmark, []).append(it)
    sample = [it for items in by_bench.values() for it in rng.sample(items, min(80, len(items)))]
    hosts = [t for src, _, t in domain_docs(400) if src.startswith(("encyclopedic_wikitext", "reviews", "scientific"))]
    assert len(sample) >= 350 and len(hosts) >= 500
    found: dict[str, list[int]] = {k: [0, 0] for k in REFORMATS}
    missed = []
    for it in sample:
        for kind, reformat in REFORMATS.items():
            host = rng.choice(hosts)[:3000]
            cut = host.rfind(" ", 0, rng.randrange(len(host) + 1))
            cut = max(cut, 0)
            doc = Document(text=host[:cut] + " " + reformat(it.text, rng) + " " + host[cut:], id=it.item_id)
            hit = real_step.filter(doc) != True  # noqa: E712 - a drop is a tuple
            found[kind][0] += hit
            found[kind][1] += 1
            if hit:
                assert doc.metadata["decontam_benchmark"] == it.benchmark
            else:
                missed.append((kind, it.benchmark, it.item_id))
    recall = {k: hit / n for k, (hit, n) in found.items()}
    print(f"\nrecall over {len(sample)} planted items: {recall}; missed: {missed}")
    assert all(r >= 0.98 for r in recall.values()), (recall, missed)


def test_false_positives_on_clean_real_text(real_step):
    docs = domain_docs(500)
    assert len(docs) >= 2000
    t = time.perf_counter()
    hits = []
    for src, doc_id, text in docs:
        doc = Document(text=text, id=doc_id)
        if real_step.filter(doc) is not True:
            hits.append((src, doc_id, doc.metadata.get("decontam_item")))
    elapsed = time.perf_counter() - t
    print(f"\nfalse positives: {len(hits)}/{len(docs)} clean documents {hits}; {len(docs) / elapsed:.0f} docs/s")
    assert len(hits) <= 0.001 * len(docs), hits


# --- template contamination: items rewritten with other numbers and names ---------------------------------------

_NAMES = ["Maria", "Omar", "Priya", "Kenji", "Lucia", "Tariq", "Hannah", "Diego", "Amara", "Pavel", "Ingrid", "Wei"]
_STARTERS = {"The", "A", "An", "How", "If", "What", "She", "He", "They", "It", "In", "On", "Each", "Every", "There",
             "This", "Her", "His", "After", "When", "Then", "So", "Their", "At", "For", "To", "We", "You", "Of", "One",
             "Two", "Three", "All", "But", "And", "Which", "Who", "Since", "Half", "I"}
_SMALL = "one two three four five six seven eight nine ten".split()


def rewrite_numbers_and_names(text: str, rng: random.Random) -> str:
    """A GSM8K-style item with every number changed (digits and number words) and every name swapped for another."""
    text = re.sub(r"\d+(?:\.\d+)?", lambda m: f"{rng.uniform(1, 99):.2f}" if "." in m.group()
                  else str(int(m.group()) + rng.randint(1, 9)), text)
    text = re.sub(rf"\b({'|'.join(_SMALL)})\b", lambda m: rng.choice([w for w in _SMALL if w != m.group()]), text)
    for name in sorted(set(re.findall(r"\b[A-Z][a-z]+\b", text)) - _STARTERS):
        text = re.sub(rf"\b{name}\b", rng.choice([n for n in _NAMES if n != name]), text)
    return text


def test_template_shapes():
    assert template_words("Natalia sold 48 clips, three in April.") == ["@", "sold", "#", "clips", "#", "in", "@"]
    assert template_words("$80,000 and 2.5 kg") == ["#", "and", "#", "kg"]


def test_template_rewrites_of_gsm8k_items_are_caught_and_reported_apart(real_step):
    rng = random.Random(21)
    gsm = [json.loads(line) for line in gzip.open(shared_data("benchmarks", "gsm8k", "test_first200.jsonl.gz"), "rt")]
    hosts = [t for src, _, t in domain_docs(400) if src.startswith(("encyclopedic_wikitext", "reviews", "scientific"))]
    off = Decontaminate([str(shared_data("benchmarks") / "*")], template="off")
    found = {"auto": Counter(), "off": Counter()}
    for i, rec in enumerate(gsm):
        for kind in ("question", "question and answer"):
            item = rec["question"] + ("\n" + re.sub(r"<<[^>]*>>", "", rec["answer"]) if "answer" in kind else "")
            rewritten = rewrite_numbers_and_names(item, rng)
            assert rewritten != item
            host = rng.choice(hosts)[:3000]
            cut = max(host.rfind(" ", 0, rng.randrange(len(host) + 1)), 0)
            text = host[:cut] + " " + rewritten + " " + host[cut:]
            for mode, step in (("auto", real_step), ("off", off)):
                doc = Document(text=text, id=f"g{i}")
                result = step.filter(doc)
                found[mode][kind] += result is not True
                if mode == "auto" and result is not True:
                    assert doc.metadata["decontam_benchmark"] == "gsm8k", doc.metadata
                    if result == (False, "decontam_template"):
                        assert doc.metadata["decontam_match"] == "template"
                        found["auto"]["as template"] += 1
    n = len(gsm)
    print(f"\ntemplate recall over {n} rewritten GSM8K items: {dict(found['auto'])}; without templates: "
          f"{dict(found['off'])}")
    assert found["auto"]["question"] >= 0.95 * n and found["auto"]["question and answer"] >= 0.95 * n, found
    assert found["off"]["question"] <= 0.8 * n  # the exact n-grams alone miss many: the templates do the work
    assert found["auto"]["as template"] >= 0.3 * n
