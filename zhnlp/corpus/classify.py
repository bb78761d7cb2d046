"""Classifying whole files (``zhnlp classify``): plain lines or tables, streamed, outputs atomic."""
from __future__ import annotations

import contextlib
import csv
import sys
import time
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from ..checks import check_choice, check_number
from ..errors import ZhnlpError
from ..formats.tables import (
    TEXT_COLUMNS,
    clean_text,
    csv_dialect,
    json_objects,
    json_text,
    pick_column,
    read_frame,
    table_format,
)
from ..io import MAX_LINE_CHARS, atomic_output
from ..tasks.classifier import load_classifier
from ..tasks.classifier import probability_text as pt
from ..text.segment import chunk_lines
from ..training.trainer import use_threads
from .runner import SegmentStats, plan_outputs, process_files

INPUT_FORMATS = ("auto", "text", "csv", "tsv", "jsonl")
_TABLE_CHUNK = 2000  # rows read and written at a time


@dataclass(frozen=True)
class ClassifyOptions:
    """What to write for each text."""

    top_k: int = 1
    probs: bool = False
    batch_size: int = 128

    def __post_init__(self) -> None:
        check_number("--top-k", self.top_k, 1)
        if self.batch_size < 1:
            raise ZhnlpError("--batch-size must be at least 1")


def _ranked(clf, probs_row, k: int) -> list[tuple[str, float]]:
    order = probs_row.argsort()[::-1][:k]
    return [(clf.labels[j], float(probs_row[j])) for j in order]


def classify_stream(lines: Iterable[str], clf, opts: ClassifyOptions = ClassifyOptions()) -> Iterator[str]:
    """Output text for plain input lines (``top_k`` ``label=probability`` pairs, ``probs`` every class's), in order."""
    for block in chunk_lines(lines, 1024):
        idx = [i for i, line in enumerate(block) if line.strip()]
        probs = clf.predict_proba([block[i] for i in idx], opts.batch_size)
        rows = [""] * len(block)
        for i, row in zip(idx, probs):
            ranked = _ranked(clf, row, max(opts.top_k, 1))
            out = ranked[0][0] if opts.top_k == 1 else "\t".join(f"{lab}={pt(p)}" for lab, p in ranked)
            if opts.probs:
                out += "\t" + "\t".join(f"{lab}={pt(float(p))}" for lab, p in zip(clf.labels, row))
            rows[i] = out
        yield "".join(r + "\n" for r in rows)


def classify_frame(frame, clf, text_col, opts: ClassifyOptions):
    """The frame with ``label``/``probability`` (and top-k / per-class) columns appended."""
    texts = [clean_text(t) for t in frame[text_col].tolist()]
    idx = [i for i, t in enumerate(texts) if t]
    probs = clf.predict_proba([texts[i] for i in idx], opts.batch_size)
    sfx = ["" if r == 0 else f"_{r + 1}" for r in range(min(opts.top_k, len(clf.labels)))]
    cols: dict[str, list] = {name + s: [empty] * len(texts) for s in sfx for name, empty in
                             (("label", ""), ("probability", None))}
    cols.update({f"prob_{lab}": [None] * len(texts) for lab in (clf.labels if opts.probs else [])})
    for i, row in zip(idx, probs):
        for s, (lab, p) in zip(sfx, _ranked(clf, row, len(sfx))):
            cols["label" + s][i] = lab
            cols["probability" + s][i] = round(p, 4)
        if opts.probs:
            for lab, p in zip(clf.labels, row):
                cols[f"prob_{lab}"][i] = round(float(p), 4)
    out = frame.copy()
    clash = any(name in out.columns for name in cols)  # e.g. a gold "label" column: keep it
    for name, values in cols.items():
        out[("predicted_" + name) if clash else name] = values
    return out


def _write_jsonl(inp: str, clf, opts: ClassifyOptions, text_col, encoding: str, f, stats: SegmentStats) -> None:
    """JSON lines: each object kept as it is (value types included), predictions added."""
    import json

    import pandas as pd

    def flush(block: list[dict]) -> None:
        frame = pd.DataFrame({"text": [json_text(o.get(col)) for o in block]})
        extra = classify_frame(frame, clf, "text", opts).drop(columns=["text"])
        for obj, row in zip(block, extra.to_dict("records")):
            clash = any(k in obj for k in row)
            new = {(("predicted_" + k) if clash else k): (None if isinstance(v, float) and v != v else v)
                   for k, v in row.items()}
            f.write(json.dumps({**obj, **new}, ensure_ascii=False) + "\n")
        stats.lines += len(block)

    block: list[dict] = []
    col = None
    for _, obj in json_objects(inp, encoding):
        if col is None:
            col = pick_column(pd.DataFrame(columns=list(obj)), text_col, TEXT_COLUMNS, "text", inp)
        block.append(obj)
        if len(block) >= _TABLE_CHUNK:
            flush(block)
            block = []
    if block:
        flush(block)
    stats.files += 1


def _write_table(inp: str, fmt: str, clf, opts: ClassifyOptions, text_col, encoding: str, f,
                 stats: SegmentStats) -> None:
    """Write one classified table in its own format, chunk by chunk."""
    if fmt == "jsonl":
        return _write_jsonl(inp, clf, opts, text_col, encoding, f, stats)
    dialect = csv_dialect(fmt)  # a TSV is written as read: no quoting
    for n, frame in enumerate(read_frame(inp, fmt, encoding, chunksize=_TABLE_CHUNK)):
        out = classify_frame(frame, clf, pick_column(frame, text_col, TEXT_COLUMNS, "text", inp), opts)
        out.to_csv(f, sep=dialect["delimiter"], quoting=dialect.get("quoting", csv.QUOTE_MINIMAL), index=False,
                   header=n == 0, lineterminator="\n")
        stats.lines += len(frame)
    stats.files += 1


def classify_files(inputs: Sequence[str], model: str, *, output: str | None = None, output_dir: str | None = None,
                   input_format: str = "auto", text_col: str | None = None, top_k: int = 1, probs: bool = False,
                   batch_size: int = 128, device: str = "cpu", encoding: str = "utf-8",
                   max_line_chars: int = MAX_LINE_CHARS, allow_empty: bool = False, progress: bool = False,
                   stdout=None, classifier=None, threads: int = 1) -> SegmentStats:
    """Classify files ('-' = stdin) of lines or tables to stdout, one file or one per input; ``threads``: torch's."""
    check_choice("--input-format", input_format, INPUT_FORMATS)
    opts = ClassifyOptions(top_k=top_k, probs=probs, batch_size=batch_size)
    use_threads(threads)
    inputs = list(inputs) or ["-"]
    clf = classifier or load_classifier(model, device=device)  # a bad model fails before any output

    def fmt_of(inp: str) -> str:
        if input_format == "text" or (input_format == "auto" and inp == "-"):
            return "text"
        f = table_format(inp, "auto" if input_format == "auto" else input_format)
        if f == "xlsx":  # the output table is written in the input's format
            raise ZhnlpError(f"{inp}: classify reads and writes CSV, TSV and JSONL tables; save the workbook as CSV")
        return "text" if f == "txt" else f

    formats = [fmt_of(i) for i in inputs]
    if all(f == "text" for f in formats):
        return process_files(inputs, lambda lines: classify_stream(lines, clf, opts), output=output,
                             output_dir=output_dir, encoding=encoding, allow_empty=allow_empty,
                             max_line_chars=max_line_chars, progress=progress, stdout=stdout, label="classify")
    return _classify_tables(inputs, formats, clf, opts, output=output, output_dir=output_dir, text_col=text_col,
                            encoding=encoding, stdout=stdout)


def _classify_tables(inputs, formats, clf, opts, *, output, output_dir, text_col, encoding, stdout) -> SegmentStats:
    if len(set(formats)) > 1 or "text" in formats:
        raise ZhnlpError("classify tables and plain-text files in separate runs (their outputs differ)")
    if len(inputs) > 1 and not output_dir:
        raise ZhnlpError("several tables: use --output-dir (one output table per input)")
    stats = SegmentStats()
    t0 = time.perf_counter()
    targets, _ = plan_outputs(inputs, output, output_dir)
    for inp, fmt, target in zip(inputs, formats, targets or [None]):
        with (atomic_output(target) if target else contextlib.nullcontext(stdout or sys.stdout)) as f:
            _write_table(inp, fmt, clf, opts, text_col, encoding, f, stats)
            f.flush()
        if target:
            stats.outputs.append(str(target))
    stats.seconds = time.perf_counter() - t0
    return stats


__all__ = ["classify_files", "classify_stream", "classify_frame", "ClassifyOptions"]
