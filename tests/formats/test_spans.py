"""Span JSON lines (form A: CLUENER, ends inclusive; form B: doccano, ends exclusive): reading both forms to the
same sentences, refusing spans that do not match their text with file:line, and convert_file's exact round trips
BIO <-> BIOES <-> BMES <-> spans on the shared NER sets."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import data_path

from zhnlp.errors import InputError
from zhnlp.formats.conll import read_conll
from zhnlp.formats.schemes import convert, detect_scheme, validate
from zhnlp.formats.spans import format_span_line, parse_span_line, sentence_spans, span_text
from zhnlp.formats.tagged import convert_file, detect_format, read_examples

TEXT = "张三在 北京工作。"  # the space keeps its offset but gets no tag
FORM_A = {"text": TEXT, "label": {"PER": {"张三": [[0, 1]]}, "LOC": {"北京": [[4, 5]]}}}
FORM_B = {"text": TEXT, "entities": [[4, 6, "LOC"], [0, 2, "PER"]]}
DOCCANO = {"id": 7, "text": TEXT, "label": [[0, 2, "PER"], [4, 6, "LOC"]]}
CONLL = "张\tB-PER\n三\tI-PER\n在\tO\n北\tB-LOC\n京\tI-LOC\n工\tO\n作\tO\n。\tO\n\n"


def write(path: Path, *objs) -> Path:
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs), encoding="utf-8")
    return path


def pairs(sents) -> list:
    return [(s.tokens, s.tags) for s in sents]


def test_both_forms_read_to_the_same_sentences_as_conll(tmp_path):
    files = [write(tmp_path / f"{k}.jsonl", o, o) for k, o in (("a", FORM_A), ("b", FORM_B), ("d", DOCCANO))]
    assert [detect_format(f) for f in files] == ["spans"] * 3
    expected = [(list("张三在北京工作。"), ["B-PER", "E-PER", "O", "B-LOC", "E-LOC", "O", "O", "O"])] * 2
    assert [pairs(read_examples(f, "ner")) for f in files] == [expected] * 3  # BIOES unless a scheme is given
    (tmp_path / "c.bio").write_text(CONLL * 2, encoding="utf-8")
    assert pairs(read_examples(files[0], "ner", scheme="BIO")) == pairs(read_examples(tmp_path / "c.bio", "ner"))
    assert [s.line for s in read_examples(files[1], "ner")] == [1, 2]


def test_form_a_is_written_with_inclusive_ends_and_reads_back():
    line = format_span_line(TEXT, [("PER", 0, 2), ("LOC", 4, 6)])
    assert json.loads(line) == FORM_A
    assert parse_span_line(line) == parse_span_line(json.dumps(FORM_B)) == (TEXT, [("PER", 0, 2), ("LOC", 4, 6)])
    assert sentence_spans(["张", "三", "在"], ["B-PER", "I-PER", "O"]) == ("张三在", [("PER", 0, 2)])
    assert span_text(json.dumps(FORM_A, ensure_ascii=False)) == TEXT and span_text("{不是 JSON") == "{不是 JSON"


BAD = {
    "string-not-text": ({"text": TEXT, "label": {"PER": {"张三": [[0, 2]]}}},
                        "PER '张三' [0, 2]: the text there is '张三在'"),
    "inclusive-end-out-of-range": ({"text": "张三", "label": {"PER": {"张三": [[0, 2]]}}},
                                   "PER '张三' [0, 2]: empty or outside the text of 2 characters (ends inclusive)"),
    "exclusive-end-out-of-range": ({"text": "张三", "entities": [[0, 3, "PER"]]},
                                   'span [0, 3, "PER"]: empty or outside the text of 2 characters (ends exclusive)'),
    "empty": ({"text": "张三", "entities": [[1, 1, "PER"]]}, 'span [1, 1, "PER"]: empty or outside'),
    "overlapping": ({"text": TEXT, "entities": [[0, 2, "PER"], [1, 3, "LOC"]]},
                    "spans overlap: PER '张三' at 0-2 and LOC '三在' at 1-3 (ends exclusive)"),
    "type-not-a-string": ({"text": TEXT, "entities": [[0, 2, 5]]},
                          'span [0, 2, 5]: entity type 5 is not a non-empty string without spaces'),
    "type-with-space": ({"text": TEXT, "entities": [[0, 2, "P ER"]]}, "entity type 'P ER'"),
    "float-offset": ({"text": TEXT, "entities": [[0, 2.0, "PER"]]}, "offsets must be integers"),
    "bool-offset": ({"text": TEXT, "label": {"PER": {"张三": [[0, True]]}}}, "PER '张三' [0, true]: offsets must be"),
    "whitespace-only": ({"text": TEXT, "entities": [[3, 4, "LOC"]]}, 'span [3, 4, "LOC"]: whitespace only'),
    "no-spans": ({"text": TEXT}, 'span JSON lines need a "text" string and its spans'),
    "tokens-and-tags": ({"tokens": ["张"], "tags": ["B-PER"]}, 'span JSON lines need a "text" string'),
    "pair-not-a-list": ({"text": TEXT, "label": {"PER": {"张三": [0, 1]}}}, "expected a list of [start, end] pairs"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_spans_that_do_not_match_their_text_are_errors_naming_file_and_line(case, tmp_path):
    obj, problem = BAD[case]
    path = write(tmp_path / "bad.jsonl", FORM_A, obj)
    with pytest.raises(InputError) as err:
        read_examples(path, "ner")
    message = str(err.value)
    assert message.startswith(f"{path}:2: ") and problem in message and "\n" not in message


def test_span_json_is_refused_for_segmentation_and_json_arrays(tmp_path):
    with pytest.raises(InputError, match="span JSON holds entities"):
        read_examples(write(tmp_path / "a.jsonl", FORM_A), "cws")
    with pytest.raises(InputError, match=r"a\.jsonl:1: JSON lines, not a tagging format"):
        read_examples(write(tmp_path / "a.jsonl", [["张", "B-PER"]]), "ner")


# BMES and BIO, each with sentences whose tags break their scheme (read as conlleval reads them); the other
# splits are the same format (a few seconds each, MSRA's training set over a minute)
SHARED = [("resume_ner", "test.char.bmes"), ("resume_ner", "train.char.bmes"), ("msra_ner", "test.bio")]


@pytest.mark.parametrize("corpus", SHARED, ids=lambda c: "/".join(c))
def test_convert_round_trips_exactly_on_the_shared_ner_sets(corpus, tmp_path):
    src = data_path(*corpus)
    original = list(read_conll(src))
    scheme = detect_scheme(s.tags for s in original)
    illegal = {i for i, s in enumerate(original) if validate(s.tags, scheme)}
    chain, prev = ["spans", "bioes", "bmes", "bio", "spans"], src  # every format read and written
    for k, to in enumerate(chain):
        out = tmp_path / f"{k}.{to}"
        done = convert_file(prev, out, to)
        assert done.sentences == len(original) and done.repaired == (len(illegal) if k == 0 else 0)
        if to != "spans":  # each scheme holds exactly the entities read from the original
            assert pairs(read_conll(out)) == [(s.tokens, convert(s.tags, to)) for s in original]
        prev = out
    assert (tmp_path / "0.spans").read_bytes() == (tmp_path / "4.spans").read_bytes()
    back = list(read_conll(tmp_path / f"{chain.index(scheme.lower())}.{scheme.lower()}"))
    assert {i for i, (a, b) in enumerate(zip(back, original)) if a.tags != b.tags} == illegal  # the rest exact
    assert len(illegal) <= 15
