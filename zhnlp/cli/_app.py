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
from ._recipes import RecipeCommand, recipe_params

#: name -> (module of zhnlp.cli defining it, its line in ``zhnlp --help``): ``zhnlp --help`` imports no command
#: module, and running a command (or its --help) imports only its own (no torch, gensim or pandas before it runs).
COMMANDS = {
    "train-classifier": ("classify", "Train a text classifier (GRU, TextCNN or Transformer) and write a model directory."),
    "classify": ("classify", "Label texts with a trained classifier, line by line (output line i = input line i)."),
    "ensemble": ("ensemble", "Combine trained models (say, one setting trained with different --seed) into one model."),
    "train-seq2seq": ("translate", "Train a GRU encoder-decoder with attention on sentence pairs."),
    "translate": ("translate", "Translate sentences line by line (output line i = input line i)."),
    "evaluate": ("evaluate", "Score a model on gold data: entity P/R/F1 per type (NER), word P/R/F1 (CWS)."),
    "segment": ("segment", "Segment text into words, line by line (output line i = input line i)."),
    "eval-seg": ("segment", "Score a segmentation: word precision, recall, F1, OOV and IV recall (SIGHAN bakeoff)."),
    "dicts": ("segment", "List the bundled dictionaries: name, kind, entries, source."),
    **{f"train-{task}": ("tag", f"Train a {kind} tagger (BiLSTM-CRF, Transformer-CRF, HMM or CRF) and write a model directory.")
       for task, kind in (("ner", "named-entity"), ("cws", "word-segmentation"), ("pos", "part-of-speech"))},
    "tag": ("tag", "Tag text with a trained model, line by line (output line i = input line i)."),
    "embed": ("embed", "Word vectors: train (word2vec, fastText), query, evaluate, convert."),
    "vocab": ("vocab", "Build and inspect vocabularies (token <-> id)."),
    "convert": ("convert", "Convert NER data between CoNLL tag schemes (BIO, BIOES, BMES) and span JSON lines."),
}


#: Help panels, in the order --help shows them: panel -> the options (last long name) it holds; a command's other
#: options go to "Other", and -h/--help comes last.
PANELS = {
    "Data": "--dev --test --data-format --input-format --encoding --scheme --repair --strict --split --text-col "
            "--label-col --class-names --src-col --tgt-col --src-lang --tgt-lang --level --src-level --tgt-level "
            "--min-freq --src-min-freq --tgt-min-freq --max-size --long --max-len --max-src-len --max-tgt-len "
            "--max-line-length --allow-empty --skip-bad-lines --lower --pre-segmented --segment --from --training-words "
            "--restrict-vocab",
    "Model": "--model --mode --engine --hmm --pos --encoder --pooling --attention --emb-dim --hidden --layers "
             "--dropout --bidirectional --input-feed --tie-embeddings --init-range --no-constraints --beam --alpha "
             "--algo --dim --window --negative --sg --hs --min-count --sample --subwords --min-n --max-n --bucket",
    "Features": "--embeddings --freeze-embeddings --bigram --bigram-dim --bigram-embeddings --bigram-min-freq "
                "--affix-dim --affix-embeddings --static-embeddings --static-max-words --softword --lexicon "
                "--segmenter --ngrams --ngram-min-freq --user-dict --dict --main-dict --dict-freq --no-cache "
                "--stopwords",
    "Training": "--preset --config --print-config --epochs --batch-size --lr --lr-decay --weight-decay --warmup "
                "--warmup-epochs --clip --patience --adversarial --ema "
                "--word-dropout --src-token-dropout --label-smoothing --class-weights --select --bucket-by --seed "
                "--resume",
    "Hardware": "--gpu --device --amp --precision --threads --jobs --workers --scheduler --block-size --tmp-dir",
    "Output": "--output --output-dir --force --half --format --sep --to --json --probs --top-k --topn --top "
              "--confusion --attention-plot --plot-lines --font --quiet",
}
_PANEL_OF = {name: panel for panel, names in PANELS.items() for name in names.split()}
#: Metavars by name (an option's last long name, an argument's name); numbers get INT or FLOAT, anything else TEXT.
_METAVARS = {
    "PATH": ("--dev --test --output --output-dir --embeddings --bigram-embeddings --affix-embeddings "
             "--static-embeddings --lexicon --user-dict --main-dict --stopwords --class-names --confusion "
             "--attention-plot --font --tmp-dir --training-words train test model files corpus members gold pred "
             "src dst source target vectors vocab_file"),
    "NAME": ("--model --data-format --input-format --encoding --scheme --src-lang --tgt-lang --level --src-level "
             "--tgt-level --long --from --to --mode --engine --encoder --pooling --attention --algo --segmenter "
             "--dict --dict-freq --class-weights --select --bucket-by --device --precision --format --text-col "
             "--label-col"),
    "SIZE": "--block-size",
    "ADDRESS": "--scheduler",
    "FRACTIONS": "--split",
}
_METAVAR_OF = {name: metavar for metavar, names in _METAVARS.items() for name in names.split()}


def _metavar(param) -> str:
    """PATH, NAME, INT, FLOAT or TEXT for ``param`` by its name and type (an explicit metavar wins)."""
    if param.metavar is not None:
        return param.metavar
    name = param.opts[-1] if param.param_type_name == "option" else param.name
    if hasattr(param, "type_descriptor"):  # typer >= 0.29: the annotation
        annotation = param.type_descriptor.annotation
        element = (getattr(annotation, "__args__", None) or (annotation,))[0]  # list[str] -> str
    else:  # click's parameter type
        element = {"integer": int, "int": int, "float": float}.get(getattr(param.type, "name", ""))
    return _METAVAR_OF.get(name) or {int: "INT", float: "FLOAT"}.get(element, "TEXT")


class _PanelCommand(TyperCommand):
    """A command whose --help groups its options into PANELS and names values PATH, NAME, INT, FLOAT or TEXT."""

    def collect_usage_pieces(self, ctx) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = param.name.upper() + ("..." if param.nargs != 1 else "")
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_options(self, ctx, formatter) -> None:
        sections: dict[str, list] = {"Arguments": [], **{panel: [] for panel in PANELS}, "Other": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            names, text = record
            if param.param_type_name == "argument":
                names = f"{param.name.upper()} {_metavar(param)}" + ("..." if param.nargs != 1 else "")
                sections["Arguments"].append((names, text))
                continue
            if not param.is_flag and not param.count:
                names = names.rpartition(" ")[0] if param.metavar is None else names[:-len(param.metavar) - 1]
                names = f"{names} {_metavar(param)}" + ("..." if param.multiple or param.nargs != 1 else "")
            panel = "Other" if param.name == "help" else _PANEL_OF.get(param.opts[-1], "Other")
            if panel == "Training" and not any(p.name == "epochs" for p in self.params):
                panel = "Hardware"  # --batch-size of a command that runs a model rather than trains one
            sections[panel].append((names, text))
        sections["Other"].sort(key=lambda row: row[0].endswith("--help"))  # --help last
        for title, rows in sections.items():
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class _TrainCommand(RecipeCommand, _PanelCommand):
    """A ``train-*`` command: panelled help, plus --preset, --config and --print-config."""

    path_keys = frozenset([name[2:] for name in _METAVARS["PATH"].split() if name.startswith("--")] + ["train"])

    @staticmethod
    def fail(message: str) -> None:
        _fail(message)


def _panelled(command):
    """``command`` with panelled help (commands are built by typer as TyperCommand; groups keep their class)."""
    if type(command) is TyperCommand:
        command.__class__ = _PanelCommand
        if command.name.startswith("train-"):
            command.__class__ = _TrainCommand
            command.params += recipe_params()
    for sub in getattr(command, "commands", {}).values():
        _panelled(sub)
    return command


class _Commands(dict):
    """The group's commands by name, None until first looked up, which imports the command's module."""

    def get(self, name, default=None):
        if name in self and super().get(name) is None:
            importlib.import_module(f"{__package__}.{COMMANDS[name][0]}")  # registers its commands on app
            self.update(typer.main.get_command(app).commands)
        command = super().get(name, default)
        return command if command is None else _panelled(command)


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
                         help="Neural taggers: fp32 | bf16 (the LSTM or Transformer and the emission layer in "
                              "bfloat16: about 2x faster on CPUs with AVX-512 BF16 or AMX; a tag can rarely differ).")
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

