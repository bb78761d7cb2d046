"""The classifier networks (GRU, TextCNN, Transformer) on their own: one factory builds each from its config, an
old config (no ``network``) is a GRU, and padding never changes a text's logits."""
from __future__ import annotations

import pytest
import torch

from zhnlp.nn.choices import CLASSIFIER_NETWORKS
from zhnlp.nn.classifier import (
    NETWORKS,
    TEXTCNN_WIDTHS,
    ClassifierEnsemble,
    ClassifierNetConfig,
    GRUClassifier,
    TextCNN,
    TransformerClassifier,
    make_classifier_net,
)


def _cfg(**kw) -> ClassifierNetConfig:
    return ClassifierNetConfig(**{"n_tokens": 40, "n_classes": 3, "emb_dim": 8, "hidden": 6, "dropout": 0.2, **kw})


def _padded(lengths: list[int], seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """ids, bigram ids and lengths of a batch padded with 0 (the pad id) past each length."""
    g = torch.Generator().manual_seed(seed)
    T = max(lengths)
    ids, bigrams = torch.randint(2, 40, (len(lengths), T), generator=g), torch.randint(2, 20, (len(lengths), T), generator=g)
    for i, n in enumerate(lengths):
        ids[i, n:] = 0
        bigrams[i, n:] = 0
    return ids, bigrams, torch.tensor(lengths)


def test_the_factory_builds_every_listed_network_and_an_old_config_is_a_gru():
    assert tuple(NETWORKS) == CLASSIFIER_NETWORKS
    assert type(make_classifier_net(_cfg())) is GRUClassifier  # configs saved before `network` existed
    assert type(make_classifier_net(_cfg(network="textcnn"))) is TextCNN
    assert type(make_classifier_net(_cfg(network="transformer", heads=2, ff=16, hidden=8))) is TransformerClassifier
    with pytest.raises(ValueError, match="network must be one of gru, textcnn, transformer, not 'cnn'"):
        make_classifier_net(_cfg(network="cnn"))


def test_textcnn_has_filters_of_widths_2_3_4_and_hidden_filters_each():
    net = make_classifier_net(_cfg(network="textcnn", hidden=5))
    assert [c.kernel_size[0] for c in net.convs] == list(TEXTCNN_WIDTHS) == [2, 3, 4]
    assert [c.out_channels for c in net.convs] == [5, 5, 5] and net.out.in_features == 15


TRANSFORMER = {"network": "transformer", "hidden": 8, "heads": 2, "ff": 16, "layers": 2}


@pytest.mark.parametrize("net_kw", [{"network": "textcnn"}, {**TRANSFORMER, "pooling": "max"},
                                    {**TRANSFORMER, "pooling": "mean"}], ids=["textcnn", "transformer-max",
                                                                              "transformer-mean"])
@pytest.mark.parametrize("extras", [{}, {"n_bigrams": 20, "n_ngrams": 30}], ids=["tokens", "bigrams-ngrams"])
def test_logits_of_a_text_alone_equal_its_row_in_a_padded_batch(net_kw, extras):
    torch.manual_seed(0)
    net = make_classifier_net(_cfg(**net_kw, **extras)).eval()
    lengths = [9, 1, 4, 2, 9, 3]  # shorter than every filter width too
    ids, bigrams, lens = _padded(lengths)
    ngrams = torch.randint(0, 30, (len(lengths), 5)) if extras else None
    bg = bigrams if extras else None
    with torch.no_grad():
        together = net.logits(ids, lens, bg, ngrams)
        for i, n in enumerate(lengths):
            alone = net.logits(ids[i:i + 1, :n], lens[i:i + 1], None if bg is None else bg[i:i + 1, :n],
                               None if ngrams is None else ngrams[i:i + 1])
            torch.testing.assert_close(alone[0], together[i], atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("net_kw", [{"network": "textcnn"}, TRANSFORMER], ids=["textcnn", "transformer"])
def test_what_the_padding_holds_changes_nothing(net_kw):
    """Padded positions holding real token ids (not the pad id) still change nothing."""
    torch.manual_seed(1)
    net = make_classifier_net(_cfg(n_bigrams=20, **net_kw)).eval()
    ids, bigrams, lens = _padded([7, 2, 5])
    noisy_ids, noisy_bigrams = ids.clone(), bigrams.clone()
    for i, n in enumerate(lens.tolist()):
        noisy_ids[i, n:], noisy_bigrams[i, n:] = 7, 9
    with torch.no_grad():
        torch.testing.assert_close(net.logits(noisy_ids, lens, noisy_bigrams), net.logits(ids, lens, bigrams))


def test_textcnn_pools_the_maximum_over_time_of_relu_features():
    """Against a direct computation: each filter's best window (one with a real token), after ReLU."""
    torch.manual_seed(2)
    net = make_classifier_net(_cfg(network="textcnn", dropout=0.0)).eval()
    ids, _, lens = _padded([6, 3])
    with torch.no_grad():
        x = net.embed(ids)
        got = net.encode(x, lens)
        for b, n in enumerate(lens.tolist()):
            want = []
            for k, conv in zip(TEXTCNN_WIDTHS, net.convs):
                seq = torch.cat([torch.zeros(k - 1, 8), x[b, :n], torch.zeros(k - 1, 8)])  # wide: n + k - 1 windows
                windows = torch.stack([seq[t:t + k] for t in range(n + k - 1)])  # (W, k, E)
                scores = torch.einsum("wke,fek->wf", windows, conv.weight) + conv.bias
                want.append(torch.relu(scores.max(0).values))
            torch.testing.assert_close(got[b], torch.cat(want), atol=1e-5, rtol=1e-5)


def test_transformer_pools_the_encoders_outputs_over_real_positions():
    torch.manual_seed(4)
    net = make_classifier_net(_cfg(**TRANSFORMER, pooling="mean", dropout=0.0)).eval()
    ids, _, lens = _padded([6, 3])
    with torch.no_grad():
        x = net.embed(ids)
        out = net.encoder(net.inp(x), torch.arange(6)[None, :] < lens[:, None])
        torch.testing.assert_close(net.encode(x, lens), torch.stack([out[0, :6].mean(0), out[1, :3].mean(0)]))
        net.cfg.pooling = "max"
        torch.testing.assert_close(net.encode(x, lens), torch.stack([out[0, :6].amax(0), out[1, :3].amax(0)]))


def test_an_ensemble_may_mix_networks():
    torch.manual_seed(3)
    ens = ClassifierEnsemble([_cfg(), _cfg(network="textcnn"), _cfg(**TRANSFORMER)]).eval()
    assert [type(m) for m in ens.members] == [GRUClassifier, TextCNN, TransformerClassifier]
    ids, _, lens = _padded([5, 3])
    with torch.no_grad():
        mean = sum(torch.softmax(m.logits(ids, lens), -1) for m in ens.members) / 3
        torch.testing.assert_close(torch.softmax(ens.logits(ids, lens), -1), mean)
