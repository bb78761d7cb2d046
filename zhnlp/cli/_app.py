"""The ``zhnlp`` Typer app, its commands (loaded when used), and the one-line errors (``--debug``: tracebacks)."""
from __future__ import annotations

import importlib
import os
import signal
import sys

import typer
from typer.core import TyperCommand, TyperGroup

from .. import __version__
from ..errors import ZhnlpError
from ..training.distributed import launched_world

#: name -> (module of zhnlp.cli defining it, its line in ``zhnlp --help``): ``zhnlp --help`` imports no command
#: module, and running a command (or its --help) imports only its own (no torch, gensim or pandas before it runs).
COMMANDS = {
    "train-classifier": ("classify", "Train a GRU text classifier on a labelled table and write a model directory."),
    "classify": ("classify", "Label texts with a trained classifier, line by line (output line i = input line i)."),
    "ensemble": ("ensemble", "Combine trained models (say, one setting trained with different --seed) into one model."),
    "train-seq2seq": ("translate", "Train a GRU encoder-decoder with attention on sentence pairs."),
    "translate": ("translate", "Translate sentences line by line (output line i = input line i)."),
    "evaluate": ("evaluate", "Score a model on gold data: entity P/R/F1 per type (NER), word P/R/F1 (CWS)."),
    "segment": ("segment", "Segment text into words, line by line (output line i = input line i)."),
    "eval-seg": ("segment", "Score a segmentation: word precision, recall, F1, OOV and IV recall (SIGHAN bakeoff)."),
    "dicts": ("segment", "List the bundled dictionaries: name, kind, entries, source."),
    **{f"train-{task}": ("tag", f"Train a {kind} tagger (BiLSTM-CRF, HMM or CRF) and write a model directory.")
       for task, kind in (("ner", "named-entity"), ("cws", "word-segmentation"), ("pos", "part-of-speech"))},
    "tag": ("tag", "Tag text with a trained model, line by line (output line i = input line i)."),
    "embed": ("embed", "Word vectors: train (word2vec, fastText), query, evaluate, convert."),
    "vocab": ("vocab", "Build and inspect vocabularies (token <-> id)."),
    "convert": ("convert", "Convert NER data between CoNLL tag schemes (BIO, BIOES, BMES) and span JSON lines."),
}


class _Commands(dict):
    """The group's commands by name, None until first looked up, which imports the command's module."""

    def get(self, name, default=None):
        if name in self and super().get(name) is None:
            importlib.import_module(f"{__package__}.{COMMANDS[name][0]}")  # registers its commands on app
            self.update(typer.main.get_command(app).commands)
        return super().get(name, default)


class _LazyGroup(TyperGroup):
    """The ``zhnlp`` group: lists every command of COMMANDS without importing any."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.commands = _Commands({**dict.fromkeys(COMMANDS), **self.commands})

    def format_commands(self, ctx, formatter) -> None:
        limit = formatter.width - 6 - max(map(len, COMMANDS))
        with formatter.section("Commands"):
            formatter.write_dl([(name, TyperCommand(name, help=text).get_short_help_str(limit))
                                for name, (_, text) in COMMANDS.items()])


app = typer.Typer(cls=_LazyGroup, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]},
                  help="Chinese NLP preprocessing and tagging: segment, featurize, batch, model.")

_STATE = {"debug": False}

# Options of every corpus command (segment, tag, classify, translate, evaluate), declared once.
OUTPUT = typer.Option(None, "-o", "--output", help="Write all output to this file.")
OUTPUT_DIR = typer.Option(None, "--output-dir", help="One output per input, same name.")
PRECISION = typer.Option("fp32", "--precision",
                         help="BiLSTM-CRF taggers: fp32 | bf16 (the LSTM and emission layer in bfloat16: about "
                              "2x faster on CPUs with AVX-512 BF16 or AMX; a tag can rarely differ).")
THREADS = typer.Option(1, "--threads", help="torch CPU threads (0: torch's default, a thread per core, which slows "
                                             "down tenfold when another job shares the cores). With 1, a BiLSTM "
                                             "tagger runs its two directions on two threads.")
SCHEDULER = typer.Option(None, "--scheduler",
                         help="Run on a Dask cluster: tcp://HOST:PORT, or local:N for N local workers "
                              "(pip install \"zhnlp[dask]\"; input files must be readable by the workers).")


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"zhnlp: error: {message}", err=True)
    raise typer.Exit(code)


def _run(fn, *args, **kwargs):
    """Call a library function; known failures print one line and exit (torchrun: other ranks than 0 end quietly)."""
    if _STATE["debug"]:
        return _rank_zero_only(fn(*args, **kwargs))
    try:
        return _rank_zero_only(fn(*args, **kwargs))
    except ZhnlpError as exc:
        _fail(str(exc))
    except KeyboardInterrupt as exc:
        _fail(str(exc) or "interrupted; no partial output was kept", 130)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(141)
    except MemoryError:
        _fail("out of memory")
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _fail(f"{where}{exc.strerror or exc}")
    except ValueError as exc:
        _fail(str(exc))


def _rank_zero_only(result):
    """``result`` in rank 0; a torchrun process of another rank ends here (exit 0), so that only rank 0 reports."""
    if launched_world()[1] != 0:
        raise typer.Exit(0)
    return result


def _summary(verb: str, stats, quiet: bool, output: str | None, output_dir: str | None) -> None:
    """The one-line report of a corpus run written to files (stdout runs stay clean)."""
    if not quiet and (output or output_dir):
        typer.echo(f"{verb} {stats.lines} lines from {stats.files} file(s) in {stats.seconds:.1f} s "
                   f"-> {', '.join(stats.outputs)}", err=True)


@app.callback(invoke_without_command=True)
def _root(ctx: typer.Context,
          debug: bool = typer.Option(False, "--debug", help="Show tracebacks instead of one-line errors."),
          version: bool = typer.Option(False, "--version", help="Print the version and exit.")) -> None:
    _STATE["debug"] = debug
    if version:
        typer.echo(__version__)
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)


def _on_sigterm(signum, frame):  # so that atomic outputs clean up on `kill`
    raise KeyboardInterrupt


def main() -> None:
    """Entry point of the ``zhnlp`` console script."""
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _on_sigterm)
    app(prog_name="zhnlp")

