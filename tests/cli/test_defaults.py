"""What a train-* command does with data and an output directory only: the defaults chosen on dev (bigrams, soft-word
features, the bundled vectors where their size fits), and how each is turned off."""
from __future__ import annotations

import json

from helpers import FIXTURES, invoke

NER = FIXTURES / "tagging" / "ner_features.bio"
TINY = ["--epochs", "1", "-q"]


def tagger_config(path) -> dict:
    return json.loads((path / "config.json").read_text(encoding="utf-8"))["config"]["tagger"]


def metrics(path) -> dict:
    return json.loads((path / "metrics.json").read_text(encoding="utf-8"))


def test_a_character_tagger_reads_bigrams_and_soft_words_from_the_bundled_vectors_by_default(tmp_path):
    invoke("train-ner", NER, *TINY, "-o", tmp_path / "m")
    cfg = tagger_config(tmp_path / "m")
    assert (cfg["bigram"], cfg["softword"], cfg["hidden"]) == (True, True, 256)
    assert (cfg["embeddings"], cfg["bigram_embeddings"]) == ("zh-char128", "zh-bigram64")
    m = metrics(tmp_path / "m")
    assert m["embedding_coverage"]["tokens_covered"] > 0 and "bigram_embedding_coverage" in m
    assert (m["train_config"]["lr"], m["train_config"]["batch_size"], m["train_config"]["patience"]) == (2e-3, 32, 8)


def test_each_default_feature_turns_off(tmp_path):
    invoke("train-ner", NER, *TINY, "--embeddings", "none", "--no-bigram", "--no-softword", "-o", tmp_path / "m")
    cfg = tagger_config(tmp_path / "m")
    assert (cfg["bigram"], cfg["softword"], cfg["embeddings"], cfg["bigram_embeddings"]) == (False, False, None, None)
    assert "embedding_coverage" not in metrics(tmp_path / "m")


def test_auto_vectors_step_aside_for_other_sizes_while_named_ones_are_checked(tmp_path):
    invoke("train-ner", NER, *TINY, "--emb-dim", "16", "--bigram-dim", "8", "-o", tmp_path / "m")
    cfg = tagger_config(tmp_path / "m")
    assert (cfg["embeddings"], cfg["bigram_embeddings"], cfg["bigram"]) == (None, None, True)
    r = invoke("train-ner", NER, *TINY, "--emb-dim", "16", "--embeddings", "zh-char128", "-o", tmp_path / "n",
               ok=False)
    assert r.exit_code == 1 and "zh-char128: vectors have 128 dimensions, --emb-dim is 16" in r.stderr


def test_a_pos_tagger_embeds_first_and_last_characters_from_the_character_vectors(tmp_path):
    invoke("train-pos", FIXTURES / "tagging" / "word_pos.txt", *TINY, "-o", tmp_path / "m")
    cfg = tagger_config(tmp_path / "m")
    assert (cfg["affix"], cfg["affix_dim"], cfg["affix_embeddings"], cfg["layers"]) == (True, 128, "zh-char128", 2)
    assert (cfg["bigram"], cfg["softword"], cfg["embeddings"], cfg["word_dropout"]) == (False, False, None, 0.25)


def test_a_classifier_starts_from_the_character_vectors_with_a_wide_part_and_adversarial_training(tmp_path):
    rows = ["text,label"] + [f"{t},{lab}" for t, lab in [("很好很满意", "pos"), ("太差了失望", "neg")] * 8]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    invoke("train-classifier", tmp_path / "t.csv", *TINY, "-o", tmp_path / "m")
    cfg = json.loads((tmp_path / "m" / "config.json").read_text(encoding="utf-8"))["config"]["classifier"]
    assert (cfg["embeddings"], cfg["ngrams"], cfg["dropout"]) == ("zh-char128", 3, 0.5)
    assert metrics(tmp_path / "m")["train_config"]["adversarial"] == 1.0
    invoke("train-classifier", tmp_path / "t.csv", *TINY, "--level", "word", "-o", tmp_path / "w")
    assert json.loads((tmp_path / "w" / "config.json").read_text(encoding="utf-8"))["config"]["classifier"][
        "embeddings"] is None  # the character vectors are not word vectors


def test_the_library_trains_what_the_commands_train_when_no_settings_are_named(tmp_path):
    from dataclasses import asdict

    from zhnlp import ClassifierConfig, TaggerConfig, train_classifier, train_tagger
    from zhnlp.tasks.recommended import recommended_training

    for task, data in (("ner", NER), ("pos", FIXTURES / "tagging" / "word_pos.txt")):
        invoke(f"train-{task}", data, *TINY, "-o", tmp_path / f"cli-{task}")
        train_tagger(data, None, tmp_path / f"lib-{task}", task=task, train_config=recommended_training(
            "tagger", epochs=1, progress=False))
        assert tagger_config(tmp_path / f"lib-{task}") == tagger_config(tmp_path / f"cli-{task}")
        assert _within(asdict(TaggerConfig.recommended(task)), tagger_config(tmp_path / f"lib-{task}"))
    assert metrics(tmp_path / "lib-ner")["train_config"] == metrics(tmp_path / "cli-ner")["train_config"]
    rows = ["text,label"] + [f"{t},{lab}" for t, lab in [("很好很满意", "pos"), ("太差了失望", "neg")] * 8]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    invoke("train-classifier", tmp_path / "t.csv", *TINY, "-o", tmp_path / "cli-c")
    train_classifier(tmp_path / "t.csv", None, tmp_path / "lib-c",
                     train_config=recommended_training("classifier", epochs=1, progress=False))
    cfg = json.loads((tmp_path / "lib-c" / "config.json").read_text(encoding="utf-8"))["config"]["classifier"]
    assert cfg == json.loads((tmp_path / "cli-c" / "config.json").read_text(encoding="utf-8"))["config"]["classifier"]
    assert _within(asdict(ClassifierConfig.recommended()), cfg)
    assert metrics(tmp_path / "lib-c")["train_config"] == metrics(tmp_path / "cli-c")["train_config"]


def _within(recommended: dict, saved: dict) -> bool:
    """The saved config holds the recommended settings (those training fills in, the scheme and class names, aside)."""
    return all(saved[k] == v for k, v in recommended.items() if k not in ("scheme", "class_names"))


def test_a_task_that_contradicts_the_config_is_refused_before_reading_data(tmp_path):
    import pytest

    from zhnlp import TaggerConfig, ZhnlpError, train_tagger

    with pytest.raises(ZhnlpError, match="task 'cws' differs from the config's task 'ner'"):
        train_tagger(tmp_path / "missing.bio", None, tmp_path / "m", config=TaggerConfig(), task="cws")


def test_every_train_command_shows_the_library_training_defaults():
    import tomllib

    from zhnlp.tasks.recommended import TRAINING

    for command, kind in (("train-ner", "tagger"), ("train-cws", "tagger"), ("train-pos", "tagger"),
                          ("train-classifier", "classifier"), ("train-seq2seq", "seq2seq")):
        shown = tomllib.loads(invoke(command, "--print-config").stdout)
        assert {k: shown[k.replace("_", "-")] for k in TRAINING[kind]} == TRAINING[kind], command
