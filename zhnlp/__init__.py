"""zhnlp: Chinese NLP preprocessing and tagging: segment, featurize, batch, model.

Importing zhnlp is cheap: names load on first access (no torch, gensim or pandas here).
"""
from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "Segmenter": ("zhnlp.segment", "Segmenter"),
    "ZhnlpError": ("zhnlp.errors", "ZhnlpError"),
    "InputError": ("zhnlp.errors", "InputError"),
    "DictionaryFormatError": ("zhnlp.errors", "DictionaryFormatError"),
    "read_lexicon": ("zhnlp.dictionary", "read_lexicon"),
    "segment_files": ("zhnlp.corpus", "segment_files"),
    "score_segmentation": ("zhnlp.metrics", "score_segmentation"),
    "Vocab": ("zhnlp.vocab", "Vocab"),
    "build_vocab": ("zhnlp.vocab", "build_vocab"),
    "one_hot": ("zhnlp.vocab", "one_hot"),
    "one_hot_sparse": ("zhnlp.vocab", "one_hot_sparse"),
    "pad_batch": ("zhnlp.batching", "pad_batch"),
    "train_vectors": ("zhnlp.embeddings", "train_vectors"),
    "load_vectors": ("zhnlp.embeddings", "load_vectors"),
    "save_vectors": ("zhnlp.embeddings", "save_vectors"),
    "embedding_matrix": ("zhnlp.embeddings", "embedding_matrix"),
    "load_tagger": ("zhnlp.tagger", "load_tagger"),
    "train_tagger": ("zhnlp.tagger", "train_tagger"),
    "TaggerConfig": ("zhnlp.tagger", "TaggerConfig"),
    "TrainConfig": ("zhnlp.train", "TrainConfig"),
    "load_classifier": ("zhnlp.classifier", "load_classifier"),
    "train_classifier": ("zhnlp.classifier", "train_classifier"),
    "ClassifierConfig": ("zhnlp.classifier", "ClassifierConfig"),
    "read_labeled": ("zhnlp.tables", "read_labeled"),
    "load_translator": ("zhnlp.translate", "load_translator"),
    "train_seq2seq": ("zhnlp.translate", "train_seq2seq"),
    "Seq2SeqConfig": ("zhnlp.translate", "Seq2SeqConfig"),
    "read_pairs": ("zhnlp.pairs", "read_pairs"),
    "tokenize_en": ("zhnlp.pairs", "tokenize_en"),
    "detokenize_en": ("zhnlp.pairs", "detokenize_en"),
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
