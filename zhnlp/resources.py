"""Bundled dictionaries and models (installed packages or the checkout's folders) and the per-user cache."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def _package_dir(package: str, folder: str) -> Path:
    """Directory of an installed resource package, or the source-tree folder."""
    try:
        from importlib.resources import files

        path = Path(str(files(package)))
        if path.is_dir():
            return path
    except (ModuleNotFoundError, TypeError):
        pass
    return _SOURCE_ROOT / folder


def dictionaries_dir() -> Path:
    """Folder of the bundled dictionaries."""
    return _package_dir("zhnlp.dictionaries", "dictionaries")


def models_dir() -> Path:
    """Folder of the bundled trained models."""
    return _package_dir("zhnlp.models", "models")


def vectors_dir() -> Path:
    """Folder of the bundled pretrained vectors."""
    return _package_dir("zhnlp.vectors", "vectors")


#: Bundled vectors by name (``--embeddings zh-char128``): file, level (char or bigram), dimensions. Built by
#: ``cli/train-models.sh vectors`` from the training splits of public corpora (reviews, news, resumes, Tatoeba); see
#: vectors/README.md.
BUNDLED_VECTORS = {
    "zh-char128": ("zh-char128.bin", "char", 128),
    "zh-bigram64": ("zh-bigram64.bin", "bigram", 64),
}


def auto_vectors(level: str, dim: int) -> str | None:
    """The name of the bundled vectors of ``level`` with ``dim`` dimensions (what ``auto`` stands for), or None."""
    return next((name for name, (_, lvl, d) in BUNDLED_VECTORS.items() if (lvl, d) == (level, dim)), None)


def bundled_vectors(name: str | Path) -> Path | None:
    """The file of the bundled vectors called ``name``, unless a file of that name exists (it wins), else None."""
    if str(name) not in BUNDLED_VECTORS or Path(name).exists():
        return None
    return vectors_dir() / BUNDLED_VECTORS[str(name)][0]


@dataclass(frozen=True)
class BundledDict:
    """A bundled dictionary addressable by a short name (``--dict medical``)."""

    name: str
    relpath: str
    kind: str  # "lexicon" or "stopwords"
    description: str
    source: str

    @property
    def path(self) -> Path:
        return dictionaries_dir() / self.relpath


_THUOCL = "THUOCL (thunlp/THUOCL, MIT)"
BUNDLED_DICTS: dict[str, BundledDict] = {
    d.name: d
    for d in (
        BundledDict("it", "thuocl/THUOCL_IT.txt", "lexicon", "IT terms", _THUOCL),
        BundledDict("medical", "thuocl/THUOCL_medical.txt", "lexicon", "medical terms", _THUOCL),
        BundledDict("finance", "thuocl/THUOCL_caijing.txt", "lexicon", "finance terms (caijing)", _THUOCL),
        BundledDict("law", "thuocl/THUOCL_law.txt", "lexicon", "legal terms", _THUOCL),
        BundledDict("places", "thuocl/THUOCL_diming.txt", "lexicon", "place names (diming)", _THUOCL),
        BundledDict("zh", "stopwords/zh.txt", "stopwords", "Chinese stop words",
                    "stopwords-iso (MIT)"),
    )
}
# Aliases that follow THUOCL's own file names.
_ALIASES = {"caijing": "finance", "diming": "places", "thuocl-it": "it"}


def bundled_dict(name: str) -> BundledDict | None:
    """The bundled dictionary called ``name`` (case-insensitive), or None."""
    key = name.lower()
    return BUNDLED_DICTS.get(_ALIASES.get(key, key))


def cache_dir() -> Path:
    """Per-user cache folder: $ZHNLP_CACHE_DIR, else the platform's user cache + /zhnlp."""
    env = os.environ.get("ZHNLP_CACHE_DIR")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "zhnlp"
