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
    """How worker processes start: $ZHNLP_START_METHOD, else ``fork`` on Linux while this
    process has a single thread, else ``spawn``.

    fork copies the parent, so a script that calls ``cut_lines(..., jobs=2)`` at its top
    level works as written (spawn and forkserver re-run the main script in every worker,
    which then needs ``if __name__ == "__main__":``). The parents that hand out lines are
    light (they check dictionaries and model configs, they do not load them), so a copy
    costs little. fork is not used where it is unsafe: with other threads running (a lock
    held by one of them would stay locked in the copy) or off Linux (macOS system
    libraries; Windows has no fork).
    """
    method = os.environ.get(START_METHOD_ENV)
    if method:
        if method not in multiprocessing.get_all_start_methods():
            raise ZhnlpError(f"${START_METHOD_ENV} must be one of "
                             f"{', '.join(multiprocessing.get_all_start_methods())}, not {method!r}")
        return method
    return "fork" if sys.platform.startswith("linux") and _threads() == 1 else "spawn"


def _broken_pool_message(method: str) -> str:
    """What to tell the user when a worker process died: for spawn/forkserver and a main
    script, most often a call at the script's top level that each worker re-ran."""
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


def call_in_child(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` computed in a short-lived child process (started as
    :func:`default_start_method` says), so that what it builds does not stay in this one."""
    method = default_start_method()
    try:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context(method)) as pool:
            return pool.submit(fn, *args).result()
    except BrokenProcessPool:
        raise ZhnlpError(_broken_pool_message(method)) from None


def ordered_map(fn: Callable[[Any], Any], items: Iterable[Any], jobs: int, *,
                initializer: Callable[..., None] | None = None, initargs: tuple = (),
                in_flight: int | None = None, start_method: str | None = None) -> Iterator[Any]:
    """Yield ``fn(item)`` for each item, in input order, computed by ``jobs`` processes.

    Unlike ``Pool.imap`` (whose feeder thread reads the whole input), at most ``in_flight``
    items (default ``jobs + 2``) are submitted at once, so memory does not grow with the
    input. ``start_method`` defaults to :func:`default_start_method`. A worker that dies
    (for spawn: most often an unguarded main script) is a :class:`ZhnlpError` that says so.
    """
    method = start_method or default_start_method()
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
    except BrokenProcessPool:
        raise ZhnlpError(_broken_pool_message(method)) from None
    finally:
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
