"""Shared test fixtures. Real third-party data is read from ../shared/data, never copied."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """Path under ../shared/data; skips the test with a clear message where it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real-data test needs {path} (the shared data folder beside the project); it is absent here")
    return path


@pytest.fixture(scope="session", autouse=True)
def workspace(tmp_path_factory):
    """Tests run in a scratch copy of the project's working directory, never writing into the checkout.

    ``configs/`` is a link to the checkout's, so the configs' relative paths (``configs/data/...``)
    resolve as in a checkout, while their relative outputs (``out/...``) land in the scratch directory.
    Subprocesses inherit it."""
    import os

    ws = tmp_path_factory.mktemp("workspace")
    (ws / "configs").symlink_to(ROOT / "configs")
    written_before = _ignored_in_checkout()
    before = os.getcwd()
    os.chdir(ws)
    yield ws
    os.chdir(before)
    new = sorted(_ignored_in_checkout() - written_before)
    assert not new, f"tests wrote into the checkout: {new[:10]}"


def _ignored_in_checkout() -> set[str]:
    """Ignored files and folders in the checkout (what a test writing outputs there would add), caches aside."""
    import subprocess

    try:
        res = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=ROOT, capture_output=True, text=True,
                             timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return set()
    paths = {line[3:] for line in res.stdout.splitlines() if line.startswith("!! ")}
    return {p for p in paths if not any(part in p for part in ("__pycache__", ".pytest_cache", ".venv", ".egg-info"))}


@pytest.fixture(scope="session")
def demo_quality_model(workspace):
    """configs/demo.yaml scores with the demo classifier (``out/models/demo-quality``), as `make demo` trains
    it before the run: trained once per session, into the workspace, for the test modules that run the demo
    config (``pytestmark = pytest.mark.usefixtures("demo_quality_model")``)."""
    import yaml

    from filters.quality_train import train

    opts = yaml.safe_load((ROOT / "configs" / "quality_train.yaml").read_text())
    opts = {k: ([str(ROOT / v)] if k in ("positive", "negative") else str(workspace / v) if k == "output" else v)
            for k, v in opts.items()}
    train(**opts)
    return workspace / opts["output"]


def demo_copies(directory: Path, n: int) -> Path:
    """``n`` copies of the bundled demo crawl in ``directory`` (multi-file inputs for task tests)."""
    import shutil

    for i in range(n):
        shutil.copy(ROOT / "configs" / "data" / "demo.warc.gz", directory / f"part{i}.warc.gz")
    return directory
