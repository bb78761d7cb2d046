"""Ordered, bounded parallel map over worker processes (works with fork, forkserver and spawn)."""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Iterable, Iterator


@contextlib.contextmanager
def _sigint_ignored():
    """Ignore SIGINT while worker processes start, so they inherit the ignored disposition
    (Python keeps an ignored SIGINT at start-up) and never print a KeyboardInterrupt
    traceback from their bootstrap; the parent handles Ctrl-C and cleans up."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


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
        for n, item in enumerate(items):
            if n < jobs:  # workers start during the first submits: they must not take Ctrl-C
                with _sigint_ignored():
                    pending.append(pool.submit(fn, item))
            else:
                pending.append(pool.submit(fn, item))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
