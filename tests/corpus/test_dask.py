"""Corpora on a Dask cluster: byte-range blocks, ``--scheduler`` for segment and tag, and the
bag/dataframe API, against a real LocalCluster (worker processes, loopback only)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import FIXTURES, invoke, one_line_error
from zhnlp import Segmenter
from zhnlp.io import line_blocks, read_lines

distributed = pytest.importorskip("distributed", reason='Dask is optional: pip install "zhnlp[dask]"')

LINES = ["我爱北京天安门。", "", "今天天气很好，我们去公园散步吧。", "结婚的和尚未结婚的",
         "李小福是创新办主任也是云计算方面的专家", "  ", "ABC 123 中文", "张三在北京大学读书，李四在上海工作。"]


def corpus(path: Path, repeats: int = 40, ending: str = "\n") -> Path:
    """A file of the sample lines, some endings CRLF, the last line without an ending."""
    parts = []
    for i in range(repeats):
        for j, line in enumerate(LINES):
            parts.append(line + ("\r\n" if (i + j) % 5 == 0 else ending))
    path.write_bytes(("\ufeff" + "".join(parts).rstrip("\n")).encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes, shared by the tests of this module."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as c, distributed.Client(c) as client:
        yield client


# --- blocks -------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(lines=st.lists(st.text(alphabet="ab中文，。 \t", max_size=12), max_size=30),
       endings=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=30),
       block=st.integers(1, 40), bom=st.booleans())
def test_blocks_cover_the_file_at_line_starts(tmp_path_factory, lines, endings, block, bom):
    """Reading every block gives exactly the file's lines, whatever the endings and block size."""
    path = tmp_path_factory.mktemp("blocks") / "f.txt"
    text = "".join(line + endings[i % len(endings)] for i, line in enumerate(lines))
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    blocks = line_blocks(path, block)
    size = path.stat().st_size
    assert [b[0] for b in blocks[1:]] == [b[1] for b in blocks[:-1]]
    assert (blocks[0][0], blocks[-1][1]) == (0, size) if size else blocks == []
    data = path.read_bytes()
    assert all(data[s - 1:s] == b"\n" for s, _ in blocks[1:])
    whole = list(read_lines(path, allow_empty=True))
    assert [line for s, e in blocks for line in read_lines(path, byte_range=(s, e))] == whole


def test_gbk_blocks_split_between_characters(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes(("\n".join(LINES * 20) + "\n").encode("gbk"))
    got = [line for s, e in line_blocks(path, 7) for line in read_lines(path, "gbk", byte_range=(s, e))]
    assert got == LINES * 20


# --- segment and tag on the cluster --------------------------------------------------------

@pytest.mark.parametrize("options", [
    [],
    ["--format", "jsonl", "--pos"],
    ["--format", "conll", "--user-dict", str(FIXTURES / "lexicon_mixed.txt")],
    ["--mode", "search", "--no-hmm"],
])
def test_segment_on_cluster_equals_one_process(cluster, tmp_path, options):
    src = corpus(tmp_path / "in.txt")
    one = invoke("segment", src, "-o", tmp_path / "one.txt", "-q", *options)
    assert one.exit_code == 0
    invoke("segment", src, "-o", tmp_path / "dask.txt", "-q", "--scheduler", cluster.scheduler.address,
           "--block-size", "300B", *options)
    assert len(line_blocks(src, 300)) > 10
    assert (tmp_path / "dask.txt").read_bytes() == (tmp_path / "one.txt").read_bytes()


def _clear_loaded() -> None:
    from zhnlp.corpus.dask import _LOADED

    _LOADED.clear()


def _loaded_jobs() -> list[str]:
    from zhnlp.corpus.dask import _LOADED

    return [type(job).__name__ for job in _LOADED.values()]


def test_each_worker_loads_the_segmenter_once(cluster, tmp_path):
    src = corpus(tmp_path / "in.txt")
    cluster.run(_clear_loaded)
    invoke("segment", src, "-o", tmp_path / "out.txt", "-q", "--scheduler", cluster.scheduler.address,
           "--block-size", "200B", "--dict", "it")
    assert len(line_blocks(src, 200)) > 20
    per_worker = cluster.run(_loaded_jobs)
    assert sorted(j for jobs in per_worker.values() for j in jobs) == ["SegmentJob"] * len(per_worker), per_worker


def test_output_dir_several_files_and_stdout(cluster, tmp_path):
    a, b = corpus(tmp_path / "a.txt", 10), corpus(tmp_path / "b.txt", 7)
    invoke("segment", a, b, "--output-dir", tmp_path / "out", "-q", "--scheduler", cluster.scheduler.address,
           "--block-size", "100B")
    r = invoke("segment", a, b, "--scheduler", cluster.scheduler.address, "--block-size", "100B")
    for f in (a, b):
        assert (tmp_path / "out" / f.name).read_text("utf-8") == invoke("segment", f).stdout
    assert r.stdout == invoke("segment", a, b).stdout


def test_tag_on_cluster_equals_one_process(cluster, tmp_path):
    src = corpus(tmp_path / "in.txt", 6)
    for fmt in ("text", "jsonl"):
        one = invoke("tag", "msra-ner", src, "--format", fmt).stdout
        got = invoke("tag", "msra-ner", src, "--format", fmt, "--scheduler", cluster.scheduler.address,
                     "--block-size", "256B").stdout
        assert got == one
    rows = [json.loads(x) for x in one.splitlines()]
    assert len(rows) == 6 * len(LINES)
    assert ["北京", "LOC"] in [[e[3], e[0]] for e in rows[0]["entities"]]


def test_segment_with_trained_model_on_cluster(cluster, tmp_path):
    src = corpus(tmp_path / "in.txt", 5)
    one = invoke("segment", src, "--model", "ud-cws").stdout
    assert invoke("segment", src, "--model", "ud-cws", "--scheduler", cluster.scheduler.address,
                  "--block-size", "128B").stdout == one


# --- errors --------------------------------------------------------------------------------

def test_bad_line_is_named_with_its_line_in_the_file(cluster, tmp_path):
    src = corpus(tmp_path / "in.txt", 30)
    n = len(list(read_lines(src)))
    with open(src, "ab") as f:
        f.write(b"\nok\n\xff\xfe broken\nmore\n")
    out = tmp_path / "out.txt"
    out.write_text("keep me", "utf-8")
    r = invoke("segment", src, "-o", out, "--scheduler", cluster.scheduler.address, "--block-size", "512B", ok=False)
    one_line_error(r, f"{src}:{n + 2}:", "not valid utf-8")
    assert out.read_text("utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "out.txt"]


@pytest.mark.parametrize("args, needle", [
    (["segment", "--scheduler", "{addr}"], "not stdin"),
    (["segment", "{src}", "--scheduler", "{addr}", "-j", "2"], "not both"),
    (["segment", "{src}", "--scheduler", "{addr}", "--block-size", "lots"], "--block-size"),
    (["segment", "{src}", "--scheduler", "somewhere"], "tcp://HOST:PORT or local:N"),
    (["segment", "{src}", "--scheduler", "local:0"], "N ≥ 1"),
    (["tag", "msra-ner", "{src}", "--scheduler", "{addr}", "--input-format", "conll"], "raw text"),
    (["segment", "{tmp}/missing.txt", "--scheduler", "{addr}"], "no such file"),
    (["segment", "{empty}", "--scheduler", "{addr}"], "empty file"),
])
def test_bad_cluster_options_are_one_line_errors(cluster, tmp_path, args, needle):
    src = corpus(tmp_path / "in.txt", 2)
    (tmp_path / "empty.txt").write_bytes(b"")
    fill = dict(addr=cluster.scheduler.address, src=src, tmp=tmp_path, empty=tmp_path / "empty.txt")
    r = invoke(*[a.format(**fill) for a in args], input="一行\n", ok=False)
    one_line_error(r, needle)


# --- Python API ------------------------------------------------------------------------------

def test_segment_bag_and_series(cluster):
    import dask.bag as db

    from zhnlp.corpus.dask import segment_bag

    lines = LINES * 5
    seg = Segmenter(pos=True)
    bag = db.from_sequence(lines, npartitions=4)
    assert segment_bag(bag).compute() == [Segmenter().cut(x) for x in lines]
    assert segment_bag(bag, pos=True, sep=" ").compute() == \
        [" ".join(f"{w}/{t}" for w, t in seg.cut_pos(x)) for x in lines]

    dd = pytest.importorskip("dask.dataframe", reason="dask.dataframe needs pandas and pyarrow")
    import pandas as pd

    from zhnlp.corpus.dask import segment_series

    df = dd.from_pandas(pd.DataFrame({"text": lines, "n": range(len(lines))}), npartitions=3)
    df["words"] = segment_series(df["text"], sep="|")
    got = df.compute()
    assert list(got["words"]) == ["|".join(Segmenter().cut(x)) for x in lines]
    assert list(got["n"]) == list(range(len(lines)))


@pytest.mark.slow
def test_cli_local_cluster_end_to_end(tmp_path):
    """``--scheduler local:2`` starts and stops its own cluster: same output as -j 1."""
    src = corpus(tmp_path / "in.txt", 50)
    run = [sys.executable, "-m", "zhnlp", "segment", str(src), "-q"]
    one = subprocess.run(run, capture_output=True, check=True).stdout
    r = subprocess.run(run + ["--scheduler", "local:2", "--block-size", "1KB"], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == one
