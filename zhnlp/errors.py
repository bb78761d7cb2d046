"""Exceptions raised by zhnlp; the CLI turns them into one-line messages."""
from __future__ import annotations

from pathlib import Path


class ZhnlpError(Exception):
    """Base class for errors a user can fix (bad input, bad option, missing file)."""


class InputError(ZhnlpError):
    """A problem in an input file, located by path and (where known) line number."""

    def __init__(self, path: str | Path | None, problem: str, line: int | None = None,
                 text: str | None = None) -> None:
        self.path = str(path) if path is not None else "<stdin>"
        self.line = line
        self.problem = problem
        self.text = text
        where = self.path if line is None else f"{self.path}:{line}"
        msg = f"{where}: {problem}"
        if text is not None:
            shown = text if len(text) <= 60 else text[:57] + "..."
            msg += f": {shown!r}"
        super().__init__(msg)

    def __reduce__(self):  # picklable, so errors raised in worker processes reach the parent
        return (type(self), (self.path, self.problem, self.line, self.text))


class DictionaryFormatError(InputError):
    """A malformed line in a dictionary or lexicon file."""


class OutputError(ZhnlpError):
    """An output path that cannot be written."""
