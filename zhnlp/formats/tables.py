"""Labelled text tables for classifiers (CSV, TSV, JSONL, Excel, text<TAB>label), one-line errors, splits."""
from __future__ import annotations

import csv
import io
import itertools
import json
import math
import random
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

from ..errors import InputError, ZhnlpError
from ..io import check_encoding, input_name, read_lines

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

TABLE_FORMATS = ("csv", "tsv", "jsonl", "txt", "xlsx")
TEXT_COLUMNS = ("text", "review", "sentence", "content", "comment")
LABEL_COLUMNS = ("label", "category", "class", "cat", "labels")
_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
             ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xlsx"}  # an old binary .xls is refused by name


def table_format(path: str | Path, fmt: str = "auto") -> str:
    """``csv``/``tsv``/``jsonl``/``xlsx`` by file suffix, else ``txt`` (``text<TAB>label`` lines, no header)."""
    if fmt != "auto":
        if fmt not in TABLE_FORMATS:
            raise ZhnlpError(f"--input-format must be one of auto, {', '.join(TABLE_FORMATS)}, not {fmt!r}")
        return fmt
    return _SUFFIXES.get(Path(str(path)).suffix.lower(), "txt")


@dataclass
class LabeledTexts:
    """Texts, their labels (None: no label column) and the file line of each row, for messages."""

    path: str
    texts: list[str]
    labels: list[str] | None
    lines: list[int]
    skipped: list[int] = field(default_factory=list)   # lines of rows skipped for an empty text/label
    format: str = ""                                   # the table format read (csv, tsv, jsonl, txt, xlsx)
    columns: tuple[str, str | None] = ("", None)       # the text and label columns read

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, idx: Sequence[int]) -> "LabeledTexts":
        """The rows at ``idx`` (a split)."""
        return LabeledTexts(self.path, [self.texts[i] for i in idx],
                            None if self.labels is None else [self.labels[i] for i in idx],
                            [self.lines[i] for i in idx], format=self.format, columns=self.columns)


def read_frame(path: str | Path, fmt: str = "auto", encoding: str = "utf-8", *,
               chunksize: int | None = None) -> "pd.DataFrame | Iterator[pd.DataFrame]":
    """The table as strings (or ``chunksize``-row frames), with one-line errors for bad files."""
    import pandas as pd

    fmt = table_format(path, fmt)
    enc = check_encoding(encoding, path)
    enc = "utf-8-sig" if enc == "utf-8" else enc
    src = _source(path)
    if fmt == "xlsx":
        frame = _excel_frame(src, path)
        return iter([frame]) if chunksize else frame
    try:
        if fmt == "jsonl":
            if chunksize:
                return _jsonl_frames(path, encoding, chunksize)
            frames = list(_jsonl_frames(path, encoding, 10_000))
            if not frames:
                raise InputError(input_name(path), "no rows")
            return pd.concat(frames, ignore_index=True)
        sep = {"csv": ",", "tsv": "\t", "txt": "\t"}[fmt]
        kw = dict(sep=sep, dtype=str, keep_default_na=False, encoding=enc, chunksize=chunksize, index_col=False)
        if fmt != "csv":  # TSV and text<TAB>label have no quoting: a '"' is text
            kw.update(quoting=csv.QUOTE_NONE)
        if fmt == "txt":  # no header
            kw.update(header=None)
        with warnings.catch_warnings():  # more fields than the header: pandas only warns
            warnings.simplefilter("error", pd.errors.ParserWarning)
            reader = pd.read_csv(src, **kw)
        return _checked_chunks(reader, path, enc, fmt) if chunksize else reader
    except Exception as exc:  # pandas raises many types; each becomes one line
        raise _table_error(exc, path, enc, fmt) from None


def _source(path: str | Path):
    """What pandas reads: the file's path, or stdin's bytes; a folder, missing or empty file is refused."""
    if str(path) == "-":
        return io.BytesIO(sys.stdin.buffer.read())
    p = Path(path)
    if p.is_dir():
        raise InputError(p, "is a directory, not a table")
    if not p.is_file():
        raise InputError(p, "no such file")
    if p.stat().st_size == 0:
        raise InputError(p, "empty file: no rows")
    return str(p)


def _excel_frame(src, path) -> "pd.DataFrame":
    """The first sheet of an .xlsx workbook as strings; an old .xls or a text file so named is refused by name."""
    import pandas as pd

    name = input_name(path)
    if not isinstance(src, str):
        raise InputError(name, "an Excel workbook cannot be read from stdin: pass its path")
    with open(src, "rb") as f:
        head = f.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2 compound file: the old binary .xls
        raise InputError(name, "an Excel 97-2003 (.xls) workbook, which zhnlp does not read: save it as .xlsx or CSV")
    if not head.startswith(b"PK\x03\x04"):  # an .xlsx is a zip archive
        raise InputError(name, f"named {Path(src).suffix} but not an Excel workbook (text?): rename it .csv or .tsv, "
                               "or pass --input-format csv/tsv")
    try:
        import openpyxl  # noqa: F401  (pandas' reader of .xlsx)
    except ImportError:
        raise ZhnlpError(f"{name}: reading Excel workbooks needs openpyxl (pip install openpyxl)") from None
    try:
        frame = pd.read_excel(src, sheet_name=0, dtype=object, engine="openpyxl")
    except Exception as exc:  # a damaged zip, a workbook without sheets...
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(name, f"cannot read as an Excel workbook ({text})") from None
    frame.columns = [str(c) for c in frame.columns]
    return frame.apply(lambda col: col.map(_cell_text))


def _cell_text(value) -> str:
    """An Excel cell as table text: empty for a blank cell, ``3`` (not ``3.0``) for a whole number."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def json_objects(path: str | Path, encoding: str = "utf-8") -> Iterator[tuple[int, dict]]:
    """(line number, object) of each non-blank line of a JSON-lines file; other than an object is an error."""
    name = input_name(path)
    for n, line in enumerate(read_lines(path, encoding), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(name, f"not JSON ({exc.msg})", n) from None
        if not isinstance(obj, dict):
            raise InputError(name, f"expected a JSON object per line, found {type(obj).__name__}", n)
        yield n, obj


def json_text(value) -> str:
    """A JSON value as table text: null empty, numbers and structures as JSON (an id 1 stays "1", never "1.0")."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _jsonl_frames(path, encoding: str, chunksize: int):
    """Frames of ``chunksize`` JSON objects, values as table text."""
    import pandas as pd

    objects = iter(json_objects(path, encoding))
    while block := list(itertools.islice(objects, chunksize)):
        yield pd.DataFrame.from_records([{k: json_text(v) for k, v in obj.items()} for _, obj in block]).fillna("")


def _checked_chunks(frames, path, enc, fmt):
    import pandas as pd

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            for frame in frames:
                yield frame
    except Exception as exc:
        raise _table_error(exc, path, enc, fmt) from None


def _table_error(exc: Exception, path, enc: str, fmt: str) -> InputError:
    if isinstance(exc, InputError):
        return exc
    name = input_name(path)
    if isinstance(exc, UnicodeDecodeError):
        line = _bad_byte_line(path, enc)
        hint = "; pass --encoding gb18030 if this is GBK/GB18030 text" if enc.startswith("utf-8") else ""
        return InputError(name, f"not valid {enc.replace('-sig', '')} text{hint}", line)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if m:
        first = "the first line" if fmt == "txt" else "the header"
        return InputError(name, f"ragged row: {m.group(3)} fields where {first} has {m.group(1)}",
                          _ragged_line(path, enc, fmt) or int(m.group(2)))
    if "Length of header or names does not match" in text:
        return InputError(name, "ragged row: more fields than the header", _ragged_line(path, enc, fmt))
    if "No columns to parse" in text:
        return InputError(name, "empty file: no rows")
    return InputError(name, f"cannot parse as {fmt.upper()} ({text})")


def csv_dialect(fmt: str) -> dict:
    """``csv`` module arguments of a table format: only CSV quotes fields."""
    if fmt == "csv":
        return {"delimiter": ","}
    return {"delimiter": "\t", "quoting": csv.QUOTE_NONE}


def _bad_byte_line(path, enc: str) -> int | None:
    if str(path) == "-":
        return None
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                raw.decode(enc)
            except UnicodeDecodeError:
                return n
    return None


def _ragged_line(path, enc: str, fmt: str) -> int | None:
    """The line of the first record whose field count differs from the header's."""
    if str(path) == "-":
        return None
    with open(path, encoding=enc, errors="replace", newline="") as f:
        reader = csv.reader(f, **csv_dialect(fmt))
        width, prev = None, 0
        for row in reader:
            if width is None:
                width = len(row)
            elif row and len(row) != width:
                return prev + 1
            prev = reader.line_num
    return None


def pick_column(frame: "pd.DataFrame", spec: str | int | None, defaults: Sequence[str], what: str,
                path: str, fallback: int | None = None):
    """The column ``spec`` names or numbers (0-based), by default the first of ``defaults``, else ``fallback``."""
    cols = list(frame.columns)
    found = ", ".join(str(c) for c in cols)
    if spec is None:
        for name in defaults:
            if name in cols:
                return name
        if fallback is not None and -len(cols) <= fallback < len(cols):
            return cols[fallback]
        raise InputError(path, f"no {what} column (looked for {', '.join(defaults)}; columns found: {found}); "
                               f"name it with --{what}-col")
    if isinstance(spec, str) and spec in cols:
        return spec
    if str(spec).lstrip("-").isdigit():
        i = int(spec)
        if -len(cols) <= i < len(cols):
            return cols[i]
        raise InputError(path, f"--{what}-col {spec}: the table has {len(cols)} columns ({found})")
    raise InputError(path, f"no column {spec!r} (columns found: {found})")


def read_labeled(path: str | Path, *, text_col: str | int | None = None, label_col: str | int | None = None,
                 fmt: str = "auto", encoding: str = "utf-8", strict: bool = False, need_labels: bool = True,
                 class_names: Sequence[str] | None = None) -> LabeledTexts:
    """Texts and string labels of a table; with ``class_names``, integer labels are ids into it."""
    name = input_name(path)
    fmt = table_format(path, fmt)
    frame = read_frame(path, fmt, encoding)
    if not len(frame):
        raise InputError(name, "no rows (a header only)")
    tcol = pick_column(frame, text_col, TEXT_COLUMNS, "text", name, 0 if fmt == "txt" else None)
    lcol = None
    if need_labels or label_col is not None:
        lcol = pick_column(frame, label_col, LABEL_COLUMNS, "label", name, 1 if fmt == "txt" else None)
    texts = [clean_text(t) for t in frame[tcol].tolist()]
    labels = [clean_text(x) for x in frame[lcol].tolist()] if lcol is not None else None
    lines = _row_lines(path, fmt, encoding, len(texts))
    if labels is not None and class_names:
        labels = [_class_name(x, class_names, name, ln) for x, ln in zip(labels, lines)]
    keep, skipped = [], []
    for i, t in enumerate(texts):
        if not t.strip() or (labels is not None and not labels[i].strip()):
            if strict:
                what = "text" if not t.strip() else "label"
                raise InputError(name, f"empty {what} (rows with an empty text or label are refused "
                                       "with --strict)", lines[i])
            skipped.append(lines[i])
        else:
            keep.append(i)
    data = LabeledTexts(name, texts, labels, lines, format=fmt, columns=(str(tcol), None if lcol is None else str(lcol)))
    data = data.subset(keep) if skipped else data
    data.skipped = skipped
    if not len(data):
        raise InputError(name, "no rows with a text" + (" and a label" if labels is not None else ""))
    return data


def clean_text(value) -> str:
    """A cell as text: stripped, BOMs removed."""
    s = "" if value is None else str(value)
    return s.replace("\ufeff", "").strip()


def _class_name(label: str, names: Sequence[str], path: str, line: int) -> str:
    if label in names:
        return label
    if label.lstrip("-").isdigit() and 0 <= int(label) < len(names):
        return names[int(label)]
    if not label:
        return label
    raise InputError(path, f"label {label!r} is neither a class name nor an id below {len(names)} "
                           "(--class-names)", line)


def _row_lines(path, fmt: str, encoding: str, n_rows: int) -> list[int]:
    """The file line on which each data row starts (quoted fields may span lines)."""
    if fmt == "xlsx":  # the sheet's row numbers: the header is row 1
        return list(range(2, n_rows + 2))
    if str(path) == "-" or fmt in ("jsonl", "txt"):
        return _plain_lines(path, n_rows)
    enc = "utf-8-sig" if check_encoding(encoding) == "utf-8" else encoding
    starts = []
    width = None
    with open(path, encoding=enc, newline="") as f:
        reader = csv.reader(f, **csv_dialect(fmt))
        prev = 0
        for row in reader:
            if len(row) > 1 or (row and row[0].strip()):  # pandas skips blank lines
                if width is None:
                    width = len(row)
                elif len(row) < width:
                    raise InputError(input_name(path), f"ragged row: {len(row)} fields where the header "
                                                       f"has {width}", prev + 1)
                starts.append(prev + 1)
            prev = reader.line_num
    starts = starts[1:]  # the header
    if len(starts) != n_rows:  # the csv module and pandas disagree (unusual quoting): rows + header
        return list(range(2, n_rows + 2))
    return starts


def _plain_lines(path, n_rows: int) -> list[int]:
    """The non-blank lines of a file of one row a line (1..n_rows where they disagree with the rows)."""
    out = []
    if str(path) != "-":
        with open(path, "rb") as f:
            out = [n for n, raw in enumerate(f, 1) if raw.strip()]
    return out if len(out) == n_rows else list(range(1, n_rows + 1))


def read_class_names(path: str | Path, encoding: str = "utf-8") -> list[str]:
    """One class name per line (line i names label id i)."""
    names = [line.strip() for line in read_lines(path, encoding)]
    while names and not names[-1]:
        names.pop()
    for i, n in enumerate(names, 1):
        if not n:
            raise InputError(str(path), "empty class name", i)
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise InputError(str(path), f"class name {dup!r} appears twice")
    return names


def parse_split(spec: str) -> tuple[float, float, float]:
    """``"0.8,0.1,0.1"`` → fractions of train, dev and test (summing to 1)."""
    try:
        parts = [float(x) for x in spec.split(",")]
    except ValueError:
        raise ZhnlpError(f"--split {spec!r}: expected three fractions such as 0.8,0.1,0.1") from None
    if len(parts) == 2:
        parts.append(0.0)
    if len(parts) != 3 or not all(math.isfinite(p) for p in parts) or any(p < 0 for p in parts) or parts[0] <= 0 or abs(sum(parts) - 1) > 1e-6:
        raise ZhnlpError(f"--split {spec!r}: expected train,dev,test fractions that sum to 1 (e.g. 0.8,0.1,0.1)")
    return parts[0], parts[1], parts[2]


def split_indices(labels: Sequence[str], fractions: tuple[float, float, float], seed: int) -> dict[str, list[int]]:
    """Sorted row indices of a seeded split stratified by label (each part keeps the label proportions)."""
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, lab in enumerate(labels):
        by_label.setdefault(lab, []).append(i)
    out: dict[str, list[int]] = {"train": [], "dev": [], "test": []}
    for lab in sorted(by_label):
        idx = by_label[lab]
        rng.shuffle(idx)
        n = len(idx)
        n_test = round(n * fractions[2])
        n_dev = round(n * fractions[1])
        if n - n_test - n_dev < 1:
            n_dev = max(0, n - n_test - 1)
        out["test"].extend(idx[:n_test])
        out["dev"].extend(idx[n_test:n_test + n_dev])
        out["train"].extend(idx[n_test + n_dev:])
    return {k: sorted(v) for k, v in out.items()}


__all__ = ["LabeledTexts", "read_labeled", "read_frame", "read_class_names", "pick_column", "table_format",
           "parse_split", "split_indices", "csv_dialect", "TABLE_FORMATS"]
