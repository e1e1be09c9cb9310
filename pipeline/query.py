"""DuckDB over a run directory: views ``documents``, ``removed`` and ``all_documents``.

``union_by_name`` lets files written with different ``quality_*`` columns (runs
with different classifiers) be read together; missing columns read as null.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.errors import WinnowError
from pipeline.outputs import DOC_COLUMNS, REMOVED_COLUMNS


def connect(output: str | Path) -> duckdb.DuckDBPyConnection:
    out = Path(output)
    if not out.is_dir():
        raise WinnowError(f"{out}: not a run directory")
    if not (out / "stats.json").is_file() and not any(out.glob("*/*.parquet")):
        raise WinnowError(f"{out}: no documents/*.parquet or removed/*.parquet (has the run finished?)")
    con = duckdb.connect()
    for name, columns in (("documents", DOC_COLUMNS), ("removed", REMOVED_COLUMNS)):
        if any((out / name).glob("*.parquet")):
            glob = str(out / name / "*.parquet").replace("'", "''")
            con.execute(f"create view {name} as select * from read_parquet('{glob}', union_by_name=true)")
        else:  # a run that kept or removed nothing still answers queries, with zero rows
            cols = ", ".join(f"cast(null as {_SQL_TYPES[str(t)]}) as {c}" for c, t in columns)
            con.execute(f"create view {name} as select {cols} where false")
    con.execute(
        "create view all_documents as select *, true as kept from documents "
        "union all by name select *, false as kept from removed"
    )
    return con


_SQL_TYPES = {"string": "varchar", "double": "double", "int64": "bigint"}
