"""The compiled segmentation engine (``--engine fast``) gives jieba 0.42.1's tokens exactly.

Known answers for each class of difference between jieba-rs and jieba (HMM ties in runs of
one repeated character, Latin/digit/punctuation runs under HMM, CJK outside jieba's Han
range, Latin words of a user dictionary), the engine option and its fallback, hypothesis
mixes of every kind of character, and (slow) every Chinese line of ../shared/data with the
default dictionary, the five bundled lexicons and a --main-dict, in precise and search mode
with HMM on and off.
"""
from __future__ import annotations

import csv
import logging
import re
from pathlib import Path

import pytest
from helpers import DATA, invoke, one_line_error
from hypothesis import given, settings
from hypothesis import strategies as st

from zhnlp.text.fast_segment import EMBEDDED_DICT, fast_available
from zhnlp.text.segment import Segmenter

pytestmark = pytest.mark.skipif(not fast_available(), reason="rjieba (the compiled engine) is not installed")

MODES = [("precise", True), ("precise", False), ("search", True), ("search", False)]
LEXICONS = ["it", "medical", "finance", "law", "places"]


def pair(**kw) -> tuple[Segmenter, Segmenter]:
    """The same segmenter on both engines, loaded."""
    return Segmenter(engine="fast", **kw).load(), Segmenter(engine="jieba", **kw).load()


@pytest.fixture(scope="module")
def engines() -> dict:
    return {(mode, hmm): pair(mode=mode, hmm=hmm) for mode, hmm in MODES}


# Each line is one class of difference between jieba-rs and jieba; the answers are jieba's.
KNOWN = {
    "赞赞赞赞赞": ["赞赞", "赞赞赞"],                    # HMM tie: jieba keeps the longer word last
    "跟个机器一个，差差差差差差评": ["跟个", "机器", "一个", "，", "差差", "差", "差差", "差评"],
    "我们常在吃早饭时看电视。": ["我们", "常", "在", "吃", "早饭", "时", "看电视", "。"],
    "WAP1.2.1和1.1kg": ["WAP1.2", ".", "1", "和", "1.1", "kg"],  # jieba's HMM splits Latin/digit runs
    "适合3-4岁，见t.cn": ["适合", "3", "-", "4", "岁", "，", "见", "t", ".", "cn"],
    "㐀㐁好人": ["㐀", "㐁", "好人"],                     # CJK extension A: outside jieba's blocks
}


@pytest.mark.parametrize("text", list(KNOWN))
def test_known_differences_of_jieba_rs_come_out_as_jieba(engines, text):
    fast, slow = engines[("precise", True)]
    assert fast.cut(text) == KNOWN[text]
    assert slow.cut(text) == KNOWN[text]


@pytest.mark.parametrize("mode,hmm", MODES)
@pytest.mark.parametrize("text", [
    "", " ", "a", "好", "第一行\n第二行\r\n第三行\n", "\n\n", "北京\r\n", "a\r\r\nb",
    "bad \udc80 byte", "𠀀𠀁我们 🎉 ｆｕｌｌ－ｗｉｄｔｈ １２３", "http://bookapp.book.qq.com/work_1704965.shtml",
    "e-mail:tonytong7015@yahoo.com.cn 2005-2008年", "\x1c\x1d\x85\u2028\u3000\t共同",
])
def test_edge_texts_equal_jieba(engines, mode, hmm, text):
    fast, slow = engines[(mode, hmm)]
    assert fast.cut(text) == slow.cut(text)


def test_latin_words_of_a_user_dictionary(tmp_path):
    """Without HMM jieba-rs joins single letters as jieba does, so a Latin word of the dictionary
    and joined letters look alike: such lines take jieba's own path, with the same result."""
    d = tmp_path / "d.txt"
    d.write_text("iPhone 50\nQQ 3\nab 1000000\n3-4 10\nt.cn 100\n赞赞赞 100000\nhello world 10\n", encoding="utf-8")
    text = "买了iPhone和QQ会员，ab abc ba aab，3-4岁，t.cn，赞赞赞赞赞，hello world。"
    for mode, hmm in MODES:
        fast, slow = pair(user_dicts=[str(d)], mode=mode, hmm=hmm)
        assert fast.cut(text) == slow.cut(text)
    assert "iPhone" in fast.cut(text) and "hello world" in fast.cut(text)


def test_jieba_rs_blocks_are_jiebas_plus_the_characters_cut_apart():
    """Which characters jieba-rs keeps in a block, measured over planes 0-3 and 14: a word of
    ``好`` and the character is found only when both lie in one block."""
    import rjieba

    from zhnlp.text.fast_segment import _CUT_APART

    rj = rjieba.Jieba.empty()
    codes = [c for c in [*range(0x40000), *range(0xE0000, 0xE01F0)] if not 0xD800 <= c <= 0xDFFF and c != 0x597D]
    for c in codes:
        rj.add_word("好" + chr(c), 1000, None)
    in_blocks = {chr(c) for c in codes if len(rj.cut("好" + chr(c), False)) == 1}
    jieba_blocks = {chr(c) for c in codes if re.fullmatch("[\u4E00-\u9FD5a-zA-Z0-9+#&._%\\-]", chr(c))}
    assert in_blocks - jieba_blocks == {chr(c) for c in codes if _CUT_APART.fullmatch(chr(c))} - {"\n"}
    assert jieba_blocks <= in_blocks


def test_embedded_dictionary_is_jiebas_word_for_word():
    """rjieba's own copy of dict.txt, used for a plain segmenter, holds jieba's words with
    jieba's counts and total: suggest_freq, a function of every count on a word's best split
    and of the total, agrees with a copy built word by word, on every word and on n-grams."""
    from importlib.metadata import version

    import rjieba

    seg = Segmenter(engine="fast").load()
    assert seg._fast.embedded == (version("rjieba") in EMBEDDED_DICT)
    assert Segmenter(dicts=["it"]).load()._fast.embedded == seg._fast.embedded  # user words go on top
    if PKU_WORDS.exists():
        assert not Segmenter(main_dict=str(PKU_WORDS)).load()._fast.embedded
    if not seg._fast.embedded:
        pytest.skip(f"rjieba {version('rjieba')}: embedded dictionary not verified, not used")
    freq = seg.tokenizer.FREQ
    words = [w for w, f in freq.items() if f]
    built = rjieba.Jieba.empty()
    for w in words:
        built.add_word(w, freq[w], None)
    embedded = rjieba.Jieba()
    assert seg.tokenizer.total == EMBEDDED_DICT[version("rjieba")][1]
    grams = [w[i:i + n] for w in words[::7] for n in (2, 3) for i in range(len(w) - n + 1)] + ["的是", "北京大学生"]
    assert all(embedded.has_word(w) for w in words)
    assert [embedded.suggest_freq(w) for w in words + grams] == [built.suggest_freq(w) for w in words + grams]


@pytest.mark.parametrize("entries", ["北京 3\n大学 1\n北京大学 2\n", "北京 0\n人民 0\n"])
def test_user_counts_that_replace_jiebas_own(tmp_path, entries):
    """User counts replacing dict.txt's (lower, or 0: the word leaves the dictionary) cut as jieba does."""
    d = tmp_path / "d.txt"
    d.write_text(entries, encoding="utf-8")
    text = "北京大学的学生在北京人民大会堂，北京大学生"
    for mode, hmm in MODES:
        fast, slow = pair(user_dicts=[str(d)], dict_freq="keep", mode=mode, hmm=hmm)
        assert fast.cut(text) == slow.cut(text)
    assert fast._fast.embedded == ("0" not in entries and "0.2.2" in EMBEDDED_DICT)


@pytest.mark.parametrize("mode,hmm", MODES)
def test_batches_of_lines_equal_lines_one_by_one(engines, mode, hmm):
    """Lines go to the compiled engine in batches; odd lines (NUL, CR, surrogates, CJK cut apart, empty) too."""
    fast, slow = engines[(mode, hmm)]
    lines = ["赞赞赞赞赞", "", "我们常在吃早饭时看电视。WAP1.2.1和1.1kg", " ", "a\0b", "北京\r", "bad \udc80",
             "㐀㐁好人", "适合3-4岁，见t.cn", ""]
    for batch in (lines, lines[:4], lines[:1], []):
        assert next(fast.map_chunks([batch])) == [slow.cut(line) for line in batch]


def test_engine_option_is_checked():
    with pytest.raises(ValueError, match="engine .*fast, jieba.*'rust'"):
        Segmenter(engine="rust")


def test_missing_wheel_falls_back_to_jieba_with_one_warning(monkeypatch, caplog):
    import zhnlp.text.fast_segment as fs

    monkeypatch.setattr(fs, "fast_available", lambda: False)
    with caplog.at_level(logging.WARNING):
        seg = Segmenter()
        assert Segmenter(mode="full").engine == "jieba"  # full mode never uses it: no warning
    assert seg.engine == "jieba"
    assert [r.getMessage().count("\n") for r in caplog.records] == [0]
    assert "rjieba is not installed" in caplog.text
    assert seg.cut("我们常在吃早饭时看电视。") == KNOWN["我们常在吃早饭时看电视。"]


def test_cli_engines_write_the_same_output(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("".join(t + "\n" for t in KNOWN), encoding="utf-8")
    outs = {}
    for engine in ("fast", "jieba"):
        for extra in ([], ["--mode", "search"], ["--no-hmm", "--format", "jsonl"], ["-j", "2"]):
            out = tmp_path / f"{engine}{len(outs)}.txt"
            invoke("segment", str(src), "-o", str(out), "-q", "--engine", engine, *extra)
            outs[(engine, tuple(extra))] = out.read_text(encoding="utf-8")
    for (engine, extra), text in outs.items():
        assert text == outs[("jieba", extra)]
    assert outs[("fast", ())].splitlines()[0] == "赞赞 赞赞赞"


def test_cli_unknown_engine_is_one_line_error(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("我爱北京\n", encoding="utf-8")
    r = invoke("segment", str(src), "--engine", "rust", ok=False)
    one_line_error(r, "--engine", "rust")


# --------------------------------------------------------------------------- hypothesis

HAN = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 300)) + "的了是我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会家可下而过天去能对小多然于心学么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现前些所同日手又行意动方期它头经长儿回位分爱老因很给名法间斯知世什两次使身者被高已亲其进此话常与活正感赞差"
RARE = "㐀㐁䶵䶶鿖鿿豈﨎𠀀𠀁𪜀𫝀𬺰丽"
LATIN = "abcxyzABCXYZWAPkgtcnhttpwww"
DIGITS = "0123456789"
PUNCT = "+#&._%-/:@?=~!,;'\"()[]{}*^$|\\<>`，。！？、；：“”‘’《》（）…—·"
FULLWIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F, 3)) + "\u3000"
EMOJI = "🎉😀👍🏻👪❤️✅"
SPACES = " \t\r\x0b\x0c\x1c\x1f\x85\xa0\u2028\u200b"
FRAGMENTS = ["赞赞赞赞赞", "差差差差差差评", "WAP1.2.1", "1.1kg", "3-4岁", "t.cn", "sarah.liuhui", "8-9",
             "http://bookapp.book.qq.com/origin/workintro/5/work_1704965.shtml", "https://t.cn/A6x?b=1&c=2#top",
             "e-mail:tonytong7015@yahoo.com.cn", "50%", "5.5%", "1.5.3", "a_b", "C++", "C#", "2005-2008年",
             "我们常在吃早饭时看电视", "北京大学", "中华人民共和国", "1", ".5", "www.smallstonesoft.com"]
PIECE = st.one_of(st.text(alphabet=HAN, min_size=1, max_size=12),
                  st.text(alphabet=HAN + RARE + LATIN + DIGITS + PUNCT + FULLWIDTH + EMOJI + SPACES,
                          min_size=1, max_size=10),
                  st.text(alphabet=LATIN + DIGITS + "._-%+#&", min_size=1, max_size=8),
                  st.sampled_from(FRAGMENTS))
TEXT = st.lists(PIECE, max_size=10).map("".join)


@pytest.fixture(scope="module")
def odd_dict_engines(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("dict") / "odd.txt"
    d.write_text("iPhone 50\nab 100000\nWAP 100\n3-4 10\nt.cn 100\n赞赞赞 100000\nhello world 10\n"
                 "C++ 100\n㐀好 100\n𠀀𠀁 20\n早饭时 3\n", encoding="utf-8")
    return {(mode, hmm): pair(user_dicts=[str(d)], mode=mode, hmm=hmm) for mode, hmm in MODES}


@settings(max_examples=150, deadline=None)
@given(TEXT, st.sampled_from(MODES))
def test_random_mixes_equal_jieba(engines, text, mode):
    fast, slow = engines[mode]
    assert fast.cut(text) == slow.cut(text)


@settings(max_examples=100, deadline=None)
@given(TEXT, st.sampled_from(MODES))
def test_random_mixes_equal_jieba_with_odd_user_words(odd_dict_engines, text, mode):
    fast, slow = odd_dict_engines[mode]
    assert fast.cut(text) == slow.cut(text)


# --------------------------------------------------------------------------- all shared text

def _clean(lines) -> list[str]:
    return [t for t in (x.replace("\r", " ").replace("\n", " ").strip() for x in lines) if t]


def _char_sentences(path: Path) -> list[str]:
    """Sentences of a one-character-a-line file (MSRA BIO, ResumeNER BMES), blank line between."""
    text = path.read_text(encoding="utf-8")
    return ["".join(line.split()[0] for line in block.splitlines() if line.split())
            for block in text.split("\n\n")]


def shared_chinese_lines() -> list[str]:
    """Every Chinese text of ../shared/data, one line each, first occurrence only."""
    if not DATA.is_dir():
        pytest.skip(f"shared corpus not available: {DATA}")
    lines: list[str] = []
    for f in ("online_shopping_10_cats/online_shopping_10_cats.csv", "chnsenticorp/ChnSentiCorp_htl_all.csv"):
        with open(DATA / f, encoding="utf-8-sig", newline="") as fh:
            lines += _clean(row["review"] or "" for row in csv.DictReader(fh))
    for split in ("train", "dev", "test"):
        lines += _clean(_char_sentences(DATA / "msra_ner" / f"{split}.bio"))
        lines += _clean(_char_sentences(DATA / "resume_ner" / f"{split}.char.bmes"))
        ud = (DATA / "ud_chinese_gsd" / f"{split}.conll").read_text(encoding="utf-8").split("\n\n")
        lines += _clean("".join(r.split("\t")[1] for r in b.splitlines() if "\t" in r and not r.startswith("#"))
                        for b in ud)
    for f in sorted((DATA / "sighan2005" / "testing").glob("*.utf8")):
        lines += _clean(f.read_text(encoding="utf-8-sig").splitlines())
    for f in sorted((DATA / "sighan2005" / "gold").glob("*_test_gold.utf8")):
        lines += _clean(x.replace(" ", "") for x in f.read_text(encoding="utf-8-sig").splitlines())
    with open(DATA / "cmn_eng" / "cmn.txt", encoding="utf-8-sig") as fh:
        lines += _clean(x.split("\t")[1] for x in fh if "\t" in x)
    return list(dict.fromkeys(lines))


@pytest.fixture(scope="module")
def shared_lines() -> list[str]:
    return shared_chinese_lines()


def assert_identical_on(lines: list[str], whole: tuple = tuple(MODES), **kw) -> None:
    """Lines cut by both engines in every compiled mode: 0 differing lines (jieba in 2 processes).

    The modes in ``whole`` see every line, the others every 8th (the suite stays short on 2 cores).
    """
    for mode, hmm in MODES:
        part = lines if (mode, hmm) in whole else lines[::8]
        fast, slow = pair(mode=mode, hmm=hmm, **kw)
        expected = slow.cut_lines(part, jobs=2, chunk_size=2000)
        differing = [(line, got, want) for line, got, want in zip(part, map(fast.cut, part), expected)
                     if got != want]
        assert not differing[:3], f"{mode} hmm={hmm}: {len(differing)} of {len(part)} lines differ"


def test_sample_of_shared_text_is_identical(shared_lines):
    assert_identical_on(shared_lines[::200])


@pytest.mark.parametrize("hmm", [True, False])
def test_sample_of_shared_text_equals_jieba_itself(shared_lines, hmm):
    """Against jieba's own module-level ``lcut`` too, not only zhnlp's jieba engine."""
    import jieba

    fast = Segmenter(hmm=hmm).load()
    sample = shared_lines[::50]
    assert [fast.cut(line) for line in sample] == [jieba.lcut(line, HMM=hmm) for line in sample]


PKU_WORDS = DATA / "sighan2005" / "gold" / "pku_training_words.utf8"


@pytest.mark.slow
@pytest.mark.parametrize("kw,whole", [
    pytest.param({}, tuple(MODES), id="default"),
    pytest.param({"dicts": LEXICONS}, (("precise", True),), id="lexicons"),
    pytest.param({"main_dict": str(PKU_WORDS)}, (("precise", False),), id="main-dict"),  # its default: no HMM
])
def test_all_shared_text_is_identical(shared_lines, kw, whole):
    """Every mode on every line with jieba's dictionary; with the five lexicons and with a
    --main-dict every line in the segmenter's default mode, every 8th in the others."""
    assert len(shared_lines) > 150_000
    assert_identical_on(shared_lines, whole, **kw)
