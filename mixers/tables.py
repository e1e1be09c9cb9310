"""Tables of runs for ``winnow mix plan`` and ``winnow mix fit``: mixtures, losses and predictions, CSV or parquet.

A table has a key column (``--key``, default its first column) and numeric columns: one weight per source in a
mixtures table (RegMix's ``train_mixture_1m.csv``: ``index`` and one ``train_the_pile_*`` column per domain),
one loss per target in a losses table (``train_pile_loss_1m.csv``: ``index`` and 13 ``metric/*_val_loss``).
Keys are read as text, so ``007`` stays ``007`` and keys of a CSV and a parquet file match when they print alike.

Bad input is an error that names the file, the row and the column (rows count data rows from 1; a CSV row ``r``
is on line ``r + 1``, after the header): a missing key column, an empty or duplicate key, a cell that is not a
number, NaN or infinite, a negative weight, and weights that do not sum to 1 within ``SUM_TOLERANCE``. Rows within
the tolerance (RegMix rounds to three decimals: sums 0.996 to 1.003) are divided by their sum, so every mixture
used sums to 1.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.atomic import atomic_write
from pipeline.errors import ConfigError

SUM_TOLERANCE = 0.01  # a mixture's weights must sum to 1 within this (1%)
SUFFIXES = (".csv", ".parquet")


@dataclass
class Table:
    """A table's key column and numeric columns (``values``: rows x columns, float)."""

    path: str
    key: str
    keys: list[str]
    columns: list[str]
    values: np.ndarray

    def at(self, row: int, column: str | None = None) -> str:
        """``FILE: row R (line L), column 'C'`` for the 0-based ``row``."""
        line = f" (line {row + 2})" if self.path.lower().endswith(".csv") else ""
        return f"{self.path}: row {row + 1}{line}" + (f", column {column!r}" if column is not None else "")

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.columns.index(name)]


def _read_raw(path: str, what: str) -> tuple[list[str], list[list]]:
    """Header and rows (cells as read: str for CSV, Python values for parquet)."""
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES:
        raise ConfigError(f"{what} {path}: expected a .csv or .parquet file")
    if not p.is_file():
        raise ConfigError(f"{what} {path}: file not found")
    if p.suffix.lower() == ".csv":
        with open(p, newline="", encoding="utf-8-sig") as f:  # -sig: a spreadsheet's byte-order mark is no header
            rows = list(csv.reader(f))
        if not rows or not any(c.strip() for c in rows[0]):
            raise ConfigError(f"{what} {path}: empty file (expected a header row: a key column, then numbers)")
        header = [c.strip() for c in rows[0]]
        body = [r for r in rows[1:] if any(c.strip() for c in r)]
        for i, r in enumerate(body):
            if len(r) != len(header):
                raise ConfigError(f"{path}: row {i + 1}: {len(r)} cells, but the header has {len(header)} columns")
        return header, body
    try:
        t = pq.read_table(p)
    except (pa.ArrowInvalid, OSError) as e:
        raise ConfigError(f"{what} {path}: not a readable parquet file: {e}") from None
    cols = [t.column(i).to_pylist() for i in range(t.num_columns)]
    return list(t.column_names), [list(r) for r in zip(*cols)]


def _number(cell, where) -> float:
    if isinstance(cell, bool):
        raise ConfigError(f"{where()}: {cell!r} is not a number")
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        raise ConfigError(f"{where()}: empty cell (every run needs a value; remove runs that did not finish)")
    if isinstance(cell, (int, float)):
        v = float(cell)
    else:
        try:
            v = float(str(cell).strip())
        except ValueError:
            raise ConfigError(f"{where()}: {str(cell)!r} is not a number") from None
    if math.isnan(v):
        raise ConfigError(f"{where()}: NaN (every run needs a value; remove runs that did not finish)")
    if math.isinf(v):
        raise ConfigError(f"{where()}: {v} is not a finite number")
    return v


def read_table(path: str, what: str, key: str | None = None) -> Table:
    """A table with a key column (``key``, or the first column) and numeric columns, checked cell by cell."""
    header, body = _read_raw(str(path), what)
    path = str(path)
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise ConfigError(f"{what} {path}: column {dup!r} appears twice in the header")
    if key is None:
        key = header[0]
    elif key not in header:
        raise ConfigError(f"{what} {path}: no key column {key!r} (--key); columns: {', '.join(header)}")
    if len(header) < 2:
        raise ConfigError(f"{what} {path}: only the key column {key!r}; expected a numeric column per source "
                          "(mixtures) or per target (losses) after it")
    if not body:
        raise ConfigError(f"{what} {path}: no rows")
    ki = header.index(key)
    columns = [h for h in header if h != key]
    idx = [header.index(c) for c in columns]
    t = Table(path, key, [], columns, np.zeros((len(body), len(columns))))
    seen: dict[str, int] = {}
    for i, r in enumerate(body):
        k = r[ki]
        k = "" if k is None else (str(k).strip() if not isinstance(k, float) or not k.is_integer() else str(int(k)))
        if not k:
            raise ConfigError(f"{t.at(i, key)}: empty key")
        if k in seen:
            raise ConfigError(f"{t.at(i, key)}: duplicate key {k!r} (also {t.at(seen[k])})")
        seen[k] = i
        t.keys.append(k)
        for j, (c, ci) in enumerate(zip(columns, idx)):
            t.values[i, j] = _number(r[ci], lambda: t.at(i, c))
    return t


def read_mixtures(path: str, what: str = "--mixtures", key: str | None = None,
                  sources: list[str] | None = None, sources_from: str = "") -> Table:
    """A mixtures table: non-negative weights summing to 1 within 1% per row (then scaled to sum to 1). With
    ``sources``, its weight columns must be exactly those (``sources_from`` says where they were named)."""
    t = read_table(path, what, key)
    if sources is not None:
        missing = [s for s in sources if s not in t.columns]
        if missing:
            raise ConfigError(f"{what} {path}: no column for source {', '.join(map(repr, missing))} (named by "
                              f"{sources_from}); its source columns: {', '.join(t.columns)}")
        extra = [c for c in t.columns if c not in sources]
        if extra:
            raise ConfigError(f"{what} {path}: column {', '.join(map(repr, extra))} is not a source of {sources_from} "
                              f"(sources: {', '.join(sources)})")
        t.values = t.values[:, [t.columns.index(s) for s in sources]]
        t.columns = list(sources)
    neg = np.argwhere(t.values < 0)
    if len(neg):
        i, j = neg[0]
        raise ConfigError(f"{t.at(int(i), t.columns[j])}: negative weight {t.values[i, j]:g}")
    sums = t.values.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1) > SUM_TOLERANCE)
    if len(bad):
        i = int(bad[0])
        raise ConfigError(f"{t.at(i)}: the weights ({', '.join(t.columns)}) sum to {sums[i]:.6g}, not 1 (within "
                          f"{SUM_TOLERANCE:.0%}){f'; {len(bad) - 1} more rows like it' if len(bad) > 1 else ''}")
    t.values = t.values / sums[:, None]
    return t


def join(mixtures: Table, losses: Table) -> tuple[list[str], np.ndarray, dict[str, np.ndarray], list[str]]:
    """Runs in both tables, in the mixtures' order: (keys, weights, losses per target, keys of mixtures without a
    loss). A loss row whose key has no mixture is an error: its weights are unknown."""
    where = {k: i for i, k in enumerate(mixtures.keys)}
    for i, k in enumerate(losses.keys):
        if k not in where:
            raise ConfigError(f"{losses.at(i, losses.key)}: key {k!r} is not in the mixtures {mixtures.path} (key "
                              f"column {mixtures.key!r}); every run needs its mixture")
    have = {k: i for i, k in enumerate(losses.keys)}
    keys = [k for k in mixtures.keys if k in have]
    rows = [where[k] for k in keys]
    lrows = [have[k] for k in keys]
    unmeasured = [k for k in mixtures.keys if k not in have]
    return keys, mixtures.values[rows], {t: losses.values[lrows, j] for j, t in enumerate(losses.columns)}, unmeasured


def write_table(path: Path, key: str, keys: list[str], columns: dict[str, np.ndarray | list]) -> None:
    """Parquet (zstd) or CSV by suffix, written atomically: the key column as text, then ``columns``."""
    table = pa.table({key: pa.array(keys, pa.string()),
                      **{c: pa.array(np.asarray(v, float), pa.float64()) for c, v in columns.items()}})
    if path.suffix == ".parquet":
        atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
        return
    lines = [",".join(_csv_cell(c) for c in table.column_names)]
    cols = [table.column(i).to_pylist() for i in range(table.num_columns)]
    for r in zip(*cols):
        lines.append(",".join([_csv_cell(r[0])] + [repr(float(v)) for v in r[1:]]))
    atomic_write(path, "\n".join(lines) + "\n")


def _csv_cell(v: str) -> str:
    return '"' + v.replace('"', '""') + '"' if any(ch in v for ch in ',"\n') else v
