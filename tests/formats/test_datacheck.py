"""What every train-* command reads is summarised before training and wrong data is refused
(zhnlp.datacheck); the refusals themselves, one per kind of wrong file, are in the bad-input
catalogue (tests/cli/test_bad_input_catalogue.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import ROOT, fast_train_config, invoke
from zhnlp.formats.conll import Sentence
from zhnlp.formats.datacheck import MAX_TAGS, MAX_WORD_CHARS, DataSummary, check_tagging, summarize_tagging
from zhnlp.errors import InputError

NER = "张 B-PER\n三 I-PER\n在 O\n北 B-LOC\n京 I-LOC\n\n张 B-PER\n三 I-PER\n\n"


def test_train_ner_prints_what_it_read_before_training_and_quiet_hides_it(tmp_path):
    train = tmp_path / "t.bio"
    train.write_text(NER, encoding="utf-8")
    r = invoke("train-ner", train, "--model", "hmm", "-o", tmp_path / "m")
    lines = r.stderr.splitlines()
    assert lines[0] == (f"read train {train} (conll, BIO): 2 sentences, 7 tokens (5 distinct); "
                        "2 entity types: PER 2, LOC 1")
    assert lines[1].startswith("trained hmm ner")
    assert invoke("train-ner", train, "--model", "hmm", "-o", tmp_path / "m2", "-q").stderr == ""


def test_a_tiny_training_set_with_one_entity_trains(tmp_path):
    train = tmp_path / "t.bio"
    train.write_text("张 B-PER\n三 I-PER\n\n", encoding="utf-8")
    r = invoke("train-ner", train, "-o", tmp_path / "m", "--epochs", "1", "--emb-dim", "8", "--hidden", "8")
    assert "1 sentence, 2 tokens (2 distinct); 1 entity type: PER 1" in r.stderr
    assert (tmp_path / "m" / "model.safetensors").is_file()


def test_the_summaries_come_before_any_model_is_written(tmp_path):
    from zhnlp.tasks.tagger import TaggerConfig, train_tagger

    train = tmp_path / "t.bio"
    train.write_text(NER, encoding="utf-8")
    seen: list[DataSummary] = []

    def report(summaries):
        assert not (tmp_path / "m").exists()
        seen.extend(summaries)

    train_tagger(train, train, tmp_path / "m", config=TaggerConfig(task="ner", emb_dim=8, hidden=8),
                 train_config=fast_train_config(epochs=1), report=report)
    assert [(s.split, s.count, s.labels, s.scheme) for s in seen] == \
        [("train", 2, {"PER": 2, "LOC": 1}, "BIO"), ("dev", 2, {"PER": 2, "LOC": 1}, "BIO")]
    assert (tmp_path / "m" / "model.safetensors").is_file()


def test_wrong_data_is_refused_by_the_library_with_no_model_written(tmp_path):
    from zhnlp.tasks.tagger import TaggerConfig, train_tagger

    swapped = tmp_path / "swapped.bio"
    swapped.write_text("B-PER 张\nI-PER 三\nO 在\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="swapped"):
        train_tagger(swapped, None, tmp_path / "m", config=TaggerConfig(task="ner"), train_config=None,
                     model="hmm", report=lambda s: pytest.fail("reported wrong data"))
    assert not (tmp_path / "m").exists()


def _sentences(tags_per_sentence, tokens=None):
    return [Sentence(list(tokens or [f"t{i}" for i in range(len(tags))]), list(tags), line=1)
            for tags in tags_per_sentence]


def test_tag_set_threshold():
    ok = _sentences([[f"T{i}" for i in range(MAX_TAGS)]])
    check_tagging(ok, summarize_tagging(ok, "f", "train", "pos", "conll", None), "pos")
    bad = _sentences([[f"T{i}" for i in range(MAX_TAGS + 1)]])
    with pytest.raises(InputError, match=f"{MAX_TAGS + 1} distinct tags"):
        check_tagging(bad, summarize_tagging(bad, "f", "train", "pos", "conll", None), "pos")


def test_segmented_word_length_threshold():
    n = int(MAX_WORD_CHARS)
    four = _sentences([["B"] + ["M"] * (n - 2) + ["E"]] * 2)  # words of exactly MAX_WORD_CHARS characters
    check_tagging(four, summarize_tagging(four, "f", "train", "cws", "segmented", "BMES"), "cws")
    five = _sentences([["B"] + ["M"] * (n - 1) + ["E"]] * 2)
    with pytest.raises(InputError, match="unsegmented"):
        check_tagging(five, summarize_tagging(five, "f", "train", "cws", "segmented", "BMES"), "cws")


def _xlsx(path: Path, rows, columns=("review", "label")) -> Path:
    import pandas as pd

    pd.DataFrame(rows, columns=list(columns)).to_excel(path, index=False)
    return path


def test_xlsx_tables_are_read(tmp_path):
    from zhnlp.formats.tables import read_labeled

    p = _xlsx(tmp_path / "t.xlsx", [("房间很好", "pos"), ("很差", 0), (None, "neg"), ("还行", 3)])
    d = read_labeled(p)
    assert (d.texts, d.labels, d.lines, d.skipped, d.format) == \
        (["房间很好", "很差", "还行"], ["pos", "0", "3"], [2, 3, 5], [4], "xlsx")


def test_train_classifier_reads_an_xlsx_table(tmp_path):
    rows = [("房间很好，服务周到", "positive"), ("太差了，不会再来", "negative")] * 6
    table = _xlsx(tmp_path / "t.xlsx", rows)
    r = invoke("train-classifier", table, "-o", tmp_path / "m", "--epochs", "1", "--emb-dim", "8", "--hidden", "8")
    assert f"read train {table} (xlsx): 12 rows" in r.stderr and "2 classes: positive 6, negative 6" in r.stderr
    assert (tmp_path / "m" / "model.safetensors").is_file()


def test_openpyxl_is_a_dependency():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    deps = text.split("\ndependencies = [", 1)[1].split("]", 1)[0]  # tomllib is Python 3.11+
    assert '"openpyxl>=' in deps
