"""The whole-file runner every corpus command shares (streamed, atomic outputs), and ``zhnlp segment``'s jobs."""
from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..checks import check_choice, check_number
from ..errors import InputError, OutputError, ZhnlpError
from ..io import MAX_LINE_CHARS, atomic_output, check_output_path, read_lines
from ..text.features import LEVELS, tokenized_lines  # re-exported: zhnlp.corpus.tokenized_lines
from ..text.segment import JoinedWords, Segmenter, chunk_lines
from .dask import connect, parse_block_size, require_dask, run_file

FORMATS = ("text", "jsonl", "conll")

#: ``file_runner(path, progress)`` of :func:`process_files`: a file's output text, in order.
FileRunner = Callable[[str, Callable[[int, int], None]], Iterable[str]]


@dataclass(frozen=True)
class OutputFormat:
    """How one segmented line is written: ``text`` (joined by ``sep``), ``jsonl`` or ``conll``."""

    fmt: str = "text"
    sep: str = " "
    pos: bool = False

    def __post_init__(self) -> None:
        check_choice("--format", self.fmt, FORMATS)

    def line(self, result: list) -> str:
        """The output text for one input line, including its final newline."""
        if self.fmt == "jsonl":
            obj = {"tokens": [w for w, _ in result], "tags": [t for _, t in result]} if self.pos else {"tokens": result}
            return json.dumps(obj, ensure_ascii=False) + "\n"
        join = "/" if self.fmt == "text" else "\t"
        items = [f"{w}{join}{t}" for w, t in result if w.strip()] if self.pos else [w for w in result if w.strip()]
        return self.sep.join(items) + "\n" if self.fmt == "text" else "".join(i + "\n" for i in items) + "\n"

    @property
    def formatter(self) -> Callable[[list], str]:
        """:meth:`line`, or for plain text the same as :class:`JoinedWords`, which the compiled engine runs on chunks."""
        return JoinedWords(self.sep) if self.fmt == "text" and not self.pos else self.line


@dataclass
class SegmentStats:
    """What a run did: files, lines, input bytes, seconds."""

    files: int = 0
    lines: int = 0
    bytes: int = 0
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)


def segment_stream(lines: Iterable[str], seg: Segmenter, out: OutputFormat, jobs: int = 1) -> Iterator[str]:
    """Formatted output text for the lines, in input order, chunk by chunk."""
    return seg.map_chunks(chunk_lines(lines, 1000, 100_000), jobs, formatter=out.formatter)


def _progress_bar(enabled: bool):
    """A rich progress bar on stderr when enabled, else a null context (yielding None)."""
    if not enabled:
        return contextlib.nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    return Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                    TransferSpeedColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True)


def output_path_for(inp: str, output_dir: str | Path) -> Path:
    """Output file for an input under ``--output-dir``: same file name."""
    return Path(output_dir) / Path(inp).name


def segment_files(inputs: Sequence[str], seg: Segmenter, *, output: str | None = None,
                  output_dir: str | None = None, out: OutputFormat = OutputFormat(),
                  encoding: str = "utf-8", jobs: int = 1, allow_empty: bool = False,
                  max_line_chars: int = MAX_LINE_CHARS, progress: bool = False,
                  stdout=None, scheduler: str | None = None, block_size: int | str = "8MB") -> SegmentStats:
    """Segment files to stdout, one file or one per input, atomically; ``scheduler``: on a Dask cluster."""
    check_number("--jobs", jobs, 1)
    options = {"output": output, "output_dir": output_dir, "encoding": encoding, "allow_empty": allow_empty,
               "max_line_chars": max_line_chars, "progress": progress, "stdout": stdout, "label": "segment"}
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
    """Check inputs and outputs before any work: the output files (none: stdout) and the folder it created, if any."""
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
    """Write ``stream(lines)``'s output text for files ('-' = stdin) to stdout, one file or one file per input,
    atomically; ``file_runner(path, progress(bytes, lines))`` yields a file's output where it runs elsewhere (Dask)."""
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
    total = sum(Path(i).stat().st_size for i in inputs if i != "-") or None
    with _progress_bar(progress) as prog:
        task = prog.add_task(label, total=total) if prog else None

        def advance(nbytes: int, nlines: int = 0) -> None:
            stats.bytes += nbytes
            stats.lines += nlines
            if prog is not None:
                prog.advance(task, nbytes)

        def all_lines(files: list[str]) -> Iterator[str]:
            for inp in files:
                for line in read_lines(inp, encoding, max_line_chars=max_line_chars, allow_empty=allow_empty,
                                       progress=advance):
                    stats.lines += 1
                    yield line
                stats.files += 1

        def texts(files: list[str]) -> Iterator[str]:
            """Output text of the files in order (lines stream across files to ``stream``)."""
            if file_runner is None:
                yield from stream(all_lines(files))
                return
            for inp in files:
                yield from file_runner(inp, advance)
                stats.files += 1

        groups = [([i], t) for i, t in zip(inputs, targets)] if output_dir else [(inputs, (targets or [None])[0])]
        for files, target in groups:
            with (atomic_output(target) if target else contextlib.nullcontext(stdout or sys.stdout)) as f:
                for text in texts(files):
                    f.write(text)
                f.flush()
            if target:
                stats.outputs.append(str(target))
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

    def load(self) -> SegmentJob:
        self.segmenter.load()
        return self

    def process(self, lines: list[str]) -> str:
        return "".join(segment_stream(lines, self.segmenter, self.out))

__all__ = ["FORMATS", "LEVELS", "OutputFormat", "SegmentJob", "SegmentStats", "process_files", "run_on_cluster",
           "segment_files", "segment_stream", "tokenized_lines"]
