"""The ``zhnlp`` command line: one Typer app whose commands parse options, call the library, print.

Each module here holds the commands of one pipeline stage; importing them registers the commands.
None of them imports torch, gensim or pandas at module level.
"""
from __future__ import annotations

from . import classify, embed, ensemble, evaluate, segment, tag, translate, vocab  # noqa: F401  (registers commands)  # noqa: F401
from ._app import app, main

__all__ = ["app", "main"]
