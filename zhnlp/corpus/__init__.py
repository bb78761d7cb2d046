"""Whole corpora: the file runner (streaming, parallel, atomic outputs) and its segment, tag, classify and translate
jobs, on one machine or a Dask cluster; the runner's names are importable from here, as before the layout moved."""
from .runner import *  # noqa: F401,F403
from .runner import __all__  # noqa: F401
