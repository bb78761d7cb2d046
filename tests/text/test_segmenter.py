"""Segmenter: identical to jieba without dictionaries, user entries as one token, independence."""
from __future__ import annotations

import random
import re

import jieba
import jieba.posseg
import pytest
from helpers import FIXTURES, data_path
from hypothesis import given, settings
from hypothesis import strategies as st

from zhnlp import Segmenter
from zhnlp.errors import ZhnlpError
from zhnlp.text.dictionary import read_lexicon
from zhnlp.text.segment import chunk_lines


def real_sentences(limit: int = 6000) -> list[str]:
    lines = []
    for name in ("pku_test.utf8", "msr_test.utf8"):
        with open(data_path("sighan2005", "testing", name), encoding="utf-8-sig") as f:
            lines += [l.rstrip("\r\n") for l in f]
    # mixed text with spaces, Latin letters and digits, as reviews have
    with open(data_path("online_shopping_10_cats", "test.csv"), encoding="utf-8-sig") as f:
        lines += [l.rstrip("\r\n") for l, _ in zip(f, range(1500))]
    return lines[:limit]


@pytest.mark.slow
@pytest.mark.parametrize("mode,hmm,reference", [
    ("precise", True, lambda s: jieba.lcut(s)),
    ("precise", False, lambda s: jieba.lcut(s, HMM=False)),
    ("full", True, lambda s: jieba.lcut(s, cut_all=True)),
    ("search", True, lambda s: jieba.lcut_for_search(s)),
    ("search", False, lambda s: jieba.lcut_for_search(s, HMM=False)),
])
def test_identical_to_jieba_without_dictionaries(mode, hmm, reference):
    sentences = real_sentences()
    assert len(sentences) > 5000
    seg = Segmenter(mode=mode, hmm=hmm)
    diffs = [s for s in sentences if seg.cut(s) != reference(s)]
    assert diffs == []


@pytest.mark.slow
def test_pos_identical_to_jieba_posseg():
    sentences = real_sentences(2500)
    seg = Segmenter(pos=True)
    diffs = [s for s in sentences
             if seg.cut_pos(s) != [(p.word, p.flag) for p in jieba.posseg.lcut(s)]]
    assert diffs == []


def test_user_entries_with_spaces_and_symbols_are_one_token():
    seg = Segmenter(user_dicts=[FIXTURES / "lexicon_mixed.txt"])
    lines = (FIXTURES / "sentences.txt").read_text(encoding="utf-8").splitlines()
    tokens = [t for line in lines for t in seg.cut(line)]
    for word in ("C++", "区块链", "Core i7", "COVID-19", "5G网络", "深度学习", "云计算"):
        assert word in tokens, word
    for line in lines:  # nothing lost or added
        assert "".join(seg.cut(line)) == line
    # jieba itself cannot keep an entry with a space together (jieba issues #300, #405)
    tk = jieba.Tokenizer()
    tk.add_word("Core i7", 1000)
    assert "Core i7" not in tk.lcut(lines[1])


def test_user_entry_tags_in_pos_mode():
    seg = Segmenter(user_dicts=[FIXTURES / "lexicon_mixed.txt"], pos=True)
    pairs = dict(seg.cut_pos("这台电脑用的是Core i7处理器，我在学习云计算"))
    assert pairs["Core i7"] == "nz"
    assert pairs["云计算"] == "n"


def test_segmenters_do_not_affect_each_other_or_jieba():
    text = "我在学习区块链和云计算技术"
    before = jieba.lcut(text)
    plain = Segmenter()
    custom = Segmenter(user_dicts=[FIXTURES / "lexicon_mixed.txt"])
    assert "区块链" in custom.cut(text)
    assert plain.cut(text) == before == jieba.lcut(text)
    assert plain.tokenizer is not custom.tokenizer
    assert plain.tokenizer is not jieba.dt


def _thuocl_occurrences(lexicon: str, n: int = 600) -> list[tuple[str, str]]:
    """Real news sentences (MSRA) with a lexicon word of 3+ characters in them."""
    entries = read_lexicon(data_path("thuocl", lexicon), skip_bad_lines=True)  # diming has "3?" counts
    words = sorted({e.word for e in entries if len(e.word) >= 3},
                   key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, words)))
    sentences, cur = [], []
    for split in ("dev.bio", "test.bio"):
        with open(data_path("msra_ner", split), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    cur.append(line.split("\t")[0])
                elif cur:
                    sentences.append("".join(cur))
                    cur = []
    occ = [(s, m.group()) for s in sentences for m in pattern.finditer(s)]
    random.Random(0).shuffle(occ)
    return occ[:n]


@pytest.mark.parametrize("name,lexicon", [("medical", "THUOCL_medical.txt"),
                                          ("places", "THUOCL_diming.txt")])
def test_thuocl_words_come_out_whole_in_real_sentences(name, lexicon):
    occ = _thuocl_occurrences(lexicon)
    assert len(occ) >= 100
    seg = Segmenter(dicts=[name])
    whole = sum(word in seg.cut(s) for s, word in occ) / len(occ)
    base = sum(word in jieba.lcut(s) for s, word in occ) / len(occ)
    # Most misses are inside longer words (上海交通大学 holds 交通大学), which is right.
    assert whole >= base + 0.08, (whole, base)
    assert whole >= 0.80


def test_stopwords_are_dropped():
    seg = Segmenter(stopwords="zh")
    words = seg.cut("我们的生活是美好的")
    assert "的" not in words and "我们" not in words
    assert "生活" in words


def test_cut_lines_parallel_spawn_keeps_order(monkeypatch):
    monkeypatch.setenv("ZHNLP_START_METHOD", "spawn")
    lines = (FIXTURES / "sentences.txt").read_text(encoding="utf-8").splitlines() * 50
    lines = [f"{i}号{line}" for i, line in enumerate(lines)]
    seg = Segmenter(user_dicts=[FIXTURES / "lexicon_mixed.txt"])
    serial = list(seg.cut_lines(lines))
    parallel = list(seg.cut_lines(lines, jobs=2, chunk_size=7))
    assert parallel == serial


def test_cut_lines_drops_line_endings(tmp_path):
    p = tmp_path / "in.txt"
    p.write_bytes("我爱北京\n今天 很好\r\n\n天安门".encode())
    seg = Segmenter()
    with open(p, encoding="utf-8", newline="") as f:  # lines as a file gives them, endings kept
        got = list(seg.cut_lines(f))
    assert got == [["我", "爱", "北京"], ["今天", " ", "很", "好"], [], ["天安门"]]
    with open(p, encoding="utf-8", newline="") as f:
        assert list(seg.cut_lines(f, jobs=2, chunk_size=1)) == got


def test_unguarded_script_under_spawn_is_a_clear_error(tmp_path, monkeypatch):
    import subprocess
    import sys

    from zhnlp.parallel import default_start_method

    monkeypatch.delenv("ZHNLP_START_METHOD", raising=False)
    assert default_start_method() in ("fork", "spawn")
    monkeypatch.setenv("ZHNLP_START_METHOD", "threads")
    with pytest.raises(ZhnlpError, match="ZHNLP_START_METHOD must be one of .*spawn.*, not 'threads'"):
        default_start_method()
    script = tmp_path / "top.py"
    script.write_text("from zhnlp import Segmenter\nprint(list(Segmenter().cut_lines(['我爱北京'] * 9, jobs=2)))\n",
                      encoding="utf-8")
    monkeypatch.setenv("ZHNLP_START_METHOD", "spawn")
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False)
    last = r.stderr.strip().splitlines()[-1]
    assert r.returncode != 0 and last.startswith("zhnlp.errors.ZhnlpError: a worker process stopped")
    assert f"re-runs {script}" in last and 'under `if __name__ == "__main__":`' in last


def test_main_dict_replaces_jieba_dictionary(tmp_path):
    words = tmp_path / "words.txt"
    entries = "北京 大学 生前 来 应聘 １９９８年 １９９９年 ２０００年 ２００１年 １２年 ３年"
    words.write_text(entries.replace(" ", "\n") + "\n", encoding="utf-8")
    seg = Segmenter(main_dict=str(words))
    assert seg.hmm is False  # jieba's HMM follows jieba's standard, not the lexicon's
    assert seg.cut("北京大学生前来应聘") == ["北京", "大学", "生前", "来", "应聘"]
    # numbers follow the shapes of the lexicon's numeric words (D年), in any digit width
    assert "2002年" in seg.cut("2002年来应聘")
    assert "２００２年" in seg.cut("２００２年来应聘")
    assert Segmenter().cut("北京大学生前来应聘") == jieba.lcut("北京大学生前来应聘")


def test_bad_options():
    with pytest.raises(ValueError, match="mode"):
        Segmenter(mode="fast")
    with pytest.raises(ValueError, match="precise"):
        Segmenter(mode="full", pos=True)
    with pytest.raises(ValueError, match="dict-freq"):
        Segmenter(dict_freq="lots")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=50), st.integers(1, 8), st.sampled_from([None, 1, 25, 80]))
def test_chunk_lines_keeps_order_and_limits(lines, max_lines, max_chars):
    """Chunks concatenate to the input; each stops at max_lines lines or at the line that reaches max_chars."""
    chunks = list(chunk_lines(lines, max_lines, max_chars))
    assert [x for c in chunks for x in c] == lines and all(chunks)
    for c in chunks[:-1]:
        reached = max_chars is not None and sum(map(len, c)) >= max_chars
        assert len(c) == max_lines or reached
        assert max_chars is None or sum(map(len, c[:-1])) < max_chars
