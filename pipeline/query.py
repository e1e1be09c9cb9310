"""DuckDB over a run directory: views ``documents``, ``removed`` and ``all_documents``.

``union_by_name`` lets files written with different ``quality_*`` columns (runs
with different classifiers) be read together; missing columns read as null.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.errors import WinnowError


def connect(output: str | Path) -> duckdb.DuckDBPyConnection:
    out = Path(output)
    if not out.is_dir():
        raise WinnowError(f"{out}: not a run directory")
    con = duckdb.connect()
    views = {}
    for name in ("documents", "removed"):
        if any((out / name).glob("*.parquet")):
            glob = str(out / name / "*.parquet").replace("'", "''")
            con.sql(f"create view {name} as select * from read_parquet('{glob}', union_by_name=true)")
            views[name] = True
    if not views:
        raise WinnowError(f"{out}: no documents/*.parquet or removed/*.parquet (has the run finished?)")
    parts = []
    if "documents" in views:
        parts.append("select *, true as kept from documents")
    if "removed" in views:
        parts.append("select *, false as kept from removed")
    con.sql("create view all_documents as " + " union all by name ".join(parts))
    return con
