"""`winnow quality train` (config file and flags) and `winnow quality score` end to end."""

import gzip
import json
import re

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.cli import main
from pipeline.tokens import text_counts
from tests.conftest import ROOT, shared_data


def test_train_from_the_recipe_then_score(tmp_path, capsys):
    model = tmp_path / "model"
    assert main(["quality", "train", "--config", str(ROOT / "configs" / "quality_train.yaml"), "--output", str(model),
                 "--positive", str(ROOT / "configs/data/quality_positive.jsonl"),
                 "--negative", str(ROOT / "configs/data/quality_negative.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "held-out evaluation:" in out and "roc_auc" in out
    metrics = json.loads((model / "metrics.json").read_text())
    assert metrics["model"] == "linear" and metrics["roc_auc"] > 0.95 and metrics["n_holdout"] > 0

    docs = tmp_path / "docs.jsonl"
    with open(ROOT / "configs/data/quality_positive.jsonl") as f:
        good_text = json.loads(f.readline())["text"]
    with open(docs, "w") as f:
        f.write(json.dumps({"id": "good", "text": good_text}) + "\n")
        f.write(json.dumps({"id": "bad", "text": "Buy cheap flights now! Click here! Best payday loans today!"}) + "\n")
    assert main(["quality", "score", str(docs), "--model", str(model), "--output", str(tmp_path / "scored"),
                 "--name", "demo"]) == 0
    rows = {r["id"]: r["quality_demo"] for r in pq.read_table(tmp_path / "scored" / "documents").to_pylist()}
    assert set(rows) == {"good", "bad"} and rows["good"] > 0.5 > rows["bad"]


def test_train_errors_are_clear(tmp_path, capsys):
    assert main(["quality", "train", "--positive", str(tmp_path / "none*.jsonl"), "--negative", "x",
                 "--output", str(tmp_path / "m")]) == 2
    assert "no files match" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("positve: a.jsonl\n")
    assert main(["quality", "train", "--config", str(bad)]) == 2
    assert "unknown option 'positve'" in capsys.readouterr().err


# n_words and n_tokens of every written row (pipeline.tokens.text_counts) must be what the regex and str.split
# count; the fast count classes characters instead, so these check it against the plain definitions.
_WORDS_V1 = re.compile(r"\w+|[^\w\s]")


def _reference(text: str) -> tuple[int, int]:
    return len(text.split()), len(_WORDS_V1.findall(text))


def test_counts_match_the_regex_for_every_code_point():
    every = "".join(map(chr, range(0x110000)))  # lone surrogates included: str holds them, the regex classes them
    for text in (every, every[::-1], "a".join(every), " ".join(every), "!".join(every[::7]), "x " + every[::3]):
        assert text_counts(text, "words_v1") == _reference(text)
    for text in ("", " ", "\t\n", "a", "!", " a", "a ", "a!b", "\U0001F600x\ud800 y", "e\u0301t\u00e9 \u00a0\u2028 _"):
        assert text_counts(text, "words_v1") == _reference(text), text
        assert text_counts(text, None) == (len(text.split()), None)
        if "\ud800" not in text:  # UTF-8 cannot hold a lone surrogate
            assert text_counts(text, "utf8_bytes_v1") == (len(text.split()), len(text.encode("utf-8")))


def test_counts_match_the_regex_on_real_text():
    texts = []
    for parts in (("langid", "udhr2_lines.jsonl.gz"), ("langid", "genesis_bibles.jsonl.gz"),
                  ("domains", "encyclopedic_jargon_entries.jsonl.gz"), ("quality", "sms_spam_collection.jsonl.gz")):
        with gzip.open(shared_data(*parts), "rt", encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for _, line in zip(range(3000), f)]
    assert sum(not t.isascii() for t in texts) > 1000  # the per-code-point path is exercised, not only ASCII
    assert [text_counts(t, "words_v1") for t in texts] == [_reference(t) for t in texts]


def test_score_writes_counts_and_scores_of_real_documents(tmp_path):
    """`winnow quality score` over real documents (many scripts): every row keeps its id, text and input column,
    and has the model's score and n_chars, n_words and n_tokens of its text."""
    from filters.quality import QualityModel
    from filters.quality_train import train

    model = tmp_path / "m"
    train(str(model), positive=[str(ROOT / "configs/data/quality_positive.jsonl")],
          negative=[str(ROOT / "configs/data/quality_negative.jsonl")], model="fasttext", tune=False, dim=16,
          bucket=20_000)
    with gzip.open(shared_data("langid", "udhr2_lines.jsonl.gz"), "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for _, line in zip(range(600), f)]
    with gzip.open(shared_data("domains", "reviews_movie_reviews.jsonl.gz"), "rt", encoding="utf-8") as f:
        rows += [json.loads(line) for _, line in zip(range(100), f)]
    inp = tmp_path / "in"
    inp.mkdir()
    pq.write_table(pa.Table.from_pylist([{"id": r["id"], "text": r["text"], "row_no": i} for i, r in enumerate(rows)]),
                   inp / "a.parquet")
    assert main(["quality", "score", str(inp / "*.parquet"), "--model", str(model), "--output", str(tmp_path / "o"),
                 "--tasks", "1", "--workers", "1"]) == 0
    out = pq.read_table(tmp_path / "o" / "documents").to_pylist()
    assert [(r["id"], r["text"], r["row_no"]) for r in out] == [(r["id"], r["text"], i) for i, r in enumerate(rows)]
    assert [(r["n_chars"], r["n_words"], r["n_tokens"]) for r in out] == [(len(r["text"]), *_reference(r["text"]))
                                                                         for r in rows]
    expected = QualityModel(str(model)).score([r["text"] for r in rows])
    assert np.array_equal(np.array([r["quality_m"] for r in out]), expected)


def test_train_config_values_are_typed_naming_the_file_and_key(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("positive: a.jsonl\nholdout: lots\n")
    assert main(["quality", "train", "--config", str(bad)]) == 2
    assert f"{bad}.holdout: expected float, got 'lots'" in capsys.readouterr().err
    bad.write_text("positive: a.jsonl\nmodel: forest\n")
    assert main(["quality", "train", "--config", str(bad)]) == 2
    assert f"{bad}.model: 'forest' is not one of fasttext, linear" in capsys.readouterr().err
