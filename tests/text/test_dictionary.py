"""Lexicon loading (formats, encodings, errors), frequency policies and the per-user cache."""
from __future__ import annotations

import logging

import pytest

from helpers import FIXTURES, data_path
from zhnlp import Segmenter
from zhnlp.text.dictionary import (DictSpec, Entry, build_prefix_dict, jieba_dict_path, load_prefix_dict,
                              read_lexicon)
from zhnlp.errors import DictionaryFormatError, InputError

MIXED = [
    Entry("云计算", 5, "n"), Entry("区块链"), Entry("Core i7", 120, "nz", foreign=True),
    Entry("COVID-19"), Entry("C++", 10, "nz"), Entry("5G网络", 3, foreign=True),
    Entry("深度学习", 1000, foreign=True), Entry("Hello world"),
]


def test_reads_every_format_in_one_file():
    assert read_lexicon(FIXTURES / "lexicon_mixed.txt") == MIXED


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_bom_and_line_endings(tmp_path, bom, newline):
    text = (FIXTURES / "lexicon_mixed.txt").read_bytes().replace(b"\r\n", b"\n")
    p = tmp_path / "lex.txt"
    p.write_bytes(bom + text.replace(b"\n", newline))
    assert read_lexicon(p) == MIXED


def test_thuocl_quirks_load_as_published():
    # TAB separator, spaces around the TAB (IT), BOM + CR-only line endings (diming)
    it = read_lexicon(data_path("thuocl", "THUOCL_IT.txt"))
    assert it[0] == Entry("字符串", 395499, None, foreign=True)
    assert len(it) == 16000
    assert Entry("#include", 33485, None, foreign=True) in it  # a '#' entry, not a comment
    places = read_lexicon(data_path("thuocl", "THUOCL_diming.txt"), skip_bad_lines=True)
    assert places[0] == Entry("中国", 1932582, None, foreign=True)
    assert len(places) == 44805 - 1 - 2  # one blank line, two "3?" counts skipped


def test_malformed_line_names_file_line_and_content():
    # THUOCL_diming.txt as published has a count written "3?" on line 35690
    path = data_path("thuocl", "THUOCL_diming.txt")
    with pytest.raises(DictionaryFormatError) as err:
        read_lexicon(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}:35690: ")
    assert "柴塔村" in msg and "3?" in msg


@pytest.mark.parametrize("line,problem", [
    ("医院\tabc", "not a whole number"),
    ("\t12", "empty word"),
    ("医院\t1\tn\textra", "fields"),
    ("医\x01院 3", "control character"),
    ("医院\t5\t名词", "not a POS tag"),
])
def test_malformed_lines(tmp_path, line, problem, caplog):
    p = tmp_path / "bad.txt"
    p.write_text(f"好词\n{line}\n另一个\n", encoding="utf-8")
    with pytest.raises(DictionaryFormatError, match=problem) as err:
        read_lexicon(p)
    assert f"{p}:2:" in str(err.value)
    with caplog.at_level(logging.WARNING):
        entries = read_lexicon(p, skip_bad_lines=True)
    assert [e.word for e in entries] == ["好词", "另一个"]
    assert f"{p}:2" in caplog.text


def test_non_utf8_dictionary_names_the_line(tmp_path):
    p = tmp_path / "gbk.txt"
    p.write_bytes("好词\n医院\n".encode("utf-8") + "坏词\n".encode("gbk"))
    with pytest.raises(InputError, match=r"gbk.txt:3: .*--encoding"):
        read_lexicon(p)
    assert read_lexicon(p, encoding="gb18030")[-1].word == "坏词"


def _merged(tmp_path, policy, lexicon="云计算 5\n深度学习\t3\n新词汇\n"):
    p = tmp_path / "lex.txt"
    p.write_text(lexicon, encoding="utf-8")
    return build_prefix_dict(DictSpec(user_dicts=(str(p),), freq_policy=policy))


def test_frequency_policies(tmp_path):
    keep = _merged(tmp_path, "keep")
    assert keep.freq["云计算"] == 5 and keep.freq["深度学习"] == 3
    auto = _merged(tmp_path, "auto")
    assert auto.freq["云计算"] == 5          # jieba's own format: its scale, kept
    assert auto.freq["深度学习"] > 3          # TAB lexicon: foreign scale, suggested instead
    suggest = _merged(tmp_path, "suggest")
    assert suggest.freq["云计算"] == suggest.freq["云计算"] > 5
    assert _merged(tmp_path, 7).freq["新词汇"] == 7
    for word in ("深度学习", "新词汇"):  # prefixes registered for jieba's DAG
        assert all(word[:i] in auto.freq for i in range(1, len(word)))
    assert auto.total == sum(v for v in auto.freq.values())


def test_suggested_counts_make_words_whole(tmp_path):
    lex = tmp_path / "lex.txt"
    lex.write_text("\n".join(f"{w}\t1" for w in ["量子纠缠态", "大模型", "台积电"]) + "\n", encoding="utf-8")
    seg = Segmenter(user_dicts=[lex])
    assert seg.cut("科学家研究量子纠缠态和大模型，台积电也来了") == [
        "科学家", "研究", "量子纠缠态", "和", "大模型", "，", "台积电", "也", "来", "了"]
    # keeping the foreign count of 1 does not
    assert "大模型" not in Segmenter(user_dicts=[lex], dict_freq="keep", hmm=False).cut("大模型也来了")


def test_cache_is_used_and_equal(private_cache, monkeypatch, tmp_path):
    spec = DictSpec(user_dicts=(str(FIXTURES / "lexicon_mixed.txt"),))
    first = load_prefix_dict(spec)
    files = list(private_cache.iterdir())
    assert len(files) == 1 and not any(f.name.endswith(".tmp") for f in files)

    def no_build(_spec):
        raise AssertionError("cache not used")

    monkeypatch.setattr("zhnlp.text.dictionary.build_prefix_dict", no_build)
    second = load_prefix_dict(spec)
    assert second == first


def test_corrupt_cache_is_rebuilt(private_cache):
    spec = DictSpec(user_dicts=(str(FIXTURES / "lexicon_mixed.txt"),))
    good = load_prefix_dict(spec)
    (cache_file,) = private_cache.iterdir()
    data = bytearray(cache_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    cache_file.write_bytes(bytes(data))
    assert load_prefix_dict(spec) == good
    cache_file.write_bytes(b"garbage")
    assert load_prefix_dict(spec) == good
    assert cache_file.read_bytes() != b"garbage"  # rewritten


def test_changed_dictionary_is_not_served_from_cache(tmp_path):
    lex = tmp_path / "lex.txt"
    lex.write_text("区块链\n", encoding="utf-8")
    assert "区块链" in Segmenter(user_dicts=[lex]).cut("我在学习区块链技术")
    lex.write_text("学习区\n", encoding="utf-8")  # same path, new content
    seg = Segmenter(user_dicts=[lex])
    assert "区块链" not in seg.tokenizer.FREQ or seg.tokenizer.FREQ["区块链"] == 0


def test_cold_and_warm_cache_segment_identically(private_cache):
    text = "患者在北京协和医院接受了冠状动脉造影，随后转往上海市第六人民医院。"
    cold = Segmenter(dicts=["medical", "places"]).cut(text)
    assert any(private_cache.iterdir())
    warm = Segmenter(dicts=["medical", "places"]).cut(text)
    assert cold == warm
    assert Segmenter(dicts=["medical", "places"], use_cache=False).cut(text) == cold


def test_main_dict_without_counts_gets_uniform_counts(tmp_path):
    p = tmp_path / "words.txt"
    p.write_text("北京\n大学\n北京大学\n", encoding="utf-8")
    pd = build_prefix_dict(DictSpec(main_dict=str(p)))
    assert pd.freq["北京"] == pd.freq["大学"] == pd.freq["北京大学"] > 0
    assert "的" not in pd.freq  # jieba's own dictionary is gone


def test_unknown_bundled_name():
    with pytest.raises(InputError, match="no bundled lexicon"):
        Segmenter(dicts=["nosuchname"])


def test_jieba_dict_found():
    assert jieba_dict_path().is_file()
