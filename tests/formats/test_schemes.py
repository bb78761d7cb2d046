"""Tag schemes: entity reading (conlleval), detection, conversion, validation, repair, masks."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhnlp.formats.conll import Sentence, read_conll
from zhnlp.errors import InputError
from zhnlp.formats.schemes import (allowed_transitions, check_scheme, check_sentences, convert, detect_scheme,
                           entities, entities_to_tags, iter_checked, parse_tag, repair, validate)

from helpers import FIXTURES, data_path


def test_parse_tag():
    assert parse_tag("B-PER") == ("B", "PER")
    assert parse_tag("I-ORG-X") == ("I", "ORG-X")
    assert parse_tag("S") == ("S", "") and parse_tag("O") == ("O", "")
    assert parse_tag("<pad>") is None and parse_tag("X-FOO") is None and parse_tag("B-") is None


def test_check_scheme_aliases():
    assert check_scheme("iob2") == "BIO" and check_scheme("iobes") == "BIOES"
    with pytest.raises(ValueError, match="unknown tag scheme"):
        check_scheme("IOB1")


def test_entities_legal_sequences():
    assert entities(["B-PER", "I-PER", "O", "B-LOC"]) == [("PER", 0, 2), ("LOC", 3, 4)]
    assert entities(["B-NAME", "M-NAME", "E-NAME", "S-ORG", "O"]) == [("NAME", 0, 3), ("ORG", 3, 4)]
    assert entities(["B-X", "I-X", "E-X", "S-X"]) == [("X", 0, 3), ("X", 3, 4)]
    assert entities(list("BMESBE")) == [("", 0, 3), ("", 3, 4), ("", 4, 6)]
    assert entities([]) == []


@pytest.mark.parametrize("tags, expected", [
    (["O", "I-X", "I-X"], [("X", 1, 3)]),                       # I after O starts an entity
    (["B-X", "I-Y"], [("X", 0, 1), ("Y", 1, 2)]),                # type change splits
    (["I-X", "B-X", "I-X"], [("X", 0, 1), ("X", 1, 3)]),         # B always starts
    (["B-X", "E-X", "E-X"], [("X", 0, 2), ("X", 2, 3)]),         # E after E: one-token entity
    (["B-X", "B-X"], [("X", 0, 1), ("X", 1, 2)]),                # BIOES B without E: ends at next
    (["S-X", "I-X"], [("X", 0, 1), ("X", 1, 2)]),
    (["M-X", "E-X", "O"], [("X", 0, 2)]),                        # BMES M with no B
    (["B-X", "<pad>", "I-X"], [("X", 0, 1), ("X", 2, 3)]),       # unparseable reads as O
    (["E-X"], [("X", 0, 1)]),
])
def test_entities_illegal_sequences_read_like_conlleval(tags, expected):
    assert entities(tags) == expected


def test_entities_scheme_guard():
    with pytest.raises(ValueError, match="not a BIO tag"):
        entities(["B-X", "E-X"], "BIO")
    with pytest.raises(ValueError, match="not a BMES tag"):
        entities(["B-X", "I-X"], "BMES")
    assert entities(["B-X", "M-X", "E-X"], "BMES") == [("X", 0, 3)]


def test_detect_scheme():
    assert detect_scheme([["B-X", "M-X", "E-X"], ["O"]]) == "BMES"
    assert detect_scheme(["B-X", "I-X", "E-X", "S-Y"]) == "BIOES"
    assert detect_scheme(["B-X", "I-X", "O"]) == "BIO"
    assert detect_scheme(["S", "B", "E"]) == "BIOES"  # B/E/S only: BIOES and BMES agree
    assert detect_scheme(["S", "B", "M", "E"]) == "BMES"
    assert detect_scheme(["NN", "VV"]) == "BIO"
    with pytest.raises(ValueError, match="mix"):
        detect_scheme(["B-X", "I-X", "M-X"])


def test_convert_examples():
    bio = ["B-PER", "I-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC"]
    assert convert(bio, "BIOES") == ["B-PER", "I-PER", "E-PER", "O", "S-LOC", "B-LOC", "E-LOC"]
    assert convert(bio, "BMES") == ["B-PER", "M-PER", "E-PER", "O", "S-LOC", "B-LOC", "E-LOC"]
    assert convert(convert(bio, "BMES"), "BIO") == bio
    assert convert(list("BMESBE"), "BIO") == ["B", "I", "I", "B", "B", "I"]
    assert convert(["O", "I-X"], "BIO") == ["O", "B-X"]  # illegal input comes out legal


_TYPES = ["PER", "LOC", ""]


@st.composite
def _entity_sequences(draw):
    """A sequence length and non-overlapping entities over it."""
    n = draw(st.integers(0, 12))
    ents, i = [], 0
    while i < n:
        if draw(st.booleans()):
            length = draw(st.integers(1, min(4, n - i)))
            ents.append((draw(st.sampled_from(_TYPES)), i, i + length))
            i += length
        else:
            i += 1
    return n, ents


@given(_entity_sequences(), st.sampled_from(["BIO", "BIOES", "BMES"]),
       st.sampled_from(["BIO", "BIOES", "BMES"]))
def test_conversions_preserve_entities(seq, src, dst):
    n, ents = seq
    tags = entities_to_tags(ents, n, src)
    assert entities(tags, src) == ents
    assert validate(tags, src) == []
    out = convert(tags, dst, src)
    assert entities(out, dst) == ents and validate(out, dst) == []
    assert convert(out, src) == tags


@given(st.lists(st.sampled_from(["O", "B-X", "I-X", "E-X", "S-X", "M-X", "B-Y", "I-Y", "E-Y", "<pad>"]),
                max_size=12), st.sampled_from(["BIO", "BIOES", "BMES"]))
def test_repair_is_legal_and_keeps_conlleval_entities(tags, scheme):
    fixed = repair(tags, scheme)
    assert validate(fixed, scheme) == []
    assert entities(fixed) == entities(tags)
    if validate(tags, scheme) == []:
        assert fixed == tags


def test_validate_reports_index_prev_tag():
    assert validate(["I-X", "O", "B-X", "I-Y"], "BIO") == [(0, None, "I-X"), (3, "B-X", "I-Y")]
    assert validate(["B-X", "M-X"], "BMES") == [(2, "M-X", None)]  # may not end inside
    assert validate(["B-X", "O"], "BIOES") == [(1, "B-X", "O")]
    assert validate(["M-X", "O"], "BIO") == [(0, None, "M-X")]  # not a BIO tag
    assert validate(["B-X", "I-X"], "BIO") == []
    assert validate(list("BMESBE"), "BMES") == []
    assert validate(["S", "M"], "BMES") == [(1, "S", "M"), (2, "M", None)]


def test_allowed_transitions_bmes():
    tags = ["O", "B-X", "M-X", "E-X", "S-X", "B-Y", "<pad>"]
    start, trans, end = allowed_transitions(tags, "BMES")
    assert start == [True, True, False, False, True, True, True]
    assert end == [True, False, False, True, True, False, True]
    allowed = {(a, b) for i, a in enumerate(tags) for j, b in enumerate(tags) if trans[i][j]}
    assert ("B-X", "M-X") in allowed and ("B-X", "E-X") in allowed and ("M-X", "M-X") in allowed
    assert ("B-X", "O") not in allowed and ("O", "M-X") not in allowed and ("B-Y", "E-X") not in allowed
    assert ("E-X", "B-Y") in allowed and ("S-X", "O") in allowed
    assert all(("<pad>", t) in allowed and (t, "<pad>") in allowed for t in tags)


def test_allowed_transitions_bio_agree_with_validate():
    tags = ["O", "B-A", "I-A", "B-B", "I-B"]
    start, trans, end = allowed_transitions(tags, "BIO")
    for i, a in enumerate(tags):
        assert start[i] == (validate([a], "BIO") == [])
        for j, b in enumerate(tags):
            assert trans[i][j] == all(k != 1 for k, _, _ in validate([a, b], "BIO")), (a, b)
    assert all(end)


def test_check_sentences_names_the_line_of_the_offending_token():
    sents = list(read_conll(FIXTURES / "tagging" / "score_pred.txt"))
    with pytest.raises(InputError) as e:
        check_sentences(sents, "BIO", "score_pred.txt")
    assert "score_pred.txt:4:" in str(e.value) and "'I-LOC' after 'O'" in str(e.value)
    assert e.value.line == 4 and e.value.text == "北"


def test_check_sentences_repair_in_place():
    sents = [Sentence(list("abc"), ["O", "I-X", "I-X"], line=10), Sentence(list("d"), ["B-Y"], line=14)]
    out = check_sentences(sents, "BIOES", "f.txt", repair=True)
    assert out is not None and sents[0].tags == ["O", "B-X", "E-X"] and sents[1].tags == ["S-Y"]
    with pytest.raises(InputError, match=r"f.txt:12: illegal BIOES tag sequence: sentence ends with 'B-X'"):
        check_sentences([Sentence(list("abc"), ["O", "O", "B-X"], line=10)], "BIOES", "f.txt")
    with pytest.raises(InputError, match=r"f.txt:7: tag 'M-X' is not a BIO tag"):
        list(iter_checked([Sentence(list("ab"), ["O", "M-X"], line=6)], "BIO", "f.txt"))


def test_real_corpora_are_legal():
    resume = list(read_conll(data_path("resume_ner", "dev.char.bmes")))
    assert detect_scheme(s.tags for s in resume) == "BMES"
    assert all(validate(s.tags, "BMES") == [] for s in resume)
    msra = list(read_conll(data_path("msra_ner", "dev.bio")))
    assert detect_scheme(s.tags for s in msra) == "BIO"
    assert all(validate(s.tags, "BIO") == [] for s in msra)
