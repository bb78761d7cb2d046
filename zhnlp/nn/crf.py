"""Linear-chain CRF: pytorch-crf's log-likelihood, faster, and a batched Viterbi that can forbid illegal transitions."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn
from torchcrf import CRF as _TorchCRF

NEG = -1e4  # added to forbidden scores: far below any real path, still finite in fp32


class CRF(nn.Module):
    """A CRF over ``num_tags`` tags; decoding never takes a step ``allowed`` (schemes.allowed_transitions) forbids."""
    def __init__(self, num_tags: int,
                 allowed: tuple[Sequence[bool], Sequence[Sequence[bool]], Sequence[bool]] | None = None) -> None:
        super().__init__()
        self.crf = _TorchCRF(num_tags, batch_first=True)
        if allowed is None:
            allowed = ([True] * num_tags, [[True] * num_tags] * num_tags, [True] * num_tags)
        # Constraints are derived from the tag set, not learnt: buffers, not saved as weights.
        for name, ok in zip(("start_ok", "trans_ok", "end_ok"), allowed):
            self.register_buffer(name, torch.tensor(ok, dtype=torch.bool), persistent=False)

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The summed NLL of pytorch-crf's ``-crf(emissions, tags, mask, reduction="sum")``, about 3x faster."""
        em = emissions.float()
        c = self.crf
        B, T, _ = em.shape
        lengths = mask.long().sum(1)
        m = mask.to(em.dtype)
        gold = (em.gather(2, tags.unsqueeze(2)).squeeze(2) * m).sum(1)
        if T > 1:
            gold = gold + (c.transitions[tags[:, :-1], tags[:, 1:]] * m[:, 1:]).sum(1)
        last = tags.gather(1, (lengths - 1).clamp_min(0).unsqueeze(1)).squeeze(1)
        gold = gold + c.start_transitions[tags[:, 0]] + c.end_transitions[last]
        return (log_partition(em, lengths, c.start_transitions, c.transitions, c.end_transitions) - gold).sum()

    def scores(self, constrained: bool = True) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(start, transitions, end) scores, with forbidden moves pushed to NEG."""
        start, trans, end = self.crf.start_transitions, self.crf.transitions, self.crf.end_transitions
        if constrained:
            start = start.masked_fill(~self.start_ok, NEG)
            trans = trans.masked_fill(~self.trans_ok, NEG)
            end = end.masked_fill(~self.end_ok, NEG)
        return start, trans, end

    def decode(self, emissions: torch.Tensor, mask: torch.Tensor, constrained: bool = True) -> list[list[int]]:
        """Best tag sequence per sentence (lists as long as each mask)."""
        start, trans, end = self.scores(constrained)
        return viterbi(emissions.float(), mask, start, trans, end)


def _active_counts(lens: list[int], T: int) -> list[int]:
    """For lengths sorted longest first: how many sentences are longer than t, for each t < T."""
    return np.searchsorted(-np.asarray(lens), -np.arange(T), side="left").tolist()


def log_partition(emissions: torch.Tensor, lengths: torch.Tensor, start: torch.Tensor, trans: torch.Tensor,
                  end: torch.Tensor) -> torch.Tensor:
    """log Z of each sentence (B,): the forward algorithm, longest sentences first so padding costs nothing."""
    B, T, K = emissions.shape
    order = torch.argsort(lengths, descending=True, stable=True)
    lens = lengths[order].tolist()
    em = emissions[order].transpose(0, 1)  # (T, B, K)
    active = _active_counts(lens, T)
    exp_trans = trans.exp()
    score = start + em[0]  # (B, K)
    done: list[torch.Tensor] = []
    for t in range(1, T):
        n = active[t]
        if n == 0:
            break
        if n < score.shape[0]:
            done.append(score[n:])
            score = score[:n]
        # log(exp(a - max a) @ exp(trans)) + max a: a matrix product, not a log-sum-exp over (B, K, K)
        shift = score.detach().max(1, keepdim=True).values  # a constant shift: detached
        score = torch.log((score - shift).exp() @ exp_trans) + shift + em[t, :n]
    done.append(score)
    final = torch.cat(done[::-1]) + end  # longest first again
    logz = torch.logsumexp(final, 1)
    return logz[torch.argsort(order)]


@torch.no_grad()
def viterbi(emissions: torch.Tensor, mask: torch.Tensor, start: torch.Tensor, trans: torch.Tensor,
            end: torch.Tensor) -> list[list[int]]:
    """Batched Viterbi over emissions (B, T, K) and a mask (B, T) that starts every sentence at position 0."""
    B, T, K = emissions.shape
    lengths = mask.long().sum(1).cpu()
    order = torch.argsort(lengths, descending=True, stable=True)
    lens = lengths[order].tolist()
    em = emissions[order.to(emissions.device)].transpose(0, 1).contiguous()  # (T, B, K): em[t, :n] contiguous
    active = _active_counts(lens, T)
    # Sentences longest first: step t touches only those still running. The forward pass keeps the best
    # score of each (step, tag) only (a max without arg-max is several times cheaper); the back-pointers
    # are recomputed from the same float sums while following the best path.
    scores = torch.empty(T, B, K, dtype=em.dtype, device=em.device)  # best score of a path to (t, tag)
    torch.add(start, em[0], out=scores[0])
    trans_prev_first = trans.unsqueeze(1)  # (K_prev, 1, K_next)
    step = torch.empty(K, B, K, dtype=em.dtype, device=em.device)
    for t in range(1, T):
        n = active[t]
        if n == 0:
            break
        if n < step.shape[1]:
            step = step.new_empty(K, n, K)  # laid out (K_prev, n, K_next): the max runs over whole slices
        torch.add(scores[t - 1, :n].t().unsqueeze(2), trans_prev_first, out=step)
        torch.add(torch.amax(step, 0), em[t, :n], out=scores[t, :n])
    hist = scores.cpu().numpy()
    last = (hist[np.asarray(lens) - 1, np.arange(B)] + end.cpu().numpy()).argmax(1)  # best final tag of each
    into = np.ascontiguousarray(trans.cpu().numpy().T)  # into[j, p]: the score of moving from p to j
    paths = np.zeros((T, B), dtype=np.int64)
    cur = last.copy()
    for t in range(T - 1, -1, -1):
        n = active[t]
        ending = active[t + 1] if t + 1 < T else 0
        cur[ending:n] = last[ending:n]  # sentences ending at t (a run, lengths being sorted) start here
        paths[t, :n] = cur[:n]
        if t > 0:  # step back to the best previous tag
            cur[:n] = (hist[t - 1, :n] + into[cur[:n]]).argmax(1)
    paths = paths.T
    out: list[list[int]] = [[] for _ in range(B)]
    for i, (src, n) in enumerate(zip(order.tolist(), lens)):
        out[src] = paths[i, :n].tolist()
    return out


__all__ = ["CRF", "viterbi", "log_partition", "NEG"]
