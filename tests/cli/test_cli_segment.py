"""End-to-end tests of ``zhnlp segment`` (and ``dicts``/``--help``) run as a subprocess.

Every run gets ZHNLP_CACHE_DIR pointing at a temporary folder under pytest's basetemp,
so the user's own dictionary cache is never read or written. That folder is shared by the
runs of one pytest session (a cold cache costs ~1 s a run; a warm one is what users see).
ZHNLP_START_METHOD is removed from the environment unless a test sets it.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import DATA

PKU_TEST = DATA / "sighan2005" / "testing" / "pku_test.utf8"

# A small "real-ish" file: leading/trailing spaces, tabs, an empty line, Latin, digits,
# full-width letters and spaces, CJK punctuation, an emoji, programming-language names.
RICH_LINES = [
    "  我爱北京天安门。  ",
    "Hello, World! 你好 世界",
    "",
    "2024年3月5日，GDP增长5.2%。",
    "\t制表符\t和  多个空格 ",
    "“引号”（括号）——破折号…省略号",
    "ｆｕｌｌ　ｗｉｄｔｈ　全角１２３",
    "emoji 😀 测试 C++ 和 C# 以及 e-mail: a.b@c.com",
    "人民医院的医生说：这是我的书。",
]
# The same minus the emoji line: every character exists in GBK.
GBK_LINES = [line for line in RICH_LINES if "😀" not in line]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    # one temporary cache for the whole session (a fixed name under pytest's basetemp),
    # so that the dictionary cache is built once, never in the user's own cache folder
    path = tmp_path_factory.getbasetemp() / "zhnlp-cache"
    path.mkdir(exist_ok=True)
    return path


def _env(cache_dir: Path, **extra: str) -> dict:
    env = dict(os.environ)
    env.pop("ZHNLP_START_METHOD", None)
    env.update(ZHNLP_CACHE_DIR=str(cache_dir), PYTHONIOENCODING="utf-8")
    env.update(extra)
    return env


@pytest.fixture
def zhnlp(cache_dir, tmp_path):
    """Run ``python -m zhnlp ARGS`` in tmp_path; returns the CompletedProcess (bytes)."""

    def run(*args: str, stdin: bytes | None = None, ok: bool = True, env: dict | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "zhnlp", *map(str, args)], input=stdin,
                              capture_output=True, cwd=tmp_path, timeout=timeout,
                              env=_env(cache_dir, **(env or {})))
        if ok:
            assert proc.returncode == 0, (args, proc.stderr.decode("utf-8", "replace"))
            assert b"Traceback" not in proc.stderr
        return proc

    return run


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def out_lines(data: bytes) -> list[str]:
    """Output lines: the output must use LF only and end with a newline (or be empty)."""
    text = data.decode("utf-8")
    assert "\r" not in text
    assert text == "" or text.endswith("\n")
    return text.split("\n")[:-1]


@pytest.fixture
def rich(tmp_path) -> Path:
    return write(tmp_path / "rich.txt", "\n".join(RICH_LINES) + "\n")


# --------------------------------------------------------------------------- inputs/outputs

def test_stdin_to_stdout(zhnlp):
    proc = zhnlp("segment", stdin="我爱北京天安门\n\n北京大学\n".encode())
    assert proc.stdout.decode() == "我 爱 北京 天安门\n\n北京大学\n"


def test_dash_reads_stdin(zhnlp, tmp_path):
    write(tmp_path / "a.txt", "北京大学\n")
    # '-' alone, and '-' among files (it takes stdin's place in the order)
    stdin_only = zhnlp("segment", "-", stdin="我爱北京天安门\n".encode()).stdout
    assert stdin_only.decode() == "我 爱 北京 天安门\n"
    mixed = zhnlp("segment", "a.txt", "-", "a.txt", stdin="我爱北京天安门\n".encode()).stdout
    assert mixed.decode() == "北京大学\n我 爱 北京 天安门\n北京大学\n"


def test_several_files_concatenated_in_order(zhnlp, tmp_path):
    a = write(tmp_path / "a.txt", "我爱北京天安门\n第二行\n")
    b = write(tmp_path / "b.txt", "\n今天天气很好\n")
    c = write(tmp_path / "c.txt", "没有换行结尾")
    one = {p.name: zhnlp("segment", p.name).stdout for p in (a, b, c)}
    both = zhnlp("segment", "a.txt", "b.txt", "c.txt").stdout
    assert both == one["a.txt"] + one["b.txt"] + one["c.txt"]
    assert len(out_lines(both)) == 2 + 2 + 1  # c.txt has no final newline: still one line


def test_output_file(zhnlp, tmp_path, rich):
    expected = zhnlp("segment", rich.name).stdout
    write(tmp_path / "out.txt", "OLD CONTENT\n")
    proc = zhnlp("segment", rich.name, "-o", "out.txt")
    assert proc.stdout == b""
    assert (tmp_path / "out.txt").read_bytes() == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt", "rich.txt"]
    # --output (long form), from stdin
    proc = zhnlp("segment", "--output", "out2.txt", stdin=rich.read_bytes())
    assert (tmp_path / "out2.txt").read_bytes() == expected


def test_output_dir_one_output_per_input(zhnlp, tmp_path):
    a = write(tmp_path / "in1" / "a.txt", "我爱北京天安门\n\n第三行\n")
    b = write(tmp_path / "in2" / "b.txt", "今天天气很好")
    ref = {p.name: zhnlp("segment", p).stdout for p in (a, b)}
    proc = zhnlp("segment", a, b, "--output-dir", "out/sub")  # created, parents too
    assert proc.stdout == b""
    out = tmp_path / "out" / "sub"
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "b.txt"]
    for name, data in ref.items():
        assert (out / name).read_bytes() == data
    assert len(out_lines((out / "a.txt").read_bytes())) == 3


def test_line_i_is_line_i_including_empty_lines(zhnlp, tmp_path):
    lines = ["", "", "我爱北京天安门", "", "   ", "\t", "今天天气很好", "", "", "最后", "", ""]
    src = write(tmp_path / "e.txt", "\n".join(lines) + "\n")
    for fmt_args in ([], ["--pos"]):
        got = out_lines(zhnlp("segment", src.name, *fmt_args).stdout)
        assert len(got) == len(lines)
        for i, (inp, out) in enumerate(zip(lines, got)):
            assert (out == "") == (inp.strip() == ""), (i, inp, out)
    # jsonl: one object per line, blank lines too
    got = out_lines(zhnlp("segment", src.name, "--format", "jsonl").stdout)
    assert ["".join(json.loads(o)["tokens"]) for o in got] == lines


@pytest.mark.parametrize("eol", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_crlf_and_cr_line_endings(zhnlp, tmp_path, eol):
    lines = ["我爱北京天安门", "", "今天天气很好", "Hello world", "", "最后一行"]
    write(tmp_path / "lf.txt", "\n".join(lines) + "\n")
    write(tmp_path / "other.txt", eol.join(lines) + eol)
    # the same lines with mixed endings and no final one
    write(tmp_path / "mixed.txt", "我爱北京天安门\r\n\r今天天气很好\nHello world\r\r\n最后一行")
    expected = zhnlp("segment", "lf.txt").stdout
    assert len(out_lines(expected)) == len(lines)
    assert zhnlp("segment", "other.txt", "mixed.txt").stdout == expected + expected
    # jsonl: no '\r' is left inside a line
    objs = out_lines(zhnlp("segment", "other.txt", "--format", "jsonl").stdout)
    assert ["".join(json.loads(o)["tokens"]) for o in objs] == lines


@pytest.mark.parametrize("boundary", ["crlf-split", "cr-then-cr", "multibyte-split"])
def test_line_endings_across_the_1mib_read_boundary(zhnlp, tmp_path, boundary):
    """The reader works in 1 MiB chunks: endings and characters split across two chunks."""
    chunk = 1 << 20
    filler = "。，、；：？！…—（）《》“”" * 3  # punctuation: cheap to segment, 3 bytes a char
    lines: list[str] = []
    size = 0
    eol = "\n" if boundary == "multibyte-split" else ("\r\n" if boundary == "crlf-split" else "\r")
    while size < chunk - 200:
        lines.append(filler)
        size += len((filler + eol).encode())
    pad = chunk - size  # bytes still needed so that the boundary falls where we want
    if boundary == "crlf-split":  # "...\r" | "\n..."
        lines.append("中文" + "a" * (pad - 7))
        tail = ["下一行", "最后"]
    elif boundary == "cr-then-cr":  # "...\r" | "\r..." = a line, then an empty line
        lines.append("中文" + "a" * (pad - 7))
        tail = ["", "下一行", "最后"]
    else:  # a 3-byte character split 1 + 2 across the boundary
        lines.append("中文" + "a" * (pad - 7) + "中文字")
        tail = ["下一行", "最后"]
    lines += tail
    data = (eol.join(lines) + eol).encode()
    if boundary == "multibyte-split":
        assert data[chunk - 1:chunk + 2] == "中".encode()
    else:
        assert data[chunk - 1:chunk] == b"\r"
    write(tmp_path / "big.txt", data)
    write(tmp_path / "ref.txt", "\n".join(lines) + "\n")
    objs = out_lines(zhnlp("segment", "big.txt", "ref.txt", "--format", "jsonl").stdout)
    assert len(objs) == 2 * len(lines)
    assert objs[:len(lines)] == objs[len(lines):]  # big.txt's lines == ref.txt's (LF) lines
    assert ["".join(json.loads(o)["tokens"]) for o in objs[-len(tail) - 1:]] == lines[-len(tail) - 1:]


def test_utf8_bom_dropped(zhnlp, tmp_path):
    text = "我爱北京天安门\n今天天气很好\n"
    write(tmp_path / "plain.txt", text)
    write(tmp_path / "bom.txt", b"\xef\xbb\xbf" + text.encode())
    out = zhnlp("segment", "plain.txt").stdout
    # a BOM at the start of the first file and of a later file
    assert zhnlp("segment", "bom.txt", "plain.txt", "bom.txt").stdout == out * 3
    # on stdin, seen through jsonl (exact text)
    objs = out_lines(zhnlp("segment", "--format", "jsonl", stdin=b"\xef\xbb\xbf" + text.encode()).stdout)
    assert ["".join(json.loads(o)["tokens"]) for o in objs] == ["我爱北京天安门", "今天天气很好"]


# --------------------------------------------------------------------------- formats

def test_jsonl_tokens_join_to_the_exact_line(zhnlp, rich):
    for extra in ([], ["--pos"]):
        objs = [json.loads(o) for o in out_lines(zhnlp("segment", rich.name, "--format", "jsonl",
                                                       *extra).stdout)]
        assert len(objs) == len(RICH_LINES)
        for obj, line in zip(objs, RICH_LINES):
            assert "".join(obj["tokens"]) == line
            assert all(tok for tok in obj["tokens"])
            if extra:
                assert len(obj["tags"]) == len(obj["tokens"])
                assert all(re.fullmatch(r"[A-Za-z]+", t) for t in obj["tags"])
            else:
                assert set(obj) == {"tokens"}


def test_jsonl_exact_on_real_text(zhnlp, tmp_path):
    if not PKU_TEST.exists():
        pytest.skip(f"real data not found: {PKU_TEST}")
    lines = PKU_TEST.read_text(encoding="utf-8").splitlines()[:300]
    write(tmp_path / "pku300.txt", "\n".join(lines) + "\n")
    objs = [json.loads(o) for o in out_lines(zhnlp("segment", "pku300.txt", "--format", "jsonl").stdout)]
    assert ["".join(o["tokens"]) for o in objs] == lines


def test_pos_text_is_word_slash_tag(zhnlp, rich, tmp_path):
    src = write(tmp_path / "s.txt", "我爱北京天安门。\n")
    assert zhnlp("segment", src.name, "--pos").stdout.decode() == "我/r 爱/v 北京/ns 天安门/ns 。/x\n"
    got = out_lines(zhnlp("segment", rich.name, "--pos").stdout)
    assert len(got) == len(RICH_LINES)
    for out, line in zip(got, RICH_LINES):
        items = out.split(" ") if out else []
        assert all(re.fullmatch(r"\S+/[A-Za-z]+", it) for it in items), out
        assert "".join(it.rsplit("/", 1)[0] for it in items) == "".join(line.split())


def test_conll_blank_line_after_each_input_line(zhnlp, rich):
    text = zhnlp("segment", rich.name, "--format", "conll").stdout.decode()
    assert text.endswith("\n\n")
    blocks: list[list[str]] = []
    cur: list[str] = []
    for row in text.split("\n")[:-1]:
        if row == "":
            blocks.append(cur)
            cur = []
        else:
            cur.append(row)
    assert cur == []
    assert len(blocks) == len(RICH_LINES)
    for block, line in zip(blocks, RICH_LINES):
        assert "".join(block) == "".join(line.split())
        assert all(tok.strip() == tok and "\t" not in tok for tok in block)
    # with --pos: word TAB tag
    text = zhnlp("segment", rich.name, "--format", "conll", "--pos").stdout.decode()
    rows = text.split("\n")[:-1]
    assert rows.count("") == len(RICH_LINES)
    assert all(re.fullmatch(r"[^\t]+\t[A-Za-z]+", r) for r in rows if r)


def test_sep(zhnlp, rich):
    spaced = out_lines(zhnlp("segment", rich.name).stdout)
    piped = out_lines(zhnlp("segment", rich.name, "--sep", "|").stdout)
    assert len(piped) == len(spaced) == len(RICH_LINES)
    assert [p.split("|") for p in piped] == [s.split(" ") for s in spaced]
    assert piped[0] == "我|爱|北京|天安门|。"


def test_encoding_gb18030_on_gbk_file(zhnlp, tmp_path):
    text = "\n".join(GBK_LINES) + "\n"
    write(tmp_path / "u.txt", text)
    write(tmp_path / "g.txt", text.encode("gbk"))
    expected = zhnlp("segment", "u.txt").stdout
    assert len(out_lines(expected)) == len(GBK_LINES)
    assert zhnlp("segment", "g.txt", "--encoding", "gb18030").stdout == expected


# --------------------------------------------------------------------------- parallel

@pytest.fixture(scope="module")
def pku_lines_file(tmp_path_factory) -> Path:
    if not PKU_TEST.exists():
        pytest.skip(f"real data not found: {PKU_TEST}")
    lines = PKU_TEST.read_text(encoding="utf-8").splitlines()
    # ~5800 lines, ~0.5 M characters: several chunks, so order across workers matters
    many = lines + lines[::-1] + lines
    path = tmp_path_factory.mktemp("pku") / "pku3.txt"
    path.write_text("\n".join(many) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pku_j1(pku_lines_file, cache_dir) -> bytes:
    proc = subprocess.run([sys.executable, "-m", "zhnlp", "segment", str(pku_lines_file), "-j", "1"],
                          capture_output=True, env=_env(cache_dir), timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def test_jobs_2_same_output_as_jobs_1(zhnlp, pku_lines_file, pku_j1):
    n_in = len(pku_lines_file.read_text(encoding="utf-8").split("\n")) - 1
    assert n_in > 5000
    assert len(out_lines(pku_j1)) == n_in
    assert zhnlp("segment", pku_lines_file, "-j", "2").stdout == pku_j1


def test_jobs_2_spawn_same_output_as_jobs_1(zhnlp, pku_lines_file, pku_j1, tmp_path):
    proc = zhnlp("segment", pku_lines_file, "--jobs", "2", "-o", "out.txt",
                 env={"ZHNLP_START_METHOD": "spawn"})
    assert proc.stdout == b""
    assert (tmp_path / "out.txt").read_bytes() == pku_j1


# --------------------------------------------------------------------------- dictionaries

def test_dict_medical(zhnlp, tmp_path):
    write(tmp_path / "m.txt", "他在人民医院工作\n")
    plain = zhnlp("segment", "m.txt").stdout.decode().split()
    med = zhnlp("segment", "m.txt", "--dict", "medical").stdout.decode().split()
    assert "人民医院" not in plain
    assert "人民医院" in med
    assert "".join(med) == "他在人民医院工作"


def test_stopwords_zh(zhnlp, tmp_path):
    write(tmp_path / "s.txt", "这是我的书，他的书在桌子上。\n\n")
    plain = out_lines(zhnlp("segment", "s.txt").stdout)
    stop = out_lines(zhnlp("segment", "s.txt", "--stopwords", "zh").stdout)
    assert len(stop) == len(plain) == 2
    assert "的" in plain[0].split()
    assert "的" not in stop[0].split() and "，" not in stop[0].split()
    assert "书" in stop[0].split()
    assert set(stop[0].split()) < set(plain[0].split())


def test_dicts_lists_bundled_names(zhnlp):
    out = zhnlp("dicts").stdout.decode()
    names = {line.split()[0] for line in out.splitlines()[1:] if line.strip()}
    assert {"it", "medical", "finance", "law", "places", "zh"} <= names
    for line in out.splitlines()[1:]:
        assert int(line.split()[2]) > 0


def test_help(zhnlp):
    out = zhnlp("--help").stdout.decode()
    assert "segment" in out and "dicts" in out
    out = zhnlp("segment", "--help").stdout.decode()
    for opt in ("--output-dir", "--format", "--encoding", "--jobs", "--max-line-length"):
        assert opt in out


# --------------------------------------------------------------------------- import weight

def test_cli_does_not_import_heavy_libraries(cache_dir, tmp_path):
    src = write(tmp_path / "in.txt", "我爱北京天安门\n今天天气很好\n")
    script = textwrap.dedent(f"""
        import json, sys
        HEAVY = ("torch", "gensim", "pandas")

        def heavy():
            return sorted({{m.split(".")[0] for m in sys.modules}} & set(HEAVY))

        import zhnlp.cli
        after_import = heavy()
        results = {{}}
        for name, args in [("plain", ["segment", {str(src)!r}, "-o", {str(tmp_path / "o1.txt")!r}]),
                           ("pos-jsonl", ["segment", {str(src)!r}, "--pos", "--format", "jsonl",
                                          "--dict", "medical", "--stopwords", "zh",
                                          "-o", {str(tmp_path / "o2.txt")!r}])]:
            sys.argv = ["zhnlp", *args]
            try:
                zhnlp.cli.main()
                code = 0
            except SystemExit as exc:
                code = exc.code or 0
            results[name] = code
        from typer.testing import CliRunner
        r = CliRunner().invoke(zhnlp.cli.app, ["segment", "-"], input="我爱北京天安门\\n")
        results["clirunner"] = r.exit_code
        print(json.dumps({{"after_import": after_import, "after_run": heavy(), "codes": results,
                          "stdout": r.stdout}}))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, cwd=tmp_path,
                          env=_env(cache_dir), timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    report = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    assert report["codes"] == {"plain": 0, "pos-jsonl": 0, "clirunner": 0}
    assert report["stdout"] == "我 爱 北京 天安门\n"
    assert (tmp_path / "o1.txt").read_text(encoding="utf-8").startswith("我 爱 北京 天安门\n")
    assert (tmp_path / "o1.txt").read_text(encoding="utf-8").count("\n") == 2
    assert (tmp_path / "o2.txt").read_text(encoding="utf-8").count("\n") == 2
    assert report["after_import"] == []
    assert report["after_run"] == []
