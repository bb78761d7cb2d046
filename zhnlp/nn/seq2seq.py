"""GRU encoder-decoder with Luong attention (input feeding): the network, greedy decoding, batched beam search."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .choices import ATTENTIONS
from .rnn import lengths_to_mask, run_rnn


@dataclass
class Seq2SeqNetConfig:
    """Shapes and regularisation of the network (text options live in Seq2SeqConfig)."""
    n_src: int
    n_tgt: int
    src_pad: int
    tgt_pad: int
    bos: int
    eos: int
    emb_dim: int = 256
    hidden: int = 256            # encoder units per direction; the decoder has 2 × hidden
    layers: int = 1              # encoder and decoder layers
    attention: str = "dot"       # dot (Luong general) | additive (Bahdanau)
    input_feed: bool = True      # feed h̃(t-1) to the decoder with the embedding
    dropout: float = 0.3
    tie_embeddings: bool = False  # output layer shares the target embeddings (needs emb_dim == 2 × hidden)


class Attention(nn.Module):
    """Scores of a decoder state against every encoder output, padding masked out: hᵀW s or vᵀ tanh(W s + U h)."""
    def __init__(self, kind: str, enc_dim: int, dec_dim: int) -> None:
        super().__init__()
        if kind not in ATTENTIONS:
            raise ValueError(f"attention must be one of {', '.join(ATTENTIONS)}, not {kind!r}")
        self.kind = kind
        self.key = nn.Linear(enc_dim, dec_dim, bias=False)   # W (dot) or U (additive), applied once per sentence
        if kind == "additive":
            self.query = nn.Linear(dec_dim, dec_dim, bias=True)
            self.v = nn.Linear(dec_dim, 1, bias=False)

    def keys(self, enc_out: torch.Tensor) -> torch.Tensor:
        return self.key(enc_out)  # (B, S, D)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, enc_out: torch.Tensor,
                mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """query (B, D), keys (B, S, D), enc_out (B, S, E), mask (B, S) → context (B, E), weights (B, S)."""
        if self.kind == "dot":
            scores = torch.bmm(keys, query.unsqueeze(2)).squeeze(2)  # (B, S)
        else:
            scores = self.v(torch.tanh(keys + self.query(query).unsqueeze(1))).squeeze(2)
        scores = scores.float().masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=1).to(enc_out.dtype)  # (B, S)
        return torch.bmm(weights.unsqueeze(1), enc_out).squeeze(1), weights


@dataclass
class Encoded:
    """What the decoder reads: encoder outputs, their attention keys, the mask, the decoder's initial state."""
    out: torch.Tensor      # (B, S, 2H)
    keys: torch.Tensor     # (B, S, D)
    mask: torch.Tensor     # (B, S) bool
    hidden: torch.Tensor   # (layers, B, D)

    def repeat(self, k: int) -> "Encoded":
        """Each sentence repeated ``k`` times in a row (for beam search)."""
        r = lambda t, dim: t.repeat_interleave(k, dim=dim)  # noqa: E731
        return Encoded(r(self.out, 0), r(self.keys, 0), r(self.mask, 0), r(self.hidden, 1))


class Seq2SeqNet(nn.Module):
    """``forward(src, src_lengths, tgt_in)`` → logits (B, T, n_tgt); :meth:`greedy`, :meth:`beam_search` decode."""
    def __init__(self, cfg: Seq2SeqNetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        enc_dim, dec_dim = 2 * cfg.hidden, 2 * cfg.hidden
        self.src_embed = nn.Embedding(cfg.n_src, cfg.emb_dim, padding_idx=cfg.src_pad)
        self.tgt_embed = nn.Embedding(cfg.n_tgt, cfg.emb_dim, padding_idx=cfg.tgt_pad)
        self.dropout = nn.Dropout(cfg.dropout)
        drop = cfg.dropout if cfg.layers > 1 else 0.0
        self.encoder = nn.GRU(cfg.emb_dim, cfg.hidden, num_layers=cfg.layers, bidirectional=True,
                              batch_first=True, dropout=drop)
        self.bridge = nn.Linear(enc_dim, dec_dim)
        self.decoder = nn.GRU(cfg.emb_dim + (dec_dim if cfg.input_feed else 0), dec_dim, num_layers=cfg.layers,
                              batch_first=True, dropout=drop)
        self.attention = Attention(cfg.attention, enc_dim, dec_dim)
        self.combine = nn.Linear(enc_dim + dec_dim, dec_dim, bias=False)
        if cfg.tie_embeddings:  # the output layer reuses the target embeddings (one tensor, no alias on disk)
            if cfg.emb_dim != dec_dim:
                raise ValueError(f"tie_embeddings needs emb_dim == 2 × hidden ({dec_dim}), not {cfg.emb_dim}")
            self.out = None
            self.out_bias = nn.Parameter(torch.zeros(cfg.n_tgt))
        else:
            self.out = nn.Linear(dec_dim, cfg.n_tgt)

    def init_uniform(self, scale: float) -> None:
        """Every parameter uniform in [-scale, scale] (Sutskever et al. 2014 used 0.08)."""
        for p in self.parameters():
            nn.init.uniform_(p, -scale, scale)
        with torch.no_grad():
            self.src_embed.weight[self.cfg.src_pad].zero_()
            self.tgt_embed.weight[self.cfg.tgt_pad].zero_()

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> Encoded:
        """Both directions' final states, bridged (linear + tanh), start the decoder layer by layer."""
        x = self.dropout(self.src_embed(src))                      # (B, S, E)
        out, h = run_rnn(self.encoder, x, src_lengths)             # (B, S, 2H), (layers*2, B, H)
        B = src.shape[0]
        h = h.view(self.cfg.layers, 2, B, self.cfg.hidden).transpose(1, 2).reshape(self.cfg.layers, B, -1)
        hidden = torch.tanh(self.bridge(h))                        # (layers, B, D)
        mask = lengths_to_mask(src_lengths, src.shape[1]).to(src.device)
        return Encoded(out, self.attention.keys(out), mask, hidden.contiguous())

    def step(self, enc: Encoded, prev: torch.Tensor, hidden: torch.Tensor, feed: torch.Tensor):
        """Previous tokens (N,), state (layers, N, D), previous h̃ (N, D) → h̃ = tanh(W[c; h]) (N, D), state, weights."""
        x = self.dropout(self.tgt_embed(prev))                     # (N, E)
        if self.cfg.input_feed:
            x = torch.cat([x, feed], 1)
        out, hidden = self.decoder(x.unsqueeze(1), hidden)         # (N, 1, D)
        out = out.squeeze(1)
        ctx, weights = self.attention(out, enc.keys, enc.out, enc.mask)
        feed = torch.tanh(self.combine(torch.cat([ctx, out], 1)))  # (N, D)
        return feed, hidden, weights

    def generate(self, feed: torch.Tensor) -> torch.Tensor:
        """Logits of the next token from h̃ (any leading shape)."""
        x = self.dropout(feed)
        if self.out is None:
            return nn.functional.linear(x, self.tgt_embed.weight, self.out_bias)
        return self.out(x)

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Logits (B, T, V) for ``tgt_in`` (BOS + target), each position reading the gold previous token."""
        enc = self.encode(src, src_lengths)
        B, T = tgt_in.shape
        hidden, feed = enc.hidden, enc.out.new_zeros(B, self.decoder.hidden_size)
        feeds = []
        for t in range(T):
            feed, hidden, _ = self.step(enc, tgt_in[:, t], hidden, feed)
            feeds.append(feed)
        return self.generate(torch.stack(feeds, 1))                # one projection for all steps: (B, T, V)

    @torch.no_grad()
    def greedy(self, src: torch.Tensor, src_lengths: torch.Tensor, max_len: torch.Tensor | int,
               attention: bool = False):
        """Token ids (a list per sentence, EOS excluded) and, with ``attention``, each one's (T, S) weights."""
        enc = self.encode(src, src_lengths)
        B = src.shape[0]
        limit = _limits(max_len, B)
        hidden, feed = enc.hidden, enc.out.new_zeros(B, self.decoder.hidden_size)
        prev = torch.full((B,), self.cfg.bos, dtype=torch.long, device=src.device)
        done = torch.zeros(B, dtype=torch.bool, device=src.device)
        limit_dev = limit.to(src.device)
        toks, atts = [], []
        for t in range(int(limit.max())):
            feed, hidden, w = self.step(enc, prev, hidden, feed)
            prev = self.generate(feed).argmax(-1)
            prev = torch.where(done, torch.full_like(prev, self.cfg.eos), prev)
            toks.append(prev)
            atts.append(w)
            done |= (prev == self.cfg.eos) | (t + 1 >= limit_dev)
            if bool(done.all()):
                break
        ids = torch.stack(toks, 1).tolist()
        out = [_cut_eos(row, self.cfg.eos, int(n)) for row, n in zip(ids, limit.tolist())]
        if not attention:
            return out, None
        att = torch.stack(atts, 1)  # (B, T, S)
        return out, [att[b, :len(o) + 1, :int(src_lengths[b])].cpu() for b, o in enumerate(out)]

    @torch.no_grad()
    def beam_search(self, src: torch.Tensor, src_lengths: torch.Tensor, max_len: torch.Tensor | int, k: int = 5,
                    alpha: float = 0.75, attention: bool = False):
        """The best hypothesis per sentence by log-probability / L^α (L counts EOS), returned like :meth:`greedy`."""
        if k == 1:
            return self.greedy(src, src_lengths, max_len, attention)
        B, dev = src.shape[0], src.device
        limit = _limits(max_len, B)
        enc = self.encode(src, src_lengths).repeat(k)
        V = self.cfg.n_tgt
        hidden, feed = enc.hidden, enc.out.new_zeros(B * k, self.decoder.hidden_size)
        prev = torch.full((B * k,), self.cfg.bos, dtype=torch.long, device=dev)
        scores = torch.full((B, k), float("-inf"), device=dev)
        scores[:, 0] = 0.0
        history = torch.zeros(B * k, 0, dtype=torch.long, device=dev)
        att_hist = enc.out.new_zeros(B * k, 0, src.shape[1]) if attention else None
        finished: list[list[tuple[float, list[int], torch.Tensor | None]]] = [[] for _ in range(B)]
        done = [False] * B
        for t in range(int(limit.max())):
            feed, hidden, w = self.step(enc, prev, hidden, feed)
            logp = torch.log_softmax(self.generate(feed).float(), -1).view(B, k, V)
            cand = (scores.unsqueeze(2) + logp).view(B, k * V)
            top, idx = cand.topk(2 * k, dim=1)                       # (B, 2k)
            origin, token = idx // V, idx % V
            is_eos = token == self.cfg.eos
            last = (t + 1 >= limit)                                  # (B,) this step is the sentence's last
            base = (torch.arange(B, device=dev) * k).unsqueeze(1)
            if attention:
                att_hist = torch.cat([att_hist, w.unsqueeze(1)], 1)  # (B*k, t+1, S)
            # of the 2k best continuations, those ending in EOS among the first k are finished
            rows, cols = torch.nonzero(is_eos[:, :k], as_tuple=True)
            for b, c in zip(rows.tolist(), cols.tolist()):
                if done[b] or len(finished[b]) >= k:
                    continue
                beam = b * k + int(origin[b, c])
                finished[b].append((float(top[b, c]) / (t + 1) ** alpha, history[beam].tolist(),
                                    att_hist[beam].clone() if attention else None))
            # live beams: the first k candidates that are not EOS
            keep = torch.sort(is_eos.int(), dim=1, stable=True).indices[:, :k]   # (B, k)
            scores = top.gather(1, keep)
            sel_origin = (origin.gather(1, keep) + base).view(-1)
            prev = token.gather(1, keep).view(-1)
            history = torch.cat([history[sel_origin], prev.unsqueeze(1)], 1)
            hidden, feed = hidden[:, sel_origin], feed[sel_origin]
            if attention:
                att_hist = att_hist[sel_origin]
            for b in range(B):
                if done[b]:
                    continue
                if len(finished[b]) >= k:
                    done[b] = True
                elif bool(last[b]):  # out of length: the live beams finish as they stand
                    for j in range(k):
                        beam = b * k + j
                        finished[b].append((float(scores[b, j]) / (t + 2) ** alpha, history[beam].tolist(),
                                            att_hist[beam].clone() if attention else None))
                    done[b] = True
            if all(done):
                break
        out, atts = [], []
        for b in range(B):
            score, seq, att = max(finished[b], key=lambda f: f[0])
            out.append(seq)
            if attention:
                atts.append(att[:len(seq) + 1, :int(src_lengths[b])].cpu())
        return out, (atts if attention else None)


def _limits(max_len, B: int) -> torch.Tensor:
    """Per-sentence decoding limits as a CPU LongTensor (B,), from one int or a tensor."""
    if isinstance(max_len, int):
        return torch.full((B,), max_len, dtype=torch.long)
    return torch.as_tensor(max_len, dtype=torch.long).cpu()


def _cut_eos(row: list[int], eos: int, limit: int) -> list[int]:
    row = row[:limit]
    return row[:row.index(eos)] if eos in row else row


def perplexity(nll_sum: float, tokens: int) -> float:
    """exp(mean negative log-likelihood per target token)."""
    return math.exp(min(nll_sum / max(tokens, 1), 50.0))


__all__ = ["Seq2SeqNet", "Seq2SeqNetConfig", "Attention", "Encoded", "ATTENTIONS", "perplexity"]
