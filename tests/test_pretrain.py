"""Language-model pretraining of a classifier's encoder (zhnlp.pretrain): it learns the text
(dev perplexity far below a uniform guess), neither direction sees the token it predicts,
the classifier starts from its embeddings and GRU, mismatched shapes and wrong directories
are refused with one line, and the CLI round trip."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch

from classifier_fixtures import labeled_rows, make_text, write_csv, LABELS
from conftest import fast_train_config, invoke, one_line_error
from zhnlp.batching import ClassificationCollate
from zhnlp.classifier import ClassifierConfig, TextEncoder, build_module, train_classifier
from zhnlp.errors import ZhnlpError
from zhnlp.pretrain import EncoderConfig, _torch_module, load_encoder, pretrain_encoder
from zhnlp.serialization import load_model

TINY = dict(emb_dim=16, hidden=16)


def _text(path: Path, n: int, seed: int) -> Path:
    rng = random.Random(seed)
    path.write_text("".join(make_text(LABELS[i % 3], rng) + "\n" for i in range(n)) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    d = tmp_path_factory.mktemp("pretrain")
    res = pretrain_encoder(_text(d / "text.txt", 400, 1), d / "enc", config=EncoderConfig(**TINY, min_freq=1),
                           train_config=fast_train_config(epochs=4, batch_size=16), dev=_text(d / "dev.txt", 60, 2))
    return d / "enc", res


def test_learns_the_text_and_writes_a_model_directory(encoder):
    path, res = encoder
    files = load_model(path)
    assert files.model_type == "gru-lm-encoder" and "tokens" in files.vocabs
    assert {"config.json", "model.safetensors", "metrics.json", "vocab-tokens.json"} <= {p.name for p in path.iterdir()}
    metrics = json.loads((path / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["train_lines"] == 400 and metrics["dev_lines"] == 60  # the empty last line is left out
    # a uniform guess has perplexity = vocabulary size; the texts are made of a few dozen words
    assert metrics["dev"]["perplexity"] < 0.3 * metrics["vocab_size"], metrics["dev"]
    log = [json.loads(line) for line in (path / "training_log.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(log) == 4 and metrics["dev"]["perplexity"] == min(e["dev_perplexity"] for e in log)
    assert log[-1]["dev_perplexity"] < log[0]["dev_perplexity"]


def test_neither_direction_sees_the_token_it_predicts():
    from zhnlp.batching import run_rnn
    from zhnlp.vocab import Vocab

    vocab = Vocab.build([list("abcdefgh")])
    torch.manual_seed(0)
    lm = _torch_module()(EncoderConfig(**TINY, dropout=0.0), vocab).eval()
    a = torch.tensor([vocab.encode(list("abcdefg"))])
    b = a.clone()
    k = 3
    b[0, k] = vocab.stoi["h"]
    outs = [run_rnn(lm.rnn, lm.embed(x), torch.tensor([x.shape[1]]), need_hidden=False)[0] for x in (a, b)]
    h = lm.config.hidden
    # forward state at t predicts token t+1 and has read tokens <= t; backward at t predicts t-1, read >= t
    assert torch.equal(outs[0][0, :k, :h], outs[1][0, :k, :h])
    assert not torch.allclose(outs[0][0, k:, :h], outs[1][0, k:, :h])
    assert torch.equal(outs[0][0, k + 1:, h:], outs[1][0, k + 1:, h:])
    assert not torch.allclose(outs[0][0, :k + 1, h:], outs[1][0, :k + 1, h:])
    # the loss counts 2 (len - 1) predictions and matches a hand computation of the forward head
    batch = ClassificationCollate(pad=vocab.pad_id)([{"ids": a[0].tolist()}])
    loss, n = lm.nll(batch)
    assert n == 2 * (a.shape[1] - 1)
    out = outs[0][0]
    fwd = -lm.heads[0].log_prob(out[:-1, :h])[torch.arange(6), a[0, 1:]].sum()
    bwd = -lm.heads[1].log_prob(out[1:, h:])[torch.arange(6), a[0, :-1]].sum()
    assert torch.allclose(loss, fwd + bwd, atol=1e-4)


def test_classifier_starts_from_the_encoders_weights(encoder, tmp_path):
    path, _ = encoder
    files = load_model(path)
    rows = labeled_rows(60, seed=5)
    config = ClassifierConfig(**TINY)
    enc = TextEncoder.build(config, [t for t, _ in rows], [lab for _, lab in rows])
    module = build_module(config, enc)
    coverage = load_encoder(module.net, enc.vocabs["tokens"], path, config)
    assert coverage > 0.9
    for name, value in module.net.rnn.state_dict().items():
        assert torch.equal(value, files.tensors["rnn." + name])
    src = files.vocabs["tokens"]
    for tok in ("足", "饭", "脑"):
        assert torch.equal(module.net.embed.weight[enc.vocabs["tokens"].stoi[tok]],
                           files.tensors["embed.weight"][src.stoi[tok]])


def test_train_classifier_with_an_encoder(encoder, tmp_path):
    path, _ = encoder
    train = write_csv(tmp_path / "train.csv", labeled_rows(240, seed=1))
    dev = write_csv(tmp_path / "dev.csv", labeled_rows(60, seed=2))
    res = train_classifier(train, dev, tmp_path / "clf", config=ClassifierConfig(**TINY, encoder=str(path)),
                           train_config=fast_train_config(epochs=4, batch_size=16))
    assert res.metrics["encoder_coverage"] > 0.9
    assert res.metrics["dev"]["accuracy"] > 0.8
    saved = json.loads((tmp_path / "clf" / "config.json").read_text(encoding="utf-8"))
    assert saved["config"]["classifier"]["encoder"] == "enc"  # the name only: no paths in the model


@pytest.mark.parametrize("kw, needle", [(dict(hidden=32), "--hidden 16"), (dict(emb_dim=32), "--emb-dim 16"),
                                        (dict(layers=2), "--layers 1"), (dict(level="word"), "--level char")])
def test_mismatched_classifier_shapes_are_refused(encoder, kw, needle):
    path, _ = encoder
    config = ClassifierConfig(**{**TINY, **kw})
    enc = TextEncoder.build(config, ["足球比赛"], ["sports"])
    with pytest.raises(ZhnlpError, match=needle):
        load_encoder(build_module(config, enc).net, enc.vocabs["tokens"], path, config)


def test_cli_round_trip_and_a_classifier_directory_as_encoder(tmp_path):
    text = _text(tmp_path / "text.txt", 200, 3)
    r = invoke("pretrain-encoder", text, "-o", tmp_path / "enc", "--emb-dim", 16, "--hidden", 16, "--epochs", 1,
               "--threads", 1, "--min-freq", 1)
    assert "dev perplexity" in r.stderr
    assert json.loads((tmp_path / "enc" / "metrics.json").read_text(encoding="utf-8"))["dev_lines"] == 4  # 2%
    train = write_csv(tmp_path / "train.csv", labeled_rows(60, seed=1))
    invoke("train-classifier", train, "-o", tmp_path / "clf", "--emb-dim", 16, "--hidden", 16, "--epochs", 1,
           "--threads", 1, "--encoder", tmp_path / "enc", "-q")
    # a trained classifier's embeddings and GRU can start another (transfer); a tagger's cannot
    invoke("train-classifier", train, "-o", tmp_path / "clf2", "--emb-dim", 16, "--hidden", 16, "--epochs", 1,
           "--threads", 1, "--encoder", tmp_path / "clf", "-q")
    assert json.loads((tmp_path / "clf2" / "config.json").read_text(encoding="utf-8"))["config"]["classifier"][
        "encoder"] == "clf"
    from zhnlp.serialization import resolve_model

    r = invoke("train-classifier", train, "-o", tmp_path / "clf3", "--emb-dim", 16, "--hidden", 16, "--epochs", 1,
               "--threads", 1, "--encoder", resolve_model("ud-cws"), "-q", ok=False)
    one_line_error(r, "config.json", "expected gru-lm-encoder or gru-classifier")
    assert not (tmp_path / "clf3").exists()


def test_classifier_starts_from_another_classifiers_weights(tmp_path):
    """Transfer: the GRU and the embedding rows of shared tokens come from a classifier trained
    on other labels; its output layer and wide part do not (the label sets differ)."""
    rows = labeled_rows(120, seed=1)
    source = train_classifier(write_csv(tmp_path / "src.csv", rows), None, tmp_path / "src",
                              config=ClassifierConfig(**TINY, ngrams=2), train_config=fast_train_config(epochs=1))
    files = load_model(source.output)
    two = [(t, "yes" if lab == LABELS[0] else "no") for t, lab in labeled_rows(40, seed=3)]
    config = ClassifierConfig(**TINY)
    enc = TextEncoder.build(config, [t for t, _ in two], [lab for _, lab in two])
    module = build_module(config, enc)
    assert load_encoder(module.net, enc.vocabs["tokens"], source.output, config) > 0.9
    for name, value in module.net.rnn.state_dict().items():
        assert torch.equal(value, files.tensors["rnn." + name])
    src = files.vocabs["tokens"]
    shared = [t for t in enc.vocabs["tokens"].itos if t in src.stoi and t not in enc.vocabs["tokens"].specials]
    assert len(shared) > 10
    for tok in shared:
        assert torch.equal(module.net.embed.weight[enc.vocabs["tokens"].stoi[tok]],
                           files.tensors["embed.weight"][src.stoi[tok]])
    assert module.net.out.weight.shape[0] == 2
    with pytest.raises(ZhnlpError, match="--hidden 16"):
        wide = ClassifierConfig(emb_dim=16, hidden=32)
        load_encoder(build_module(wide, enc).net, enc.vocabs["tokens"], source.output, wide)


def test_empty_text_is_refused(tmp_path):
    (tmp_path / "empty.txt").write_text("一\n\n", encoding="utf-8")
    r = invoke("pretrain-encoder", tmp_path / "empty.txt", "-o", tmp_path / "enc", ok=False)
    one_line_error(r, "no line with two or more tokens")
    assert not (tmp_path / "enc").exists()
