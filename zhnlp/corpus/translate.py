"""Translating whole files (``zhnlp translate``): streamed, batched, outputs atomic, attention plots."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ..errors import ZhnlpError
from ..io import MAX_LINE_CHARS, atomic_output, check_output_path
from ..tasks.translator import load_translator
from ..text.segment import chunk_lines
from ..training.plots import attention_png
from ..training.trainer import use_threads
from .runner import SegmentStats, process_files


@dataclass
class TranslateStats(SegmentStats):
    """A corpus run's counts, plus unknown source tokens, lines split, sentences still too long, the plot written."""

    source_tokens: int = 0
    unknown_tokens: int = 0
    split_inputs: int = 0
    long_sentences: int = 0
    max_source_len: int = 0
    plot: str | None = None
    plotted: list[str] = field(default_factory=list)


def translate_stream(lines: Iterable[str], translator, *, beam: int | None = None, alpha: float | None = None,
                     batch_size: int = 64) -> Iterator[str]:
    """Output text for the input lines, chunk by chunk, in input order."""
    for block in chunk_lines(lines, 512):
        yield "".join(t + "\n" for t in translator.translate([line.strip() for line in block], beam=beam,
                                                               alpha=alpha, batch_size=batch_size, warn=False))


def translate_files(inputs: Sequence[str], model: str, *, output: str | None = None, output_dir: str | None = None,
                    beam: int | None = None, alpha: float | None = None, batch_size: int = 64, device: str = "cpu",
                    encoding: str = "utf-8", max_line_chars: int = MAX_LINE_CHARS, allow_empty: bool = False,
                    attention_plot: str | None = None, plot_lines: int = 1, font: str | None = None,
                    progress: bool = False, stdout=None, translator=None, threads: int = 1) -> TranslateStats:
    """Translate files to stdout, one file or one per input, atomically; ``attention_plot``: first lines as a PNG."""
    if batch_size < 1:
        raise ZhnlpError("--batch-size must be at least 1")
    if plot_lines < 1:
        raise ZhnlpError("--plot-lines must be at least 1")
    use_threads(threads)
    translator = translator or load_translator(model, device=device)  # a bad model fails before any output
    translator.decoding_options(beam, alpha)
    plot_path = check_output_path(attention_plot, list(inputs)) if attention_plot else None
    first: list[str] = []

    def watched(lines: Iterator[str]) -> Iterator[str]:
        for line in lines:
            if plot_path is not None and len(first) < plot_lines and line.strip():
                first.append(line.strip())
            yield line

    base = process_files(inputs, lambda lines: translate_stream(watched(lines), translator, beam=beam, alpha=alpha,
                                                                batch_size=batch_size),
                         output=output, output_dir=output_dir, encoding=encoding, allow_empty=allow_empty,
                         max_line_chars=max_line_chars, progress=progress, stdout=stdout, label="translate")
    stats = TranslateStats(**vars(base), source_tokens=translator.source_tokens,
                           unknown_tokens=translator.unknown_tokens, split_inputs=translator.split_inputs,
                           long_sentences=translator.long_sentences, max_source_len=translator.max_source_len)
    if plot_path is not None and first:
        write_attention_plot(translator, first, plot_path, beam=beam, alpha=alpha, font=font)
        stats.plot, stats.plotted = str(plot_path), first
    return stats


def write_attention_plot(translator, sentences: Sequence[str], path: str | Path, *, beam: int | None = None,
                         alpha: float | None = None, font: str | None = None) -> Path:
    """Translate ``sentences`` and draw their attention into one PNG at ``path`` (atomic)."""
    target = check_output_path(path)
    png = attention_png([translator.align(s, beam=beam, alpha=alpha) for s in sentences], font=font)
    if png is None:
        raise ZhnlpError("attention plots need matplotlib (pip install matplotlib)")
    with atomic_output(target, binary=True) as f:
        f.write(png)
    return target


__all__ = ["translate_files", "translate_stream", "write_attention_plot", "TranslateStats"]
