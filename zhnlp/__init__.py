"""zhnlp: Chinese NLP preprocessing and tagging: segment, featurize, batch, model.

Importing zhnlp is cheap: names load on first access (no torch, gensim or pandas here).
"""
from __future__ import annotations

from . import _moved

__version__ = "0.1.0"
_moved.install()  # old module paths (zhnlp.tagger, zhnlp.batching...) keep working

_LAZY = {
    "load": ("zhnlp.tasks.loading", "load"),
    "Segmenter": ("zhnlp.text.segment", "Segmenter"),
    "ZhnlpError": ("zhnlp.errors", "ZhnlpError"),
    "InputError": ("zhnlp.errors", "InputError"),
    "DictionaryFormatError": ("zhnlp.errors", "DictionaryFormatError"),
    "read_lexicon": ("zhnlp.text.dictionary", "read_lexicon"),
    "segment_files": ("zhnlp.corpus.runner", "segment_files"),
    "score_segmentation": ("zhnlp.training.metrics", "score_segmentation"),
    "Vocab": ("zhnlp.text.vocab", "Vocab"),
    "build_vocab": ("zhnlp.text.vocab", "build_vocab"),
    "one_hot": ("zhnlp.text.vocab", "one_hot"),
    "one_hot_sparse": ("zhnlp.text.vocab", "one_hot_sparse"),
    "pad_batch": ("zhnlp.training.batching", "pad_batch"),
    "train_vectors": ("zhnlp.embeddings", "train_vectors"),
    "load_vectors": ("zhnlp.embeddings", "load_vectors"),
    "save_vectors": ("zhnlp.embeddings", "save_vectors"),
    "embedding_matrix": ("zhnlp.embeddings", "embedding_matrix"),
    "load_tagger": ("zhnlp.tasks.tagger", "load_tagger"),
    "train_tagger": ("zhnlp.tasks.tagger", "train_tagger"),
    "TaggerConfig": ("zhnlp.tasks.tagger", "TaggerConfig"),
    "TrainConfig": ("zhnlp.training.trainer", "TrainConfig"),
    "load_classifier": ("zhnlp.tasks.classifier", "load_classifier"),
    "train_classifier": ("zhnlp.tasks.classifier", "train_classifier"),
    "ClassifierConfig": ("zhnlp.tasks.classifier", "ClassifierConfig"),
    "read_labeled": ("zhnlp.formats.tables", "read_labeled"),
    "load_translator": ("zhnlp.tasks.translator", "load_translator"),
    "train_seq2seq": ("zhnlp.tasks.translator", "train_seq2seq"),
    "Seq2SeqConfig": ("zhnlp.tasks.translator", "Seq2SeqConfig"),
    "read_pairs": ("zhnlp.formats.pairs", "read_pairs"),
    "tokenize_en": ("zhnlp.formats.pairs", "tokenize_en"),
    "detokenize_en": ("zhnlp.formats.pairs", "detokenize_en"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'zhnlp' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
