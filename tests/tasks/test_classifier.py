"""GRU text classifiers (zhnlp.classifier): train on a synthetic learnable table, the model
directory, load round trip, probabilities and top-k, --split, label checks, word level,
every pooling (padding must not change a text's logits), class weights, bigrams with half
precision, resume after an interruption, and starting from a trained classifier (--encoder)."""
from __future__ import annotations

import functools
import json
import random
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from classifier_fixtures import CLASS_WORDS, FILLER, LABELS, labeled_rows, write_csv, write_jsonl, write_txt
from helpers import fast_train_config, interrupted_after, invoke, one_line_error
from zhnlp.tasks.classifier import (Classifier, ClassifierConfig, TableOptions, TextEncoder, build_ensemble,
                              load_classifier, train_classifier)
from zhnlp.errors import InputError, ZhnlpError
from zhnlp.training.metrics import score_classes
from zhnlp.formats.tables import read_labeled

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TINY = dict(emb_dim=16, hidden=16, dropout=0.1)


_fast = functools.partial(fast_train_config, epochs=4, batch_size=16, seed=1)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("clf-data")
    return (write_csv(d / "train.csv", labeled_rows(240, seed=1)),
            write_csv(d / "dev.csv", labeled_rows(60, seed=2)),
            write_csv(d / "test.csv", labeled_rows(60, seed=3)))


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    """One tiny char model, with the in-memory Classifier that train_classifier scored with."""
    out = tmp_path_factory.mktemp("clf-models") / "char"
    made: list[Classifier] = []
    original = Classifier.__init__

    def recording_init(self, *a, **kw):
        original(self, *a, **kw)
        made.append(self)

    t0 = time.perf_counter()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Classifier, "__init__", recording_init)
        res = train_classifier(data[0], data[1], out, config=ClassifierConfig(**TINY), train_config=_fast(),
                               test=data[2])
    seconds = time.perf_counter() - t0
    assert len(made) == 1
    return out, res, made[0], seconds


def test_learns_and_writes_the_model_directory(trained):
    out, res, _, seconds = trained
    assert res.output == out and res.skipped == {}
    assert res.metrics["dev"]["accuracy"] >= 0.9 and res.metrics["test"]["accuracy"] >= 0.9
    assert seconds < 60  # about 2 s on an idle CPU
    names = {p.name for p in out.iterdir()}
    assert names >= {"config.json", "vocab-tokens.json", "vocab-labels.json", "model.safetensors", "metrics.json",
                     "training_log.jsonl", "learning_curve.png"}
    assert not any(p.suffix in (".pt", ".pth", ".pkl", ".pickle", ".bin", ".ckpt") for p in out.iterdir())
    for p in out.iterdir():
        assert not p.read_bytes().startswith(b"\x80"), f"{p.name} looks like a pickle"
    assert not out.with_name(out.name + ".checkpoint").exists()
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["format"] == "zhnlp-model" and config["version"] == 1
    assert config["model_type"] == "gru-classifier"
    assert config["config"]["classifier"]["level"] == "char" and config["config"]["net"]["n_classes"] == 3
    labels = json.loads((out / "vocab-labels.json").read_text(encoding="utf-8"))
    assert labels["tokens"] == LABELS
    tokens = json.loads((out / "vocab-tokens.json").read_text(encoding="utf-8"))
    assert "足" in tokens["tokens"] and "<pad>" in tokens["specials"]
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["labels"] == LABELS and metrics["device"] == "cpu" and metrics["train_examples"] == 240
    assert metrics["dev"]["accuracy"] == res.metrics["dev"]["accuracy"] and "history" not in metrics
    assert set(metrics["test"]) >= {"accuracy", "macro_f1", "per_class", "examples"}
    log = [json.loads(line) for line in (out / "training_log.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["epoch"] for r in log] == [1, 2, 3, 4] and "dev_accuracy" in log[0] and "dev_macro_f1" in log[0]
    assert (out / "learning_curve.png").read_bytes().startswith(PNG_MAGIC)


def test_load_round_trip_gives_the_same_probabilities(trained, data):
    out, res, in_memory, _ = trained
    clf = load_classifier(out)
    assert clf.labels == in_memory.labels == LABELS
    texts = read_labeled(data[2]).texts + ["", "鑫鑫鑫", "足球 vs 米饭", "ＦＵＬＬ－ｗｉｄｔｈ 电脑"]
    a, b = in_memory.predict_proba(texts), clf.predict_proba(texts)
    assert a.shape == (len(texts), 3) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert clf.evaluate(data[1])["accuracy"] == res.metrics["dev"]["accuracy"]
    test_scores = clf.evaluate(data[2])
    for k in ("accuracy", "macro_f1", "macro_precision", "macro_recall", "examples", "per_class"):
        assert test_scores[k] == res.metrics["test"][k]
    assert test_scores["skipped_lines"] == []
    assert "Classifier(labels=" in repr(clf) and clf.metrics["labels"] == LABELS


def test_probabilities_predict_and_top_k(trained, data):
    clf = load_classifier(trained[0])
    texts = read_labeled(data[1]).texts
    probs = clf.predict_proba(texts)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    assert (probs >= 0).all()
    assert clf.predict(texts) == [LABELS[i] for i in probs.argmax(1)]
    top = clf.top_k(texts, k=2)
    for row, ranked in zip(probs, top):
        assert len(ranked) == 2 and ranked[0][1] >= ranked[1][1]
        assert ranked[0][0] == LABELS[int(row.argmax())]
        assert [p for _, p in ranked] == pytest.approx(sorted(row.tolist(), reverse=True)[:2])
    everything = clf.top_k(texts[:3], k=10)
    assert all(len(r) == 3 and {lab for lab, _ in r} == set(LABELS) for r in everything)
    assert all([p for _, p in r] == sorted((p for _, p in r), reverse=True) for r in everything)
    assert clf.predict(["今天足球比赛冠军", "米饭面条好吃", "电脑软件芯片"]) == ["sports", "food", "tech"]
    assert clf.predict([]) == [] and clf.predict_proba([]).shape == (0, 3)
    with pytest.raises(ZhnlpError, match="--top-k"):
        clf.top_k(texts, k=0)
    with pytest.raises(TypeError):
        clf.predict_proba("一个字符串")


def test_batch_size_does_not_change_probabilities(trained, data):
    clf = load_classifier(trained[0])
    texts = read_labeled(data[0]).texts[:50] + ["足球" * 30, "米"]
    np.testing.assert_allclose(clf.predict_proba(texts, batch_size=1), clf.predict_proba(texts, batch_size=64),
                               atol=1e-5)


def test_score_matches_score_classes(trained, data):
    clf = load_classifier(trained[0])
    d = read_labeled(data[1])
    s = clf.score(d)
    expected = score_classes(d.labels, clf.predict(d.texts), clf.labels)
    assert s == expected
    assert sum(map(sum, s["confusion"])) == len(d)


def test_encoder_tokens_normalise_and_cut():
    cfg = ClassifierConfig(max_len=4)
    enc = TextEncoder(cfg, {})
    assert enc.tokens("ＡＢ c\tＤ") == ["a", "b", "c", "d"]
    assert enc.tokens("一二三四五六七") == ["一", "二", "六", "七"]
    assert TextEncoder(ClassifierConfig(max_len=0), {}).tokens("一二三四五六七") == list("一二三四五六七")
    assert TextEncoder(ClassifierConfig(normalize=False), {}).tokens("Ａb") == ["Ａ", "b"]


@pytest.mark.parametrize("kw, needle", [(dict(level="sentence"), "--level"), (dict(pooling="sum"), "--pooling"),
                                        (dict(emb_dim=0), "--emb-dim"), (dict(layers=5), "--layers"),
                                        (dict(dropout=1.0), "--dropout"), (dict(max_len=-1), "--max-len"),
                                        (dict(class_weights="balanced"), "--class-weights")])
def test_config_validation(kw, needle):
    with pytest.raises(ZhnlpError, match=needle):
        ClassifierConfig(**kw)


# -- other table formats, --split, label checks ---------------------------------------------------

def test_trains_on_txt_and_jsonl_tables(tmp_path):
    rows = labeled_rows(120, seed=5)
    train = write_txt(tmp_path / "train.txt", rows)
    dev = write_jsonl(tmp_path / "dev.jsonl", labeled_rows(30, seed=6), keys=("review", "label"))
    res = train_classifier(train, dev, tmp_path / "m", config=ClassifierConfig(**TINY),
                           train_config=_fast(epochs=2))
    assert res.metrics["train_examples"] == 120 and res.metrics["dev"]["examples"] == 30


def _split_table(path: Path) -> tuple[Path, list[int], list[int]]:
    """A CSV with multi-line quoted texts and rows without text or label; returns the
    path, the lines of the usable rows and the lines of the skipped ones."""
    rng = random.Random(11)
    lines, skipped, out = [], [], ["text,label"]
    line = 2
    for i, (text, label) in enumerate(labeled_rows(150, seed=9)):
        if i % 37 == 5:
            out.append(f",{label}")
            skipped.append(line)
            line += 1
        if i % 41 == 7:
            out.append(f"{text},")
            skipped.append(line)
            line += 1
        if rng.random() < 0.1:
            out.append(f'"{text[:2]}\n{text[2:]}, 对",{label}')
            lines.append(line)
            line += 2
        else:
            out.append(f"{text},{label}")
            lines.append(line)
            line += 1
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path, lines, skipped


def test_split_writes_a_reproducible_stratified_split(tmp_path):
    table, lines, skipped = _split_table(tmp_path / "all.csv")
    assert read_labeled(table).lines == lines and read_labeled(table).skipped == skipped
    runs = {}
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        res = train_classifier(table, None, tmp_path / name, config=ClassifierConfig(**TINY),
                               train_config=_fast(epochs=1, seed=seed), split="0.8,0.1,0.1")
        runs[name] = json.loads((tmp_path / name / "split.json").read_text(encoding="utf-8"))
        assert res.skipped == {"train": skipped}
        assert res.metrics["split"] == {"source": "all.csv", "fractions": [0.8, 0.1, 0.1], "seed": seed,
                                        "train": 120, "dev": 15, "test": 15}
        assert res.metrics["dev"]["examples"] == 15 and res.metrics["test"]["examples"] == 15
    a = runs["a"]
    parts = [a["train"], a["dev"], a["test"]]
    assert sorted(sum(parts, [])) == lines  # disjoint, covering every usable row, no skipped row
    assert [len(p) for p in parts] == [120, 15, 15]
    by_line = dict(zip(lines, read_labeled(table).labels))
    for part, n in zip(parts[1:], (15, 15)):
        counts = {lab: sum(by_line[x] == lab for x in part) for lab in LABELS}
        assert counts == {lab: 5 for lab in LABELS}  # 50 rows per label, 10% each
    assert runs["b"] == a
    assert runs["c"]["seed"] == 6 and runs["c"]["test"] != a["test"]


def test_split_with_dev_or_test_is_refused(data, tmp_path):
    with pytest.raises(ZhnlpError, match="--split"):
        train_classifier(data[0], data[1], tmp_path / "m", config=ClassifierConfig(**TINY),
                         train_config=_fast(epochs=1), split="0.8,0.1,0.1")


@pytest.mark.parametrize("which", ["dev", "test"])
def test_labels_unseen_in_training_name_file_and_line(data, tmp_path, which):
    rows = labeled_rows(10, seed=4)
    bad = write_csv(tmp_path / f"{which}.csv", rows[:6] + [("音乐会很好听", "music")] + rows[6:])
    kw = {"dev": data[1], "test": None, which: bad}
    with pytest.raises(InputError) as info:
        train_classifier(data[0], kw["dev"], tmp_path / "m", config=ClassifierConfig(**TINY),
                         train_config=_fast(epochs=1), test=kw["test"])
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(f"{bad}:8: label 'music' does not occur in the training data")
    assert not (tmp_path / "m").exists()


def test_a_single_label_is_refused(tmp_path):
    train = write_csv(tmp_path / "one.csv", [("足球比赛", "sports"), ("篮球冠军", "sports")])
    with pytest.raises(InputError, match="only one label"):
        train_classifier(train, None, tmp_path / "m", config=ClassifierConfig(**TINY),
                         train_config=_fast(epochs=1))


def test_class_names_file(tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("\n".join(LABELS) + "\n", encoding="utf-8")
    rows = [(t, str(LABELS.index(lab)) if i % 2 else lab) for i, (t, lab) in enumerate(labeled_rows(90, seed=8))]
    train = write_csv(tmp_path / "ids.csv", rows)
    res = train_classifier(train, None, tmp_path / "m", config=ClassifierConfig(**TINY),
                           train_config=_fast(epochs=1), table=TableOptions(class_names=str(names)))
    assert res.metrics["labels"] == LABELS


# -- model variants ------------------------------------------------------------------------------

def test_word_level(data, tmp_path):
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_text("".join(f"{w} 10\n" for ws in [*CLASS_WORDS.values(), FILLER] for w in ws), encoding="utf-8")
    user = tmp_path / "user.txt"
    user.write_text("鼋鼍 100\n", encoding="utf-8")
    def cfg():
        return ClassifierConfig(level="word", main_dict=str(lexicon), user_dicts=[str(user)], **TINY)

    res = train_classifier(data[0], data[1], tmp_path / "w", config=cfg(), train_config=_fast())
    train_classifier(data[0], data[1], tmp_path / "w2", config=cfg(), train_config=_fast(seed=2))
    assert res.metrics["level"] == "word" and res.metrics["dev"]["accuracy"] >= 0.85
    tokens = json.loads((tmp_path / "w" / "vocab-tokens.json").read_text(encoding="utf-8"))["tokens"]
    assert "足球" in tokens and "足" not in tokens
    # the dictionaries travel inside the model directory: it loads after the originals are gone
    saved = json.loads((tmp_path / "w" / "config.json").read_text(encoding="utf-8"))["config"]["classifier"]
    assert (tmp_path / "w" / saved["main_dict"]).read_bytes() == lexicon.read_bytes()
    assert [(tmp_path / "w" / n).read_bytes() for n in saved["user_dicts"]] == [user.read_bytes()]
    lexicon.unlink()
    user.unlink()
    clf = load_classifier(tmp_path / "w")
    assert clf.encoder.tokens("今天足球比赛") == ["今天", "足球", "比赛"]
    assert clf.encoder.tokens("鼋鼍足球") == ["鼋鼍", "足球"]
    assert clf.predict(["足球比赛冠军"]) == ["sports"]
    ens = build_ensemble([tmp_path / "w", tmp_path / "w2"], tmp_path / "ens")
    assert load_classifier(ens.output).encoder.tokens("鼋鼍足球") == ["鼋鼍", "足球"]


def _padding_check(net, texts, encoder):
    """Logits of each text alone equal its row in a padded batch with longer texts."""
    from zhnlp.training.batching import ClassificationCollate

    collate = ClassificationCollate(pad=encoder.vocabs["tokens"].pad_id)
    items = [encoder.encode(t) for t in texts]
    batch = collate(items)
    assert int(batch["lengths"].min()) < batch["ids"].shape[1]  # there is padding
    net.eval()
    for grad in (False, True):  # packed (inference) and unpacked (training) RNN paths
        with torch.set_grad_enabled(grad):
            together = _logits(net, batch)
            for i, item in enumerate(items):
                alone = _logits(net, collate([item]))
                torch.testing.assert_close(alone[0], together[i], atol=1e-5, rtol=1e-5)


def _logits(net, batch):
    feats = batch.get("features") or {}
    return net.logits(batch["ids"], batch["lengths"], feats.get("bigram"), feats.get("ngrams"))


@pytest.mark.parametrize("pooling", ["last", "max", "mean", "attention"])
def test_every_pooling_trains_and_ignores_padding(pooling, data, tmp_path):
    res = train_classifier(data[0], data[1], tmp_path / pooling, config=ClassifierConfig(pooling=pooling, **TINY),
                           train_config=_fast(epochs=3))
    assert res.metrics["dev"]["accuracy"] >= 0.8, res.metrics["dev"]
    clf = load_classifier(tmp_path / pooling)
    assert clf.config.pooling == pooling
    texts = ["米", "足球比赛", "今天我们觉得电脑软件非常好用还是有点贵", "面条" * 12, "芯片"]
    _padding_check(clf.net, texts, clf.encoder)
    np.testing.assert_allclose(clf.predict_proba(texts, batch_size=1), clf.predict_proba(texts), atol=1e-5)


@pytest.mark.parametrize("bidirectional, layers", [(False, 1), (True, 2)])
def test_padding_with_other_shapes(bidirectional, layers):
    from zhnlp.tasks.classifier import build_module

    torch.manual_seed(0)
    texts = ["米", "足球比赛冠军", "今天我们觉得电脑软件非常好用", "面条"]
    for pooling in ("last", "max", "mean", "attention"):
        cfg = ClassifierConfig(pooling=pooling, bidirectional=bidirectional, layers=layers, **TINY)
        enc = TextEncoder.build(cfg, texts, ["a", "b", "a", "b"])
        module = build_module(cfg, enc)
        _padding_check(module.net, texts, enc)


def test_auto_class_weights_on_imbalanced_data(tmp_path):
    rng = random.Random(3)
    rows = [r for r in labeled_rows(300, seed=12) if r[1] != "tech" or rng.random() < 0.15]
    counts = {lab: sum(r[1] == lab for r in rows) for lab in LABELS}
    assert counts["tech"] < counts["food"] / 4
    train = write_csv(tmp_path / "train.csv", rows)
    dev = write_csv(tmp_path / "dev.csv", labeled_rows(60, seed=13))
    res = train_classifier(train, dev, tmp_path / "m", config=ClassifierConfig(class_weights="auto", **TINY),
                           train_config=_fast())
    assert res.metrics["dev"]["accuracy"] >= 0.8
    assert json.loads((tmp_path / "m" / "config.json").read_text())["config"]["classifier"]["class_weights"] == "auto"
    assert load_classifier(tmp_path / "m").predict(["电脑软件芯片"]) == ["tech"]


def test_bigrams_and_half_precision(data, tmp_path):
    from safetensors.torch import load_file

    cfg = ClassifierConfig(bigram=True, bigram_min_freq=1, half_precision=True, **TINY)
    res = train_classifier(data[0], data[1], tmp_path / "m", config=cfg, train_config=_fast(epochs=3), test=data[2])
    assert (tmp_path / "m" / "vocab-bigram.json").is_file()
    tensors = load_file(str(tmp_path / "m" / "model.safetensors"))
    assert all(t.dtype == torch.float16 for t in tensors.values() if t.is_floating_point())
    clf = load_classifier(tmp_path / "m")
    assert clf.evaluate(data[2])["accuracy"] == res.metrics["test"]["accuracy"] >= 0.8


def test_bigram_embeddings_start_from_bigram_vectors(data, tmp_path):
    """--bigram-embeddings: vectors of zhnlp embed --level bigram fill the bigram table."""
    from zhnlp.embeddings import EmbeddingConfig, save_vectors, train_vectors

    corpus = tmp_path / "text.txt"
    corpus.write_text("\n".join(t for t, _ in labeled_rows(80, seed=5)) + "\n", encoding="utf-8")
    vectors = train_vectors([corpus], EmbeddingConfig(dim=16, min_count=1, epochs=1, workers=1), level="bigram")
    path = save_vectors(vectors, tmp_path / "bigrams.vec")
    cfg = ClassifierConfig(bigram=True, bigram_min_freq=1, bigram_embeddings=str(path), **TINY)
    res = train_classifier(data[0], data[1], tmp_path / "m", config=cfg, train_config=_fast(epochs=1, lr=1e-9))
    assert res.metrics["bigram_embedding_coverage"]["share_of_vocab"] > 0.3  # other texts than training's
    saved = json.loads((tmp_path / "m" / "config.json").read_text(encoding="utf-8"))["config"]["classifier"]
    assert saved["bigram_embeddings"] == "bigrams.vec"
    clf = load_classifier(tmp_path / "m")
    vocab, table = clf.encoder.vocabs["bigram"], clf.net.bigram_embed.weight
    word = next(w for w in vocab.itos[2:] if w in vectors.wv.key_to_index)
    assert torch.allclose(table[vocab.stoi[word]], torch.tensor(vectors.wv[word]), atol=1e-4)
    with pytest.raises(ZhnlpError, match="--emb-dim 16"):
        train_classifier(data[0], data[1], tmp_path / "m2", train_config=_fast(epochs=1),
                         config=ClassifierConfig(bigram=True, bigram_embeddings=str(path), emb_dim=8, hidden=8))


def test_resume_after_interruption_gives_the_same_weights(data, tmp_path):
    from safetensors.torch import load_file

    def run(name, **kw):
        return train_classifier(data[0], data[1], tmp_path / name, config=ClassifierConfig(**TINY),
                                train_config=_fast(epochs=3), **kw)

    run("full")
    with interrupted_after(2):
        with pytest.raises(KeyboardInterrupt, match="--resume"):
            run("cut")
    assert not (tmp_path / "cut").exists() and (tmp_path / "cut.checkpoint" / "trainer.json").is_file()
    with pytest.raises(ZhnlpError, match="pass --resume"):
        run("cut")
    run("cut", resume=True)
    a = load_file(str(tmp_path / "full" / "model.safetensors"))
    b = load_file(str(tmp_path / "cut" / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert len((tmp_path / "cut" / "training_log.jsonl").read_text().splitlines()) == 3
    assert not (tmp_path / "cut.checkpoint").exists()


def test_same_seed_same_model(data, tmp_path):
    from safetensors.torch import load_file

    for name in ("a", "b"):
        train_classifier(data[0], None, tmp_path / name, config=ClassifierConfig(**TINY), train_config=_fast(epochs=1))
    a, b = (load_file(str(tmp_path / n / "model.safetensors")) for n in ("a", "b"))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_wide_ngrams_and_bigrams_learn_and_ignore_padding(data, tmp_path):
    cfg = ClassifierConfig(bigram=True, bigram_min_freq=1, ngrams=3, ngram_min_freq=1, **TINY)
    res = train_classifier(data[0], data[1], tmp_path / "m", config=cfg, train_config=_fast(epochs=3), test=data[2])
    assert (tmp_path / "m" / "vocab-ngrams.json").is_file()
    clf = load_classifier(tmp_path / "m")
    assert clf.evaluate(data[2])["accuracy"] == res.metrics["test"]["accuracy"] >= 0.8
    assert clf.net.wide.weight.abs().sum() > 0  # the wide part learned
    texts = ["米", "足球比赛", "今天我们觉得电脑软件非常好用还是有点贵", "面条" * 12, "芯片"]
    _padding_check(clf.net, texts, clf.encoder)


def test_ngram_features_are_the_known_ngram_set():
    from zhnlp.tasks.classifier import _ngrams

    assert _ngrams(list("abc"), 2) == ["a", "b", "c", "a\x1fb", "b\x1fc"]
    cfg = ClassifierConfig(ngrams=2, ngram_min_freq=1, **TINY)
    enc = TextEncoder.build(cfg, ["足球", "足球比赛"], ["a", "b"])
    v = enc.vocabs["ngrams"]
    ids = enc.encode("足球足球")["features"]["ngrams"]
    assert ids == sorted({v["足"], v["球"], v["足\x1f球"], v["球\x1f足"]} - {v.unk_id})
    assert enc.encode("？？")["features"]["ngrams"] == [0]  # nothing known: the empty bag


# -- starting from a trained classifier (--encoder) --------------------------------------------

def test_classifier_starts_from_another_classifiers_weights(trained, tmp_path):
    """Transfer: the GRU and the embedding rows of shared tokens come from a classifier trained
    on other labels; its output layer and wide part do not (the label sets differ)."""
    from zhnlp.tasks.classifier import build_module, load_encoder
    from zhnlp.training.serialization import load_model

    source = trained[0]
    files = load_model(source)
    two = [(t, "yes" if lab == LABELS[0] else "no") for t, lab in labeled_rows(40, seed=3)]
    config = ClassifierConfig(**TINY)
    enc = TextEncoder.build(config, [t for t, _ in two], [lab for _, lab in two])
    module = build_module(config, enc)
    assert load_encoder(module.net, enc.vocabs["tokens"], source, config) > 0.9
    for name, value in module.net.rnn.state_dict().items():
        assert torch.equal(value, files.tensors["rnn." + name].float())
    src = files.vocabs["tokens"]
    shared = [t for t in enc.vocabs["tokens"].itos if t in src.stoi and t not in enc.vocabs["tokens"].specials]
    assert len(shared) > 10
    for tok in shared:
        assert torch.equal(module.net.embed.weight[enc.vocabs["tokens"].stoi[tok]],
                           files.tensors["embed.weight"][src.stoi[tok]].float())
    assert module.net.out.weight.shape[0] == 2


@pytest.mark.parametrize("kw, needle", [(dict(hidden=32), "--hidden 16"), (dict(emb_dim=32), "--emb-dim 16"),
                                        (dict(layers=2), "--layers 1"), (dict(level="word"), "--level char"),
                                        (dict(bidirectional=False), "--bidirectional")])
def test_mismatched_classifier_shapes_are_refused(trained, kw, needle):
    from zhnlp.tasks.classifier import build_module, load_encoder

    config = ClassifierConfig(**{**TINY, **kw})
    enc = TextEncoder.build(config, ["足球比赛"], ["sports"])
    with pytest.raises(ZhnlpError, match=needle):
        load_encoder(build_module(config, enc).net, enc.vocabs["tokens"], trained[0], config)


def test_encoder_from_the_cli_and_a_tagger_refused(trained, data, tmp_path):
    from zhnlp.training.serialization import resolve_model

    invoke("train-classifier", data[0], "-o", tmp_path / "clf", "--emb-dim", 16, "--hidden", 16, "--epochs", 1,
           "--threads", 1, "--encoder", trained[0], "-q")
    saved = json.loads((tmp_path / "clf" / "config.json").read_text(encoding="utf-8"))["config"]["classifier"]
    assert saved["encoder"] == trained[0].name  # the name only: no paths in the model
    r = invoke("train-classifier", data[0], "-o", tmp_path / "clf2", "--emb-dim", 16, "--hidden", 16, "--epochs", 1,
               "--threads", 1, "--encoder", resolve_model("ud-cws"), "-q", ok=False)
    one_line_error(r, "config.json", "expected gru-classifier")
    assert not (tmp_path / "clf2").exists()


def test_removed_bag_option_loads_when_off_and_is_refused_by_name_when_on(trained, tmp_path):
    """Models saved before --bag was removed hold "bag": false in both config sections: they
    load and predict as before; one trained with --bag is a one-line error naming it."""
    import shutil

    old = tmp_path / "old"
    shutil.copytree(trained[0], old)
    head = json.loads((old / "config.json").read_text(encoding="utf-8"))
    head["config"]["classifier"]["bag"] = head["config"]["net"]["bag"] = False
    (old / "config.json").write_text(json.dumps(head), encoding="utf-8")
    texts = ["足球比赛", "电脑软件"]
    assert load_classifier(old).predict_proba(texts).tolist() == load_classifier(trained[0]).predict_proba(texts).tolist()
    head["config"]["classifier"]["bag"] = True
    (old / "config.json").write_text(json.dumps(head), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_classifier(old)
    assert str(e.value).startswith(f"{old / 'config.json'}: this model was trained with --bag True, an option")
