"""``zhnlp.load``: any model directory or bundled name as the object that applies it."""
from __future__ import annotations

import json

import pytest

import zhnlp
from zhnlp.tasks.classifier import Classifier
from zhnlp.tasks.loading import model_kind
from zhnlp.tasks.tagger import Tagger
from zhnlp.tasks.translator import Translator
from zhnlp.training.serialization import ModelFormatError


@pytest.mark.parametrize("name, cls", [("resume-ner-hmm", Tagger), ("ud-cws", Tagger), ("resume-ner", Tagger),
                                       ("hotel-sentiment", Classifier), ("shopping-sentiment", Classifier),
                                       ("cmn-eng", Translator)])
def test_load_gives_the_object_that_applies_each_bundled_model(name, cls):
    model = zhnlp.load(name)
    assert isinstance(model, cls)


def test_a_loaded_tagger_tags_as_load_tagger_does():
    from zhnlp.tasks.tagger import load_tagger

    text = ["张三在北京工作。"]
    assert zhnlp.load("resume-ner-hmm").tag(text) == load_tagger("resume-ner-hmm").tag(text)


def test_an_unknown_model_type_is_a_clear_error(tmp_path):
    d = tmp_path / "m"
    d.mkdir()
    (d / "config.json").write_text(json.dumps({"format": "zhnlp-model", "version": 1, "model_type": "svm",
                                               "config": {}}), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="model type 'svm' is not one zhnlp applies"):
        model_kind(d)
    with pytest.raises(ModelFormatError, match="no such model directory"):
        zhnlp.load(tmp_path / "nothing")
