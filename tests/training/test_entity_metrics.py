"""Entity scores (conlleval definition) checked against seqeval and the reference scorer."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from zhnlp.formats.conll import read_conll, write_conll
from zhnlp.training.metrics import EntityScore, score_entities, score_tags, score_words
from zhnlp.formats.schemes import entities

from helpers import DATA, FIXTURES, data_path

TAGGING = FIXTURES / "tagging"
SCORE_PY = DATA.parent / "tools" / "score.py"


def test_known_example():
    gold = [["B-PER", "I-PER", "O", "B-LOC", "I-LOC"], ["B-ORG", "I-ORG", "O"]]
    pred = [["B-PER", "I-PER", "O", "B-LOC", "O"], ["B-ORG", "I-ORG", "B-PER"]]
    s = score_entities(gold, pred)
    assert (s.gold_entities, s.pred_entities, s.correct) == (3, 4, 2)
    assert s.precision == pytest.approx(0.5) and s.recall == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert s.per_type["LOC"].support == 1 and s.per_type["LOC"].correct == 0
    assert s.per_type["PER"].predicted == 2 and s.per_type["PER"].recall == 1.0
    assert s.sentences == 2 and s.tokens == 8 and s.token_accuracy == pytest.approx(6 / 8)


def test_report_and_as_dict():
    s = score_entities([["B-PER", "I-PER"]], [["B-PER", "I-PER"]])
    assert isinstance(s, EntityScore)
    text = s.report()
    assert "PER" in text and "100.00" in text and "micro avg" in text
    d = s.as_dict()
    assert d["f1"] == 1.0 and d["per_type"]["PER"]["support"] == 1
    json.dumps(d)
    empty = score_entities([["O"]], [["O"]])
    assert empty.f1 == 0.0 and empty.per_type == {} and "micro avg" in empty.report()


def test_length_mismatch_names_the_sentence():
    with pytest.raises(ValueError, match="sentence 2: 2 gold tags but 1 predicted"):
        score_entities([["O"], ["O", "O"]], [["O"], ["O"]])
    with pytest.raises(ValueError, match="sentence 2: the predicted tags ran out"):
        score_entities([["O"], ["O"]], [["O"]])
    with pytest.raises(ValueError, match="sentence 1"):
        score_tags([["NN"]], [["NN", "VV"]])


def test_sentences_are_accepted_and_scheme_guard():
    gold = list(read_conll(TAGGING / "score_gold.txt"))
    assert score_entities(gold, gold).f1 == 1.0
    with pytest.raises(ValueError, match="not a BMES tag"):
        score_entities([["B-X", "I-X"]], [["B-X", "I-X"]], scheme="BMES")


def test_score_tags_and_words():
    assert score_tags([["NN", "VV"], ["PU"]], [["NN", "NN"], ["PU"]]) == pytest.approx(2 / 3)
    seg = score_words([["我们", "在", "北京"]], [["我们", "在北", "京"]])
    assert seg.gold_words == 3 and seg.correct == 1 and seg.precision == pytest.approx(1 / 3)


# -- cross-checks -----------------------------------------------------------------------------

def _corrupt(tag_seqs: list[list[str]], rate: float, seed: int) -> list[list[str]]:
    """Synthetic prediction errors: random tags, shifted boundaries, dropped and retyped
    entities, illegal sequences included."""
    rng = random.Random(seed)
    tagset = sorted({t for s in tag_seqs for t in s})
    types = sorted({t[2:] for t in tagset if len(t) > 2})
    out = []
    for tags in tag_seqs:
        p = list(tags)
        for i in range(len(p)):
            r = rng.random()
            if r < rate:
                p[i] = rng.choice(tagset)
            elif r < 1.5 * rate and i + 1 < len(p):
                p[i], p[i + 1] = p[i + 1], p[i]
        for ty, s, e in entities(tags):
            r = rng.random()
            if r < rate:
                for k in range(s, e):
                    p[k] = "O"
            elif r < 2 * rate:
                new = rng.choice(types)
                p[s:e] = [t[:2] + new if len(t) > 2 else t for t in p[s:e]]
        out.append(p)
    return out


def _m_to_i(seqs):
    """seqeval's default mode knows B/I/E/S, not M: BMES is BIOES with M for I."""
    return [[("I" + t[1:]) if t.startswith("M") else t for t in s] for s in seqs]


@pytest.mark.parametrize("corpus, rate", [(("resume_ner", "dev.char.bmes"), 0.02),
                                          (("resume_ner", "dev.char.bmes"), 0.08),
                                          (("msra_ner", "dev.bio"), 0.02),
                                          (("msra_ner", "dev.bio"), 0.08)])
def test_agrees_with_seqeval_on_real_tags(corpus, rate):
    seqeval_metrics = pytest.importorskip("seqeval.metrics")
    gold = [s.tags for s in read_conll(data_path(*corpus))]
    pred = _corrupt(gold, rate, seed=int(rate * 100))
    ours = score_entities(gold, pred)
    g, p = _m_to_i(gold), _m_to_i(pred)
    assert ours.f1 == pytest.approx(seqeval_metrics.f1_score(g, p), abs=1e-12)
    assert ours.precision == pytest.approx(seqeval_metrics.precision_score(g, p), abs=1e-12)
    assert ours.recall == pytest.approx(seqeval_metrics.recall_score(g, p), abs=1e-12)
    report = seqeval_metrics.classification_report(g, p, output_dict=True, zero_division=0)
    for ty, ts in ours.per_type.items():
        if ts.support == 0:
            continue  # seqeval lists only types that occur in the gold tags
        assert ts.f1 == pytest.approx(report[ty]["f1-score"], abs=1e-12), ty
        assert ts.precision == pytest.approx(report[ty]["precision"], abs=1e-12), ty
        assert ts.support == report[ty]["support"], ty
    assert 0.1 < ours.f1 < 1.0


def _score_py(gold: Path, pred: Path) -> dict:
    if not SCORE_PY.exists():
        pytest.skip(f"reference scorer not available: {SCORE_PY}")
    out = subprocess.run([sys.executable, str(SCORE_PY), "ner", str(gold), str(pred)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_agrees_with_reference_scorer_on_fixture_pair():
    gold, pred = TAGGING / "score_gold.txt", TAGGING / "score_pred.txt"
    ref = _score_py(gold, pred)
    ours = score_entities(read_conll(gold), read_conll(pred))
    assert (ours.gold_entities, ours.pred_entities, ours.correct) == (5, 7, 2)
    assert round(100 * ours.f1, 2) == ref["F1"]
    assert round(100 * ours.precision, 2) == ref["P"] and round(100 * ours.recall, 2) == ref["R"]
    assert {k: round(100 * v.f1, 2) for k, v in ours.per_type.items()} == ref["per_type_F1"]


def test_agrees_with_reference_scorer_on_corrupted_resume(tmp_path):
    sents = list(read_conll(data_path("resume_ner", "dev.char.bmes")))
    pred = _corrupt([s.tags for s in sents], 0.1, seed=7)
    write_conll(sents, tmp_path / "gold.bmes")
    write_conll([(s.tokens, p) for s, p in zip(sents, pred)], tmp_path / "pred.bmes")
    ref = _score_py(tmp_path / "gold.bmes", tmp_path / "pred.bmes")
    ours = score_entities([s.tags for s in sents], pred)
    assert ref["sentences_misaligned"] == 0
    assert (round(100 * ours.precision, 2), round(100 * ours.recall, 2), round(100 * ours.f1, 2)) == \
        (ref["P"], ref["R"], ref["F1"])
    assert {k: round(100 * v.f1, 2) for k, v in ours.per_type.items()} == ref["per_type_F1"]
