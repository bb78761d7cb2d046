"""The ``zhnlp`` command line: commands (a module per pipeline stage) that parse, call the library, print."""
from __future__ import annotations

from ._app import app, main

__all__ = ["app", "main"]
