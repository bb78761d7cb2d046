"""Word vectors: training, file formats, queries, evaluation, embedding matrices, CLI."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from helpers import FIXTURES, ROOT, data_path
import zhnlp.embeddings as E
from zhnlp.errors import InputError, ZhnlpError

CORPUS = FIXTURES / "embed" / "corpus.txt"  # 400 pre-segmented lines (make_corpus.py)
RAW = FIXTURES / "embed" / "raw.txt"  # 60 of them, unsegmented


def small(**kw) -> E.EmbeddingConfig:
    base = dict(dim=16, min_count=1, epochs=3, workers=1, bucket=5000)
    base.update(kw)
    return E.EmbeddingConfig(**base)


@pytest.fixture(scope="module")
def w2v():
    return E.train_vectors([CORPUS], small(), pre_segmented=True)


@pytest.fixture(scope="module")
def ft():
    return E.train_vectors([CORPUS], small(algo="fasttext"), pre_segmented=True)


def make_kv(table: dict[str, list[float]]) -> E.WordVectors:
    from gensim.models import KeyedVectors

    kv = KeyedVectors(len(next(iter(table.values()))))
    kv.add_vectors(list(table), np.array(list(table.values()), dtype=np.float32))
    return E.WordVectors(kv, "<test table>")


# -- training ---------------------------------------------------------------------------------

def test_train_word2vec_streams_fixture_and_logs_epochs(capsys):
    model = E.train_vectors([CORPUS], small(epochs=2), pre_segmented=True, progress=True)
    assert model.wv.vector_size == 16
    assert {"北京", "苹果", "老师", "。"} <= set(model.wv.key_to_index)
    assert model.corpus_count == 400
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err and "vocabulary:" in err


def test_seeded_training_is_reproducible():
    a = E.train_vectors([CORPUS], small(seed=3), pre_segmented=True)
    b = E.train_vectors([CORPUS], small(seed=3), pre_segmented=True)
    c = E.train_vectors([CORPUS], small(seed=4), pre_segmented=True)
    assert a.wv.index_to_key == b.wv.index_to_key
    assert np.array_equal(a.wv.vectors, b.wv.vectors)
    assert not np.array_equal(a.wv.vectors, c.wv.vectors)


def test_raw_text_is_segmented_once_into_a_removed_temp_file(tmp_path):
    model = E.train_vectors([RAW], small(), tmp_dir=tmp_path)
    assert {"北京", "苹果", "喜欢"} <= set(model.wv.key_to_index)
    assert list(tmp_path.iterdir()) == []


def test_char_level_training():
    model = E.train_vectors([RAW], small(), level="char")
    assert "京" in model.wv.key_to_index and "北京" not in model.wv.key_to_index


def test_bigram_level_gives_the_bigrams_a_tagger_reads(tmp_path):
    """--level bigram: NFKC characters paired with the next one (the last with </s>), as the
    tagger's --bigram feature reads them; a bigram that NFKC gives a space is left out."""
    from zhnlp.corpus.runner import tokenized_lines

    corpus = tmp_path / "c.txt"
    corpus.write_text("北京 欢迎ＡＢ\n￣好\n", encoding="utf-8")
    assert list(tokenized_lines([corpus], level="bigram")) == [
        ["北京", "京欢", "欢迎", "迎A", "AB", "B</s>"], ["好</s>"]]
    model = E.train_vectors([RAW], small(), level="bigram")
    assert "北京" in model.wv.key_to_index and "京" not in model.wv.key_to_index


def test_empty_corpus_and_too_high_min_count(tmp_path):
    blank = tmp_path / "blank.txt"
    blank.write_text("\n  \n\n", encoding="utf-8")
    with pytest.raises(ZhnlpError, match=r"no tokens in .*blank\.txt \(empty corpus\)"):
        E.train_vectors([blank], small(), pre_segmented=True)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(ZhnlpError, match="empty corpus"):
        E.train_vectors([empty], small(), pre_segmented=True)
    with pytest.raises(ZhnlpError, match="no word occurs at least 100000 times"):
        E.train_vectors([CORPUS], small(min_count=100_000), pre_segmented=True)
    with pytest.raises(InputError, match="missing.txt: no such file"):
        E.train_vectors([tmp_path / "missing.txt"], small(), pre_segmented=True)


def test_long_lines_are_cut_not_truncated(tmp_path):
    long = tmp_path / "long.txt"
    long.write_text(" ".join(["甲", "乙"] * 6000 + ["尾巴"]) + "\n", encoding="utf-8")
    stream = E.TokenStream([long])
    pieces = list(stream)
    assert [len(p) for p in pieces] == [10_000, 2001] and pieces[-1][-1] == "尾巴"
    assert list(stream) == pieces  # restartable


@pytest.mark.parametrize("options, message", [
    (dict(dim=0), "--dim must be an integer of at least 1"),
    (dict(epochs=0), "--epochs"),
    (dict(window=0), "--window"),
    (dict(min_count=0), "--min-count"),
    (dict(negative=0), "--negative 0 without --hs"),
    (dict(negative=-1), "--negative"),
    (dict(algo="glove"), "--algo must be one of word2vec, fasttext"),
    (dict(min_n=4, max_n=3), "--max-n"),
    (dict(sample=-1), "--sample"),
])
def test_config_validation(options, message):
    with pytest.raises(ZhnlpError, match=message):
        E.EmbeddingConfig(**options)


def test_hs_defaults_to_no_negative_sampling():
    assert E.EmbeddingConfig(hs=True).negative == 0
    assert E.EmbeddingConfig().negative == 5


# -- formats ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, fmt, detected", [
    ("v.txt", "word2vec", "word2vec"),
    ("v.vec", "word2vec", "word2vec"),
    ("v.glove", "glove", "glove"),
    ("v.bin", "word2vec-bin", "word2vec-bin"),
])
def test_save_load_round_trip(w2v, tmp_path, name, fmt, detected):
    from gensim.models import KeyedVectors

    assert E.vector_format_for(name) == fmt
    path = E.save_vectors(w2v, tmp_path / name)
    assert E.sniff_vector_format(path) == detected
    back = E.load_vectors(path)
    assert back.words == w2v.wv.index_to_key
    assert np.array_equal(back.kv.vectors, w2v.wv.vectors)  # 9 significant digits: exact float32
    theirs = KeyedVectors.load_word2vec_format(str(path), binary=fmt == "word2vec-bin",
                                               no_header=fmt == "glove")
    assert theirs.index_to_key == w2v.wv.index_to_key
    assert np.array_equal(theirs.vectors, w2v.wv.vectors)
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left


def test_reads_gensim_written_files(w2v, tmp_path):
    for binary in (False, True):
        p = tmp_path / f"gensim{int(binary)}.w2v"
        w2v.wv.save_word2vec_format(str(p), binary=binary)
        back = E.load_vectors(p)
        assert back.words == w2v.wv.index_to_key and np.allclose(back.kv.vectors, w2v.wv.vectors)


def test_fasttext_bin_keeps_subword_vectors(ft, tmp_path):
    unseen = "北京市民"
    assert unseen not in ft.wv.key_to_index
    path = E.save_vectors(ft, tmp_path / "ft.bin")
    assert E.vector_format_for("ft.bin", fasttext_model=True) == "fasttext-bin"
    assert E.vector_format_for("ft.vec", fasttext_model=True) == "fasttext"
    assert E.sniff_vector_format(path) == "fasttext-bin"
    vec = E.load_vectors(path)
    assert vec.subwords and unseen in vec and not vec.in_vocab(unseen)
    assert np.allclose(vec.vector(unseen), ft.wv[unseen], atol=1e-6)
    assert E.most_similar(vec, unseen, topn=3)
    text = E.load_vectors(E.save_vectors(ft, tmp_path / "ft.vec"))
    assert not text.subwords and len(text) == len(ft.wv)
    with pytest.raises(ZhnlpError, match=r"word '北京市民' is not in the vocabulary of .*ft\.vec"):
        text.vector(unseen)


def test_fasttext_bin_needs_a_fasttext_model(w2v, tmp_path):
    with pytest.raises(ZhnlpError, match="fasttext-bin format needs a fastText model"):
        E.save_vectors(w2v, tmp_path / "x.bin", "fasttext-bin")
    assert list(tmp_path.iterdir()) == []


def test_glove_is_detected_without_header(tmp_path):
    p = tmp_path / "g.txt"
    p.write_text("\ufeff北京 0.1 0.2 0.3\n上海 -1 2.5e-1 3\n\n苹果 1 1 1 \n", encoding="utf-8")
    assert E.sniff_vector_format(p) == "glove"
    vec = E.load_vectors(p)
    assert vec.words == ["北京", "上海", "苹果"] and vec.dim == 3
    assert np.allclose(vec.vector("上海"), [-1, 0.25, 3])
    with pytest.raises(InputError, match=r"g\.txt:1: expected a 'count dimension' header.*--from glove"):
        E.load_vectors(p, "word2vec")


@pytest.mark.parametrize("text, where", [
    ("3 2\na 1 2\nb 3 4\n", r"bad\.txt:1: the header announces 3 vectors but the file has 2"),
    ("1 2\na 1 2\nb 3 4\n", r"bad\.txt:3: more vectors than the 1 the header"),
    ("2 2\na 1 2\nb 3 4 5\n", r"bad\.txt:3: 3 values where the file has the header's dimension 2"),
    ("a 1 2\nb 3\n", r"bad\.txt:2: 1 values where the file has dimension 2 \(the values on the first line\)"),
    ("2 2\na 1 2\nb 3 x4\n", r"bad\.txt:3: not a number: 'x4'"),
    ("2 3\n a 1 2\n", r"bad\.txt:2: line starts with a space"),
    ("9999999 300\na 1\n", r"bad\.txt:1: the header announces 9,999,999 vectors"),
])
def test_malformed_text_vector_files_name_file_and_line(tmp_path, text, where):
    p = tmp_path / "bad.txt"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=where):
        E.load_vectors(p)


def test_malformed_binary_vector_files(w2v, tmp_path):
    good = E.save_vectors(w2v, tmp_path / "v.bin")
    cut = tmp_path / "cut.bin"
    cut.write_bytes(good.read_bytes()[:-100])
    with pytest.raises(InputError, match=r"cut\.bin: file ends inside vector"):
        E.load_vectors(cut, "word2vec-bin")
    fake = tmp_path / "fake.bin"
    fake.write_bytes(b"\xba\x16\x4f\x2f" + b"\x00" * 40)
    with pytest.raises(InputError, match=r"fake\.bin: not a valid fastText \.bin file"):
        E.load_vectors(fake)
    with pytest.raises(InputError, match="empty file"):
        (tmp_path / "e.vec").write_bytes(b"")
        E.load_vectors(tmp_path / "e.vec")


def test_duplicate_words_keep_the_first_vector(tmp_path):
    p = tmp_path / "d.txt"
    p.write_text("3 2\na 1 2\nb 3 4\na 5 6\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="1 repeated word"):
        vec = E.load_vectors(p)
    assert vec.words == ["a", "b"] and np.array_equal(vec.vector("a"), [1, 2])


# -- queries ----------------------------------------------------------------------------------

def test_queries_and_unknown_word_message(w2v, tmp_path):
    path = E.save_vectors(w2v, tmp_path / "v.txt")
    vec = E.load_vectors(path)
    near = E.most_similar(vec, "北京", topn=5)
    assert len(near) == 5 and "北京" not in [w for w, _ in near]
    assert near == sorted(near, key=lambda p: -p[1])
    assert math.isclose(E.similarity(vec, "北京", "上海"), near_cos(vec, "北京", "上海"), rel_tol=1e-5)
    answer = E.analogy(vec, "北京", "上海", "苹果", topn=3)
    assert len(answer) == 3 and not {"北京", "上海", "苹果"} & {w for w, _ in answer}
    with pytest.raises(ZhnlpError, match=r"^word '火星' is not in the vocabulary of .*v\.txt$"):
        E.most_similar(vec, "火星")
    with pytest.raises(ZhnlpError, match="word '火星'"):
        E.analogy(vec, "北京", "火星", "苹果")


def near_cos(vec: E.WordVectors, a: str, b: str) -> float:
    x, y = vec.kv[a], vec.kv[b]
    return float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))


def test_analogy_is_3cosadd_excluding_inputs():
    vec = make_kv({"king": [1, 1, 0], "queen": [1, -1, 0], "man": [0, 1, 0.1], "woman": [0, -1, 0.1],
                   "apple": [0.2, 0.1, 1]})
    assert E.analogy(vec, "man", "king", "woman")[0][0] == "queen"


# -- evaluation -------------------------------------------------------------------------------

def test_similarity_spearman_equals_scipy_on_the_same_pairs(w2v, tmp_path):
    from scipy.stats import spearmanr

    p = tmp_path / "ws.txt"
    lines = ["# a comment", "北京\t上海\t9.2", "北京\t 苹果\t1.5", "老师 学生 7.0", "苹果\t香蕉\t8.1",
             "医生\t火星\t3.0", "手机\t电脑\t6.6", "", "早上\t晚上\t7.7", "便宜\t贵\t2.1"]
    p.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    res = E.evaluate_similarity(w2v, p)
    assert (res.pairs, res.used, res.skipped_oov, res.skipped_malformed) == (8, 7, 1, 0)
    known = [("北京", "上海", 9.2), ("北京", "苹果", 1.5), ("老师", "学生", 7.0), ("苹果", "香蕉", 8.1),
             ("手机", "电脑", 6.6), ("早上", "晚上", 7.7), ("便宜", "贵", 2.1)]
    wv = w2v.wv
    cos = [float(wv[a] @ wv[b] / np.linalg.norm(wv[a]) / np.linalg.norm(wv[b])) for a, b, _ in known]
    expected = spearmanr([s for _, _, s in known], cos).statistic
    assert math.isclose(res.spearman, expected, rel_tol=1e-9, abs_tol=1e-12)
    assert E.evaluate(w2v, p) == res
    assert "7/8 pairs" in res.summary()


def test_fasttext_subwords_cover_unseen_words_unless_disabled(ft, tmp_path):
    p = tmp_path / "ws.txt"
    p.write_text("北京\t北京市民\t5\n苹果\t香蕉\t8\n老师\t学生\t7\n", encoding="utf-8")
    assert E.evaluate_similarity(ft, p).used == 3
    res = E.evaluate_similarity(ft, p, subwords=False)
    assert (res.used, res.skipped_oov) == (2, 1)


def test_malformed_similarity_lines(w2v, tmp_path):
    p = tmp_path / "ws.txt"
    p.write_text("北京\t上海\t9\n北京\t上海\n苹果\t香蕉\tabc\n老师\t学生\t7\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"ws\.txt:2: expected 'word1<TAB>word2<TAB>score', found 2"):
        E.evaluate_similarity(w2v, p)
    res = E.evaluate_similarity(w2v, p, skip_bad_lines=True)
    assert (res.pairs, res.used, res.skipped_malformed) == (2, 2, 2)
    pairs, bad = E.read_similarity_pairs(p, skip_bad_lines=True)
    assert pairs == [("北京", "上海", 9.0), ("老师", "学生", 7.0)] and bad == 2


def test_analogy_accuracy_on_constructed_vectors(tmp_path):
    from gensim.models import KeyedVectors

    table = {"king": [1, 1, 0, 0], "queen": [1, -1, 0, 0], "man": [0, 1, 0.1, 0], "woman": [0, -1, 0.1, 0],
             "paris": [0, 0, 1, 1], "france": [0, 0, 1, -1], "rome": [0.1, 0, 0, 1], "italy": [0.1, 0, 0, -1]}
    vec = make_kv(table)
    p = tmp_path / "an.txt"
    p.write_text(": family\r\nman king woman queen\r\nking man queen woman\r\nman king woman italy\r\n"
                 ": capitals\r\nparis france rome italy\r\nparis france berlin germany\r\n", encoding="utf-8")
    res = E.evaluate_analogy(vec, p)
    assert (res.correct, res.total, res.skipped_oov) == (3, 4, 1)
    assert res.accuracy == 0.75
    assert res.per_section == {"family": {"correct": 2, "total": 3, "skipped_oov": 0},
                               "capitals": {"correct": 1, "total": 1, "skipped_oov": 1}}
    assert isinstance(E.evaluate(vec, p), E.AnalogyResult)
    kv = KeyedVectors(4)
    kv.add_vectors(list(table), np.array(list(table.values()), dtype=np.float32))
    score, _ = kv.evaluate_word_analogies(str(p), case_insensitive=False)
    assert score == res.accuracy


def test_analogy_agrees_with_gensim_on_a_trained_model(w2v, tmp_path):
    words = w2v.wv.index_to_key[:12]
    p = tmp_path / "an.txt"
    p.write_text(": s\n" + "\n".join(" ".join(words[i:i + 4]) for i in range(8)) + "\n", encoding="utf-8")
    res = E.evaluate_analogy(w2v, p)
    score, sections = w2v.wv.evaluate_word_analogies(str(p), case_insensitive=False)
    assert res.total == 8 and res.correct == len(sections[-1]["correct"])


def test_malformed_analogy_line(w2v, tmp_path):
    p = tmp_path / "an.txt"
    p.write_text(": s\n北京 上海 苹果\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"an\.txt:2: expected four words"):
        E.evaluate_analogy(w2v, p)
    assert E.evaluate_analogy(w2v, p, skip_bad_lines=True).skipped_malformed == 1


def test_shared_evaluation_files_parse():
    pairs, bad = E.read_similarity_pairs(data_path("wordsim", "wordsim-240.txt"))
    assert len(pairs) == 240 and bad == 0 and all(" " not in a + b for a, b, _ in pairs)
    assert len(E.read_similarity_pairs(data_path("wordsim", "wordsim-297.txt"))[0]) == 297
    questions, bad = E.read_analogies(data_path("wordsim", "CA8", "morphological.txt"))
    assert len(questions) == 10_177 and bad == 0 and not any("\r" in "".join(q) for _, q in questions)
    assert E.is_analogy_file(data_path("wordsim", "analogy.txt"))


# -- embedding matrix -------------------------------------------------------------------------

def test_embedding_matrix_rows_pad_and_coverage():
    import torch

    from zhnlp.text.vocab import Vocab

    vocab = Vocab.from_counts({"北京": 10, "上海": 5, "火星": 3, "苹果": 2})
    vec = make_kv({"北京": [1, 2], "苹果": [3, 4], "上海": [5, 6], "<unk>": [9, 9]})
    matrix, cov = E.embedding_matrix(vocab, vec)
    assert matrix.dtype == torch.float32 and tuple(matrix.shape) == (len(vocab), 2)
    for w in ("北京", "上海", "苹果"):
        assert matrix[vocab[w]].tolist() == vec.vector(w).tolist()
    assert matrix[vocab.pad_id].tolist() == [0.0, 0.0]
    assert matrix[vocab.unk_id].tolist() != [9.0, 9.0]  # specials are not looked up
    assert (cov.tokens_covered, cov.tokens_total, cov.occurrences_covered) == (3, 4, 17)
    assert cov.share_of_vocab == 0.75 and cov.share_of_occurrences == 17 / 20
    again, _ = E.embedding_matrix(vocab, vec)
    assert torch.equal(matrix, again)  # seeded
    other, _ = E.embedding_matrix(vocab, vec, seed=1)
    assert not torch.equal(matrix[vocab["火星"]], other[vocab["火星"]])
    zeros, _ = E.embedding_matrix(vocab, vec, init="zeros")
    assert zeros[vocab["火星"]].tolist() == [0.0, 0.0]
    uni, _ = E.embedding_matrix(vocab, vec, init="uniform", scale=0.1)
    assert float(uni[vocab["火星"]].abs().max()) <= 0.1
    emb = torch.nn.Embedding.from_pretrained(matrix, freeze=False, padding_idx=vocab.pad_id)
    out = emb(torch.tensor([vocab["北京"], vocab.pad_id]))
    assert out[0].tolist() == [1.0, 2.0] and out[1].tolist() == [0.0, 0.0]
    out.sum().backward()
    assert emb.weight.grad[vocab.pad_id].abs().sum() == 0
    with pytest.raises(ZhnlpError, match="init must be one of"):
        E.embedding_matrix(vocab, vec, init="xavier")


def test_a_lower_cased_vocabulary_finds_vectors_of_any_case_with_fold_case():
    """A classifier lower-cases its text; ``zhnlp embed --level bigram`` keeps the case: ``fold_case`` bridges them,
    taking the most frequent form (vectors come most frequent first)."""
    from zhnlp.text.vocab import Vocab

    vocab = Vocab.from_counts({"ab": 3, "a好": 2, "好": 1})
    vec = make_kv({"AB": [1, 1], "Ab": [2, 2], "A好": [3, 3], "好": [4, 4]})
    plain, cov = E.embedding_matrix(vocab, vec)
    folded, fcov = E.embedding_matrix(vocab, vec, fold_case=True)
    assert (cov.tokens_covered, fcov.tokens_covered) == (1, 3)
    assert folded[vocab["ab"]].tolist() == [1.0, 1.0] and folded[vocab["a好"]].tolist() == [3.0, 3.0]
    assert folded[vocab["好"]].tolist() == plain[vocab["好"]].tolist() == [4.0, 4.0]


def test_embedding_matrix_normal_init_follows_known_vectors(w2v):
    from zhnlp.text.vocab import Vocab

    counts = {w: 1 for w in w2v.wv.index_to_key}
    counts.update({f"未知{i}": 1 for i in range(3000)})
    vocab = Vocab.from_counts(counts)
    matrix, cov = E.embedding_matrix(vocab, w2v, seed=5)
    unknown = matrix[[vocab[f"未知{i}"] for i in range(3000)]].numpy()
    assert cov.tokens_covered == len(w2v.wv)
    assert np.allclose(unknown.mean(axis=0), w2v.wv.vectors.mean(axis=0), atol=0.1)
    assert np.allclose(unknown.std(axis=0), w2v.wv.vectors.std(axis=0), rtol=0.15)


def test_embedding_matrix_fasttext_covers_any_word(ft):
    from zhnlp.text.vocab import Vocab

    vocab = Vocab.from_counts({"北京": 3, "北京市民": 1})
    matrix, cov = E.embedding_matrix(vocab, ft)
    assert cov.tokens_covered == 2 and cov.from_subwords == 1
    assert np.allclose(matrix[vocab["北京市民"]].numpy(), ft.wv["北京市民"])


# -- command line -----------------------------------------------------------------------------

def test_cli_train_similar_evaluate_convert(tmp_path):
    from typer.testing import CliRunner

    from zhnlp.cli import app

    run = CliRunner().invoke
    vec = tmp_path / "v.vec"
    r = run(app, ["embed", "train", str(CORPUS), "-o", str(vec), "--pre-segmented", "--dim", "12",
                  "--min-count", "1", "--epochs", "2", "--workers", "1", "--cbow"])
    assert r.exit_code == 0, r.output
    assert "trained word2vec CBOW: 64 words x 12 dims" in r.output and "epoch 2/2" in r.output
    assert vec.read_text(encoding="utf-8").startswith("64 12\n")

    r = run(app, ["embed", "similar", str(vec), "北京", "--topn", "3"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert len(lines) == 3 and all(len(l.split("\t")) == 2 for l in lines)
    float(lines[0].split("\t")[1])

    r = run(app, ["embed", "analogy", str(vec), "北京", "上海", "苹果", "--topn", "2"])
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 2

    ws = tmp_path / "ws.txt"
    ws.write_text("北京\t上海\t9\n苹果\t香蕉\t8\n老师\t火星\t2\n手机\t电脑\t6\n", encoding="utf-8")
    an = tmp_path / "an.txt"
    an.write_text(": x\n北京 上海 苹果 香蕉\n北京 上海 火星 土星\n", encoding="utf-8")
    r = run(app, ["embed", "evaluate", str(vec), str(ws), str(an)])
    assert r.exit_code == 0, r.output
    assert "Spearman x100" in r.stdout and "3/4 pairs (1 skipped" in r.stdout
    assert "1 of 2 skipped" in r.stdout
    r = run(app, ["embed", "evaluate", str(vec), str(ws), "--json"])
    data = json.loads(r.stdout)
    assert data["results"][0]["used"] == 3 and data["results"][0]["kind"] == "similarity"

    out = tmp_path / "v.bin"
    r = run(app, ["embed", "convert", str(vec), str(out)])
    assert r.exit_code == 0, r.output
    assert "(word2vec) ->" in r.output and "(word2vec-bin)" in r.output
    glove = tmp_path / "v.glove"
    assert run(app, ["embed", "convert", str(out), str(glove), "-q"]).exit_code == 0
    assert np.array_equal(E.load_vectors(glove).kv.vectors, E.load_vectors(vec).kv.vectors)


def test_cli_errors_are_one_line(tmp_path):
    from typer.testing import CliRunner

    from zhnlp.cli import app

    run = CliRunner().invoke
    bad = tmp_path / "bad.vec"
    bad.write_text("2 3\na 1 2 3\nb 1 2\n", encoding="utf-8")
    r = run(app, ["embed", "similar", str(bad), "a"])
    assert r.exit_code == 1 and r.output.strip() == f"zhnlp: error: {bad}:3: 2 values where the file has the header's dimension 3"
    ok = tmp_path / "ok.vec"
    ok.write_text("1 2\na 1 2\n", encoding="utf-8")
    r = run(app, ["embed", "similar", str(ok), "火星"])
    assert r.exit_code == 1 and "word '火星' is not in the vocabulary of" in r.output
    assert "Traceback" not in r.output
    r = run(app, ["embed", "train", str(CORPUS), "-o", str(tmp_path / "x.bin"), "--format", "fasttext-bin",
                  "--pre-segmented", "-q"])
    assert r.exit_code == 1 and "needs --algo fasttext" in r.output
    r = run(app, ["embed", "train", str(CORPUS), "-o", str(tmp_path / "x.vec"), "--dim", "0", "-q"])
    assert r.exit_code == 1 and "--dim must be" in r.output
    r = run(app, ["embed", "train", str(CORPUS), "-o", str(tmp_path / "nodir" / "x.vec"), "-q"])
    assert r.exit_code == 1 and "does not exist" in r.output
    r = run(app, ["embed", "convert", str(ok), str(tmp_path / "y.bin"), "--to", "fasttext-bin"])
    assert r.exit_code == 1 and "needs a fastText model" in r.output


def test_cli_fasttext_bin_end_to_end(tmp_path):
    from typer.testing import CliRunner

    from zhnlp.cli import app

    out = tmp_path / "ft.bin"
    r = CliRunner().invoke(app, ["embed", "train", str(RAW), "-o", str(out), "--algo", "fasttext", "--dim", "8",
                                 "--min-count", "1", "--epochs", "1", "--bucket", "2000", "-q"])
    assert r.exit_code == 0, r.output
    assert E.sniff_vector_format(out) == "fasttext-bin"
    r = CliRunner().invoke(app, ["embed", "similar", str(out), "北京市民", "--topn", "2"])
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 2


def test_import_stays_light():
    code = ("import sys, zhnlp.embeddings, zhnlp.cli, zhnlp.cli.embed\n"
            "print([m for m in ('gensim', 'torch', 'pandas', 'scipy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
