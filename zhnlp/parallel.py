"""Ordered, bounded parallel map over worker processes (works with fork, forkserver and spawn)."""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Iterable, Iterator


@contextlib.contextmanager
def _sigint_blocked():
    """Block SIGINT while worker processes start: they inherit the blocked mask (across
    exec too, for spawn), so a Ctrl-C then cannot print a KeyboardInterrupt traceback from
    a worker's bootstrap; the worker ignores SIGINT and unblocks it in its initializer.
    In the parent, a Ctrl-C that came meanwhile is delivered when the block ends."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def ignore_sigint_in_worker() -> None:
    """For worker initializers: the parent handles Ctrl-C and cleans up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def ordered_map(fn: Callable[[Any], Any], items: Iterable[Any], jobs: int, *,
                initializer: Callable[..., None] | None = None, initargs: tuple = (),
                in_flight: int | None = None, start_method: str | None = None) -> Iterator[Any]:
    """Yield ``fn(item)`` for each item, in input order, computed by ``jobs`` processes.

    Unlike ``Pool.imap`` (whose feeder thread reads the whole input), at most ``in_flight``
    items (default ``jobs + 2``) are submitted at once, so memory does not grow with the
    input. ``start_method`` defaults to $ZHNLP_START_METHOD, else ``spawn`` on every
    platform: workers then hold only what they import (not a copy of the parent), which
    keeps the memory of the whole process tree low, and behave the same everywhere.
    """
    method = start_method or os.environ.get("ZHNLP_START_METHOD") or "spawn"
    ctx = multiprocessing.get_context(method)
    limit = in_flight or jobs + 2
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=initializer,
                               initargs=initargs)
    pending: deque = deque()
    try:
        for n, item in enumerate(items):
            if n < jobs:  # workers start during the first submits: they must not take Ctrl-C
                with _sigint_blocked():
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
