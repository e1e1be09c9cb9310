"""Scale benchmark of the dedup stages: CPU, peak memory and work disk per phase as the documents grow.

Why: a dedup stage cuts a run into a key phase (parallel), a cluster step (today one process over every
document of the run) and an apply phase (parallel). Whether a crawl-sized run fits ordinary nodes depends on
how the cluster step's memory and the work files grow with the number of documents, so this bench measures
them at several sizes and prints the growth exponents (log-log slopes) a redesign is planned on and judged by.

Input (generated here, from real text): the prose corpora in ../shared/data/domains are read as one stream of
real words. A background document is a window of that stream at a random start, its length drawn from a
log-normal (``--words``: the mean), with ``--vary`` of its words replaced by words drawn from the same stream,
so that the documents are distinct (two windows over the same text share almost no 5-gram) while word
frequencies stay those of real text. Then, from background documents used once each as sources:

- 5% exact duplicates: the same text, a third of them with doubled spaces (equal after normalisation);
- 5% near-duplicates of documents of 100 words or more: 90% with word edits (substitute, delete, insert) at
  0.2-0.8% of the words (at least one), which keeps the word-5-gram Jaccard well above 0.8; 10% at 1.5-3.5%,
  near the 0.8 threshold on both sides. Every planted pair's Jaccard is computed with the stage's own
  shingles, so the ground truth is exact.

Rows are shuffled over ``max(8, tasks)`` zstd parquet files (``id``, ``text``). Generation is vectorised
(pyarrow joins the words), so it is not the bottleneck at these sizes and every document is real text.

Run: ``winnow dedup INPUT --method minhash|exact --output DIR --tasks T --workers W --cluster-tasks C``, as a
subprocess, as a user runs it. The run's jobs are its phases: ``keys`` (job 0: read, key writing, documents to
OUT/work/0), ``cluster`` (job 0-cluster: C tasks find and verify pairs), ``join`` (job 0-barrier: the pairs
into clusters, one task), ``apply`` (job 1: drop duplicates, write documents),
``finalize`` (stats, manifest, report). A phase ends when its job's ``OUT/logs/<job>/stats.json`` appears.

Measuring (every process of the tree: the driver, datatrove's forkserver and Manager, the pool workers):

- CPU: every 0.2 s the tree is read from /proc, and each process's own utime+stime is kept as last seen; the
  tree's CPU is the sum over every process seen in it, so the forkserver's pool workers, which the driver
  never waits for, are counted. A phase's CPU is the difference at its boundaries; a process's last 0.2 s
  before it exits can be missed. The run's total is also given as this process's RUSAGE_CHILDREN, which
  misses the forkserver's children; the tasks' own CPU from stats.json (``jobs``) is printed beside.
- Peak RSS of the largest process: at each phase boundary the peak-RSS counter of every live process is reset
  (``echo 5 > /proc/PID/clear_refs``), so VmHWM read at the phase's end is that process's exact peak within
  the phase; the largest over processes is reported, with its anonymous and file-backed (memory-mapped work
  files) parts at its largest sampled RSS. File-backed pages of mapped work files count in RSS (and in a
  cgroup's memory limit) although the kernel may drop them, so they are shown apart.
- Work disk: bytes of OUT/work at the end of the cluster step, by subfolder and by kind of file.
- Found: the cluster step's summary (candidate and verified pairs, duplicates, clusters) and, against the
  planted ground truth, precision (removed documents whose representative is their planted partner with
  Jaccard >= threshold, or normalised-equal for exact) and recall (planted pairs that end in one cluster).
- Same decisions (``--compare-cluster-tasks K``): the MinHash run's cluster step is run again on its key files
  with K cluster tasks, and every document's representative and cluster size are compared with the run's.

Synthetic (``--synthetic N``): the cluster step alone, on key files of N documents written in the key step's
format from random numbers (5% planted near copies), for sizes whose text would take hours to generate and key:
each cluster task and the join run as child processes, and their CPU and peak RSS come from ``wait4``.

Growth: log-log slopes between sizes for each measure; ``--record FILE`` keeps each run's figures so that
sizes run by separate invocations (each within a time budget) enter one table.

    python tests/bench/bench_scale.py [--docs 100000 300000 1000000] [--tasks 2] [--workers 2]
        [--cluster-tasks 4] [--verification sketch|exact] [--compare-cluster-tasks K]
        [--methods minhash exact] [--words 300] [--vary 0.3] [--record FILE] [--keep DIR]
    python tests/bench/bench_scale.py --synthetic 10000000 --tasks 10 --cluster-tasks 20 --workers 2
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

from pipeline.layout import RunLayout  # noqa: E402

PROSE = ("books_gutenberg_nltk", "encyclopedic_wikitext2_test_articles", "qa_stackexchange_coffee_beer",
         "reviews_movie_reviews", "scientific_scitldr_abstracts", "speeches_us_presidential_speeches",
         "encyclopedic_jargon_entries", "encyclopedic_foldoc_entries")
PHASES = ("keys", "cluster", "join", "apply", "finalize")
JOBS = ("0", "0-cluster", "0-barrier", "1")  # the job whose stats.json ends each phase but the last
EXACT, NEAR, EDGE = 0, 1, 2  # kinds of planted pairs
KIND_NAMES = {EXACT: "exact copies", NEAR: "near, edits 0.2-0.8%", EDGE: "near the threshold, edits 1.5-3.5%"}
BATCH = 20000  # documents generated at a time
CLK = os.sysconf("SC_CLK_TCK")
PAGE = 4096


# ----------------------------------------------------------------------------------------------- the input

def word_stream() -> tuple[pa.Array, np.ndarray]:
    """(vocabulary, the real text of the prose corpora as vocabulary indices)."""
    texts = []
    for name in PROSE:
        with gzip.open(SHARED / "domains" / f"{name}.jsonl.gz", "rt") as f:
            texts += [json.loads(line)["text"] for line in f]
    words = pc.list_flatten(pc.utf8_split_whitespace(pa.array(texts)))
    enc = pc.dictionary_encode(words)
    return enc.dictionary, enc.indices.to_numpy().astype(np.int32)


@dataclass
class Truth:
    """The planted pairs: copy and source row numbers (ids are ``d<row>``), kind, Jaccard, normalised-equal."""

    copy: list = field(default_factory=list)
    source: list = field(default_factory=list)
    kind: list = field(default_factory=list)
    jaccard: list = field(default_factory=list)
    equal: list = field(default_factory=list)

    def arrays(self):
        return (np.concatenate(self.copy), np.concatenate(self.source), np.concatenate(self.kind),
                np.concatenate(self.jaccard), np.concatenate(self.equal))


def _texts(vocab: pa.Array, flat: np.ndarray, lengths: np.ndarray, sep: str = " ") -> pa.Array:
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), vocab.take(pa.array(flat))), sep)


def _edit(tokens: np.ndarray, doc: np.ndarray, rate: np.ndarray, draw, rng) -> tuple[np.ndarray, np.ndarray]:
    """Substitute, delete or insert words at ``rate`` (per document; at least one edit each)."""
    n_docs = len(rate)
    u = rng.random(tokens.size)
    r = rate[doc]
    sub, dele, ins = u < r / 3, (u >= r / 3) & (u < 2 * r / 3), (u >= 2 * r / 3) & (u < r)
    edited = np.bincount(doc, weights=(u < r), minlength=n_docs) > 0
    starts = np.concatenate([[0], np.cumsum(np.bincount(doc, minlength=n_docs))[:-1]])
    lens = np.bincount(doc, minlength=n_docs)
    forced = starts[~edited] + (rng.random((~edited).sum()) * lens[~edited]).astype(np.int64)
    sub[forced] = True
    counts = 1 - dele.astype(np.int64) + ins
    out = np.repeat(tokens, counts)
    last = np.cumsum(counts) - 1  # where each kept word's last copy lands
    tokens_sub = sub & ~dele
    out[last[tokens_sub]] = draw(int(tokens_sub.sum()))
    out[last[ins]] = draw(int(ins.sum()))
    return out, np.bincount(doc, weights=counts, minlength=n_docs).astype(np.int64)


def build_input(dest: Path, n: int, files: int, words: float, vary: float, seed: int = 0) -> dict:
    """Write ``n`` documents (background plus planted pairs) to ``files`` parquet files; return the make-up."""
    from filters.dedup import MinHashDedup, normalise

    t0 = time.time()
    vocab, stream = word_stream()
    rng = np.random.default_rng(seed)
    m = MinHashDedup()
    truth = Truth()
    dest.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([("id", pa.string()), ("text", pa.string())])
    writers = [pq.ParquetWriter(dest / f"part{i:03d}.parquet", schema, compression="zstd") for i in range(files)]
    sigma = 0.8
    mu = math.log(words) - sigma**2 / 2
    total_words = total_jaccard_s = 0.0

    def draw(k: int) -> np.ndarray:
        return stream[rng.integers(0, stream.size, k)]

    row = 0
    for lo in range(0, n, BATCH):
        b = min(BATCH, n - lo)
        n_exact, n_near = round(0.05 * b), round(0.05 * b)
        n_edge = max(1, round(0.1 * n_near)) if n_near else 0
        n_bg = b - n_exact - n_near
        lens = np.clip(rng.lognormal(mu, sigma, n_bg), 30, 20 * words).astype(np.int64)
        doc = np.repeat(np.arange(n_bg), lens)
        pos = np.arange(doc.size) - np.repeat(np.cumsum(lens) - lens, lens)
        flat = stream[(rng.integers(0, stream.size, n_bg)[doc] + pos) % stream.size]
        swap = rng.random(flat.size) < vary
        flat[swap] = draw(int(swap.sum()))
        bg_text = _texts(vocab, flat, lens)
        # near copies of documents of 100 words or more, where one edit keeps the Jaccard near 0.9 or above
        long = np.flatnonzero(lens >= 100)
        if long.size < n_near:  # short documents on average (--words): the longest ones
            long = np.argsort(-lens)[:n_near]
        nr_src = rng.choice(long, n_near, replace=False)
        rest = np.setdiff1d(np.arange(n_bg), nr_src)
        ex_src = rng.choice(rest, n_exact, replace=False)
        ex_text = bg_text.take(pa.array(ex_src))
        spaced = np.zeros(n_exact, bool)
        spaced[: n_exact // 3] = True
        if spaced.any():
            ex_text = pa.concat_arrays([pc.replace_substring(ex_text.slice(0, int(spaced.sum())), " ", "  "),
                                        ex_text.slice(int(spaced.sum()))])
        # near copies: the sources' word sequences, edited
        starts = np.cumsum(lens) - lens
        src_lens = lens[nr_src]
        src_doc = np.repeat(np.arange(n_near), src_lens)
        src_pos = np.arange(src_doc.size) - np.repeat(np.cumsum(src_lens) - src_lens, src_lens)
        src_tokens = flat[starts[nr_src][src_doc] + src_pos]
        edge = np.arange(n_near) < n_edge
        rate = np.where(edge, rng.uniform(0.015, 0.035, n_near), rng.uniform(0.002, 0.008, n_near))
        near_tokens, near_lens = _edit(src_tokens, src_doc, rate, draw, rng)
        nr_text = _texts(vocab, near_tokens, near_lens)
        total_words += lens.sum() + lens[ex_src].sum() + near_lens.sum()
        # ground truth of the near pairs, with the stage's own normalisation and shingles
        t = time.time()
        jac, eq = np.empty(n_near), np.zeros(n_near, bool)
        for i, (a, c) in enumerate(zip(bg_text.take(pa.array(nr_src)).to_pylist(), nr_text.to_pylist())):
            na, nc = normalise(a), normalise(c)
            eq[i] = na == nc
            sa, sc = m.shingles(na), m.shingles(nc)
            inter = np.intersect1d(sa, sc, assume_unique=True).size
            jac[i] = inter / (sa.size + sc.size - inter) if sa.size + sc.size else 1.0
        total_jaccard_s += time.time() - t
        # rows: background, exact copies, near copies; numbered globally, shuffled over the files
        rows = np.arange(row, row + b)
        truth.copy += [rows[n_bg : n_bg + n_exact], rows[n_bg + n_exact :]]
        truth.source += [rows[ex_src], rows[nr_src]]
        truth.kind += [np.full(n_exact, EXACT, np.int8), np.where(edge, EDGE, NEAR).astype(np.int8)]
        truth.jaccard += [np.ones(n_exact), jac]
        truth.equal += [np.ones(n_exact, bool), eq]
        text = pa.concat_arrays([bg_text, ex_text, nr_text])
        ids = pc.binary_join_element_wise("d", pa.array(rows).cast(pa.string()), "")
        table = pa.table({"id": ids, "text": text}, schema=schema).take(pa.array(rng.permutation(b)))
        for i, w in enumerate(writers):
            part = table.slice(i * b // files, (i + 1) * b // files - i * b // files)
            if part.num_rows:
                w.write_table(part)
        row += b
    for w in writers:
        w.close()
    return {"documents": n, "words": int(total_words), "bytes": sum(p.stat().st_size for p in dest.iterdir()),
            "seconds": time.time() - t0, "jaccard_seconds": total_jaccard_s, "truth": truth.arrays()}


# ----------------------------------------------------------------------------------------------- the monitor

def _proc_table() -> dict[int, tuple[int, float, int]]:
    """pid -> (ppid, CPU seconds of the process, start time) for every process on the machine."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                s = f.read()
        except OSError:
            continue
        fields = s[s.rfind(b")") + 2 :].split()
        out[int(name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK, int(fields[19]))
    return out


def _status(pid: int) -> dict[str, int]:
    """VmHWM, VmRSS, RssAnon, RssFile of ``pid`` in bytes (empty when it has gone)."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                    out[key] = int(rest.split()[0]) * 1024
    except OSError:
        pass
    return out


def _role(pid: int, root: int, ppid: int) -> str:
    if pid == root:
        return "driver"
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"
    if "forkserver" in cmd:  # the forkserver's children (the pool workers) inherit its command line
        return "forkserver" if ppid == root else "pool worker"
    return "child"


@dataclass
class PhaseStats:
    start: float = 0.0
    end: float = 0.0
    cpu: float = 0.0
    peak: int = 0  # bytes: the largest process's VmHWM within the phase
    peak_role: str = ""
    anon: int = 0  # of that process, at its largest sampled RSS
    file: int = 0
    disk: dict = field(default_factory=dict)


def work_disk(out: Path) -> dict:
    """Bytes under OUT/work by subfolder and by kind of file."""
    subs, kinds = {}, {}
    kind_of = {"payload": "verification payload (sketch, or shingles)", "offsets": "shingle offsets",
               "order": "order keys", "weight": "weights", "ids": "ids (json lines)"}
    work = out / "work"
    for p in work.rglob("*") if work.is_dir() else ():
        if not p.is_file():
            continue
        size = p.stat().st_size
        rel = p.relative_to(work).parts
        subs[rel[0]] = subs.get(rel[0], 0) + size
        suffix = p.name.split(".")[-1]
        if len(rel) == 2 and p.suffix == ".parquet":
            kind = "documents between phases (parquet)"
        elif suffix.startswith("band"):
            kind = "band keys"
        elif suffix in kind_of:
            kind = kind_of[suffix]
        elif "assign" in rel:
            kind = "assignments"
        elif "pairs" in rel:
            kind = "verified pairs"
        else:
            kind = "summaries (json)"
        kinds[kind] = kinds.get(kind, 0) + size
    return {"subfolders": subs, "kinds": kinds, "total": sum(subs.values())}


def monitored_run(cmd: list[str], out: Path, log: Path) -> tuple[list[PhaseStats], dict]:
    """Run ``cmd``, sampling its process tree every 0.2 s; per phase CPU, peak RSS and (at its end) work disk."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    with open(log, "w") as logf:
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, cwd=ROOT)
    phases = [PhaseStats(start=t0) for _ in PHASES]
    cur, prev_cpu, tree_cpu, seen_rss, own_cpu = 0, 0.0, 0.0, {}, {}
    while True:
        done = cur < len(JOBS) and (out / "logs" / JOBS[cur] / "stats.json").is_file()
        running = proc.poll() is None
        table = _proc_table()
        tree, frontier = set(), [proc.pid]
        while frontier:
            p = frontier.pop()
            if p in table and p not in tree:
                tree.add(p)
                frontier += [c for c, (pp, _, _) in table.items() if pp == p]
        for p in tree:
            own_cpu[(p, table[p][2])] = table[p][1]
        tree_cpu = sum(own_cpu.values())
        ph = phases[cur]
        for p in tree:
            st = _status(p)
            if not st:
                continue
            if st["VmHWM"] > ph.peak:
                ph.peak, ph.peak_role = st["VmHWM"], _role(p, proc.pid, table[p][0])
            if st["VmRSS"] >= seen_rss.get((cur, p), 0):
                seen_rss[(cur, p)] = st["VmRSS"]
                if st["VmHWM"] >= ph.peak:
                    ph.anon, ph.file = st.get("RssAnon", 0), st.get("RssFile", 0)
        if done or not running:
            ph.end, ph.cpu, prev_cpu = time.time(), tree_cpu - prev_cpu, tree_cpu
            ph.disk = work_disk(out)
            for p in tree:  # the next phase's peak starts from each process's RSS now
                try:
                    Path(f"/proc/{p}/clear_refs").write_text("5")
                except OSError:
                    pass
            cur += 1
            if cur < len(phases):
                phases[cur].start = ph.end
        if not running:
            break
        time.sleep(0.2)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rusage = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if proc.returncode != 0:
        sys.stdout.write(log.read_text()[-4000:])
        raise SystemExit(f"bench_scale: {' '.join(cmd)} failed with exit code {proc.returncode}")
    # a phase skipped between two samples (it ended within 0.2 s of the one before) took no measurable CPU
    return phases[:cur], {"wall": time.time() - t0, "tree_cpu": tree_cpu, "rusage_children_cpu": rusage}


# ----------------------------------------------------------------------------------------------- the findings

def evaluate(out: Path, n: int, truth, method: str, threshold: float) -> dict:
    """Precision and recall of the planted pairs (see the module docstring)."""
    copy, source, kind, jac, equal = truth

    def rows(col: pa.ChunkedArray) -> np.ndarray:
        return pc.cast(pc.utf8_slice_codeunits(col, 1), pa.int64()).to_numpy(zero_copy_only=False)

    label = np.arange(n, dtype=np.int64)  # the document's cluster representative, as a row number
    kept = pq.read_table(sorted((out / "documents").glob("*.parquet")), columns=["id", "dup_cluster"])
    has = pc.is_valid(kept["dup_cluster"]).to_numpy(zero_copy_only=False)
    label[rows(kept["id"])[has]] = rows(kept["dup_cluster"].filter(pa.array(has)))
    removed_rows = np.empty(0, np.int64)
    removed_files = sorted((out / "removed").glob("*.parquet"))
    if removed_files:
        rem = pq.read_table(removed_files, columns=["id", "dup_of"])
        removed_rows = rows(rem["id"])
        label[removed_rows] = rows(rem["dup_of"])
    positive = equal if method == "exact" else jac >= threshold
    found = label[copy] == label[source]
    group = np.full(n, -1, np.int64)
    group[copy] = group[source] = np.arange(copy.size)
    rg = group[removed_rows]
    correct = (rg >= 0) & (rg == group[label[removed_rows]]) & positive[np.maximum(rg, 0)]
    res = {"removed": int(removed_rows.size), "correct": int(correct.sum()),
           "outside_planted": int((rg < 0).sum()),
           "precision": float(correct.mean()) if removed_rows.size else 1.0,
           "recall": float(found[positive].mean()) if positive.any() else 1.0,
           "false_links": int((found & ~positive).sum()), "by_kind": {}}
    for k, name in KIND_NAMES.items():
        sel = kind == k
        res["by_kind"][name] = (int((sel & positive).sum()), int((sel & positive & found).sum()),
                                int((sel & ~positive).sum()), int((sel & ~positive & found).sum()),
                                float(jac[sel].min()) if sel.any() else float("nan"),
                                float(np.median(jac[sel])) if sel.any() else float("nan"))
    return res


def mb(b: float) -> str:
    return f"{b / 1e6:,.1f}"


def print_run(n: int, method: str, phases: list[PhaseStats], totals: dict, stats: dict, ev: dict,
              threshold: float) -> None:
    jobs = stats.get("jobs", {})
    print(f"\n== {method}, {n:,} documents: wall {totals['wall']:.0f} s; tree CPU {totals['tree_cpu']:.1f} s "
          f"(RUSAGE_CHILDREN {totals['rusage_children_cpu']:.1f} s)")
    print(f"{'phase':<10}{'wall s':>8}{'CPU s':>9}{'ms/doc':>8}{'task CPU s':>11}{'peak MB':>10}{'(anon':>9}"
          f"{'file)':>10}  {'largest':<12}{'work disk MB':>13}")
    for name, job, ph in zip(PHASES, JOBS + ("finalize",), phases):
        task = jobs.get(job, {}).get("cpu_seconds")
        print(f"{name:<10}{ph.end - ph.start:>8.1f}{ph.cpu:>9.1f}{1000 * ph.cpu / n:>8.3f}"
              f"{'' if task is None else f'{task:.1f}':>11}{mb(ph.peak):>10}{mb(ph.anon):>9}{mb(ph.file):>10}  "
              f"{ph.peak_role:<12}{mb(ph.disk.get('total', 0)):>13}")
    disk = phases[min(2, len(phases) - 1)].disk
    print("work disk at the end of the join, by subfolder: " +
          ", ".join(f"{k} {mb(v)} MB" for k, v in sorted(disk["subfolders"].items())))
    print("by kind (MB; bytes per document): " + ", ".join(
        f"{k} {mb(v)} ({v / n:.1f})" for k, v in sorted(disk["kinds"].items(), key=lambda kv: -kv[1])))
    summary = next(iter(stats.get("barriers", {}).values()), {})
    print("cluster step: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in summary.items()))
    print(f"planted pairs ({'normalised-equal' if method == 'exact' else f'Jaccard >= {threshold}'} are duplicates): "
          f"precision {ev['precision']:.4f} ({ev['correct']:,} of {ev['removed']:,} removed; "
          f"{ev['outside_planted']} outside the planted pairs), recall {ev['recall']:.4f}, "
          f"non-duplicate planted pairs linked {ev['false_links']}")
    for name, (pos, pos_found, neg, neg_found, jmin, jmed) in ev["by_kind"].items():
        print(f"  {name:<38} duplicates {pos_found:,}/{pos:,} found; below the line {neg_found}/{neg} linked; "
              f"Jaccard min {jmin:.3f}, median {jmed:.3f}")


def slope(xs, ys) -> float:
    x, y = np.log(np.asarray(xs, float)), np.log(np.maximum(np.asarray(ys, float), 1e-9))
    return float(np.polyfit(x, y, 1)[0]) if len(x) > 1 else float("nan")


def print_growth(method: str, records: list[dict]) -> None:
    """Log-log slopes of CPU, peak RSS and work disk against N, and the bytes per million documents by kind."""
    records = sorted({r["n"]: r for r in records}.values(), key=lambda r: r["n"])  # the latest run of each N
    if len(records) < 2:
        return
    ns = [r["n"] for r in records]

    def phase(i: int, key: str) -> list:
        return [r["phases"][i][key] if i < len(r["phases"]) else 0 for r in records]

    metrics = {f"CPU {p}": phase(i, "cpu") for i, p in enumerate(PHASES)}
    metrics["CPU total (tree)"] = [r["totals"]["tree_cpu"] for r in records]
    metrics["peak RSS of the largest process, keys phase"] = phase(0, "peak")
    metrics["peak RSS of the largest process, cluster tasks"] = phase(1, "peak")
    metrics["  its anonymous part"] = phase(1, "anon")
    metrics["  its file-backed part (mapped work files)"] = phase(1, "file")
    metrics["peak RSS of the largest process, join"] = phase(2, "peak")
    metrics["work disk (end of the join)"] = [r["phases"][2]["disk"]["total"] for r in records]
    kinds = records[-1]["phases"][2]["disk"]["kinds"]
    for kind in sorted(kinds, key=lambda k: -kinds[k]):
        metrics[f"  {kind}"] = [r["phases"][2]["disk"]["kinds"].get(kind, 0) for r in records]
    r0 = records[0]
    print(f"\n== growth with N, {method} ({r0['words']:.0f} words per document, --tasks {r0['tasks']} --workers "
          f"{r0['workers']}): log-log slopes between consecutive sizes and fitted over all; the value at the "
          "largest N; its growth per million more documents, smallest to largest N")
    print(f"{'metric':<52}" + "".join(f"{f'{a // 1000}k->{b // 1000}k':>14}" for a, b in zip(ns, ns[1:]))
          + f"{'all':>7}{f'at {ns[-1] // 1000}k':>14}{'per 1M more':>13}")
    for name, ys in metrics.items():
        pair = [slope(ns[i : i + 2], ys[i : i + 2]) for i in range(len(ns) - 1)]
        unit = "s" if name.startswith("CPU") else "MB"
        marginal = (ys[-1] - ys[0]) / (ns[-1] - ns[0]) * 1e6  # the growth per million more documents
        last = f"{ys[-1]:,.1f} s" if unit == "s" else f"{mb(ys[-1])} MB"
        per = f"{marginal:,.0f} s" if unit == "s" else f"{mb(marginal)} MB"
        print(f"{name:<52}" + "".join(f"{s:>14.2f}" for s in pair) + f"{slope(ns, ys):>7.2f}{last:>14}{per:>13}")


# ----------------------------------------------------------------------------------------------- synthetic keys

def write_synthetic_keys(workdir: Path, n: int, tasks: int, stage, seed: int = 0) -> dict:
    """Key files of ``n`` documents over ``tasks`` key tasks, in the key step's format, without text: random band
    keys, order keys and sketches; 5% of the documents are near copies of another document of their task (Jaccard
    drawn from 0.85-1: each band equal with probability J^rows, each sketch value with J + (1 - J) / 16)."""
    import filters.dedup as dd

    rng = np.random.default_rng(seed)
    starts = np.linspace(0, n, tasks + 1).astype(np.int64)
    planted = 0
    for t in range(tasks):
        m = int(starts[t + 1] - starts[t])
        path = lambda name: RunLayout.barrier_keys(workdir, t, name)  # noqa: E731
        path("ids").parent.mkdir(parents=True, exist_ok=True)
        copy = rng.choice(m, size=m // 20, replace=False)
        source = rng.integers(0, m, size=copy.size)
        keep = source != copy
        copy, source = copy[keep], source[keep]
        planted += copy.size
        jac = rng.uniform(0.85, 1.0, size=copy.size)
        for b in range(stage.n_bands):
            keys = rng.integers(1, 2**64 - 1, size=m, dtype=np.uint64, endpoint=True)
            same = rng.random(copy.size) < jac ** stage.rows
            keys[copy[same]] = keys[source[same]]
            entries = (keys & ~np.uint64(dd._ROW_MASK)) | np.arange(m, dtype=np.uint64)
            entries.sort()
            entries.tofile(path(f"band{b:03d}"))
        rng.integers(0, 2**64 - 1, size=2 * m, dtype=np.uint64, endpoint=True).tofile(path("order"))
        path("weight").write_bytes(b"")  # every document stands for itself
        sketch = rng.integers(0, 256, size=(m, stage.payload_width), dtype=np.uint8)
        nib = lambda a: np.stack([a & 15, a >> 4], axis=-1).reshape(a.shape[0], -1)  # noqa: E731
        src, cp = nib(sketch[source]), nib(sketch[copy])
        agree = rng.random(src.shape) < (jac + (1 - jac) / 16)[:, None]
        cp = np.where(agree, src, cp)
        sketch[copy] = (cp[:, 0::2] | (cp[:, 1::2] << 4)).astype(np.uint8)
        sketch.tofile(path("payload"))
        path("ids").write_text("".join(f'"s{starts[t] + i}"\n' for i in range(m)))
    return {"planted": planted}


def run_child(args: list[str]) -> tuple[float, int]:
    """Run this file with ``args`` in a child process; (its CPU seconds, its peak RSS in bytes). The peak is the
    VmHWM the child reads of itself as it ends: wait4's ru_maxrss would start from this process's RSS at the fork."""
    proc = subprocess.Popen([sys.executable, __file__, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench_scale: {' '.join(args)} failed")
    return usage.ru_utime + usage.ru_stime, int(out.split("VmHWM=")[-1].split()[0])


def _stage(workdir: str, cluster_tasks: int):
    from filters.dedup import MinHashDedup

    stage = MinHashDedup(cluster_tasks=int(cluster_tasks))
    stage.workdir = workdir
    return stage


def synthetic(n: int, tasks: int, cluster_tasks: int, workers: int, base: Path) -> None:
    """The cluster step alone at ``n`` documents, on synthetic key files: per cluster task CPU and peak RSS."""
    from concurrent.futures import ThreadPoolExecutor

    stage = _stage(str(base / f"synthetic-{n}"), cluster_tasks)
    workdir = Path(stage.workdir)
    if workdir.exists():
        shutil.rmtree(workdir)
    t0 = time.time()
    made = write_synthetic_keys(workdir, n, tasks, stage)
    print(f"\n=== synthetic key files: {n:,} documents in {tasks} key tasks, {made['planted']:,} planted near "
          f"copies; written in {time.time() - t0:.0f} s")
    keys_disk = sum(p.stat().st_size for p in (workdir / "keys").iterdir())
    t0 = time.time()
    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(lambda r: run_child(["--cluster-worker", str(workdir), str(tasks), str(r),
                                                   str(cluster_tasks)]), range(cluster_tasks)))
    wall_parts = time.time() - t0
    t0 = time.time()
    join_cpu, join_rss = run_child(["--join-worker", str(workdir), str(tasks), str(cluster_tasks)])
    wall_join = time.time() - t0
    summary = json.loads((workdir / "cluster.json").read_text())
    pairs_disk = sum(p.stat().st_size for p in (workdir / "pairs").iterdir())
    cpus, rss = [c for c, _ in parts], [r for _, r in parts]
    print(f"cluster tasks: {cluster_tasks}, wall {wall_parts:.0f} s ({workers} at a time), CPU {sum(cpus):.1f} s in "
          f"all ({min(cpus):.1f}-{max(cpus):.1f} s a task), peak RSS of the largest task {mb(max(rss))} MB "
          f"(smallest {mb(min(rss))} MB); the largest unit held {summary['largest_unit']:,} band entries")
    print(f"join: wall {wall_join:.0f} s, CPU {join_cpu:.1f} s, peak RSS {mb(join_rss)} MB")
    print(f"work disk: key files {mb(keys_disk)} MB ({keys_disk / n:.1f} bytes a document), pairs {mb(pairs_disk)} MB")
    print("cluster step: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in summary.items()))
    print(f"planted near copies found: {summary['duplicates']:,} duplicates for {made['planted']:,} planted "
          "(a planted copy sharing no band, or failing its sketch, is missed; random keys make no others)")
    shutil.rmtree(workdir, ignore_errors=True)


def compare_cluster_tasks(workdir: Path, tasks: int, cluster_tasks: int) -> str:
    """Rerun the cluster step on a finished run's key files with ``cluster_tasks`` tasks; whether every document's
    representative and cluster size are the ones the run decided."""
    def decided() -> list[tuple[np.ndarray, np.ndarray, dict]]:
        out = []
        for r in range(tasks):
            path = RunLayout.barrier_assignment(workdir, r)
            if path.exists():
                with np.load(path) as a:
                    out.append((a["own"].copy(), a["rep"].copy(), a["size"].copy(), int(a["rows"]),
                                json.loads(RunLayout.barrier_assigned_ids(workdir, r).read_text())))
        return out

    before = decided()
    stage = _stage(str(workdir), cluster_tasks)
    for r in range(cluster_tasks):
        stage.cluster_part(tasks, r, cluster_tasks)
    stage.cluster(tasks)
    after = decided()
    same = len(before) == len(after) and all(
        all(np.array_equal(x, y) for x, y in zip(a[:3], b[:3])) and a[3:] == b[3:] for a, b in zip(before, after))
    n = sum(a[3] for a in before)
    return f"{'the same' if same else 'DIFFERENT'} representatives and cluster sizes for all {n:,} documents"


# ----------------------------------------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, nargs="+", default=[100000, 300000], help="document counts (default 100k 300k)")
    ap.add_argument("--tasks", type=int, default=2, help="winnow dedup --tasks (default 2)")
    ap.add_argument("--workers", type=int, default=2, help="winnow dedup --workers (default 2)")
    ap.add_argument("--cluster-tasks", type=int, default=4, help="winnow dedup --cluster-tasks (default 4)")
    ap.add_argument("--verification", default="sketch", choices=["sketch", "exact"],
                    help="winnow dedup --verification for minhash (default sketch)")
    ap.add_argument("--compare-cluster-tasks", type=int, metavar="K", help="after each MinHash run, rerun its "
                    "cluster step with K cluster tasks and say whether every decision is the same")
    ap.add_argument("--methods", nargs="+", default=["minhash", "exact"], choices=["minhash", "exact"])
    ap.add_argument("--words", type=float, default=300, help="mean words per background document (default 300)")
    ap.add_argument("--vary", type=float, default=0.3, help="share of each document's words replaced (default 0.3)")
    ap.add_argument("--synthetic", type=int, metavar="N", help="instead: the cluster step alone on synthetic key "
                    "files of N documents (--tasks key tasks, --cluster-tasks cluster tasks, --workers at a time)")
    ap.add_argument("--keep", metavar="DIR", help="write inputs and runs under DIR and keep them")
    ap.add_argument("--record", metavar="FILE", help="append each run's figures to FILE (JSON lines); the growth "
                    "table then also uses the runs FILE holds with the same method, words, vary, tasks and workers")
    ap.add_argument("--cluster-worker", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--join-worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cluster_worker:
        workdir, tasks, rank, world = args.cluster_worker
        _stage(workdir, int(world)).cluster_part(int(tasks), int(rank), int(world))
        print(f"VmHWM={_status(os.getpid())['VmHWM']}")
        return 0
    if args.join_worker:
        workdir, tasks, world = args.join_worker
        _stage(workdir, int(world)).cluster(int(tasks))
        print(f"VmHWM={_status(os.getpid())['VmHWM']}")
        return 0
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="winnow-bench-scale-"))
    if args.synthetic:
        synthetic(args.synthetic, args.tasks, args.cluster_tasks, args.workers, base)
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        return 0
    if not (SHARED / "domains").is_dir():
        print(f"bench_scale: skipped: needs {SHARED}/domains (the shared data folder)")
        return 0
    from filters.dedup import MinHashDedup

    threshold = MinHashDedup().threshold
    winnow = str(Path(sys.executable).with_name("winnow"))
    results: dict[str, list] = {m: [] for m in args.methods}
    for n in sorted(args.docs):
        inp = base / f"input-{n}"
        if inp.exists():
            shutil.rmtree(inp)
        made = build_input(inp, n, max(8, args.tasks), args.words, args.vary)
        copy, source, kind, jac, equal = made["truth"]
        print(f"\n=== {n:,} documents: {made['words'] / n:.0f} words each on average ({made['words']:,} words), "
              f"{mb(made['bytes'])} MB of parquet in {max(8, args.tasks)} files; planted "
              f"{(kind == EXACT).sum():,} exact copies, {(kind == NEAR).sum():,} near copies and "
              f"{(kind == EDGE).sum():,} near the threshold ({(jac[kind != EXACT] >= threshold).sum():,} of the near "
              f"ones at Jaccard >= {threshold}); real text from {len(PROSE)} corpora, {args.vary:.0%} of words "
              f"varied; generated in {made['seconds']:.0f} s ({made['jaccard_seconds']:.0f} s of it the exact "
              f"Jaccard of the planted pairs): text generation is not the bottleneck")
        for method in args.methods:
            out = base / f"run-{method}-{n}"
            cmd = [winnow, "dedup", str(inp / "*.parquet"), "--method", method, "--output", str(out),
                   "--tasks", str(args.tasks), "--workers", str(args.workers), "--overwrite",
                   "--cluster-tasks", str(args.cluster_tasks)]
            if method == "minhash":
                cmd += ["--verification", args.verification]
            print("\n$ " + " ".join(cmd), flush=True)
            phases, totals = monitored_run(cmd, out, base / f"run-{method}-{n}.log")
            stats = json.loads((out / "stats.json").read_text())
            ev = evaluate(out, n, made["truth"], method, threshold)
            print_run(n, method, phases, totals, stats, ev, threshold)
            if method == "minhash" and args.compare_cluster_tasks:
                t0 = time.process_time()
                verdict = compare_cluster_tasks(out / "work" / "0_minhash_dedup_v1", stats["run"]["tasks"],
                                                args.compare_cluster_tasks)
                print(f"cluster step rerun with {args.compare_cluster_tasks} cluster task(s) instead of "
                      f"{args.cluster_tasks} ({time.process_time() - t0:.0f} CPU s): {verdict}")
            record = {"n": n, "method": method, "words": args.words, "vary": args.vary, "tasks": args.tasks,
                      "workers": args.workers, "cluster_tasks": args.cluster_tasks,
                      "phases": [asdict(ph) for ph in phases], "totals": totals}
            results[method].append(record)
            if args.record:
                with open(args.record, "a") as f:
                    f.write(json.dumps(record) + "\n")
            if not args.keep:
                shutil.rmtree(out, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(inp, ignore_errors=True)
    for method, res in results.items():
        same = ("method", "words", "vary", "tasks", "workers", "cluster_tasks")
        earlier = []
        if args.record and Path(args.record).is_file():
            earlier = [json.loads(line) for line in Path(args.record).read_text().splitlines() if line.strip()]
        print_growth(method, [r for r in earlier if all(r.get(k) == res[0][k] for k in same)] + res if res else [])
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    else:
        print(f"\ninputs and runs kept in {base}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
