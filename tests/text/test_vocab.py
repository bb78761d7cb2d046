"""Vocab: ids, counts, specials, encode/decode, JSON round trip, one-hot, and ``zhnlp vocab``."""
from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from zhnlp.cli import app
from zhnlp.errors import InputError, ZhnlpError
from zhnlp.text.vocab import DEFAULT_SPECIALS, Vocab, build_vocab, one_hot, one_hot_sparse

LINES = [["北京", "欢迎", "你"], ["我", "爱", "北京"], ["北京", "我"]]


def test_default_layout_matches_the_batching_recipe():
    v = Vocab.build(LINES)
    assert (v.unk_id, v.eos_id, v.pad_id, v.bos_id) == (0, 1, 2, 3)
    assert v.itos[:4] == list(DEFAULT_SPECIALS)


def test_tokens_ordered_by_count_then_token_and_counts_kept():
    v = Vocab.build(LINES)
    assert v.itos[4:] == ["北京", "我", "你", "欢迎", "爱"]
    assert v.freq("北京") == 3 and v.freq("我") == 2 and v.freq("<pad>") == 0
    assert len(v) == 9 and "欢迎" in v and "上海" not in v


def test_min_freq_and_max_size():
    assert Vocab.build(LINES, min_freq=2).itos[4:] == ["北京", "我"]
    assert Vocab.build(LINES, max_size=1).itos[4:] == ["北京"]
    with pytest.raises(ValueError):
        Vocab.build(LINES, min_freq=0)


def test_encode_decode_unknown_and_framing():
    v = Vocab.build(LINES)
    ids = v.encode(["我", "爱", "上海"], add_bos=True, add_eos=True)
    assert ids == [v.bos_id, v["我"], v["爱"], v.unk_id, v.eos_id]
    assert v.decode(ids) == ["<bos>", "我", "爱", "<unk>", "<eos>"]
    assert v.decode(ids + [v.pad_id, v["北京"]], strip_specials=True) == ["我", "爱", "<unk>"]
    assert v.decode(torch.tensor(ids[1:3])) == ["我", "爱"]


def test_no_unk_makes_unknown_tokens_an_error():
    v = Vocab.build(LINES, specials=("<pad>",), unk=None)
    assert v.pad_id == 0 and v.eos_id is None
    with pytest.raises(KeyError, match="上海"):
        v.encode(["上海"])
    with pytest.raises(ValueError, match="<eos>"):
        v.encode(["我"], add_eos=True)


def test_custom_special_ids():
    v = Vocab.build(LINES, specials=("<pad>", "<unk>", "<s>", "</s>"))
    assert v.pad_id == 0 and v.unk_id == 1 and v["<s>"] == 2
    with pytest.raises(ValueError, match="unk"):
        Vocab(specials=("<pad>",), unk="<unk>")


def test_char_level_counts_characters():
    v = Vocab.build(["北京 欢迎", "北"], level="char")
    assert v.level == "char" and v.itos[4:] == ["北", "京", "欢", "迎"] and v.freq("北") == 2
    assert v.tokenize("北 京") == ["北", "京"]


def test_json_round_trip_keeps_everything(tmp_path):
    v = Vocab.build(LINES, specials=("<pad>", "<unk>"), level="word")
    path = v.save(tmp_path / "v.json")
    w = Vocab.load(path)
    assert w == v and w.itos == v.itos and w.counts == v.counts and w.pad_id == 0
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "zhnlp-vocab" and data["version"] == 1


def test_load_rejects_other_versions_and_garbage(tmp_path):
    p = tmp_path / "v.json"
    data = Vocab.build(LINES).to_dict()
    data["version"] = 99
    p.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match=r"v\.json: vocabulary format version 99 is not supported"):
        Vocab.load(p)
    p.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"v\.json:1: not valid JSON"):
        Vocab.load(p)
    p.write_text('{"format": "zhnlp-vocab", "version": 1, "tokens": ["a"], "counts": []}', encoding="utf-8")
    with pytest.raises(InputError, match="malformed vocabulary"):
        Vocab.load(p)


def test_coverage():
    v = Vocab.build(LINES, min_freq=2)  # 北京, 我
    share_types, share_tokens = v.coverage({"北京": 3, "我": 2, "爱": 1, "你": 4})
    assert share_types == pytest.approx(0.5) and share_tokens == pytest.approx(0.5)


def test_one_hot_dense_and_sparse_agree():
    dense = one_hot([[1, 2], [0, 3]], 4)
    assert dense.dtype == torch.float32 and dense.shape == (2, 2, 4)
    assert dense[0, 1].tolist() == [0, 0, 1, 0] and dense.sum().item() == 4
    sparse = one_hot_sparse([[1, 2], [0, 3]], 4)
    assert sparse.is_sparse and torch.equal(sparse.to_dense(), dense)
    big = one_hot_sparse(torch.tensor([5, 99_999]), 100_000)
    assert big.shape == (2, 100_000) and big._nnz() == 2
    with pytest.raises(ValueError, match="ids must lie in"):
        one_hot([4], 4)


def test_build_vocab_from_files_segments_raw_text(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("我爱北京天安门\n\n北京欢迎你\n", encoding="utf-8")
    v = build_vocab([corpus])
    assert v.freq("北京") == 2 and "天安门" in v
    pre = tmp_path / "p.txt"
    pre.write_text("我爱 北京\n", encoding="utf-8")
    assert "我爱" in build_vocab([pre], pre_segmented=True)
    assert build_vocab([corpus], level="char").freq("京") == 2
    with pytest.raises(ZhnlpError, match="--level must be word or char, not 'bigram'"):
        build_vocab([corpus], level="bigram")


def test_empty_corpus_is_an_error(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(ZhnlpError, match="empty corpus"):
        build_vocab([empty])


def test_cli_vocab_build_and_info(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("北京 欢迎 你\n我 爱 北京\n", encoding="utf-8")
    out = tmp_path / "v.json"
    r = CliRunner().invoke(app, ["vocab", "build", str(corpus), "-o", str(out), "--pre-segmented",
                                 "--min-freq", "2"])
    assert r.exit_code == 0, r.output
    assert Vocab.load(out).itos[4:] == ["北京"]
    r = CliRunner().invoke(app, ["vocab", "info", str(out), "--json"])
    info = json.loads(r.stdout)
    assert info["size"] == 5 and info["specials"]["<pad>"] == 2 and info["top"] == [["北京", 2]]


def test_cli_vocab_errors_are_one_line_and_keep_existing_output(tmp_path):
    empty = tmp_path / "e.txt"
    empty.write_text("", encoding="utf-8")
    out = tmp_path / "v.json"
    out.write_text("precious", encoding="utf-8")
    r = CliRunner().invoke(app, ["vocab", "build", str(empty), "-o", str(out)])
    assert r.exit_code == 1 and "empty corpus" in r.output and "Traceback" not in r.output
    assert out.read_text(encoding="utf-8") == "precious"
    r = CliRunner().invoke(app, ["vocab", "build", str(tmp_path / "missing.txt"), "-o", str(out)])
    assert r.exit_code == 1 and "missing.txt" in r.output
