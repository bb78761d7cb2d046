"""Ordered, bounded parallel map over worker processes (works with fork, forkserver and spawn)."""
from __future__ import annotations

import multiprocessing
import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Iterable, Iterator


def ordered_map(fn: Callable[[Any], Any], items: Iterable[Any], jobs: int, *,
                initializer: Callable[..., None] | None = None, initargs: tuple = (),
                in_flight: int | None = None, start_method: str | None = None) -> Iterator[Any]:
    """Yield ``fn(item)`` for each item, in input order, computed by ``jobs`` processes.

    Unlike ``Pool.imap`` (whose feeder thread reads the whole input), at most ``in_flight``
    items (default ``2 * jobs + 2``) are submitted at once, so memory does not grow with the
    input. ``start_method`` defaults to $ZHNLP_START_METHOD, else the platform's default.
    """
    method = start_method or os.environ.get("ZHNLP_START_METHOD") or None
    ctx = multiprocessing.get_context(method)
    limit = in_flight or 2 * jobs + 2
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=initializer,
                               initargs=initargs)
    pending: deque = deque()
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
