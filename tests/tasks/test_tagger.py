"""BiLSTM-CRF taggers: train → save → load → predict for each task,
resume after an interruption, model-directory safety, and the CLI (train-*, tag, evaluate)."""
from __future__ import annotations

import functools
import json

import pytest
import torch
from typer.testing import CliRunner

from tagging_fixtures import ner_sentences, write_conllu, write_ner, write_segmented
from helpers import fast_train_config, invoke, one_line_error
from zhnlp.cli import app
from zhnlp.errors import ZhnlpError
from zhnlp.training.serialization import ModelFormatError
from zhnlp.tasks.tagger import TaggerConfig, load_tagger, train_tagger
from zhnlp.training.trainer import resolve_device


# -- training and applying ---------------------------------------------------------------------

_fast = functools.partial(fast_train_config, epochs=6, batch_size=8, seed=3)


@pytest.fixture(scope="module")
def ner_data(tmp_path_factory):
    d = tmp_path_factory.mktemp("ner")
    return write_ner(d / "train.bio", 120, seed=1), write_ner(d / "dev.bio", 30, seed=2, sep=" ")


@pytest.fixture(scope="module")
def ner_model(ner_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "ner"
    cfg = TaggerConfig(task="ner", emb_dim=16, hidden=16, bigram=True, bigram_min_freq=1)
    res = train_tagger(ner_data[0], ner_data[1], out, config=cfg, train_config=_fast(), test=ner_data[1])
    return out, res


def test_ner_learns_saves_and_reloads_identically(ner_model, ner_data):
    out, res = ner_model
    assert {p.name for p in out.iterdir()} >= {"config.json", "model.safetensors", "metrics.json",
                                               "vocab-tokens.json", "vocab-tags.json", "vocab-bigram.json",
                                               "training_log.jsonl", "learning_curve.png"}
    assert not out.with_name("ner.checkpoint").exists()
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["dev"]["f1"] > 0.9 and metrics["test"]["f1"] == res.metrics["test"]["f1"]
    assert metrics["device"] == "cpu" and metrics["train_seconds"] > 0
    log = [json.loads(line) for line in (out / "training_log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == list(range(1, 7)) and "dev_f1" in log[0]
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["version"] == 1 and config["config"]["tagger"]["scheme"] == "BIO"
    tagger = load_tagger(out)
    again = load_tagger(out)
    sents = ["张三在北京工作。", "陈静毕业于清华大学。"]
    assert tagger.tag(sents) == again.tag(sents)
    assert tagger.entities("张三 在北京工作。") == [("PER", 0, 2, "张三"), ("LOC", 4, 6, "北京")]
    scores = tagger.evaluate(ner_data[1])
    assert scores["f1"] == pytest.approx(metrics["test"]["f1"])


def test_one_torch_thread_runs_the_lstm_directions_on_two_threads_with_the_same_tags(ner_model, ner_data):
    from zhnlp.tasks.tagger import read_examples

    sents = [s.tokens for s in read_examples(ner_data[1], "ner")]
    before = torch.get_num_threads()
    try:
        for precision in ("fp32", "bf16"):
            tagger = load_tagger(ner_model[0], precision=precision)
            torch.set_num_threads(2)
            assert tagger.backend.direction_executor() is None
            default = tagger.predict(sents, batch_size=7)
            torch.set_num_threads(1)
            pool = tagger.backend.direction_executor()
            assert pool is not None and tagger.backend.direction_executor() is pool
            assert tagger.predict(sents, batch_size=7) == default
            pid, _ = tagger.backend._executor
            tagger.backend._executor = (pid + 1, pool)  # as seen from a forked child: a pool of its own
            assert tagger.backend.direction_executor() is not pool
    finally:
        torch.set_num_threads(before)


def test_tag_empty_and_unknown_characters(ner_model):
    tagger = load_tagger(ner_model[0])
    assert tagger.tag(["", "鑫鑫鑫"])[0] == []
    assert len(tagger.tag(["鑫鑫鑫"])[0]) == 3


def test_same_seed_same_model(ner_data, tmp_path):
    cfg = dict(task="ner", emb_dim=8, hidden=8)
    for name in ("a", "b"):
        train_tagger(ner_data[0], ner_data[1], tmp_path / name, config=TaggerConfig(**cfg),
                     train_config=_fast(epochs=2))
    from safetensors.torch import load_file

    a, b = load_file(str(tmp_path / "a" / "model.safetensors")), load_file(str(tmp_path / "b" / "model.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_after_interruption_gives_the_same_weights(ner_data, tmp_path):
    from safetensors.torch import load_file

    cfg = dict(task="ner", emb_dim=8, hidden=8)
    train_tagger(ner_data[0], ner_data[1], tmp_path / "full", config=TaggerConfig(**cfg),
                 train_config=_fast(epochs=3))

    import zhnlp.training.trainer as train_mod

    calls = {"n": 0}
    original = train_mod.Trainer._save_checkpoint

    def interrupt_after_two(self, *a, **kw):
        original(self, *a, **kw)
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt

    train_mod.Trainer._save_checkpoint = interrupt_after_two
    try:
        with pytest.raises(KeyboardInterrupt):
            train_tagger(ner_data[0], ner_data[1], tmp_path / "cut", config=TaggerConfig(**cfg),
                         train_config=_fast(epochs=3))
    finally:
        train_mod.Trainer._save_checkpoint = original
    assert not (tmp_path / "cut").exists() and (tmp_path / "cut.checkpoint" / "trainer.json").exists()
    with pytest.raises(ZhnlpError, match="pass --resume"):
        train_tagger(ner_data[0], ner_data[1], tmp_path / "cut", config=TaggerConfig(**cfg),
                     train_config=_fast(epochs=3))
    train_tagger(ner_data[0], ner_data[1], tmp_path / "cut", config=TaggerConfig(**cfg),
                 train_config=_fast(epochs=3), resume=True)
    a = load_file(str(tmp_path / "full" / "model.safetensors"))
    b = load_file(str(tmp_path / "cut" / "model.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    log = (tmp_path / "cut" / "training_log.jsonl").read_text().splitlines()
    assert len(log) == 3


def test_cws_model_segments(tmp_path):
    train = write_segmented(tmp_path / "train.txt", 200, seed=1)
    dev = write_segmented(tmp_path / "dev.txt", 30, seed=2)
    res = train_tagger(train, dev, tmp_path / "cws", config=TaggerConfig(task="cws", emb_dim=16, hidden=16),
                       train_config=_fast(epochs=8))
    assert res.metrics["dev"]["f1"] > 0.9
    tagger = load_tagger(tmp_path / "cws")
    assert tagger.segment("我们在北京工作") == ["我们", "在", "北京", "工作"]
    r = CliRunner().invoke(app, ["segment", "--model", str(tmp_path / "cws"), "-"], input="我们在北京工作\n今天 天气很好\n")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == ["我们 在 北京 工作", "今天 天气 很 好"]


def test_pos_on_conllu_with_given_words(tmp_path):
    train = write_conllu(tmp_path / "train.conllu", 150, seed=1)
    dev = write_conllu(tmp_path / "dev.conllu", 30, seed=2)
    res = train_tagger(train, dev, tmp_path / "pos", config=TaggerConfig(task="pos", emb_dim=16, hidden=16),
                       train_config=_fast(epochs=6))
    assert res.metrics["dev"]["accuracy"] > 0.95
    tagger = load_tagger(tmp_path / "pos")
    assert tagger.tag([["我们", "在", "北京", "工作"]]) == [[("我们", "PRON"), ("在", "ADP"),
                                                        ("北京", "PROPN"), ("工作", "VERB")]]
    assert tagger.config.segmenter is None and tagger.tokens_of("我们在北京工作") == ["我们", "在", "北京", "工作"]


def test_pos_segmenter_is_a_checked_cws_model(tmp_path):
    from zhnlp.tasks.tagger import check_segmenter

    with pytest.raises(ZhnlpError, match="--segmenter names the CWS model .* POS model"):
        TaggerConfig(task="ner", segmenter="ud-cws")
    assert check_segmenter("ud-cws") == "ud-cws"
    with pytest.raises(ZhnlpError, match="--segmenter msra-ner: a ner model cannot segment"):
        check_segmenter("msra-ner")
    train = write_conllu(tmp_path / "train.conllu", 40, seed=1)
    r = invoke("train-pos", train, "-o", tmp_path / "pos", "--segmenter", "resume-ner", "--epochs", "1", ok=False)
    one_line_error(r, "--segmenter resume-ner: a ner model cannot segment")
    invoke("train-pos", train, "-o", tmp_path / "pos", "--segmenter", "ud-cws", "--epochs", "1", "--emb-dim", "8",
           "--hidden", "8", "-q")
    tagger = load_tagger(tmp_path / "pos")
    assert tagger.config.segmenter == "ud-cws"
    assert tagger.tokens_of("我爱北京天安门。") == load_tagger("ud-cws").segment("我爱北京天安门。")


def test_punctuation_the_vocabulary_lacks_is_read_as_its_other_form():
    from zhnlp.tasks.tagger import Featurizer
    from zhnlp.text.features import known_form
    from zhnlp.text.vocab import Vocab

    vocab = Vocab([".", ",", "“", "好"])
    assert [known_form(t, vocab) for t in ["。", ".", '"', "「", "好", "坏", "—"]] == \
        [".", ".", "“", "“", "好", "坏", "—"]
    feats = Featurizer(TaggerConfig(task="pos", affix=False), {"tokens": vocab, "tags": Vocab(["X"])})
    assert feats.encode(["好", "。", "，", "「"])["ids"] == vocab.encode(["好", ".", ",", "“"])
    raw = Featurizer(TaggerConfig(task="pos", affix=False, normalize=False), {"tokens": vocab, "tags": Vocab(["X"])})
    assert raw.encode(["。"])["ids"] == [vocab.unk_id]



def test_softword_model_keeps_its_lexicon_and_reloads_anywhere(ner_data, tmp_path):
    """The --lexicon files of --softword travel inside the model directory (named by their
    content), so the model reads the same soft-word positions after the original lexicon is
    gone; an ensemble keeps them too."""
    from zhnlp.tasks.tagger import Featurizer, build_ensemble

    lexicon = tmp_path / "lex.txt"
    lexicon.write_text("张三在 100000\n北京工 100000\n", encoding="utf-8")
    chars = list("张三在北京工作")
    assert Featurizer(TaggerConfig(task="ner", softword=True), {}).softword(chars) != [1, 2, 3, 1, 2, 3, 4]
    cfg = dict(task="ner", emb_dim=8, hidden=8, softword=True, softword_dim=4, lexicons=[str(lexicon)])
    res = train_tagger(ner_data[0], ner_data[1], tmp_path / "m", config=TaggerConfig(**cfg),
                       train_config=_fast(epochs=1))
    train_tagger(ner_data[0], ner_data[1], tmp_path / "m2", config=TaggerConfig(**cfg),
                 train_config=_fast(epochs=1, seed=4))
    config = json.loads((tmp_path / "m" / "config.json").read_text(encoding="utf-8"))["config"]
    assert config["net"]["features"] == {"softword": 5}
    (name,) = config["tagger"]["lexicons"]
    assert name.startswith("lexicon-") and (tmp_path / "m" / name).read_bytes() == lexicon.read_bytes()
    lexicon.unlink()
    tagger = load_tagger(tmp_path / "m")
    assert tagger.backend.featurizer.softword(chars) == [1, 2, 3, 1, 2, 3, 4]  # 张三在 北京工 作
    assert tagger.evaluate(ner_data[1])["f1"] == pytest.approx(res.metrics["dev"]["f1"])
    ens = build_ensemble([tmp_path / "m", tmp_path / "m2"], tmp_path / "ens")
    assert json.loads((ens.output / "config.json").read_text(encoding="utf-8"))["config"]["tagger"]["lexicons"] == [name]
    assert (ens.output / name).is_file()
    assert load_tagger(ens.output).tag(["张三在北京工作"])


def test_removed_options_off_in_a_config_load_and_on_are_refused_by_name(ner_model, tmp_path):
    """Models saved before --lexmatch, --gazetteer and --softlexicon were removed hold them
    switched off in config.json: they load and tag as before; one trained with an option on
    is a one-line error naming config.json and the option."""
    import shutil

    from zhnlp.training.serialization import ModelFormatError

    old = tmp_path / "old"
    shutil.copytree(ner_model[0], old)
    head = json.loads((old / "config.json").read_text(encoding="utf-8"))
    head["config"]["tagger"].update(lexmatch=False, lexmatch_dim=20, gazetteer=False, gazetteer_dim=16,
                                    gazetteer_folds=5, softlexicon=None, softlexicon_max_words=20000,
                                    softlexicon_slots=4, softlexicon_dim=0, softlexicon_table=None)
    head["config"]["net"].update(lexicon_words=0, lexicon_dim=0, lexicon_slots=0)
    (old / "config.json").write_text(json.dumps(head), encoding="utf-8")
    assert load_tagger(old).tag(["张三在北京工作"]) == load_tagger(ner_model[0]).tag(["张三在北京工作"])
    head["config"]["tagger"]["gazetteer"] = True
    (old / "config.json").write_text(json.dumps(head), encoding="utf-8")
    with pytest.raises(ModelFormatError) as e:
        load_tagger(old)
    assert str(e.value).startswith(f"{old / 'config.json'}: this model was trained with --gazetteer True, an option")
    assert "\n" not in str(e.value)


def test_encoder_starts_a_new_task_from_a_trained_taggers_embeddings_and_lstm(ner_model, tmp_path):
    """--encoder (transfer): the LSTM and fixed feature tables are copied whole, token and bigram
    rows entry by entry (rows the source never saw keep their start), the output layer and CRF
    start afresh, so a word-segmentation tagger can start from an NER one."""
    from zhnlp.formats.conll import Sentence
    from zhnlp.tasks.tagger import Featurizer, build_module, load_encoder

    source = load_tagger(ner_model[0]).backend
    cfg = TaggerConfig(task="cws", scheme="BMES", emb_dim=16, hidden=16, bigram=True, bigram_min_freq=1)
    feats = Featurizer.build(cfg, [Sentence(list("张三在火星"), ["B", "E", "S", "B", "E"])])
    torch.manual_seed(0)
    module = build_module(cfg, feats)
    before = module.net.embed.weight.detach().clone()
    covered = load_encoder(module.net, feats, ner_model[0])
    net, src, tok, src_tok = module.net, source.net, feats.vocabs["tokens"], source.featurizer.vocabs["tokens"]
    assert covered == 3 / 5  # 张 三 在 of the five characters
    for k, v in src.rnn.state_dict().items():
        assert torch.equal(net.rnn.state_dict()[k], v)
    for c in "张三在":
        assert torch.equal(net.embed.weight[tok.stoi[c]], src.embed.weight[src_tok.stoi[c]])
    for c in "火星":  # not in the source's vocabulary: unchanged
        assert torch.equal(net.embed.weight[tok.stoi[c]], before[tok.stoi[c]])
    bigrams, src_bigrams = feats.vocabs["bigram"], source.featurizer.vocabs["bigram"]
    assert torch.equal(net.feature_embed["bigram"].weight[bigrams.stoi["张三"]],
                       src.feature_embed["bigram"].weight[src_bigrams.stoi["张三"]])
    assert net.proj.weight.shape != src.proj.weight.shape  # 4 BMES tags + <pad>, not the NER tag set


def test_encoder_from_the_cli_and_its_errors(ner_data, ner_model, tmp_path):
    """train-ner --encoder records the source and its coverage; sizes or features that differ,
    an ensemble, an HMM and --model hmm are one-line errors naming the option."""
    base = ["train-ner", str(ner_data[0]), "--dev", str(ner_data[1]), "--emb-dim", "16", "--hidden", "16",
            "--bigram", "--no-softword", "--bigram-min-freq", "1", "--epochs", "1", "-q"]
    r = CliRunner().invoke(app, base + ["-o", str(tmp_path / "t"), "--encoder", str(ner_model[0])])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "t" / "config.json").read_text(encoding="utf-8"))["config"]["tagger"]["encoder"] \
        == ner_model[0].name
    assert json.loads((tmp_path / "t" / "metrics.json").read_text(encoding="utf-8"))["encoder_coverage"] == 1.0
    r = CliRunner().invoke(app, base[:6] + ["--hidden", "8"] + base[8:] + ["-o", str(tmp_path / "u"),
                                                                          "--encoder", str(ner_model[0])])
    assert r.exit_code != 0 and "the encoder has hidden 16 but this tagger 8" in r.output
    assert "Traceback" not in r.output and not (tmp_path / "u").exists()
    r = CliRunner().invoke(app, base + ["--softword", "-o", str(tmp_path / "u"), "--encoder", str(ner_model[0])])
    assert r.exit_code != 0 and "the encoder has features" in r.output
    r = CliRunner().invoke(app, ["ensemble", str(ner_model[0]), str(tmp_path / "t"), "-o", str(tmp_path / "e")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, base + ["-o", str(tmp_path / "u"), "--encoder", str(tmp_path / "e")])
    assert r.exit_code != 0 and "an ensemble cannot be an --encoder" in r.output
    r = CliRunner().invoke(app, base + ["-o", str(tmp_path / "u"), "--encoder", "resume-ner-hmm"])
    assert r.exit_code != 0 and "config.json" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(app, base + ["-o", str(tmp_path / "u"), "--model", "hmm", "--encoder", str(ner_model[0])])
    assert r.exit_code != 0 and "--model hmm has none" in r.output


def test_decoding_never_gives_the_padding_tag(ner_data, tmp_path):
    """An untrained network that scores the padding tag highest still decodes real tags."""
    from zhnlp.formats.conll import Sentence
    from zhnlp.tasks.tagger import Featurizer, Tagger, build_module

    cfg = TaggerConfig(task="ner", scheme="BIO", emb_dim=4, hidden=4)
    feats = Featurizer.build(cfg, [Sentence(list("张三在北京"), ["B-PER", "I-PER", "O", "B-LOC", "I-LOC"])])
    module = build_module(cfg, feats)
    with torch.no_grad():
        module.net.proj.bias[feats.vocabs["tags"].pad_id] = 100.0
    tags = Tagger(cfg, module).predict([list("张三在北京")])[0]
    assert "<pad>" not in tags and len(tags) == 5


def test_word_dropout_reads_rare_words_as_unk_in_training_only():
    """alpha/(alpha+count): a word seen once becomes <unk> half the time at alpha=1, one seen
    99 times 1% of the time; never padding, and never at evaluation."""
    from zhnlp.formats.conll import Sentence
    from zhnlp.tasks.tagger import Featurizer, build_module
    from zhnlp.training.batching import TaggingCollate

    sents = [Sentence(tokens=["常见"] * 99 + ["罕见"], tags=["NOUN"] * 100, columns=[], line=1)]
    cfg = TaggerConfig(task="pos", emb_dim=8, hidden=8, word_dropout=1.0)
    feats = Featurizer.build(cfg, sents)
    module = build_module(cfg, feats)
    v = feats.vocabs["tokens"]
    assert module.unk_prob[v["罕见"]] == pytest.approx(0.5) and module.unk_prob[v["常见"]] == pytest.approx(0.01)
    assert module.unk_prob[v.pad_id] == 0 and module.unk_prob[v.unk_id] == 0
    items = [feats.encode(["罕见"] * 4000 + ["常见"] * 4000, ["NOUN"] * 8000), feats.encode(["常见"], ["NOUN"])]
    batch = TaggingCollate(pad=v.pad_id)(items)
    seen = []
    module.net.loss = lambda b: seen.append(b["ids"]) or torch.zeros(())
    torch.manual_seed(0)
    module.net.train()
    module.forward_loss(batch)
    module.net.eval()
    module.forward_loss(batch)
    trained, evaluated = seen
    rare = (trained[0, :4000] == v.unk_id).float().mean()
    common = (trained[0, 4000:] == v.unk_id).float().mean()
    assert 0.45 < rare < 0.55 and common < 0.03
    assert (trained[1, 1:] == v.pad_id).all() and torch.equal(evaluated, batch["ids"])

def test_hmm_through_the_same_api(ner_data, tmp_path):
    res = train_tagger(ner_data[0], ner_data[1], tmp_path / "hmm", model="hmm",
                       config=TaggerConfig(task="ner"), train_config=None)
    assert res.metrics["dev"]["f1"] > 0.8
    tagger = load_tagger(tmp_path / "hmm")
    assert tagger.entities("张三在北京工作。")[0][:3] == ("PER", 0, 2)


# -- errors and safety -------------------------------------------------------------------------

def test_gpu_without_cuda_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ZhnlpError, match="CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(ZhnlpError, match="--device must be"):
        resolve_device("tpu")


def test_model_directory_safety(ner_model, tmp_path):
    import shutil

    src = ner_model[0]
    bad = tmp_path / "bad"
    shutil.copytree(src, bad)
    (bad / "extra.pkl").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(ModelFormatError, match="extra.pkl: refusing"):
        load_tagger(bad)
    (bad / "extra.pkl").unlink()
    raw = (bad / "model.safetensors").read_bytes()
    (bad / "model.safetensors").write_bytes(raw[:8] + b"{garbage" + raw[16:])
    with pytest.raises(ModelFormatError, match="model.safetensors: unreadable or tampered"):
        load_tagger(bad)
    (bad / "model.safetensors").write_bytes(raw)
    cfg = json.loads((bad / "config.json").read_text(encoding="utf-8"))
    cfg["version"] = 99
    (bad / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="version 99 is not supported"):
        load_tagger(bad)
    cfg["version"] = 1
    cfg["config"]["net"]["hidden"] = 17
    (bad / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="has shape"):
        load_tagger(bad)
    (bad / "vocab-tags.json").unlink()
    with pytest.raises(ModelFormatError, match="vocab-tags.json: missing file"):
        load_tagger(bad)
    with pytest.raises(ModelFormatError, match="no such model directory or bundled model"):
        load_tagger(tmp_path / "nowhere")


def test_cli_train_tag_evaluate_and_errors(ner_data, ner_model, tmp_path):
    runner = CliRunner()
    out = tmp_path / "m"
    r = runner.invoke(app, ["train-ner", str(ner_data[0]), "--dev", str(ner_data[1]), "-o", str(out),
                            "--epochs", "1", "--emb-dim", "8", "--hidden", "8", "--threads", "1"])
    assert r.exit_code == 0, r.output
    assert "trained bilstm-crf ner" in r.output and (out / "model.safetensors").exists()
    model = str(ner_model[0])
    r = runner.invoke(app, ["tag", model, "-", "--format", "jsonl"], input="张三在北京工作。\n\n")
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["entities"][0] == ["PER", 0, 2, "张三"]
    assert json.loads(lines[1])["tokens"] == []
    before, outputs = torch.get_num_threads(), []
    for n in ("1", "0"):  # one thread (the LSTM's directions on two threads), torch's default
        torch.set_num_threads(before)
        outputs.append(runner.invoke(app, ["tag", model, "-", "--threads", n],
                                     input="张三在北京工作。\n陈静毕业于清华大学。\n").stdout)
    torch.set_num_threads(before)
    assert outputs[0] == outputs[1] and "张三/PER" in outputs[0]
    r = runner.invoke(app, ["tag", model, "-", "--threads", "-1"], input="张三\n")
    assert r.exit_code == 1 and "--threads must be at least 0" in r.output
    r = runner.invoke(app, ["evaluate", model, str(ner_data[1]), "--json"])
    assert json.loads(r.stdout)["f1"] > 0.9
    r = runner.invoke(app, ["train-ner", str(ner_data[0]), "-o", str(tmp_path / "g"), "--gpu"])
    if not torch.cuda.is_available():
        assert r.exit_code == 1 and "CUDA is not available" in r.output and "Traceback" not in r.output
        assert not (tmp_path / "g").exists()
    empty = tmp_path / "empty.bio"
    empty.write_text("", encoding="utf-8")
    r = runner.invoke(app, ["train-ner", str(empty), "-o", str(tmp_path / "e")])
    assert r.exit_code == 1 and "empty.bio" in r.output
    malformed = tmp_path / "bad.bio"
    malformed.write_text("张\tB-PER\n三\n", encoding="utf-8")
    r = runner.invoke(app, ["train-ner", str(malformed), "-o", str(tmp_path / "e")])
    assert r.exit_code == 1 and "bad.bio:2" in r.output
    unseen = tmp_path / "unseen.bio"
    unseen.write_text("张\tB-PER\n三\tI-PER\n\n北\tB-XYZ\n", encoding="utf-8")
    r = runner.invoke(app, ["evaluate", model, str(unseen)])
    assert r.exit_code == 1 and "unseen.bio:4" in r.output and "B-XYZ" in r.output


def test_tag_files_parallel_conll_input_and_atomic_outputs(ner_model, tmp_path):
    model = str(ner_model[0])
    src = tmp_path / "in.txt"
    lines = ["张三在北京工作。", "", "陈静毕业于清华大学。", "刘洋 和 赵六去了深圳。"] * 50
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    runner = CliRunner()
    one = runner.invoke(app, ["tag", model, str(src), "--format", "jsonl"])
    two = runner.invoke(app, ["tag", model, str(src), "--format", "jsonl", "-j", "2"])
    assert one.exit_code == two.exit_code == 0
    assert one.stdout == two.stdout and len(one.stdout.splitlines()) == len(lines)
    conll_in = tmp_path / "in.conll"
    conll_in.write_text("张\n三\n在\n北\n京\n\n-DOCSTART-\n\n李\n四\n", encoding="utf-8")
    r = runner.invoke(app, ["tag", model, str(conll_in), "--input-format", "conll", "--format", "conll"])
    blocks = r.stdout.strip("\n").split("\n\n")
    assert len(blocks) == 2 and blocks[0].splitlines()[0] == "张\tB-PER"
    out_dir = tmp_path / "out"
    r = runner.invoke(app, ["tag", model, str(src), "--output-dir", str(out_dir), "-q"])
    assert r.exit_code == 0 and (out_dir / "in.txt").read_text(encoding="utf-8").splitlines()[0] == "张三/PER 北京/LOC"
    existing = tmp_path / "keep.txt"
    existing.write_text("precious", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00bad\n")
    r = runner.invoke(app, ["tag", model, str(bad), "-o", str(existing)])
    assert r.exit_code == 1 and "bad.txt:1" in r.output and "Traceback" not in r.output
    assert existing.read_text(encoding="utf-8") == "precious"


def test_pretrained_vectors_initialise_the_embeddings(ner_data, tmp_path):
    from zhnlp.embeddings import EmbeddingConfig, save_vectors, train_vectors

    corpus = tmp_path / "chars.txt"
    corpus.write_text("\n".join(" ".join(c) for c, _ in ner_sentences(80, seed=5)) + "\n", encoding="utf-8")
    model = train_vectors([corpus], EmbeddingConfig(dim=12, min_count=1, epochs=1, workers=1), pre_segmented=True)
    vec_path = save_vectors(model, tmp_path / "chars.vec")
    res = train_tagger(ner_data[0], ner_data[1], tmp_path / "m",
                       config=TaggerConfig(task="ner", emb_dim=12, hidden=8, embeddings=str(vec_path)),
                       train_config=_fast(epochs=1))
    cov = res.metrics["embedding_coverage"]
    assert cov["share_of_vocab"] > 0.9
    assert json.loads((tmp_path / "m" / "config.json").read_text(encoding="utf-8"))["config"]["tagger"]["embeddings"] == "chars.vec"
    with pytest.raises(ZhnlpError, match="--emb-dim 12"):
        train_tagger(ner_data[0], ner_data[1], tmp_path / "m2",
                     config=TaggerConfig(task="ner", emb_dim=16, hidden=8, embeddings=str(vec_path)),
                     train_config=_fast(epochs=1))


def test_bigram_embeddings_from_bigram_vectors(ner_data, tmp_path):
    """--bigram-embeddings: vectors trained with --level bigram initialise the bigram table."""
    from zhnlp.embeddings import EmbeddingConfig, save_vectors, train_vectors

    corpus = tmp_path / "text.txt"
    corpus.write_text("\n".join("".join(c) for c, _ in ner_sentences(80, seed=5)) + "\n", encoding="utf-8")
    model = train_vectors([corpus], EmbeddingConfig(dim=6, min_count=1, epochs=1, workers=1), level="bigram")
    vec_path = save_vectors(model, tmp_path / "bigrams.vec")
    cfg = TaggerConfig(task="ner", emb_dim=8, hidden=8, bigram=True, bigram_min_freq=1, bigram_dim=6,
                       bigram_embeddings=str(vec_path))
    res = train_tagger(ner_data[0], ner_data[1], tmp_path / "m", config=cfg, train_config=_fast(epochs=1, lr=1e-9))
    assert res.metrics["bigram_embedding_coverage"]["share_of_vocab"] > 0.5
    config = json.loads((tmp_path / "m" / "config.json").read_text(encoding="utf-8"))["config"]["tagger"]
    assert config["bigram_embeddings"] == "bigrams.vec"
    tagger = load_tagger(tmp_path / "m")  # at lr 1e-9 the table is still the vectors
    table = tagger.backend.net.feature_embed["bigram"].weight
    vocab = tagger.backend.featurizer.vocabs["bigram"]
    word = next(w for w in vocab.itos[2:] if w in model.wv.key_to_index)
    assert torch.allclose(table[vocab[word]], torch.tensor(model.wv[word]), atol=1e-4)
    with pytest.raises(ZhnlpError, match="--bigram-dim 6"):
        train_tagger(ner_data[0], ner_data[1], tmp_path / "m2", train_config=_fast(epochs=1),
                     config=TaggerConfig(task="ner", emb_dim=8, hidden=8, bigram=True, bigram_embeddings=str(vec_path)))


def test_pos_affix_embeddings_from_character_vectors(tmp_path):
    """--affix-embeddings: character vectors initialise the first/last-character tables."""
    from zhnlp.embeddings import EmbeddingConfig, save_vectors, train_vectors

    train = write_conllu(tmp_path / "train.conllu", 60, seed=1)
    dev = write_conllu(tmp_path / "dev.conllu", 10, seed=2)
    corpus = tmp_path / "chars.txt"
    words = [w for line in train.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")
             for w in [line.split("\t")[1]]]
    corpus.write_text(" ".join(c for w in words for c in w) + "\n", encoding="utf-8")
    vec_path = save_vectors(train_vectors([corpus], EmbeddingConfig(dim=8, min_count=1, epochs=1, workers=1),
                                          pre_segmented=True), tmp_path / "chars.vec")
    res = train_tagger(train, dev, tmp_path / "pos", train_config=_fast(epochs=1),
                       config=TaggerConfig(task="pos", emb_dim=8, hidden=8, affix_dim=8,
                                           affix_embeddings=str(vec_path)))
    assert res.metrics["affix_embedding_coverage"]["share_of_vocab"] == 1.0
    head = json.loads((tmp_path / "pos" / "config.json").read_text(encoding="utf-8"))
    assert head["config"]["tagger"]["affix_embeddings"] == "chars.vec"
    assert load_tagger(tmp_path / "pos").tag([["我们", "工作"]])[0][0][0] == "我们"
    with pytest.raises(ZhnlpError, match="--affix-dim 8"):
        train_tagger(train, dev, tmp_path / "pos2", train_config=_fast(epochs=1),
                     config=TaggerConfig(task="pos", emb_dim=8, hidden=8, affix_embeddings=str(vec_path)))


def test_pos_static_embeddings_give_unseen_words_their_vectors(tmp_path):
    """--static-embeddings: a fixed table over the vector file's words, so a word never seen in
    training is read through its own vector (not <unk>), and training leaves the table as it was."""
    from safetensors.torch import load_file

    from zhnlp.embeddings import load_vectors

    train = write_conllu(tmp_path / "train.conllu", 60, seed=1)
    dev = write_conllu(tmp_path / "dev.conllu", 10, seed=2)
    vec_path = tmp_path / "words.vec"
    rows = {w: [round(0.1 * (i + 1) + 0.01 * d, 3) for d in range(4)]
            for i, w in enumerate(["我们", "工作", "学生", "上海", "ＡＢ", "北京"])}
    vec_path.write_text(f"{len(rows)} 4\n" + "".join(f"{w} {' '.join(map(str, v))}\n" for w, v in rows.items()),
                        encoding="utf-8")
    res = train_tagger(train, dev, tmp_path / "pos", train_config=_fast(epochs=2),
                       config=TaggerConfig(task="pos", emb_dim=8, hidden=8, static_embeddings=str(vec_path),
                                           static_max_words=5))
    cov = res.metrics["static_embedding_coverage"]
    assert cov["words"] == 5 and cov["dim"] == 4          # the first five words; 北京 is cut off
    assert 0 < cov["train_token_coverage"] < 1
    head = json.loads((tmp_path / "pos" / "config.json").read_text(encoding="utf-8"))
    assert head["config"]["tagger"]["static_embeddings"] == "words.vec"
    tagger = load_tagger(tmp_path / "pos")
    feats = tagger.backend.featurizer
    item = feats.encode(["上海", "AB", "北京"])
    static = feats.vocabs["static"]
    assert "上海" not in feats.vocabs["tokens"]            # never seen in training ...
    assert item["features"]["static"][0] == static["上海"] != static.unk_id   # ... yet has its own vector
    assert item["features"]["static"][1] == static["AB"]  # full-width forms normalised like the tokens
    assert item["features"]["static"][2] == static.unk_id
    weights = load_file(str(tmp_path / "pos" / "model.safetensors"))
    table = weights["feature_embed.static.weight"]
    vectors = load_vectors(vec_path)
    for w in ("我们", "上海"):
        assert torch.allclose(table[static[w]], torch.tensor(vectors.vector(w)), atol=1e-6)
    assert [w for w, _ in tagger.tag([["上海", "工作"]])[0]] == ["上海", "工作"]
