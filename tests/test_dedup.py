"""Dedup: unit cases per method, and the planted near-duplicate evaluation on real text."""

import gzip
import json
import random

import pyarrow.parquet as pq
import pytest
import xxhash

from filters.dedup import MinHashDedup, lsh_curve, normalise, normalise_url
from pipeline.config import parse_config
from pipeline.errors import ConfigError
from pipeline.run import run
from tests.conftest import shared_data


def write_jsonl(path, docs):
    with open(path, "w") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")


def dedup(tmp_path, docs, stage, params=None, tasks=1, name="out", files=1):
    """Run one dedup stage over ``docs`` (split into ``files`` jsonl files) and return (kept rows, removed rows, stats)."""
    inp = tmp_path / f"{name}-in"
    inp.mkdir()
    for i in range(files):
        write_jsonl(inp / f"part{i}.jsonl", docs[i::files])
    cfg = parse_config({
        "name": "t", "input": {"format": "jsonl", "paths": str(inp / "*.jsonl")}, "output": str(tmp_path / name),
        "executor": {"tasks": tasks, "workers": 1}, "stages": [{stage: params or {}}],
    })
    res = run(cfg)
    kept = pq.read_table(res.output / "documents").to_pylist() if any((res.output / "documents").glob("*.parquet")) else []
    removed = pq.read_table(res.output / "removed").to_pylist() if any((res.output / "removed").glob("*.parquet")) else []
    assert res.stats["conserved"] and res.stats["input"] == len(docs) == len(kept) + len(removed)
    return kept, removed, res.stats


TEXT = "the quick brown fox jumps over the lazy dog near the river bank on a sunny day in june"


def test_normalisation():
    assert normalise("  Hello,   WORLD!\nIt's  fine. ") == "hello world it s fine"
    assert normalise_url("https://WWW.Example.com/a/b/#frag") == "example.com/a/b"
    assert normalise_url(None) is None


def test_exact_dedup_keeps_one_per_normalised_text(tmp_path):
    docs = [
        {"id": "b", "text": TEXT},
        {"id": "a", "text": TEXT.upper() + " !!"},  # same after normalisation
        {"id": "c", "text": "something else entirely, with other words"},
        {"id": "e1", "text": ""},
        {"id": "e2", "text": "   "},  # empty texts are never duplicates of each other
    ]
    kept, removed, _ = dedup(tmp_path, docs, "exact_dedup_v1")
    # the representative is the smallest id hash: a property of the documents, not of their order
    rep, dup = sorted(["a", "b"], key=xxhash.xxh64_intdigest)
    assert sorted(d["id"] for d in kept) == sorted([rep, "c", "e1", "e2"])
    (r,) = removed
    assert (r["id"], r["reason"], r["removed_by"], r["dup_of"], r["dup_cluster"]) == (
        dup, "exact_dedup_duplicate", "exact_dedup_v1", rep, rep)
    sizes = {d["id"]: d["dup_cluster_size"] for d in kept}
    assert sizes == {rep: 2, "c": 1, "e1": 1, "e2": 1}


def test_url_dedup(tmp_path):
    docs = [
        {"id": "1", "text": "one", "url": "https://www.example.com/page/"},
        {"id": "2", "text": "two", "url": "http://example.com/page#top"},
        {"id": "3", "text": "three", "url": "https://example.com/other"},
        {"id": "4", "text": "four"},  # no URL: kept
        {"id": "5", "text": "five"},
    ]
    kept, removed, _ = dedup(tmp_path, docs, "url_dedup_v1")
    assert len(kept) == 4 and len(removed) == 1
    assert removed[0]["reason"] == "url_dedup_duplicate" and removed[0]["dup_of"] in ("1", "2")


def test_minhash_drops_near_duplicates_only(tmp_path):
    base = " ".join(f"word{i}" for i in range(200))
    near = base.replace("word50 ", "changed ")  # one word of 200: Jaccard ~0.95
    far = " ".join(f"word{i}" for i in range(0, 200, 2)) + " " + " ".join(f"other{i}" for i in range(100))
    docs = [{"id": "x", "text": base}, {"id": "y", "text": near}, {"id": "z", "text": far},
            {"id": "one", "text": "word"}, {"id": "empty", "text": ""}]
    kept, removed, stats = dedup(tmp_path, docs, "minhash_dedup_v1")
    assert {d["id"] for d in kept} == {"x", "z", "one", "empty"} or {d["id"] for d in kept} == {"y", "z", "one", "empty"}
    assert removed[0]["reason"] == "minhash_dedup_duplicate"
    assert stats["barriers"]["minhash_dedup_v1"]["duplicates"] == 1


def test_duplicate_ids_are_not_lost(tmp_path):
    docs = [{"id": "same", "text": TEXT}, {"id": "same", "text": TEXT}, {"id": "same", "text": "different text here"}]
    kept, removed, _ = dedup(tmp_path, docs, "exact_dedup_v1")
    assert len(kept) == 2 and len(removed) == 1


def test_huge_and_non_latin_documents(tmp_path):
    huge = " ".join(f"w{i % 5000}x{i // 5000}" for i in range(400_000))  # ~4 MB, 400k words
    cjk = "これは日本語の文章です。" * 50
    docs = [{"id": "h1", "text": huge}, {"id": "h2", "text": huge + " tail"}, {"id": "j1", "text": cjk},
            {"id": "j2", "text": cjk + "追加"}, {"id": "r", "text": "Привет, как дела? " * 40}]
    kept, removed, _ = dedup(tmp_path, docs, "minhash_dedup_v1")
    assert {r["id"] for r in removed} | {d["id"] for d in kept} == {"h1", "h2", "j1", "j2", "r"}
    assert len(removed) >= 1  # the two huge documents are near-duplicates


def test_bad_minhash_params():
    with pytest.raises(ConfigError, match="threshold"):
        MinHashDedup(threshold=1.5)
    with pytest.raises(ConfigError, match="rows"):
        MinHashDedup(rows=0)


def test_lsh_curve_is_an_s_curve():
    curve = dict(lsh_curve(20, 5))
    assert curve[0.8] > 0.999 and curve[0.5] < 0.5
    assert all(a[1] < b[1] for a, b in zip(lsh_curve(20, 5), lsh_curve(20, 5)[1:]))


# --- the planted near-duplicate evaluation, on real text ------------------------------------------------------


def _real_docs(n_per_file=400):
    docs = []
    for name in ("encyclopedic_wikitext2_test_articles", "reviews_movie_reviews", "scientific_scitldr_abstracts",
                 "qa_stackexchange_coffee_beer", "speeches_us_presidential_speeches", "books_gutenberg_nltk"):
        with gzip.open(shared_data("domains", f"{name}.jsonl.gz"), "rt") as f:
            for i, line in enumerate(f):
                if i >= n_per_file:
                    break
                rec = json.loads(line)
                if len(rec["text"].split()) >= 80:
                    docs.append({"id": f"{name}/{rec['id']}", "text": rec["text"][:30000]})
    return docs


def _mutate(text: str, rate: float, rng: random.Random) -> str:
    words = text.split()
    out = []
    for w in words:
        r = rng.random()
        if r < rate / 3:
            continue  # delete
        if r < 2 * rate / 3:
            out.append(f"zq{rng.randrange(10**6)}")  # substitute
            continue
        out.append(w)
        if r < rate:
            out.append(f"ins{rng.randrange(10**6)}")  # insert
    return " ".join(out)


def jaccard(m: MinHashDedup, a: str, b: str) -> float:
    sa, sb = set(m.shingles(a).tolist()), set(m.shingles(b).tolist())
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


def test_planted_near_duplicates_precision_recall_and_determinism(tmp_path):
    rng = random.Random(0)
    corpus = _real_docs()
    assert len(corpus) > 1000
    m = MinHashDedup()
    planted, pairs = [], []
    for i, src in enumerate(rng.sample(corpus, 400)):
        rate = rng.choice([0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12])
        twin = {"id": f"planted/{i}", "text": _mutate(src["text"], rate, rng)}
        planted.append(twin)
        pairs.append((src["id"], twin["id"], jaccard(m, src["text"], twin["text"])))
    docs = corpus + planted
    rng.shuffle(docs)
    kept, removed, stats = dedup(tmp_path, docs, "minhash_dedup_v1", {"threshold": 0.8}, tasks=1, name="t1", files=3)

    text_of = {d["id"]: d["text"] for d in docs}
    # precision: every removed document is at least `threshold`-similar to the representative it points to
    sims = [jaccard(m, text_of[r["id"]], text_of[r["dup_of"]]) for r in removed]
    precision = sum(s >= 0.8 for s in sims) / len(sims)
    # recall: of the planted pairs at or above the threshold, one of the two was removed
    removed_ids = {r["id"] for r in removed}
    above = [(a, b) for a, b, s in pairs if s >= 0.8]
    recall = sum((a in removed_ids) or (b in removed_ids) for a, b in above) / len(above)
    below = [(a, b) for a, b, s in pairs if s < 0.7]
    assert len(above) > 100 and len(below) > 50  # the plant covers both sides of the threshold
    print(f"planted: {len(pairs)} pairs, {len(above)} at >= 0.8; removed {len(removed)}; precision {precision:.4f}, recall {recall:.4f}")
    assert precision >= 0.98, f"precision {precision:.3f} over {len(sims)} removed"
    assert recall >= 0.95, f"recall {recall:.3f} over {len(above)} planted pairs >= 0.8"

    # the same input split over 3 tasks keeps exactly the same documents
    kept3, removed3, _ = dedup(tmp_path, docs, "minhash_dedup_v1", {"threshold": 0.8}, tasks=3, name="t3", files=3)
    assert sorted(d["id"] for d in kept3) == sorted(d["id"] for d in kept)
    assert sorted((r["id"], r["dup_of"]) for r in removed3) == sorted((r["id"], r["dup_of"]) for r in removed)
