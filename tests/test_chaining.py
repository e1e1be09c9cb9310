"""Lossless chaining: every command that reads and writes documents keeps the input's columns (type and
values) and adds its own; ``n_tokens`` is filled everywhere; chained dedup stages keep earlier clusters."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.cli import main
from pipeline.config import load_config, parse_config
from pipeline.run import run
from pipeline.tokens import count_tokens
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("demo_quality_model")  # runs configs/demo.yaml, which scores with it

LOREM = ("Lorem ipsum dolor sit amet consectetur adipiscing elit aliquam euismod vel ante vitae rhoncus curabitur "
         "eu lectus et magna maximus facilisis eu non magna maecenas sed velit vitae est ornare placerat vestibulum "
         "quis consectetur nunc a feugiat lorem cras in ipsum fringilla vestibulum urna sit amet viverra tortor")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, demo_quality_model):
    out = tmp_path_factory.mktemp("chain") / "demo"
    # run in the test workspace (conftest), where configs/ resolves and the session trained the demo model
    run(load_config(ROOT / "configs" / "demo.yaml").with_overrides(output=str(out)))
    return out


def rows(folder):
    return pq.read_table(folder).to_pylist() if any(folder.glob("*.parquet")) else []


def test_every_row_has_n_tokens(demo_run):
    everything = rows(demo_run / "documents") + rows(demo_run / "removed")
    assert len(everything) > 100
    assert all(r["n_tokens"] == count_tokens(r["text"], "words_v1") for r in everything)
    assert any(r["n_tokens"] > 0 for r in everything)


def test_dedup_over_a_finished_run_keeps_score_columns(demo_run, tmp_path):
    rc = main(["dedup", str(demo_run / "documents" / "*.parquet"), "--output", str(tmp_path / "d"),
               "--method", "exact"])
    assert rc == 0
    before = {r["id"]: r for r in rows(demo_run / "documents")}
    table = pq.read_table(tmp_path / "d" / "documents")
    assert table.schema.field("quality_demo").type == pa.float64()
    after = table.to_pylist()
    assert len(after) == len(before)
    for r in after:
        assert r["quality_demo"] == before[r["id"]]["quality_demo"] is not None
        assert "quality_demo" not in json.loads(r["metadata"] or "{}")


def _own_columns_file(path):
    table = pa.table({
        "id": ["a", "b", "c"],
        "text": [LOREM, LOREM[::-1], "a short text with some words in it."],
        "label": pa.array([1, 0, 1], pa.int64()),
        "tags": pa.array([["x", "y"], [], None], pa.list_(pa.string())),
        "when": pa.array([1, 2, 3], pa.timestamp("ms")),
        "quality_old": pa.array([0.5, None, 0.25], pa.float64()),
    })
    pq.write_table(table, path)
    return table


def test_quality_score_keeps_the_inputs_own_columns(tmp_path, demo_quality_model):
    src = _own_columns_file(tmp_path / "in.parquet")
    rc = main(["quality", "score", str(tmp_path / "in.parquet"), "--model", str(demo_quality_model), "--name", "demo",
               "--output", str(tmp_path / "q")])
    assert rc == 0
    out = pq.read_table(tmp_path / "q" / "documents")
    for name in ("label", "tags", "when", "quality_old"):
        assert out.schema.field(name).type == src.schema.field(name).type, name
    by_id = {r["id"]: r for r in out.to_pylist()}
    for r in src.to_pylist():
        assert {k: by_id[r["id"]][k] for k in r} == r
        assert 0 <= by_id[r["id"]]["quality_demo"] <= 1


def test_materialise_keeps_the_sources_own_columns(tmp_path):
    from mixers.materialise import materialise

    src = _own_columns_file(tmp_path / "in.parquet")
    (tmp_path / "weights.json").write_text(json.dumps({"weights": {"a": 1.0}, "tokenizer": "words_v1",
                                                       "max_epochs": {"a": 1}}))
    total = sum(count_tokens(t, "words_v1") for t in src.column("text").to_pylist())
    materialise(str(tmp_path / "weights.json"), {"a": [str(tmp_path / "in.parquet")]}, total, str(tmp_path / "m"))
    out = pq.read_table(tmp_path / "m" / "documents")
    assert out.schema.field("tags").type == pa.list_(pa.string())
    by_id = {r["id"]: r for r in out.to_pylist()}
    for r in src.to_pylist():
        assert {k: by_id[r["id"]][k] for k in r if k != "source"} == {k: v for k, v in r.items() if k != "source"}
        assert by_id[r["id"]]["n_tokens"] == count_tokens(r["text"], "words_v1")


def test_conflicting_column_types_are_an_error(tmp_path):
    pq.write_table(pa.table({"id": ["a"], "text": ["x"], "label": pa.array([1], pa.int64())}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"id": ["b"], "text": ["y"], "label": pa.array(["1"], pa.string())}),
                   tmp_path / "b.parquet")
    rc = main(["dedup", str(tmp_path / "*.parquet"), "--output", str(tmp_path / "d"), "--method", "exact"])
    assert rc == 2


def _chain(tmp_path, docs, name):
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    cfg = parse_config({"name": name, "input": {"format": "jsonl", "paths": str(path)},
                        "output": str(tmp_path / name), "stages": [{"exact_dedup_v1": {}}, {"minhash_dedup_v1": {}}]})
    res = run(cfg)
    assert res.stats["conserved"]
    return {r["id"]: r for r in rows(res.output / "documents")}, {r["id"]: r for r in rows(res.output / "removed")}


def test_minhash_after_exact_keeps_the_exact_cluster(tmp_path):
    copies = [{"id": f"a{i}", "text": LOREM + "!" * i} for i in range(3)]  # equal once normalised
    kept, removed, = _chain(tmp_path, copies + [{"id": "u", "text": "another text entirely, nothing like it at all"}],
                            "x")
    (rep,) = [r for i, r in kept.items() if i.startswith("a")]
    assert rep["dup_cluster"] == rep["id"] and rep["dup_cluster_size"] == 3  # MinHash found it unique
    assert kept["u"]["dup_cluster"] is None and kept["u"]["dup_cluster_size"] == 1
    assert all(r["dup_of"] == rep["id"] and r["removed_by"] == "exact_dedup_v1" for r in removed.values())


def test_minhash_cluster_size_counts_the_exact_copies_it_absorbs(tmp_path):
    copies = [{"id": f"a{i}", "text": LOREM + "!" * i} for i in range(3)]
    near = {"id": "n", "text": LOREM.replace("tortor", "tortorem")}
    kept, removed = _chain(tmp_path, copies + [near], "y")
    (rep,) = kept.values()
    assert rep["dup_cluster_size"] == 4 and len(removed) == 3


def test_an_input_column_named_kept_survives_the_run_and_its_queries(tmp_path, demo_quality_model):
    """`all_documents` adds a `kept` flag (the report queries it): an input column of that name once made the
    command fail at its end with DuckDB's duplicate-name error."""
    from pipeline.query import connect

    src = _own_columns_file(tmp_path / "in.parquet")
    pq.write_table(src.append_column("kept", pa.array(["yes"] * src.num_rows)), tmp_path / "in.parquet")
    rc = main(["quality", "score", str(tmp_path / "in.parquet"), "--model", str(demo_quality_model), "--name", "demo",
               "--output", str(tmp_path / "q")])
    assert rc == 0
    assert pq.read_table(tmp_path / "q" / "documents").column("kept").to_pylist() == ["yes"] * src.num_rows
    con = connect(tmp_path / "q")
    assert con.execute("select count(*), bool_and(kept) from all_documents").fetchone() == (src.num_rows, True)
