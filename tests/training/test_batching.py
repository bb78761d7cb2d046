"""Batching: the seed's pad/pack recipe, the pack/unpack helper, bucketing and collate functions."""
from __future__ import annotations

import random

import pytest
import torch
from torch.utils.data import DataLoader

from zhnlp.training.batching import (BucketBatchSampler, ClassificationCollate, RandomBatchSampler,
                            Seq2SeqCollate, TaggingCollate, lengths_to_mask, pad_batch,
                            length_groups, padding_share, run_rnn)

SEED_BATCH = [[3, 6, 5, 6, 7], [6, 4, 7, 9, 5], [4, 5, 8, 7]]


def test_seed_worked_example():
    ids, lengths, order = pad_batch(SEED_BATCH, eos=1, pad=2)
    assert ids.dtype == torch.long
    assert ids.tolist() == [[3, 6, 4], [6, 4, 5], [5, 7, 8], [6, 9, 7], [7, 5, 1], [1, 1, 2]]
    assert lengths.tolist() == [6, 6, 5]
    embedded = torch.nn.Embedding(10, 4)(ids)
    packed = torch.nn.utils.rnn.pack_padded_sequence(embedded, lengths)
    assert packed.batch_sizes.tolist() == [3, 3, 3, 3, 3, 2]


def test_sort_is_stable_and_order_restores_input():
    seqs = [[1], [2, 2, 2], [3, 3], [4, 4, 4], [5]]
    ids, lengths, order = pad_batch(seqs, eos=9, pad=0)
    # equal lengths keep their input order: [2,2,2] before [4,4,4], [1] before [5]
    assert ids[0].tolist() == [2, 4, 3, 1, 5]
    assert lengths.tolist() == [4, 4, 3, 2, 2]
    restored = ids[:, order]
    for col, seq in enumerate(seqs):
        assert restored[: len(seq) + 1, col].tolist() == seq + [9]
    bf, _, order_bf = pad_batch(seqs, eos=None, pad=0, batch_first=True)
    assert bf[order_bf][1].tolist() == [2, 2, 2] and bf.shape == (5, 3)


def test_pad_batch_equals_zip_longest_recipe():
    rng = random.Random(0)
    seqs = [[rng.randrange(3, 50) for _ in range(rng.randrange(1, 12))] for _ in range(40)]
    ids, lengths, order = pad_batch(seqs, eos=1, pad=2)
    import itertools
    expected = sorted(seqs, key=len, reverse=True)
    expected = [s + [1] for s in expected]
    assert ids.tolist() == [list(r) for r in itertools.zip_longest(*expected, fillvalue=2)]


@pytest.mark.parametrize("cell", [torch.nn.GRU, torch.nn.LSTM])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("packed", [True, False])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("grad", [True, False])  # without gradients the reversed path runs length groups
def test_run_rnn_matches_one_sentence_at_a_time(cell, batch_first, packed, layers, grad):
    torch.manual_seed(0)
    rnn = cell(4, 5, batch_first=batch_first, bidirectional=True, num_layers=layers)
    seqs = [torch.randn(n, 4) for n in (2, 6, 3, 6)]  # unsorted lengths
    padded = torch.nn.utils.rnn.pad_sequence(seqs, batch_first=batch_first)
    with torch.set_grad_enabled(grad):
        out, h = run_rnn(rnn, padded, [len(s) for s in seqs], packed=packed)
    if cell is torch.nn.LSTM and not packed:  # the reversed path gives hidden states, not cells
        h = (h, None)
    hn = h[0] if cell is torch.nn.LSTM else h
    for i, s in enumerate(seqs):
        single, hs = rnn(s.unsqueeze(0 if batch_first else 1))
        hs = hs[0] if cell is torch.nn.LSTM else hs
        got = out[i, : len(s)] if batch_first else out[: len(s), i]
        want = single[0] if batch_first else single[:, 0]
        assert torch.allclose(got, want, atol=1e-5)
        assert torch.allclose(hn[:, i], hs[:, 0], atol=1e-5)
        pad_part = out[i, len(s):] if batch_first else out[len(s):, i]
        assert pad_part.abs().sum() == 0


@pytest.fixture
def one_torch_thread():
    """One intra-op thread while the test runs (what an executor for the backward direction
    needs: two threads each starting multi-threaded ops oversubscribe the CPU)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("cell", [torch.nn.GRU, torch.nn.LSTM])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_run_rnn_with_an_executor_runs_the_backward_direction_there(cell, layers, dtype, one_torch_thread):
    from concurrent.futures import ThreadPoolExecutor

    torch.manual_seed(0)
    rnn = cell(4, 5, batch_first=True, bidirectional=True, num_layers=layers).to(dtype)
    seqs = [torch.randn(n, 4, dtype=dtype) for n in (2, 9, 3, 9, 1, 30)]
    padded = torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True)
    lengths = [len(s) for s in seqs]
    threads = []

    class Recording(ThreadPoolExecutor):
        def submit(self, fn, *args, **kwargs):
            threads.append(fn)
            return super().submit(fn, *args, **kwargs)

    with Recording(1) as pool, torch.inference_mode():
        want, hw = run_rnn(rnn, padded, lengths, packed=False)
        got, hg = run_rnn(rnn, padded, lengths, executor=pool)
        same_length = torch.stack([seqs[1], seqs[3]])
        plain, _ = run_rnn(rnn, same_length, [9, 9], need_hidden=False)
        split, _ = run_rnn(rnn, same_length, [9, 9], need_hidden=False, executor=pool)
    assert torch.equal(got, want) and torch.equal(hg, hw)  # the same operations, in two threads
    assert torch.allclose(split.float(), plain.float(), atol=1e-2 if dtype == torch.bfloat16 else 1e-6)
    assert len(threads) >= 2 * layers  # every layer's backward direction went to the executor
    before = len(threads)
    with torch.enable_grad(), Recording(1) as pool:  # training never splits (autograd needs one thread)
        run_rnn(rnn, padded, lengths, executor=pool)
    assert len(threads) == before


def test_length_groups_bound_padding():
    lengths = [2, 6, 3, 6, 40, 1, 39, 5]
    groups = length_groups(lengths, slack=1.2)
    assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
    assert [[lengths[i] for i in g] for g in groups] == [[40, 39], [6, 6, 5, 3], [2], [1]]
    for g in groups:
        assert len(g) * lengths[g[0]] <= 1.2 * sum(lengths[i] for i in g)


def test_run_rnn_reversed_path_gradients_match_packed():
    torch.manual_seed(0)
    rnn = torch.nn.LSTM(3, 4, batch_first=True, bidirectional=True)
    x = torch.randn(3, 5, 3, requires_grad=True)
    lengths = [5, 2, 4]
    grads = []
    for packed in (True, False):
        x.grad = None
        rnn.zero_grad()
        out, _ = run_rnn(rnn, x, lengths, packed=packed, need_hidden=False)
        (out ** 2).sum().backward()
        grads.append((x.grad.clone(), rnn.weight_hh_l0_reverse.grad.clone()))
    assert torch.allclose(grads[0][0], grads[1][0], atol=1e-5)
    assert torch.allclose(grads[0][1], grads[1][1], atol=1e-5)


def test_lengths_to_mask():
    assert lengths_to_mask([2, 3]).tolist() == [[True, True, False], [True, True, True]]
    assert lengths_to_mask([1], max_len=2, batch_first=False).tolist() == [[True], [False]]


def _lengths(n=1000, seed=0):
    rng = random.Random(seed)
    return [rng.randrange(1, 120) for _ in range(n)]


def test_bucket_sampler_covers_every_item_once_and_groups_lengths():
    lengths = _lengths()
    s = BucketBatchSampler(lengths, 32, seed=1)
    batches = list(s)
    assert len(batches) == len(s)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(1 <= len(b) <= 32 for b in batches)
    random_batches = list(RandomBatchSampler(lengths, 32, seed=1))
    assert padding_share(batches, lengths) < 0.1 < 0.3 < padding_share(random_batches, lengths)


def test_bucket_sampler_is_seeded_and_reshuffles_per_epoch():
    lengths = _lengths()
    a, b = BucketBatchSampler(lengths, 16, seed=5), BucketBatchSampler(lengths, 16, seed=5)
    assert list(a) == list(b)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first
    assert list(BucketBatchSampler(lengths, 16, seed=6)) != first


def test_bucket_sampler_drop_last_eval_order_and_replicas():
    lengths = _lengths(101)
    s = BucketBatchSampler(lengths, 10, drop_last=True, seed=0)
    assert all(len(b) == 10 for b in s) and len(list(s)) == len(s)
    ev = list(BucketBatchSampler(lengths, 10, shuffle=False))
    assert [lengths[i] for b in ev for i in b] == sorted(lengths, reverse=True)
    parts = [list(BucketBatchSampler(lengths, 10, seed=2, num_replicas=2, rank=r)) for r in (0, 1)]
    assert len(parts[0]) == len(parts[1]) == len(BucketBatchSampler(lengths, 10, num_replicas=2))
    assert set(i for p in parts for b in p for i in b) == set(range(101))


def test_tagging_collate():
    items = [{"ids": [5, 6], "tags": [1, 2], "features": {"bigram": [7, 8]}},
             {"ids": [4, 5, 6], "tags": [3, 3, 1], "features": {"bigram": [9, 9, 9]}}]
    b = TaggingCollate(pad=2, tag_pad=0)(items)
    assert b["ids"].tolist() == [[5, 6, 2], [4, 5, 6]]
    assert b["tags"].tolist() == [[1, 2, 0], [3, 3, 1]]
    assert b["features"]["bigram"].tolist() == [[7, 8, 0], [9, 9, 9]]
    assert b["lengths"].tolist() == [2, 3] and b["mask"].tolist() == [[True, True, False], [True] * 3]


def test_classification_and_seq2seq_collate():
    b = ClassificationCollate(pad=2, eos=1)([{"ids": [5], "label": 1}, {"ids": [6, 7], "label": 0}])
    assert b["ids"].tolist() == [[5, 1, 2], [6, 7, 1]] and b["labels"].tolist() == [1, 0]
    assert b["lengths"].tolist() == [2, 3]
    s = Seq2SeqCollate(src_pad=2, tgt_pad=2, bos=3, eos=1)([{"src": [5, 6], "tgt": [7]},
                                                             {"src": [8], "tgt": [9, 9]}])
    assert s["src"].tolist() == [[5, 8], [6, 1], [1, 2]]  # [seq_len, batch]
    assert s["tgt_in"].tolist() == [[3, 3], [7, 9], [2, 9]]
    assert s["tgt_out"].tolist() == [[7, 9], [1, 9], [2, 1]]
    assert s["src_lengths"].tolist() == [3, 2] and s["tgt_lengths"].tolist() == [2, 3]


class _Items(torch.utils.data.Dataset):
    def __init__(self, lengths):
        self.lengths = lengths

    def __len__(self):
        return len(self.lengths)

    def __getitem__(self, i):
        return {"ids": [i % 50 + 3] * self.lengths[i], "label": i % 2}


def test_works_with_dataloader_worker_processes():
    lengths = _lengths(200)
    sampler = BucketBatchSampler(lengths, 16, seed=0)
    loader = DataLoader(_Items(lengths), batch_sampler=sampler, num_workers=2,
                        collate_fn=ClassificationCollate(pad=2, eos=1))
    seen = 0
    for batch, idx in zip(loader, list(sampler)):
        assert batch["lengths"].tolist() == [lengths[i] + 1 for i in idx]
        seen += len(idx)
    assert seen == 200


def test_run_rnn_without_padding_takes_the_plain_path_with_the_same_result():
    torch.manual_seed(0)
    rnn = torch.nn.GRU(4, 3, batch_first=True, bidirectional=True)
    x = torch.randn(2, 5, 4)
    out, h = run_rnn(rnn, x, [5, 5])
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor([5, 5]), batch_first=True)
    ref, href = rnn(packed)
    ref, _ = torch.nn.utils.rnn.pad_packed_sequence(ref, batch_first=True)
    assert torch.allclose(out, ref, atol=1e-6) and torch.allclose(h, href, atol=1e-6)
