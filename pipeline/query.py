"""DuckDB over a run directory: views ``documents``, ``removed`` and ``all_documents``.

``union_by_name`` lets files written with different ``quality_*`` columns (runs
with different classifiers) be read together; missing columns read as null.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.errors import WinnowError
from pipeline.layout import RunLayout
from pipeline.outputs import DOC_COLUMNS, REMOVED_COLUMNS


def connect(output: str | Path) -> duckdb.DuckDBPyConnection:
    """Views over ``output``: a finished run, or a directory of documents/removed parquet files without logs.

    A run directory whose ``logs/`` exist but whose finalize step has not written stats.json yet is
    refused: its parquet files hold only the tasks done so far, and queries would answer wrongly.
    """
    layout = RunLayout(output)
    out = layout.out
    if not out.is_dir():
        raise WinnowError(f"{out}: not a run directory")
    finished = layout.stats.is_file()  # the finalize step writes it once every task is done
    if not finished and layout.logs.is_dir():
        raise WinnowError(f"{out}: the run has not finished (no stats.json): "
                          "run the same `winnow run` command again to finish it")
    if not finished and not any(layout.documents.glob("*.parquet")) and not any(layout.removed.glob("*.parquet")):
        raise WinnowError(f"{out}: not a run directory (no stats.json, documents/*.parquet or removed/*.parquet)")
    con = duckdb.connect()
    try:
        for name, folder, columns in (("documents", layout.documents, DOC_COLUMNS),
                                      ("removed", layout.removed, REMOVED_COLUMNS)):
            if any(folder.glob("*.parquet")):
                glob = str(folder / "*.parquet").replace("'", "''")
                con.execute(f"create view {name} as select * from read_parquet('{glob}', union_by_name=true)")
            else:  # a run that kept or removed nothing still answers queries, with zero rows
                cols = ", ".join(f"cast(null as {_sql_type(t)}) as {c}" for c, t in columns)
                con.execute(f"create view {name} as select {cols} where false")
        # `kept` is the view's flag; an input column of that name is shadowed here (documents/removed keep it)
        flag = {name: ("* replace ({v} as kept)" if "kept" in {r[0] for r in con.execute(f"describe {name}").fetchall()}
                       else "*, {v} as kept") for name in ("documents", "removed")}
        con.execute(
            f"create view all_documents as select {flag['documents'].format(v='true')} from documents "
            f"union all by name select {flag['removed'].format(v='false')} from removed"
        )
    except duckdb.Error as e:  # an unreadable or foreign parquet file
        raise WinnowError(f"{out}: {error_message(e)}") from None
    return con


def error_message(e: duckdb.Error) -> str:
    """DuckDB's message on one line: its first paragraph ("Parser Error: ..."), without the caret excerpt."""
    head = str(e).strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in head.splitlines() if line.strip()) or type(e).__name__


_SQL_TYPES = {"string": "varchar", "double": "double", "int64": "bigint"}


def _sql_type(t) -> str:
    """DuckDB's name for a core column's arrow type (lists nest: list<list<int64>> is bigint[][])."""
    import pyarrow as pa

    if pa.types.is_list(t):
        return _sql_type(t.value_type) + "[]"
    return _SQL_TYPES[str(t)]
