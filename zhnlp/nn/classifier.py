"""GRU text classifier: embeddings → (bi)GRU → pooling over the real positions only → linear."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .choices import POOLINGS
from .rnn import lengths_to_mask, run_rnn


@dataclass
class ClassifierNetConfig:
    """Shapes and regularisation of the network (text options live in ClassifierConfig)."""
    n_tokens: int
    n_classes: int
    emb_dim: int = 128
    hidden: int = 128               # GRU units per direction
    layers: int = 1
    bidirectional: bool = True
    pooling: str = "max"
    dropout: float = 0.3
    pad_id: int = 0
    n_bigrams: int = 0              # character-bigram embeddings added to the token embeddings (0: none)
    n_ngrams: int = 0               # a linear "wide" part over the text's n-gram set (0: none)


class GRUClassifier(nn.Module):
    """``logits(ids, lengths, bigrams=None)`` → (B, n_classes)."""
    def __init__(self, cfg: ClassifierNetConfig) -> None:
        super().__init__()
        if cfg.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, not {cfg.pooling!r}")
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.n_tokens, cfg.emb_dim, padding_idx=cfg.pad_id)
        self.bigram_embed = nn.Embedding(cfg.n_bigrams, cfg.emb_dim, padding_idx=0) if cfg.n_bigrams else None
        self.dropout = nn.Dropout(cfg.dropout)
        self.rnn = nn.GRU(cfg.emb_dim, cfg.hidden, num_layers=cfg.layers, bidirectional=cfg.bidirectional,
                          batch_first=True, dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        out_dim = cfg.hidden * (2 if cfg.bidirectional else 1)
        self.attn = nn.Linear(out_dim, 1, bias=False) if cfg.pooling == "attention" else None
        self.out = nn.Linear(out_dim, cfg.n_classes)
        self.wide = nn.Embedding(cfg.n_ngrams, cfg.n_classes, padding_idx=0) if cfg.n_ngrams else None
        if self.wide is not None:
            nn.init.zeros_(self.wide.weight)

    def logits(self, ids: torch.Tensor, lengths: torch.Tensor, bigrams: torch.Tensor | None = None,
               ngrams: torch.Tensor | None = None) -> torch.Tensor:
        """Class scores: the GRU's, plus the wide part's (linear over the n-gram set, L2-normalised) when configured."""
        x = self.embed(ids)
        if self.bigram_embed is not None and bigrams is not None:
            x = x + self.bigram_embed(bigrams)
        x = self.dropout(x)
        need_hidden = self.cfg.pooling == "last"
        out, h = run_rnn(self.rnn, x, lengths, need_hidden=need_hidden)  # (B, T, dirs*H)
        pooled = self.pool(out, h, lengths)
        scores = self.out(self.dropout(pooled))
        if self.wide is not None and ngrams is not None:
            count = (ngrams != 0).sum(1, keepdim=True).clamp(min=1).to(scores.dtype)
            scores = scores + self.wide(ngrams).sum(1) / count.sqrt()
        return scores

    def pool(self, out: torch.Tensor, h: torch.Tensor | None, lengths: torch.Tensor) -> torch.Tensor:
        """One vector per sequence from the GRU outputs (padding excluded): last state, max, mean or attention."""
        kind = self.cfg.pooling
        if kind == "last":  # last layer's final state of each direction
            dirs = 2 if self.cfg.bidirectional else 1
            return torch.cat([h[-dirs + d] for d in range(dirs)], -1)
        mask = lengths_to_mask(lengths.to(out.device), out.shape[1]).unsqueeze(2)  # (B, T, 1)
        if kind == "max":
            return out.masked_fill(~mask, float("-inf")).max(1).values
        if kind == "mean":
            return (out * mask).sum(1) / mask.sum(1).clamp(min=1)
        scores = self.attn(out).masked_fill(~mask, float("-inf"))  # (B, T, 1)
        weights = torch.softmax(scores.float(), 1).to(out.dtype)
        return (weights * out).sum(1)


class ClassifierEnsemble(nn.Module):
    """Several trained classifiers as one: ``logits`` are the log of the members' mean probabilities."""
    def __init__(self, cfgs: list[ClassifierNetConfig]) -> None:
        super().__init__()
        if not cfgs:
            raise ValueError("an ensemble needs at least one member")
        self.members = nn.ModuleList(GRUClassifier(c) for c in cfgs)

    def logits(self, ids: torch.Tensor, lengths: torch.Tensor, bigrams: torch.Tensor | None = None,
               ngrams: torch.Tensor | None = None) -> torch.Tensor:
        probs = torch.stack([torch.softmax(m.logits(ids, lengths, bigrams, ngrams).float(), -1)
                             for m in self.members]).mean(0)
        return probs.clamp_min(torch.finfo(probs.dtype).tiny).log()


__all__ = ["GRUClassifier", "ClassifierEnsemble", "ClassifierNetConfig", "POOLINGS"]
