"""``zhnlp convert IN OUT --to bio|bioes|bmes|spans``: a thin wrapper over :func:`zhnlp.formats.tagged.convert_file`."""
from __future__ import annotations

import typer

from ..formats.tagged import convert_file
from ._app import _run, app


@app.command("convert")
def convert_cli(
    src: str = typer.Argument(..., help="NER file: CoNLL (BIO, BIOES or BMES) or span JSON lines "
                                                      "(either form), detected."),
    dst: str = typer.Argument(..., help="File to write (atomically)."),
    to: str = typer.Option(..., "--to", help="bio | bioes | bmes (CoNLL: a character and its tag a line) | spans "
                                             "(span JSON: {\"text\", \"label\": {TYPE: {STRING: [[start, end], "
                                             "...]}}}, ends inclusive)."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Input encoding (the output is UTF-8)."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No summary."),
) -> None:
    """Convert NER data between CoNLL tag schemes (BIO, BIOES, BMES) and span JSON lines.

    Span JSON is read in two forms: {"text", "label": {TYPE: {STRING: [[start, end], ...]}}} (CLUENER;
    ends inclusive) and {"text", "entities" or "label": [[start, end, TYPE], ...]} (doccano; ends
    exclusive); the first is written. Whitespace in a text gets no tag.
    """
    done = _run(convert_file, src, dst, to, encoding)
    if not quiet:
        typer.echo(f"converted {done.sentences} sentences ({done.entities} entities) from {done.source} to "
                   f"{to} -> {dst}", err=True)
        if done.repaired:
            typer.echo(f"note: {done.repaired} sentence(s) with illegal tag sequences were read as conlleval "
                       "reads them", err=True)
