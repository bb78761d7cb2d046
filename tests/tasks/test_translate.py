"""GRU seq2seq translation: English tokens, pair files, the network's decoders (beam search
against brute force), training → save → load → translate on a tiny synthetic language,
sacreBLEU scoring, the translate/evaluate/train-seq2seq commands and their errors."""
from __future__ import annotations

import itertools
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import data_path, fast_train_config, interrupted_after, invoke, one_line_error
from translation_fixtures import all_pairs, split_pairs, write_pairs
from zhnlp.errors import InputError, ZhnlpError
from zhnlp.formats.pairs import detokenize_en, read_pairs, split_pairs as split_pair_file, tokenize_en

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# -- English tokens ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, tokens", [
    ("I don't know.", ["I", "do", "n't", "know", "."]),
    ("Tom's car is red, isn't it?", ["Tom", "'s", "car", "is", "red", ",", "is", "n't", "it", "?"]),
    ('"Hi," he said.', ["``", "Hi", ",", "''", "he", "said", "."]),
    ("It costs $5.50 (approx.) -- really!", ["It", "costs", "$", "5.50", "(", "approx", ".", ")", "--",
                                            "really", "!"]),
    ("I'm at my e-mail.", ["I", "'m", "at", "my", "e-mail", "."]),
])
def test_tokenize_en_known_cases_and_back(text, tokens):
    assert tokenize_en(text) == tokens
    assert detokenize_en(tokens) == text


def test_lower_casing_and_truecasing():
    toks = tokenize_en("I think Tom is here.", lower=True)
    assert toks == ["i", "think", "tom", "is", "here", "."]
    assert detokenize_en(toks, truecase=True) == "I think tom is here."


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "(", '"', "$"]), WORD,
                          st.sampled_from(["", "'s", "n't", "'ll"]),
                          st.sampled_from(["", ".", ",", "!", "?", ")", '"', "...", "?!"])), min_size=1, max_size=8))
def test_tokenize_detokenize_round_trip_property(parts):
    words = []
    for lead, word, clitic, trail in parts:
        if clitic == "n't" and not word.isalpha():
            clitic = ""
        if clitic and lead == "$":
            lead = ""
        words.append(lead + word + clitic + trail)
    text = " ".join(words)
    assert detokenize_en(tokenize_en(text)) == text


def test_tokenization_is_reversible_on_the_corpus():
    pairs = read_pairs(data_path("cmn_eng", "train.tsv"))
    bad = [t for t in pairs.tgt if detokenize_en(tokenize_en(t)) != t.replace("’", "'")]
    assert len(bad) <= len(pairs.tgt) // 1000, bad[:5]


# -- pair files --------------------------------------------------------------------------------------

def test_read_pairs_bom_cr_and_columns(tmp_path):
    p = tmp_path / "pairs.tsv"
    p.write_bytes("\ufeffHello.\t你好。\tattr\r\nThanks.\t谢谢。\tattr\r\n".encode("utf-8"))
    pairs = read_pairs(p)
    assert pairs.src == ["你好。", "谢谢。"] and pairs.tgt == ["Hello.", "Thanks."] and pairs.lines == [1, 2]
    swapped = read_pairs(p, src_col=0, tgt_col=1)
    assert swapped.src == ["Hello.", "Thanks."]


def test_read_pairs_skips_or_refuses_bad_lines(tmp_path):
    p = tmp_path / "pairs.tsv"
    p.write_text("Hello.\t你好。\nno tab here\n\t空的\nBye.\t\nThanks.\t谢谢。\n", encoding="utf-8")
    pairs = read_pairs(p)
    assert pairs.src == ["你好。", "谢谢。"] and pairs.lines == [1, 5]
    assert pairs.skipped == {"too few columns": [2], "empty target": [3], "empty source": [4]}
    with pytest.raises(InputError) as exc:
        read_pairs(p, strict=True)
    assert exc.value.line == 2 and "1 column(s)" in str(exc.value)
    with pytest.raises(ZhnlpError, match="two different column"):
        read_pairs(p, src_col=0, tgt_col=0)


def test_references_group_every_target_of_a_source(tmp_path):
    p = write_pairs(tmp_path / "p.tsv", [("我走了。", "I left."), ("你好。", "Hi."), ("我走了。", "I'm off.")])
    sources, refs = read_pairs(p).references()
    assert sources == ["我走了。", "你好。"] and refs == [["I left.", "I'm off."], ["Hi."]]


def test_split_is_grouped_by_source_and_seeded(tmp_path):
    pairs = all_pairs() + [(zh, en.upper()) for zh, en in all_pairs()[:40]]  # 40 sources with two targets
    data = read_pairs(write_pairs(tmp_path / "p.tsv", pairs))
    parts = split_pair_file(data, (0.8, 0.1, 0.1), seed=3)
    assert parts == split_pair_file(data, (0.8, 0.1, 0.1), seed=3)
    assert sorted(sum(parts.values(), [])) == list(range(len(pairs)))
    sources = {k: {data.src[i] for i in v} for k, v in parts.items()}
    assert not sources["train"] & sources["dev"] and not sources["train"] & sources["test"]
    assert not sources["dev"] & sources["test"]


# -- the network ---------------------------------------------------------------------------------------

def tiny_net(attention: str = "dot", n_tgt: int = 6, seed: int = 0):
    import torch

    from zhnlp.nn.seq2seq import Seq2SeqNet, Seq2SeqNetConfig

    torch.manual_seed(seed)
    net = Seq2SeqNet(Seq2SeqNetConfig(n_src=7, n_tgt=n_tgt, src_pad=2, tgt_pad=2, bos=3, eos=1, emb_dim=8, hidden=6,
                                      attention=attention, dropout=0.0))
    with torch.no_grad():  # sharper distributions, so decoders disagree
        net.out.weight.mul_(8.0)
    return net.eval()


def _seq_logp(net, src, lengths, seq, eos_end=True):
    import torch

    enc = net.encode(src, lengths)
    hidden, feed = enc.hidden, enc.out.new_zeros(1, net.decoder.hidden_size)
    prev, total = torch.tensor([net.cfg.bos]), 0.0
    for tok in list(seq) + ([net.cfg.eos] if eos_end else []):
        feed, hidden, _ = net.step(enc, prev, hidden, feed)
        total += float(torch.log_softmax(net.generate(feed), -1)[0, tok].detach())
        prev = torch.tensor([tok])
    return total


@pytest.mark.parametrize("attention", ["dot", "additive"])
def test_beam_search_finds_the_brute_force_best(attention):
    """With a beam wider than the search space, beam search returns the sequence that
    maximises log P / L^alpha over every sequence up to the length limit."""
    import torch

    net, max_len, alpha = tiny_net(attention), 3, 0.75
    src = torch.tensor([[4, 5, 6, 1]])
    lengths = torch.tensor([4])
    best, best_score = None, -math.inf
    tokens = [t for t in range(net.cfg.n_tgt) if t != net.cfg.eos]
    for n in range(max_len + 1):
        for seq in itertools.product(tokens, repeat=n):
            ends = n < max_len  # shorter sequences end with EOS; full-length ones stop at the limit
            score = _seq_logp(net, src, lengths, seq, ends) / (n + 1) ** alpha
            if score > best_score:
                best, best_score = list(seq), score
    found, _ = net.beam_search(src, lengths, max_len, k=300, alpha=alpha)
    assert found[0] == best


def test_beam_of_one_is_greedy_and_batches_do_not_change_results():
    import torch

    net = tiny_net(n_tgt=9)
    src = torch.tensor([[4, 5, 6, 5, 1], [6, 4, 1, 2, 2], [5, 1, 2, 2, 2]])
    lengths = torch.tensor([5, 3, 2])
    greedy, _ = net.greedy(src, lengths, 6)
    assert net.beam_search(src, lengths, 6, k=1)[0] == greedy
    beam, _ = net.beam_search(src, lengths, 6, k=4)
    for i in range(3):  # each sentence alone gives the same as in the padded batch
        alone = net.beam_search(src[i:i + 1, :int(lengths[i])], lengths[i:i + 1], 6, k=4)[0][0]
        assert alone == beam[i]
        assert net.greedy(src[i:i + 1, :int(lengths[i])], lengths[i:i + 1], 6)[0][0] == greedy[i]


def test_attention_rows_are_distributions_over_real_source_tokens():
    import torch

    net = tiny_net()
    src = torch.tensor([[4, 5, 6, 1], [5, 1, 2, 2]])
    lengths = torch.tensor([4, 2])
    for k in (1, 3):
        hyps, atts = net.beam_search(src, lengths, 5, k=k, attention=True)
        for h, a, n in zip(hyps, atts, lengths.tolist()):
            assert a.shape == (len(h) + 1, n)
            assert torch.allclose(a.sum(1), torch.ones(len(h) + 1), atol=1e-5)


def test_removed_scheduled_sampling_loads_when_off_and_is_refused_by_name_when_on():
    """Configs saved before scheduled sampling was removed hold plain teacher forcing
    (cmn-eng's: 1.0, constant): they load; a model trained with a schedule is refused."""
    from zhnlp.training.serialization import ModelFormatError
    from zhnlp.tasks.translator import Seq2SeqConfig

    old = dict(beam=3, teacher_forcing=1.0, tf_schedule="constant", tf_min=0.0, tf_k=5000.0)
    assert Seq2SeqConfig.from_dict(old) == Seq2SeqConfig(beam=3)
    with pytest.raises(ModelFormatError, match="^config.json: this model was trained with --tf-schedule 'linear'"):
        Seq2SeqConfig.from_dict(dict(old, tf_schedule="linear"))
    with pytest.raises(ModelFormatError, match="--teacher-forcing 0.9"):
        Seq2SeqConfig.from_dict(dict(old, teacher_forcing=0.9))
    with pytest.raises(ZhnlpError, match="--beam"):
        Seq2SeqConfig(beam=0)


def test_bleu_matches_sacrebleu_and_takes_uneven_references():
    import sacrebleu

    from zhnlp.tasks.translator import bleu_chrf

    hyps = ["the cat sat on the mat .", "a dog barks", "hello world"]
    refs = [["the cat sat on the mat .", "a cat sat on the mat ."], ["the dog barks", "a dog is barking"],
            ["hello , world", "hi world"]]
    ours = bleu_chrf(hyps, refs)
    theirs = sacrebleu.corpus_bleu(hyps, [list(r) for r in zip(*refs)])
    assert math.isclose(ours["bleu"], theirs.score)
    assert "nrefs" in ours["bleu_signature"] and 0 < ours["chrf"] <= 100
    uneven = bleu_chrf(hyps, [refs[0], refs[1][:1], refs[2]])
    assert math.isclose(uneven["bleu"], sacrebleu.corpus_bleu(hyps, [[r[0] for r in refs],
                                                                     [refs[0][1], None, refs[2][1]]]).score)


# -- train → save → load → translate ----------------------------------------------------------------

TINY = dict(emb_dim=32, hidden=32, dropout=0.0, beam=3, tie_embeddings=False, src_token_dropout=0.0,
            label_smoothing=0.0, tgt_min_freq=1)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from zhnlp.tasks.translator import Seq2SeqConfig, train_seq2seq

    d = tmp_path_factory.mktemp("s2s")
    train, held = split_pairs()
    tr, dv = write_pairs(d / "train.tsv", train), write_pairs(d / "dev.tsv", held)
    result = train_seq2seq(tr, dv, d / "model", config=Seq2SeqConfig(**TINY),
                           train_config=fast_train_config(epochs=25, batch_size=16, seed=5))
    return result, d, held


def test_tiny_model_learns_and_scores_are_recorded(trained):
    result, d, held = trained
    m = json.loads((d / "model" / "metrics.json").read_text())
    assert m["dev"]["bleu"] > 60, m["dev"]  # held-out sentences of a learnable language
    assert m["dev"]["perplexity"] < 3
    history = [json.loads(line) for line in (d / "model" / "training_log.jsonl").read_text().splitlines()]
    assert all("dev_perplexity" in r and "dev_bleu" in r for r in history)
    assert (d / "model" / "learning_curve.png").read_bytes().startswith(PNG_MAGIC)
    assert not (d / "model.checkpoint").exists()


def test_load_translate_and_align(trained):
    from zhnlp import load_translator

    result, d, held = trained
    tr = load_translator(d / "model")
    sources = [zh for zh, _ in held]
    out = tr.translate(sources)
    assert len(out) == len(held)
    assert sum(o == en for o, (_, en) in zip(out, held)) >= len(held) // 2
    assert tr.translate(["", sources[0]], beam=1)[0] == ""
    al = tr.align(sources[0])
    assert al.weights.shape == (len(al.target) + 1, len(al.source) + 1)
    assert al.text == tr.translate([sources[0]])[0]
    with pytest.raises(ZhnlpError, match="--beam"):
        tr.translate(sources, beam=0)
    with pytest.raises(TypeError):
        tr.translate("我喜欢猫。")


@pytest.mark.parametrize("text, lang, pieces", [
    ("我爱你。你呢？“好！”他说……然后走了", "zh", ["我爱你。", "你呢？", "“好！”", "他说……", "然后走了"]),
    ("3.5元。好", "zh", ["3.5元。", "好"]),
    ("没有句号", "zh", ["没有句号"]),
    ('I see. You? "Yes!" he said. Mr.Smith', "en", ["I see.", " You?", ' "Yes!"', " he said.", " Mr.Smith"]),
])
def test_split_sentences_known_cases(text, lang, pieces):
    from zhnlp.tasks.translator import split_sentences

    assert split_sentences(text, lang) == pieces
    assert "".join(pieces) == text


def test_fit_length_cuts_long_sentences_at_clauses():
    from zhnlp.tasks.translator import fit_length

    text = "我爱你，你爱我，他也爱你，我们都很好。今天很好。" + "长" * 9
    assert fit_length(text, "zh", 8, len) == ["我爱你，你爱我，", "他也爱你，", "我们都很好。", "今天很好。", "长" * 9]


def test_long_inputs_are_translated_sentence_by_sentence(trained, tmp_path):
    from zhnlp import load_translator

    result, d, held = trained
    config = json.loads((d / "model" / "config.json").read_text())["config"]["seq2seq"]
    longest = max(len(zh) for zh, _ in split_pairs()[0])
    assert config["trained_src_len"] == longest  # recorded by training
    tr = load_translator(d / "model")
    assert tr.max_source_len == longest
    sentences = [zh for zh, _ in held[:3]]
    paragraph = "".join(sentences)
    assert tr.sentences_of(paragraph) == sentences and tr.sentences_of(sentences[0]) == [sentences[0]]
    one_by_one = " ".join(tr.translate(sentences))
    tr.split_inputs = tr.long_sentences = 0
    assert tr.translate([paragraph, sentences[0]]) == [one_by_one, tr.translate([sentences[0]])[0]]
    assert (tr.split_inputs, tr.long_sentences) == (1, 0)
    unsplittable = "我喜欢猫我喜欢狗我喜欢书"  # no sentence end, no clause mark
    with pytest.warns(UserWarning, match=f"1 sentence\\(s\\) longer than the {longest} tokens this model was trained on"):
        tr.translate([unsplittable])
    with pytest.warns(UserWarning, match="1 sentence"):
        tr.translate([paragraph], split=False)
    assert tr.long_sentences == 2
    r = invoke("translate", d / "model", "-o", tmp_path / "out.txt", input=f"{paragraph}\n{unsplittable}\n")
    assert (tmp_path / "out.txt").read_text(encoding="utf-8").splitlines()[0] == one_by_one
    assert f"note: 1 line(s) longer than the {longest} tokens the model was trained on were translated sentence " \
           "by sentence" in r.stderr
    assert f"warning: 1 sentence(s) longer than the {longest} tokens the model was trained on" in r.stderr
    assert "warning" in invoke("translate", d / "model", "-q", input=unsplittable).stderr  # not silenced by -q


def test_score_matches_a_fresh_evaluation(trained):
    from zhnlp import load_translator

    result, d, held = trained
    again = load_translator(d / "model").evaluate(d / "dev.tsv")
    saved = json.loads((d / "model" / "metrics.json").read_text())["dev"]
    for key in ("bleu", "greedy_bleu", "chrf", "perplexity"):
        assert math.isclose(again[key], saved[key], rel_tol=1e-6), key


def test_seed_makes_training_reproducible(tmp_path):
    from safetensors.numpy import load_file

    from zhnlp.tasks.translator import Seq2SeqConfig, train_seq2seq

    train, held = split_pairs()
    tr, dv = write_pairs(tmp_path / "t.tsv", train[:60]), write_pairs(tmp_path / "d.tsv", held[:10])
    cfg = dict(TINY)
    for name in ("a", "b"):
        train_seq2seq(tr, dv, tmp_path / name, config=Seq2SeqConfig(**cfg),
                      train_config=fast_train_config(epochs=2, batch_size=8, seed=11))
    a, b = (load_file(str(tmp_path / n / "model.safetensors")) for n in ("a", "b"))
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)


def test_resume_after_interruption_gives_the_same_weights(tmp_path):
    """Token dropout included: every epoch reseeds."""
    from safetensors.numpy import load_file

    from zhnlp.tasks.translator import Seq2SeqConfig, train_seq2seq

    train, held = split_pairs()
    tr, dv = write_pairs(tmp_path / "t.tsv", train[:48]), write_pairs(tmp_path / "d.tsv", held[:8])
    cfg = dict(TINY, src_token_dropout=0.1)

    def run(name, **kw):
        return train_seq2seq(tr, dv, tmp_path / name, config=Seq2SeqConfig(**cfg),
                             train_config=fast_train_config(epochs=3, batch_size=8), **kw)

    run("full")
    with interrupted_after(2):
        with pytest.raises(KeyboardInterrupt, match="--resume"):
            run("cut")
    assert not (tmp_path / "cut").exists()
    run("cut", resume=True)
    a, b = (load_file(str(tmp_path / n / "model.safetensors")) for n in ("full", "cut"))
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)


def test_half_precision_and_tied_embeddings_load(tmp_path):
    from zhnlp import load_translator
    from zhnlp.tasks.translator import Seq2SeqConfig, train_seq2seq

    train, held = split_pairs()
    tr = write_pairs(tmp_path / "t.tsv", train[:40])
    train_seq2seq(tr, None, tmp_path / "m", config=Seq2SeqConfig(emb_dim=16, hidden=8, tie_embeddings=True,
                                                                half_precision=True, attention="additive",
                                                                layers=2, init_range=0.1),
                  train_config=fast_train_config(epochs=1, batch_size=8))
    out = load_translator(tmp_path / "m").translate([zh for zh, _ in held[:3]])
    assert len(out) == 3


# -- the commands ------------------------------------------------------------------------------------

def test_translate_cli_streams_one_line_per_line(trained, tmp_path):
    result, d, held = trained
    lines = [held[0][0], "", held[1][0], "   "]
    r = invoke("translate", d / "model", "--beam", "1", input="\n".join(lines) + "\n")
    out = r.stdout.split("\n")[:-1]
    assert len(out) == 4 and out[1] == "" and out[3] == ""
    from zhnlp import load_translator

    assert out[0] == load_translator(d / "model").translate([held[0][0]], beam=1)[0]
    src = tmp_path / "in.txt"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    invoke("translate", d / "model", src, "-o", tmp_path / "out.txt", "--attention-plot", tmp_path / "att.png",
           "--plot-lines", "2", "-q")
    assert (tmp_path / "out.txt").read_text(encoding="utf-8").split("\n")[:-1] == [
        load_translator(d / "model").translate([x])[0] for x in lines]
    assert (tmp_path / "att.png").read_bytes().startswith(PNG_MAGIC)
    r = invoke("translate", d / "model", "--output-dir", tmp_path / "outdir", src)
    assert (tmp_path / "outdir" / "in.txt").exists()


def test_translate_cli_reports_unknown_tokens(trained):
    result, d, held = trained
    r = invoke("translate", d / "model", "-o", d / "unk.txt", input="我喜欢鑫。\n")
    assert "1 of 5 source tokens are unknown" in r.stderr


def test_translate_cli_errors(trained, tmp_path):
    result, d, held = trained
    one_line_error(invoke("translate", d / "model", "--beam", "0", input="我\n", ok=False), "--beam")
    one_line_error(invoke("translate", tmp_path / "nope", input="我\n", ok=False), "nope")
    existing = tmp_path / "keep.txt"
    existing.write_text("precious\n")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\xfa broken\n")
    one_line_error(invoke("translate", d / "model", bad, "-o", existing, ok=False), "bad.txt", ":1")
    assert existing.read_text() == "precious\n"


def test_evaluate_cli_prints_bleu_signature_chrf_perplexity(trained):
    result, d, held = trained
    r = invoke("evaluate", d / "model", d / "dev.tsv")
    assert "BLEU signature: nrefs:" in r.stdout and "chrF" in r.stdout and "perplexity" in r.stdout
    assert "greedy: BLEU" in r.stdout
    js = json.loads(invoke("evaluate", d / "model", d / "dev.tsv", "--json", "--beam", "2").stdout)
    assert js["beam"] == 2 and js["sentences"] == len(held)


def test_train_seq2seq_cli_split_strict_and_errors(tmp_path):
    pairs = all_pairs()
    good = write_pairs(tmp_path / "all.tsv", pairs)
    tiny = ["--emb-dim", "16", "--hidden", "8", "--epochs", "1", "--threads", "1", "--batch-size", "16", "-q"]
    invoke("train-seq2seq", good, "--split", "0.8,0.1,0.1", "-o", tmp_path / "m", *tiny)
    split = json.loads((tmp_path / "m" / "split.json").read_text())
    assert len(split["train"]) + len(split["dev"]) + len(split["test"]) == len(pairs)
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert {"dev", "test"} <= metrics.keys()
    broken = tmp_path / "broken.tsv"
    broken.write_text("".join(f"{en}\t{zh}\n" for zh, en in pairs[:30]) + "only one column\n" + "Bye.\t\n",
                      encoding="utf-8")
    r = invoke("train-seq2seq", broken, "-o", tmp_path / "m2", *tiny[:-1])
    assert "too few columns (lines 31)" in r.stderr and "empty source" in r.stderr
    one_line_error(invoke("train-seq2seq", broken, "-o", tmp_path / "m3", "--strict", *tiny, ok=False),
                   "broken.tsv:31", "--strict")
    assert not (tmp_path / "m3").exists()
    long = tmp_path / "long.tsv"
    long.write_text("".join(f"{en}\t{zh * 3}\n" for zh, en in pairs[:30]), encoding="utf-8")
    r = invoke("train-seq2seq", long, "-o", tmp_path / "m4", "--max-src-len", "8", *tiny[:-1])
    assert "truncated" in r.stderr and "--max-src-len 8" in r.stderr
    r = invoke("train-seq2seq", long, "-o", tmp_path / "m5", "--max-src-len", "8", "--long", "skip", *tiny[:-1],
               ok=False)
    one_line_error(r, "no training pairs left")
    one_line_error(invoke("train-seq2seq", good, "-o", tmp_path / "m6", "--attention", "cosine", *tiny, ok=False),
                   "--attention")
    one_line_error(invoke("train-seq2seq", good, "-o", tmp_path / "m7", "--src-col", "5", *tiny, ok=False),
                   "all.tsv", "no sentence pairs")


def test_config_errors_name_the_option():
    from zhnlp.tasks.translator import Seq2SeqConfig

    for kw, needle in (({"tie_embeddings": True, "emb_dim": 100, "hidden": 128}, "--tie-embeddings"),
                       ({"src_token_dropout": 1.0}, "--src-token-dropout"), ({"select": "loss"}, "--select"),
                       ({"src_lang": "fr"}, "--src-lang"), ({"long_sentences": "drop"}, "--long"),
                       ({"bucket_by": "random"}, "--bucket-by")):
        with pytest.raises(ZhnlpError, match=needle):
            Seq2SeqConfig(**kw)


def test_bucket_keys_sort_by_target_then_source():
    from zhnlp.tasks.translator import bucket_keys

    items = [{"src": [1] * 5, "tgt": [1] * 2}, {"src": [1] * 3, "tgt": [1] * 4}, {"src": [1] * 9, "tgt": [1] * 2}]
    by_target = bucket_keys(items)
    assert sorted(range(3), key=by_target.__getitem__) == [0, 2, 1]
    assert bucket_keys(items, "source") == [5, 3, 9]


def test_word_level_source_and_the_other_direction(tmp_path):
    from zhnlp import load_translator
    from zhnlp.tasks.translator import PairOptions, Seq2SeqConfig, train_seq2seq

    train, held = split_pairs()
    tr = write_pairs(tmp_path / "t.tsv", train)
    tiny = dict(emb_dim=16, hidden=8)
    train_seq2seq(tr, None, tmp_path / "word", config=Seq2SeqConfig(src_level="word", **tiny),
                  train_config=fast_train_config(epochs=1, batch_size=16))
    src = load_translator(tmp_path / "word").encoder.vocabs["src"]
    assert "喜欢" in src and "咖啡" in src  # segmenter words, not characters
    train_seq2seq(tr, None, tmp_path / "en-zh", config=Seq2SeqConfig(src_lang="en", tgt_lang="zh", **tiny),
                  train_config=fast_train_config(epochs=1, batch_size=16), pairs=PairOptions(src_col=0, tgt_col=1))
    mt = load_translator(tmp_path / "en-zh")
    assert "coffee" in mt.encoder.vocabs["src"] and "咖" in mt.encoder.vocabs["tgt"]
    out = mt.translate([held[0][1]], beam=2)[0]
    assert " " not in out  # Chinese output is joined without spaces
