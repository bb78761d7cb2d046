"""HMM tagger: estimation, Viterbi (vectorized == reference), constraints, save/load, real data."""
from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from zhnlp.formats.conll import read_conll
from zhnlp.tasks.hmm import (HMM, HMMConfig, PairLattice, reference_viterbi, reference_viterbi2,
                       viterbi_batch, viterbi_path)
from zhnlp.training.metrics import score_entities
from zhnlp.formats.schemes import validate
from zhnlp.training.serialization import ModelFormatError

from helpers import FIXTURES, data_path

TINY = FIXTURES / "tagging" / "hmm_train.bio"


def test_textbook_example():
    # Wikipedia's "Viterbi algorithm" example: normal, cold, dizzy -> Healthy, Healthy, Fever
    tags, tokens = ["Healthy", "Fever"], ["normal", "cold", "dizzy"]
    log_B = np.log([[1e-9, 0.5, 0.4, 0.1], [1e-9, 0.1, 0.3, 0.6]])  # column 0: <unk>
    m = HMM.from_arrays(tags, tokens, np.log([0.6, 0.4]), np.log([[0.7, 0.3], [0.4, 0.6]]), log_B)
    obs = ["normal", "cold", "dizzy"]
    assert m.viterbi(obs) == ["Healthy", "Healthy", "Fever"]
    assert m.reference_viterbi(obs) == m.predict([obs])[0] == ["Healthy", "Healthy", "Fever"]
    assert math.exp(m.log_joint(obs, m.viterbi(obs))) == pytest.approx(0.01512)  # as published


@pytest.mark.parametrize("order, constrained", [(1, False), (1, True), (2, False), (2, True)])
def test_viterbi_path_is_optimal_by_brute_force(order, constrained):
    m = HMM(HMMConfig(order=order, constrained=constrained)).fit(read_conll(TINY))
    rng = np.random.default_rng(order)
    chars = list("张三李四在去北京上海王")
    for n in (1, 2, 3, 4):
        sent = list(rng.choice(chars, n))
        best = m.viterbi(sent)
        scores = [m.log_joint(sent, list(p)) for p in itertools.product(m.tags.itos, repeat=n)]
        assert m.log_joint(sent, best) == pytest.approx(max(scores), abs=1e-9)


@pytest.mark.parametrize("order", [1, 2])
def test_tiny_fixture_known_output(order):
    m = HMM(HMMConfig(order=order)).fit(read_conll(TINY))
    assert m.tags.itos == ["B-LOC", "B-PER", "I-LOC", "I-PER", "O"]
    assert m.viterbi(list("张三去北京")) == ["B-PER", "I-PER", "O", "B-LOC", "I-LOC"]
    # unknown characters (王, 五) in a known frame
    assert m.viterbi(list("王五在北京")) == ["B-PER", "I-PER", "O", "B-LOC", "I-LOC"]
    assert m.viterbi(list("北京")) == ["B-LOC", "I-LOC"]
    assert m.viterbi([]) == [] and m.predict([[], list("李四")]) == [[], ["B-PER", "I-PER"]]


def test_estimates_are_smoothed_probabilities():
    m = HMM(HMMConfig(order=1, constrained=False, transition_alpha=0.5)).fit(read_conll(TINY))
    assert np.allclose(np.exp(m.log_A).sum(axis=1), 1.0)
    assert np.allclose(np.exp(m.log_B).sum(axis=1), 1.0)
    assert np.isclose(np.exp(m.log_pi).sum(), 1.0)
    o, b_per = m.tags.stoi["O"], m.tags.stoi["B-PER"]
    # 3 sentences start with B-PER: (3 + 0.5) / (3 + 0.5 * 5)
    assert math.exp(m.log_pi[b_per]) == pytest.approx(3.5 / 5.5)
    # O is followed by B-LOC 3 times out of 3
    assert math.exp(m.log_A[o, m.tags.stoi["B-LOC"]]) == pytest.approx(3.5 / 5.5)


def test_singleton_unk_prefers_open_class_tags():
    # NAME emits a new character each time, PU always the same comma
    data = [([c, "，"], ["NAME", "PU"]) for c in "甲乙丙丁戊己庚辛"]
    m = HMM(HMMConfig(order=1, constrained=False)).fit(data)
    name, pu = m.tags.stoi["NAME"], m.tags.stoi["PU"]
    assert m.log_B[name, 0] > m.log_B[pu, 0] + 3  # <unk> is a NAME, hardly a PU
    assert m.viterbi(["壬", "，"]) == ["NAME", "PU"]
    uniform = HMM(HMMConfig(order=1, unk="uniform")).fit(data)
    assert np.allclose(uniform.log_B[:, 0], -math.log(2))  # the tutorial's log(1/N)


def test_constraints_forbid_illegal_paths():
    tags, tokens = ["O", "B-X", "I-X"], ["a", "b"]
    log_B = np.log([[0.1, 0.8, 0.1], [0.1, 0.1, 0.1], [0.1, 0.1, 0.8]])  # "b" looks like I-X
    log_A = np.log(np.full((3, 3), 1 / 3))
    pi = np.log(np.full(3, 1 / 3))
    free = HMM.from_arrays(tags, tokens, pi, log_A, log_B, config=HMMConfig(order=1, constrained=False))
    assert free.viterbi(["b", "a"]) == ["I-X", "O"]  # illegal start
    bio = HMMConfig(order=1, constrained=True, scheme="BIO")
    fit = HMM(bio).fit([(["b", "a"], ["B-X", "O"]), (["b", "b"], ["B-X", "I-X"]), (["a"], ["O"])])
    assert validate(fit.viterbi(["b", "b", "a", "b"]), "BIO") == []
    assert np.isneginf(fit.log_A[fit.tags.stoi["O"], fit.tags.stoi["I-X"]])
    assert np.isneginf(fit.log_pi[fit.tags.stoi["I-X"]])


def test_pos_tags_are_not_read_as_a_scheme():
    # CTB's M (measure word) and P (preposition) are not BMES tags when other tags don't parse
    m = HMM(HMMConfig(order=2)).fit([(["三", "个", "在"], ["CD", "M", "P"]), (["个"], ["M"])])
    assert m.log_end is None and np.isfinite(m.log_A).all()
    assert m.viterbi(["个"]) == ["M"]


def test_config_validation_and_from_dict():
    with pytest.raises(ValueError):
        HMMConfig(order=3)
    with pytest.raises(ValueError):
        HMMConfig(emission_alpha=0)
    with pytest.raises(ValueError):
        HMMConfig(unk="nearest")
    with pytest.raises(ValueError, match="unknown HMM config key"):
        HMMConfig.from_dict({"order": 1, "bogus": 2})
    assert HMMConfig(trigram_weights=[1, 1, 2]).trigram_weights == [0.25, 0.25, 0.5]
    assert HMMConfig(scheme="iob2").scheme == "BIO"
    with pytest.raises(RuntimeError, match="not trained"):
        HMM().viterbi(["a"])
    with pytest.raises(ValueError, match="one tag per token"):
        HMM().fit([(["a", "b"], ["O"])])


# -- vectorized decoders == the reference, on random models (ties included) ------------------

def _random_first_order(rng, K, masked):
    values = np.log([0.1, 0.2, 0.2, 0.5])  # few distinct values: many exact ties
    pi = rng.choice(values, K)
    A = rng.choice(values, (K, K))
    end = None
    if masked:
        A[rng.random((K, K)) < 0.3] = -np.inf
        pi[rng.random(K) < 0.3] = -np.inf
        A[0, 0] = pi[0] = values[0]  # a finite path always exists
        end = np.where(rng.random(K) < 0.3, -np.inf, 0.0)
        end[0] = 0.0
    return pi, A, end


@pytest.mark.parametrize("seed", range(6))
def test_first_order_vectorized_equals_reference(seed):
    rng = np.random.default_rng(seed)
    values = np.log([0.1, 0.2, 0.2, 0.5])
    for K in (1, 2, 3, 5, 8):
        pi, A, end = _random_first_order(rng, K, masked=seed % 2 == 1)
        sents = [rng.choice(values, (int(n), K)) for n in rng.integers(0, 12, 20)]
        lengths = np.array([len(e) for e in sents])
        n = int(lengths.max())
        batch = np.zeros((len(sents), n, K))
        for i, e in enumerate(sents):
            batch[i, :len(e)] = e
        batched = viterbi_batch(pi, A, batch, lengths, end)
        for e, b in zip(sents, batched):
            ref = reference_viterbi(pi.tolist(), A.tolist(), e.tolist(), None if end is None else end.tolist())
            assert viterbi_path(pi, A, e, end) == ref == b


@pytest.mark.parametrize("seed", range(6))
def test_second_order_vectorized_equals_reference(seed):
    rng = np.random.default_rng(100 + seed)
    values = np.log([0.1, 0.2, 0.2, 0.5])
    for K in (1, 2, 3, 5):
        pi = rng.choice(values, K)
        A2 = rng.choice(values, (K + 1, K, K))
        end = None
        if seed % 2:
            A2[rng.random(A2.shape) < 0.3] = -np.inf
            pi[rng.random(K) < 0.3] = -np.inf
            pi[0] = A2[K, 0, 0] = A2[0, 0, 0] = values[0]
            end = np.where(rng.random(K) < 0.3, -np.inf, 0.0)
            end[0] = 0.0
        lattice = PairLattice.build(pi, A2, end)
        sents = [rng.choice(values, (int(n), K)) for n in rng.integers(0, 10, 16)]
        lengths = np.array([len(e) for e in sents])
        batch = np.zeros((len(sents), int(lengths.max()), K))
        for i, e in enumerate(sents):
            batch[i, :len(e)] = e
        batched = lattice.decode_batch(batch, lengths)
        for e, b in zip(sents, batched):
            ref = reference_viterbi2(pi.tolist(), A2.tolist(), e.tolist(), None if end is None else end.tolist())
            assert lattice.decode_one(e) == ref == b


@pytest.mark.parametrize("order", [1, 2])
def test_model_decoders_agree_on_random_sentences(order):
    rng = np.random.default_rng(order)
    m = HMM(HMMConfig(order=order)).fit(read_conll(TINY))
    chars = list("张三李四在去北京上海王五")
    sents = [list(rng.choice(chars, int(n))) for n in rng.integers(0, 9, 40)]
    batched = m.predict(sents, batch_size=7)
    assert batched == [m.viterbi(s) for s in sents] == [m.reference_viterbi(s) for s in sents]


# -- persistence ---------------------------------------------------------------------------

@pytest.mark.parametrize("order", [1, 2])
def test_save_load_round_trip(tmp_path, order):
    m = HMM(HMMConfig(order=order)).fit(read_conll(TINY))
    path = m.save(tmp_path / "hmm", metrics={"dev": {"f1": 1.0}}, task_config={"task": "ner"})
    loaded = HMM.load(path)
    assert loaded.config == m.config and loaded.task_config == {"task": "ner"}
    assert loaded.tokens == m.tokens and loaded.tags == m.tags
    for name, arr in m.tensors().items():
        got = loaded.tensors()[name]
        assert got.dtype == np.float64 and np.array_equal(got, arr), name
    sents = [list("张三去北京"), list("王五在上海市"), []]
    assert loaded.predict(sents) == m.predict(sents)
    cfg = json.loads((path / "config.json").read_text(encoding="utf-8"))
    assert cfg["model_type"] == "hmm" and cfg["config"]["task_config"] == {"task": "ner"}
    assert json.loads((path / "metrics.json").read_text())["dev"]["f1"] == 1.0
    assert sorted(cfg["vocabs"]) == ["tags", "tokens"]


def test_load_rejects_wrong_shapes_and_types(tmp_path):
    from zhnlp.training.serialization import save_model

    m = HMM(HMMConfig(order=1)).fit(read_conll(TINY))
    tensors = dict(m.tensors())
    tensors["log_A"] = tensors["log_A"][:2]
    save_model(tmp_path / "bad", model_type="hmm", config={"order": 1}, tensors=tensors,
               vocabs={"tokens": m.tokens, "tags": m.tags})
    with pytest.raises(ModelFormatError, match="log_A"):
        HMM.load(tmp_path / "bad")
    save_model(tmp_path / "other", model_type="bilstm-crf-tagger", config={}, tensors=m.tensors(),
               vocabs={})
    with pytest.raises(ModelFormatError, match="expected hmm"):
        HMM.load(tmp_path / "other")
    save_model(tmp_path / "cfg", model_type="hmm", config={"order": 1, "oops": 1}, tensors=m.tensors(),
               vocabs={"tokens": m.tokens, "tags": m.tags})
    with pytest.raises(ModelFormatError, match="oops"):
        HMM.load(tmp_path / "cfg")


# -- real data ---------------------------------------------------------------------------------

@pytest.mark.parametrize("order, threshold", [(1, 0.82), (2, 0.83)])
def test_resume_ner_train_to_dev(order, threshold):
    train = list(read_conll(data_path("resume_ner", "train.char.bmes")))
    dev = list(read_conll(data_path("resume_ner", "dev.char.bmes")))
    m = HMM(HMMConfig(order=order)).fit(train)
    pred = m.predict([s.tokens for s in dev])
    score = score_entities([s.tags for s in dev], pred)
    assert score.f1 >= threshold, score.report()
    assert all(validate(p, "BMES") == [] for p in pred)  # constrained: legal output only
    some = [s.tokens for s in dev[:25]]
    assert [m.viterbi(s) for s in some] == [m.reference_viterbi(s) for s in some] == pred[:25]


def test_second_order_without_any_finite_path_is_an_error():
    pi = np.log([0.5, 0.5])
    A2 = np.full((3, 2, 2), -np.inf)  # nothing may follow the first tag
    lattice = PairLattice.build(pi, A2, None)
    em = np.zeros((2, 2))
    for decode in (lambda: lattice.decode_one(em), lambda: lattice.decode_batch(em[None], np.array([2])),
                   lambda: reference_viterbi2(pi, A2, em)):
        with pytest.raises(ValueError, match="no path of finite score"):
            decode()
    assert lattice.decode_one(em[:1]) == reference_viterbi2(pi, A2, em[:1]) == [0]
