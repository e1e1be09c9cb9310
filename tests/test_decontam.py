"""Benchmark decontamination (decontam_v1): loaders, drop/mask/keep cases, bad input, and the measured evaluation.

The fast tests use small benchmark files they write in each benchmark's native layout. The evaluations over
thousands of real documents are marked ``slow`` (``make test-slow``): the recall sweep over the benchmarks'
own files planted in real documents, with the false positives on every clean domain document
(tests/bench/bench_decontam.py prints the same numbers), and the template sweep over rewritten GSM8K items.
"""

import gzip
import json
import random
import re
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datatrove.data import Document

from filters.decontam import (
    Decontaminate,
    load_benchmarks,
    normalize_words,
    resolve_benchmarks,
    stripped,
    template_words,
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


def test_item_in_the_middle_of_a_long_document_is_found(bench):
    host = (HOST + "\n") * (1_000_000 // len(HOST))  # ~1 MB
    mid = len(host) // 2
    step = Decontaminate([str(bench)], force=True)
    assert step.filter(Document(text=host[:mid] + ITEM + host[mid:], id="big")) == (False, "decontam_contaminated")
    assert step.filter(Document(text=host, id="clean")) is True


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


# --- native files: every way an item is written ----------------------------------------------------------------

SHORT_Q = "Which planet in our solar system has the most moons?"  # 10 words: under one 13-gram
PLANETS = ["Earth", "Mars", "Saturn", "Venus"]
HELLA = {  # HellaSwag's own jsonl (rowanz/hellaswag data/hellaswag_val.jsonl); HF's has the label as a string
    "ind": 4, "activity_label": "Cleaning windows", "ctx_a": "[header] How to clean windows [title] Mix the soap.",
    "ctx_b": "", "ctx": "[header] How to clean windows [title] Mix the soap.", "split": "val",
    "split_type": "indomain", "label": 2, "source_id": "wikihow~101",
    "endings": ["Pour it on the floor of the car.", "Drink it slowly with a straw.",
                "Spray the glass and wipe it with newspaper.", "Paint the door with it twice."],
}


def native_files(tmp_path: Path) -> dict[str, Path]:
    """One small file per native layout, each with an item whose question is under 13 words."""
    folder = tmp_path / "bench"
    (folder / "mmlu").mkdir(parents=True)
    (folder / "mmlu" / "astronomy_test.csv").write_text(  # MMLU: no header; question, A-D, answer letter
        '"What is the largest planet in the solar system, by mass and by radius?",Jupiter,Mars,Venus,Earth,A\n'
        f"{SHORT_Q},{','.join(PLANETS)},C\n")
    (folder / "arc").mkdir()
    write_jsonl(folder / "arc" / "ARC-Challenge-Test.jsonl", [{
        "id": "Mercury_1", "answerKey": "C",
        "question": {"stem": SHORT_Q, "choices": [{"text": t, "label": k} for k, t in zip("ABCD", PLANETS)]}}])
    (folder / "hellaswag").mkdir()
    write_jsonl(folder / "hellaswag" / "hellaswag_val.jsonl", [HELLA, {**HELLA, "ind": 5, "label": "2"}])
    return {"mmlu": folder / "mmlu", "arc": folder / "arc", "hellaswag": folder / "hellaswag"}


def test_native_files_load_every_way_an_item_is_written(tmp_path):
    files = native_files(tmp_path)
    items = {(i.benchmark, i.item_id): i for i in load_benchmarks([str(p) for p in files.values()])}
    assert sorted(items) == [("arc", "Mercury_1"), ("hellaswag", "4"), ("hellaswag", "5"),
                             ("mmlu", "astronomy_test.csv:1"), ("mmlu", "astronomy_test.csv:2")]
    for key in (("mmlu", "astronomy_test.csv:2"), ("arc", "Mercury_1")):
        item = items[key]
        assert item.text == SHORT_Q + "\nA. Earth\nB. Mars\nC. Saturn\nD. Venus"
        assert item.variants == (SHORT_Q + "\nEarth\nMars\nSaturn\nVenus", SHORT_Q + "\nSaturn")
    hella = items[("hellaswag", "4")]
    assert hella.text == HELLA["ctx"] + "\n" + "\n".join(HELLA["endings"])  # HellaSwag shows no labels
    assert HELLA["ctx"] + "\nA. Pour it on the floor of the car." in hella.variants[0]
    assert HELLA["ctx"] + "\nSpray the glass and wipe it with newspaper." in hella.variants
    assert hella.variants[2:] == items[("hellaswag", "5")].variants[2:]  # label 2 and "2" name the same ending
    lm_eval = "Cleaning windows: How to clean windows. Mix the soap. Spray the glass and wipe it with newspaper."
    assert normalize_words(lm_eval)[2:] in [normalize_words(v) for v in hella.variants]  # markers deleted


@pytest.mark.parametrize("benchmark", ["mmlu", "arc"])
@pytest.mark.parametrize("written", [
    SHORT_Q + "\nEarth\nMars\nSaturn\nVenus",  # the choices without their labels
    SHORT_Q.upper() + "   SATURN",  # the correct answer alone, upper-cased and re-spaced
    SHORT_Q.replace("?", "") + " Earth Mars Saturn Venus",  # punctuation stripped
])
def test_short_item_without_labels_is_dropped(tmp_path, benchmark, written):
    step = Decontaminate([str(native_files(tmp_path)[benchmark])])
    doc = Document(text=HOST + "\n" + written + "\n" + HOST, id="d")
    assert step.filter(doc) == (False, "decontam_contaminated")
    assert doc.metadata["decontam_benchmark"] == benchmark


def test_short_question_with_a_wrong_answer_is_kept(tmp_path):
    step = Decontaminate([str(native_files(tmp_path)["mmlu"])])
    assert step.filter(Document(text=HOST + " " + SHORT_Q + " Jupiter, of course. " + HOST, id="d")) is True
    assert step.filter(Document(text=SHORT_Q + "\nA. Earth\nB. Mars\nC. Saturn\nD. Venus", id="e")) == (
        False, "decontam_contaminated")


@pytest.mark.parametrize("written", [
    "Cleaning windows: How to clean windows. Mix the soap. Spray the glass and wipe it with newspaper.",  # lm-eval
    "[header] How to clean windows [title] Mix the soap. Spray the glass and wipe it with newspaper.",  # raw
])
def test_hellaswag_context_with_its_correct_ending_is_dropped(tmp_path, written):
    step = Decontaminate([str(native_files(tmp_path)["hellaswag"])])
    doc = Document(text=HOST + "\n" + written + "\n" + HOST, id="d")
    assert step.filter(doc) == (False, "decontam_contaminated") and doc.metadata["decontam_item"] == "4"


def test_item_stripped_of_punctuation_is_dropped(tmp_path):
    # every 13-gram of this item holds a word that deleting punctuation joins ("x^2" -> "x2", "U.S." -> "US")
    item = ("In the U.S. market, f(x) = x^2 + 3x - 4 has roots x = 1 and x = -4; the well-known "
            "e.g. rule applies to non-zero, well-formed re-entry cases in the U.K. too")
    write_jsonl(tmp_path / "mathqa.jsonl", [{"id": "m1", "question": item, "answer": "x = 1"}])
    step = Decontaminate([str(tmp_path / "mathqa.jsonl")])
    copy = re.sub(r"[^\w\s]", "", item)
    assert step.filter(Document(text=HOST + " " + copy + " " + HOST, id="d")) == (False, "decontam_contaminated")
    assert stripped("x^2, U.S. and well-known.") == "x2, US. and wellknown."


def test_template_drop_and_keep(tmp_path):
    # every 13-gram holds a number, so a copy with other numbers and names shares none exactly
    item = "Natalia sold 48 clips in April, and in May she sold 24 clips, half as many as in April, to 12 friends."
    write_jsonl(tmp_path / "gsm8k.jsonl", [{"question": item, "answer": "18"}])
    step = Decontaminate([str(tmp_path / "gsm8k.jsonl")])
    rewritten = "Priya sold 52 clips in June, and in July she sold 26 clips, half as many as in June, to 15 friends."
    doc = Document(text=HOST + " " + rewritten + " " + HOST, id="d")
    assert step.filter(doc) == (False, "decontam_template") and doc.metadata["decontam_match"] == "template"
    other = "Priya sold 52 pears in June, and in July she sold 26 pears, twice as many as in June, to 15 cousins."
    assert step.filter(Document(text=HOST + " " + other + " " + HOST, id="k")) is True


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
    assert gsm.variants == ()
    he = by_name["humaneval"][0]
    assert he.item_id == "HumanEval/0" and "def has_close_elements" in he.text and "return False" in he.text
    assert "def check(candidate)" not in he.text
    mmlu = by_name["mmlu"][0]  # Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field. 0-3, answer B
    assert mmlu.item_id == "abstract_algebra_dev.csv:1" and mmlu.text.endswith("field.\nA. 0\nB. 1\nC. 2\nD. 3")
    assert mmlu.variants == (mmlu.text.split("\n")[0] + "\n0\n1\n2\n3", mmlu.text.split("\n")[0] + "\n1")
    arc = by_name["arc"][0]
    assert arc.item_id == "Mercury_SC_407695" and "\nD. Record the details of the investigation." in arc.text
    assert arc.variants[-1].endswith("repeat their investigation?\nRecord the details of the investigation.")
    piqa = by_name["piqa"][0]
    assert piqa.item_id == "c36c629e-12e9-43cc-8936-e1a96d869ab0" and piqa.text.count("\n") == 2
    assert len(piqa.variants) == 3  # labelled, and the goal with each solution (the file names no answer)


# --- measured evaluations (slow): recall of planted items, false positives on clean text -------------------------


@pytest.mark.slow
def test_native_recall_and_false_positives(tmp_path):
    """``winnow decontam`` over the benchmarks' own files planted every way (tests/bench/bench_decontam.py)."""
    shared_data("benchmarks")
    shared_data("domains")
    from tests.bench.bench_decontam import evaluate, pooled

    r = evaluate(tmp_path)
    held_out = pooled(r["recall"], "held-out", 3)
    print(f"\nheld-out recall by reformat: {held_out}; dev: {pooled(r['recall'], 'dev', 3)}; "
          f"false positives {len(r['false_positives'])}/{r['clean']}; misses: {r['misses'][:20]}")
    assert set(held_out) == {"verbatim", "upper", "respaced", "stripped", "all"}
    assert all(v >= 0.98 for v in held_out.values()), held_out
    assert all(v >= 0.98 for v in pooled(r["recall"], "held-out", 2).values())  # every written form too
    assert r["clean"] >= 20_000 and len(r["false_positives"]) <= 0.001 * r["clean"], r["false_positives"]
    assert not r["wrong_item"], r["wrong_item"][:10]


@pytest.fixture(scope="module")
def real_step():
    step = Decontaminate([str(shared_data("benchmarks") / "*")])
    step.index
    return step


def domain_hosts() -> list[str]:
    out = []
    for path in sorted(shared_data("domains").glob("*.jsonl.gz")):
        if path.name.startswith(("encyclopedic_wikitext", "reviews", "scientific")):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                out.extend(json.loads(line)["text"] for line, _ in zip(f, range(400)))
    return out


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


@pytest.mark.slow
def test_template_rewrites_of_gsm8k_items_are_caught_and_reported_apart(real_step):
    rng = random.Random(21)
    gsm = [json.loads(line) for line in gzip.open(shared_data("benchmarks", "gsm8k", "test_first200.jsonl.gz"), "rt")]
    hosts = domain_hosts()
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
