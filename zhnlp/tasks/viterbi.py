"""HMM Viterbi with numpy, over tags or tag pairs, and the textbook loops that check it finds the very same paths."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np


def _best_last(final: np.ndarray, log_end: np.ndarray | None) -> int:
    """Index of the best final score, honouring the end mask when any allowed end is finite."""
    if log_end is not None:
        ended = final + log_end
        k = int(ended.argmax())
        if ended[k] > -np.inf:
            return k
    return int(final.argmax())


def viterbi_path(log_pi: np.ndarray, log_A: np.ndarray, emissions: np.ndarray,
                 log_end: np.ndarray | None = None) -> list[int]:
    """Best tag ids of one sentence (``emissions``: positions × tags; ``log_end``: 0/-inf mask of last tags)."""
    n = emissions.shape[0]
    if n == 0:
        return []
    cols = np.arange(log_pi.shape[0])
    back = np.empty((n, log_pi.shape[0]), dtype=np.intp)
    delta = log_pi + emissions[0]
    for t in range(1, n):
        scores = delta[:, None] + log_A  # scores[i, j]: best path ending in i, then i -> j
        best = scores.argmax(axis=0)
        back[t] = best
        delta = scores[best, cols] + emissions[t]
    return _backtrack(back, delta, n, log_end)


def viterbi_batch(log_pi: np.ndarray, log_A: np.ndarray, emissions: np.ndarray,
                  lengths: np.ndarray, log_end: np.ndarray | None = None) -> list[list[int]]:
    """Best tag ids of a padded batch (``emissions``: B × n × K), each equal to :func:`viterbi_path`'s alone."""
    B, n, K = emissions.shape
    if n == 0 or B == 0:
        return [[] for _ in range(B)]
    rows = np.arange(B)[:, None]
    cols = np.arange(K)[None, :]
    back = np.empty((n, B, K), dtype=np.intp)
    delta = log_pi[None, :] + emissions[:, 0]
    finals = np.empty((B, K))
    for t in range(n):
        if t:
            scores = delta[:, :, None] + log_A[None]  # B × K(prev) × K(next)
            best = scores.argmax(axis=1)
            back[t] = best
            delta = scores[rows, best, cols] + emissions[:, t]
        ending = lengths == t + 1
        if ending.any():
            finals[ending] = delta[ending]
    return [_backtrack(back[:, b], finals[b], int(lengths[b]), log_end) for b in range(B)]


def _backtrack(back: np.ndarray, final: np.ndarray, m: int, log_end: np.ndarray | None) -> list[int]:
    return _follow(lambda t, s: int(back[t, s]), _best_last(final, log_end), m) if m else []


def reference_viterbi(log_pi: Sequence[float], log_A: Sequence[Sequence[float]],
                      emissions: Sequence[Sequence[float]],
                      log_end: Sequence[float] | None = None) -> list[int]:
    """Textbook first-order Viterbi, Python loops over tags: the yardstick the fast decoders are checked against."""
    pi = [float(x) for x in log_pi]
    A = [[float(x) for x in row] for row in log_A]
    em = [[float(x) for x in row] for row in emissions]
    n, K = len(em), len(pi)
    if n == 0:
        return []
    delta = [pi[j] + em[0][j] for j in range(K)]
    back: list[list[int]] = [[0] * K]
    for t in range(1, n):
        new, ptr = [0.0] * K, [0] * K
        for j in range(K):
            best_i, best = 0, delta[0] + A[0][j]
            for i in range(1, K):
                s = delta[i] + A[i][j]
                if s > best:
                    best_i, best = i, s
            new[j] = best + em[t][j]
            ptr[j] = best_i
        delta = new
        back.append(ptr)
    return _follow(lambda t, s: back[t][s], _reference_last(delta, log_end), n)


def _follow(step: Callable[[int, Any], Any], last: Any, n: int) -> list:
    """The path of ``n`` states ending in ``last``, walked back by ``step(t, state)``: the state before it."""
    path = [last]
    for t in range(n - 1, 0, -1):
        last = step(t, last)
        path.append(last)
    return path[::-1]


def _reference_last(final: Sequence[float], log_end: Sequence[float] | None) -> int:
    """First index of the best final score (with the end mask when any allowed end is finite)."""
    if log_end is not None:
        ended = [f + float(e) for f, e in zip(final, log_end)]
        k = max(range(len(ended)), key=ended.__getitem__)  # max keeps the first of equals
        if ended[k] > -math.inf:
            return k
    return max(range(len(final)), key=final.__getitem__)


@dataclass
class PairLattice:
    """A second-order HMM as a first-order chain over its reachable tag pairs (cheap under scheme constraints)."""
    prev: np.ndarray        # state s is the tag pair (prev[s], cur[s]); prev = K: before the sentence
    cur: np.ndarray
    start: np.ndarray       # log π of the first-position states (-inf for the others)
    pred: np.ndarray        # the states that may precede each, in increasing order (padded with S, scoring -inf)
    score: np.ndarray       # the log transition from each of those
    end: np.ndarray | None  # the end mask, by current tag

    @classmethod
    def build(cls, log_pi: np.ndarray, log_A2: np.ndarray, log_end: np.ndarray | None) -> "PairLattice":
        """The states reachable under the model (h = K: before the sentence), ordered by (cur, prev)."""
        K = log_pi.shape[0]
        exists = np.zeros((K + 1, K), bool)
        exists[K] = np.isfinite(log_pi)
        exists[:K] = np.isfinite(log_A2).any(axis=0)
        pairs = [(h, i) for i in range(K) for h in range(K + 1) if exists[h, i]]
        index = {p: s for s, p in enumerate(pairs)}
        S = len(pairs)
        preds: list[list[tuple[int, float]]] = []
        for h, i in pairs:
            if h == K:
                preds.append([])
                continue
            preds.append([(index[(g, h)], float(log_A2[g, h, i])) for g in range(K + 1)
                          if (g, h) in index and log_A2[g, h, i] > -np.inf])
        width = max([len(p) for p in preds] + [1])
        pred = np.full((S, width), S, dtype=np.intp)
        score = np.full((S, width), -np.inf)
        for s, lst in enumerate(preds):
            for k, (q, sc) in enumerate(lst):
                pred[s, k], score[s, k] = q, sc
        prev = np.array([h for h, _ in pairs], dtype=np.intp)
        cur = np.array([i for _, i in pairs], dtype=np.intp)
        start = np.where(prev == K, log_pi[cur] if S else np.zeros(0), -np.inf)
        end = None if log_end is None else log_end[cur]
        return cls(prev, cur, start, pred, score, end)

    def __post_init__(self) -> None:
        # For batches: states sorted by their number of predecessors (most first, stable), so
        # slot k of the predecessor lists is a prefix of the states; slots in (P, S) layout.
        S = self.cur.shape[0]
        npred = (self.pred < S).sum(axis=1)
        perm = np.argsort(-npred, kind="stable")
        inv = np.empty_like(perm)
        inv[perm] = np.arange(S)
        inv_pad = np.append(inv, S)  # the padding state stays S
        self._perm, self._inv = perm, inv
        self._slot_pred = np.ascontiguousarray(inv_pad[self.pred[perm]].T)  # P × S (permuted ids)
        self._slot_score = np.ascontiguousarray(self.score[perm].T)
        self._slot_n = [int((npred[perm] > k).sum()) for k in range(self.pred.shape[1])]
        self._pred_t = np.ascontiguousarray(self.pred.T)  # P × S, canonical ids
        self._score_t = np.ascontiguousarray(self.score.T)

    def decode_one(self, emissions: np.ndarray) -> list[int]:
        """Best tag ids of one sentence (``emissions``: n × K), vectorized over states (P × S gathers)."""
        n = emissions.shape[0]
        S = self.cur.shape[0]
        if n == 0 or S == 0:
            return []
        em = emissions[:, self.cur]
        pred_t, score_t = self._pred_t, self._score_t
        back = np.empty((n, S), dtype=np.intp)
        delta = np.full(S + 1, -np.inf)
        delta[:S] = self.start + em[0]
        for t in range(1, n):
            cand = delta.take(pred_t)
            cand += score_t
            best = cand.argmax(axis=0)
            back[t] = best
            delta[:S] = cand.max(axis=0) + em[t]
        _check_finite(delta[:S])
        path = _follow(lambda t, s: int(pred_t[back[t, s], s]), _best_last(delta[:S], self.end), n)
        return [int(self.cur[s]) for s in path]

    def decode_batch(self, emissions: np.ndarray, lengths: np.ndarray) -> list[list[int]]:
        """Best tag ids of a padded batch, each :meth:`decode_one`'s path, one predecessor slot at a time."""
        B, n, _ = emissions.shape
        S = self.cur.shape[0]
        if n == 0 or B == 0 or S == 0:
            return [[] for _ in range(B)]
        perm = self._perm
        em = np.ascontiguousarray(emissions[:, :, self.cur[perm]].transpose(1, 2, 0))  # n × S × B
        slot_pred, slot_score, slot_n = self._slot_pred, self._slot_score, self._slot_n
        back = np.zeros((n, S, B), dtype=np.int8 if slot_pred.shape[0] < 128 else np.intp)
        delta = np.full((S + 1, B), -np.inf)
        delta[:S] = self.start[perm][:, None] + em[0]
        finals = np.empty((S, B))
        for t in range(n):
            if t:
                best = delta.take(slot_pred[0], axis=0)
                best += slot_score[0][:, None]
                ptr = back[t]
                for k in range(1, len(slot_n)):
                    m_k = slot_n[k]
                    cand = delta.take(slot_pred[k, :m_k], axis=0)
                    cand += slot_score[k, :m_k, None]
                    better = cand > best[:m_k]
                    np.copyto(best[:m_k], cand, where=better)
                    ptr[:m_k][better] = k
                best += em[t]
                delta[:S] = best
            ending = lengths == t + 1
            if ending.any():
                finals[:, ending] = delta[:S, ending]
        canon_finals = finals[self._inv]  # canonical state order, for the same tie-breaking
        out = []
        for b in range(B):
            m = int(lengths[b])
            if m == 0:
                out.append([])
                continue
            _check_finite(canon_finals[:, b])
            last = int(self._inv[_best_last(canon_finals[:, b], self.end)])  # permuted id
            path = _follow(lambda t, s, b=b: int(slot_pred[back[t, s, b], s]), last, m)
            out.append([int(self.cur[perm[s]]) for s in path])
        return out


def _check_finite(final: np.ndarray) -> None:
    if not final.size or final.max() == -np.inf:
        raise ValueError("no path of finite score (the model forbids every tag sequence)")


def reference_viterbi2(log_pi: Sequence[float], log_A2: Sequence[Sequence[Sequence[float]]],
                       emissions: Sequence[Sequence[float]],
                       log_end: Sequence[float] | None = None) -> list[int]:
    """Textbook second-order Viterbi, Python loops over tag pairs (``log_A2[h][i][j]``, h = K before the sentence)."""
    pi = [float(x) for x in log_pi]
    em = [[float(x) for x in row] for row in emissions]
    n, K = len(em), len(pi)
    if n == 0:
        return []
    A2 = log_A2
    # delta[(h, i)] = (score, backpointer state) for paths ending with tags h, i
    delta: dict[tuple[int, int], float] = {(K, i): pi[i] + em[0][i] for i in range(K)
                                           if pi[i] > -math.inf}
    backs: list[dict[tuple[int, int], tuple[int, int]]] = [{}]
    for t in range(1, n):
        new: dict[tuple[int, int], float] = {}
        ptr: dict[tuple[int, int], tuple[int, int]] = {}
        for i in range(K):  # states ordered by (current tag, previous tag), as PairLattice
            for h in range(K + 1):
                d = delta.get((h, i))
                if d is None or d == -math.inf:
                    continue
                row = A2[h][i]
                for j in range(K):
                    s = d + float(row[j])
                    if s == -math.inf:
                        continue
                    key = (i, j)
                    if key not in new or s > new[key]:
                        new[key], ptr[key] = s, (h, i)
        delta = {k: v + em[t][k[1]] for k, v in new.items()}
        backs.append(ptr)
    keys = sorted(delta, key=lambda k: (k[1], k[0]))
    if not keys or max(delta.values()) == -math.inf:
        raise ValueError("no path of finite score (the model forbids every tag sequence)")
    final = [delta[k] for k in keys]
    end = None if log_end is None else [float(log_end[k[1]]) for k in keys]
    return [i for _, i in _follow(lambda t, s: backs[t][s], keys[_reference_last(final, end)], n)]


__all__ = ["viterbi_path", "viterbi_batch", "PairLattice", "reference_viterbi", "reference_viterbi2"]
