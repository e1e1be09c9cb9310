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


DEMO_MODEL = ROOT / "out" / "models" / "demo-quality"


@pytest.fixture(scope="session", autouse=True)
def demo_quality_model():
    """configs/demo.yaml scores with the demo classifier, as `make demo` trains it before the run."""
    if not (DEMO_MODEL / "meta.json").is_file():
        import yaml

        from filters.quality import train

        opts = yaml.safe_load((ROOT / "configs" / "quality_train.yaml").read_text())
        opts = {k: ([str(ROOT / v)] if k in ("positive", "negative") else str(ROOT / v) if k == "output" else v)
                for k, v in opts.items()}
        train(**opts)
    return DEMO_MODEL


def demo_copies(directory: Path, n: int) -> Path:
    """``n`` copies of the bundled demo crawl in ``directory`` (multi-file inputs for task tests)."""
    import shutil

    for i in range(n):
        shutil.copy(ROOT / "configs" / "data" / "demo.warc.gz", directory / f"part{i}.warc.gz")
    return directory
