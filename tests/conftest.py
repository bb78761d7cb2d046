"""Shared fixtures: where the real corpora are, and a private dictionary cache per test."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "data"


def data_path(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test with the reason when it is absent."""
    p = DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared corpus not available: {p} (needs ../shared/data beside the repo)")
    return p


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own empty dictionary cache, so the user's cache is never touched."""
    d = tmp_path_factory.mktemp("zhnlp-cache")
    monkeypatch.setenv("ZHNLP_CACHE_DIR", str(d))
    return d
