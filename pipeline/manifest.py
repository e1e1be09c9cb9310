"""OUT/manifest.json: what produced a run, so it can be reproduced and audited.

Records the config and its hash, package versions, every input file with its
size and SHA-256 (local files; remote ones with size only, as hashing would
download them again), and every model/asset a stage loaded with its checksum.
"""

from __future__ import annotations

import platform
import sys
from datetime import datetime, timezone
from importlib import metadata

import fsspec

from pipeline import __version__
from pipeline.assets import sha256_file
from pipeline.config import RunConfig

_PACKAGES = (
    "datatrove", "trafilatura", "resiliparse", "fasttext-numpy2-wheel", "pyarrow", "duckdb",
    "zstandard", "numpy", "lxml", "warcio", "pyyaml", "scikit-learn", "scipy", "pymupdf",
)


def package_versions(names: tuple[str, ...] = _PACKAGES) -> dict[str, str | None]:
    """Winnow's and Python's versions and those of the installed distributions ``names`` (None: not installed):
    the one place versions are read, for run manifests and for what a trained model records."""
    out: dict[str, str | None] = {"winnow": __version__, "python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def describe_input(path: str) -> dict:
    fs, _, (p,) = fsspec.get_fs_token_paths(path)
    entry = {"path": path, "bytes": fs.size(p)}
    if "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)):
        entry["sha256"] = sha256_file(p)
    return entry


def stage_assets(pipeline: list) -> list[dict]:
    """Every model or data file a stage reads (``model_path``, ``asset_paths``), once, with its checksum."""
    assets, seen = [], set()
    for step in pipeline:
        paths = [getattr(step, "model_path", None)] + list(getattr(step, "asset_paths", None) or [])
        for path in filter(None, paths):
            key = (getattr(step, "stage_name", str(step)), str(path))
            if key not in seen:
                seen.add(key)
                assets.append({"stage": key[0], "path": key[1], "sha256": sha256_file(path)})
    return assets


def build_manifest(cfg: RunConfig, files: list[str], assets: list[dict], config_hash: str) -> dict:
    return {
        "name": cfg.name,
        "config_hash": config_hash,
        "config": cfg.to_dict(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": sys.argv,
        "versions": package_versions(),
        "inputs": [describe_input(f) for f in files],
        "assets": assets,
    }
