"""The trained models shipped in models/: installed, small, loadable by name, and scoring on
the shared test splits what their metrics.json says."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from helpers import data_path, invoke, one_line_error
from zhnlp.cli import app
from zhnlp.resources import models_dir
from zhnlp.training.serialization import bundled_models
from zhnlp.tasks.tagger import load_tagger

SHIPPED = {"resume-ner": "ner", "resume-ner-hmm": "ner", "msra-ner": "ner", "ud-cws": "cws", "ud-pos": "pos"}
TEST_FILES = {"resume-ner": ("resume_ner", "test.char.bmes"), "resume-ner-hmm": ("resume_ner", "test.char.bmes"),
              "msra-ner": ("msra_ner", "test.bio"), "ud-cws": ("ud_chinese_gsd", "test.conll"),
              "ud-pos": ("ud_chinese_gsd", "test.conll")}


def test_every_shipped_model_is_installed_and_under_20_mb():
    installed = set(bundled_models())
    missing = [n for n in SHIPPED if n not in installed]
    assert not missing, f"models not installed: {missing}"
    for name in SHIPPED:
        size = sum(p.stat().st_size for p in (models_dir() / name).iterdir())
        assert size <= 20 * 2**20, f"{name}: {size} bytes"


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_loads_by_name_and_tags(name):
    tagger = load_tagger(name)
    assert tagger.task == SHIPPED[name]
    text = "张三毕业于北京大学，现在上海工作。"
    if tagger.task == "cws":
        words = tagger.segment(text)
        assert "".join(words) == text and len(words) > 3
    elif tagger.task == "pos":
        tagged = tagger.tag([["我", "爱", "北京"]])[0]
        assert [w for w, _ in tagged] == ["我", "爱", "北京"] and all(t for _, t in tagged)
    else:
        ents = tagger.entities(text)
        assert all(text[s:e] == span for _, s, e, span in ents)
        assert any(span == "北京大学" for _, _, _, span in ents)


def test_ud_pos_segments_raw_text_with_ud_cws_and_reads_punctuation_in_any_form():
    pos, cws = load_tagger("ud-pos"), load_tagger("ud-cws")
    assert pos.config.segmenter == "ud-cws"  # the standard of its training words (GSD), not jieba's
    text = "我爱北京天安门。他说：“你好！”（今天）"
    assert pos.tokens_of(text) == cws.segment(text) == ["我", "爱", "北京", "天安", "门", "。", "他", "说", "：",
                                                       "“", "你好", "！", "”", "（", "今天", "）"]
    # GSD writes . , : ! ( ) ; text in any width, and 。 where GSD has ., is read as punctuation
    tagged = pos.tag([text, ["我", "爱", "北京", "。"], ["好", "｡"], ["他", "说", "「", "好", "」"]])
    assert [w for w, _ in tagged[0]] == pos.tokens_of(text)  # the words as written
    for sentence in tagged:
        assert all(tag == "PUNCT" for w, tag in sentence if not w.isalnum()), sentence
    lines = invoke("tag", "ud-pos", input=text + "\n").stdout.splitlines()
    assert lines == [" ".join(f"{w}/{t}" for w, t in tagged[0])]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_scores_what_its_metrics_say(name):
    test_file = data_path(*TEST_FILES[name])
    metrics = json.loads((models_dir() / name / "metrics.json").read_text(encoding="utf-8"))
    key = "accuracy" if SHIPPED[name] == "pos" else "f1"
    r = CliRunner().invoke(app, ["evaluate", name, str(test_file), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)[key] == pytest.approx(metrics["test"][key], abs=2e-4)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["resume-ner", "ud-cws"])
def test_bf16_decoding_scores_as_fp32_within_a_tenth(name):
    """``--precision bf16`` (the LSTM in bfloat16) is a speed option: on the test split it scores
    within 0.1 points of float32 and tags at least 99.9% of tokens the same."""
    from zhnlp.tasks.tagger import read_examples

    sents = read_examples(data_path(*TEST_FILES[name]), SHIPPED[name])
    tokens = [s.tokens for s in sents]
    fp32, bf16 = load_tagger(name), load_tagger(name, precision="bf16")
    a, b = fp32.predict(tokens), bf16.predict(tokens)
    same = sum(x == y for pa, pb in zip(a, b) for x, y in zip(pa, pb))
    assert same / sum(len(t) for t in tokens) >= 0.999
    gold = [s.tags for s in sents]
    from zhnlp.tasks.tagger import score

    fa = score(fp32.task, fp32.config.scheme, tokens, gold, a)["f1"]
    fb = score(bf16.task, bf16.config.scheme, tokens, gold, b)["f1"]
    assert abs(fa - fb) <= 1e-3


def test_tag_precision_option():
    text = "张三毕业于北京大学，现在上海工作。\n"
    fp32 = invoke("tag", "resume-ner", "-", input=text).stdout
    assert invoke("tag", "resume-ner", "-", "--precision", "bf16", input=text).stdout == fp32
    assert "北京大学" in fp32
    one_line_error(invoke("tag", "resume-ner", "-", "--precision", "fp16", input=text, ok=False),
                   "--precision", "fp16")


def test_segment_with_a_cws_model_in_bf16_matches_fp32_in_worker_processes():
    text = "".join(f"第{i}天，我们在北京大学学习自然语言处理。\n" for i in range(40))
    fp32 = invoke("segment", "--model", "ud-cws", "-", input=text).stdout
    bf16 = invoke("segment", "--model", "ud-cws", "--precision", "bf16", "-j", "2", "-", input=text).stdout
    assert bf16 == fp32 and len(fp32.splitlines()) == 40 and "北京" in fp32.split()
