"""The one way a file gets its final name: written under a temporary name beside it, then renamed.

Readers (globs, DuckDB, a rerun) never see a half-written file; an interrupted write leaves only a
``.tmp`` file, which the next write replaces. (Task outputs are committed once the whole task has
succeeded instead: ``pipeline.commit``.)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable


def atomic_write(path: str | Path, content: str | bytes | Callable[[Path], object]) -> Path:
    """Write ``content`` (text, bytes, or a function that writes the temporary path it is given) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        if isinstance(content, str):
            tmp.write_text(content, encoding="utf-8")
        elif isinstance(content, bytes):
            tmp.write_bytes(content)
        else:
            content(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def atomic_write_json(path: str | Path, data) -> Path:
    """``data`` as indented JSON, atomically."""
    return atomic_write(path, json.dumps(data, indent=2, default=str) + "\n")
