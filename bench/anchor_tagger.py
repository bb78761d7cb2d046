"""The anchor of the tagger targets, rebuilt for a same-machine comparison.

A re-implementation (not a copy) of the BiLSTM-CRF of luopeixiang/named_entity_recognition
as its README and code describe it: embedding → packed BiLSTM → linear emissions, plus a
transition matrix added into a ``[B, L, T, T]`` score tensor; ``<start>``/``<end>``/``<pad>``
tags; every sentence gets an ``<end>`` token; batches are cut from the training set sorted
by length; the loss runs a forward algorithm over shrinking batch prefixes; decoding takes
the whole test set as one batch with a step-wise Viterbi and backtracking through a
flattened back-pointer table. Only its speed is used (bench/tagger.py), never its output.
"""
from __future__ import annotations

import time
from itertools import zip_longest

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class AnchorBiLSTMCRF(nn.Module):
    def __init__(self, vocab_size: int, n_tags: int, emb: int = 128, hidden: int = 128) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True, bidirectional=True)
        self.lin = nn.Linear(2 * hidden, n_tags)
        self.transition = nn.Parameter(torch.full((n_tags, n_tags), 1.0 / n_tags))

    def scores(self, ids: torch.Tensor, lengths: list[int]) -> torch.Tensor:
        packed = pack_padded_sequence(self.embedding(ids), lengths, batch_first=True)
        out, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True)
        em = self.lin(out)  # (B, L, T)
        T = em.shape[2]
        return em.unsqueeze(2).expand(-1, -1, T, -1) + self.transition.unsqueeze(0)  # (B, L, T, T)


def tensorize(batch: list[list[str]], index: dict[str, int]) -> tuple[torch.Tensor, list[int]]:
    """Python loops into a padded LongTensor, as the anchor does (sorted batch, longest first)."""
    pad, unk = index["<pad>"], index["<unk>"]
    t = torch.full((len(batch), len(batch[0])), pad, dtype=torch.long)
    for i, sent in enumerate(batch):
        for j, tok in enumerate(sent):
            t[i][j] = index.get(tok, unk)
    return t, [len(s) for s in batch]


def crf_loss(scores: torch.Tensor, targets: torch.Tensor, tags: dict[str, int]) -> torch.Tensor:
    B, L, T, _ = scores.shape
    mask = targets != tags["<pad>"]
    lengths = mask.sum(1)
    flat_targets = targets.clone()
    for col in range(L - 1, 0, -1):
        flat_targets[:, col] += flat_targets[:, col - 1] * T
    flat_targets[:, 0] += tags["<start>"] * T
    gold = scores.masked_select(mask.view(B, L, 1, 1).expand_as(scores)).view(-1, T * T)
    gold = gold.gather(1, flat_targets.masked_select(mask).unsqueeze(1)).sum()
    upto = torch.zeros(B, T)
    for t in range(L):
        bt = int((lengths > t).sum())
        if t == 0:
            upto[:bt] = scores[:bt, 0, tags["<start>"], :]
        else:
            upto[:bt] = torch.logsumexp(scores[:bt, t] + upto[:bt].unsqueeze(2), dim=1)
    return (upto[:, tags["<end>"]].sum() - gold) / B


def viterbi_decode(scores: torch.Tensor, lengths: list[int], tags: dict[str, int]) -> torch.Tensor:
    start, end, pad = tags["<start>"], tags["<end>"], tags["<pad>"]
    B, L, T, _ = scores.shape
    vit = torch.zeros(B, L, T)
    back = torch.zeros(B, L, T, dtype=torch.long)
    for step in range(L):
        bt = sum(n > step for n in lengths)
        if step == 0:
            vit[:bt, 0] = scores[:bt, 0, start]
            back[:bt, 0] = start
        else:
            best, prev = torch.max(vit[:bt, step - 1].unsqueeze(2) + scores[:bt, step], dim=1)
            vit[:bt, step] = best
            back[:bt, step] = prev
    back = back.view(B, -1)
    lens = torch.tensor(lengths)
    out, cur = [], None
    for step in range(L - 1, 0, -1):
        bt = int((lens > step).sum())
        if step == L - 1:
            idx = torch.full((bt,), step * T + end, dtype=torch.long)
        else:
            extra = torch.full((bt - len(cur),), end, dtype=torch.long)
            idx = torch.full((bt,), step * T, dtype=torch.long) + torch.cat([cur, extra])
        cur = back[:bt].gather(1, idx.unsqueeze(1)).squeeze(1)
        out.append(cur.tolist())
    return torch.tensor(list(zip_longest(*reversed(out), fillvalue=pad)), dtype=torch.long)


def build_index(sentences: list[tuple[list[str], list[str]]]) -> tuple[dict[str, int], dict[str, int]]:
    words: dict[str, int] = {}
    tags: dict[str, int] = {}
    for toks, tgs in sentences:
        for w in toks:
            words.setdefault(w, len(words))
        for t in tgs:
            tags.setdefault(t, len(tags))
    for extra in ("<unk>", "<pad>", "<start>", "<end>"):
        words.setdefault(extra, len(words))
        tags.setdefault(extra, len(tags))
    return words, tags


def train_epoch_rate(train: list[tuple[list[str], list[str]]], batch_size: int = 64, seed: int = 1) -> float:
    """Sentences/s of one anchor training epoch (sorted batches, Adam)."""
    torch.manual_seed(seed)
    words, tags = build_index(train)
    data = sorted(((t + ["<end>"], g + ["<end>"]) for t, g in train), key=lambda p: len(p[0]), reverse=True)
    model = AnchorBiLSTMCRF(len(words), len(tags))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    t0 = time.perf_counter()
    for k in range(0, len(data), batch_size):
        batch = data[k:k + batch_size]
        ids, lengths = tensorize([s for s, _ in batch], words)
        targets, _ = tensorize([g for _, g in batch], tags)
        loss = crf_loss(model.scores(ids, lengths), targets, tags)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return len(data) / (time.perf_counter() - t0)


def decode_rate(train: list[tuple[list[str], list[str]]], test: list[list[str]]) -> float:
    """Sentences/s decoding the whole test set as one batch (untrained weights: speed only)."""
    torch.manual_seed(1)
    words, tags = build_index(train)
    model = AnchorBiLSTMCRF(len(words), len(tags)).eval()
    sents = sorted((s + ["<end>"] for s in test), key=len, reverse=True)
    t0 = time.perf_counter()
    with torch.no_grad():
        ids, lengths = tensorize(sents, words)
        viterbi_decode(model.scores(ids, lengths), lengths, tags)
    return len(sents) / (time.perf_counter() - t0)
