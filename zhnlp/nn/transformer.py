"""TENER's Transformer encoder (Yan et al. 2019): relative, direction-aware, un-scaled attention; pre-norm blocks,
or post-norm ones as in TENER's code (the Transformer-CRF's since they scored higher on ResumeNER dev).

NER needs to know which side a context token lies on and how far away it is, and sharp attention: TENER scores
key j for query t as ``q_t·k_j + q_t·R[t-j] + u·k_j + v·R[t-j]``, with R the sinusoids of the signed offset
(not projected; sin makes R[-d] differ from R[d]), u and v learned per head, and no 1/sqrt(d) scaling.
Only relative positions enter, so a sentence's outputs do not depend on the padding after it.
"""
from __future__ import annotations

import torch
from torch import nn


def relative_sinusoids(length: int, dim: int, dtype: torch.dtype = torch.float32,
                       device: torch.device | str | None = None) -> torch.Tensor:
    """(2*length - 1, dim) encodings of the offsets -(length-1) .. length-1: [sin(c_i d), cos(c_i d)], c_i = 1e4^(-2i/dim)."""
    half = dim // 2
    freq = torch.exp(torch.arange(half, dtype=torch.float32, device=device) * (-torch.log(torch.tensor(1e4)) / half))
    offsets = torch.arange(-(length - 1), length, dtype=torch.float32, device=device)
    angles = offsets[:, None] * freq[None, :]  # (2T-1, dim/2)
    return torch.cat([angles.sin(), angles.cos()], -1).to(dtype)


class RelativeSelfAttention(nn.Module):
    """Multi-head self-attention with TENER's relative scores; padded keys (mask False) get no weight."""
    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.u = nn.Parameter(torch.empty(heads, self.head_dim))  # content bias: u·k_j
        self.v = nn.Parameter(torch.empty(heads, self.head_dim))  # position bias: v·R[t-j]
        nn.init.xavier_normal_(self.u)
        nn.init.xavier_normal_(self.v)
        self.out = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(dropout)

    def scores(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Un-scaled scores (B, H, T, T) over every key, and the values (B, H, T, head_dim)."""
        B, T, _ = x.shape
        q, k, val = self.qkv(x).view(B, T, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)  # each (B, H, T, dh)
        kt = k.transpose(-1, -2)  # (B, H, dh, T)
        content = q @ kt + self.u[:, None, :] @ kt  # (B, H, T, T): q·k, plus u·k (B, H, 1, T)
        rel = relative_sinusoids(T, self.head_dim, x.dtype, x.device).flip(0).t()  # (dh, 2T-1): column m, offset T-1-m
        position = (q @ rel + (self.v @ rel)[:, None]).contiguous()  # (B, H, T, 2T-1): q·R + v·R, every offset
        # (t, j) needs offset t-j, column T-1-t+j: row t's T columns start one earlier than row t-1's, so a strided
        # view of the rows (stride 2T-2) skews them into place (Transformer-XL's relative shift, without a copy)
        sb, sh, _, _ = position.stride()
        shifted = position.as_strided((B, self.heads, T, T), (sb, sh, 2 * T - 2, 1),
                                      position.storage_offset() + T - 1)
        return content + shifted, val

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (B, T, dim), mask (B, T) True at real tokens -> (B, T, dim)."""
        B, T, D = x.shape
        s, val = self.scores(x)
        s = s.masked_fill(~mask[:, None, None, :], torch.finfo(s.dtype).min)  # exp() of it is exactly 0
        attn = self.dropout(torch.softmax(s, -1))
        return self.out((attn @ val).transpose(1, 2).reshape(B, T, D))


NORMS = ("post", "pre")  # where a block's LayerNorms sit: after each residual sum (TENER), or before each sublayer


class _Block(nn.Module):
    """Residual block: post-norm LayerNorm(x + attention(x)), then LayerNorm(x + feed-forward(x)); pre-norm
    x + attention(LayerNorm(x)), then x + feed-forward(LayerNorm(x))."""
    def __init__(self, dim: int, heads: int, ff: int, dropout: float, post_norm: bool) -> None:
        super().__init__()
        self.post_norm = post_norm
        self.norm_attn = nn.LayerNorm(dim)
        self.attn = RelativeSelfAttention(dim, heads, dropout)
        self.norm_ff = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, ff), nn.ReLU(), nn.Dropout(dropout), nn.Linear(ff, dim))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.post_norm:
            x = self.norm_attn(x + self.dropout(self.attn(x, mask)))
            return self.norm_ff(x + self.dropout(self.ff(x)))
        x = x + self.dropout(self.attn(self.norm_attn(x), mask))
        return x + self.dropout(self.ff(self.norm_ff(x)))


class TransformerEncoder(nn.Module):
    """``layers`` blocks (``norm``: one of NORMS) of TENER attention (``heads`` heads) and a ReLU feed-forward of
    width ``ff``."""
    def __init__(self, dim: int, layers: int, heads: int, ff: int, dropout: float, norm: str = "pre") -> None:
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {', '.join(NORMS)}, not {norm!r}")
        if heads < 1 or dim % heads:
            raise ValueError(f"the model size ({dim}) must be a multiple of the number of heads ({heads})")
        if (dim // heads) % 2:
            raise ValueError(f"the size per head ({dim // heads}) must be even: it holds sine and cosine pairs")
        if layers < 1:
            raise ValueError(f"a Transformer encoder needs at least one layer, not {layers}")
        self.blocks = nn.ModuleList(_Block(dim, heads, ff, dropout, norm == "post") for _ in range(layers))
        self.norm = nn.LayerNorm(dim) if norm == "pre" else None  # pre-norm blocks leave the stream un-normalised

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (B, T, dim), mask (B, T) True at real tokens -> (B, T, dim), zeros at padded positions."""
        for block in self.blocks:
            x = block(x, mask)
        if self.norm is not None:
            x = self.norm(x)
        return x * mask.unsqueeze(-1).to(x.dtype)


__all__ = ["NORMS", "RelativeSelfAttention", "TransformerEncoder", "relative_sinusoids"]
