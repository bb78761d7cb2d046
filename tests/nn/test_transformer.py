"""TENER's encoder: the attention score against its formula, padding and masks respected, direction-aware."""
from __future__ import annotations

import pytest
import torch

from zhnlp.nn.transformer import NORMS, RelativeSelfAttention, TransformerEncoder, relative_sinusoids


def _encoder(**kw) -> TransformerEncoder:
    torch.manual_seed(0)
    args = {"dim": 16, "layers": 2, "heads": 2, "ff": 32, "dropout": 0.1} | kw
    return TransformerEncoder(**args).eval()


def test_attention_scores_follow_tener_formula_unscaled():
    torch.manual_seed(0)
    attn = RelativeSelfAttention(dim=8, heads=2, dropout=0.0)
    x = torch.randn(1, 4, 8)
    scores, _ = attn.scores(x)
    q, k, _ = attn.qkv(x).view(1, 4, 3, 2, 4).unbind(2)  # each (1, T, H, dh)
    R = relative_sinusoids(4, 4)  # row i: the offset i - 3
    for h in range(2):
        for t in range(4):
            for j in range(4):
                r = R[t - j + 3]
                want = q[0, t, h] @ k[0, j, h] + q[0, t, h] @ r + attn.u[h] @ k[0, j, h] + attn.v[h] @ r
                assert scores[0, h, t, j].item() == pytest.approx(want.item(), abs=1e-5)


def test_relative_sinusoids_tell_left_from_right():
    R = relative_sinusoids(3, 6)
    assert R.shape == (5, 6)
    assert torch.allclose(R[2], torch.tensor([0.0, 0, 0, 1, 1, 1]))  # offset 0: sin 0, cos 0
    assert not torch.allclose(R[1], R[3])  # offsets -1 and +1 differ (the sine's sign)
    assert torch.allclose(R[1, 3:], R[3, 3:])  # ... only in the sine half


@pytest.mark.parametrize("norm", NORMS)
def test_sentence_alone_and_in_padded_batch_give_same_outputs(norm):
    enc = _encoder(norm=norm)
    torch.manual_seed(1)
    x = torch.randn(3, 7, 16)
    mask = torch.tensor([[True] * 7, [True] * 4 + [False] * 3, [True] * 2 + [False] * 5])
    with torch.no_grad():
        batch = enc(x, mask)
        for i, n in enumerate(mask.sum(1).tolist()):
            alone = enc(x[i:i + 1, :n], torch.ones(1, n, dtype=torch.bool))
            assert torch.allclose(batch[i, :n], alone[0], atol=1e-5)
            assert torch.equal(batch[i, n:], torch.zeros(7 - n, 16))  # padded positions are zeros


@pytest.mark.parametrize("norm", NORMS)
def test_padded_inputs_do_not_reach_real_positions(norm):
    enc = _encoder(norm=norm)
    x = torch.randn(2, 6, 16)
    mask = torch.tensor([[True] * 6, [True] * 3 + [False] * 3])
    noisy = x.clone()
    noisy[1, 3:] = 1e3 * torch.randn(3, 16)
    with torch.no_grad():
        assert torch.allclose(enc(x, mask), enc(noisy, mask), atol=1e-5)


@pytest.mark.parametrize("norm", NORMS)
def test_positions_are_direction_aware(norm):
    """In a mirror-symmetric input (a b a) only the offsets' signs tell the first position from the last."""
    enc = _encoder(dropout=0.0, norm=norm)
    a, b = torch.randn(2, 16)
    x = torch.stack([a, b, a]).unsqueeze(0)
    with torch.no_grad():
        out = enc(x, torch.ones(1, 3, dtype=torch.bool))[0]
    assert not torch.allclose(out[0], out[2], atol=1e-4)


@pytest.mark.parametrize("norm", NORMS)
def test_a_sentence_with_no_real_token_gives_zeros_not_nan(norm):
    enc = _encoder(norm=norm)
    mask = torch.tensor([[True, True], [False, False]])
    with torch.no_grad():
        out = enc(torch.randn(2, 2, 16), mask)
    assert torch.isfinite(out).all() and torch.equal(out[1], torch.zeros(2, 16))


@pytest.mark.parametrize("norm", NORMS)
def test_gradients_reach_every_parameter(norm):
    enc = _encoder(norm=norm).train()
    enc(torch.randn(2, 5, 16), torch.ones(2, 5, dtype=torch.bool)).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in enc.parameters())


@pytest.mark.parametrize("kw, message", [
    ({"dim": 10, "heads": 3}, "the model size (10) must be a multiple of the number of heads (3)"),
    ({"dim": 6, "heads": 2}, "the size per head (3) must be even"),
    ({"layers": 0}, "at least one layer, not 0"),
    ({"norm": "mid"}, "norm must be one of post, pre, not 'mid'"),
])
def test_bad_shapes_are_refused(kw, message):
    with pytest.raises(ValueError) as e:
        _encoder(**kw)
    assert message in str(e.value)


def test_post_norm_blocks_normalise_each_residual_sum():
    """TENER's blocks: LayerNorm(x + attention(x)), then LayerNorm(x + feed-forward(x)); no final LayerNorm."""
    enc = _encoder(norm="post", layers=1, dropout=0.0)
    x = torch.randn(2, 5, 16)
    mask = torch.ones(2, 5, dtype=torch.bool)
    block = enc.blocks[0]
    with torch.no_grad():
        h = block.norm_attn(x + block.attn(x, mask))
        want = block.norm_ff(h + block.ff(h))
        assert torch.allclose(enc(x, mask), want, atol=1e-6)
    assert enc.norm is None and _encoder(norm="pre").norm is not None
