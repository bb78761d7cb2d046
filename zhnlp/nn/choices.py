"""The networks' named variants, without torch: configs check them before any network is built."""
from __future__ import annotations

POOLINGS = ("last", "max", "mean", "attention")  # how a classifier's GRU states become one vector
ATTENTIONS = ("dot", "additive")                 # Luong (multiplicative) or Bahdanau (additive) attention

__all__ = ["POOLINGS", "ATTENTIONS"]
