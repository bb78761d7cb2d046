"""BiLSTM-CRF tagger: token (and feature) embeddings → BiLSTM over the real positions → emissions → CRF."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from .crf import CRF, viterbi
from .rnn import run_rnn

PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16}  # inference precisions of the LSTM


@dataclass
class TaggerNetConfig:
    """Shapes and regularisation of the network (the task-level options live in TaggerConfig)."""
    n_tokens: int
    n_tags: int
    emb_dim: int = 128
    hidden: int = 128               # per direction
    layers: int = 1
    dropout: float = 0.5
    features: dict[str, int] = field(default_factory=dict)      # feature name -> vocabulary size
    feature_dims: dict[str, int] = field(default_factory=dict)  # feature name -> embedding size
    pad_id: int = 0
    use_crf: bool = True


class _Decoding:
    """``decode`` from ``emissions`` and ``transition_scores``: Viterbi, or the best tag per token without a CRF."""
    @torch.no_grad()
    def decode(self, batch: dict, constrained: bool = True, executor=None) -> list[list[int]]:
        em = self.emissions(batch["ids"], batch.get("features", {}), batch["lengths"], executor)
        scores = self.transition_scores(constrained)
        if scores is not None:
            return viterbi(em.float(), batch["mask"], *scores)
        best = em.argmax(-1).tolist()
        return [row[:n] for row, n in zip(best, batch["lengths"].tolist())]


class BiLSTMCRF(_Decoding, nn.Module):
    """``emissions(batch)`` → (B, T, K); ``loss`` (summed CRF NLL) and ``decode`` use the mask."""
    def __init__(self, cfg: TaggerNetConfig, allowed=None) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.n_tokens, cfg.emb_dim, padding_idx=cfg.pad_id)
        self.feature_embed = nn.ModuleDict({
            name: nn.Embedding(size, cfg.feature_dims[name], padding_idx=0)
            for name, size in sorted(cfg.features.items())})
        in_dim = cfg.emb_dim + sum(cfg.feature_dims[n] for n in cfg.features)
        self.dropout = nn.Dropout(cfg.dropout)
        self.rnn = nn.LSTM(in_dim, cfg.hidden, num_layers=cfg.layers, bidirectional=True, batch_first=True,
                           dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        self.proj = nn.Linear(2 * cfg.hidden, cfg.n_tags)
        self.crf = CRF(cfg.n_tags, allowed) if cfg.use_crf else None

    def set_precision(self, precision: str) -> "BiLSTMCRF":
        """Run the LSTM and the emission layer in ``fp32`` or ``bf16`` (about half the CPU time with AVX-512 BF16
        or AMX, at the cost of rare one-tag differences); embeddings and the CRF stay float32."""
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
        self.rnn.to(PRECISIONS[precision])
        self.proj.to(PRECISIONS[precision])
        return self

    def emissions(self, ids: torch.Tensor, features: dict[str, torch.Tensor], lengths: torch.Tensor,
                  executor=None) -> torch.Tensor:
        """(B, T, K) tag scores; ``executor`` runs the LSTM's backward direction at inference (see ``run_rnn``)."""
        x = [self.embed(ids)]  # (B, T, emb)
        x += [self.feature_embed[name](features[name]) for name in sorted(self.feature_embed)]
        h = self.dropout(torch.cat(x, -1) if len(x) > 1 else x[0])
        out, _ = run_rnn(self.rnn, h.to(self.rnn.weight_ih_l0.dtype), lengths, need_hidden=False,
                         executor=executor)  # (B, T, 2*hidden)
        return self.proj(self.dropout(out)).to(h.dtype)  # (B, T, K)

    def loss(self, batch: dict) -> torch.Tensor:
        """Summed loss over the batch: CRF NLL, or token cross-entropy without a CRF."""
        em = self.emissions(batch["ids"], batch.get("features", {}), batch["lengths"])
        if self.crf is not None:
            return self.crf.nll(em, batch["tags"], batch["mask"])
        return nn.functional.cross_entropy(em[batch["mask"]].float(), batch["tags"][batch["mask"]], reduction="sum")

    def transition_scores(self, constrained: bool = True):
        """The CRF's (start, transitions, end) scores (see ``CRF.scores``); None without a CRF."""
        return self.crf.scores(constrained) if self.crf is not None else None


class TaggerEnsemble(_Decoding, nn.Module):
    """BiLSTM-CRFs decoding as one: one Viterbi over their averaged scores, so the output obeys the tag scheme."""
    def __init__(self, cfgs: list[TaggerNetConfig], allowed=None) -> None:
        super().__init__()
        if not cfgs:
            raise ValueError("an ensemble needs at least one member")
        self.members = nn.ModuleList(BiLSTMCRF(c, allowed) for c in cfgs)

    def set_precision(self, precision: str) -> "TaggerEnsemble":
        for m in self.members:
            m.set_precision(precision)
        return self

    def emissions(self, ids: torch.Tensor, features: dict[str, torch.Tensor], lengths: torch.Tensor,
                  executor=None) -> torch.Tensor:
        return torch.stack([m.emissions(ids, features, lengths, executor).float() for m in self.members]).mean(0)

    def loss(self, batch: dict) -> torch.Tensor:
        raise TypeError("an ensemble is built from trained taggers (zhnlp ensemble), not trained as one")

    def transition_scores(self, constrained: bool = True):
        """The members' (start, transitions, end) scores averaged; None without a CRF."""
        parts = [m.transition_scores(constrained) for m in self.members]
        if parts[0] is None:
            return None
        return tuple(torch.stack(p).mean(0) for p in zip(*parts))


__all__ = ["BiLSTMCRF", "TaggerEnsemble", "TaggerNetConfig", "PRECISIONS"]
