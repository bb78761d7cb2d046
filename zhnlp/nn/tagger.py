"""Neural taggers: token (and feature) embeddings → a BiLSTM or TENER's Transformer encoder → emissions → CRF."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from .crf import CRF, viterbi
from .rnn import run_rnn
from .transformer import TransformerEncoder

PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16}  # inference precisions of the LSTM or encoder
ENCODERS = ("bilstm", "transformer")  # what reads the embeddings (TaggerNetConfig.encoder)
HEAD_SIZE = 64  # a Transformer's size per head, as in TENER (4 heads of 64 on ResumeNER)


def transformer_heads(dim: int) -> int:
    """Heads of a ``dim``-wide Transformer: about ``dim / HEAD_SIZE`` (at least one), dividing it into even sizes."""
    for heads in range(max(1, round(dim / HEAD_SIZE)), 0, -1):
        if dim % heads == 0 and (dim // heads) % 2 == 0:
            return heads
    raise ValueError(f"a Transformer's size must be even (--hidden {dim})")


@dataclass
class TaggerNetConfig:
    """Shapes and regularisation of the network (the task-level options live in TaggerConfig)."""
    n_tokens: int
    n_tags: int
    emb_dim: int = 128
    hidden: int = 128               # LSTM units per direction; a Transformer's model size
    layers: int = 1
    dropout: float = 0.5
    features: dict[str, int] = field(default_factory=dict)      # feature name -> vocabulary size
    feature_dims: dict[str, int] = field(default_factory=dict)  # feature name -> embedding size
    pad_id: int = 0
    use_crf: bool = True
    encoder: str = "bilstm"         # one of ENCODERS (configs saved before there was a choice: a BiLSTM)
    heads: int = 0                  # Transformer: attention heads (transformer_heads)
    ff: int = 0                     # Transformer: feed-forward width (TENER: twice the model size)
    norm: str = "pre"               # Transformer: "post" or "pre" blocks (nn.transformer.NORMS; saved before: pre)
    encoder_dropout: float | None = None  # Transformer: attention and feed-forward dropout (None: dropout)
    output_dropout: float | None = None   # Transformer: dropout of the encoder's outputs (None: dropout)


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


class _Tagging(_Decoding, nn.Module):
    """What every tagger network shares: token and feature embeddings in, emissions, the CRF (or none), the loss."""
    def __init__(self, cfg: TaggerNetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.n_tokens, cfg.emb_dim, padding_idx=cfg.pad_id)
        self.feature_embed = nn.ModuleDict({
            name: nn.Embedding(size, cfg.feature_dims[name], padding_idx=0)
            for name, size in sorted(cfg.features.items())})
        self.in_dim = cfg.emb_dim + sum(cfg.feature_dims[n] for n in cfg.features)
        self.dropout = nn.Dropout(cfg.dropout)

    def make_crf(self, allowed) -> CRF | None:
        """The CRF layer, made last (the order in which the seeded weights are drawn), or None (``use_crf=False``)."""
        return CRF(self.cfg.n_tags, allowed) if self.cfg.use_crf else None

    def embedded(self, ids: torch.Tensor, features: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, T, in_dim): the token embeddings and each feature's, concatenated, after dropout."""
        x = [self.embed(ids)]  # (B, T, emb)
        x += [self.feature_embed[name](features[name]) for name in sorted(self.feature_embed)]
        return self.dropout(torch.cat(x, -1) if len(x) > 1 else x[0])

    def loss(self, batch: dict) -> torch.Tensor:
        """Summed loss over the batch: CRF NLL, or token cross-entropy without a CRF."""
        em = self.emissions(batch["ids"], batch.get("features", {}), batch["lengths"])
        if self.crf is not None:
            return self.crf.nll(em, batch["tags"], batch["mask"])
        return nn.functional.cross_entropy(em[batch["mask"]].float(), batch["tags"][batch["mask"]], reduction="sum")

    def transition_scores(self, constrained: bool = True):
        """The CRF's (start, transitions, end) scores (see ``CRF.scores``); None without a CRF."""
        return self.crf.scores(constrained) if self.crf is not None else None


def _check_precision(precision: str) -> torch.dtype:
    """The torch type of ``precision`` (one of PRECISIONS)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    return PRECISIONS[precision]


class BiLSTMCRF(_Tagging):
    """``emissions(batch)`` → (B, T, K); ``loss`` (summed CRF NLL) and ``decode`` use the mask."""
    def __init__(self, cfg: TaggerNetConfig, allowed=None) -> None:
        super().__init__(cfg)
        self.rnn = nn.LSTM(self.in_dim, cfg.hidden, num_layers=cfg.layers, bidirectional=True, batch_first=True,
                           dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        self.proj = nn.Linear(2 * cfg.hidden, cfg.n_tags)
        self.crf = self.make_crf(allowed)

    def set_precision(self, precision: str) -> BiLSTMCRF:
        """Run the LSTM and the emission layer in ``fp32`` or ``bf16`` (about half the CPU time with AVX-512 BF16
        or AMX, at the cost of rare one-tag differences); embeddings and the CRF stay float32."""
        dtype = _check_precision(precision)
        self.rnn.to(dtype)
        self.proj.to(dtype)
        return self

    def emissions(self, ids: torch.Tensor, features: dict[str, torch.Tensor], lengths: torch.Tensor,
                  executor=None) -> torch.Tensor:
        """(B, T, K) tag scores; ``executor`` runs the LSTM's backward direction at inference (see ``run_rnn``)."""
        h = self.embedded(ids, features)
        out, _ = run_rnn(self.rnn, h.to(self.rnn.weight_ih_l0.dtype), lengths, need_hidden=False,
                         executor=executor)  # (B, T, 2*hidden)
        return self.proj(self.dropout(out)).to(h.dtype)  # (B, T, K)


class TransformerCRF(_Tagging):
    """TENER: the embeddings projected to ``hidden``, TENER's Transformer encoder (``layers`` blocks, ``heads``
    heads, feed-forward ``ff``), emissions, the CRF; padding changes no real position's emissions."""
    def __init__(self, cfg: TaggerNetConfig, allowed=None) -> None:
        super().__init__(cfg)
        self.inp = nn.Linear(self.in_dim, cfg.hidden)
        inner, out = (cfg.dropout if p is None else p for p in (cfg.encoder_dropout, cfg.output_dropout))
        self.encoder = TransformerEncoder(cfg.hidden, cfg.layers, cfg.heads, cfg.ff, inner, cfg.norm)
        self.output_dropout = nn.Dropout(out)
        self.proj = nn.Linear(cfg.hidden, cfg.n_tags)
        self.crf = self.make_crf(allowed)

    def set_precision(self, precision: str) -> TransformerCRF:
        """Run the projection, the encoder and the emission layer in ``fp32`` or ``bf16``; embeddings and the CRF
        stay float32."""
        dtype = _check_precision(precision)
        for part in (self.inp, self.encoder, self.proj):
            part.to(dtype)
        return self

    def emissions(self, ids: torch.Tensor, features: dict[str, torch.Tensor], lengths: torch.Tensor,
                  executor=None) -> torch.Tensor:
        """(B, T, K) tag scores (``executor``: unused, as the BiLSTM's backward-direction thread)."""
        h = self.embedded(ids, features)
        mask = torch.arange(ids.shape[1], device=ids.device)[None, :] < lengths.to(ids.device)[:, None]  # (B, T)
        out = self.encoder(self.inp(h.to(self.inp.weight.dtype)), mask)  # (B, T, hidden)
        return self.proj(self.output_dropout(out)).to(h.dtype)  # (B, T, K)


def build_tagger_net(cfg: TaggerNetConfig, allowed=None) -> _Tagging:
    """The network ``cfg.encoder`` names: a :class:`BiLSTMCRF` or a :class:`TransformerCRF`."""
    if cfg.encoder == "transformer":
        return TransformerCRF(cfg, allowed)
    if cfg.encoder == "bilstm":
        return BiLSTMCRF(cfg, allowed)
    raise ValueError(f"a tagger's encoder is one of {', '.join(ENCODERS)}, not {cfg.encoder!r}")


class TaggerEnsemble(_Decoding, nn.Module):
    """Taggers (BiLSTM-CRFs, Transformer-CRFs) decoding as one: one Viterbi over their averaged scores, so the output
    obeys the tag scheme."""
    def __init__(self, cfgs: list[TaggerNetConfig], allowed=None) -> None:
        super().__init__()
        if not cfgs:
            raise ValueError("an ensemble needs at least one member")
        self.members = nn.ModuleList(build_tagger_net(c, allowed) for c in cfgs)

    def set_precision(self, precision: str) -> TaggerEnsemble:
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


__all__ = [
    "ENCODERS",
    "PRECISIONS",
    "BiLSTMCRF",
    "TaggerEnsemble",
    "TaggerNetConfig",
    "TransformerCRF",
    "build_tagger_net",
    "transformer_heads",
]
