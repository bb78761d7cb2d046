"""The CRF layer: Viterbi and likelihood against brute force and against pytorch-crf, padding respected."""
from __future__ import annotations

import itertools

import pytest
import torch

from zhnlp.nn.crf import CRF

def _path_score(crf: CRF, em, path, constrained=False):
    start, trans, end = crf.scores(constrained)
    s = start[path[0]] + em[0, path[0]]
    for a, b, t in zip(path, path[1:], range(1, len(path))):
        s = s + trans[a, b] + em[t, b]
    return s + end[path[-1]]


@pytest.mark.parametrize("constrained", [False, True])
def test_crf_viterbi_and_likelihood_match_brute_force(constrained):
    torch.manual_seed(0)
    K = 4
    allowed = ([True, True, False, True], [[True, True, False, True], [True, False, True, True],
                                           [False, True, True, True], [True, True, True, False]],
               [True, False, True, True])
    crf = CRF(K, allowed)
    torch.nn.init.normal_(crf.crf.transitions)
    for T in (1, 2, 3):
        em = torch.randn(1, T, K)
        mask = torch.ones(1, T, dtype=torch.bool)
        paths = list(itertools.product(range(K), repeat=T))
        scores = torch.stack([_path_score(crf, em[0], p, constrained) for p in paths])
        assert crf.decode(em, mask, constrained)[0] == list(paths[int(scores.argmax())])
        if constrained:
            best = list(paths[int(scores.argmax())])
            assert allowed[0][best[0]] and allowed[2][best[-1]]
            assert all(allowed[1][a][b] for a, b in zip(best, best[1:]))
        gold = torch.tensor([paths[5 % len(paths)]])
        unconstrained = torch.stack([_path_score(crf, em[0], p) for p in paths])
        expected = torch.logsumexp(unconstrained, 0) - _path_score(crf, em[0], gold[0].tolist())
        assert torch.allclose(crf.nll(em, gold, mask), expected, atol=1e-4)


def test_crf_decode_handles_padding_like_single_sentences():
    torch.manual_seed(1)
    crf = CRF(5)
    em = torch.randn(3, 6, 5)
    mask = torch.tensor([[1] * 6, [1] * 2 + [0] * 4, [1] * 4 + [0] * 2], dtype=torch.bool)
    batch = crf.decode(em, mask)
    for i, n in enumerate((6, 2, 4)):
        assert batch[i] == crf.decode(em[i:i + 1, :n], mask[i:i + 1, :n])[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_viterbi_matches_pytorch_crf_decode_on_ragged_batches(seed):
    """The batched Viterbi (longest first, numpy back-pointers) against pytorch-crf's own
    decode, on batches in no length order with padding of every amount."""
    g = torch.Generator().manual_seed(seed)
    K, B, T = 7, 13, 17
    crf = CRF(K)
    torch.nn.init.normal_(crf.crf.transitions, generator=g)
    torch.nn.init.normal_(crf.crf.start_transitions, generator=g)
    torch.nn.init.normal_(crf.crf.end_transitions, generator=g)
    em = torch.randn(B, T, K, generator=g)
    lengths = torch.randint(1, T + 1, (B,), generator=g)
    lengths[0] = T
    mask = torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)
    assert crf.decode(em, mask, constrained=False) == crf.crf.decode(em, mask)



@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nll_matches_pytorch_crf_on_ragged_batches(seed):
    """The fast likelihood (vectorised gold score, matrix-product forward algorithm, longest
    first) gives pytorch-crf's value and gradients, whatever the padding."""
    g = torch.Generator().manual_seed(seed)
    K, B, T = 6, 11, 15
    crf = CRF(K)
    for p in (crf.crf.transitions, crf.crf.start_transitions, crf.crf.end_transitions):
        torch.nn.init.normal_(p, generator=g)
    em = (3 * torch.randn(B, T, K, generator=g)).requires_grad_()
    lengths = torch.randint(1, T + 1, (B,), generator=g)
    lengths[seed] = T
    mask = torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)
    tags = torch.randint(0, K, (B, T), generator=g)
    ours = crf.nll(em, tags, mask)
    theirs = -crf.crf(em, tags, mask=mask, reduction="sum")
    assert torch.allclose(ours, theirs, rtol=1e-5)
    params = [em, crf.crf.transitions, crf.crf.start_transitions, crf.crf.end_transitions]
    for a, b in zip(torch.autograd.grad(ours, params), torch.autograd.grad(theirs, params)):
        assert torch.allclose(a, b, atol=1e-4)
