"""The feature CRF (``--model crf``): its features, a tiny set learned exactly, save → load → the same tags
(library, ``zhnlp.load`` and the CLI), every task, and its bad inputs (one-line errors)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import FIXTURES, invoke, one_line_error
from tagging_fixtures import write_ner, write_segmented

import zhnlp
from zhnlp.formats.conll import read_conll
from zhnlp.tasks.crf_tagger import CRFConfig, CRFTagger
from zhnlp.tasks.tagger import TaggerConfig, train_tagger
from zhnlp.training.serialization import ModelFormatError

TINY = FIXTURES / "tagging" / "hmm_train.bio"


def test_features_are_tokens_and_bigrams_within_two():
    crf = CRFTagger(CRFConfig(), TaggerConfig(task="ner"))
    first, second = crf.features(["北", "ＡＢ"])  # full-width read as NFKC
    assert first == ["u0\x02", "u1\x02", "u2北", "u3AB", "u4\x03", "b0\x02\x02", "b1\x02北", "b2北AB", "b3AB\x03"]
    assert second[2] == "u2AB" and second[7] == "b2AB\x03"
    soft = CRFTagger(CRFConfig(), TaggerConfig(task="ner", softword=True)).features(list("北京大学"))
    assert [f for f in soft[0] if f.startswith("s")] == ["s0-", "s1B", "s2M"]  # jieba: 北京大学 is one word
    pos = CRFTagger(CRFConfig(), TaggerConfig(task="pos")).features(["北京", "大学"])
    assert pos[0][-2:] == ["p北", "q京"]


def test_tiny_set_learned_exactly_and_reloaded(tmp_path):
    sents = [(s.tokens, s.tags) for s in read_conll(TINY)]
    crf = CRFTagger(CRFConfig(c1=0.0, c2=0.01), TaggerConfig(task="ner")).fit(sents)
    assert crf.predict([t for t, _ in sents]) == [list(g) for _, g in sents]
    assert crf.predict([[], list("李四")]) == [[], ["B-PER", "I-PER"]]
    again = CRFTagger.load(crf.save(tmp_path / "m"))
    probe = [list("张三在北京"), list("王五去上海了"), list("北")]
    assert again.predict(probe) == crf.predict(probe) and again.tagset == crf.tagset
    assert again.config == CRFConfig(c1=0.0, c2=0.01)


@pytest.mark.parametrize("task", ["ner", "cws", "pos"])
def test_every_task_through_the_cli_and_zhnlp_load(tmp_path, task):
    if task == "ner":
        train = write_ner(tmp_path / "train.bio", 60, seed=1)
    elif task == "cws":
        train = write_segmented(tmp_path / "train.txt", 60, seed=1)
    else:
        train = tmp_path / "train.txt"
        train.write_text("张三/nr 在/p 北京/ns 工作/v 。/w\n李四/nr 去/v 上海/ns 。/w\n" * 20, encoding="utf-8")
    out = tmp_path / "m"
    r = invoke(f"train-{task}", train, "--dev", train, "--model", "crf", "-o", out)
    assert "trained crf" in r.stderr
    head = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert head["model_type"] == "crf-tagger" and head["config"]["c1"] == CRFConfig().c1
    assert head["config"]["task_config"]["task"] == task
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["model"] == "crf" and metrics["dev"]["accuracy" if task == "pos" else "f1"] == 1.0
    tagger = zhnlp.load(out)
    assert "model='crf'" in repr(tagger)
    text = {"ner": "张三在北京工作。", "cws": "我们在北京工作", "pos": "张三在北京工作。"}[task]
    (tmp_path / "in.txt").write_text(text + "\n", encoding="utf-8")
    tagged = invoke("tag", out, tmp_path / "in.txt", "--format", "jsonl").stdout
    assert json.loads(tagged.splitlines()[0])["tags"] == [t for _, t in tagger.tag([text])[0]]
    if task == "ner":
        assert tagger.entities(text) == [("PER", 0, 2, "张三"), ("LOC", 3, 5, "北京")]
    if task == "cws":
        assert tagger.segment(text) == ["我们", "在", "北京", "工作"]


def test_bad_inputs(tmp_path):
    train = write_ner(tmp_path / "train.bio", 40, seed=1)
    r = invoke("train-ner", train, "--model", "crf", "--encoder", "resume-ner", "-o", tmp_path / "x", ok=False)
    one_line_error(r, "--model crf has none")
    crf = train_tagger(train, None, tmp_path / "crf", config=TaggerConfig(task="ner"), train_config=None,
                       model="crf").output
    one_line_error(invoke("ensemble", crf, crf, "-o", tmp_path / "e", ok=False), "model type 'crf-tagger'")
    r = invoke("train-ner", train, "--encoder", crf, "--epochs", "1", "-o", tmp_path / "y", ok=False)
    one_line_error(r, "a feature CRF has no network")
    assert not (tmp_path / "x").exists() and not (tmp_path / "e").exists() and not (tmp_path / "y").exists()
    head = json.loads((crf / "config.json").read_text(encoding="utf-8"))
    (crf / "config.json").write_text(json.dumps({**head, "config": {**head["config"], "c3": 1}}), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="bad CRF config: unknown CRF config key 'c3'"):
        zhnlp.load(crf)
    (crf / "config.json").write_text(json.dumps(head), encoding="utf-8")
    from safetensors.numpy import save_file

    save_file({"crfsuite": np.frombuffer(b"not a model", dtype=np.uint8)}, str(crf / "model.safetensors"))
    with pytest.raises(ModelFormatError, match="model.safetensors: not a crfsuite model"):
        zhnlp.load(crf)
    (crf / "model.pkl").write_bytes(b"")
    one_line_error(invoke("tag", crf, train, ok=False), "model.pkl", "pickle")
