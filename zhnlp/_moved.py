"""Old module paths of zhnlp (before the layered subpackages) as aliases of the new ones, so that
``import zhnlp.tagger`` or ``from zhnlp.batching import pad_batch`` keep working.

A finder on ``sys.meta_path`` answers only the names in :data:`MOVED`; each resolves to the very
module object of its new path (so monkeypatching either name patches both).
"""
from __future__ import annotations

import importlib
import importlib.util
import sys

#: old module path -> new module path
MOVED = {
    "zhnlp.segment": "zhnlp.text.segment",
    "zhnlp.fast_segment": "zhnlp.text.fast_segment",
    "zhnlp.dictionary": "zhnlp.text.dictionary",
    "zhnlp.vocab": "zhnlp.text.vocab",
    "zhnlp.conll": "zhnlp.formats.conll",
    "zhnlp.tables": "zhnlp.formats.tables",
    "zhnlp.pairs": "zhnlp.formats.pairs",
    "zhnlp.schemes": "zhnlp.formats.schemes",
    "zhnlp.datacheck": "zhnlp.formats.datacheck",
    "zhnlp.batching": "zhnlp.training.batching",
    "zhnlp.train": "zhnlp.training.trainer",
    "zhnlp.serialization": "zhnlp.training.serialization",
    "zhnlp.metrics": "zhnlp.training.metrics",
    "zhnlp.plots": "zhnlp.training.plots",
    "zhnlp.ensemble": "zhnlp.training.ensemble",
    "zhnlp.tagger": "zhnlp.tasks.tagger",
    "zhnlp.classifier": "zhnlp.tasks.classifier",
    "zhnlp.translate": "zhnlp.tasks.translator",
    "zhnlp.hmm": "zhnlp.tasks.hmm",
    "zhnlp.tag_corpus": "zhnlp.corpus.tag",
    "zhnlp.classify_corpus": "zhnlp.corpus.classify",
    "zhnlp.translate_corpus": "zhnlp.corpus.translate",
    "zhnlp.dask": "zhnlp.corpus.dask",
}


class _AliasFinder:
    """Resolves an old module path to the module at its new path (a meta path finder and its
    loader; importlib.abc is not imported, to keep ``import zhnlp`` cheap)."""

    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name in MOVED else None

    def create_module(self, spec):
        module = importlib.import_module(MOVED[spec.name])
        spec.loader_state = module.__spec__  # the import system sets __spec__ to the alias's; put it back
        return module

    def exec_module(self, module) -> None:  # already executed under its new name
        module.__spec__ = module.__spec__.loader_state


def install() -> None:
    """Put the alias finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())  # before any finder that could see a stale old file
