"""Tagged-corpus readers and writer: CoNLL columns, CoNLL-U, segmented text, word/pos."""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhnlp.formats.conll import (Sentence, bmes_to_words, read_conll, read_conllu, read_segmented_sentences,
                         read_word_pos, split_word_pos, words_to_bmes, write_conll)
from zhnlp.errors import InputError

from helpers import FIXTURES, data_path

TAGGING = FIXTURES / "tagging"


def test_space_separated_bmes_with_docstart_and_blank_runs():
    sents = list(read_conll(TAGGING / "ner_space.bmes"))
    assert [s.tokens for s in sents] == [list("吴重阳，中国"), list("张任教授")]
    assert sents[0].tags == ["B-NAME", "M-NAME", "E-NAME", "O", "B-CONT", "E-CONT"]
    assert [s.line for s in sents] == [3, 11]
    assert sents[1].line_of(2) == 13 and sents[0].columns == []


def test_tab_separated_with_feature_column_and_fullwidth_space_token():
    sents = list(read_conll(TAGGING / "ner_features.bio"))
    assert sents[0].tags == ["B-PER", "I-PER", "O", "B-LOC", "I-LOC"]
    assert sents[0].columns[0] == ["X"]
    assert sents[1].tokens == ["２", "\u3000", "号"]  # U+3000 is a token, not a separator
    assert [c[0] for c in sents[1].columns] == ["D", "X", "X"]


def test_bom_and_crlf():
    sents = list(read_conll(TAGGING / "bom_crlf.bio"))
    assert sents[0].tokens[0] == "我"  # no BOM glued to the first token
    assert sents[1].tags == ["B-LOC", "I-LOC"]  # no \r glued to tags


def test_missing_tag_column_names_file_and_line():
    with pytest.raises(InputError) as e:
        list(read_conll(TAGGING / "missing_tag.bio"))
    assert e.value.line == 5
    assert "missing_tag.bio:5: missing tag column" in str(e.value)


def test_inconsistent_columns_report_expected_and_found():
    with pytest.raises(InputError) as e:
        list(read_conll(TAGGING / "inconsistent.bio"))
    msg = str(e.value)
    assert "inconsistent.bio:5:" in msg and "expected 3" in msg and "found 2" in msg


def test_tokens_only_for_prediction_input():
    sents = list(read_conll(TAGGING / "tokens_only.txt", tag_column=None))
    assert [s.tokens for s in sents] == [["我", "爱"], ["北", "京"]]
    assert all(s.tags is None for s in sents)
    with pytest.raises(InputError, match="missing tag column"):
        list(read_conll(TAGGING / "tokens_only.txt"))


def test_tag_column_choice_and_empty_file(tmp_path):
    sents = list(read_conll(TAGGING / "ner_features.bio", tag_column=1))
    assert sents[0].tags[0] == "X" and sents[0].columns[0] == ["B-PER"]
    empty = tmp_path / "empty.bio"
    empty.write_text("")
    with pytest.raises(InputError, match="empty file"):
        list(read_conll(empty))
    assert list(read_conll(empty, allow_empty=True)) == []


def test_reader_streams():
    it = read_conll(TAGGING / "ner_space.bmes")
    assert next(it).tokens[0] == "吴"  # a generator: nothing read past the first sentence


def test_write_then_read_round_trip_with_features(tmp_path):
    sents = list(read_conll(TAGGING / "ner_features.bio"))
    out = tmp_path / "out.bio"
    write_conll(sents, out)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("李\tX\tB-PER\n") and text.endswith("号\tX\tO\n\n")
    assert list(read_conll(out)) == [Sentence(s.tokens, s.tags, s.columns, s.line) for s in sents]


def test_write_pairs_to_file_object_and_bad_fields():
    buf = io.StringIO()
    write_conll([(["我", "爱"], ["O", "O"]), (["北"], None), ([], [])], buf)
    assert buf.getvalue() == "我\tO\n爱\tO\n\n北\n\n"
    with pytest.raises(ValueError, match="sentence 1"):
        write_conll([(["a b\tc"], ["O"])], io.StringIO())
    with pytest.raises(ValueError, match="2 tags"):
        write_conll([(["a"], ["O", "O"])], io.StringIO())


def test_failed_write_leaves_existing_file(tmp_path):
    out = tmp_path / "keep.bio"
    out.write_text("old\n")

    def sentences():
        yield (["a"], ["O"])
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_conll(sentences(), out)
    assert out.read_text() == "old\n"


_token = st.text(alphabet=st.characters(whitelist_categories=("Lo", "Nd", "Lu", "Po")),
                 min_size=1, max_size=3).filter(lambda t: t != "-DOCSTART-")
_tag = st.sampled_from(["O", "B-PER", "I-PER", "S-LOC", "E-ORG", "M-X"])


@st.composite
def _sentences(draw):
    n_feats = draw(st.integers(0, 2))
    out = []
    for _ in range(draw(st.integers(1, 4))):
        n = draw(st.integers(1, 6))
        toks = draw(st.lists(_token, min_size=n, max_size=n))
        tags = draw(st.lists(_tag, min_size=n, max_size=n))
        cols = [draw(st.lists(_token, min_size=n_feats, max_size=n_feats)) for _ in range(n)]
        out.append(Sentence(toks, tags, cols if n_feats else []))
    return out


@settings(max_examples=60, deadline=None)
@given(_sentences())
def test_round_trip_property(sents):
    buf = io.StringIO()
    write_conll(sents, buf)
    with tempfile.TemporaryDirectory(prefix="zhnlp-conll-") as d:  # hypothesis runs it many times: no leftovers
        path = Path(d) / "x.conll"
        path.write_text(buf.getvalue(), encoding="utf-8")
        back = list(read_conll(path))
    assert [(s.tokens, s.tags, s.columns) for s in back] == [(s.tokens, s.tags, s.columns) for s in sents]


# -- word segmentation ---------------------------------------------------------------------

def test_words_to_bmes_and_back():
    words = ["中华人民共和国", "成立", "了"]
    tags = words_to_bmes(words)
    assert tags == ["B", "M", "M", "M", "M", "M", "E", "B", "E", "S"]
    assert bmes_to_words(list("".join(words)), tags) == words


def test_bmes_to_words_on_illegal_sequences():
    chars = list("abcdefg")
    # M/E with no open word start one; B after B closes the first word; O is a word of its own
    assert bmes_to_words(chars, ["M", "E", "O", "B", "B", "S", "E"]) == ["ab", "c", "d", "e", "f", "g"]
    assert bmes_to_words(list("ab"), ["B", "B"]) == ["a", "b"]
    assert bmes_to_words(list("abc"), ["B-X", "M-X", "E-X"]) == ["abc"]
    with pytest.raises(ValueError):
        bmes_to_words(["a"], [])


@given(st.lists(st.text(alphabet="天地人和中国abc1", min_size=1, max_size=5), max_size=8))
def test_words_bmes_round_trip_property(words):
    chars = list("".join(words))
    assert bmes_to_words(chars, words_to_bmes(words)) == words


def test_read_segmented_sentences():
    sents = list(read_segmented_sentences(TAGGING / "segmented.txt"))
    assert sents[0].tokens == list("我们在北京") and sents[0].tags == ["B", "E", "S", "B", "E"]
    assert sents[1].line == 3 and sents[1].line_of(4) == 3  # all characters on one line
    assert bmes_to_words(sents[1].tokens, sents[1].tags) == ["中华人民共和国", "成立", "了"]


# -- CoNLL-U and word/pos -----------------------------------------------------------------

def test_read_conllu_skips_comments_ranges_and_empty_nodes():
    sents = list(read_conllu(TAGGING / "sample.conllu"))
    assert sents[0].tokens == ["我们", "在", "北京", "。"]
    assert sents[0].tags == ["PRON", "ADP", "PROPN", "PUNCT"]
    assert sents[0].line == 3 and sents[0].line_of(2) == 6
    assert sents[1].tokens == ["好"] and sents[1].line == 11
    xpos = list(read_conllu(TAGGING / "sample.conllu", column="xpos"))
    assert xpos[0].tags == ["PRP", "IN", "NNP", "."]
    with pytest.raises(ValueError):
        list(read_conllu(TAGGING / "sample.conllu", column="lemma"))


def test_read_conllu_bad_line():
    with pytest.raises(InputError, match=r"bad_conllu.conllu:2: expected 10 TAB-separated"):
        list(read_conllu(TAGGING / "bad_conllu.conllu"))


def test_read_conllu_real_ud():
    path = data_path("ud_chinese_gsd", "dev.conll")
    sents = list(read_conllu(path))
    assert len(sents) == 500 and sum(len(s) for s in sents) == 12663


def test_read_word_pos_brackets_and_slashes():
    sents = list(read_word_pos(TAGGING / "word_pos.txt"))
    assert sents[0].tokens == ["19980101-01-001-001", "迈向", "中国", "政府", "１/２", "——"]
    assert sents[0].tags == ["m", "v", "ns", "n", "m", "w"]
    assert sents[1].tokens == ["人民", "[", "]"] and sents[1].line == 3
    assert split_word_pos("政府/n]nt") == ("政府", "n")
    assert split_word_pos("nopos") is None


def test_read_word_pos_error_names_line():
    with pytest.raises(InputError, match=r"bad_word_pos.txt:2: token '希望' is not word/pos"):
        list(read_word_pos(TAGGING / "bad_word_pos.txt"))


def test_real_resume_and_msra_counts():
    resume = list(read_conll(data_path("resume_ner", "dev.char.bmes")))
    assert len(resume) == 463 and sum(len(s) for s in resume) == 13890
    msra = list(read_conll(data_path("msra_ner", "dev.bio")))
    assert len(msra) == 2500 and sum(len(s) for s in msra) == 107323
