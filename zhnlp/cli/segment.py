"""``zhnlp segment``, ``zhnlp eval-seg`` and ``zhnlp dicts``: thin wrappers over segment/corpus/metrics."""
from __future__ import annotations

import json
import sys

import typer

from ..checks import check_number, json_safe
from ..corpus.runner import OutputFormat, read_segmented, segment_files
from ..resources import BUNDLED_DICTS
from ..text.dictionary import read_lexicon, read_word_set
from ..text.segment import Segmenter
from ..training.metrics import score_segmentation
from ._app import OUTPUT, OUTPUT_DIR, PRECISION, SCHEDULER, THREADS, _run, _summary, app


@app.command("segment")
def segment_cli(
    files: list[str] | None = typer.Argument(None, help="Input files; none or '-' reads stdin."),
    output: str | None = OUTPUT,
    output_dir: str | None = OUTPUT_DIR,
    mode: str = typer.Option("precise", "--mode", help="precise | full | search"),
    hmm: bool | None = typer.Option(None, "--hmm/--no-hmm",
                                       help="jieba's HMM for unknown words [default: on, off with --main-dict]"),
    engine: str = typer.Option("fast", "--engine",
                               help="fast: precise and search mode in compiled code (rjieba), jieba's tokens exactly; "
                                    "jieba: jieba's Python code. Full mode and --pos run on jieba."),
    pos: bool = typer.Option(False, "--pos", help="Tag parts of speech (word/tag)."),
    user_dict: list[str] | None = typer.Option(None, "--user-dict", help="User lexicon file (repeatable)."),
    dict_name: list[str] | None = typer.Option(None, "--dict", help="Bundled lexicon by name (repeatable; see 'zhnlp dicts')."),
    main_dict: str | None = typer.Option(None, "--main-dict", help="Lexicon replacing jieba's main dictionary."),
    dict_freq: str = typer.Option("auto", "--dict-freq", help="Lexicon counts: auto | keep | suggest | N."),
    skip_bad_lines: bool = typer.Option(False, "--skip-bad-lines", help="Warn about malformed dictionary lines and go on."),
    stopwords: str | None = typer.Option(None, "--stopwords", help="Stop-word list path or bundled name (zh)."),
    fmt: str = typer.Option("text", "--format", help="text | jsonl | conll"),
    sep: str = typer.Option(" ", "--sep", help="Word separator for --format text."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Input encoding (UTF-8 BOM tolerated; gbk, gb18030...)."),
    jobs: int = typer.Option(1, "-j", "--jobs", help="Worker processes (same output as -j 1)."),
    allow_empty: bool = typer.Option(False, "--allow-empty", help="Accept empty input files."),
    max_line_length: int = typer.Option(100_000, "--max-line-length", help="Longest accepted line, in characters."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the dictionary cache."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress bar or summary."),
    model: str | None = typer.Option(None, "--model", help="Segment with a trained CWS model (directory or bundled name) instead of jieba."),
    device: str = typer.Option("cpu", "--device", help="With --model: cpu | cuda | cuda:N."),
    precision: str = PRECISION,
    threads: int = THREADS,
    scheduler: str | None = SCHEDULER,
    block_size: str = typer.Option("8MB", "--block-size", help="With --scheduler: bytes per block (8MB, 512KiB...)."),
) -> None:
    """Segment text into words, line by line (output line i = input line i)."""
    def work():
        if max_line_length < 1:
            raise ValueError("--max-line-length must be at least 1")
        check_number("--threads", threads, 0)  # used only with --model, checked always
        if model:
            from ..corpus.tag import ModelSegmenter  # imports the taggers: only with --model

            if pos or user_dict or dict_name or main_dict or stopwords:
                raise ValueError("--model segments with the trained model alone: drop --pos and the dictionary options")
            seg = ModelSegmenter(model, device=device, precision=precision, threads=threads)
        else:
            seg = Segmenter(user_dicts=user_dict or (), dicts=dict_name or (), main_dict=main_dict,
                            mode=mode, hmm=hmm, pos=pos, stopwords=stopwords, dict_freq=dict_freq,
                            skip_bad_lines=skip_bad_lines, use_cache=not no_cache, engine=engine)
        out = OutputFormat(fmt, sep, pos)
        return segment_files(files or ["-"], seg, output=output, output_dir=output_dir, out=out,
                             encoding=encoding, jobs=jobs, allow_empty=allow_empty,
                             max_line_chars=max_line_length, scheduler=scheduler, block_size=block_size,
                             progress=not quiet and sys.stderr.isatty())

    _summary("segmented", _run(work), quiet, output, output_dir)


@app.command("eval-seg")
def eval_seg_cli(
    gold: str = typer.Argument(..., help="Gold segmentation, words separated by spaces."),
    pred: str = typer.Argument(..., help="Predicted segmentation, same lines."),
    training_words: str | None = typer.Option(None, "--training-words", help="Word list for OOV/IV recall."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Encoding of both files."),
) -> None:
    """Score a segmentation: word precision, recall, F1, OOV and IV recall (SIGHAN bakeoff)."""
    def work():
        words = read_word_set(training_words, encoding, kind="wordlist") if training_words else None
        return score_segmentation(read_segmented(gold, encoding), read_segmented(pred, encoding), words)

    score = _run(work)
    typer.echo(json.dumps(json_safe(score.as_dict()), ensure_ascii=False, allow_nan=False) if as_json
               else score.report())


@app.command("dicts")
def dicts_cli() -> None:
    """List the bundled dictionaries: name, kind, entries, source."""
    typer.echo(f"{'name':10} {'kind':10} {'entries':>8}  description (source)")
    for d in BUNDLED_DICTS.values():
        n = len(_run(read_lexicon, d.path, skip_bad_lines=True))
        typer.echo(f"{d.name:10} {d.kind:10} {n:>8}  {d.description} ({d.source})")
