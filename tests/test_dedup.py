"""Dedup: unit cases per method, and the planted near-duplicate evaluation on real text."""

import copy
import gzip
import itertools
import json
import random

import numpy as np
import pyarrow.parquet as pq
import pytest
import xxhash
from datatrove.data import Document

from filters.dedup import MinHashDedup, lsh_curve, normalise
from pipeline.commit import CommitStep
from pipeline.config import parse_config
from pipeline.errors import ConfigError
from pipeline.run import run
from pipeline.urls import url_key
from tests.conftest import shared_data


def write_jsonl(path, docs):
    with open(path, "w") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")


def dedup(tmp_path, docs, stage, params=None, tasks=1, name="out", files=1):
    """Run one dedup stage over ``docs`` (split into ``files`` jsonl files) and return (kept rows, removed rows,
    stats)."""
    inp = tmp_path / f"{name}-in"
    inp.mkdir()
    for i in range(files):
        write_jsonl(inp / f"part{i}.jsonl", docs[i::files])
    cfg = parse_config({
        "name": "t", "input": {"format": "jsonl", "paths": str(inp / "*.jsonl")}, "output": str(tmp_path / name),
        "executor": {"tasks": tasks, "workers": 1}, "stages": [{stage: params or {}}],
    })
    res = run(cfg)
    kept = (pq.read_table(res.output / "documents").to_pylist()
            if any((res.output / "documents").glob("*.parquet")) else [])
    removed = (pq.read_table(res.output / "removed").to_pylist()
               if any((res.output / "removed").glob("*.parquet")) else [])
    assert res.stats["conserved"] and res.stats["input"] == len(docs) == len(kept) + len(removed)
    return kept, removed, res.stats


TEXT = "the quick brown fox jumps over the lazy dog near the river bank on a sunny day in june"


def test_normalisation():
    assert normalise("  Hello,   WORLD!\nIt's  fine. ") == "hello world it s fine"
    assert url_key("https://WWW.Example.com/a/b/#frag") == "example.com/a/b"
    assert url_key(None) is None


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
    assert ({d["id"] for d in kept} == {"x", "z", "one", "empty"}
            or {d["id"] for d in kept} == {"y", "z", "one", "empty"})
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


@pytest.mark.slow  # an evaluation over ~4,800 real documents: `make test-slow`
@pytest.mark.parametrize("verification,tolerance", [("exact", 0.0), ("sketch", 0.04)])
def test_planted_near_duplicates_precision_recall_and_determinism(tmp_path, verification, tolerance):
    """400 planted twins at edit rates 0-12%, dense around the threshold (about 60 pairs within 0.05 of it).
    Exact verification: a removal is right when its cluster holds a twin at Jaccard >= 0.8. The sketch (1,024
    bits) estimates Jaccard with a standard error of about 0.019, so a pair within ``tolerance`` (2 of them) of the
    threshold may go either way: its removals are right from 0.76 (strictly, 3 of 193 here are 0.745-0.8)."""
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
    params = {"threshold": 0.8, "verification": verification}
    kept, removed, stats = dedup(tmp_path, docs, "minhash_dedup_v1", params, tasks=1, name="t1", files=3)

    text_of = {d["id"]: d["text"] for d in docs}
    cluster_of = {d["id"]: d["dup_cluster"] or d["id"] for d in kept + removed}
    members: dict = {}
    for i, c in cluster_of.items():
        members.setdefault(c, []).append(i)
    # precision: a removal is right when its cluster holds a near-duplicate of it (>= the threshold)
    right = [max(jaccard(m, text_of[r["id"]], text_of[o]) for o in members[cluster_of[r["id"]]] if o != r["id"])
             >= 0.8 - tolerance for r in removed]
    precision = sum(right) / len(right)
    # recall: of the planted pairs at or above 0.85, both ended in one cluster (so one of them was removed)
    above = [(a, b) for a, b, s in pairs if s >= 0.85]
    recall = sum(cluster_of[a] == cluster_of[b] for a, b in above) / len(above)
    below = [(a, b) for a, b, s in pairs if s < 0.7]
    assert len(above) > 100 and len(below) > 50  # the plant covers both sides of the threshold
    print(f"planted: {len(pairs)} pairs, {len(above)} at >= 0.85; removed {len(removed)}; precision {precision:.4f}, "
          f"recall {recall:.4f}")
    assert precision >= 0.99, f"precision {precision:.3f} over {len(removed)} removed"
    assert recall >= 0.99, f"recall {recall:.3f} over {len(above)} planted pairs >= 0.85"
    assert all(r["dup_of"] in {d["id"] for d in kept} for r in removed)

    # the same documents over 4 and 10 tasks, split and ordered differently, keep exactly the same set
    for tasks in (4, 10):
        other = list(docs)
        random.Random(tasks).shuffle(other)
        kept_n, removed_n, _ = dedup(tmp_path, other, "minhash_dedup_v1", {**params, "cluster_tasks": tasks},
                                     tasks=tasks, name=f"t{tasks}", files=tasks)
        assert sorted(d["id"] for d in kept_n) == sorted(d["id"] for d in kept)
        assert sorted((r["id"], r["dup_of"]) for r in removed_n) == sorted((r["id"], r["dup_of"]) for r in removed)


# --- datatrove's MinHash and exact-dedup cases (tests/pipeline/dedup/ in datatrove), on Winnow's stages ------------

LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Aliquam euismod vel ante vitae rhoncus. Curabitur eu "
    "lectus et magna maximus facilisis eu non magna. Maecenas sed velit vitae est ornare placerat. Vestibulum quis "
    "consectetur nunc, a feugiat lorem. Cras in ipsum fringilla, vestibulum urna sit amet, viverra tortor. Orci "
    "varius natoque penatibus et magnis dis parturient montes, nascetur ridiculus mus. Morbi euismod vestibulum "
    "elit id placerat. Fusce malesuada ultricies condimentum. Cras tincidunt eget lorem nec hendrerit. Aenean "
    "mattis arcu dolor, id semper velit ullamcorper malesuada. Aliquam non ipsum et eros venenatis aliquet. Proin "
    "eleifend interdum scelerisque. Interdum et malesuada fames ac ante ipsum primis in faucibus. Mauris nunc "
    "sapien, molestie eget convallis at, maximus nec ipsum. Morbi quam diam, blandit ut mollis at, varius eu "
    "tellus. Maecenas sem justo, porttitor at odio nec, interdum posuere ex.\n"
    "\n"
    "Aliquam pretium ac nulla et porttitor. Nunc quis felis posuere, lobortis magna quis, imperdiet nulla. "
    "Maecenas tempor, mi vel vestibulum tempus, arcu elit scelerisque erat, eu molestie velit eros id metus. Class "
    "aptent taciti sociosqu ad litora torquent per conubia nostra, per inceptos himenaeos. Proin fringilla viverra "
    "urna eu dictum. Suspendisse interdum, leo non sagittis pulvinar, mauris est euismod ante, et luctus nisi est "
    "id odio. Proin purus nunc, feugiat id condimentum eu, efficitur at diam. Quisque aliquet felis non risus "
    "rutrum, eu porttitor justo venenatis. Donec ut est felis. Proin risus augue, gravida fermentum elementum eu, "
    "varius eget tortor. Sed a sem quis tortor ultrices elementum. Nullam tempor rutrum ipsum id eleifend. Donec a "
    "elit tincidunt, sagittis magna a, pretium felis.\n"
    "\n"
    "Sed ut faucibus dui, a sodales nunc. Praesent fermentum diam quis augue porttitor vulputate. Mauris pretium "
    "ipsum ut erat hendrerit eleifend. Maecenas consectetur elit a ligula auctor porta. Duis vitae diam ac velit "
    "porttitor tempor. Quisque at arcu a augue dictum molestie et sed erat. Donec fermentum pulvinar elit. Morbi "
    "orci nisi, condimentum non tincidunt sit amet, hendrerit non justo. Ut fringilla dolor neque, ut porttitor "
    "ante congue vitae. In aliquam augue a sapien sodales ornare. In in maximus nunc. Quisque turpis nibh, commodo "
    "non semper non, hendrerit a massa.\n"
    "\n"
    "Suspendisse potenti. Ut feugiat nibh ex. Nunc eget ligula ut massa tempus pretium vitae et mauris. "
    "Suspendisse potenti. Vivamus euismod ipsum est, id consectetur lorem suscipit non. Integer ac felis egestas "
    "risus ornare luctus nec vel massa. Donec scelerisque enim eu nulla commodo fringilla. Donec et pulvinar "
    "dolor, sit amet tristique risus. Cras et est id leo malesuada sollicitudin.\n"
    "\n"
    "Quisque et aliquet diam. Aenean euismod efficitur enim, non semper eros. Nullam molestie vehicula eros, nec "
    "porttitor justo feugiat nec. Maecenas fringilla eleifend augue, eu mollis arcu vulputate ac. Quisque "
    "ullamcorper turpis sed tristique dapibus. Etiam imperdiet pulvinar fringilla. Nulla sed est eget odio dictum "
    "pretium. Cras ultricies nibh libero, efficitur consequat neque semper id. Donec porttitor lacus nunc, vitae "
    "gravida lorem consectetur sit amet. Pellentesque mollis, dui nec molestie consectetur, massa enim tempus "
    "ipsum, quis pretium felis massa congue felis. Donec efficitur pretium diam, quis elementum felis eleifend "
    "quis. Nullam vehicula tortor et quam eleifend, maximus dignissim nisi feugiat. "
)


def check_clusters(docs, kept, removed, threshold=0.8, slack=0.0):
    """The cluster contract: every removed document has a verified near-duplicate in its cluster (exact Jaccard
    at least ``threshold``; less ``slack`` where a sketch verified it), and ``dup_of`` / ``dup_cluster`` name a
    kept representative of that cluster."""
    m = MinHashDedup(threshold=threshold)
    text_of = {d["id"]: d["text"] for d in docs}
    kept_ids = {d["id"] for d in kept}
    members: dict = {}
    for row in kept + removed:
        if row["dup_cluster"] is not None:
            members.setdefault(row["dup_cluster"], []).append(row["id"])
    for r in removed:
        assert r["dup_of"] in kept_ids and r["dup_cluster"] == r["dup_of"], r["id"]
        others = [o for o in members[r["dup_cluster"]] if o != r["id"]]
        best = max(jaccard(m, text_of[r["id"]], text_of[o]) for o in others)
        assert best >= threshold - slack, f"{r['id']} has no near-duplicate in its cluster (best Jaccard {best:.3f})"
    for rep, ids in members.items():
        assert rep in kept_ids and sum(i in kept_ids for i in ids) == 1


def test_datatrove_clusters_case(tmp_path):
    """datatrove's test_buckets_and_cluster: 400-character windows at these offsets form these clusters."""
    clusters = [[0, 20, 50], [400, 420], [800, 810, 820, 840, 860], [1205, 1215, 1225, 1245], [1600], [2000]]
    docs = [{"id": f"{ci}_{xi}", "text": LOREM[x : x + 400]} for ci, c in enumerate(clusters) for xi, x in enumerate(c)]
    kept, removed, _ = dedup(tmp_path, docs, "minhash_dedup_v1")
    assert sorted(int(d["id"].split("_")[0]) for d in kept) == list(range(len(clusters)))  # one per cluster
    by_cluster = {}
    for d in kept + removed:
        by_cluster.setdefault(d["dup_cluster"] or d["id"], set()).add(int(d["id"].split("_")[0]))
    assert all(len(c) == 1 for c in by_cluster.values())  # no cluster mixes two of datatrove's clusters
    sizes = {d["id"].split("_")[0]: d["dup_cluster_size"] for d in kept}
    assert sizes == {str(ci): len(c) for ci, c in enumerate(clusters)}
    check_clusters(docs, kept, removed)


_SLOW = pytest.mark.slow  # the same case under other task counts: `make test-slow` (and CI) run them


@pytest.mark.parametrize("tasks,files,shuffle,cluster_tasks,verification", [
    pytest.param(10, 10, False, 20, "exact", marks=_SLOW), (4, 4, True, 4, "exact"),
    pytest.param(1, 1, True, 1, "exact", marks=_SLOW), (10, 10, False, 20, "sketch"),
    pytest.param(4, 4, True, 4, "sketch", marks=_SLOW), pytest.param(3, 3, True, 1, "sketch", marks=_SLOW)])
def test_datatrove_multiprocess_windows_same_kept_set(tmp_path, tasks, files, shuffle, cluster_tasks, verification):
    """datatrove's test_multiprocess_s2 input (322 overlapping 200-character windows): the kept set for
    one file, one task and one cluster task is the kept set for any task count, cluster task count (bands and
    key ranges spread over 1, 4 or 20), file split and input order."""
    docs = [{"id": f"w{x:05d}", "text": LOREM[x : x + 200]} for x in range(0, len(LOREM) - 200, 10)]
    assert len(docs) == 322
    kept1, removed1, _ = dedup(tmp_path, docs, "minhash_dedup_v1", {"verification": verification}, name="one")
    other = list(docs)
    if shuffle:
        random.Random(tasks).shuffle(other)
    kept, removed, stats = dedup(tmp_path, other, "minhash_dedup_v1",
                                 {"verification": verification, "cluster_tasks": cluster_tasks},
                                 tasks=tasks, files=files, name="many")
    assert stats["barriers"]["minhash_dedup_v1"]["cluster_tasks"] == cluster_tasks
    assert sorted(d["id"] for d in kept) == sorted(d["id"] for d in kept1)
    assert sorted((r["id"], r["dup_of"]) for r in removed) == sorted((r["id"], r["dup_of"]) for r in removed1)
    assert 0 < len(removed) < len(docs)
    # a 1,024 x 1-bit sketch estimates Jaccard 0.8 with a standard error of 0.019: 4 of them is the slack
    check_clusters(docs, kept, removed, slack=0.08 if verification == "sketch" else 0.0)


class _OneBucket(MinHashDedup):
    """MinHash verification, but every document lands in one bucket of one band: the bucket order is
    then all that decides which pairs get compared."""

    def __init__(self):
        super().__init__(bands=1, rows=5)

    def doc_keys(self, doc):
        _, sh = super().doc_keys(doc)
        return np.array([7], dtype=np.uint64), sh


def test_bucket_members_are_verified_against_every_component(tmp_path):
    """``c`` is a near-duplicate of ``b`` only. Whatever the input order, and whoever heads the bucket or
    precedes ``c`` in it, ``b`` and ``c`` are linked and nothing else is (the order-dependent bug checked a
    document against the bucket's head and its predecessor only)."""
    texts = {"a": LOREM[1500:2300], "b": LOREM[:800], "x": LOREM[2400:3200],
             "c": LOREM[:800].replace("Aliquam", "Aliquid", 1)}
    results = set()
    for k, order in enumerate(itertools.permutations(texts)):
        stage = _OneBucket()
        stage.workdir = str(tmp_path / f"p{k}")
        docs = [Document(text=texts[i], id=i) for i in order]
        list(CommitStep().run(stage.key_step().run(iter(docs))))  # key files get their names when the task ends
        stage.cluster_part(1, 0, 1)
        summary = stage.cluster(1)
        kept = {d.id: d.metadata["dup_cluster_size"] for d in stage.run(iter(copy.deepcopy(docs)))}
        results.add((tuple(sorted(kept.items())), summary["duplicates"]))
    (kept, dups), = results  # one outcome for all 24 orders
    assert dups == 1 and len(kept) == 3 and dict(kept).keys() & {"b", "c"} and {"a", "x"} <= dict(kept).keys()
    assert sorted(dict(kept).values()) == [1, 1, 2]


DT_URL_DOCS = [  # datatrove's test_exact_deduplication DOCS
    {"id": "1", "text": "", "url": "https://example.com"},
    {"id": "2", "text": "", "url": "https://example.com"},
    {"id": "3", "text": "", "url": "https://new-site.com"},
    {"id": "4", "text": "", "url": "https://example.com"},
    {"id": "5", "text": "", "url": "https://example2.com"},
]


@pytest.mark.parametrize("tasks", [1, 2])
def test_datatrove_url_dedup_case(tmp_path, tasks):
    kept, removed, _ = dedup(tmp_path, DT_URL_DOCS, "url_dedup_v1", tasks=tasks, files=tasks)
    assert len(kept) == 3 and {d["url"] for d in kept} == {d["url"] for d in DT_URL_DOCS}
    (rep,) = [d for d in kept if d["url"] == "https://example.com"]
    assert rep["dup_cluster_size"] == 3 and all(r["dup_of"] == rep["id"] for r in removed)
    assert {d["id"]: d["dup_cluster_size"] for d in kept if d["url"] != "https://example.com"} == {"3": 1, "5": 1}


def test_exact_dedup_same_kept_set_for_any_split(tmp_path):
    docs = [{"id": f"d{i}", "text": f"document number {i % 7} of the set"} for i in range(60)]
    kept1, _, _ = dedup(tmp_path, docs, "exact_dedup_v1", name="a")
    shuffled = list(docs)
    random.Random(1).shuffle(shuffled)
    kept4, removed4, _ = dedup(tmp_path, shuffled, "exact_dedup_v1", tasks=4, files=4, name="b")
    assert len(kept1) == 7 and sorted(d["id"] for d in kept4) == sorted(d["id"] for d in kept1)
    assert {r["dup_of"] for r in removed4} <= {d["id"] for d in kept4}


def test_stats_and_report_give_each_jobs_peak_memory_and_the_work_disk(tmp_path):
    """stats.json's jobs carry the largest task's peak memory, ``work_disk_bytes`` the work files by folder (the
    barrier's keys, pairs and decisions), and the report shows both."""
    docs = [{"id": f"d{i}", "text": f"document number {i % 5} of the set"} for i in range(40)]
    _, removed, stats = dedup(tmp_path, docs, "exact_dedup_v1", {"cluster_tasks": 3}, tasks=2, files=2)
    assert len(removed) == 35
    jobs = stats["jobs"]
    assert list(jobs) == ["0", "0-cluster", "0-barrier", "1"] and jobs["0-cluster"]["tasks"] == 3
    assert all(j["peak_rss_bytes"] > 20 * 2**20 for j in jobs.values())  # a Python process with numpy, at least
    disk = stats["work_disk_bytes"]
    for sub in ("keys", "pairs", "assign"):
        assert disk[f"0_exact_dedup_v1/{sub}"] > 0, disk
    assert disk["0"] > 0  # the documents between the phases
    keys = sum(p.stat().st_size for p in (tmp_path / "out" / "work" / "0_exact_dedup_v1" / "keys").iterdir())
    assert disk["0_exact_dedup_v1/keys"] == keys
    html = (tmp_path / "out" / "report.html").read_text()
    assert 'id="table-work-disk"' in html and "peak memory" in html


@pytest.mark.parametrize("method", ["exact", "url"])
def test_winnow_dedup_gives_each_method_the_flags_it_takes(tmp_path, method):
    """`winnow dedup`'s flags are MinHash's; exact and URL dedup take the ones they have (--cluster-tasks), and
    MinHash's own (--threshold) do not reach them."""
    from pipeline.cli import main

    write_jsonl(tmp_path / "in.jsonl", DT_URL_DOCS)
    out = tmp_path / "out"
    assert main(["dedup", str(tmp_path / "in.jsonl"), "--output", str(out), "--method", method,
                 "--cluster-tasks", "3", "--threshold", "0.5"]) == 0
    stats = json.loads((out / "stats.json").read_text())
    assert stats["barriers"][f"{method}_dedup_v1"]["cluster_tasks"] == 3 and stats["jobs"]["0-cluster"]["tasks"] == 3
