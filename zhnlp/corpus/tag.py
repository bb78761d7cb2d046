"""Tagging whole files with a trained model (``zhnlp tag``): streamed, batched, in one or more processes."""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from ..checks import check_choice, check_number
from ..errors import ZhnlpError
from ..formats.conll import bmes_to_words
from ..formats.schemes import entities
from ..formats.spans import format_span_line, sentence_spans, span_text
from ..io import MAX_LINE_CHARS
from ..parallel import ignore_sigint_in_worker, ordered_map
from ..tasks.tagger import check_precision, entity_offsets, load_tagger, tagger_config
from ..text.segment import chunk_lines
from ..training.trainer import resolve_device, use_threads
from .runner import SegmentStats, process_files, run_on_cluster

OUTPUT_FORMATS = ("text", "jsonl", "conll", "spans")
INPUT_FORMATS = ("text", "conll")


@dataclass(frozen=True)
class TagFormat:
    """How one tagged sentence is written (see ``zhnlp tag --help``)."""

    fmt: str = "text"
    task: str = "ner"
    scheme: str | None = None

    def __post_init__(self) -> None:
        check_choice("--format", self.fmt, OUTPUT_FORMATS)
        if self.fmt == "spans" and self.task != "ner":
            raise ZhnlpError(f"--format spans writes entities: it needs an NER model, not a {self.task} one")

    def render(self, text: str | None, tokens: list[str], tags: list[str]) -> str:
        """Output for one sentence, final newline included. ``text`` is the raw line (offsets)."""
        if self.fmt == "conll":
            return "".join(f"{tok}\t{tag}\n" for tok, tag in zip(tokens, tags)) + "\n"
        if self.fmt == "spans":  # span JSON form A (ends inclusive)
            if text is None:
                return format_span_line(*sentence_spans(tokens, tags, self.scheme)) + "\n"
            return format_span_line(text, [e[:3] for e in entity_offsets(text, tags, self.scheme)]) + "\n"
        obj: dict = {"tokens": tokens, "tags": tags}
        if self.task == "cws":
            obj["words"] = bmes_to_words(tokens, tags)
            line = " ".join(obj["words"])
        elif self.task == "ner":
            obj["entities"] = self.entities(text, tokens, tags)
            line = " ".join(f"{e[3]}/{e[0]}" for e in obj["entities"])
        else:
            line = " ".join(f"{tok}/{tag}" for tok, tag in zip(tokens, tags))
        return (json.dumps(obj, ensure_ascii=False) if self.fmt == "jsonl" else line) + "\n"

    def entities(self, text: str | None, tokens: list[str], tags: list[str]) -> list[list]:
        """[type, start, end exclusive, text]: character offsets into the raw line, or token offsets for CoNLL input."""
        if text is None:
            return [[t, s, e, "".join(tokens[s:e])] for t, s, e in entities(tags, self.scheme)]
        return [list(e) for e in entity_offsets(text, tags, self.scheme)]


def tag_chunk(tagger, fmt: TagFormat, units: list, input_format: str, batch_size: int) -> str:
    """Tag one chunk: raw lines (text input; a span JSON line by its text) or token lists (CoNLL input)."""
    if input_format == "conll":
        token_lists, texts = units, [None] * len(units)
    else:
        texts = [span_text(u) for u in units]
        token_lists = tagger.tokens_of_lines(texts, batch_size)
    tags = tagger.predict(token_lists, batch_size)
    return "".join(fmt.render(text, toks, tg) for text, toks, tg in zip(texts, token_lists, tags))


def conll_sentences(lines: Iterable[str]) -> Iterator[list[str]]:
    """Token lists of CoNLL input (first column; blank lines end sentences; -DOCSTART- skipped)."""
    tokens: list[str] = []
    for line in lines:
        s = line.strip()
        if not s:
            if tokens:
                yield tokens
            tokens = []
            continue
        if s.startswith("-DOCSTART-"):
            continue
        tokens.append(s.split()[0])
    if tokens:
        yield tokens


# Worker-process state: one tagger per process, loaded once by the initializer.
_WORKER: dict = {}


def _init_worker(model: str, device: str, fmt: TagFormat, input_format: str, batch_size: int,
                 precision: str = "fp32", threads: int = 0) -> None:
    ignore_sigint_in_worker()
    use_threads(threads)
    _WORKER.update(tagger=load_tagger(model, device=device, precision=precision), fmt=fmt, input_format=input_format,
                   batch_size=batch_size)


def _run_in_worker(units: list) -> str:
    w = _WORKER
    return tag_chunk(w["tagger"], w["fmt"], units, w["input_format"], w["batch_size"])


def _check_options(input_format: str, batch_size: int, jobs: int, precision: str, threads: int = 0) -> None:
    check_precision(precision)
    check_choice("--input-format", input_format, INPUT_FORMATS)
    if batch_size < 1:
        raise ZhnlpError("--batch-size must be at least 1")
    check_number("--jobs", jobs, 1)
    check_number("--threads", threads, 0)


def tag_stream(lines: Iterable[str], model: str, *, fmt: str = "text", input_format: str = "text",
               batch_size: int = 64, device: str = "cpu", jobs: int = 1, tagger=None, config=None,
               precision: str = "fp32", threads: int = 0) -> Iterator[str]:
    """Output text for the lines, in order; a loaded ``tagger`` or ``config`` (``jobs`` > 1) saves reading it again."""
    _check_options(input_format, batch_size, jobs, precision, threads)
    units = conll_sentences(lines) if input_format == "conll" else lines
    chunks = chunk_lines(units, 1024)  # lines, or token lists for CoNLL input
    if jobs == 1:
        tagger = tagger or load_tagger(model, device=device, precision=precision)
        tf = TagFormat(fmt, tagger.task, tagger.config.scheme)
        for c in chunks:
            yield tag_chunk(tagger, tf, c, input_format, batch_size)
        return

    # The parent only hands out lines: it reads the config, and each worker loads the model.
    path, cfg = config or tagger_config(model)
    tf = TagFormat(fmt, cfg.task, cfg.scheme)
    yield from ordered_map(_run_in_worker, chunks, jobs, initializer=_init_worker,
                           initargs=(str(path), device, tf, input_format, batch_size, precision, threads))


class ModelSegmenter:
    """A trained CWS model with a :class:`~zhnlp.Segmenter`'s interface (``zhnlp segment --model``)."""

    pos = False

    def __init__(self, model: str, device: str = "cpu", batch_size: int = 64, precision: str = "fp32",
                 threads: int = 1) -> None:
        self.model, self.device, self.batch_size, self.precision, self.threads = \
            model, device, batch_size, precision, threads
        self.model = str(self.tagger.path)
        if self.tagger.task != "cws":
            raise ZhnlpError(f"--model {model}: a {self.tagger.task} model cannot segment (train one with train-cws)")

    def __getstate__(self) -> dict:
        """Its options, without the model: each worker process loads it on first use."""
        return {k: v for k, v in vars(self).items() if k != "tagger"}

    @functools.cached_property
    def tagger(self):
        """The CWS tagger, loaded on first use."""
        use_threads(self.threads)
        return load_tagger(self.model, device=self.device, precision=self.precision)

    def load(self) -> "ModelSegmenter":
        self.tagger
        return self

    check = load

    def cut(self, text: str) -> list[str]:
        return self.tagger.segment(text)

    def cut_lines(self, lines: Iterable[str], jobs: int = 1, chunk_size: int = 500) -> Iterator[list[str]]:
        for chunk in self.map_chunks(chunk_lines(lines, chunk_size), jobs):
            yield from chunk

    def map_chunks(self, chunks: Iterable[list[str]], jobs: int = 1, formatter=None) -> Iterator:
        if jobs <= 1:
            for chunk in chunks:
                yield _segment_chunk(self, formatter, chunk)
            return

        yield from ordered_map(_segment_in_worker, chunks, jobs, initializer=_init_segment_worker,
                               initargs=(self, formatter))


def _segment_chunk(seg: ModelSegmenter, formatter, lines: list[str]):
    results = seg.tagger.segment_lines(lines, seg.batch_size)
    return "".join(formatter(r) for r in results) if formatter else results


def _init_segment_worker(seg: ModelSegmenter, formatter) -> None:
    ignore_sigint_in_worker()
    _WORKER.update(segmenter=seg, formatter=formatter)


def _segment_in_worker(lines: list[str]):
    return _segment_chunk(_WORKER["segmenter"], _WORKER["formatter"], lines)


def tag_files(inputs: Sequence[str], model: str, *, output: str | None = None, output_dir: str | None = None,
              fmt: str = "text", input_format: str = "text", batch_size: int = 64, device: str = "cpu",
              jobs: int = 1, encoding: str = "utf-8", max_line_chars: int = MAX_LINE_CHARS,
              allow_empty: bool = False, progress: bool = False, stdout=None, scheduler: str | None = None,
              block_size: int | str = "4MB", precision: str = "fp32", threads: int = 1) -> SegmentStats:
    """Tag files to stdout, one file or one per input, atomically; ``scheduler``: on a Dask cluster."""
    _check_options(input_format, batch_size, jobs, precision, threads)
    # Fail on a bad model before touching outputs; with workers, the parent needs no weights.
    tagger = load_tagger(model, device=device, precision=precision) if jobs == 1 and not scheduler else None
    if tagger is not None:
        use_threads(threads)
    path, cfg = (tagger.path, tagger.config) if tagger else tagger_config(model)
    if tagger is None and device != "cpu":
        resolve_device(device)  # a clear error here rather than in every worker
    tf = TagFormat(fmt, cfg.task, cfg.scheme)
    options = dict(output=output, output_dir=output_dir, encoding=encoding, allow_empty=allow_empty,
                   max_line_chars=max_line_chars, progress=progress, stdout=stdout, label="tag")
    if scheduler:
        if input_format != "text":
            raise ZhnlpError("--scheduler tags raw text lines: drop --input-format conll")
        where = str(Path(path).resolve()) if Path(model).is_dir() else model  # bundled: each worker's copy
        job = TagJob(where, device, tf, batch_size, precision)
        return run_on_cluster(inputs, job, scheduler, block_size, jobs, **options)
    return process_files(inputs, lambda lines: tag_stream(lines, model, fmt=fmt, input_format=input_format,
                                                          batch_size=batch_size, device=device, jobs=jobs,
                                                          tagger=tagger, config=(path, cfg), precision=precision,
                                                          threads=threads),
                         **options)


@dataclass(frozen=True)
class TagJob:
    """Tag blocks of raw-text lines with the model at ``model`` (a directory or bundled name)."""

    model: str
    device: str
    fmt: Any  # TagFormat
    batch_size: int = 64
    precision: str = "fp32"

    def load(self) -> "_LoadedTagJob":
        return _LoadedTagJob(self, load_tagger(self.model, device=self.device, precision=self.precision))


@dataclass(frozen=True)
class _LoadedTagJob:
    job: TagJob
    tagger: Any

    def process(self, lines: list[str]) -> str:
        return "".join(tag_chunk(self.tagger, self.job.fmt, c, "text", self.job.batch_size)
                       for c in chunk_lines(lines, 1024))

__all__ = ["tag_files", "tag_stream", "tag_chunk", "TagFormat", "TagJob", "conll_sentences", "ModelSegmenter"]
