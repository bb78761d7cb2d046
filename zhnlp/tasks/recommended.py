"""The settings a model trains with when its user names none, chosen on the dev splits of ResumeNER, MSRA, UD
Chinese, the hotel and the shopping reviews (docs/experiments.md, "Defaults"): the library's defaults and the
``zhnlp train-*`` commands' alike. ``auto`` vectors are the bundled ones of that kind and size (none where there
are none)."""
from __future__ import annotations

from typing import Any

from ..resources import auto_vectors
from ..training.trainer import TrainConfig

#: Tagger settings (TaggerConfig fields) by what the tagger reads: characters (NER, CWS) take bigrams and soft-word
#: features from the bundled vectors; words (POS) two layers, word dropout and first/last-character embeddings.
TAGGER_BY_LEVEL: dict[str, dict[str, Any]] = {
    "char": {"hidden": 256, "layers": 1, "bigram": True, "softword": True, "embeddings": "auto",
             "bigram_embeddings": "auto", "word_dropout": 0.0, "affix_dim": 32, "affix_embeddings": None},
    "word": {"hidden": 256, "layers": 2, "bigram": False, "softword": False, "embeddings": None,
             "bigram_embeddings": "auto", "word_dropout": 0.25, "affix_dim": 128, "affix_embeddings": "auto"},
}
#: Classifier settings (ClassifierConfig fields): character vectors, a wide part over the 1-3-grams seen 3 times or
#: more, dropout 0.5.
CLASSIFIER: dict[str, Any] = {"embeddings": "auto", "ngrams": 3, "ngram_min_freq": 3, "dropout": 0.5}
#: Training settings (TrainConfig fields) of each kind of model: patience ends a run, the epoch cap is a guard.
TRAINING: dict[str, dict[str, Any]] = {
    "tagger": {"epochs": 100, "batch_size": 32, "lr": 2e-3, "patience": 8},
    "classifier": {"epochs": 100, "batch_size": 64, "lr": 2e-3, "patience": 3, "adversarial": 1.0},
    "seq2seq": {"epochs": 40, "batch_size": 64, "lr": 2e-3, "lr_decay": 0.85, "patience": 3},
}


def recommended_training(kind: str, **changes: Any) -> TrainConfig:
    """The training settings of a ``tagger``, ``classifier`` or ``seq2seq`` model when none are named, with
    ``changes``."""
    return TrainConfig(**{**TRAINING[kind], **changes})


def tagger_level(task: str) -> str:
    """What a tagger of ``task`` reads: words for POS, characters otherwise."""
    return "word" if task == "pos" else "char"


def vectors_named(value: str | None, kind: str = "char", dim: int = 0) -> str | None:
    """A vectors setting's file or bundled name: ``none`` (any case) is none, ``auto`` the bundled vectors of
    ``kind`` that have ``dim`` dimensions, if any."""
    if value is None or value.lower() == "none":
        return None
    return auto_vectors(kind, dim) if value.lower() == "auto" else value
