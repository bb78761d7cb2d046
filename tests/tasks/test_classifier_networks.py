"""``--model textcnn`` and ``--model transformer`` for train-classifier: trained by the one trainer, each learns a
tiny set, round-trips through the model directory, ensembles, and refuses what only the GRU has; a model directory
from before the option (no ``model``/``network`` in config.json) still loads as the GRU it is."""
from __future__ import annotations

import functools
import json

import numpy as np
import pytest
from classifier_fixtures import labeled_rows, write_csv
from helpers import fast_train_config, invoke, one_line_error, trained_and_reloaded

from zhnlp.errors import ZhnlpError
from zhnlp.nn.classifier import GRUClassifier, TextCNN, TransformerClassifier
from zhnlp.tasks.classifier import Classifier, ClassifierConfig, build_ensemble, load_classifier, train_classifier

TINY = {"emb_dim": 16, "hidden": 16, "dropout": 0.1}
_fast = functools.partial(fast_train_config, epochs=4, batch_size=16, seed=1)
NETS = {"textcnn": TextCNN, "transformer": TransformerClassifier}
TEXTS = ["米", "足球比赛", "今天我们觉得电脑软件非常好用还是有点贵", "面条" * 12, "芯片", ""]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("cnn-data")
    return write_csv(d / "train.csv", labeled_rows(240, seed=1)), write_csv(d / "dev.csv", labeled_rows(60, seed=2))


def _trained(data, model: str = "textcnn", seed: int = 1, **kw):
    config = ClassifierConfig(model=model, **{**TINY, **kw})
    epochs = 6 if model == "transformer" else 4  # a Transformer of 16 learns the tiny set in 6 epochs
    return lambda out: train_classifier(data[0], data[1], out, config=config, test=data[1],
                                        train_config=_fast(seed=seed, epochs=epochs))


@pytest.mark.parametrize("model", sorted(NETS))
def test_each_network_learns_a_tiny_set_and_round_trips(data, tmp_path, model):
    result, clf, probs = trained_and_reloaded(_trained(data, model), tmp_path / "m", TEXTS,
                                              lambda m, xs: m.predict_proba(xs).tolist())
    assert isinstance(clf, Classifier) and type(clf.net) is NETS[model]
    assert result.metrics["model"] == f"{model}-classifier"
    assert clf.evaluate(data[0])["accuracy"] == 1.0  # the training set learned
    assert clf.evaluate(data[1])["accuracy"] == result.metrics["dev"]["accuracy"] >= 0.98
    head = json.loads((tmp_path / "m" / "config.json").read_text(encoding="utf-8"))
    assert head["config"]["classifier"]["model"] == model and head["config"]["net"]["network"] == model
    # padding respected through the whole classifier: one text per batch or all together
    np.testing.assert_allclose(clf.predict_proba(TEXTS, batch_size=1), np.array(probs), atol=1e-6)


@pytest.mark.parametrize("model, pooling", [("textcnn", "max"), ("transformer", "mean")])
def test_bigrams_wide_part_and_half_precision(data, tmp_path, model, pooling):
    result, clf, _ = trained_and_reloaded(_trained(data, model, bigram=True, bigram_min_freq=1, ngrams=2,
                                                   ngram_min_freq=1, half_precision=True, pooling=pooling),
                                          tmp_path / "m", TEXTS, lambda m, xs: m.predict(xs))
    assert clf.net.bigram_embed is not None and clf.net.wide is not None
    assert result.metrics["dev"]["accuracy"] == 1.0
    np.testing.assert_allclose(clf.predict_proba(TEXTS, batch_size=1), clf.predict_proba(TEXTS), atol=1e-6)


@pytest.mark.parametrize("models", [("textcnn", "textcnn"), ("transformer", "textcnn")])
def test_an_ensemble_of_two_loads_and_averages(data, tmp_path, models):
    members = [_trained(data, model, seed)(tmp_path / f"s{seed}").output for seed, model in enumerate(models, 1)]
    result, ens, _ = trained_and_reloaded(lambda out: build_ensemble(members, out, dev=data[1]), tmp_path / "ens",
                                          TEXTS, lambda m, xs: m.predict(xs))
    assert [type(m) for m in ens.net.members] == [NETS[m] for m in models]
    assert result.metrics["dev"]["accuracy"] >= 0.98
    mean = np.mean([load_classifier(p).predict_proba(TEXTS) for p in members], 0)
    np.testing.assert_allclose(ens.predict_proba(TEXTS), mean, atol=1e-5)


def test_a_model_directory_from_before_the_option_loads_as_a_gru(data, tmp_path):
    out = tmp_path / "gru"
    train_classifier(data[0], data[1], out, config=ClassifierConfig(**TINY), train_config=_fast(epochs=1))
    before = load_classifier(out).predict_proba(TEXTS)
    head = json.loads((out / "config.json").read_text(encoding="utf-8"))
    del head["config"]["classifier"]["model"], head["config"]["net"]["network"]
    (out / "config.json").write_text(json.dumps(head), encoding="utf-8")
    clf = load_classifier(out)
    assert type(clf.net) is GRUClassifier and clf.config.model == "gru"
    np.testing.assert_array_equal(clf.predict_proba(TEXTS), before)


@pytest.mark.parametrize("model, kw, needle", [
    ("textcnn", {"pooling": "mean"}, "--pooling"), ("textcnn", {"layers": 2}, "--layers"),
    ("textcnn", {"bidirectional": False}, "--unidirectional"), ("textcnn", {"encoder": "hotel-sentiment"}, "--encoder"),
    ("transformer", {"pooling": "attention"}, "--pooling"), ("transformer", {"encoder": "x"}, "--encoder")])
def test_gru_options_are_refused_by_the_other_networks(model, kw, needle):
    with pytest.raises(ZhnlpError, match=f"{needle}: the GRU's option.*--model {model}"):
        ClassifierConfig(model=model, **kw)
    ClassifierConfig(model="transformer", layers=2, pooling="mean")  # a Transformer's blocks and pooling


def test_a_transformer_size_that_heads_cannot_share_is_refused(data, tmp_path):
    config = ClassifierConfig(model="transformer", emb_dim=16, hidden=9)
    with pytest.raises(ZhnlpError, match=r"a Transformer's size must be even \(--hidden 9\)"):
        train_classifier(data[0], data[1], tmp_path / "m", config=config, train_config=_fast(epochs=1))
    assert not (tmp_path / "m").exists()


def test_an_unknown_model_is_a_one_line_error_naming_the_choices(data, tmp_path):
    with pytest.raises(ZhnlpError, match="--model must be one of gru, textcnn, transformer, not 'cnn'"):
        ClassifierConfig(model="cnn")
    r = invoke("train-classifier", data[0], "-o", tmp_path / "m", "--model", "nosuch", ok=False)
    one_line_error(r, "--model must be one of gru, textcnn, transformer, not 'nosuch'")
    assert not (tmp_path / "m").exists()


def test_a_gru_cannot_start_from_a_textcnn(data, tmp_path):
    _trained(data)(tmp_path / "cnn")
    with pytest.raises(ZhnlpError, match="--encoder starts from a GRU classifier, not a textcnn one"):
        train_classifier(data[0], data[1], tmp_path / "gru", config=ClassifierConfig(encoder=str(tmp_path / "cnn"),
                                                                                     **TINY),
                         train_config=_fast(epochs=1))


@pytest.mark.parametrize("model", sorted(NETS))
def test_cli_trains_each_network(data, tmp_path, model):
    r = invoke("train-classifier", data[0], "--dev", data[1], "-o", tmp_path / "m", "--model", model,
               "--emb-dim", "16", "--hidden", "16", "--epochs", "2", "--threads", "1")
    assert f"trained {model}-classifier (3 classes)" in r.stderr
    assert type(load_classifier(tmp_path / "m").net) is NETS[model]
