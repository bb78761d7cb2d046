"""Batches for recurrent models: pad, pack, bucket, collate.

The recipe every model here follows: map tokens to ids, sort the batch by length
(descending), append EOS, pad with ``itertools.zip_longest(*batch, fillvalue=PAD)`` into a
``[seq_len, batch]`` LongTensor, embed, ``pack_padded_sequence``, run the RNN,
``pad_packed_sequence``, restore the caller's order. :func:`pad_batch` is the padding step,
:func:`run_rnn` the pack/run/unpack/unsort step, :class:`BucketBatchSampler` groups
sentences of similar length so little of each batch is padding, and the collate classes
turn dataset items into the tensors of each model family.
"""
from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import torch


def pad_batch(seqs: Sequence[Sequence[int]], eos: int | None, pad: int, batch_first: bool = False):
    """Sort by length (descending, stable), append ``eos``, pad with ``pad``.

    Returns ``(ids, lengths, order)``: ``ids`` is a LongTensor ``[seq_len, batch]``
    (``[batch, seq_len]`` with ``batch_first``) in sorted order, ``lengths`` a LongTensor of
    the sorted lengths (EOS included), and ``order`` the permutation that restores the
    caller's order: ``ids[:, order]`` (``ids[order]`` batch-first) is the input order.
    ``eos=None`` pads without appending anything.
    """
    import torch

    if not seqs:
        raise ValueError("pad_batch needs at least one sequence")
    perm = sorted(range(len(seqs)), key=lambda i: -len(seqs[i]))  # sorted() is stable
    tail = [eos] if eos is not None else []
    batch = [list(seqs[i]) + tail for i in perm]
    lengths = torch.tensor([len(s) for s in batch], dtype=torch.long)
    if int(lengths.min()) == 0:
        raise ValueError("pad_batch got an empty sequence and no eos to append")
    ids = torch.tensor(list(itertools.zip_longest(*batch, fillvalue=pad)), dtype=torch.long)
    if batch_first:
        ids = ids.t().contiguous()
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


def run_rnn(rnn, inputs: "torch.Tensor", lengths, hidden=None, *, need_hidden: bool = True,
            packed: bool | None = None, executor=None):
    """Run an ``nn.GRU``/``nn.LSTM``/``nn.RNN`` over a padded batch, padding excluded.

    ``inputs``: ``[seq_len, batch, dim]`` (``[batch, seq_len, dim]`` if ``rnn.batch_first``),
    in any order of lengths; ``lengths``: a sequence or LongTensor (kept on the CPU).
    Returns ``(outputs, final_hidden)`` in the caller's order, outputs zero beyond each
    length, so model code never repeats the sort/pack/unsort dance.

    Two exact ways, same numbers: ``pack_padded_sequence`` → RNN → ``pad_packed_sequence``
    (``packed=True``), or each direction run over the padded batch with every sequence
    reversed within its length for the backward direction (``packed=False``). The second
    lets CPUs use oneDNN's fused kernels and avoids the packed backward pass, whose cost on
    CPU grows with length × tokens; it is the default when gradients are needed, except
    for an LSTM whose final state is wanted (its cell state cannot be read off the
    outputs; pass ``need_hidden=False`` when only the outputs matter). Without gradients
    (inference) packing wins in float32: padding costs compute, and there is no backward
    pass; in bfloat16 the padded path, run in groups of similar length, wins (oneDNN's fused
    bf16 kernels). A batch with no padding runs the RNN directly.

    ``executor`` (a ``concurrent.futures`` executor), at inference: a bidirectional RNN runs
    each layer's backward direction there while the calling thread runs the forward one (the
    padded path), so that one batch uses two cores. Use it with ``torch.set_num_threads(1)``:
    two threads that each start a multi-threaded op oversubscribe the CPU.
    """
    import torch

    lengths = torch.as_tensor(lengths, dtype=torch.long).cpu()
    time_dim = 1 if rnn.batch_first else 0
    if executor is not None and rnn.bidirectional and hidden is None and not torch.is_grad_enabled():
        return _run_grouped(rnn, inputs, lengths, need_hidden, executor=executor)
    if int(lengths.min()) == inputs.shape[time_dim]:
        return rnn(inputs, hidden)  # no padding (common in bucketed batches)
    if packed is None:
        inference_fp = not torch.is_grad_enabled() and inputs.dtype != torch.bfloat16
        packed = (hidden is not None or getattr(rnn, "proj_size", 0) > 0 or inference_fp
                  or (isinstance(rnn, torch.nn.LSTM) and need_hidden))
    if packed:
        return _run_packed(rnn, inputs, lengths, hidden)
    if not torch.is_grad_enabled():
        return _run_grouped(rnn, inputs, lengths, need_hidden)
    return _run_reversed(rnn, inputs, lengths, need_hidden)


def length_groups(lengths: Sequence[int], slack: float = 1.2) -> list[list[int]]:
    """Indices of ``lengths`` in groups of similar length, longest first: a group grows while
    its padded size (count x longest) stays within ``slack`` x its real tokens."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    groups: list[list[int]] = []
    tokens = 0
    for i in order:
        if groups and (len(groups[-1]) + 1) * lengths[groups[-1][0]] <= slack * (tokens + lengths[i]):
            groups[-1].append(i)
            tokens += lengths[i]
        else:
            groups.append([i])
            tokens = lengths[i]
    return groups


def _run_grouped(rnn, inputs, lengths, need_hidden: bool, slack: float = 1.2, executor=None):
    """Inference over the padded batch (:func:`_run_reversed`), split into groups of similar
    length so that padding costs at most ``slack`` - 1 of the work (the longest sentences of
    a batch sorted by length otherwise pad the rest)."""
    import torch

    lens = lengths.tolist()
    groups = length_groups(lens, slack)
    if len(groups) == 1:
        return _run_reversed(rnn, inputs, lengths, need_hidden, executor)
    x = inputs if rnn.batch_first else inputs.transpose(0, 1)  # (B, T, dim)
    B, T, _ = x.shape
    dirs = 2 if rnn.bidirectional else 1
    out = x.new_zeros(B, T, dirs * rnn.hidden_size)
    h = x.new_zeros(rnn.num_layers * dirs, B, rnn.hidden_size) if need_hidden else None
    for group in groups:
        idx = torch.tensor(group, device=x.device)
        width = lens[group[0]]
        sub = x[:, :width].index_select(0, idx)  # contiguous: no copy when the rows are reversed
        o, hg = _run_reversed(rnn, sub if rnn.batch_first else sub.transpose(0, 1), lengths[group], need_hidden,
                              executor)
        out[idx, :width] = o if rnn.batch_first else o.transpose(0, 1)
        if need_hidden:
            h[:, idx] = hg
    return (out if rnn.batch_first else out.transpose(0, 1)), h


def _run_packed(rnn, inputs, lengths, hidden):
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    packed = pack_padded_sequence(inputs, lengths, batch_first=rnn.batch_first, enforce_sorted=False)
    out, h = rnn(packed, hidden)
    out, _ = pad_packed_sequence(out, batch_first=rnn.batch_first,
                                 total_length=inputs.shape[1 if rnn.batch_first else 0])
    return out, h  # final states are unsorted by the RNN itself (PackedSequence.unsorted_indices)


def _run_reversed(rnn, inputs, lengths, need_hidden: bool, executor=None):
    """Layer by layer, direction by direction, over the padded batch (see :func:`run_rnn`);
    with an ``executor``, a layer's backward direction runs there beside the forward one."""
    import torch
    import torch.nn.functional as F

    x = inputs if rnn.batch_first else inputs.transpose(0, 1)  # (B, T, dim)
    B, T, _ = x.shape
    dev_lengths = lengths.to(x.device)
    pos = torch.arange(T, device=x.device).unsqueeze(0).expand(B, T)
    rev = dev_lengths.unsqueeze(1) - 1 - pos
    rev = torch.where(rev >= 0, rev, pos)  # reverse within each length; padding stays put
    # Rows of the (B*T, dim) view: index_select is many times faster than gather with an
    # expanded index (and its backward a plain index_add), in float32 and bfloat16 alike.
    row0 = torch.arange(B, device=x.device).unsqueeze(1) * T
    rev_rows = (rev + row0).reshape(-1)
    last_rows = (dev_lengths - 1).clamp(min=0) + row0.squeeze(1)
    valid = (pos < dev_lengths.unsqueeze(1)).unsqueeze(2)  # (B, T, 1)

    def rows(t, index):  # t (B, T, dim) -> t.reshape(B*T, dim)[index]
        return t.reshape(B * T, t.shape[2]).index_select(0, index)
    op = {torch.nn.LSTM: torch.lstm, torch.nn.GRU: torch.gru}.get(type(rnn))
    if op is None and isinstance(rnn, torch.nn.RNN):
        op = torch.rnn_tanh if rnn.nonlinearity == "tanh" else torch.rnn_relu
    if op is None:
        raise TypeError(f"run_rnn supports nn.LSTM, nn.GRU and nn.RNN, not {type(rnn).__name__}")
    is_lstm = isinstance(rnn, torch.nn.LSTM)
    dirs = 2 if rnn.bidirectional else 1
    finals = []
    layer_in = x
    for layer in range(rnn.num_layers):
        if layer and rnn.dropout and rnn.training:
            layer_in = F.dropout(layer_in, rnn.dropout, True)

        def direction(d: int, layer: int = layer, layer_in=layer_in):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            params = [getattr(rnn, f"weight_ih{sfx}"), getattr(rnn, f"weight_hh{sfx}")]
            if rnn.bias:
                params += [getattr(rnn, f"bias_ih{sfx}"), getattr(rnn, f"bias_hh{sfx}")]
            inp = layer_in if d == 0 else rows(layer_in, rev_rows).view(B, T, -1)
            h0 = inp.new_zeros(1, B, rnn.hidden_size)
            if is_lstm:
                out, _, _ = op(inp, (h0, h0), params, rnn.bias, 1, 0.0, rnn.training, False, True)
            else:
                out, _ = op(inp, h0, params, rnn.bias, 1, 0.0, rnn.training, False, True)
            final = rows(out, last_rows) if need_hidden else None  # the state after each sequence's last step
            return (rows(out, rev_rows).view(B, T, -1) if d else out), final

        if executor is not None and dirs == 2:
            backward = executor.submit(_without_grad, direction, 1, torch.is_inference_mode_enabled())
            done = [direction(0), backward.result()]
        else:
            done = [direction(d) for d in range(dirs)]
        finals.extend(f for _, f in done if f is not None)
        layer_in = torch.cat([o for o, _ in done], 2) if dirs == 2 else done[0][0]
    out = layer_in * valid  # zero beyond each length, as pad_packed_sequence gives
    if not rnn.batch_first:
        out = out.transpose(0, 1)
    h = torch.stack(finals) if need_hidden else None  # (layers * dirs, B, H), nn.GRU's order
    return out, h


def _without_grad(fn, arg, inference_mode: bool):
    """``fn(arg)`` on an executor's thread, in the caller's no-grad or inference mode (both
    are thread-local)."""
    import torch

    with torch.inference_mode() if inference_mode else torch.no_grad():
        return fn(arg)


def to_device(batch: dict, device) -> dict:
    """A collated batch on ``device`` (nested dicts too); ``lengths`` stay on the CPU, where
    ``pack_padded_sequence`` wants them."""
    out = {}
    for key, value in batch.items():
        if isinstance(value, dict):
            out[key] = to_device(value, device)
        elif hasattr(value, "to") and key not in ("lengths", "src_lengths"):
            out[key] = value.to(device, non_blocking=True)
        else:
            out[key] = value
    return out


def lengths_to_mask(lengths, max_len: int | None = None, batch_first: bool = True) -> "torch.Tensor":
    """Bool mask, True at real positions: ``[batch, max_len]`` (transposed if not batch_first)."""
    import torch

    lengths = torch.as_tensor(lengths, dtype=torch.long)
    n = int(lengths.max()) if max_len is None else max_len
    mask = torch.arange(n, device=lengths.device)[None, :] < lengths[:, None]
    return mask if batch_first else mask.t()


class BucketBatchSampler:
    """Batches of similar-length items, for ``DataLoader(batch_sampler=...)``.

    Each epoch: shuffle the indices (seeded by ``seed`` and the epoch), cut them into pools
    of ``batch_size * pool_factor``, sort each pool by length, cut pools into batches and
    shuffle the batches. Similar lengths share a batch (little padding, short RNN loops)
    while batch composition still changes every epoch. ``shuffle=False`` gives the same
    length-sorted batches every time (for evaluation). ``num_replicas``/``rank`` split the
    batches between distributed processes (every rank gets the same number).
    Call :meth:`set_epoch` before each epoch (the trainer does).
    """

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
    """Items ``{"ids": [...], "tags": [...], "features": {name: [...]}}`` (tags, features
    optional) → dict of batch-first tensors: ``ids``, ``features`` (dict), ``tags`` (padded
    with ``tag_pad``), ``lengths`` and the bool ``mask``, in item order (``run_rnn`` packs
    them; CRFs want the mask)."""

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
    """Items ``{"ids": [...], "label": int, "features": {name: [...]}}`` (label and
    features optional) → ``ids`` (batch-first, EOS appended when ``eos`` is set),
    ``lengths``, ``labels`` and ``features`` (each padded with ``feature_pad``, which also
    fills the EOS position)."""

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
        ftail = [self.feature_pad] if self.eos is not None else []
        feats = items[0].get("features") or {}
        if feats:
            batch["features"] = {name: pad_sequences([list(it["features"][name]) + ftail for it in items],
                                                     self.feature_pad) for name in feats}
        return batch


@dataclass(frozen=True)
class Seq2SeqCollate:
    """Items ``{"src": [...], "tgt": [...]}`` (tgt optional) → ``src`` with EOS and
    ``src_lengths``; ``tgt_in`` = BOS + target and ``tgt_out`` = target + EOS (teacher forcing
    reads one, the loss the other), ``tgt_lengths``. ``[seq_len, batch]`` unless batch_first."""

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
    """Share of padded positions when ``batches`` (lists of indices) are padded to their
    longest item: what bucketing saves."""
    real = padded = 0
    for b in batches:
        ls = [lengths[i] for i in b]
        real += sum(ls)
        padded += max(ls) * len(ls)
    return 1 - real / padded if padded else 0.0


__all__ = ["pad_batch", "pad_sequences", "run_rnn", "to_device", "lengths_to_mask", "BucketBatchSampler",
           "RandomBatchSampler", "TaggingCollate", "ClassificationCollate", "Seq2SeqCollate",
           "padding_share"]
