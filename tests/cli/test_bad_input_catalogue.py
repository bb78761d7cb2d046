"""A catalogue of bad inputs through every kind of command (segment, eval-seg, vocab, embed,
tag, train-*, classify, translate, evaluate, ensemble): encodings, BOM-less GBK, binary and empty files,
1 MB lines, malformed dictionaries, CoNLL, tables and pair files, unknown labels, missing
and unwritable paths, a directory in place of a file, unsafe model directories and options
out of range.

For every case: a non-zero exit, stderr exactly one line ``zhnlp: error: ...`` naming what
the case names (the file, and ``:LINE`` where there is one), no traceback, and nothing
written or changed in the working folder (an existing ``out/out.txt`` stays byte-for-byte).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

import pytest

from helpers import invoke, one_line_error
from zhnlp.resources import models_dir

OLD = b"OLD\n"
GOOD = "我爱北京天安门\n今天天气很好\n"


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def model_copy(name: str, work: Path, edit: Callable[[Path], None]) -> Path:
    """A copy of a bundled model under work/, changed by ``edit``."""
    d = work / f"bad-{name}"
    shutil.copytree(models_dir() / name, d)
    edit(d)
    return d


def newer_version(d: Path) -> None:
    head = json.loads((d / "config.json").read_text(encoding="utf-8"))
    head["version"] = 99
    (d / "config.json").write_text(json.dumps(head), encoding="utf-8")


def tamper_header(d: Path) -> None:
    raw = bytearray((d / "model.safetensors").read_bytes())
    raw[8:20] = b"\x00" * 12  # breaks the JSON header
    (d / "model.safetensors").write_bytes(bytes(raw))


def add_pickle(d: Path) -> None:
    (d / "extra.pkl").write_bytes(b"\x80\x04K\x01.")


# id -> (files to write {name: content}, args, needles); "{w}" in args is the work folder
CASES: dict[str, tuple[dict, list, tuple]] = {
    # --- segment: inputs
    "segment-missing-file": ({}, ["segment", "nope.txt", "-o", "out/out.txt"], ("nope.txt", "no such file")),
    "segment-directory-input": ({"adir/x.txt": GOOD}, ["segment", "adir", "-o", "out/out.txt"], ("adir",)),
    "segment-empty-file": ({"empty.txt": b""}, ["segment", "empty.txt", "-o", "out/out.txt"], ("empty.txt",)),
    "segment-binary-file": ({"bin.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff\xfe"},
                            ["segment", "bin.txt", "-o", "out/out.txt"], ("bin.txt",)),
    "segment-gbk-line-2": ({"gbk.txt": "第一行\n".encode("utf-8") + "第二行".encode("gbk") + b"\n"},
                           ["segment", "gbk.txt", "-o", "out/out.txt"], ("gbk.txt:2", "--encoding")),
    "segment-utf16-bom": ({"u16.txt": "我爱北京\n".encode("utf-16")}, ["segment", "u16.txt", "-o", "out/out.txt"],
                          ("u16.txt",)),
    "segment-unknown-encoding": ({"good.txt": GOOD},
                                 ["segment", "good.txt", "--encoding", "klingon", "-o", "out/out.txt"], ("klingon",)),
    "segment-1mb-line": ({"long.txt": "短行\n" + "字" * 1_048_576 + "\n"}, ["segment", "long.txt", "-o", "out/out.txt"],
                         ("long.txt:2",)),
    "segment-cr-gbk-line-3": ({"cr.txt": "一\r二\r".encode("utf-8") + "三".encode("gbk") + b"\r"},
                              ["segment", "cr.txt", "-o", "out/out.txt"], ("cr.txt",)),
    # --- segment: dictionaries and options
    "segment-malformed-user-dict": ({"good.txt": GOOD, "d.txt": "北京大学 3 nt\n医院\tabc\n"},
                                    ["segment", "good.txt", "--user-dict", "d.txt", "-o", "out/out.txt"], ("d.txt:2",)),
    "segment-missing-user-dict": ({"good.txt": GOOD}, ["segment", "good.txt", "--user-dict", "nodict.txt",
                                                       "-o", "out/out.txt"], ("nodict.txt",)),
    "segment-binary-user-dict": ({"good.txt": GOOD, "d.bin": b"\x00\x01\x02\xff\xfe"},
                                 ["segment", "good.txt", "--user-dict", "d.bin", "-o", "out/out.txt"], ("d.bin",)),
    "segment-unknown-bundled-dict": ({"good.txt": GOOD}, ["segment", "good.txt", "--dict", "klingon",
                                                          "-o", "out/out.txt"], ("klingon",)),
    "segment-missing-stopwords": ({"good.txt": GOOD}, ["segment", "good.txt", "--stopwords", "stop.txt",
                                                       "-o", "out/out.txt"], ("stop.txt",)),
    "segment-jobs-zero": ({"good.txt": GOOD}, ["segment", "good.txt", "-j", "0", "-o", "out/out.txt"], ("--jobs",)),
    "segment-bad-format": ({"good.txt": GOOD}, ["segment", "good.txt", "--format", "xml", "-o", "out/out.txt"],
                           ("--format",)),
    "segment-bad-mode": ({"good.txt": GOOD}, ["segment", "good.txt", "--mode", "fast", "-o", "out/out.txt"],
                         ("--mode",)),
    # --- segment --engine (issue 27)
    "segment-bad-engine": ({"good.txt": GOOD}, ["segment", "good.txt", "--engine", "rust", "-o", "out/out.txt"],
                           ("--engine", "rust")),
    # --- segment: outputs
    "segment-output-missing-folder": ({"good.txt": GOOD}, ["segment", "good.txt", "-o", "nodir/x.txt"], ("nodir",)),
    "segment-output-is-directory": ({"good.txt": GOOD}, ["segment", "good.txt", "-o", "out"], ("out",)),
    "segment-output-is-input": ({"good.txt": GOOD}, ["segment", "good.txt", "-o", "good.txt"], ("good.txt",)),
    "segment-output-and-output-dir": ({"good.txt": GOOD}, ["segment", "good.txt", "-o", "out/out.txt",
                                                           "--output-dir", "out"], ("--output-dir",)),
    "segment-output-dir-is-file": ({"good.txt": GOOD}, ["segment", "good.txt", "--output-dir", "out/out.txt"],
                                   ("out.txt",)),
    # --- eval-seg, vocab, embed
    "eval-seg-missing-gold": ({"good.txt": GOOD}, ["eval-seg", "gold.txt", "good.txt"], ("gold.txt",)),
    "eval-seg-gbk-pred": ({"gold.txt": "我 爱 北京\n", "pred.txt": "我 爱 北京\n".encode("gbk")},
                          ["eval-seg", "gold.txt", "pred.txt"], ("pred.txt:1",)),
    "vocab-build-missing-corpus": ({}, ["vocab", "build", "nope.txt", "-o", "out/out.txt"], ("nope.txt",)),
    "vocab-build-min-freq-zero": ({"good.txt": GOOD}, ["vocab", "build", "good.txt", "--min-freq", "0",
                                                       "-o", "out/out.txt"], ("--min-freq",)),
    "vocab-info-not-a-vocab": ({"v.json": "{not json"}, ["vocab", "info", "v.json"], ("v.json",)),
    "embed-train-empty-corpus": ({"empty.txt": b""}, ["embed", "train", "empty.txt", "-o", "out/out.txt"],
                                 ("empty.txt",)),
    "embed-train-bad-algo": ({"good.txt": GOOD}, ["embed", "train", "good.txt", "--algo", "glove",
                                                  "-o", "out/out.txt"], ("--algo",)),
    # --- tagging
    "tag-missing-model": ({"good.txt": GOOD}, ["tag", "no-such-model", "good.txt", "-o", "out/out.txt"],
                          ("no-such-model",)),
    "tag-batch-size-zero": ({"good.txt": GOOD}, ["tag", "resume-ner-hmm", "good.txt", "--batch-size", "0",
                                                 "-o", "out/out.txt"], ("--batch-size",)),
    "tag-gbk-input": ({"gbk.txt": "张三在北京".encode("gbk") + b"\n"},
                      ["tag", "resume-ner-hmm", "gbk.txt", "-o", "out/out.txt"], ("gbk.txt:1",)),
    "tag-bad-input-format": ({"good.txt": GOOD}, ["tag", "resume-ner-hmm", "good.txt", "--input-format", "xml",
                                                  "-o", "out/out.txt"], ("--input-format",)),
    "train-ner-malformed-conll": ({"train.bio": "张 B-PER\n三 I-PER extra\n\n"},
                                  ["train-ner", "train.bio", "-o", "out/model", "--epochs", "1"], ("train.bio:2",)),
    "train-ner-missing-dev": ({"train.bio": "张 B-PER\n三 I-PER\n\n"},
                              ["train-ner", "train.bio", "--dev", "dev.bio", "-o", "out/model"], ("dev.bio",)),
    "train-ner-illegal-tags-strict": ({"train.bio": "张 B-PER\n三 I-LOC\n\n"},
                                      ["train-ner", "train.bio", "--strict", "-o", "out/model"], ("train.bio:2",)),
    "train-ner-epochs-zero": ({"train.bio": "张 B-PER\n三 I-PER\n\n"},
                              ["train-ner", "train.bio", "--epochs", "0", "-o", "out/model"], ("--epochs",)),
    # --- unsafe or broken model directories
    "model-with-pickle": ({"good.txt": GOOD}, ["tag", "{w}/bad-resume-ner-hmm", "good.txt", "-o", "out/out.txt"],
                          ("extra.pkl", "pickle")),
    "model-tampered-weights": ({"good.txt": GOOD}, ["classify", "{w}/bad-hotel-sentiment", "good.txt",
                                                    "-o", "out/out.txt"], ("model.safetensors",)),
    "model-newer-format": ({"good.txt": GOOD}, ["translate", "{w}/bad-cmn-eng", "good.txt", "-o", "out/out.txt"],
                           ("config.json", "version")),
    # --- classification tables
    "classify-ragged-csv": ({"r.csv": "text,label\n好,positive\n坏,negative,extra,more\n"},
                            ["classify", "hotel-sentiment", "r.csv", "-o", "out/out.csv"], ("r.csv:3",)),
    "classify-missing-text-column": ({"r.csv": "content_x,label\n好,positive\n"},
                                     ["classify", "hotel-sentiment", "r.csv", "--text-col", "review",
                                      "-o", "out/out.csv"], ("r.csv", "review")),
    "classify-top-k-zero": ({"good.txt": GOOD}, ["classify", "hotel-sentiment", "good.txt", "--top-k", "0",
                                                 "-o", "out/out.txt"], ("--top-k",)),
    "classify-bad-jsonl": ({"r.jsonl": '{"text": "好"}\n{"text": \n'},
                           ["classify", "hotel-sentiment", "r.jsonl", "-o", "out/out.jsonl"], ("r.jsonl:2",)),
    "train-classifier-header-only": ({"t.csv": "text,label\n"}, ["train-classifier", "t.csv", "-o", "out/model"],
                                     ("t.csv",)),
    "train-classifier-one-label": ({"t.csv": "text,label\n好,a\n很好,a\n"},
                                   ["train-classifier", "t.csv", "-o", "out/model"], ("t.csv", "one label")),
    "evaluate-unknown-label": ({"t.csv": "review,label\n房间很好,positive\n房间很差,neutral\n"},
                               ["evaluate", "hotel-sentiment", "t.csv"], ("t.csv:3", "neutral")),
    # --- ensembles
    "ensemble-one-member": ({}, ["ensemble", "resume-ner-hmm", "-o", "out/model"], ("at least two",)),
    "ensemble-different-features": ({}, ["ensemble", "msra-ner", "ud-cws", "-o", "out/model"],
                                    ("ud-cws", "same inputs")),
    "ensemble-hmm-member": ({}, ["ensemble", "resume-ner-hmm", "resume-ner-hmm", "-o", "out/model"],
                            ("resume-ner-hmm", "model type 'hmm'")),
    "ensemble-mixed-kinds": ({}, ["ensemble", "shopping-sentiment", "cmn-eng", "-o", "out/model"],
                             ("cmn-eng", "model type 'gru-seq2seq'")),
    # --- translation
    "translate-beam-zero": ({"good.txt": GOOD}, ["translate", "cmn-eng", "good.txt", "--beam", "0",
                                                 "-o", "out/out.txt"], ("--beam",)),
    "translate-negative-alpha": ({"good.txt": GOOD}, ["translate", "cmn-eng", "good.txt", "--alpha", "-1",
                                                      "-o", "out/out.txt"], ("--alpha",)),
    "translate-wrong-model-type": ({"good.txt": GOOD}, ["translate", "hotel-sentiment", "good.txt",
                                                        "-o", "out/out.txt"], ("gru-classifier",)),
    "train-seq2seq-strict-missing-column": ({"p.tsv": "Hi.\t你好。\nno tab\n"},
                                            ["train-seq2seq", "p.tsv", "--strict", "-o", "out/model"], ("p.tsv:2",)),
    "train-seq2seq-no-pairs": ({"p.tsv": "only\none\ncolumn\n"}, ["train-seq2seq", "p.tsv", "-o", "out/model"],
                               ("p.tsv", "no sentence pairs")),
    "evaluate-seq2seq-bad-columns": ({"p.tsv": "Hi.\t你好。\n"}, ["evaluate", "cmn-eng", "p.tsv", "--src-col", "4"],
                                     ("p.tsv",)),
    # --- outputs: nothing already there is lost (issue 23, part 1)
    "train-ner-output-is-data-folder": ({"data/t.bio": "张 B-PER\n三 I-PER\n\n"},
                                        ["train-ner", "data/t.bio", "-o", "data", "--epochs", "1"],
                                        ("data", "not a zhnlp model directory")),
    "train-classifier-output-is-project": ({"t.csv": "text,label\n好,a\n坏,b\n", "proj/README.md": "# notes\n",
                                            "proj/src/x.py": "print(1)\n"},
                                           ["train-classifier", "t.csv", "-o", "proj", "--epochs", "1"],
                                           ("proj", "not a zhnlp model directory")),
    "train-ner-output-is-file": ({"t.bio": "张 B-PER\n三 I-PER\n\n", "model": "a file\n"},
                                 ["train-ner", "t.bio", "-o", "model", "--epochs", "1"], ("model", "not a directory")),
    "train-ner-output-is-model-without-force": ({"t.bio": "张 B-PER\n三 I-PER\n\n"},
                                                ["train-ner", "t.bio", "-o", "bad-resume-ner-hmm", "--epochs", "1"],
                                                ("bad-resume-ner-hmm", "--force")),
    "train-ner-checkpoint-name-taken": ({"t.bio": "张 B-PER\n三 I-PER\n\n", "m.checkpoint/notes.txt": "mine\n"},
                                        ["train-ner", "t.bio", "-o", "m", "--epochs", "1"],
                                        ("m.checkpoint", "not a zhnlp checkpoint")),
    "ensemble-output-is-project": ({"proj/notes.txt": "mine\n"},
                                   ["ensemble", "hotel-sentiment", "shopping-sentiment", "-o", "proj"],
                                   ("proj", "not a zhnlp model directory")),
    "ensemble-same-model-twice": ({}, ["ensemble", "hotel-sentiment", "hotel-sentiment", "-o", "out/model"],
                                  ("hotel-sentiment", "twice")),
    "ensemble-identical-weights": ({}, ["ensemble", "shopping-sentiment", "{w}/bad-shopping-sentiment",
                                        "-o", "out/model"], ("identical weights",)),
    "segment-output-full-device": ({"good.txt": GOOD}, ["segment", "good.txt", "-o", "/dev/full"],
                                   ("/dev/full", "No space left")),
    "tag-output-full-device": ({"good.txt": GOOD}, ["tag", "resume-ner-hmm", "good.txt", "-o", "/dev/full"],
                               ("/dev/full", "No space left")),
    "vocab-build-output-full-device": ({"good.txt": GOOD}, ["vocab", "build", "good.txt", "-o", "/dev/full"],
                                       ("/dev/full", "No space left")),
    # --- numbers that cannot train, and --threads (issue 23, parts 3 and 5); a diverging run is in test_numbers.py
    "train-ner-lr-inf": ({"t.bio": "张 B-PER\n三 I-PER\n\n"}, ["train-ner", "t.bio", "--lr", "inf", "-o", "out/model"],
                         ("--lr must be a finite number, not inf",)),
    "train-ner-lr-nan": ({"t.bio": "张 B-PER\n三 I-PER\n\n"}, ["train-ner", "t.bio", "--lr", "nan", "-o", "out/model"],
                         ("--lr must be a finite number, not nan",)),
    "train-ner-lr-overflows": ({"t.bio": "张 B-PER\n三 I-PER\n\n"},
                               ["train-ner", "t.bio", "--lr", "1e38", "-o", "out/model"], ("--lr must lie in (0, 10]",)),
    "train-classifier-lr-inf": ({"t.csv": "text,label\n好,a\n坏,b\n"},
                                ["train-classifier", "t.csv", "--lr", "inf", "-o", "out/model"], ("--lr", "inf")),
    "train-classifier-lr-nan": ({"t.csv": "text,label\n好,a\n坏,b\n"},
                                ["train-classifier", "t.csv", "--lr", "nan", "-o", "out/model"], ("--lr", "nan")),
    "train-classifier-weight-decay-inf": ({"t.csv": "text,label\n好,a\n坏,b\n"},
                                          ["train-classifier", "t.csv", "--weight-decay", "inf", "-o", "out/model"],
                                          ("--weight-decay", "inf")),
    "train-ner-threads-negative": ({"t.bio": "张 B-PER\n三 I-PER\n\n"},
                                   ["train-ner", "t.bio", "--threads", "-4", "-o", "out/model"],
                                   ("--threads must be at least 0, not -4",)),
    "train-classifier-threads-negative": ({"t.csv": "text,label\n好,a\n坏,b\n"},
                                          ["train-classifier", "t.csv", "--threads", "-4", "-o", "out/model"],
                                          ("--threads must be at least 0, not -4",)),
    "train-ner-word-dropout-nan": ({"t.bio": "张 B-PER\n三 I-PER\n\n"},
                                   ["train-ner", "t.bio", "--word-dropout", "nan", "-o", "out/model"],
                                   ("--word-dropout", "nan")),
    "train-ner-bigram-min-freq-zero": ({"t.bio": "张 B-PER\n三 I-PER\n\n"},
                                       ["train-ner", "t.bio", "--bigram", "--bigram-min-freq", "0", "-o", "out/model"],
                                       ("--bigram-min-freq",)),
    "train-seq2seq-init-range-inf": ({"p.tsv": "Hi.\t你好。\n"}, ["train-seq2seq", "p.tsv", "--init-range", "inf",
                                                                  "-o", "out/model"], ("--init-range", "inf")),
    "train-seq2seq-max-src-len-zero": ({"p.tsv": "Hi.\t你好。\n"}, ["train-seq2seq", "p.tsv", "--max-src-len", "0",
                                                                    "-o", "out/model"], ("--max-src-len",)),
    "segment-threads-negative": ({"good.txt": GOOD}, ["segment", "good.txt", "--threads", "-4", "-o", "out/out.txt"],
                                 ("--threads", "-4")),
    "tag-threads-negative": ({"good.txt": GOOD}, ["tag", "resume-ner", "good.txt", "--threads", "-4",
                                                  "-o", "out/out.txt"], ("--threads", "-4")),
    "classify-threads-negative": ({"good.txt": GOOD}, ["classify", "hotel-sentiment", "good.txt", "--threads", "-4",
                                                       "-o", "out/out.txt"], ("--threads", "-4")),
    "translate-threads-negative": ({"good.txt": GOOD}, ["translate", "cmn-eng", "good.txt", "--threads", "-4",
                                                        "-o", "out/out.txt"], ("--threads", "-4")),
    "evaluate-threads-negative": ({"p.tsv": "Hi.\t你好。\n"}, ["evaluate", "cmn-eng", "p.tsv", "--threads", "-4"],
                                  ("--threads", "-4")),
    "translate-alpha-nan": ({"good.txt": GOOD}, ["translate", "cmn-eng", "good.txt", "--alpha", "nan",
                                                 "-o", "out/out.txt"], ("--alpha", "nan")),
    "evaluate-alpha-inf": ({"p.tsv": "Hi.\t你好。\n"}, ["evaluate", "cmn-eng", "p.tsv", "--alpha", "inf"],
                           ("--alpha", "inf")),
    "vocab-build-jobs-zero": ({"good.txt": GOOD}, ["vocab", "build", "good.txt", "--jobs", "0", "-o", "out/out.txt"],
                              ("--jobs",)),
    "embed-train-sample-inf": ({"good.txt": GOOD}, ["embed", "train", "good.txt", "--sample", "inf",
                                                    "-o", "out/out.txt"], ("--sample", "inf")),
    "embed-train-seed-negative": ({"good.txt": GOOD}, ["embed", "train", "good.txt", "--seed", "-4",
                                                       "-o", "out/out.txt"], ("--seed", "-4")),
    "embed-evaluate-restrict-vocab-negative": ({"v.txt": "2 3\n我 0.1 0.2 0.3\n你 0.2 0.1 0.0\n",
                                                "sim.txt": "我 你 5\n"},
                                               ["embed", "evaluate", "v.txt", "sim.txt", "--restrict-vocab", "-4"],
                                               ("--restrict-vocab",)),
    # --- wrong data refused before training, no model written (issue 23, part 2; thresholds in zhnlp/datacheck.py)
    "train-ner-json-lines": ({"t.jsonl": '{"tokens": ["张", "三"], "tags": ["B-PER", "I-PER"]}\n' * 3},
                             ["train-ner", "t.jsonl", "-o", "out/model", "--epochs", "1"], ("t.jsonl:1", "JSON lines")),
    "train-ner-swapped-columns": ({"t.bio": "B-PER 张\nI-PER 三\nO 在\nB-LOC 北\nI-LOC 京\n\n"},
                                  ["train-ner", "t.bio", "-o", "out/model", "--epochs", "1"], ("t.bio:1", "swapped")),
    "train-ner-word-pos-file": ({"wp.txt": "张三/nr 在/p 北京/ns 工作/v\n" * 3},
                                ["train-ner", "wp.txt", "-o", "out/model", "--epochs", "1"], ("wp.txt", "train-pos")),
    "train-ner-tag-with-space": ({"t.bio": "张\tB PER\n三\tI PER\n在\tO\n\n"},
                                 ["train-ner", "t.bio", "-o", "out/model", "--epochs", "1"],
                                 ("t.bio:1", "'B PER' is not a NER tag")),
    "train-ner-no-entity": ({"t.bio": "张 O\n三 O\n在 O\n\n"}, ["train-ner", "t.bio", "-o", "out/model", "--epochs", "1"],
                            ("t.bio", "no entity")),
    "train-ner-hmm-no-entity": ({"t.bio": "张 O\n三 O\n在 O\n\n"}, ["train-ner", "t.bio", "--model", "hmm",
                                                                  "-o", "out/model"], ("t.bio", "no entity")),
    "train-ner-one-token": ({"t.bio": "x B-PER\nx I-PER\nx O\n\n"},
                            ["train-ner", "t.bio", "-o", "out/model", "--epochs", "1"], ("t.bio", "one distinct token")),
    "train-ner-segmentation-data": ({"t.bio": "张 B\n三 E\n在 S\n\n"},
                                    ["train-ner", "t.bio", "-o", "out/model", "--epochs", "1"], ("t.bio", "train-cws")),
    "train-ner-dev-other-scheme": ({"t.bio": "张 B-PER\n三 I-PER\n在 O\n\n", "dev.bio": "张 B-PER\n三 E-PER\n\n"},
                                   ["train-ner", "t.bio", "--dev", "dev.bio", "-o", "out/model", "--epochs", "1"],
                                   ("dev.bio:2", "not a BIO tag")),
    "train-cws-unsegmented-text": ({"raw.txt": "张三在北京工作。今天天气很好。\n" * 3},
                                   ["train-cws", "raw.txt", "-o", "out/model", "--epochs", "1"], ("raw.txt", "unsegmented")),
    "train-cws-ner-data": ({"t.bio": "张 B-PER\n三 I-PER\n在 O\n\n"},
                           ["train-cws", "t.bio", "-o", "out/model", "--epochs", "1"], ("t.bio:2", "train-ner")),
    "train-pos-ner-data": ({"t.bio": "张 B-PER\n三 I-PER\n在 O\n\n"},
                           ["train-pos", "t.bio", "-o", "out/model", "--epochs", "1"], ("t.bio", "train-ner")),
    "train-pos-too-many-tags": ({"t.conll": "".join(f"词{i} T{i}\n" for i in range(250)) + "\n"},
                                ["train-pos", "t.conll", "-o", "out/model", "--epochs", "1"],
                                ("t.conll", "250 distinct tags")),
    "train-classifier-csv-named-xls": ({"t.xls": "text,label\n好,a\n坏,b\n"}, ["train-classifier", "t.xls",
                                                                               "-o", "out/model"],
                                       ("t.xls", "not an Excel workbook")),
    "train-classifier-old-binary-xls": ({"old.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504},
                                        ["train-classifier", "old.xls", "-o", "out/model"], ("old.xls", "97-2003")),
    "train-classifier-label-is-text": ({"t.csv": "text,label\n" + "".join(f"好,评论{i}\n" for i in range(30))},
                                       ["train-classifier", "t.csv", "-o", "out/model"], ("t.csv", "30 distinct values")),
    "train-classifier-most-rows-skipped": ({"t.csv": "text,label\n好,a\n坏,b\n" + "还行,\n" * 5},
                                           ["train-classifier", "t.csv", "-o", "out/model"],
                                           ("t.csv", "5 of 7 rows skipped")),
    "train-classifier-one-token": ({"t.csv": "text,label\n好,a\n好,b\n好好,a\n"},
                                   ["train-classifier", "t.csv", "-o", "out/model"], ("t.csv", "one token")),
    "train-seq2seq-csv-one-column": ({"p.csv": "en,zh\nHi.,你好。\nBye.,再见。\nThanks.,谢谢。\nHi.\t你好。\n"},
                                     ["train-seq2seq", "p.csv", "-o", "out/model"], ("p.csv", "4 of 5 lines skipped")),
    "train-seq2seq-swapped-columns": ({"p.tsv": "你好。\tHi.\n再见。\tBye.\n"}, ["train-seq2seq", "p.tsv", "-o", "out/model"],
                                      ("p.tsv", "--src-lang zh")),
    "train-seq2seq-one-target": ({"p.tsv": "Hi.\t你好。\nHi.\t再见。\n"}, ["train-seq2seq", "p.tsv", "-o", "out/model"],
                                 ("p.tsv", "every target is the same text")),
    # --- text as written (issue 23, part 4): a POS model's segmenter must be a CWS model; a TSV
    # quote is text, so it cannot hide a ragged row (kept quotes: tests/cli/test_classify_cli.py)
    "train-pos-segmenter-not-cws": ({"t.conll": "我 PRON\n爱 VERB\n\n"},
                                    ["train-pos", "t.conll", "-o", "out/model", "--segmenter", "resume-ner-hmm"],
                                    ("--segmenter resume-ner-hmm", "a ner model cannot segment")),
    "train-ner-segmenter": ({"t.bio": "张 B-PER\n三 I-PER\n\n"},
                                     ["train-ner", "t.bio", "-o", "out/model", "--segmenter", "ud-cws"],
                                     ("--segmenter", "POS model")),
    "train-classifier-tsv-lone-quote": ({"q.tsv": 'text\tlabel\n"好\tpos\n差\tneg\textra\n'},
                                       ["train-classifier", "q.tsv", "-o", "out/model"],
                                       ("q.tsv:3", "ragged row: 3 fields")),
    # --- the feature CRF (issue 26): it has no network to start from, and an unknown --model names the choices
    "train-ner-crf-encoder": ({"t.bio": "张 B-PER\n三 I-PER\n在 O\n\n"},
                              ["train-ner", "t.bio", "--model", "crf", "--encoder", "resume-ner", "-o", "out/model"],
                              ("--model crf has none",)),
    "train-cws-unknown-model": ({"t.txt": "我们 在 北京\n"}, ["train-cws", "t.txt", "--model", "crfsuite",
                                                             "-o", "out/model"], ("bilstm-crf, hmm, crf",)),
    # --- classifier networks (issue 26): an unknown --model names the choices; TextCNN has no GRU options
    "train-classifier-unknown-model": ({"t.csv": "text,label\n好,a\n坏,b\n"},
                                       ["train-classifier", "t.csv", "--model", "nosuch", "-o", "out/model"],
                                       ("--model must be one of gru, textcnn", "'nosuch'")),
    "train-classifier-textcnn-pooling": ({"t.csv": "text,label\n好,a\n坏,b\n"},
                                         ["train-classifier", "t.csv", "--model", "textcnn", "--pooling", "last",
                                          "-o", "out/model"], ("--pooling", "--model textcnn")),
    "train-classifier-transformer-odd-hidden": ({"t.csv": "text,label\n好,a\n坏,b\n"},
                                                ["train-classifier", "t.csv", "--model", "transformer", "--hidden", "9",
                                                 "-o", "out/model"], ("a Transformer's size must be even (--hidden 9)",)),
    # --- the Transformer-CRF (issue 26): no LSTM for --encoder to start, a size that heads cannot share
    "train-ner-transformer-encoder": ({"t.bio": "张 B-PER\n三 I-PER\n在 O\n\n"},
                                      ["train-ner", "t.bio", "--model", "transformer-crf", "--encoder", "resume-ner",
                                       "-o", "out/model"], ("--model transformer-crf has no LSTM",)),
    "train-ner-transformer-odd-hidden": ({"t.bio": "张 B-PER\n三 I-PER\n在 O\n\n"},
                                         ["train-ner", "t.bio", "--model", "transformer-crf", "--hidden", "9",
                                          "--epochs", "1", "-o", "out/model"],
                                         ("a Transformer's size must be even (--hidden 9)",)),
    # --- span JSON lines and zhnlp convert (issue 25): spans that do not match their text name file:line
    "convert-span-string-not-text": ({"s.jsonl": '{"text": "张三在北京", "label": {"PER": {"张三": [[0, 1]]}}}\n'
                                                 '{"text": "李四", "label": {"PER": {"李四": [[1, 2]]}}}\n'},
                                     ["convert", "s.jsonl", "out/out.txt", "--to", "bio"],
                                     ("s.jsonl:2", "PER '李四' [1, 2]")),
    "convert-overlapping-spans": ({"s.jsonl": '{"text": "张三在北京", "entities": [[0, 2, "PER"], [1, 3, "LOC"]]}\n'},
                                  ["convert", "s.jsonl", "out/out.txt", "--to", "bioes"], ("s.jsonl:1", "spans overlap")),
    "convert-unknown-target": ({"t.bio": "张 B-PER\n三 I-PER\n\n"}, ["convert", "t.bio", "out/out.txt", "--to", "iob"],
                               ("--to", "iob")),
    "convert-not-ner-tags": ({"t.conll": "我 PRON\n爱 VERB\n\n"}, ["convert", "t.conll", "out/out.txt", "--to", "spans"],
                             ("t.conll:1", "'PRON' is not a NER tag")),
    "train-ner-span-outside-text": ({"t.jsonl": '{"text": "张三", "entities": [[0, 3, "PER"]]}\n'},
                                    ["train-ner", "t.jsonl", "-o", "out/model", "--epochs", "1"],
                                    ("t.jsonl:1", "outside the text of 2 characters (ends exclusive)")),
    "evaluate-span-bad-type": ({"d.jsonl": '{"text": "张三", "entities": [[0, 2, ""]]}\n'},
                               ["evaluate", "resume-ner-hmm", "d.jsonl"], ("d.jsonl:1", "entity type ''")),
    "tag-format-spans-cws-model": ({"good.txt": GOOD}, ["tag", "ud-cws", "good.txt", "--format", "spans",
                                                        "-o", "out/out.txt"], ("--format spans", "NER model")),
}

MODEL_EDITS = {"model-with-pickle": ("resume-ner-hmm", add_pickle),
               "model-tampered-weights": ("hotel-sentiment", tamper_header),
               "model-newer-format": ("cmn-eng", newer_version),
               "train-ner-output-is-model-without-force": ("resume-ner-hmm", lambda d: None),
               "ensemble-identical-weights": ("shopping-sentiment", lambda d: None)}


def snapshot(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes()) for p in sorted(root.rglob("*"))}


def test_the_catalogue_has_at_least_40_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input(case, tmp_path, monkeypatch):
    files, args, needles = CASES[case]
    work = tmp_path / "work"
    write(work / "out" / "out.txt", OLD)
    for name, content in files.items():
        write(work / name, content)
    if case in MODEL_EDITS:
        model_copy(*MODEL_EDITS[case][:1], work, MODEL_EDITS[case][1])
    monkeypatch.chdir(work)
    before = snapshot(work)
    r = invoke(*[a.replace("{w}", str(work)) if isinstance(a, str) else a for a in args], ok=False)
    one_line_error(r, *needles)
    assert snapshot(work) == before, sorted(set(snapshot(work)) ^ set(before))
    assert (work / "out" / "out.txt").read_bytes() == OLD
