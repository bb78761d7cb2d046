"""The translation model shipped in models/cmn-eng: installed, small, loadable by name, one
output line per input line, readable English for easy sentences, and scoring on the shared
test split what its metrics.json says."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from helpers import data_path
from zhnlp.cli import app
from zhnlp.resources import models_dir
from zhnlp.tasks.translator import load_translator

NAME = "cmn-eng"


def test_installed_small_and_loadable():
    d = models_dir() / NAME
    size = sum(p.stat().st_size for p in d.iterdir())
    assert size <= 20 * 2**20, f"{NAME}: {size} bytes"  # every shipped model (the issue allowed 40)
    head = json.loads((d / "config.json").read_text(encoding="utf-8"))
    assert head["version"] >= 1 and head["model_type"] == "gru-seq2seq"
    tr = load_translator(NAME)
    assert (tr.config.src_lang, tr.config.tgt_lang) == ("zh", "en")


def test_translates_easy_sentences_line_by_line():
    r = CliRunner().invoke(app, ["translate", NAME], input="我爱你。\n\n谢谢！\n")
    assert r.exit_code == 0, r.output
    out = r.stdout.split("\n")[:-1]
    assert len(out) == 3 and out[1] == ""
    assert "love" in out[0].lower() and "you" in out[0].lower()
    assert "thank" in out[2].lower()


def test_a_paragraph_is_translated_sentence_by_sentence():
    tr = load_translator(NAME)
    assert "trained_src_len" not in json.loads((models_dir() / NAME / "config.json").read_text())["config"]["seq2seq"]
    assert tr.max_source_len == tr.config.max_src_len == 60  # derived for a model that did not record it
    assert tr.translate(["我爱你。" * 40]) == [" ".join(["I love you."] * 40)]
    assert tr.split_inputs == 1 and tr.long_sentences == 0


@pytest.mark.slow
def test_scores_what_its_metrics_say():
    test_file = data_path("cmn_eng", "test.tsv")
    metrics = json.loads((models_dir() / NAME / "metrics.json").read_text(encoding="utf-8"))["test"]
    r = CliRunner().invoke(app, ["evaluate", NAME, str(test_file), "--json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    for key in ("bleu", "greedy_bleu", "chrf", "perplexity"):
        assert got[key] == pytest.approx(metrics[key], abs=0.02), key
    assert got["bleu_signature"] == metrics["bleu_signature"]
