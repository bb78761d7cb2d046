"""Segmenting whole files and corpora: streaming, parallel, with atomic outputs.

:func:`segment_files` is what ``zhnlp segment`` runs: input line i gives output line i
(``conll``: block i), in any number of processes, with the same output as one process.
"""
from __future__ import annotations

import contextlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from ..errors import InputError, OutputError, ZhnlpError
from ..io import MAX_LINE_CHARS, atomic_output, check_output_path, read_lines
from ..text.features import LEVELS, tokenized_lines  # re-exported: zhnlp.corpus.tokenized_lines
from ..text.segment import Segmenter, chunk_lines
from .dask import connect, parse_block_size, require_dask, run_file

FORMATS = ("text", "jsonl", "conll")

#: ``file_runner(path, progress)`` of :func:`process_files`: a file's output text, in order.
FileRunner = Callable[[str, Callable[[int, int], None]], Iterable[str]]


@dataclass(frozen=True)
class OutputFormat:
    """How one segmented line is written.

    ``text``: words joined by ``sep`` (whitespace tokens dropped; ``word/tag`` with POS).
    ``jsonl``: ``{"tokens": [...]}`` (+ ``"tags"``); joining the tokens gives the line back.
    ``conll``: one token a line (TAB tag with POS), a blank line after each input line.
    """

    fmt: str = "text"
    sep: str = " "
    pos: bool = False

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise ZhnlpError(f"--format must be one of {', '.join(FORMATS)}, not {self.fmt!r}")

    def line(self, result: list) -> str:
        """The output text for one input line, including its final newline."""
        if self.fmt == "jsonl":
            if self.pos:
                obj = {"tokens": [w for w, _ in result], "tags": [t for _, t in result]}
            else:
                obj = {"tokens": result}
            return json.dumps(obj, ensure_ascii=False) + "\n"
        if self.pos:
            items = [(w, t) for w, t in result if w.strip()]
            if self.fmt == "text":
                return self.sep.join(f"{w}/{t}" for w, t in items) + "\n"
            return "".join(f"{w}\t{t}\n" for w, t in items) + "\n"
        words = [w for w in result if w.strip()]
        if self.fmt == "text":
            return self.sep.join(words) + "\n"
        return "".join(w + "\n" for w in words) + "\n"


@dataclass
class SegmentStats:
    """What a run did: files, lines, input bytes, seconds."""

    files: int = 0
    lines: int = 0
    bytes: int = 0
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)


def segment_stream(lines: Iterable[str], seg: Segmenter, out: OutputFormat, jobs: int = 1,
                   max_lines: int = 1000, max_chars: int = 100_000) -> Iterator[str]:
    """Formatted output text for the lines, in input order, chunk by chunk."""
    return seg.map_chunks(chunk_lines(lines, max_lines, max_chars), jobs, formatter=out.line)


def _progress_bar(total: int | None, enabled: bool):
    """A rich progress bar on stderr when enabled, else a null context (yielding None)."""
    import contextlib

    if not enabled:
        return contextlib.nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    prog = Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                    TransferSpeedColumn(), TimeRemainingColumn(), console=Console(stderr=True),
                    transient=True)
    return prog


def output_path_for(inp: str, output_dir: str | Path) -> Path:
    """Output file for an input under ``--output-dir``: same file name."""
    return Path(output_dir) / Path(inp).name


def segment_files(inputs: Sequence[str], seg: Segmenter, *, output: str | None = None,
                  output_dir: str | None = None, out: OutputFormat = OutputFormat(),
                  encoding: str = "utf-8", jobs: int = 1, allow_empty: bool = False,
                  max_line_chars: int = MAX_LINE_CHARS, progress: bool = False,
                  stdout=None, scheduler: str | None = None, block_size: int | str = "8MB") -> SegmentStats:
    """Segment files ('-' = stdin) to stdout, one file (``output``) or one file per input.

    Every output is written atomically. ``scheduler`` (``tcp://HOST:PORT`` or ``local:N``)
    runs the work on a Dask cluster in blocks of ``block_size`` bytes, with the same output
    (see :mod:`zhnlp.corpus.dask`). Raises :class:`InputError`/:class:`OutputError`.
    """
    if jobs < 1:
        raise ZhnlpError(f"--jobs must be at least 1, not {jobs}")
    options = dict(output=output, output_dir=output_dir, encoding=encoding, allow_empty=allow_empty,
                   max_line_chars=max_line_chars, progress=progress, stdout=stdout, label="segment")
    if scheduler:
        return run_on_cluster(inputs, SegmentJob(seg.check(), out), scheduler, block_size, jobs, **options)
    return process_files(inputs, lambda lines: segment_stream(lines, seg, out, jobs), **options)


def run_on_cluster(inputs: Sequence[str], job, scheduler: str, block_size: int | str, jobs: int,
                   **options) -> SegmentStats:
    """:func:`process_files` with every file's blocks run by ``job`` on a Dask cluster."""

    require_dask()
    if jobs != 1:
        raise ZhnlpError("give either -j/--jobs or --scheduler, not both")
    size = parse_block_size(block_size)
    if "-" in (list(inputs) or ["-"]):
        raise ZhnlpError("--scheduler needs input files, not stdin (workers read the files themselves)")
    with contextlib.ExitStack() as stack:
        clients: list = []

        def runner(path: str, progress) -> Iterable[str]:
            if not clients:  # connect once the inputs and outputs have been checked
                clients.append(stack.enter_context(connect(scheduler)))
            return run_file(clients[0], job, path, encoding=options["encoding"], block_size=size,
                            max_line_chars=options["max_line_chars"], allow_empty=options["allow_empty"],
                            progress=progress)

        return process_files(inputs, None, file_runner=runner, **options)


def plan_outputs(inputs: list[str], output: str | None, output_dir: str | None) -> tuple[list[Path], Path | None]:
    """Check inputs and outputs before any work: the output files (none: stdout; one for
    ``output``; one per input under ``output_dir``, created if needed) and the folder this
    created, if any (to remove again when the run fails)."""
    if output and output_dir:
        raise ZhnlpError("give either -o/--output or --output-dir, not both")
    for i in inputs:  # fail before any work on a missing input
        if i != "-" and not Path(i).exists():
            raise InputError(i, "no such file")
    if not output_dir:
        return ([check_output_path(output, inputs)] if output else []), None
    if "-" in inputs:
        raise ZhnlpError("--output-dir needs input files, not stdin")
    d = Path(output_dir)
    if d.exists() and not d.is_dir():
        raise ZhnlpError(f"{d}: --output-dir is not a directory")
    names = [Path(i).name for i in inputs]
    if len(set(names)) != len(names):
        raise ZhnlpError("--output-dir: two inputs have the same file name")
    created_dir = None
    if not d.exists():
        try:
            d.mkdir(parents=True)
        except OSError as exc:
            raise OutputError(f"{d}: cannot create --output-dir: {exc.strerror}") from None
        created_dir = d
    return [check_output_path(output_path_for(i, d), inputs) for i in inputs], created_dir


def process_files(inputs: Sequence[str], stream: Callable[[Iterator[str]], Iterable[str]], *,
                  output: str | None = None, output_dir: str | None = None, encoding: str = "utf-8",
                  allow_empty: bool = False, max_line_chars: int = MAX_LINE_CHARS,
                  progress: bool = False, stdout=None, label: str = "process",
                  file_runner: FileRunner | None = None) -> SegmentStats:
    """Run a line processor over files ('-' = stdin): ``stream(lines)`` yields output text
    in input order. Output goes to stdout, one file (``output``) or one file per input
    (``output_dir``), each written atomically; what every corpus command shares.

    ``file_runner(path, progress)`` replaces reading and ``stream`` where the files are
    processed elsewhere (a Dask cluster): it yields a file's output text in order and calls
    ``progress(bytes, lines)`` as it goes.
    """
    inputs = list(inputs) or ["-"]
    targets, created_dir = plan_outputs(inputs, output, output_dir)
    try:
        return _process_to_targets(inputs, targets, stream, output_dir=output_dir, encoding=encoding,
                                   allow_empty=allow_empty, max_line_chars=max_line_chars,
                                   progress=progress, stdout=stdout, label=label, file_runner=file_runner)
    except BaseException:
        if created_dir is not None and not any(created_dir.iterdir()):
            created_dir.rmdir()  # a failed run leaves no new empty folder behind
        raise


def _process_to_targets(inputs: list[str], targets: list[Path], stream, *, output_dir, encoding: str,
                        allow_empty: bool, max_line_chars: int, progress: bool, stdout,
                        label: str, file_runner: FileRunner | None = None) -> SegmentStats:
    stats = SegmentStats()
    t0 = time.perf_counter()
    sizes = [Path(i).stat().st_size if i != "-" else 0 for i in inputs]
    bar = _progress_bar(sum(sizes) or None, progress)
    with bar as prog:
        task = prog.add_task(label, total=sum(sizes) or None) if prog else None

        def advance(n: int) -> None:
            stats.bytes += n
            if prog is not None:
                prog.advance(task, n)

        def counted(inp: str) -> Iterator[str]:
            for line in read_lines(inp, encoding, max_line_chars=max_line_chars,
                                   allow_empty=allow_empty, progress=advance):
                stats.lines += 1
                yield line

        def advance_blocks(nbytes: int, nlines: int) -> None:
            advance(nbytes)
            stats.lines += nlines

        def texts(files: list[str]) -> Iterator[str]:
            """Output text of the files in order (lines stream across files to ``stream``)."""
            if file_runner is not None:
                for inp in files:
                    yield from file_runner(inp, advance_blocks)
                    stats.files += 1
                return

            def all_lines() -> Iterator[str]:
                for inp in files:
                    yield from counted(inp)
                    stats.files += 1

            yield from stream(all_lines())

        if output_dir:
            for inp, target in zip(inputs, targets):
                with atomic_output(target) as f:
                    for text in texts([inp]):
                        f.write(text)
                stats.outputs.append(str(target))
        elif targets:
            with atomic_output(targets[0]) as f:
                for text in texts(inputs):
                    f.write(text)
            stats.outputs.append(str(targets[0]))
        else:
            f = stdout or sys.stdout
            for text in texts(inputs):
                f.write(text)
            f.flush()
    stats.seconds = time.perf_counter() - t0
    return stats


def read_segmented(path: str | Path, encoding: str = "utf-8") -> Iterator[str]:
    """Lines of a segmented file (for scoring), streamed like any input."""
    return read_lines(path, encoding, allow_empty=True)


@dataclass(frozen=True)
class SegmentJob:
    """Segment blocks of lines with ``segmenter`` (a Segmenter or ModelSegmenter) into ``out`` format."""

    segmenter: Any
    out: OutputFormat

    def load(self) -> "SegmentJob":
        self.segmenter.load()
        return self

    def process(self, lines: list[str]) -> str:
        return "".join(self.segmenter.map_chunks(chunk_lines(lines, 1000, 100_000), 1, formatter=self.out.line))

__all__ = ["OutputFormat", "SegmentStats", "segment_files", "process_files", "segment_stream", "tokenized_lines",
           "FORMATS", "LEVELS", "SegmentJob", "run_on_cluster"]
