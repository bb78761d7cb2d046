"""``zhnlp ensemble``: trained taggers or classifiers combined into one model directory (tasks' build_ensemble)."""
from __future__ import annotations

import typer

from ..tasks.classifier import TableOptions
from ..tasks.loading import build_ensemble
from ..training.trainer import use_threads
from ._app import THREADS, _run, app
from ._train_options import FORCE, QUIET, scores_line
from .classify import CLASS_NAMES, LABEL_COL, MODEL_DATA_FORMAT, TEXT_COL


@app.command("ensemble")
def ensemble_cli(
    members: list[str] = typer.Argument(..., help="Trained BiLSTM-CRF taggers or GRU classifiers (directories or "
                                                  "bundled names), two or more, reading the same inputs."),
    output: str = typer.Option(..., "-o", "--output", help="Model directory to write."),
    dev: str | None = typer.Option(None, "--dev", help="Dev data to score the ensemble on (metrics.json)."),
    test: str | None = typer.Option(None, "--test", help="Test data to score the ensemble on (metrics.json)."),
    half: bool | None = typer.Option(None, "--half/--float32",
                                        help="Store float16 or float32 weights [default: as the members]."),
    data_format: str = MODEL_DATA_FORMAT,
    text_col: str | None = TEXT_COL,
    label_col: str | None = LABEL_COL,
    class_names: str | None = CLASS_NAMES,
    encoding: str = typer.Option("utf-8", "--encoding"),
    threads: int = THREADS,
    force: bool = FORCE,
    quiet: bool = QUIET,
) -> None:
    """Combine trained models (say, one setting trained with different --seed) into one model:
    taggers decode with their averaged emission and transition scores, classifiers predict
    their mean probabilities."""
    def work():
        use_threads(threads)  # scoring --dev/--test is inference, as in zhnlp evaluate
        table = TableOptions(text_col=text_col, label_col=label_col, fmt=data_format, encoding=encoding,
                             class_names=class_names)
        return build_ensemble(members, output, dev=dev, test=test, half=half, force=force,
                              data_format=data_format, encoding=encoding, table=table)

    result = _run(work)
    if not quiet:
        m = result.metrics
        kind = f"{m['task']} taggers" if "task" in m else "classifiers"
        typer.echo(f"built an ensemble of {len(m['members'])} {kind}: "
                   f"{scores_line(m, ('f1', 'accuracy', 'macro_f1'))} -> {result.output}", err=True)
