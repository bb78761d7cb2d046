"""``zhnlp train-ner|train-cws|train-pos`` and ``zhnlp tag``: thin wrappers over tasks.tagger and corpus.tag."""
from __future__ import annotations

import sys

import typer

from ..corpus.tag import tag_files
from ..tasks.recommended import TAGGER_BY_LEVEL, TRAINING, tagger_level
from ..tasks.tagger import TaggerConfig, train_tagger
from ._app import OUTPUT, OUTPUT_DIR, PRECISION, SCHEDULER, THREADS, _run, _summary, app
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
    PATIENCE,
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

TASK_NAMES = {"ner": "named-entity", "cws": "word-segmentation", "pos": "part-of-speech"}
_TRAINING = TRAINING["tagger"]


def _make_train_command(task: str) -> None:
    # the library's recommended settings (tasks.recommended), vectors turned off shown as "none"
    d = {k: "none" if v is None else v for k, v in TAGGER_BY_LEVEL[tagger_level(task)].items()}

    def train_cli(
        train: str = typer.Argument(..., help="Training data (CoNLL, CoNLL-U, segmented text or word/pos)."),
        dev: str | None = typer.Option(None, "--dev", help="Dev data: selects the best epoch and stops early."),
        test: str | None = typer.Option(None, "--test", help="Test data, scored once at the end (metrics.json)."),
        output: str = typer.Option(..., "-o", "--output", help="Model directory to write."),
        model: str = typer.Option("bilstm-crf", "--model", help="bilstm-crf | hmm | crf (crfsuite) | transformer-crf "
                                  "(TENER: --hidden is its size, a head per 64, feed-forward twice as wide; "
                                  "--preset transformer-ner has its recipe; --precision bf16 runs it too)"),
        scheme: str | None = typer.Option(None, "--scheme", help="Tag scheme BIO | BIOES | BMES [default: detected]."),
        data_format: str = typer.Option("auto", "--data-format", help="auto | conll | conllu | segmented | word-pos | spans (span JSON lines: docs/formats.md)"),
        repair: bool = typer.Option(True, "--repair/--strict",
                                    help="Repair tags that break the scheme (as conlleval reads them), or fail on them."),
        gpu: bool = GPU, device: str | None = DEVICE, amp: bool = AMP,
        epochs: int = typer.Option(_TRAINING["epochs"], "--epochs",
                                   help="At most this many epochs (--patience ends most runs)."),
        batch_size: int = typer.Option(_TRAINING["batch_size"], "--batch-size", help=BATCH_SIZE.help),
        lr: float = typer.Option(_TRAINING["lr"], "--lr"),
        weight_decay: float = WEIGHT_DECAY, lr_decay: float = LR_DECAY, warmup: int = WARMUP,
        warmup_epochs: float = WARMUP_EPOCHS,
        clip: float = CLIP, patience: int = typer.Option(_TRAINING["patience"], "--patience", help=PATIENCE.help),
        adversarial: float = ADVERSARIAL, ema: float = EMA,
        emb_dim: int = typer.Option(128, "--emb-dim"),
        hidden: int = typer.Option(d["hidden"], "--hidden", help="LSTM units per direction."),
        layers: int = typer.Option(d["layers"], "--layers"),
        dropout: float = typer.Option(0.5, "--dropout"),
        embeddings: str | None = typer.Option(d["embeddings"], "--embeddings",
                                              help="Pretrained vectors (zhnlp embed), dimension --emb-dim; auto: the "
                                                   "bundled zh-char128 if --emb-dim is 128; none: off."),
        freeze: bool = typer.Option(False, "--freeze-embeddings", help="Keep pretrained vectors fixed."),
        affix_dim: int = typer.Option(d["affix_dim"], "--affix-dim",
                                      help="POS: size of the first/last-character embeddings."),
        affix_embeddings: str | None = typer.Option(d["affix_embeddings"], "--affix-embeddings",
                                                    help="POS: character vectors (zhnlp embed --level char) for the "
                                                         "first/last-character embeddings; auto: zh-char128 if "
                                                         "--affix-dim is 128; none: off."),
        static_embeddings: str | None = typer.Option(
            None, "--static-embeddings", help="Word vectors read as a fixed second embedding: tokens unseen in "
                                              "training keep their vector."),
        static_max_words: int = typer.Option(40000, "--static-max-words",
                                             help="Words kept from --static-embeddings (model size)."),
        bigram: bool = typer.Option(d["bigram"], "--bigram/--no-bigram", help="Character-bigram embeddings."),
        bigram_min_freq: int = typer.Option(2, "--bigram-min-freq", help="Rarer bigrams share one embedding (model size)."),
        bigram_dim: int = typer.Option(64, "--bigram-dim"),
        bigram_embeddings: str | None = typer.Option(
            d["bigram_embeddings"], "--bigram-embeddings",
            help="Pretrained bigram vectors (zhnlp embed train --level bigram), dimension --bigram-dim, for "
                 "--bigram; auto: the bundled zh-bigram64 if --bigram-dim is 64; none: off."),
        min_freq: int = typer.Option(1, "--min-freq", help="Rarer tokens share the <unk> embedding."),
        word_dropout: float = typer.Option(d["word_dropout"], "--word-dropout", help="alpha: in training, a token seen c times "
                                           "reads as <unk> with probability alpha/(alpha+c) (0: off)."),
        softword: bool = typer.Option(d["softword"], "--softword/--no-softword",
                                      help="Soft-word features from jieba's segmentation."),
        lexicon: list[str] | None = typer.Option(None, "--lexicon",
                                                    help="User lexicon for --softword (repeatable)."),
        segmenter: str | None = typer.Option(
            None, "--segmenter", help="POS: the CWS model (bundled name or directory) that segments raw text for "
                                      "this tagger, in the standard of its training words [default: jieba]."),
        encoder: str | None = typer.Option(
            None, "--encoder", help="A trained BiLSTM-CRF tagger (directory or bundled name) whose embeddings and "
                                    "LSTM this one starts from (transfer; same sizes and features)."),
        no_constraints: bool = typer.Option(False, "--no-constraints", help="Allow decoding illegal transitions."),
        half: bool = typer.Option(False, "--half", help="Store weights as float16 (half the size)."),
        bucket: bool = BUCKET, seed: int = SEED, threads: int = TRAIN_THREADS, resume: bool = RESUME, force: bool = FORCE,
        encoding: str = typer.Option("utf-8", "--encoding"),
        quiet: bool = QUIET,
    ) -> None:
        def work():
            cfg = TaggerConfig.recommended(task, scheme=scheme.upper() if scheme else None, emb_dim=emb_dim,
                               hidden=hidden, layers=layers, dropout=dropout, bigram=bigram, softword=softword,
                               bigram_min_freq=bigram_min_freq, bigram_dim=bigram_dim,
                               bigram_embeddings=bigram_embeddings,
                               min_freq=min_freq, word_dropout=word_dropout,
                               lexicons=list(lexicon or []), constrained=not no_constraints,
                               embeddings=embeddings, freeze_embeddings=freeze, half_precision=half,
                               affix_dim=affix_dim, affix_embeddings=affix_embeddings,
                               static_embeddings=static_embeddings, static_max_words=static_max_words,
                               encoder=encoder, segmenter=segmenter)
            tcfg = train_config(epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
                                  lr_decay=lr_decay, warmup=warmup, warmup_epochs=warmup_epochs, clip=clip,
                                  patience=patience, seed=seed, gpu=gpu,
                                  device=device, amp=amp, bucket=bucket, threads=threads, quiet=quiet,
                                  adversarial=adversarial, ema=ema)
            return train_tagger(train, dev, output, config=cfg, train_config=tcfg, model=model, test=test,
                                data_format=data_format, encoding=encoding, resume=resume, repair=repair,
                                force=force, report=data_report(quiet))

        result = _run(work)
        if not quiet:
            m = result.metrics
            for split, n in (m.get("repaired_sentences") or {}).items():
                typer.echo(f"note: repaired illegal tag sequences in {n} {split} sentence(s) (--strict to refuse)",
                           err=True)
            typer.echo(f"trained {m.get('model')} {task} in {m.get('train_seconds', 0):.1f} s on {m.get('device')}: "
                       f"{scores_line(m, ('f1', 'accuracy'))} -> {result.output}", err=True)

    train_cli.__doc__ = (f"Train a {TASK_NAMES[task]} tagger (BiLSTM-CRF, Transformer-CRF, HMM or CRF) and write a model directory.")
    app.command(f"train-{task}")(train_cli)


for _task in TASK_NAMES:
    _make_train_command(_task)


@app.command("tag")
def tag_cli(
    model: str = typer.Argument(..., help="Model directory or bundled name (msra-ner, resume-ner, ud-cws, ud-pos...)."),
    files: list[str] | None = typer.Argument(None, help="Input files; none or '-' reads stdin."),
    output: str | None = OUTPUT,
    output_dir: str | None = OUTPUT_DIR,
    fmt: str = typer.Option("text", "--format", help="text | jsonl | conll | spans (NER: span JSON, "
                            "{\"text\", \"label\": {TYPE: {STRING: [[start, end], ...]}}}, ends inclusive; "
                            "span JSON input lines are tagged by their text)"),
    input_format: str = typer.Option("text", "--input-format", help="text (raw lines) | conll (token per line)"),
    batch_size: int = typer.Option(64, "--batch-size", help="Sentences per batch (64 suits CPUs; raise it on a GPU)."),
    gpu: bool = typer.Option(False, "--gpu"),
    device: str | None = typer.Option(None, "--device", help="cpu | cuda | cuda:N"),
    jobs: int = typer.Option(1, "-j", "--jobs", help="Worker processes (same output as -j 1)."),
    precision: str = PRECISION,
    threads: int = THREADS,
    encoding: str = typer.Option("utf-8", "--encoding"),
    max_line_length: int = typer.Option(100_000, "--max-line-length"),
    allow_empty: bool = typer.Option(False, "--allow-empty", help="Accept empty input files."),
    quiet: bool = typer.Option(False, "-q", "--quiet"),
    scheduler: str | None = SCHEDULER,
    block_size: str = typer.Option("4MB", "--block-size", help="With --scheduler: bytes per block (4MB, 512KiB...)."),
) -> None:
    """Tag text with a trained model, line by line (output line i = input line i).

    text: NER gives entity/TYPE items, CWS words, POS word/TAG; jsonl gives tokens, tags
    (and entities with offsets); conll gives token TAB tag with a blank line per sentence.
    """
    stats = _run(tag_files, files or ["-"], model, output=output, output_dir=output_dir, fmt=fmt,
                 input_format=input_format, batch_size=batch_size, device=device or ("cuda" if gpu else "cpu"),
                 jobs=jobs, encoding=encoding, max_line_chars=max_line_length, allow_empty=allow_empty,
                 scheduler=scheduler, block_size=block_size, precision=precision, threads=threads,
                 progress=not quiet and sys.stderr.isatty())
    _summary("tagged", stats, quiet, output, output_dir)
