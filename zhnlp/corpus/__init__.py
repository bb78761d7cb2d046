"""Whole corpora: the file runner and its segment, tag, classify and translate jobs (runner names importable)."""
from .runner import *  # noqa: F401,F403
from .runner import __all__  # noqa: F401
