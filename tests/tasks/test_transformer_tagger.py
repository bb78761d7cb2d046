"""The Transformer-CRF tagger (``--model transformer-crf``, TENER): it learns, reloads, ignores padding, shares the
BiLSTM-CRF's paths (tag, evaluate, ensemble, bf16) and refuses what it cannot do in one line."""
from __future__ import annotations

import functools
import json

import pytest
import torch
from helpers import fast_train_config, invoke, one_line_error
from tagging_fixtures import ner_sentences, write_ner

from zhnlp.formats.conll import Sentence
from zhnlp.nn.tagger import BiLSTMCRF, TaggerNetConfig, TransformerCRF, build_tagger_net, transformer_heads
from zhnlp.tasks.tagger import Featurizer, TaggerConfig, build_ensemble, build_module, load_tagger, train_tagger

_fast = functools.partial(fast_train_config, epochs=6, batch_size=8, seed=3)
_CONFIG = {"task": "ner", "emb_dim": 16, "hidden": 16, "bigram": True, "bigram_min_freq": 1, "dropout": 0.1}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("ner")
    return write_ner(d / "train.bio", 120, seed=1), write_ner(d / "dev.bio", 30, seed=2)


@pytest.fixture(scope="module")
def model(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "tener"
    res = train_tagger(data[0], data[1], out, config=TaggerConfig(**_CONFIG), model="transformer-crf",
                       train_config=_fast(), test=data[1])
    return out, res


def test_it_learns_saves_and_reloads_with_its_model_type(model, data):
    out, res = model
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["model_type"] == "transformer-crf-tagger"
    net = {k: config["config"]["net"][k] for k in ("encoder", "hidden", "heads", "ff", "norm", "encoder_dropout",
                                                   "output_dropout")}
    assert net == {"encoder": "transformer", "hidden": 16, "heads": 1, "ff": 32, "norm": "post",
                   "encoder_dropout": 0.05, "output_dropout": pytest.approx(0.2)}
    assert res.metrics["model"] == "transformer-crf" and res.metrics["dev"]["f1"] > 0.9
    tagger = load_tagger(out)
    assert isinstance(tagger.backend.net, TransformerCRF) and "transformer-crf" in repr(tagger)
    assert tagger.entities("张三 在北京工作。") == [("PER", 0, 2, "张三"), ("LOC", 4, 6, "北京")]
    assert tagger.evaluate(data[1])["f1"] == pytest.approx(res.metrics["test"]["f1"])


def test_a_tiny_set_is_learned_to_100_percent(tmp_path):
    sents = ner_sentences(12, seed=5)
    path = tmp_path / "tiny.bio"
    path.write_text("".join("".join(f"{c}\t{t}\n" for c, t in zip(*s)) + "\n" for s in sents), encoding="utf-8")
    train_tagger(path, None, tmp_path / "m", config=TaggerConfig(**_CONFIG), model="transformer-crf",
                 train_config=_fast(epochs=30, lr=0.005))
    assert load_tagger(tmp_path / "m").predict([chars for chars, _ in sents]) == [tags for _, tags in sents]


def test_a_sentence_alone_and_in_a_padded_batch_gets_the_same_emissions(model):
    tagger = load_tagger(model[0])
    feats, net = tagger.backend.featurizer, tagger.backend.net
    short, long = list("张三在北京工作。"), list("今天陈静和刘洋来到清华大学参观。")
    from zhnlp.training.batching import TaggingCollate

    collate = TaggingCollate(pad=feats.vocabs["tokens"].pad_id)
    alone, both = collate([feats.encode(short)]), collate([feats.encode(long), feats.encode(short)])
    with torch.no_grad():
        em_alone = net.emissions(alone["ids"], alone["features"], alone["lengths"])[0]
        em_both = net.emissions(both["ids"], both["features"], both["lengths"])[1, :len(short)]
    assert torch.allclose(em_alone, em_both, atol=1e-5)
    assert tagger.predict([short])[0] == tagger.predict([long, short], batch_size=2)[1]


def test_heads_follow_the_size():
    assert [transformer_heads(d) for d in (8, 16, 128, 256, 480, 200)] == [1, 1, 2, 4, 8, 2]
    with pytest.raises(ValueError, match="must be even"):
        transformer_heads(7)


def test_configs_without_an_encoder_build_a_bilstm():
    """Model directories saved before the Transformer (no ``encoder`` in config.json) load as they did."""
    cfg = TaggerNetConfig(n_tokens=10, n_tags=3)
    assert cfg.encoder == "bilstm" and isinstance(build_tagger_net(cfg), BiLSTMCRF)
    assert isinstance(load_tagger("ud-cws").backend.net, BiLSTMCRF)
    with pytest.raises(ValueError, match="not 'gru'"):
        build_tagger_net(TaggerNetConfig(n_tokens=10, n_tags=3, encoder="gru"))


def test_transformer_configs_saved_before_post_norm_build_pre_norm_blocks():
    """A Transformer-CRF saved with pre-norm blocks and one dropout (no ``norm`` in config.json) loads as it was."""
    cfg = TaggerNetConfig(n_tokens=10, n_tags=3, hidden=8, heads=1, ff=16, dropout=0.3, encoder="transformer")
    net = build_tagger_net(cfg)
    assert net.encoder.norm is not None and not net.encoder.blocks[0].post_norm
    assert net.encoder.blocks[0].dropout.p == net.output_dropout.p == 0.3
    net = build_tagger_net(TaggerNetConfig(**{**cfg.__dict__, "norm": "post", "encoder_dropout": 0.15,
                                              "output_dropout": 0.4}))
    assert net.encoder.norm is None and net.encoder.blocks[0].post_norm
    assert (net.encoder.blocks[0].dropout.p, net.output_dropout.p) == (0.15, 0.4)


def test_the_seeded_bilstm_is_drawn_as_before():
    """The CRF is still made after the LSTM: a seed gives the BiLSTM-CRF the weights it gave before."""
    cfg = TaggerConfig(task="ner", scheme="BIO", emb_dim=4, hidden=4)
    feats = Featurizer.build(cfg, [Sentence(list("张三在北京"), ["B-PER", "I-PER", "O", "B-LOC", "I-LOC"])])
    torch.manual_seed(0)
    net = build_module(cfg, feats).net
    assert list(net.state_dict())[-3:] == ["crf.crf.start_transitions", "crf.crf.end_transitions",
                                           "crf.crf.transitions"]


def test_bf16_tags_every_token(model):
    tagger = load_tagger(model[0], precision="bf16")
    assert next(tagger.backend.net.encoder.parameters()).dtype == torch.bfloat16
    tags = tagger.predict([list("张三在北京工作。"), list("陈静毕业于清华大学。")])
    assert [len(t) for t in tags] == [8, 10] and tags[0][:2] == ["B-PER", "I-PER"]


def test_an_ensemble_mixes_transformer_and_bilstm_members(model, data, tmp_path):
    bilstm = train_tagger(data[0], data[1], tmp_path / "b", config=TaggerConfig(**_CONFIG), train_config=_fast())
    res = build_ensemble([model[0], bilstm.output], tmp_path / "e", dev=data[1])
    tagger = load_tagger(tmp_path / "e")
    assert [type(m) for m in tagger.backend.net.members] == [TransformerCRF, BiLSTMCRF]
    assert res.metrics["dev"]["f1"] > 0.9 and "ensemble of 2" in repr(tagger)


def test_cli_trains_tags_and_evaluates(data, tmp_path):
    r = invoke("train-ner", data[0], "--dev", data[1], "-o", tmp_path / "m", "--model", "transformer-crf",
               "--epochs", "2", "--emb-dim", "8", "--hidden", "8", "--warmup-epochs", "1", "--lr", "0.005")
    assert "trained transformer-crf ner" in r.stderr
    recorded = json.loads((tmp_path / "m" / "metrics.json").read_text(encoding="utf-8"))["train_config"]
    assert (recorded["warmup_epochs"], recorded["warmup_steps"]) == (1.0, 0)
    r = invoke("tag", tmp_path / "m", "-", "--format", "jsonl", input="张三在北京工作。\n")
    assert len(json.loads(r.stdout)["tags"]) == 8
    assert "f1" in json.loads(invoke("evaluate", tmp_path / "m", data[1], "--json").stdout)


def test_what_it_cannot_do_is_a_one_line_error(model, data, tmp_path):
    base = ["train-ner", data[0], "--epochs", "1", "--model", "transformer-crf"]
    one_line_error(invoke(*base, "--encoder", "ud-cws", "-o", tmp_path / "a", ok=False),
                   "--encoder starts a BiLSTM-CRF's embeddings and LSTM; --model transformer-crf has no LSTM")
    one_line_error(invoke(*base, "--hidden", "7", "-o", tmp_path / "b", ok=False),
                   "--model transformer-crf: a Transformer's size must be even (--hidden 7)")
    one_line_error(invoke("train-ner", data[0], "--epochs", "1", "--encoder", model[0], "-o", tmp_path / "c",
                          ok=False), "a Transformer-CRF has no LSTM to start from; --encoder takes a BiLSTM-CRF")
    assert not any((tmp_path / name).exists() for name in "abc")
