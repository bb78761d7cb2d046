"""``zhnlp convert`` and span JSON through the commands: a span JSON file trains a tagger, ``zhnlp tag --format
spans`` writes form A line for line, ``zhnlp evaluate`` scores span JSON as it scores the same data in CoNLL."""
from __future__ import annotations

import json

import pytest
from helpers import fast_train_config, invoke, one_line_error
from tagging_fixtures import write_ner

from zhnlp.tasks.tagger import TaggerConfig, load_tagger, train_tagger

BIO = "张\tB-PER\n三\tI-PER\n在\tO\n北\tB-LOC\n京\tI-LOC\n\n李\tB-PER\n四\tI-PER\n\n"


def test_convert_writes_form_a_with_inclusive_ends_and_reads_it_back(tmp_path):
    (tmp_path / "a.bio").write_text(BIO, encoding="utf-8")
    r = invoke("convert", tmp_path / "a.bio", tmp_path / "a.jsonl", "--to", "spans")
    assert r.stderr == f"converted 2 sentences (3 entities) from BIO to spans -> {tmp_path / 'a.jsonl'}\n"
    assert [json.loads(x) for x in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()] == [
        {"text": "张三在北京", "label": {"PER": {"张三": [[0, 1]]}, "LOC": {"北京": [[3, 4]]}}},
        {"text": "李四", "label": {"PER": {"李四": [[0, 1]]}}}]
    invoke("convert", tmp_path / "a.jsonl", tmp_path / "b.bmes", "--to", "bmes", "-q")
    assert (tmp_path / "b.bmes").read_text(encoding="utf-8") == \
        "张\tB-PER\n三\tE-PER\n在\tO\n北\tB-LOC\n京\tE-LOC\n\n李\tB-PER\n四\tE-PER\n\n"


def test_convert_says_how_many_sentences_broke_their_scheme(tmp_path):
    (tmp_path / "a.bio").write_text("张\tI-PER\n三\tI-PER\n\n", encoding="utf-8")
    r = invoke("convert", tmp_path / "a.bio", tmp_path / "a.bioes", "--to", "bioes")
    assert r.stderr.splitlines()[1] == "note: 1 sentence(s) with illegal tag sequences were read as conlleval reads them"
    assert (tmp_path / "a.bioes").read_text(encoding="utf-8") == "张\tB-PER\n三\tE-PER\n\n"


def test_a_bad_span_is_a_one_line_error_naming_file_and_line_and_writes_nothing(tmp_path):
    good = '{"text": "张三", "entities": [[0, 2, "PER"]]}\n'
    (tmp_path / "s.jsonl").write_text(good + '{"text": "张三", "label": {"PER": {"张三": [[0, 2]]}}}\n',
                                      encoding="utf-8")
    r = invoke("convert", tmp_path / "s.jsonl", tmp_path / "out.bio", "--to", "bio", ok=False)
    one_line_error(r, f"{tmp_path / 's.jsonl'}:2: PER '张三' [0, 2]: empty or outside the text of 2 characters "
                      "(ends inclusive)")
    assert not (tmp_path / "out.bio").exists()


@pytest.fixture(scope="module")
def span_data(tmp_path_factory):
    """Training data as span JSON form A, dev data as form B (doccano) and as CoNLL."""
    d = tmp_path_factory.mktemp("spans")
    write_ner(d / "train.bio", 120, seed=1)
    write_ner(d / "dev.bio", 30, seed=2)
    invoke("convert", d / "train.bio", d / "train.jsonl", "--to", "spans", "-q")
    invoke("convert", d / "dev.bio", d / "dev-a.jsonl", "--to", "spans", "-q")
    with open(d / "dev-b.jsonl", "w", encoding="utf-8") as f:
        for line in (d / "dev-a.jsonl").read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            ents = [[s, e + 1, ty] for ty, found in obj["label"].items() for spans in found.values() for s, e in spans]
            f.write(json.dumps({"id": 1, "text": obj["text"], "label": ents}, ensure_ascii=False) + "\n")
    return d


def test_a_span_json_file_trains_tags_and_evaluates(span_data, tmp_path):
    d, out = span_data, tmp_path / "m"
    cfg = TaggerConfig(task="ner", emb_dim=16, hidden=16, bigram=True, bigram_min_freq=1)
    res = train_tagger(d / "train.jsonl", d / "dev-b.jsonl", out, config=cfg, test=d / "dev-a.jsonl",
                       train_config=fast_train_config(epochs=6, batch_size=8, seed=3))
    assert res.metrics["dev"]["f1"] > 0.9 and res.metrics["test"]["f1"] == pytest.approx(res.metrics["dev"]["f1"])
    assert load_tagger(out).config.scheme == "BIOES"  # span JSON's scheme when none is given
    scores = [json.loads(invoke("evaluate", out, d / name, "--json").stdout)["f1"]
              for name in ("dev-a.jsonl", "dev-b.jsonl", "dev.bio")]
    assert scores == [pytest.approx(res.metrics["dev"]["f1"])] * 3
    (tmp_path / "in.txt").write_text("张三 在北京工作。\n\n" + (d / "dev-b.jsonl").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    invoke("tag", out, tmp_path / "in.txt", "--format", "spans", "-o", tmp_path / "out.jsonl", "-q")
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 32  # output line i = input line i
    assert json.loads(lines[0]) == {"text": "张三 在北京工作。", "label": {"PER": {"张三": [[0, 1]]},
                                                                          "LOC": {"北京": [[4, 5]]}}}
    assert json.loads(lines[1]) == {"text": "", "label": {}}
    assert [json.loads(x)["text"] for x in lines[2:]] == \
        [json.loads(x)["text"] for x in (d / "dev-b.jsonl").read_text(encoding="utf-8").splitlines()]
