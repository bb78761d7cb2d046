"""``zhnlp train-classifier`` and ``zhnlp classify``: thin wrappers over tasks.classifier and corpus.classify."""
from __future__ import annotations

import sys

import typer

from ..corpus.classify import classify_files
from ..tasks.classifier import ClassifierConfig, TableOptions, train_classifier
from ..tasks.recommended import CLASSIFIER, TRAINING
from ._app import OUTPUT, OUTPUT_DIR, THREADS, _run, _summary, app
from ._train_options import (
    ADVERSARIAL,
    AMP,
    BATCH_SIZE,
    BUCKET,
    CLIP,
    DEVICE,
    EMA,
    FORCE,
    GPU,
    LR_DECAY,
    QUIET,
    RESUME,
    SEED,
    WARMUP,
    WARMUP_EPOCHS,
    WEIGHT_DECAY,
    data_report,
    scores_line,
    train_config,
)
from ._train_options import THREADS as TRAIN_THREADS

TEXT_COL = typer.Option(None, "--text-col", help="Text column: a name or a 0-based index [default: text, review...].")
LABEL_COL = typer.Option(None, "--label-col", help="Label column: a name or a 0-based index [default: label...].")
CLASS_NAMES = typer.Option(None, "--class-names", help="Classifiers: file naming label ids.")
MODEL_DATA_FORMAT = typer.Option("auto", "--data-format", help="Taggers: auto | conll | conllu | segmented | word-pos | spans (span JSON lines). "
                                                              "Classifiers: auto | csv | tsv | jsonl | txt.")
TABLE_FORMAT = typer.Option("auto", "--input-format",
                            help="auto (by suffix) | csv | tsv | jsonl | txt (text<TAB>label, no header).")
EMB_DIM = typer.Option(128, "--emb-dim")
HIDDEN = typer.Option(128, "--hidden", help="GRU units per direction; TextCNN filters per width; Transformer "
                                                 "size (a head per 64).")
_TRAINING = TRAINING["classifier"]  # the library's recommended training (tasks.recommended)
ENCODING = typer.Option("utf-8", "--encoding", help="Input encoding (UTF-8 BOM tolerated; gbk, gb18030...).")


@app.command("train-classifier")
def train_classifier_cli(
    train: str = typer.Argument(..., help="Training table: CSV, TSV, JSONL or text<TAB>label lines."),
    dev: str | None = typer.Option(None, "--dev", help="Dev table: selects the best epoch and stops early."),
    test: str | None = typer.Option(None, "--test", help="Test table, scored once at the end (metrics.json)."),
    output: str = typer.Option(..., "-o", "--output", help="Model directory to write."),
    model: str = typer.Option("gru", "--model", help="gru (bidirectional GRU) | textcnn (convolutions of widths "
                                                     "2, 3, 4, max over time) | transformer (TENER's encoder)."),
    split: str | None = typer.Option(None, "--split", help="Cut TRAIN into train,dev,test (e.g. 0.8,0.1,0.1); "
                                                              "stratified, seeded by --seed, saved as split.json."),
    text_col: str | None = TEXT_COL,
    label_col: str | None = LABEL_COL,
    class_names: str | None = typer.Option(None, "--class-names", help="File of class names, line i naming label id i."),
    input_format: str = TABLE_FORMAT,
    strict: bool = typer.Option(False, "--strict", help="Refuse rows with an empty text or label (default: skip them)."),
    level: str = typer.Option("char", "--level", help="char | word (words from zhnlp's segmenter)."),
    user_dict: list[str] | None = typer.Option(None, "--user-dict", help="With --level word: user lexicon (repeatable)."),
    main_dict: str | None = typer.Option(None, "--main-dict", help="With --level word: main dictionary."),
    max_len: int = typer.Option(400, "--max-len", help="Tokens kept per text, first and last halves (0: all)."),
    min_freq: int = typer.Option(1, "--min-freq", help="Rarer tokens share the <unk> embedding."),
    bigram: bool = typer.Option(False, "--bigram", help="Add character-bigram embeddings."),
    bigram_min_freq: int = typer.Option(2, "--bigram-min-freq"),
    bigram_embeddings: str | None = typer.Option(None, "--bigram-embeddings",
                                                    help="Pretrained bigram vectors (zhnlp embed train --level "
                                                         "bigram, --dim = --emb-dim) for --bigram."),
    ngrams: int = typer.Option(CLASSIFIER["ngrams"], "--ngrams", help="Add a wide part: a linear model over the text's 1..N-grams (0: off)."),
    ngram_min_freq: int = typer.Option(CLASSIFIER["ngram_min_freq"], "--ngram-min-freq", help="N-grams seen fewer times in training are dropped."),
    emb_dim: int = EMB_DIM, hidden: int = HIDDEN,
    layers: int = typer.Option(1, "--layers", help="GRU layers (1-2 usual); Transformer blocks."),
    bidirectional: bool = typer.Option(True, "--bidirectional/--unidirectional"),
    pooling: str = typer.Option("max", "--pooling", help="last | max | mean | attention (Transformer: max | mean)"),
    dropout: float = typer.Option(CLASSIFIER["dropout"], "--dropout"),
    embeddings: str | None = typer.Option(CLASSIFIER["embeddings"], "--embeddings",
                                          help="Pretrained vectors (zhnlp embed), dimension --emb-dim; auto: the "
                                               "bundled zh-char128 at --level char if --emb-dim is 128; none: off."),
    freeze: bool = typer.Option(False, "--freeze-embeddings", help="Keep pretrained vectors fixed."),
    encoder: str | None = typer.Option(None, "--encoder", help="Start the embeddings and GRU from a trained "
                                                                 "classifier (transfer; same level and sizes)."),
    class_weights: str | None = typer.Option(None, "--class-weights", help="auto: weigh classes by inverse frequency."),
    half: bool = typer.Option(False, "--half", help="Store weights as float16 (half the size)."),
    epochs: int = typer.Option(_TRAINING["epochs"], "--epochs", help="At most this many epochs (--patience ends most runs)."),
    lr: float = typer.Option(_TRAINING["lr"], "--lr"),
    batch_size: int = BATCH_SIZE, weight_decay: float = WEIGHT_DECAY, lr_decay: float = LR_DECAY,
    warmup: int = WARMUP, warmup_epochs: float = WARMUP_EPOCHS, clip: float = CLIP,
    patience: int = typer.Option(_TRAINING["patience"], "--patience"),
    adversarial: float = typer.Option(_TRAINING["adversarial"], "--adversarial", help=ADVERSARIAL.help), ema: float = EMA,
    gpu: bool = GPU, device: str | None = DEVICE, amp: bool = AMP, bucket: bool = BUCKET,
    seed: int = SEED, threads: int = TRAIN_THREADS, resume: bool = RESUME, force: bool = FORCE,
    encoding: str = ENCODING,
    quiet: bool = QUIET,
) -> None:
    """Train a text classifier (GRU, TextCNN or Transformer) and write a model directory."""
    def work():
        cfg = ClassifierConfig.recommended(model=model, level=level, user_dicts=list(user_dict or []), main_dict=main_dict, max_len=max_len,
                               min_freq=min_freq, bigram=bigram, bigram_min_freq=bigram_min_freq, bigram_embeddings=bigram_embeddings, ngrams=ngrams, ngram_min_freq=ngram_min_freq, emb_dim=emb_dim,
                               hidden=hidden, layers=layers, bidirectional=bidirectional, pooling=pooling,
                               dropout=dropout, embeddings=embeddings,
                               freeze_embeddings=freeze, encoder=encoder,
                               class_weights=class_weights, half_precision=half)
        tcfg = train_config(epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
                              lr_decay=lr_decay, warmup=warmup, warmup_epochs=warmup_epochs, clip=clip,
                              patience=patience, seed=seed, gpu=gpu,
                              device=device, amp=amp, bucket=bucket, threads=threads, quiet=quiet,
                              adversarial=adversarial, ema=ema)
        table = TableOptions(text_col=text_col, label_col=label_col, fmt=input_format, encoding=encoding,
                             class_names=class_names, strict=strict)
        return train_classifier(train, dev, output, config=cfg, train_config=tcfg, test=test, split=split,
                                table=table, resume=resume, force=force, report=data_report(quiet))

    result = _run(work)
    if not quiet:
        for name, lines in result.skipped.items():
            first = ", ".join(str(n) for n in lines[:5]) + (" ..." if len(lines) > 5 else "")
            typer.echo(f"note: skipped {len(lines)} {name} row(s) with an empty text or label (lines {first}; "
                       "--strict to refuse)", err=True)
        m = result.metrics
        typer.echo(f"trained {m['model']} ({len(m['labels'])} classes) in {m['train_seconds']:.1f} s on "
                   f"{m['device']}: {scores_line(m, ('accuracy', 'macro_f1'))} -> {result.output}", err=True)


@app.command("classify")
def classify_cli(
    model: str = typer.Argument(..., help="Model directory or bundled name (shopping-category, hotel-sentiment...)."),
    files: list[str] | None = typer.Argument(None, help="Input files: plain lines or CSV/TSV/JSONL; none or '-' reads stdin."),
    output: str | None = OUTPUT,
    output_dir: str | None = OUTPUT_DIR,
    input_format: str = typer.Option("auto", "--input-format", help="auto (by suffix) | text | csv | tsv | jsonl"),
    text_col: str | None = TEXT_COL,
    probs: bool = typer.Option(False, "--probs", help="Also write every class's probability."),
    top_k: int = typer.Option(1, "--top-k", help="Write the K most probable classes with their probabilities."),
    batch_size: int = typer.Option(128, "--batch-size"),
    gpu: bool = typer.Option(False, "--gpu"),
    device: str | None = typer.Option(None, "--device", help="cpu | cuda | cuda:N"),
    threads: int = THREADS,
    encoding: str = ENCODING,
    max_line_length: int = typer.Option(100_000, "--max-line-length"),
    allow_empty: bool = typer.Option(False, "--allow-empty", help="Accept empty input files."),
    quiet: bool = QUIET,
) -> None:
    """Label texts with a trained classifier, line by line (output line i = input line i).

    Plain lines give one class name per line; tables keep their columns and gain
    label and probability columns.
    """
    stats = _run(classify_files, files or ["-"], model, output=output, output_dir=output_dir,
                 input_format=input_format, text_col=text_col, top_k=top_k, probs=probs, batch_size=batch_size,
                 device=device or ("cuda" if gpu else "cpu"), encoding=encoding, max_line_chars=max_line_length,
                 allow_empty=allow_empty, progress=not quiet and sys.stderr.isatty(), threads=threads)
    _summary("classified", stats, quiet, output, output_dir)
