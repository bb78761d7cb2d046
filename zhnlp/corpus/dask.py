"""Segmenting and tagging on a Dask cluster: byte-range blocks of files, read by workers, results in input order."""
from __future__ import annotations

import contextlib
import pickle
import threading
from collections import OrderedDict, deque
from typing import Any, Callable, Iterable, Iterator

from ..errors import InputError, ZhnlpError
from ..io import MAX_LINE_CHARS, check_encoding, input_name, line_blocks, read_lines
from ..text.segment import Segmenter

BLOCK_SIZE = 8 << 20  # big enough that scheduling costs nothing, small enough to spread a file


def require_dask():
    """The ``distributed`` module, or a one-line error saying how to install it."""
    try:
        import dask  # noqa: F401
        import distributed
    except ImportError:
        raise ZhnlpError('--scheduler needs Dask: pip install "zhnlp[dask]"') from None
    return distributed


def parse_block_size(value: str | int) -> int:
    """Bytes from ``16MB``, ``64KiB``, ``4096``... (dask's size syntax)."""
    if isinstance(value, int):
        size = value
    else:
        from dask.utils import parse_bytes

        try:
            size = parse_bytes(value)
        except (ValueError, TypeError):
            raise ZhnlpError(f"--block-size: not a size: {value!r} (e.g. 16MB, 512KiB)") from None
    if size < 1:
        raise ZhnlpError(f"--block-size must be at least 1 byte, not {value!r}")
    return size


@contextlib.contextmanager
def connect(scheduler: str) -> Iterator[Any]:
    """A ``distributed.Client`` of ``tcp://HOST:PORT``, or of a new local cluster of N workers (``local:N``)."""
    distributed = require_dask()
    if scheduler.startswith("local:"):
        try:
            n = int(scheduler[len("local:"):])
        except ValueError:
            n = 0
        if n < 1:
            raise ZhnlpError(f"--scheduler {scheduler}: local:N needs a number of workers N ≥ 1")
        with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                      dashboard_address=None) as cluster, distributed.Client(cluster) as client:
            yield client
        return
    if "://" not in scheduler:
        raise ZhnlpError(f"--scheduler {scheduler}: give tcp://HOST:PORT or local:N")
    try:
        client = distributed.Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise ZhnlpError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    with client:
        yield client


# Per worker process: loaded segmenters and models by their pickled options, each loaded once per worker.
_LOADED: OrderedDict[bytes, Any] = OrderedDict()
_LOADED_LOCK = threading.Lock()


def loaded(obj: Any) -> Any:
    """This process's loaded copy of ``obj`` (anything with ``load()`` that pickles to its options)."""
    key = pickle.dumps(obj)
    with _LOADED_LOCK:
        if key not in _LOADED:
            _LOADED[key] = obj.load()
            while len(_LOADED) > 4:
                _LOADED.popitem(last=False)
        _LOADED.move_to_end(key)
        return _LOADED[key]


def process_block(job: Any, path: str, start: int, end: int, encoding: str,
                  max_line_chars: int) -> tuple:
    """On a worker: ``("ok", text, lines, bytes)``, or for bad input ``("error", problem, line in block, text)``."""
    try:
        lines = list(read_lines(path, encoding, max_line_chars=max_line_chars, byte_range=(start, end)))
    except InputError as exc:
        return ("error", exc.problem, exc.line, exc.text)
    return ("ok", loaded(job).process(lines), len(lines), end - start)


def run_file(client: Any, job: Any, path: str, *, encoding: str = "utf-8", block_size: int = BLOCK_SIZE,
             max_line_chars: int = MAX_LINE_CHARS, allow_empty: bool = False,
             progress: Callable[[int, int], None] | None = None) -> Iterator[str]:
    """Output text of ``job`` over one file on the cluster, in input order, a bounded number of blocks out at once."""
    if path == "-":
        raise ZhnlpError("--scheduler needs input files, not stdin (workers read the files themselves)")
    check_encoding(encoding, path)
    blocks = line_blocks(path, block_size)
    if not blocks and not allow_empty:
        raise InputError(input_name(path), "empty file (pass --allow-empty to accept it)")
    limit = 2 * max(1, len(client.scheduler_info().get("workers", {}))) + 1
    pending: deque = deque()
    lines_before = 0
    try:
        for i, (start, end) in enumerate(blocks):
            pending.append(client.submit(process_block, job, str(path), start, end, encoding, max_line_chars,
                                         pure=False, priority=-i))
            while len(pending) >= limit or (pending and i == len(blocks) - 1):
                status, a, b, c = pending.popleft().result()
                if status == "error":
                    line = None if b is None else lines_before + b
                    raise InputError(path, a, line, c)
                lines_before += b
                if progress is not None:
                    progress(c, b)
                yield a
    finally:
        for fut in pending:
            fut.cancel()


def segment_bag(bag: Any, *, sep: str | None = None, **segmenter_options: Any) -> Any:
    """A Dask bag of lines → a bag of word (or ``(word, tag)``) lists, or of strings joined by ``sep``."""
    seg = Segmenter(**segmenter_options).check()
    return bag.map_partitions(_segment_lines, seg, sep)


def segment_series(series: Any, *, sep: str | None = " ", **segmenter_options: Any) -> Any:
    """A text column of a Dask dataframe → a column of words joined by ``sep`` (None: word lists)."""
    seg = Segmenter(**segmenter_options).check()
    return series.map_partitions(_segment_pandas, seg, sep, meta=(series.name, object))


def _segment_lines(lines: Iterable[str], seg: Segmenter, sep: str | None) -> list:
    results = loaded(seg).cut_lines(lines)
    if sep is None:
        return list(results)
    if seg.pos:
        return [sep.join(f"{w}/{t}" for w, t in r) for r in results]
    return [sep.join(r) for r in results]


def _segment_pandas(part: Any, seg: Segmenter, sep: str | None) -> Any:
    import pandas as pd

    return pd.Series(_segment_lines(part.fillna("").astype(str), seg, sep), index=part.index, name=part.name,
                     dtype=object)


__all__ = ["require_dask", "connect", "run_file", "process_block", "segment_bag", "segment_series",
           "parse_block_size", "loaded", "BLOCK_SIZE"]
