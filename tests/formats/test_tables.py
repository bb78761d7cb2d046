"""Labelled tables (zhnlp.tables): CSV/TSV/JSONL/txt reading, column choice, BOMs, quoted
fields and line numbers, one-line errors, class-name files, split parsing and stratified
splits; and score_classes against scikit-learn."""
from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from zhnlp.errors import InputError, ZhnlpError
from zhnlp.training.metrics import score_classes
from zhnlp.formats.tables import (parse_split, pick_column, read_class_names, read_frame, read_labeled,
                          split_indices, table_format)


def write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def error_of(call, *args, **kwargs) -> InputError:
    """The InputError raised by ``call``; asserts its message is one line."""
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    msg = str(info.value)
    assert "\n" not in msg and msg.strip() == msg, msg
    return info.value


# -- formats -----------------------------------------------------------------------------------

def test_csv_with_default_columns(tmp_path):
    p = write(tmp_path / "a.csv", "text,label\n今天天气好,pos\n太差了,neg\n")
    d = read_labeled(p)
    assert d.texts == ["今天天气好", "太差了"] and d.labels == ["pos", "neg"]
    assert d.lines == [2, 3] and d.skipped == [] and len(d) == 2 and d.path == str(p)


def test_tsv_jsonl_and_txt_read_the_same_rows(tmp_path):
    rows = [("足球比赛", "sports"), ("米饭好吃", "food"), ("电脑, 软件", "tech")]
    tsv = write(tmp_path / "a.tsv", "text\tlabel\n" + "".join(f"{t}\t{lab}\n" for t, lab in rows))
    jsonl = write(tmp_path / "a.jsonl", "".join(f'{{"text": "{t}", "label": "{lab}"}}\n' for t, lab in rows))
    txt = write(tmp_path / "a.txt", "".join(f"{t}\t{lab}\n" for t, lab in rows))
    for p, lines in ((tsv, [2, 3, 4]), (jsonl, [1, 2, 3]), (txt, [1, 2, 3])):
        d = read_labeled(p)
        assert list(zip(d.texts, d.labels)) == rows, p
        assert d.lines == lines, p


def test_format_by_suffix_and_by_option(tmp_path):
    assert [table_format(n) for n in ("a.csv", "a.TSV", "a.jsonl", "a.ndjson", "a.json", "a.txt", "a")] == \
        ["csv", "tsv", "jsonl", "jsonl", "jsonl", "txt", "txt"]
    assert [table_format(n) for n in ("a.xlsx", "a.XLSM", "a.xls")] == ["xlsx"] * 3  # .xls: read or refused
    assert table_format("a.txt", "csv") == "csv"
    with pytest.raises(ZhnlpError, match="--input-format"):
        table_format("a.csv", "xml")
    p = write(tmp_path / "data.dat", "text,label\n好,pos\n")
    assert read_labeled(p, fmt="csv").labels == ["pos"]


def test_jsonl_nulls_missing_keys_and_blank_lines(tmp_path):
    p = write(tmp_path / "a.jsonl", '{"text": "好", "label": "pos"}\n\n{"text": "差", "label": null}\n'
                                    '{"text": "中"}\n{"label": "neg", "text": "坏", "extra": 3}\n')
    d = read_labeled(p)
    assert d.texts == ["好", "坏"] and d.labels == ["pos", "neg"]
    assert d.lines == [1, 5] and d.skipped == [3, 4]


def test_jsonl_integer_labels(tmp_path):
    p = write(tmp_path / "a.jsonl", '{"text": "好", "label": 1}\n{"text": "坏", "label": 0}\n')
    assert read_labeled(p).labels == ["1", "0"]


def test_jsonl_integer_labels_stay_integers_when_a_label_is_missing(tmp_path):
    # one null or absent label must not turn every integer label into "1.0"/"0.0"
    p = write(tmp_path / "a.jsonl", '{"text": "好", "label": 1}\n{"text": "差", "label": null}\n'
                                    '{"text": "中"}\n{"label": 0, "text": "坏"}\n')
    d = read_labeled(p)
    assert d.labels == ["1", "0"] and d.skipped == [2, 3]
    assert read_labeled(p, class_names=["neg", "pos"]).labels == ["pos", "neg"]


def test_unlabelled_table_without_need_labels(tmp_path):
    p = write(tmp_path / "a.csv", "id,review\n1,好\n2,差\n")
    d = read_labeled(p, need_labels=False)
    assert d.texts == ["好", "差"] and d.labels is None


# -- columns -----------------------------------------------------------------------------------

def test_columns_by_name_and_by_index(tmp_path):
    p = write(tmp_path / "a.csv", "id,body,tag,note\n1,好评,pos,x\n2,差评,neg,y\n")
    by_name = read_labeled(p, text_col="body", label_col="tag")
    by_index = read_labeled(p, text_col="1", label_col=2)
    by_negative = read_labeled(p, text_col=-3, label_col="-2")
    for d in (by_name, by_index, by_negative):
        assert d.texts == ["好评", "差评"] and d.labels == ["pos", "neg"]
    assert read_labeled(p, text_col="body", label_col="0").labels == ["1", "2"]
    txt = write(tmp_path / "a.txt", "pos\t好评\nneg\t差评\n")
    d = read_labeled(txt, text_col=1, label_col=0)
    assert d.texts == ["好评", "差评"] and d.labels == ["pos", "neg"]


def test_default_columns_review_and_label_over_cat(tmp_path):
    p = write(tmp_path / "shop.csv", "cat,label,review\n书籍,1,很好看\n水果,0,不新鲜\n")
    d = read_labeled(p)
    assert d.texts == ["很好看", "不新鲜"] and d.labels == ["1", "0"]
    d = read_labeled(p, label_col="cat")
    assert d.labels == ["书籍", "水果"]
    only_cat = write(tmp_path / "cat.csv", "review,cat\n很好看,书籍\n")
    assert read_labeled(only_cat).labels == ["书籍"]


def test_missing_column_lists_the_columns_found(tmp_path):
    p = write(tmp_path / "a.csv", "body,tag\n好,pos\n")
    e = error_of(read_labeled, p)
    assert str(e).startswith(f"{p}: no text column") and "columns found: body, tag" in str(e)
    assert "--text-col" in str(e)
    e = error_of(read_labeled, p, text_col="body")
    assert "no label column" in str(e) and "columns found: body, tag" in str(e) and "--label-col" in str(e)
    e = error_of(read_labeled, p, text_col="content", label_col="tag")
    assert "'content'" in str(e) and "columns found: body, tag" in str(e)
    e = error_of(read_labeled, p, text_col="5", label_col="tag")
    assert "--text-col 5" in str(e) and "2 columns (body, tag)" in str(e)


def test_pick_column_directly():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": ["x"], "review": ["y"], "c": ["z"]})
    assert pick_column(frame, None, ("text", "review"), "text", "f") == "review"
    assert pick_column(frame, "c", ("text",), "text", "f") == "c"
    assert pick_column(frame, "0", ("text",), "text", "f") == "a"
    assert pick_column(frame, None, ("text",), "text", "f", fallback=2) == "c"
    with pytest.raises(InputError, match="columns found: a, review, c"):
        pick_column(frame, None, ("text",), "text", "f")


# -- text cleaning, BOMs, quoting, line numbers ---------------------------------------------------

def test_bom_at_start_and_stray_bom_inside_fields(tmp_path):
    bom = "\ufeff"
    p = write(tmp_path / "a.csv", f"{bom}text,label\n{bom}好{bom}评,pos{bom}\n  差评  ,neg\n")
    d = read_labeled(p)
    assert d.texts == ["好评", "差评"] and d.labels == ["pos", "neg"]
    assert all(bom not in s for s in d.texts + d.labels)
    tsv = write(tmp_path / "a.tsv", f"{bom}label\treview\npos\t{bom}好\n")
    assert read_labeled(tsv).texts == ["好"]
    jsonl = write(tmp_path / "a.jsonl", f'{bom}{{"text": "{bom}好", "label": "pos"}}\n')
    assert read_labeled(jsonl).texts == ["好"]
    txt = write(tmp_path / "a.txt", f"{bom}好\tpos\n")
    assert read_labeled(txt).texts == ["好"]


def test_a_field_that_is_only_a_bom_is_empty(tmp_path):
    p = write(tmp_path / "a.csv", "text,label\n\ufeff,pos\n好,neg\n")
    d = read_labeled(p)
    assert d.texts == ["好"] and d.skipped == [2]


def test_quoted_fields_with_commas_and_newlines_keep_row_lines(tmp_path):
    p = write(tmp_path / "a.csv", 'text,label\n'
                                  '"一,二\n三\n四",pos\n'        # lines 2-4
                                  ',neg\n'                       # line 5: empty text
                                  '"他说""好""",pos\n'            # line 6
                                  '"五\n六",\n'                   # lines 7-8: empty label
                                  '七,neg\n')                     # line 9
    d = read_labeled(p)
    assert d.texts == ["一,二\n三\n四", '他说"好"', "七"]
    assert d.labels == ["pos", "pos", "neg"]
    assert d.lines == [2, 6, 9]
    assert d.skipped == [5, 7]


def test_tsv_and_txt_quotes_are_text(tmp_path):
    # a .tsv is not CSV: quotes are kept as written, and a lone one does not join rows
    rows = '"隔音"太差了\tneg\n他说"好\tpos\n"好\tpos\n很好\tneg\n'
    tsv = write(tmp_path / "a.tsv", "text\tlabel\n" + rows)
    txt = write(tmp_path / "a.txt", rows)
    for p, first in ((tsv, 2), (txt, 1)):
        d = read_labeled(p)
        assert d.texts == ['"隔音"太差了', '他说"好', '"好', "很好"] and d.labels == ["neg", "pos", "pos", "neg"]
        assert d.lines == list(range(first, first + 4))
    assert read_frame(tsv, chunksize=2).__next__()["text"].tolist() == ['"隔音"太差了', '他说"好']


def test_a_quote_in_tsv_does_not_hide_a_ragged_row(tmp_path):
    p = write(tmp_path / "a.tsv", 'text\tlabel\n"好\tpos\n差\tneg\textra\n')
    e = error_of(read_labeled, p)
    assert e.line == 3 and "ragged row: 3 fields" in str(e)


def test_crlf_line_endings(tmp_path):
    p = write(tmp_path / "a.csv", 'text,label\r\n"a\r\nb",pos\r\n,neg\r\nc,neg\r\n')
    d = read_labeled(p)
    assert d.labels == ["pos", "neg"] and d.lines == [2, 5] and d.skipped == [4]


def test_blank_lines_do_not_shift_csv_line_numbers(tmp_path):
    # pandas skips blank lines; the line of each row must still be its physical line
    p = write(tmp_path / "a.csv", "text,label\n好,pos\n\n差,neg\n,neg\n")
    d = read_labeled(p)
    assert d.texts == ["好", "差"]
    assert d.lines == [2, 4] and d.skipped == [5]


def test_blank_lines_do_not_shift_txt_line_numbers(tmp_path):
    p = write(tmp_path / "a.txt", "好\tpos\n\n差\tneg\n\tneg\n")
    d = read_labeled(p)
    assert d.texts == ["好", "差"]
    assert d.lines == [1, 3] and d.skipped == [4]


def test_strict_refuses_an_empty_row_naming_its_line(tmp_path):
    p = write(tmp_path / "a.csv", 'text,label\n"多\n行",pos\n"",neg\n好,\n')
    e = error_of(read_labeled, p, strict=True)
    assert e.line == 4 and str(e).startswith(f"{p}:4: empty text") and "--strict" in str(e)
    q = write(tmp_path / "b.csv", 'text,label\n"多\n行",pos\n好,\n')
    e = error_of(read_labeled, q, strict=True)
    assert e.line == 4 and "empty label" in str(e)
    assert read_labeled(q).skipped == [4]


def test_subset_keeps_lines(tmp_path):
    p = write(tmp_path / "a.csv", "text,label\na,x\nb,y\nc,z\n")
    sub = read_labeled(p).subset([2, 0])
    assert sub.texts == ["c", "a"] and sub.labels == ["z", "x"] and sub.lines == [4, 2]


# -- class names -----------------------------------------------------------------------------------

def test_class_names_map_ids_to_names(tmp_path):
    names = write(tmp_path / "names.txt", "负面\n正面\n\n")
    assert read_class_names(names) == ["负面", "正面"]
    p = write(tmp_path / "a.csv", "text,label\n好,1\n差,0\n中,正面\n")
    d = read_labeled(p, class_names=read_class_names(names))
    assert d.labels == ["正面", "负面", "正面"]


def test_class_id_out_of_range_names_the_line(tmp_path):
    p = write(tmp_path / "a.csv", 'text,label\n好,1\n"两\n行",0\n差,2\n')
    e = error_of(read_labeled, p, class_names=["neg", "pos"])
    assert e.line == 5 and "'2'" in str(e) and "below 2" in str(e) and str(e).startswith(f"{p}:5:")
    e = error_of(read_labeled, write(tmp_path / "b.csv", "text,label\n好,-1\n"), class_names=["neg", "pos"])
    assert e.line == 2


def test_bad_class_names_files(tmp_path):
    e = error_of(read_class_names, write(tmp_path / "gap.txt", "neg\n\npos\n"))
    assert e.line == 2 and "empty class name" in str(e)
    e = error_of(read_class_names, write(tmp_path / "dup.txt", "neg\npos\nneg\n"))
    assert "'neg' appears twice" in str(e)


# -- errors --------------------------------------------------------------------------------------

def test_ragged_row_names_its_line(tmp_path):
    p = write(tmp_path / "a.csv", "text,label\n好,pos\n差,neg\n中,pos,extra\n")
    e = error_of(read_labeled, p)
    assert e.line == 4 and str(e).startswith(f"{p}:4: ragged row") and "3 fields" in str(e)


def test_ragged_row_after_a_multiline_field_names_its_first_line(tmp_path):
    p = write(tmp_path / "a.csv", 'text,label\n"一\n二\n三",pos\n好,neg\n"四\n五",pos,extra\n')
    e = error_of(read_labeled, p)
    assert e.line == 6 and "ragged row" in str(e)
    tsv = write(tmp_path / "a.tsv", 'text\tlabel\n一\tpos\n好\tneg\textra\n')
    assert error_of(read_labeled, tsv).line == 3
    txt = write(tmp_path / "a.txt", "好\tpos\n差\tneg\textra\n")
    assert error_of(read_labeled, txt).line == 2


def test_ragged_row_in_chunked_reading(tmp_path):
    rows = "".join(f"t{i},l{i % 2}\n" for i in range(30))
    p = write(tmp_path / "a.csv", "text,label\n" + rows + "x,y,z\n")
    with pytest.raises(InputError) as info:
        for _ in read_frame(p, chunksize=7):
            pass
    assert info.value.line == 32 and "ragged row" in str(info.value)


def test_empty_file_header_only_and_blank_file(tmp_path):
    for name in ("a.csv", "a.tsv", "a.jsonl", "a.txt"):
        e = error_of(read_labeled, write(tmp_path / name, b""))
        assert str(e) == f"{tmp_path / name}: empty file: no rows"
    e = error_of(read_labeled, write(tmp_path / "nl.csv", "\n\n"))
    assert "empty file" in str(e)
    e = error_of(read_labeled, write(tmp_path / "h.csv", "text,label\n"))
    assert "header only" in str(e)
    e = error_of(read_labeled, write(tmp_path / "h.tsv", "\ufefftext\tlabel\r\n"))
    assert "header only" in str(e)


def test_only_empty_rows(tmp_path):
    e = error_of(read_labeled, write(tmp_path / "a.csv", "text,label\n,pos\n好,\n"))
    assert "no rows with a text and a label" in str(e)


@pytest.mark.parametrize("name, head", [("a.csv", "text,label\n好,pos\n"), ("a.tsv", "text\tlabel\n好\tpos\n"),
                                        ("a.txt", "好\tpos\n差\tneg\n"),
                                        ("a.jsonl", '{"text": "好", "label": "pos"}\n')])
def test_non_utf8_bytes_name_the_line(tmp_path, name, head):
    bad_line = head.count("\n") + 1
    p = write(tmp_path / name, head.encode("utf-8") + "坏".encode("gbk") + b"\tneg\n" + "好\tpos\n".encode())
    if name.endswith(".jsonl"):
        p.write_bytes(head.encode() + b'{"text": "' + "坏".encode("gbk") + b'", "label": "neg"}\n')
    e = error_of(read_labeled, p)
    assert e.line == bad_line, str(e)
    assert str(e).startswith(f"{p}:{bad_line}: not valid utf-8") and "--encoding gb18030" in str(e)


def test_gbk_file_reads_with_encoding(tmp_path):
    p = write(tmp_path / "a.csv", "text,label\n好评,正面\n".encode("gbk"))
    assert read_labeled(p, encoding="gbk").labels == ["正面"]
    e = error_of(read_labeled, p, encoding="no-such-codec")
    assert "unknown encoding" in str(e)


def test_directory_and_missing_file(tmp_path):
    e = error_of(read_labeled, tmp_path)
    assert str(e) == f"{tmp_path}: is a directory, not a table"
    (tmp_path / "d.csv").mkdir()
    assert "directory" in str(error_of(read_labeled, tmp_path / "d.csv"))
    e = error_of(read_labeled, tmp_path / "missing.csv")
    assert str(e) == f"{tmp_path / 'missing.csv'}: no such file"


def test_bad_json_line(tmp_path):
    p = write(tmp_path / "a.jsonl", '{"text": "好", "label": "pos"}\n{"text": "差", "label": \n')
    e = error_of(read_labeled, p)
    assert e.line == 2 and "not JSON" in str(e)


# -- splits ----------------------------------------------------------------------------------------

def test_parse_split():
    assert parse_split("0.8,0.1,0.1") == (0.8, 0.1, 0.1)
    assert parse_split(" 0.7, 0.2 ,0.1") == (0.7, 0.2, 0.1)
    assert parse_split("0.9,0.1") == (0.9, 0.1, 0.0)
    assert parse_split("1,0,0") == (1.0, 0.0, 0.0)
    for bad in ("", "0.8", "a,b,c", "0.8;0.1;0.1", "0.8,0.1", "0,0.5,0.5", "0.8,0.3,-0.1",
                "0.5,0.2,0.2,0.1", "80,10,10", "inf,0,0"):
        with pytest.raises(ZhnlpError, match="--split"):
            parse_split(bad)


@pytest.mark.parametrize("spec", ["nan,0.5,0.5", "0.5,nan,0.5"])
def test_parse_split_refuses_nan(spec):
    with pytest.raises(ZhnlpError, match="--split"):
        parse_split(spec)


def _labels(seed: int) -> list[str]:
    rng = random.Random(seed)
    labels = [lab for lab, n in (("a", 97), ("b", 41), ("c", 13), ("d", 5), ("e", 1)) for _ in range(n)]
    rng.shuffle(labels)
    return labels


@pytest.mark.parametrize("fractions", [(0.8, 0.1, 0.1), (0.6, 0.25, 0.15), (0.9, 0.1, 0.0), (0.5, 0.0, 0.5)])
def test_split_indices_is_stratified_disjoint_and_complete(fractions):
    labels = _labels(0)
    parts = split_indices(labels, fractions, seed=7)
    assert set(parts) == {"train", "dev", "test"}
    every = parts["train"] + parts["dev"] + parts["test"]
    assert sorted(every) == list(range(len(labels)))  # disjoint and covering
    for name in parts:
        assert parts[name] == sorted(parts[name])
    totals = Counter(labels)
    for name, frac in zip(("train", "dev", "test"), fractions):
        counts = Counter(labels[i] for i in parts[name])
        for lab, n in totals.items():
            if n > 1:
                assert abs(counts[lab] - n * frac) <= 1, (name, lab, counts[lab], n * frac)
    assert all(labels[i] != "e" for i in parts["dev"] + parts["test"])  # a single row stays in train


def test_split_indices_depends_only_on_the_seed():
    labels = _labels(1)
    a = split_indices(labels, (0.8, 0.1, 0.1), seed=3)
    assert a == split_indices(list(labels), (0.8, 0.1, 0.1), seed=3)
    b = split_indices(labels, (0.8, 0.1, 0.1), seed=4)
    assert a != b
    assert {k: len(v) for k, v in a.items()} == {k: len(v) for k, v in b.items()}


# -- score_classes against scikit-learn ------------------------------------------------------------

@pytest.mark.parametrize("seed", range(8))
def test_score_classes_matches_sklearn(seed):
    sk = pytest.importorskip("sklearn.metrics")
    rng = random.Random(seed)
    classes = ["甲", "乙", "丙", "丁", "戊"][:rng.randint(2, 5)]
    n = rng.randint(1, 200)
    gold = [rng.choice(classes) for _ in range(n)]
    pred = [g if rng.random() < 0.6 else rng.choice(classes) for g in gold]
    if seed == 0:  # a class predicted but never gold, and one gold but never predicted
        gold, pred = ["a", "a", "b", "b"], ["a", "c", "a", "a"]
    s = score_classes(gold, pred)
    labels = sorted(set(gold) | set(pred))
    assert s["labels"] == labels and s["examples"] == len(gold)
    assert s["accuracy"] == pytest.approx(sk.accuracy_score(gold, pred))
    for avg in ("macro",):
        assert s["macro_f1"] == pytest.approx(sk.f1_score(gold, pred, average=avg, zero_division=0))
        assert s["macro_precision"] == pytest.approx(sk.precision_score(gold, pred, average=avg, zero_division=0))
        assert s["macro_recall"] == pytest.approx(sk.recall_score(gold, pred, average=avg, zero_division=0))
    p, r, f, support = sk.precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    for i, lab in enumerate(labels):
        pc = s["per_class"][lab]
        assert (pc["precision"], pc["recall"], pc["f1"]) == pytest.approx((p[i], r[i], f[i]))
        assert pc["support"] == support[i]
    assert s["confusion"] == sk.confusion_matrix(gold, pred, labels=labels).tolist()


def test_score_classes_with_given_label_order():
    sk = pytest.importorskip("sklearn.metrics")
    gold = ["pos", "neg", "neu", "pos", "neg", "pos"]
    pred = ["pos", "pos", "neu", "neg", "neg", "pos"]
    order = ["pos", "neu", "neg"]
    s = score_classes(gold, pred, order)
    assert s["labels"] == order
    assert s["confusion"] == sk.confusion_matrix(gold, pred, labels=order).tolist()
    assert s["macro_f1"] == pytest.approx(sk.f1_score(gold, pred, labels=order, average="macro"))
    with pytest.raises(ValueError):
        score_classes(["a"], ["a", "b"])
    assert score_classes([], [])["accuracy"] == 0.0
