"""Word vectors: train (word2vec, fastText), read and write, evaluate, embedding matrices.

The names of :mod:`zhnlp.embeddings.vectors` are importable from here, as before the layout
moved them (``from zhnlp.embeddings import load_vectors``).
"""
from .vectors import *  # noqa: F401,F403
from .vectors import __all__  # noqa: F401
