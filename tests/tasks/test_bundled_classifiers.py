"""The classifiers shipped in models/: installed, small, loadable by name, sensible on clear
reviews, and scoring on the shared test splits what their metrics.json says."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from helpers import data_path
from zhnlp.tasks.classifier import load_classifier
from zhnlp.cli import app
from zhnlp.resources import models_dir

# name -> (data folder, label column, labels)
SHIPPED = {
    "shopping-category": ("online_shopping_10_cats", "cat",
                          {"平板", "水果", "洗发水", "衣服", "酒店", "计算机", "书籍", "手机", "蒙牛", "热水器"}),
    "shopping-sentiment": ("online_shopping_10_cats", "label", {"negative", "positive"}),
    "hotel-sentiment": ("chnsenticorp", "label", {"negative", "positive"}),
}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_installed_small_and_loadable(name):
    size = sum(p.stat().st_size for p in (models_dir() / name).iterdir())
    assert size <= 20 * 2**20, f"{name}: {size} bytes"
    clf = load_classifier(name)
    assert set(clf.labels) == SHIPPED[name][2]
    probs = clf.predict_proba(["房间干净，服务热情，下次还住", "质量太差，非常失望"])
    assert probs.shape == (2, len(clf.labels))
    assert probs.sum(1) == pytest.approx([1.0, 1.0], abs=1e-5)


@pytest.mark.parametrize("name", ["shopping-sentiment", "hotel-sentiment"])
def test_sentiment_models_read_clear_reviews(name):
    clf = load_classifier(name)
    assert clf.predict(["房间很干净，服务也很热情，下次还会再来！", "太差了，房间又脏又吵，再也不来了。"]) == \
        ["positive", "negative"]


def test_category_model_reads_clear_reviews():
    clf = load_classifier("shopping-category")
    assert clf.predict(["这本书的内容很精彩，印刷也不错", "洗完头发很柔顺，味道好闻"]) == ["书籍", "洗发水"]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_scores_what_its_metrics_say(name):
    folder, label_col, _ = SHIPPED[name]
    test_file = data_path(folder, "test.csv")
    metrics = json.loads((models_dir() / name / "metrics.json").read_text(encoding="utf-8"))
    r = CliRunner().invoke(app, ["evaluate", name, str(test_file), "--text-col", "review", "--label-col", label_col,
                                 "--json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert got["accuracy"] == pytest.approx(metrics["test"]["accuracy"], abs=2e-4)
    assert got["macro_f1"] == pytest.approx(metrics["test"]["macro_f1"], abs=2e-4)
