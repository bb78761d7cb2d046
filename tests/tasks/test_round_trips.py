"""Every model kind goes train → save → load → predict the same way (tests/helpers.trained_and_reloaded):
the directory holds what a zhnlp model must, ``zhnlp.load`` gives the right object, and it predicts what
it predicted before it was loaded again."""
from __future__ import annotations

import pytest
from classifier_fixtures import labeled_rows, write_csv
from helpers import fast_train_config, trained_and_reloaded
from tagging_fixtures import write_ner
from translation_fixtures import split_pairs, write_pairs

import zhnlp
from zhnlp.tasks.classifier import Classifier, ClassifierConfig, train_classifier
from zhnlp.tasks.tagger import Tagger, TaggerConfig, build_ensemble, train_tagger
from zhnlp.tasks.translator import Seq2SeqConfig, Translator, train_seq2seq

SENTENCES = ["张三在北京工作。", "陈静毕业于清华大学。", "", "ＡＢＣ公司位于上海。"]


def _ner(tmp_path, seed: int = 3, model: str = "bilstm-crf"):
    data = write_ner(tmp_path / "train.bio", 80, seed=1), write_ner(tmp_path / "dev.bio", 20, seed=2)
    config = TaggerConfig(task="ner", emb_dim=16, hidden=16, bigram=True, bigram_min_freq=1)
    return lambda out: train_tagger(*data, out, config=config, model=model, test=data[1],
                                    train_config=fast_train_config(epochs=3, batch_size=8, seed=seed))


@pytest.mark.parametrize("model", ["bilstm-crf", "hmm", "crf", "transformer-crf"])
def test_taggers(tmp_path, model):
    result, tagger, tags = trained_and_reloaded(_ner(tmp_path, model=model), tmp_path / "m", SENTENCES,
                                                lambda m, xs: m.tag(xs))
    assert isinstance(tagger, Tagger) and [len(t) for t in tags] == [8, 10, 0, 10]
    assert tagger.evaluate(tmp_path / "dev.bio")["f1"] == pytest.approx(result.metrics["test"]["f1"])


def test_tagger_ensemble(tmp_path):
    members = [_ner(tmp_path, seed)(tmp_path / f"s{seed}").output for seed in (1, 2)]
    result, tagger, _ = trained_and_reloaded(lambda out: build_ensemble(members, out, dev=tmp_path / "dev.bio"),
                                             tmp_path / "ens", SENTENCES, lambda m, xs: m.tag(xs))
    assert "ensemble of 2" in repr(tagger) and len(result.metrics["members"]) == 2


def test_classifier(tmp_path):
    train, dev = write_csv(tmp_path / "train.csv", labeled_rows(120, 1)), write_csv(tmp_path / "dev.csv",
                                                                                      labeled_rows(30, 2))
    result, clf, probs = trained_and_reloaded(
        lambda out: train_classifier(train, dev, out, config=ClassifierConfig(emb_dim=16, hidden=16),
                                     train_config=fast_train_config(epochs=2, batch_size=16)),
        tmp_path / "m", SENTENCES, lambda m, xs: m.predict_proba(xs).tolist())
    assert isinstance(clf, Classifier) and len(probs) == len(SENTENCES)
    assert clf.evaluate(dev)["accuracy"] == result.metrics["dev"]["accuracy"]


def test_translator(tmp_path):
    train, held = split_pairs()
    tr, dv = write_pairs(tmp_path / "train.tsv", train), write_pairs(tmp_path / "dev.tsv", held)
    config = Seq2SeqConfig(emb_dim=16, hidden=8, beam=2, tgt_min_freq=1)
    result, translator, out = trained_and_reloaded(
        lambda out: train_seq2seq(tr, dv, out, config=config, train_config=fast_train_config(epochs=2, batch_size=16)),
        tmp_path / "m", [zh for zh, _ in held[:5]] + [""], lambda m, xs: m.translate(xs))
    assert isinstance(translator, Translator) and out[-1] == ""
    assert zhnlp.load(tmp_path / "m").evaluate(dv)["bleu"] == pytest.approx(result.metrics["dev"]["bleu"])
