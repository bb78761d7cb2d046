"""Bundled pretrained vectors (installed as zhnlp.vectors): --embeddings zh-char128, --bigram-embeddings zh-bigram64."""
