"""The ``zhnlp`` Typer app and the error handling every command shares.

Heavy libraries (torch, gensim, pandas) are imported only inside the commands that need them.
Errors a user can fix print one line (``zhnlp: error: FILE:LINE: problem``) and exit 1;
``zhnlp --debug ...`` shows the traceback instead.
"""
from __future__ import annotations

import os
import signal
import sys

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
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
    """Call a library function; turn known failures into one line and an exit code.

    Under torchrun only rank 0 reports: the other ranks end quietly when the work is done
    (their failures are still printed)."""
    from ..errors import ZhnlpError

    if _STATE["debug"]:
        result = fn(*args, **kwargs)
        _other_ranks_exit()
        return result
    try:
        result = fn(*args, **kwargs)
        _other_ranks_exit()
        return result
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


def _other_ranks_exit() -> None:
    """End a torchrun process other than rank 0 (exit 0) so that only rank 0 prints a summary."""
    from ..training.trainer import launched_world  # light: reads the environment, imports no torch

    if launched_world()[1] != 0:
        raise typer.Exit(0)


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
        from .. import __version__

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

