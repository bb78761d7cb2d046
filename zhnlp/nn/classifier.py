"""Text classifiers: embeddings → an encoder (bi-GRU, TextCNN or Transformer) → pooling over the real positions only
→ linear."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .choices import CLASSIFIER_NETWORKS, POOLINGS
from .rnn import lengths_to_mask, run_rnn
from .transformer import TransformerEncoder

TEXTCNN_WIDTHS = (2, 3, 4)  # TextCNN's filter widths (Kim 2014): --hidden filters of each


@dataclass
class ClassifierNetConfig:
    """Shapes and regularisation of the network (text options live in ClassifierConfig)."""
    n_tokens: int
    n_classes: int
    emb_dim: int = 128
    hidden: int = 128               # GRU units per direction; TextCNN filters per width; Transformer size
    layers: int = 1
    bidirectional: bool = True
    pooling: str = "max"
    dropout: float = 0.3
    pad_id: int = 0
    n_bigrams: int = 0              # character-bigram embeddings added to the token embeddings (0: none)
    n_ngrams: int = 0               # a linear "wide" part over the text's n-gram set (0: none)
    network: str = "gru"            # gru | textcnn | transformer (models saved before it existed are GRUs)
    heads: int = 0                  # Transformer: attention heads
    ff: int = 0                     # Transformer: feed-forward width


class _TextNet(nn.Module):
    """What every classifier network shares: token (+ bigram) embeddings in, a linear layer and the wide part out."""
    def __init__(self, cfg: ClassifierNetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.n_tokens, cfg.emb_dim, padding_idx=cfg.pad_id)
        self.bigram_embed = nn.Embedding(cfg.n_bigrams, cfg.emb_dim, padding_idx=0) if cfg.n_bigrams else None
        self.dropout = nn.Dropout(cfg.dropout)

    def _head(self, in_dim: int) -> None:
        """The output layer and the wide part (made after the encoder: parameters keep their order and seeds)."""
        self.out = nn.Linear(in_dim, self.cfg.n_classes)
        self.wide = nn.Embedding(self.cfg.n_ngrams, self.cfg.n_classes, padding_idx=0) if self.cfg.n_ngrams else None
        if self.wide is not None:
            nn.init.zeros_(self.wide.weight)

    def logits(self, ids: torch.Tensor, lengths: torch.Tensor, bigrams: torch.Tensor | None = None,
               ngrams: torch.Tensor | None = None) -> torch.Tensor:
        """Class scores (B, n_classes): the encoder's, plus the wide part's (linear over the n-gram set,
        L2-normalised) when configured."""
        x = self.embed(ids)
        if self.bigram_embed is not None and bigrams is not None:
            x = x + self.bigram_embed(bigrams)
        scores = self.out(self.dropout(self.encode(x, lengths)))
        if self.wide is not None and ngrams is not None:
            count = (ngrams != 0).sum(1, keepdim=True).clamp(min=1).to(scores.dtype)
            scores = scores + self.wide(ngrams).sum(1) / count.sqrt()
        return scores

    def encode(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """One vector per text (B, D) from its embeddings (B, T, E), padding excluded (dropout on x is its choice)."""
        raise NotImplementedError


class GRUClassifier(_TextNet):
    """``logits(ids, lengths, bigrams=None, ngrams=None)`` → (B, n_classes) through a (bi)GRU and pooling."""
    def __init__(self, cfg: ClassifierNetConfig) -> None:
        super().__init__(cfg)
        if cfg.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, not {cfg.pooling!r}")
        self.rnn = nn.GRU(cfg.emb_dim, cfg.hidden, num_layers=cfg.layers, bidirectional=cfg.bidirectional,
                          batch_first=True, dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        out_dim = cfg.hidden * (2 if cfg.bidirectional else 1)
        self.attn = nn.Linear(out_dim, 1, bias=False) if cfg.pooling == "attention" else None
        self._head(out_dim)

    def encode(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        out, h = run_rnn(self.rnn, self.dropout(x), lengths, need_hidden=self.cfg.pooling == "last")  # (B, T, dirs*H)
        return self.pool(out, h, lengths)

    def pool(self, out: torch.Tensor, h: torch.Tensor | None, lengths: torch.Tensor) -> torch.Tensor:
        """One vector per sequence from the GRU outputs (padding excluded): last state, max, mean or attention."""
        kind = self.cfg.pooling
        if kind == "last":  # last layer's final state of each direction
            dirs = 2 if self.cfg.bidirectional else 1
            return torch.cat([h[-dirs + d] for d in range(dirs)], -1)
        mask = lengths_to_mask(lengths.to(out.device), out.shape[1]).unsqueeze(2)  # (B, T, 1)
        if kind in ("max", "mean"):
            return masked_pool(out, mask, kind)
        scores = self.attn(out).masked_fill(~mask, float("-inf"))  # (B, T, 1)
        weights = torch.softmax(scores.float(), 1).to(out.dtype)
        return (weights * out).sum(1)


class TextCNN(_TextNet):
    """Kim (2014): wide convolutions of widths 2, 3, 4 over the embeddings, ReLU, max over the windows that hold
    a real token (a text scores the same alone as in a padded batch); dropout on the pooled features only, as Kim's
    (hotel dev 91.49 against 89.82 with the GRU's dropout on the embeddings too, and faster: docs/experiments.md)."""
    def __init__(self, cfg: ClassifierNetConfig) -> None:
        super().__init__(cfg)
        self.convs = nn.ModuleList(nn.Conv1d(cfg.emb_dim, cfg.hidden, k) for k in TEXTCNN_WIDTHS)  # weights only
        self._head(cfg.hidden * len(TEXTCNN_WIDTHS))

    def encode(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        lengths = lengths.to(x.device)
        x = x.masked_fill(~lengths_to_mask(lengths, x.shape[1]).unsqueeze(2), 0)
        # (B, E, 1, T) with channels-last strides, a view of the (B, T, E) embeddings: as a 2-D convolution of
        # height 1, oneDNN reads them without the copy a (B, E, T) Conv1d input needs (an epoch about 20% faster)
        x = x.unsqueeze(1).permute(0, 3, 1, 2)
        pooled = []
        for k, conv in zip(TEXTCNN_WIDTHS, self.convs):
            h = nn.functional.conv2d(x, conv.weight.unsqueeze(2), conv.bias, padding=(0, k - 1))
            h = h.squeeze(2).transpose(1, 2)  # (B, T + k - 1, F), in memory order: window t covers tokens t-k+1..t
            real = lengths_to_mask(lengths + (k - 1), h.shape[1]).unsqueeze(2)  # (B, T + k - 1, 1)
            # -inf added to the windows without a real token: cheaper than masking h, forwards and backwards
            pooled.append((h + torch.zeros(real.shape, dtype=h.dtype, device=h.device).masked_fill_(
                ~real, float("-inf"))).max(1).values)
        return torch.relu(torch.cat(pooled, 1))  # max, then ReLU: the same as ReLU, then max


class TransformerClassifier(_TextNet):
    """The embeddings projected to ``hidden``, TENER's Transformer encoder (``layers`` blocks, ``heads`` heads,
    feed-forward ``ff``), the maximum or mean over the real positions."""
    POOLINGS = ("max", "mean")

    def __init__(self, cfg: ClassifierNetConfig) -> None:
        super().__init__(cfg)
        if cfg.pooling not in self.POOLINGS:
            raise ValueError(f"a Transformer classifier pools by {' or '.join(self.POOLINGS)}, not {cfg.pooling!r}")
        self.inp = nn.Linear(cfg.emb_dim, cfg.hidden)
        self.encoder = TransformerEncoder(cfg.hidden, cfg.layers, cfg.heads, cfg.ff, cfg.dropout)
        self._head(cfg.hidden)

    def encode(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        mask = lengths_to_mask(lengths.to(x.device), x.shape[1])  # (B, T)
        return masked_pool(self.encoder(self.inp(self.dropout(x)), mask), mask.unsqueeze(2), self.cfg.pooling)


def masked_pool(out: torch.Tensor, mask: torch.Tensor, kind: str) -> torch.Tensor:
    """The maximum or mean of ``out`` (B, T, D) over the positions where ``mask`` (B, T, 1) is True."""
    if kind == "max":
        return out.masked_fill(~mask, float("-inf")).max(1).values
    return (out * mask).sum(1) / mask.sum(1).clamp(min=1)


NETWORKS = {"gru": GRUClassifier, "textcnn": TextCNN, "transformer": TransformerClassifier}


def make_classifier_net(cfg: ClassifierNetConfig) -> _TextNet:
    """The network ``cfg.network`` names (training and loading build it here)."""
    if cfg.network not in NETWORKS:
        raise ValueError(f"network must be one of {', '.join(NETWORKS)}, not {cfg.network!r}")
    return NETWORKS[cfg.network](cfg)


class ClassifierEnsemble(nn.Module):
    """Several trained classifiers as one: ``logits`` are the log of the members' mean probabilities."""
    def __init__(self, cfgs: list[ClassifierNetConfig]) -> None:
        super().__init__()
        if not cfgs:
            raise ValueError("an ensemble needs at least one member")
        self.members = nn.ModuleList(make_classifier_net(c) for c in cfgs)

    def logits(self, ids: torch.Tensor, lengths: torch.Tensor, bigrams: torch.Tensor | None = None,
               ngrams: torch.Tensor | None = None) -> torch.Tensor:
        probs = torch.stack([torch.softmax(m.logits(ids, lengths, bigrams, ngrams).float(), -1)
                             for m in self.members]).mean(0)
        return probs.clamp_min(torch.finfo(probs.dtype).tiny).log()


__all__ = [
    "CLASSIFIER_NETWORKS",
    "POOLINGS",
    "TEXTCNN_WIDTHS",
    "ClassifierEnsemble",
    "ClassifierNetConfig",
    "GRUClassifier",
    "TextCNN",
    "TransformerClassifier",
    "make_classifier_net",
    "masked_pool",
]
