"""Shared fixtures: a private dictionary cache per test (helpers live in tests/helpers.py)."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own empty dictionary cache, so the user's cache is never touched."""
    d = tmp_path_factory.mktemp("zhnlp-cache")
    monkeypatch.setenv("ZHNLP_CACHE_DIR", str(d))
    return d

