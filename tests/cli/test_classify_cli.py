"""``zhnlp train-classifier``, ``zhnlp classify`` and ``zhnlp evaluate`` on classifiers, through
typer's CliRunner (one tiny model trained once for the module): plain-line and table
outputs, atomic -o, --output-dir, scores and the confusion matrix, and one-line errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from classifier_fixtures import LABELS, labeled_rows, write_csv, write_jsonl
from helpers import invoke, one_line_error
from zhnlp.tasks.classifier import load_classifier
from zhnlp.training.metrics import score_classes
from zhnlp.formats.tables import read_labeled

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TINY = ["--emb-dim", "16", "--hidden", "16", "--dropout", "0.1", "--lr", "0.01", "--batch-size", "16",
        "--threads", "1", "--patience", "0"]
LINES = ["今天足球比赛冠军", "", "米饭面条好吃", "   ", "电脑软件芯片", "我们觉得火锅非常美味", "鑫"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli-data")
    return {"train": write_csv(d / "train.csv", labeled_rows(240, seed=1)),
            "dev": write_csv(d / "dev.csv", labeled_rows(60, seed=2)),
            "test": write_jsonl(d / "test.jsonl", labeled_rows(45, seed=3), keys=("review", "label")),
            "dir": d}


@pytest.fixture(scope="module")
def model(files) -> Path:
    out = files["dir"] / "model"
    r = invoke("train-classifier", files["train"], "--dev", files["dev"], "--test", files["test"], "-o", out,
               "--epochs", "4", *TINY)
    assert "trained gru-classifier (3 classes)" in r.stderr and str(out) in r.stderr
    assert r.stdout == ""
    return out


@pytest.fixture(scope="module")
def clf(model):
    return load_classifier(model)


def test_train_classifier_cli_writes_a_model(model):
    metrics = json.loads((model / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["dev"]["accuracy"] >= 0.9 and metrics["test"]["examples"] == 45
    assert metrics["train_config"]["threads"] == 1 and metrics["epochs_run"] == 4
    assert (model / "model.safetensors").is_file() and (model / "learning_curve.png").is_file()


def test_train_classifier_reports_skipped_rows(files, tmp_path):
    rows = labeled_rows(60, seed=4)
    train = write_csv(tmp_path / "t.csv", rows[:10] + [("", "food"), ("足球", "")] + rows[10:])
    r = invoke("train-classifier", train, "-o", tmp_path / "m", "--epochs", "1", *TINY)
    assert "skipped 2 train row(s)" in r.stderr and "lines 12, 13" in r.stderr
    r = invoke("train-classifier", train, "-o", tmp_path / "m2", "--epochs", "1", "--strict", *TINY, ok=False)
    one_line_error(r, f"{train}:12: empty text")


# -- classify: plain lines ---------------------------------------------------------------------------

def test_classify_plain_lines_one_label_per_line(model, clf, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    r = invoke("classify", model, src)
    out = r.stdout.split("\n")
    assert out[-1] == "" and len(out) - 1 == len(LINES)
    out = out[:-1]
    assert [o == "" for o in out] == [not line.strip() for line in LINES]
    real = [line for line in LINES if line.strip()]
    assert [o for o in out if o] == clf.predict(real)
    assert out[0] == "sports" and out[2] == "food" and out[4] == "tech"
    assert invoke("classify", model, "-", input="\n".join(LINES) + "\n").stdout == r.stdout
    assert invoke("classify", model, input="\n".join(LINES)).stdout == r.stdout  # no final newline


def test_classify_top_k_and_probs(model, clf, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    real = [line for line in LINES if line.strip()]
    probs = clf.predict_proba(real)
    top2 = invoke("classify", model, src, "--top-k", "2").stdout.splitlines()
    assert len(top2) == len(LINES) and top2[1] == "" and top2[3] == ""
    for line, row, ranked in zip([t for t in top2 if t], probs, clf.top_k(real, 2)):
        pairs = [p.split("=") for p in line.split("\t")]
        assert [lab for lab, _ in pairs] == [lab for lab, _ in ranked]
        values = [float(v) for _, v in pairs]
        assert values == sorted(values, reverse=True) and values[0] == pytest.approx(row.max(), abs=1e-4)
        assert all(len(v.split(".")[1]) == 4 for _, v in pairs)
    with_probs = invoke("classify", model, src, "--probs").stdout.splitlines()
    assert len(with_probs) == len(LINES)
    for line, row, label in zip([t for t in with_probs if t], probs, clf.predict(real)):
        first, *rest = line.split("\t")
        assert first == label
        assert [p.split("=")[0] for p in rest] == LABELS  # every class, in the model's order
        assert [float(p.split("=")[1]) for p in rest] == pytest.approx(row.tolist(), abs=1e-4)
    everything = invoke("classify", model, src, "--top-k", "5").stdout.splitlines()
    assert all(len(line.split("\t")) == 3 for line in everything if line)


# -- classify: tables --------------------------------------------------------------------------------

def test_classify_csv_keeps_columns_and_appends_predictions(model, clf, tmp_path):
    pd = pytest.importorskip("pandas")
    src = tmp_path / "in.csv"
    src.write_text('id,review,source\n1,今天足球比赛冠军,a\n2,"米饭,面条\n好吃",b\n3,,c\n4,电脑软件,d\n',
                   encoding="utf-8")
    out = tmp_path / "out.csv"
    r = invoke("classify", model, src, "-o", out)
    assert r.stdout == "" and "classified 4 lines" in r.stderr
    frame = pd.read_csv(out, dtype={"review": str, "label": str}, keep_default_na=False)
    assert list(frame.columns) == ["id", "review", "source", "label", "probability"]
    assert frame["id"].tolist() == [1, 2, 3, 4] and frame["source"].tolist() == list("abcd")
    assert frame["review"].tolist() == ["今天足球比赛冠军", "米饭,面条\n好吃", "", "电脑软件"]
    texts = ["今天足球比赛冠军", "米饭,面条\n好吃", "电脑软件"]
    expected = clf.predict(texts)
    assert frame["label"].tolist() == [expected[0], expected[1], "", expected[2]]
    probs = clf.predict_proba(texts).max(1)
    got = [float(frame["probability"][i]) for i in (0, 1, 3)]
    assert got == pytest.approx(probs.tolist(), abs=1e-4) and frame["probability"][2] == ""
    stdout = invoke("classify", model, src).stdout
    assert stdout == out.read_text(encoding="utf-8")


def test_classify_csv_with_gold_labels_prefixes_predictions(model, files, clf, tmp_path):
    pd = pytest.importorskip("pandas")
    out = tmp_path / "dev.out.csv"
    invoke("classify", model, files["dev"], "-o", out, "--top-k", "2", "--probs")
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    prob_cols = [f"predicted_prob_{lab}" for lab in LABELS]
    assert list(frame.columns) == ["text", "label", "predicted_label", "predicted_probability",
                                   "predicted_label_2", "predicted_probability_2", *prob_cols]
    gold = read_labeled(files["dev"])
    assert frame["label"].tolist() == gold.labels
    assert frame["predicted_label"].tolist() == clf.predict(gold.texts)
    sums = frame[prob_cols].astype(float).sum(axis=1)
    np.testing.assert_allclose(sums, 1.0, atol=2e-4)
    assert (frame["predicted_probability"].astype(float) >= frame["predicted_probability_2"].astype(float)).all()


def test_classify_tsv_and_text_col(model, clf, tmp_path):
    src = tmp_path / "in.tsv"
    src.write_text("a\tb\n足球比赛\t米饭好吃\n", encoding="utf-8")
    lines = invoke("classify", model, src, "--text-col", "1").stdout.splitlines()
    assert lines == ["a\tb\tlabel\tprobability", f"足球比赛\t米饭好吃\t{clf.predict(['米饭好吃'])[0]}\t" + lines[1].split("\t")[3]]
    r = invoke("classify", model, src, ok=False)
    one_line_error(r, "no text column", "columns found: a, b")


QUOTED = ['"隔音"太差了', '他说"好', '"足球比赛', "米饭好吃"]  # quotes, a lone quote (also at the start)


def test_classify_tsv_and_plain_lines_keep_quotes_as_written(model, clf, tmp_path):
    # a .tsv is not CSV: the model reads the text as written, the output repeats it, and a
    # lone quote does not join two rows into one
    probs = clf.predict_proba(QUOTED).max(1)
    labels = clf.predict(QUOTED)
    src = tmp_path / "q.tsv"
    src.write_text("text\tid\n" + "".join(f"{t}\t{i}\n" for i, t in enumerate(QUOTED)), encoding="utf-8")
    lines = invoke("classify", model, src).stdout.splitlines()
    assert lines[0] == "text\tid\tlabel\tprobability" and len(lines) == len(QUOTED) + 1
    rows = [line.split("\t") for line in lines[1:]]
    assert [r[:3] for r in rows] == [[t, str(i), lab] for i, (t, lab) in enumerate(zip(QUOTED, labels))]
    assert [float(r[3]) for r in rows] == pytest.approx(probs.tolist(), abs=1e-4)
    assert read_labeled(src, label_col="id").texts == QUOTED  # training reads it the same way
    txt = tmp_path / "q.txt"
    txt.write_text("\n".join(QUOTED) + "\n", encoding="utf-8")
    assert invoke("classify", model, txt).stdout.splitlines() == labels


def test_classify_csv_output_round_trips_quotes(model, clf, tmp_path):
    from zhnlp.formats.tables import read_frame

    texts = QUOTED + ['a "b", c', "一,二\n三"]
    src = write_csv(tmp_path / "q.csv", [(t, "x") for t in texts], header=("text", "gold"))
    out = tmp_path / "out.csv"
    invoke("classify", model, src, "-o", out)
    frame = read_frame(out)
    assert frame["text"].tolist() == texts and frame["gold"].tolist() == ["x"] * len(texts)
    assert frame["label"].tolist() == clf.predict(texts)


def test_classify_jsonl(model, clf, tmp_path):
    src = tmp_path / "in.jsonl"
    rows = [{"id": "x1", "text": "今天足球比赛冠军"}, {"id": "x2", "text": ""}, {"id": "x3", "text": "电脑软件芯片"}]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    lines = invoke("classify", model, src, "--top-k", "2").stdout.splitlines()
    out = [json.loads(line) for line in lines]
    assert len(out) == 3
    for got, row in zip(out, rows):
        assert {k: got[k] for k in row} == row
        assert set(got) == {"id", "text", "label", "probability", "label_2", "probability_2"}
    assert out[0]["label"] == "sports" and out[2]["label"] == "tech"
    assert out[1]["label"] == "" and out[1]["probability"] is None
    assert out[0]["probability"] == pytest.approx(float(clf.predict_proba([rows[0]["text"]]).max()), abs=1e-4)


def test_classify_tables_in_chunks_and_from_stdin(model, clf, tmp_path):
    rows = labeled_rows(2_100, seed=21)  # more than one 2,000-row chunk
    src = write_csv(tmp_path / "big.csv", [(i, t) for i, (t, _) in enumerate(rows)], header=("id", "text"))
    lines = invoke("classify", model, src).stdout.splitlines()
    assert len(lines) == 2_101 and lines[0] == "id,text,label,probability"
    assert sum(line.startswith("id,") for line in lines) == 1
    assert [line.split(",")[0] for line in lines[1:]] == [str(i) for i in range(2_100)]
    predicted = [line.split(",")[2] for line in lines[1:]]
    assert predicted == clf.predict([t for t, _ in rows])
    assert sum(p == lab for p, (_, lab) in zip(predicted, rows)) / len(rows) >= 0.9
    jsonl = write_jsonl(tmp_path / "big.jsonl", rows)
    out = [json.loads(line) for line in invoke("classify", model, jsonl).stdout.splitlines()]
    assert [o["predicted_label"] for o in out] == predicted and [o["label"] for o in out] == [lab for _, lab in rows]
    r = invoke("classify", model, "-", "--input-format", "csv", input="text\n足球比赛\n")
    assert r.stdout.splitlines()[0] == "text,label,probability" and r.stdout.splitlines()[1].startswith("足球比赛,sports,")


def test_classify_jsonl_keeps_value_types(model, tmp_path):
    # "columns kept": numbers, booleans, nulls and nested values must come back as they were
    src = tmp_path / "in.jsonl"
    row = {"text": "足球比赛", "id": 3, "score": 1.5, "ok": True, "note": None, "meta": {"a": [1, 2]}}
    src.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    got = json.loads(invoke("classify", model, src).stdout)
    assert {k: got[k] for k in row} == row


# -- outputs -------------------------------------------------------------------------------------------

def test_output_file_is_atomic(model, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("足球比赛\n米饭\n", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes("足球比赛\n".encode() + "米饭".encode("gbk") + b"\n")
    out = tmp_path / "out.txt"
    out.write_text("OLD\n", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    one_line_error(invoke("classify", model, bad, "-o", out, ok=False), f"{bad}:2", "utf-8")
    assert out.read_text(encoding="utf-8") == "OLD\n"
    one_line_error(invoke("classify", model, good, bad, "-o", out, ok=False), f"{bad}:2")
    assert out.read_text(encoding="utf-8") == "OLD\n"
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_bytes("text\n足球\n".encode() + "米饭".encode("gbk") + b"\n")
    before.append("bad.csv")
    one_line_error(invoke("classify", model, bad_csv, "-o", out, ok=False), f"{bad_csv}:3")
    assert out.read_text(encoding="utf-8") == "OLD\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before)  # no temporary files left
    r = invoke("classify", model, good, "-o", out, "-q")
    assert r.stdout == "" and r.stderr == ""
    assert out.read_text(encoding="utf-8") == "sports\nfood\n"


def test_output_dir(model, clf, tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("足球比赛\n\n米饭\n", encoding="utf-8")
    b.write_text("电脑\n", encoding="utf-8")
    invoke("classify", model, a, b, "--output-dir", tmp_path / "out")
    assert (tmp_path / "out" / "a.txt").read_text(encoding="utf-8") == "sports\n\nfood\n"
    assert (tmp_path / "out" / "b.txt").read_text(encoding="utf-8") == "tech\n"
    c, d = tmp_path / "c.csv", tmp_path / "d.csv"
    c.write_text("text\n足球比赛\n", encoding="utf-8")
    d.write_text("text\n米饭好吃\n", encoding="utf-8")
    invoke("classify", model, c, d, "--output-dir", tmp_path / "tables")
    assert (tmp_path / "tables" / "c.csv").read_text(encoding="utf-8").splitlines()[1].startswith("足球比赛,sports,")
    assert (tmp_path / "tables" / "d.csv").read_text(encoding="utf-8").splitlines()[1].startswith("米饭好吃,food,")
    one_line_error(invoke("classify", model, c, d, ok=False), "--output-dir")
    one_line_error(invoke("classify", model, c, a, "--output-dir", tmp_path / "mixed", ok=False), "separate runs")


# -- evaluate ------------------------------------------------------------------------------------------

def test_evaluate_prints_scores_matching_score_classes(model, files, clf):
    gold = read_labeled(files["dev"])
    expected = score_classes(gold.labels, clf.predict(gold.texts), clf.labels)
    r = invoke("evaluate", model, files["dev"])
    first = r.stdout.splitlines()[0]
    assert first.startswith(f"accuracy {100 * expected['accuracy']:.2f}  macro-F1 {100 * expected['macro_f1']:.2f}")
    assert f"on {len(gold)} texts" in first
    assert "confusion (rows gold, columns predicted):" in r.stdout
    assert all(lab in r.stdout for lab in LABELS) and "macro avg" in r.stdout
    js = json.loads(invoke("evaluate", model, files["dev"], "--json").stdout)
    assert js["accuracy"] == pytest.approx(expected["accuracy"]) and js["macro_f1"] == pytest.approx(expected["macro_f1"])
    assert js["confusion"] == expected["confusion"] and js["labels"] == LABELS and js["skipped_lines"] == []
    js = json.loads(invoke("evaluate", model, files["test"], "--json", "--text-col", "review").stdout)
    metrics = json.loads((model / "metrics.json").read_text(encoding="utf-8"))
    assert js["accuracy"] == metrics["test"]["accuracy"]


def test_evaluate_confusion_files(model, files, tmp_path):
    pd = pytest.importorskip("pandas")
    prefix = tmp_path / "conf"
    r = invoke("evaluate", model, files["dev"], "--confusion", prefix)
    assert f"wrote {prefix}.csv" in r.stderr and f"wrote {prefix}.png" in r.stderr
    frame = pd.read_csv(f"{prefix}.csv", index_col=0)
    assert list(frame.index) == LABELS and list(frame.columns) == LABELS
    assert int(frame.values.sum()) == 60
    assert frame.sum(axis=1).tolist() == [20, 20, 20]  # rows are gold (balanced dev set)
    js = json.loads(invoke("evaluate", model, files["dev"], "--json").stdout)
    assert frame.values.tolist() == js["confusion"]
    assert Path(f"{prefix}.png").read_bytes().startswith(PNG_MAGIC)
    invoke("evaluate", model, files["dev"], "--confusion", tmp_path / "x.csv")
    assert (tmp_path / "x.csv").is_file() and (tmp_path / "x.png").is_file()


def test_evaluate_with_class_names_and_skipped_rows(model, tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("\n".join(LABELS) + "\n", encoding="utf-8")
    rows = [(t, str(LABELS.index(lab))) for t, lab in labeled_rows(30, seed=7)] + [("", "0")]
    test = write_csv(tmp_path / "ids.csv", rows)
    js = json.loads(invoke("evaluate", model, test, "--class-names", names, "--json").stdout)
    assert js["examples"] == 30 and js["skipped_lines"] == [32]
    r = invoke("evaluate", model, test, "--class-names", names)
    assert "(1 rows without text or label skipped)" in r.stdout.splitlines()[0]


# -- errors --------------------------------------------------------------------------------------------

@pytest.fixture
def bad_tables(tmp_path):
    def w(name, data: str | bytes) -> Path:
        p = tmp_path / name
        p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return p

    return {
        "nocol": w("nocol.csv", "body,tag\n足球,sports\n"),
        "ragged": w("ragged.csv", 'text,label\n"足球\n比赛",sports\n米饭,food,extra\n'),
        "empty": w("empty.csv", b""),
        "header": w("header.csv", "text,label\n"),
        "gbk": w("gbk.csv", "text,label\n足球,sports\n".encode() + "米饭,food\n".encode("gbk")),
        "unknown": w("unknown.csv", "text,label\n足球,sports\n音乐,music\n"),
        "dir": tmp_path,
    }


@pytest.mark.parametrize("case, needles", [
    ("nocol", ("nocol.csv", "no text column", "columns found: body, tag")),
    ("ragged", ("ragged.csv:4", "ragged row")),
    ("empty", ("empty.csv", "empty file")),
    ("header", ("header.csv", "header only")),
    ("gbk", ("gbk.csv:3", "not valid utf-8", "--encoding")),
    ("dir", ("is a directory",)),
])
def test_bad_tables_through_every_command(model, files, bad_tables, case, needles, tmp_path):
    bad = bad_tables[case]
    r = invoke("train-classifier", bad, "-o", tmp_path / "m", "--epochs", "1", *TINY, ok=False)
    one_line_error(r, *needles)
    assert not (tmp_path / "m").exists()
    r = invoke("train-classifier", files["train"], "--dev", bad, "-o", tmp_path / "m", "--epochs", "1", *TINY,
               ok=False)
    one_line_error(r, *needles)
    one_line_error(invoke("evaluate", model, bad, ok=False), *needles)
    if case != "header":  # a header-only table classifies to a header-only table
        one_line_error(invoke("classify", model, bad, "--input-format", "csv", ok=False), *needles)


def test_unknown_labels_in_test(model, files, bad_tables, tmp_path):
    bad = bad_tables["unknown"]
    r = invoke("train-classifier", files["train"], "--test", bad, "-o", tmp_path / "m", "--epochs", "1", *TINY,
               ok=False)
    one_line_error(r, f"{bad}:3: label 'music' does not occur in the training data")
    one_line_error(invoke("evaluate", model, bad, ok=False), f"{bad}:3", "'music'")


@pytest.mark.parametrize("args, needles", [
    (["--split", "0.8,0.3"], ("--split",)),
    (["--split", "a,b,c"], ("--split",)),
    (["--split", "0.8,0.1,0.1", "--dev", "DEV"], ("--split", "--dev")),
    (["--pooling", "sum"], ("--pooling", "'sum'")),
    (["--level", "sentence"], ("--level",)),
    (["--class-weights", "balanced"], ("--class-weights",)),
    (["--text-col", "body"], ("no column 'body'", "columns found: text, label")),
    (["--label-col", "7"], ("--label-col 7", "2 columns")),
    (["--input-format", "xlsx"], ("--input-format",)),
])
def test_bad_training_options(files, tmp_path, args, needles):
    args = [str(files["dev"]) if a == "DEV" else a for a in args]
    r = invoke("train-classifier", files["train"], "-o", tmp_path / "m", "--epochs", "1", *TINY, *args, ok=False)
    one_line_error(r, *needles)
    assert not (tmp_path / "m").exists()


def test_bad_classify_options(model, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("足球\n", encoding="utf-8")
    one_line_error(invoke("classify", model, src, "--top-k", "0", ok=False), "--top-k")
    one_line_error(invoke("classify", model, src, "--input-format", "xml", ok=False), "--input-format")
    one_line_error(invoke("classify", tmp_path / "nomodel", src, ok=False), "nomodel")
    one_line_error(invoke("classify", model, tmp_path / "missing.txt", ok=False), "missing.txt")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    one_line_error(invoke("classify", model, empty, ok=False), "empty.txt", "empty")
    assert invoke("classify", model, empty, "--allow-empty").stdout == ""


def test_errors_from_the_real_console_script(model, tmp_path, private_cache):
    """The same one-line errors from ``python -m zhnlp`` (real stderr, exit code 1)."""
    import os

    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("text\n足球\n".encode() + "米饭\n".encode("gbk"))
    env = dict(os.environ, ZHNLP_CACHE_DIR=str(private_cache), PYTHONIOENCODING="utf-8")
    proc = subprocess.run([sys.executable, "-m", "zhnlp", "classify", str(model), str(gbk), "--top-k", "1"],
                          capture_output=True, env=env, timeout=300)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 1 and proc.stdout == b"", err
    assert err.count("\n") == 1 and err.startswith(f"zhnlp: error: {gbk}:3: not valid utf-8"), err
