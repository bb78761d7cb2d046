"""Embedding matrices: a vocabulary's rows filled from word vectors (coverage reported) or another model's rows."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..checks import check_choice
from ..errors import ZhnlpError
from .vectors import as_vectors, load_vectors

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from ..text.vocab import Vocab


INITS = ("normal", "uniform", "zeros")


@dataclass
class Coverage:
    """How much of a vocabulary (specials aside) has pretrained vectors, in tokens and occurrences."""

    tokens_covered: int
    tokens_total: int
    share_of_vocab: float
    occurrences_covered: int
    share_of_occurrences: float
    from_subwords: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def load_pretrained(embedding, vocab: "Vocab", path: str | Path, *, freeze: bool = False,
                    dim_option: str = "--emb-dim", fold_case: bool = False) -> dict:
    """Copy vectors from ``path`` into an ``nn.Embedding`` over ``vocab`` (``freeze``: fixed); returns the coverage.
    ``dim_option`` names the option that sets the embedding's size, for the error message."""
    matrix, cov = embedding_matrix(vocab, load_vectors(path), fold_case=fold_case)
    dim = embedding.weight.shape[1]
    if matrix.shape[1] != dim:
        raise ZhnlpError(f"{path}: vectors have {matrix.shape[1]} dimensions, "
                         f"{dim_option} is {dim} (set {dim_option} {matrix.shape[1]})")
    embedding.weight.data.copy_(matrix)
    embedding.weight.requires_grad = not freeze
    return cov.as_dict()


def copy_rows(embedding, vocab: "Vocab", weights, source_vocab: "Vocab") -> int:
    """Copy ``weights`` rows of entries both vocabularies hold (padding aside) into ``embedding``; returns the count."""
    import torch

    pairs = [(i, source_vocab.stoi[tok]) for i, tok in enumerate(vocab.itos)
             if tok in source_vocab.stoi and i != vocab.pad_id]
    if pairs:
        dst, src = (torch.tensor(x) for x in zip(*pairs))
        with torch.no_grad():
            embedding.weight[dst] = weights[src].to(embedding.weight.dtype)
    return len(pairs)


def embedding_matrix(vocab: "Vocab", vectors: Any, *, init: str = "normal", scale: float | None = None,
                     seed: int = 0, fold_case: bool = False) -> tuple["torch.Tensor", Coverage]:
    """A ``[len(vocab), dim]`` tensor of the tokens' vectors (PAD zero, others drawn by ``init``) and the coverage.
    ``fold_case``: a lower-cased vocabulary's tokens also find the vectors of other cases (the most frequent first)."""
    import numpy as np
    import torch

    check_choice("init", init, INITS)
    if scale is not None and not scale >= 0:
        raise ZhnlpError(f"scale must be at least 0, not {scale!r}")
    vec = as_vectors(vectors)
    dim = vec.dim
    specials = set(vocab.specials)
    matrix = np.zeros((len(vocab), dim), dtype=np.float32)
    covered = np.zeros(len(vocab), dtype=bool)
    key_to_index = vec.kv.key_to_index
    folded: dict[str, int] = {}
    if fold_case:  # vectors come most frequent first: the first form of each lower-cased key wins
        for key, j in key_to_index.items():
            folded.setdefault(key.lower(), j)
    in_vocab_rows, in_vocab_ids = [], []
    from_subwords = 0
    for i, tok in enumerate(vocab.itos):
        if tok in specials:
            continue
        j = key_to_index.get(tok, folded.get(tok))
        if j is not None:
            in_vocab_rows.append(i)
            in_vocab_ids.append(j)
        elif vec.subwords and tok in vec:
            matrix[i] = vec.kv.get_vector(tok)
            covered[i] = True
            from_subwords += 1
    if in_vocab_rows:
        matrix[in_vocab_rows] = vec.kv.vectors[in_vocab_ids]
        covered[in_vocab_rows] = True
    missing = ~covered  # specials included: they are drawn like uncovered tokens
    if missing.any() and init != "zeros":
        rng = np.random.default_rng(seed)
        known = matrix[covered]
        spread_default = 1.0 / math.sqrt(dim)
        if init == "normal":
            if scale is not None:
                mean, std = np.zeros(dim), np.full(dim, scale)
            elif len(known):
                mean, std = known.mean(axis=0), known.std(axis=0)
            else:
                mean, std = np.zeros(dim), np.full(dim, spread_default)
            draws = rng.normal(mean, std, size=(int(missing.sum()), dim))
        else:
            s = scale if scale is not None else (  # U(-s, s) with the covered rows' variance
                math.sqrt(3) * float(known.std()) if len(known) else spread_default)
            draws = rng.uniform(-s, s, size=(int(missing.sum()), dim))
        matrix[missing] = draws.astype(np.float32)
    if vocab.pad_id is not None:
        matrix[vocab.pad_id] = 0.0
    n_total = len(vocab) - sum(1 for t in vocab.itos if t in specials)
    n_cov = int(covered.sum())
    occ_total = sum(c for t, c in vocab.counts.items() if t not in specials and t in vocab.stoi)
    occ_cov = sum(vocab.counts.get(t, 0) for i, t in enumerate(vocab.itos) if covered[i])
    coverage = Coverage(n_cov, n_total, n_cov / n_total if n_total else 0.0, occ_cov,
                        occ_cov / occ_total if occ_total else 0.0, from_subwords)
    return torch.from_numpy(matrix), coverage


__all__ = ["Coverage", "embedding_matrix", "load_pretrained", "copy_rows", "INITS"]
