"""Segmentation scores: known answers, and agreement with the SIGHAN bakeoff's own scorer."""
from __future__ import annotations

import re
import shutil
import subprocess

import jieba
import pytest

from helpers import data_path
from zhnlp.training.metrics import score_segmentation


def test_known_answer():
    s = score_segmentation(["a bc d", "xy z"], ["a b c d", "xy z"], training_words={"a", "d", "xy"})
    # gold 5 words, predicted 6, correct 4 (a, d, xy, z)
    assert (s.gold_words, s.pred_words, s.correct) == (5, 6, 4)
    assert s.precision == pytest.approx(4 / 6)
    assert s.recall == pytest.approx(4 / 5)
    assert s.oov_rate == pytest.approx(2 / 5)        # bc, z
    assert s.oov_recall == pytest.approx(1 / 2)      # z right, bc wrong
    assert s.iv_recall == pytest.approx(1.0)


def test_mismatched_and_missing_lines_are_reported_not_scored():
    s = score_segmentation(["ab c", "de", "f"], ["ab c", "dx"])
    assert s.skipped_lines == [2, 3]
    assert s.gold_words == 2 and s.correct == 2


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("perl") is None, reason="perl is needed for the bakeoff's scorer")
def test_agrees_with_bakeoff_scorer_on_pku(tmp_path):
    raw = data_path("sighan2005", "testing", "pku_test.utf8")
    gold = data_path("sighan2005", "gold", "pku_test_gold.utf8")
    words = data_path("sighan2005", "gold", "pku_training_words.utf8")
    pred = tmp_path / "pred.txt"
    with open(raw, encoding="utf-8-sig") as f, open(pred, "w", encoding="utf-8") as out:
        for line in f:
            out.write(" ".join(w for w in jieba.lcut(line.rstrip("\r\n")) if w.strip()) + "\n")
    report = subprocess.run(["perl", str(data_path("sighan2005", "scripts", "score")), str(words),
                             str(gold), str(pred)], capture_output=True, text=True, check=True).stdout

    def perl(name: str) -> float:
        return float(re.search(rf"=== {name}:\s*([0-9.]+)", report).group(1))

    def perl_total(name: str) -> float:
        return perl(f"TOTAL {name}")

    with open(gold, encoding="utf-8-sig") as g, open(pred, encoding="utf-8") as p:
        vocab = {l.strip() for l in open(words, encoding="utf-8-sig") if l.strip()}
        s = score_segmentation(g, p, vocab)
    assert s.skipped_lines in ([], [1945])  # pku gold ends with one empty line
    assert round(s.f1, 3) == perl("F MEASURE")
    assert round(s.recall, 3) == perl_total("TRUE WORDS RECALL")
    assert round(s.precision, 3) == perl_total("TEST WORDS PRECISION")
    assert s.gold_words == perl_total("TRUE WORD COUNT")
    assert s.pred_words == perl_total("TEST WORD COUNT")
    assert round(s.oov_recall, 3) == perl("OOV Recall Rate")
    assert round(s.iv_recall, 3) == perl("IV Recall Rate")
