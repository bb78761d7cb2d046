"""Tagger ensembles (``zhnlp ensemble``): averaged scores decoded by one Viterbi, the model
directory round trip, the tag/evaluate paths, and members that cannot be combined."""
from __future__ import annotations

import functools
import json
import shutil

import pytest
import torch

from helpers import fast_train_config, invoke, one_line_error
from tagging_fixtures import write_ner
from zhnlp.errors import ZhnlpError
from zhnlp.nn.crf import viterbi
from zhnlp.nn.tagger import BiLSTMCRF, TaggerEnsemble, TaggerNetConfig
from zhnlp.formats.schemes import validate
from zhnlp.tasks.tagger import TaggerConfig, build_ensemble, load_tagger, train_tagger

_fast = functools.partial(fast_train_config, epochs=3, batch_size=8)


def _batch(lengths, n_tokens, seed=0):
    g = torch.Generator().manual_seed(seed)
    T = max(lengths)
    ids = torch.randint(3, n_tokens, (len(lengths), T), generator=g)
    mask = torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]
    return {"ids": ids.masked_fill(~mask, 0), "lengths": torch.tensor(lengths), "mask": mask, "features": {}}


def test_ensemble_decodes_the_averaged_scores():
    torch.manual_seed(0)
    cfgs = [TaggerNetConfig(n_tokens=20, n_tags=5, emb_dim=6, hidden=4 + 2 * i) for i in range(3)]
    ens = TaggerEnsemble(cfgs).eval()
    for m in ens.members:
        torch.nn.init.normal_(m.crf.crf.transitions)
    batch = _batch([5, 3, 1, 4], 20)
    with torch.no_grad():
        ems = [m.emissions(batch["ids"], {}, batch["lengths"]) for m in ens.members]
        em = sum(ems) / 3
        start, trans, end = (sum(parts) / 3 for parts in zip(*(m.crf.scores() for m in ens.members)))
    assert ens.decode(batch) == viterbi(em, batch["mask"], start, trans, end)
    # the ensemble's paths differ from at least one member's: it is not just the first member
    assert any(m.decode(batch) != ens.decode(batch) for m in ens.members)


def test_an_ensemble_of_one_network_twice_decodes_as_that_network():
    torch.manual_seed(1)
    cfg = TaggerNetConfig(n_tokens=30, n_tags=6, emb_dim=8, hidden=8)
    net = BiLSTMCRF(cfg).eval()
    torch.nn.init.normal_(net.crf.crf.transitions)
    ens = TaggerEnsemble([cfg, cfg]).eval()
    for m in ens.members:
        m.load_state_dict(net.state_dict())
    batch = _batch([7, 2, 5], 30, seed=2)
    assert ens.decode(batch) == net.decode(batch)
    with pytest.raises(TypeError, match="not trained as one"):
        ens.loss(batch)


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    d = tmp_path_factory.mktemp("ens")
    train, dev = write_ner(d / "train.bio", 100, seed=1), write_ner(d / "dev.bio", 30, seed=2)
    out = []
    for seed in (3, 4):
        cfg = TaggerConfig(task="ner", emb_dim=16, hidden=16, bigram=True, bigram_min_freq=1)
        train_tagger(train, dev, d / f"m{seed}", config=cfg, train_config=_fast(seed=seed))
        out.append(d / f"m{seed}")
    return train, dev, out


def test_cli_builds_an_ensemble_that_tags_and_evaluates(members, tmp_path):
    train, dev, (a, b) = members
    out = tmp_path / "ens"
    r = invoke("ensemble", a, b, "-o", out, "--dev", dev, "--half")
    assert "built an ensemble of 2 ner taggers: dev f1" in r.stderr
    head = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert head["model_type"] == "bilstm-crf-ensemble" and len(head["config"]["nets"]) == 2
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert [m["seed"] for m in metrics["members"]] == [3, 4] and "test" not in metrics
    from safetensors.torch import load_file

    weights = load_file(str(out / "model.safetensors"))
    assert all(t.dtype == torch.float16 for t in weights.values() if t.is_floating_point())
    assert {k.split(".")[1] for k in weights} == {"0", "1"}

    tagger = load_tagger(out)
    assert "bilstm-crf-ensemble of 2" in repr(tagger) and tagger.task == "ner"
    assert tagger.evaluate(dev)["f1"] == pytest.approx(metrics["dev"]["f1"])
    r = invoke("evaluate", out, dev, "--json")
    assert json.loads(r.stdout)["f1"] == pytest.approx(metrics["dev"]["f1"])
    lines = ["张三在北京工作。", "", "陈静毕业于清华大学。"] * 20
    src = tmp_path / "in.txt"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one = invoke("tag", out, src, "--format", "conll").stdout
    two = invoke("tag", out, src, "--format", "conll", "-j", "2").stdout
    assert one == two and one.count("B-PER") == 40
    for sent in tagger.tag(lines):
        assert not validate([t for _, t in sent], "BIO")


def test_the_same_model_twice_is_refused(members, tmp_path):
    _, _, (a, _) = members
    copy = tmp_path / "copy"
    shutil.copytree(a, copy)
    for pair in ([a, a], [a, copy]):
        with pytest.raises(ZhnlpError, match="twice"):
            build_ensemble(pair, tmp_path / "twice", half=False)
    assert not (tmp_path / "twice").exists()


def test_members_that_cannot_be_combined_are_one_line_errors(members, tmp_path):
    train, dev, (a, b) = members
    other = tmp_path / "nobigram"
    train_tagger(train, dev, other, config=TaggerConfig(task="ner", emb_dim=8, hidden=8), train_config=_fast(epochs=1))
    r = invoke("ensemble", a, other, "-o", tmp_path / "x", ok=False)
    one_line_error(r, "nobigram", "bigram is False here but True", "same inputs")
    hmm = tmp_path / "hmm"
    train_tagger(train, dev, hmm, config=TaggerConfig(task="ner"), train_config=_fast(), model="hmm")
    one_line_error(invoke("ensemble", a, hmm, "-o", tmp_path / "x", ok=False), "model type 'hmm'")
    one_line_error(invoke("ensemble", a, "-o", tmp_path / "x", ok=False), "at least two")
    build_ensemble([a, b], tmp_path / "ens")
    one_line_error(invoke("ensemble", tmp_path / "ens", other, "-o", tmp_path / "x", ok=False),
                   "nobigram", "same inputs")
    assert not (tmp_path / "x").exists()


def test_an_ensemble_given_as_a_member_adds_its_members(members, tmp_path):
    """Adding a seed to a built ensemble gives the ensemble built from all the members at once."""
    train, dev, (a, b) = members
    c = tmp_path / "m5"
    train_tagger(train, dev, c, config=TaggerConfig(task="ner", emb_dim=16, hidden=16, bigram=True, bigram_min_freq=1),
                 train_config=_fast(seed=5))
    build_ensemble([a, b], tmp_path / "ab", half=False)
    r = invoke("ensemble", tmp_path / "ab", c, "-o", tmp_path / "grown", "--float32")
    assert "built an ensemble of 3 ner taggers" in r.stderr
    build_ensemble([a, b, c], tmp_path / "direct", half=False)
    from safetensors.torch import load_file

    grown, direct = (load_file(str(tmp_path / d / "model.safetensors")) for d in ("grown", "direct"))
    assert grown.keys() == direct.keys() and all(torch.equal(grown[k], direct[k]) for k in grown)
    metrics = json.loads((tmp_path / "grown" / "metrics.json").read_text(encoding="utf-8"))
    assert [(m["name"], m["seed"]) for m in metrics["members"]] == [(a.name, 3), (b.name, 4), (c.name, 5)]
    sents = ["张三在北京工作。", "刘洋和赵六去了深圳。"]
    assert load_tagger(tmp_path / "grown").tag(sents) == load_tagger(tmp_path / "direct").tag(sents)
    assert load_tagger(tmp_path / "grown", precision="bf16").tag(sents)
