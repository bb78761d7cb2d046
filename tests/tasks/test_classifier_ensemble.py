"""Classifier ensembles (``zhnlp ensemble`` over GRU classifiers): the mean of the members'
probabilities, the model directory round trip through classify/evaluate, and refusals."""
from __future__ import annotations

import functools
import json

import numpy as np
import pytest
import torch

from classifier_fixtures import labeled_rows, write_csv
from helpers import fast_train_config, invoke, one_line_error
from zhnlp.tasks.classifier import ClassifierConfig, build_ensemble, load_classifier, train_classifier
from zhnlp.nn.classifier import ClassifierEnsemble, ClassifierNetConfig

_fast = functools.partial(fast_train_config, epochs=3, batch_size=16)
TINY = dict(emb_dim=16, hidden=16, dropout=0.1, ngrams=2, ngram_min_freq=1)


def test_ensemble_logits_give_the_mean_of_the_members_probabilities():
    torch.manual_seed(0)
    cfgs = [ClassifierNetConfig(n_tokens=30, n_classes=4, emb_dim=8, hidden=4 + 4 * i) for i in range(3)]
    ens = ClassifierEnsemble(cfgs).eval()
    ids = torch.randint(3, 30, (5, 7))
    lengths = torch.tensor([7, 6, 3, 2, 1])
    with torch.no_grad():
        mean = sum(torch.softmax(m.logits(ids, lengths), -1) for m in ens.members) / 3
        got = torch.softmax(ens.logits(ids, lengths), -1)
    assert torch.allclose(got, mean, atol=1e-6)
    assert not torch.allclose(got, torch.softmax(ens.members[0].logits(ids, lengths), -1), atol=1e-3)


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    d = tmp_path_factory.mktemp("clf-ens")
    train = write_csv(d / "train.csv", labeled_rows(240, seed=1))
    dev = write_csv(d / "dev.csv", labeled_rows(60, seed=2))
    out = []
    for seed in (1, 2, 3):
        train_classifier(train, dev, d / f"m{seed}", config=ClassifierConfig(**TINY), train_config=_fast(seed=seed))
        out.append(d / f"m{seed}")
    return train, dev, out


def test_cli_builds_an_ensemble_that_classifies_and_evaluates(members, tmp_path):
    train, dev, paths = members
    out = tmp_path / "ens"
    r = invoke("ensemble", *paths, "-o", out, "--dev", dev)
    assert "built an ensemble of 3 classifiers: dev accuracy" in r.stderr
    head = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert head["model_type"] == "gru-classifier-ensemble" and len(head["config"]["nets"]) == 3
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert [m["seed"] for m in metrics["members"]] == [1, 2, 3]

    texts = [t for t, _ in labeled_rows(30, seed=7)]
    clf = load_classifier(out)
    singles = [load_classifier(p).predict_proba(texts) for p in paths]
    assert np.allclose(clf.predict_proba(texts), np.mean(singles, 0), atol=1e-5)
    assert clf.evaluate(dev)["accuracy"] == pytest.approx(metrics["dev"]["accuracy"])
    r = invoke("evaluate", out, dev, "--json")
    assert json.loads(r.stdout)["accuracy"] == pytest.approx(metrics["dev"]["accuracy"])
    src = tmp_path / "in.txt"
    src.write_text("\n".join(texts) + "\n", encoding="utf-8")
    lines = invoke("classify", out, src).stdout.splitlines()
    assert lines == clf.predict(texts)


def test_classifiers_that_cannot_be_combined_are_one_line_errors(members, tmp_path):
    train, dev, paths = members
    other = tmp_path / "nongram"
    train_classifier(train, dev, other, config=ClassifierConfig(emb_dim=8, hidden=8), train_config=_fast(epochs=1))
    r = invoke("ensemble", paths[0], other, "-o", tmp_path / "x", ok=False)
    one_line_error(r, "nongram", "ngrams is 0 here but 2", "same inputs")
    build_ensemble(paths[:2], tmp_path / "ens")
    one_line_error(invoke("ensemble", tmp_path / "ens", other, "-o", tmp_path / "x", ok=False),
                   "nongram", "same inputs")
    assert not (tmp_path / "x").exists()


def test_an_ensemble_given_as_a_member_adds_its_members(members, tmp_path):
    """Adding a seed to a built ensemble predicts as the ensemble of all the members at once."""
    _, dev, paths = members
    build_ensemble(paths[:2], tmp_path / "ab")
    r = invoke("ensemble", tmp_path / "ab", paths[2], "-o", tmp_path / "grown", "--dev", dev)
    assert "built an ensemble of 3 classifiers" in r.stderr
    direct = build_ensemble(paths, tmp_path / "direct", dev=dev)
    metrics = json.loads((tmp_path / "grown" / "metrics.json").read_text(encoding="utf-8"))
    assert [(m["name"], m["seed"]) for m in metrics["members"]] == [(p.name, s) for p, s in zip(paths, (1, 2, 3))]
    assert metrics["dev"] == direct.metrics["dev"]
    assert metrics["train_seconds"] == pytest.approx(direct.metrics["train_seconds"], abs=0.02)
    texts = [t for t, _ in labeled_rows(20, seed=9)]
    assert np.array_equal(load_classifier(tmp_path / "grown").predict_proba(texts),
                          load_classifier(tmp_path / "direct").predict_proba(texts))
