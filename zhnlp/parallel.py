"""Ordered, bounded parallel map over worker processes (works with fork, forkserver and spawn)."""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .errors import ZhnlpError

START_METHOD_ENV = "ZHNLP_START_METHOD"


def _threads() -> int:
    """Threads of this process, native ones included where the OS tells (Linux)."""
    import threading

    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def default_start_method() -> str:
    """$ZHNLP_START_METHOD, else ``fork`` on Linux with one thread (safe; unguarded scripts work), else ``spawn``."""
    method = os.environ.get(START_METHOD_ENV)
    if method:
        if method not in multiprocessing.get_all_start_methods():
            raise ZhnlpError(f"${START_METHOD_ENV} must be one of "
                             f"{', '.join(multiprocessing.get_all_start_methods())}, not {method!r}")
        return method
    return "fork" if sys.platform.startswith("linux") and _threads() == 1 else "spawn"


def _broken_pool_message(method: str) -> str:
    """Why a worker died; under spawn/forkserver most often a top-level call in the main script that it re-ran."""
    msg = "a worker process stopped unexpectedly (out of memory, killed, or crashed)"
    main = getattr(sys.modules.get("__main__"), "__file__", None)
    try:
        guarded = "__main__" in Path(main).read_text(encoding="utf-8", errors="replace") if main else True
    except OSError:
        guarded = True
    if method != "fork" and not guarded:
        msg += (f"; with the {method} start method each worker first re-runs {main}: call zhnlp with jobs > 1 "
                "under `if __name__ == \"__main__\":` there, or set ZHNLP_START_METHOD=fork")
    return msg


@contextlib.contextmanager
def _sigint_blocked():
    """Block SIGINT while workers start (they inherit the mask), so that a Ctrl-C prints no traceback from them."""
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


def call_in_child(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` computed in a short-lived child process, so that what it builds does not stay in this one."""
    method = default_start_method()
    try:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context(method)) as pool:
            return pool.submit(fn, *args).result()
    except BrokenProcessPool:
        raise ZhnlpError(_broken_pool_message(method)) from None


def ordered_map(fn: Callable[[Any], Any], items: Iterable[Any], jobs: int, *,
                initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> Iterator[Any]:
    """Yield ``fn(item)`` in input order from ``jobs`` processes, only ``jobs + 2`` items in flight (flat memory)."""
    method = default_start_method()
    ctx = multiprocessing.get_context(method)
    limit = jobs + 2
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=initializer, initargs=initargs)
    pending: deque = deque()
    try:
        for n, item in enumerate(items):
            # Workers start during the first submits: they must not take Ctrl-C.
            with _sigint_blocked() if n < jobs else contextlib.nullcontext():
                pending.append(pool.submit(fn, item))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BrokenProcessPool:
        raise ZhnlpError(_broken_pool_message(method)) from None
    finally:
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
