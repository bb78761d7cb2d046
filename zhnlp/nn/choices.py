"""The networks' named variants, without torch: configs check them before any network is built."""
from __future__ import annotations

POOLINGS = ("last", "max", "mean", "attention")  # how a classifier's GRU states become one vector
ATTENTIONS = ("dot", "additive")                 # Luong (multiplicative) or Bahdanau (additive) attention
CLASSIFIER_NETWORKS = ("gru", "textcnn", "transformer")  # a classifier's encoder (--model of train-classifier)

__all__ = ["ATTENTIONS", "CLASSIFIER_NETWORKS", "POOLINGS"]
