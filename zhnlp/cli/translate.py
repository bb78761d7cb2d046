"""``zhnlp train-seq2seq`` and ``zhnlp translate``: thin wrappers over tasks.translator and corpus.translate."""
from __future__ import annotations

import sys

import typer

from ..corpus.translate import translate_files
from ..tasks.recommended import TRAINING
from ..tasks.translator import PairOptions, Seq2SeqConfig, train_seq2seq
from ..training.plots import has_cjk_font
from ._app import OUTPUT, OUTPUT_DIR, THREADS, _run, _summary, app
from ._train_options import (
    AMP,
    BATCH_SIZE,
    BUCKET,
    CLIP,
    DEVICE,
    EMA,
    FORCE,
    GPU,
    QUIET,
    RESUME,
    SEED,
    WARMUP,
    WARMUP_EPOCHS,
    WEIGHT_DECAY,
    data_report,
    train_config,
)
from ._train_options import THREADS as TRAIN_THREADS

_TRAINING = TRAINING["seq2seq"]  # the library's defaults (tasks.recommended)

SRC_COL = typer.Option(1, "--src-col", help="Source column, 0-based (Tatoeba: 1 = Chinese).")
TGT_COL = typer.Option(0, "--tgt-col", help="Target column, 0-based (Tatoeba: 0 = English).")
BEAM = typer.Option(None, "--beam", help="Beam size (1: greedy) [default: the model's, 5].")
ALPHA = typer.Option(None, "--alpha", help="Length normalisation: log P / L^alpha [default: the model's, 0.75].")


@app.command("train-seq2seq")
def train_seq2seq_cli(
    train: str = typer.Argument(..., help="Training pairs: TAB-separated lines (e.g. English<TAB>Chinese<TAB>...)."),
    dev: str | None = typer.Option(None, "--dev", help="Dev pairs: select the best epoch, stop early."),
    test: str | None = typer.Option(None, "--test", help="Test pairs, scored once at the end (metrics.json)."),
    output: str = typer.Option(..., "-o", "--output", help="Model directory to write."),
    split: str | None = typer.Option(None, "--split", help="Cut TRAIN into train,dev,test (e.g. 0.8,0.1,0.1), "
                                                              "grouped by source sentence, seeded by --seed."),
    src_col: int = SRC_COL, tgt_col: int = TGT_COL,
    src_lang: str = typer.Option("zh", "--src-lang", help="zh | en: how the source side is tokenized."),
    tgt_lang: str = typer.Option("en", "--tgt-lang", help="zh | en: how the target side is tokenized."),
    src_level: str = typer.Option("char", "--src-level", help="Chinese source: char | word (zhnlp's segmenter)."),
    tgt_level: str = typer.Option("char", "--tgt-level", help="Chinese target: char | word."),
    user_dict: list[str] | None = typer.Option(None, "--user-dict", help="With word level: user lexicon (repeatable)."),
    lower: bool = typer.Option(False, "--lower", help="Lower-case English (outputs are truecased)."),
    strict: bool = typer.Option(False, "--strict", help="Refuse lines with missing columns or an empty side "
                                                        "(default: skip and report them)."),
    max_src_len: int = typer.Option(60, "--max-src-len", help="Longer training sources are truncated or skipped."),
    max_tgt_len: int = typer.Option(60, "--max-tgt-len", help="Longer training targets are truncated or skipped."),
    long: str = typer.Option("truncate", "--long", help="truncate | skip over-long training pairs."),
    src_min_freq: int = typer.Option(1, "--src-min-freq", help="Rarer source tokens share <unk>."),
    tgt_min_freq: int = typer.Option(2, "--tgt-min-freq", help="Rarer target tokens share <unk>."),
    emb_dim: int = typer.Option(384, "--emb-dim"),
    hidden: int = typer.Option(192, "--hidden", help="Encoder GRU units per direction (the decoder has twice as many)."),
    layers: int = typer.Option(1, "--layers", help="Encoder and decoder layers (1-2)."),
    attention: str = typer.Option("dot", "--attention", help="dot (Luong, multiplicative) | additive (Bahdanau)."),
    input_feed: bool = typer.Option(True, "--input-feed/--no-input-feed", help="Feed the attentional vector back."),
    dropout: float = typer.Option(0.3, "--dropout"),
    src_token_dropout: float = typer.Option(0.1, "--src-token-dropout",
                                            help="Read source tokens as <unk> with this probability while training."),
    tie_embeddings: bool = typer.Option(True, "--tie-embeddings/--untied",
                                        help="Output layer shares the target embeddings (needs --emb-dim = 2 x --hidden)."),
    init_range: float = typer.Option(0.08, "--init-range", help="Uniform initialisation in [-r, r] (0: torch's)."),
    label_smoothing: float = typer.Option(0.1, "--label-smoothing"),
    select: str = typer.Option("bleu", "--select", help="Dev metric for the best epoch: bleu (greedy) | perplexity."),
    bucket_by: str = typer.Option("target", "--bucket-by", help="Length-bucketed batches sorted by target (then "
                                                                 "source) length, or by source length."),
    beam: int = typer.Option(5, "--beam", help="Beam size stored as the model's default (1: greedy)."),
    alpha: float = typer.Option(0.75, "--alpha", help="Length normalisation stored as the model's default."),
    half: bool = typer.Option(False, "--half", help="Store weights as float16 (half the size)."),
    epochs: int = typer.Option(_TRAINING["epochs"], "--epochs", help="At most this many epochs (--patience ends "
                                                                      "most runs; the bundled cmn-eng still "
                                                                      "improved at its 14th)."),
    lr: float = typer.Option(_TRAINING["lr"], "--lr"),
    lr_decay: float = typer.Option(_TRAINING["lr_decay"], "--lr-decay",
                                   help="Multiply the learning rate by this every epoch."),
    batch_size: int = BATCH_SIZE, weight_decay: float = WEIGHT_DECAY, warmup: int = WARMUP,
    warmup_epochs: float = WARMUP_EPOCHS,
    clip: float = CLIP, patience: int = typer.Option(_TRAINING["patience"], "--patience"), ema: float = EMA,
    gpu: bool = GPU, device: str | None = DEVICE, amp: bool = AMP, bucket: bool = BUCKET,
    seed: int = SEED, threads: int = TRAIN_THREADS, resume: bool = RESUME, force: bool = FORCE,
    encoding: str = typer.Option("utf-8", "--encoding"),
    quiet: bool = QUIET,
) -> None:
    """Train a GRU encoder-decoder with attention on sentence pairs and write a model directory."""
    def work():
        cfg = Seq2SeqConfig(src_lang=src_lang, tgt_lang=tgt_lang, src_level=src_level, tgt_level=tgt_level,
                            user_dicts=list(user_dict or []), lower=lower, src_min_freq=src_min_freq,
                            tgt_min_freq=tgt_min_freq, max_src_len=max_src_len, max_tgt_len=max_tgt_len,
                            long_sentences=long, emb_dim=emb_dim, hidden=hidden, layers=layers, attention=attention,
                            input_feed=input_feed, dropout=dropout, src_token_dropout=src_token_dropout,
                            tie_embeddings=tie_embeddings, init_range=init_range,
                            label_smoothing=label_smoothing, select=select, bucket_by=bucket_by,
                            beam=beam, alpha=alpha,
                            half_precision=half)
        tcfg = train_config(epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
                              lr_decay=lr_decay, warmup=warmup, warmup_epochs=warmup_epochs, clip=clip,
                              patience=patience, seed=seed, gpu=gpu,
                              device=device, amp=amp, bucket=bucket, threads=threads, quiet=quiet, ema=ema)
        return train_seq2seq(train, dev, output, config=cfg, train_config=tcfg, test=test, split=split,
                             pairs=PairOptions(src_col=src_col, tgt_col=tgt_col, encoding=encoding, strict=strict),
                             resume=resume, force=force, report=data_report(quiet))

    result = _run(work)
    if not quiet:
        for note in result.notes:
            typer.echo(f"note: {note}", err=True)
        m = result.metrics
        scores = ", ".join(f"{split} BLEU {m[split]['bleu']:.2f} (greedy {m[split].get('greedy_bleu', m[split]['bleu']):.2f}),"
                           f" perplexity {m[split]['perplexity']:.2f}" for split in ("dev", "test") if split in m)
        typer.echo(f"trained gru-seq2seq {m['src_lang']}->{m['tgt_lang']} in {m['train_seconds']:.1f} s on "
                   f"{m['device']}: {scores or 'no dev/test scores'} -> {result.output}", err=True)


@app.command("translate")
def translate_cli(
    model: str = typer.Argument(..., help="Model directory or bundled name (cmn-eng)."),
    files: list[str] | None = typer.Argument(None, help="Input files, one sentence a line; none or '-' reads stdin."),
    output: str | None = OUTPUT,
    output_dir: str | None = OUTPUT_DIR,
    beam: int | None = BEAM,
    alpha: float | None = ALPHA,
    attention_plot: str | None = typer.Option(None, "--attention-plot", help="Draw the attention of the first "
                                                                                "input line(s) into this PNG."),
    plot_lines: int = typer.Option(1, "--plot-lines", help="How many first lines --attention-plot draws."),
    font: str | None = typer.Option(None, "--font", help="Font file for Chinese labels in plots "
                                                            "(when no CJK font is installed)."),
    batch_size: int = typer.Option(64, "--batch-size"),
    gpu: bool = typer.Option(False, "--gpu"),
    device: str | None = typer.Option(None, "--device", help="cpu | cuda | cuda:N"),
    threads: int = THREADS,
    encoding: str = typer.Option("utf-8", "--encoding", help="Input encoding (UTF-8 BOM tolerated; gbk...)."),
    max_line_length: int = typer.Option(100_000, "--max-line-length"),
    allow_empty: bool = typer.Option(False, "--allow-empty", help="Accept empty input files."),
    quiet: bool = QUIET,
) -> None:
    """Translate sentences line by line (output line i = input line i; empty lines stay empty); a line
    longer than the model was trained on is translated sentence by sentence (a note says so)."""
    stats = _run(translate_files, files or ["-"], model, output=output, output_dir=output_dir, beam=beam,
                 alpha=alpha, batch_size=batch_size, device=device or ("cuda" if gpu else "cpu"), encoding=encoding,
                 max_line_chars=max_line_length, allow_empty=allow_empty, attention_plot=attention_plot,
                 plot_lines=plot_lines, font=font, progress=not quiet and sys.stderr.isatty(), threads=threads)
    _summary("translated", stats, quiet, output, output_dir)
    if not quiet and stats.split_inputs:
        typer.echo(f"note: {stats.split_inputs} line(s) longer than the {stats.max_source_len} tokens the model was "
                   "trained on were translated sentence by sentence", err=True)
    if stats.long_sentences:
        typer.echo(f"warning: {stats.long_sentences} sentence(s) longer than the {stats.max_source_len} tokens the "
                   "model was trained on: their translation may be cut short or wrong", err=True)
    if not quiet and stats.unknown_tokens:
        typer.echo(f"note: {stats.unknown_tokens} of {stats.source_tokens} source tokens are unknown to the model "
                   "(read as <unk>; their translation may be missing or wrong)", err=True)
    if not quiet and stats.plot:
        typer.echo(f"wrote attention of {len(stats.plotted)} sentence(s) to {stats.plot}", err=True)
        if not has_cjk_font(font):
            typer.echo("note: no CJK font found, so Chinese labels show as boxes; pass --font FILE "
                       "(e.g. a Noto Sans CJK .otf) or pip install mplfonts", err=True)
