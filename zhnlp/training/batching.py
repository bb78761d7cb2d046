"""Batches for recurrent models: pad (``zip_longest``), bucket by length, collate each model family's items."""
from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Sequence

from ..nn.rnn import length_groups, lengths_to_mask, run_rnn  # re-exported: zhnlp.batching.run_rnn

if TYPE_CHECKING:  # pragma: no cover
    import torch


def pad_batch(seqs: Sequence[Sequence[int]], eos: int | None, pad: int, batch_first: bool = False):
    """``(ids [seq_len, batch], lengths, order)``: sorted by length (stable), ``eos`` appended unless None, padded;
    ``ids[:, order]`` (``ids[order]`` with ``batch_first``) is the caller's order again."""
    import torch

    if not seqs:
        raise ValueError("pad_batch needs at least one sequence")
    perm = sorted(range(len(seqs)), key=lambda i: -len(seqs[i]))  # sorted() is stable
    tail = [eos] if eos is not None else []
    batch = [list(seqs[i]) + tail for i in perm]
    lengths = torch.tensor([len(s) for s in batch], dtype=torch.long)
    if int(lengths.min()) == 0:
        raise ValueError("pad_batch got an empty sequence and no eos to append")
    ids = pad_sequences(batch, pad, batch_first)
    order = torch.empty(len(perm), dtype=torch.long)
    order[torch.tensor(perm)] = torch.arange(len(perm))
    return ids, lengths, order


def pad_sequences(seqs: Sequence[Sequence[int]], pad: int, batch_first: bool = True) -> "torch.Tensor":
    """Pad sequences (kept in their order) to one LongTensor with ``zip_longest``."""
    import torch

    ids = torch.tensor(list(itertools.zip_longest(*seqs, fillvalue=pad)), dtype=torch.long)
    if ids.dim() == 1:  # every sequence empty
        ids = ids.reshape(0, len(seqs))
    return ids.t().contiguous() if batch_first else ids


def to_device(batch: dict, device) -> dict:
    """A collated batch on ``device`` (nested dicts too); lengths stay on the CPU, where packing wants them."""
    out = {}
    for key, value in batch.items():
        if isinstance(value, dict):
            out[key] = to_device(value, device)
        elif hasattr(value, "to") and key not in ("lengths", "src_lengths"):
            out[key] = value.to(device, non_blocking=True)
        else:
            out[key] = value
    return out


class BucketBatchSampler:
    """Batches of similar-length items for ``DataLoader(batch_sampler=...)``, drawn anew each :meth:`set_epoch`."""
    def __init__(self, lengths: Sequence[int], batch_size: int, *, shuffle: bool = True, seed: int = 0,
                 pool_factor: int = 50, drop_last: bool = False, num_replicas: int = 1,
                 rank: int = 0) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank {rank} outside 0..{num_replicas - 1}")
        self.lengths = list(lengths)
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.pool_factor, self.drop_last = max(1, pool_factor), drop_last
        self.num_replicas, self.rank = num_replicas, rank
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _all_batches(self) -> list[list[int]]:
        """Shuffled pools of ``batch_size * pool_factor`` indices, each sorted by length and cut, batches shuffled."""
        idx = list(range(len(self.lengths)))
        rng = random.Random(self.seed * 1_000_003 + self.epoch)
        key = self.lengths.__getitem__
        if not self.shuffle:
            idx.sort(key=key, reverse=True)
            pools = [idx]
        else:
            rng.shuffle(idx)
            size = self.batch_size * self.pool_factor
            pools = [sorted(idx[i:i + size], key=key, reverse=True) for i in range(0, len(idx), size)]
        batches = [pool[i:i + self.batch_size] for pool in pools
                   for i in range(0, len(pool), self.batch_size)]
        if self.drop_last:
            batches = [b for b in batches if len(b) == self.batch_size]
        if self.shuffle:
            rng.shuffle(batches)
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        batches = self._all_batches()
        if self.num_replicas > 1:
            per_rank = math.ceil(len(batches) / self.num_replicas)
            batches = list(itertools.islice(itertools.cycle(batches), per_rank * self.num_replicas))
            batches = batches[self.rank::self.num_replicas]  # padded by repeating, as DistributedSampler does
        return iter(batches)

    def _pool_sizes(self) -> list[int]:
        n = len(self.lengths)
        size = self.batch_size * self.pool_factor if self.shuffle else max(n, 1)
        return [min(size, n - i) for i in range(0, n, size)]

    def __len__(self) -> int:
        bs = self.batch_size
        total = sum(p // bs if self.drop_last else math.ceil(p / bs) for p in self._pool_sizes())
        return math.ceil(total / self.num_replicas)


class RandomBatchSampler(BucketBatchSampler):
    """Shuffled batches with no regard to length (the baseline bucketing is measured against)."""
    def _all_batches(self) -> list[list[int]]:
        idx = list(range(len(self.lengths)))
        if self.shuffle:
            random.Random(self.seed * 1_000_003 + self.epoch).shuffle(idx)
        batches = [idx[i:i + self.batch_size] for i in range(0, len(idx), self.batch_size)]
        return [b for b in batches if len(b) == self.batch_size] if self.drop_last else batches

    def _pool_sizes(self) -> list[int]:
        return [len(self.lengths)] if self.lengths else []


# -- collate functions: picklable classes, so DataLoader(num_workers>0) can use them ------

@dataclass(frozen=True)
class TaggingCollate:
    """Items ``{ids, tags?, features?}`` → batch-first ids, features, tags, lengths and the bool mask, in item order."""
    pad: int
    tag_pad: int = 0
    feature_pad: int = 0

    def __call__(self, items: Sequence[dict]) -> dict:
        import torch

        lengths = torch.tensor([len(it["ids"]) for it in items], dtype=torch.long)
        batch = {"ids": pad_sequences([it["ids"] for it in items], self.pad),
                 "lengths": lengths, "mask": lengths_to_mask(lengths)}
        if "tags" in items[0]:
            batch["tags"] = pad_sequences([it["tags"] for it in items], self.tag_pad)
        feats = items[0].get("features") or {}
        batch["features"] = {name: _pad_feature([it["features"][name] for it in items], self.feature_pad)
                             for name in feats}
        return batch


def _pad_feature(seqs: Sequence[Sequence], pad: int) -> "torch.Tensor":
    """A feature's ids, padded: (B, T), or (B, T, W) where each token has a row of W ids."""
    import torch

    first = next((s[0] for s in seqs if len(s)), None)
    if not isinstance(first, (list, tuple)):
        return pad_sequences(seqs, pad)
    rows = list(itertools.zip_longest(*seqs, fillvalue=[pad] * len(first)))  # (T, B, W)
    return torch.tensor(rows, dtype=torch.long).transpose(0, 1).contiguous()


@dataclass(frozen=True)
class ClassificationCollate:
    """Items ``{ids, label?, features?}`` → batch-first ids (and ``eos`` if set), lengths, labels, features."""
    pad: int
    eos: int | None = None
    feature_pad: int = 0

    def __call__(self, items: Sequence[dict]) -> dict:
        import torch

        tail = [self.eos] if self.eos is not None else []
        seqs = [list(it["ids"]) + tail for it in items]
        batch = {"ids": pad_sequences(seqs, self.pad),
                 "lengths": torch.tensor([len(s) for s in seqs], dtype=torch.long)}
        if "label" in items[0]:
            batch["labels"] = torch.tensor([it["label"] for it in items], dtype=torch.long)
        ftail = [self.feature_pad] if self.eos is not None else []  # features at the EOS position
        feats = items[0].get("features") or {}
        if feats:
            batch["features"] = {name: pad_sequences([list(it["features"][name]) + ftail for it in items],
                                                     self.feature_pad) for name in feats}
        return batch


@dataclass(frozen=True)
class Seq2SeqCollate:
    """Items ``{"src", "tgt"?}`` → ``src`` + EOS, ``tgt_in`` = BOS + target, ``tgt_out`` = target + EOS, and their
    lengths; ``[seq_len, batch]`` unless ``batch_first``."""
    src_pad: int
    tgt_pad: int
    bos: int
    eos: int
    batch_first: bool = False

    def __call__(self, items: Sequence[dict]) -> dict:
        import torch

        src = [list(it["src"]) + [self.eos] for it in items]
        batch = {"src": pad_sequences(src, self.src_pad, self.batch_first),
                 "src_lengths": torch.tensor([len(s) for s in src], dtype=torch.long)}
        if "tgt" in items[0]:
            tgt = [list(it["tgt"]) for it in items]
            batch["tgt_in"] = pad_sequences([[self.bos] + t for t in tgt], self.tgt_pad, self.batch_first)
            batch["tgt_out"] = pad_sequences([t + [self.eos] for t in tgt], self.tgt_pad, self.batch_first)
            batch["tgt_lengths"] = torch.tensor([len(t) + 1 for t in tgt], dtype=torch.long)
        return batch


def padding_share(batches: Sequence[Sequence[int]], lengths: Sequence[int]) -> float:
    """Share of padded positions when ``batches`` (lists of indices) are padded to their longest item."""
    real = padded = 0
    for b in batches:
        ls = [lengths[i] for i in b]
        real += sum(ls)
        padded += max(ls) * len(ls)
    return 1 - real / padded if padded else 0.0


__all__ = ["pad_batch", "pad_sequences", "run_rnn", "length_groups", "to_device", "lengths_to_mask",
           "BucketBatchSampler", "RandomBatchSampler", "TaggingCollate", "ClassificationCollate", "Seq2SeqCollate",
           "padding_share"]
